//! The mail store: mailboxes, the messages in them, and the changes to them.
//!
//! A [`MailStore`] opens a user's [`Mailboxes`] after login; SELECT or EXAMINE opens one
//! [`Mailbox`] from them, a live view that POP3 and IMAP read, change and watch. Mailbox
//! names are IMAP's wire form (RFC 3501 §5.1.3 modified UTF-7), with `/` as the hierarchy
//! delimiter and `INBOX` in upper case whatever case the client used; a store that keeps
//! names in another form converts them itself.
//!
//! Nothing here assumes local files: every method is async and may talk to a database or
//! an object store, and two [`Mailbox`] views of one mailbox may live in two processes on
//! two machines. What ties them together is the store's own change feed, which each view
//! reports through [`Mailbox::changes`] and [`Mailbox::wait_changes`].

use std::future::Future;
use std::num::NonZeroU32;

use mailwire_imap::types::{DateTime, Flag, MailboxAttribute};
use tokio::io::AsyncRead;

/// Why a store could not do what was asked. Each variant becomes the protocol's answer
/// (for IMAP, the response code RFC 3501 and RFC 5530 give it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The mailbox does not exist (`[NONEXISTENT]`; `[TRYCREATE]` for APPEND, COPY and
    /// MOVE).
    #[error("no mailbox {0}")]
    NoMailbox(String),
    /// The mailbox exists already (`[ALREADYEXISTS]`).
    #[error("mailbox {0} exists already")]
    Exists(String),
    /// The name is not one the store accepts (too long, a bad character, a reserved name).
    #[error("bad mailbox name {0}")]
    BadName(String),
    /// The user may not do this (`[NOPERM]`).
    #[error("not permitted")]
    NoPermission,
    /// A message or mailbox is over a limit of the store (`[LIMIT]`, `[OVERQUOTA]`).
    #[error("over a limit: {0}")]
    Limit(String),
    /// The mailbox was deleted or its UIDVALIDITY changed while selected: the session ends
    /// with `* BYE`, as the client's view can no longer be kept right.
    #[error("the selected mailbox is gone")]
    Gone,
    /// Anything else: a failed read or write, a lost database connection
    /// (`[UNAVAILABLE]` or `[SERVERBUG]`; logged with its source).
    #[error("store failure: {0}")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// A failure from any error type.
    pub fn failed(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError::Failed(error.into())
    }
}

/// A result from the store.
pub type StoreResult<T> = Result<T, StoreError>;

/// The messages of every user: what the servers open after a login.
///
/// Implementations are shared by all connections (`Arc<Self>`), so they take `&self` and
/// do their own locking.
pub trait MailStore: Send + Sync + 'static {
    /// One user's mailboxes.
    type Mailboxes: Mailboxes;

    /// Opens the mailboxes of `user`, the identity a login acts as.
    fn open(&self, user: &str) -> impl Future<Output = StoreResult<Self::Mailboxes>> + Send;
}

/// One of a user's mailboxes as LIST sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxEntry {
    /// The name.
    pub name: String,
    /// Its attributes: `\Noselect`, `\HasChildren` / `\HasNoChildren` (RFC 3348) and
    /// special use such as `\Sent` or `\Trash` (RFC 6154). `\Subscribed` is not listed
    /// here; see [`subscribed`](Self::subscribed).
    pub attributes: Vec<MailboxAttribute>,
    /// Whether the user subscribed to it.
    pub subscribed: bool,
}

/// What STATUS reports of a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxStatus {
    /// Messages in the mailbox.
    pub messages: u32,
    /// Messages with `\Recent` set.
    pub recent: u32,
    /// Messages without `\Seen`.
    pub unseen: u32,
    /// The UID the next message will get.
    pub uid_next: NonZeroU32,
    /// The mailbox's UIDVALIDITY.
    pub uid_validity: NonZeroU32,
}

/// One message of a selected mailbox: everything the servers answer without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageMeta {
    /// The UID.
    pub uid: u32,
    /// The flags and keywords as stored.
    pub flags: Vec<Flag>,
    /// Whether this view is the first to see the message (`\Recent`, RFC 3501 §2.3.2).
    pub recent: bool,
    /// INTERNALDATE.
    pub internal_date: DateTime,
    /// The size in octets, with CRLF line ends as the message is sent (RFC822.SIZE, POP3
    /// LIST).
    pub size: u32,
}

/// A mailbox as it is when selected, by ascending UID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// UIDVALIDITY.
    pub uid_validity: NonZeroU32,
    /// UIDNEXT.
    pub uid_next: NonZeroU32,
    /// Keywords defined in the mailbox, for the FLAGS response.
    pub keywords: Vec<Flag>,
    /// Whether clients may create keywords (`\*` in PERMANENTFLAGS).
    pub keywords_allowed: bool,
    /// The messages, by ascending UID.
    pub messages: Vec<MessageMeta>,
}

/// A change to stored flags (`+FLAGS`, `-FLAGS`, `FLAGS`), applied by the store to the
/// flags as they are stored now — never a whole set computed from a view that may be
/// stale. [`FlagChange::apply`] computes the result for a store that keeps flag lists.
pub use mailwire_imap::server::FlagChange;

/// What APPEND stores besides the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The flags to set (`\Recent` is the store's business).
    pub flags: Vec<Flag>,
    /// INTERNALDATE; `None` for the time of storing.
    pub internal_date: Option<DateTime>,
    /// The size of the content in octets.
    pub size: u32,
}

/// Where APPEND put a message, for UIDPLUS's APPENDUID (RFC 4315).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The destination's UIDVALIDITY.
    pub uid_validity: NonZeroU32,
    /// Each message's UID in the destination, in the order given.
    pub uids: Vec<u32>,
}

/// Where COPY and MOVE put messages, for UIDPLUS's COPYUID (RFC 4315).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// The destination's UIDVALIDITY.
    pub uid_validity: NonZeroU32,
    /// Each message copied: its UID here and its copy's UID in the destination, in the
    /// order given. Messages that no longer existed are left out.
    pub uids: Vec<(u32, u32)>,
}

/// A change made to a mailbox by someone (another connection, a delivery, another
/// process), as a [`Mailbox`] view learns of it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// A new message, with a UID above every UID the view has reported.
    Appended(MessageMeta),
    /// A message is gone.
    Expunged {
        /// Its UID.
        uid: u32,
    },
    /// A message's flags changed; these are its flags now.
    Flags {
        /// Its UID.
        uid: u32,
        /// The flags as stored.
        flags: Vec<Flag>,
    },
}

/// One user's mailboxes.
pub trait Mailboxes: Send + Sync + 'static {
    /// A selected mailbox.
    type Mailbox: Mailbox;

    /// Every mailbox of the user (the servers match LIST and LSUB patterns themselves).
    fn list(&self) -> impl Future<Output = StoreResult<Vec<MailboxEntry>>> + Send;

    /// Creates a mailbox. Parents that do not exist are created too (RFC 3501 §6.3.3).
    fn create(&self, name: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Deletes a mailbox and its messages. `INBOX` cannot be deleted.
    fn delete(&self, name: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Renames a mailbox and its children. Renaming `INBOX` moves its messages into a new
    /// mailbox and leaves `INBOX` empty (RFC 3501 §6.3.5).
    fn rename(&self, from: &str, to: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Subscribes to a mailbox (`true`) or unsubscribes (`false`). A name need not exist
    /// to be subscribed.
    fn subscribe(&self, name: &str, on: bool) -> impl Future<Output = StoreResult<()>> + Send;

    /// What STATUS reports of a mailbox.
    fn status(&self, name: &str) -> impl Future<Output = StoreResult<MailboxStatus>> + Send;

    /// Stores a message in a mailbox, reading its `message.size` octets of content from
    /// `content`. The message is durable when this returns `Ok`.
    fn append(
        &self,
        name: &str,
        message: NewMessage,
        content: &mut (dyn AsyncRead + Send + Unpin),
    ) -> impl Future<Output = StoreResult<Placed>> + Send;

    /// Opens a mailbox to read and change it, or with `read_only` (EXAMINE) only to read
    /// it: a read-only view takes no `\Recent` and changes nothing. The POP3 server opens
    /// INBOX read-write, as its session may delete messages.
    fn select(
        &self,
        name: &str,
        read_only: bool,
    ) -> impl Future<Output = StoreResult<(Self::Mailbox, Snapshot)>> + Send;
}

/// A selected mailbox: messages by UID, and the changes others make to it.
///
/// The view reports each change once, through [`changes`](Self::changes) or
/// [`wait_changes`](Self::wait_changes), including those this view made itself (the
/// servers ignore what they already know).
pub trait Mailbox: Send + Sync + 'static {
    /// A message's content, streamed.
    type Content: AsyncRead + Send + Unpin + 'static;

    /// The content of message `uid` from octet `offset` on (CRLF line ends, as
    /// [`MessageMeta::size`] counts them). `None` if the message is gone.
    fn content(
        &self,
        uid: u32,
        offset: u64,
    ) -> impl Future<Output = StoreResult<Option<Self::Content>>> + Send;

    /// Applies `change` to each message of `uids` that still exists, and returns their
    /// flags as stored afterwards.
    fn set_flags(
        &self,
        uids: &[u32],
        change: FlagChange,
    ) -> impl Future<Output = StoreResult<Vec<(u32, Vec<Flag>)>>> + Send;

    /// Copies the messages of `uids` that still exist to mailbox `to`, and with `remove`
    /// expunges them here (MOVE, RFC 6851): each message is in one of the two mailboxes
    /// whatever happens.
    fn copy(
        &self,
        uids: &[u32],
        to: &str,
        remove: bool,
    ) -> impl Future<Output = StoreResult<Copied>> + Send;

    /// Removes the messages of `uids`, and returns those it removed.
    fn expunge(&self, uids: &[u32]) -> impl Future<Output = StoreResult<Vec<u32>>> + Send;

    /// Changes made since the last call (or since [`Mailboxes::select`]), without
    /// waiting.
    fn changes(&mut self) -> impl Future<Output = StoreResult<Vec<Change>>> + Send;

    /// Waits until there are changes, and returns them. Cancel-safe: when the future is
    /// dropped before it completes, no change is lost.
    fn wait_changes(&mut self) -> impl Future<Output = StoreResult<Vec<Change>>> + Send;
}
