//! Every client command of the RFC 3501 examples.

mod common;

use common::*;
use mailwire_core::Secret;
use mailwire_imap::codec::{DecodeError, Decoded, Limits, decode_command};
use mailwire_imap::types::*;

fn body(input: &str) -> CommandBody {
    canonical_command(input.as_bytes()).body
}

#[test]
fn any_state_commands() {
    assert_eq!(body("abcd CAPABILITY\r\n"), CommandBody::Capability);
    assert_eq!(body("efgh STARTTLS\r\n"), CommandBody::StartTls);
    assert_eq!(body("a002 NOOP\r\n"), CommandBody::Noop);
    assert_eq!(body("A023 LOGOUT\r\n"), CommandBody::Logout);
}

#[test]
fn login_and_authenticate() {
    assert_eq!(
        body("a001 LOGIN SMITH SESAME\r\n"),
        CommandBody::Login {
            username: s("SMITH"),
            password: Secret::new(s("SESAME")),
        }
    );
    assert_eq!(
        body("a004 LOGIN joe password\r\n"),
        CommandBody::Login {
            username: s("joe"),
            password: Secret::new(s("password")),
        }
    );
    assert_eq!(
        body("A001 AUTHENTICATE GSSAPI\r\n"),
        CommandBody::Authenticate {
            mechanism: atom("GSSAPI"),
            initial_response: None,
        }
    );
}

#[test]
fn authenticate_continuation_lines() {
    use mailwire_imap::codec::{decode_authenticate_data, encode_authenticate_data};
    let line = b"YDMGCSqGSIb3EgECAgIBAAD/////3LQBHXTpFfZgrejpLlLImPwkhbfa2QteAQAgAG1yYwE=\r\n";
    let Decoded::Complete { value, consumed } =
        decode_authenticate_data(line, &Limits::default()).unwrap()
    else {
        panic!()
    };
    assert_eq!(consumed, line.len());
    let AuthenticateData::Response(bytes) = &value else {
        panic!()
    };
    assert_eq!(&bytes.expose()[..4], &[0x60, 0x33, 0x06, 0x09]);
    let mut out = Vec::new();
    encode_authenticate_data(&value, &mut out);
    assert_eq!(out, line);
    // An empty response (`C:` followed by nothing) and a cancellation.
    let empty = decode_authenticate_data(b"\r\n", &Limits::default()).unwrap();
    assert_eq!(
        empty,
        Decoded::Complete {
            value: AuthenticateData::Response(Secret::new(Vec::new())),
            consumed: 2
        }
    );
    let cancel = decode_authenticate_data(b"*\r\n", &Limits::default()).unwrap();
    assert_eq!(
        cancel,
        Decoded::Complete {
            value: AuthenticateData::Cancel,
            consumed: 3
        }
    );
    assert!(decode_authenticate_data(b"not base64!\r\n", &Limits::default()).is_err());
}

#[test]
fn mailbox_commands() {
    assert_eq!(
        body("A142 SELECT INBOX\r\n"),
        CommandBody::Select {
            mailbox: Mailbox::Inbox,
            condstore: false
        }
    );
    assert_eq!(
        body("A932 EXAMINE blurdybloop\r\n"),
        CommandBody::Examine {
            mailbox: Mailbox::new("blurdybloop").unwrap(),
            condstore: false
        }
    );
    assert_eq!(
        body("A003 CREATE owatagusiam/\r\n"),
        CommandBody::Create {
            mailbox: Mailbox::new("owatagusiam/").unwrap()
        }
    );
    body("A004 CREATE owatagusiam/blurdybloop\r\n");
    assert_eq!(
        body("A683 DELETE blurdybloop\r\n"),
        CommandBody::Delete {
            mailbox: Mailbox::new("blurdybloop").unwrap()
        }
    );
    body("A685 DELETE foo/bar\r\n");
    assert_eq!(
        body("A683 RENAME blurdybloop sarasoop\r\n"),
        CommandBody::Rename {
            from: Mailbox::new("blurdybloop").unwrap(),
            to: Mailbox::new("sarasoop").unwrap()
        }
    );
    assert_eq!(
        body("Z433 RENAME INBOX old-mail\r\n"),
        CommandBody::Rename {
            from: Mailbox::Inbox,
            to: Mailbox::new("old-mail").unwrap()
        }
    );
    assert_eq!(
        body("A002 SUBSCRIBE #news.comp.mail.mime\r\n"),
        CommandBody::Subscribe {
            mailbox: Mailbox::new("#news.comp.mail.mime").unwrap()
        }
    );
    body("A002 UNSUBSCRIBE #news.comp.mail.mime\r\n");
}

#[test]
fn list_and_lsub() {
    assert_eq!(
        body("A682 LIST \"\" *\r\n"),
        CommandBody::List {
            reference: Mailbox::new("").unwrap(),
            pattern: ListMailbox::new("*").unwrap()
        }
    );
    body("A86 LIST \"\" %\r\n");
    assert_eq!(
        body("A101 LIST \"\" \"\"\r\n"),
        CommandBody::List {
            reference: Mailbox::new("").unwrap(),
            pattern: ListMailbox::new("").unwrap()
        }
    );
    body("A102 LIST #news.comp.mail.misc \"\"\r\n");
    body("A103 LIST /usr/staff/jones \"\"\r\n");
    assert_eq!(
        body("A202 LIST ~/Mail/ %\r\n"),
        CommandBody::List {
            reference: Mailbox::new("~/Mail/").unwrap(),
            pattern: ListMailbox::new("%").unwrap()
        }
    );
    // The RFC quotes atoms here; the values survive, the quotes are not canonical.
    let c = stable_command(b"A002 LSUB \"#news.\" \"comp.mail.*\"\r\n");
    assert_eq!(
        c.body,
        CommandBody::Lsub {
            reference: Mailbox::new("#news.").unwrap(),
            pattern: ListMailbox::new("comp.mail.*").unwrap()
        }
    );
    assert_eq!(encode_cmd(&c), b"A002 LSUB #news. comp.mail.*\r\n");
    stable_command(b"A003 LSUB \"#news.\" \"comp.%\"\r\n");
}

#[test]
fn status() {
    assert_eq!(
        body("A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n"),
        CommandBody::Status {
            mailbox: Mailbox::new("blurdybloop").unwrap(),
            attributes: NonEmpty::from([StatusAttribute::UidNext, StatusAttribute::Messages])
        }
    );
}

const APPEND_MESSAGE: &str = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n\
From: Fred Foobar <foobar@Blurdybloop.COM>\r\n\
Subject: afternoon meeting\r\n\
To: mooch@owatagu.siam.edu\r\n\
Message-Id: <B27397-0100000@Blurdybloop.COM>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n\
Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

#[test]
fn append_with_a_synchronising_literal() {
    assert_eq!(APPEND_MESSAGE.len(), 310);
    let line = "A003 APPEND saved-messages (\\Seen) {310}\r\n";
    let limits = Limits::default();
    assert_eq!(
        decode_command(line.as_bytes(), &limits).unwrap(),
        Decoded::LiteralAnnounced {
            tag: Tag::new("A003").unwrap(),
            length: 310,
            position: line.len()
        }
    );
    let whole = format!("{line}{APPEND_MESSAGE}\r\n");
    assert_eq!(
        body(&whole),
        CommandBody::Append {
            mailbox: Mailbox::new("saved-messages").unwrap(),
            messages: NonEmpty::from([AppendMessage {
                flags: vec![Flag::Seen],
                date: None,
                data: APPEND_MESSAGE.as_bytes().to_vec()
            }])
        }
    );
}

#[test]
fn selected_state_commands() {
    assert_eq!(body("FXXZ CHECK\r\n"), CommandBody::Check);
    assert_eq!(body("A341 CLOSE\r\n"), CommandBody::Close);
    assert_eq!(body("A202 EXPUNGE\r\n"), CommandBody::Expunge);
    assert_eq!(
        body("A003 COPY 2:4 MEETING\r\n"),
        CommandBody::Copy {
            set: "2:4".parse().unwrap(),
            mailbox: Mailbox::new("MEETING").unwrap(),
            uid: false
        }
    );
}

#[test]
fn search() {
    let date = Date::new(1994, 2, 1).unwrap();
    assert_eq!(
        body("A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM Smith\r\n"),
        CommandBody::Search {
            charset: None,
            criteria: NonEmpty::from([
                SearchKey::Flagged,
                SearchKey::Since(date),
                SearchKey::Not(Box::new(SearchKey::From(s("Smith"))))
            ]),
            uid: false
        }
    );
    // As the RFC writes it, with "Smith" quoted.
    stable_command(b"A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n");
    assert_eq!(
        body("A283 SEARCH TEXT \"string not in mailbox\"\r\n"),
        CommandBody::Search {
            charset: None,
            criteria: NonEmpty::from([SearchKey::Text(s("string not in mailbox"))]),
            uid: false
        }
    );
    let utf8 = "A284 SEARCH CHARSET UTF-8 TEXT {6}\r\n\u{65e5}\u{672c}\r\n";
    assert_eq!(
        body(utf8),
        CommandBody::Search {
            charset: Some(Charset::new("UTF-8").unwrap()),
            criteria: NonEmpty::from([SearchKey::Text(s("日本"))]),
            uid: false
        }
    );
}

#[test]
fn every_search_key() {
    let line = "a SEARCH ALL ANSWERED BCC b BEFORE 1-Feb-1994 BODY x CC c DELETED DRAFT FLAGGED \
FROM f HEADER X-Y z KEYWORD $k LARGER 10 NEW NOT SEEN OLD ON 2-Feb-1994 OR SEEN (UNSEEN 1:5) \
RECENT SEEN SENTBEFORE 3-Feb-1994 SENTON 4-Feb-1994 SENTSINCE 5-Feb-1994 SINCE 6-Feb-1994 \
SMALLER 20 SUBJECT \"a b\" TEXT t TO u UID 3:*,7 UNANSWERED UNDELETED UNDRAFT UNFLAGGED \
UNKEYWORD $j UNSEEN 2,4:7,9,12:* MODSEQ 620162338\r\n";
    let CommandBody::Search { criteria, .. } = body(line) else {
        panic!()
    };
    assert_eq!(criteria.len(), 37);
    assert_eq!(criteria[10], SearchKey::Header(s("X-Y"), s("z")));
    assert_eq!(
        criteria[17],
        SearchKey::Or(
            Box::new(SearchKey::Seen),
            Box::new(SearchKey::And(NonEmpty::from([
                SearchKey::Unseen,
                SearchKey::SequenceSet("1:5".parse().unwrap())
            ])))
        )
    );
    assert_eq!(
        criteria[35],
        SearchKey::SequenceSet("2,4:7,9,12:*".parse().unwrap())
    );
    assert_eq!(criteria[36], SearchKey::ModSeq(620_162_338));
}

#[test]
fn fetch() {
    assert_eq!(
        body("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n"),
        CommandBody::Fetch {
            set: "2:4".parse().unwrap(),
            items: FetchItems::Attributes(NonEmpty::from([
                FetchAttribute::Flags,
                FetchAttribute::BodySection {
                    peek: false,
                    section: Section::new(
                        vec![],
                        Some(SectionText::HeaderFields(NonEmpty::from([
                            s("DATE"),
                            s("FROM")
                        ])))
                    )
                    .unwrap(),
                    partial: None
                }
            ])),
            changed_since: None,
            uid: false
        }
    );
    assert_eq!(
        body("A999 UID FETCH 4827313:4828442 FLAGS\r\n"),
        CommandBody::Fetch {
            set: "4827313:4828442".parse().unwrap(),
            items: FetchItems::Attributes(NonEmpty::from([FetchAttribute::Flags])),
            changed_since: None,
            uid: true
        }
    );
    for (m, items) in [
        ("ALL", FetchItems::All),
        ("FAST", FetchItems::Fast),
        ("FULL", FetchItems::Full),
    ] {
        let CommandBody::Fetch { items: got, .. } = body(&format!("a FETCH 1 {m}\r\n")) else {
            panic!()
        };
        assert_eq!(got, items);
    }
}

#[test]
fn every_fetch_attribute() {
    let line = "a FETCH 1:* (ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE \
RFC822.TEXT BODY BODYSTRUCTURE UID BODY[] BODY.PEEK[HEADER] BODY[TEXT]<0.2048> \
BODY[1.2.MIME] BODY[4.2.HEADER.FIELDS.NOT (SUBJECT \"X Y\")] BODY[3] BODY.PEEK[1.TEXT]<5.10> \
BINARY[1.2] BINARY.PEEK[]<0.100> BINARY.SIZE[3] MODSEQ)\r\n";
    let CommandBody::Fetch {
        items: FetchItems::Attributes(atts),
        ..
    } = body(line)
    else {
        panic!()
    };
    assert_eq!(atts.len(), 21);
    assert_eq!(
        atts[12],
        FetchAttribute::BodySection {
            peek: false,
            section: Section::new(vec![], Some(SectionText::Text)).unwrap(),
            partial: Some(Partial {
                offset: 0,
                length: nz(2048)
            })
        }
    );
    assert_eq!(
        atts[13],
        FetchAttribute::BodySection {
            peek: false,
            section: Section::new(vec![1, 2], Some(SectionText::Mime)).unwrap(),
            partial: None
        }
    );
    assert_eq!(
        atts[17],
        FetchAttribute::Binary {
            peek: false,
            part: vec![1, 2],
            partial: None
        }
    );
}

#[test]
fn store() {
    assert_eq!(
        body("A003 STORE 2:4 +FLAGS (\\Deleted)\r\n"),
        CommandBody::Store {
            set: "2:4".parse().unwrap(),
            kind: StoreKind::Add,
            silent: false,
            flags: vec![Flag::Deleted],
            unchanged_since: None,
            uid: false
        }
    );
    body("a STORE 1 -FLAGS.SILENT (\\Seen $Junk)\r\n");
    body("a UID STORE 1,3 FLAGS ()\r\n");
}

#[test]
fn literals_announced_one_at_a_time() {
    let limits = Limits::default();
    let first = b"A001 LOGIN {11}\r\n";
    assert_eq!(
        decode_command(first, &limits).unwrap(),
        Decoded::LiteralAnnounced {
            tag: Tag::new("A001").unwrap(),
            length: 11,
            position: first.len()
        }
    );
    let second = b"A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\n";
    assert_eq!(
        decode_command(second, &limits).unwrap(),
        Decoded::LiteralAnnounced {
            tag: Tag::new("A001").unwrap(),
            length: 7,
            position: second.len()
        }
    );
    assert_eq!(
        decode_command(b"A001 LOGIN {11}\r\nFRED", &limits).unwrap(),
        Decoded::Incomplete
    );
    let whole = b"A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n";
    // Re-encoded, both strings fit quoted strings.
    let c = stable_command(whole);
    assert_eq!(
        encode_cmd(&c),
        b"A001 LOGIN \"FRED FOOBAR\" \"fat man\"\r\n"
    );
    assert_eq!(
        c.body,
        CommandBody::Login {
            username: s("FRED FOOBAR"),
            password: Secret::new(s("fat man"))
        }
    );
}

#[test]
fn unknown_command_is_refused_before_its_literal() {
    let err = decode_command(b"A044 BLURDYBLOOP {102856}\r\n", &Limits::default()).unwrap_err();
    assert_eq!(
        err,
        DecodeError::Syntax {
            tag: Some(Tag::new("A044").unwrap()),
            offset: 5,
            reason: "unknown command",
            skip: 27
        }
    );
}

#[test]
fn sample_session_commands() {
    // RFC 3501 §8 writes commands in lower case; they decode to the same values.
    assert_eq!(
        command(b"a001 login mrc secret\r\n").body,
        CommandBody::Login {
            username: s("mrc"),
            password: Secret::new(s("secret"))
        }
    );
    assert_eq!(
        command(b"a002 select inbox\r\n").body,
        CommandBody::Select {
            mailbox: Mailbox::Inbox,
            condstore: false
        }
    );
    assert_eq!(
        command(b"a003 fetch 12 full\r\n").body,
        CommandBody::Fetch {
            set: "12".parse().unwrap(),
            items: FetchItems::Full,
            changed_since: None,
            uid: false
        }
    );
    let CommandBody::Fetch { items, .. } = command(b"a004 fetch 12 body[header]\r\n").body else {
        panic!()
    };
    assert_eq!(
        items,
        FetchItems::Attributes(NonEmpty::from([FetchAttribute::BodySection {
            peek: false,
            section: Section::new(vec![], Some(SectionText::Header)).unwrap(),
            partial: None
        }]))
    );
    assert_eq!(
        command(b"a005 store 12 +flags \\deleted\r\n").body,
        CommandBody::Store {
            set: "12".parse().unwrap(),
            kind: StoreKind::Add,
            silent: false,
            flags: vec![Flag::Deleted],
            unchanged_since: None,
            uid: false
        }
    );
    assert_eq!(command(b"a006 logout\r\n").body, CommandBody::Logout);
}

#[test]
fn invalid_commands_report_tag_offset_and_length() {
    let l = Limits::default();
    let cases: [(&[u8], Option<&str>, usize, &str); 6] = [
        (b"a1 NOOP extra\r\n", Some("a1"), 7, "end of line expected"),
        (b"a1 FROB\r\n", Some("a1"), 7, "unknown command"),
        (
            b"a1 LOGIN \"unterminated\r\n",
            Some("a1"),
            22,
            "line break or NUL in quoted string",
        ),
        (
            b"a1 FETCH 0 FLAGS\r\n",
            Some("a1"),
            9,
            "sequence set expected",
        ),
        (b"+1 NOOP\r\n", None, 0, "tag expected"),
        (b"a1 SEARCH NOT NOT\r\n", Some("a1"), 17, "space expected"),
    ];
    for (input, tag, offset, reason) in cases {
        let err = decode_command(input, &l).unwrap_err();
        let DecodeError::Syntax {
            tag: got_tag,
            offset: got_offset,
            reason: got_reason,
            skip,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(got_tag.as_ref().map(Tag::as_str), tag, "{err:?}");
        assert_eq!(
            (*got_offset, *got_reason),
            (offset, reason),
            "{:?}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(*skip, input.len());
    }
}
