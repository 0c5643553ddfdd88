//! Documented deviations of real servers, each accepted by the decoder. The encoder never
//! produces them from values built with the public constructors.

mod common;

use common::*;
use mailwire_imap::types::*;

fn fetch_items(line: &[u8]) -> Vec<MessageDataItem> {
    let Response::Data(Data::Fetch { items, .. }) = stable_response(line) else {
        panic!()
    };
    items.into_vec()
}

#[test]
fn outlook_puts_spaces_between_addresses() {
    let line = b"* 1 FETCH (ENVELOPE (NIL \"s\" ((\"A\" NIL \"a\" \"x.com\") (\"B\" NIL \"b\" \"y.com\")) \
NIL NIL ( (NIL NIL \"c\" \"z.com\") ) NIL NIL NIL NIL))\r\n";
    let items = fetch_items(line);
    let MessageDataItem::Envelope(env) = &items[0] else {
        panic!()
    };
    assert_eq!(env.from.len(), 2);
    assert_eq!(env.from[1].mailbox, Some(s("b")));
    assert_eq!(env.to[0].host, Some(s("z.com")));
    // Re-encoded without the spaces.
    let out = encode_resp(&response(line));
    assert!(
        String::from_utf8_lossy(&out)
            .contains("((\"A\" NIL \"a\" \"x.com\")(\"B\" NIL \"b\" \"y.com\"))")
    );
}

#[test]
fn gmail_sends_codes_without_text() {
    let Response::Status(st) = response(b"* OK [HIGHESTMODSEQ 715194045007]\r\n") else {
        panic!()
    };
    assert_eq!(st.condition, Condition::Ok);
    assert_eq!(
        st.code,
        Some(Code::HighestModSeq(
            std::num::NonZeroU64::new(715_194_045_007).unwrap()
        ))
    );
    assert_eq!(st.text.as_str(), "");
    // Sent back as received.
    assert_eq!(
        encode_resp(&Response::Status(st)),
        b"* OK [HIGHESTMODSEQ 715194045007]\r\n"
    );
    let Response::Status(st) = response(b"* OK [UIDVALIDITY 1]\r\n") else {
        panic!()
    };
    assert_eq!(
        (st.code, st.text.as_str()),
        (Some(Code::UidValidity(nz(1))), "")
    );
    let Response::Tagged(t) = response(b"a1 OK [READ-WRITE]\r\n") else {
        panic!()
    };
    assert_eq!((t.code, t.text.as_str()), (Some(Code::ReadWrite), ""));
    // A trailing space after the code is read the same way.
    let Response::Status(st) = response(b"* OK [ALERT] \r\n") else {
        panic!()
    };
    assert_eq!((st.code, st.text.as_str()), (Some(Code::Alert), ""));
    let Response::Tagged(t) = response(b"a2 OK\r\n") else {
        panic!()
    };
    assert_eq!((t.code, t.text.as_str()), (None, ""));
}

#[test]
fn continuation_request_with_no_text() {
    for line in [&b"+\r\n"[..], b"+ \r\n"] {
        let Response::Continue(c) = response(line) else {
            panic!()
        };
        assert_eq!((c.code, c.text.as_str()), (None, ""));
    }
    let Response::Continue(c) = response(b"+ [ALERT]\r\n") else {
        panic!()
    };
    assert_eq!(c.code, Some(Code::Alert));
}

#[test]
fn icloud_sends_nil_body_encoding() {
    let items = fetch_items(
        b"* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL NIL 12 1 NIL NIL NIL NIL))\r\n",
    );
    let MessageDataItem::BodyStructure(structure) = &items[0] else {
        panic!()
    };
    let BodyStructure::Single { body, .. } = structure.as_ref() else {
        panic!()
    };
    assert_eq!(body.encoding, s(""));
    // Sent back as an empty string, which the grammar allows.
    let out = encode_resp(&response(
        b"* 1 FETCH (BODY (\"TEXT\" \"PLAIN\" NIL NIL NIL NIL 12 1))\r\n",
    ));
    assert_eq!(
        out,
        b"* 1 FETCH (BODY (\"TEXT\" \"PLAIN\" NIL NIL NIL \"\" 12 1))\r\n"
    );
}

#[test]
fn mail_163_sends_an_empty_status_list() {
    assert_eq!(
        response(b"* STATUS INBOX ()\r\n"),
        Response::Data(Data::Status {
            mailbox: Mailbox::Inbox,
            items: vec![]
        })
    );
}

#[test]
fn wildcard_and_bracket_inside_flag_lists() {
    // `\*` belongs to PERMANENTFLAGS only; in FLAGS it carries no meaning and is skipped.
    assert_eq!(
        response(b"* FLAGS (\\Answered \\* $Forwarded])\r\n"),
        Response::Data(Data::Flags(vec![
            Flag::Answered,
            Flag::Keyword(keyword_with_bracket())
        ]))
    );
    let Response::Status(st) =
        response(b"* OK [PERMANENTFLAGS (\\Seen \\* Junk] NonJunk)] Limited\r\n")
    else {
        panic!()
    };
    let Some(Code::PermanentFlags(flags)) = st.code else {
        panic!()
    };
    assert_eq!(flags.len(), 4);
    assert_eq!(flags[1], FlagPerm::Wildcard);
    assert_eq!(st.text.as_str(), "Limited");
    let items = fetch_items(b"* 1 FETCH (FLAGS (\\Seen \\Recent \\*))\r\n");
    assert_eq!(
        items[0],
        MessageDataItem::Flags(vec![FlagFetch::Flag(Flag::Seen), FlagFetch::Recent])
    );
}

/// The keyword `$Forwarded]` as the lenient decoder reads it.
fn keyword_with_bracket() -> Atom {
    let Response::Data(Data::Flags(flags)) = response(b"* FLAGS ($Forwarded])\r\n") else {
        panic!()
    };
    let Flag::Keyword(k) = &flags[0] else {
        panic!()
    };
    assert_eq!(k.as_str(), "$Forwarded]");
    k.clone()
}

#[test]
fn eight_bit_bytes_inside_quoted_strings() {
    let line = "* LIST () \"/\" \"Entwürfe\"\r\n";
    let Response::Data(Data::List { mailbox, .. }) = response(line.as_bytes()) else {
        panic!()
    };
    assert_eq!(mailbox.as_bytes(), "Entwürfe".as_bytes());
    // The encoder does not put 8-bit bytes in a quoted string: it sends a literal.
    let out = encode_resp(&response(line.as_bytes()));
    assert_eq!(out, "* LIST () \"/\" {9}\r\nEntwürfe\r\n".as_bytes());
    let items = fetch_items(
        "* 1 FETCH (ENVELOPE (NIL \"Grüße\" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n".as_bytes(),
    );
    let MessageDataItem::Envelope(env) = &items[0] else {
        panic!()
    };
    assert_eq!(env.subject.as_ref().unwrap().as_str(), Some("Grüße"));
}

#[test]
fn trailing_space_after_search_results() {
    assert_eq!(
        response(b"* SEARCH 1 2 \r\n"),
        Response::Data(Data::Search {
            ids: vec![nz(1), nz(2)],
            modseq: None
        })
    );
}

#[test]
fn spaces_between_body_parts() {
    let items = fetch_items(
        b"* 1 FETCH (BODY ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1) (\"TEXT\" \"HTML\" NIL NIL NIL \"7BIT\" 1 1) \"ALTERNATIVE\"))\r\n",
    );
    let MessageDataItem::Body(structure) = &items[0] else {
        panic!()
    };
    let BodyStructure::Multi { bodies, .. } = structure.as_ref() else {
        panic!()
    };
    assert_eq!(bodies.len(), 2);
}

#[test]
fn empty_parameter_and_address_lists() {
    let items = fetch_items(
        b"* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" () NIL NIL \"7BIT\" 1 1 NIL (\"inline\" ()) NIL NIL) ENVELOPE (NIL NIL () NIL NIL NIL NIL NIL NIL NIL))\r\n",
    );
    let MessageDataItem::BodyStructure(structure) = &items[0] else {
        panic!()
    };
    let BodyStructure::Single { body, extension } = structure.as_ref() else {
        panic!()
    };
    assert!(body.params.is_empty());
    let dsp = extension.as_ref().unwrap().tail.as_ref().unwrap();
    assert_eq!(dsp.disposition.as_ref().unwrap().params, vec![]);
}

#[test]
fn a_malformed_known_code_is_read_as_text_and_survives_re_encoding() {
    // Found by fuzzing: `]` may sit in a keyword, so a broken PERMANENTFLAGS list must not
    // be read as an unknown code whose re-encoding parses as a well-formed one.
    let line = b"* OK [PERMANENTFLAGS (\\Del Me&&& e`t]\\eDel)] NTF&&&tL\xff\xffed\r\n";
    let Response::Status(st) = response(line) else {
        panic!()
    };
    assert_eq!(st.code, None);
    assert!(
        st.text
            .as_str()
            .starts_with("[PERMANENTFLAGS (\\Del Me&&& e`t]\\eDel)] NTF")
    );
    let again = encode_resp(&Response::Status(st.clone()));
    assert_eq!(response(&again), Response::Status(st));
}
