//! SMTP commands and replies.

use std::io;

use bytes::{Buf as _, BytesMut};
use mailwire_smtp::{Command, CommandError, Decoded, MAX_COMMAND_LINE_LEN, Reply, ReplyError};
use tokio_util::codec::{Decoder, Encoder};

/// Why an SMTP stream could not be framed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpCodecError {
    /// Reading or writing failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// A command line is longer than the codec's limit. Its end is unknown, so the stream
    /// cannot go on; a server answers `500` and closes.
    #[error("command line longer than {limit} bytes")]
    LineTooLong {
        /// The limit, CRLF included.
        limit: usize,
    },
    /// The server sent something that is not a reply.
    #[error("invalid reply: {0}")]
    Reply(ReplyError),
}

/// The server side: decodes [`Command`]s, encodes [`Reply`]s.
///
/// A malformed but complete command line is an item, `Err(CommandError)`, whose
/// [`reply`](CommandError::reply) is the answer to send; the stream goes on after it.
///
/// ```
/// use bytes::BytesMut;
/// use mailwire_smtp::{Command, ReversePath};
/// use tokio_util::codec::Decoder;
/// use mailwire_tokio::codec::SmtpServerCodec;
///
/// let mut codec = SmtpServerCodec::new();
/// let mut buf = BytesMut::from(&b"MAIL FROM:<a@b.example>\r\nRCP"[..]);
/// let Some(Ok(Command::Mail { from, .. })) = codec.decode(&mut buf).unwrap() else { panic!() };
/// assert_eq!(from, ReversePath::parse("<a@b.example>").unwrap());
/// assert!(codec.decode(&mut buf).unwrap().is_none());
/// assert_eq!(&buf[..], b"RCP");
/// ```
#[derive(Debug, Clone)]
pub struct SmtpServerCodec {
    max_line: usize,
}

impl SmtpServerCodec {
    /// A codec with the RFC 5321 §4.5.3.1.4 limit of 512 bytes per command line.
    pub fn new() -> Self {
        Self::with_max_line(MAX_COMMAND_LINE_LEN)
    }

    /// A codec accepting command lines of up to `max_line` bytes, CRLF included (AUTH
    /// lines with a large initial response may need more than 512).
    pub fn with_max_line(max_line: usize) -> Self {
        Self { max_line }
    }
}

impl Default for SmtpServerCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder for SmtpServerCodec {
    type Item = Result<Command, CommandError>;
    type Error = SmtpCodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        let too_long = SmtpCodecError::LineTooLong {
            limit: self.max_line,
        };
        match Command::decode(src) {
            Decoded::Incomplete if src.len() >= self.max_line => Err(too_long),
            Decoded::Incomplete => Ok(None),
            Decoded::Complete { consumed, .. } | Decoded::Invalid { consumed, .. }
                if consumed > self.max_line =>
            {
                Err(too_long)
            }
            Decoded::Complete { value, consumed } => {
                src.advance(consumed);
                Ok(Some(Ok(value)))
            }
            Decoded::Invalid { error, consumed } => {
                src.advance(consumed);
                Ok(Some(Err(error)))
            }
        }
    }
}

impl Encoder<Reply> for SmtpServerCodec {
    type Error = SmtpCodecError;

    fn encode(&mut self, item: Reply, dst: &mut BytesMut) -> Result<(), Self::Error> {
        item.encode(dst);
        Ok(())
    }
}

impl Encoder<&Reply> for SmtpServerCodec {
    type Error = SmtpCodecError;

    fn encode(&mut self, item: &Reply, dst: &mut BytesMut) -> Result<(), Self::Error> {
        item.encode(dst);
        Ok(())
    }
}

/// The client side: decodes [`Reply`]s (multi-line ones whole, up to
/// [`MAX_REPLY_LEN`](mailwire_smtp::MAX_REPLY_LEN) bytes), encodes [`Command`]s.
///
/// ```
/// use bytes::BytesMut;
/// use mailwire_smtp::Command;
/// use tokio_util::codec::{Decoder, Encoder};
/// use mailwire_tokio::codec::SmtpClientCodec;
///
/// let mut codec = SmtpClientCodec::new();
/// let mut buf = BytesMut::from(&b"250-mx.example.org\r\n250 PIPELINING\r\n"[..]);
/// let reply = codec.decode(&mut buf).unwrap().unwrap();
/// assert_eq!(reply.lines().collect::<Vec<_>>(), ["mx.example.org", "PIPELINING"]);
///
/// let mut out = BytesMut::new();
/// codec.encode(Command::Quit, &mut out).unwrap();
/// assert_eq!(&out[..], b"QUIT\r\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct SmtpClientCodec {
    _private: (),
}

impl SmtpClientCodec {
    /// A codec.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Decoder for SmtpClientCodec {
    type Item = Reply;
    type Error = SmtpCodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        match Reply::decode(src) {
            Decoded::Incomplete => Ok(None),
            Decoded::Complete { value, consumed } => {
                src.advance(consumed);
                Ok(Some(value))
            }
            Decoded::Invalid { error, consumed } => {
                src.advance(consumed);
                Err(SmtpCodecError::Reply(error))
            }
        }
    }
}

impl Encoder<Command> for SmtpClientCodec {
    type Error = SmtpCodecError;

    fn encode(&mut self, item: Command, dst: &mut BytesMut) -> Result<(), Self::Error> {
        item.encode(dst);
        Ok(())
    }
}

impl Encoder<&Command> for SmtpClientCodec {
    type Error = SmtpCodecError;

    fn encode(&mut self, item: &Command, dst: &mut BytesMut) -> Result<(), Self::Error> {
        item.encode(dst);
        Ok(())
    }
}
