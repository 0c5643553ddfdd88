//! The outcome every line-based decoder of the workspace reports.

/// What a decoder found at the front of its input.
///
/// A partial message is a status, not an error: [`Decoded::Incomplete`] asks for more
/// input. [`Decoded::Invalid`] says how many bytes the bad message covers, so the caller
/// can skip it and answer the peer.
///
/// ```
/// use mailwire_core::Decoded;
///
/// let d: Decoded<&str, ()> = Decoded::Complete { value: "NOOP", consumed: 6 };
/// assert_eq!(d.complete(), Some("NOOP"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Decoded<T, E> {
    /// A whole message; `consumed` bytes of input hold it, line ending included.
    Complete {
        /// The message.
        value: T,
        /// Bytes of input it took.
        consumed: usize,
    },
    /// The input ends before the message does; call again with more.
    Incomplete,
    /// The input holds a message that breaks the grammar or a limit.
    Invalid {
        /// What is wrong, with what is needed to answer the peer.
        error: E,
        /// Bytes to drop from the front of the input: the whole offending line. For a line
        /// longer than the limit whose end has not arrived yet this is all of the input,
        /// and the caller keeps dropping input up to and including the next line ending.
        consumed: usize,
    },
}

impl<T, E> Decoded<T, E> {
    /// The value of a complete message, if there is one.
    pub fn complete(self) -> Option<T> {
        match self {
            Self::Complete { value, .. } => Some(value),
            Self::Incomplete | Self::Invalid { .. } => None,
        }
    }

    /// Transforms the value of a complete message.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Decoded<U, E> {
        match self {
            Self::Complete { value, consumed } => Decoded::Complete {
                value: f(value),
                consumed,
            },
            Self::Incomplete => Decoded::Incomplete,
            Self::Invalid { error, consumed } => Decoded::Invalid { error, consumed },
        }
    }
}
