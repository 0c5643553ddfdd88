//! Text in a declared charset converted to UTF-8: every WHATWG label through `encoding_rs`,
//! plus UTF-7 (RFC 2152), which the WHATWG list leaves out but old mailers still send.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// A charset this crate can convert from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// One of the WHATWG encodings.
    Whatwg(&'static Encoding),
    /// UTF-7 (RFC 2152).
    Utf7,
}

impl Charset {
    /// Looks a label up (case-insensitive, surrounding whitespace ignored).
    ///
    /// ```
    /// use mailwire_mime::Charset;
    /// assert!(Charset::for_label("ISO-8859-1").is_some());
    /// assert_eq!(Charset::for_label("utf-7"), Some(Charset::Utf7));
    /// assert_eq!(Charset::for_label("x-no-such"), None);
    /// ```
    pub fn for_label(label: &str) -> Option<Charset> {
        let label = label.trim();
        if [
            "utf-7",
            "utf7",
            "unicode-1-1-utf-7",
            "csunicode11utf7",
            "x-unicode-2-0-utf-7",
        ]
        .iter()
        .any(|l| l.eq_ignore_ascii_case(label))
        {
            return Some(Charset::Utf7);
        }
        if let Some(e) = Encoding::for_label(label.as_bytes()) {
            return Some(Charset::Whatwg(e));
        }
        // Names mailers use that WHATWG does not list.
        let alias = match label.to_ascii_lowercase().as_str() {
            "cp932" | "ms932" | "windows-31j" => "shift_jis",
            "cp936" | "ms936" => "gbk",
            "cp949" | "ks_c_5601" | "ksc5601" => "euc-kr",
            "cp950" => "big5",
            "ansi_x3.4-1968" | "iso646-us" | "us" | "646" => "us-ascii",
            "latin-1" => "iso-8859-1",
            "utf-16" | "ucs-2" => "utf-16le",
            _ => return None,
        };
        Encoding::for_label(alias.as_bytes()).map(Charset::Whatwg)
    }

    /// Decodes bytes; the flag says whether malformed sequences were replaced by U+FFFD.
    pub fn decode<'b>(self, bytes: &'b [u8]) -> (Cow<'b, str>, bool) {
        match self {
            Charset::Whatwg(e) => e.decode_without_bom_handling(bytes),
            Charset::Utf7 => {
                let (s, bad) = decode_utf7(bytes);
                (Cow::Owned(s), bad)
            }
        }
    }

    /// Decodes an owned buffer, reusing it when it is already valid UTF-8.
    pub(crate) fn decode_vec(self, bytes: Vec<u8>) -> (String, bool) {
        if let Charset::Whatwg(e) = self
            && (e == UTF_8 || e.is_ascii_compatible() && bytes.is_ascii())
        {
            return match String::from_utf8(bytes) {
                Ok(s) => (s, false),
                Err(err) => (String::from_utf8_lossy(err.as_bytes()).into_owned(), true),
            };
        }
        let (s, bad) = self.decode(&bytes);
        (s.into_owned(), bad)
    }
}

/// Bytes of unknown encoding as text: UTF-8 when valid (RFC 6532), else windows-1252.
pub(crate) fn lossy_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => WINDOWS_1252.decode_without_bom_handling(bytes).0,
    }
}

fn utf7_value(b: u8) -> Option<u32> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Decodes UTF-7: direct characters, and `+`…`-` runs of modified base64 carrying UTF-16.
fn decode_utf7(input: &[u8]) -> (String, bool) {
    let mut out = String::with_capacity(input.len());
    let mut bad = false;
    let mut i = 0;
    let mut units: Vec<u16> = Vec::new();
    while i < input.len() {
        let b = input[i];
        if b != b'+' {
            if b < 128 {
                out.push(char::from(b));
            } else {
                out.push(char::REPLACEMENT_CHARACTER);
                bad = true;
            }
            i += 1;
            continue;
        }
        i += 1;
        if input.get(i) == Some(&b'-') {
            out.push('+');
            i += 1;
            continue;
        }
        let mut acc: u32 = 0;
        let mut bits = 0u32;
        units.clear();
        while let Some(v) = input.get(i).and_then(|&c| utf7_value(c)) {
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 16 {
                bits -= 16;
                units.push(((acc >> bits) & 0xffff) as u16);
            }
            acc &= (1 << bits) - 1;
            i += 1;
        }
        if acc != 0 {
            bad = true;
        }
        for c in char::decode_utf16(units.iter().copied()) {
            out.push(c.unwrap_or_else(|_| {
                bad = true;
                char::REPLACEMENT_CHARACTER
            }));
        }
        if input.get(i) == Some(&b'-') {
            i += 1;
        }
    }
    (out, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf7_rfc2152_examples() {
        // RFC 2152 §"Examples".
        assert_eq!(
            decode_utf7(b"A+ImIDkQ."),
            ("A\u{2262}\u{391}.".to_owned(), false)
        );
        assert_eq!(
            decode_utf7(b"Hi Mom -+Jjo--!"),
            ("Hi Mom -\u{263a}-!".to_owned(), false)
        );
        assert_eq!(
            decode_utf7(b"+ZeVnLIqe-"),
            ("\u{65e5}\u{672c}\u{8a9e}".to_owned(), false)
        );
        assert_eq!(decode_utf7(b"1 +- 1"), ("1 + 1".to_owned(), false));
    }

    #[test]
    fn utf7_surrogate_pair_and_damage() {
        // U+1F600 is D83D DE00.
        assert_eq!(decode_utf7(b"+2D3eAA-"), ("\u{1f600}".to_owned(), false));
        assert!(decode_utf7(b"+2D0-").1);
        assert!(decode_utf7(b"\xff").1);
    }

    #[test]
    fn whatwg_labels_and_aliases() {
        let latin1 = Charset::for_label(" Latin1 ").expect("known label");
        assert_eq!(
            latin1.decode(b"caf\xe9"),
            (Cow::Owned("caf\u{e9}".to_owned()), false)
        );
        let sjis = Charset::for_label("cp932").expect("alias");
        assert_eq!(sjis.decode(b"\x82\xa0").0, "\u{3042}");
        let koi = Charset::for_label("koi8-r").expect("known label");
        assert_eq!(
            koi.decode(b"\xf0\xd2\xc9\xd7\xc5\xd4").0,
            "\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442}"
        );
    }

    #[test]
    fn decode_vec_reuses_valid_utf8() {
        let utf8 = Charset::for_label("utf-8").expect("utf-8");
        assert_eq!(utf8.decode_vec(b"ok".to_vec()), ("ok".to_owned(), false));
        assert_eq!(
            utf8.decode_vec(b"a\xffb".to_vec()),
            ("a\u{fffd}b".to_owned(), true)
        );
    }

    #[test]
    fn lossy_text_falls_back_to_windows_1252() {
        assert_eq!(lossy_text("\u{e9}".as_bytes()), "\u{e9}");
        assert_eq!(lossy_text(b"\x93q\x94"), "\u{201c}q\u{201d}");
    }
}
