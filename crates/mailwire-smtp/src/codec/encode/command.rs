//! Encoding commands.

use bytes::BufMut;

use crate::types::command::Command;
use crate::types::grammar::put_u64;

/// Writes the command line, CRLF included.
pub fn encode_command(command: &Command, out: &mut impl BufMut) {
    out.put_slice(command.verb().as_str().as_bytes());
    match command {
        Command::Helo { host } | Command::Ehlo { host } | Command::Lhlo { host } => {
            out.put_u8(b' ');
            out.put_slice(host.to_string().as_bytes());
        }
        Command::Mail { from, params } => {
            out.put_slice(b" FROM:");
            from.encode(out);
            params.encode(out);
        }
        Command::Rcpt { to, params } => {
            out.put_slice(b" TO:");
            to.encode(out);
            params.encode(out);
        }
        Command::Bdat { size, last } => {
            out.put_u8(b' ');
            put_u64(out, *size);
            if *last {
                out.put_slice(b" LAST");
            }
        }
        Command::Vrfy { query: arg } | Command::Expn { query: arg } => {
            out.put_u8(b' ');
            out.put_slice(arg.0.as_bytes());
        }
        Command::Help { topic: arg } | Command::Noop { text: arg } => {
            if let Some(arg) = arg {
                out.put_u8(b' ');
                out.put_slice(arg.0.as_bytes());
            }
        }
        Command::Auth {
            mechanism,
            initial_response,
        } => {
            out.put_u8(b' ');
            out.put_slice(mechanism.as_str().as_bytes());
            if let Some(r) = initial_response {
                out.put_u8(b' ');
                out.put_slice(r.expose().as_bytes());
            }
        }
        Command::Data | Command::Rset | Command::Quit | Command::StartTls => {}
    }
    out.put_slice(b"\r\n");
}

impl Command {
    /// Writes the command line, CRLF included (as [`encode_command`]).
    pub fn encode(&self, out: &mut impl BufMut) {
        encode_command(self, out);
    }
}
