//! Command decoding (server side), RFC 3501 §9 `command` plus the extensions' commands.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use mailwire_core::Secret;
use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::char;
use nom::combinator::{map, opt, value};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded};

use super::fetch::fetch_attribute;
use super::primitive::{
    KEYWORD_MAX, PResult, astring, atom, atom_bytes, crlf, date_time, expect, fail, flag,
    flag_list, list_mailbox, literal_data, mailbox, nil, nstring, number64, nz_number64,
    paren_list1, sequence_set, sp, string, tag_, tag_ci, upper,
};
use super::search::search;
use super::{DecodeError, Decoded, run};
use crate::codec::framer::Limits;
use crate::types::{
    AppendMessage, AuthenticateData, Capability, Command, CommandBody, FetchItems, IString,
    ListMailbox, NString, NonEmpty, StatusAttribute, StoreKind,
};

/// Decodes one command from the start of `input`.
///
/// ```
/// use mailwire_imap::codec::{Decoded, Limits, decode_command};
/// use mailwire_imap::types::CommandBody;
///
/// let limits = Limits::default();
/// let Decoded::Complete { value, consumed } = decode_command(b"a1 NOOP\r\n", &limits).unwrap()
/// else { panic!() };
/// assert_eq!((value.tag.as_str(), value.body, consumed), ("a1", CommandBody::Noop, 9));
///
/// let announced = decode_command(b"a2 LOGIN {5}\r\n", &limits).unwrap();
/// assert!(matches!(announced, Decoded::LiteralAnnounced { length: 5, .. }));
/// ```
pub fn decode_command(input: &[u8], limits: &Limits) -> Result<Decoded<Command>, DecodeError> {
    let depth = limits.max_depth;
    let decoded = run(input, limits, true, true, false, |i| command(i, depth))?;
    if let Decoded::LiteralAnnounced { tag, position, .. } = &decoded {
        // Refuse an unknown command before its literal is invited (RFC 3501 §7.5).
        if !known_command(input) {
            return Err(DecodeError::Syntax {
                tag: Some(tag.clone()),
                offset: tag.as_str().len() + 1,
                reason: "unknown command",
                skip: *position,
            });
        }
    }
    Ok(decoded)
}

const COMMANDS: [&str; 31] = [
    "CAPABILITY",
    "NOOP",
    "LOGOUT",
    "STARTTLS",
    "AUTHENTICATE",
    "LOGIN",
    "SELECT",
    "EXAMINE",
    "CREATE",
    "DELETE",
    "RENAME",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "LIST",
    "LSUB",
    "STATUS",
    "APPEND",
    "CHECK",
    "CLOSE",
    "UNSELECT",
    "EXPUNGE",
    "SEARCH",
    "FETCH",
    "STORE",
    "COPY",
    "MOVE",
    "IDLE",
    "NAMESPACE",
    "ENABLE",
    "ID",
    "UID",
];

/// Whether the command at the start of `input` has a name this decoder knows.
fn known_command(input: &[u8]) -> bool {
    let Ok((rest, _)) = tag_(input) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(b" ") else {
        return false;
    };
    let Ok((_, name)) = atom_bytes(rest) else {
        return false;
    };
    COMMANDS
        .iter()
        .any(|c| name.eq_ignore_ascii_case(c.as_bytes()))
}

/// Decodes a line the client sends during AUTHENTICATE: base64, or `*` to cancel.
pub fn decode_authenticate_data(
    input: &[u8],
    limits: &Limits,
) -> Result<Decoded<AuthenticateData>, DecodeError> {
    run(input, limits, false, false, false, |i| {
        if let Ok((rest, _)) = tag::<_, _, super::PError<'_>>("*\r\n").parse(i) {
            return Ok((rest, AuthenticateData::Cancel));
        }
        let (rest, b64) = base64_text(i)?;
        let (rest, _) = crlf(rest)?;
        Ok((rest, AuthenticateData::Response(Secret::new(b64))))
    })
}

/// Decodes the `DONE` that ends IDLE (case-insensitively).
pub fn decode_idle_done(input: &[u8], limits: &Limits) -> Result<Decoded<()>, DecodeError> {
    run(input, limits, false, false, false, |i| {
        value((), (expect("DONE expected", tag_ci("DONE")), crlf)).parse(i)
    })
}

/// `base64`, possibly empty, decoded.
fn base64_text(i: &[u8]) -> PResult<'_, Vec<u8>> {
    let n = i
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
        .count();
    match BASE64.decode(&i[..n]) {
        Ok(v) => Ok((&i[n..], v)),
        Err(_) => fail(i, "bad base64"),
    }
}

fn command(i: &[u8], depth: usize) -> PResult<'_, Command> {
    let (i, tag) = tag_(i)?;
    let (i, _) = sp(i)?;
    let (i, body) = command_body(i, depth)?;
    let (i, _) = crlf(i)?;
    Ok((i, Command { tag, body }))
}

fn command_body(i: &[u8], depth: usize) -> PResult<'_, CommandBody> {
    let (i, name) = atom_bytes(i)?;
    let mut buf = [0u8; KEYWORD_MAX];
    let one_mailbox = |i| preceded(sp, mailbox).parse(i);
    match upper(name, &mut buf) {
        b"UID" => {
            let (i, _) = sp(i)?;
            let (i, name) = atom_bytes(i)?;
            match upper(name, &mut buf) {
                b"FETCH" => fetch(i, true),
                b"SEARCH" => search(i, true, depth),
                b"STORE" => store(i, true),
                b"COPY" => copy_or_move(i, true, false),
                b"MOVE" => copy_or_move(i, true, true),
                b"EXPUNGE" => map(preceded(sp, sequence_set), |uids| CommandBody::UidExpunge {
                    uids,
                })
                .parse(i),
                _ => fail(i, "unknown UID command"),
            }
        }
        b"CAPABILITY" => Ok((i, CommandBody::Capability)),
        b"NOOP" => Ok((i, CommandBody::Noop)),
        b"LOGOUT" => Ok((i, CommandBody::Logout)),
        b"STARTTLS" => Ok((i, CommandBody::StartTls)),
        b"CHECK" => Ok((i, CommandBody::Check)),
        b"CLOSE" => Ok((i, CommandBody::Close)),
        b"UNSELECT" => Ok((i, CommandBody::Unselect)),
        b"EXPUNGE" => Ok((i, CommandBody::Expunge)),
        b"IDLE" => Ok((i, CommandBody::Idle)),
        b"NAMESPACE" => Ok((i, CommandBody::Namespace)),
        b"AUTHENTICATE" => {
            let (i, _) = sp(i)?;
            let (i, mechanism) = atom(i)?;
            let (i, ir) = opt(preceded(
                sp,
                alt((
                    value(Vec::new(), char('=')),
                    expect("initial response expected", base64_nonempty),
                )),
            ))
            .parse(i)?;
            let initial_response = ir.map(Secret::new);
            Ok((
                i,
                CommandBody::Authenticate {
                    mechanism,
                    initial_response,
                },
            ))
        }
        b"LOGIN" => {
            let (i, username) = preceded(sp, astring).parse(i)?;
            let (i, password) = preceded(sp, astring).parse(i)?;
            Ok((
                i,
                CommandBody::Login {
                    username,
                    password: Secret::new(password),
                },
            ))
        }
        kind @ (b"SELECT" | b"EXAMINE") => {
            let select = kind == b"SELECT";
            let (i, mailbox) = one_mailbox(i)?;
            let (i, condstore) =
                map(opt(preceded(sp, tag_ci("(CONDSTORE)"))), |c| c.is_some()).parse(i)?;
            if select {
                Ok((i, CommandBody::Select { mailbox, condstore }))
            } else {
                Ok((i, CommandBody::Examine { mailbox, condstore }))
            }
        }
        b"CREATE" => map(one_mailbox, |mailbox| CommandBody::Create { mailbox }).parse(i),
        b"DELETE" => map(one_mailbox, |mailbox| CommandBody::Delete { mailbox }).parse(i),
        b"SUBSCRIBE" => map(one_mailbox, |mailbox| CommandBody::Subscribe { mailbox }).parse(i),
        b"UNSUBSCRIBE" => map(one_mailbox, |mailbox| CommandBody::Unsubscribe { mailbox }).parse(i),
        b"RENAME" => {
            let (i, from) = one_mailbox(i)?;
            let (i, to) = one_mailbox(i)?;
            Ok((i, CommandBody::Rename { from, to }))
        }
        kind @ (b"LIST" | b"LSUB") => {
            let list = kind == b"LIST";
            let (i, reference) = one_mailbox(i)?;
            let (i, pattern) = preceded(sp, list_mailbox).parse(i)?;
            let pattern = ListMailbox::from_string(pattern);
            if list {
                Ok((i, CommandBody::List { reference, pattern }))
            } else {
                Ok((i, CommandBody::Lsub { reference, pattern }))
            }
        }
        b"STATUS" => {
            let (i, mailbox) = one_mailbox(i)?;
            let (i, attributes) = preceded(sp, paren_list1(status_attribute)).parse(i)?;
            Ok((
                i,
                CommandBody::Status {
                    mailbox,
                    attributes,
                },
            ))
        }
        b"APPEND" => append(i),
        b"SEARCH" => search(i, false, depth),
        b"FETCH" => fetch(i, false),
        b"STORE" => store(i, false),
        b"COPY" => copy_or_move(i, false, false),
        b"MOVE" => copy_or_move(i, false, true),
        b"ENABLE" => {
            let (mut i, first) = preceded(sp, atom).parse(i)?;
            let mut capabilities = NonEmpty::new(Capability::from_atom(first));
            while let Ok((rest, cap)) = preceded(sp, atom).parse(i) {
                capabilities.push(Capability::from_atom(cap));
                i = rest;
            }
            Ok((i, CommandBody::Enable { capabilities }))
        }
        b"ID" => map(preceded(sp, id_parameters), |parameters| CommandBody::Id {
            parameters,
        })
        .parse(i),
        _ => fail(i, "unknown command"),
    }
}

fn base64_nonempty(i: &[u8]) -> PResult<'_, Vec<u8>> {
    let (rest, v) = base64_text(i)?;
    if v.is_empty() {
        fail(i, "initial response expected")
    } else {
        Ok((rest, v))
    }
}

/// `id-params-list = "(" *(string SP nstring) ")" / nil`
pub(crate) fn id_parameters(i: &[u8]) -> PResult<'_, Option<Vec<(IString, NString)>>> {
    if i.first() != Some(&b'(') {
        return value(None, expect("( or NIL expected", nil)).parse(i);
    }
    let (i, _) = char('(').parse(i)?;
    if let Some(rest) = i.strip_prefix(b")") {
        return Ok((rest, Some(Vec::new())));
    }
    let (i, pairs) = separated_list1(sp, |i| {
        let (i, k) = string(i)?;
        let (i, _) = sp(i)?;
        let (i, v) = nstring(i)?;
        Ok((i, (k, v)))
    })
    .parse(i)?;
    let (i, _) = expect("')' expected", char(')')).parse(i)?;
    Ok((i, Some(pairs)))
}

fn status_attribute(i: &[u8]) -> PResult<'_, StatusAttribute> {
    let (rest, name) = atom_bytes(i)?;
    match StatusAttribute::ALL
        .iter()
        .find(|(_, n)| name.eq_ignore_ascii_case(n.as_bytes()))
    {
        Some((a, _)) => Ok((rest, *a)),
        None => fail(i, "unknown status attribute"),
    }
}

/// `append = "APPEND" SP mailbox 1*append-message` (RFC 3502), each message
/// `[SP flag-list] [SP date-time] SP (literal / literal8)`.
fn append(i: &[u8]) -> PResult<'_, CommandBody> {
    let (mut i, mailbox) = preceded(sp, mailbox).parse(i)?;
    let mut messages: Option<NonEmpty<AppendMessage>> = None;
    while i.starts_with(b" ") {
        let (j, flags) = opt(preceded(sp, flag_list)).parse(i)?;
        let (j, date) = opt(preceded(sp, date_time)).parse(j)?;
        let (j, _) = sp(j)?;
        let binary = j.starts_with(b"~");
        let (j, data) = expect("literal expected", literal_data(binary)).parse(j)?;
        let message = AppendMessage {
            flags: flags.unwrap_or_default(),
            date,
            data: data.to_vec(),
        };
        match &mut messages {
            Some(list) => list.push(message),
            None => messages = Some(NonEmpty::new(message)),
        }
        i = j;
    }
    match messages {
        Some(messages) => Ok((i, CommandBody::Append { mailbox, messages })),
        None => fail(i, "message expected"),
    }
}

fn copy_or_move(i: &[u8], uid: bool, is_move: bool) -> PResult<'_, CommandBody> {
    let (i, set) = preceded(sp, sequence_set).parse(i)?;
    let (i, mailbox) = preceded(sp, mailbox).parse(i)?;
    Ok((
        i,
        if is_move {
            CommandBody::Move { set, mailbox, uid }
        } else {
            CommandBody::Copy { set, mailbox, uid }
        },
    ))
}

/// `store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags`
fn store(i: &[u8], uid: bool) -> PResult<'_, CommandBody> {
    let (i, set) = preceded(sp, sequence_set).parse(i)?;
    // The modifier is rare: look for its parenthesis before trying it.
    let (i, unchanged_since) = if i.starts_with(b" (") {
        opt(preceded(
            sp,
            delimited(tag_ci("(UNCHANGEDSINCE "), number64, char(')')),
        ))
        .parse(i)?
    } else {
        (i, None)
    };
    let (i, _) = sp(i)?;
    let (i, kind) = match i.split_first() {
        Some((b'+', rest)) => (rest, StoreKind::Add),
        Some((b'-', rest)) => (rest, StoreKind::Remove),
        _ => (i, StoreKind::Replace),
    };
    let (i, _) = expect("FLAGS expected", tag_ci("FLAGS")).parse(i)?;
    let (i, silent) = match tag_ci(".SILENT")(i) {
        Ok((rest, _)) => (rest, true),
        Err(_) => (i, false),
    };
    let (i, _) = sp(i)?;
    // A list that fails after its `(` fails further than flags without parentheses
    // would, so trying only the form the first byte names reports the same error.
    let (i, flags) = if i.starts_with(b"(") {
        flag_list(i)?
    } else {
        separated_list1(sp, flag).parse(i)?
    };
    Ok((
        i,
        CommandBody::Store {
            set,
            kind,
            silent,
            flags,
            unchanged_since,
            uid,
        },
    ))
}

/// `fetch = "FETCH" SP sequence-set SP (macro / fetch-att / "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]`
fn fetch(i: &[u8], uid: bool) -> PResult<'_, CommandBody> {
    let (i, set) = preceded(sp, sequence_set).parse(i)?;
    let (i, _) = sp(i)?;
    let (i, items) = if i.starts_with(b"(") {
        map(paren_list1(fetch_attribute), FetchItems::Attributes).parse(i)?
    } else {
        alt((
            value(FetchItems::All, tag_ci("ALL")),
            value(FetchItems::Fast, tag_ci("FAST")),
            value(FetchItems::Full, tag_ci("FULL")),
            map(fetch_attribute, |a| {
                FetchItems::Attributes(NonEmpty::new(a))
            }),
        ))
        .parse(i)?
    };
    let (i, changed_since) = if i.starts_with(b" (") {
        opt(preceded(
            sp,
            delimited(tag_ci("(CHANGEDSINCE "), nz_number64, char(')')),
        ))
        .parse(i)?
    } else {
        (i, None)
    };
    Ok((
        i,
        CommandBody::Fetch {
            set,
            items,
            changed_since,
            uid,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete<T: std::fmt::Debug>(r: PResult<'_, T>) -> T {
        let (rest, v) = r.unwrap();
        assert!(rest.is_empty(), "left {:?}", String::from_utf8_lossy(rest));
        v
    }

    #[test]
    fn store_flags_with_or_without_parentheses() {
        let a = complete(store(b" 1 +FLAGS \\Seen \\Draft", false));
        let b = complete(store(b" 1 +FLAGS (\\Seen \\Draft)", false));
        assert_eq!(a, b);
        assert!(store(b" 1 FLAG (\\Seen)", false).is_err());
        assert!(store(b" 1 +FLAGS.LOUD (\\Seen)", false).is_err());
    }

    #[test]
    fn commands_are_case_insensitive_and_arguments_strict() {
        assert_eq!(
            complete(command_body(b"uid fetch 1 fast", 8)),
            CommandBody::Fetch {
                set: "1".parse().unwrap(),
                items: FetchItems::Fast,
                changed_since: None,
                uid: true
            }
        );
        let refused = |i: &[u8]| command_body(i, 8).map_or(true, |(rest, _)| !rest.is_empty());
        assert!(refused(b"SELECT INBOX (QRESYNC)"));
        assert!(refused(b"UID FROB 1"));
        assert!(refused(b"STATUS INBOX ()"));
        assert!(refused(b"APPEND INBOX"));
        assert!(refused(b"ENABLE"));
        assert!(refused(b"AUTHENTICATE PLAIN ==="));
        assert!(refused(b"LOGIN a"));
    }

    #[test]
    fn search_depth_is_limited() {
        let deep = format!("SEARCH {}ALL{}", "(".repeat(20), ")".repeat(20));
        assert!(command_body(deep.as_bytes(), 32).is_ok());
        let err = command_body(deep.as_bytes(), 8).unwrap_err();
        let nom::Err::Error(e) = err else { panic!() };
        assert_eq!(e.reason, "search keys nested too deeply");
        let nots = format!("SEARCH {}ALL", "NOT ".repeat(100));
        assert!(command_body(nots.as_bytes(), 64).is_err());
    }
}
