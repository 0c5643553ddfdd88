//! Content-Transfer-Encoding (RFC 2045 §6): base64, quoted-printable, identity encodings
//! and uuencode, decoded leniently with damage counted rather than fatal.

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use memchr::{memchr, memchr2, memmem};

use crate::encoded_word::LENIENT_B64;
use crate::header::trim_wsp;
use crate::structured::strip_comments;

/// A `Content-Transfer-Encoding` value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TransferEncoding {
    /// `7bit`, the default.
    #[default]
    SevenBit,
    /// `8bit`.
    EightBit,
    /// `binary`.
    Binary,
    /// `quoted-printable`.
    QuotedPrintable,
    /// `base64`.
    Base64,
    /// `x-uuencode` and its spellings.
    UuEncode,
    /// Anything else, lowercased; the body is left as is.
    Other(String),
}

impl TransferEncoding {
    /// Reads an unfolded value (case-insensitive, comments ignored).
    pub fn parse(value: &[u8]) -> TransferEncoding {
        let v = strip_comments(value);
        let v = trim_wsp(&v);
        let is = |name: &str| v.eq_ignore_ascii_case(name.as_bytes());
        if v.is_empty() || is("7bit") {
            TransferEncoding::SevenBit
        } else if is("8bit") {
            TransferEncoding::EightBit
        } else if is("binary") {
            TransferEncoding::Binary
        } else if is("quoted-printable") {
            TransferEncoding::QuotedPrintable
        } else if is("base64") {
            TransferEncoding::Base64
        } else if ["x-uuencode", "x-uue", "uuencode", "x-uuencoded"]
            .iter()
            .any(|n| is(n))
        {
            TransferEncoding::UuEncode
        } else {
            TransferEncoding::Other(String::from_utf8_lossy(v).to_ascii_lowercase())
        }
    }

    /// The canonical lowercase name.
    pub fn as_str(&self) -> &str {
        match self {
            TransferEncoding::SevenBit => "7bit",
            TransferEncoding::EightBit => "8bit",
            TransferEncoding::Binary => "binary",
            TransferEncoding::QuotedPrintable => "quoted-printable",
            TransferEncoding::Base64 => "base64",
            TransferEncoding::UuEncode => "x-uuencode",
            TransferEncoding::Other(s) => s,
        }
    }

    /// Whether the encoding is an identity (7bit, 8bit, binary).
    pub fn is_identity(&self) -> bool {
        matches!(
            self,
            TransferEncoding::SevenBit | TransferEncoding::EightBit | TransferEncoding::Binary
        )
    }
}

impl fmt::Display for TransferEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// Decodes what is left in `pending` (a partial quantum at a `=` or at the end).
fn flush_quantum(pending: &mut Vec<u8>, out: &mut Vec<u8>) -> bool {
    let ok = match pending.len() {
        0 => true,
        1 => false,
        _ => LENIENT_B64.decode_vec(&pending[..], out).is_ok(),
    };
    pending.clear();
    ok
}

/// Decodes base64 one byte at a time: alphabet bytes gathered in quanta, `=` ends a
/// quantum, whitespace skipped, anything else counted as damage.
fn decode_base64_slow(input: &[u8], pending: &mut Vec<u8>, out: &mut Vec<u8>) -> usize {
    let mut damage = 0;
    for &b in input {
        if is_b64(b) {
            pending.push(b);
            if pending.len() == 4 {
                if LENIENT_B64.decode_vec(&pending[..], out).is_err() {
                    damage += 1;
                }
                pending.clear();
            }
        } else if b == b'=' {
            if !flush_quantum(pending, out) {
                damage += 1;
            }
        } else if !b.is_ascii_whitespace() {
            damage += 1;
        }
    }
    damage
}

/// How much line content is gathered before one call into the decoder.
const BASE64_CHUNK: usize = 32 * 1024;

/// Decodes gathered line content: whole quanta at once when clean, byte by byte when not.
/// Unless `last`, up to three trailing characters stay in `gathered` for the next call.
fn decode_base64_gathered(
    gathered: &mut Vec<u8>,
    pending: &mut Vec<u8>,
    out: &mut Vec<u8>,
    last: bool,
) -> usize {
    let n = if last {
        gathered.len()
    } else {
        gathered.len() / 4 * 4
    };
    if pending.is_empty() {
        let before = out.len();
        if LENIENT_B64.decode_vec(&gathered[..n], out).is_ok() {
            gathered.drain(..n);
            return 0;
        }
        out.truncate(before);
    }
    let damage = decode_base64_slow(gathered, pending, out);
    gathered.clear();
    damage
}

/// Where base64 data ends: after the first `=` and the padding and whitespace that follow
/// it, since `=` marks the end of the encoded data (RFC 2045 §6.8). Also whether anything
/// but whitespace comes after that.
fn base64_end(input: &[u8]) -> (usize, bool) {
    let Some(at) = memchr(b'=', input) else {
        return (input.len(), false);
    };
    let end = at
        + input[at..]
            .iter()
            .take_while(|&&b| b == b'=' || b.is_ascii_whitespace())
            .count();
    (end, end < input.len())
}

/// Decodes base64, skipping line breaks and whitespace, up to the padding. Returns the
/// bytes, the number of damaged spots (junk bytes, a truncated final quantum) and whether
/// data after the padding was left out.
pub(crate) fn decode_base64(input: &[u8]) -> (Vec<u8>, usize, bool) {
    let (end, after_padding) = base64_end(input);
    let input = &input[..end];
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut pending: Vec<u8> = Vec::new();
    let mut gathered: Vec<u8> = Vec::with_capacity(input.len().min(BASE64_CHUNK + 128));
    let mut damage = 0;
    let mut start = 0;
    while start < input.len() {
        let end = memchr(b'\n', &input[start..]).map_or(input.len(), |i| start + i);
        gathered.extend_from_slice(trim_wsp(&input[start..end]));
        start = end + 1;
        if gathered.len() >= BASE64_CHUNK {
            damage += decode_base64_gathered(&mut gathered, &mut pending, &mut out, false);
        }
    }
    damage += decode_base64_gathered(&mut gathered, &mut pending, &mut out, true);
    if !flush_quantum(&mut pending, &mut out) {
        damage += 1;
    }
    (out, damage, after_padding)
}

pub(crate) fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// Decodes quoted-printable (RFC 2045 §6.7): soft line breaks removed, lowercase hex
/// accepted, trailing whitespace on a line dropped, a malformed `=` kept literally and
/// counted.
pub(crate) fn decode_quoted_printable(input: &[u8]) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(input.len());
    let mut bad = 0;
    let mut protect = 0;
    let mut i = 0;
    let strip = |out: &mut Vec<u8>, protect: usize| {
        while out.len() > protect && matches!(out.last(), Some(b' ' | b'\t')) {
            out.pop();
        }
    };
    while i < input.len() {
        let Some(rel) = memchr2(b'=', b'\n', &input[i..]) else {
            out.extend_from_slice(&input[i..]);
            break;
        };
        out.extend_from_slice(&input[i..i + rel]);
        i += rel;
        if input[i] == b'\n' {
            let cr = out.len() > protect && out.last() == Some(&b'\r');
            if cr {
                out.pop();
            }
            strip(&mut out, protect);
            out.extend_from_slice(if cr { b"\r\n" } else { b"\n" });
            protect = out.len();
            i += 1;
            continue;
        }
        // '='
        if let (Some(h), Some(l)) = (
            input.get(i + 1).copied().and_then(hex),
            input.get(i + 2).copied().and_then(hex),
        ) {
            out.push(h << 4 | l);
            protect = out.len();
            i += 3;
            continue;
        }
        let ws = input[i + 1..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let after = i + 1 + ws;
        match input.get(after) {
            None => i = after,
            Some(b'\n') => i = after + 1,
            Some(b'\r') if input.get(after + 1) == Some(&b'\n') => i = after + 2,
            Some(b'\r') if input.get(after + 1).is_none() => i = after + 1,
            _ => {
                out.push(b'=');
                protect = out.len();
                bad += 1;
                i += 1;
            }
        }
    }
    strip(&mut out, protect);
    (out, bad)
}

/// A file carried in uuencode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UuFile {
    /// The name on the `begin` line.
    pub name: String,
    /// The Unix mode on the `begin` line (`0o644`).
    pub mode: u32,
    /// The decoded bytes.
    pub data: Vec<u8>,
}

fn uu_value(c: u8) -> u8 {
    c.wrapping_sub(b' ') & 0x3f
}

/// Decodes uuencoded lines up to `end`, a zero-length line or the end of input. Returns
/// the bytes, the damage count and how many bytes were consumed.
fn uu_lines(input: &[u8]) -> (Vec<u8>, usize, usize) {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut damage = 0;
    let mut at = 0;
    while at < input.len() {
        let end = memchr(b'\n', &input[at..]).map_or(input.len(), |i| at + i);
        let line = input[at..end]
            .strip_suffix(b"\r")
            .unwrap_or(&input[at..end]);
        at = (end + 1).min(input.len());
        if line == b"end" || line.starts_with(b"end ") {
            break;
        }
        let Some((&len, chars)) = line.split_first() else {
            continue;
        };
        let n = usize::from(uu_value(len));
        if n == 0 {
            continue;
        }
        let needed = n.div_ceil(3) * 4;
        if chars.len() < needed {
            damage += 1;
        }
        let mut produced = 0;
        for group in chars.chunks(4) {
            let v: [u8; 4] = std::array::from_fn(|k| group.get(k).map_or(0, |&c| uu_value(c)));
            let bytes = [
                v[0] << 2 | v[1] >> 4,
                v[1] << 4 | v[2] >> 2,
                v[2] << 6 | v[3],
            ];
            for b in bytes {
                if produced < n {
                    out.push(b);
                    produced += 1;
                }
            }
            if produced >= n {
                break;
            }
        }
    }
    (out, damage, at)
}

/// Reads a `begin <mode> <name>` line.
fn begin_line(line: &[u8]) -> Option<(u32, String)> {
    let rest = line.strip_prefix(b"begin ")?;
    let sp = memchr(b' ', rest)?;
    let mode_txt = &rest[..sp];
    if mode_txt.is_empty()
        || mode_txt.len() > 4
        || !mode_txt.iter().all(|b| (b'0'..=b'7').contains(b))
    {
        return None;
    }
    let mode = u32::from_str_radix(std::str::from_utf8(mode_txt).ok()?, 8).ok()?;
    let name = trim_wsp(&rest[sp + 1..]);
    Some((mode, crate::charset::lossy_text(name).into_owned()))
}

/// Decodes an `x-uuencode` body: from its `begin` line (or the first line, if there is
/// none) to `end`.
pub(crate) fn decode_uuencode(input: &[u8]) -> (UuFile, usize) {
    let mut at = 0;
    while at < input.len() {
        let end = memchr(b'\n', &input[at..]).map_or(input.len(), |i| at + i);
        let line = input[at..end]
            .strip_suffix(b"\r")
            .unwrap_or(&input[at..end]);
        if let Some((mode, name)) = begin_line(line) {
            let (data, damage, _) = uu_lines(&input[(end + 1).min(input.len())..]);
            return (UuFile { name, mode, data }, damage);
        }
        at = end + 1;
    }
    let (data, damage, _) = uu_lines(input);
    (
        UuFile {
            name: String::new(),
            mode: 0o644,
            data,
        },
        damage + 1,
    )
}

/// Finds the `begin ` of a uuencoded block, built once: text parts are searched for it,
/// and building a searcher for each cost more than the search on short ones.
pub(crate) static UU_BEGIN: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"begin "));

/// Finds uuencoded blocks inside text: `(start, end, file)` with byte offsets of the
/// block from its `begin` line to the end of its `end` line.
pub(crate) fn find_uu_blocks(text: &[u8]) -> Vec<(usize, usize, UuFile)> {
    let mut blocks = Vec::new();
    let mut at = 0;
    while let Some(rel) = UU_BEGIN.find(&text[at..]) {
        let start = at + rel;
        at = start + 6;
        if start > 0 && text[start - 1] != b'\n' {
            continue;
        }
        let end = memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        let line = text[start..end]
            .strip_suffix(b"\r")
            .unwrap_or(&text[start..end]);
        let Some((mode, name)) = begin_line(line) else {
            continue;
        };
        let body = (end + 1).min(text.len());
        let (data, _, used) = uu_lines(&text[body..]);
        at = body + used;
        blocks.push((start, at, UuFile { name, mode, data }));
    }
    blocks
}

/// Decodes a body; identity encodings borrow. Returns the bytes, the damage count and
/// whether base64 data after the padding was left out.
pub(crate) fn decode<'a>(
    encoding: &TransferEncoding,
    body: &'a [u8],
) -> (Cow<'a, [u8]>, usize, bool) {
    match encoding {
        TransferEncoding::Base64 => {
            let (v, d, after_padding) = decode_base64(body);
            (Cow::Owned(v), d, after_padding)
        }
        TransferEncoding::QuotedPrintable => {
            let (v, d) = decode_quoted_printable(body);
            (Cow::Owned(v), d, false)
        }
        TransferEncoding::UuEncode => {
            let (f, d) = decode_uuencode(body);
            (Cow::Owned(f.data), d, false)
        }
        _ => (Cow::Borrowed(body), 0, false),
    }
}

/// Base64 in lines of 76 characters ending in CRLF (RFC 2045 §6.8).
pub(crate) fn encode_base64(data: &[u8], out: &mut Vec<u8>) {
    let mut line = String::with_capacity(78);
    for chunk in data.chunks(57) {
        line.clear();
        STANDARD.encode_string(chunk, &mut line);
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// Quoted-printable of text whose line ends are CRLF: lines at most 76 characters,
/// trailing whitespace and `From ` at a line start escaped.
pub(crate) fn encode_quoted_printable(text: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut lines = text.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        let (line, hard) = match line.strip_suffix(b"\r") {
            Some(l) if !last => (l, true),
            _ => (line, !last),
        };
        let mut col = 0;
        for (i, &b) in line.iter().enumerate() {
            let at_end = i + 1 == line.len();
            let literal = (b == b' ' || b == b'\t') && !at_end
                || (33..=126).contains(&b)
                    && b != b'='
                    && !(i == 0 && b == b'F' && line.starts_with(b"From "))
                    && !(i == 0 && b == b'.');
            let width = if literal { 1 } else { 3 };
            // Leave room for the soft break's '='.
            if col + width > 75 {
                out.extend_from_slice(b"=\r\n");
                col = 0;
            }
            if literal {
                out.push(b);
            } else {
                out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            }
            col += width;
        }
        if hard {
            out.extend_from_slice(b"\r\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_with_line_breaks_and_junk() {
        assert_eq!(
            decode_base64(b"SGVsbG8s\r\nIHdvcmxk\r\nIQ==\r\n"),
            (b"Hello, world!".to_vec(), 0, false)
        );
        assert_eq!(
            decode_base64(b"SGVsb G8sIH\r\ndvcmxkIQ"),
            (b"Hello, world!".to_vec(), 0, false)
        );
        assert_eq!(decode_base64(b"SGVs*bG8="), (b"Hello".to_vec(), 1, false));
        // Data after the padding is not part of the encoded data (RFC 2045 §6.8).
        assert_eq!(decode_base64(b"QQ==QUJD"), (b"A".to_vec(), 0, true));
        assert_eq!(decode_base64(b"QUJDR"), (b"ABC".to_vec(), 1, false));
        assert_eq!(decode_base64(b""), (Vec::new(), 0, false));
        assert_eq!(decode_base64(b"QUJD\r\nRA"), (b"ABCD".to_vec(), 0, false));
        assert_eq!(decode_base64(b"QUJD\r\nR"), (b"ABC".to_vec(), 1, false));
    }

    #[test]
    fn base64_stops_at_the_padding() {
        assert_eq!(
            decode_base64(b"SGVsbG8=\r\nIHdvcmxk\r\n"),
            (b"Hello".to_vec(), 0, true)
        );
        assert_eq!(
            decode_base64(b"SGVsbA=\r\n=\r\n\r\n"),
            (b"Hell".to_vec(), 0, false)
        );
        assert_eq!(
            decode_base64(b"SGVsbA==\r\n-- \r\nsig\r\n"),
            (b"Hell".to_vec(), 0, true)
        );
        assert_eq!(decode_base64(b"SGVs=bA=="), (b"Hel".to_vec(), 0, true));
        assert_eq!(decode_base64(b"SGVsbA"), (b"Hell".to_vec(), 0, false));
    }

    #[test]
    fn base64_across_chunks_with_damage_in_the_middle() {
        let data: Vec<u8> = (0..=255u8).cycle().take(3 * BASE64_CHUNK).collect();
        let mut enc = Vec::new();
        encode_base64(&data, &mut enc);
        assert_eq!(decode_base64(&enc), (data.clone(), 0, false));
        let mid = enc.len() / 2;
        let mut damaged = enc[..mid].to_vec();
        damaged.extend_from_slice(b"!!");
        damaged.extend_from_slice(&enc[mid..]);
        assert_eq!(decode_base64(&damaged), (data, 2, false));
    }

    #[test]
    fn quoted_printable_rfc2045_rules() {
        assert_eq!(
            decode_quoted_printable(b"caf=C3=A9 =c3=a9"),
            ("caf\u{e9} \u{e9}".as_bytes().to_vec(), 0)
        );
        assert_eq!(
            decode_quoted_printable(b"soft=\r\nbreak=  \r\nhere"),
            (b"softbreakhere".to_vec(), 0)
        );
        assert_eq!(
            decode_quoted_printable(b"trail  \r\nx=20\r\n"),
            (b"trail\r\nx \r\n".to_vec(), 0)
        );
        assert_eq!(
            decode_quoted_printable(b"a=ZZb=4"),
            (b"a=ZZb=4".to_vec(), 2)
        );
        assert_eq!(
            decode_quoted_printable(b"lf\nonly=\nx"),
            (b"lf\nonlyx".to_vec(), 0)
        );
        assert_eq!(decode_quoted_printable(b"end="), (b"end".to_vec(), 0));
    }

    #[test]
    fn quoted_printable_encoding_round_trips() {
        let text = format!(
            "From here\r\n.dot\r\n{}\r\ntrailing \r\ncaf\u{e9} = x",
            "y".repeat(200)
        );
        let mut enc = Vec::new();
        encode_quoted_printable(text.as_bytes(), &mut enc);
        assert!(
            enc.split(|&b| b == b'\n').all(|l| l.len() <= 77),
            "{}",
            String::from_utf8_lossy(&enc)
        );
        assert!(enc.starts_with(b"=46rom here\r\n=2Edot\r\n"));
        assert_eq!(decode_quoted_printable(&enc), (text.into_bytes(), 0));
    }

    #[test]
    fn base64_encoding_round_trips() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut enc = Vec::new();
        encode_base64(&data, &mut enc);
        assert!(enc.split(|&b| b == b'\n').all(|l| l.len() <= 77));
        assert_eq!(decode_base64(&enc), (data, 0, false));
    }

    #[test]
    fn uuencode_body_and_inline_blocks() {
        let body = b"begin 644 cat.txt\n#0V%T\n`\nend\n";
        let (f, damage) = decode_uuencode(body);
        assert_eq!(
            (f.name.as_str(), f.mode, f.data.as_slice(), damage),
            ("cat.txt", 0o644, &b"Cat"[..], 0)
        );
        let text = b"See attached.\r\nbegin 600 a.bin\r\n#0V%T\r\n`\r\nend\r\nBye\r\n";
        let blocks = find_uu_blocks(text);
        assert_eq!(blocks.len(), 1);
        assert_eq!((blocks[0].0, blocks[0].1), (15, 47));
        assert_eq!(&text[blocks[0].1..], b"Bye\r\n");
        assert_eq!(blocks[0].2.data, b"Cat");
        assert!(find_uu_blocks(b"we begin now\nbegin here\n").is_empty());
    }

    #[test]
    fn encoding_names() {
        assert_eq!(
            TransferEncoding::parse(b" Base64 (x)"),
            TransferEncoding::Base64
        );
        assert_eq!(
            TransferEncoding::parse(b"X-UUENCODE"),
            TransferEncoding::UuEncode
        );
        assert_eq!(
            TransferEncoding::parse(b"x-gzip"),
            TransferEncoding::Other("x-gzip".into())
        );
    }
}
