//! decode(encode(x)) == x for every message type, and every proper prefix is incomplete.

use mailwire_pop3::{
    ApopDigest, Capability, Command, Decoded, Expire, ExtensionCode, Greeting, Implementation,
    InitialResponse, Mechanism, MessageNumber, OtherCapability, Password, Response, ResponseCode,
    ScanListing, Status, Timestamp, UniqueId, UniqueIdListing, UserName, decode_capabilities,
    decode_scan_listings, decode_unique_id_listings, encode_capabilities, encode_scan_listings,
    encode_unique_id_listings,
};
use proptest::prelude::*;

fn message() -> impl Strategy<Value = MessageNumber> {
    (1..=u32::MAX).prop_map(|n| MessageNumber::new(n).unwrap())
}

fn user() -> impl Strategy<Value = UserName> {
    "[!-~äöü€]{1,50}".prop_map(|s| UserName::new(s).unwrap())
}

fn mechanism() -> impl Strategy<Value = Mechanism> {
    "[A-Za-z0-9_-]{1,20}".prop_map(|s| Mechanism::new(&s).unwrap())
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        user().prop_map(|name| Command::User { name }),
        "[ -~é]{1,60}".prop_map(|p| Command::Pass {
            password: Password::new(p).unwrap()
        }),
        (user(), "[0-9a-f]{32}").prop_map(|(name, d)| Command::Apop {
            name,
            digest: ApopDigest::parse(d.as_bytes()).unwrap()
        }),
        (
            mechanism(),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=168))
        )
            .prop_map(|(mechanism, ir)| Command::Auth {
                mechanism,
                initial_response: ir.map(|d| InitialResponse::new(d).unwrap()),
            }),
        Just(Command::Stat),
        proptest::option::of(message()).prop_map(|message| Command::List { message }),
        message().prop_map(|message| Command::Retr { message }),
        message().prop_map(|message| Command::Dele { message }),
        Just(Command::Noop),
        Just(Command::Rset),
        Just(Command::Quit),
        (message(), any::<u32>()).prop_map(|(message, lines)| Command::Top { message, lines }),
        proptest::option::of(message()).prop_map(|message| Command::Uidl { message }),
        Just(Command::Capa),
        Just(Command::Stls),
        Just(Command::Utf8),
    ]
}

fn code() -> impl Strategy<Value = ResponseCode> {
    prop_oneof![
        Just(ResponseCode::InUse),
        Just(ResponseCode::LoginDelay),
        Just(ResponseCode::SysTemp),
        Just(ResponseCode::SysPerm),
        Just(ResponseCode::Auth),
        Just(ResponseCode::Utf8),
        "X-[A-Z]{1,8}(/[A-Z0-9]{1,5}){0,2}"
            .prop_map(|c| ResponseCode::Other(ExtensionCode::new(c).unwrap())),
    ]
}

fn response() -> impl Strategy<Value = Response> {
    (
        prop_oneof![Just(Status::Ok), Just(Status::Err)],
        proptest::option::of(code()),
        "([^\\[\r\n][^\r\n]{0,80})?",
    )
        .prop_map(|(status, code, text)| Response::with_code(status, code, text).unwrap())
}

fn capability() -> impl Strategy<Value = Capability> {
    prop_oneof![
        Just(Capability::Top),
        Just(Capability::User),
        proptest::collection::vec(mechanism(), 0..4)
            .prop_map(|mechanisms| Capability::Sasl { mechanisms }),
        Just(Capability::RespCodes),
        (any::<u32>(), any::<bool>())
            .prop_map(|(seconds, per_user)| Capability::LoginDelay { seconds, per_user }),
        Just(Capability::Pipelining),
        (proptest::option::of(any::<u32>()), any::<bool>()).prop_map(|(d, per_user)| {
            Capability::Expire {
                policy: d.map_or(Expire::Never, Expire::Days),
                per_user,
            }
        }),
        Just(Capability::Uidl),
        "[!-~][ -~]{0,40}"
            .prop_map(|t| Capability::Implementation(Implementation::new(t).unwrap())),
        Just(Capability::Stls),
        any::<bool>().prop_map(|user| Capability::Utf8 { user }),
        Just(Capability::AuthRespCode),
        (
            "X-[A-Z]{1,10}",
            proptest::collection::vec("[!-~]{1,10}", 0..4)
        )
            .prop_map(|(t, p)| Capability::Other(OtherCapability::new(t, p).unwrap())),
    ]
}

fn assert_prefixes_incomplete<T: std::fmt::Debug, E: std::fmt::Debug>(
    wire: &[u8],
    decode: impl Fn(&[u8]) -> Decoded<T, E>,
) {
    for end in 0..wire.len() {
        let d = decode(&wire[..end]);
        assert!(
            matches!(d, Decoded::Incomplete),
            "prefix {end} of {wire:?}: {d:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn commands_round_trip(c in command()) {
        let wire = c.to_bytes();
        prop_assert!(wire.len() <= 255);
        prop_assert_eq!(Command::decode(&wire), Decoded::Complete { value: c, consumed: wire.len() });
        assert_prefixes_incomplete(&wire, Command::decode);
    }

    #[test]
    fn responses_round_trip(r in response()) {
        let mut wire = Vec::new();
        r.encode(&mut wire);
        prop_assert_eq!(Response::decode(&wire), Decoded::Complete { value: r, consumed: wire.len() });
        assert_prefixes_incomplete(&wire, Response::decode);
    }

    #[test]
    fn greetings_round_trip(text in "[^<\\[\r\n]{0,60}", ts in proptest::option::of((any::<u32>(), any::<u64>(), "[a-z]{1,10}\\.example"))) {
        let ts = ts.map(|(p, c, h)| Timestamp::from_parts(p.into(), c, 0, &h).unwrap());
        let g = Greeting::new(&text, ts).unwrap();
        let mut wire = Vec::new();
        g.encode(&mut wire);
        prop_assert_eq!(Greeting::decode(&wire).complete(), Some(Some(g)));
    }

    #[test]
    fn scan_listings_round_trip(l in proptest::collection::vec((message(), any::<u64>()), 0..20)) {
        let l: Vec<_> = l.into_iter().map(|(message, size)| ScanListing { message, size }).collect();
        let mut wire = Vec::new();
        encode_scan_listings(&l, &mut wire);
        prop_assert_eq!(decode_scan_listings(&wire), Decoded::Complete { value: l, consumed: wire.len() });
        assert_prefixes_incomplete(&wire, decode_scan_listings);
    }

    #[test]
    fn unique_id_listings_round_trip(l in proptest::collection::vec((message(), "[!-~]{1,70}"), 0..20)) {
        let l: Vec<_> = l
            .into_iter()
            .map(|(message, id)| UniqueIdListing { message, unique_id: UniqueId::new(id).unwrap() })
            .collect();
        let mut wire = Vec::new();
        encode_unique_id_listings(&l, &mut wire);
        prop_assert_eq!(decode_unique_id_listings(&wire), Decoded::Complete { value: l, consumed: wire.len() });
    }

    #[test]
    fn capabilities_round_trip(c in proptest::collection::vec(capability(), 0..12)) {
        let mut wire = Vec::new();
        encode_capabilities(&c, &mut wire);
        prop_assert_eq!(decode_capabilities(&wire), Decoded::Complete { value: c, consumed: wire.len() });
        assert_prefixes_incomplete(&wire, decode_capabilities);
    }

    #[test]
    fn decoders_take_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        // No panic, and never a claim to have consumed more than was given.
        for consumed in [
            match Command::decode(&bytes) { Decoded::Complete { consumed, .. } | Decoded::Invalid { consumed, .. } => consumed, Decoded::Incomplete => 0 },
            match Response::decode(&bytes) { Decoded::Complete { consumed, .. } | Decoded::Invalid { consumed, .. } => consumed, Decoded::Incomplete => 0 },
            match decode_capabilities(&bytes) { Decoded::Complete { consumed, .. } | Decoded::Invalid { consumed, .. } => consumed, Decoded::Incomplete => 0 },
        ] {
            prop_assert!(consumed <= bytes.len());
        }
    }
}
