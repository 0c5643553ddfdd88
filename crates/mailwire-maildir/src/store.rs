//! Many users' Maildirs: the [`MailStore`] the servers open after a login.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use mailwire_server::{MailStore, StoreError, StoreResult};

use crate::Maildir;

/// Where a user's Maildir is, or `None` for a user who has none.
type Locate = dyn Fn(&str) -> Option<PathBuf> + Send + Sync;

/// The Maildirs of every user, one directory each, created at a user's first login.
///
/// Every login of one user in this process shares one [`Maildir`], so that a change
/// made by one connection wakes the others' views at once.
pub struct MaildirStore {
    locate: Box<Locate>,
    open: Mutex<HashMap<String, Maildir>>,
}

impl std::fmt::Debug for MaildirStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("MaildirStore")
            .field("open", &open.len())
            .finish_non_exhaustive()
    }
}

impl MaildirStore {
    /// Each user's Maildir is `root/<user>/Maildir`. User names that could leave
    /// `root` (empty, `.`, `..`, or with `/` or NUL) have none.
    pub fn new(root: PathBuf) -> Self {
        Self::with_locator(move |user| {
            let safe =
                !user.is_empty() && user != "." && user != ".." && !user.contains(['/', '\0']);
            safe.then(|| root.join(user).join("Maildir"))
        })
    }

    /// Each user's Maildir is where `locate` says; a user it gives `None` for is
    /// refused ([`StoreError::NoPermission`]).
    pub fn with_locator(locate: impl Fn(&str) -> Option<PathBuf> + Send + Sync + 'static) -> Self {
        Self {
            locate: Box::new(locate),
            open: Mutex::default(),
        }
    }
}

impl MailStore for MaildirStore {
    type Mailboxes = Maildir;

    async fn open(&self, user: &str) -> StoreResult<Maildir> {
        if let Some(maildir) = self
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user)
        {
            return Ok(maildir.clone());
        }
        let path = (self.locate)(user).ok_or(StoreError::NoPermission)?;
        let maildir = Maildir::open(path)?;
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(open.entry(user.to_owned()).or_insert(maildir).clone())
    }
}
