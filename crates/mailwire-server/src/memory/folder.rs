//! One mailbox: its messages, its UIDs, and the store's side of its change feed.

use std::num::NonZeroU32;

use bytes::Bytes;
use mailwire_imap::types::{DateTime, Flag, MailboxAttribute};
use tokio::sync::broadcast;

use super::message::{Message, same_flag};
use crate::store::{Change, Snapshot};
use crate::{StoreError, StoreResult};

/// How many changes a mailbox's feed holds for a view that has not read them; a view
/// further behind compares what it knows with the mailbox instead.
pub(super) const FEED_CAPACITY: usize = 64;

/// One mailbox name of a user, with its messages.
#[derive(Debug)]
pub(super) struct Folder {
    pub(super) uid_validity: NonZeroU32,
    pub(super) uid_next: NonZeroU32,
    pub(super) special: Option<MailboxAttribute>,
    /// `false` for a name kept only because it has children (`\Noselect`).
    pub(super) selectable: bool,
    /// By ascending UID.
    pub(super) messages: Vec<Message>,
    /// Every keyword ever set in the mailbox, in the order first seen.
    pub(super) keywords: Vec<Flag>,
    pub(super) feed: broadcast::Sender<Change>,
}

impl Folder {
    pub(super) fn new(uid_validity: NonZeroU32, selectable: bool) -> Self {
        Self {
            uid_validity,
            uid_next: NonZeroU32::MIN,
            special: None,
            selectable,
            messages: Vec::new(),
            keywords: Vec::new(),
            feed: broadcast::channel(FEED_CAPACITY).0,
        }
    }

    pub(super) fn position(&self, uid: u32) -> Option<usize> {
        self.messages.binary_search_by_key(&uid, |m| m.uid).ok()
    }

    /// Tells every view of the mailbox a change; a mailbox no view watches drops it.
    pub(super) fn announce(&self, change: Change) {
        let _ = self.feed.send(change);
    }

    /// Ends the feed of every view open now: each of them then reports
    /// [`StoreError::Gone`], while views opened later get a new feed.
    pub(super) fn close_views(&mut self) {
        self.feed = broadcast::channel(FEED_CAPACITY).0;
    }

    pub(super) fn learn_keywords(&mut self, flags: &[Flag]) {
        for flag in flags {
            if matches!(flag, Flag::Keyword(_)) && !self.keywords.iter().any(|k| same_flag(k, flag))
            {
                self.keywords.push(flag.clone());
            }
        }
    }

    /// Stores a message under the next UID and announces it.
    pub(super) fn add(
        &mut self,
        flags: Vec<Flag>,
        internal_date: DateTime,
        content: Bytes,
    ) -> StoreResult<u32> {
        let uid = self.uid_next;
        // UID u32::MAX could be given, but UIDNEXT could then not name the next one.
        self.uid_next = uid
            .checked_add(1)
            .filter(|next| next.get() < u32::MAX)
            .ok_or_else(|| StoreError::Limit("no UID left in the mailbox".into()))?;
        self.learn_keywords(&flags);
        let message = Message {
            uid: uid.get(),
            flags,
            internal_date,
            content,
            unclaimed: true,
        };
        self.announce(Change::Appended(message.meta(false)));
        self.messages.push(message);
        Ok(uid.get())
    }

    /// Removes a message and announces it.
    pub(super) fn remove(&mut self, uid: u32) -> Option<Message> {
        let message = self.messages.remove(self.position(uid)?);
        self.announce(Change::Expunged { uid });
        Some(message)
    }

    pub(super) fn snapshot(&mut self, read_only: bool) -> Snapshot {
        Snapshot {
            uid_validity: self.uid_validity,
            uid_next: self.uid_next,
            keywords: self.keywords.clone(),
            keywords_allowed: true,
            messages: self
                .messages
                .iter_mut()
                .map(|m| {
                    let recent = m.claim(read_only);
                    m.meta(recent)
                })
                .collect(),
        }
    }
}
