//! A selected mailbox: the view one connection has of it, kept up to date by the
//! mailbox's change feed.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use mailwire_imap::types::Flag;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

use super::folder::Folder;
use super::lock;
use super::mailboxes::{Account, mailbox_name};
use super::message::{same_flag, storable};
use crate::store::{Change, Copied, FlagChange, Snapshot};
use crate::{Mailbox, StoreError, StoreResult};

/// A mailbox selected by [`UserMailboxes`](super::UserMailboxes), read-write or
/// read-only.
///
/// The view remembers the UIDs and flags it has reported. When its feed overflowed
/// while nobody read it, the view compares those with the mailbox as it is and reports
/// the differences, so that no change is lost.
pub struct MailboxView {
    account: Arc<Mutex<Account>>,
    name: String,
    uid_validity: std::num::NonZeroU32,
    read_only: bool,
    feed: broadcast::Receiver<Change>,
    /// The flags of every message the view has reported, by UID.
    known: BTreeMap<u32, Vec<Flag>>,
}

impl std::fmt::Debug for MailboxView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxView")
            .field("name", &self.name)
            .field("uid_validity", &self.uid_validity)
            .field("read_only", &self.read_only)
            .field("messages", &self.known.len())
            .finish_non_exhaustive()
    }
}

/// What the feed gave: a change, nothing yet, or trouble.
enum Received {
    Change(Change),
    Empty,
    Closed,
    Lagged,
}

impl From<Result<Change, RecvError>> for Received {
    fn from(received: Result<Change, RecvError>) -> Self {
        match received {
            Ok(change) => Received::Change(change),
            Err(RecvError::Closed) => Received::Closed,
            Err(RecvError::Lagged(_)) => Received::Lagged,
        }
    }
}

impl From<Result<Change, TryRecvError>> for Received {
    fn from(received: Result<Change, TryRecvError>) -> Self {
        match received {
            Ok(change) => Received::Change(change),
            Err(TryRecvError::Empty) => Received::Empty,
            Err(TryRecvError::Closed) => Received::Closed,
            Err(TryRecvError::Lagged(_)) => Received::Lagged,
        }
    }
}

impl MailboxView {
    pub(super) fn new(
        account: Arc<Mutex<Account>>,
        name: String,
        read_only: bool,
        feed: broadcast::Receiver<Change>,
        snapshot: &Snapshot,
    ) -> Self {
        Self {
            account,
            name,
            uid_validity: snapshot.uid_validity,
            read_only,
            feed,
            known: snapshot
                .messages
                .iter()
                .map(|m| (m.uid, m.flags.clone()))
                .collect(),
        }
    }

    /// The mailbox this view shows, unless it was deleted or renamed away.
    fn folder<'a>(&self, account: &'a mut Account) -> StoreResult<&'a mut Folder> {
        account
            .folders
            .get_mut(&self.name)
            .filter(|f| f.selectable && f.uid_validity == self.uid_validity)
            .ok_or(StoreError::Gone)
    }

    fn writable(&self) -> StoreResult<()> {
        if self.read_only {
            Err(StoreError::NoPermission)
        } else {
            Ok(())
        }
    }

    /// Reports what the feed holds, starting with `first` if the caller received it.
    ///
    /// Holds the account's lock throughout, so no change is announced meanwhile, and
    /// does not wait: this is what keeps [`wait_changes`](Mailbox::wait_changes)
    /// cancel-safe once its one wait is over.
    fn drain(&mut self, mut first: Option<Received>) -> StoreResult<Vec<Change>> {
        let account = self.account.clone();
        let mut account = lock(&account);
        let mut changes = Vec::new();
        loop {
            let received = first.take().unwrap_or_else(|| self.feed.try_recv().into());
            match received {
                Received::Change(change) => {
                    let change = self.learn(change, &mut account);
                    changes.push(change);
                }
                Received::Empty => return Ok(changes),
                Received::Closed => return Err(StoreError::Gone),
                Received::Lagged => {
                    self.resync(&mut account, &mut changes)?;
                    return Ok(changes);
                }
            }
        }
    }

    /// Records a change in what the view knows, and gives it `\Recent` if it is a new
    /// message no view has taken it for.
    fn learn(&mut self, change: Change, account: &mut Account) -> Change {
        match change {
            Change::Appended(mut meta) => {
                self.known.insert(meta.uid, meta.flags.clone());
                let read_only = self.read_only;
                if let Ok(folder) = self.folder(account)
                    && let Some(at) = folder.position(meta.uid)
                {
                    meta.recent = folder.messages[at].claim(read_only);
                }
                Change::Appended(meta)
            }
            Change::Expunged { uid } => {
                self.known.remove(&uid);
                Change::Expunged { uid }
            }
            Change::Flags { uid, flags } => {
                if let Some(known) = self.known.get_mut(&uid) {
                    known.clone_from(&flags);
                }
                Change::Flags { uid, flags }
            }
        }
    }

    /// After the feed overflowed: reports the differences between what the view knows
    /// and the mailbox now, and starts reading the feed from now on.
    fn resync(&mut self, account: &mut Account, changes: &mut Vec<Change>) -> StoreResult<()> {
        let read_only = self.read_only;
        let folder = self.folder(account)?;
        let feed = folder.feed.subscribe();
        let mut appended = Vec::new();
        let mut reflagged = Vec::new();
        let mut now = BTreeMap::new();
        for message in &mut folder.messages {
            match self.known.get(&message.uid) {
                Some(flags) if *flags != message.flags => reflagged.push(Change::Flags {
                    uid: message.uid,
                    flags: message.flags.clone(),
                }),
                Some(_) => {}
                None => {
                    let recent = message.claim(read_only);
                    appended.push(Change::Appended(message.meta(recent)));
                }
            }
            now.insert(message.uid, message.flags.clone());
        }
        changes.extend(
            self.known
                .keys()
                .filter(|uid| !now.contains_key(uid))
                .map(|&uid| Change::Expunged { uid }),
        );
        changes.extend(reflagged);
        changes.extend(appended);
        self.known = now;
        self.feed = feed;
        Ok(())
    }
}

impl Mailbox for MailboxView {
    type Content = Cursor<Bytes>;

    async fn content(&self, uid: u32, offset: u64) -> StoreResult<Option<Cursor<Bytes>>> {
        let mut account = lock(&self.account);
        let folder = self.folder(&mut account)?;
        Ok(folder.position(uid).map(|at| {
            let content = &folder.messages[at].content;
            let from = usize::try_from(offset).map_or(content.len(), |o| o.min(content.len()));
            Cursor::new(content.slice(from..))
        }))
    }

    async fn set_flags(
        &self,
        uids: &[u32],
        change: FlagChange,
    ) -> StoreResult<Vec<(u32, Vec<Flag>)>> {
        self.writable()?;
        let mut account = lock(&self.account);
        let folder = self.folder(&mut account)?;
        let given = match &change {
            FlagChange::Add(flags) | FlagChange::Remove(flags) | FlagChange::Replace(flags) => {
                storable(flags)
            }
        };
        if !matches!(change, FlagChange::Remove(_)) {
            folder.learn_keywords(&given);
        }
        let mut result = Vec::with_capacity(uids.len());
        for &uid in uids {
            let Some(at) = folder.position(uid) else {
                continue;
            };
            let flags = &mut folder.messages[at].flags;
            let before = flags.clone();
            match change {
                FlagChange::Add(_) => {
                    for flag in &given {
                        if !flags.iter().any(|f| same_flag(f, flag)) {
                            flags.push(flag.clone());
                        }
                    }
                }
                FlagChange::Remove(_) => flags.retain(|f| !given.iter().any(|g| same_flag(f, g))),
                FlagChange::Replace(_) => flags.clone_from(&given),
            }
            let flags = flags.clone();
            if flags != before {
                folder.announce(Change::Flags {
                    uid,
                    flags: flags.clone(),
                });
            }
            result.push((uid, flags));
        }
        Ok(result)
    }

    async fn copy(&self, uids: &[u32], to: &str, remove: bool) -> StoreResult<Copied> {
        if remove {
            self.writable()?;
        }
        let to = mailbox_name(to)?;
        // One lock for both mailboxes: no view sees a message in neither or, after a
        // MOVE, in both.
        let mut account = lock(&self.account);
        let source = self.folder(&mut account)?;
        let mut copies = Vec::with_capacity(uids.len());
        for &uid in uids {
            if let Some(at) = source.position(uid)
                && !copies.iter().any(|(u, _)| *u == uid)
            {
                copies.push((uid, source.messages[at].clone()));
            }
        }
        let target = account.folder_mut(&to)?;
        let count = u64::try_from(copies.len()).unwrap_or(u64::MAX);
        if u64::from(target.uid_next.get()).saturating_add(count) >= u64::from(u32::MAX) {
            return Err(StoreError::Limit("no UID left in the mailbox".into()));
        }
        let mut placed = Copied {
            uid_validity: target.uid_validity,
            uids: Vec::with_capacity(copies.len()),
        };
        for (source_uid, message) in &copies {
            let uid = target.add(
                message.flags.clone(),
                message.internal_date,
                message.content.clone(),
            )?;
            placed.uids.push((*source_uid, uid));
        }
        if remove {
            let source = self.folder(&mut account)?;
            for (uid, _) in copies {
                source.remove(uid);
            }
        }
        Ok(placed)
    }

    async fn expunge(&self, uids: &[u32]) -> StoreResult<Vec<u32>> {
        self.writable()?;
        let mut account = lock(&self.account);
        let folder = self.folder(&mut account)?;
        Ok(uids
            .iter()
            .filter_map(|&uid| folder.remove(uid).map(|m| m.uid))
            .collect())
    }

    async fn changes(&mut self) -> StoreResult<Vec<Change>> {
        self.drain(None)
    }

    async fn wait_changes(&mut self) -> StoreResult<Vec<Change>> {
        loop {
            let changes = self.drain(None)?;
            if !changes.is_empty() {
                return Ok(changes);
            }
            // The one wait: `recv` is cancel-safe, and what it returned is handled before
            // this future can be dropped again.
            let first = self.feed.recv().await.into();
            let changes = self.drain(Some(first))?;
            if !changes.is_empty() {
                return Ok(changes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::AsyncReadExt;

    use super::*;
    use crate::memory::folder::FEED_CAPACITY;
    use crate::memory::{Memory, UserMailboxes};
    use crate::store::{MessageMeta, NewMessage};
    use crate::{MailStore, Mailboxes};

    async fn fred() -> UserMailboxes {
        let memory = Memory::new();
        memory.add_user("fred", "secret");
        memory.open("fred").await.unwrap()
    }

    async fn append(mailboxes: &UserMailboxes, name: &str, flags: Vec<Flag>) -> u32 {
        let message = NewMessage {
            flags,
            internal_date: None,
            size: 3,
        };
        let placed = mailboxes
            .append(name, message, &mut &b"hi\n"[..])
            .await
            .unwrap();
        placed.uids[0]
    }

    fn keyword(name: &str) -> Flag {
        Flag::parse(name).unwrap()
    }

    /// The UIDs and `\Recent` of what a snapshot or a feed reported.
    fn recents(messages: &[MessageMeta]) -> Vec<(u32, bool)> {
        messages.iter().map(|m| (m.uid, m.recent)).collect()
    }

    fn appended(changes: &[Change]) -> Vec<(u32, bool)> {
        changes
            .iter()
            .map(|c| match c {
                Change::Appended(meta) => (meta.uid, meta.recent),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    async fn body(view: &MailboxView, uid: u32) -> String {
        let mut body = String::new();
        let mut content = view.content(uid, 0).await.unwrap().unwrap();
        content.read_to_string(&mut body).await.unwrap();
        body
    }

    #[tokio::test]
    async fn recent_is_given_to_one_view_only() {
        let mailboxes = fred().await;
        append(&mailboxes, "INBOX", vec![]).await;
        append(&mailboxes, "INBOX", vec![]).await;

        // A read-only view sees \Recent and leaves it.
        let (_examine, snapshot) = mailboxes.select("INBOX", true).await.unwrap();
        assert_eq!(recents(&snapshot.messages), [(1, true), (2, true)]);
        let (mut first, snapshot) = mailboxes.select("INBOX", false).await.unwrap();
        assert_eq!(recents(&snapshot.messages), [(1, true), (2, true)]);
        let (mut second, snapshot) = mailboxes.select("INBOX", false).await.unwrap();
        assert_eq!(recents(&snapshot.messages), [(1, false), (2, false)]);

        // A new message goes to the first read-write view that reads the feed.
        append(&mailboxes, "INBOX", vec![]).await;
        let (mut examine, _) = mailboxes.select("INBOX", true).await.unwrap();
        append(&mailboxes, "INBOX", vec![]).await;
        assert_eq!(appended(&examine.changes().await.unwrap()), [(4, true)]);
        assert_eq!(
            appended(&second.changes().await.unwrap()),
            [(3, true), (4, true)]
        );
        assert_eq!(
            appended(&first.changes().await.unwrap()),
            [(3, false), (4, false)]
        );
        let (_third, snapshot) = mailboxes.select("INBOX", false).await.unwrap();
        assert_eq!(
            recents(&snapshot.messages),
            [(1, false), (2, false), (3, false), (4, false)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_in_one_view_wakes_another() {
        let mailboxes = fred().await;
        let uid = append(&mailboxes, "INBOX", vec![]).await;
        let (mut waiting, _) = mailboxes.select("INBOX", false).await.unwrap();
        let (other, _) = mailboxes.select("INBOX", false).await.unwrap();

        let writer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            other
                .set_flags(&[uid], FlagChange::Add(vec![Flag::Seen]))
                .await
                .unwrap();
            other
        });
        let changes = tokio::time::timeout(Duration::from_secs(10), waiting.wait_changes())
            .await
            .expect("the change arrives")
            .unwrap();
        assert_eq!(
            changes,
            [Change::Flags {
                uid,
                flags: vec![Flag::Seen]
            }]
        );

        // The view that made the change reports it too.
        let mut other = writer.await.unwrap();
        assert_eq!(
            other.changes().await.unwrap(),
            [Change::Flags {
                uid,
                flags: vec![Flag::Seen]
            }]
        );
        assert_eq!(other.changes().await.unwrap(), []);
        assert_eq!(waiting.changes().await.unwrap(), []);
    }

    #[tokio::test(start_paused = true)]
    async fn wait_changes_loses_nothing_when_cancelled() {
        let mailboxes = fred().await;
        let (mut view, _) = mailboxes.select("INBOX", false).await.unwrap();
        let timed_out = tokio::time::timeout(Duration::from_secs(1), view.wait_changes()).await;
        assert!(timed_out.is_err());
        append(&mailboxes, "INBOX", vec![]).await;
        let changes = tokio::time::timeout(Duration::from_secs(1), view.wait_changes())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(appended(&changes), [(1, true)]);
    }

    #[tokio::test]
    async fn a_lagging_view_resynchronises() {
        let mailboxes = fred().await;
        let first = append(&mailboxes, "INBOX", vec![]).await;
        let second = append(&mailboxes, "INBOX", vec![]).await;
        let (mut behind, _) = mailboxes.select("INBOX", true).await.unwrap();
        let (writer, _) = mailboxes.select("INBOX", false).await.unwrap();

        writer
            .set_flags(&[second], FlagChange::Add(vec![Flag::Flagged]))
            .await
            .unwrap();
        let (mut reader, _) = mailboxes.select("INBOX", false).await.unwrap();
        assert_eq!(writer.expunge(&[first]).await.unwrap(), [first]);
        // More than the feed holds: UIDs 3 to 72, of which 3 is expunged again.
        for _ in 0..FEED_CAPACITY + 6 {
            append(&mailboxes, "INBOX", vec![]).await;
        }
        assert_eq!(writer.expunge(&[3]).await.unwrap(), [3]);

        let changes = behind.changes().await.unwrap();
        let mut expected = vec![
            Change::Expunged { uid: first },
            Change::Flags {
                uid: second,
                flags: vec![Flag::Flagged],
            },
        ];
        let uids = 4..=72;
        expected.extend(uids.clone().map(|uid| {
            let Some(Change::Appended(meta)) = changes
                .iter()
                .find(|c| matches!(c, Change::Appended(m) if m.uid == uid))
            else {
                panic!("UID {uid} is not reported")
            };
            // No read-write view has read the feed yet: a read-only one sees \Recent.
            assert!(meta.recent);
            assert_eq!((meta.size, meta.flags.as_slice()), (4, &[][..]));
            Change::Appended(meta.clone())
        }));
        assert_eq!(changes, expected);

        // A read-write view that lags takes `\Recent` for what it learns in the resync.
        let changes = reader.changes().await.unwrap();
        assert_eq!(changes[0], Change::Expunged { uid: first });
        assert_eq!(
            appended(&changes[1..]),
            uids.map(|uid| (uid, true)).collect::<Vec<_>>()
        );

        // After the resync, the feed goes on from where the mailbox is.
        writer
            .set_flags(&[72], FlagChange::Add(vec![Flag::Seen]))
            .await
            .unwrap();
        assert_eq!(
            behind.changes().await.unwrap(),
            [Change::Flags {
                uid: 72,
                flags: vec![Flag::Seen]
            }]
        );
        assert_eq!(behind.changes().await.unwrap(), []);
    }

    #[tokio::test]
    async fn flag_changes_apply_to_the_stored_flags() {
        let mailboxes = fred().await;
        let uid = append(&mailboxes, "INBOX", vec![Flag::Seen, keyword("$Work")]).await;
        let other = append(&mailboxes, "INBOX", vec![]).await;
        let (view, _) = mailboxes.select("INBOX", false).await.unwrap();

        let added = view
            .set_flags(
                &[uid, 99],
                FlagChange::Add(vec![Flag::Flagged, Flag::Seen, keyword("\\Recent")]),
            )
            .await
            .unwrap();
        assert_eq!(
            added,
            [(uid, vec![Flag::Seen, keyword("$Work"), Flag::Flagged])]
        );
        let removed = view
            .set_flags(
                &[uid, other],
                FlagChange::Remove(vec![Flag::Seen, keyword("$WORK")]),
            )
            .await
            .unwrap();
        assert_eq!(removed, [(uid, vec![Flag::Flagged]), (other, vec![])]);
        let replaced = view
            .set_flags(
                &[other],
                FlagChange::Replace(vec![keyword("$Later"), Flag::Draft]),
            )
            .await
            .unwrap();
        assert_eq!(replaced, [(other, vec![keyword("$Later"), Flag::Draft])]);

        let (mut examine, snapshot) = mailboxes.select("INBOX", true).await.unwrap();
        assert_eq!(snapshot.keywords, [keyword("$Work"), keyword("$Later")]);
        assert_eq!(snapshot.messages[0].flags, [Flag::Flagged]);
        let refused = examine
            .set_flags(&[uid], FlagChange::Add(vec![Flag::Seen]))
            .await;
        assert!(matches!(refused, Err(StoreError::NoPermission)));
        assert!(matches!(
            examine.expunge(&[uid]).await,
            Err(StoreError::NoPermission)
        ));
        assert_eq!(examine.changes().await.unwrap(), []);
    }

    #[tokio::test]
    async fn copy_and_move_place_messages_in_source_order() {
        let mailboxes = fred().await;
        let flagged = append(&mailboxes, "INBOX", vec![Flag::Flagged]).await;
        let plain = append(&mailboxes, "INBOX", vec![]).await;
        append(&mailboxes, "Trash", vec![]).await;
        let trash = mailboxes.status("Trash").await.unwrap().uid_validity;
        let (mut source, _) = mailboxes.select("INBOX", false).await.unwrap();
        let (mut target, _) = mailboxes.select("Trash", false).await.unwrap();

        let placed = source
            .copy(&[plain, 99, flagged, plain], "Trash", false)
            .await
            .unwrap();
        assert_eq!(
            placed,
            Copied {
                uid_validity: trash,
                uids: vec![(plain, 2), (flagged, 3)]
            }
        );
        let placed = source.copy(&[flagged, plain], "Trash", true).await.unwrap();
        assert_eq!(
            placed,
            Copied {
                uid_validity: trash,
                uids: vec![(flagged, 4), (plain, 5)]
            }
        );

        assert_eq!(
            source.changes().await.unwrap(),
            [
                Change::Expunged { uid: flagged },
                Change::Expunged { uid: plain }
            ]
        );
        let changes = target.changes().await.unwrap();
        assert_eq!(
            appended(&changes),
            [(2, true), (3, true), (4, true), (5, true)]
        );
        let flags: Vec<_> = changes
            .iter()
            .map(|c| match c {
                Change::Appended(meta) => meta.flags.clone(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            flags,
            [vec![], vec![Flag::Flagged], vec![Flag::Flagged], vec![]]
        );
        assert_eq!(body(&target, 5).await, "hi\r\n");
        assert_eq!(mailboxes.status("INBOX").await.unwrap().messages, 0);

        let missing = source.copy(&[1], "Nowhere", false).await;
        assert!(matches!(missing, Err(StoreError::NoMailbox(n)) if n == "Nowhere"));
        let (examine, _) = mailboxes.select("Trash", true).await.unwrap();
        assert_eq!(
            examine.copy(&[2], "INBOX", false).await.unwrap().uids,
            [(2, 3)]
        );
        assert!(matches!(
            examine.copy(&[2], "INBOX", true).await,
            Err(StoreError::NoPermission)
        ));
    }

    #[tokio::test]
    async fn expunge_returns_what_it_removed() {
        let mailboxes = fred().await;
        for _ in 0..3 {
            append(&mailboxes, "INBOX", vec![]).await;
        }
        let (mut view, _) = mailboxes.select("INBOX", false).await.unwrap();
        assert_eq!(view.expunge(&[3, 7, 1]).await.unwrap(), [3, 1]);
        assert_eq!(view.expunge(&[1]).await.unwrap(), []);
        assert_eq!(
            view.changes().await.unwrap(),
            [Change::Expunged { uid: 3 }, Change::Expunged { uid: 1 }]
        );
        assert!(view.content(1, 0).await.unwrap().is_none());
        assert_eq!(body(&view, 2).await, "hi\r\n");
    }

    #[tokio::test]
    async fn a_selected_inbox_sees_its_messages_leave_when_renamed() {
        let mailboxes = fred().await;
        append(&mailboxes, "INBOX", vec![]).await;
        append(&mailboxes, "INBOX", vec![]).await;
        let (mut inbox, _) = mailboxes.select("INBOX", false).await.unwrap();
        mailboxes.rename("INBOX", "Old").await.unwrap();
        assert_eq!(
            inbox.changes().await.unwrap(),
            [Change::Expunged { uid: 1 }, Change::Expunged { uid: 2 }]
        );
        assert_eq!(append(&mailboxes, "INBOX", vec![]).await, 3);
        assert_eq!(appended(&inbox.changes().await.unwrap()), [(3, true)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_deleted_or_renamed_mailbox_is_gone() {
        let mailboxes = fred().await;
        mailboxes.create("a").await.unwrap();
        mailboxes.create("b/c").await.unwrap();
        mailboxes.create("d").await.unwrap();
        let (mut deleted, _) = mailboxes.select("a", false).await.unwrap();
        let (mut renamed, _) = mailboxes.select("b/c", true).await.unwrap();
        let (mut parent, _) = mailboxes.select("b", false).await.unwrap();
        let (mut recreated, _) = mailboxes.select("d", false).await.unwrap();

        let waiter = tokio::spawn(async move { deleted.wait_changes().await });
        tokio::task::yield_now().await;
        mailboxes.delete("a").await.unwrap();
        let woken = tokio::time::timeout(Duration::from_secs(10), waiter)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(woken, Err(StoreError::Gone)));

        mailboxes.rename("b", "e").await.unwrap();
        assert!(matches!(renamed.changes().await, Err(StoreError::Gone)));
        assert!(matches!(renamed.content(1, 0).await, Err(StoreError::Gone)));
        mailboxes.create("b").await.unwrap();
        assert!(matches!(parent.changes().await, Err(StoreError::Gone)));
        assert!(matches!(parent.expunge(&[1]).await, Err(StoreError::Gone)));

        mailboxes.delete("d").await.unwrap();
        mailboxes.create("d").await.unwrap();
        assert!(matches!(
            recreated.content(1, 0).await,
            Err(StoreError::Gone)
        ));
        assert!(matches!(
            recreated.wait_changes().await,
            Err(StoreError::Gone)
        ));
    }
}
