//! The unique-ids of the messages already fetched, and their text form for a state file.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use mailwire_pop3::{MessageNumber, ScanListing, UniqueId, UniqueIdListing};

use super::NewMessage;

/// The unique-ids (RFC 1939 §7) of the messages already fetched from a maildrop, for
/// [`Pop3Client::new_messages`](super::Pop3Client::new_messages).
///
/// Its text form, for a state file, is one unique-id a line after a comment line; lines
/// that are empty or start with `#` are skipped when read. A unique-id has no space and no
/// line break, so a program may also append `id\n` for each message as it is stored, and
/// a fetch cut short resumes where it stopped.
///
/// ```
/// use mailwire_pop3::UniqueId;
/// use mailwire_tokio::pop3::SeenIds;
///
/// let mut seen = SeenIds::parse("# mailwire pop3 unique-ids\nwhqtswO00WBw418f9t5JxYwZ\n")?;
/// seen.insert(UniqueId::new("QhdPYR:00WBw1Ph7x7")?);
/// assert!(seen.contains("whqtswO00WBw418f9t5JxYwZ"));
/// assert_eq!(
///     seen.to_string(),
///     "# mailwire pop3 unique-ids\nQhdPYR:00WBw1Ph7x7\nwhqtswO00WBw418f9t5JxYwZ\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeenIds {
    ids: BTreeSet<UniqueId>,
}

/// A state file line that is not a unique-id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: not a unique-id")]
pub struct SeenIdsError {
    /// The line, counted from 1.
    pub line: usize,
}

impl SeenIds {
    /// The comment line [`Display`](fmt::Display) starts with.
    pub const HEADER: &'static str = "# mailwire pop3 unique-ids";

    /// An empty set: every message is new.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the text form (see the type's documentation).
    pub fn parse(text: &str) -> Result<Self, SeenIdsError> {
        let mut ids = BTreeSet::new();
        for (n, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let id = UniqueId::new(line).map_err(|_| SeenIdsError { line: n + 1 })?;
            ids.insert(id);
        }
        Ok(Self { ids })
    }

    /// Whether `id` was seen.
    pub fn contains(&self, id: &str) -> bool {
        // Unique-ids are compared as the server sent them, octet for octet (RFC 1939 §7).
        UniqueId::new(id).is_ok_and(|id| self.ids.contains(&id))
    }

    /// Notes `id` as seen; false if it was already.
    pub fn insert(&mut self, id: UniqueId) -> bool {
        self.ids.insert(id)
    }

    /// Forgets the ids that `listings` (a whole `UIDL` answer) does not name: messages
    /// deleted from the server, whose ids the state file need not keep.
    pub fn retain_listed(&mut self, listings: &[UniqueIdListing]) {
        let listed: BTreeSet<&UniqueId> = listings.iter().map(|l| &l.unique_id).collect();
        self.ids.retain(|id| listed.contains(id));
    }

    /// The messages of a `UIDL` answer (`ids`) whose unique-id is not held, in its order,
    /// with their sizes from a `LIST` answer (`sizes`; 0 for a message it lacks).
    /// [`Pop3Client::new_messages`](super::Pop3Client::new_messages) asks for both and
    /// calls this.
    pub fn new_messages(&self, ids: &[UniqueIdListing], sizes: &[ScanListing]) -> Vec<NewMessage> {
        // Both listings are in message order on a server that follows RFC 1939; a lookup
        // keeps one that is not from pairing the wrong sizes.
        let size_of: HashMap<MessageNumber, u64> =
            sizes.iter().map(|l| (l.message, l.size)).collect();
        ids.iter()
            .filter(|l| !self.ids.contains(&l.unique_id))
            .map(|l| NewMessage {
                message: l.message,
                unique_id: l.unique_id.clone(),
                size: size_of.get(&l.message).copied().unwrap_or(0),
            })
            .collect()
    }

    /// How many ids are held.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no id is held.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The ids, in byte order.
    pub fn iter(&self) -> impl Iterator<Item = &UniqueId> {
        self.ids.iter()
    }
}

impl fmt::Display for SeenIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", Self::HEADER)?;
        for id in &self.ids {
            writeln!(f, "{id}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip_skips_comments_and_blank_lines() {
        let seen = SeenIds::parse("# a comment\n\nb\r\na\na\n").unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen.to_string(), "# mailwire pop3 unique-ids\na\nb\n");
        assert_eq!(SeenIds::parse(&seen.to_string()).unwrap(), seen);
    }

    #[test]
    fn lines_that_are_not_unique_ids_are_errors() {
        assert_eq!(
            SeenIds::parse("ok\nnot ok\n"),
            Err(SeenIdsError { line: 2 })
        );
        let long = "x".repeat(71);
        assert_eq!(SeenIds::parse(&long), Err(SeenIdsError { line: 1 }));
    }

    #[test]
    fn retain_listed_forgets_what_the_server_dropped() {
        let mut seen = SeenIds::parse("a\nb\nc\n").unwrap();
        let listing = |n, id: &str| UniqueIdListing {
            message: MessageNumber::new(n).unwrap(),
            unique_id: UniqueId::new(id).unwrap(),
        };
        seen.retain_listed(&[listing(1, "c"), listing(2, "d"), listing(3, "a")]);
        let ids: Vec<&str> = seen.iter().map(UniqueId::as_str).collect();
        assert_eq!(ids, ["a", "c"]);
        assert!(!seen.contains("b"));
        assert!(!seen.contains("not an id"));
    }

    #[test]
    fn new_messages_pairs_ids_with_sizes_whatever_their_order() {
        let seen = SeenIds::parse("b\n").unwrap();
        let n = |n| MessageNumber::new(n).unwrap();
        let ids: Vec<UniqueIdListing> = [(1, "a"), (2, "b"), (3, "c")]
            .into_iter()
            .map(|(m, id)| UniqueIdListing {
                message: n(m),
                unique_id: UniqueId::new(id).unwrap(),
            })
            .collect();
        let sizes = [
            ScanListing {
                message: n(3),
                size: 30,
            },
            ScanListing {
                message: n(1),
                size: 10,
            },
        ];
        let new: Vec<_> = seen
            .new_messages(&ids, &sizes)
            .into_iter()
            .map(|m| (m.message.get(), m.unique_id.as_str().to_owned(), m.size))
            .collect();
        assert_eq!(new, [(1, "a".to_owned(), 10), (3, "c".to_owned(), 30)]);
    }
}
