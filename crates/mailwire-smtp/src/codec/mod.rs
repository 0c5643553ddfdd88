//! The codec: decoding and encoding, as pure functions over bytes.
//!
//! Decoders take the bytes received so far and return [`Decoded`]: a complete value and how
//! many bytes it used, `Incomplete` (read more), or `Invalid` with the error and how many
//! bytes to skip. Encoders write into any [`bytes::BufMut`] and cannot fail. The types
//! carry the same operations as methods (`Command::decode`, `Reply::encode` …), which call
//! these functions.

pub mod decode;
pub mod encode;

pub use crate::Decoded;
pub use decode::{decode_command, decode_reply};
pub use encode::{encode_command, encode_reply};
