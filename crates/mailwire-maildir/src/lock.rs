//! Dot-locks, as Dovecot takes them: `<file>.lock` created exclusively, the new content
//! written into it, then renamed over `<file>`, which readers therefore always see whole.

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

/// A held `<file>.lock`; dropped without [`commit`](Self::commit), it is removed and
/// `<file>` is left as it was.
#[derive(Debug)]
pub(crate) struct DotLock {
    target: PathBuf,
    path: PathBuf,
    file: Option<File>,
}

impl DotLock {
    /// Takes the lock of `target`, waiting while another holder has it and removing it
    /// when it is stale.
    pub(crate) fn acquire(target: &Path) -> io::Result<Self> {
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
                    if started.elapsed() > PATIENCE {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!("{} is held", path.display()),
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes `content` into the lock file, syncs it and renames it over the target:
    /// the new content replaces the old at once, and the lock is released.
    pub(crate) fn commit(mut self, content: &[u8]) -> io::Result<()> {
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
