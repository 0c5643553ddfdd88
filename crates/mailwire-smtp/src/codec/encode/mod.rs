//! Encoders: commands (a client's output) and replies (a server's output).

pub(crate) mod command;
mod param;
mod path;
pub(crate) mod reply;

pub use command::encode_command;
pub use reply::encode_reply;
