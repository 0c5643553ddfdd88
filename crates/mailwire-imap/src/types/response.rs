//! Responses (RFC 3501 §7): status responses, server data and continuation requests.

use std::num::{NonZeroU32, NonZeroU64};

use super::ValidationError;
use super::code::{Capability, Code};
use super::fetch::MessageDataItem;
use super::flag::{Flag, MailboxAttribute};
use super::mailbox::Mailbox;
use super::non_empty::NonEmpty;
use super::raw::Unparsed;
use super::status::StatusItem;
use super::string::{Atom, Delimiter, IString, NString, Tag, Text};

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
    /// A response the codec does not know, such as `* XFOO 1 2 3` or `* 3 XBAR (a b)`.
    Other(OtherData),
}

/// An untagged response the codec does not know: `[number SP] name [SP text]`, its text
/// kept as sent.
///
/// ```
/// use mailwire_imap::types::{Atom, OtherData, Unparsed};
///
/// let xbar = OtherData::new(
///     Some(3),
///     Atom::new("XBAR").unwrap(),
///     Unparsed::new(&b"(a b)"[..]).unwrap(),
/// )
/// .unwrap();
/// assert_eq!((xbar.number(), xbar.name().as_str()), (Some(3), "XBAR"));
/// // A known response is not an unknown one.
/// let exists = OtherData::new(Some(3), Atom::new("EXISTS").unwrap(), Unparsed::default());
/// assert!(exists.is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherData {
    number: Option<u32>,
    name: Atom,
    rest: Unparsed,
}

/// Untagged responses the codec decodes itself: without a number, and after one.
const KNOWN_DATA: [&str; 14] = [
    "CAPABILITY",
    "ENABLED",
    "LIST",
    "LSUB",
    "STATUS",
    "SEARCH",
    "FLAGS",
    "NAMESPACE",
    "ID",
    "OK",
    "NO",
    "BAD",
    "PREAUTH",
    "BYE",
];
const KNOWN_NUMBERED: [&str; 4] = ["EXISTS", "RECENT", "EXPUNGE", "FETCH"];

impl OtherData {
    /// An untagged response named `name`, after `number` if there is one, which must not
    /// be one the codec knows, with the text after the name.
    pub fn new(number: Option<u32>, name: Atom, rest: Unparsed) -> Result<Self, ValidationError> {
        let known: &[&str] = match number {
            None => &KNOWN_DATA,
            Some(_) => &KNOWN_NUMBERED,
        };
        if known.iter().any(|k| name.eq_ignore_case(k)) {
            return Err(ValidationError::Invalid(
                "a known response as an unknown one",
            ));
        }
        Ok(Self { number, name, rest })
    }

    /// The number before the name, as in `* 3 XBAR`.
    pub fn number(&self) -> Option<u32> {
        self.number
    }

    /// The response's name.
    pub fn name(&self) -> &Atom {
        &self.name
    }

    /// What follows the name and a space, up to the CRLF that ends the response; literals
    /// included.
    pub fn rest(&self) -> &Unparsed {
        &self.rest
    }
}
