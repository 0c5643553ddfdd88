//! Dot-locks, as Dovecot takes them: `<file>.lock` created exclusively, the new content
//! written into it, then renamed over `<file>`, which readers therefore always see whole.

use std::cell::Cell;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// A lock older than this was left by a process that died: it is removed. Dovecot's
/// own stale timeout for the uidlist lock is two minutes as well.
pub(crate) const STALE: Duration = Duration::from_secs(120);

/// How long to wait for a lock another process holds before giving up.
const PATIENCE: Duration = Duration::from_secs(30);

/// How long a lock is waited for where waiting is not allowed: long enough for another
/// connection of this process to finish with it (they hold them for a scan or a rename),
/// too short to hold up a thread that serves connections.
const BRIEF: Duration = Duration::from_millis(20);

thread_local! {
    /// Locks held by others are waited for only briefly on this thread.
    static NO_WAIT: Cell<bool> = const { Cell::new(false) };
    /// A lock was refused since [`without_waiting`] began.
    static REFUSED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work` on this thread with locks waited for only [briefly](BRIEF): a lock
/// another holds for longer fails with [`io::ErrorKind::WouldBlock`]. Returns
/// what `work` returned, and whether a lock was refused (then `work`'s result is that
/// failure, and the work is to be done again where waiting is allowed).
pub(crate) fn without_waiting<T>(work: impl FnOnce() -> T) -> (T, bool) {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            NO_WAIT.set(false);
        }
    }
    NO_WAIT.set(true);
    REFUSED.set(false);
    let reset = Reset;
    let result = work();
    drop(reset);
    (result, REFUSED.replace(false))
}

/// A held `<file>.lock`, as Dovecot takes it for `dovecot-uidlist`: created
/// exclusively, so one process at a time changes `<file>`; the new content is written
/// into the lock file and renamed over `<file>` ([`commit`](Self::commit)), so readers
/// see the old file or the new one, whole. Dropped without `commit`, the lock is removed
/// and `<file>` is left as it was. A lock older than two minutes was left by a process
/// that died, and is taken over.
///
/// ```
/// use mailwire_maildir::DotLock;
///
/// let dir = std::env::temp_dir().join(format!("dotlock-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let counter = dir.join("counter");
/// let lock = DotLock::acquire(&counter)?; // waits while another process holds it
/// let n: u32 = std::fs::read_to_string(&counter).map_or(0, |t| t.trim().parse().unwrap_or(0));
/// lock.commit(format!("{}\n", n + 1).as_bytes())?;
/// assert_eq!(std::fs::read_to_string(&counter)?, "1\n");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct DotLock {
    target: PathBuf,
    path: PathBuf,
    file: Option<File>,
}

impl DotLock {
    /// Takes the lock of `target`, waiting while another holder has it (up to 30 seconds,
    /// then [`io::ErrorKind::TimedOut`]) and removing it when it is stale.
    pub fn acquire(target: &Path) -> io::Result<Self> {
        let mut path = target.as_os_str().to_owned();
        path.push(".lock");
        let path = PathBuf::from(path);
        let started = Instant::now();
        loop {
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(file) => {
                    return Ok(Self {
                        target: target.to_owned(),
                        path,
                        file: Some(file),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if is_stale(&path) {
                        // Another waiter may remove it first; either way, try again.
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    if NO_WAIT.get() && started.elapsed() > BRIEF {
                        REFUSED.set(true);
                        return Err(io::Error::new(
                            io::ErrorKind::WouldBlock,
                            format!("{} is held", path.display()),
                        ));
                    }
                    if started.elapsed() > PATIENCE {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!("{} is held", path.display()),
                        ));
                    }
                    std::thread::sleep(if NO_WAIT.get() {
                        Duration::from_millis(1)
                    } else {
                        Duration::from_millis(10)
                    });
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes `content` into the lock file, syncs it and renames it over the target:
    /// the new content replaces the old at once, and the lock is released. The directory
    /// is not synced: call `sync_all` on it when the rename must survive a crash.
    pub fn commit(mut self, content: &[u8]) -> io::Result<()> {
        let mut file = self.file.take().expect("a lock is committed once");
        file.write_all(content)?;
        file.sync_all()?;
        std::fs::rename(&self.path, &self.target)
    }
}

impl Drop for DotLock {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn is_stale(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|modified| {
            SystemTime::now()
                .duration_since(modified)
                .is_ok_and(|age| age > STALE)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_waiting_a_held_lock_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("list");
        let held = DotLock::acquire(&target).unwrap();
        let (taken, refused) = without_waiting(|| DotLock::acquire(&target));
        assert_eq!(taken.unwrap_err().kind(), io::ErrorKind::WouldBlock);
        assert!(refused);
        drop(held);
        let (taken, refused) = without_waiting(|| DotLock::acquire(&target));
        assert!(taken.is_ok());
        assert!(!refused);
    }

    #[test]
    fn commit_replaces_and_drop_leaves_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("list");
        std::fs::write(&target, "old").unwrap();

        let lock = DotLock::acquire(&target).unwrap();
        assert!(dir.path().join("list.lock").exists());
        drop(lock);
        assert!(!dir.path().join("list.lock").exists());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");

        DotLock::acquire(&target).unwrap().commit(b"new").unwrap();
        assert!(!dir.path().join("list.lock").exists());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }

    #[test]
    fn a_stale_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("list");
        let stale = File::create(dir.path().join("list.lock")).unwrap();
        stale
            .set_modified(SystemTime::now() - STALE - Duration::from_secs(1))
            .unwrap();
        DotLock::acquire(&target).unwrap().commit(b"mine").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "mine");
    }
}
