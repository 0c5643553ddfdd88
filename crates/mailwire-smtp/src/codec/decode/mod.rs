//! Decoders: commands (a server's input) and replies (a client's input).

pub(crate) mod command;
pub(crate) mod reply;

pub use command::decode_command;
pub use reply::decode_reply;
