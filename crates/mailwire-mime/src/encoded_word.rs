//! RFC 2047 encoded words: `=?charset?B?...?=` and `=?charset?Q?...?=`.
//!
//! ```text
//! encoded-word = "=?" charset ["*" language] "?" encoding "?" encoded-text "?="
//! ```
//!
//! Decoding joins adjacent encoded words of the same charset before converting to UTF-8,
//! so a multi-byte character split across two words survives, and drops the whitespace
//! between adjacent encoded words (§6.2).

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose::STANDARD};
use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::one_of;
use nom::sequence::terminated;

use crate::charset::{Charset, lossy_text};
use crate::transfer::hex;

pub(crate) const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// One encoded word, still encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Word<'a> {
    charset: &'a [u8],
    b: bool,
    text: &'a [u8],
}

fn word(input: &[u8]) -> IResult<&[u8], Word<'_>> {
    let token = |c: u8| c > b' ' && c < 127 && c != b'?';
    let (rest, (_, charset, _, enc, _, text, _)) = (
        tag("=?"),
        take_while1(token),
        tag("?"),
        one_of("bBqQ"),
        tag("?"),
        take_while(|c: u8| c > b' ' && c != b'?' && c != 127),
        terminated(tag("?"), tag("=")),
    )
        .parse(input)?;
    // RFC 2231 §5: "charset*language".
    let charset = charset.split(|&c| c == b'*').next().unwrap_or(charset);
    Ok((
        rest,
        Word {
            charset,
            b: enc == 'b' || enc == 'B',
            text,
        },
    ))
}

/// Decodes the `Q` encoding (RFC 2047 §4.2) onto `out`.
fn decode_q(text: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'_' => out.push(b' '),
            b'=' if i + 2 < text.len() => match (hex(text[i + 1]), hex(text[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'='),
            },
            b => out.push(b),
        }
        i += 1;
    }
}

fn decode_word(w: &Word<'_>, out: &mut Vec<u8>) -> bool {
    if w.b {
        let mut clean: Vec<u8> = w.text.iter().copied().filter(|&c| c != b'=').collect();
        if clean.len() % 4 == 1 {
            clean.pop();
        }
        match LENIENT_B64.decode_vec(&clean, out) {
            Ok(()) => true,
            Err(_) => false,
        }
    } else {
        decode_q(w.text, out);
        true
    }
}

enum Piece<'a> {
    Text(&'a [u8]),
    Encoded { charset: &'a [u8], bytes: Vec<u8> },
}

/// Where `=?` first occurs. Header values are short: a plain scan beats setting up a
/// substring searcher.
pub(crate) fn find_word_start(input: &[u8]) -> Option<usize> {
    input.windows(2).position(|w| w == b"=?")
}

/// Decodes unstructured text (a Subject, a display name): encoded words become UTF-8,
/// everything else is read as UTF-8 or windows-1252.
///
/// ```
/// assert_eq!(
///     mailwire_mime::decode_encoded_words(b"=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?= c"),
///     "ab c"
/// );
/// ```
pub fn decode_text(input: &[u8]) -> String {
    let Some(first) = find_word_start(input) else {
        return lossy_text(input).into_owned();
    };
    let mut pieces: Vec<Piece<'_>> = Vec::new();
    let mut text_start = 0;
    let mut at = first;
    while at < input.len() {
        let Some(found) = find_word_start(&input[at..]) else {
            break;
        };
        let start = at + found;
        match word(&input[start..]) {
            Ok((rest, w)) => {
                let between = &input[text_start..start];
                let joins = matches!(pieces.last(), Some(Piece::Encoded { .. }))
                    && between.iter().all(u8::is_ascii_whitespace);
                if !joins && !between.is_empty() {
                    pieces.push(Piece::Text(between));
                }
                let mut bytes = Vec::new();
                let end = input.len() - rest.len();
                if decode_word(&w, &mut bytes) {
                    match pieces.last_mut() {
                        Some(Piece::Encoded {
                            charset,
                            bytes: prev,
                        }) if joins && charset.eq_ignore_ascii_case(w.charset) => {
                            prev.extend_from_slice(&bytes);
                        }
                        _ => pieces.push(Piece::Encoded {
                            charset: w.charset,
                            bytes,
                        }),
                    }
                } else {
                    pieces.push(Piece::Text(&input[start..end]));
                }
                text_start = end;
                at = end;
            }
            Err(_) => at = start + 2,
        }
    }
    if text_start < input.len() {
        pieces.push(Piece::Text(&input[text_start..]));
    }
    let mut out = String::with_capacity(input.len());
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(&lossy_text(t)),
            Piece::Encoded { charset, bytes } => {
                let cs = std::str::from_utf8(charset)
                    .ok()
                    .and_then(Charset::for_label);
                match cs {
                    Some(cs) => out.push_str(&cs.decode(&bytes).0),
                    None => out.push_str(&lossy_text(&bytes)),
                }
            }
        }
    }
    out
}

/// Whether `word` would be read back as an encoded word.
pub(crate) fn looks_encoded(text: &str) -> bool {
    text.contains("=?")
}

/// Bytes allowed unencoded inside a `Q` word in any context (RFC 2047 §5 (3)).
fn q_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'!' | b'*' | b'+' | b'-' | b'/')
}

/// Longest encoded word (RFC 2047 §2), minus the `=?UTF-8?X?` … `?=` frame.
const WORD_PAYLOAD: usize = 75 - 12;

/// Encodes `text` as one or more UTF-8 encoded words, each at most 75 characters,
/// never splitting a character; `Q` when that is shorter, else `B`.
pub(crate) fn encode_words(text: &str) -> Vec<String> {
    let q_len: usize = text
        .bytes()
        .map(|b| if q_safe(b) || b == b' ' { 1 } else { 3 })
        .sum();
    let b_len = text.len().div_ceil(3) * 4;
    let use_q = q_len <= b_len;
    let mut words = Vec::new();
    let mut chunk = String::new();
    let mut chunk_q = 0;
    for c in text.chars() {
        let mut buf = [0u8; 4];
        let bytes = c.encode_utf8(&mut buf).as_bytes();
        let q_cost: usize = bytes
            .iter()
            .map(|&b| if q_safe(b) || b == b' ' { 1 } else { 3 })
            .sum();
        let fits = if use_q {
            chunk_q + q_cost <= WORD_PAYLOAD
        } else {
            (chunk.len() + bytes.len()).div_ceil(3) * 4 <= WORD_PAYLOAD
        };
        if !fits && !chunk.is_empty() {
            words.push(frame(&chunk, use_q));
            chunk.clear();
            chunk_q = 0;
        }
        chunk.push(c);
        chunk_q += q_cost;
    }
    if !chunk.is_empty() {
        words.push(frame(&chunk, use_q));
    }
    words
}

fn frame(chunk: &str, q: bool) -> String {
    let mut w = String::from(if q { "=?UTF-8?Q?" } else { "=?UTF-8?B?" });
    if q {
        for b in chunk.bytes() {
            if b == b' ' {
                w.push('_');
            } else if q_safe(b) {
                w.push(char::from(b));
            } else {
                w.push_str(&format!("={b:02X}"));
            }
        }
    } else {
        STANDARD.encode_string(chunk, &mut w);
    }
    w.push_str("?=");
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2047_section_8_examples() {
        let cases: &[(&str, &str)] = &[
            ("(=?ISO-8859-1?Q?a?=)", "(a)"),
            ("(=?ISO-8859-1?Q?a?= b)", "(a b)"),
            ("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
            ("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"),
            ("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"),
            ("(=?ISO-8859-1?Q?a_b?=)", "(a b)"),
            ("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
            ("=?US-ASCII?Q?Keith_Moore?=", "Keith Moore"),
            (
                "=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=",
                "Keld J\u{f8}rn Simonsen",
            ),
            ("=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\u{e9} Pirard"),
            (
                "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
                "If you can read this you understand the example.",
            ),
            (
                "=?ISO-8859-8?b?7eXs+SDv4SDp7Oj08A==?=",
                "\u{5dd}\u{5d5}\u{5dc}\u{5e9} \u{5df}\u{5d1} \u{5d9}\u{5dc}\u{5d8}\u{5e4}\u{5e0}",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(decode_text(input.as_bytes()), *want, "{input}");
        }
    }

    #[test]
    fn joins_a_character_split_across_words() {
        // U+20AC is E2 82 AC; the first word carries two bytes, the second one.
        assert_eq!(
            decode_text(b"=?UTF-8?Q?=E2=82?= =?UTF-8?Q?=AC?="),
            "\u{20ac}"
        );
        assert_eq!(
            decode_text(b"=?utf-8?B?4oI=?= =?UTF-8?B?rA==?="),
            "\u{20ac}"
        );
    }

    #[test]
    fn malformed_words_stay_literal() {
        assert_eq!(decode_text(b"=?utf-8?x?abc?= =?"), "=?utf-8?x?abc?= =?");
        assert_eq!(decode_text(b"a =?utf-8?q?b"), "a =?utf-8?q?b");
        assert_eq!(decode_text(b"=?no-such?q?abc?="), "abc");
        assert_eq!(decode_text(b"x=?utf-8?q?=C3=A9?=y"), "x\u{e9}y");
    }

    #[test]
    fn language_suffix_is_ignored() {
        assert_eq!(decode_text(b"=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
    }

    #[test]
    fn encode_splits_without_breaking_characters() {
        let text = "\u{65e5}\u{672c}\u{8a9e}".repeat(20);
        let words = encode_words(&text);
        assert!(words.len() > 1);
        assert!(words.iter().all(|w| w.len() <= 75), "{words:?}");
        assert_eq!(decode_text(words.join(" ").as_bytes()), text);
        assert_eq!(
            encode_words("caf\u{e9} au lait"),
            vec!["=?UTF-8?Q?caf=C3=A9_au_lait?=".to_owned()]
        );
    }
}
