//! One message as the store keeps it: content with CRLF line ends, flags without
//! `\Recent`, and the date it was stored.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use mailwire_imap::types::{DateTime, Flag};

use crate::store::MessageMeta;

/// One message as stored.
#[derive(Debug, Clone)]
pub(super) struct Message {
    pub(super) uid: u32,
    pub(super) flags: Vec<Flag>,
    pub(super) internal_date: DateTime,
    /// With CRLF line ends; its length fits a `u32`.
    pub(super) content: Bytes,
    /// No read-write view has seen it yet, so the next one to see it takes `\Recent`.
    pub(super) unclaimed: bool,
}

impl Message {
    pub(super) fn meta(&self, recent: bool) -> MessageMeta {
        MessageMeta {
            uid: self.uid,
            flags: self.flags.clone(),
            recent,
            internal_date: self.internal_date,
            size: u32::try_from(self.content.len()).unwrap_or(u32::MAX),
        }
    }

    /// Whether the message is `\Recent` for a view: it is while no read-write view has
    /// seen it. A read-write view takes it; a read-only one (EXAMINE) sees it and leaves it
    /// for the next, as Dovecot does.
    pub(super) fn claim(&mut self, read_only: bool) -> bool {
        let recent = self.unclaimed;
        if !read_only {
            self.unclaimed = false;
        }
        recent
    }
}

/// Whether two flags are the same; flag names are compared without regard to case.
pub(super) fn same_flag(a: &Flag, b: &Flag) -> bool {
    a.to_string().eq_ignore_ascii_case(&b.to_string())
}

/// The flags as the store keeps them: without `\Recent`, which is no stored flag, and
/// each once.
pub(super) fn storable(flags: &[Flag]) -> Vec<Flag> {
    let mut kept: Vec<Flag> = Vec::with_capacity(flags.len());
    for flag in flags {
        let recent =
            matches!(flag, Flag::Extension(atom) if atom.as_str().eq_ignore_ascii_case("Recent"));
        if !recent && !kept.iter().any(|k| same_flag(k, flag)) {
            kept.push(flag.clone());
        }
    }
    kept
}

/// The content with every line end as CRLF: a bare CR or LF becomes CRLF.
pub(super) fn crlf(content: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(content.len());
    let mut bytes = content.iter().copied().peekable();
    while let Some(byte) = bytes.next() {
        match byte {
            b'\r' => {
                bytes.next_if_eq(&b'\n');
                out.extend_from_slice(b"\r\n");
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            _ => out.push(byte),
        }
    }
    Bytes::from(out)
}

/// The time now, in UTC.
pub(super) fn now() -> DateTime {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc(seconds)
}

/// The UTC date and time `seconds` after 1970-01-01 00:00:00 (the end of year 9999 at
/// the latest).
fn utc(seconds: u64) -> DateTime {
    i64::try_from(seconds)
        .ok()
        .and_then(DateTime::from_unix_seconds)
        .or_else(|| DateTime::from_unix_seconds(253_402_300_799))
        .expect("a moment of year 9999")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        let show = |s| {
            let t = utc(s);
            let d = t.date();
            (d.year(), d.month(), d.day(), t.time(), t.zone_minutes())
        };
        assert_eq!(show(0), (1970, 1, 1, (0, 0, 0), 0));
        assert_eq!(show(951_782_400), (2000, 2, 29, (0, 0, 0), 0));
        assert_eq!(show(1_700_000_000), (2023, 11, 14, (22, 13, 20), 0));
        assert_eq!(show(4_107_542_399), (2100, 2, 28, (23, 59, 59), 0));
    }

    #[test]
    fn line_ends_become_crlf() {
        assert_eq!(
            crlf(b"a\nb\r\nc\rd\r\r\n"),
            &b"a\r\nb\r\nc\r\nd\r\n\r\n"[..]
        );
        assert_eq!(crlf(b""), &b""[..]);
    }
}
