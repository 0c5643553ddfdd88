//! Lists RFC 3501 §9 (and the extensions) require to be non-empty: built through
//! `NonEmpty`, encoded byte for byte, and refused by the decoders when empty.

mod common;

use std::num::NonZeroU32;

use common::*;
use mailwire_imap::codec::{Limits, decode_command, decode_response};
use mailwire_imap::types::*;

fn tagged(body: CommandBody) -> Command {
    Command::new(Tag::new("a").unwrap(), body)
}

fn s(v: &str) -> IString {
    IString::new(v).unwrap()
}

fn text_part(octets: u32) -> BodyStructure {
    BodyStructure::Single {
        body: Body {
            kind: BodyKind::Text {
                subtype: s("PLAIN"),
                lines: 1,
            },
            params: vec![],
            id: None,
            description: None,
            encoding: s("7BIT"),
            octets,
        },
        extension: None,
    }
}

#[test]
fn constructors_refuse_empty_lists() {
    assert_eq!(
        NonEmpty::<StatusAttribute>::try_from(vec![]),
        Err(ValidationError::Empty("list"))
    );
    assert_eq!(NonEmpty::<SearchKey>::from_vec(vec![]), None);
    let mut keys = NonEmpty::new(SearchKey::Seen);
    keys.push(SearchKey::Deleted);
    assert_eq!(keys, vec![SearchKey::Seen, SearchKey::Deleted]);
}

#[test]
fn commands_with_required_lists_encode_exactly() {
    let status = tagged(CommandBody::Status {
        mailbox: Mailbox::Inbox,
        attributes: NonEmpty::from([StatusAttribute::Messages, StatusAttribute::UidNext]),
    });
    assert_eq!(
        encode_cmd(&status),
        b"a STATUS INBOX (MESSAGES UIDNEXT)\r\n"
    );

    let enable = tagged(CommandBody::Enable {
        capabilities: NonEmpty::new(Capability::CondStore),
    });
    assert_eq!(encode_cmd(&enable), b"a ENABLE CONDSTORE\r\n");

    let search = tagged(CommandBody::Search {
        charset: None,
        criteria: NonEmpty::from([
            SearchKey::And(NonEmpty::new(SearchKey::Seen)),
            SearchKey::Not(Box::new(SearchKey::And(NonEmpty::from([
                SearchKey::Deleted,
                SearchKey::Draft,
            ])))),
        ]),
        uid: true,
    });
    assert_eq!(
        encode_cmd(&search),
        b"a UID SEARCH (SEEN) NOT (DELETED DRAFT)\r\n"
    );

    let header_fields = Section::new(
        vec![2],
        Some(SectionText::HeaderFields(NonEmpty::from([
            s("From"),
            s("X Y"),
        ]))),
    )
    .unwrap();
    let fetch_one = tagged(CommandBody::Fetch {
        set: "1:*".parse().unwrap(),
        items: FetchItems::Attributes(NonEmpty::new(FetchAttribute::BodySection {
            peek: true,
            section: header_fields,
            partial: None,
        })),
        changed_since: None,
        uid: false,
    });
    assert_eq!(
        encode_cmd(&fetch_one),
        b"a FETCH 1:* BODY.PEEK[2.HEADER.FIELDS (From \"X Y\")]\r\n"
    );
    let fetch_two = tagged(CommandBody::Fetch {
        set: "7".parse().unwrap(),
        items: FetchItems::Attributes(NonEmpty::from([FetchAttribute::Uid, FetchAttribute::Flags])),
        changed_since: None,
        uid: true,
    });
    assert_eq!(encode_cmd(&fetch_two), b"a UID FETCH 7 (UID FLAGS)\r\n");

    let append = tagged(CommandBody::Append {
        mailbox: Mailbox::Inbox,
        messages: NonEmpty::from([
            AppendMessage {
                flags: vec![],
                date: None,
                data: b"x".to_vec(),
            },
            AppendMessage {
                flags: vec![Flag::Seen],
                date: None,
                data: b"yz".to_vec(),
            },
        ]),
    });
    assert_eq!(
        encode_cmd(&append),
        b"a APPEND INBOX {1}\r\nx (\\Seen) {2}\r\nyz\r\n"
    );
    for c in [status, enable, search, fetch_one, fetch_two, append] {
        assert_eq!(command(&encode_cmd(&c)), c);
    }
}

#[test]
fn responses_with_required_lists_encode_exactly() {
    let fetch = Response::Data(Data::Fetch {
        seq: NonZeroU32::new(3).unwrap(),
        items: NonEmpty::new(MessageDataItem::BodyStructure(Box::new(
            BodyStructure::Multi {
                bodies: NonEmpty::from([text_part(5), text_part(6)]),
                subtype: s("MIXED"),
                extension: Some(MultiPartExtension {
                    params: vec![],
                    tail: Some(DispositionExtension {
                        disposition: None,
                        tail: Some(LanguageExtension {
                            languages: vec![],
                            tail: Some(LocationExtension {
                                location: None,
                                extensions: vec![BodyExtension::List(NonEmpty::from([
                                    BodyExtension::Number(1),
                                    BodyExtension::String(None),
                                ]))],
                            }),
                        }),
                    }),
                }),
            },
        ))),
    });
    assert_eq!(
        encode_resp(&fetch),
        b"* 3 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 5 1)\
(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 6 1) \"MIXED\" NIL NIL NIL NIL (1 NIL)))\r\n"
    );
    let namespace = Response::Data(Data::Namespace {
        personal: vec![NamespaceDescription {
            prefix: s(""),
            delimiter: Some(Delimiter::new('/').unwrap()),
            extensions: vec![(s("X-PARAM"), NonEmpty::from([s("A"), s("B")]))],
        }],
        other: vec![],
        shared: vec![],
    });
    assert_eq!(
        encode_resp(&namespace),
        b"* NAMESPACE ((\"\" \"/\" \"X-PARAM\" (\"A\" \"B\"))) NIL NIL\r\n"
    );
    for r in [fetch, namespace] {
        assert_eq!(response(&encode_resp(&r)), r);
    }
}

#[test]
fn empty_required_lists_do_not_decode() {
    let limits = Limits::default();
    for bad in [
        &b"a STATUS INBOX ()\r\n"[..],
        b"a ENABLE\r\n",
        b"a SEARCH\r\n",
        b"a SEARCH ()\r\n",
        b"a FETCH 1 ()\r\n",
        b"a FETCH 1 BODY[HEADER.FIELDS ()]\r\n",
        b"a APPEND INBOX\r\n",
    ] {
        assert!(
            decode_command(bad, &limits).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    for bad in [
        &b"* 1 FETCH ()\r\n"[..],
        b"* NAMESPACE ((\"\" \"/\" \"X\" ())) NIL NIL\r\n",
        b"* 1 FETCH (BODYSTRUCTURE (\"MIXED\"))\r\n",
    ] {
        assert!(
            decode_response(bad, &limits).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}
