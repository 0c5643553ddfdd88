//! The POP3 vocabulary as Rust types. Constructors validate, so every value can be encoded.

pub(crate) mod apop;
pub(crate) mod argument;
pub(crate) mod capability;
pub(crate) mod command;
pub(crate) mod greeting;
pub(crate) mod listing;
pub(crate) mod response;

pub use apop::{
    ApopDigest, ApopDigestError, MAX_TIMESTAMP_LEN, Timestamp, TimestampError, TimestampSequence,
};
pub use argument::{
    ArgumentError, InitialResponse, MAX_INITIAL_RESPONSE_LEN, MAX_MECHANISM_LEN, MAX_PASSWORD_LEN,
    MAX_USER_NAME_LEN, Mechanism, MessageNumber, Password, UserName,
};
pub use capability::{Capability, CapabilityError, Expire, Implementation, OtherCapability};
pub use command::{Command, CommandError};
pub use greeting::Greeting;
pub use listing::{
    ListingError, MAX_UNIQUE_ID_LEN, ScanListing, UniqueId, UniqueIdError, UniqueIdListing,
};
pub use response::{ExtensionCode, Response, ResponseCode, ResponseError, Status, TextError};
