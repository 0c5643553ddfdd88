//! A mail store over Maildir++ for mailwire-server, laid out as Dovecot lays it out, so
//! that Dovecot and mailwire can serve one Maildir, even at the same time, and a mailbox
//! keeps its UIDs and flags when it moves from one to the other.
//!
//! [`Maildir`] is one user's Maildir and implements mailwire-server's
//! [`Mailboxes`](mailwire_server::Mailboxes); [`MaildirStore`] gives each user a Maildir
//! under a root directory and implements [`MailStore`](mailwire_server::MailStore) and
//! [`Delivery`](mailwire_server::Delivery) (mail for users whose Maildir exists goes to
//! their INBOX).
//!
//! ```
//! use mailwire_maildir::Maildir;
//! use mailwire_server::store::{Change, NewMessage};
//! use mailwire_server::{Mailbox, Mailboxes};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let home = tempfile::tempdir().unwrap();
//! let maildir = Maildir::open(home.path().join("Maildir"))?;
//! let names: Vec<String> = maildir.list().await?.into_iter().map(|m| m.name).collect();
//! assert_eq!(names, ["Drafts", "INBOX", "Junk", "Sent", "Trash"]);
//!
//! // One connection selects INBOX; a delivery arrives.
//! let (mut inbox, snapshot) = maildir.select("INBOX", false).await?;
//! assert!(snapshot.messages.is_empty());
//! maildir.deliver(&mut &b"Subject: hi\n\nhello\n"[..], 19).await?;
//!
//! // The view learns of it, with CRLF line ends counted in its size.
//! let changes = inbox.wait_changes().await?;
//! let [Change::Appended(meta)] = changes.as_slice() else { panic!("{changes:?}") };
//! assert_eq!((meta.uid, meta.size, meta.recent), (1, 22, true));
//! # Ok::<(), mailwire_server::StoreError>(())
//! # }).unwrap();
//! ```
//!
//! # On disk
//!
//! - INBOX is the root (`cur/`, `new/`, `tmp/`); mailbox `a/b` is the directory `.a.b`
//!   beside it, with a `maildirfolder` file. Names stay in IMAP's modified UTF-7, as
//!   Dovecot keeps them; a `.` in a name is refused, as it is the separator on disk.
//! - Message files are named `<unique>,S=<size>,W=<CRLF size>:2,<flags>`, with the
//!   flags `D` (`\Draft`), `F` (`\Flagged`), `R` (`\Answered`), `S` (`\Seen`), `T`
//!   (`\Deleted`) and `a` to `z` for the keywords named in `dovecot-keywords` (so at most
//!   26 keywords per mailbox), `$Forwarded` among them as Dovecot keeps it; `P` (passed),
//!   which other programs write and Dovecot ignores, is read as `$Forwarded`. INTERNALDATE
//!   is the file's modification time.
//! - `dovecot-uidlist` (version 3) maps UIDs to file names and holds UIDVALIDITY and
//!   UIDNEXT; it is rewritten under `dovecot-uidlist.lock`, created exclusively and
//!   renamed over it, as Dovecot does, and a lock older than two minutes is taken for
//!   stale. A UID never changes while the mailbox keeps its UIDVALIDITY.
//! - `subscriptions` in the root lists subscribed names (Dovecot's version 2 format).
//! - Two files of mailwire's own, which Dovecot ignores: `mailwire-uidvalidity` in the
//!   root (the last UIDVALIDITY given, so that a mailbox created again gets a new one)
//!   and `mailwire-recent` in each mailbox (the first UID still `\Recent`).
//!
//! # Behaviour
//!
//! - Delivery and APPEND write into `tmp/` (mode 0600), sync the file, rename it into
//!   `new/` (or `cur/` when it has flags) and sync that directory.
//! - Flag changes rename the file from the flags it has on disk at that moment; when it
//!   was renamed meanwhile by another process, the change starts again from its new name.
//! - A message is `\Recent` to the first read-write view that sees it: the UID from which
//!   messages are still recent is kept in `mailwire-recent` (as Dovecot keeps it in its
//!   index), and a read-write view moves it past what it saw under that file's lock, so
//!   no two views take one message. Read-only views see `\Recent` without taking it.
//!   Read-write views also move what they see from `new/` to `cur/`, as Maildir readers
//!   do.
//! - Files with bare LF line ends are served with CRLF ([`MessageContent`]), and sizes
//!   count CRLF (`,W=` when the name has it, otherwise the file is read).
//! - A view's change feed rescans the directory when its modification times say it may
//!   have changed; [`Mailbox::wait_changes`](mailwire_server::Mailbox::wait_changes)
//!   wakes at once for changes made in this process and rescans every
//!   [`RESCAN_INTERVAL`] for those of others.
//! - Files left in `tmp/` for over 36 hours are removed when a mailbox is selected
//!   read-write.
//!
//! # Where it differs from the reference store
//!
//! [`mailwire_server::memory`] is the reference for what the traits mean; a Maildir
//! differs where its format leaves no choice:
//!
//! - flags are reported in the order of their file-name letters, not in the order set;
//! - a mailbox holds at most 26 keywords; more are refused with
//!   [`StoreError::Limit`];
//! - a mailbox name may not hold `.`.
//!
//! The file system is read and written on tokio's blocking pool (message content through
//! [`tokio::fs`]), not on the tasks that serve connections: a slow disk or a uidlist lock
//! held by another process keeps one connection waiting, not the others. The exception
//! is a view's scan for changes, which runs on the caller's task as long as it need not
//! wait more than a few milliseconds for a lock, so that a change announced in this
//! process is reported before the connection reads its next command. An operation whose
//! future is dropped runs to its end, and a view keeps the changes it found for the next
//! call.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod content;
mod date;
mod delivery;
mod filename;
mod folder;
mod keywords;
mod lock;
mod maildir;
mod store;
mod uidlist;
mod view;

pub use content::MessageContent;
pub use delivery::Incoming;
pub use lock::DotLock;
pub use maildir::{DEFAULT_MAX_MESSAGE_SIZE, Maildir};
pub use store::MaildirStore;
pub use view::{MaildirView, RESCAN_INTERVAL};

use mailwire_server::{StoreError, StoreResult};

fn failed(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::failed(error)
}

/// Runs file-system work on tokio's blocking pool, off the tasks that serve connections
/// (a uidlist lock held by another process can keep it waiting). The work runs to its
/// end even if the returned future is dropped.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(failed(format!("a file-system task failed: {e}"))))
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
