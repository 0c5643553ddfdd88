//! POP3 commands and responses, multi-line bodies included.

use std::collections::VecDeque;
use std::io;

use bytes::{Buf as _, Bytes, BytesMut};
use mailwire_core::dot::{DotUnstuffer, Unstuffed};
use mailwire_pop3::{
    Command, CommandError, Decoded, MAX_RESPONSE_LINE, Response, ResponseError, parse_continuation,
};
use tokio_util::codec::{Decoder, Encoder};

use super::skip_line;

/// Why a POP3 stream could not be framed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pop3CodecError {
    /// Reading or writing failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// The server sent a line that is neither a response nor a SASL challenge, or one
    /// longer than the limit.
    #[error("invalid response: {0}")]
    Response(ResponseError),
}

/// The server side: decodes [`Command`]s (lines of up to 255 bytes, RFC 2449 §4), encodes
/// [`Response`] lines.
///
/// A malformed command, or one too long, is an item, `Err(CommandError)`, to be answered
/// with `-ERR`; the stream goes on with the next line. The lines a client sends during a
/// SASL exchange are not commands and are not decoded here. Multi-line response bodies are
/// written with [`mailwire_core::dot::DotStuffer`] into the framed sink's buffer, or with
/// the server session.
///
/// ```
/// use bytes::BytesMut;
/// use mailwire_pop3::{Command, CommandError, MessageNumber};
/// use tokio_util::codec::Decoder;
/// use mailwire_tokio::codec::Pop3ServerCodec;
///
/// let mut codec = Pop3ServerCodec::new();
/// let mut buf = BytesMut::from(&b"RETR 1\r\nRETR x\r\n"[..]);
/// let first = codec.decode(&mut buf).unwrap().unwrap();
/// assert_eq!(first, Ok(Command::Retr { message: MessageNumber::new(1).unwrap() }));
/// let second = codec.decode(&mut buf).unwrap().unwrap();
/// assert_eq!(second, Err(CommandError::InvalidNumber));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Pop3ServerCodec {
    /// Inside a line that was too long, whose end has not arrived.
    skipping: bool,
}

impl Pop3ServerCodec {
    /// A codec.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Decoder for Pop3ServerCodec {
    type Item = Result<Command, CommandError>;
    type Error = Pop3CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        if self.skipping {
            if !skip_line(src) {
                return Ok(None);
            }
            self.skipping = false;
        }
        match Command::decode(src) {
            Decoded::Incomplete => Ok(None),
            Decoded::Complete { value, consumed } => {
                src.advance(consumed);
                Ok(Some(Ok(value)))
            }
            Decoded::Invalid {
                error: error @ CommandError::LineTooLong { .. },
                ..
            } => {
                self.skipping = !skip_line(src);
                Ok(Some(Err(error)))
            }
            Decoded::Invalid { error, consumed } => {
                src.advance(consumed);
                Ok(Some(Err(error)))
            }
        }
    }
}

impl Encoder<Response> for Pop3ServerCodec {
    type Error = Pop3CodecError;

    fn encode(&mut self, item: Response, dst: &mut BytesMut) -> Result<(), Self::Error> {
        item.encode(dst);
        Ok(())
    }
}

impl Encoder<&Response> for Pop3ServerCodec {
    type Error = Pop3CodecError;

    fn encode(&mut self, item: &Response, dst: &mut BytesMut) -> Result<(), Self::Error> {
        item.encode(dst);
        Ok(())
    }
}

/// What [`Pop3ClientCodec`] decodes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pop3Frame {
    /// A status line: the greeting, or the answer to a command.
    Response(Response),
    /// A SASL challenge during `AUTH`: the base64 text after `+ `.
    Continuation(Bytes),
    /// A piece of a multi-line response's body, unstuffed, line endings kept. Pieces are
    /// not aligned to lines; their concatenation is the body.
    Data(Bytes),
    /// The `.` line that ends a multi-line response.
    End,
}

/// The client side: encodes [`Command`]s, decodes the server's responses, bodies included.
///
/// The codec remembers which commands it encoded, in order, so it knows which `+OK`
/// starts a multi-line body (`LIST`, `UIDL`, `RETR`, `TOP`, `CAPA`): such a body comes out
/// as [`Pop3Frame::Data`] pieces, unstuffed, then [`Pop3Frame::End`]. The first response
/// is taken as the greeting. Commands written to the stream other than through this codec
/// are unknown to it.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use mailwire_pop3::{Command, MessageNumber};
/// use tokio_util::codec::{Decoder, Encoder};
/// use mailwire_tokio::codec::{Pop3ClientCodec, Pop3Frame};
///
/// let mut codec = Pop3ClientCodec::new();
/// let mut out = BytesMut::new();
/// codec.encode(Command::Retr { message: MessageNumber::new(1).unwrap() }, &mut out).unwrap();
/// assert_eq!(&out[..], b"RETR 1\r\n");
///
/// let mut buf = BytesMut::from(&b"+OK ready\r\n+OK\r\n..hi\r\n.\r\n"[..]);
/// assert!(matches!(codec.decode(&mut buf).unwrap(), Some(Pop3Frame::Response(r)) if r.text() == "ready"));
/// assert!(matches!(codec.decode(&mut buf).unwrap(), Some(Pop3Frame::Response(r)) if r.is_ok()));
/// assert_eq!(codec.decode(&mut buf).unwrap(), Some(Pop3Frame::Data(Bytes::from_static(b".hi\r\n"))));
/// assert_eq!(codec.decode(&mut buf).unwrap(), Some(Pop3Frame::End));
/// ```
#[derive(Debug, Clone)]
pub struct Pop3ClientCodec {
    max_line: usize,
    greeted: bool,
    /// For each command sent and not yet answered: whether `+OK` starts a body.
    expect: VecDeque<bool>,
    body: Option<DotUnstuffer>,
    end_pending: bool,
}

impl Pop3ClientCodec {
    /// A codec accepting status lines of up to 512 bytes (RFC 2449 §4).
    pub fn new() -> Self {
        Self::with_max_line(MAX_RESPONSE_LINE)
    }

    /// A codec accepting status lines of up to `max_line` bytes, CRLF included.
    pub fn with_max_line(max_line: usize) -> Self {
        Self {
            max_line,
            greeted: false,
            expect: VecDeque::new(),
            body: None,
            end_pending: false,
        }
    }
}

impl Default for Pop3ClientCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder for Pop3ClientCodec {
    type Item = Pop3Frame;
    type Error = Pop3CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        if std::mem::take(&mut self.end_pending) {
            return Ok(Some(Pop3Frame::End));
        }
        if let Some(unstuffer) = &mut self.body {
            if src.is_empty() {
                return Ok(None);
            }
            let mut data = BytesMut::new();
            let done = match unstuffer.decode(src, &mut data) {
                Unstuffed::Partial => {
                    src.clear();
                    false
                }
                Unstuffed::Done { consumed } => {
                    src.advance(consumed);
                    self.body = None;
                    true
                }
            };
            return Ok(match (data.is_empty(), done) {
                (true, false) => None,
                (true, true) => Some(Pop3Frame::End),
                (false, done) => {
                    self.end_pending = done;
                    Some(Pop3Frame::Data(data.freeze()))
                }
            });
        }
        match Response::decode_with_limit(src, self.max_line) {
            Decoded::Incomplete => Ok(None),
            Decoded::Complete { value, consumed } => {
                src.advance(consumed);
                let multiline = if std::mem::replace(&mut self.greeted, true) {
                    self.expect.pop_front().unwrap_or(false)
                } else {
                    false
                };
                if multiline && value.is_ok() {
                    self.body = Some(DotUnstuffer::new());
                }
                Ok(Some(Pop3Frame::Response(value)))
            }
            Decoded::Invalid {
                error: ResponseError::Status,
                consumed,
            } => {
                // A SASL challenge is a line of its own grammar, framed the same way.
                let line = src.split_to(consumed);
                let text = line.strip_suffix(b"\r\n").unwrap_or(&line);
                match parse_continuation(text) {
                    Some(challenge) => Ok(Some(Pop3Frame::Continuation(Bytes::copy_from_slice(
                        challenge,
                    )))),
                    None => Err(Pop3CodecError::Response(ResponseError::Status)),
                }
            }
            Decoded::Invalid { error, consumed } => {
                src.advance(consumed.min(src.len()));
                Err(Pop3CodecError::Response(error))
            }
        }
    }
}

impl Encoder<Command> for Pop3ClientCodec {
    type Error = Pop3CodecError;

    fn encode(&mut self, item: Command, dst: &mut BytesMut) -> Result<(), Self::Error> {
        Encoder::<&Command>::encode(self, &item, dst)
    }
}

impl Encoder<&Command> for Pop3ClientCodec {
    type Error = Pop3CodecError;

    fn encode(&mut self, item: &Command, dst: &mut BytesMut) -> Result<(), Self::Error> {
        item.encode(dst);
        self.expect.push_back(item.has_multiline_response());
        Ok(())
    }
}
