//! The IMAP side: one user, whose INBOX is the Maildir.
//!
//! UIDs are kept in `mailwire-uidlist` beside the Maildir's folders: its first line holds
//! UIDVALIDITY and the next UID, each further line a UID and the message's unique name.
//! A message gets its UID the first time an IMAP connection lists the folder.

use std::collections::BTreeMap;
use std::error::Error;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::net::TcpStream;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use mailwire::core::{Session as _, Transport, constant_time_eq};
use mailwire::imap::server::{
    Config, Event, ListEntry, MailboxSnapshot, MailboxUpdate, MessageInfo, Session, StoredMessage,
};
use mailwire::imap::types::{
    Date, DateTime, Delimiter, Flag, ListMailbox, Mailbox, MailboxAttribute, StatusAttribute,
    StatusItem,
};
use mailwire::mime::DateTime as Instant;
use mailwire::sasl::{AuthAnswer, AuthQuestion};

use crate::Account;
use crate::driver::drive;
use crate::maildir::{Maildir, Stored};

/// The session settings this server uses.
pub(crate) fn config() -> Config {
    let mut config = Config::default();
    // Without TLS in this example, LOGIN must be allowed in clear; the server listens on
    // loopback by default.
    config.plaintext_auth = true;
    config.starttls = false;
    config
}

/// The UIDs of the Maildir's messages, shared by every IMAP connection.
#[derive(Debug)]
pub(crate) struct Uids {
    file: PathBuf,
    state: Mutex<UidState>,
}

#[derive(Debug)]
struct UidState {
    validity: NonZeroU32,
    next: u32,
    by_name: BTreeMap<String, u32>,
}

impl Uids {
    /// Reads the UID list under `root`, or starts one.
    pub(crate) fn open(root: &Path) -> io::Result<Self> {
        let file = root.join("mailwire-uidlist");
        let state = match fs::read_to_string(&file) {
            Ok(text) => parse_uidlist(&text).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} is damaged", file.display()),
                )
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(1, |d| d.as_secs());
                UidState {
                    validity: NonZeroU32::new(u32::try_from(now).unwrap_or(u32::MAX))
                        .unwrap_or(NonZeroU32::MIN),
                    next: 1,
                    by_name: BTreeMap::new(),
                }
            }
            Err(e) => return Err(e),
        };
        Ok(Self {
            file,
            state: Mutex::new(state),
        })
    }

    /// Gives every listed message a UID, forgets the ones that are gone, and returns the
    /// messages with their UIDs, ascending, with UIDVALIDITY and the next UID.
    fn assign(&self, messages: Vec<Stored>) -> io::Result<Listing> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut changed = false;
        let mut listed = Vec::with_capacity(messages.len());
        for m in messages {
            let uid = match state.by_name.get(&m.unique) {
                Some(&uid) => uid,
                None => {
                    let uid = state.next;
                    state.next += 1;
                    state.by_name.insert(m.unique.clone(), uid);
                    changed = true;
                    uid
                }
            };
            listed.push((uid, m));
        }
        let before = state.by_name.len();
        state
            .by_name
            .retain(|name, _| listed.iter().any(|(_, m)| &m.unique == name));
        changed |= state.by_name.len() != before;
        if changed {
            let mut text = format!("{} {}\n", state.validity, state.next);
            for (name, uid) in &state.by_name {
                text.push_str(&format!("{uid} {name}\n"));
            }
            let tmp = self.file.with_extension("tmp");
            fs::write(&tmp, text)?;
            fs::rename(&tmp, &self.file)?;
        }
        listed.sort_by_key(|(uid, _)| *uid);
        Ok(Listing {
            validity: state.validity,
            next: NonZeroU32::new(state.next).unwrap_or(NonZeroU32::MIN),
            messages: listed,
        })
    }
}

fn parse_uidlist(text: &str) -> Option<UidState> {
    let mut lines = text.lines();
    let (validity, next) = lines.next()?.split_once(' ')?;
    let mut state = UidState {
        validity: validity.parse().ok()?,
        next: next.parse().ok()?,
        by_name: BTreeMap::new(),
    };
    for line in lines {
        let (uid, name) = line.split_once(' ')?;
        let uid: u32 = uid.parse().ok()?;
        if uid == 0 || uid >= state.next {
            return None;
        }
        state.by_name.insert(name.to_owned(), uid);
    }
    Some(state)
}

/// The Maildir as one IMAP connection sees it at one moment.
#[derive(Debug)]
struct Listing {
    validity: NonZeroU32,
    next: NonZeroU32,
    messages: Vec<(u32, Stored)>,
}

impl Listing {
    fn find(&self, uid: u32) -> Option<&Stored> {
        self.messages
            .binary_search_by_key(&uid, |(u, _)| *u)
            .ok()
            .map(|i| &self.messages[i].1)
    }
}

/// IMAP flags from Maildir info letters.
fn flags_of(letters: &str) -> Vec<Flag> {
    letters
        .chars()
        .filter_map(|c| match c {
            'D' => Some(Flag::Draft),
            'F' => Some(Flag::Flagged),
            'R' => Some(Flag::Answered),
            'S' => Some(Flag::Seen),
            'T' => Some(Flag::Deleted),
            _ => None,
        })
        .collect()
}

/// Maildir info letters from IMAP flags; keywords have no letter and are dropped.
fn letters_of(flags: &[Flag]) -> String {
    flags
        .iter()
        .filter_map(|f| match f {
            Flag::Draft => Some('D'),
            Flag::Flagged => Some('F'),
            Flag::Answered => Some('R'),
            Flag::Seen => Some('S'),
            Flag::Deleted => Some('T'),
            _ => None,
        })
        .collect()
}

/// INTERNALDATE from a file's modification time, in UTC.
fn internal_date(seconds: i64) -> DateTime {
    let c = Instant::from_timestamp(seconds, 0).civil();
    let small = |n: u32| u8::try_from(n).unwrap_or(0);
    u16::try_from(c.year)
        .ok()
        .and_then(|y| Date::new(y, small(c.month), small(c.day)).ok())
        .and_then(|d| DateTime::new(d, small(c.hour), small(c.minute), small(c.second), 0).ok())
        .or_else(|| DateTime::new(Date::new(1970, 1, 1).ok()?, 0, 0, 0, 0).ok())
        .expect("the epoch is a valid date-time")
}

/// Streams `len` octets of the file at `path` from `offset` on into the session's literal.
fn send_content(server: &mut Session, path: &Path, offset: u64, len: u64) -> io::Result<()> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut rest = file.take(len);
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = rest.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        server
            .send_content(&buf[..n])
            .map_err(|e| io::Error::other(e.to_string()))?;
    }
}

/// Whether LIST or LSUB with `reference` and `pattern` names INBOX, the one mailbox here.
fn lists_inbox(reference: &Mailbox, pattern: &ListMailbox) -> bool {
    pattern
        .under(reference)
        .matches(&Mailbox::Inbox, Delimiter::new('/').ok())
}

/// Serves one IMAP connection.
pub(crate) fn serve(
    mut stream: TcpStream,
    config: Arc<Config>,
    maildir: &Maildir,
    uids: &Uids,
    account: &Account,
) {
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut server = Session::new(config);
    let result = drive(&mut stream, &mut server, |server, event| {
        if let Err(e) = answer(server, event, maildir, uids, account) {
            eprintln!("imap {peer}: {e}");
            // A failed literal has closed the connection already.
            if server.transport() == Transport::Close {
                return;
            }
            if let Err(e) = server.reject("the mail folder cannot be read") {
                eprintln!("imap {peer}: {e}");
            }
        }
    });
    if let Err(e) = result {
        eprintln!("imap {peer}: {e}");
    }
}

/// Answers one event; an error (the Maildir could not be read, or an answer the session
/// did not take) is answered with NO by the caller.
fn answer(
    server: &mut Session,
    event: Event,
    maildir: &Maildir,
    uids: &Uids,
    account: &Account,
) -> Result<(), Box<dyn Error>> {
    let list = || -> io::Result<Listing> { uids.assign(maildir.messages()?) };
    match event {
        // LOGIN, and AUTHENTICATE PLAIN or LOGIN: the only mechanisms offered.
        Event::Auth {
            question:
                AuthQuestion::Password {
                    authcid,
                    authzid,
                    password,
                    ..
                },
        } => {
            let good = constant_time_eq(authcid.as_bytes(), account.user.as_bytes())
                & constant_time_eq(password.expose().as_bytes(), account.password.as_bytes())
                // The one user may act only as itself.
                & authzid.is_none_or(|z| z == account.user);
            server.answer_auth(if good {
                AuthAnswer::Accept
            } else {
                AuthAnswer::Reject
            })?;
        }
        Event::Auth { .. } => server.answer_auth(AuthAnswer::Reject)?,
        Event::Authenticated { .. } | Event::AuthFailed { .. } => {}
        Event::Select { mailbox, read_only } => {
            if mailbox != Mailbox::Inbox {
                server.reject("no such mailbox: this server keeps only INBOX")?;
                return Ok(());
            }
            let mut listing = list()?;
            let mut messages = Vec::with_capacity(listing.messages.len());
            for (uid, m) in &mut listing.messages {
                // The first session to select a message in new/ sees it as \Recent.
                let recent = m.new && !read_only;
                if recent {
                    m.path = maildir.set_flags(m, &m.flags)?;
                }
                messages.push(MessageInfo {
                    uid: *uid,
                    flags: flags_of(&m.flags),
                    recent,
                    internal_date: internal_date(m.modified),
                    size: u32::try_from(m.size).unwrap_or(u32::MAX),
                });
            }
            server.open_mailbox(MailboxSnapshot {
                uid_validity: listing.validity,
                uid_next: listing.next,
                flags: vec![
                    Flag::Answered,
                    Flag::Flagged,
                    Flag::Deleted,
                    Flag::Seen,
                    Flag::Draft,
                ],
                keywords_allowed: false,
                messages,
            })?;
        }
        Event::Messages { uids: wanted } => {
            let listing = list()?;
            let mut messages = Vec::with_capacity(wanted.len());
            for uid in wanted {
                let Some(m) = listing.find(uid) else { continue };
                let mut raw = Vec::with_capacity(usize::try_from(m.size).unwrap_or(0));
                // A message removed meanwhile (by POP3, or another IMAP client) is left out.
                if File::open(&m.path)
                    .and_then(|mut f| f.read_to_end(&mut raw))
                    .is_ok()
                {
                    messages.push(StoredMessage {
                        uid,
                        raw: raw.into(),
                    });
                }
            }
            server.provide_messages(messages)?;
        }
        Event::Content { uid, offset, len } => {
            // A literal once announced cannot be taken back: if the file cannot be read
            // (another client removed it meanwhile), the session closes the connection.
            let sent = list().and_then(|listing| {
                let m = listing
                    .find(uid)
                    .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
                send_content(server, &m.path, offset, len)
            });
            match sent {
                Ok(()) => server.end_content()?,
                Err(e) => {
                    server.fail_content()?;
                    return Err(e.into());
                }
            }
        }
        Event::StoreFlags {
            uids: wanted,
            change,
        } => {
            let listing = list()?;
            let mut stored = Vec::with_capacity(wanted.len());
            for uid in wanted {
                if let Some(m) = listing.find(uid) {
                    let flags = change.apply(&flags_of(&m.flags));
                    maildir.set_flags(m, &letters_of(&flags))?;
                    // Keywords have no Maildir letter: they last as long as the session.
                    stored.push((uid, flags));
                }
            }
            server.flags_stored(stored)?;
        }
        Event::Expunge { uids: gone } => {
            let listing = list()?;
            for uid in gone {
                if let Some(m) = listing.find(uid) {
                    match fs::remove_file(&m.path) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
                        _ => {}
                    }
                }
            }
            server.accept()?;
        }
        Event::Append { mailbox, messages } => {
            if mailbox != Mailbox::Inbox {
                server.reject("this server keeps only INBOX")?;
                return Ok(());
            }
            let mut names = Vec::new();
            for message in messages.iter() {
                let mut delivery = maildir.deliver()?;
                delivery.write(&message.data)?;
                names.push((delivery.commit()?, letters_of(&message.flags)));
            }
            let mut listing = list()?;
            let mut added = Vec::new();
            for (uid, m) in &mut listing.messages {
                if let Some((_, letters)) = names.iter().find(|(n, _)| *n == m.unique) {
                    m.path = maildir.set_flags(m, letters)?;
                    added.push((*uid, flags_of(letters), internal_date(m.modified), m.size));
                }
            }
            if server.selected() == Some(&Mailbox::Inbox) {
                for (uid, flags, date, size) in &added {
                    server.notify(MailboxUpdate::Appended {
                        uid: *uid,
                        flags: flags.clone(),
                        recent: false,
                        internal_date: *date,
                        size: u32::try_from(*size).unwrap_or(u32::MAX),
                    });
                }
            }
            let new: Vec<u32> = added.iter().map(|(uid, ..)| *uid).collect();
            server.accept_append(listing.validity, &new)?;
        }
        Event::List {
            reference, pattern, ..
        } => {
            let mut entries = Vec::new();
            let delimiter = Delimiter::new('/').ok();
            if pattern.as_bytes().is_empty() {
                // RFC 3501 §6.3.8: an empty pattern asks for the delimiter and root.
                if let Ok(root) = Mailbox::new("") {
                    entries.push(ListEntry {
                        attributes: vec![MailboxAttribute::NoSelect],
                        delimiter,
                        mailbox: root,
                    });
                }
            } else if lists_inbox(&reference, &pattern) {
                entries.push(ListEntry {
                    attributes: vec![MailboxAttribute::HasNoChildren],
                    delimiter,
                    mailbox: Mailbox::Inbox,
                });
            }
            server.list(entries)?;
        }
        Event::Status {
            mailbox,
            attributes,
        } => {
            if mailbox != Mailbox::Inbox {
                server.reject("no such mailbox: this server keeps only INBOX")?;
                return Ok(());
            }
            let listing = list()?;
            let count = |f: &dyn Fn(&Stored) -> bool| {
                u32::try_from(listing.messages.iter().filter(|(_, m)| f(m)).count())
                    .unwrap_or(u32::MAX)
            };
            let items = attributes
                .iter()
                .filter_map(|a| match a {
                    StatusAttribute::Messages => Some(StatusItem::Messages(count(&|_| true))),
                    StatusAttribute::Recent => Some(StatusItem::Recent(count(&|m| m.new))),
                    StatusAttribute::UidNext => Some(StatusItem::UidNext(listing.next.get())),
                    StatusAttribute::UidValidity => {
                        Some(StatusItem::UidValidity(listing.validity.get()))
                    }
                    StatusAttribute::Unseen => {
                        Some(StatusItem::Unseen(count(&|m| !m.flags.contains('S'))))
                    }
                    _ => None,
                })
                .collect();
            server.status(items)?;
        }
        Event::Copy { .. } | Event::Manage(_) => {
            server.reject("this server keeps only INBOX")?;
        }
        _ => {
            server.reject("not supported by this server")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_patterns() {
        let root = Mailbox::new("").unwrap();
        let p = |s: &str| ListMailbox::new(s).unwrap();
        for pattern in ["*", "%", "IN%", "in*", "inbox", "*X"] {
            assert!(lists_inbox(&root, &p(pattern)), "{pattern}");
        }
        assert!(lists_inbox(&Mailbox::new("IN").unwrap(), &p("%")));
        assert!(!lists_inbox(&root, &p("INBOX/*")));
        assert!(!lists_inbox(&root, &p("%/%")));
        assert!(!lists_inbox(&Mailbox::new("Archive/").unwrap(), &p("*")));
        // Patterns a backtracking matcher could not finish.
        assert!(lists_inbox(
            &root,
            &ListMailbox::new("%".repeat(40_000)).unwrap()
        ));
        assert!(!lists_inbox(
            &root,
            &ListMailbox::new("*".repeat(1000) + "Z").unwrap()
        ));
    }

    #[test]
    fn internal_dates_are_utc() {
        let date = |s| internal_date(s);
        assert_eq!(
            date(1_714_548_600),
            DateTime::new(Date::new(2024, 5, 1).unwrap(), 7, 30, 0, 0).unwrap()
        );
        assert_eq!(
            date(0),
            DateTime::new(Date::new(1970, 1, 1).unwrap(), 0, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn uid_lists_are_read_and_damage_is_refused() {
        let state = parse_uidlist("1700000000 5\n1 a.mailwire\n4 b.mailwire\n").unwrap();
        assert_eq!((state.validity.get(), state.next), (1_700_000_000, 5));
        assert_eq!(
            state.by_name.into_iter().collect::<Vec<_>>(),
            [("a.mailwire".to_owned(), 1), ("b.mailwire".to_owned(), 4)]
        );
        // A UID at or above the next one, UIDVALIDITY 0, or a line without a name.
        assert!(parse_uidlist("1700000000 5\n5 a.mailwire\n").is_none());
        assert!(parse_uidlist("0 5\n").is_none());
        assert!(parse_uidlist("1700000000 5\n3\n").is_none());
    }

    #[test]
    fn maildir_letters_and_imap_flags() {
        assert_eq!(
            flags_of("DFRST"),
            [
                Flag::Draft,
                Flag::Flagged,
                Flag::Answered,
                Flag::Seen,
                Flag::Deleted
            ]
        );
        assert_eq!(letters_of(&flags_of("DFRST")), "DFRST");
        assert_eq!(flags_of("a"), []);
    }
}
