//! A minimal async IMAP client: log in, select, run any command and collect its answer,
//! through [`mailwire_imap::client::Session`].

use std::io;

use mailwire_imap::client::{self, Config, Event, Session};
use mailwire_imap::types::{Code, CommandBody, Completion, Condition, Data, Mailbox, Status, Text};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, ToSocketAddrs};

use crate::{Connection, Error, MaybeTlsStream, Tls};

/// Why an IMAP exchange did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImapError {
    /// The connection failed underneath the session.
    #[error(transparent)]
    Connection(#[from] Error),
    /// The TCP connection or the implicit TLS handshake could not be set up.
    #[error("cannot connect: {0}")]
    Connect(io::Error),
    /// Implicit TLS was asked for and no TLS settings were given.
    #[error("implicit TLS needs TLS settings")]
    TlsUnavailable,
    /// The command completed with `NO` or `BAD`.
    #[error("the server refused ({completion:?}): {text}")]
    Refused {
        /// `NO` or `BAD`.
        completion: Completion,
        /// The server's text.
        text: Text,
    },
    /// The server said BYE.
    #[error("the server said BYE: {0}")]
    Bye(Text),
    /// The session refused the call.
    #[error(transparent)]
    Usage(#[from] client::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
}

/// A command's successful completion and what answered it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Completed {
    /// The tagged response's code (`[READ-WRITE]` …).
    pub code: Option<Code>,
    /// The tagged response's text.
    pub text: Text,
    /// The untagged data that answered the command (`FETCH`, `EXISTS`, `LIST` …).
    pub data: Vec<Data>,
    /// Untagged status responses received while it ran.
    pub statuses: Vec<Status>,
}

/// A connection to an IMAP server.
///
/// Commands run one at a time here; the session underneath pipelines when given several.
/// Untagged data that no command asked for is kept until [`take_unsolicited`](Self::take_unsolicited).
#[derive(Debug)]
pub struct ImapClient<IO> {
    conn: Connection<Session, IO>,
    unsolicited: Vec<Data>,
}

impl ImapClient<TcpStream> {
    /// Connects over TCP; with `implicit_tls` the connection is TLS from the start (port
    /// 993). `tls` is also what [`starttls`](ImapClient::starttls) uses. `config` holds the
    /// session's limits, timeouts and whether a password may be sent without TLS
    /// ([`Config::plaintext_auth`], off by default).
    pub async fn connect(
        addr: impl ToSocketAddrs,
        config: Config,
        tls: Tls,
        implicit_tls: bool,
    ) -> Result<Self, ImapError> {
        if implicit_tls && !tls.is_available() {
            return Err(ImapError::TlsUnavailable);
        }
        let stream = MaybeTlsStream::connect(addr, &tls, implicit_tls)
            .await
            .map_err(ImapError::Connect)?;
        Self::start(stream, config, tls).await
    }
}

impl<IO> ImapClient<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Reads the server's greeting over `stream`, with the session configured by `config`;
    /// a stream that is already TLS counts as implicit TLS.
    pub async fn start(
        stream: MaybeTlsStream<IO>,
        mut config: Config,
        tls: Tls,
    ) -> Result<Self, ImapError> {
        config.tls |= stream.is_tls();
        let mut client = Self {
            conn: Connection::new(stream, Session::new(config), tls),
            unsolicited: Vec::new(),
        };
        loop {
            match client.next().await? {
                Event::Greeting {
                    condition: Condition::Bye,
                    text,
                } => return Err(ImapError::Bye(text)),
                Event::Greeting { .. } => return Ok(client),
                other => client.aside(other)?,
            }
        }
    }

    /// Upgrades the connection with STARTTLS.
    ///
    /// Without TLS settings the connection fails with [`Error::TlsUnavailable`] once the
    /// server accepts.
    pub async fn starttls(&mut self) -> Result<Completed, ImapError> {
        self.run(CommandBody::StartTls).await
    }

    /// `LOGIN`; refused with [`client::Error::PlaintextNotAllowed`] before TLS unless
    /// [`Config::plaintext_auth`] is set.
    pub async fn login(&mut self, username: &str, password: &str) -> Result<Completed, ImapError> {
        let tag = self.conn.session_mut().login(username, password)?;
        self.complete(&tag).await
    }

    /// `SELECT`: opens `mailbox` read-write.
    pub async fn select(&mut self, mailbox: Mailbox) -> Result<Completed, ImapError> {
        self.run(CommandBody::Select {
            mailbox,
            condstore: false,
        })
        .await
    }

    /// Runs any command and waits for its completion.
    pub async fn run(&mut self, body: CommandBody) -> Result<Completed, ImapError> {
        let tag = self.conn.session_mut().command(body)?;
        self.complete(&tag).await
    }

    /// `LOGOUT`, then waits for the server to close.
    pub async fn logout(mut self) -> Result<(), ImapError> {
        self.conn.session_mut().command(CommandBody::Logout)?;
        while self.conn.next_event().await?.is_some() {}
        Ok(())
    }

    /// Untagged data received outside any command (new messages, expunges, flag changes
    /// made elsewhere), oldest first; the list is emptied.
    pub fn take_unsolicited(&mut self) -> Vec<Data> {
        std::mem::take(&mut self.unsolicited)
    }

    /// The connection underneath, for what this API does not cover.
    pub fn connection_mut(&mut self) -> &mut Connection<Session, IO> {
        &mut self.conn
    }

    async fn complete(
        &mut self,
        wanted: &mailwire_imap::types::Tag,
    ) -> Result<Completed, ImapError> {
        loop {
            match self.next().await? {
                Event::Completed {
                    tag,
                    completion,
                    code,
                    text,
                    data,
                    statuses,
                    ..
                } if &tag == wanted => {
                    return match completion {
                        Completion::Ok => Ok(Completed {
                            code,
                            text,
                            data,
                            statuses,
                        }),
                        _ => Err(ImapError::Refused { completion, text }),
                    };
                }
                other => self.aside(other)?,
            }
        }
    }

    async fn next(&mut self) -> Result<Event, ImapError> {
        self.conn.next_event().await?.ok_or(ImapError::Closed)
    }

    /// Keeps or drops an event nobody waits for; BYE ends the conversation.
    fn aside(&mut self, event: Event) -> Result<(), ImapError> {
        match event {
            Event::Unsolicited(data) => self.unsolicited.push(data),
            Event::Bye { text } => return Err(ImapError::Bye(text)),
            _ => {}
        }
        Ok(())
    }
}
