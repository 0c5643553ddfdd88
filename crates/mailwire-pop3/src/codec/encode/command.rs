//! Encoding commands.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use bytes::BufMut;

use crate::types::command::Command;

/// Writes the command, CRLF included. The validated arguments keep it within 255 bytes.
pub fn encode_command(command: &Command, out: &mut impl BufMut) {
    out.put_slice(command.keyword().as_bytes());
    let mut arg = |a: &[u8]| {
        out.put_u8(b' ');
        out.put_slice(a);
    };
    match command {
        Command::User { name } => arg(name.as_str().as_bytes()),
        Command::Pass { password } => arg(password.secret().expose().as_bytes()),
        Command::Apop { name, digest } => {
            arg(name.as_str().as_bytes());
            arg(digest.as_bytes());
        }
        Command::Auth {
            mechanism,
            initial_response,
        } => {
            arg(mechanism.as_str().as_bytes());
            match initial_response {
                Some(ir) if ir.secret().expose().is_empty() => arg(b"="),
                Some(ir) => arg(STANDARD.encode(ir.secret().expose()).as_bytes()),
                None => {}
            }
        }
        Command::List { message: Some(n) }
        | Command::Uidl { message: Some(n) }
        | Command::Retr { message: n }
        | Command::Dele { message: n } => arg(n.to_string().as_bytes()),
        Command::Top { message, lines } => {
            arg(message.to_string().as_bytes());
            arg(lines.to_string().as_bytes());
        }
        Command::Stat
        | Command::List { message: None }
        | Command::Uidl { message: None }
        | Command::Noop
        | Command::Rset
        | Command::Quit
        | Command::Capa
        | Command::Stls
        | Command::Utf8 => {}
    }
    out.put_slice(b"\r\n");
}

impl Command {
    /// Writes the command, CRLF included (as [`encode_command`]). The validated arguments
    /// keep it within 255 bytes.
    pub fn encode(&self, out: &mut impl BufMut) {
        encode_command(self, out);
    }

    /// The encoded command as a vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::argument::{InitialResponse, Mechanism, MessageNumber};

    fn n(n: u32) -> MessageNumber {
        MessageNumber::new(n).unwrap()
    }

    #[test]
    fn encodes_exact_bytes() {
        assert_eq!(
            Command::Top {
                message: n(1),
                lines: 10
            }
            .to_bytes(),
            b"TOP 1 10\r\n"
        );
        assert_eq!(Command::Uidl { message: None }.to_bytes(), b"UIDL\r\n");
        let auth = Command::Auth {
            mechanism: Mechanism::new("plain").unwrap(),
            initial_response: Some(InitialResponse::new(b"\0u\0p".to_vec()).unwrap()),
        };
        assert_eq!(auth.to_bytes(), b"AUTH PLAIN AHUAcA==\r\n");
        let empty = Command::Auth {
            mechanism: Mechanism::new("EXTERNAL").unwrap(),
            initial_response: Some(InitialResponse::new(Vec::new()).unwrap()),
        };
        assert_eq!(empty.to_bytes(), b"AUTH EXTERNAL =\r\n");
    }
}
