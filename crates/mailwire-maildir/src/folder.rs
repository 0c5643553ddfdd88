//! One mailbox directory (`cur/`, `new/`, `tmp/`, `dovecot-uidlist`,
//! `dovecot-keywords`): listing its messages, giving new ones UIDs, and what a message
//! file says of itself.
//!
//! Everything here reads and writes the file system directly, and tolerates other
//! processes doing the same at any moment: files move from `new/` to `cur/` and change
//! their flags (their name after `:`) without any lock, so a file not found where it was
//! listed is looked for again rather than taken for gone.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::filename::{base, delivery_order, sizes};
use crate::lock::DotLock;
use crate::uidlist::{self, Entry, Uidlist};

/// Files in `tmp/` older than this are what a crashed delivery left (the Maildir
/// specification's 36 hours).
pub(crate) const STALE_TMP: Duration = Duration::from_secs(36 * 3600);

/// The file of the Maildir's root that holds the last UIDVALIDITY given to a mailbox.
const UID_VALIDITY_FILE: &str = "mailwire-uidvalidity";

/// Where a message file is: `new/` or `cur/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sub {
    New,
    Cur,
}

impl Sub {
    pub(crate) fn dir(self) -> &'static str {
        match self {
            Sub::New => "new",
            Sub::Cur => "cur",
        }
    }
}

/// A message file as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub(crate) sub: Sub,
    /// The whole file name, with the flags.
    pub(crate) name: String,
}

impl Located {
    pub(crate) fn path(&self, dir: &Path) -> PathBuf {
        dir.join(self.sub.dir()).join(&self.name)
    }
}

/// A message with its UID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    pub(crate) uid: u32,
    pub(crate) base: String,
    pub(crate) at: Located,
}

/// A mailbox as listed: its UIDs and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct State {
    pub(crate) uid_validity: u32,
    pub(crate) uid_next: u32,
    /// By ascending UID.
    pub(crate) messages: Vec<Message>,
}

impl State {
    pub(crate) fn find(&self, uid: u32) -> Option<&Message> {
        self.messages
            .binary_search_by_key(&uid, |m| m.uid)
            .ok()
            .map(|at| &self.messages[at])
    }
}

/// The message files of a mailbox by base name. A file seen in both `new/` and `cur/`
/// (moved between the two listings) counts where it went, `cur/`.
pub(crate) fn scan(dir: &Path) -> io::Result<HashMap<String, Located>> {
    let mut found = HashMap::new();
    for sub in [Sub::New, Sub::Cur] {
        for entry in std::fs::read_dir(dir.join(sub.dir()))? {
            let Ok(entry) = entry else { continue };
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            found.insert(base(&name).to_owned(), Located { sub, name });
        }
    }
    Ok(found)
}

fn read_uidlist(dir: &Path) -> io::Result<Option<Uidlist>> {
    match std::fs::read_to_string(dir.join(uidlist::FILE)) {
        Ok(text) => Ok(Uidlist::parse(&text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Lists a mailbox and gives every message without a UID the next one, rewriting
/// `dovecot-uidlist` under its lock when there are such messages, when messages of the
/// list are gone, or when there is no list yet.
///
/// A UID, once in the list, stays with its base name: a message is taken for expunged
/// only when its file is missing from two listings in a row made under the lock, so
/// that a file moving between `new/` and `cur/` or being renamed for its flags while a
/// directory is read is not reported gone.
pub(crate) fn sync(root: &Path, dir: &Path) -> io::Result<State> {
    if let Some(list) = read_uidlist(dir)? {
        let found = scan(dir)?;
        let listed: HashMap<&str, u32> = list
            .entries
            .iter()
            .map(|(uid, e)| (e.base.as_str(), *uid))
            .collect();
        // A file missing from one listing may have been renamed while it was read:
        // only a listing under the lock, made twice, says it is gone.
        if found.keys().all(|b| listed.contains_key(b.as_str()))
            && list.entries.values().all(|e| found.contains_key(&e.base))
        {
            return Ok(state(&list, found));
        }
    }
    let lock = DotLock::acquire(&dir.join(uidlist::FILE))?;
    sync_locked(root, dir, lock)
}

/// Runs `put`, which puts a new message into `new/` or `cur/`, under the uidlist's lock,
/// and gives the message its UID before the lock is let go: no other process or view can
/// see the message without its UID, and so none can expunge it before its UID is known
/// to the one that stored it.
pub(crate) fn place<T>(
    root: &Path,
    dir: &Path,
    put: impl FnOnce() -> io::Result<T>,
) -> io::Result<(T, State)> {
    let lock = DotLock::acquire(&dir.join(uidlist::FILE))?;
    let placed = put()?;
    Ok((placed, sync_locked(root, dir, lock)?))
}

/// The part of [`sync`] done under the uidlist's lock.
fn sync_locked(root: &Path, dir: &Path, lock: DotLock) -> io::Result<State> {
    let mut list = match read_uidlist(dir)? {
        Some(list) => list,
        None => Uidlist::new(new_uid_validity(root)?),
    };
    let mut found = scan(dir)?;
    if list.entries.values().any(|e| !found.contains_key(&e.base)) {
        for (base, at) in scan(dir)? {
            found.entry(base).or_insert(at);
        }
    }
    let listed: HashMap<String, u32> = list
        .entries
        .iter()
        .map(|(uid, e)| (e.base.clone(), *uid))
        .collect();
    let mut new: Vec<&String> = found.keys().filter(|b| !listed.contains_key(*b)).collect();
    new.sort_by(|a, b| delivery_order(a, b));
    list.entries.retain(|_, e| found.contains_key(&e.base));
    for base in new {
        let uid = list.next_uid;
        // UID u32::MAX could be given, but UIDNEXT could then not name the next one.
        if uid >= u32::MAX - 1 {
            return Err(io::Error::other("no UID left in the mailbox"));
        }
        list.next_uid = uid + 1;
        list.entries.insert(
            uid,
            Entry {
                extensions: String::new(),
                base: base.clone(),
            },
        );
    }
    lock.commit(list.format().as_bytes())?;
    Ok(state(&list, found))
}

fn state(list: &Uidlist, mut found: HashMap<String, Located>) -> State {
    let messages = list
        .entries
        .iter()
        .filter_map(|(uid, entry)| {
            let at = found.remove(&entry.base)?;
            Some(Message {
                uid: *uid,
                base: entry.base.clone(),
                at,
            })
        })
        .collect();
    State {
        uid_validity: list.uid_validity,
        uid_next: list.next_uid,
        messages,
    }
}

/// The file of a mailbox directory that holds the first UID still `\Recent`: the UID
/// after the last that a read-write view has taken, as Dovecot's index keeps it.
pub(crate) const RECENT_FILE: &str = "mailwire-recent";

/// The first UID still `\Recent` in a mailbox (1 when no view has taken any). With
/// `take_until`, the UIDs below it are taken under the file's lock, so that each
/// message is `\Recent` to one read-write view only.
pub(crate) fn first_recent(dir: &Path, take_until: Option<u32>) -> io::Result<u32> {
    let read = || -> io::Result<u32> {
        match std::fs::read_to_string(dir.join(RECENT_FILE)) {
            Ok(text) => Ok(text.trim().parse().unwrap_or(1)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(1),
            Err(e) => Err(e),
        }
    };
    let Some(until) = take_until else {
        return read();
    };
    let lock = DotLock::acquire(&dir.join(RECENT_FILE))?;
    let first = read()?;
    if until > first {
        lock.commit(format!("{until}\n").as_bytes())?;
    }
    Ok(first)
}

/// A UIDVALIDITY no mailbox of this Maildir had: the time in seconds, or one more than
/// the last one given if that is later (two mailboxes created in one second, or a clock
/// set back).
pub(crate) fn new_uid_validity(root: &Path) -> io::Result<u32> {
    let path = root.join(UID_VALIDITY_FILE);
    let lock = DotLock::acquire(&path)?;
    let last: u32 = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
    let next = now.max(last.wrapping_add(1)).max(1);
    lock.commit(format!("{next}\n").as_bytes())?;
    Ok(next)
}

/// Makes the `cur/`, `new/` and `tmp/` of a mailbox directory (mode 0700).
pub(crate) fn make_dirs(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.mode(0o700).recursive(true);
    for sub in ["cur", "new", "tmp"] {
        builder.create(dir.join(sub))?;
    }
    Ok(())
}

/// Removes what crashed deliveries left in `tmp/`.
pub(crate) fn clean_tmp(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir.join("tmp")) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > STALE_TMP));
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Syncs a directory, so that a rename or a new name in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The size of a message with CRLF line ends: `,W=` when the name has it, else read
/// from the file (every LF not after a CR counts two).
pub(crate) fn crlf_size(path: &Path, base_name: &str) -> io::Result<u64> {
    if let (_, Some(vsize)) = sizes(base_name) {
        return Ok(vsize);
    }
    let mut file = File::open(path)?;
    let mut counter = CrlfCounter::default();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(counter.size);
        }
        counter.feed(&buffer[..n]);
    }
}

/// Counts the size of content once its bare LFs become CRLF.
#[derive(Debug, Default)]
pub(crate) struct CrlfCounter {
    pub(crate) size: u64,
    after_cr: bool,
}

impl CrlfCounter {
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.size += if byte == b'\n' && !self.after_cr {
                2
            } else {
                1
            };
            self.after_cr = byte == b'\r';
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox() -> (tempfile::TempDir, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().to_owned();
        make_dirs(&dir).unwrap();
        (root, dir)
    }

    #[test]
    fn new_files_get_uids_in_delivery_order_and_keep_them() {
        let (_root, dir) = mailbox();
        std::fs::write(dir.join("new/1700000000.M2P1Q10.h"), "b").unwrap();
        std::fs::write(dir.join("new/1700000000.M2P1Q9.h"), "a").unwrap();
        std::fs::write(dir.join("cur/1600000000.x:2,S"), "c").unwrap();
        let first = sync(&dir, &dir).unwrap();
        let uids: Vec<_> = first
            .messages
            .iter()
            .map(|m| (m.uid, m.base.as_str()))
            .collect();
        assert_eq!(
            uids,
            [
                (1, "1600000000.x"),
                (2, "1700000000.M2P1Q9.h"),
                (3, "1700000000.M2P1Q10.h")
            ]
        );
        assert_eq!(first.uid_next, 4);
        let text = std::fs::read_to_string(dir.join("dovecot-uidlist")).unwrap();
        assert_eq!(
            text.lines().skip(1).collect::<Vec<_>>(),
            [
                "1 :1600000000.x",
                "2 :1700000000.M2P1Q9.h",
                "3 :1700000000.M2P1Q10.h"
            ]
        );

        // Moved and re-flagged by another process: the same UIDs.
        std::fs::rename(
            dir.join("new/1700000000.M2P1Q9.h"),
            dir.join("cur/1700000000.M2P1Q9.h:2,FS"),
        )
        .unwrap();
        std::fs::remove_file(dir.join("cur/1600000000.x:2,S")).unwrap();
        let expunged = sync(&dir, &dir).unwrap();
        assert_eq!(expunged.messages.len(), 2);
        assert_eq!(
            std::fs::read_to_string(dir.join("dovecot-uidlist"))
                .unwrap()
                .lines()
                .skip(1)
                .collect::<Vec<_>>(),
            ["2 :1700000000.M2P1Q9.h", "3 :1700000000.M2P1Q10.h"]
        );
        std::fs::write(dir.join("new/1800000000.y"), "d").unwrap();
        let second = sync(&dir, &dir).unwrap();
        let uids: Vec<_> = second
            .messages
            .iter()
            .map(|m| (m.uid, m.at.name.as_str()))
            .collect();
        assert_eq!(
            uids,
            [
                (2, "1700000000.M2P1Q9.h:2,FS"),
                (3, "1700000000.M2P1Q10.h"),
                (4, "1800000000.y")
            ]
        );
        assert_eq!(second.uid_validity, first.uid_validity);
        assert_eq!(second.uid_next, 5);
    }

    #[test]
    fn a_stale_uidlist_lock_is_taken_over() {
        let (_root, dir) = mailbox();
        let lock = File::create(dir.join("dovecot-uidlist.lock")).unwrap();
        lock.set_modified(SystemTime::now() - crate::lock::STALE - Duration::from_secs(1))
            .unwrap();
        std::fs::write(dir.join("new/1.a"), "x").unwrap();
        let state = sync(&dir, &dir).unwrap();
        assert_eq!(state.messages.len(), 1);
        assert!(!dir.join("dovecot-uidlist.lock").exists());
        assert_eq!(
            std::fs::read_to_string(dir.join("dovecot-uidlist"))
                .unwrap()
                .lines()
                .nth(1),
            Some("1 :1.a")
        );
    }

    #[test]
    fn crlf_sizes() {
        let (_root, dir) = mailbox();
        let path = dir.join("cur/m");
        std::fs::write(&path, "a\nb\r\nc\r").unwrap();
        assert_eq!(crlf_size(&path, "m").unwrap(), 8);
        assert_eq!(crlf_size(&path, "m,S=7,W=42").unwrap(), 42);
        let mut counter = CrlfCounter::default();
        counter.feed(b"a\r");
        counter.feed(b"\nb\n");
        assert_eq!(counter.size, 6);
    }

    #[test]
    fn stale_tmp_files_are_removed() {
        let (_root, dir) = mailbox();
        let old = File::create(dir.join("tmp/old")).unwrap();
        old.set_modified(SystemTime::now() - STALE_TMP - Duration::from_secs(60))
            .unwrap();
        std::fs::write(dir.join("tmp/fresh"), "x").unwrap();
        clean_tmp(&dir);
        assert!(!dir.join("tmp/old").exists());
        assert!(dir.join("tmp/fresh").exists());
    }
}
