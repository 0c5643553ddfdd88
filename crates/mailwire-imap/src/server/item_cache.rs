//! Encoded `ENVELOPE`, `BODY` and `BODYSTRUCTURE` items of the selected mailbox's messages,
//! by UID, within a byte budget.
//!
//! A message's content never changes while its UID and the mailbox's UIDVALIDITY stay the
//! same (RFC 3501 §2.3.1.1), so what was computed from it once may be sent again: clients
//! commonly fetch the same envelopes and structures each time they open a mailbox or
//! scroll back. The cache lives with the mailbox view and goes when another mailbox is
//! selected. When the budget is spent, the entries stored first are dropped first.

use std::collections::{HashMap, VecDeque};

/// What is counted for one entry besides its bytes: the map slot, the queue slot and
/// the boxes' headers.
const ENTRY_OVERHEAD: usize = 96;

/// The message-derived items worth keeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CachedItem {
    Envelope = 0,
    Body = 1,
    BodyStructure = 2,
}

#[derive(Debug, Clone, Default)]
struct Entry {
    items: [Option<Box<[u8]>>; 3],
}

impl Entry {
    fn bytes(&self) -> usize {
        ENTRY_OVERHEAD + self.items.iter().flatten().map(|b| b.len()).sum::<usize>()
    }
}

/// Encoded items by UID, at most `budget` bytes of them.
#[derive(Debug, Clone, Default)]
pub(crate) struct ItemCache {
    budget: usize,
    used: usize,
    entries: HashMap<u32, Entry>,
    /// UIDs in the order their entries were made, oldest first.
    order: VecDeque<u32>,
}

impl ItemCache {
    /// A cache holding at most `budget` bytes; 0 keeps nothing.
    pub(crate) fn new(budget: usize) -> Self {
        Self {
            budget,
            ..Self::default()
        }
    }

    /// The encoded item for `uid`, if kept.
    pub(crate) fn get(&self, uid: u32, item: CachedItem) -> Option<&[u8]> {
        self.entries.get(&uid)?.items[item as usize].as_deref()
    }

    /// Keeps `bytes` as `uid`'s encoded `item`, dropping the oldest entries if the budget
    /// needs it; an item larger than the whole budget is not kept.
    pub(crate) fn insert(&mut self, uid: u32, item: CachedItem, bytes: &[u8]) {
        let new_entry = !self.entries.contains_key(&uid);
        let cost = bytes.len() + if new_entry { ENTRY_OVERHEAD } else { 0 };
        if cost > self.budget {
            return;
        }
        while self.used + cost > self.budget {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if oldest == uid {
                // Never evict the entry being added to; it goes to the back instead.
                self.order.push_back(oldest);
                if self.order.len() == 1 {
                    return;
                }
                continue;
            }
            if let Some(e) = self.entries.remove(&oldest) {
                self.used -= e.bytes();
            }
        }
        let entry = self.entries.entry(uid).or_default();
        if new_entry {
            self.order.push_back(uid);
        }
        let slot = &mut entry.items[item as usize];
        if let Some(old) = slot.take() {
            self.used -= old.len();
        }
        *slot = Some(bytes.into());
        self.used += cost;
    }

    /// Forgets `uid` (expunged).
    pub(crate) fn remove(&mut self, uid: u32) {
        if let Some(e) = self.entries.remove(&uid) {
            self.used -= e.bytes();
            self.order.retain(|&u| u != uid);
        }
    }

    /// Bytes counted against the budget.
    #[cfg(test)]
    fn used(&self) -> usize {
        self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_items_until_the_budget_is_spent_then_drops_the_oldest() {
        let mut c = ItemCache::new(2 * ENTRY_OVERHEAD + 20);
        c.insert(1, CachedItem::Envelope, b"0123456789");
        c.insert(2, CachedItem::Envelope, b"abcdefghij");
        assert_eq!(c.get(1, CachedItem::Envelope), Some(&b"0123456789"[..]));
        assert_eq!(c.get(1, CachedItem::Body), None);
        assert_eq!(c.used(), 2 * ENTRY_OVERHEAD + 20);
        c.insert(3, CachedItem::Envelope, b"xyz");
        assert_eq!(c.get(1, CachedItem::Envelope), None);
        assert_eq!(c.get(2, CachedItem::Envelope), Some(&b"abcdefghij"[..]));
        assert_eq!(c.get(3, CachedItem::Envelope), Some(&b"xyz"[..]));
        assert_eq!(c.used(), 2 * ENTRY_OVERHEAD + 13);
        // A second item of a kept entry costs only its bytes.
        c.insert(3, CachedItem::BodyStructure, b"1234567");
        assert_eq!(c.used(), 2 * ENTRY_OVERHEAD + 20);
        assert_eq!(c.get(2, CachedItem::Envelope), Some(&b"abcdefghij"[..]));
        // Growing the newest entry past the budget drops the older one, not itself.
        c.insert(3, CachedItem::Body, b"12345");
        assert_eq!(c.get(2, CachedItem::Envelope), None);
        assert_eq!(c.get(3, CachedItem::Body), Some(&b"12345"[..]));
        assert_eq!(c.used(), ENTRY_OVERHEAD + 15);
        c.remove(3);
        assert_eq!(c.used(), 0);
        assert_eq!(c.get(3, CachedItem::Envelope), None);
    }

    #[test]
    fn nothing_is_kept_without_a_budget_or_beyond_it() {
        let mut c = ItemCache::new(0);
        c.insert(1, CachedItem::Envelope, b"x");
        assert_eq!(c.get(1, CachedItem::Envelope), None);
        let mut c = ItemCache::new(ENTRY_OVERHEAD + 4);
        c.insert(1, CachedItem::Envelope, b"12345");
        assert_eq!(c.get(1, CachedItem::Envelope), None);
        assert_eq!(c.used(), 0);
    }
}
