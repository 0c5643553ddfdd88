//! The queue on disk: one directory, two files a message.
//!
//! `ID.eml` holds the content as it will be sent (with the SMTP server's `Received:` field
//! on top), `ID.env` the envelope and each recipient's state ([`Entry`]). Both are
//! written under a `.tmp` name, synced, renamed into place, and the directory synced; the
//! envelope's rename is the moment a message exists, so a crash before it leaves only a
//! temporary or an orphaned content file, which [`Queue::open`] removes. A state change
//! rewrites the envelope the same way; a finished message loses its envelope first.
//!
//! Another process (a command-line tool beside a running server) opens the same directory
//! with [`Queue::inspect`]: its `flush` and `delete` change the files and leave a `changes`
//! file, at which the serving process's [`Queue::rescan`] reads the envelopes again.
//! Envelopes are written and removed under an exclusive lock on the directory's `lock`
//! file (`flock`), which a flush in another process holds from reading an envelope to
//! writing it back: it never writes back a state the serving process has moved on from
//! (a recipient delivered meanwhile would otherwise be pending again, and delivered
//! twice).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::entry::{Entry, Status};

/// Why the queue could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// Reading or writing the directory failed.
    #[error("queue i/o: {0}")]
    Io(#[from] io::Error),
    /// No message has this identifier.
    #[error("no queued message {id:?}")]
    NotFound {
        /// The identifier asked for.
        id: String,
    },
}

/// A persistent mail queue in a directory, shared by the [`Intake`](crate::Intake) that
/// fills it, the [`Relay`](crate::Relay) that empties it and whoever lists it. Clones
/// share one queue.
#[derive(Debug, Clone)]
pub struct Queue {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    clock: Clock,
    entries: Mutex<BTreeMap<String, Entry>>,
    /// Held while the directory is changed, so that envelope files are written one at a
    /// time and each holds the state the map had when it was written.
    writing: tokio::sync::Mutex<()>,
    wake: Notify,
    counter: AtomicU64,
    /// Opened by [`Queue::inspect`]: changes are noted for the serving process.
    beside: bool,
}

/// The file `flush` and `delete` leave for the process that serves the queue.
const CHANGES: &str = "changes";

/// The file whose lock every process holds while it writes or removes an envelope.
const LOCK: &str = "lock";

impl Queue {
    /// Opens (creating if need be) the queue in `dir`, with the system clock.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, QueueError> {
        Self::open_with(dir, Clock::system())
    }

    /// Opens the queue in `dir` with `clock`: the messages that were accepted are loaded,
    /// and what a crash left half written is removed.
    pub fn open_with(dir: impl Into<PathBuf>, clock: Clock) -> Result<Self, QueueError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        let scan = Scan::read(&dir)?;
        for path in &scan.temporary {
            std::fs::remove_file(path)?;
        }
        for id in &scan.contents {
            if !scan.entries.contains_key(id) {
                // Content whose envelope never landed: the message was never accepted.
                std::fs::remove_file(dir.join(format!("{id}.eml")))?;
            }
        }
        // Whatever another process changed is read now.
        remove_if_present(&dir.join(CHANGES))?;
        sync_dir(&dir)?;
        tracing::info!(dir = %dir.display(), messages = scan.entries.len(), "queue opened");
        Ok(Self::with_entries(dir, clock, scan.entries, false))
    }

    /// Opens the queue in `dir` beside the process that serves it (a running server):
    /// nothing is removed, since what looks half written may be that process's work in
    /// progress. [`flush`](Self::flush) and [`delete`](Self::delete) change the files and
    /// leave a note at which the serving process reads them again
    /// ([`Queue::rescan`]); without one running, the next [`Queue::open`] reads them.
    pub fn inspect(dir: impl Into<PathBuf>) -> Result<Self, QueueError> {
        Self::inspect_with(dir, Clock::system())
    }

    /// [`Queue::inspect`] with `clock`, which should be the serving process's.
    pub fn inspect_with(dir: impl Into<PathBuf>, clock: Clock) -> Result<Self, QueueError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        let scan = Scan::read(&dir)?;
        Ok(Self::with_entries(dir, clock, scan.entries, true))
    }

    fn with_entries(
        dir: PathBuf,
        clock: Clock,
        entries: BTreeMap<String, Entry>,
        beside: bool,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                dir,
                clock,
                entries: Mutex::new(entries),
                writing: tokio::sync::Mutex::new(()),
                wake: Notify::new(),
                counter: AtomicU64::new(0),
                beside,
            }),
        }
    }

    /// Takes in what another process changed in the directory since the last look, if it
    /// left word of it ([`Queue::inspect`]): a message whose envelope is gone was deleted
    /// and leaves this queue too; a recipient made due earlier (a flush) is due then here
    /// too, and the relay is woken. Returns whether there was anything to read.
    pub async fn rescan(&self) -> Result<bool, QueueError> {
        let dir = self.inner.dir.clone();
        let _writing = self.inner.writing.lock().await;
        let scan = tokio::task::spawn_blocking(move || {
            match std::fs::remove_file(dir.join(CHANGES)) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                other => other?,
            }
            Scan::read(&dir).map(Some)
        })
        .await
        .map_err(io::Error::other)??;
        let Some(scan) = scan else {
            return Ok(false);
        };
        let mut entries = self.entries();
        entries.retain(|id, _| {
            let kept = scan.entries.contains_key(id);
            if !kept {
                tracing::info!(id, "message deleted from the queue by another process");
            }
            kept
        });
        for (id, entry) in entries.iter_mut() {
            let on_disk = &scan.entries[id];
            for (r, d) in entry.recipients.iter_mut().zip(&on_disk.recipients) {
                if r.status == Status::Pending
                    && d.status == Status::Pending
                    && d.next_attempt < r.next_attempt
                {
                    r.next_attempt = d.next_attempt;
                }
            }
        }
        drop(entries);
        self.inner.wake.notify_one();
        Ok(true)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The clock the queue goes by.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Every queued message, by identifier.
    pub fn list(&self) -> Vec<Entry> {
        self.entries().values().cloned().collect()
    }

    /// One queued message.
    pub fn get(&self, id: &str) -> Option<Entry> {
        self.entries().get(id).cloned()
    }

    /// Makes every pending recipient of `id` (of every message, for `None`) due now and
    /// wakes the relay.
    pub async fn flush(&self, id: Option<&str>) -> Result<(), QueueError> {
        let now = self.inner.clock.now();
        let _writing = self.inner.writing.lock().await;
        let changed: Vec<Entry> = {
            let mut entries = self.entries();
            if let Some(id) = id
                && !entries.contains_key(id)
            {
                return Err(QueueError::NotFound { id: id.to_owned() });
            }
            entries
                .values_mut()
                .filter(|e| id.is_none_or(|id| e.id == id))
                .map(|e| {
                    for r in &mut e.recipients {
                        if r.status == Status::Pending {
                            r.next_attempt = now;
                        }
                    }
                    e.clone()
                })
                .collect()
        };
        for entry in changed {
            if self.inner.beside {
                // The serving process may have recorded an attempt since this one read
                // the file: its latest state is the one made due, read and written back
                // under the directory's lock.
                let dir = self.inner.dir.clone();
                let id = entry.id.clone();
                let latest = tokio::task::spawn_blocking(move || flush_on_disk(&dir, &id, now))
                    .await
                    .map_err(io::Error::other)??;
                if let Some(latest) = latest {
                    self.entries().insert(latest.id.clone(), latest);
                }
            } else {
                self.write_entry(&entry).await?;
            }
        }
        self.note_change().await?;
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Removes a message without delivering it further (no report is sent).
    pub async fn delete(&self, id: &str) -> Result<(), QueueError> {
        let _writing = self.inner.writing.lock().await;
        if self.entries().remove(id).is_none() {
            return Err(QueueError::NotFound { id: id.to_owned() });
        }
        tracing::info!(id, "message deleted from the queue");
        self.remove_files(id).await?;
        self.note_change().await
    }

    /// Leaves word for the process serving the queue, if another, that the files changed.
    async fn note_change(&self) -> Result<(), QueueError> {
        if !self.inner.beside {
            return Ok(());
        }
        let path = self.inner.dir.join(CHANGES);
        tokio::task::spawn_blocking(move || std::fs::write(path, b""))
            .await
            .map_err(io::Error::other)??;
        Ok(())
    }

    /// The path of a message's content.
    pub fn content_path(&self, id: &str) -> PathBuf {
        self.inner.dir.join(format!("{id}.eml"))
    }

    /// A fresh identifier: the time, this process and a counter, in hexadecimal.
    pub(crate) fn new_id(&self) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let n = self.inner.counter.fetch_add(1, Ordering::Relaxed);
        format!(
            "{:x}{:05x}{:x}{n:04x}",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id()
        )
    }

    /// The path content is written to before it is committed.
    pub(crate) fn temp_content_path(&self, id: &str) -> PathBuf {
        self.inner.dir.join(format!("{id}.eml.tmp"))
    }

    /// Commits a message whose content is complete in its temporary file (synced by the
    /// caller): the content is renamed into place, the envelope written, the directory
    /// synced. When this returns `Ok`, the message survives a crash.
    pub(crate) async fn commit(&self, entry: Entry) -> Result<(), QueueError> {
        let from = self.temp_content_path(&entry.id);
        let to = self.content_path(&entry.id);
        let _writing = self.inner.writing.lock().await;
        tokio::fs::rename(&from, &to).await?;
        self.write_entry(&entry).await?;
        tracing::info!(id = %entry.id, from = %entry.from, recipients = entry.recipients.len(), "queued");
        self.entries().insert(entry.id.clone(), entry);
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Queues a message given whole (a delivery status notification for a remote sender).
    pub(crate) async fn enqueue(&self, entry: Entry, content: Vec<u8>) -> Result<(), QueueError> {
        let path = self.temp_content_path(&entry.id);
        tokio::task::spawn_blocking(move || write_synced(&path, &content))
            .await
            .map_err(io::Error::other)??;
        self.commit(entry).await
    }

    /// Records a message's new state; a message with no pending recipient leaves the
    /// queue. A message deleted in the meantime stays deleted.
    pub(crate) async fn update(&self, entry: Entry) -> Result<(), QueueError> {
        let _writing = self.inner.writing.lock().await;
        {
            let mut entries = self.entries();
            let Some(slot) = entries.get_mut(&entry.id) else {
                return Ok(());
            };
            if entry.is_done() {
                entries.remove(&entry.id);
            } else {
                *slot = entry.clone();
            }
        }
        // Deleted by another process while it was being tried: the envelope is not
        // written back for content that is gone.
        let deleted = !entry.is_done()
            && !tokio::fs::try_exists(self.content_path(&entry.id))
                .await
                .unwrap_or(true);
        if deleted {
            self.entries().remove(&entry.id);
            tracing::info!(id = %entry.id, "message deleted from the queue by another process");
        }
        if entry.is_done() || deleted {
            self.remove_files(&entry.id).await
        } else {
            self.write_entry(&entry).await
        }
    }

    /// The messages with a recipient due at `now`.
    pub(crate) fn due(&self, now: u64) -> Vec<Entry> {
        self.entries()
            .values()
            .filter(|e| e.next_attempt().is_some_and(|t| t <= now))
            .cloned()
            .collect()
    }

    /// The earliest next attempt of any message.
    pub(crate) fn next_due(&self) -> Option<u64> {
        self.entries()
            .values()
            .filter_map(Entry::next_attempt)
            .min()
    }

    /// Resolves when a message was queued or flushed since the last call.
    pub(crate) async fn woken(&self) {
        self.inner.wake.notified().await;
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        // No code panics while holding the lock; a poisoned map is still consistent.
        self.inner
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    async fn write_entry(&self, entry: &Entry) -> Result<(), QueueError> {
        let dir = self.inner.dir.clone();
        let id = entry.id.clone();
        let text = entry.to_text();
        tokio::task::spawn_blocking(move || {
            let _locked = lock_dir(&dir)?;
            write_envelope(&dir, &id, &text)
        })
        .await
        .map_err(io::Error::other)??;
        Ok(())
    }

    async fn remove_files(&self, id: &str) -> Result<(), QueueError> {
        let dir = self.inner.dir.clone();
        let id = id.to_owned();
        tokio::task::spawn_blocking(move || {
            let _locked = lock_dir(&dir)?;
            // The envelope goes first: without it the content is an orphan `open` removes.
            remove_if_present(&dir.join(format!("{id}.env")))?;
            sync_dir(&dir)?;
            remove_if_present(&dir.join(format!("{id}.eml")))
        })
        .await
        .map_err(io::Error::other)??;
        Ok(())
    }
}

/// What a queue directory holds.
struct Scan {
    entries: BTreeMap<String, Entry>,
    /// The identifiers of the content files.
    contents: Vec<String>,
    /// Files being written, or left half written by a crash.
    temporary: Vec<PathBuf>,
}

impl Scan {
    fn read(dir: &Path) -> io::Result<Self> {
        let mut scan = Self {
            entries: BTreeMap::new(),
            contents: Vec::new(),
            temporary: Vec::new(),
        };
        for item in std::fs::read_dir(dir)? {
            let path = item?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name.ends_with(".tmp") {
                scan.temporary.push(path);
            } else if let Some(id) = name.strip_suffix(".env") {
                let text = match std::fs::read_to_string(&path) {
                    // Removed since the directory was listed (another process).
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    other => other?,
                };
                match Entry::parse(id, &text) {
                    Some(entry) => {
                        scan.entries.insert(id.to_owned(), entry);
                    }
                    None => tracing::warn!(file = %path.display(), "unreadable queue file"),
                }
            } else if let Some(id) = name.strip_suffix(".eml") {
                scan.contents.push(id.to_owned());
            }
        }
        Ok(scan)
    }
}

/// Holds the directory's lock (an exclusive `flock` on its `lock` file, shared with every
/// process that opens the queue) until dropped. Blocks while another holds it.
fn lock_dir(dir: &Path) -> io::Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK))?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
    Ok(file)
}

/// Writes an envelope under a temporary name, synced, and renames it into place.
fn write_envelope(dir: &Path, id: &str, text: &str) -> io::Result<()> {
    // Named for this process: a command-line tool may write the same envelope.
    let tmp = dir.join(format!("{id}.env.{}.tmp", std::process::id()));
    write_synced(&tmp, text.as_bytes())?;
    std::fs::rename(&tmp, dir.join(format!("{id}.env")))?;
    sync_dir(dir)
}

/// Makes the pending recipients of the envelope `id` due at `now`, as its file says it
/// under the directory's lock; the new state, or `None` for a message gone meanwhile.
fn flush_on_disk(dir: &Path, id: &str, now: u64) -> io::Result<Option<Entry>> {
    let _locked = lock_dir(dir)?;
    let text = match std::fs::read_to_string(dir.join(format!("{id}.env"))) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(mut entry) = Entry::parse(id, &text) else {
        return Ok(None);
    };
    for r in &mut entry.recipients {
        if r.status == Status::Pending {
            r.next_attempt = now;
        }
    }
    write_envelope(dir, id, &entry.to_text())?;
    Ok(Some(entry))
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Makes the directory's entries (a rename, a new file) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PENDING: &str = "mailwire-queue 1\nfrom <a@example.org>\narrival 1\n\
rcpt <b@example.net>\nstatus pending\nattempts 1\nnext 900\n";

    #[test]
    fn a_flush_beside_waits_for_the_lock_and_reads_what_was_written_under_it() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().to_owned();
        write_envelope(&dir, "m1", PENDING).unwrap();
        // The serving process is recording an attempt: it holds the lock...
        let locked = lock_dir(&dir).unwrap();
        let flushing = std::thread::spawn({
            let dir = dir.clone();
            move || flush_on_disk(&dir, "m1", 5)
        });
        // ...and writes that the recipient was delivered, then lets go.
        let mut delivered = Entry::parse("m1", PENDING).unwrap();
        delivered.recipients[0].status = Status::Delivered;
        delivered.recipients[0].attempts = 2;
        write_envelope(&dir, "m1", &delivered.to_text()).unwrap();
        drop(locked);
        // The flush read the envelope only then: nothing pending to make due, and the
        // delivered state is not written back as pending.
        let flushed = flushing.join().unwrap().unwrap().unwrap();
        assert_eq!(flushed, delivered);
        let on_disk = std::fs::read_to_string(dir.join("m1.env")).unwrap();
        assert_eq!(Entry::parse("m1", &on_disk).unwrap(), delivered);
    }

    #[test]
    fn a_flush_makes_pending_recipients_due_and_skips_a_message_gone() {
        let dir = tempfile::tempdir().unwrap();
        write_envelope(dir.path(), "m1", PENDING).unwrap();
        let flushed = flush_on_disk(dir.path(), "m1", 5).unwrap().unwrap();
        assert_eq!(flushed.recipients[0].next_attempt, 5);
        let on_disk = std::fs::read_to_string(dir.path().join("m1.env")).unwrap();
        assert_eq!(Entry::parse("m1", &on_disk).unwrap(), flushed);
        assert_eq!(flush_on_disk(dir.path(), "gone", 5).unwrap(), None);
    }
}
