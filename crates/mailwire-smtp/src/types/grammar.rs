//! Character classes and small productions of RFC 5321 §4.1.2 shared by the codec.
//!
//! Every function here works on bytes. Non-ASCII bytes are admitted where RFC 6531
//! (SMTPUTF8) extends the grammar with `UTF8-non-ascii`; whether they form valid UTF-8 is
//! checked once, when the caller turns the slice into a `String`.

/// Builds a 256-entry class table from a byte predicate written as a `matches!`.
macro_rules! class_table {
    ($pattern:pat) => {{
        let mut table = [false; 256];
        let mut i = 0;
        while i < 256 {
            #[allow(clippy::cast_possible_truncation, reason = "i < 256")]
            let b = i as u8;
            table[i] = matches!(b, $pattern);
            i += 1;
        }
        table
    }};
}

/// `atext` of RFC 5322 §3.2.3, extended with `UTF8-non-ascii` by RFC 6531 §3.3.
static ATEXT: [bool; 256] = class_table!(
    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9'
        | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'/' | b'='
        | b'?' | b'^' | b'_' | b'`' | b'{' | b'|' | b'}' | b'~'
        | 0x80..=0xff
);

/// Letters, digits, hyphen, and non-ASCII (U-labels): what a domain label is made of.
static LDH: [bool; 256] =
    class_table!(b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | 0x80..=0xff);

/// `atext`, extended with `UTF8-non-ascii` (RFC 6531 §3.3).
pub(crate) fn is_atext(b: u8) -> bool {
    ATEXT[usize::from(b)]
}

/// Letter, digit, hyphen or non-ASCII.
pub(crate) fn is_ldh(b: u8) -> bool {
    LDH[usize::from(b)]
}

/// `qtextSMTP = %d32-33 / %d35-91 / %d93-126`, plus `UTF8-non-ascii` (RFC 6531).
pub(crate) const fn is_qtext_smtp(b: u8) -> bool {
    matches!(b, 32..=33 | 35..=91 | 93..=126 | 0x80..=0xff)
}

/// `esmtp-value = 1*(%d33-60 / %d62-126)`, plus `UTF8-non-ascii` (RFC 6531 §3.3).
pub(crate) const fn is_esmtp_value_char(b: u8) -> bool {
    matches!(b, 33..=60 | 62..=126 | 0x80..=0xff)
}

/// `esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`
pub(crate) fn is_esmtp_keyword(s: &[u8]) -> bool {
    match s.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphanumeric()
                && rest.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        }
        None => false,
    }
}

/// Printable text that can travel in a command argument or a reply line: HT, SP, VCHAR and
/// non-ASCII; never CR, LF or another control character.
pub(crate) fn is_text(s: &[u8]) -> bool {
    s.iter()
        .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80)
}

/// `1*DIGIT` as a `u64`; `None` when empty, not all digits, or too large for a `u64`.
///
/// The digit count is bounded by the overflow check, so a peer announcing a number with
/// thousands of digits costs nothing more than the scan.
pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

/// Writes a `u64` in decimal without going through `fmt`.
pub(crate) fn put_u64(out: &mut impl bytes::BufMut, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        #[allow(
            clippy::cast_possible_truncation,
            reason = "a remainder of 10 fits a u8"
        )]
        let digit = (n % 10) as u8;
        digits[i] = b'0' + digit;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.put_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_u64_bounds() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(&[b'9'; 5000]), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"12a"), None);
        assert_eq!(parse_u64(b"+1"), None);
    }

    #[test]
    fn put_u64_writes_decimal() {
        for n in [0, 7, 10, 1_000_000, u64::MAX] {
            let mut out = Vec::new();
            put_u64(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }

    #[test]
    fn keywords() {
        assert!(is_esmtp_keyword(b"SIZE"));
        assert!(is_esmtp_keyword(b"X-FOO1"));
        assert!(!is_esmtp_keyword(b"-X"));
        assert!(!is_esmtp_keyword(b""));
        assert!(!is_esmtp_keyword(b"A_B"));
    }
}
