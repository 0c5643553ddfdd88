//! The server-side decoders on arbitrary bytes: status lines, greetings, CAPA, LIST and
//! UIDL bodies. No panic, consumed within the input, and decode → encode → decode gives
//! the same value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_pop3::{
    Decoded, Greeting, Response, decode_capabilities, decode_scan_listings,
    decode_unique_id_listings, encode_capabilities, encode_scan_listings,
    encode_unique_id_listings,
};

fn consumed<T, E>(d: &Decoded<T, E>) -> usize {
    match d {
        Decoded::Complete { consumed, .. } | Decoded::Invalid { consumed, .. } => *consumed,
        Decoded::Incomplete => 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let r = Response::decode(data);
    assert!(consumed(&r) <= data.len());
    if let Decoded::Complete { value, .. } = r {
        let mut wire = Vec::new();
        value.encode(&mut wire);
        // Invalid UTF-8 in the text grows when replaced, so allow any length here.
        assert_eq!(
            Response::decode_with_limit(&wire, usize::MAX).complete(),
            Some(value)
        );
    }
    let _ = Greeting::decode(data);

    let c = decode_capabilities(data);
    assert!(consumed(&c) <= data.len());
    if let Decoded::Complete { value, .. } = c {
        let mut wire = Vec::new();
        encode_capabilities(&value, &mut wire);
        assert_eq!(decode_capabilities(&wire).complete(), Some(value));
    }
    let l = decode_scan_listings(data);
    assert!(consumed(&l) <= data.len());
    if let Decoded::Complete { value, .. } = l {
        let mut wire = Vec::new();
        encode_scan_listings(&value, &mut wire);
        assert_eq!(decode_scan_listings(&wire).complete(), Some(value));
    }
    let u = decode_unique_id_listings(data);
    assert!(consumed(&u) <= data.len());
    if let Decoded::Complete { value, .. } = u {
        let mut wire = Vec::new();
        encode_unique_id_listings(&value, &mut wire);
        assert_eq!(decode_unique_id_listings(&wire).complete(), Some(value));
    }
});
