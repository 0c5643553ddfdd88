//! One user's Maildir: its mailboxes, subscriptions, delivery and APPEND.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use mailwire_imap::types::{DateTime, Flag, MailboxAttribute};
use mailwire_server::store::{MailboxEntry, MailboxStatus, NewMessage, Placed, Snapshot};
use mailwire_server::{Mailboxes, StoreError, StoreResult};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::broadcast;

use crate::filename::{self, file_name, unique, with_sizes};
use crate::folder::{self, CrlfCounter, Sub};
use crate::keywords::{self, Keywords};
use crate::lock::DotLock;
use crate::uidlist::{self, Uidlist};
use crate::view::MaildirView;
use crate::{blocking, date, failed};

/// The largest message delivery and APPEND take: 50 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 50 * 1024 * 1024;

/// The mailboxes a new Maildir is given besides INBOX, with their special use (RFC 6154).
const STANDARD: [(&str, MailboxAttribute); 4] = [
    ("Sent", MailboxAttribute::Sent),
    ("Drafts", MailboxAttribute::Drafts),
    ("Trash", MailboxAttribute::Trash),
    ("Junk", MailboxAttribute::Junk),
];

/// The subscriptions file of the Maildir's root.
const SUBSCRIPTIONS: &str = "subscriptions";

/// The file Dovecot puts in each folder's directory.
const FOLDER_MARK: &str = "maildirfolder";

/// How many changes a mailbox's in-process wake-up channel holds; a view further behind
/// rescans, which it does anyway.
const FEED_CAPACITY: usize = 16;

/// One user's Maildir++ directory, as Dovecot lays it out: INBOX in the root (`cur/`,
/// `new/`, `tmp/`), other mailboxes in `.Name` and `.Parent.Child` directories beside it.
///
/// A `Maildir` implements [`Mailboxes`]; clones share one in-process wake-up channel per
/// mailbox, so that a change made through one clone wakes the views of the others at
/// once. Other processes (another `Maildir` on the same directory, Dovecot, a delivery
/// agent) are seen by rescanning the directories.
///
/// The file system is read and written on the calling task, except message content,
/// which [`tokio::fs`] streams.
#[derive(Clone)]
pub struct Maildir {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    host: String,
    max_message_size: u64,
    feeds: Mutex<HashMap<PathBuf, broadcast::Sender<()>>>,
    /// The CRLF sizes of files whose names do not say it, by base name, so that each is
    /// read once.
    sizes: Mutex<HashMap<String, u64>>,
}

/// How many sizes [`Inner::sizes`] remembers before it starts again.
const SIZES_KEPT: usize = 100_000;

impl std::fmt::Debug for Maildir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Maildir")
            .field("root", &self.inner.root)
            .field("max_message_size", &self.inner.max_message_size)
            .finish_non_exhaustive()
    }
}

impl Maildir {
    /// Opens the Maildir at `root`, creating it (mode 0700) if it does not exist. A new
    /// Maildir is given `Sent`, `Drafts`, `Trash` and `Junk`, all subscribed with INBOX.
    pub fn open(root: PathBuf) -> StoreResult<Self> {
        Self::open_with_limit(root, DEFAULT_MAX_MESSAGE_SIZE)
    }

    /// Opens the Maildir at `root` as [`open`](Self::open) does, taking messages of up to
    /// `max_message_size` octets.
    pub fn open_with_limit(root: PathBuf, max_message_size: u64) -> StoreResult<Self> {
        let fresh = !root.join("cur").is_dir();
        std::fs::DirBuilder::new()
            .mode(0o700)
            .recursive(true)
            .create(&root)
            .map_err(failed)?;
        folder::make_dirs(&root).map_err(failed)?;
        let maildir = Self {
            inner: Arc::new(Inner {
                root,
                host: filename::host_name(),
                max_message_size,
                feeds: Mutex::default(),
                sizes: Mutex::default(),
            }),
        };
        if fresh {
            let mut subscribed = vec!["INBOX".to_owned()];
            for (name, _) in STANDARD {
                match maildir.make_mailbox(&maildir.dir(name)) {
                    Ok(()) | Err(StoreError::Exists(_)) => subscribed.push(name.to_owned()),
                    Err(e) => return Err(e),
                }
            }
            maildir
                .update_subscriptions(|set| set.extend(subscribed))
                .map_err(failed)?;
        }
        Ok(maildir)
    }

    /// Runs `work` on this Maildir on the blocking pool.
    async fn off_thread<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Maildir) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let maildir = self.clone();
        blocking(move || work(&maildir)).await
    }

    /// The Maildir's root directory, INBOX's.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Delivers a message to INBOX: its `size` octets are read from `content` into
    /// `tmp/` (mode 0600), synced, and renamed into `new/`, whose directory is synced
    /// too; when this returns `Ok`, the message survives a crash. The message gets its
    /// UID when a reader next lists INBOX, as with any delivery agent.
    pub async fn deliver(
        &self,
        content: &mut (impl AsyncRead + Unpin + ?Sized),
        size: u64,
    ) -> StoreResult<()> {
        let dir = self.inner.root.clone();
        self.write_message(&dir, &[], None, content, size).await?;
        self.notify(&dir);
        Ok(())
    }

    /// The directory of a mailbox name (checked already).
    pub(crate) fn dir(&self, name: &str) -> PathBuf {
        if name == "INBOX" {
            self.inner.root.clone()
        } else {
            self.inner.root.join(format!(".{}", name.replace('/', ".")))
        }
    }

    pub(crate) fn root_dir(&self) -> &Path {
        &self.inner.root
    }

    pub(crate) fn host(&self) -> &str {
        &self.inner.host
    }

    /// The size with CRLF line ends of the message file at `path`: from its name when
    /// the name says it, else read once and remembered.
    pub(crate) fn crlf_size(&self, path: &Path, base: &str) -> io::Result<u64> {
        if let (_, Some(vsize)) = filename::sizes(base) {
            return Ok(vsize);
        }
        let known = self
            .inner
            .sizes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(base)
            .copied();
        if let Some(size) = known {
            return Ok(size);
        }
        let size = folder::crlf_size(path, base)?;
        let mut sizes = self
            .inner
            .sizes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if sizes.len() >= SIZES_KEPT {
            sizes.clear();
        }
        sizes.insert(base.to_owned(), size);
        Ok(size)
    }

    /// A wake-up channel of a mailbox directory, for a view of it.
    pub(crate) fn feed(&self, dir: &Path) -> broadcast::Receiver<()> {
        let mut feeds = self
            .inner
            .feeds
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        feeds
            .entry(dir.to_owned())
            .or_insert_with(|| broadcast::channel(FEED_CAPACITY).0)
            .subscribe()
    }

    /// Wakes the views of a mailbox directory in this process.
    pub(crate) fn notify(&self, dir: &Path) {
        let feeds = self
            .inner
            .feeds
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(feed) = feeds.get(dir) {
            let _ = feed.send(());
        }
    }

    /// The directory of a mailbox that can be selected, or [`StoreError::NoMailbox`].
    pub(crate) fn selectable(&self, name: &str) -> StoreResult<(String, PathBuf)> {
        let name = mailbox_name(name)?;
        let dir = self.dir(&name);
        if dir.join("cur").is_dir() {
            Ok((name, dir))
        } else {
            Err(StoreError::NoMailbox(name))
        }
    }

    /// Creates a mailbox directory whole, or fails with [`StoreError::Exists`]: it is
    /// made under a name no mailbox has, then renamed into place.
    fn make_mailbox(&self, dir: &Path) -> StoreResult<()> {
        let root = &self.inner.root;
        let building = root.join(format!("..mailwire-new.{}", unique(&self.inner.host)));
        let made = (|| -> io::Result<()> {
            std::fs::DirBuilder::new().mode(0o700).create(&building)?;
            folder::make_dirs(&building)?;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(building.join(FOLDER_MARK))?;
            let list = Uidlist::new(folder::new_uid_validity(root)?);
            std::fs::write(building.join(uidlist::FILE), list.format())?;
            Ok(())
        })();
        if let Err(e) = made {
            let _ = std::fs::remove_dir_all(&building);
            return Err(failed(e));
        }
        if dir.join("cur").is_dir() {
            let _ = std::fs::remove_dir_all(&building);
            return Err(StoreError::Exists(name_of(root, dir)));
        }
        match std::fs::rename(&building, dir) {
            Ok(()) => {
                let _ = folder::sync_dir(root);
                Ok(())
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&building);
                if dir.exists() {
                    Err(StoreError::Exists(name_of(root, dir)))
                } else {
                    Err(failed(e))
                }
            }
        }
    }

    /// The names (with `/`) of the mailbox directories beside INBOX, and whether each
    /// can be selected.
    fn folders(&self) -> io::Result<BTreeMap<String, bool>> {
        let mut folders = BTreeMap::new();
        for entry in std::fs::read_dir(&self.inner.root)? {
            let Ok(entry) = entry else { continue };
            let Ok(file) = entry.file_name().into_string() else {
                continue;
            };
            let Some(encoded) = file.strip_prefix('.') else {
                continue;
            };
            if encoded.is_empty() || encoded.split('.').any(str::is_empty) {
                continue;
            }
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let selectable = entry.path().join("cur").is_dir();
            folders.insert(encoded.replace('.', "/"), selectable);
        }
        Ok(folders)
    }

    fn has_children(&self, name: &str) -> io::Result<bool> {
        let prefix = format!("{name}/");
        Ok(self.folders()?.keys().any(|n| n.starts_with(&prefix)))
    }

    fn subscriptions(&self) -> io::Result<BTreeSet<String>> {
        match std::fs::read_to_string(self.inner.root.join(SUBSCRIPTIONS)) {
            Ok(text) => Ok(parse_subscriptions(&text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeSet::new()),
            Err(e) => Err(e),
        }
    }

    fn update_subscriptions(&self, f: impl FnOnce(&mut BTreeSet<String>)) -> io::Result<()> {
        let lock = DotLock::acquire(&self.inner.root.join(SUBSCRIPTIONS))?;
        let mut set = self.subscriptions()?;
        f(&mut set);
        lock.commit(format_subscriptions(&set).as_bytes())
    }

    /// Creates the parents of `name` that do not exist, as mailboxes.
    fn create_parents(&self, name: &str) -> StoreResult<()> {
        for (at, _) in name.match_indices('/') {
            let parent = &name[..at];
            if parent != "INBOX" && !self.dir(parent).exists() {
                match self.make_mailbox(&self.dir(parent)) {
                    Ok(()) | Err(StoreError::Exists(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// The flag characters of `flags` in the mailbox at `dir`, with the characters of
    /// `old` that stand for no flag kept, giving keywords letters in its
    /// `dovecot-keywords` if they have none.
    pub(crate) fn flag_chars(dir: &Path, flags: &[Flag], old: &str) -> StoreResult<String> {
        let mut keywords = Keywords::read(dir).map_err(failed)?;
        let chars = if flags.iter().all(|f| keywords.has(f)) {
            filename::chars(flags, old, &mut keywords)
        } else {
            Keywords::update(dir, |k| filename::chars(flags, old, k)).map_err(failed)?
        };
        chars.ok_or_else(|| StoreError::Limit(format!("no more than {} keywords", keywords::MAX)))
    }

    /// Writes a message into `tmp/`, then renames it into `new/` (without flags) or
    /// `cur/`; returns its base name.
    async fn write_message(
        &self,
        dir: &Path,
        flags: &[Flag],
        internal_date: Option<DateTime>,
        content: &mut (impl AsyncRead + Unpin + ?Sized),
        size: u64,
    ) -> StoreResult<String> {
        let staged = self.stage(dir, flags, internal_date, content, size).await?;
        blocking(move || {
            staged.place()?;
            Ok(staged.base)
        })
        .await
    }

    /// Writes a message into `tmp/` and chooses where it goes: `new/`, or `cur/` with its
    /// flags.
    async fn stage(
        &self,
        dir: &Path,
        flags: &[Flag],
        internal_date: Option<DateTime>,
        content: &mut (impl AsyncRead + Unpin + ?Sized),
        size: u64,
    ) -> StoreResult<Staged> {
        if size > self.inner.max_message_size {
            return Err(StoreError::Limit("message too big".into()));
        }
        let unique = unique(&self.inner.host);
        let tmp = dir.join("tmp").join(&unique);
        let written = write_tmp(&tmp, content, size, internal_date).await;
        let vsize = match written {
            Ok(vsize) => vsize,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        let base = with_sizes(&unique, size, vsize);
        let (dir, flags) = (dir.to_owned(), flags.to_vec());
        blocking(move || {
            let target = if flags.iter().any(|f| !matches!(f, Flag::Extension(_))) {
                Self::flag_chars(&dir, &flags, "")
                    .map(|chars| (Sub::Cur, file_name(&base, Some(&chars))))
            } else {
                Ok((Sub::New, base.clone()))
            };
            match target {
                Ok((sub, name)) => Ok(Staged {
                    tmp,
                    dir: dir.join(sub.dir()),
                    name,
                    base,
                }),
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    Err(e)
                }
            }
        })
        .await
    }
}

/// A message written into `tmp/`, with the place it goes.
struct Staged {
    tmp: PathBuf,
    /// `new/` or `cur/`.
    dir: PathBuf,
    /// Its name there.
    name: String,
    /// Its base name, the part the uidlist keeps.
    base: String,
}

impl Staged {
    /// Renames the message into place and syncs the directory; removes it from `tmp/` if
    /// that fails.
    fn place(&self) -> StoreResult<()> {
        let placed = std::fs::rename(&self.tmp, self.dir.join(&self.name))
            .and_then(|()| folder::sync_dir(&self.dir))
            .map_err(failed);
        if placed.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        placed
    }
}

/// Streams `size` octets of `content` into a new file at `path` (mode 0600), gives it
/// its modification time, and syncs it; returns the size with CRLF line ends.
async fn write_tmp(
    path: &Path,
    content: &mut (impl AsyncRead + Unpin + ?Sized),
    size: u64,
    internal_date: Option<DateTime>,
) -> StoreResult<u64> {
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .await
        .map_err(failed)?;
    let mut counter = CrlfCounter::default();
    let mut reader = content.take(size);
    // Grown as the content arrives, never reserved from the size a client announced.
    let mut buffer = vec![0; 64 * 1024];
    let mut total = 0_u64;
    loop {
        let n = reader.read(&mut buffer).await.map_err(failed)?;
        if n == 0 {
            break;
        }
        counter.feed(&buffer[..n]);
        file.write_all(&buffer[..n]).await.map_err(failed)?;
        total += u64::try_from(n).unwrap_or(u64::MAX);
    }
    if total != size {
        return Err(failed(format!(
            "content ended after {total} of {size} octets"
        )));
    }
    file.flush().await.map_err(failed)?;
    let file = file.into_std().await;
    let when = internal_date.map(date::to_system_time);
    tokio::task::spawn_blocking(move || {
        if let Some(when) = when {
            file.set_modified(when)?;
        }
        file.sync_all()
    })
    .await
    .map_err(failed)?
    .map_err(failed)?;
    Ok(counter.size)
}

/// The mailbox name of a directory of the Maildir.
fn name_of(root: &Path, dir: &Path) -> String {
    if dir == root {
        return "INBOX".into();
    }
    dir.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix('.'))
        .map_or_else(String::new, |n| n.replace('.', "/"))
}

/// Checks a mailbox name, and writes `INBOX` (alone or as the first level) in upper
/// case. `.` is refused: it is the hierarchy separator on disk.
pub(crate) fn mailbox_name(name: &str) -> StoreResult<String> {
    let bad = name.is_empty()
        || name.split('/').any(str::is_empty)
        || name.chars().any(|c| c.is_control() || c == '.')
        // One directory name holds the whole hierarchy.
        || name.len() > 250;
    if bad {
        return Err(StoreError::BadName(name.to_owned()));
    }
    let (first, rest) = name.split_at(name.find('/').unwrap_or(name.len()));
    if first.eq_ignore_ascii_case("INBOX") {
        Ok(format!("INBOX{rest}"))
    } else {
        Ok(name.to_owned())
    }
}

/// Dovecot's subscriptions file: version 2 (`V\t2`, an empty line, then one name a line
/// with its levels separated by tabs), or the older form of one name a line with the
/// hierarchy separator.
fn parse_subscriptions(text: &str) -> BTreeSet<String> {
    let mut lines = text.lines().peekable();
    let version_2 = lines.next_if(|l| *l == "V\t2").is_some();
    if version_2 {
        lines.next_if(|l| l.is_empty());
    }
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            if version_2 {
                l.replace('\t', "/")
            } else {
                l.replace('.', "/")
            }
        })
        .collect()
}

fn format_subscriptions(names: &BTreeSet<String>) -> String {
    let mut text = String::from("V\t2\n\n");
    for name in names {
        text.push_str(&name.replace('/', "\t"));
        text.push('\n');
    }
    text
}

impl Maildir {
    fn list_now(&self) -> StoreResult<Vec<MailboxEntry>> {
        let mut folders = self.folders().map_err(failed)?;
        folders.insert("INBOX".into(), true);
        let names: Vec<String> = folders.keys().cloned().collect();
        for name in names {
            for (at, _) in name.match_indices('/') {
                folders.entry(name[..at].to_owned()).or_insert(false);
            }
        }
        let subscribed = self.subscriptions().map_err(failed)?;
        let mut entries: Vec<MailboxEntry> = folders
            .iter()
            .map(|(name, &selectable)| {
                let prefix = format!("{name}/");
                let children = folders
                    .range(prefix.clone()..)
                    .next()
                    .is_some_and(|(child, _)| child.starts_with(&prefix));
                let mut attributes = Vec::new();
                if !selectable {
                    attributes.push(MailboxAttribute::NoSelect);
                }
                attributes.push(if children {
                    MailboxAttribute::HasChildren
                } else {
                    MailboxAttribute::HasNoChildren
                });
                attributes.extend(
                    STANDARD
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, a)| a.clone()),
                );
                MailboxEntry {
                    name: name.clone(),
                    attributes,
                    subscribed: subscribed.contains(name),
                }
            })
            .collect();
        // Subscriptions outlive their mailboxes (RFC 3501 §6.3.6), and LSUB lists them.
        entries.extend(
            subscribed
                .iter()
                .filter(|name| !folders.contains_key(*name))
                .map(|name| MailboxEntry {
                    name: name.clone(),
                    attributes: vec![MailboxAttribute::NonExistent],
                    subscribed: true,
                }),
        );
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    fn create_now(&self, name: &str) -> StoreResult<()> {
        // A trailing delimiter declares the name a parent-to-be (RFC 3501 §6.3.3).
        let name = mailbox_name(name.strip_suffix('/').unwrap_or(name))?;
        if name == "INBOX" {
            return Err(StoreError::Exists(name));
        }
        self.create_parents(&name)?;
        self.make_mailbox(&self.dir(&name))
    }

    fn delete_now(&self, name: &str) -> StoreResult<()> {
        let name = mailbox_name(name)?;
        if name == "INBOX" {
            return Err(StoreError::NoPermission);
        }
        let dir = self.dir(&name);
        if !dir.is_dir() {
            return Err(if self.has_children(&name).map_err(failed)? {
                // RFC 3501 §6.3.4: a `\Noselect` name with children stays.
                StoreError::NoPermission
            } else {
                StoreError::NoMailbox(name)
            });
        }
        // Out of sight at once, then removed; a name starting `..` is no mailbox.
        let root = &self.inner.root;
        let doomed = root.join(format!("..mailwire-deleted.{}", unique(&self.inner.host)));
        std::fs::rename(&dir, &doomed).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StoreError::NoMailbox(name.clone()),
            _ => failed(e),
        })?;
        let _ = std::fs::remove_dir_all(&doomed);
        self.notify(&dir);
        Ok(())
    }

    fn rename_now(&self, from: &str, to: &str) -> StoreResult<()> {
        let (from, to) = (mailbox_name(from)?, mailbox_name(to)?);
        let from_dir = self.dir(&from);
        let exists = |name: &str, dir: &Path| -> StoreResult<bool> {
            Ok(name == "INBOX" || dir.is_dir() || self.has_children(name).map_err(failed)?)
        };
        if !exists(&from, &from_dir)? {
            return Err(StoreError::NoMailbox(from));
        }
        if exists(&to, &self.dir(&to))? {
            return Err(StoreError::Exists(to));
        }
        if from == "INBOX" {
            return self.rename_inbox(&to);
        }
        if to
            .strip_prefix(&from)
            .is_some_and(|rest| rest.starts_with('/'))
        {
            return Err(StoreError::BadName(to));
        }
        let prefix = format!("{from}/");
        let moving: Vec<String> = self
            .folders()
            .map_err(failed)?
            .into_keys()
            .filter(|name| *name == from || name.starts_with(&prefix))
            .collect();
        let renamed = |old: &str| format!("{to}{}", &old[from.len()..]);
        if let Some(taken) = moving
            .iter()
            .map(|old| renamed(old))
            .find(|new| self.dir(new).exists())
        {
            return Err(StoreError::Exists(taken));
        }
        self.create_parents(&to)?;
        for old in moving {
            let dir = self.dir(&old);
            std::fs::rename(&dir, self.dir(&renamed(&old))).map_err(failed)?;
            self.notify(&dir);
        }
        Ok(())
    }

    fn subscribe_now(&self, name: &str, on: bool) -> StoreResult<()> {
        let name = mailbox_name(name)?;
        self.update_subscriptions(|set| {
            if on {
                set.insert(name);
            } else {
                set.remove(&name);
            }
        })
        .map_err(failed)
    }

    fn status_now(&self, name: &str) -> StoreResult<MailboxStatus> {
        let (name, dir) = self.selectable(name)?;
        let state = folder::sync(self.root_dir(), &dir).map_err(|e| gone_as(e, &name))?;
        let first_recent = folder::first_recent(&dir, None).map_err(|e| gone_as(e, &name))?;
        let count = |f: &dyn Fn(&folder::Message) -> bool| {
            let n = state.messages.iter().filter(|m| f(m)).count();
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        Ok(MailboxStatus {
            messages: count(&|_| true),
            recent: count(&|m| m.uid >= first_recent),
            unseen: count(&|m| !filename::flag_chars(&m.at.name).contains('S')),
            uid_next: nonzero(state.uid_next),
            uid_validity: nonzero(state.uid_validity),
        })
    }
}

impl Mailboxes for Maildir {
    type Mailbox = MaildirView;

    async fn list(&self) -> StoreResult<Vec<MailboxEntry>> {
        self.off_thread(Maildir::list_now).await
    }

    async fn create(&self, name: &str) -> StoreResult<()> {
        let name = name.to_owned();
        self.off_thread(move |maildir| maildir.create_now(&name))
            .await
    }

    async fn delete(&self, name: &str) -> StoreResult<()> {
        let name = name.to_owned();
        self.off_thread(move |maildir| maildir.delete_now(&name))
            .await
    }

    async fn rename(&self, from: &str, to: &str) -> StoreResult<()> {
        let (from, to) = (from.to_owned(), to.to_owned());
        self.off_thread(move |maildir| maildir.rename_now(&from, &to))
            .await
    }

    async fn subscribe(&self, name: &str, on: bool) -> StoreResult<()> {
        let name = name.to_owned();
        self.off_thread(move |maildir| maildir.subscribe_now(&name, on))
            .await
    }

    async fn status(&self, name: &str) -> StoreResult<MailboxStatus> {
        let name = name.to_owned();
        self.off_thread(move |maildir| maildir.status_now(&name))
            .await
    }

    async fn append(
        &self,
        name: &str,
        message: NewMessage,
        content: &mut (dyn AsyncRead + Send + Unpin),
    ) -> StoreResult<Placed> {
        let name = name.to_owned();
        let (name, dir) = self
            .off_thread(move |maildir| maildir.selectable(&name))
            .await?;
        let staged = self
            .stage(
                &dir,
                &message.flags,
                message.internal_date,
                content,
                u64::from(message.size),
            )
            .await?;
        // Placed and given its UID under the uidlist's lock: another session cannot see
        // it, and so cannot expunge it, before its UID is known here.
        self.off_thread(move |maildir| {
            let placed = folder::place(maildir.root_dir(), &dir, || {
                staged.place().map_err(io::Error::other)
            });
            let state = match placed {
                Ok(((), state)) => state,
                Err(e) => {
                    let _ = std::fs::remove_file(&staged.tmp);
                    return Err(gone_as(e, &name));
                }
            };
            maildir.notify(&dir);
            let uid = state
                .messages
                .iter()
                .find(|m| m.base == staged.base)
                .map(|m| m.uid)
                .ok_or_else(|| failed("the message was removed as it was stored"))?;
            Ok(Placed {
                uid_validity: nonzero(state.uid_validity),
                uids: vec![uid],
            })
        })
        .await
    }

    async fn select(&self, name: &str, read_only: bool) -> StoreResult<(MaildirView, Snapshot)> {
        let name = name.to_owned();
        self.off_thread(move |maildir| {
            let (name, dir) = maildir.selectable(&name)?;
            if !read_only {
                folder::clean_tmp(&dir);
            }
            MaildirView::open(maildir.clone(), name, dir, read_only)
        })
        .await
    }
}

impl Maildir {
    /// RFC 3501 §6.3.5: INBOX's messages move to a new mailbox; INBOX stays, empty, with
    /// its UIDNEXT, and its children stay where they are.
    fn rename_inbox(&self, to: &str) -> StoreResult<()> {
        self.create_parents(to)?;
        let target = self.dir(to);
        self.make_mailbox(&target)?;
        let root = &self.inner.root;
        match std::fs::copy(root.join(keywords::FILE), target.join(keywords::FILE)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(failed(e)),
            _ => {}
        }
        for sub in [Sub::New, Sub::Cur] {
            for entry in std::fs::read_dir(root.join(sub.dir())).map_err(failed)? {
                let Ok(entry) = entry else { continue };
                let moved =
                    std::fs::rename(entry.path(), target.join(sub.dir()).join(entry.file_name()));
                match moved {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(failed(e)),
                    _ => {}
                }
            }
        }
        folder::sync(root, &target).map_err(failed)?;
        self.notify(root);
        Ok(())
    }
}

/// A `NotFound` from a mailbox's directory means the mailbox went away meanwhile.
fn gone_as(e: io::Error, name: &str) -> StoreError {
    if e.kind() == io::ErrorKind::NotFound {
        StoreError::NoMailbox(name.to_owned())
    } else {
        failed(e)
    }
}

pub(crate) fn nonzero(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n).unwrap_or(std::num::NonZeroU32::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(mailbox_name("inbox").unwrap(), "INBOX");
        assert_eq!(mailbox_name("Inbox/Sub").unwrap(), "INBOX/Sub");
        assert_eq!(mailbox_name("&ZeVnLIqe-/x").unwrap(), "&ZeVnLIqe-/x");
        for bad in ["", "/a", "a/", "a//b", "a\nb", "a.b", "..x"] {
            assert!(
                matches!(mailbox_name(bad), Err(StoreError::BadName(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn subscriptions_files() {
        let set: BTreeSet<String> = ["INBOX", "a/b", "Sent"].map(String::from).into();
        let text = format_subscriptions(&set);
        assert_eq!(text, "V\t2\n\nINBOX\nSent\na\tb\n");
        assert_eq!(parse_subscriptions(&text), set);
        assert_eq!(parse_subscriptions("INBOX\na.b\nSent\n"), set);
    }
}
