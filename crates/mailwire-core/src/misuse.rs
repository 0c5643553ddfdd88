//! The one error every session's answer methods return.

use std::fmt;

/// An answer a session could not take, handed back with the question it had pending.
///
/// Sessions ask the application questions through their events and take the answers
/// through methods. Calling an answer method when its question is not the one pending
/// (nothing is pending, or another question is) is a bug in the application, not a
/// mistake of the peer: the session is left as it was and the answer comes back in
/// [`answer`](Self::answer), so nothing given to the session is lost. Each protocol crate
/// names its questions (`Q`) and answers (`A`); `server::Error` and `client::Error` are
/// this type with them.
///
/// ```
/// use mailwire_core::Misuse;
///
/// let e: Misuse<&str, &str> = Misuse { pending: Some("RCPT"), answer: "a 250 reply" };
/// assert_eq!(e.to_string(), "a 250 reply does not answer the pending RCPT");
/// let e: Misuse<&str, &str> = Misuse { pending: None, answer: "accept" };
/// assert_eq!(e.to_string(), "accept answers nothing: no question is pending");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misuse<Q, A> {
    /// The question that was pending, if any.
    pub pending: Option<Q>,
    /// The answer given, handed back.
    pub answer: A,
}

impl<Q: fmt::Display, A: fmt::Display> fmt::Display for Misuse<Q, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pending {
            Some(pending) => write!(f, "{} does not answer the pending {pending}", self.answer),
            None => write!(f, "{} answers nothing: no question is pending", self.answer),
        }
    }
}

impl<Q, A> std::error::Error for Misuse<Q, A>
where
    Q: fmt::Debug + fmt::Display,
    A: fmt::Debug + fmt::Display,
{
}
