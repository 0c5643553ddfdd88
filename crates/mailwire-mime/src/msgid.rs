//! Message identifiers: `Message-ID`, `In-Reply-To`, `References`, `Content-ID`
//! (RFC 5322 §3.6.4).
//!
//! ```text
//! msg-id = [CFWS] "<" id-left "@" id-right ">" [CFWS]
//! ```
//!
//! Identifiers are returned without the angle brackets. Lenient: whitespace inside the
//! brackets is removed (obs-id-left), and a list without brackets is read as words.

use crate::charset::lossy_text;
use crate::structured::strip_comments;

fn clean(id: &[u8]) -> Option<String> {
    let id: Vec<u8> = id
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    (!id.is_empty()).then(|| lossy_text(&id).into_owned())
}

/// Reads every identifier in the value, in order.
pub(crate) fn parse_msg_ids(value: &[u8]) -> Vec<String> {
    let value = strip_comments(value);
    let mut ids = Vec::new();
    if memchr::memchr(b'<', &value).is_none() {
        ids.extend(
            value
                .split(|b| b.is_ascii_whitespace() || *b == b',')
                .filter_map(clean),
        );
        return ids;
    }
    let mut rest: &[u8] = &value;
    while let Some(open) = memchr::memchr(b'<', rest) {
        let after = &rest[open + 1..];
        let close = memchr::memchr(b'>', after).unwrap_or(after.len());
        ids.extend(clean(&after[..close]));
        rest = &after[(close + 1).min(after.len())..];
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5322_appendix_ids() {
        assert_eq!(
            parse_msg_ids(b"<1234@local.machine.example>"),
            vec!["1234@local.machine.example"]
        );
        assert_eq!(
            parse_msg_ids(b"<1234@local.machine.example> <3456@example.net>"),
            vec!["1234@local.machine.example", "3456@example.net"]
        );
        assert_eq!(
            parse_msg_ids(b"  (comment) <abc@x>\r\n <d e@f> (more)"),
            vec!["abc@x", "de@f"]
        );
    }

    #[test]
    fn lenient_forms() {
        assert_eq!(parse_msg_ids(b"abc@x def@y"), vec!["abc@x", "def@y"]);
        assert_eq!(parse_msg_ids(b"<unterminated@x"), vec!["unterminated@x"]);
        assert!(parse_msg_ids(b"<>").is_empty());
    }
}
