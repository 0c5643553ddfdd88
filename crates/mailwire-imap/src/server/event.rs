//! What the server session asks of the application, and the data the application answers
//! with.

use std::num::NonZeroU32;

use mailwire_core::Secret;
use thiserror::Error;

use crate::types::{
    AppendMessage, DateTime, Delimiter, Flag, ListMailbox, Mailbox, MailboxAttribute,
    StatusAttribute,
};

/// What the application must know or decide.
///
/// Each event that asks a question names the methods that answer it. Until it is
/// answered the session processes no further command (pipelined input waits).
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// LOGIN, or an AUTHENTICATE mechanism that carries a password (PLAIN, LOGIN): check
    /// the credentials. Answer with [`accept_credentials`](super::ServerSession::accept_credentials)
    /// or [`reject`](super::ServerSession::reject).
    CheckPassword {
        /// The user name.
        username: String,
        /// The identity to act as, when the client named another one (PLAIN).
        authzid: Option<String>,
        /// The password.
        password: Secret<String>,
    },
    /// XOAUTH2 or OAUTHBEARER: check the bearer token. Answered like
    /// [`Event::CheckPassword`].
    CheckToken {
        /// The user the client claims to be.
        user: Option<String>,
        /// The token.
        token: Secret<String>,
    },
    /// AUTHENTICATE CRAM-MD5: look up the user's plaintext secret. Answer with
    /// [`provide_secret`](super::ServerSession::provide_secret), or
    /// [`reject`](super::ServerSession::reject) an unknown user.
    LookupSecret {
        /// The user name the client gave.
        username: String,
    },
    /// AUTHENTICATE SCRAM-SHA-256: look up the user's stored keys. Answer with
    /// [`provide_scram_keys`](super::ServerSession::provide_scram_keys), or
    /// [`reject`](super::ServerSession::reject) an unknown user (which tells the client
    /// the user does not exist; keys derived from a server secret hide that, RFC 5802 §9).
    LookupScramKeys {
        /// The user name the client gave.
        username: String,
        /// The identity to act as, when the client named another one.
        authzid: Option<String>,
    },
    /// The client logged in as `user`. No answer needed.
    LoggedIn {
        /// The authenticated user (the authorization identity if one was given).
        user: String,
    },
    /// SELECT or EXAMINE: open a mailbox. Answer with
    /// [`open_mailbox`](super::ServerSession::open_mailbox) or
    /// [`reject`](super::ServerSession::reject).
    Select {
        /// The mailbox.
        mailbox: Mailbox,
        /// EXAMINE: opened read-only.
        read_only: bool,
    },
    /// The session needs stored messages to answer FETCH or SEARCH. Answer with
    /// [`provide_messages`](super::ServerSession::provide_messages); leave out messages
    /// that no longer exist.
    Messages {
        /// The UIDs, ascending.
        uids: Vec<u32>,
    },
    /// STORE, or a FETCH of a body section that sets `\Seen`: persist these flags. Answer
    /// with [`accept`](super::ServerSession::accept) or
    /// [`reject`](super::ServerSession::reject).
    SetFlags {
        /// Each message's complete new flag list.
        updates: Vec<(u32, Vec<Flag>)>,
    },
    /// EXPUNGE, UID EXPUNGE or CLOSE: remove these messages (all marked `\Deleted`).
    /// Answer with [`accept`](super::ServerSession::accept) or
    /// [`reject`](super::ServerSession::reject).
    Expunge {
        /// The UIDs.
        uids: Vec<u32>,
    },
    /// COPY or MOVE. Answer with [`accept`](super::ServerSession::accept),
    /// [`accept_copy`](super::ServerSession::accept_copy) (for UIDPLUS's COPYUID) or
    /// [`reject`](super::ServerSession::reject). After an accepted MOVE the session
    /// reports the moved messages expunged.
    Copy {
        /// The source UIDs, ascending.
        uids: Vec<u32>,
        /// The destination.
        destination: Mailbox,
        /// MOVE rather than COPY.
        remove: bool,
    },
    /// APPEND: store these messages. Answer with [`accept`](super::ServerSession::accept),
    /// [`accept_append`](super::ServerSession::accept_append) or
    /// [`reject`](super::ServerSession::reject). When the mailbox is the selected one, also
    /// [`notify`](super::ServerSession::notify) the new messages.
    Append {
        /// The mailbox.
        mailbox: Mailbox,
        /// The messages.
        messages: Vec<AppendMessage>,
    },
    /// LIST or LSUB. Answer with [`list`](super::ServerSession::list) or
    /// [`reject`](super::ServerSession::reject). `pattern.under(&reference)` gives the
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
    /// STATUS. Answer with [`status`](super::ServerSession::status) or
    /// [`reject`](super::ServerSession::reject).
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// What the client asks for.
        attributes: Vec<StatusAttribute>,
    },
    /// CREATE, DELETE, RENAME, SUBSCRIBE or UNSUBSCRIBE. Answer with
    /// [`accept`](super::ServerSession::accept) or [`reject`](super::ServerSession::reject).
    Manage(MailboxChange),
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
    /// INTERNALDATE.
    pub internal_date: DateTime,
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
        /// Its UID, above every UID the session knows.
        uid: u32,
        /// Its flags.
        flags: Vec<Flag>,
        /// Whether it is `\Recent` for this session.
        recent: bool,
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
        /// The complete new flag list.
        flags: Vec<Flag>,
    },
}

/// The application called an answer method that does not fit the pending question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("no question of this kind is pending")]
pub struct NotPending;
