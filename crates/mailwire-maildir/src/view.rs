//! A selected mailbox: one connection's view of a mailbox directory, kept up to date by
//! rescanning it.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use mailwire_imap::types::Flag;
use mailwire_server::store::{Change, Copied, FlagChange, MessageMeta, Snapshot};
use mailwire_server::{Mailbox, StoreError, StoreResult};
use tokio::sync::broadcast::{self, error::TryRecvError};

use crate::content::MessageContent;
use crate::filename::{self, file_name, size_fields, sizes, unique};
use crate::folder::{self, Located, State, Sub};
use crate::keywords::{self, Keywords};
use crate::lock::without_waiting;
use crate::maildir::{Maildir, mailbox_name, nonzero};
use crate::{blocking, date, failed, uidlist};

/// How often a view waiting for changes rescans its mailbox for those of other
/// processes; changes made in this process wake it at once.
pub const RESCAN_INTERVAL: Duration = Duration::from_secs(1);

/// A directory modified this recently may change again within the same timestamp: it
/// is rescanned even if its time did not move.
const SETTLING: Duration = Duration::from_secs(2);

/// How many times a file that moved meanwhile is looked for again.
const ATTEMPTS: usize = 8;

/// A mailbox selected from a [`Maildir`], read-write or read-only.
///
/// The view remembers the UIDs and flags it has reported, and reports the differences
/// between those and the directory as it is now. It rescans only when something may
/// have changed: the modification times of `new/`, `cur/`, `dovecot-uidlist` or
/// `dovecot-keywords` moved, or they are too recent to tell, or this process changed
/// the mailbox. Its file-system work runs on tokio's blocking pool.
pub struct MaildirView {
    core: Arc<Mutex<Core>>,
    feed: broadcast::Receiver<()>,
    /// The feed woke the view since it last looked.
    woke: bool,
}

/// What a view knows, worked on by one blocking task at a time.
struct Core {
    maildir: Maildir,
    name: String,
    dir: PathBuf,
    read_only: bool,
    uid_validity: u32,
    /// This process changed the mailbox since the last scan.
    dirty: bool,
    stamp: Option<Stamp>,
    /// The flags of every message the view has reported, by UID.
    known: BTreeMap<u32, Vec<Flag>>,
    /// Where each message's file was last seen: a hint, checked on use.
    places: Mutex<HashMap<u32, Located>>,
    /// Changes found by a scan whose caller went away before it took them: the next
    /// caller gets them first, so that none is lost.
    pending: Vec<Change>,
}

impl std::fmt::Debug for MaildirView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let core = lock(&self.core);
        f.debug_struct("MaildirView")
            .field("name", &core.name)
            .field("dir", &core.dir)
            .field("uid_validity", &core.uid_validity)
            .field("read_only", &core.read_only)
            .field("messages", &core.known.len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The mutex's guard if no one holds it.
fn try_lock<T>(mutex: &Mutex<T>) -> Option<std::sync::MutexGuard<'_, T>> {
    match mutex.try_lock() {
        Ok(guard) => Some(guard),
        Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

impl MaildirView {
    /// Opens a view; blocking.
    pub(crate) fn open(
        maildir: Maildir,
        name: String,
        dir: PathBuf,
        read_only: bool,
    ) -> StoreResult<(Self, Snapshot)> {
        // Subscribed before the scan: what changes after it wakes the view.
        let feed = maildir.feed(&dir);
        let (core, snapshot) = Core::open(maildir, name, dir, read_only)?;
        let view = Self {
            core: Arc::new(Mutex::new(core)),
            feed,
            woke: false,
        };
        Ok((view, snapshot))
    }

    /// Runs `f` on the view's state on the blocking pool. The task runs to its end
    /// even if the returned future is dropped.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Core) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let core = Arc::clone(&self.core);
        blocking(move || f(&mut lock(&core))).await
    }
}

/// The modification times that tell whether a mailbox may have changed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp([Option<SystemTime>; 4]);

impl Stamp {
    fn read(dir: &Path) -> Self {
        let time = |path: PathBuf| std::fs::metadata(path).and_then(|m| m.modified()).ok();
        Self([
            time(dir.join("new")),
            time(dir.join("cur")),
            time(dir.join(uidlist::FILE)),
            time(dir.join(keywords::FILE)),
        ])
    }

    /// Whether every time is old enough that a change now would move it.
    fn settled(&self) -> bool {
        let now = SystemTime::now();
        self.0
            .iter()
            .flatten()
            .all(|t| now.duration_since(*t).is_ok_and(|age| age > SETTLING))
    }
}

impl Core {
    fn open(
        maildir: Maildir,
        name: String,
        dir: PathBuf,
        read_only: bool,
    ) -> StoreResult<(Self, Snapshot)> {
        let stamp = Stamp::read(&dir);
        let state = folder::sync(maildir.root_dir(), &dir).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StoreError::NoMailbox(name.clone()),
            _ => failed(e),
        })?;
        let mut view = Self {
            maildir,
            name,
            dir,
            read_only,
            uid_validity: state.uid_validity,
            dirty: false,
            stamp: Some(stamp),
            known: BTreeMap::new(),
            places: Mutex::default(),
            pending: Vec::new(),
        };
        let keywords = Keywords::read(&view.dir).map_err(failed)?;
        let first_recent = view.first_recent(&state)?;
        let mut messages = Vec::with_capacity(state.messages.len());
        for message in &state.messages {
            let recent = message.uid >= first_recent;
            if let Some(meta) = view.learn(message, &keywords, recent)? {
                messages.push(meta);
            }
        }
        let snapshot = Snapshot {
            uid_validity: nonzero(state.uid_validity),
            uid_next: nonzero(state.uid_next),
            keywords: keywords.all(),
            keywords_allowed: keywords.has_room(),
            messages,
        };
        Ok((view, snapshot))
    }

    /// The first UID `\Recent` to this view; a read-write view takes those of `state`.
    fn first_recent(&self, state: &State) -> StoreResult<u32> {
        let take = (!self.read_only).then_some(state.uid_next);
        folder::first_recent(&self.dir, take).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                StoreError::Gone
            } else {
                failed(e)
            }
        })
    }

    fn places(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Located>> {
        lock(&self.places)
    }

    fn writable(&self) -> StoreResult<()> {
        if self.read_only {
            Err(StoreError::NoPermission)
        } else {
            Ok(())
        }
    }

    /// The mailbox as it is now, or [`StoreError::Gone`] if it was deleted, renamed or
    /// given another UIDVALIDITY.
    fn current(&self) -> StoreResult<State> {
        let state = folder::sync(self.maildir.root_dir(), &self.dir).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                StoreError::Gone
            } else {
                failed(e)
            }
        })?;
        if state.uid_validity != self.uid_validity {
            return Err(StoreError::Gone);
        }
        let mut places = self.places();
        places.clear();
        places.extend(state.messages.iter().map(|m| (m.uid, m.at.clone())));
        Ok(state)
    }

    /// Runs `f` on the file of message `uid` where it is now: when it is not where it
    /// was last seen, the mailbox is scanned again and `f` retried. `None` if the
    /// message is gone.
    fn with_file<T>(
        &self,
        uid: u32,
        mut f: impl FnMut(&Located) -> io::Result<T>,
    ) -> StoreResult<Option<T>> {
        let mut place = self.places().get(&uid).cloned();
        for _ in 0..ATTEMPTS {
            let at = match place {
                Some(at) => at,
                None => match self.current()?.find(uid) {
                    Some(message) => message.at.clone(),
                    None => return Ok(None),
                },
            };
            match f(&at) {
                Ok(value) => return Ok(Some(value)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => place = None,
                Err(e) => return Err(store_error(e)),
            }
        }
        Err(failed(format!("message {uid} keeps moving")))
    }

    /// Records a message the view reports for the first time, moving it from `new/` to
    /// `cur/` for a read-write view as Maildir readers do; `None` if its file is gone.
    fn learn(
        &mut self,
        message: &folder::Message,
        keywords: &Keywords,
        recent: bool,
    ) -> StoreResult<Option<MessageMeta>> {
        let mut at = message.at.clone();
        if at.sub == Sub::New && !self.read_only {
            let seen = Located {
                sub: Sub::Cur,
                name: file_name(&message.base, Some("")),
            };
            match std::fs::rename(at.path(&self.dir), seen.path(&self.dir)) {
                Ok(()) => at = seen,
                // Another view moved it first.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(failed(e)),
            }
        }
        self.places().insert(message.uid, at);
        let observed = self.with_file(message.uid, |at| {
            let metadata = std::fs::metadata(at.path(&self.dir))?;
            let size = self.maildir.crlf_size(&at.path(&self.dir), &message.base)?;
            Ok((at.name.clone(), metadata.modified()?, size))
        })?;
        let Some((name, modified, size)) = observed else {
            return Ok(None);
        };
        let flags = filename::flags(filename::flag_chars(&name), keywords);
        self.known.insert(message.uid, flags.clone());
        Ok(Some(MessageMeta {
            uid: message.uid,
            flags,
            recent,
            internal_date: date::from_system_time(modified),
            size: u32::try_from(size).unwrap_or(u32::MAX),
        }))
    }

    /// What changed since the view last looked; nothing without a rescan when nothing
    /// can have changed. Does not wait, so [`wait_changes`](Mailbox::wait_changes) stays
    /// cancel-safe.
    fn collect(&mut self) -> StoreResult<Vec<Change>> {
        if !self.dir.join("cur").is_dir() {
            return Err(StoreError::Gone);
        }
        let stamp = Stamp::read(&self.dir);
        if !self.dirty && self.stamp.as_ref() == Some(&stamp) && stamp.settled() {
            return Ok(Vec::new());
        }
        // Taken before the scan: a change during it moves the times again.
        self.dirty = false;
        self.stamp = Some(stamp);
        let state = self.current()?;
        let keywords = Keywords::read(&self.dir).map_err(failed)?;
        // Every lock is taken before the view changes what it knows, so that a scan
        // refused a lock can be made again from the start.
        let unknown = state
            .messages
            .iter()
            .any(|m| !self.known.contains_key(&m.uid));
        let first_recent = if unknown {
            self.first_recent(&state)?
        } else {
            u32::MAX
        };
        let mut changes: Vec<Change> = self
            .known
            .keys()
            .filter(|uid| state.find(**uid).is_none())
            .map(|&uid| Change::Expunged { uid })
            .collect();
        for change in &changes {
            if let Change::Expunged { uid } = change {
                self.known.remove(uid);
            }
        }
        let mut appended = Vec::new();
        for message in &state.messages {
            match self.known.get_mut(&message.uid) {
                Some(known) => {
                    let flags = filename::flags(filename::flag_chars(&message.at.name), &keywords);
                    if *known != flags {
                        known.clone_from(&flags);
                        changes.push(Change::Flags {
                            uid: message.uid,
                            flags,
                        });
                    }
                }
                None => {
                    let recent = message.uid >= first_recent;
                    if let Some(meta) = self.learn(message, &keywords, recent)? {
                        appended.push(Change::Appended(meta));
                    }
                }
            }
        }
        changes.extend(appended);
        Ok(changes)
    }

    /// Copies one message's file into the mailbox at `to`: a hard link under a new
    /// name (a copy where links cannot be made), in `new/` without flags or in `cur/`
    /// with them, as the flags are named in that mailbox. Returns the copy's base name.
    fn copy_one(
        &self,
        uid: u32,
        to: &Path,
        source_keywords: &Keywords,
    ) -> StoreResult<Option<String>> {
        let host = self.maildir.host().to_owned();
        self.with_file(uid, |at| {
            let base = format!("{}{}", unique(&host), size_fields(filename::base(&at.name)));
            let flags = filename::flags(filename::flag_chars(&at.name), source_keywords);
            let target = if flags.is_empty() {
                to.join("new").join(&base)
            } else {
                let chars = Maildir::flag_chars(to, &flags, "").map_err(io::Error::other)?;
                to.join("cur").join(file_name(&base, Some(&chars)))
            };
            let source = at.path(&self.dir);
            if let Err(e) = std::fs::hard_link(&source, &target) {
                if e.kind() == io::ErrorKind::NotFound {
                    return Err(e);
                }
                copy_file(&source, &to.join("tmp").join(&base), &target)?;
            }
            Ok(base)
        })
    }
}

/// The flags after a change; flag names compare without regard to case, and `\Recent`
/// and other extension flags are not stored.
fn apply(change: &FlagChange, before: &[Flag]) -> Vec<Flag> {
    let same = |a: &Flag, b: &Flag| a.to_string().eq_ignore_ascii_case(&b.to_string());
    let storable = |f: &&Flag| !matches!(f, Flag::Extension(_));
    let mut after: Vec<Flag> = match change {
        FlagChange::Add(flags) => before
            .iter()
            .chain(flags.iter())
            .filter(storable)
            .cloned()
            .collect(),
        FlagChange::Remove(flags) => before
            .iter()
            .filter(|f| !flags.iter().any(|g| same(f, g)))
            .cloned()
            .collect(),
        FlagChange::Replace(flags) => flags.iter().filter(storable).cloned().collect(),
    };
    let mut seen: Vec<Flag> = Vec::with_capacity(after.len());
    after.retain(|f| {
        let new = !seen.iter().any(|s| same(s, f));
        if new {
            seen.push(f.clone());
        }
        new
    });
    after
}

/// An error of a step on a message file: a store error it carries, or a failure.
fn store_error(e: io::Error) -> StoreError {
    if !e.get_ref().is_some_and(|inner| inner.is::<StoreError>()) {
        return failed(e);
    }
    match e.into_inner().map(|inner| inner.downcast::<StoreError>()) {
        Some(Ok(inner)) => *inner,
        _ => failed("a message file could not be changed"),
    }
}

/// Copies a file through `tmp` into `target`, keeping its modification time.
fn copy_file(source: &Path, tmp: &Path, target: &Path) -> io::Result<()> {
    let copied = (|| {
        std::fs::copy(source, tmp)?;
        let modified = std::fs::metadata(source)?.modified()?;
        let file = std::fs::File::options().write(true).open(tmp)?;
        file.set_modified(modified)?;
        file.sync_all()?;
        std::fs::rename(tmp, target)
    })();
    if copied.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    copied
}

impl Core {
    /// Opens message `uid`'s file, placed at `offset` when it is served as it is.
    fn open_content(&self, uid: u32, offset: u64) -> StoreResult<Option<(std::fs::File, bool)>> {
        self.with_file(uid, |at| {
            let mut file = std::fs::File::open(at.path(&self.dir))?;
            // A file whose two sizes agree has no bare LF: it is served as it is.
            let (size, vsize) = sizes(filename::base(&at.name));
            let as_is = size.is_some() && size == vsize;
            if as_is {
                file.seek(SeekFrom::Start(offset))?;
            }
            Ok((file, as_is))
        })
    }

    fn set_flags(&self, uids: &[u32], change: &FlagChange) -> StoreResult<Vec<(u32, Vec<Flag>)>> {
        self.writable()?;
        let mut result = Vec::with_capacity(uids.len());
        for &uid in uids {
            // Applied to the flags the file has at the moment it is renamed: a rename
            // that finds the file gone (re-flagged or moved meanwhile) starts again from
            // where the file is now.
            let stored = self.with_file(uid, |at| {
                let keywords = Keywords::read(&self.dir)?;
                let old = filename::flag_chars(&at.name);
                let before = filename::flags(old, &keywords);
                let wanted = apply(change, &before);
                let chars =
                    Maildir::flag_chars(&self.dir, &wanted, old).map_err(io::Error::other)?;
                let keywords = Keywords::read(&self.dir)?;
                let base = filename::base(&at.name);
                if at.sub == Sub::Cur && chars == old {
                    return Ok(filename::flags(&chars, &keywords));
                }
                let renamed = Located {
                    sub: Sub::Cur,
                    name: file_name(base, Some(&chars)),
                };
                std::fs::rename(at.path(&self.dir), renamed.path(&self.dir))?;
                self.places().insert(uid, renamed);
                Ok(filename::flags(&chars, &keywords))
            })?;
            if let Some(flags) = stored {
                result.push((uid, flags));
            }
        }
        self.maildir.notify(&self.dir);
        Ok(result)
    }

    fn copy(&self, uids: &[u32], to: &str, remove: bool) -> StoreResult<Copied> {
        if remove {
            self.writable()?;
        }
        let (to_name, to_dir) = self.maildir.selectable(&mailbox_name(to)?)?;
        let keywords = Keywords::read(&self.dir).map_err(failed)?;
        let mut copies: Vec<(u32, String)> = Vec::with_capacity(uids.len());
        for &uid in uids {
            if copies.iter().any(|(u, _)| *u == uid) {
                continue;
            }
            if let Some(base) = self.copy_one(uid, &to_dir, &keywords)? {
                copies.push((uid, base));
            }
        }
        // The copies are as durable as an APPEND once COPY is answered.
        for sub in [Sub::New, Sub::Cur] {
            folder::sync_dir(&to_dir.join(sub.dir())).map_err(failed)?;
        }
        let state = folder::sync(self.maildir.root_dir(), &to_dir).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                StoreError::NoMailbox(to_name.clone())
            } else {
                failed(e)
            }
        })?;
        let by_base: HashMap<&str, u32> = state
            .messages
            .iter()
            .map(|m| (m.base.as_str(), m.uid))
            .collect();
        let placed = Copied {
            uid_validity: nonzero(state.uid_validity),
            uids: copies
                .iter()
                .filter_map(|(uid, base)| Some((*uid, *by_base.get(base.as_str())?)))
                .collect(),
        };
        self.maildir.notify(&to_dir);
        if remove {
            let moved: Vec<u32> = placed.uids.iter().map(|(uid, _)| *uid).collect();
            self.expunge(&moved)?;
        }
        Ok(placed)
    }

    fn expunge(&self, uids: &[u32]) -> StoreResult<Vec<u32>> {
        self.writable()?;
        let mut removed = Vec::with_capacity(uids.len());
        for &uid in uids {
            if removed.contains(&uid) {
                continue;
            }
            let gone = self.with_file(uid, |at| std::fs::remove_file(at.path(&self.dir)))?;
            if gone.is_some() {
                self.places().remove(&uid);
                removed.push(uid);
            }
        }
        self.maildir.notify(&self.dir);
        Ok(removed)
    }
}

impl Mailbox for MaildirView {
    type Content = MessageContent;

    async fn content(&self, uid: u32, offset: u64) -> StoreResult<Option<MessageContent>> {
        let opened = self.run(move |core| core.open_content(uid, offset)).await?;
        Ok(opened.map(|(file, as_is)| {
            MessageContent::new(tokio::fs::File::from_std(file), offset, !as_is)
        }))
    }

    async fn set_flags(
        &self,
        uids: &[u32],
        change: FlagChange,
    ) -> StoreResult<Vec<(u32, Vec<Flag>)>> {
        let uids = uids.to_vec();
        self.run(move |core| core.set_flags(&uids, &change)).await
    }

    async fn copy(&self, uids: &[u32], to: &str, remove: bool) -> StoreResult<Copied> {
        let (uids, to) = (uids.to_vec(), to.to_owned());
        self.run(move |core| core.copy(&uids, &to, remove)).await
    }

    async fn expunge(&self, uids: &[u32]) -> StoreResult<Vec<u32>> {
        let uids = uids.to_vec();
        self.run(move |core| core.expunge(&uids)).await
    }

    async fn changes(&mut self) -> StoreResult<Vec<Change>> {
        while let Ok(()) | Err(TryRecvError::Lagged(_)) = self.feed.try_recv() {
            self.woke = true;
        }
        // The scan runs here, on the connection's task, unless it would wait: for a lock
        // another process holds, or for a scan of this view still running on the
        // blocking pool. So a change this process announced is reported before the
        // connection reads its next command (a NOOP then sees it).
        if let Some(mut core) = try_lock(&self.core) {
            core.dirty |= std::mem::take(&mut self.woke);
            let (found, refused) = without_waiting(|| core.collect());
            if !refused {
                let mut changes = std::mem::take(&mut core.pending);
                changes.extend(found?);
                return Ok(changes);
            }
            core.dirty = true;
        }
        let woke = std::mem::take(&mut self.woke);
        // The scan's changes wait in `pending` until taken here: a caller that goes away
        // meanwhile leaves them to the next.
        self.run(move |core| {
            core.dirty |= woke;
            let found = core.collect()?;
            core.pending.extend(found);
            Ok(())
        })
        .await?;
        Ok(std::mem::take(&mut lock(&self.core).pending))
    }

    async fn wait_changes(&mut self) -> StoreResult<Vec<Change>> {
        loop {
            let changes = self.changes().await?;
            if !changes.is_empty() {
                return Ok(changes);
            }
            // `recv` is cancel-safe, and a wake-up it returns is recorded before this
            // future can be dropped again.
            tokio::select! {
                _ = self.feed.recv() => self.woke = true,
                () = tokio::time::sleep(RESCAN_INTERVAL) => {}
            }
        }
    }
}
