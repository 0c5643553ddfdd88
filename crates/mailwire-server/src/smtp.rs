//! The SMTP and LMTP server: each connection's session, answered by an [`Authenticator`]
//! and a [`Delivery`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;

use mailwire_sasl::Mechanism;
use mailwire_smtp::server::{Config, Event, Session};
use mailwire_smtp::{ForwardPath, Reply, ReversePath};
use mailwire_tokio::{Connection, Next};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::login::Login;
use crate::nonce::nonce;
use crate::service::PerSecurity;
use crate::trace;
use crate::{
    Accepted, Authenticator, Client, Delivery, Security, Service, Throttle, Transaction,
    next_event_or_shutdown,
};

/// An SMTP server (or, with [`Config::lmtp`], an LMTP server): serves connections handed
/// to it by a listener, asking `auth` about logins and handing mail to `delivery`.
///
/// The session configuration is taken as given, except that STARTTLS is offered exactly
/// on [`Security::StartTls`] listeners and implicit TLS is set on [`Security::Implicit`]
/// ones. A fresh nonce is given to every CRAM-MD5 and SCRAM-SHA-256 exchange.
///
/// Each message reaches the delivery with a [`trace::received`] field on top (RFC 5321
/// §4.4: every server that takes a message adds one), naming the client, this host
/// ([`Config::hostname`]), the protocol, a fresh identifier that the server's `message`
/// log event repeats, and the time.
#[derive(Debug)]
pub struct SmtpServer<A, D> {
    configs: PerSecurity<Config>,
    hostname: String,
    auth: Arc<A>,
    delivery: Arc<D>,
    throttle: Arc<Throttle>,
    nonces: bool,
}

impl<A: Authenticator, D: Delivery> SmtpServer<A, D> {
    /// A server with this session configuration. Failed logins are throttled by
    /// `throttle`, which the application shares between its servers.
    pub fn new(config: Config, auth: Arc<A>, delivery: Arc<D>, throttle: Arc<Throttle>) -> Self {
        let nonces = config
            .auth_mechanisms
            .iter()
            .any(|m| matches!(m, Mechanism::CramMd5 | Mechanism::ScramSha256));
        let hostname = config.hostname.to_string();
        let configs = PerSecurity::new(config, |c, security| {
            c.starttls = security == Security::StartTls;
            c.implicit_tls = security == Security::Implicit;
        });
        Self {
            configs,
            hostname,
            auth,
            delivery,
            throttle,
            nonces,
        }
    }
}

impl<A: Authenticator, D: Delivery> Service for SmtpServer<A, D> {
    fn protocol(&self) -> &'static str {
        if self.configs.get(Security::Plain).lmtp {
            "lmtp"
        } else {
            "smtp"
        }
    }

    fn refusal(&self) -> &'static [u8] {
        b"421 4.7.0 Too many connections, try again later\r\n"
    }

    async fn serve<IO>(self: Arc<Self>, accepted: Accepted<IO>) -> Result<(), mailwire_tokio::Error>
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Accepted {
            stream,
            peer,
            security,
            tls,
            shutdown,
            ..
        } = accepted;
        let config = Arc::clone(self.configs.get(security));
        let lmtp = config.lmtp;
        let mut session = Session::new(config);
        if self.nonces {
            session.set_auth_nonce(nonce());
        }
        let mut conn = Connection::new(stream, session, tls);
        let mut state = Transfer::new(&self, peer, security == Security::Implicit);
        loop {
            let event = match next_event_or_shutdown(&mut conn, &shutdown).await? {
                Next::Event(event) => event,
                Next::Woken(()) => {
                    tracing::info!("shutting down");
                    conn.session_mut().shutdown();
                    continue;
                }
                Next::Closed => break,
            };
            state.tls |= conn.session().is_tls();
            state.handle(conn.session_mut(), event, lmtp).await;
            if self.nonces && state.nonce_used {
                conn.session_mut().set_auth_nonce(nonce());
                state.nonce_used = false;
            }
        }
        Ok(())
    }
}

/// One connection's state between events: who the client is and the transaction under
/// way.
struct Transfer<'a, A: Authenticator, D: Delivery> {
    server: &'a SmtpServer<A, D>,
    login: Login<A>,
    client: Client,
    transaction: Option<D::Transaction>,
    /// The trace of the transaction under way.
    message: Message,
    /// Why the body under way will not be delivered, once a piece of it was refused.
    refused: Option<Reply>,
    tls: bool,
    nonce_used: bool,
}

impl<'a, A: Authenticator, D: Delivery> Transfer<'a, A, D> {
    fn new(server: &'a SmtpServer<A, D>, peer: SocketAddr, tls: bool) -> Self {
        Self {
            server,
            login: Login::new(
                Arc::clone(&server.auth),
                Arc::clone(&server.throttle),
                peer.ip(),
            ),
            client: Client {
                peer: peer.ip(),
                hello: String::new(),
                user: None,
                tls,
            },
            transaction: None,
            message: Message::default(),
            refused: None,
            tls,
            nonce_used: false,
        }
    }

    async fn handle(&mut self, session: &mut Session, event: Event, lmtp: bool) {
        self.client.tls = self.tls;
        let answered = match event {
            Event::Hello { host, verb } => {
                tracing::debug!(%verb, %host, "hello");
                self.client.hello = host.to_string();
                self.abandon();
                Ok(())
            }
            Event::Mail { from, params } => {
                self.abandon();
                match self
                    .server
                    .delivery
                    .mail(&self.client, &from, &params)
                    .await
                {
                    Ok(transaction) => {
                        tracing::debug!(%from, "sender accepted");
                        self.transaction = Some(transaction);
                        self.message = Message::new();
                        session.accept()
                    }
                    Err(reply) => {
                        tracing::info!(%from, %reply, "sender refused");
                        session.reject(reply)
                    }
                }
            }
            Event::Rcpt { to, params } => {
                let outcome = match self.transaction.as_mut() {
                    Some(t) => t.rcpt(&to, &params).await,
                    None => Err(local_error()),
                };
                match outcome {
                    Ok(()) => {
                        tracing::debug!(%to, "recipient accepted");
                        self.message.recipients += 1;
                        if self.message.recipients == 1 {
                            self.message.first = Some(to);
                        }
                        session.accept()
                    }
                    Err(reply) => {
                        tracing::info!(%to, %reply, "recipient refused");
                        session.reject(reply)
                    }
                }
            }
            Event::MessageData { chunk } => {
                self.data(chunk, lmtp).await;
                Ok(())
            }
            Event::Message {
                from,
                recipients,
                size,
            } => {
                self.finish(session, &from, recipients.len(), size, lmtp)
                    .await
            }
            Event::MessageAborted { reason } => {
                tracing::info!(?reason, "message dropped");
                self.abandon();
                Ok(())
            }
            Event::Reset => {
                self.abandon();
                Ok(())
            }
            Event::Auth { question } => {
                self.nonce_used = true;
                let answer = self.login.answer(question).await;
                session.answer_auth(answer)
            }
            Event::Authenticated { method, identity } => {
                self.login.succeeded(&method, &identity);
                self.client.user = Some(identity.acting_as().to_owned());
                Ok(())
            }
            Event::AuthFailed {
                method,
                user,
                error,
                failures,
            } => {
                self.nonce_used = true;
                self.login
                    .failed(&method, user.as_deref(), &error, failures);
                Ok(())
            }
            Event::Query { verb, query } => {
                tracing::debug!(%verb, ?query, "query");
                Ok(())
            }
            other => {
                tracing::debug!(event = ?other, "event");
                Ok(())
            }
        };
        if let Err(e) = answered {
            // The session asked exactly this question; a refusal here is a bug in this
            // file, and the client gets no answer rather than a wrong one.
            tracing::error!(error = %e, "session refused the answer");
        }
    }

    /// Hands the next piece of the body on, after the `Received:` field at its start.
    async fn data(&mut self, chunk: Bytes, lmtp: bool) {
        if !self.message.traced {
            self.message.traced = true;
            let field = trace::received(
                &self.client,
                &self.server.hostname,
                lmtp,
                &self.message.id,
                self.message
                    .first
                    .as_ref()
                    .filter(|_| self.message.recipients == 1),
                SystemTime::now(),
            );
            self.deliver(Bytes::from(field)).await;
        }
        if !chunk.is_empty() {
            self.deliver(chunk).await;
        }
    }

    /// Hands `chunk` to the transaction, unless a piece was refused before.
    async fn deliver(&mut self, chunk: Bytes) {
        if self.refused.is_none()
            && let Some(t) = self.transaction.as_mut()
            && let Err(reply) = t.data(chunk).await
        {
            self.refused = Some(reply);
        }
    }

    /// The body is complete: deliver it and answer.
    async fn finish(
        &mut self,
        session: &mut Session,
        from: &ReversePath,
        recipients: usize,
        size: u64,
        lmtp: bool,
    ) -> Result<(), mailwire_smtp::server::Error> {
        // An empty body still gets its trace field.
        self.data(Bytes::new(), lmtp).await;
        let refused = self.refused.take();
        let results = match (self.transaction.take(), refused) {
            (Some(t), None) => t.commit().await,
            (_, refused) => vec![Err(refused.unwrap_or_else(local_error)); recipients],
        };
        let delivered = results.iter().filter(|r| r.is_ok()).count();
        let id = &self.message.id;
        tracing::info!(%id, %from, size, recipients, delivered, "message");
        if lmtp {
            let replies = results
                .into_iter()
                .map(|r| r.map_or_else(|reply| reply, |()| delivered_reply()))
                .collect();
            return session.respond_per_recipient(replies);
        }
        // One reply for all recipients: a message delivered to any of them is accepted
        // (refusing it would have the client send it again to all); a failure for the
        // others is the delivery's to report, by a bounce.
        match results.into_iter().find_map(Result::err) {
            Some(reply) if delivered == 0 => session.reject(reply),
            Some(reply) => {
                tracing::warn!(%reply, "message accepted, but not for every recipient");
                session.accept()
            }
            None => session.accept(),
        }
    }

    fn abandon(&mut self) {
        self.transaction = None;
        self.refused = None;
    }
}

/// The trace of a transaction: its identifier, and its recipients so far.
#[derive(Debug, Default)]
struct Message {
    id: String,
    /// How many recipients were accepted, and the first of them.
    recipients: usize,
    first: Option<ForwardPath>,
    /// Whether the `Received:` field went ahead of the body.
    traced: bool,
}

impl Message {
    fn new() -> Self {
        Self {
            id: trace::message_id(),
            ..Self::default()
        }
    }
}

fn local_error() -> Reply {
    Reply::new(451, "4.3.0 Local error in processing").expect("a valid reply")
}

fn delivered_reply() -> Reply {
    Reply::new(250, "2.0.0 Delivered").expect("a valid reply")
}
