//! Message file names: `<unique>[,S=<size>][,W=<vsize>][:2,<flags>]`.
//!
//! The part before `:` is the message's base name, which never changes while the message
//! lives in a mailbox (`dovecot-uidlist` maps UIDs to it); the info part after `:2,`
//! holds the flags, one character each in ASCII order: `D` draft, `F` flagged, `P`
//! passed (forwarded), `R` replied, `S` seen, `T` trashed, and `a` to `z` for the
//! keywords `dovecot-keywords` lists.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use mailwire_imap::types::Flag;

use crate::keywords::Keywords;

/// The separator of the base name and the info part (`!` on file systems that refuse
/// `:`, which this store does not run on).
const INFO: char = ':';

/// The base name of a file name: everything before the info part.
pub(crate) fn base(name: &str) -> &str {
    name.split_once(INFO).map_or(name, |(base, _)| base)
}

/// The flag characters of a file name (empty for a name without `:2,`).
pub(crate) fn flag_chars(name: &str) -> &str {
    name.split_once(INFO)
        .and_then(|(_, info)| info.strip_prefix("2,"))
        .unwrap_or("")
}

/// The `,S=` (size on disk) and `,W=` (size with CRLF line ends) fields of a base name.
pub(crate) fn sizes(base: &str) -> (Option<u64>, Option<u64>) {
    let (mut size, mut vsize) = (None, None);
    for field in base.split(',').skip(1) {
        if let Some(n) = field.strip_prefix("S=") {
            size = n.parse().ok();
        } else if let Some(n) = field.strip_prefix("W=") {
            vsize = n.parse().ok();
        }
    }
    (size, vsize)
}

/// The file name of a message with this base name and these flag characters; a message
/// in `new/` has no info part.
pub(crate) fn file_name(base: &str, chars: Option<&str>) -> String {
    match chars {
        Some(chars) => format!("{base}{INFO}2,{chars}"),
        None => base.to_owned(),
    }
}

/// A name no other delivery has: `<seconds>.M<microseconds>P<pid>Q<count>.<host>`, as
/// the Maildir specification suggests.
pub(crate) fn unique(host: &str) -> String {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let count = COUNT.fetch_add(1, Ordering::Relaxed);
    format!(
        "{}.M{:06}P{}Q{count}.{host}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
    )
}

/// A base name: a unique name followed by the size of the file and its size with CRLF
/// line ends, as Dovecot writes them.
pub(crate) fn with_sizes(unique: &str, size: u64, vsize: u64) -> String {
    format!("{unique},S={size},W={vsize}")
}

/// The `,S=` and `,W=` fields of a base name, as they are (empty if it has none), for a
/// copy's name.
pub(crate) fn size_fields(base: &str) -> String {
    base.split(',')
        .skip(1)
        .filter(|f| f.starts_with("S=") || f.starts_with("W="))
        .fold(String::new(), |mut out, f| {
            out.push(',');
            out.push_str(f);
            out
        })
}

/// The host name as a file name may hold it: `/` and `:` written as octal escapes, as
/// the Maildir specification asks.
pub(crate) fn host_name() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let raw = raw.trim();
    let raw = if raw.is_empty() { "localhost" } else { raw };
    raw.replace('/', "\\057").replace(':', "\\072")
}

/// The order in which new files get UIDs: by the seconds their name starts with, then
/// by name (the names this store writes count up within a second).
pub(crate) fn delivery_order(a: &str, b: &str) -> std::cmp::Ordering {
    let seconds = |name: &str| -> u64 {
        let digits = name.bytes().take_while(u8::is_ascii_digit).count();
        name[..digits].parse().unwrap_or(0)
    };
    seconds(a).cmp(&seconds(b)).then_with(|| {
        // Names of one process within one second differ in `Q<count>`, which is not
        // zero-padded: compare its number, not its text.
        let count = |name: &str| -> Option<u64> {
            let (_, rest) = name.split_once('Q')?;
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            rest[..digits].parse().ok()
        };
        let same_prefix = a.split_once('Q').map(|p| p.0) == b.split_once('Q').map(|p| p.0);
        if same_prefix && let (Some(x), Some(y)) = (count(a), count(b)) {
            x.cmp(&y)
        } else {
            a.cmp(b)
        }
    })
}

/// The system flag a character stands for.
fn system_flag(c: char) -> Option<Flag> {
    Some(match c {
        'D' => Flag::Draft,
        'F' => Flag::Flagged,
        'P' => forwarded(),
        'R' => Flag::Answered,
        'S' => Flag::Seen,
        'T' => Flag::Deleted,
        _ => return None,
    })
}

/// `$Forwarded` (RFC 5788), which Maildir's `P` (passed) records. Dovecot neither reads nor
/// writes `P` for it, but a keyword letter like any other keyword's, so this store reads `P`
/// (from other Maildir writers) and writes the letter.
pub(crate) fn forwarded() -> Flag {
    Flag::parse("$Forwarded").expect("a valid keyword")
}

/// The flags that a file's flag characters stand for, in the characters' order.
/// Characters this store does not know (keyword letters without a name, experimental
/// ones) stand for nothing and are kept when the flags change.
pub(crate) fn flags(chars: &str, keywords: &Keywords) -> Vec<Flag> {
    let mut flags: Vec<Flag> = Vec::new();
    for flag in chars
        .chars()
        .filter_map(|c| system_flag(c).or_else(|| keywords.by_letter(c).cloned()))
    {
        // `$Forwarded` both as `P` and as a letter is one flag.
        if !flags.contains(&flag) {
            flags.push(flag);
        }
    }
    flags
}

/// The flag characters of `flags`, with the characters of `old` that stand for no flag
/// kept, in ASCII order (a `P` of `old` gives way to `$Forwarded`'s keyword letter). Keywords without a letter are given one in `keywords`;
/// `None` when there is no letter left for one.
pub(crate) fn chars(flags: &[Flag], old: &str, keywords: &mut Keywords) -> Option<String> {
    let mut out: Vec<char> = old
        .chars()
        .filter(|&c| system_flag(c).is_none() && keywords.by_letter(c).is_none())
        .collect();
    for flag in flags {
        let c = match flag {
            Flag::Draft => 'D',
            Flag::Flagged => 'F',
            Flag::Answered => 'R',
            Flag::Seen => 'S',
            Flag::Deleted => 'T',
            Flag::Keyword(_) => keywords.letter(flag)?,
            // `\Recent` and other extensions are no stored flags.
            _ => continue,
        };
        out.push(c);
    }
    out.sort_unstable();
    out.dedup();
    Some(out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyword(name: &str) -> Flag {
        Flag::parse(name).unwrap()
    }

    #[test]
    fn parts_of_a_name() {
        let name = "1700000000.M1P2.host,S=120,W=124:2,FSa";
        assert_eq!(base(name), "1700000000.M1P2.host,S=120,W=124");
        assert_eq!(flag_chars(name), "FSa");
        assert_eq!(sizes(base(name)), (Some(120), Some(124)));
        assert_eq!(sizes("1.M1P2.host"), (None, None));
        assert_eq!(flag_chars("1.M1P2.host"), "");
        assert_eq!(flag_chars("1.M1P2.host:1,xyz"), "");
        assert_eq!(file_name("b", Some("RS")), "b:2,RS");
        assert_eq!(file_name("b", None), "b");
    }

    #[test]
    fn passed_is_read_as_forwarded_and_written_as_its_letter() {
        let mut keywords = Keywords::default();
        assert_eq!(flags("PS", &keywords), [keyword("$Forwarded"), Flag::Seen]);
        // A change of flags writes `$Forwarded` as Dovecot does, and drops the `P`.
        let kept = flags("PS", &keywords);
        assert_eq!(chars(&kept, "PS", &mut keywords).unwrap(), "Sa");
        assert_eq!(keywords.by_letter('a'), Some(&keyword("$Forwarded")));
        // Both at once, from two writers, are one flag.
        assert_eq!(flags("Pa", &keywords), [keyword("$Forwarded")]);
        assert_eq!(chars(&[Flag::Seen], "PS", &mut keywords).unwrap(), "S");
    }

    #[test]
    fn flags_and_characters() {
        let mut keywords = Keywords::default();
        let flags = [
            Flag::Seen,
            keyword("$Work"),
            Flag::Answered,
            keyword("$Forwarded"),
            Flag::Deleted,
            Flag::Draft,
            Flag::Flagged,
            keyword("\\Recent"),
        ];
        let chars = chars(&flags, "", &mut keywords).unwrap();
        // `$Forwarded` is a keyword with a letter, as Dovecot stores it.
        assert_eq!(chars, "DFRSTab");
        assert_eq!(
            super::flags(&chars, &keywords),
            [
                Flag::Draft,
                Flag::Flagged,
                Flag::Answered,
                Flag::Seen,
                Flag::Deleted,
                keyword("$Work"),
                keyword("$Forwarded"),
            ]
        );
        // Unknown characters are kept; known ones follow the flags.
        assert_eq!(
            super::chars(&[keyword("$work")], "Sxa", &mut keywords).unwrap(),
            "ax"
        );
        assert_eq!(super::flags("Sx", &keywords), [Flag::Seen]);
    }

    #[test]
    fn new_files_are_ordered_as_delivered() {
        let mut names = vec![
            "1700000001.M000000P1Q1.h",
            "1700000000.M000002P1Q10.h",
            "1700000000.M000001P1Q9.h",
            "999999999.x",
        ];
        names.sort_by(|a, b| delivery_order(a, b));
        assert_eq!(
            names,
            [
                "999999999.x",
                "1700000000.M000001P1Q9.h",
                "1700000000.M000002P1Q10.h",
                "1700000001.M000000P1Q1.h"
            ]
        );
        let a = unique("h");
        let b = unique("h");
        assert!(delivery_order(&a, &b).is_lt(), "{a} {b}");
        assert!(with_sizes(&a, 1, 2).ends_with(".h,S=1,W=2"));
        assert_eq!(size_fields("1.x,S=1,Q=3,W=2"), ",S=1,W=2");
        assert_eq!(size_fields("1.x"), "");
    }
}
