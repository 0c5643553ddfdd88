//! Modified UTF-7 for mailbox names (RFC 3501 §5.1.3).
//!
//! Printable ASCII stands for itself, `&` is written `&-`, and every other run of
//! characters is written as UTF-16 in a base64 alphabet with `,` for `/`, between `&`
//! and `-`.

use thiserror::Error;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// A mailbox name that is not valid modified UTF-7.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Utf7Error {
    /// A byte outside printable ASCII appeared outside a shifted run.
    #[error("byte {byte:#04x} at {offset} is not printable ASCII")]
    Byte {
        /// The byte.
        byte: u8,
        /// Its position in the name.
        offset: usize,
    },
    /// A shifted run is malformed: bad base64, no closing `-`, leftover bits, an encoded
    /// printable character, or unpaired UTF-16 surrogates.
    #[error("malformed shifted run at {offset}")]
    Shift {
        /// Where the run starts (its `&`).
        offset: usize,
    },
}

/// Encodes a Unicode mailbox name as modified UTF-7.
///
/// ```
/// use mailwire_imap::types::utf7;
///
/// assert_eq!(utf7::encode("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
/// assert_eq!(utf7::encode("Tom & Jerry"), "Tom &- Jerry");
/// ```
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

fn flush(units: &mut Vec<u16>, out: &mut String) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(v >> 18) & 63, (v >> 12) & 63, (v >> 6) & 63, v & 63];
        for s in &sextets[..=n] {
            out.push(char::from(ALPHABET[*s as usize]));
        }
    }
    out.push('-');
    units.clear();
}

fn sextet(b: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&a| a == b)
        .and_then(|p| u32::try_from(p).ok())
}

/// Decodes a modified UTF-7 mailbox name.
///
/// ```
/// use mailwire_imap::types::utf7;
///
/// assert_eq!(utf7::decode(b"~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap(), "~peter/mail/台北/日本語");
/// assert!(utf7::decode(b"&Jjo!").is_err());
/// ```
pub fn decode(name: &[u8]) -> Result<String, Utf7Error> {
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < name.len() {
        let b = name[i];
        if b == b'&' {
            let start = i;
            let end = memchr::memchr(b'-', &name[i..])
                .map(|p| p + i)
                .ok_or(Utf7Error::Shift { offset: start })?;
            if end == i + 1 {
                out.push('&');
            } else {
                decode_run(&name[i + 1..end], &mut out)
                    .ok_or(Utf7Error::Shift { offset: start })?;
            }
            i = end + 1;
        } else if (0x20..=0x7e).contains(&b) {
            out.push(char::from(b));
            i += 1;
        } else {
            return Err(Utf7Error::Byte { byte: b, offset: i });
        }
    }
    Ok(out)
}

fn decode_run(run: &[u8], out: &mut String) -> Option<()> {
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut units = Vec::with_capacity(run.len() / 2);
    let mut hi: Option<u16> = None;
    for &b in run {
        bits = (bits << 6) | sextet(b)?;
        nbits += 6;
        if nbits >= 16 {
            nbits -= 16;
            let unit = u16::try_from((bits >> nbits) & 0xffff).ok()?;
            bits &= (1 << nbits) - 1;
            units.push(unit);
        }
    }
    // Leftover bits must be zero padding, and fewer than a sextet's worth plus a byte.
    if nbits >= 6 || bits != 0 || units.is_empty() {
        return None;
    }
    for unit in units {
        if let Some(h) = hi.take() {
            let c = char::decode_utf16([h, unit]).next()?.ok()?;
            out.push(c);
        } else if (0xd800..0xdc00).contains(&unit) {
            hi = Some(unit);
        } else {
            let c = char::from_u32(u32::from(unit))?;
            // A printable ASCII character must stand for itself.
            if (' '..='~').contains(&c) {
                return None;
            }
            out.push(c);
        }
    }
    if hi.is_some() { None } else { Some(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_example_round_trips() {
        let wire = "~peter/mail/&U,BTFw-/&ZeVnLIqe-";
        assert_eq!(decode(wire.as_bytes()).unwrap(), "~peter/mail/台北/日本語");
        assert_eq!(encode("~peter/mail/台北/日本語"), wire);
    }

    #[test]
    fn ampersand_and_astral_characters() {
        assert_eq!(encode("&"), "&-");
        assert_eq!(decode(b"&-&-").unwrap(), "&&");
        let astral = "mail 📧";
        let wire = encode(astral);
        assert_eq!(wire, "mail &2D3c5w-");
        assert_eq!(decode(wire.as_bytes()).unwrap(), astral);
        assert_eq!(encode("Entwürfe"), "Entw&APw-rfe");
    }

    #[test]
    fn malformed_runs_are_refused() {
        assert_eq!(
            decode(b"&U,BTFw").unwrap_err(),
            Utf7Error::Shift { offset: 0 }
        );
        assert_eq!(
            decode(b"a&AGE-").unwrap_err(),
            Utf7Error::Shift { offset: 1 }
        );
        assert_eq!(
            decode(b"x\xc3").unwrap_err(),
            Utf7Error::Byte {
                byte: 0xc3,
                offset: 1
            }
        );
        assert!(decode(b"&2D3-").is_err(), "lone high surrogate");
        assert!(decode(b"&A-").is_err(), "too few bits");
    }
}
