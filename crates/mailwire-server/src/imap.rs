//! The IMAP server: each connection's session over a user's [`Mailboxes`], with the
//! selected [`Mailbox`]'s change feed as the connection's wake-up.

use std::sync::Arc;

use bytes::Bytes;
use mailwire_imap::Session as _;
use mailwire_imap::server::{
    Config, Event, ListEntry, MailboxChange, MailboxSnapshot, MailboxUpdate, MessageInfo, Session,
    StoredMessage,
};
use mailwire_imap::types::{
    AppendMessage, Atom, Code, Delimiter, Flag, ListMailbox, Mailbox as MailboxName,
    MailboxAttribute, StatusAttribute, StatusItem,
};
use mailwire_sasl::Mechanism;
use mailwire_tokio::{Connection, Next};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

use crate::login::Login;
use crate::nonce::nonce;
use crate::service::Io;
use crate::service::PerSecurity;
use crate::store::{
    Change, MailStore, Mailbox, Mailboxes, MessageMeta, NewMessage, Snapshot, StoreError,
};
use crate::{Accepted, Authenticator, Security, Service, Throttle};

/// The largest piece of a message read from the store and sent at once.
const CHUNK: usize = 64 * 1024;

/// How often a command still arriving after a shutdown request is checked on.
const FINISHING_POLL: std::time::Duration = std::time::Duration::from_millis(10);

/// The hierarchy delimiter of every store's names.
const DELIMITER: char = '/';

/// An IMAP4rev1 server over a [`MailStore`].
///
/// FETCH of whole messages (`BODY[]`, `RFC822`, with or without a partial range) streams
/// the content from [`Mailbox::content`], one piece of at most 64 KiB at a time, written out
/// before the next is read. ENVELOPE, BODYSTRUCTURE, part sections and content SEARCH need
/// the message parsed: for those the content is read whole, one FETCH's messages at a time.
///
/// The selected mailbox's [`Mailbox::wait_changes`] wakes the connection whenever it waits
/// for the client, so a client in IDLE hears of new, expunged and re-flagged messages at
/// once, and every other client at the end of its next command, as RFC 3501 §5.2 allows.
/// NOOP and CHECK ask the store for its changes before they are answered
/// ([`Config::poll`]), so that a client polling with them sees what another process did
/// at once.
///
/// The session configuration is taken as given, except that STARTTLS is offered exactly on
/// [`Security::StartTls`] listeners and the connection counts as encrypted on
/// [`Security::Implicit`] ones, [`Config::poll`] is set; `CHILDREN` (RFC 3348) and
/// `SPECIAL-USE` (RFC 6154) are added to the capabilities, as LIST reports what the store
/// says of them.
#[derive(Debug)]
pub struct ImapServer<A, S> {
    configs: PerSecurity<Config>,
    auth: Arc<A>,
    store: Arc<S>,
    throttle: Arc<Throttle>,
    nonces: bool,
}

impl<A: Authenticator, S: MailStore> ImapServer<A, S> {
    /// The size of each connection's read buffer: small, as most IMAP connections sit idle
    /// and this is most of what each costs (an APPEND's literal takes more reads instead).
    pub const READ_BUFFER: usize = 4 * 1024;

    /// A server with this session configuration. Failed logins are throttled by
    /// `throttle`, which the application shares between its servers.
    pub fn new(mut config: Config, auth: Arc<A>, store: Arc<S>, throttle: Arc<Throttle>) -> Self {
        let nonces = config
            .mechanisms
            .iter()
            .any(|m| matches!(m, Mechanism::CramMd5 | Mechanism::ScramSha256));
        config.delimiter = DELIMITER;
        // NOOP and CHECK look at the store, so that they see what other processes did.
        config.poll = true;
        for extra in ["CHILDREN", "SPECIAL-USE"] {
            let capability = mailwire_imap::types::Capability::from_atom(
                Atom::new(extra).expect("a valid capability name"),
            );
            if !config.extra_capabilities.contains(&capability) {
                config.extra_capabilities.push(capability);
            }
        }
        let configs = PerSecurity::new(config, |c, security| {
            c.starttls = security == Security::StartTls;
            c.tls = security == Security::Implicit;
        });
        Self {
            configs,
            auth,
            store,
            throttle,
            nonces,
        }
    }
}

impl<A: Authenticator, S: MailStore> Service for ImapServer<A, S> {
    fn protocol(&self) -> &'static str {
        "imap"
    }

    fn refusal(&self) -> &'static [u8] {
        b"* BYE Too many connections, try again later\r\n"
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
        let mut session = Session::new(Arc::clone(self.configs.get(security)));
        if self.nonces {
            session.set_auth_nonce(nonce());
        }
        let mut conn = Connection::new(stream, session, tls).with_read_buffer(Self::READ_BUFFER);
        let mut state = ImapConn::<A, S> {
            server: &self,
            login: Login::new(
                Arc::clone(&self.auth),
                Arc::clone(&self.throttle),
                peer.ip(),
            ),
            mailboxes: None,
            selected: None,
        };
        loop {
            // After a shutdown request, a command that is arriving is let finish first.
            let finishing = shutdown.is_requested() && conn.session().receiving_command();
            let stop = async {
                if finishing {
                    tokio::time::sleep(FINISHING_POLL).await;
                } else {
                    shutdown.requested().await;
                }
            };
            let next = match &mut state.selected {
                Some(mailbox) => {
                    let wake = async {
                        tokio::select! {
                            changes = mailbox.wait_changes() => Wake::Changes(changes),
                            () = stop => Wake::Shutdown,
                        }
                    };
                    conn.next_event_or(wake).await?
                }
                None => {
                    conn.next_event_or(async {
                        stop.await;
                        Wake::Shutdown
                    })
                    .await?
                }
            };
            match next {
                Next::Event(event) => {
                    state.handle(&mut conn, event).await?;
                    // CLOSE, UNSELECT or a failed SELECT left the selected state.
                    if conn.session().selected().is_none() {
                        state.selected = None;
                    }
                }
                // UNSELECT leaves the selected state without an event.
                Next::Woken(Wake::Changes(_)) if conn.session().selected().is_none() => {
                    state.selected = None;
                }
                Next::Woken(Wake::Changes(changes)) => state.apply(&mut conn, changes),
                Next::Woken(Wake::Shutdown) if conn.session().receiving_command() => {}
                Next::Woken(Wake::Shutdown) => {
                    tracing::info!("shutting down");
                    conn.session_mut().shutdown();
                }
                Next::Closed => break,
            }
        }
        Ok(())
    }
}

/// Why a waiting connection woke up.
enum Wake {
    Changes(Result<Vec<Change>, StoreError>),
    Shutdown,
}

type Selected<S> = <<S as MailStore>::Mailboxes as Mailboxes>::Mailbox;

/// One connection's state between events.
struct ImapConn<'a, A: Authenticator, S: MailStore> {
    server: &'a ImapServer<A, S>,
    login: Login<A>,
    /// The user's mailboxes, once logged in.
    mailboxes: Option<S::Mailboxes>,
    /// The selected mailbox.
    selected: Option<Selected<S>>,
}

impl<A: Authenticator, S: MailStore> ImapConn<'_, A, S> {
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
                match self.server.store.open(identity.acting_as()).await {
                    Ok(mailboxes) => self.mailboxes = Some(mailboxes),
                    Err(e) => tracing::error!(error = %e, "cannot open the user's mailboxes"),
                }
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
            Event::Select { mailbox, read_only } => self.select(conn, &mailbox, read_only).await,
            Event::Messages { uids } => self.messages(conn, &uids).await,
            Event::Content { uid, offset, len } => {
                return self.content(conn, uid, offset, len).await;
            }
            Event::StoreFlags { uids, change } => {
                let stored = match &self.selected {
                    Some(m) => m.set_flags(&uids, change).await,
                    None => Err(StoreError::Gone),
                };
                match stored {
                    Ok(flags) => {
                        self.sync(conn, &uids).await;
                        conn.session_mut().flags_stored(flags)
                    }
                    Err(e) => refuse(conn, "STORE", &e),
                }
            }
            Event::Expunge { uids } => {
                let removed = match &self.selected {
                    Some(m) => m.expunge(&uids).await,
                    None => Err(StoreError::Gone),
                };
                match removed {
                    Ok(_) => {
                        self.sync(conn, &uids).await;
                        conn.session_mut().accept()
                    }
                    Err(e) => refuse(conn, "EXPUNGE", &e),
                }
            }
            Event::Copy {
                uids,
                destination,
                remove,
            } => {
                let placed = match &self.selected {
                    Some(m) => m.copy(&uids, &name(&destination), remove).await,
                    None => Err(StoreError::Gone),
                };
                if placed.is_ok() {
                    // A copy into the selected mailbox is reported with the command.
                    self.sync(conn, if remove { &uids } else { &[] }).await;
                }
                match placed {
                    Ok(c) if !c.uids.is_empty() => {
                        conn.session_mut().accept_copy(c.uid_validity, &c.uids)
                    }
                    Ok(_) => conn.session_mut().accept(),
                    Err(e) => refuse_trycreate(conn, "COPY", &e),
                }
            }
            Event::Append { mailbox, messages } => self.append(conn, &mailbox, messages).await,
            Event::List {
                reference,
                pattern,
                subscribed,
            } => self.list(conn, &reference, &pattern, subscribed).await,
            Event::Status {
                mailbox,
                attributes,
            } => {
                let status = match &self.mailboxes {
                    Some(m) => m.status(&name(&mailbox)).await,
                    None => Err(StoreError::NoPermission),
                };
                match status {
                    Ok(s) => {
                        let items = attributes
                            .iter()
                            .filter_map(|a| match a {
                                StatusAttribute::Messages => Some(StatusItem::Messages(s.messages)),
                                StatusAttribute::Recent => Some(StatusItem::Recent(s.recent)),
                                StatusAttribute::UidNext => {
                                    Some(StatusItem::UidNext(s.uid_next.get()))
                                }
                                StatusAttribute::UidValidity => {
                                    Some(StatusItem::UidValidity(s.uid_validity.get()))
                                }
                                StatusAttribute::Unseen => Some(StatusItem::Unseen(s.unseen)),
                                _ => None,
                            })
                            .collect();
                        conn.session_mut().status(items)
                    }
                    Err(e) => refuse(conn, "STATUS", &e),
                }
            }
            Event::Manage(change) => self.manage(conn, change).await,
            Event::Poll => {
                self.sync(conn, &[]).await;
                conn.session_mut().accept()
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

    /// Takes the selected mailbox's changes now, before a command that changed the mailbox
    /// is answered, so that its own effects (an APPEND's or COPY's new message) are reported
    /// with it. What the command reports itself — the flags of the messages it stored, the
    /// messages it expunged or moved, `own` — is left out.
    async fn sync<IO: Io>(&mut self, conn: &mut Connection<Session, IO>, own: &[u32]) {
        let Some(mailbox) = self.selected.as_mut() else {
            return;
        };
        let changes = mailbox.changes().await.map(|changes| {
            changes
                .into_iter()
                .filter(|c| match c {
                    Change::Expunged { uid } | Change::Flags { uid, .. } => !own.contains(uid),
                    _ => true,
                })
                .collect()
        });
        self.apply(conn, changes);
    }

    /// Tells the session of changes made elsewhere; it reports them when RFC 3501 allows.
    fn apply<IO: Io>(
        &mut self,
        conn: &mut Connection<Session, IO>,
        changes: Result<Vec<Change>, StoreError>,
    ) {
        match changes {
            Ok(changes) => {
                for change in changes {
                    let update = match change {
                        Change::Appended(meta) => {
                            let MessageInfo {
                                uid,
                                flags,
                                recent,
                                internal_date,
                                size,
                            } = info(meta);
                            MailboxUpdate::Appended {
                                uid,
                                flags,
                                recent,
                                internal_date,
                                size,
                            }
                        }
                        Change::Expunged { uid } => MailboxUpdate::Expunged { uid },
                        Change::Flags { uid, flags } => MailboxUpdate::Flags { uid, flags },
                    };
                    conn.session_mut().notify(update);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the selected mailbox is gone");
                self.selected = None;
                conn.session_mut()
                    .bye("Selected mailbox was deleted, have to disconnect");
            }
        }
    }

    async fn select<IO: Io>(
        &mut self,
        conn: &mut Connection<Session, IO>,
        mailbox: &MailboxName,
        read_only: bool,
    ) -> Result<(), mailwire_imap::server::Error> {
        // A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1).
        self.selected = None;
        let opened = match &self.mailboxes {
            Some(m) => m.select(&name(mailbox), read_only).await,
            None => Err(StoreError::NoPermission),
        };
        match opened {
            Ok((selected, snapshot)) => {
                self.selected = Some(selected);
                conn.session_mut().open_mailbox(mailbox_snapshot(snapshot))
            }
            Err(e) => refuse(conn, "SELECT", &e),
        }
    }

    /// Reads whole messages for the items that need them parsed.
    async fn messages<IO: Io>(
        &mut self,
        conn: &mut Connection<Session, IO>,
        uids: &[u32],
    ) -> Result<(), mailwire_imap::server::Error> {
        let Some(mailbox) = &self.selected else {
            return conn.session_mut().provide_messages(Vec::new());
        };
        let mut messages = Vec::with_capacity(uids.len());
        for &uid in uids {
            let mut reader = match mailbox.content(uid, 0).await {
                Ok(Some(reader)) => reader,
                // Expunged meanwhile: the session leaves it out.
                Ok(None) => continue,
                Err(e) => return refuse(conn, "FETCH", &e),
            };
            let mut raw = Vec::new();
            if let Err(e) = reader.read_to_end(&mut raw).await {
                return refuse(conn, "FETCH", &StoreError::failed(e));
            }
            messages.push(StoredMessage {
                uid,
                raw: Bytes::from(raw),
            });
        }
        conn.session_mut().provide_messages(messages)
    }

    /// Streams `len` octets of message `uid` from `offset` into the literal the session
    /// announced, one piece at a time.
    async fn content<IO: Io>(
        &mut self,
        conn: &mut Connection<Session, IO>,
        uid: u32,
        offset: u64,
        len: u64,
    ) -> Result<(), mailwire_tokio::Error> {
        let reader = match &self.selected {
            Some(m) => m.content(uid, offset).await,
            None => Ok(None),
        };
        let mut reader = match reader {
            Ok(Some(reader)) => reader.take(len),
            Ok(None) | Err(_) => {
                tracing::warn!(uid, "message content cannot be read");
                let _ = conn.session_mut().fail_content();
                return Ok(());
            }
        };
        // Allocated per literal: an idle connection keeps no buffer of this size.
        let mut buf = vec![0; CHUNK];
        loop {
            let n = match reader.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(uid, error = %e, "reading a message failed");
                    let _ = conn.session_mut().fail_content();
                    return Ok(());
                }
            };
            if n == 0 {
                let _ = conn.session_mut().end_content();
                return Ok(());
            }
            let _ = conn.session_mut().send_content(&buf[..n]);
            conn.flush().await?;
        }
    }

    async fn append<IO: Io>(
        &mut self,
        conn: &mut Connection<Session, IO>,
        mailbox: &MailboxName,
        messages: Vec<AppendMessage>,
    ) -> Result<(), mailwire_imap::server::Error> {
        let Some(mailboxes) = &self.mailboxes else {
            return refuse(conn, "APPEND", &StoreError::NoPermission);
        };
        let target = name(mailbox);
        let mut validity = None;
        let mut uids = Vec::with_capacity(messages.len());
        for m in messages {
            let new = NewMessage {
                flags: m.flags,
                internal_date: m.date,
                size: u32::try_from(m.data.len()).unwrap_or(u32::MAX),
            };
            match mailboxes.append(&target, new, &mut m.data.as_slice()).await {
                Ok(placed) => {
                    validity = Some(placed.uid_validity);
                    uids.extend(placed.uids);
                }
                Err(e) => return refuse_trycreate(conn, "APPEND", &e),
            }
        }
        tracing::debug!(mailbox = target, messages = uids.len(), "appended");
        // An APPEND to the selected mailbox is reported with the command (RFC 3501 §6.3.11).
        self.sync(conn, &[]).await;
        match validity {
            Some(v) => conn.session_mut().accept_append(v, &uids),
            None => conn.session_mut().accept(),
        }
    }

    async fn list<IO: Io>(
        &mut self,
        conn: &mut Connection<Session, IO>,
        reference: &MailboxName,
        pattern: &ListMailbox,
        subscribed: bool,
    ) -> Result<(), mailwire_imap::server::Error> {
        let delimiter = Delimiter::new(DELIMITER).ok();
        if pattern.as_bytes().is_empty() {
            // The delimiter and the reference's root (RFC 3501 §6.3.8).
            let root = reference
                .as_bytes()
                .iter()
                .position(|&b| b == DELIMITER as u8)
                .map_or(&b""[..], |i| &reference.as_bytes()[..=i]);
            let entry = ListEntry {
                attributes: vec![MailboxAttribute::NoSelect],
                delimiter,
                mailbox: MailboxName::new(root.to_vec()).unwrap_or(MailboxName::Inbox),
            };
            return conn.session_mut().list(vec![entry]);
        }
        let all = match &self.mailboxes {
            Some(m) => m.list().await,
            None => Err(StoreError::NoPermission),
        };
        let all = match all {
            Ok(all) => all,
            Err(e) => return refuse(conn, if subscribed { "LSUB" } else { "LIST" }, &e),
        };
        let pattern = pattern.under(reference);
        let matching = |name: &str| {
            MailboxName::new(name.as_bytes().to_vec())
                .ok()
                .filter(|m| pattern.matches(m, delimiter))
        };
        let entry = |attributes, mailbox| ListEntry {
            attributes,
            delimiter,
            mailbox,
        };
        let mut entries = Vec::new();
        if subscribed {
            let names: Vec<&str> = all
                .iter()
                .filter(|e| e.subscribed)
                .map(|e| e.name.as_str())
                .collect();
            for name in &names {
                if let Some(mailbox) = matching(name) {
                    entries.push(entry(Vec::new(), mailbox));
                    continue;
                }
                // RFC 3501 §6.3.9: with `%`, a subscribed child whose parent is not
                // subscribed shows the parent, flagged `\Noselect`, once.
                let parents = name.match_indices(DELIMITER).map(|(i, _)| &name[..i]);
                for parent in parents {
                    let shown = names.contains(&parent)
                        || entries
                            .iter()
                            .any(|e| e.mailbox.as_bytes() == parent.as_bytes());
                    if !shown && let Some(mailbox) = matching(parent) {
                        entries.push(entry(vec![MailboxAttribute::NoSelect], mailbox));
                    }
                }
            }
        } else {
            for e in all {
                // A subscribed name that does not exist is for LSUB only.
                if e.attributes.contains(&MailboxAttribute::NonExistent) {
                    continue;
                }
                if let Some(mailbox) = matching(&e.name) {
                    entries.push(entry(e.attributes, mailbox));
                }
            }
        }
        conn.session_mut().list(entries)
    }

    async fn manage<IO: Io>(
        &mut self,
        conn: &mut Connection<Session, IO>,
        change: MailboxChange,
    ) -> Result<(), mailwire_imap::server::Error> {
        let Some(mailboxes) = &self.mailboxes else {
            return refuse(conn, "mailbox change", &StoreError::NoPermission);
        };
        let (command, done) = match &change {
            MailboxChange::Create { mailbox } => {
                // A trailing delimiter only says the client means to create children
                // (RFC 3501 §6.3.3).
                let n = name(mailbox);
                let n = n.strip_suffix(DELIMITER).unwrap_or(&n);
                ("CREATE", mailboxes.create(n).await)
            }
            MailboxChange::Delete { mailbox } => ("DELETE", mailboxes.delete(&name(mailbox)).await),
            MailboxChange::Rename { from, to } => {
                ("RENAME", mailboxes.rename(&name(from), &name(to)).await)
            }
            MailboxChange::Subscribe { mailbox } => {
                ("SUBSCRIBE", mailboxes.subscribe(&name(mailbox), true).await)
            }
            MailboxChange::Unsubscribe { mailbox } => (
                "UNSUBSCRIBE",
                mailboxes.subscribe(&name(mailbox), false).await,
            ),
            _ => ("mailbox change", Err(StoreError::NoPermission)),
        };
        match done {
            Ok(()) => {
                tracing::debug!(?change, "mailbox changed");
                conn.session_mut().accept()
            }
            Err(e) => refuse(conn, command, &e),
        }
    }
}

/// A mailbox's name as the store knows it: the wire form, `INBOX` in upper case.
fn name(mailbox: &MailboxName) -> String {
    String::from_utf8_lossy(mailbox.as_bytes()).into_owned()
}

fn info(m: MessageMeta) -> MessageInfo {
    MessageInfo {
        uid: m.uid,
        flags: m.flags,
        recent: m.recent,
        internal_date: m.internal_date,
        size: m.size,
    }
}

fn mailbox_snapshot(s: Snapshot) -> MailboxSnapshot {
    let mut flags = vec![
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Seen,
        Flag::Draft,
    ];
    for k in s.keywords {
        if !flags.contains(&k) {
            flags.push(k);
        }
    }
    MailboxSnapshot {
        uid_validity: s.uid_validity,
        uid_next: s.uid_next,
        flags,
        keywords_allowed: s.keywords_allowed,
        messages: s.messages.into_iter().map(info).collect(),
    }
}

/// Refuses the pending command with the response code the store's error calls for.
fn refuse<IO: Io>(
    conn: &mut Connection<Session, IO>,
    command: &str,
    error: &StoreError,
) -> Result<(), mailwire_imap::server::Error> {
    let (code, text) = match error {
        StoreError::NoMailbox(_) => (code("NONEXISTENT"), "No such mailbox".to_owned()),
        StoreError::Exists(_) => (code("ALREADYEXISTS"), "Mailbox already exists".to_owned()),
        StoreError::BadName(n) => (code("CANNOT"), format!("Invalid mailbox name {n}")),
        StoreError::NoPermission => (code("NOPERM"), "Permission denied".to_owned()),
        StoreError::Limit(what) => (code("LIMIT"), format!("Over a limit: {what}")),
        StoreError::Gone => (None, "The mailbox is gone".to_owned()),
        other => {
            tracing::error!(command, error = %other, "store failure");
            (code("SERVERBUG"), "Internal error".to_owned())
        }
    };
    conn.session_mut()
        .reject_with(code, &format!("{command} failed: {text}"))
}

/// As [`refuse`], with `[TRYCREATE]` for a missing destination (RFC 3501 §6.3.11, §6.4.7).
fn refuse_trycreate<IO: Io>(
    conn: &mut Connection<Session, IO>,
    command: &str,
    error: &StoreError,
) -> Result<(), mailwire_imap::server::Error> {
    if matches!(error, StoreError::NoMailbox(_)) {
        return conn.session_mut().reject_with(
            Some(Code::TryCreate),
            &format!("{command} failed: no such mailbox"),
        );
    }
    refuse(conn, command, error)
}

/// An RFC 5530 response code by name.
fn code(atom: &str) -> Option<Code> {
    Atom::new(atom)
        .ok()
        .map(|name| Code::Other { name, text: None })
}
