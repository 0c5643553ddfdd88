//! Many users' Maildirs: the [`MailStore`] the servers open after a login, and the
//! [`Delivery`](mailwire_server::Delivery) that puts mail in their INBOX.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use mailwire_server::{MailStore, StoreError, StoreResult};

use crate::maildir::DEFAULT_MAX_MESSAGE_SIZE;
use crate::{Maildir, filename};

/// Where a user's Maildir is, or `None` for a user who has none.
type Locate = dyn Fn(&str) -> Option<PathBuf> + Send + Sync;

/// The Maildirs of every user, one directory each, created at a user's first login.
///
/// Every login of one user in this process shares one [`Maildir`], so that a change
/// made by one connection wakes the others' views at once. Clones share the Maildirs.
///
/// As a [`Delivery`](mailwire_server::Delivery), it takes mail for a recipient whose
/// whole address, or else whose local part, names a user with a Maildir that exists
/// (`<Postmaster>` names `postmaster`), and delivers it to that INBOX.
#[derive(Clone)]
pub struct MaildirStore {
    /// The largest message delivery and APPEND take, in octets; larger ones are refused
    /// (`552 5.3.4` for SMTP, [`StoreError::Limit`] for APPEND). Each clone has its own
    /// copy; it applies to Maildirs opened after it is set.
    pub max_message_size: u64,
    inner: Arc<Inner>,
}

struct Inner {
    locate: Box<Locate>,
    host: String,
    open: Mutex<HashMap<String, Maildir>>,
}

impl std::fmt::Debug for MaildirStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open = self
            .inner
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("MaildirStore")
            .field("max_message_size", &self.max_message_size)
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
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            inner: Arc::new(Inner {
                locate: Box::new(locate),
                host: filename::host_name(),
                open: Mutex::default(),
            }),
        }
    }

    /// The Maildir of a user whose Maildir exists already.
    pub(crate) fn existing(&self, user: &str) -> Option<PathBuf> {
        let path = (self.inner.locate)(user)?;
        path.join("cur").is_dir().then_some(path)
    }

    pub(crate) fn host(&self) -> &str {
        &self.inner.host
    }

    /// Wakes the views of a user's INBOX open in this process.
    pub(crate) fn notify(&self, user: &str, root: &Path) {
        let open = self
            .inner
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(maildir) = open.get(user) {
            maildir.notify(root);
        }
    }
}

impl MailStore for MaildirStore {
    type Mailboxes = Maildir;

    async fn open(&self, user: &str) -> StoreResult<Maildir> {
        if let Some(maildir) = self
            .inner
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user)
        {
            return Ok(maildir.clone());
        }
        let path = (self.inner.locate)(user).ok_or(StoreError::NoPermission)?;
        let limit = self.max_message_size;
        let maildir = crate::blocking(move || Maildir::open_with_limit(path, limit)).await?;
        let mut open = self
            .inner
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(open.entry(user.to_owned()).or_insert(maildir).clone())
    }
}
