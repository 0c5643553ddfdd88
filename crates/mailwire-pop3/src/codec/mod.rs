//! The codec: decoding and encoding, as pure functions over bytes.

pub mod decode;

pub use crate::types::capability::{decode_capabilities, encode_capabilities};
pub use crate::types::listing::{
    decode_lines, decode_scan_listings, decode_unique_id_listings, encode_lines,
    encode_scan_listings, encode_unique_id_listings,
};
pub use crate::types::response::parse_continuation;
pub use decode::{Decoded, MAX_COMMAND_LINE, MAX_RESPONSE_LINE};
