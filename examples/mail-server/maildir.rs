//! A Maildir (one folder, `tmp/`, `new/`, `cur/`) for one user.
//!
//! Delivery writes into `tmp/` and renames into `new/`, so a reader never sees half a
//! message. POP3 sees the messages of `new/` and `cur/`, ordered by name, which starts
//! with the delivery time.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

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
        let name = format!(
            "{}.M{}P{}Q{}.mailwire",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            self.deliveries.fetch_add(1, Ordering::Relaxed)
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
                let unique = name.split(':').next().unwrap_or(&name).to_owned();
                messages.push(Stored {
                    path: entry.path(),
                    size: entry.metadata()?.len(),
                    unique,
                });
            }
        }
        messages.sort_by(|a, b| a.unique.cmp(&b.unique));
        Ok(messages)
    }
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
