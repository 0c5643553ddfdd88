//! The codec: framing, decoding and encoding, as pure functions over bytes.

pub mod decode;
pub mod encode;
pub mod framer;

pub use decode::{
    DecodeError, Decoded, decode_authenticate_data, decode_command, decode_greeting,
    decode_idle_done, decode_response,
};
pub use encode::{
    Encoded, Fragment, LiteralMode, encode_authenticate_data, encode_command, encode_done,
    encode_greeting, encode_response,
};
pub use framer::{FrameError, FrameEvent, Framer, Limits, LiteralAnnouncement};
