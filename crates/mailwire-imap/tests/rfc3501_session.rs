//! The sample connection of RFC 3501 §8, as one byte stream per direction.

mod common;

use common::*;
use mailwire_imap::codec::{Decoded, Limits, decode_command, decode_greeting, decode_response};
use mailwire_imap::types::*;

const HEADER: &str = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
From: Terry Gray <gray@cac.washington.edu>\r\n\
Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
To: imap@cac.washington.edu\r\n\
cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n";

fn server_stream() -> Vec<u8> {
    let lines = [
        "a001 OK LOGIN completed",
        "* 18 EXISTS",
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        "* 2 RECENT",
        "* OK [UNSEEN 17] Message 17 is the first unseen message",
        "* OK [UIDVALIDITY 3857529045] UIDs valid",
        "a002 OK [READ-WRITE] SELECT completed",
        "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
\"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")\
(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
\"<B27397-0100000@cac.washington.edu>\") \
BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))",
        "a003 OK FETCH completed",
        &format!("* 12 FETCH (BODY[HEADER] {{342}}\r\n{HEADER})"),
        "a004 OK FETCH completed",
        "* 12 FETCH (FLAGS (\\Seen \\Deleted))",
        "a005 OK +FLAGS completed",
        "* BYE IMAP4rev1 server terminating connection",
        "a006 OK LOGOUT completed",
    ];
    let mut out = b"* OK IMAP4rev1 Service Ready\r\n".to_vec();
    for l in lines {
        out.extend_from_slice(l.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

const CLIENT: &str = "a001 login mrc secret\r\na002 select inbox\r\na003 fetch 12 full\r\n\
a004 fetch 12 body[header]\r\na005 store 12 +flags \\deleted\r\na006 logout\r\n";

/// Decodes a stream fed `chunk` bytes at a time, as a client reading a socket would.
fn decode_server(stream: &[u8], chunk: usize) -> (Greeting, Vec<Response>) {
    let limits = Limits::default();
    let mut buf = Vec::new();
    let mut fed = 0;
    let mut greeting = None;
    let mut out = Vec::new();
    loop {
        if greeting.is_none() {
            if let Decoded::Complete { value, consumed } = decode_greeting(&buf, &limits).unwrap() {
                greeting = Some(value);
                buf.drain(..consumed);
                continue;
            }
        } else if let Decoded::Complete { value, consumed } =
            decode_response(&buf, &limits).unwrap()
        {
            out.push(value);
            buf.drain(..consumed);
            continue;
        }
        if fed == stream.len() {
            break;
        }
        let end = (fed + chunk).min(stream.len());
        buf.extend_from_slice(&stream[fed..end]);
        fed = end;
    }
    assert!(
        buf.is_empty(),
        "left over: {:?}",
        String::from_utf8_lossy(&buf)
    );
    (greeting.unwrap(), out)
}

#[test]
fn server_side_of_the_sample_session() {
    let stream = server_stream();
    let (greeting, responses) = decode_server(&stream, stream.len());
    assert_eq!(greeting.condition, Condition::Ok);
    assert_eq!(greeting.text.as_str(), "IMAP4rev1 Service Ready");
    assert_eq!(responses.len(), 15);
    assert_eq!(responses[1], Response::Data(Data::Exists(18)));
    assert_eq!(responses[3], Response::Data(Data::Recent(2)));
    let Response::Data(Data::Fetch { items, .. }) = &responses[9] else {
        panic!()
    };
    assert_eq!(
        items[0],
        MessageDataItem::BodySection {
            section: Section::new(vec![], Some(SectionText::Header)).unwrap(),
            origin: None,
            data: Some(s(HEADER)),
        }
    );
    assert_eq!(
        responses[11],
        Response::Data(Data::Fetch {
            seq: nz(12),
            items: NonEmpty::from([MessageDataItem::Flags(vec![
                FlagFetch::Flag(Flag::Seen),
                FlagFetch::Flag(Flag::Deleted)
            ])])
        })
    );
    let tags: Vec<_> = responses
        .iter()
        .filter_map(|r| match r {
            Response::Tagged(t) => Some(t.tag.as_str().to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(tags, ["a001", "a002", "a003", "a004", "a005", "a006"]);

    // Re-encoding every response reproduces the stream byte for byte.
    let mut again = b"* OK IMAP4rev1 Service Ready\r\n".to_vec();
    for r in &responses {
        again.extend_from_slice(&encode_resp(r));
    }
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(&stream)
    );
}

#[test]
fn any_split_of_the_server_stream_gives_the_same_responses() {
    let stream = server_stream();
    let whole = decode_server(&stream, stream.len());
    for chunk in [1, 2, 3, 7, 64, 333] {
        assert_eq!(decode_server(&stream, chunk), whole, "chunks of {chunk}");
    }
}

#[test]
fn client_side_of_the_sample_session() {
    let mut input = CLIENT.as_bytes();
    let mut names = Vec::new();
    while !input.is_empty() {
        let Decoded::Complete { value, consumed } =
            decode_command(input, &Limits::default()).unwrap()
        else {
            panic!()
        };
        names.push(value.body.name());
        input = &input[consumed..];
    }
    assert_eq!(
        names,
        ["LOGIN", "SELECT", "FETCH", "FETCH", "STORE", "LOGOUT"]
    );
}
