//! POP3 without I/O: a codec for commands and responses.
//!
//! RFC 1939 with the extensions that matter in practice: `CAPA` and response codes
//! (RFC 2449), `STLS` (RFC 2595), SASL `AUTH` (RFC 5034), `UTF8` (RFC 6856), the `[SYS]` and
//! `[AUTH]` codes (RFC 3206), and APOP.
//!
//! Decoders take the front of a buffer and say whether it holds a complete message, needs
//! more input, or is invalid (and how many bytes to skip); they never panic and never
//! reserve memory for a number the peer announced. Encoders write validated values, so
//! they cannot fail.
//!
//! ```
//! use mailwire_pop3::{Command, Decoded, MessageNumber, Response, ResponseCode, Status};
//!
//! // Decode a command from the front of a buffer.
//! let Decoded::Complete { value, consumed } = Command::decode(b"TOP 1 10\r\nQUIT\r\n") else {
//!     panic!("a whole line is there");
//! };
//! assert_eq!(value, Command::Top { message: MessageNumber::new(1)?, lines: 10 });
//! assert_eq!(consumed, 10);
//! assert_eq!(Command::decode(b"QUI"), Decoded::Incomplete);
//!
//! // Encode a response with a code.
//! let busy = Response::with_code(Status::Err, Some(ResponseCode::InUse), "maildrop locked")?;
//! let mut wire = Vec::new();
//! busy.encode(&mut wire);
//! assert_eq!(wire, b"-ERR [IN-USE] maildrop locked\r\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod apop;
mod argument;
mod capability;
pub mod client;
mod command;
mod core_shim;
mod decode;
mod greeting;
mod listing;
mod response;
pub mod server;

pub use apop::{ApopDigest, ApopDigestError, MAX_TIMESTAMP_LEN, Timestamp, TimestampError};
pub use argument::{
    ArgumentError, InitialResponse, MAX_INITIAL_RESPONSE_LEN, MAX_MECHANISM_LEN, MAX_PASSWORD_LEN,
    MAX_USER_NAME_LEN, Mechanism, MessageNumber, Password, UserName,
};
pub use capability::{
    Capability, CapabilityError, Expire, Implementation, OtherCapability, decode_capabilities,
    encode_capabilities,
};
pub use command::{Command, CommandError};
pub use decode::{Decoded, MAX_COMMAND_LINE, MAX_RESPONSE_LINE};
pub use greeting::Greeting;
pub use listing::{
    ListingError, MAX_UNIQUE_ID_LEN, ScanListing, UniqueId, UniqueIdError, UniqueIdListing,
    decode_lines, decode_scan_listings, decode_unique_id_listings, encode_lines,
    encode_scan_listings, encode_unique_id_listings,
};
pub use response::{
    ExtensionCode, Response, ResponseCode, ResponseError, Status, TextError, parse_continuation,
};
