//! The SMTP vocabulary as Rust types. Constructors validate, so every value can be encoded.

pub(crate) mod capability;
pub(crate) mod command;
pub(crate) mod grammar;
pub(crate) mod mechanism;
pub(crate) mod param;
pub(crate) mod path;
pub(crate) mod reply;
pub(crate) mod xtext;

pub use capability::{Capability, CapabilityError, EhloResponse, OtherCapability};
pub use command::{
    Argument, Command, CommandError, CommandRef, InitialResponse, MAX_COMMAND_LINE_LEN, Verb,
};
pub use mechanism::Mechanism;
pub use param::{
    Body, MAX_ENVID_LEN, MailParameters, MailParametersRef, Notify, OriginalRecipient,
    OriginalRecipientRef, ParamError, Parameter, ParameterRef, RcptParameters, RcptParametersRef,
    Ret,
};
pub use path::{
    AddressLiteral, AddressLiteralRef, Domain, DomainRef, ForwardPath, ForwardPathRef,
    GeneralLiteral, Host, HostRef, MAX_DOMAIN_LEN, MAX_LOCAL_PART_LEN, MAX_PATH_LEN, Mailbox,
    MailboxRef, PathError, ReversePath, ReversePathRef,
};
pub use reply::{EnhancedCode, MAX_REPLY_LEN, Reply, ReplyCode, ReplyError};
pub use xtext::{XText, XTextError, XTextRef};
