//! Responses (RFC 3501 §7): status responses, server data and continuation requests.

use std::num::{NonZeroU32, NonZeroU64};

use super::code::{Capability, Code};
use super::fetch::MessageDataItem;
use super::flag::{Flag, MailboxAttribute};
use super::mailbox::Mailbox;
use super::non_empty::NonEmpty;
use super::status::StatusItem;
use super::string::{Delimiter, IString, NString, Tag, Text};

/// Anything a server sends.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response {
    /// A tagged completion: `tag OK/NO/BAD [code] text`.
    Tagged(Tagged),
    /// An untagged status: `* OK/NO/BAD/PREAUTH/BYE [code] text`.
    Status(Status),
    /// Untagged server data: `* …`.
    Data(Data),
    /// A continuation request: `+ …`.
    Continue(Continue),
}

/// The outcome of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Completion {
    /// `OK`
    Ok,
    /// `NO`
    No,
    /// `BAD`
    Bad,
}

/// The condition an untagged status reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Condition {
    /// `OK`
    Ok,
    /// `NO`
    No,
    /// `BAD`
    Bad,
    /// `PREAUTH` (greeting only)
    PreAuth,
    /// `BYE`
    Bye,
}

/// `response-tagged`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged {
    /// The command's tag.
    pub tag: Tag,
    /// OK, NO or BAD.
    pub completion: Completion,
    /// The bracketed code.
    pub code: Option<Code>,
    /// The human-readable text.
    pub text: Text,
}

/// An untagged status response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// OK, NO, BAD, PREAUTH or BYE.
    pub condition: Condition,
    /// The bracketed code.
    pub code: Option<Code>,
    /// The human-readable text.
    pub text: Text,
}

/// `greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF`: an untagged OK, PREAUTH or BYE.
pub type Greeting = Status;

/// `continue-req`: `+ [code] text`. SASL challenges are base64 text; the SASL layer reads
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continue {
    /// The bracketed code.
    pub code: Option<Code>,
    /// The text (empty when the server sent a bare `+`).
    pub text: Text,
}

/// One namespace (RFC 2342): a prefix, its delimiter, and extension data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceDescription {
    /// The prefix, such as `INBOX.`.
    pub prefix: IString,
    /// The hierarchy delimiter, if any.
    pub delimiter: Option<Delimiter>,
    /// `Namespace-Response-Extension`s: a name and its values.
    pub extensions: Vec<(IString, NonEmpty<IString>)>,
}

/// Untagged server data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Data {
    /// `CAPABILITY …`
    Capability(Vec<Capability>),
    /// `LIST (attributes) delimiter mailbox`
    List {
        /// The mailbox's attributes.
        attributes: Vec<MailboxAttribute>,
        /// The hierarchy delimiter, `None` for NIL.
        delimiter: Option<Delimiter>,
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// `LSUB (attributes) delimiter mailbox`
    Lsub {
        /// The mailbox's attributes.
        attributes: Vec<MailboxAttribute>,
        /// The hierarchy delimiter, `None` for NIL.
        delimiter: Option<Delimiter>,
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// `STATUS mailbox (items)`
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// The values (163.com sends none).
        items: Vec<StatusItem>,
    },
    /// `SEARCH n … [(MODSEQ n)]`
    Search {
        /// Matching sequence numbers or UIDs.
        ids: Vec<NonZeroU32>,
        /// The highest mod-sequence of the matches (RFC 7162).
        modseq: Option<NonZeroU64>,
    },
    /// `FLAGS (…)`
    Flags(Vec<Flag>),
    /// `n EXISTS`
    Exists(u32),
    /// `n RECENT`
    Recent(u32),
    /// `n EXPUNGE`
    Expunge(NonZeroU32),
    /// `n FETCH (…)`
    Fetch {
        /// The message sequence number.
        seq: NonZeroU32,
        /// The items.
        items: NonEmpty<MessageDataItem>,
    },
    /// `NAMESPACE personal other shared` (RFC 2342); NIL is an empty list.
    Namespace {
        /// Personal namespaces.
        personal: Vec<NamespaceDescription>,
        /// Other users' namespaces.
        other: Vec<NamespaceDescription>,
        /// Shared namespaces.
        shared: Vec<NamespaceDescription>,
    },
    /// `ID (field value …)` or `ID NIL` (RFC 2971)
    Id {
        /// The server's identification, `None` for NIL.
        parameters: Option<Vec<(IString, NString)>>,
    },
    /// `ENABLED capability …` (RFC 5161)
    Enabled {
        /// What was enabled, possibly nothing.
        capabilities: Vec<Capability>,
    },
}
