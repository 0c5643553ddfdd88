//! One connection's view of the selected mailbox: sequence numbers ↔ UIDs, and the
//! changes made elsewhere that the client has not been told about yet.

use std::num::NonZeroU32;

use crate::types::{Flag, FlagPerm, Mailbox, SeqNumber, SeqRange, SequenceSet};

use super::event::{MailboxSnapshot, MailboxUpdate, MessageInfo};
use super::item_cache::ItemCache;

/// The selected mailbox as this client knows it.
#[derive(Debug, Clone)]
pub(crate) struct View {
    pub(crate) mailbox: Mailbox,
    pub(crate) read_only: bool,
    pub(crate) uid_validity: NonZeroU32,
    pub(crate) uid_next: NonZeroU32,
    /// The mailbox's flags as the client last heard them in a FLAGS response.
    flags: Vec<Flag>,
    /// Whether clients may create keywords (`\*` in PERMANENTFLAGS).
    keywords_allowed: bool,
    /// Whether `flags` gained a keyword the client has not been told about.
    flags_grew: bool,
    /// The messages the client knows, by sequence number (index + 1).
    pub(crate) messages: Vec<MessageInfo>,
    /// Expunged elsewhere, still numbered until an EXPUNGE response is allowed.
    pending_expunge: Vec<u32>,
    /// Appended elsewhere, not numbered until an EXISTS response announces them.
    pending_new: Vec<MessageInfo>,
    /// Messages whose flags changed elsewhere (already changed in `messages`).
    pending_flags: Vec<u32>,
    /// Changes reported while a FETCH line was open, taken in once it is closed.
    held: Vec<MailboxUpdate>,
    /// Encoded FETCH items computed from the messages' content.
    pub(crate) cache: ItemCache,
}

/// What the client must be told, in order (RFC 3501 §7.4.1, §7.3.1).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Announcements {
    /// Sequence numbers to report expunged, each valid at the time it is sent.
    pub(crate) expunged: Vec<u32>,
    /// The new EXISTS count, if it changed.
    pub(crate) exists: Option<u32>,
    /// The new RECENT count, if new messages arrived.
    pub(crate) recent: Option<u32>,
    /// Sequence numbers whose flags to report.
    pub(crate) flags: Vec<u32>,
}

impl View {
    pub(crate) fn new(mailbox: Mailbox, read_only: bool, snapshot: MailboxSnapshot) -> Self {
        let mut messages = snapshot.messages;
        messages.sort_by_key(|m| m.uid);
        messages.dedup_by_key(|m| m.uid);
        messages.retain(|m| m.uid != 0);
        let mut view = Self {
            mailbox,
            read_only,
            uid_validity: snapshot.uid_validity,
            uid_next: snapshot.uid_next,
            flags: Vec::new(),
            keywords_allowed: snapshot.keywords_allowed,
            flags_grew: false,
            messages: Vec::new(),
            pending_expunge: Vec::new(),
            pending_new: Vec::new(),
            pending_flags: Vec::new(),
            held: Vec::new(),
            cache: ItemCache::default(),
        };
        for f in snapshot.flags {
            if !view.flags.contains(&f) {
                view.flags.push(f);
            }
        }
        // A store may leave out of its list a keyword its messages carry: the FLAGS
        // response sent on SELECT names it all the same.
        for m in &messages {
            view.learn(&m.flags);
        }
        view.messages = messages;
        view.flags_grew = false;
        view
    }

    /// The FLAGS list, as the client is told it.
    pub(crate) fn flags(&self) -> &[Flag] {
        &self.flags
    }

    /// The PERMANENTFLAGS list: none in a read-only mailbox; otherwise the FLAGS list,
    /// with `\*` when clients may create keywords.
    pub(crate) fn permanent_flags(&self) -> Vec<FlagPerm> {
        let mut out = Vec::new();
        if !self.read_only {
            out.extend(self.flags.iter().cloned().map(FlagPerm::Flag));
            if self.keywords_allowed {
                out.push(FlagPerm::Wildcard);
            }
        }
        out
    }

    /// Takes into the FLAGS list the keywords of `flags` it lacks (RFC 3501 §7.2.6: a
    /// client learns the keywords a FETCH may report from FLAGS).
    fn learn(&mut self, flags: &[Flag]) {
        for f in flags {
            if matches!(f, Flag::Keyword(_)) && !self.flags.contains(f) {
                self.flags.push(f.clone());
                self.flags_grew = true;
            }
        }
    }

    /// Whether the FLAGS list grew since the client was last told it; the caller tells
    /// it now, before any FETCH that could use the new keywords.
    pub(crate) fn take_flags_grew(&mut self) -> bool {
        std::mem::take(&mut self.flags_grew)
    }

    /// Sets the flags of the message with sequence number `seq`: the only way a known
    /// message's flags change, so that the FLAGS list always holds its keywords.
    pub(crate) fn set_flags(&mut self, seq: u32, flags: Vec<Flag>) {
        self.learn(&flags);
        if let Some(m) = self.by_seq_mut(seq) {
            m.flags = flags;
        }
    }

    pub(crate) fn exists(&self) -> u32 {
        count(self.messages.len())
    }

    pub(crate) fn recent(&self) -> u32 {
        count(self.messages.iter().filter(|m| m.recent).count())
    }

    pub(crate) fn largest_uid(&self) -> u32 {
        self.messages.last().map_or(0, |m| m.uid)
    }

    /// The sequence number of `uid`, if the client knows the message.
    pub(crate) fn seq_of(&self, uid: u32) -> Option<u32> {
        self.messages
            .binary_search_by_key(&uid, |m| m.uid)
            .ok()
            .map(|i| count(i + 1))
    }

    /// The message with sequence number `seq`.
    pub(crate) fn by_seq(&self, seq: u32) -> Option<&MessageInfo> {
        self.messages
            .get(usize::try_from(seq).ok()?.checked_sub(1)?)
    }

    pub(crate) fn by_seq_mut(&mut self, seq: u32) -> Option<&mut MessageInfo> {
        self.messages
            .get_mut(usize::try_from(seq).ok()?.checked_sub(1)?)
    }

    /// The `(seq, uid)` pairs a set names, ascending; numbers beyond the mailbox are
    /// ignored (RFC 3501 §6.4.8 for UIDs; for sequence numbers the caller checks first).
    pub(crate) fn resolve(&self, set: &SequenceSet, uid: bool) -> Vec<(u32, u32)> {
        let largest = if uid {
            self.largest_uid()
        } else {
            self.exists()
        };
        if largest == 0 {
            return Vec::new();
        }
        if uid {
            self.messages
                .iter()
                .enumerate()
                .filter(|(_, m)| set.contains(m.uid, largest))
                .map(|(i, m)| (count(i + 1), m.uid))
                .collect()
        } else {
            self.messages
                .iter()
                .enumerate()
                .filter(|(i, _)| set.contains(count(i + 1), largest))
                .map(|(i, m)| (count(i + 1), m.uid))
                .collect()
        }
    }

    /// Whether a sequence set names only existing sequence numbers (RFC 3501 §9: a
    /// number above the mailbox's size is an error).
    pub(crate) fn seq_set_valid(&self, set: &SequenceSet) -> bool {
        let exists = self.exists();
        let ok = |n: SeqNumber| match n {
            SeqNumber::Value(v) => v.get() <= exists,
            SeqNumber::Largest => exists > 0,
        };
        set.ranges().iter().all(|r| match *r {
            SeqRange::Single(a) => ok(a),
            SeqRange::Range(a, b) => ok(a) && ok(b),
        })
    }

    /// Records a change made elsewhere; nothing is told to the client yet. What the view
    /// knows already is ignored, since a store reports the changes this session made too:
    /// a new message whose UID is not above every UID known, the expunge of a message not
    /// in the view, flags equal to the view's (in any order).
    pub(crate) fn update(&mut self, update: MailboxUpdate) {
        match update {
            MailboxUpdate::Appended {
                uid,
                flags,
                recent,
                internal_date,
                size,
            } => {
                let known = self
                    .largest_uid()
                    .max(self.pending_new.last().map_or(0, |m| m.uid));
                if uid > known {
                    self.pending_new.push(MessageInfo {
                        uid,
                        flags,
                        recent,
                        internal_date,
                        size,
                    });
                    if let Some(next) = uid.checked_add(1).and_then(NonZeroU32::new) {
                        self.uid_next = self.uid_next.max(next);
                    }
                }
            }
            MailboxUpdate::Expunged { uid } => {
                if let Some(i) = self.pending_new.iter().position(|m| m.uid == uid) {
                    self.pending_new.remove(i);
                } else if self.seq_of(uid).is_some() && !self.pending_expunge.contains(&uid) {
                    self.pending_expunge.push(uid);
                }
            }
            MailboxUpdate::Flags { uid, flags } => {
                if let Some(m) = self.pending_new.iter_mut().find(|m| m.uid == uid) {
                    m.flags = flags;
                } else if let Some(seq) = self.seq_of(uid) {
                    // What the view holds already (this session's own STORE, reported
                    // back by the store) is nothing new to tell.
                    if self
                        .by_seq(seq)
                        .is_some_and(|m| !same_flags(&m.flags, &flags))
                    {
                        self.set_flags(seq, flags);
                        self.flags_changed(uid);
                    }
                }
            }
        }
    }

    /// Keeps a change reported while a FETCH line is open (a literal streams): the rest of
    /// the line must not show a keyword the client has not been told about in FLAGS.
    pub(crate) fn hold(&mut self, update: MailboxUpdate) {
        self.held.push(update);
    }

    /// Takes in the changes held while a FETCH line was open.
    pub(crate) fn release(&mut self) {
        for update in std::mem::take(&mut self.held) {
            self.update(update);
        }
    }

    /// Removes messages this session expunged itself, giving the sequence number to
    /// report for each, in the order to send them.
    pub(crate) fn expunge(&mut self, uids: &[u32]) -> Vec<u32> {
        let mut out = Vec::new();
        for &uid in uids {
            if let Some(seq) = self.seq_of(uid) {
                self.messages.remove(usize::try_from(seq - 1).unwrap_or(0));
                self.pending_expunge.retain(|&u| u != uid);
                self.pending_flags.retain(|&u| u != uid);
                self.cache.remove(uid);
                out.push(seq);
            }
        }
        out
    }

    /// Applies what may be told now: expunges only when `allow_expunge`, then new
    /// messages, then flag changes.
    pub(crate) fn announce(&mut self, allow_expunge: bool) -> Announcements {
        self.release();
        let mut a = Announcements::default();
        if allow_expunge && !self.pending_expunge.is_empty() {
            let uids = std::mem::take(&mut self.pending_expunge);
            a.expunged = self.expunge(&uids);
        }
        if !self.pending_new.is_empty() {
            let new = std::mem::take(&mut self.pending_new);
            for m in &new {
                self.learn(&m.flags);
            }
            self.messages.extend(new);
            a.exists = Some(self.exists());
            a.recent = Some(self.recent());
        }
        let flags = std::mem::take(&mut self.pending_flags);
        a.flags = flags.iter().filter_map(|&uid| self.seq_of(uid)).collect();
        a.flags.sort_unstable();
        a
    }

    /// The store no longer has `uid`: expunged elsewhere, to be told when allowed.
    pub(crate) fn gone(&mut self, uid: u32) {
        self.update(MailboxUpdate::Expunged { uid });
    }

    /// Whether `uid` was expunged elsewhere, which the client has not been told yet.
    pub(crate) fn expunged_elsewhere(&self, uid: u32) -> bool {
        self.pending_expunge.contains(&uid)
    }

    /// The client has just been told `uid`'s flags: a change made elsewhere before need
    /// not be told again.
    pub(crate) fn flags_reported(&mut self, uid: u32) {
        self.pending_flags.retain(|&u| u != uid);
    }

    /// `uid`'s flags (already changed in the view) are to be told at the next
    /// opportunity, as a change made elsewhere.
    pub(crate) fn flags_changed(&mut self, uid: u32) {
        if !self.pending_flags.contains(&uid) {
            self.pending_flags.push(uid);
        }
    }

    /// Whether a message's flags include `flag`.
    pub(crate) fn has_flag(&self, seq: u32, flag: &Flag) -> bool {
        self.by_seq(seq).is_some_and(|m| m.flags.contains(flag))
    }
}

/// Whether two flag lists hold the same flags, in any order.
fn same_flags(a: &[Flag], b: &[Flag]) -> bool {
    a.iter().all(|f| b.contains(f)) && b.iter().all(|f| a.contains(f))
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Date, DateTime};

    fn date() -> DateTime {
        DateTime::new(Date::new(2024, 5, 1).unwrap(), 9, 30, 0, 0).unwrap()
    }

    fn view(uids: &[u32]) -> View {
        View::new(
            Mailbox::Inbox,
            false,
            MailboxSnapshot {
                uid_validity: NonZeroU32::new(7).unwrap(),
                uid_next: NonZeroU32::new(100).unwrap(),
                flags: vec![],
                keywords_allowed: true,
                messages: uids
                    .iter()
                    .map(|&uid| MessageInfo {
                        uid,
                        flags: vec![],
                        recent: false,
                        internal_date: date(),
                        size: 100,
                    })
                    .collect(),
            },
        )
    }

    #[test]
    fn expunges_wait_until_allowed_and_renumber() {
        let mut v = view(&[10, 20, 30, 40]);
        v.update(MailboxUpdate::Expunged { uid: 20 });
        v.update(MailboxUpdate::Expunged { uid: 40 });
        let held = v.announce(false);
        assert_eq!(held, Announcements::default());
        assert_eq!(v.seq_of(40), Some(4));
        let told = v.announce(true);
        // 20 is sequence 2; then 40 has become sequence 3.
        assert_eq!(told.expunged, [2, 3]);
        assert_eq!(v.exists(), 2);
        assert_eq!(v.seq_of(30), Some(2));
    }

    #[test]
    fn new_messages_numbered_only_once_announced() {
        let mut v = view(&[10]);
        v.update(MailboxUpdate::Appended {
            uid: 11,
            flags: vec![],
            recent: true,
            internal_date: date(),
            size: 10,
        });
        v.update(MailboxUpdate::Appended {
            uid: 5,
            flags: vec![],
            recent: true,
            internal_date: date(),
            size: 10,
        });
        assert_eq!(v.exists(), 1);
        assert_eq!(v.seq_of(11), None);
        let a = v.announce(false);
        assert_eq!((a.exists, a.recent), (Some(2), Some(1)));
        assert_eq!(v.seq_of(11), Some(2));
        assert_eq!(v.uid_next.get(), 100);
    }

    #[test]
    fn what_the_view_knows_already_is_not_told_again() {
        let mut v = view(&[10, 20]);
        v.messages[0].flags = vec![Flag::Seen, Flag::Flagged];
        v.update(MailboxUpdate::Appended {
            uid: 30,
            flags: vec![],
            recent: false,
            internal_date: date(),
            size: 10,
        });
        // Known already: numbered, pending, or not above them.
        for uid in [20, 30, 25] {
            v.update(MailboxUpdate::Appended {
                uid,
                flags: vec![Flag::Deleted],
                recent: true,
                internal_date: date(),
                size: 99,
            });
        }
        v.update(MailboxUpdate::Expunged { uid: 15 });
        v.update(MailboxUpdate::Flags {
            uid: 10,
            flags: vec![Flag::Flagged, Flag::Seen],
        });
        v.update(MailboxUpdate::Flags {
            uid: 99,
            flags: vec![Flag::Seen],
        });
        let a = v.announce(true);
        assert_eq!(
            a,
            Announcements {
                expunged: vec![],
                exists: Some(3),
                recent: Some(0),
                flags: vec![],
            }
        );
        assert_eq!(v.messages[2].size, 10);
        assert_eq!(v.messages[2].flags, []);
        v.update(MailboxUpdate::Flags {
            uid: 20,
            flags: vec![Flag::Answered],
        });
        assert_eq!(v.announce(true).flags, [2]);
    }

    #[test]
    fn resolves_sets_by_sequence_and_uid() {
        let v = view(&[10, 20, 30]);
        let set = |s: &str| s.parse::<SequenceSet>().unwrap();
        assert_eq!(v.resolve(&set("2:*"), false), [(2, 20), (3, 30)]);
        assert_eq!(v.resolve(&set("15:25,99"), true), [(2, 20)]);
        assert_eq!(v.resolve(&set("*"), true), [(3, 30)]);
        assert!(v.seq_set_valid(&set("1:3")));
        assert!(!v.seq_set_valid(&set("4")));
    }
}
