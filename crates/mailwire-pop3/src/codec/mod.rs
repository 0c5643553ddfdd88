//! The codec: decoding and encoding, as pure functions over bytes.

pub mod decode;
pub mod encode;

pub use decode::{
    Decoded, MAX_COMMAND_LINE, MAX_RESPONSE_LINE, decode_capabilities, decode_command,
    decode_lines, decode_response, decode_scan_listings, decode_unique_id_listings,
    parse_continuation,
};
pub use encode::{
    encode_capabilities, encode_command, encode_lines, encode_response, encode_scan_listings,
    encode_unique_id_listings,
};
