//! `dovecot-keywords`: the names of the keyword letters `a` to `z` of a mailbox, one
//! `<index> <name>` line each (`0` is `a`).

use std::io;
use std::path::Path;

use mailwire_imap::types::Flag;

use crate::lock::DotLock;

/// The file's name in a mailbox directory.
pub(crate) const FILE: &str = "dovecot-keywords";

/// How many keywords a mailbox can have: one per letter.
pub(crate) const MAX: usize = 26;

/// The keywords of a mailbox, by letter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Keywords {
    names: Vec<Option<Flag>>,
    changed: bool,
}

impl Keywords {
    /// Reads the file of a mailbox directory; no file means no keywords.
    pub(crate) fn read(dir: &Path) -> io::Result<Self> {
        match std::fs::read_to_string(dir.join(FILE)) {
            Ok(text) => Ok(Self::parse(&text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }

    /// The keywords of the file's text; lines that do not parse are left out.
    pub(crate) fn parse(text: &str) -> Self {
        let mut keywords = Self::default();
        for line in text.lines() {
            let Some((index, name)) = line.split_once(' ') else {
                continue;
            };
            let (Ok(index), Ok(flag)) = (index.parse::<usize>(), Flag::parse(name)) else {
                continue;
            };
            if index < MAX && matches!(flag, Flag::Keyword(_)) {
                if keywords.names.len() <= index {
                    keywords.names.resize(index + 1, None);
                }
                keywords.names[index] = Some(flag);
            }
        }
        keywords
    }

    /// The file's text.
    pub(crate) fn format(&self) -> String {
        let mut text = String::new();
        for (index, name) in self.names.iter().enumerate() {
            if let Some(name) = name {
                text.push_str(&format!("{index} {name}\n"));
            }
        }
        text
    }

    /// The keyword a letter stands for.
    pub(crate) fn by_letter(&self, c: char) -> Option<&Flag> {
        let index = usize::from(u8::try_from(c).ok()?.checked_sub(b'a')?);
        self.names.get(index)?.as_ref()
    }

    /// The letter of a keyword, given one if it has none; `None` when all 26 are taken.
    pub(crate) fn letter(&mut self, keyword: &Flag) -> Option<char> {
        let wanted = keyword.to_string();
        let found = self.names.iter().position(|name| {
            name.as_ref()
                .is_some_and(|n| n.to_string().eq_ignore_ascii_case(&wanted))
        });
        let index = match found {
            Some(index) => index,
            None => {
                let index = match self.names.iter().position(Option::is_none) {
                    Some(free) => free,
                    None if self.names.len() < MAX => {
                        self.names.push(None);
                        self.names.len() - 1
                    }
                    None => return None,
                };
                self.names[index] = Some(keyword.clone());
                self.changed = true;
                index
            }
        };
        Some(char::from(b'a' + u8::try_from(index).ok()?))
    }

    /// Whether a flag needs no new letter: it is no keyword, or a keyword with a letter.
    pub(crate) fn has(&self, flag: &Flag) -> bool {
        match flag {
            Flag::Keyword(_) => {
                let wanted = flag.to_string();
                self.names
                    .iter()
                    .flatten()
                    .any(|n| n.to_string().eq_ignore_ascii_case(&wanted))
            }
            _ => true,
        }
    }

    /// Every keyword, by letter.
    pub(crate) fn all(&self) -> Vec<Flag> {
        self.names.iter().flatten().cloned().collect()
    }

    /// Whether another keyword can be given a letter.
    pub(crate) fn has_room(&self) -> bool {
        self.names.iter().flatten().count() < MAX
    }

    /// Reads the keywords under the file's lock, lets `f` give letters, and writes the
    /// file if it gave new ones: two writers never give one letter two names.
    pub(crate) fn update<T>(dir: &Path, f: impl FnOnce(&mut Keywords) -> T) -> io::Result<T> {
        let lock = DotLock::acquire(&dir.join(FILE))?;
        let mut keywords = Self::read(dir)?;
        let result = f(&mut keywords);
        if keywords.changed {
            lock.commit(keywords.format().as_bytes())?;
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_letters() {
        let mut keywords = Keywords::parse("0 $Work\n2 NonJunk\nbad line\n30 $Far\n1 \\Seen\n");
        assert_eq!(keywords.by_letter('a').unwrap().to_string(), "$Work");
        assert_eq!(keywords.by_letter('b'), None);
        assert_eq!(keywords.by_letter('c').unwrap().to_string(), "NonJunk");
        assert_eq!(keywords.by_letter('A'), None);
        assert_eq!(keywords.letter(&Flag::parse("$work").unwrap()), Some('a'));
        assert!(!keywords.changed);
        assert_eq!(keywords.letter(&Flag::parse("$New").unwrap()), Some('b'));
        assert_eq!(keywords.letter(&Flag::parse("$Next").unwrap()), Some('d'));
        assert_eq!(keywords.format(), "0 $Work\n1 $New\n2 NonJunk\n3 $Next\n");
        for i in 4..MAX {
            let name = format!("k{i}");
            assert!(keywords.letter(&Flag::parse(&name).unwrap()).is_some());
        }
        assert!(!keywords.has_room());
        assert_eq!(keywords.letter(&Flag::parse("$More").unwrap()), None);
        assert_eq!(Keywords::parse(&keywords.format()).all(), keywords.all());
    }
}
