//! One user's mailboxes: their names and hierarchy, subscriptions, and what STATUS,
//! APPEND and SELECT do.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use mailwire_imap::types::{DateTime, Flag, MailboxAttribute};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::folder::Folder;
use super::lock;
use super::message::{Message, crlf, now, storable};
use super::view::MailboxView;
use crate::store::{Change, MailboxEntry, MailboxStatus, NewMessage, Placed, Snapshot};
use crate::{Mailboxes, StoreError, StoreResult};

/// The mailboxes every user starts with, and their special use (RFC 6154).
const STANDARD: [(&str, Option<MailboxAttribute>); 5] = [
    ("INBOX", None),
    ("Sent", Some(MailboxAttribute::Sent)),
    ("Drafts", Some(MailboxAttribute::Drafts)),
    ("Trash", Some(MailboxAttribute::Trash)),
    ("Junk", Some(MailboxAttribute::Junk)),
];

/// Everything of one user but their credentials, behind one lock: a COPY or MOVE is
/// atomic with respect to every other view because it holds that lock throughout.
#[derive(Debug)]
pub(crate) struct Account {
    pub(super) folders: BTreeMap<String, Folder>,
    subscribed: BTreeSet<String>,
    next_uid_validity: NonZeroU32,
}

impl Account {
    pub(super) fn new() -> Self {
        // Starting from the clock, as RFC 3501 §2.3.1.1 suggests, makes the mailboxes of a
        // restarted process new to clients that remember the old ones.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let start = u32::try_from(now % (1 << 31)).unwrap_or(0);
        let mut account = Self {
            folders: BTreeMap::new(),
            subscribed: BTreeSet::new(),
            next_uid_validity: NonZeroU32::new(start).unwrap_or(NonZeroU32::MIN),
        };
        for (name, special) in STANDARD {
            let mut folder = account.new_folder(true);
            folder.special = special;
            account.folders.insert(name.to_owned(), folder);
            account.subscribed.insert(name.to_owned());
        }
        account
    }

    fn new_folder(&mut self, selectable: bool) -> Folder {
        let uid_validity = self.next_uid_validity;
        self.next_uid_validity = uid_validity.checked_add(1).unwrap_or(NonZeroU32::MIN);
        Folder::new(uid_validity, selectable)
    }

    /// A mailbox that can be selected, or [`StoreError::NoMailbox`].
    pub(super) fn folder_mut(&mut self, name: &str) -> StoreResult<&mut Folder> {
        self.folders
            .get_mut(name)
            .filter(|f| f.selectable)
            .ok_or_else(|| StoreError::NoMailbox(name.to_owned()))
    }

    fn has_children(&self, name: &str) -> bool {
        let prefix = format!("{name}/");
        self.folders
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(child, _)| child.starts_with(&prefix))
    }

    /// Creates the parents of `name` that do not exist, as mailboxes.
    fn create_parents(&mut self, name: &str) {
        for (at, _) in name.match_indices('/') {
            if !self.folders.contains_key(&name[..at]) {
                let folder = self.new_folder(true);
                self.folders.insert(name[..at].to_owned(), folder);
            }
        }
    }

    fn create(&mut self, name: &str) -> StoreResult<()> {
        // A trailing delimiter declares the name a parent-to-be (RFC 3501 §6.3.3).
        let name = mailbox_name(name.strip_suffix('/').unwrap_or(name))?;
        if self.folders.get(&name).is_some_and(|f| f.selectable) {
            return Err(StoreError::Exists(name));
        }
        self.create_parents(&name);
        // A `\Noselect` name becomes a mailbox again, a new one.
        let folder = self.new_folder(true);
        self.folders.insert(name, folder);
        Ok(())
    }

    fn delete(&mut self, name: &str) -> StoreResult<()> {
        let name = mailbox_name(name)?;
        if name == "INBOX" {
            return Err(StoreError::NoPermission);
        }
        let has_children = self.has_children(&name);
        let folder = self
            .folders
            .get_mut(&name)
            .ok_or_else(|| StoreError::NoMailbox(name.clone()))?;
        match (has_children, folder.selectable) {
            // RFC 3501 §6.3.4: the messages go, the name stays as `\Noselect`.
            (true, true) => {
                folder.selectable = false;
                folder.messages.clear();
                folder.keywords.clear();
                folder.close_views();
            }
            // ... and such a name cannot be deleted while it has children.
            (true, false) => return Err(StoreError::NoPermission),
            (false, _) => {
                self.folders.remove(&name);
            }
        }
        Ok(())
    }

    fn rename(&mut self, from: &str, to: &str) -> StoreResult<()> {
        let (from, to) = (mailbox_name(from)?, mailbox_name(to)?);
        if !self.folders.contains_key(&from) {
            return Err(StoreError::NoMailbox(from));
        }
        if self.folders.contains_key(&to) {
            return Err(StoreError::Exists(to));
        }
        if from == "INBOX" {
            return self.rename_inbox(&to);
        }
        if to
            .strip_prefix(&from)
            .is_some_and(|rest| rest.starts_with('/'))
        {
            return Err(StoreError::BadName(to));
        }
        let prefix = format!("{from}/");
        let moving: Vec<String> = self
            .folders
            .keys()
            .filter(|name| **name == from || name.starts_with(&prefix))
            .cloned()
            .collect();
        let renamed = |old: &str| format!("{to}{}", &old[from.len()..]);
        if let Some(taken) = moving
            .iter()
            .map(|old| renamed(old))
            .find(|new| self.folders.contains_key(new))
        {
            return Err(StoreError::Exists(taken));
        }
        for old in moving {
            let mut folder = self.folders.remove(&old).expect("listed just now");
            folder.close_views();
            self.folders.insert(renamed(&old), folder);
        }
        self.create_parents(&to);
        Ok(())
    }

    /// RFC 3501 §6.3.5: INBOX's messages move to a new mailbox; INBOX stays, empty, and
    /// its children stay where they are.
    fn rename_inbox(&mut self, to: &str) -> StoreResult<()> {
        self.create_parents(to);
        let mut target = self.new_folder(true);
        let inbox = self.folders.get_mut("INBOX").expect("INBOX always exists");
        for message in std::mem::take(&mut inbox.messages) {
            inbox.announce(Change::Expunged { uid: message.uid });
            let unclaimed = message.unclaimed;
            target.add(message.flags, message.internal_date, message.content)?;
            if let Some(copy) = target.messages.last_mut() {
                copy.unclaimed = unclaimed;
            }
        }
        self.folders.insert(to.to_owned(), target);
        Ok(())
    }

    fn subscribe(&mut self, name: &str, on: bool) -> StoreResult<()> {
        let name = mailbox_name(name)?;
        if on {
            self.subscribed.insert(name);
        } else {
            self.subscribed.remove(&name);
        }
        Ok(())
    }

    fn list(&self) -> Vec<MailboxEntry> {
        let mut entries: Vec<MailboxEntry> = self
            .folders
            .iter()
            .map(|(name, folder)| {
                let mut attributes = Vec::new();
                if !folder.selectable {
                    attributes.push(MailboxAttribute::NoSelect);
                }
                attributes.push(if self.has_children(name) {
                    MailboxAttribute::HasChildren
                } else {
                    MailboxAttribute::HasNoChildren
                });
                attributes.extend(folder.special.clone());
                MailboxEntry {
                    name: name.clone(),
                    attributes,
                    subscribed: self.subscribed.contains(name),
                }
            })
            .collect();
        // Subscriptions outlive their mailboxes (RFC 3501 §6.3.6), and LSUB lists them.
        entries.extend(
            self.subscribed
                .iter()
                .filter(|name| !self.folders.contains_key(*name))
                .map(|name| MailboxEntry {
                    name: name.clone(),
                    attributes: vec![MailboxAttribute::NonExistent],
                    subscribed: true,
                }),
        );
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        entries
    }

    fn status(&mut self, name: &str) -> StoreResult<MailboxStatus> {
        let folder = self.folder_mut(&mailbox_name(name)?)?;
        let count = |f: &dyn Fn(&Message) -> bool| {
            let n = folder.messages.iter().filter(|m| f(m)).count();
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        Ok(MailboxStatus {
            messages: count(&|_| true),
            recent: count(&|m| m.unclaimed),
            unseen: count(&|m| !m.flags.contains(&Flag::Seen)),
            uid_next: folder.uid_next,
            uid_validity: folder.uid_validity,
        })
    }
}

/// A user's mailboxes, as [`Memory`](super::Memory) opens them after a login.
#[derive(Clone)]
pub struct UserMailboxes {
    account: Arc<Mutex<Account>>,
    max_message_size: usize,
}

impl std::fmt::Debug for UserMailboxes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserMailboxes")
            .field("max_message_size", &self.max_message_size)
            .finish_non_exhaustive()
    }
}

impl UserMailboxes {
    pub(super) fn new(account: Arc<Mutex<Account>>, max_message_size: usize) -> Self {
        Self {
            account,
            max_message_size,
        }
    }

    /// Stores a whole message, as delivery and APPEND do.
    pub(super) fn store(
        &self,
        name: &str,
        flags: &[Flag],
        internal_date: Option<DateTime>,
        content: &[u8],
    ) -> StoreResult<Placed> {
        let content = crlf(content);
        if content.len() > self.max_message_size || u32::try_from(content.len()).is_err() {
            return Err(StoreError::Limit("message too big".into()));
        }
        let mut account = lock(&self.account);
        let folder = account.folder_mut(&mailbox_name(name)?)?;
        let uid = folder.add(storable(flags), internal_date.unwrap_or_else(now), content)?;
        Ok(Placed {
            uid_validity: folder.uid_validity,
            uids: vec![uid],
        })
    }
}

impl Mailboxes for UserMailboxes {
    type Mailbox = MailboxView;

    async fn list(&self) -> StoreResult<Vec<MailboxEntry>> {
        Ok(lock(&self.account).list())
    }

    async fn create(&self, name: &str) -> StoreResult<()> {
        lock(&self.account).create(name)
    }

    async fn delete(&self, name: &str) -> StoreResult<()> {
        lock(&self.account).delete(name)
    }

    async fn rename(&self, from: &str, to: &str) -> StoreResult<()> {
        lock(&self.account).rename(from, to)
    }

    async fn subscribe(&self, name: &str, on: bool) -> StoreResult<()> {
        lock(&self.account).subscribe(name, on)
    }

    async fn status(&self, name: &str) -> StoreResult<MailboxStatus> {
        lock(&self.account).status(name)
    }

    async fn append(
        &self,
        name: &str,
        message: NewMessage,
        content: &mut (dyn AsyncRead + Send + Unpin),
    ) -> StoreResult<Placed> {
        let size = usize::try_from(message.size).unwrap_or(usize::MAX);
        if size > self.max_message_size {
            return Err(StoreError::Limit("message too big".into()));
        }
        lock(&self.account).folder_mut(&mailbox_name(name)?)?;
        // Grown as the content arrives, not reserved from the size the client announced.
        let mut buffer = Vec::new();
        content
            .take(u64::from(message.size))
            .read_to_end(&mut buffer)
            .await
            .map_err(StoreError::failed)?;
        if buffer.len() != size {
            return Err(StoreError::failed(format!(
                "content ended after {} of {size} octets",
                buffer.len()
            )));
        }
        self.store(name, &message.flags, message.internal_date, &buffer)
    }

    async fn select(&self, name: &str, read_only: bool) -> StoreResult<(MailboxView, Snapshot)> {
        let name = mailbox_name(name)?;
        let mut account = lock(&self.account);
        let folder = account.folder_mut(&name)?;
        let snapshot = folder.snapshot(read_only);
        // Subscribed under the lock every change is announced under: the view misses
        // nothing after the snapshot and sees nothing twice.
        let view = MailboxView::new(
            self.account.clone(),
            name,
            read_only,
            folder.feed.subscribe(),
            &snapshot,
        );
        Ok((view, snapshot))
    }
}

/// Checks a mailbox name, and writes `INBOX` (alone or as the first level) in upper case.
pub(super) fn mailbox_name(name: &str) -> StoreResult<String> {
    if name.is_empty() || name.split('/').any(str::is_empty) || name.chars().any(|c| c.is_control())
    {
        return Err(StoreError::BadName(name.to_owned()));
    }
    let (first, rest) = name.split_at(name.find('/').unwrap_or(name.len()));
    if first.eq_ignore_ascii_case("INBOX") {
        Ok(format!("INBOX{rest}"))
    } else {
        Ok(name.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Memory;
    use crate::{MailStore, Mailbox};

    fn names(entries: &[MailboxEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.name.as_str()).collect()
    }

    fn entry<'a>(entries: &'a [MailboxEntry], name: &str) -> &'a MailboxEntry {
        entries.iter().find(|e| e.name == name).unwrap()
    }

    async fn fred() -> UserMailboxes {
        let memory = Memory::new();
        memory.add_user("fred", "secret");
        memory.open("fred").await.unwrap()
    }

    async fn append(
        mailboxes: &UserMailboxes,
        name: &str,
        flags: Vec<Flag>,
        content: &[u8],
    ) -> Placed {
        let message = NewMessage {
            flags,
            internal_date: None,
            size: u32::try_from(content.len()).unwrap(),
        };
        let mut reader = content;
        mailboxes.append(name, message, &mut reader).await.unwrap()
    }

    fn keyword(name: &str) -> Flag {
        Flag::parse(name).unwrap()
    }

    #[test]
    fn names_are_checked_and_inbox_is_upper_case() {
        assert_eq!(mailbox_name("inbox").unwrap(), "INBOX");
        assert_eq!(mailbox_name("Inbox/Sub").unwrap(), "INBOX/Sub");
        assert_eq!(mailbox_name("Inboxes").unwrap(), "Inboxes");
        for bad in ["", "/a", "a/", "a//b", "a\nb"] {
            assert!(
                matches!(mailbox_name(bad), Err(StoreError::BadName(_))),
                "{bad:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_new_user_has_inbox_and_special_use_mailboxes() {
        let mailboxes = fred().await;
        let list = mailboxes.list().await.unwrap();
        let expected = |name: &str, special: Option<MailboxAttribute>| MailboxEntry {
            name: name.into(),
            attributes: [MailboxAttribute::HasNoChildren]
                .into_iter()
                .chain(special)
                .collect(),
            subscribed: true,
        };
        assert_eq!(
            list,
            [
                expected("Drafts", Some(MailboxAttribute::Drafts)),
                expected("INBOX", None),
                expected("Junk", Some(MailboxAttribute::Junk)),
                expected("Sent", Some(MailboxAttribute::Sent)),
                expected("Trash", Some(MailboxAttribute::Trash)),
            ]
        );
    }

    #[tokio::test]
    async fn create_makes_parents_and_refuses_existing_names() {
        let mailboxes = fred().await;
        mailboxes.create("a/b/c").await.unwrap();
        mailboxes.create("x/").await.unwrap();
        let list = mailboxes.list().await.unwrap();
        assert_eq!(
            names(&list),
            [
                "Drafts", "INBOX", "Junk", "Sent", "Trash", "a", "a/b", "a/b/c", "x"
            ]
        );
        assert_eq!(
            entry(&list, "a").attributes,
            [MailboxAttribute::HasChildren]
        );
        assert_eq!(
            entry(&list, "a/b/c").attributes,
            [MailboxAttribute::HasNoChildren]
        );
        assert!(!entry(&list, "a").subscribed);
        assert!(matches!(mailboxes.create("a/b").await, Err(StoreError::Exists(n)) if n == "a/b"));
        assert!(
            matches!(mailboxes.create("inbox").await, Err(StoreError::Exists(n)) if n == "INBOX")
        );
        assert!(matches!(
            mailboxes.create("a//b").await,
            Err(StoreError::BadName(_))
        ));
    }

    #[tokio::test]
    async fn uids_and_uidvalidity_after_delete_and_create() {
        let mailboxes = fred().await;
        mailboxes.create("Work").await.unwrap();
        let first = mailboxes.status("Work").await.unwrap();
        let inbox = mailboxes.status("INBOX").await.unwrap();
        // INBOX, Sent, Drafts, Trash, Junk came first.
        assert_eq!(first.uid_validity.get(), inbox.uid_validity.get() + 5);
        assert_eq!(append(&mailboxes, "Work", vec![], b"1").await.uids, [1]);
        assert_eq!(append(&mailboxes, "Work", vec![], b"2").await.uids, [2]);
        let (view, _) = mailboxes.select("Work", false).await.unwrap();
        assert_eq!(view.expunge(&[2]).await.unwrap(), [2]);
        // UID 2 is not given again.
        let placed = append(&mailboxes, "Work", vec![], b"3").await;
        assert_eq!(
            placed,
            Placed {
                uid_validity: first.uid_validity,
                uids: vec![3]
            }
        );
        assert_eq!(mailboxes.status("Work").await.unwrap().uid_next.get(), 4);

        mailboxes.delete("Work").await.unwrap();
        assert!(matches!(
            mailboxes.status("Work").await,
            Err(StoreError::NoMailbox(_))
        ));
        mailboxes.create("Work").await.unwrap();
        let again = mailboxes.status("Work").await.unwrap();
        assert_eq!(again.uid_validity.get(), first.uid_validity.get() + 1);
        assert_eq!((again.messages, again.uid_next.get()), (0, 1));
        assert_eq!(append(&mailboxes, "Work", vec![], b"4").await.uids, [1]);
    }

    #[tokio::test]
    async fn delete_keeps_a_parent_as_noselect() {
        let mailboxes = fred().await;
        mailboxes.create("a/b").await.unwrap();
        append(&mailboxes, "a", vec![], b"gone").await;
        assert!(matches!(
            mailboxes.delete("INBOX").await,
            Err(StoreError::NoPermission)
        ));
        assert!(matches!(
            mailboxes.delete("nothing").await,
            Err(StoreError::NoMailbox(_))
        ));

        mailboxes.delete("a").await.unwrap();
        let list = mailboxes.list().await.unwrap();
        assert_eq!(
            entry(&list, "a").attributes,
            [MailboxAttribute::NoSelect, MailboxAttribute::HasChildren]
        );
        assert!(matches!(
            mailboxes.status("a").await,
            Err(StoreError::NoMailbox(_))
        ));
        assert!(matches!(
            mailboxes.select("a", true).await,
            Err(StoreError::NoMailbox(_))
        ));
        // RFC 3501 §6.3.4: a `\Noselect` name with children cannot be deleted.
        assert!(matches!(
            mailboxes.delete("a").await,
            Err(StoreError::NoPermission)
        ));

        mailboxes.delete("a/b").await.unwrap();
        mailboxes.delete("a").await.unwrap();
        assert!(!names(&mailboxes.list().await.unwrap()).contains(&"a"));
    }

    #[tokio::test]
    async fn a_noselect_name_can_be_created_again() {
        let mailboxes = fred().await;
        mailboxes.create("a/b").await.unwrap();
        let old = mailboxes.status("a").await.unwrap().uid_validity;
        mailboxes.delete("a").await.unwrap();
        mailboxes.create("a").await.unwrap();
        let list = mailboxes.list().await.unwrap();
        assert_eq!(
            entry(&list, "a").attributes,
            [MailboxAttribute::HasChildren]
        );
        assert_ne!(mailboxes.status("a").await.unwrap().uid_validity, old);
    }

    #[tokio::test]
    async fn rename_moves_children() {
        let mailboxes = fred().await;
        mailboxes.create("a/b").await.unwrap();
        append(&mailboxes, "a/b", vec![Flag::Seen], b"kept").await;
        let before = mailboxes.status("a/b").await.unwrap();

        mailboxes.rename("a", "x/y").await.unwrap();
        let list = mailboxes.list().await.unwrap();
        assert_eq!(
            names(&list),
            [
                "Drafts", "INBOX", "Junk", "Sent", "Trash", "x", "x/y", "x/y/b"
            ]
        );
        assert_eq!(mailboxes.status("x/y/b").await.unwrap(), before);

        assert!(matches!(
            mailboxes.rename("nothing", "z").await,
            Err(StoreError::NoMailbox(_))
        ));
        assert!(matches!(
            mailboxes.rename("x", "Sent").await,
            Err(StoreError::Exists(_))
        ));
        assert!(matches!(
            mailboxes.rename("x", "x/z").await,
            Err(StoreError::BadName(_))
        ));
    }

    #[tokio::test]
    async fn rename_inbox_moves_its_messages_and_leaves_it_empty() {
        let mailboxes = fred().await;
        mailboxes.create("INBOX/child").await.unwrap();
        append(&mailboxes, "INBOX", vec![Flag::Seen], b"one\r\n").await;
        append(&mailboxes, "INBOX", vec![], b"two\r\n").await;
        let inbox = mailboxes.status("INBOX").await.unwrap();

        mailboxes.rename("inbox", "Old/Inbox").await.unwrap();
        let old = mailboxes.status("Old/Inbox").await.unwrap();
        assert_eq!(
            (old.messages, old.unseen, old.recent, old.uid_next.get()),
            (2, 1, 2, 3)
        );
        assert_ne!(old.uid_validity, inbox.uid_validity);
        let now = mailboxes.status("INBOX").await.unwrap();
        assert_eq!(
            now,
            MailboxStatus {
                messages: 0,
                recent: 0,
                unseen: 0,
                ..inbox
            }
        );
        let list = mailboxes.list().await.unwrap();
        assert!(names(&list).contains(&"INBOX/child"));
        assert!(names(&list).contains(&"Old"));

        let (view, snapshot) = mailboxes.select("Old/Inbox", false).await.unwrap();
        let flags: Vec<_> = snapshot
            .messages
            .iter()
            .map(|m| (m.uid, m.flags.clone()))
            .collect();
        assert_eq!(flags, [(1, vec![Flag::Seen]), (2, vec![])]);
        let mut body = String::new();
        let mut content = view.content(2, 0).await.unwrap().unwrap();
        content.read_to_string(&mut body).await.unwrap();
        assert_eq!(body, "two\r\n");
        // A later message to INBOX takes the UID after the ones it had.
        assert_eq!(
            append(&mailboxes, "INBOX", vec![], b"three").await.uids,
            [3]
        );
    }

    #[tokio::test]
    async fn subscriptions_outlive_mailboxes() {
        let mailboxes = fred().await;
        mailboxes.subscribe("Later", true).await.unwrap();
        mailboxes.subscribe("Trash", false).await.unwrap();
        let list = mailboxes.list().await.unwrap();
        assert_eq!(
            entry(&list, "Later"),
            &MailboxEntry {
                name: "Later".into(),
                attributes: vec![MailboxAttribute::NonExistent],
                subscribed: true,
            }
        );
        assert!(!entry(&list, "Trash").subscribed);
        mailboxes.delete("Sent").await.unwrap();
        let list = mailboxes.list().await.unwrap();
        assert_eq!(
            entry(&list, "Sent").attributes,
            [MailboxAttribute::NonExistent]
        );
        mailboxes.create("Later").await.unwrap();
        let list = mailboxes.list().await.unwrap();
        assert_eq!(
            entry(&list, "Later").attributes,
            [MailboxAttribute::HasNoChildren]
        );
        assert!(entry(&list, "Later").subscribed);
    }

    #[tokio::test]
    async fn append_normalises_line_ends_and_checks_sizes() {
        let mut memory = Memory::new();
        memory.max_message_size = 10;
        memory.add_user("fred", "secret");
        let mailboxes = memory.open("fred").await.unwrap();
        let recent = keyword("\\Recent");
        append(
            &mailboxes,
            "INBOX",
            vec![recent, keyword("$Work"), keyword("$work")],
            b"a\nb\n",
        )
        .await;
        let (view, snapshot) = mailboxes.select("INBOX", true).await.unwrap();
        assert_eq!(snapshot.messages[0].size, 6);
        assert_eq!(snapshot.messages[0].flags, [keyword("$Work")]);
        assert_eq!(snapshot.keywords, [keyword("$Work")]);
        let mut body = Vec::new();
        view.content(1, 3)
            .await
            .unwrap()
            .unwrap()
            .read_to_end(&mut body)
            .await
            .unwrap();
        assert_eq!(body, b"b\r\n");
        assert!(view.content(1, 99).await.unwrap().is_some());
        assert!(view.content(7, 0).await.unwrap().is_none());

        let message = |size| NewMessage {
            flags: vec![],
            internal_date: None,
            size,
        };
        let over = mailboxes
            .append("INBOX", message(11), &mut &[b'x'; 11][..])
            .await;
        assert!(matches!(over, Err(StoreError::Limit(_))));
        let short = mailboxes
            .append("INBOX", message(5), &mut &b"abc"[..])
            .await;
        assert!(matches!(short, Err(StoreError::Failed(_))));
        let missing = mailboxes
            .append("Nowhere", message(1), &mut &b"x"[..])
            .await;
        assert!(matches!(missing, Err(StoreError::NoMailbox(n)) if n == "Nowhere"));
        assert_eq!(mailboxes.status("INBOX").await.unwrap().messages, 1);
    }

    #[tokio::test]
    async fn status_counts() {
        let mailboxes = fred().await;
        append(&mailboxes, "INBOX", vec![Flag::Seen], b"1").await;
        append(&mailboxes, "INBOX", vec![], b"2").await;
        append(&mailboxes, "INBOX", vec![Flag::Flagged], b"3").await;
        let status = mailboxes.status("INBOX").await.unwrap();
        assert_eq!(
            (
                status.messages,
                status.recent,
                status.unseen,
                status.uid_next.get()
            ),
            (3, 3, 2, 4)
        );
        let _examined = mailboxes.select("INBOX", true).await.unwrap();
        assert_eq!(mailboxes.status("INBOX").await.unwrap().recent, 3);
        let _selected = mailboxes.select("INBOX", false).await.unwrap();
        assert_eq!(mailboxes.status("INBOX").await.unwrap().recent, 0);
    }
}
