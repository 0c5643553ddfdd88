//! Commands (RFC 3501 §6 and the extensions' commands).

use std::num::NonZeroU64;

use mailwire_core::Secret;

use super::code::Capability;
use super::datetime::DateTime;
use super::fetch::FetchItems;
use super::flag::{Flag, StoreKind};
use super::mailbox::{ListMailbox, Mailbox};
use super::non_empty::NonEmpty;
use super::search::SearchKey;
use super::sequence::SequenceSet;
use super::status::StatusAttribute;
use super::string::{Atom, Charset, IString, NString, Tag};

/// A tagged command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The tag the server echoes in its completion.
    pub tag: Tag,
    /// What the command is.
    pub body: CommandBody,
}

impl Command {
    /// A command.
    pub fn new(tag: Tag, body: CommandBody) -> Self {
        Self { tag, body }
    }
}

/// One message of APPEND (several under MULTIAPPEND, RFC 3502).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage {
    /// Flags to set, possibly none.
    pub flags: Vec<Flag>,
    /// The internal date to set.
    pub date: Option<DateTime>,
    /// The message. Sent as a literal, or as `literal8` (RFC 3516) when it holds NUL.
    pub data: Vec<u8>,
}

/// What a command is, with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandBody {
    /// `CAPABILITY`
    Capability,
    /// `NOOP`
    Noop,
    /// `LOGOUT`
    Logout,
    /// `STARTTLS`
    StartTls,
    /// `AUTHENTICATE mechanism [initial-response]` (SASL-IR, RFC 4959).
    Authenticate {
        /// The SASL mechanism.
        mechanism: Atom,
        /// The initial response, decoded from base64 (`=` is an empty one).
        initial_response: Option<Secret<Vec<u8>>>,
    },
    /// `LOGIN userid password`
    Login {
        /// The user name.
        username: IString,
        /// The password.
        password: Secret<IString>,
    },
    /// `SELECT mailbox [(CONDSTORE)]`
    Select {
        /// The mailbox.
        mailbox: Mailbox,
        /// The CONDSTORE parameter (RFC 7162).
        condstore: bool,
    },
    /// `EXAMINE mailbox [(CONDSTORE)]`
    Examine {
        /// The mailbox.
        mailbox: Mailbox,
        /// The CONDSTORE parameter (RFC 7162).
        condstore: bool,
    },
    /// `CREATE mailbox`
    Create {
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// `DELETE mailbox`
    Delete {
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// `RENAME mailbox mailbox`
    Rename {
        /// The existing name.
        from: Mailbox,
        /// The new name.
        to: Mailbox,
    },
    /// `SUBSCRIBE mailbox`
    Subscribe {
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// `UNSUBSCRIBE mailbox`
    Unsubscribe {
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// `LIST reference pattern`
    List {
        /// The reference name.
        reference: Mailbox,
        /// The pattern, with `*` and `%` wildcards.
        pattern: ListMailbox,
    },
    /// `LSUB reference pattern`
    Lsub {
        /// The reference name.
        reference: Mailbox,
        /// The pattern.
        pattern: ListMailbox,
    },
    /// `STATUS mailbox (att …)`
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// The attributes.
        attributes: NonEmpty<StatusAttribute>,
    },
    /// `APPEND mailbox [flags] [date-time] literal`, repeated under MULTIAPPEND.
    Append {
        /// The mailbox.
        mailbox: Mailbox,
        /// The messages.
        messages: NonEmpty<AppendMessage>,
    },
    /// `CHECK`
    Check,
    /// `CLOSE`
    Close,
    /// `UNSELECT` (RFC 3691)
    Unselect,
    /// `EXPUNGE`
    Expunge,
    /// `UID EXPUNGE sequence-set` (RFC 4315)
    UidExpunge {
        /// The UIDs.
        uids: SequenceSet,
    },
    /// `[UID] SEARCH [CHARSET astring] key …`
    Search {
        /// The charset of the strings in the keys.
        charset: Option<Charset>,
        /// The keys; all must match.
        criteria: NonEmpty<SearchKey>,
        /// `UID SEARCH`
        uid: bool,
    },
    /// `[UID] FETCH sequence-set items [(CHANGEDSINCE n)]`
    Fetch {
        /// The messages.
        set: SequenceSet,
        /// What to fetch.
        items: FetchItems,
        /// The CHANGEDSINCE modifier (RFC 7162).
        changed_since: Option<NonZeroU64>,
        /// `UID FETCH`
        uid: bool,
    },
    /// `[UID] STORE sequence-set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] flags`
    Store {
        /// The messages.
        set: SequenceSet,
        /// Replace, add or remove.
        kind: StoreKind,
        /// `.SILENT`: no untagged FETCH in reply.
        silent: bool,
        /// The flags, possibly none.
        flags: Vec<Flag>,
        /// The UNCHANGEDSINCE modifier (RFC 7162).
        unchanged_since: Option<u64>,
        /// `UID STORE`
        uid: bool,
    },
    /// `[UID] COPY sequence-set mailbox`
    Copy {
        /// The messages.
        set: SequenceSet,
        /// The destination.
        mailbox: Mailbox,
        /// `UID COPY`
        uid: bool,
    },
    /// `[UID] MOVE sequence-set mailbox` (RFC 6851)
    Move {
        /// The messages.
        set: SequenceSet,
        /// The destination.
        mailbox: Mailbox,
        /// `UID MOVE`
        uid: bool,
    },
    /// `IDLE` (RFC 2177); the client ends it with `DONE`.
    Idle,
    /// `NAMESPACE` (RFC 2342)
    Namespace,
    /// `ENABLE capability …` (RFC 5161)
    Enable {
        /// The capabilities to enable.
        capabilities: NonEmpty<Capability>,
    },
    /// `ID (field value …)` or `ID NIL` (RFC 2971)
    Id {
        /// The client's identification, `None` for NIL.
        parameters: Option<Vec<(IString, NString)>>,
    },
}

impl CommandBody {
    /// The command's name as it goes on the wire (`UID FETCH` for a UID variant).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Capability => "CAPABILITY",
            Self::Noop => "NOOP",
            Self::Logout => "LOGOUT",
            Self::StartTls => "STARTTLS",
            Self::Authenticate { .. } => "AUTHENTICATE",
            Self::Login { .. } => "LOGIN",
            Self::Select { .. } => "SELECT",
            Self::Examine { .. } => "EXAMINE",
            Self::Create { .. } => "CREATE",
            Self::Delete { .. } => "DELETE",
            Self::Rename { .. } => "RENAME",
            Self::Subscribe { .. } => "SUBSCRIBE",
            Self::Unsubscribe { .. } => "UNSUBSCRIBE",
            Self::List { .. } => "LIST",
            Self::Lsub { .. } => "LSUB",
            Self::Status { .. } => "STATUS",
            Self::Append { .. } => "APPEND",
            Self::Check => "CHECK",
            Self::Close => "CLOSE",
            Self::Unselect => "UNSELECT",
            Self::Expunge => "EXPUNGE",
            Self::UidExpunge { .. } => "UID EXPUNGE",
            Self::Search { uid: false, .. } => "SEARCH",
            Self::Search { uid: true, .. } => "UID SEARCH",
            Self::Fetch { uid: false, .. } => "FETCH",
            Self::Fetch { uid: true, .. } => "UID FETCH",
            Self::Store { uid: false, .. } => "STORE",
            Self::Store { uid: true, .. } => "UID STORE",
            Self::Copy { uid: false, .. } => "COPY",
            Self::Copy { uid: true, .. } => "UID COPY",
            Self::Move { uid: false, .. } => "MOVE",
            Self::Move { uid: true, .. } => "UID MOVE",
            Self::Idle => "IDLE",
            Self::Namespace => "NAMESPACE",
            Self::Enable { .. } => "ENABLE",
            Self::Id { .. } => "ID",
        }
    }
}

/// A line the client sends during AUTHENTICATE, in answer to a `+`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthenticateData {
    /// A response, decoded from base64.
    Response(Secret<Vec<u8>>),
    /// `*`: the client gives up.
    Cancel,
}
