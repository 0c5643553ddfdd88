//! Fresh random nonces for CRAM-MD5, SCRAM and APOP: the sessions draw no random numbers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// 18 random octets in base64: 24 printable characters, no `,` (SCRAM forbids it in a
/// nonce), and enough that no two connections ever share one.
pub(crate) fn nonce() -> String {
    let mut bytes = [0u8; 18];
    // The operating system's generator failing is not something a server can serve on.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator");
    STANDARD_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn nonces_are_printable_and_differ() {
        let (a, b) = (super::nonce(), super::nonce());
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|c| c.is_ascii_graphic() && c != b','));
        assert_ne!(a, b);
    }
}
