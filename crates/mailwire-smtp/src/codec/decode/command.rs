//! Decoding commands, owned ([`Command`]) or borrowing the input ([`CommandRef`]).

use mailwire_core::Secret;

use crate::Decoded;
use crate::types::command::{Argument, Command, CommandError, CommandRef, InitialResponse, Verb};
use crate::types::grammar::parse_u64;
use crate::types::mechanism::Mechanism;
use crate::types::param::{MailParametersRef, RcptParametersRef};
use crate::types::path::{ForwardPathRef, HostRef, PathError, ReversePathRef, Scanned, scan_path};

/// Decodes one command from the start of `input`: complete up to its CRLF, incomplete
/// while no CRLF has arrived, or invalid with the number of bytes to skip.
///
/// Decoding bounds nothing by itself: a caller buffering input until a CRLF arrives must
/// bound its buffer (the server session does, at
/// [`MAX_COMMAND_LINE_LEN`](crate::MAX_COMMAND_LINE_LEN) by default).
#[inline]
pub fn decode_command(input: &[u8]) -> Decoded<Command, CommandError> {
    decode_line(input, Command::parse_line)
}

/// Finds the first CRLF-ended line of `input` and parses it with `parse`.
#[inline]
fn decode_line<'a, T>(
    input: &'a [u8],
    parse: impl FnOnce(&'a [u8]) -> Result<T, CommandError>,
) -> Decoded<T, CommandError> {
    let mut from = 0;
    loop {
        let Some(lf) = memchr::memchr(b'\n', &input[from..]).map(|i| from + i) else {
            return Decoded::Incomplete;
        };
        if lf > 0 && input[lf - 1] == b'\r' {
            let consumed = lf + 1;
            return match parse(&input[..lf - 1]) {
                Ok(value) => Decoded::Complete { value, consumed },
                Err(error) => Decoded::Invalid { error, consumed },
            };
        }
        from = lf + 1;
    }
}

impl Command {
    /// Decodes one command from the start of `input`: complete up to its CRLF, incomplete
    /// while no CRLF has arrived, or invalid with the number of bytes to skip.
    ///
    /// Decoding bounds nothing by itself: a caller buffering input until a CRLF arrives
    /// must bound its buffer (the server session does, at [`MAX_COMMAND_LINE_LEN`](crate::MAX_COMMAND_LINE_LEN) by
    /// default).
    #[inline]
    pub fn decode(input: &[u8]) -> Decoded<Self, CommandError> {
        decode_command(input)
    }

    /// Parses one command line without its CRLF: [`CommandRef::parse_line`], then
    /// [`CommandRef::into_owned`].
    // Inlined into `decode` so that the command is built in place rather than moved.
    #[inline]
    pub fn parse_line(line: &[u8]) -> Result<Self, CommandError> {
        CommandRef::parse_line_inlined(line).map(CommandRef::into_owned)
    }
}

impl<'a> CommandRef<'a> {
    /// Decodes one command from the start of `input`, as [`Command::decode`] does.
    pub fn decode(input: &'a [u8]) -> Decoded<Self, CommandError> {
        decode_line(input, Self::parse_line)
    }

    /// Parses one command line without its CRLF.
    pub fn parse_line(line: &'a [u8]) -> Result<Self, CommandError> {
        Self::parse_line_inlined(line)
    }

    /// [`Self::parse_line`], inlined where [`Command::parse_line`] makes the command owned,
    /// so that the borrowed command is taken apart in registers rather than moved through
    /// memory on its way to the owned one.
    #[inline(always)]
    fn parse_line_inlined(line: &'a [u8]) -> Result<Self, CommandError> {
        // Every production refuses CR and LF, so the line is searched for them only to
        // name the error precisely.
        Self::parse_args(line).map_err(|error| {
            if memchr::memchr2(b'\r', b'\n', line).is_some() {
                CommandError::BareLineEnding
            } else {
                error
            }
        })
    }

    #[inline(always)]
    fn parse_args(line: &'a [u8]) -> Result<Self, CommandError> {
        let (verb_bytes, args) = split_verb(line);
        let Some(verb) = Verb::parse(verb_bytes) else {
            let shown = &verb_bytes[..verb_bytes.len().min(32)];
            return Err(CommandError::Unrecognized {
                verb: String::from_utf8_lossy(shown).into_owned(),
            });
        };
        let syntax = CommandError::Syntax { verb };
        let args = trim_end(args);
        let none = |cmd: Self| {
            if args.is_empty() {
                Ok(cmd)
            } else {
                Err(syntax.clone())
            }
        };
        match verb {
            Verb::Helo | Verb::Ehlo | Verb::Lhlo => {
                let host = HostRef::parse_bytes(args).map_err(|_| syntax.clone())?;
                Ok(match verb {
                    Verb::Helo => Self::Helo { host },
                    Verb::Ehlo => Self::Ehlo { host },
                    _ => Self::Lhlo { host },
                })
            }
            Verb::Mail => {
                let rest = strip_prefix_ignore_case(args, b"FROM:").ok_or(syntax)?;
                let (path, params) = split_path(verb, rest)?;
                let from = ReversePathRef::from_scanned(path)
                    .map_err(|error| CommandError::Path { verb, error })?;
                let params = MailParametersRef::parse(params)
                    .map_err(|error| CommandError::Param { verb, error })?;
                Ok(Self::Mail { from, params })
            }
            Verb::Rcpt => {
                let rest = strip_prefix_ignore_case(args, b"TO:").ok_or(syntax)?;
                let (path, params) = split_path(verb, rest)?;
                let to = ForwardPathRef::from_scanned(path)
                    .map_err(|error| CommandError::Path { verb, error })?;
                let params = RcptParametersRef::parse(params)
                    .map_err(|error| CommandError::Param { verb, error })?;
                Ok(Self::Rcpt { to, params })
            }
            Verb::Data => none(Self::Data),
            Verb::Rset => none(Self::Rset),
            Verb::Quit => none(Self::Quit),
            Verb::StartTls => none(Self::StartTls),
            Verb::Bdat => {
                let (size, marker) = match args.iter().position(|&b| b == b' ') {
                    Some(sp) => (&args[..sp], Some(&args[sp + 1..])),
                    None => (args, None),
                };
                let size = parse_u64(size).ok_or(syntax.clone())?;
                let last = match marker {
                    None => false,
                    Some(m) if m.eq_ignore_ascii_case(b"LAST") => true,
                    Some(_) => return Err(syntax),
                };
                Ok(Self::Bdat { size, last })
            }
            Verb::Vrfy | Verb::Expn => {
                let query = argument(args).ok_or(syntax)?;
                Ok(if verb == Verb::Vrfy {
                    Self::Vrfy { query }
                } else {
                    Self::Expn { query }
                })
            }
            Verb::Help | Verb::Noop => {
                let arg = if args.is_empty() {
                    None
                } else {
                    Some(argument(args).ok_or(syntax)?)
                };
                Ok(if verb == Verb::Help {
                    Self::Help { topic: arg }
                } else {
                    Self::Noop { text: arg }
                })
            }
            Verb::Auth => {
                let (mechanism, response) = match args.iter().position(|&b| b == b' ') {
                    Some(sp) => (&args[..sp], Some(&args[sp + 1..])),
                    None => (args, None),
                };
                let mechanism = Mechanism::is_valid(mechanism)
                    .then(|| std::str::from_utf8(mechanism).ok())
                    .flatten()
                    .ok_or(syntax.clone())?;
                let initial_response = match response {
                    None => None,
                    Some(r) if InitialResponse::is_valid(r) => {
                        Some(Secret::new(std::str::from_utf8(r).map_err(|_| syntax)?))
                    }
                    Some(_) => return Err(syntax),
                };
                Ok(Self::Auth {
                    mechanism,
                    initial_response,
                })
            }
        }
    }
}

/// Splits the verb from its arguments at the first space. Almost every verb has four
/// letters, so that position is tried before a search.
fn split_verb(line: &[u8]) -> (&[u8], &[u8]) {
    if let Some(four) = line.get(..4)
        && !four.contains(&b' ')
    {
        match line.get(4) {
            None => return (line, &[]),
            Some(b' ') => return (four, &line[5..]),
            Some(_) => {}
        }
    }
    match line.iter().position(|&b| b == b' ') {
        Some(sp) => (&line[..sp], &line[sp + 1..]),
        None => (line, &[]),
    }
}

fn trim_end(s: &[u8]) -> &[u8] {
    let keep = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |i| i + 1);
    &s[..keep]
}

/// Strips `prefix`, written in upper case, matching letters without regard to case. The
/// prefix's length is a constant, so the comparison unrolls into a few register operations
/// where a comparison of slices would loop.
fn strip_prefix_ignore_case<'a, const N: usize>(s: &'a [u8], prefix: &[u8; N]) -> Option<&'a [u8]> {
    let (head, rest) = s.split_first_chunk::<N>()?;
    head.iter()
        .zip(prefix)
        .all(|(&a, &b)| a.to_ascii_uppercase() == b)
        .then_some(rest)
}

fn argument(args: &[u8]) -> Option<&str> {
    std::str::from_utf8(args)
        .ok()
        .filter(|text| Argument::is_valid(text))
}

/// Splits `[SP*] Path [SP params]`: clients often put a space after `FROM:`.
#[inline]
fn split_path(verb: Verb, rest: &[u8]) -> Result<(Scanned<'_>, &[u8]), CommandError> {
    let start = rest.iter().take_while(|&&b| b == b' ').count();
    let (path, end) =
        scan_path(&rest[start..]).map_err(|error| CommandError::Path { verb, error })?;
    let params = &rest[start + end..];
    if !params.is_empty() && params[0] != b' ' {
        return Err(CommandError::Path {
            verb,
            error: PathError::Brackets,
        });
    }
    Ok((path, params))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::types::param::{
        Body, MailParameters, Notify, ParamError, Parameter, RcptParameters,
    };
    use crate::types::path::{Domain, ForwardPath, Host, Mailbox, ReversePath};
    use crate::types::xtext::XText;

    fn parse(line: &str) -> Command {
        Command::parse_line(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    fn err(line: &str) -> CommandError {
        Command::parse_line(line.as_bytes()).unwrap_err()
    }

    fn mailbox(s: &str) -> Mailbox {
        Mailbox::parse(s).unwrap()
    }

    #[test]
    fn rfc_5321_appendix_d_commands() {
        assert_eq!(
            parse("EHLO bar.com"),
            Command::Ehlo {
                host: Domain::new("bar.com").unwrap().into()
            }
        );
        assert_eq!(
            parse("MAIL FROM:<Smith@bar.com>"),
            Command::Mail {
                from: mailbox("Smith@bar.com").into(),
                params: MailParameters::default()
            }
        );
        assert_eq!(
            parse("RCPT TO:<Jones@foo.com>"),
            Command::Rcpt {
                to: mailbox("Jones@foo.com").into(),
                params: RcptParameters::default()
            }
        );
        assert_eq!(parse("DATA"), Command::Data);
        assert_eq!(parse("QUIT"), Command::Quit);
        assert_eq!(
            parse("HELO bar.com"),
            Command::Helo {
                host: Host::parse("bar.com").unwrap()
            }
        );
        assert_eq!(parse("VRFY Crispin").to_string(), "VRFY Crispin\r\n");
        assert!(
            matches!(parse("EXPN Example-People"), Command::Expn { query } if query.as_str() == "Example-People")
        );
    }

    #[test]
    fn verbs_ignore_case_and_trailing_spaces() {
        assert_eq!(parse("quit"), Command::Quit);
        assert_eq!(parse("StartTLS  "), Command::StartTls);
        assert_eq!(parse("rset"), Command::Rset);
        assert_eq!(
            parse("mail from: <>  "),
            Command::Mail {
                from: ReversePath::Null,
                params: MailParameters::default()
            }
        );
        assert_eq!(parse("NOOP"), Command::Noop { text: None });
        assert_eq!(parse("HELP   "), Command::Help { topic: None });
        assert_eq!(
            parse("NOOP hello there").to_string(),
            "NOOP hello there\r\n"
        );
    }

    #[test]
    fn mail_and_rcpt_with_parameters() {
        let Command::Mail { from, params } =
            parse("MAIL FROM:<a@b.org> SIZE=100 BODY=BINARYMIME SMTPUTF8 XTRA=1")
        else {
            panic!()
        };
        assert_eq!(from, mailbox("a@b.org").into());
        assert_eq!(params.size, Some(100));
        assert_eq!(params.body, Some(Body::BinaryMime));
        assert!(params.smtputf8);
        assert_eq!(params.other, [Parameter::new("XTRA", Some("1")).unwrap()]);
        let Command::Rcpt { to, params } =
            parse("RCPT TO:<c@d.org> NOTIFY=DELAY ORCPT=rfc822;c@d.org")
        else {
            panic!()
        };
        assert_eq!(to, mailbox("c@d.org").into());
        assert_eq!(
            params.notify,
            Some(Notify {
                delay: true,
                ..Notify::NEVER
            })
        );
        assert_eq!(
            params.orcpt.unwrap().address(),
            &XText::new(b"c@d.org".to_vec())
        );
        assert_eq!(
            parse("MAIL FROM:<a@b.org> ENVID=x+2By AUTH=a+40b.org").to_string(),
            "MAIL FROM:<a@b.org> ENVID=x+2By AUTH=a@b.org\r\n"
        );
    }

    #[test]
    fn bdat_and_auth() {
        assert_eq!(
            parse("BDAT 1000"),
            Command::Bdat {
                size: 1000,
                last: false
            }
        );
        assert_eq!(
            parse("bdat 0 last"),
            Command::Bdat {
                size: 0,
                last: true
            }
        );
        assert_eq!(
            err("BDAT 18446744073709551616"),
            CommandError::Syntax { verb: Verb::Bdat }
        );
        assert_eq!(err("BDAT"), CommandError::Syntax { verb: Verb::Bdat });
        assert_eq!(
            err("BDAT 10 FIRST"),
            CommandError::Syntax { verb: Verb::Bdat }
        );
        let Command::Auth {
            mechanism,
            initial_response,
        } = parse("AUTH plain dGVzdAB0ZXN0ADEyMzQ=")
        else {
            panic!()
        };
        assert_eq!(mechanism, Mechanism::plain());
        assert_eq!(
            initial_response.as_ref().unwrap().expose(),
            "dGVzdAB0ZXN0ADEyMzQ="
        );
        let shown = format!("{:?}", parse("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ="));
        assert!(!shown.contains("dGVzd"), "{shown}");
        assert_eq!(parse("AUTH LOGIN").to_string(), "AUTH LOGIN\r\n");
        assert_eq!(parse("AUTH PLAIN =").to_string(), "AUTH PLAIN =\r\n");
        assert_eq!(
            err("AUTH PLAIN a*b"),
            CommandError::Syntax { verb: Verb::Auth }
        );
        assert_eq!(err("AUTH"), CommandError::Syntax { verb: Verb::Auth });
    }

    #[test]
    fn errors_carry_what_the_reply_needs() {
        assert_eq!(
            err("XCLIENT NAME=x"),
            CommandError::Unrecognized {
                verb: "XCLIENT".into()
            }
        );
        assert_eq!(
            err(""),
            CommandError::Unrecognized {
                verb: String::new()
            }
        );
        assert_eq!(err("DATA now"), CommandError::Syntax { verb: Verb::Data });
        assert_eq!(err("EHLO"), CommandError::Syntax { verb: Verb::Ehlo });
        assert_eq!(
            err("EHLO bad_name"),
            CommandError::Syntax { verb: Verb::Ehlo }
        );
        assert_eq!(
            err("MAIL TO:<a@b.org>"),
            CommandError::Syntax { verb: Verb::Mail }
        );
        assert_eq!(
            err("MAIL FROM:a@b.org"),
            CommandError::Path {
                verb: Verb::Mail,
                error: PathError::Brackets
            }
        );
        assert_eq!(
            err("RCPT TO:<>"),
            CommandError::Path {
                verb: Verb::Rcpt,
                error: PathError::NullPath
            }
        );
        assert_eq!(
            err("RCPT TO:<a@b.org>SIZE=1"),
            CommandError::Path {
                verb: Verb::Rcpt,
                error: PathError::Brackets
            }
        );
        assert_eq!(
            err("MAIL FROM:<> SIZE=x"),
            CommandError::Param {
                verb: Verb::Mail,
                error: ParamError::Value { keyword: "SIZE" }
            }
        );
        assert_eq!(err("NOOP a\rb"), CommandError::BareLineEnding);
        assert_eq!(
            err("MAIL FROM:<a@b.org>\n.\r"),
            CommandError::BareLineEnding
        );
        assert_eq!(
            err("RCPT TO:<a@@b.org>").reply().to_string(),
            "501 5.1.3 Bad recipient address syntax\r\n"
        );
        assert_eq!(
            err("MAIL FROM:<@>").reply().to_string(),
            "501 5.1.7 Bad sender address syntax\r\n"
        );
    }

    #[test]
    fn from_and_to_match_in_any_case_and_nothing_else() {
        assert_eq!(
            parse("mail fRoM:<a@b.org>"),
            Command::Mail {
                from: mailbox("a@b.org").into(),
                params: MailParameters::default()
            }
        );
        assert_eq!(
            parse("RCPT tO:<a@b.org>"),
            Command::Rcpt {
                to: mailbox("a@b.org").into(),
                params: RcptParameters::default()
            }
        );
        for (line, verb) in [
            ("MAIL FROM;<a@b.org>", Verb::Mail),
            ("MAIL FROM", Verb::Mail),
            ("MAIL FROMX<a@b.org>", Verb::Mail),
            ("RCPT TO", Verb::Rcpt),
            ("RCPT T", Verb::Rcpt),
            ("RCPT TO\x1a<a@b.org>", Verb::Rcpt),
            ("RCPT tp:<a@b.org>", Verb::Rcpt),
        ] {
            assert_eq!(err(line), CommandError::Syntax { verb }, "{line}");
        }
    }

    #[test]
    fn decode_needs_crlf() {
        assert!(matches!(Command::decode(b"QUIT"), Decoded::Incomplete));
        assert!(matches!(Command::decode(b"QUIT\r"), Decoded::Incomplete));
        assert!(matches!(Command::decode(b"NOOP a\nb"), Decoded::Incomplete));
        let Decoded::Invalid { error, consumed } = Command::decode(b"NOOP a\nb\r\nQUIT\r\n") else {
            panic!()
        };
        assert_eq!((error, consumed), (CommandError::BareLineEnding, 10));
        let wire = b"MAIL FROM:<a@b.org> SIZE=10\r\n";
        for end in 0..wire.len() {
            assert!(matches!(Command::decode(&wire[..end]), Decoded::Incomplete));
        }
    }

    fn arb_host() -> impl Strategy<Value = Host> {
        prop_oneof![
            "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z]{1,5}){0,3}"
                .prop_map(|d| Host::parse(&d).unwrap()),
            any::<[u8; 4]>().prop_map(|a| Host::parse(&format!(
                "[{}]",
                std::net::Ipv4Addr::from(a)
            ))
            .unwrap()),
            any::<[u16; 8]>().prop_map(|a| Host::parse(&format!(
                "[IPv6:{}]",
                std::net::Ipv6Addr::from(a)
            ))
            .unwrap()),
            "用户|例子".prop_map(|d| Host::parse(&d).unwrap()),
        ]
    }

    fn arb_mailbox() -> impl Strategy<Value = Mailbox> {
        let local = prop_oneof![
            "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,10}(\\.[a-z0-9]{1,5}){0,2}",
            "\"([ !#-\\[\\]-~]|\\\\[ -~]){0,12}\"",
            "δοκιμή|用户",
        ];
        (local, arb_host()).prop_map(|(l, h)| Mailbox::new(l, h).unwrap())
    }

    fn arb_argument() -> impl Strategy<Value = Argument> {
        "[!-~]([ -~]{0,20}[!-~])?".prop_map(|s| Argument::new(s).unwrap())
    }

    fn arb_mail_params() -> impl Strategy<Value = MailParameters> {
        (
            proptest::option::of(any::<u64>()),
            proptest::option::of(prop_oneof![
                Just(Body::SevenBit),
                Just(Body::EightBitMime),
                Just(Body::BinaryMime)
            ]),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 1..20)),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 1..20)),
            proptest::collection::vec(
                ("X-[A-Z0-9]{1,6}", proptest::option::of("[!-<>-~]{1,8}")),
                0..3,
            ),
        )
            .prop_map(
                |(size, body, utf8, tls, envid, auth, other)| MailParameters {
                    size,
                    body,
                    smtputf8: utf8,
                    requiretls: tls,
                    ret: if utf8 {
                        Some(crate::types::param::Ret::Full)
                    } else {
                        None
                    },
                    envid: envid.map(XText::new),
                    auth: auth.map(XText::new),
                    other: other
                        .iter()
                        .map(|(k, v)| Parameter::new(k, v.as_deref()).unwrap())
                        .collect(),
                },
            )
    }

    fn arb_rcpt_params() -> impl Strategy<Value = RcptParameters> {
        (
            proptest::option::of((any::<bool>(), any::<bool>(), any::<bool>())),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20)),
        )
            .prop_map(|(notify, orcpt)| RcptParameters {
                notify: notify.map(|(success, failure, delay)| Notify {
                    success,
                    failure,
                    delay,
                }),
                orcpt: orcpt.and_then(|a| {
                    crate::types::param::OriginalRecipient::new("rfc822", XText::new(a))
                }),
                other: Vec::new(),
            })
    }

    pub(crate) fn arb_command() -> impl Strategy<Value = Command> {
        prop_oneof![
            arb_host().prop_map(|host| Command::Helo { host }),
            arb_host().prop_map(|host| Command::Ehlo { host }),
            arb_host().prop_map(|host| Command::Lhlo { host }),
            (proptest::option::of(arb_mailbox()), arb_mail_params()).prop_map(|(m, params)| {
                Command::Mail {
                    from: m.map_or(ReversePath::Null, ReversePath::Mailbox),
                    params,
                }
            }),
            (proptest::option::of(arb_mailbox()), arb_rcpt_params()).prop_map(|(m, params)| {
                Command::Rcpt {
                    to: m.map_or(ForwardPath::Postmaster, ForwardPath::Mailbox),
                    params,
                }
            }),
            Just(Command::Data),
            (any::<u64>(), any::<bool>()).prop_map(|(size, last)| Command::Bdat { size, last }),
            Just(Command::Rset),
            arb_argument().prop_map(|query| Command::Vrfy { query }),
            arb_argument().prop_map(|query| Command::Expn { query }),
            proptest::option::of(arb_argument()).prop_map(|topic| Command::Help { topic }),
            proptest::option::of(arb_argument()).prop_map(|text| Command::Noop { text }),
            Just(Command::Quit),
            Just(Command::StartTls),
            (
                "[A-Z0-9_-]{1,20}",
                proptest::option::of("[A-Za-z0-9+/]{0,20}={0,2}")
            )
                .prop_map(|(m, r)| Command::Auth {
                    mechanism: Mechanism::new(m).unwrap(),
                    initial_response: r.and_then(InitialResponse::new),
                }),
        ]
    }

    /// A decoded command is moved at least once on its way to the application; the rare
    /// large parts (general address literals, DSN values) are boxed so that the move stays
    /// a few vector copies. Domains of up to 46 octets are held in place: the larger move
    /// costs less than the allocation it saves for the many names longer than 22 octets.
    #[test]
    fn commands_stay_small() {
        assert!(size_of::<Command>() <= 152, "{}", size_of::<Command>());
        assert!(size_of::<Mailbox>() <= 80, "{}", size_of::<Mailbox>());
    }

    /// Valid lines and the wire form of the command they parse to.
    fn valid_corpus() -> Vec<(Vec<u8>, String)> {
        let long_local = "a".repeat(64);
        let label = "d".repeat(63);
        let long_domain = format!("{label}.{label}.{label}.{label}"); // 255 octets
        // `<a@…>` of 256 octets, the longest path.
        let longest_path_domain = format!("{label}.{label}.{label}.{}", "d".repeat(60));
        let same = |line: &str| (line.as_bytes().to_vec(), format!("{line}\r\n"));
        let to = |line: &str, wire: &str| (line.as_bytes().to_vec(), format!("{wire}\r\n"));
        vec![
            same("EHLO bar.com"),
            same("HELO bar.com"),
            same("LHLO foo.example"),
            same("EHLO [192.0.2.1]"),
            same("EHLO [IPv6:2001:db8::1]"),
            same("EHLO [x-tag:abc]"),
            same("EHLO 例子.测试"),
            same("MAIL FROM:<Smith@bar.com>"),
            to("mail from: <>  ", "MAIL FROM:<>"),
            to(
                "MAIL FROM:<@hosta.int,@jkl.org:userc@d.bar.org>",
                "MAIL FROM:<userc@d.bar.org>",
            ),
            same(r#"MAIL FROM:<"John \"Q\" Public"@example.com> SIZE=100"#),
            same("MAIL FROM:<δοκιμή@例子.测试> SMTPUTF8"),
            same("MAIL FROM:<a@[IPv6:::1]>"),
            to(
                "MAIL FROM:<a@b.org> SIZE=12345 body=8bitmime SMTPUTF8 RET=HDRS ENVID=QQ314159 AUTH=<> REQUIRETLS X-A=1 X-B",
                "MAIL FROM:<a@b.org> SIZE=12345 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159 AUTH=<> REQUIRETLS X-A=1 X-B",
            ),
            to(
                "MAIL FROM:<a@b.org> ENVID=x+2By AUTH=a+40b.org",
                "MAIL FROM:<a@b.org> ENVID=x+2By AUTH=a@b.org",
            ),
            same("MAIL FROM:<a@b.org> BODY=BINARYMIME RET=FULL X-UTF8=δ"),
            same("RCPT TO:<Postmaster>"),
            to("rcpt to:<postmaster>", "RCPT TO:<Postmaster>"),
            same("RCPT TO:<Postmaster@foo.com>"),
            to(
                "RCPT TO:<c@d.org> NOTIFY=DELAY ORCPT=rfc822;c+40d.org",
                "RCPT TO:<c@d.org> NOTIFY=DELAY ORCPT=rfc822;c@d.org",
            ),
            to(
                "RCPT TO:<c@d.org> notify=never",
                "RCPT TO:<c@d.org> NOTIFY=NEVER",
            ),
            same("RCPT TO:<c@d.org> SIZE=10 X-Y"),
            same(&format!("RCPT TO:<{long_local}@x.org>")),
            same(&format!("EHLO {long_domain}")),
            same(&format!("RCPT TO:<a@{longest_path_domain}>")),
            same("DATA"),
            to("rset", "RSET"),
            same("QUIT"),
            to("StartTLS  ", "STARTTLS"),
            same("NOOP"),
            same("NOOP hello there"),
            to("HELP   ", "HELP"),
            same("HELP MAIL"),
            same("VRFY Crispin"),
            same("EXPN Example-People"),
            same("BDAT 1000"),
            to("bdat 0 last", "BDAT 0 LAST"),
            same("BDAT 18446744073709551615 LAST"),
            to(
                "AUTH plain dGVzdAB0ZXN0ADEyMzQ=",
                "AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=",
            ),
            same("AUTH LOGIN"),
            same("AUTH PLAIN ="),
            to("auth x-custom_1", "AUTH X-CUSTOM_1"),
        ]
    }

    /// Invalid lines and the error both parsers must give.
    fn invalid_corpus() -> Vec<(Vec<u8>, CommandError)> {
        let syntax = |verb| CommandError::Syntax { verb };
        let path = |verb, error| CommandError::Path { verb, error };
        let param = |error| CommandError::Param {
            verb: Verb::Mail,
            error,
        };
        let label = "d".repeat(63);
        vec![
            (
                b"XCLIENT NAME=x".to_vec(),
                CommandError::Unrecognized {
                    verb: "XCLIENT".into(),
                },
            ),
            (
                Vec::new(),
                CommandError::Unrecognized {
                    verb: String::new(),
                },
            ),
            (b"DATA now".to_vec(), syntax(Verb::Data)),
            (b"EHLO".to_vec(), syntax(Verb::Ehlo)),
            (b"EHLO bad_name".to_vec(), syntax(Verb::Ehlo)),
            (b"HELO [300.1.1.1]".to_vec(), syntax(Verb::Helo)),
            (b"MAIL TO:<a@b.org>".to_vec(), syntax(Verb::Mail)),
            (
                b"MAIL FROM:a@b.org".to_vec(),
                path(Verb::Mail, PathError::Brackets),
            ),
            (
                b"MAIL FROM:<Postmaster>".to_vec(),
                path(Verb::Mail, PathError::MissingAt),
            ),
            (
                b"MAIL FROM:<@bad_route:a@b.org>".to_vec(),
                path(Verb::Mail, PathError::SourceRoute),
            ),
            (
                b"MAIL FROM:<\xff@b.org>".to_vec(),
                path(Verb::Mail, PathError::Utf8),
            ),
            (
                b"MAIL FROM:<\"a\x01\"@b.org>".to_vec(),
                path(Verb::Mail, PathError::LocalPart),
            ),
            (
                b"RCPT TO:<>".to_vec(),
                path(Verb::Rcpt, PathError::NullPath),
            ),
            (
                b"RCPT TO:<a@b.org>SIZE=1".to_vec(),
                path(Verb::Rcpt, PathError::Brackets),
            ),
            (
                b"RCPT TO:<a@@b.org>".to_vec(),
                path(Verb::Rcpt, PathError::Domain),
            ),
            (
                b"RCPT TO:<a@[300.1.1.1]>".to_vec(),
                path(Verb::Rcpt, PathError::AddressLiteral),
            ),
            (
                b"RCPT TO:<a@[IPv6:zz]>".to_vec(),
                path(Verb::Rcpt, PathError::AddressLiteral),
            ),
            (
                format!("RCPT TO:<{}@x.org>", "a".repeat(65)).into_bytes(),
                path(Verb::Rcpt, PathError::LocalPartTooLong),
            ),
            (
                format!("RCPT TO:<a@{label}.{label}.{label}.{label}.b>").into_bytes(),
                path(Verb::Rcpt, PathError::DomainTooLong),
            ),
            (
                format!("RCPT TO:<a@{}.org>", "d".repeat(64)).into_bytes(),
                path(Verb::Rcpt, PathError::Domain),
            ),
            (
                format!(
                    "RCPT TO:<{}@{label}.{label}.{label}.{label}>",
                    "a".repeat(64)
                )
                .into_bytes(),
                path(Verb::Rcpt, PathError::PathTooLong),
            ),
            (
                format!("RCPT TO:<ab@{label}.{label}.{label}.{}>", "d".repeat(60)).into_bytes(),
                path(Verb::Rcpt, PathError::PathTooLong),
            ),
            (
                b"MAIL FROM:<> SIZE=x".to_vec(),
                param(ParamError::Value { keyword: "SIZE" }),
            ),
            (
                b"MAIL FROM:<> SIZE=1 size=2".to_vec(),
                param(ParamError::Duplicate { keyword: "SIZE" }),
            ),
            (
                b"MAIL FROM:<> SMTPUTF8=yes".to_vec(),
                param(ParamError::Value {
                    keyword: "SMTPUTF8",
                }),
            ),
            (
                format!("MAIL FROM:<> ENVID={}", "a".repeat(101)).into_bytes(),
                param(ParamError::Value { keyword: "ENVID" }),
            ),
            (
                b"MAIL FROM:<> AUTH=a+2".to_vec(),
                param(ParamError::Value { keyword: "AUTH" }),
            ),
            (b"MAIL FROM:<> X-A=".to_vec(), param(ParamError::Syntax)),
            (b"MAIL FROM:<> X-A=1 =x".to_vec(), param(ParamError::Syntax)),
            (
                b"RCPT TO:<a@b.org> NOTIFY=NEVER,DELAY".to_vec(),
                CommandError::Param {
                    verb: Verb::Rcpt,
                    error: ParamError::Value { keyword: "NOTIFY" },
                },
            ),
            (
                b"RCPT TO:<a@b.org> ORCPT=rfc822".to_vec(),
                CommandError::Param {
                    verb: Verb::Rcpt,
                    error: ParamError::Value { keyword: "ORCPT" },
                },
            ),
            (b"BDAT 18446744073709551616".to_vec(), syntax(Verb::Bdat)),
            (b"BDAT 10 FIRST".to_vec(), syntax(Verb::Bdat)),
            (b"VRFY".to_vec(), syntax(Verb::Vrfy)),
            (b"NOOP \xff".to_vec(), syntax(Verb::Noop)),
            (b"AUTH".to_vec(), syntax(Verb::Auth)),
            (b"AUTH PLAIN a*b".to_vec(), syntax(Verb::Auth)),
            (b"AUTH XXXXXXXXXXXXXXXXXXXXX".to_vec(), syntax(Verb::Auth)),
            (b"NOOP a\rb".to_vec(), CommandError::BareLineEnding),
            (
                b"MAIL FROM:<a@b.org>\n.\r".to_vec(),
                CommandError::BareLineEnding,
            ),
        ]
    }

    /// Whether `part` lies inside `line`: the borrowed parse copied nothing.
    fn within(line: &[u8], part: &str) -> bool {
        let range = line.as_ptr_range();
        let part = part.as_bytes().as_ptr_range();
        range.start <= part.start && part.end <= range.end
    }

    #[test]
    fn borrowed_and_owned_parses_agree_on_the_corpus() {
        for (line, wire) in valid_corpus() {
            let shown = String::from_utf8_lossy(&line);
            let owned = Command::parse_line(&line).unwrap_or_else(|e| panic!("{shown}: {e}"));
            let borrowed = CommandRef::parse_line(&line).unwrap_or_else(|e| panic!("{shown}: {e}"));
            assert_eq!(owned.to_string(), wire, "{shown}");
            assert_eq!(borrowed.verb(), owned.verb(), "{shown}");
            match &borrowed {
                CommandRef::Mail {
                    from: ReversePathRef::Mailbox(m),
                    ..
                }
                | CommandRef::Rcpt {
                    to: ForwardPathRef::Mailbox(m),
                    ..
                } => {
                    assert!(within(&line, m.local_part()), "{shown}");
                    if let HostRef::Domain(d) = m.host() {
                        assert!(within(&line, d.as_str()), "{shown}");
                    }
                }
                CommandRef::Vrfy { query: text }
                | CommandRef::Expn { query: text }
                | CommandRef::Noop { text: Some(text) } => assert!(within(&line, text)),
                _ => {}
            }
            assert_eq!(borrowed.into_owned(), owned, "{shown}");
        }
        for (line, error) in invalid_corpus() {
            let shown = String::from_utf8_lossy(&line);
            assert_eq!(
                Command::parse_line(&line).as_ref().err(),
                Some(&error),
                "{shown}"
            );
            assert_eq!(CommandRef::parse_line(&line).err(), Some(error), "{shown}");
        }
    }

    #[test]
    fn borrowed_parse_keeps_what_was_sent() {
        let line = b"MAIL FROM:<a@b.org> SIZE=5 ENVID=x+2By X-A=1 BODY=7BIT X-B";
        let Ok(CommandRef::Mail { from, params }) = CommandRef::parse_line(line) else {
            panic!()
        };
        assert_eq!(from.mailbox().map(|m| m.local_part()), Some("a"));
        assert_eq!(params.size, Some(5));
        assert_eq!(params.body, Some(Body::SevenBit));
        assert_eq!(params.envid.map(|x| x.as_encoded()), Some("x+2By"));
        let other: Vec<_> = params.other().map(|p| (p.keyword(), p.value())).collect();
        assert_eq!(other, [("X-A", Some("1")), ("X-B", None)]);
        let line = b"RCPT TO:<c@[IPv6:2001:db8::1]> ORCPT=utf-8;c+40d NOTIFY=SUCCESS";
        let Ok(CommandRef::Rcpt { to, params }) = CommandRef::parse_line(line) else {
            panic!()
        };
        assert_eq!(
            to.mailbox().map(|m| m.host()),
            Some(HostRef::Literal(crate::AddressLiteralRef::Ipv6(
                "2001:db8::1".parse().unwrap()
            )))
        );
        let orcpt = params.orcpt.unwrap();
        assert_eq!(
            (orcpt.addr_type(), orcpt.address().as_encoded()),
            ("utf-8", "c+40d")
        );
        assert_eq!(params.other().count(), 0);
        let Ok(CommandRef::Auth {
            mechanism,
            initial_response,
        }) = CommandRef::parse_line(b"AUTH plain dGVzdA==")
        else {
            panic!()
        };
        assert_eq!(mechanism, "plain");
        assert_eq!(
            initial_response.as_ref().map(|r| *r.expose()),
            Some("dGVzdA==")
        );
        let shown = format!("{:?}", CommandRef::parse_line(b"AUTH PLAIN dGVzdA=="));
        assert!(!shown.contains("dGVzd"), "{shown}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn round_trip(command in arb_command()) {
            let mut wire = Vec::new();
            command.encode(&mut wire);
            match Command::decode(&wire) {
                Decoded::Complete { value, consumed } => {
                    prop_assert_eq!(consumed, wire.len());
                    prop_assert_eq!(value, command);
                }
                other => prop_assert!(false, "{:?} from {:?}", other, String::from_utf8_lossy(&wire)),
            }
        }

        #[test]
        fn borrowed_round_trip(command in arb_command()) {
            let mut wire = Vec::new();
            command.encode(&mut wire);
            match CommandRef::decode(&wire) {
                Decoded::Complete { value, consumed } => {
                    prop_assert_eq!(consumed, wire.len());
                    prop_assert_eq!(value.verb(), command.verb());
                    prop_assert_eq!(value.into_owned(), command);
                }
                other => prop_assert!(false, "{:?} from {:?}", other, String::from_utf8_lossy(&wire)),
            }
        }

        #[test]
        fn decode_never_panics(input in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Command::decode(&input);
        }
    }
}
