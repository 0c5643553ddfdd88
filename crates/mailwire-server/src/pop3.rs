//! The POP3 server: each connection's session over a user's INBOX, a snapshot taken at
//! login (RFC 1939 §8: the maildrop does not change under a session).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use mailwire_pop3::server::{
    BodyFlow, Config, Deleted, Event, Maildrop, MessageInfo, Refusal, Session,
};
use mailwire_pop3::{MessageNumber, TimestampSequence, UniqueId};
use mailwire_sasl::Mechanism;
use mailwire_tokio::{Connection, Next};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

use crate::login::Login;
use crate::nonce::nonce;
use crate::service::Io;
use crate::service::PerSecurity;
use crate::store::{MailStore, Mailbox, Mailboxes, StoreError};
use crate::{Accepted, Authenticator, Security, Service, Throttle, next_event_or_shutdown};

/// The largest piece of a message read from the store and sent at once.
const CHUNK: usize = 64 * 1024;

/// A POP3 server over a [`MailStore`]: the maildrop is the user's `INBOX`.
///
/// A maildrop is locked for one session at a time within this server (RFC 1939 §8): a
/// second login gets `-ERR [IN-USE]` until the first session ends. Unique-ids are the
/// message's UID and the mailbox's UIDVALIDITY in hexadecimal, as Dovecot forms them, so
/// they stay the same across sessions and servers sharing a store. The session
/// configuration is taken as given, except that STLS is offered exactly on
/// [`Security::StartTls`] listeners and implicit TLS is set on [`Security::Implicit`] ones;
/// with [`Config::apop`] each greeting gets a fresh timestamp.
#[derive(Debug)]
pub struct Pop3Server<A, S> {
    configs: PerSecurity<Config>,
    auth: Arc<A>,
    store: Arc<S>,
    throttle: Arc<Throttle>,
    timestamps: Option<Mutex<TimestampSequence>>,
    nonces: bool,
    locked: Arc<Mutex<HashSet<String>>>,
}

impl<A: Authenticator, S: MailStore> Pop3Server<A, S> {
    /// A server with this session configuration. Failed logins are throttled by
    /// `throttle`, which the application shares between its servers.
    pub fn new(config: Config, auth: Arc<A>, store: Arc<S>, throttle: Arc<Throttle>) -> Self {
        let timestamps = config.apop.then(|| {
            // A host name the greeting cannot carry falls back to one it can.
            let sequence = TimestampSequence::new(u64::from(std::process::id()), &config.host)
                .or_else(|_| TimestampSequence::new(u64::from(std::process::id()), "localhost"))
                .expect("localhost is a valid timestamp host");
            Mutex::new(sequence)
        });
        let nonces = config
            .sasl_mechanisms
            .iter()
            .any(|m| matches!(m, Mechanism::CramMd5 | Mechanism::ScramSha256));
        let configs = PerSecurity::new(config, |c, security| {
            c.stls = security == Security::StartTls;
            c.implicit_tls = security == Security::Implicit;
        });
        Self {
            configs,
            auth,
            store,
            throttle,
            timestamps,
            nonces,
            locked: Arc::default(),
        }
    }

    fn session(&self, security: Security) -> Session {
        let mut session = Session::new(Arc::clone(self.configs.get(security)));
        if let Some(timestamps) = &self.timestamps {
            let clock = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let timestamp = timestamps
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .next(clock);
            session = session.with_apop_timestamp(timestamp);
        }
        if self.nonces {
            session.set_auth_nonce(nonce());
        }
        session
    }
}

impl<A: Authenticator, S: MailStore> Service for Pop3Server<A, S> {
    fn protocol(&self) -> &'static str {
        "pop3"
    }

    fn refusal(&self) -> &'static [u8] {
        b"-ERR [SYS/TEMP] Too many connections, try again later\r\n"
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
        let mut conn = Connection::new(stream, self.session(security), tls);
        let mut state = Pop3Conn::<A, S> {
            server: &self,
            login: Login::new(
                Arc::clone(&self.auth),
                Arc::clone(&self.throttle),
                peer.ip(),
            ),
            peer,
            open: None,
        };
        let result = loop {
            let event = match next_event_or_shutdown(&mut conn, &shutdown).await {
                Ok(Next::Event(event)) => event,
                Ok(Next::Woken(())) => {
                    tracing::info!("shutting down");
                    conn.session_mut().shutdown();
                    continue;
                }
                Ok(Next::Closed) => break Ok(()),
                Err(e) => break Err(e),
            };
            if let Err(e) = state.handle(&mut conn, event).await {
                break Err(e);
            }
        };
        state.release();
        result
    }
}

/// The maildrop a session has open.
struct Open<M> {
    user: String,
    mailbox: M,
    /// Each message's UID, by message number.
    uids: Vec<u32>,
}

/// One connection's state between events.
struct Pop3Conn<'a, A: Authenticator, S: MailStore> {
    server: &'a Pop3Server<A, S>,
    login: Login<A>,
    peer: SocketAddr,
    open: Option<Open<<S::Mailboxes as Mailboxes>::Mailbox>>,
}

impl<A: Authenticator, S: MailStore> Pop3Conn<'_, A, S> {
    async fn handle<IO: Io>(
        &mut self,
        conn: &mut Connection<Session, IO>,
        event: Event,
    ) -> Result<(), mailwire_tokio::Error> {
        let answered = match event {
            Event::Auth { question } => {
                let answer = self.login.answer(question).await;
                conn.session_mut().answer_auth(answer)
            }
            Event::Authenticated { method, identity } => {
                self.login.succeeded(&method, &identity);
                Ok(())
            }
            Event::AuthFailed {
                method,
                user,
                error,
                failures,
            } => {
                self.login
                    .failed(&method, user.as_deref(), &error, failures);
                if self.server.nonces {
                    conn.session_mut().set_auth_nonce(nonce());
                }
                Ok(())
            }
            Event::OpenMaildrop { user } => match self.open(&user).await {
                Ok(maildrop) => conn.session_mut().open_maildrop(maildrop),
                Err(refusal) => conn.session_mut().refuse_maildrop(refusal),
            },
            Event::Retrieve { message, .. } => return self.send(conn, message).await,
            Event::Top { message, .. } => return self.send(conn, message).await,
            Event::Update { deleted } => {
                let removed = self.update(&deleted).await;
                self.release();
                conn.session_mut().finish_update(removed)
            }
            Event::Abandoned => {
                self.release();
                Ok(())
            }
            other => {
                tracing::debug!(event = ?other, "event");
                Ok(())
            }
        };
        if let Err(e) = answered {
            tracing::error!(error = %e, "session refused the answer");
        }
        Ok(())
    }

    /// Locks and lists the user's INBOX.
    async fn open(&mut self, user: &str) -> Result<Maildrop, Refusal> {
        if !self.lock(user) {
            tracing::info!(user, "maildrop in use");
            return Err(Refusal::InUse);
        }
        let opened = async {
            let mailboxes = self.server.store.open(user).await?;
            mailboxes.select("INBOX", false).await
        }
        .await;
        let (mailbox, snapshot) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                self.unlock(user);
                tracing::error!(user, error = %e, "cannot open the maildrop");
                return Err(match e {
                    StoreError::Failed(_) | StoreError::Limit(_) => Refusal::SysTemp,
                    _ => Refusal::SysPerm,
                });
            }
        };
        let validity = snapshot.uid_validity.get();
        let mut uids = Vec::with_capacity(snapshot.messages.len());
        let mut infos = Vec::with_capacity(snapshot.messages.len());
        for m in &snapshot.messages {
            let Ok(unique_id) = UniqueId::new(format!("{:08X}{validity:08X}", m.uid)) else {
                continue;
            };
            uids.push(m.uid);
            infos.push(MessageInfo {
                size: u64::from(m.size),
                unique_id,
            });
        }
        tracing::info!(user, messages = uids.len(), "maildrop opened");
        self.open = Some(Open {
            user: user.to_owned(),
            mailbox,
            uids,
        });
        Ok(Maildrop::new(infos))
    }

    /// Streams a message for RETR or TOP, one piece at a time.
    async fn send<IO: Io>(
        &mut self,
        conn: &mut Connection<Session, IO>,
        message: MessageNumber,
    ) -> Result<(), mailwire_tokio::Error> {
        let content = match self.uid(message) {
            Some((open, uid)) => open.mailbox.content(uid, 0).await,
            None => Ok(None),
        };
        let Ok(Some(mut reader)) = content else {
            tracing::warn!(message = message.get(), "message cannot be read");
            let _ = conn.session_mut().fail_body();
            return Ok(());
        };
        let mut buf = vec![0; CHUNK];
        loop {
            let n = match reader.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(message = message.get(), error = %e, "reading a message failed");
                    let _ = conn.session_mut().fail_body();
                    return Ok(());
                }
            };
            if n == 0 {
                let _ = conn.session_mut().end_body();
                return Ok(());
            }
            let flow = conn.session_mut().send_body(&buf[..n]);
            conn.flush().await?;
            if !matches!(flow, Ok(BodyFlow::More)) {
                let _ = conn.session_mut().end_body();
                return Ok(());
            }
        }
    }

    /// Removes the messages marked with DELE.
    async fn update(&mut self, deleted: &[Deleted]) -> bool {
        let Some(open) = self.open.as_ref() else {
            return deleted.is_empty();
        };
        let uids: Vec<u32> = deleted
            .iter()
            .filter_map(|d| self.uid(d.message).map(|(_, uid)| uid))
            .collect();
        if uids.is_empty() {
            return true;
        }
        match open.mailbox.expunge(&uids).await {
            Ok(removed) => {
                tracing::info!(
                    user = open.user,
                    removed = removed.len(),
                    "maildrop updated"
                );
                true
            }
            Err(e) => {
                tracing::error!(user = open.user, error = %e, "cannot remove messages");
                false
            }
        }
    }

    fn uid(
        &self,
        message: MessageNumber,
    ) -> Option<(&Open<<S::Mailboxes as Mailboxes>::Mailbox>, u32)> {
        let open = self.open.as_ref()?;
        let i = usize::try_from(message.get()).ok()?.checked_sub(1)?;
        open.uids.get(i).map(|&uid| (open, uid))
    }

    fn lock(&self, user: &str) -> bool {
        self.server
            .locked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(user.to_owned())
    }

    fn unlock(&self, user: &str) {
        self.server
            .locked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(user);
    }

    /// Closes the maildrop and releases its lock.
    fn release(&mut self) {
        if let Some(open) = self.open.take() {
            self.unlock(&open.user);
            tracing::debug!(peer = %self.peer, user = open.user, "maildrop released");
        }
    }
}
