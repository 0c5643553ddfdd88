//! IMAP commands and responses, literals included.

use std::io;

use bytes::{Buf as _, BytesMut};
use mailwire_imap::codec::{
    DecodeError, Decoded, Fragment, Limits, LiteralMode, decode_command, decode_response,
    encode_command, encode_response,
};
use mailwire_imap::types::{Command, Response, Tag};
use tokio_util::codec::{Decoder, Encoder};

use super::skip_line;

/// Why an IMAP stream could not be framed or a command not encoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImapCodecError {
    /// Reading or writing failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// A message is still incomplete after this many bytes, more than the codec buffers.
    #[error("message longer than {limit} bytes")]
    MessageTooLarge {
        /// The codec's limit.
        limit: usize,
    },
    /// The peer sent a literal over the limit without waiting for permission: its data
    /// is on the way and the stream cannot be framed past it. A server answers `* BYE`.
    #[error("non-synchronising literal of {length} bytes over the limit of {limit}")]
    LiteralTooLarge {
        /// The command's tag, if it could be read.
        tag: Option<Tag>,
        /// The announced length.
        length: u64,
        /// The limit.
        limit: u32,
    },
    /// The server sent something that is not a response.
    #[error("invalid response: {0}")]
    Response(DecodeError),
    /// The command holds a synchronising literal, which must wait for the server's `+`:
    /// encode its [`Fragment`]s one at a time instead.
    #[error("command needs a continuation before its literal; send it fragment by fragment")]
    SyncLiteral,
}

/// What [`ImapServerCodec`] decodes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImapCommandFrame {
    /// A complete command.
    Command(Command),
    /// The client announced a synchronising literal and waits: answer with a continuation
    /// request (`+ …`) to receive the data, or refuse the command with its tag (the client
    /// then sends nothing more for it, and the codec must be told with
    /// [`ImapServerCodec::refuse_literal`]). Reported once per literal.
    LiteralAnnounced {
        /// The command's tag.
        tag: Tag,
        /// The announced length, within the limit.
        length: u32,
    },
    /// A malformed command, or one over a limit; answer it with `BAD` (using its tag when it
    /// has one). The stream goes on with the next command.
    Invalid(DecodeError),
}

/// The server side: decodes commands with their literals under [`Limits`], encodes
/// [`Response`]s.
///
/// ```
/// use bytes::BytesMut;
/// use mailwire_imap::types::CommandBody;
/// use tokio_util::codec::Decoder;
/// use mailwire_tokio::codec::{ImapCommandFrame, ImapServerCodec};
///
/// let mut codec = ImapServerCodec::default();
/// let mut buf = BytesMut::from(&b"a1 LOGIN {3}\r\n"[..]);
/// let Some(ImapCommandFrame::LiteralAnnounced { length: 3, .. }) = codec.decode(&mut buf).unwrap()
/// else { panic!() };
/// assert_eq!(codec.decode(&mut buf).unwrap(), None);
/// buf.extend_from_slice(b"tim tanstaaf\r\n");
/// let Some(ImapCommandFrame::Command(c)) = codec.decode(&mut buf).unwrap() else { panic!() };
/// assert!(matches!(c.body, CommandBody::Login { .. }));
/// ```
#[derive(Debug, Clone)]
pub struct ImapServerCodec {
    limits: Limits,
    max_message: usize,
    /// Where the data of the literal last reported as announced starts.
    announced: Option<usize>,
    /// Inside a line that was too long, whose end has not arrived.
    skipping: bool,
}

impl ImapServerCodec {
    /// A codec with these limits. A whole command is buffered before it is decoded, so one
    /// command may take at most one literal's limit plus two lines'.
    pub fn new(limits: Limits) -> Self {
        Self {
            max_message: max_message(&limits),
            limits,
            announced: None,
            skipping: false,
        }
    }

    /// Drops the command whose synchronising literal was refused: the client sends no
    /// data for it.
    pub fn refuse_literal(&mut self, src: &mut BytesMut) {
        if let Some(position) = self.announced.take() {
            src.advance(position.min(src.len()));
        }
    }
}

impl Default for ImapServerCodec {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

fn max_message(limits: &Limits) -> usize {
    usize::try_from(limits.max_literal)
        .unwrap_or(usize::MAX)
        .saturating_add(limits.max_line.saturating_mul(2))
}

impl Decoder for ImapServerCodec {
    type Item = ImapCommandFrame;
    type Error = ImapCodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        if self.skipping {
            if !skip_line(src) {
                return Ok(None);
            }
            self.skipping = false;
        }
        match decode_command(src, &self.limits) {
            Ok(Decoded::Complete { value, consumed }) => {
                src.advance(consumed);
                self.announced = None;
                Ok(Some(ImapCommandFrame::Command(value)))
            }
            Ok(Decoded::Incomplete) if src.len() > self.max_message => {
                Err(ImapCodecError::MessageTooLarge {
                    limit: self.max_message,
                })
            }
            Ok(Decoded::Incomplete) => Ok(None),
            Ok(Decoded::LiteralAnnounced {
                tag,
                length,
                position,
            }) => {
                if self.announced == Some(position) {
                    return Ok(None);
                }
                self.announced = Some(position);
                Ok(Some(ImapCommandFrame::LiteralAnnounced { tag, length }))
            }
            Err(DecodeError::LiteralTooLarge {
                tag,
                length,
                limit,
                sync: false,
                ..
            }) => Err(ImapCodecError::LiteralTooLarge { tag, length, limit }),
            Err(error) => {
                self.announced = None;
                match &error {
                    DecodeError::LineTooLong { .. } => self.skipping = !skip_line(src),
                    DecodeError::LiteralTooLarge { skip, .. }
                    | DecodeError::Syntax { skip, .. } => {
                        src.advance((*skip).min(src.len()));
                    }
                    // Any other error names how much to skip in a way this codec does not
                    // know: the end of the line is the safe guess.
                    _ => self.skipping = !skip_line(src),
                }
                Ok(Some(ImapCommandFrame::Invalid(error)))
            }
        }
    }
}

impl Encoder<Response> for ImapServerCodec {
    type Error = ImapCodecError;

    fn encode(&mut self, item: Response, dst: &mut BytesMut) -> Result<(), Self::Error> {
        Encoder::<&Response>::encode(self, &item, dst)
    }
}

impl Encoder<&Response> for ImapServerCodec {
    type Error = ImapCodecError;

    fn encode(&mut self, item: &Response, dst: &mut BytesMut) -> Result<(), Self::Error> {
        let mut out = Vec::new();
        encode_response(item, &mut out);
        dst.extend_from_slice(&out);
        Ok(())
    }
}

/// The client side: decodes [`Response`]s (the greeting included, as an untagged status)
/// under [`Limits::for_client`], encodes commands.
///
/// A command whose literals are all non-synchronising (with the [`LiteralMode`] the
/// server's `LITERAL+` / `LITERAL-` allows) is encoded whole. One with a synchronising
/// literal is refused with [`ImapCodecError::SyncLiteral`]: encode it with
/// [`encode_command`] and send its [`Fragment`]s through this codec one by one, waiting for
/// the server's continuation request before each synchronising literal.
///
/// ```
/// use bytes::BytesMut;
/// use mailwire_imap::types::{Command, CommandBody, Response, Tag};
/// use tokio_util::codec::{Decoder, Encoder};
/// use mailwire_tokio::codec::ImapClientCodec;
///
/// let mut codec = ImapClientCodec::default();
/// let mut out = BytesMut::new();
/// let noop = Command::new(Tag::new("a1").unwrap(), CommandBody::Noop);
/// codec.encode(noop, &mut out).unwrap();
/// assert_eq!(&out[..], b"a1 NOOP\r\n");
///
/// let mut buf = BytesMut::from(&b"a1 OK done\r\n"[..]);
/// assert!(matches!(codec.decode(&mut buf).unwrap(), Some(Response::Tagged(_))));
/// ```
#[derive(Debug, Clone)]
pub struct ImapClientCodec {
    limits: Limits,
    max_message: usize,
    mode: LiteralMode,
}

impl ImapClientCodec {
    /// A codec with these limits, announcing literals as `mode` says.
    pub fn new(limits: Limits, mode: LiteralMode) -> Self {
        Self {
            max_message: max_message(&limits),
            limits,
            mode,
        }
    }

    /// Changes how literals are announced, once the server's capabilities are known.
    pub fn set_literal_mode(&mut self, mode: LiteralMode) {
        self.mode = mode;
    }
}

impl Default for ImapClientCodec {
    fn default() -> Self {
        Self::new(Limits::for_client(), LiteralMode::Sync)
    }
}

impl Decoder for ImapClientCodec {
    type Item = Response;
    type Error = ImapCodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        match decode_response(src, &self.limits) {
            Ok(Decoded::Complete { value, consumed }) => {
                src.advance(consumed);
                Ok(Some(value))
            }
            Ok(Decoded::Incomplete | Decoded::LiteralAnnounced { .. })
                if src.len() > self.max_message =>
            {
                Err(ImapCodecError::MessageTooLarge {
                    limit: self.max_message,
                })
            }
            Ok(Decoded::Incomplete | Decoded::LiteralAnnounced { .. }) => Ok(None),
            Err(error) => Err(ImapCodecError::Response(error)),
        }
    }
}

impl Encoder<Command> for ImapClientCodec {
    type Error = ImapCodecError;

    fn encode(&mut self, item: Command, dst: &mut BytesMut) -> Result<(), Self::Error> {
        Encoder::<&Command>::encode(self, &item, dst)
    }
}

impl Encoder<&Command> for ImapClientCodec {
    type Error = ImapCodecError;

    fn encode(&mut self, item: &Command, dst: &mut BytesMut) -> Result<(), Self::Error> {
        let encoded = encode_command(item, self.mode);
        if encoded
            .fragments()
            .any(|f| matches!(f, Fragment::Literal { sync: true, .. }))
        {
            return Err(ImapCodecError::SyncLiteral);
        }
        dst.extend_from_slice(encoded.as_bytes());
        Ok(())
    }
}

impl Encoder<Fragment<'_>> for ImapClientCodec {
    type Error = ImapCodecError;

    fn encode(&mut self, item: Fragment<'_>, dst: &mut BytesMut) -> Result<(), Self::Error> {
        match item {
            Fragment::Line(bytes) | Fragment::Literal { data: bytes, .. } => {
                dst.extend_from_slice(bytes);
            }
        }
        Ok(())
    }
}
