//! Decoding: wire bytes to types. Frame first (see [`super::framer`]), parse second.

pub(crate) mod body;
mod command;
mod fetch;
pub(crate) mod primitive;
mod response;
mod search;

use thiserror::Error;

use super::framer::{FrameError, Limits, Scan, scan_as};
use crate::types::chars::is_tag_char;
use crate::types::{Tag, Text};
use primitive::PError;

pub use command::{decode_authenticate_data, decode_command, decode_idle_done};
pub use response::{decode_greeting, decode_response};

/// What a decoder found at the start of its input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Decoded<T> {
    /// A whole message, and how many bytes of input it took.
    Complete {
        /// The message.
        value: T,
        /// Bytes to consume.
        consumed: usize,
    },
    /// The message is not all there: read more and call again with the same input
    /// extended. Not an error.
    Incomplete,
    /// The input ends right after a synchronising literal's announcement (`{n}`): the
    /// client waits for a continuation request before sending the data. A server answers
    /// `+` (or refuses the command with the tag) and calls again once more input arrives.
    /// This is reported each time the input ends at this point; the caller remembers
    /// whether it already answered the literal at `position`.
    LiteralAnnounced {
        /// The command's tag.
        tag: Tag,
        /// The announced length, already checked against [`Limits::max_literal`].
        length: u32,
        /// Where the literal's data will start in the input.
        position: usize,
    },
}

impl<T> Decoded<T> {
    /// The value, if complete.
    pub fn complete(self) -> Option<(T, usize)> {
        match self {
            Self::Complete { value, consumed } => Some((value, consumed)),
            _ => None,
        }
    }
}

/// Why a message could not be decoded, with what a peer needs to answer it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A line exceeded [`Limits::max_line`]. Where the line ends is not known yet: skip
    /// input up to the next CRLF.
    #[error("line longer than {limit} bytes")]
    LineTooLong {
        /// The tag, if one could be read.
        tag: Option<Tag>,
        /// The limit.
        limit: usize,
    },
    /// A literal was announced larger than [`Limits::max_literal`]. When `sync`, the
    /// peer waits for an answer and sends nothing more; otherwise the data is coming.
    #[error("literal of {length} bytes exceeds the limit of {limit}")]
    LiteralTooLarge {
        /// The tag, if one could be read.
        tag: Option<Tag>,
        /// The announced length.
        length: u64,
        /// The limit.
        limit: u32,
        /// Whether the literal was synchronising.
        sync: bool,
        /// Bytes of input up to and including the announcing line.
        skip: usize,
    },
    /// The message breaks the grammar.
    #[error("{reason} at byte {offset}")]
    Syntax {
        /// The tag, if one could be read.
        tag: Option<Tag>,
        /// Where in the message parsing failed.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
        /// The message's length: skip this much input to go on with the next one.
        skip: usize,
    },
}

impl DecodeError {
    /// The tag of the message, if it had one that could be read.
    pub fn tag(&self) -> Option<&Tag> {
        match self {
            Self::LineTooLong { tag, .. }
            | Self::LiteralTooLarge { tag, .. }
            | Self::Syntax { tag, .. } => tag.as_ref(),
        }
    }
}

/// The tag at the start of `input`, if it is one followed by a space.
pub(crate) fn leading_tag(input: &[u8]) -> Option<Tag> {
    let n = input.iter().take_while(|&&b| is_tag_char(b)).count();
    (n > 0 && input.get(n) == Some(&b' ')).then(|| Tag::unchecked(&input[..n]))
}

fn frame_error(input: &[u8], e: FrameError, tagged: bool) -> DecodeError {
    let tag = if tagged { leading_tag(input) } else { None };
    match e {
        FrameError::LineTooLong { limit, .. } => DecodeError::LineTooLong { tag, limit },
        FrameError::LiteralTooLarge {
            offset,
            length,
            limit,
            sync,
        } => {
            let skip =
                memchr::memchr(b'\n', &input[offset..]).map_or(input.len(), |p| offset + p + 1);
            DecodeError::LiteralTooLarge {
                tag,
                length,
                limit,
                sync,
                skip,
            }
        }
        FrameError::BareLf { offset } => DecodeError::Syntax {
            tag,
            offset,
            reason: "line ended without CR",
            skip: offset + 1,
        },
    }
}

/// Frames the first message and hands it whole to `parse`, which must consume all of it.
pub(crate) fn run<'a, T>(
    input: &'a [u8],
    limits: &Limits,
    tagged: bool,
    allow_sync_literal: bool,
    from_server: bool,
    parse: impl FnOnce(&'a [u8]) -> Result<(&'a [u8], T), nom::Err<PError<'a>>>,
) -> Result<Decoded<T>, DecodeError> {
    let len =
        match scan_as(input, limits, from_server).map_err(|e| frame_error(input, e, tagged))? {
            Scan::Complete(len) => len,
            Scan::Incomplete => return Ok(Decoded::Incomplete),
            Scan::Literal {
                announcement,
                have,
                position,
            } => {
                if allow_sync_literal && announcement.sync && have == 0 {
                    return match leading_tag(input) {
                        Some(tag) => Ok(Decoded::LiteralAnnounced {
                            tag,
                            length: announcement.length,
                            position,
                        }),
                        None => Err(DecodeError::Syntax {
                            tag: None,
                            offset: 0,
                            reason: "tag expected",
                            skip: position,
                        }),
                    };
                }
                return Ok(Decoded::Incomplete);
            }
        };
    let frame = &input[..len];
    match parse(frame) {
        Ok(([], value)) => Ok(Decoded::Complete {
            value,
            consumed: len,
        }),
        Ok((rest, _)) => Err(DecodeError::Syntax {
            tag: if tagged { leading_tag(frame) } else { None },
            offset: len - rest.len(),
            reason: "unexpected data at end of line",
            skip: len,
        }),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(DecodeError::Syntax {
            tag: if tagged { leading_tag(frame) } else { None },
            offset: len.saturating_sub(e.input.len()),
            reason: e.reason,
            skip: len,
        }),
        Err(nom::Err::Incomplete(_)) => Err(DecodeError::Syntax {
            tag: if tagged { leading_tag(frame) } else { None },
            offset: len,
            reason: "unexpected end",
            skip: len,
        }),
    }
}

pub(crate) fn lenient_text(bytes: &[u8]) -> Text {
    Text::lenient(bytes)
}
