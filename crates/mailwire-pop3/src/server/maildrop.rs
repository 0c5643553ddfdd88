//! The messages of a maildrop as the session sees them: sizes, unique-ids, deletion marks.

use crate::types::{argument::MessageNumber, listing::UniqueId};

/// One message the application offers: its exact size and unique-id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// Exact size in octets, with CRLF line endings, before dot-stuffing (RFC 1939 §11).
    pub size: u64,
    /// Its unique-id, stable across sessions (RFC 1939 §7).
    pub unique_id: UniqueId,
}

/// The maildrop the application opened for a session, numbered from 1 in the given order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maildrop {
    messages: Vec<MessageInfo>,
    deleted: Vec<bool>,
}

impl Maildrop {
    /// The messages, in the order they are numbered.
    pub fn new(messages: Vec<MessageInfo>) -> Self {
        let deleted = vec![false; messages.len()];
        Self { messages, deleted }
    }

    fn index(message: MessageNumber) -> usize {
        usize::try_from(message.get() - 1).unwrap_or(usize::MAX)
    }

    /// A message not marked as deleted.
    pub(crate) fn get(&self, message: MessageNumber) -> Option<&MessageInfo> {
        let i = Self::index(message);
        match self.deleted.get(i) {
            Some(false) => self.messages.get(i),
            _ => None,
        }
    }

    /// Whether the number is in range but marked.
    pub(crate) fn is_deleted(&self, message: MessageNumber) -> bool {
        self.deleted.get(Self::index(message)) == Some(&true)
    }

    pub(crate) fn mark(&mut self, message: MessageNumber) {
        if let Some(d) = self.deleted.get_mut(Self::index(message)) {
            *d = true;
        }
    }

    pub(crate) fn unmark_all(&mut self) {
        self.deleted.iter_mut().for_each(|d| *d = false);
    }

    /// Messages not marked, with their numbers.
    pub(crate) fn visible(&self) -> impl Iterator<Item = (MessageNumber, &MessageInfo)> {
        self.messages
            .iter()
            .zip(&self.deleted)
            .enumerate()
            .filter(|(_, (_, d))| !**d)
            .filter_map(|(i, (m, _))| {
                let n = u32::try_from(i + 1)
                    .ok()
                    .and_then(|n| MessageNumber::new(n).ok())?;
                Some((n, m))
            })
    }

    /// Count and total size of the messages not marked.
    pub(crate) fn stat(&self) -> (usize, u64) {
        self.visible().fold((0, 0), |(n, size), (_, m)| {
            (n + 1, size.saturating_add(m.size))
        })
    }

    /// The marked messages.
    pub(crate) fn marked(&self) -> Vec<Deleted> {
        self.messages
            .iter()
            .zip(&self.deleted)
            .enumerate()
            .filter(|(_, (_, d))| **d)
            .filter_map(|(i, (m, _))| {
                let n = u32::try_from(i + 1)
                    .ok()
                    .and_then(|n| MessageNumber::new(n).ok())?;
                Some(Deleted {
                    message: n,
                    unique_id: m.unique_id.clone(),
                })
            })
            .collect()
    }
}

/// A message to remove from the maildrop at the end of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    /// Its number in this session.
    pub message: MessageNumber,
    /// Its unique-id.
    pub unique_id: UniqueId,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drop3() -> Maildrop {
        Maildrop::new(
            [120, 200, 5]
                .into_iter()
                .enumerate()
                .map(|(i, size)| MessageInfo {
                    size,
                    unique_id: UniqueId::new(format!("u{i}")).unwrap(),
                })
                .collect(),
        )
    }

    fn n(n: u32) -> MessageNumber {
        MessageNumber::new(n).unwrap()
    }

    #[test]
    fn marks_hide_messages_until_unmarked() {
        let mut m = drop3();
        assert_eq!(m.stat(), (3, 325));
        m.mark(n(2));
        assert_eq!(m.stat(), (2, 125));
        assert!(m.get(n(2)).is_none());
        assert!(m.is_deleted(n(2)));
        assert_eq!(
            m.visible().map(|(n, _)| n.get()).collect::<Vec<_>>(),
            [1, 3]
        );
        assert_eq!(
            m.marked(),
            vec![Deleted {
                message: n(2),
                unique_id: UniqueId::new("u1").unwrap()
            }]
        );
        m.unmark_all();
        assert_eq!(m.stat(), (3, 325));
        assert!(m.marked().is_empty());
    }

    #[test]
    fn out_of_range_numbers_are_absent() {
        let mut m = drop3();
        assert!(m.get(n(4)).is_none());
        assert!(!m.is_deleted(n(4)));
        m.mark(n(u32::MAX));
        assert_eq!(m.stat(), (3, 325));
    }
}
