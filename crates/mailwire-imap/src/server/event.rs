//! What the server session asks of the application, and the data the application answers
//! with.

use std::num::NonZeroU32;

use mailwire_sasl::{AuthError, AuthQuestion, Identity, Method};

use crate::types::{
    AppendMessage, DateTime, Delimiter, Flag, ListMailbox, Mailbox, MailboxAttribute,
    StatusAttribute, StoreKind,
};

/// What the application must know or decide.
///
/// Each event that asks a question names the methods that answer it. Until it is
/// answered the session processes no further command (pipelined input waits).
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// LOGIN or AUTHENTICATE needs the application's decision: LOGIN asks
    /// [`AuthQuestion::Password`] with [`Method::Login`]; AUTHENTICATE asks what its
    /// mechanism's exchange needs (a password, a bearer token, a CRAM-MD5 secret, SCRAM
    /// keys). Answer with [`answer_auth`](super::Session::answer_auth).
    Auth {
        /// The question.
        question: AuthQuestion,
    },
    /// The client authenticated. No answer needed; the session is in the authenticated
    /// state and [`user`](super::Session::user) is the identity it acts as.
    Authenticated {
        /// How the client proved who it is.
        method: Method,
        /// Who it is, and whom it acts as.
        identity: Identity,
    },
    /// A LOGIN or AUTHENTICATE attempt failed: wrong credentials, the client cancelled,
    /// or its exchange was malformed. No answer needed; the client got `NO` or `BAD`.
    AuthFailed {
        /// How the client tried.
        method: Method,
        /// The user it named, if it got that far.
        user: Option<String>,
        /// Why it failed.
        error: AuthError,
        /// Failed attempts on this connection so far, this one included.
        failures: u32,
    },
    /// SELECT or EXAMINE: open a mailbox. Answer with
    /// [`open_mailbox`](super::Session::open_mailbox) or
    /// [`reject`](super::Session::reject).
    Select {
        /// The mailbox.
        mailbox: Mailbox,
        /// EXAMINE: opened read-only.
        read_only: bool,
    },
    /// The session needs the content of stored messages to answer FETCH (`ENVELOPE`,
    /// `BODY`, `BODYSTRUCTURE`, `RFC822.HEADER`, `RFC822.TEXT`, a body section) or SEARCH
    /// (keys that read headers or bodies); flags, INTERNALDATE and sizes come from the
    /// view ([`MessageInfo`]). Answer with
    /// [`provide_messages`](super::Session::provide_messages); leave out messages
    /// that no longer exist (the session then reports them expunged when it may).
    Messages {
        /// The UIDs, ascending.
        uids: Vec<u32>,
    },
    /// FETCH of a whole message (`BODY[]`, `BODY.PEEK[]`, `RFC822`, `BINARY[]`, each with
    /// or without a partial `<offset.count>`): the session has written the item's name
    /// and the literal's announcement, `{len}`, from the message's
    /// [`size`](MessageInfo::size), and now needs `len` octets of the message's content
    /// from octet `offset` on. Send them with [`send_content`](super::Session::send_content),
    /// in as many chunks as suits (each is queued for transmission at once, so a driver can
    /// write it out before reading the next; bytes past `len` are dropped), then call
    /// [`end_content`](super::Session::end_content); the session goes on with the FETCH.
    ///
    /// If the content cannot be had (the message is gone, the store fails, it is shorter
    /// than its size said), call [`fail_content`](super::Session::fail_content): a literal
    /// once announced cannot be taken back, so the session closes the connection
    /// ([`Transport::Close`](mailwire_core::Transport::Close)) and writes nothing more.
    /// `end_content` before `len` octets were sent does the same. A literal of length 0
    /// (a partial beyond the end) is written without asking.
    Content {
        /// The message.
        uid: u32,
        /// The first octet wanted, from 0.
        offset: u64,
        /// How many octets, at least 1.
        len: u64,
    },
    /// STORE, or a FETCH that sets `\Seen` (a body section without `.PEEK`, `RFC822`,
    /// `RFC822.TEXT`): apply `change` to the flags *as stored* of each message of `uids`
    /// that still exists. Answer with [`flags_stored`](super::Session::flags_stored),
    /// giving each message's flags as stored afterwards, which the session reports (they
    /// may hold what another connection set meanwhile; a message left out is gone, and
    /// reported expunged when the session may), or with
    /// [`reject`](super::Session::reject); a FETCH whose `\Seen` could not be stored is
    /// answered without setting it.
    StoreFlags {
        /// The UIDs, ascending.
        uids: Vec<u32>,
        /// What to do to their flags.
        change: FlagChange,
    },
    /// EXPUNGE, UID EXPUNGE or CLOSE: remove these messages (all marked `\Deleted`).
    /// Answer with [`accept`](super::Session::accept) or
    /// [`reject`](super::Session::reject).
    Expunge {
        /// The UIDs.
        uids: Vec<u32>,
    },
    /// COPY or MOVE. Answer with [`accept`](super::Session::accept),
    /// [`accept_copy`](super::Session::accept_copy) (for UIDPLUS's COPYUID) or
    /// [`reject`](super::Session::reject). After an accepted MOVE the session
    /// reports the moved messages expunged.
    Copy {
        /// The source UIDs, ascending.
        uids: Vec<u32>,
        /// The destination.
        destination: Mailbox,
        /// MOVE rather than COPY.
        remove: bool,
    },
    /// APPEND: store these messages. Answer with [`accept`](super::Session::accept),
    /// [`accept_append`](super::Session::accept_append) or
    /// [`reject`](super::Session::reject). When the mailbox is the selected one, also
    /// [`notify`](super::Session::notify) the new messages.
    Append {
        /// The mailbox.
        mailbox: Mailbox,
        /// The messages.
        messages: Vec<AppendMessage>,
    },
    /// LIST or LSUB. Answer with [`list`](super::Session::list) or
    /// [`reject`](super::Session::reject). `pattern.under(&reference)` gives the
    /// pattern to match names with [`ListMailbox::matches`]; an empty pattern asks for the
    /// hierarchy delimiter and the reference's root instead.
    List {
        /// The reference name.
        reference: Mailbox,
        /// The pattern.
        pattern: ListMailbox,
        /// LSUB: subscribed mailboxes only.
        subscribed: bool,
    },
    /// STATUS. Answer with [`status`](super::Session::status) or
    /// [`reject`](super::Session::reject).
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// What the client asks for.
        attributes: Vec<StatusAttribute>,
    },
    /// CREATE, DELETE, RENAME, SUBSCRIBE or UNSUBSCRIBE. Answer with
    /// [`accept`](super::Session::accept) or [`reject`](super::Session::reject).
    Manage(MailboxChange),
    /// NOOP or CHECK in the selected state, when [`Config::poll`](super::Config::poll)
    /// is set: tell the session what changed in the mailbox meanwhile
    /// ([`notify`](super::Session::notify)), then answer with
    /// [`accept`](super::Session::accept); the session reports the changes before its
    /// tagged OK.
    Poll,
}

/// A change to stored flags, applied to the flags as they are stored when it is applied
/// (STORE's `+FLAGS`, `-FLAGS` and `FLAGS`), never a whole set computed from a view that
/// may be out of date.
///
/// ```
/// use mailwire_imap::server::FlagChange;
/// use mailwire_imap::types::Flag;
///
/// let stored = [Flag::Answered, Flag::Seen];
/// assert_eq!(
///     FlagChange::Add(vec![Flag::Seen, Flag::Flagged]).apply(&stored),
///     [Flag::Answered, Flag::Seen, Flag::Flagged]
/// );
/// assert_eq!(FlagChange::Remove(vec![Flag::Seen]).apply(&stored), [Flag::Answered]);
/// assert_eq!(FlagChange::Replace(vec![Flag::Draft]).apply(&stored), [Flag::Draft]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagChange {
    /// Add these flags (`+FLAGS`).
    Add(Vec<Flag>),
    /// Remove these flags (`-FLAGS`).
    Remove(Vec<Flag>),
    /// Replace the flags with these (`FLAGS`).
    Replace(Vec<Flag>),
}

impl FlagChange {
    /// The flags after the change, given the flags before: added flags go after the
    /// existing ones, and no flag appears twice.
    pub fn apply(&self, current: &[Flag]) -> Vec<Flag> {
        let (kind, flags) = match self {
            FlagChange::Add(f) => (StoreKind::Add, f),
            FlagChange::Remove(f) => (StoreKind::Remove, f),
            FlagChange::Replace(f) => (StoreKind::Replace, f),
        };
        super::flags::store(current, kind, flags)
    }

    /// The change STORE asks for.
    pub(crate) fn new(kind: StoreKind, flags: Vec<Flag>) -> Self {
        match kind {
            StoreKind::Add => FlagChange::Add(flags),
            StoreKind::Remove => FlagChange::Remove(flags),
            StoreKind::Replace => FlagChange::Replace(flags),
        }
    }
}

/// A change to the set of mailboxes the client asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailboxChange {
    /// CREATE
    Create {
        /// The new mailbox.
        mailbox: Mailbox,
    },
    /// DELETE
    Delete {
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// RENAME
    Rename {
        /// The existing name.
        from: Mailbox,
        /// The new name.
        to: Mailbox,
    },
    /// SUBSCRIBE
    Subscribe {
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// UNSUBSCRIBE
    Unsubscribe {
        /// The mailbox.
        mailbox: Mailbox,
    },
}

/// One message of a mailbox as SELECT sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// The UID.
    pub uid: u32,
    /// The flags.
    pub flags: Vec<Flag>,
    /// Whether this session is the first to see the message (`\Recent`).
    pub recent: bool,
    /// INTERNALDATE.
    pub internal_date: DateTime,
    /// The size in octets, with CRLF line ends as the message is sent (`RFC822.SIZE`, and
    /// the length of a streamed `BODY[]` literal).
    pub size: u32,
}

/// A mailbox as it is when SELECT opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxSnapshot {
    /// UIDVALIDITY.
    pub uid_validity: NonZeroU32,
    /// UIDNEXT.
    pub uid_next: NonZeroU32,
    /// The flags defined in the mailbox (the `FLAGS` response).
    pub flags: Vec<Flag>,
    /// Whether clients may create keywords (`\*` in PERMANENTFLAGS).
    pub keywords_allowed: bool,
    /// The messages, by ascending UID.
    pub messages: Vec<MessageInfo>,
}

/// A stored message handed to the session to answer FETCH or SEARCH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// The UID.
    pub uid: u32,
    /// The message as stored; [`Bytes`](bytes::Bytes) so that a store can hand out a
    /// buffer it keeps without copying it.
    pub raw: bytes::Bytes,
}

/// One line of a LIST or LSUB answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// The mailbox's attributes.
    pub attributes: Vec<MailboxAttribute>,
    /// The hierarchy delimiter.
    pub delimiter: Option<Delimiter>,
    /// The mailbox.
    pub mailbox: Mailbox,
}

/// A change to the selected mailbox made elsewhere (another connection, a delivery).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailboxUpdate {
    /// A new message.
    Appended {
        /// Its UID, above every UID the session knows (otherwise the update is ignored).
        uid: u32,
        /// Its flags.
        flags: Vec<Flag>,
        /// Whether it is `\Recent` for this session.
        recent: bool,
        /// INTERNALDATE.
        internal_date: DateTime,
        /// The size in octets, as [`MessageInfo::size`].
        size: u32,
    },
    /// A message was expunged.
    Expunged {
        /// Its UID.
        uid: u32,
    },
    /// A message's flags changed.
    Flags {
        /// Its UID.
        uid: u32,
        /// The complete new flag list; equal to the session's (in any order), the update
        /// is ignored.
        flags: Vec<Flag>,
    },
}
