//! The examples of the extension RFCs: IDLE, NAMESPACE, ID, CHILDREN, MULTIAPPEND,
//! UNSELECT, UIDPLUS, SASL-IR, ENABLE, CONDSTORE, MOVE, SPECIAL-USE, LITERAL+/-, BINARY.

mod common;

use common::*;
use mailwire_core::Secret;
use mailwire_imap::codec::{
    Decoded, Fragment, Limits, LiteralMode, decode_command, decode_idle_done, encode_command,
    encode_done,
};
use mailwire_imap::types::*;

fn canonical(lines: &[&str]) {
    for line in lines {
        canonical_response(format!("{line}\r\n").as_bytes());
    }
}

#[test]
fn idle_rfc2177() {
    assert_eq!(canonical_command(b"A002 IDLE\r\n").body, CommandBody::Idle);
    assert_eq!(
        decode_idle_done(b"DONE\r\n", &Limits::default()).unwrap(),
        Decoded::Complete {
            value: (),
            consumed: 6
        }
    );
    assert_eq!(
        decode_idle_done(b"done\r\n", &Limits::default()).unwrap(),
        Decoded::Complete {
            value: (),
            consumed: 6
        }
    );
    assert_eq!(
        decode_idle_done(b"DON", &Limits::default()).unwrap(),
        Decoded::Incomplete
    );
    assert!(decode_idle_done(b"DONE NOW\r\n", &Limits::default()).is_err());
    let mut out = Vec::new();
    encode_done(&mut out);
    assert_eq!(out, b"DONE\r\n");
    canonical(&[
        "+ idling",
        "* 4 EXISTS",
        "A002 OK IDLE terminated",
        "* 0 RECENT",
    ]);
    // `* FLAGS (Deleted Seen)` in RFC 2177 lists keywords, not system flags.
    assert_eq!(
        canonical_response(b"* FLAGS (Deleted Seen)\r\n"),
        Response::Data(Data::Flags(vec![
            Flag::Keyword(atom("Deleted")),
            Flag::Keyword(atom("Seen"))
        ]))
    );
}

#[test]
fn namespace_rfc2342() {
    assert_eq!(
        canonical_command(b"A001 NAMESPACE\r\n").body,
        CommandBody::Namespace
    );
    canonical(&[
        "* NAMESPACE ((\"\" \"/\")) NIL NIL",
        "* NAMESPACE NIL NIL ((\"\" \".\"))",
        "* NAMESPACE ((\"\" \"/\")) NIL ((\"Public Folders/\" \"/\"))",
        "* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")\
(\"#public/\" \"/\")(\"#ftp/\" \"/\")(\"#news.\" \".\"))",
        "* NAMESPACE ((\"\" \"/\")(\"#mh/\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) NIL NIL",
        "A001 OK NAMESPACE command completed",
        "* LIST () \"/\" \"Other Users/Mike\"",
    ]);
    let Response::Data(Data::Namespace {
        personal,
        other,
        shared,
    }) = canonical_response(
        b"* NAMESPACE ((\"\" \"/\")(\"#mh/\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) NIL NIL\r\n",
    )
    else {
        panic!()
    };
    assert_eq!((other, shared), (vec![], vec![]));
    assert_eq!(personal[1].prefix, s("#mh/"));
    assert_eq!(
        personal[1].extensions,
        vec![(s("X-PARAM"), NonEmpty::from([s("FLAG1"), s("FLAG2")]))]
    );
    // RFC 2342 example 5.5 has two spaces before the last NIL; that is tolerated.
    stable_response(b"* NAMESPACE ((\"INBOX.\" \".\")) NIL  NIL\r\n");
    assert_eq!(
        canonical_command(b"A002 CREATE \"INBOX.Sent Mail\"\r\n").body,
        CommandBody::Create {
            mailbox: Mailbox::new("INBOX.Sent Mail").unwrap()
        }
    );
}

#[test]
fn id_rfc2971() {
    let c = canonical_command(
        b"a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" \"Pink Floyd Music Limited\")\r\n",
    );
    let CommandBody::Id {
        parameters: Some(p),
    } = c.body
    else {
        panic!()
    };
    assert_eq!(p[2], (s("vendor"), Some(s("Pink Floyd Music Limited"))));
    assert_eq!(
        canonical_command(b"a042 ID NIL\r\n").body,
        CommandBody::Id { parameters: None }
    );
    assert_eq!(
        canonical_response(b"* ID NIL\r\n"),
        Response::Data(Data::Id { parameters: None })
    );
    let Response::Data(Data::Id {
        parameters: Some(p),
    }) = canonical_response(
        b"* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"os\" \"sunos\" \"os-version\" \"5.5\" \
\"support-url\" \"mailto:cyrus-bugs+@andrew.cmu.edu\")\r\n",
    )
    else {
        panic!()
    };
    assert_eq!(p.len(), 5);
    assert_eq!(p[4].1, Some(s("mailto:cyrus-bugs+@andrew.cmu.edu")));
}

#[test]
fn children_rfc3348_and_special_use_rfc6154() {
    assert_eq!(
        canonical_response(b"* LIST (\\HasChildren) \"/\" ITEM_1\r\n"),
        Response::Data(Data::List {
            attributes: vec![MailboxAttribute::HasChildren],
            delimiter: Some(Delimiter::new('/').unwrap()),
            mailbox: Mailbox::new("ITEM_1").unwrap()
        })
    );
    canonical(&[
        "* LIST (\\HasNoChildren) \"/\" INBOX",
        "* LIST (\\HasNoChildren) \"/\" ITEM_1/ITEM_1A",
    ]);
    // RFC 6154 §5 examples.
    let Response::Data(Data::List { attributes, .. }) =
        canonical_response(b"* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n")
    else {
        panic!()
    };
    assert_eq!(
        attributes,
        vec![MailboxAttribute::HasNoChildren, MailboxAttribute::Drafts]
    );
    for (name, attr) in [
        ("All", MailboxAttribute::All),
        ("Archive", MailboxAttribute::Archive),
        ("Flagged", MailboxAttribute::Flagged),
        ("Junk", MailboxAttribute::Junk),
        ("Sent", MailboxAttribute::Sent),
        ("Trash", MailboxAttribute::Trash),
    ] {
        let line = format!("* LIST (\\Marked \\{name}) \"/\" x\r\n");
        let Response::Data(Data::List { attributes, .. }) = canonical_response(line.as_bytes())
        else {
            panic!()
        };
        assert_eq!(attributes, vec![MailboxAttribute::Marked, attr]);
    }
    canonical(&[
        "* LIST (\\Noinferiors \\Unmarked \\NonExistent \\Subscribed \\Remote \\X-Foo) NIL \"\"",
    ]);
}

const MSG1: &str = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n\
From: Fred Foobar <foobar@Blurdybloop.example.COM>\r\n\
Subject: afternoon meeting\r\n\
To: mooch@owatagu.example.net\r\n\
Message-Id: <B27397-0100000@Blurdybloop.example.COM>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n\
Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

const MSG2: &str = "Date: Mon, 7 Feb 1994 22:43:04 -0800 (PST)\r\n\
From: Joe Mooch <mooch@OWaTaGu.example.net>\r\n\
Subject: Re: afternoon meeting\r\n\
To: foobar@blurdybloop.example.com\r\n\
Message-Id: <a0434793874930@OWaTaGu.example.net>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n\
3:30 is fine with me.\r\n";

#[test]
fn multiappend_rfc3502() {
    assert_eq!((MSG1.len(), MSG2.len()), (329, 295));
    let wire = format!(
        "A003 APPEND saved-messages (\\Seen) {{329}}\r\n{MSG1} (\\Seen) \" 7-Feb-1994 22:43:04 -0800\" {{295}}\r\n{MSG2}\r\n"
    );
    let limits = Limits::default();
    let second_announcement = wire.find("{295}\r\n").unwrap() + 7;
    assert_eq!(
        decode_command(&wire.as_bytes()[..second_announcement], &limits).unwrap(),
        Decoded::LiteralAnnounced {
            tag: Tag::new("A003").unwrap(),
            length: 295,
            position: second_announcement
        }
    );
    let c = canonical_command(wire.as_bytes());
    let date = DateTime::new(Date::new(1994, 2, 7).unwrap(), 22, 43, 4, -480).unwrap();
    assert_eq!(
        c.body,
        CommandBody::Append {
            mailbox: Mailbox::new("saved-messages").unwrap(),
            messages: NonEmpty::from([
                AppendMessage {
                    flags: vec![Flag::Seen],
                    date: None,
                    data: MSG1.as_bytes().to_vec()
                },
                AppendMessage {
                    flags: vec![Flag::Seen],
                    date: Some(date),
                    data: MSG2.as_bytes().to_vec()
                },
            ])
        }
    );
    // The client sends it in five pieces, waiting for `+` before each literal.
    let encoded = encode_command(&c, LiteralMode::Sync);
    let pieces: Vec<_> = encoded.fragments().collect();
    assert_eq!(pieces.len(), 5);
    assert_eq!(
        pieces[0],
        Fragment::Line(b"A003 APPEND saved-messages (\\Seen) {329}\r\n")
    );
    assert_eq!(
        pieces[1],
        Fragment::Literal {
            data: MSG1.as_bytes(),
            sync: true
        }
    );
    assert_eq!(
        pieces[2],
        Fragment::Line(b" (\\Seen) \" 7-Feb-1994 22:43:04 -0800\" {295}\r\n")
    );
    assert_eq!(pieces[4], Fragment::Line(b"\r\n"));
    canonical(&[
        "A004 NO [TRYCREATE] No such mailbox as bogusname",
        "A005 NO APPEND failed: Disk quota exceeded",
    ]);
}

#[test]
fn literal_plus_and_minus_rfc7888() {
    let c = Command::new(
        Tag::new("A001").unwrap(),
        CommandBody::Login {
            username: s("FRED FOOBAR"),
            password: Secret::new(s("fat\nman")),
        },
    );
    let plus = encode_command(&c, LiteralMode::Plus);
    assert_eq!(
        plus.as_bytes(),
        b"A001 LOGIN \"FRED FOOBAR\" {7+}\r\nfat\nman\r\n"
    );
    assert!(
        plus.fragments()
            .all(|f| !matches!(f, Fragment::Literal { sync: true, .. }))
    );
    // A server decodes a non-synchronising literal without announcing it.
    assert_eq!(
        decode_command(b"A001 LOGIN \"FRED FOOBAR\" {7+}\r\n", &Limits::default()).unwrap(),
        Decoded::Incomplete
    );
    assert_eq!(command(plus.as_bytes()), c);
    let big = vec![b'x'; 5000];
    let append = Command::new(
        Tag::new("a").unwrap(),
        CommandBody::Append {
            mailbox: Mailbox::Inbox,
            messages: NonEmpty::from([
                AppendMessage {
                    flags: vec![],
                    date: None,
                    data: b"small".to_vec(),
                },
                AppendMessage {
                    flags: vec![],
                    date: None,
                    data: big,
                },
            ]),
        },
    );
    let minus = encode_command(&append, LiteralMode::Minus);
    let head = b"a APPEND INBOX {5+}\r\nsmall {5000}\r\n";
    assert_eq!(&minus.as_bytes()[..head.len()], head);
    assert_eq!(command(minus.as_bytes()), append);
}

#[test]
fn unselect_rfc3691() {
    assert_eq!(
        canonical_command(b"A341 UNSELECT\r\n").body,
        CommandBody::Unselect
    );
    canonical(&["A341 OK Unselect completed"]);
}

#[test]
fn uidplus_rfc4315() {
    assert_eq!(
        canonical_command(b"A003 UID EXPUNGE 3000:3002\r\n").body,
        CommandBody::UidExpunge {
            uids: "3000:3002".parse().unwrap()
        }
    );
    assert_eq!(
        canonical_response(b"A003 OK [APPENDUID 38505 3955] APPEND completed\r\n"),
        Response::Tagged(Tagged {
            tag: Tag::new("A003").unwrap(),
            completion: Completion::Ok,
            code: Some(Code::AppendUid {
                uid_validity: nz(38505),
                uids: "3955".parse().unwrap()
            }),
            text: Text::new("APPEND completed").unwrap()
        })
    );
    let Response::Tagged(t) =
        canonical_response(b"A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n")
    else {
        panic!()
    };
    assert_eq!(
        t.code,
        Some(Code::CopyUid {
            uid_validity: nz(38505),
            source: "304,319:320".parse().unwrap(),
            destination: "3956:3958".parse().unwrap()
        })
    );
    canonical_command(b"A005 UID COPY 305:310 meeting\r\n");
    canonical(&[
        "* OK [UIDVALIDITY 3857529045] Validity session-only",
        "* NO [UIDNOTSTICKY] Non-persistent UIDs",
        "* OK [PERMANENTFLAGS (\\Deleted \\Seen)] Limited",
    ]);
}

#[test]
fn sasl_ir_rfc4959() {
    assert_eq!(
        canonical_command(b"A01 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n").body,
        CommandBody::Authenticate {
            mechanism: atom("PLAIN"),
            initial_response: Some(Secret::new(b"test\0test\0test".to_vec()))
        }
    );
    assert_eq!(
        canonical_command(b"A01 AUTHENTICATE EXTERNAL =\r\n").body,
        CommandBody::Authenticate {
            mechanism: atom("EXTERNAL"),
            initial_response: Some(Secret::new(Vec::new()))
        }
    );
    let Response::Data(Data::Capability(caps)) =
        canonical_response(b"* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=EXTERNAL\r\n")
    else {
        panic!()
    };
    assert_eq!(
        caps,
        vec![
            Capability::Imap4Rev1,
            Capability::SaslIr,
            Capability::Auth(atom("PLAIN")),
            Capability::Auth(atom("EXTERNAL"))
        ]
    );
    canonical(&["A01 OK Success (tls protection)"]);
}

#[test]
fn enable_rfc5161() {
    assert_eq!(
        canonical_command(b"t2 ENABLE CONDSTORE X-GOOD-IDEA\r\n").body,
        CommandBody::Enable {
            capabilities: NonEmpty::from([
                Capability::CondStore,
                Capability::Other(atom("X-GOOD-IDEA"))
            ])
        }
    );
    assert_eq!(
        canonical_response(b"* ENABLED X-GOOD-IDEA\r\n"),
        Response::Data(Data::Enabled {
            capabilities: vec![Capability::Other(atom("X-GOOD-IDEA"))]
        })
    );
    canonical(&[
        "* CAPABILITY IMAP4rev1 ID LITERAL+ ENABLE X-GOOD-IDEA",
        "* ENABLED CONDSTORE",
        "a1 OK Conditional Store enabled",
        "* ENABLED",
    ]);
}

#[test]
fn condstore_rfc7162() {
    assert_eq!(
        canonical_command(
            b"a103 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)\r\n"
        )
        .body,
        CommandBody::Store {
            set: "6,4,8".parse().unwrap(),
            kind: StoreKind::Add,
            silent: true,
            flags: vec![Flag::Deleted],
            unchanged_since: Some(12_121_230_045),
            uid: true
        }
    );
    canonical_command(b"a102 STORE 12 (UNCHANGEDSINCE 0) +FLAGS.SILENT ($MDNSent)\r\n");
    assert_eq!(
        stable_command(b"s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n").body,
        CommandBody::Fetch {
            set: "1:*".parse().unwrap(),
            items: FetchItems::Attributes(NonEmpty::from([FetchAttribute::Flags])),
            changed_since: Some(std::num::NonZeroU64::new(12345).unwrap()),
            uid: true
        }
    );
    assert_eq!(
        canonical_command(b"a SELECT INBOX (CONDSTORE)\r\n").body,
        CommandBody::Select {
            mailbox: Mailbox::Inbox,
            condstore: true
        }
    );
    canonical_command(b"a STATUS blurdybloop (MESSAGES HIGHESTMODSEQ)\r\n");
    canonical_command(b"a SEARCH MODSEQ 620162338\r\n");
    stable_command(b"a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n");
    assert_eq!(
        canonical_response(b"* 1 FETCH (UID 4 MODSEQ (12121231000))\r\n"),
        Response::Data(Data::Fetch {
            seq: nz(1),
            items: NonEmpty::from([
                MessageDataItem::Uid(nz(4)),
                MessageDataItem::ModSeq(std::num::NonZeroU64::new(12_121_231_000).unwrap())
            ])
        })
    );
    canonical(&[
        "* OK [HIGHESTMODSEQ 715194045007] Highest",
        "* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences",
        "d105 OK [MODIFIED 7,9] Conditional STORE failed",
        "* 7 FETCH (MODSEQ (320162342) FLAGS (\\Seen \\Deleted))",
        "* STATUS blurdybloop (MESSAGES 231 HIGHESTMODSEQ 7011231777)",
        "* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)",
        "* OK [CLOSED] Previous mailbox closed",
    ]);
}

#[test]
fn move_rfc6851() {
    assert_eq!(
        canonical_command(b"a UID MOVE 42:69 foo\r\n").body,
        CommandBody::Move {
            set: "42:69".parse().unwrap(),
            mailbox: Mailbox::new("foo").unwrap(),
            uid: true
        }
    );
    canonical_command(b"a MOVE 2:4 meeting\r\n");
    canonical(&[
        "* OK [COPYUID 432432 42:69 1202:1229] Moved",
        "* 22 EXPUNGE",
        "a OK Move completed",
    ]);
}

#[test]
fn binary_literal8_rfc3516() {
    let data = b"bin\0ary".to_vec();
    let wire = b"a APPEND INBOX ~{7}\r\nbin\0ary\r\n";
    let c = canonical_command(wire);
    let CommandBody::Append { messages, .. } = &c.body else {
        panic!()
    };
    assert_eq!(messages[0].data, data);
    assert!(decode_command(b"a APPEND INBOX {7}\r\nbin\0ary\r\n", &Limits::default()).is_err());
    let r = canonical_response(b"* 1 FETCH (BINARY[1]<0> ~{3}\r\na\0b BINARY.SIZE[1] 3)\r\n");
    assert_eq!(
        r,
        Response::Data(Data::Fetch {
            seq: nz(1),
            items: NonEmpty::from([
                MessageDataItem::Binary {
                    part: vec![1],
                    origin: Some(0),
                    data: Some(b"a\0b".to_vec())
                },
                MessageDataItem::BinarySize {
                    part: vec![1],
                    size: 3
                }
            ])
        })
    );
}

#[test]
fn mailbox_names_in_modified_utf7() {
    let c = canonical_command(b"a CREATE ~peter/mail/&U,BTFw-/&ZeVnLIqe-\r\n");
    let CommandBody::Create { mailbox } = c.body else {
        panic!()
    };
    assert_eq!(mailbox.to_utf8().unwrap(), "~peter/mail/台北/日本語");
    assert_eq!(
        mailbox,
        Mailbox::from_utf8("~peter/mail/台北/日本語").unwrap()
    );
}

fn other_item(name: &str, value: &[u8]) -> MessageDataItem {
    MessageDataItem::Other(
        OtherItem::new(Atom::new(name).unwrap(), RawValue::new(value).unwrap()).unwrap(),
    )
}

#[test]
fn gmail_fetch_items_are_kept_as_sent() {
    // The shape of Gmail's IMAP extensions: X-GM-THRID and X-GM-MSGID are 64-bit numbers,
    // X-GM-LABELS a list of flags, atoms and strings.
    let line = b"* 1 FETCH (X-GM-THRID 1278455344230334865 X-GM-MSGID 1278455344230334866 \
X-GM-LABELS (\\Inbox \\Sent Important \"Muy Importante\") UID 4)\r\n";
    let r = stable_response(line);
    assert_eq!(
        r,
        Response::Data(Data::Fetch {
            seq: nz(1),
            items: NonEmpty::from([
                other_item("X-GM-THRID", b"1278455344230334865"),
                other_item("X-GM-MSGID", b"1278455344230334866"),
                other_item(
                    "X-GM-LABELS",
                    b"(\\Inbox \\Sent Important \"Muy Importante\")"
                ),
                MessageDataItem::Uid(nz(4)),
            ]),
        })
    );
    assert_eq!(encode_resp(&r), line);
    let Response::Data(Data::Fetch { items, .. }) = &r else {
        unreachable!()
    };
    let MessageDataItem::Other(msgid) = &items[1] else {
        unreachable!()
    };
    assert_eq!(msgid.value().as_number(), Some(1_278_455_344_230_334_866));
}

#[test]
fn gmail_labels_with_literals_and_none() {
    let line = b"* 2 FETCH (X-GM-LABELS ({5}\r\nfo\r\no \\Starred) FLAGS (\\Seen))\r\n";
    let r = stable_response(line);
    assert_eq!(
        r,
        Response::Data(Data::Fetch {
            seq: nz(2),
            items: NonEmpty::from([
                other_item("X-GM-LABELS", b"({5}\r\nfo\r\no \\Starred)"),
                MessageDataItem::Flags(vec![FlagFetch::Flag(Flag::Seen)]),
            ]),
        })
    );
    assert_eq!(encode_resp(&r), line);
    let empty = stable_response(b"* 3 FETCH (X-GM-LABELS () UID 9)\r\n");
    assert_eq!(
        empty,
        Response::Data(Data::Fetch {
            seq: nz(3),
            items: NonEmpty::from([
                other_item("X-GM-LABELS", b"()"),
                MessageDataItem::Uid(nz(9)),
            ]),
        })
    );
}

#[test]
fn unknown_untagged_responses_keep_their_text() {
    let other = |number, name: &str, rest: &[u8]| {
        Response::Data(Data::Other(
            OtherData::new(
                number,
                Atom::new(name).unwrap(),
                Unparsed::new(rest).unwrap(),
            )
            .unwrap(),
        ))
    };
    for (line, expected) in [
        (&b"* XFOO 1 2 3\r\n"[..], other(None, "XFOO", b"1 2 3")),
        (b"* 3 XBAR (a b)\r\n", other(Some(3), "XBAR", b"(a b)")),
        (b"* XEMPTY\r\n", other(None, "XEMPTY", b"")),
        (
            b"* 7 XLIT {4}\r\na\r\nb and ~{2}\r\n\0\n more\r\n",
            other(Some(7), "XLIT", b"{4}\r\na\r\nb and ~{2}\r\n\0\n more"),
        ),
    ] {
        let r = stable_response(line);
        assert_eq!(r, expected);
        assert_eq!(encode_resp(&r), line);
    }
}

#[test]
fn unknown_names_cannot_pose_as_known_ones() {
    let value = RawValue::new(&b"1"[..]).unwrap();
    for known in ["UID", "body", "BINARY.SIZE", "X[1"] {
        assert!(OtherItem::new(Atom::new(known).unwrap(), value.clone()).is_err());
    }
    assert!(OtherData::new(None, Atom::new("search").unwrap(), Unparsed::default()).is_err());
    assert!(OtherData::new(Some(1), Atom::new("FETCH").unwrap(), Unparsed::default()).is_err());
    assert!(OtherData::new(Some(1), Atom::new("SEARCH").unwrap(), Unparsed::default()).is_ok());
    // A malformed known response is still an error.
    for bad in [
        &b"* 1 FETCH (UID x)\r\n"[..],
        b"* 1 FETCH (X-GM-MSGID)\r\n",
        b"* 1 FETCH (X-GM-LABELS (a)\r\n",
        b"* 1 EXPUNGE x\r\n",
        b"* LIST x\r\n",
        b"* XFOO\0\r\n",
    ] {
        assert!(
            mailwire_imap::codec::decode_response(bad, &Limits::default()).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}
