//! `tokio_util::codec` decoders and encoders for the protocols' wire messages, for
//! applications that want a [`Framed`](tokio_util::codec::Framed) stream of commands or
//! responses rather than a session.
//!
//! Each wraps the protocol crate's own `decode` and `encode`: a partial message is
//! `Ok(None)`, and every codec bounds what it buffers by the protocol's limits, so a peer
//! cannot make it hold more than one maximal message. Where the peer can send a message that
//! is malformed but framed (a bad command line), the server-side decoders hand it out as an
//! item so the application can answer it and go on; failures that leave the stream
//! unframeable are the decoder's error, which ends a `Framed` stream.
//!
//! Only messages are framed here. Message bodies that follow SMTP `DATA` are not commands:
//! take the stream back with `Framed::into_parts` and read them with
//! [`mailwire_core::dot::DotUnstuffer`], or use the sessions, which do all of this. POP3's
//! multi-line responses are handled by [`Pop3ClientCodec`], which knows from the commands
//! it encoded which responses have a body.

#[cfg(feature = "imap")]
mod imap;
#[cfg(feature = "pop3")]
mod pop3;
#[cfg(feature = "smtp")]
mod smtp;

#[cfg(feature = "imap")]
pub use imap::{ImapClientCodec, ImapCodecError, ImapCommandFrame, ImapServerCodec};
#[cfg(feature = "pop3")]
pub use pop3::{Pop3ClientCodec, Pop3CodecError, Pop3Frame, Pop3ServerCodec};
#[cfg(feature = "smtp")]
pub use smtp::{SmtpClientCodec, SmtpCodecError, SmtpServerCodec};

/// Drops input up to and including the next LF; true if one was found.
#[cfg(any(feature = "pop3", feature = "imap"))]
fn skip_line(src: &mut bytes::BytesMut) -> bool {
    use bytes::Buf as _;
    match src.iter().position(|&b| b == b'\n') {
        Some(lf) => {
            src.advance(lf + 1);
            true
        }
        None => {
            src.clear();
            false
        }
    }
}
