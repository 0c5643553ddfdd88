//! Encoders: commands (a client's output), responses and multi-line bodies (a server's).

pub(crate) mod command;
pub(crate) mod listing;
pub(crate) mod response;

pub use command::encode_command;
pub use listing::{
    encode_capabilities, encode_lines, encode_scan_listings, encode_unique_id_listings,
};
pub use response::encode_response;
