//! Delivery through an LMTP server (RFC 2033), such as Dovecot's `lmtp`: each message
//! accepted is handed on, with one result per recipient.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::str::FromStr;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use mailwire_smtp::client::{Envelope, MessageFailure, RecipientDsn, RecipientResult};
use mailwire_smtp::{Body, ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};
use mailwire_tokio::connect::{Endpoint, Ports, Security};
use mailwire_tokio::smtp::{Config, SmtpClient, SmtpError};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::{mpsc, oneshot};

use crate::{Client, Delivery, Transaction};

/// Where an LMTP server listens: `HOST:PORT` over TCP, or `unix:/PATH`.
///
/// ```
/// use mailwire_server::LmtpTarget;
///
/// let tcp: LmtpTarget = "127.0.0.1:24".parse()?;
/// assert_eq!(tcp, LmtpTarget::Tcp("127.0.0.1:24".into()));
/// let unix: LmtpTarget = "unix:/run/dovecot/lmtp".parse()?;
/// assert_eq!(unix, LmtpTarget::Unix("/run/dovecot/lmtp".into()));
/// assert_eq!(unix.to_string(), "unix:/run/dovecot/lmtp");
/// assert!("no-port".parse::<LmtpTarget>().is_err());
/// # Ok::<(), mailwire_server::BadLmtpTarget>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LmtpTarget {
    /// `host:port` or `[v6]:port`.
    Tcp(String),
    /// The path of a Unix socket.
    Unix(PathBuf),
}

/// A string that is neither `HOST:PORT` nor `unix:/PATH`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid LMTP server {given:?}: expected HOST:PORT or unix:/PATH")]
pub struct BadLmtpTarget {
    /// What was given.
    pub given: String,
}

impl FromStr for LmtpTarget {
    type Err = BadLmtpTarget;

    fn from_str(s: &str) -> Result<Self, BadLmtpTarget> {
        let bad = || BadLmtpTarget {
            given: s.to_owned(),
        };
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(bad());
            }
            return Ok(Self::Unix(PathBuf::from(path)));
        }
        // LMTP has no well-known port (RFC 2033 §5 forbids port 25): one must be given.
        let endpoint = Endpoint::parse(s, Ports::new(0, 0), Security::Plaintext);
        match endpoint {
            Ok(e) if e.port != 0 => Ok(Self::Tcp(s.to_owned())),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for LmtpTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(server) => f.write_str(server),
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// A [`Delivery`] that hands each message to an LMTP server, over a connection of its
/// own, and gives each recipient the LMTP server's reply for it.
///
/// The connection is opened once the recipients are known (at the first piece of the
/// body) and the body streams through as it arrives, a few pieces buffered at most. A
/// server that cannot be reached gives every recipient `451 4.4.1`, and a connection lost
/// before the replies `451 4.4.2`: temporary failures, which the client is to retry. The
/// LMTP server's own replies are passed on as they are (a `452` stays temporary). A
/// transaction dropped without a commit closes its connection before the end of the data,
/// so the LMTP server delivers nothing of it.
///
/// Behind an [`SmtpServer`](crate::SmtpServer) speaking LMTP each reply reaches the client
/// as it is. Behind one speaking SMTP, whose one reply after the data covers every
/// recipient, a message the LMTP server took for some recipients and refused for others is
/// accepted, and the refusals are only logged: nothing here retries them or reports them
/// to the sender. So an SMTP server queues its local mail first, as MTAs do: mailwire-relay's
/// `Intake` takes it (on disk before the `250`), and its `Relay` delivers the queued
/// recipients of its local domains through an `LmtpDelivery`, each one's reply retried
/// (`4xx`) or reported to the sender (`5xx`) on its own.
///
/// ```no_run
/// use mailwire_server::{LmtpDelivery, LmtpTarget};
///
/// let dovecot = LmtpDelivery::new("unix:/run/dovecot/lmtp".parse::<LmtpTarget>()?);
/// # Ok::<(), mailwire_server::BadLmtpTarget>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LmtpDelivery {
    /// Where the LMTP server listens.
    pub target: LmtpTarget,
    /// How to talk to it: [`Config::lmtp`] (no TLS, no AUTH) unless changed.
    pub config: Config,
}

impl LmtpDelivery {
    /// Delivery to the LMTP server at `target`, without TLS or AUTH.
    pub fn new(target: LmtpTarget) -> Self {
        Self {
            target,
            config: Config::lmtp(),
        }
    }
}

impl Delivery for LmtpDelivery {
    type Transaction = ToLmtp;

    async fn mail(
        &self,
        _client: &Client,
        from: &ReversePath,
        params: &MailParameters,
    ) -> Result<ToLmtp, Reply> {
        let mut envelope = Envelope::new(from.clone(), Vec::new());
        envelope.size = params.size;
        envelope.body = params.body.unwrap_or(Body::SevenBit);
        envelope.utf8_headers = params.smtputf8;
        envelope.dsn.ret = params.ret;
        envelope.dsn.envid.clone_from(&params.envid);
        Ok(ToLmtp {
            delivery: self.clone(),
            envelope: Some(envelope),
            recipients: 0,
            stage: Stage::Gathering,
        })
    }
}

/// A message on its way to the LMTP server.
#[derive(Debug)]
pub struct ToLmtp {
    delivery: LmtpDelivery,
    /// The envelope, until the connection is opened.
    envelope: Option<Envelope>,
    recipients: usize,
    stage: Stage,
}

#[derive(Debug)]
enum Stage {
    /// Recipients are coming; no connection yet.
    Gathering,
    /// The body is on its way to the client task.
    Sending {
        body: mpsc::Sender<Piece>,
        results: oneshot::Receiver<Result<Vec<RecipientResult>, SmtpError>>,
    },
    /// Every recipient gets this.
    Failed(Reply),
}

impl ToLmtp {
    /// Connects and starts the transaction in a task of its own, which reads the body
    /// from a channel as the SMTP side receives it.
    async fn start(&mut self) {
        if !matches!(self.stage, Stage::Gathering) {
            return;
        }
        let Some(envelope) = self.envelope.take() else {
            return;
        };
        let (body, pieces) = mpsc::channel(4);
        let (answer, results) = oneshot::channel();
        let pieces = Pieces {
            pieces,
            current: Bytes::new(),
            ended: false,
        };
        let config = self.delivery.config.clone();
        let connected = match &self.delivery.target {
            LmtpTarget::Tcp(server) => {
                SmtpClient::connect_with(server, config)
                    .await
                    .map(|client| {
                        tokio::spawn(send(client, envelope, pieces, answer));
                    })
            }
            #[cfg(unix)]
            LmtpTarget::Unix(path) => SmtpClient::connect_unix(path, config).await.map(|client| {
                tokio::spawn(send(client, envelope, pieces, answer));
            }),
            #[cfg(not(unix))]
            LmtpTarget::Unix(_) => Err(SmtpError::Connect(io::Error::new(
                io::ErrorKind::Unsupported,
                "no Unix sockets on this system",
            ))),
        };
        if let Err(e) = connected {
            tracing::warn!(target = %self.delivery.target, error = %e, "LMTP server unreachable");
            self.stage = Stage::Failed(unreachable());
            return;
        }
        self.stage = Stage::Sending { body, results };
    }
}

impl Transaction for ToLmtp {
    async fn rcpt(&mut self, to: &ForwardPath, params: &RcptParameters) -> Result<(), Reply> {
        let Some(envelope) = self.envelope.as_mut() else {
            return Err(local_error());
        };
        let i = envelope.recipients.len();
        envelope.recipients.push(to.clone());
        if params.notify.is_some() || params.orcpt.is_some() {
            envelope
                .dsn
                .recipients
                .resize_with(i, RecipientDsn::default);
            envelope
                .dsn
                .recipients
                .push(RecipientDsn::new(params.notify, params.orcpt.clone()));
        }
        self.recipients += 1;
        Ok(())
    }

    async fn data(&mut self, chunk: Bytes) -> Result<(), Reply> {
        self.start().await;
        match &self.stage {
            Stage::Sending { body, .. } => {
                // A closed channel means the LMTP side has finished early (every
                // recipient refused, or the connection lost): its result says which.
                let _ = body.send(Piece::Data(chunk)).await;
                Ok(())
            }
            Stage::Failed(reply) => Err(reply.clone()),
            Stage::Gathering => Err(local_error()),
        }
    }

    async fn commit(mut self) -> Vec<Result<(), Reply>> {
        self.start().await;
        let n = self.recipients;
        let all = |reply: Reply| vec![Err(reply); n];
        let (body, results) = match self.stage {
            Stage::Sending { body, results } => (body, results),
            Stage::Failed(reply) => return all(reply),
            Stage::Gathering => return all(local_error()),
        };
        let _ = body.send(Piece::End).await;
        drop(body);
        // The task gone without an answer (it panicked): nothing is known to be delivered.
        let Ok(sent) = results.await else {
            return all(local_error());
        };
        match sent {
            Ok(results) if results.len() == n => results
                .into_iter()
                .map(|r| {
                    if r.is_delivered() {
                        Ok(())
                    } else {
                        Err(r.reply)
                    }
                })
                .collect(),
            Ok(_) => all(local_error()),
            Err(e) => {
                tracing::warn!(target = %self.delivery.target, error = %e, "LMTP delivery failed");
                all(failure_reply(e))
            }
        }
    }
}

/// Sends the message whose body comes in `pieces`, tells the outcome to `answer`, and
/// says QUIT if the conversation is still in order.
async fn send<IO>(
    mut client: SmtpClient<IO>,
    envelope: Envelope,
    pieces: Pieces,
    answer: oneshot::Sender<Result<Vec<RecipientResult>, SmtpError>>,
) where
    IO: AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let sent = client.send_raw(envelope, pieces).await;
    let intact = match &sent {
        Ok(_) => true,
        Err(e) => e.connection_usable(),
    };
    // The receiver gone means the transaction was dropped: nothing to tell.
    let _ = answer.send(sent);
    if intact {
        // Delivery is decided; a failed QUIT changes nothing.
        let _ = client.quit().await;
    }
}

/// What an error of the LMTP exchange means for every recipient.
fn failure_reply(e: SmtpError) -> Reply {
    match e {
        SmtpError::Message(MessageFailure::MailRejected { reply }) => reply,
        SmtpError::Message(MessageFailure::TooBig { .. }) => reply(552, "5.3.4 message too big"),
        SmtpError::Message(_) => reply(554, "5.6.0 the mailbox server cannot take this message"),
        SmtpError::Connect(_) | SmtpError::BadServer(_) | SmtpError::Tls(_) => unreachable(),
        _ => reply(451, "4.4.2 connection to the mailbox server lost"),
    }
}

/// A reply from text known to be valid.
fn reply(code: u16, text: &str) -> Reply {
    Reply::new(code, text).expect("a valid reply")
}

fn unreachable() -> Reply {
    reply(451, "4.4.1 mailbox server unreachable, try again later")
}

fn local_error() -> Reply {
    reply(451, "4.3.0 local error in processing")
}

/// What the SMTP side hands the LMTP side.
#[derive(Debug)]
enum Piece {
    Data(Bytes),
    /// The body is complete; without it, a closed channel is an abandoned message.
    End,
}

/// The body as the LMTP client reads it: pieces from the channel, an end only when the
/// SMTP side says so, and an error (so that the final dot is never sent) when the
/// transaction is dropped without one.
struct Pieces {
    pieces: mpsc::Receiver<Piece>,
    current: Bytes,
    ended: bool,
}

impl AsyncRead for Pieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if !self.current.is_empty() {
                let n = self.current.len().min(buf.remaining());
                buf.put_slice(&self.current[..n]);
                self.current.advance(n);
                return Poll::Ready(Ok(()));
            }
            if self.ended {
                return Poll::Ready(Ok(()));
            }
            match ready!(self.pieces.poll_recv(cx)) {
                Some(Piece::Data(bytes)) => self.current = bytes,
                Some(Piece::End) => self.ended = true,
                None => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "the message was abandoned",
                    )));
                }
            }
        }
    }
}
