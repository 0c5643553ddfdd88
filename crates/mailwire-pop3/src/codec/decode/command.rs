//! Decoding commands.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use nom::{
    IResult, Parser,
    bytes::complete::{take_while_m_n, take_while1},
    character::complete::char,
    combinator::{all_consuming, map_res, opt},
    sequence::preceded,
};

use crate::codec::decode::{Decoded, MAX_COMMAND_LINE, RawLine, raw_line};
use crate::types::apop::ApopDigest;
use crate::types::argument::{
    ArgumentError, InitialResponse, Mechanism, MessageNumber, Password, UserName,
};
use crate::types::command::{Command, CommandError};

/// Decodes one command from the front of `input` with the RFC's 255-byte limit.
pub fn decode_command(input: &[u8]) -> Decoded<Command, CommandError> {
    Command::decode(input)
}

impl Command {
    /// Decodes one command from the front of `input` with the RFC's 255-byte limit.
    pub fn decode(input: &[u8]) -> Decoded<Self, CommandError> {
        match raw_line(input, MAX_COMMAND_LINE) {
            RawLine::Incomplete => Decoded::Incomplete,
            RawLine::TooLong => Decoded::Invalid {
                error: CommandError::LineTooLong {
                    limit: MAX_COMMAND_LINE,
                },
                consumed: input.len(),
            },
            RawLine::Line(line, consumed) => match Self::parse(line) {
                Ok(value) => Decoded::Complete { value, consumed },
                Err(error) => Decoded::Invalid { error, consumed },
            },
        }
    }

    /// Parses a command line without its CRLF.
    pub fn parse(line: &[u8]) -> Result<Self, CommandError> {
        let (args, keyword) = keyword(line).map_err(|_| CommandError::Unknown)?;
        let args = match args {
            [] => None,
            [b' ', rest @ ..] => Some(rest),
            _ => return Err(CommandError::Unknown),
        };
        let mut upper = [0u8; 4];
        let upper = &mut upper[..keyword.len()];
        upper.copy_from_slice(keyword);
        upper.make_ascii_uppercase();
        let no_args = |c: Self| match args {
            None => Ok(c),
            Some(_) => Err(CommandError::UnexpectedArgument),
        };
        match &*upper {
            b"STAT" => no_args(Self::Stat),
            b"NOOP" => no_args(Self::Noop),
            b"RSET" => no_args(Self::Rset),
            b"QUIT" => no_args(Self::Quit),
            b"CAPA" => no_args(Self::Capa),
            b"STLS" => no_args(Self::Stls),
            b"UTF8" => no_args(Self::Utf8),
            b"LIST" => Ok(Self::List {
                message: optional_number(args)?,
            }),
            b"UIDL" => Ok(Self::Uidl {
                message: optional_number(args)?,
            }),
            b"RETR" => Ok(Self::Retr {
                message: one_number(args)?,
            }),
            b"DELE" => Ok(Self::Dele {
                message: one_number(args)?,
            }),
            b"TOP" => {
                let args = args.ok_or(CommandError::MissingArgument)?;
                let (_, (message, lines)) = (number, opt(preceded(char(' '), number)))
                    .parse(args)
                    .map_err(|_: nom::Err<()>| CommandError::InvalidNumber)
                    .and_then(|(rest, v)| {
                        if rest.is_empty() {
                            Ok(((), v))
                        } else {
                            Err(trailing(rest))
                        }
                    })?;
                let lines = lines.ok_or(CommandError::MissingArgument)?;
                Ok(Self::Top {
                    message: MessageNumber::new(message)?,
                    lines,
                })
            }
            b"USER" => {
                let name = single_word(args)?;
                Ok(Self::User {
                    name: UserName::new(utf8(name)?)?,
                })
            }
            b"PASS" => {
                let args = args.ok_or(CommandError::MissingArgument)?;
                Ok(Self::Pass {
                    password: Password::new(utf8(args)?)?,
                })
            }
            b"APOP" => {
                let args = args.ok_or(CommandError::MissingArgument)?;
                let (name, digest) = split_two(args)?;
                let name = UserName::new(utf8(name)?)?;
                let digest = ApopDigest::parse(digest).map_err(|_| CommandError::InvalidDigest)?;
                Ok(Self::Apop { name, digest })
            }
            b"AUTH" => {
                let args = args.ok_or(CommandError::MissingArgument)?;
                let (mechanism, initial) = match args.iter().position(|&b| b == b' ') {
                    Some(i) => (&args[..i], Some(&args[i + 1..])),
                    None => (args, None),
                };
                let mechanism = Mechanism::new(utf8(mechanism)?)?;
                let initial_response = match initial {
                    None => None,
                    Some(b"=") => Some(InitialResponse::new(Vec::new())?),
                    Some(b64) => {
                        let data = decode_base64(b64)?;
                        Some(InitialResponse::new(data)?)
                    }
                };
                Ok(Self::Auth {
                    mechanism,
                    initial_response,
                })
            }
            _ => Err(CommandError::Unknown),
        }
    }
}

/// Decodes standard base64 with padding; a space or anything else is refused.
pub(crate) fn decode_base64(b64: &[u8]) -> Result<Vec<u8>, CommandError> {
    if b64.is_empty() {
        return Err(CommandError::InvalidBase64);
    }
    STANDARD
        .decode(b64)
        .map_err(|_| CommandError::InvalidBase64)
}

fn trailing(rest: &[u8]) -> CommandError {
    if rest.first() == Some(&b' ') {
        CommandError::UnexpectedArgument
    } else {
        CommandError::InvalidNumber
    }
}

fn keyword(input: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while_m_n(3, 4, |b: u8| b.is_ascii_alphanumeric()).parse(input)
}

/// `1*10DIGIT` that fits in a u32.
fn number(input: &[u8]) -> IResult<&[u8], u32, ()> {
    map_res(
        take_while_m_n(1, 10, |b: u8| b.is_ascii_digit()),
        |digits: &[u8]| {
            std::str::from_utf8(digits)
                .map_err(|_| ())
                .and_then(|s| s.parse().map_err(|_| ()))
        },
    )
    .parse(input)
}

fn one_number(args: Option<&[u8]>) -> Result<MessageNumber, CommandError> {
    optional_number(args)?.ok_or(CommandError::MissingArgument)
}

fn optional_number(args: Option<&[u8]>) -> Result<Option<MessageNumber>, CommandError> {
    let Some(args) = args else { return Ok(None) };
    let (rest, n) = number(args).map_err(|_| CommandError::InvalidNumber)?;
    if !rest.is_empty() {
        return Err(trailing(rest));
    }
    Ok(Some(MessageNumber::new(n)?))
}

fn single_word(args: Option<&[u8]>) -> Result<&[u8], CommandError> {
    let args = args.ok_or(CommandError::MissingArgument)?;
    let word: IResult<&[u8], &[u8], ()> = all_consuming(take_while1(|b: u8| b != b' ')).parse(args);
    match word {
        Ok((_, w)) => Ok(w),
        Err(_) if args.is_empty() => Err(CommandError::MissingArgument),
        Err(_) => Err(CommandError::UnexpectedArgument),
    }
}

fn split_two(args: &[u8]) -> Result<(&[u8], &[u8]), CommandError> {
    let mut parts = args.split(|&b| b == b' ');
    let first = parts
        .next()
        .filter(|p| !p.is_empty())
        .ok_or(CommandError::MissingArgument)?;
    let second = parts
        .next()
        .filter(|p| !p.is_empty())
        .ok_or(CommandError::MissingArgument)?;
    if parts.next().is_some() {
        return Err(CommandError::UnexpectedArgument);
    }
    Ok((first, second))
}

fn utf8(bytes: &[u8]) -> Result<&str, CommandError> {
    std::str::from_utf8(bytes)
        .map_err(|_| ArgumentError::ForbiddenCharacter { what: "argument" }.into())
}

#[cfg(test)]
mod tests {
    use mailwire_core::Secret;

    use super::*;

    fn n(n: u32) -> MessageNumber {
        MessageNumber::new(n).unwrap()
    }

    fn parse(s: &str) -> Result<Command, CommandError> {
        Command::parse(s.as_bytes())
    }

    #[test]
    fn rfc_1939_examples_parse() {
        assert_eq!(parse("STAT"), Ok(Command::Stat));
        assert_eq!(parse("LIST"), Ok(Command::List { message: None }));
        assert_eq!(
            parse("LIST 2"),
            Ok(Command::List {
                message: Some(n(2))
            })
        );
        assert_eq!(parse("RETR 1"), Ok(Command::Retr { message: n(1) }));
        assert_eq!(parse("DELE 1"), Ok(Command::Dele { message: n(1) }));
        assert_eq!(
            parse("TOP 1 10"),
            Ok(Command::Top {
                message: n(1),
                lines: 10
            })
        );
        assert_eq!(
            parse("UIDL 2"),
            Ok(Command::Uidl {
                message: Some(n(2))
            })
        );
        assert_eq!(
            parse("USER mrose"),
            Ok(Command::User {
                name: UserName::new("mrose").unwrap()
            })
        );
        let Ok(Command::Apop { name, digest }) =
            parse("APOP mrose c4c9334bac560ecc979e58001b3e22fb")
        else {
            panic!()
        };
        assert_eq!(
            (name.as_str(), digest.as_str()),
            ("mrose", "c4c9334bac560ecc979e58001b3e22fb")
        );
    }

    #[test]
    fn keywords_are_case_insensitive() {
        assert_eq!(parse("stat"), Ok(Command::Stat));
        assert_eq!(
            parse("Top 3 0"),
            Ok(Command::Top {
                message: n(3),
                lines: 0
            })
        );
    }

    #[test]
    fn pass_keeps_spaces() {
        let Ok(Command::Pass { password }) = parse("PASS my secret  word") else {
            panic!()
        };
        assert_eq!(password.secret().expose(), "my secret  word");
    }

    #[test]
    fn auth_with_and_without_initial_response() {
        let plain = Mechanism::new("PLAIN").unwrap();
        assert_eq!(
            parse("AUTH plain"),
            Ok(Command::Auth {
                mechanism: plain,
                initial_response: None
            })
        );
        let Ok(Command::Auth {
            initial_response: Some(ir),
            ..
        }) = parse("AUTH PLAIN AHRlc3QAdGVzdA==")
        else {
            panic!()
        };
        assert_eq!(ir.secret(), &Secret::new(b"\0test\0test".to_vec()));
        let Ok(Command::Auth {
            initial_response: Some(ir),
            ..
        }) = parse("AUTH EXTERNAL =")
        else {
            panic!()
        };
        assert!(ir.secret().expose().is_empty());
        assert_eq!(parse("AUTH PLAIN !!!"), Err(CommandError::InvalidBase64));
        assert_eq!(parse("AUTH"), Err(CommandError::MissingArgument));
    }

    #[test]
    fn argument_rules() {
        assert_eq!(parse("RETR"), Err(CommandError::MissingArgument));
        assert_eq!(
            parse("RETR 0"),
            Err(ArgumentError::ZeroMessageNumber.into())
        );
        assert_eq!(parse("RETR -1"), Err(CommandError::InvalidNumber));
        assert_eq!(parse("RETR 4294967296"), Err(CommandError::InvalidNumber));
        assert_eq!(
            parse("RETR 4294967295"),
            Ok(Command::Retr {
                message: n(u32::MAX)
            })
        );
        assert_eq!(parse("RETR 1 2"), Err(CommandError::UnexpectedArgument));
        assert_eq!(parse("RETR 1x"), Err(CommandError::InvalidNumber));
        assert_eq!(parse("TOP 1"), Err(CommandError::MissingArgument));
        assert_eq!(parse("TOP 1 2 3"), Err(CommandError::UnexpectedArgument));
        assert_eq!(parse("STAT 1"), Err(CommandError::UnexpectedArgument));
        assert_eq!(parse("STAT "), Err(CommandError::UnexpectedArgument));
        assert_eq!(parse("USER a b"), Err(CommandError::UnexpectedArgument));
        assert_eq!(parse("USER"), Err(CommandError::MissingArgument));
        assert_eq!(parse("APOP mrose"), Err(CommandError::MissingArgument));
        assert_eq!(parse("APOP mrose xyz"), Err(CommandError::InvalidDigest));
        assert_eq!(parse("LAST"), Err(CommandError::Unknown));
        assert_eq!(parse("STATS"), Err(CommandError::Unknown));
        assert_eq!(parse("ST"), Err(CommandError::Unknown));
        assert_eq!(parse(""), Err(CommandError::Unknown));
    }

    #[test]
    fn decode_frames_lines() {
        assert_eq!(
            Command::decode(b"NOOP\r\nST"),
            Decoded::Complete {
                value: Command::Noop,
                consumed: 6
            }
        );
        assert_eq!(Command::decode(b"NOOP\r"), Decoded::Incomplete);
        assert_eq!(
            Command::decode(b"XYZZY\r\n"),
            Decoded::Invalid {
                error: CommandError::Unknown,
                consumed: 7
            }
        );
        let mut long = b"USER ".to_vec();
        long.resize(300, b'a');
        assert_eq!(
            Command::decode(&long),
            Decoded::Invalid {
                error: CommandError::LineTooLong { limit: 255 },
                consumed: 300
            }
        );
    }

    #[test]
    fn the_longest_arguments_fit_the_line_limit() {
        let apop = Command::Apop {
            name: UserName::new("n".repeat(200)).unwrap(),
            digest: ApopDigest::parse(&[b'a'; 32]).unwrap(),
        };
        assert!(apop.to_bytes().len() <= MAX_COMMAND_LINE);
        let pass = Command::Pass {
            password: Password::new("p".repeat(248)).unwrap(),
        };
        assert_eq!(pass.to_bytes().len(), MAX_COMMAND_LINE);
        let auth = Command::Auth {
            mechanism: Mechanism::new(&"M".repeat(20)).unwrap(),
            initial_response: Some(InitialResponse::new(vec![0xff; 168]).unwrap()),
        };
        assert!(auth.to_bytes().len() <= MAX_COMMAND_LINE);
        assert_eq!(Command::decode(&auth.to_bytes()).complete(), Some(auth));
    }
}
