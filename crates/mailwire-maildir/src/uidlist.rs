//! `dovecot-uidlist`: the UIDs of a mailbox's messages, by base file name.
//!
//! Version 3, as Dovecot 1.1 and later write it:
//!
//! ```text
//! 3 V<uidvalidity> N<next uid> G<mailbox guid>
//! <uid> [<extension> ...] :<base name>
//! ```
//!
//! Extensions (`G<guid>`, `W<vsize>` ...) are kept as they are when the file is
//! rewritten. Version 1 files (`1 <uidvalidity> <next uid>`, then `<uid> <base name>`),
//! which Dovecot also reads, are read too and written back as version 3.

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// The file's name in a mailbox directory.
pub(crate) const FILE: &str = "dovecot-uidlist";

/// One message's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The extension fields between the UID and the name, as read.
    pub(crate) extensions: String,
    /// The base file name.
    pub(crate) base: String,
}

/// A parsed `dovecot-uidlist`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Uidlist {
    pub(crate) uid_validity: u32,
    pub(crate) next_uid: u32,
    /// The mailbox GUID, 32 hex digits.
    pub(crate) guid: String,
    /// By UID.
    pub(crate) entries: BTreeMap<u32, Entry>,
}

impl Uidlist {
    /// An empty list for a new mailbox.
    pub(crate) fn new(uid_validity: u32) -> Self {
        Self {
            uid_validity,
            next_uid: 1,
            guid: new_guid(),
            entries: BTreeMap::new(),
        }
    }

    /// Parses the file's text; `None` if its header is not one of version 1 or 3.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        let mut header = lines.next()?.split(' ');
        let version = header.next()?;
        let mut list = Self {
            uid_validity: 0,
            next_uid: 1,
            guid: String::new(),
            entries: BTreeMap::new(),
        };
        match version {
            "1" => {
                list.uid_validity = header.next()?.parse().ok()?;
                list.next_uid = header.next()?.parse().ok()?;
            }
            "3" => {
                for field in header {
                    let (key, value) = field.split_at(field.len().min(1));
                    match key {
                        "V" => list.uid_validity = value.parse().ok()?,
                        "N" => list.next_uid = value.parse().ok()?,
                        "G" => list.guid = value.to_owned(),
                        _ => {}
                    }
                }
            }
            _ => return None,
        }
        if list.uid_validity == 0 {
            return None;
        }
        if list.guid.is_empty() {
            list.guid = new_guid();
        }
        for line in lines {
            let Some((uid, rest)) = line.split_once(' ') else {
                continue;
            };
            let Ok(uid) = uid.parse::<u32>() else {
                continue;
            };
            let entry = if version == "3" {
                // The name follows the first ` :`; extensions come before it.
                let (extensions, base) = match rest.strip_prefix(':') {
                    Some(base) => ("", base),
                    None => match rest.split_once(" :") {
                        Some(parts) => parts,
                        None => continue,
                    },
                };
                Entry {
                    extensions: extensions.to_owned(),
                    base: base.to_owned(),
                }
            } else {
                Entry {
                    extensions: String::new(),
                    base: rest.to_owned(),
                }
            };
            if uid > 0 && !entry.base.is_empty() {
                list.next_uid = list.next_uid.max(uid.saturating_add(1));
                list.entries.insert(uid, entry);
            }
        }
        Some(list)
    }

    /// The file's text, version 3.
    pub(crate) fn format(&self) -> String {
        let mut text = format!(
            "3 V{} N{} G{}\n",
            self.uid_validity, self.next_uid, self.guid
        );
        for (uid, entry) in &self.entries {
            if entry.extensions.is_empty() {
                text.push_str(&format!("{uid} :{}\n", entry.base));
            } else {
                text.push_str(&format!("{uid} {} :{}\n", entry.extensions, entry.base));
            }
        }
        text
    }
}

/// A GUID for a new mailbox: 128 bits, unique rather than secret. std's `RandomState`
/// is seeded from the operating system's random source.
fn new_guid() -> String {
    let mut guid = String::with_capacity(32);
    for half in 0..2_u8 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u8(half);
        hasher.write_u32(std::process::id());
        guid.push_str(&format!("{:016x}", hasher.finish()));
    }
    guid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_3_round_trip() {
        let text = "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n\
                    25006 :1276528487.M364837P9451.kurkku,S=1355,W=1394\n\
                    25017 W2481 :1276533073.M242911P3632.kurkku,S=2396,W=2481\n\
                    25018 G0123 W12 :a b:c\n";
        let list = Uidlist::parse(text).unwrap();
        assert_eq!(
            (list.uid_validity, list.next_uid, list.guid.as_str()),
            (1_275_660_208, 25_022, "3085f01b7f11094c501100008c4a11c1")
        );
        assert_eq!(
            list.entries[&25017],
            Entry {
                extensions: "W2481".into(),
                base: "1276533073.M242911P3632.kurkku,S=2396,W=2481".into()
            }
        );
        assert_eq!(list.entries[&25018].base, "a b:c");
        assert_eq!(list.format(), text);
    }

    #[test]
    fn version_1_and_bad_headers() {
        let list = Uidlist::parse("1 1000 5\n3 a.b\n7 c.d\n").unwrap();
        assert_eq!((list.uid_validity, list.next_uid), (1000, 8));
        assert_eq!(list.entries[&3].base, "a.b");
        assert_eq!(list.guid.len(), 32);
        assert!(
            list.format()
                .starts_with(&format!("3 V1000 N8 G{}\n3 :a.b\n", list.guid))
        );
        assert_eq!(Uidlist::parse("2 V1 N1\n"), None);
        assert_eq!(Uidlist::parse("3 N5\n"), None);
        assert_eq!(Uidlist::parse(""), None);
    }
}
