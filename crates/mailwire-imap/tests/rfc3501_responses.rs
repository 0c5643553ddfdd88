//! Every server response of the RFC 3501 examples.

mod common;

use common::*;
use mailwire_imap::codec::{Decoded, Limits, decode_greeting, encode_greeting};
use mailwire_imap::types::*;

fn canonical(lines: &[&str]) {
    for line in lines {
        canonical_response(format!("{line}\r\n").as_bytes());
    }
}

fn text(t: &str) -> Text {
    Text::new(t).unwrap()
}

#[test]
fn all_canonical_example_lines() {
    canonical(&[
        "* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI",
        "abcd OK CAPABILITY completed",
        "efgh OK STARTLS completed",
        "* CAPABILITY IMAP4rev1 AUTH=GSSAPI AUTH=PLAIN",
        "a002 OK NOOP completed",
        "* 22 EXPUNGE",
        "* 23 EXISTS",
        "* 3 RECENT",
        "* 14 FETCH (FLAGS (\\Seen \\Deleted))",
        "* BYE IMAP4rev1 Server logging out",
        "A023 OK LOGOUT completed",
        "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED",
        "a002 OK Begin TLS negotiation now",
        "* OK IMAP4rev1 Server",
        "A001 OK GSSAPI authentication successful",
        "* 172 EXISTS",
        "* 1 RECENT",
        "* OK [UNSEEN 12] Message 12 is first unseen",
        "* OK [UIDVALIDITY 3857529045] UIDs valid",
        "* OK [UIDNEXT 4392] Predicted next UID",
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited",
        "A142 OK [READ-WRITE] SELECT completed",
        "* OK [PERMANENTFLAGS ()] No permanent flags permitted",
        "A932 OK [READ-ONLY] EXAMINE completed",
        "* LIST () \"/\" blurdybloop",
        "* LIST (\\Noselect) \"/\" foo",
        "* LIST () \"/\" foo/bar",
        "A684 NO Name \"foo\" has inferior hierarchical names",
        "* LIST () \".\" foo.bar",
        "* LIST () \".\" INBOX",
        "* LIST () \".\" INBOX.bar",
        "* LIST (\\Noselect) \"/\" \"\"",
        "* LIST (\\Noselect) \".\" #news.",
        "* LIST (\\Noselect) \"/\" /",
        "* LIST (\\Noselect) \"/\" ~/Mail/foo",
        "* LIST () \"/\" ~/Mail/meetings",
        "* LSUB () \".\" #news.comp.mail.mime",
        "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)",
        "+ Ready for literal data",
        "A003 OK APPEND completed",
        "* 3 EXPUNGE",
        "* SEARCH 2 84 882",
        "* SEARCH",
        "* SEARCH 43",
        "* 2 FETCH (FLAGS (\\Deleted \\Seen))",
        "* 4 FETCH (FLAGS (\\Deleted \\Flagged \\Seen))",
        "* 23 FETCH (FLAGS (\\Seen) UID 4827313)",
        "* CAPABILITY IMAP4rev1 XPIG-LATIN",
        "A442 OK XPIG-LATIN ompleted-cay",
        "* OK [ALERT] System shutdown in 10 minutes",
        "* NO Disk is 98% full, please delete unnecessary data",
        "A223 NO COPY failed: disk is full",
        "* BAD Command line too long",
        "* BAD Disk crash, attempting salvage to a new disk!",
        "* PREAUTH IMAP4rev1 server logged in as Smith",
        "* BYE Autologout; idle for too long",
        "* 23 FETCH (FLAGS (\\Seen) RFC822.SIZE 44827)",
        "+ Ready for additional command text",
        "A044 BAD No such command as \"BLURDYBLOOP\"",
    ]);
}

#[test]
fn select_responses_have_exact_values() {
    assert_eq!(
        response(b"* OK [UNSEEN 12] Message 12 is first unseen\r\n"),
        Response::Status(Status {
            condition: Condition::Ok,
            code: Some(Code::Unseen(nz(12))),
            text: text("Message 12 is first unseen")
        })
    );
    assert_eq!(
        response(b"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"),
        Response::Status(Status {
            condition: Condition::Ok,
            code: Some(Code::PermanentFlags(vec![
                FlagPerm::Flag(Flag::Deleted),
                FlagPerm::Flag(Flag::Seen),
                FlagPerm::Wildcard
            ])),
            text: text("Limited")
        })
    );
    assert_eq!(
        response(b"A142 OK [READ-WRITE] SELECT completed\r\n"),
        Response::Tagged(Tagged {
            tag: Tag::new("A142").unwrap(),
            completion: Completion::Ok,
            code: Some(Code::ReadWrite),
            text: text("SELECT completed")
        })
    );
    assert_eq!(
        response(b"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n"),
        Response::Data(Data::Status {
            mailbox: Mailbox::new("blurdybloop").unwrap(),
            items: vec![StatusItem::Messages(231), StatusItem::UidNext(44292)]
        })
    );
    assert_eq!(
        response(b"* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n"),
        Response::Data(Data::List {
            attributes: vec![MailboxAttribute::NoSelect],
            delimiter: Some(Delimiter::new('/').unwrap()),
            mailbox: Mailbox::new("~/Mail/foo").unwrap()
        })
    );
    assert_eq!(
        response(b"* SEARCH 2 84 882\r\n"),
        Response::Data(Data::Search {
            ids: vec![nz(2), nz(84), nz(882)],
            modseq: None
        })
    );
}

#[test]
fn non_canonical_forms_keep_their_values() {
    // `\NoSelect` re-encodes as `\Noselect`.
    let r = stable_response(b"* LSUB (\\NoSelect) \".\" #news.comp.mail\r\n");
    assert_eq!(
        encode_resp(&r),
        b"* LSUB (\\Noselect) \".\" #news.comp.mail\r\n"
    );
}

#[test]
fn unknown_responses_are_kept_whole() {
    // RFC 3501 §6.1.1's example of data no client is expected to know.
    let line = b"* XPIG-LATIN ow-nay eaking-spay ig-pay atin-lay\r\n";
    let r = stable_response(line);
    assert_eq!(
        r,
        Response::Data(Data::Other(
            OtherData::new(
                None,
                Atom::new("XPIG-LATIN").unwrap(),
                Unparsed::new(&b"ow-nay eaking-spay ig-pay atin-lay"[..]).unwrap()
            )
            .unwrap()
        ))
    );
    assert_eq!(encode_resp(&r), line);
}

#[test]
fn greetings() {
    for (line, condition) in [
        (&b"* OK IMAP4rev1 Service Ready\r\n"[..], Condition::Ok),
        (
            b"* PREAUTH IMAP4rev1 server logged in as Smith\r\n",
            Condition::PreAuth,
        ),
        (b"* BYE Autologout; idle for too long\r\n", Condition::Bye),
    ] {
        let Decoded::Complete { value, consumed } =
            decode_greeting(line, &Limits::default()).unwrap()
        else {
            panic!()
        };
        assert_eq!((value.condition, consumed), (condition, line.len()));
        let mut out = Vec::new();
        encode_greeting(&value, &mut out);
        assert_eq!(out, line);
        for n in 0..line.len() {
            assert_eq!(
                decode_greeting(&line[..n], &Limits::default()),
                Ok(Decoded::Incomplete)
            );
        }
    }
    assert!(decode_greeting(b"* NO go away\r\n", &Limits::default()).is_err());
    assert!(decode_greeting(b"a1 OK hi\r\n", &Limits::default()).is_err());
}

#[test]
fn continuation_without_text() {
    // RFC 3501's own AUTHENTICATE example shows a bare `+`.
    let Response::Continue(c) = canonical_response(b"+\r\n") else {
        panic!()
    };
    assert_eq!((c.code, c.text.as_str()), (None, ""));
    assert_eq!(
        response(b"+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMC\r\n"),
        Response::Continue(Continue {
            code: None,
            text: text("YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMC")
        })
    );
}

#[test]
fn fetch_in_the_sample_session() {
    let full = "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
\"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")\
(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
\"<B27397-0100000@cac.washington.edu>\") \
BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n";
    let Response::Data(Data::Fetch { seq, items }) = canonical_response(full.as_bytes()) else {
        panic!()
    };
    assert_eq!(seq, nz(12));
    assert_eq!(items.len(), 5);
    assert_eq!(
        items[0],
        MessageDataItem::Flags(vec![FlagFetch::Flag(Flag::Seen)])
    );
    let date = DateTime::new(Date::new(1996, 7, 17).unwrap(), 2, 44, 25, -420).unwrap();
    assert_eq!(items[1], MessageDataItem::InternalDate(date));
    assert_eq!(items[2], MessageDataItem::Rfc822Size(4286));
    let MessageDataItem::Envelope(env) = &items[3] else {
        panic!()
    };
    let gray = Address {
        name: Some(s("Terry Gray")),
        adl: None,
        mailbox: Some(s("gray")),
        host: Some(s("cac.washington.edu")),
    };
    assert_eq!(env.from, vec![gray.clone()]);
    assert_eq!(env.sender, vec![gray.clone()]);
    assert_eq!(env.reply_to, vec![gray]);
    assert_eq!(env.cc.len(), 2);
    assert_eq!(env.cc[1].name, Some(s("John Klensin")));
    assert_eq!(env.bcc, vec![]);
    assert_eq!(env.in_reply_to, None);
    assert_eq!(
        env.message_id,
        Some(s("<B27397-0100000@cac.washington.edu>"))
    );
    assert_eq!(
        items[4],
        MessageDataItem::Body(Box::new(BodyStructure::Single {
            body: Body {
                kind: BodyKind::Text {
                    subtype: s("PLAIN"),
                    lines: 92
                },
                params: vec![(s("CHARSET"), s("US-ASCII"))],
                id: None,
                description: None,
                encoding: s("7BIT"),
                octets: 3028,
            },
            extension: None
        }))
    );
}

#[test]
fn body_section_with_a_literal() {
    let header = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
From: Terry Gray <gray@cac.washington.edu>\r\n\
Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
To: imap@cac.washington.edu\r\n\
cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n";
    assert_eq!(header.len(), 342);
    let line = format!("* 12 FETCH (BODY[HEADER] {{342}}\r\n{header})\r\n");
    let r = canonical_response(line.as_bytes());
    assert_eq!(
        r,
        Response::Data(Data::Fetch {
            seq: nz(12),
            items: NonEmpty::from([MessageDataItem::BodySection {
                section: Section::new(vec![], Some(SectionText::Header)).unwrap(),
                origin: None,
                data: Some(s(header))
            }])
        })
    );
}

#[test]
fn bodystructure_with_extension_data() {
    let line = "* 3 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \
\"QUOTED-PRINTABLE\" 1234 40 NIL NIL NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") \
\"<id@x>\" \"A report\" \"BASE64\" 20000 \"md5sum\" (\"attachment\" (\"FILENAME\" \"a.pdf\")) \
(\"en\" \"de\") \"http://x/a.pdf\" 7 (\"x\" NIL (1 2)))(\"MESSAGE\" \"RFC822\" NIL NIL NIL \
\"7BIT\" 500 (NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"TEXT\" \"HTML\" NIL NIL NIL \
\"8BIT\" 100 3) 12) \"MIXED\" (\"BOUNDARY\" \"xyz\") NIL \"en\" NIL) BODY[1]<0> \"abc\")\r\n";
    let Response::Data(Data::Fetch { items, .. }) = canonical_response(line.as_bytes()) else {
        panic!()
    };
    let MessageDataItem::BodyStructure(structure) = &items[0] else {
        panic!()
    };
    let BodyStructure::Multi {
        bodies,
        subtype,
        extension,
    } = structure.as_ref()
    else {
        panic!()
    };
    assert_eq!((bodies.len(), subtype), (3, &s("MIXED")));
    let ext = extension.as_ref().unwrap();
    assert_eq!(ext.params, vec![(s("BOUNDARY"), s("xyz"))]);
    let tail = ext.tail.as_ref().unwrap();
    assert_eq!(tail.disposition, None);
    assert_eq!(tail.tail.as_ref().unwrap().languages, vec![s("en")]);
    let BodyStructure::Single {
        body,
        extension: Some(ext),
    } = &bodies[1]
    else {
        panic!()
    };
    assert_eq!(body.octets, 20000);
    assert_eq!(ext.md5, Some(s("md5sum")));
    let dsp = ext.tail.as_ref().unwrap();
    assert_eq!(dsp.disposition.as_ref().unwrap().kind, s("attachment"));
    let lang = dsp.tail.as_ref().unwrap();
    assert_eq!(lang.languages, vec![s("en"), s("de")]);
    let loc = lang.tail.as_ref().unwrap();
    assert_eq!(loc.location, Some(s("http://x/a.pdf")));
    assert_eq!(
        loc.extensions,
        vec![
            BodyExtension::Number(7),
            BodyExtension::List(NonEmpty::from([
                BodyExtension::String(Some(s("x"))),
                BodyExtension::String(None),
                BodyExtension::List(NonEmpty::from([
                    BodyExtension::Number(1),
                    BodyExtension::Number(2)
                ]))
            ]))
        ]
    );
    let BodyStructure::Single { body, .. } = &bodies[2] else {
        panic!()
    };
    let BodyKind::Message {
        envelope,
        body: inner,
        lines,
    } = &body.kind
    else {
        panic!()
    };
    assert_eq!((envelope.subject.clone(), *lines), (Some(s("inner")), 12));
    assert!(matches!(
        **inner,
        BodyStructure::Single {
            extension: None,
            ..
        }
    ));
    assert_eq!(
        items[1],
        MessageDataItem::BodySection {
            section: Section::new(vec![1], None).unwrap(),
            origin: Some(0),
            data: Some(s("abc"))
        }
    );
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let depth = 10_000;
    let line = format!(
        "* 1 FETCH (BODYSTRUCTURE {}\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1{} \"MIXED\"))\r\n",
        "(".repeat(depth),
        ")".repeat(depth - 1)
    );
    let err = mailwire_imap::codec::decode_response(line.as_bytes(), &Limits::default());
    assert!(
        matches!(
            err,
            Err(mailwire_imap::codec::DecodeError::Syntax {
                reason: "body nested too deeply",
                ..
            })
        ),
        "{err:?}"
    );
}
