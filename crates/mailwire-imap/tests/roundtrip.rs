//! Property tests: every command and response encodes to bytes that decode to the same
//! value, and every proper prefix of those bytes is incomplete.

mod common;

use std::num::{NonZeroU32, NonZeroU64};

use common::{command_prefixes_are_incomplete, response_prefixes_are_incomplete};
use mailwire_core::Secret;
use mailwire_imap::codec::{Decoded, Limits, LiteralMode, decode_command, decode_response};
use mailwire_imap::types::*;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Lists of one to `max - 1` elements.
fn non_empty<S: Strategy>(element: S, max: usize) -> impl Strategy<Value = NonEmpty<S::Value>> {
    prop::collection::vec(element, 1..max).prop_map(|v| NonEmpty::try_from(v).unwrap())
}

fn atom() -> impl Strategy<Value = Atom> {
    "[A-Za-z0-9$_.+-]{1,10}".prop_map(|s| Atom::new(s).unwrap())
}

fn istring() -> impl Strategy<Value = IString> {
    prop_oneof![
        "[A-Za-z0-9]{1,8}".prop_map(|s| IString::new(s).unwrap()),
        "[ -~]{0,12}".prop_map(|s| IString::new(s).unwrap()),
        prop::collection::vec(1u8..=255, 0..16).prop_map(|v| IString::new(v).unwrap()),
    ]
}

fn nstring() -> impl Strategy<Value = NString> {
    prop::option::of(istring())
}

fn nz32() -> impl Strategy<Value = NonZeroU32> {
    (1u32..=u32::MAX).prop_map(|n| NonZeroU32::new(n).unwrap())
}

fn modseq() -> impl Strategy<Value = NonZeroU64> {
    (1u64..=i64::MAX as u64).prop_map(|n| NonZeroU64::new(n).unwrap())
}

fn tag() -> impl Strategy<Value = Tag> {
    "[A-Za-z0-9.]{1,8}".prop_map(|s| Tag::new(s).unwrap())
}

fn text() -> impl Strategy<Value = Text> {
    "[A-Za-z][ -Z\\\\^-~]{0,20}".prop_map(|s| Text::new(s).unwrap())
}

fn mailbox() -> impl Strategy<Value = Mailbox> {
    prop_oneof![
        Just(Mailbox::Inbox),
        istring().prop_map(|s| Mailbox::new(s.into_bytes()).unwrap())
    ]
}

fn flag() -> impl Strategy<Value = Flag> {
    prop_oneof![
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Seen),
        Just(Flag::Draft),
        atom().prop_map(Flag::Keyword),
        atom().prop_map(|a| Flag::parse(&format!("\\{a}")).unwrap()),
    ]
}

fn fetch_flag() -> impl Strategy<Value = FlagFetch> {
    prop_oneof![
        Just(FlagFetch::Recent),
        flag()
            .prop_filter("\\Recent is its own variant", |f| {
                !matches!(f, Flag::Extension(a) if a.eq_ignore_case("Recent"))
            })
            .prop_map(FlagFetch::Flag),
    ]
}

fn seq_number() -> impl Strategy<Value = SeqNumber> {
    prop_oneof![Just(SeqNumber::Largest), nz32().prop_map(SeqNumber::Value)]
}

fn sequence_set() -> impl Strategy<Value = SequenceSet> {
    prop::collection::vec(
        prop_oneof![
            seq_number().prop_map(SeqRange::Single),
            (seq_number(), seq_number()).prop_map(|(a, b)| SeqRange::Range(a, b)),
        ],
        1..4,
    )
    .prop_map(|r| SequenceSet::new(r).unwrap())
}

fn date() -> impl Strategy<Value = Date> {
    (1000u16..=9999, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn date_time() -> impl Strategy<Value = DateTime> {
    (date(), 0u8..24, 0u8..60, 0u8..=60, -5999i16..=5999)
        .prop_map(|(d, h, m, s, z)| DateTime::new(d, h, m, s, z).unwrap())
}

fn section() -> impl Strategy<Value = Section> {
    let text = prop_oneof![
        Just(SectionText::Header),
        Just(SectionText::Text),
        Just(SectionText::Mime),
        non_empty(istring(), 3).prop_map(SectionText::HeaderFields),
        non_empty(istring(), 3).prop_map(SectionText::HeaderFieldsNot),
    ];
    (
        prop::collection::vec(1u32..100, 0..3),
        prop::option::of(text),
    )
        .prop_filter_map("MIME needs a part", |(p, t)| Section::new(p, t).ok())
}

fn partial() -> impl Strategy<Value = Option<Partial>> {
    prop::option::of((any::<u32>(), nz32()).prop_map(|(offset, length)| Partial { offset, length }))
}

fn fetch_attribute() -> impl Strategy<Value = FetchAttribute> {
    prop_oneof![
        Just(FetchAttribute::Envelope),
        Just(FetchAttribute::Flags),
        Just(FetchAttribute::InternalDate),
        Just(FetchAttribute::Rfc822),
        Just(FetchAttribute::Rfc822Header),
        Just(FetchAttribute::Rfc822Size),
        Just(FetchAttribute::Rfc822Text),
        Just(FetchAttribute::Body),
        Just(FetchAttribute::BodyStructure),
        Just(FetchAttribute::Uid),
        Just(FetchAttribute::ModSeq),
        (any::<bool>(), section(), partial()).prop_map(|(peek, section, partial)| {
            FetchAttribute::BodySection {
                peek,
                section,
                partial,
            }
        }),
        (
            any::<bool>(),
            prop::collection::vec(1u32..100, 0..3),
            partial()
        )
            .prop_map(|(peek, part, partial)| FetchAttribute::Binary {
                peek,
                part,
                partial
            }),
        prop::collection::vec(1u32..100, 0..3).prop_map(|part| FetchAttribute::BinarySize { part }),
    ]
}

fn search_key() -> impl Strategy<Value = SearchKey> {
    let leaf = prop_oneof![
        Just(SearchKey::All),
        Just(SearchKey::Answered),
        Just(SearchKey::Deleted),
        Just(SearchKey::Draft),
        Just(SearchKey::Flagged),
        Just(SearchKey::New),
        Just(SearchKey::Old),
        Just(SearchKey::Recent),
        Just(SearchKey::Seen),
        Just(SearchKey::Unanswered),
        Just(SearchKey::Undeleted),
        Just(SearchKey::Undraft),
        Just(SearchKey::Unflagged),
        Just(SearchKey::Unseen),
        istring().prop_map(SearchKey::Bcc),
        istring().prop_map(SearchKey::Body),
        istring().prop_map(SearchKey::Cc),
        istring().prop_map(SearchKey::From),
        istring().prop_map(SearchKey::Subject),
        istring().prop_map(SearchKey::Text),
        istring().prop_map(SearchKey::To),
        date().prop_map(SearchKey::Before),
        date().prop_map(SearchKey::On),
        date().prop_map(SearchKey::Since),
        date().prop_map(SearchKey::SentBefore),
        date().prop_map(SearchKey::SentOn),
        date().prop_map(SearchKey::SentSince),
        (istring(), istring()).prop_map(|(a, b)| SearchKey::Header(a, b)),
        atom().prop_map(SearchKey::Keyword),
        atom().prop_map(SearchKey::Unkeyword),
        any::<u32>().prop_map(SearchKey::Larger),
        any::<u32>().prop_map(SearchKey::Smaller),
        sequence_set().prop_map(SearchKey::Uid),
        sequence_set().prop_map(SearchKey::SequenceSet),
        (0u64..=i64::MAX as u64).prop_map(SearchKey::ModSeq),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| SearchKey::Not(Box::new(k))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| SearchKey::Or(Box::new(a), Box::new(b))),
            non_empty(inner, 3).prop_map(SearchKey::And),
        ]
    })
}

fn capability() -> impl Strategy<Value = Capability> {
    atom().prop_map(Capability::from_atom)
}

fn id_parameters() -> impl Strategy<Value = Option<Vec<(IString, NString)>>> {
    prop::option::of(prop::collection::vec((istring(), nstring()), 0..3))
}

fn command_body() -> impl Strategy<Value = CommandBody> {
    let simple = prop_oneof![
        Just(CommandBody::Capability),
        Just(CommandBody::Noop),
        Just(CommandBody::Logout),
        Just(CommandBody::StartTls),
        Just(CommandBody::Check),
        Just(CommandBody::Close),
        Just(CommandBody::Unselect),
        Just(CommandBody::Expunge),
        Just(CommandBody::Idle),
        Just(CommandBody::Namespace),
    ];
    let mailboxes = prop_oneof![
        (mailbox(), any::<bool>())
            .prop_map(|(mailbox, condstore)| CommandBody::Select { mailbox, condstore }),
        (mailbox(), any::<bool>())
            .prop_map(|(mailbox, condstore)| CommandBody::Examine { mailbox, condstore }),
        mailbox().prop_map(|mailbox| CommandBody::Create { mailbox }),
        mailbox().prop_map(|mailbox| CommandBody::Delete { mailbox }),
        mailbox().prop_map(|mailbox| CommandBody::Subscribe { mailbox }),
        mailbox().prop_map(|mailbox| CommandBody::Unsubscribe { mailbox }),
        (mailbox(), mailbox()).prop_map(|(from, to)| CommandBody::Rename { from, to }),
        (mailbox(), istring()).prop_map(|(reference, p)| CommandBody::List {
            reference,
            pattern: ListMailbox::new(p.into_bytes()).unwrap()
        }),
        (mailbox(), istring()).prop_map(|(reference, p)| CommandBody::Lsub {
            reference,
            pattern: ListMailbox::new(p.into_bytes()).unwrap()
        }),
        (
            mailbox(),
            non_empty(
                prop::sample::select(vec![
                    StatusAttribute::Messages,
                    StatusAttribute::Recent,
                    StatusAttribute::UidNext,
                    StatusAttribute::UidValidity,
                    StatusAttribute::Unseen,
                    StatusAttribute::HighestModSeq,
                ]),
                4
            )
        )
            .prop_map(|(mailbox, attributes)| CommandBody::Status {
                mailbox,
                attributes
            }),
        (
            mailbox(),
            non_empty(
                (
                    prop::collection::vec(flag(), 0..3),
                    prop::option::of(date_time()),
                    prop::collection::vec(any::<u8>(), 0..40)
                )
                    .prop_map(|(flags, date, data)| AppendMessage {
                        flags,
                        date,
                        data
                    }),
                3
            )
        )
            .prop_map(|(mailbox, messages)| CommandBody::Append { mailbox, messages }),
    ];
    let selected = prop_oneof![
        sequence_set().prop_map(|uids| CommandBody::UidExpunge { uids }),
        (
            prop::option::of("[A-Za-z0-9 -]{1,10}".prop_map(|c| Charset::new(c).unwrap())),
            non_empty(search_key(), 4),
            any::<bool>()
        )
            .prop_map(|(charset, criteria, uid)| CommandBody::Search {
                charset,
                criteria,
                uid
            }),
        (
            sequence_set(),
            prop_oneof![
                Just(FetchItems::All),
                Just(FetchItems::Fast),
                Just(FetchItems::Full),
                non_empty(fetch_attribute(), 5).prop_map(FetchItems::Attributes),
            ],
            prop::option::of(modseq()),
            any::<bool>()
        )
            .prop_map(|(set, items, changed_since, uid)| CommandBody::Fetch {
                set,
                items,
                changed_since,
                uid
            }),
        (
            sequence_set(),
            prop::sample::select(vec![StoreKind::Replace, StoreKind::Add, StoreKind::Remove]),
            any::<bool>(),
            prop::collection::vec(flag(), 0..4),
            prop::option::of(0u64..=i64::MAX as u64),
            any::<bool>()
        )
            .prop_map(|(set, kind, silent, flags, unchanged_since, uid)| {
                CommandBody::Store {
                    set,
                    kind,
                    silent,
                    flags,
                    unchanged_since,
                    uid,
                }
            }),
        (sequence_set(), mailbox(), any::<bool>())
            .prop_map(|(set, mailbox, uid)| CommandBody::Copy { set, mailbox, uid }),
        (sequence_set(), mailbox(), any::<bool>())
            .prop_map(|(set, mailbox, uid)| CommandBody::Move { set, mailbox, uid }),
    ];
    let other = prop_oneof![
        (
            atom(),
            prop::option::of(prop::collection::vec(any::<u8>(), 0..20))
        )
            .prop_map(|(mechanism, ir)| CommandBody::Authenticate {
                mechanism,
                initial_response: ir.map(Secret::new)
            }),
        (istring(), istring()).prop_map(|(username, p)| CommandBody::Login {
            username,
            password: Secret::new(p)
        }),
        non_empty(capability(), 4).prop_map(|capabilities| CommandBody::Enable { capabilities }),
        id_parameters().prop_map(|parameters| CommandBody::Id { parameters }),
    ];
    prop_oneof![simple, mailboxes, selected, other]
}

fn code() -> impl Strategy<Value = Code> {
    prop_oneof![
        Just(Code::Alert),
        Just(Code::Parse),
        Just(Code::ReadOnly),
        Just(Code::ReadWrite),
        Just(Code::TryCreate),
        Just(Code::UidNotSticky),
        Just(Code::NoModSeq),
        Just(Code::Closed),
        nz32().prop_map(Code::UidNext),
        nz32().prop_map(Code::UidValidity),
        nz32().prop_map(Code::Unseen),
        modseq().prop_map(Code::HighestModSeq),
        sequence_set().prop_map(Code::Modified),
        prop::collection::vec(
            "[A-Za-z0-9 -]{1,10}".prop_map(|c| Charset::new(c).unwrap()),
            0..3
        )
        .prop_map(Code::BadCharset),
        prop::collection::vec(capability(), 0..4).prop_map(Code::Capability),
        prop::collection::vec(
            prop_oneof![Just(FlagPerm::Wildcard), flag().prop_map(FlagPerm::Flag)],
            0..4
        )
        .prop_map(Code::PermanentFlags),
        (nz32(), sequence_set())
            .prop_map(|(uid_validity, uids)| Code::AppendUid { uid_validity, uids }),
        (nz32(), sequence_set(), sequence_set()).prop_map(|(uid_validity, source, destination)| {
            Code::CopyUid {
                uid_validity,
                source,
                destination,
            }
        }),
        ("X-[A-Z]{1,6}", prop::option::of("[ -\\\\^-~]{0,10}")).prop_map(|(name, text)| {
            Code::Other {
                name: Atom::new(name).unwrap(),
                text,
            }
        }),
    ]
}

fn address() -> impl Strategy<Value = Address> {
    (nstring(), nstring(), nstring(), nstring()).prop_map(|(name, adl, mailbox, host)| Address {
        name,
        adl,
        mailbox,
        host,
    })
}

fn envelope() -> impl Strategy<Value = Envelope> {
    let list = || prop::collection::vec(address(), 0..3);
    (
        nstring(),
        nstring(),
        list(),
        list(),
        list(),
        list(),
        list(),
        list(),
        nstring(),
        nstring(),
    )
        .prop_map(
            |(date, subject, from, sender, reply_to, to, cc, bcc, in_reply_to, message_id)| {
                Envelope {
                    date,
                    subject,
                    from,
                    sender,
                    reply_to,
                    to,
                    cc,
                    bcc,
                    in_reply_to,
                    message_id,
                }
            },
        )
}

fn params() -> impl Strategy<Value = Vec<(IString, IString)>> {
    prop::collection::vec((istring(), istring()), 0..3)
}

fn body_extension() -> impl Strategy<Value = BodyExtension> {
    prop_oneof![
        nstring().prop_map(BodyExtension::String),
        any::<u32>().prop_map(BodyExtension::Number)
    ]
    .prop_recursive(2, 8, 3, |inner| {
        non_empty(inner, 3).prop_map(BodyExtension::List)
    })
}

fn disposition_tail() -> impl Strategy<Value = Option<DispositionExtension>> {
    let location = (nstring(), prop::collection::vec(body_extension(), 0..3)).prop_map(
        |(location, extensions)| LocationExtension {
            location,
            extensions,
        },
    );
    let language = (
        prop::collection::vec(istring(), 0..3),
        prop::option::of(location),
    )
        .prop_map(|(languages, tail)| LanguageExtension { languages, tail });
    let disposition = prop::option::of(
        (istring(), params()).prop_map(|(kind, params)| Disposition { kind, params }),
    );
    prop::option::of(
        (disposition, prop::option::of(language))
            .prop_map(|(disposition, tail)| DispositionExtension { disposition, tail }),
    )
}

type Fields = (Vec<(IString, IString)>, NString, NString, IString, u32);

fn fields() -> impl Strategy<Value = Fields> {
    (params(), nstring(), nstring(), istring(), any::<u32>())
}

fn body_structure(extensions: bool) -> impl Strategy<Value = BodyStructure> {
    let media = "[A-Za-z]{1,8}".prop_filter("TEXT and MESSAGE have their own forms", |t| {
        !t.eq_ignore_ascii_case("TEXT") && !t.eq_ignore_ascii_case("MESSAGE")
    });
    let single_ext = move || {
        prop::option::of(
            (nstring(), disposition_tail())
                .prop_map(|(md5, tail)| SinglePartExtension { md5, tail }),
        )
        .prop_map(move |e| if extensions { e } else { None })
    };
    let basic = (media, istring(), fields(), single_ext()).prop_map(
        |(t, subtype, (params, id, description, encoding, octets), extension)| {
            BodyStructure::Single {
                body: Body {
                    kind: BodyKind::Basic {
                        media_type: IString::new(t).unwrap(),
                        subtype,
                    },
                    params,
                    id,
                    description,
                    encoding,
                    octets,
                },
                extension,
            }
        },
    );
    let text = (istring(), any::<u32>(), fields(), single_ext()).prop_map(
        |(subtype, lines, (params, id, description, encoding, octets), extension)| {
            BodyStructure::Single {
                body: Body {
                    kind: BodyKind::Text { subtype, lines },
                    params,
                    id,
                    description,
                    encoding,
                    octets,
                },
                extension,
            }
        },
    );
    prop_oneof![basic, text].prop_recursive(3, 12, 3, move |inner| {
        let multi_ext = prop::option::of(
            (params(), disposition_tail())
                .prop_map(|(params, tail)| MultiPartExtension { params, tail }),
        )
        .prop_map(move |e| if extensions { e } else { None });
        let message = (
            envelope(),
            inner.clone(),
            any::<u32>(),
            fields(),
            single_ext(),
        )
            .prop_map(
                |(
                    envelope,
                    body,
                    lines,
                    (params, id, description, encoding, octets),
                    extension,
                )| {
                    BodyStructure::Single {
                        body: Body {
                            kind: BodyKind::Message {
                                envelope: Box::new(envelope),
                                body: Box::new(body),
                                lines,
                            },
                            params,
                            id,
                            description,
                            encoding,
                            octets,
                        },
                        extension,
                    }
                },
            );
        let multi =
            (non_empty(inner, 3), istring(), multi_ext).prop_map(|(bodies, subtype, extension)| {
                BodyStructure::Multi {
                    bodies,
                    subtype,
                    extension,
                }
            });
        prop_oneof![message, multi]
    })
}

fn message_data_item() -> impl Strategy<Value = MessageDataItem> {
    prop_oneof![
        body_structure(false).prop_map(|b| MessageDataItem::Body(Box::new(b))),
        body_structure(true).prop_map(|b| MessageDataItem::BodyStructure(Box::new(b))),
        (section(), prop::option::of(any::<u32>()), nstring()).prop_map(
            |(section, origin, data)| MessageDataItem::BodySection {
                section,
                origin,
                data
            }
        ),
        (
            prop::collection::vec(1u32..100, 0..3),
            prop::option::of(any::<u32>()),
            prop::option::of(prop::collection::vec(any::<u8>(), 0..10))
        )
            .prop_map(|(part, origin, data)| MessageDataItem::Binary {
                part,
                origin,
                data
            }),
        (prop::collection::vec(1u32..100, 0..3), any::<u32>())
            .prop_map(|(part, size)| MessageDataItem::BinarySize { part, size }),
        envelope().prop_map(|e| MessageDataItem::Envelope(Box::new(e))),
        prop::collection::vec(fetch_flag(), 0..4).prop_map(MessageDataItem::Flags),
        date_time().prop_map(MessageDataItem::InternalDate),
        nstring().prop_map(MessageDataItem::Rfc822),
        nstring().prop_map(MessageDataItem::Rfc822Header),
        nstring().prop_map(MessageDataItem::Rfc822Text),
        any::<u32>().prop_map(MessageDataItem::Rfc822Size),
        nz32().prop_map(MessageDataItem::Uid),
        modseq().prop_map(MessageDataItem::ModSeq),
        ("X-[A-Z0-9-]{1,10}", raw_value()).prop_map(|(name, value)| {
            MessageDataItem::Other(
                OtherItem::new(Atom::new(name).unwrap(), RawValue::new(value).unwrap()).unwrap(),
            )
        }),
    ]
}

/// The bytes of one value of unknown meaning: bare words, strings, literals and lists.
fn raw_value() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        "[0-9]{1,20}".prop_map(String::into_bytes),
        "\\\\?[A-Za-z0-9$.\\[\\]-]{1,8}".prop_map(String::into_bytes),
        "[ -~]{0,8}".prop_map(|s| {
            let escaped = s.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\"").into_bytes()
        }),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(|d| {
            let mut out = format!("~{{{}}}\r\n", d.len()).into_bytes();
            out.extend_from_slice(&d);
            out
        }),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop::collection::vec(inner, 0..3).prop_map(|items| {
            let mut out = b"(".to_vec();
            out.extend(items.join(&b' '));
            out.push(b')');
            out
        })
    })
}

fn delimiter() -> impl Strategy<Value = Option<Delimiter>> {
    prop::option::of((32u8..127).prop_map(|b| Delimiter::new(char::from(b)).unwrap()))
}

fn attribute() -> impl Strategy<Value = MailboxAttribute> {
    atom().prop_map(|a| {
        let Response::Data(Data::List { attributes, .. }) =
            common::response(format!("* LIST (\\{a}) NIL x\r\n").as_bytes())
        else {
            unreachable!()
        };
        attributes[0].clone()
    })
}

fn namespaces() -> impl Strategy<Value = Vec<NamespaceDescription>> {
    prop::collection::vec(
        (
            istring(),
            delimiter(),
            prop::collection::vec((istring(), non_empty(istring(), 3)), 0..2),
        )
            .prop_map(|(prefix, delimiter, extensions)| NamespaceDescription {
                prefix,
                delimiter,
                extensions,
            }),
        0..3,
    )
}

fn status_item() -> impl Strategy<Value = StatusItem> {
    prop_oneof![
        any::<u32>().prop_map(StatusItem::Messages),
        any::<u32>().prop_map(StatusItem::Recent),
        any::<u32>().prop_map(StatusItem::UidNext),
        any::<u32>().prop_map(StatusItem::UidValidity),
        any::<u32>().prop_map(StatusItem::Unseen),
        (0u64..=i64::MAX as u64).prop_map(StatusItem::HighestModSeq),
    ]
}

fn data() -> impl Strategy<Value = Data> {
    prop_oneof![
        prop::collection::vec(capability(), 0..4).prop_map(Data::Capability),
        prop::collection::vec(capability(), 0..4)
            .prop_map(|capabilities| Data::Enabled { capabilities }),
        (
            prop::collection::vec(attribute(), 0..3),
            delimiter(),
            mailbox()
        )
            .prop_map(|(attributes, delimiter, mailbox)| Data::List {
                attributes,
                delimiter,
                mailbox
            }),
        (
            prop::collection::vec(attribute(), 0..3),
            delimiter(),
            mailbox()
        )
            .prop_map(|(attributes, delimiter, mailbox)| Data::Lsub {
                attributes,
                delimiter,
                mailbox
            }),
        (mailbox(), prop::collection::vec(status_item(), 1..4))
            .prop_map(|(mailbox, items)| Data::Status { mailbox, items }),
        (
            prop::collection::vec(nz32(), 0..5),
            prop::option::of(modseq())
        )
            .prop_map(|(ids, modseq)| Data::Search { ids, modseq }),
        prop::collection::vec(flag(), 0..4).prop_map(Data::Flags),
        any::<u32>().prop_map(Data::Exists),
        any::<u32>().prop_map(Data::Recent),
        nz32().prop_map(Data::Expunge),
        (nz32(), non_empty(message_data_item(), 4))
            .prop_map(|(seq, items)| Data::Fetch { seq, items }),
        (namespaces(), namespaces(), namespaces()).prop_map(|(personal, other, shared)| {
            Data::Namespace {
                personal,
                other,
                shared,
            }
        }),
        id_parameters().prop_map(|parameters| Data::Id { parameters }),
        (
            prop::option::of(any::<u32>()),
            "X[A-Z0-9-]{0,8}",
            "[ -~]{0,20}",
            prop::option::of(prop::collection::vec(any::<u8>(), 0..8)),
        )
            .prop_filter_map(
                "text ending in a literal announcement",
                |(number, name, text, literal)| {
                    let mut rest = text.into_bytes();
                    if let Some(data) = literal {
                        rest.extend(format!(" {{{}}}\r\n", data.len()).into_bytes());
                        rest.extend(data);
                        rest.extend(b" end");
                    }
                    let rest = Unparsed::new(rest).ok()?;
                    let other = OtherData::new(number, Atom::new(name).unwrap(), rest);
                    Some(Data::Other(other.unwrap()))
                },
            ),
    ]
}

fn response() -> impl Strategy<Value = Response> {
    prop_oneof![
        (
            tag(),
            prop::sample::select(vec![Completion::Ok, Completion::No, Completion::Bad]),
            prop::option::of(code()),
            text()
        )
            .prop_map(|(tag, completion, code, text)| Response::Tagged(Tagged {
                tag,
                completion,
                code,
                text
            })),
        (
            prop::sample::select(vec![
                Condition::Ok,
                Condition::No,
                Condition::Bad,
                Condition::PreAuth,
                Condition::Bye
            ]),
            prop::option::of(code()),
            text()
        )
            .prop_map(|(condition, code, text)| Response::Status(Status {
                condition,
                code,
                text
            })),
        data().prop_map(Response::Data),
        (prop::option::of(code()), text())
            .prop_map(|(code, text)| Response::Continue(Continue { code, text })),
    ]
}

/// Runs a property on a thread with a large stack: the generators of nested bodies and
/// search keys recurse deeply in unoptimised builds.
fn check<S>(cases: u32, strategy: fn() -> S, property: fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy + 'static,
    S::Value: 'static,
{
    let run = move || {
        let strategy = strategy();
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        if let Err(e) = runner.run(&strategy, property) {
            panic!("{e}");
        }
    };
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

fn damaged(mut bytes: Vec<u8>, flips: Vec<(prop::sample::Index, u8)>) -> Vec<u8> {
    for (at, b) in flips {
        let i = at.index(bytes.len());
        bytes[i] = b;
    }
    bytes
}

fn flips() -> impl Strategy<Value = Vec<(prop::sample::Index, u8)>> {
    prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)
}

#[test]
fn commands_round_trip() {
    check(
        256,
        || (tag(), command_body(), any::<bool>()),
        |(tag, body, plus)| {
            let command = Command::new(tag, body);
            let mode = if plus {
                LiteralMode::Plus
            } else {
                LiteralMode::Sync
            };
            let bytes = mailwire_imap::codec::encode_command(&command, mode).into_bytes();
            let decoded = decode_command(&bytes, &Limits::default());
            prop_assert_eq!(
                decoded,
                Ok(Decoded::Complete {
                    value: command,
                    consumed: bytes.len()
                })
            );
            Ok(())
        },
    );
}

#[test]
fn responses_round_trip() {
    check(256, response, |response| {
        let bytes = common::encode_resp(&response);
        let decoded = decode_response(&bytes, &Limits::default());
        prop_assert_eq!(
            decoded,
            Ok(Decoded::Complete {
                value: response,
                consumed: bytes.len()
            })
        );
        Ok(())
    });
}

#[test]
fn command_prefixes_are_never_errors() {
    check(
        32,
        || (tag(), command_body()),
        |(tag, body)| {
            let bytes =
                mailwire_imap::codec::encode_command(&Command::new(tag, body), LiteralMode::Sync);
            command_prefixes_are_incomplete(bytes.as_bytes());
            Ok(())
        },
    );
}

#[test]
fn response_prefixes_are_never_errors() {
    check(32, response, |response| {
        response_prefixes_are_incomplete(&common::encode_resp(&response));
        Ok(())
    });
}

fn all_decoders(bytes: &[u8]) {
    let limits = Limits::default().with_max_line(512).with_max_literal(64);
    let _ = decode_command(bytes, &limits);
    let _ = decode_response(bytes, &limits);
    let _ = mailwire_imap::codec::decode_greeting(bytes, &limits);
    let _ = mailwire_imap::codec::decode_authenticate_data(bytes, &limits);
    let _ = mailwire_imap::codec::decode_idle_done(bytes, &limits);
    let mut framer = mailwire_imap::codec::Framer::new(limits);
    let mut rest = bytes;
    while let Ok(Some(ev)) = framer.next(rest) {
        let len = match ev {
            mailwire_imap::codec::FrameEvent::Line { len, .. }
            | mailwire_imap::codec::FrameEvent::LiteralData { len, .. } => len,
        };
        assert!(len > 0 && len <= rest.len());
        rest = &rest[len..];
    }
}

#[test]
fn decoders_never_panic_on_noise() {
    check(
        256,
        || prop::collection::vec(any::<u8>(), 0..200),
        |bytes| {
            all_decoders(&bytes);
            Ok(())
        },
    );
}

#[test]
fn decoders_never_panic_on_damaged_messages() {
    check(
        256,
        || (response(), flips()),
        |(response, flips)| {
            let bytes = damaged(common::encode_resp(&response), flips);
            all_decoders(&bytes);
            // Whatever the lenient decoder accepts re-encodes to something it reads back the same.
            if let Ok(Decoded::Complete { value, .. }) = decode_response(&bytes, &Limits::default())
            {
                let again = common::encode_resp(&value);
                prop_assert_eq!(
                    decode_response(&again, &Limits::default()),
                    Ok(Decoded::Complete {
                        value,
                        consumed: again.len()
                    })
                );
            }
            Ok(())
        },
    );
}

#[test]
fn decoded_damaged_commands_round_trip() {
    check(
        256,
        || (tag(), command_body(), flips()),
        |(tag, body, flips)| {
            let bytes = damaged(
                mailwire_imap::codec::encode_command(&Command::new(tag, body), LiteralMode::Sync)
                    .into_bytes(),
                flips,
            );
            all_decoders(&bytes);
            if let Ok(Decoded::Complete { value, .. }) = decode_command(&bytes, &Limits::default())
            {
                let again = common::encode_cmd(&value);
                prop_assert_eq!(
                    decode_command(&again, &Limits::default()),
                    Ok(Decoded::Complete {
                        value,
                        consumed: again.len()
                    })
                );
            }
            Ok(())
        },
    );
}
