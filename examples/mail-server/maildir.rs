//! A Maildir (one folder, `tmp/`, `new/`, `cur/`) for one user.
//!
//! Delivery writes into `tmp/` and renames into `new/`, so a reader never sees half a
//! message. POP3 and IMAP see the messages of `new/` and `cur/`, ordered by name, which
//! starts with the delivery time. IMAP moves a message it has seen into `cur/` and keeps
//! its flags in the file name's info part (`name:2,FS` for `\Flagged` and `\Seen`).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The mail folder.
#[derive(Debug)]
pub(crate) struct Maildir {
    root: PathBuf,
    deliveries: AtomicU64,
}

/// One stored message.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    /// Its file.
    pub(crate) path: PathBuf,
    /// Its size in octets.
    pub(crate) size: u64,
    /// Its name without Maildir flags: unique and stable, the POP3 unique-id.
    pub(crate) unique: String,
    /// The flag letters of its info part (`S`, `R`, `F`, `T`, `D`, sorted).
    pub(crate) flags: String,
    /// Still in `new/`: no IMAP client has seen it.
    pub(crate) new: bool,
    /// When it was stored, in seconds since the Unix epoch.
    pub(crate) modified: i64,
}

/// A message being delivered, in `tmp/`.
#[derive(Debug)]
pub(crate) struct Delivery {
    file: File,
    tmp: PathBuf,
    new: PathBuf,
}

impl Maildir {
    /// Opens the folder, creating it and its subfolders as needed.
    pub(crate) fn open(root: &Path) -> io::Result<Self> {
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(root.join(sub))?;
        }
        Ok(Self {
            root: root.to_owned(),
            deliveries: AtomicU64::new(0),
        })
    }

    /// Starts a delivery under a fresh unique name.
    pub(crate) fn deliver(&self) -> io::Result<Delivery> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let name = unique_name(
            now,
            std::process::id(),
            self.deliveries.fetch_add(1, Ordering::Relaxed),
        );
        let tmp = self.root.join("tmp").join(&name);
        let file = File::create(&tmp)?;
        Ok(Delivery {
            file,
            tmp,
            new: self.root.join("new").join(name),
        })
    }

    /// The messages, ordered by name.
    pub(crate) fn messages(&self) -> io::Result<Vec<Stored>> {
        let mut messages = Vec::new();
        for sub in ["new", "cur"] {
            for entry in fs::read_dir(self.root.join(sub))? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let (unique, info) = name.split_once(':').unwrap_or((&name, ""));
                let flags = info.strip_prefix("2,").unwrap_or("").to_owned();
                let metadata = entry.metadata()?;
                let modified = metadata
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
                messages.push(Stored {
                    path: entry.path(),
                    size: metadata.len(),
                    unique: unique.to_owned(),
                    flags,
                    new: sub == "new",
                    modified,
                });
            }
        }
        messages.sort_by(|a, b| a.unique.cmp(&b.unique));
        Ok(messages)
    }

    /// Moves a message into `cur/` with these flag letters; returns its new path.
    pub(crate) fn set_flags(&self, message: &Stored, flags: &str) -> io::Result<PathBuf> {
        let mut letters: Vec<char> = flags.chars().collect();
        letters.sort_unstable();
        letters.dedup();
        let info: String = letters.into_iter().collect();
        let to = self
            .root
            .join("cur")
            .join(format!("{}:2,{info}", message.unique));
        if to != message.path {
            fs::rename(&message.path, &to)?;
        }
        Ok(to)
    }
}

/// A message's unique name: `secs.MmicrosPpidQcount.mailwire`, the fields after the
/// seconds fixed-width so that names sort in delivery order.
fn unique_name(since_epoch: Duration, pid: u32, count: u64) -> String {
    format!(
        "{}.M{:06}P{pid}Q{count:06}.mailwire",
        since_epoch.as_secs(),
        since_epoch.subsec_micros()
    )
}

impl Delivery {
    /// Appends part of the message.
    pub(crate) fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.file.write_all(chunk)
    }

    /// Makes the message visible; returns its unique name.
    pub(crate) fn commit(mut self) -> io::Result<String> {
        self.file.flush()?;
        self.file.sync_all()?;
        fs::rename(&self.tmp, &self.new)?;
        Ok(self
            .new
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default())
    }

    /// Throws the partial message away.
    pub(crate) fn abandon(self) {
        // A leftover file in tmp/ is harmless; Maildir readers ignore tmp/.
        let _ = fs::remove_file(&self.tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_in_delivery_order() {
        let at = |secs, micros: u32| Duration::new(secs, micros * 1000);
        let names = [
            unique_name(at(1_700_000_000, 99_999), 7, 9),
            unique_name(at(1_700_000_000, 100_000), 7, 10),
            unique_name(at(1_700_000_001, 5), 7, 11),
        ];
        assert_eq!(names[0], "1700000000.M099999P7Q000009.mailwire");
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, names);
    }

    #[test]
    fn messages_list_in_delivery_order() {
        let root = std::env::temp_dir().join(format!("mailwire-maildir-{}", std::process::id()));
        let maildir = Maildir::open(&root).unwrap();
        let mut names = Vec::new();
        for n in 0..25 {
            let mut d = maildir.deliver().unwrap();
            d.write(format!("Subject: {n}\r\n\r\n").as_bytes()).unwrap();
            names.push(d.commit().unwrap());
        }
        let listed: Vec<String> = maildir
            .messages()
            .unwrap()
            .into_iter()
            .map(|m| m.unique)
            .collect();
        fs::remove_dir_all(&root).unwrap();
        assert_eq!(listed, names);
    }
}
