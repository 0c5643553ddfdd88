//! The IMAP vocabulary as Rust types. Constructors validate, so every value can be encoded.

mod body;
pub(crate) mod chars;
mod code;
mod command;
mod datetime;
mod envelope;
mod fetch;
mod flag;
mod mailbox;
mod non_empty;
mod raw;
mod response;
mod search;
mod section;
mod sequence;
mod status;
mod string;
pub mod utf7;
mod wildcard;

pub use body::{
    Body, BodyExtension, BodyKind, BodyStructure, Disposition, DispositionExtension,
    LanguageExtension, LocationExtension, MultiPartExtension, SinglePartExtension,
};
pub use code::{Capability, Code};
pub use command::{AppendMessage, AuthenticateData, Command, CommandBody};
pub(crate) use datetime::MONTHS;
pub use datetime::{Date, DateTime};
pub use envelope::{Address, Envelope};
pub(crate) use fetch::KNOWN_ITEMS;
pub use fetch::{FetchAttribute, FetchItems, MessageDataItem, OtherItem};
pub use flag::{Flag, FlagFetch, FlagPerm, MailboxAttribute, StoreKind};
pub use mailbox::{ListMailbox, Mailbox};
pub use non_empty::NonEmpty;
pub use raw::{RawValue, Unparsed};
pub(crate) use raw::{unparsed_error, value_len};
pub use response::{
    Completion, Condition, Continue, Data, Greeting, NamespaceDescription, OtherData, Response,
    Status, Tagged,
};
pub use search::SearchKey;
pub use section::{Partial, Section, SectionText};
pub use sequence::{SeqNumber, SeqRange, SequenceSet};
pub use status::{StatusAttribute, StatusItem};
pub use string::{Atom, Charset, Delimiter, IString, NString, Tag, Text};

/// A value that has no valid wire form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The value must not be empty.
    #[error("empty {0}")]
    Empty(&'static str),
    /// The value holds a byte its grammar forbids.
    #[error("byte {byte:#04x} not allowed in {what}")]
    Byte {
        /// What was being validated.
        what: &'static str,
        /// The offending byte.
        byte: u8,
    },
    /// The value is out of range or inconsistent.
    #[error("invalid {0}")]
    Invalid(&'static str),
}
