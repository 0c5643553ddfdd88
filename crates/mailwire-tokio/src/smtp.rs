//! An async SMTP client: connect, say EHLO, upgrade and authenticate as configured, send
//! messages, quit — all decided by [`mailwire_smtp::client::Session`].

use std::io;

use mailwire_smtp::EhloResponse;
use mailwire_smtp::client::{
    self, Config, Envelope, Event, Failure, MessageFailure, RecipientResult, Session, TlsPolicy,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::{TcpStream, ToSocketAddrs};

use crate::{Connection, Error, MaybeTlsStream, Tls};

/// How much of a message body is read and handed to the session at a time.
const BODY_CHUNK: usize = 64 * 1024;

/// Why an SMTP exchange did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpError {
    /// The connection failed underneath the session.
    #[error(transparent)]
    Connection(#[from] Error),
    /// The TCP connection or the implicit TLS handshake could not be set up.
    #[error("cannot connect: {0}")]
    Connect(io::Error),
    /// TLS is required and no TLS settings were given.
    #[error("TLS is required and no TLS settings were given")]
    TlsUnavailable,
    /// The connection cannot be used for mail.
    #[error("SMTP session failed: {}", describe_failure(.0))]
    Failed(Failure),
    /// The message was not sent; the connection can take the next one.
    #[error("message not sent: {}", describe_message_failure(.0))]
    Message(MessageFailure),
    /// The session refused the call (see [`client::Error`]).
    #[error(transparent)]
    Usage(#[from] client::Error),
    /// Reading the message to send failed; the connection is no longer usable.
    #[error("cannot read the message: {0}")]
    Body(io::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
}

/// A connection to an SMTP (or LMTP) server, ready for messages.
#[derive(Debug)]
pub struct SmtpClient<IO> {
    conn: Connection<Session, IO>,
    capabilities: Option<EhloResponse>,
}

impl SmtpClient<TcpStream> {
    /// Connects over TCP; with `implicit_tls` the connection is TLS from the start (port
    /// 465), otherwise STARTTLS is used as `config.tls` says.
    pub async fn connect(
        addr: impl ToSocketAddrs,
        config: Config,
        tls: Tls,
        implicit_tls: bool,
    ) -> Result<Self, SmtpError> {
        if implicit_tls && !tls.is_available() {
            return Err(SmtpError::TlsUnavailable);
        }
        let stream = MaybeTlsStream::connect(addr, &tls, implicit_tls)
            .await
            .map_err(SmtpError::Connect)?;
        Self::start(stream, config, tls).await
    }
}

impl<IO> SmtpClient<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Runs the start of the conversation over `stream` (greeting, EHLO, STARTTLS and AUTH
    /// as `config` says) and returns once messages can be sent.
    ///
    /// With [`Tls::None`], an opportunistic STARTTLS policy becomes "never" and a required
    /// one fails at once; a stream that is already TLS counts as implicit TLS.
    pub async fn start(
        stream: MaybeTlsStream<IO>,
        mut config: Config,
        tls: Tls,
    ) -> Result<Self, SmtpError> {
        config.implicit_tls |= stream.is_tls();
        if !tls.is_available() && !config.implicit_tls {
            match config.tls {
                TlsPolicy::Required => return Err(SmtpError::TlsUnavailable),
                _ => config.tls = TlsPolicy::Never,
            }
        }
        let mut conn = Connection::new(stream, Session::new(config), tls);
        loop {
            match conn.next_event().await? {
                Some(Event::Ready { capabilities }) => {
                    return Ok(Self { conn, capabilities });
                }
                Some(Event::Failed { reason }) => {
                    wind_down(&mut conn).await;
                    return Err(SmtpError::Failed(reason));
                }
                Some(_) => {}
                None => return Err(SmtpError::Closed),
            }
        }
    }

    /// What the server offered in its EHLO reply; `None` if it only knew HELO.
    pub fn capabilities(&self) -> Option<&EhloResponse> {
        self.capabilities.as_ref()
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.conn.session().is_tls()
    }

    /// Sends one message, read from `message` (lines ending in CRLF, as it should arrive),
    /// and returns the outcome for each recipient of `envelope`, in order.
    ///
    /// The body streams through in pieces of 64 KiB, each written before the next is read.
    pub async fn send(
        &mut self,
        envelope: Envelope,
        mut message: impl AsyncRead + Unpin,
    ) -> Result<Vec<RecipientResult>, SmtpError> {
        self.conn.session_mut().send_mail(envelope)?;
        loop {
            match self.conn.next_event().await? {
                Some(Event::SendBody) => {
                    let mut chunk = vec![0; BODY_CHUNK];
                    loop {
                        let n = message.read(&mut chunk).await.map_err(SmtpError::Body)?;
                        if n == 0 {
                            break;
                        }
                        self.conn.session_mut().write_body(&chunk[..n])?;
                        self.conn.flush().await?;
                    }
                    self.conn.session_mut().finish_body()?;
                }
                Some(Event::MessageDone { results }) => return Ok(results),
                Some(Event::MessageFailed { reason }) => return Err(SmtpError::Message(reason)),
                Some(Event::Failed { reason }) => {
                    wind_down(&mut self.conn).await;
                    return Err(SmtpError::Failed(reason));
                }
                Some(_) => {}
                None => return Err(SmtpError::Closed),
            }
        }
    }

    /// Says QUIT and waits for the server to close.
    pub async fn quit(mut self) -> Result<(), SmtpError> {
        self.conn.session_mut().quit();
        while self.conn.next_event().await?.is_some() {}
        Ok(())
    }

    /// The connection underneath, for what this API does not cover.
    pub fn connection_mut(&mut self) -> &mut Connection<Session, IO> {
        &mut self.conn
    }
}

fn describe_failure(failure: &Failure) -> String {
    match failure {
        Failure::Greeting { reply } => format!("the server's greeting was {}", reply_text(reply)),
        Failure::Hello { reply } => format!("EHLO and HELO were refused: {}", reply_text(reply)),
        Failure::TlsUnavailable => "the server does not offer STARTTLS, or refused it".into(),
        Failure::NoMechanism => {
            "the server offers no AUTH mechanism usable on this connection".into()
        }
        Failure::AuthFailed { reply } => format!("authentication failed: {}", reply_text(reply)),
        Failure::ServerNotVerified => "the server did not prove it knows the password".into(),
        Failure::ServiceClosing { reply } => {
            format!("the server is closing: {}", reply_text(reply))
        }
        Failure::Protocol => "the server broke the protocol".into(),
        Failure::ConnectionLost => "the connection closed or timed out".into(),
        other => format!("{other:?}"),
    }
}

fn describe_message_failure(failure: &MessageFailure) -> String {
    match failure {
        MessageFailure::TooBig { limit } => {
            format!("the message is larger than the server's limit of {limit} octets")
        }
        MessageFailure::EightBitUnsupported => {
            "the message is 8-bit and the server does not offer 8BITMIME".into()
        }
        MessageFailure::BinaryUnsupported => {
            "the message is binary and the server does not offer CHUNKING and BINARYMIME".into()
        }
        MessageFailure::Utf8Unsupported => {
            "the message needs SMTPUTF8 and the server does not offer it".into()
        }
        MessageFailure::RequireTlsUnsupported => {
            "REQUIRETLS was asked for and the server does not offer it over TLS".into()
        }
        MessageFailure::MailRejected { reply } => {
            format!("the server refused the sender: {}", reply_text(reply))
        }
        other => format!("{other:?}"),
    }
}

/// A reply on one line, without its CRLF.
fn reply_text(reply: &mailwire_smtp::Reply) -> String {
    reply.to_string().trim_end().replace("\r\n", " / ")
}

/// Lets a session that gave up send its QUIT and close, so the server sees a clean end.
async fn wind_down<IO>(conn: &mut Connection<Session, IO>)
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    // The connection is being abandoned: a failure here changes nothing for the caller.
    while let Ok(Some(_)) = conn.next_event().await {}
}
