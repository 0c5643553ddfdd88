//! Commands built from fuzz input through the validating constructors: encode → decode
//! gives the same command, within 255 bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_pop3::{
    ApopDigest, Command, Decoded, InitialResponse, MAX_COMMAND_LINE, Mechanism, MessageNumber,
    Password, UserName,
};

fuzz_target!(|input: (u8, u32, u32, String, Vec<u8>, bool)| {
    let (kind, number, lines, text, bytes, flag) = input;
    let message = MessageNumber::new(number).ok();
    let command = match kind % 16 {
        0 => UserName::new(text).ok().map(|name| Command::User { name }),
        1 => Password::new(text)
            .ok()
            .map(|password| Command::Pass { password }),
        2 => {
            let digest: Vec<u8> = bytes
                .iter()
                .take(32)
                .map(|b| b"0123456789abcdef"[usize::from(b & 15)])
                .collect();
            match (UserName::new(text), ApopDigest::parse(&digest)) {
                (Ok(name), Ok(digest)) => Some(Command::Apop { name, digest }),
                _ => None,
            }
        }
        3 => Mechanism::new(&text).ok().map(|mechanism| Command::Auth {
            mechanism,
            initial_response: if flag {
                InitialResponse::new(bytes).ok()
            } else {
                None
            },
        }),
        4 => Some(Command::Stat),
        5 => Some(Command::List {
            message: message.filter(|_| flag),
        }),
        6 => message.map(|message| Command::Retr { message }),
        7 => message.map(|message| Command::Dele { message }),
        8 => Some(Command::Noop),
        9 => Some(Command::Rset),
        10 => Some(Command::Quit),
        11 => message.map(|message| Command::Top { message, lines }),
        12 => Some(Command::Uidl {
            message: message.filter(|_| flag),
        }),
        13 => Some(Command::Capa),
        14 => Some(Command::Stls),
        _ => Some(Command::Utf8),
    };
    if let Some(command) = command {
        let wire = command.to_bytes();
        assert!(wire.len() <= MAX_COMMAND_LINE);
        assert_eq!(
            Command::decode(&wire),
            Decoded::Complete {
                value: command,
                consumed: wire.len()
            }
        );
    }
});
