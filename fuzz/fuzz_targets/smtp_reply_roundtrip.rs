//! Whatever decodes as a reply encodes to bytes that decode to the same reply, and the
//! EHLO capability view of a 250 reply survives the same trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailwire_smtp::{Decoded, EhloResponse, Reply};

fuzz_target!(|data: &[u8]| {
    let Decoded::Complete { value, .. } = Reply::decode(data) else {
        return;
    };
    let mut wire = Vec::new();
    value.encode(&mut wire);
    let Decoded::Complete {
        value: again,
        consumed,
    } = Reply::decode(&wire)
    else {
        panic!(
            "{value:?} encoded as {:?} does not decode",
            String::from_utf8_lossy(&wire)
        );
    };
    assert_eq!(consumed, wire.len());
    assert_eq!(again, value);
    if let Ok(ehlo) = EhloResponse::from_reply(&value) {
        let reply = ehlo.to_reply();
        let mut wire = Vec::new();
        reply.encode(&mut wire);
        let Decoded::Complete {
            value: ehlo_reply, ..
        } = Reply::decode(&wire)
        else {
            panic!(
                "EHLO reply {:?} does not decode",
                String::from_utf8_lossy(&wire)
            );
        };
        assert_eq!(EhloResponse::from_reply(&ehlo_reply).as_ref(), Ok(&ehlo));
    }
});
