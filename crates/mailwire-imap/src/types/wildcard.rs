//! LIST and LSUB wildcards (RFC 3501 §6.3.8):
//!
//! > The character "*" is a wildcard, and matches zero or more characters at this
//! > position. The character "%" is similar to "*", but it does not match a hierarchy
//! > delimiter.
//!
//! The pattern is read as a small automaton with one state per pattern position, and the
//! name is run through it once, keeping the set of states reachable so far. Each name
//! byte costs one step per pattern position at worst, so a match takes at most
//! O(len(name) × len(pattern)) steps and O(len(pattern)) memory, without recursion or
//! backtracking: no pattern can make it go exponential or deep. As the states reachable
//! after k bytes lie within the first 2k + 1 positions, a name of n bytes costs at most
//! O(n × min(len(pattern), n)) steps after the pattern is read: a 64 KiB pattern is cheap
//! against everyday names.

/// One position of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// `*`: any bytes.
    Any,
    /// `%`: any bytes but the hierarchy delimiter.
    Level,
    /// This byte.
    Byte(u8),
}

/// The pattern's tokens, with each run of wildcards made one: `**` and `%%` match what a
/// single one does, and a run holding a `*` matches anything, as `*` does.
fn tokens(pattern: &[u8]) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::with_capacity(pattern.len());
    for &b in pattern {
        let token = match b {
            b'*' => Token::Any,
            b'%' => Token::Level,
            _ => Token::Byte(b),
        };
        match (tokens.last_mut(), token) {
            (Some(last @ (Token::Any | Token::Level)), Token::Any) => *last = Token::Any,
            (Some(Token::Any | Token::Level), Token::Level) => {}
            _ => tokens.push(token),
        }
    }
    tokens
}

/// Marks the states a wildcard reaches by matching nothing, among the active states in
/// `lo..hi`, and returns the new end of that window. States only move forward, so one
/// pass in order reaches the end of any chain.
fn close(tokens: &[Token], states: &mut [bool], lo: usize, mut hi: usize) -> usize {
    let mut i = lo;
    while i < hi.min(tokens.len()) {
        if states[i] && matches!(tokens[i], Token::Any | Token::Level) {
            states[i + 1] = true;
            hi = hi.max(i + 2);
        }
        i += 1;
    }
    hi
}

/// Whether `name` matches `pattern`; `%` stops at `delimiter` (with none, it matches as
/// `*` does). `fold` compares ASCII letters without regard to case.
pub(crate) fn matches(pattern: &[u8], name: &[u8], delimiter: Option<u8>, fold: bool) -> bool {
    let same = |a: &[u8], b: &[u8]| {
        if fold {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let is_wildcard = |b: &u8| matches!(b, b'*' | b'%');
    // The bytes before the first wildcard and after the last are anchored at the ends of
    // the name: compared in place, they leave a pattern that starts and ends with one.
    let Some(first) = pattern.iter().position(is_wildcard) else {
        return same(pattern, name);
    };
    let last = pattern.iter().rposition(is_wildcard).unwrap_or(first);
    let (head, tail) = (&pattern[..first], &pattern[last + 1..]);
    if name.len() < head.len() + tail.len()
        || !same(head, &name[..head.len()])
        || !same(tail, &name[name.len() - tail.len()..])
    {
        return false;
    }
    let (pattern, name) = (
        &pattern[first..=last],
        &name[head.len()..name.len() - tail.len()],
    );
    match pattern {
        b"*" => true,
        b"%" => delimiter.is_none_or(|d| !name.contains(&d)),
        _ => run(pattern, name, delimiter, fold),
    }
}

/// The automaton: `pattern`, which starts and ends with a wildcard, and `name` read in
/// one pass.
fn run(pattern: &[u8], name: &[u8], delimiter: Option<u8>, fold: bool) -> bool {
    let tokens = tokens(pattern);
    let same = |a: u8, b: u8| {
        if fold {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let end = tokens.len();
    // states[i]: the first i tokens match the name read so far. The active states lie in
    // lo..hi, a window that grows by at most two a byte (a literal, then the wildcard
    // after it, as runs of wildcards are one token): a short name costs little even
    // against a long pattern.
    let mut states = vec![false; end + 1];
    let mut next = vec![false; end + 1];
    states[0] = true;
    let (mut lo, mut hi) = (0, close(&tokens, &mut states, 0, 1));
    for &c in name {
        let (mut next_lo, mut next_hi) = (usize::MAX, 0);
        for i in lo..hi.min(end) {
            if !states[i] {
                continue;
            }
            let to = match tokens[i] {
                Token::Any => i,
                Token::Level if Some(c) != delimiter => i,
                Token::Byte(b) if same(b, c) => i + 1,
                Token::Level | Token::Byte(_) => continue,
            };
            next[to] = true;
            next_lo = next_lo.min(to);
            next_hi = next_hi.max(to + 1);
        }
        // Left all false, ready to be the next step's buffer.
        states[lo..hi].fill(false);
        if next_hi == 0 {
            return false;
        }
        hi = close(&tokens, &mut next, next_lo, next_hi);
        lo = next_lo;
        std::mem::swap(&mut states, &mut next);
    }
    states[end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, read literally: try every split. Exponential; short inputs only.
    fn naive(pattern: &[u8], name: &[u8], delimiter: Option<u8>) -> bool {
        match pattern.split_first() {
            None => name.is_empty(),
            Some((b'*', rest)) => (0..=name.len()).any(|i| naive(rest, &name[i..], delimiter)),
            Some((b'%', rest)) => (0..=name.len())
                .take_while(|&i| i == 0 || Some(name[i - 1]) != delimiter)
                .any(|i| naive(rest, &name[i..], delimiter)),
            Some((&c, rest)) => name
                .split_first()
                .is_some_and(|(&n, tail)| n == c && naive(rest, tail, delimiter)),
        }
    }

    fn m(pattern: &str, name: &str) -> bool {
        matches(pattern.as_bytes(), name.as_bytes(), Some(b'/'), false)
    }

    #[test]
    fn star_matches_across_levels_and_percent_within_one() {
        assert!(m("*", "INBOX"));
        assert!(m("*", ""));
        assert!(m("*", "a/b/c"));
        assert!(m("%", "INBOX"));
        assert!(m("%", ""));
        assert!(!m("%", "a/b"));
        assert!(m("a/%", "a/b"));
        assert!(!m("a/%", "a/b/c"));
        assert!(m("a/%/c", "a/b/c"));
        assert!(m("a/*", "a/b/c"));
        assert!(m("*b", "a/b"));
        assert!(m("%/%", "a/b"));
        assert!(!m("%/%", "a/b/c"));
        assert!(m("%/*", "a/b/c"));
        assert!(!m("INBOX/*", "INBOX"));
        assert!(m("INBOX*", "INBOX"));
        assert!(!m("inbox", "INBOX"));
        assert!(m("a%b%c", "aXbYc"));
        assert!(!m("a%b%c", "a/b/c"));
        assert!(m("a*b*c", "a/b/c"));
        // A run of wildcards with a `*` in it crosses levels; a run of `%` does not.
        assert!(m("%*%", "a/b"));
        assert!(m("a%%*/c", "a/b/c"));
        assert!(!m("a%%%/c", "a/b/x/c"));
    }

    /// RFC 3501 §6.3.8's examples with the "." and "/" hierarchies.
    #[test]
    fn rfc3501_examples() {
        let dot = |p: &str, n: &str| matches(p.as_bytes(), n.as_bytes(), Some(b'.'), false);
        // "foo*" matches foo, foobar, foo.bar and foo.bar.baz; "foo%" only the first two.
        for name in ["foo", "foobar", "foo.bar", "foo.bar.baz"] {
            assert!(dot("foo*", name), "{name}");
        }
        assert!(dot("foo%", "foo"));
        assert!(dot("foo%", "foobar"));
        assert!(!dot("foo%", "foo.bar"));
        // `LIST "#news." "comp.mail.*"`, resolved to "#news.comp.mail.*".
        assert!(dot("#news.comp.mail.*", "#news.comp.mail.misc"));
        assert!(dot("#news.comp.mail.*", "#news.comp.mail.mime.headers"));
        assert!(!dot("#news.comp.mail.*", "#news.comp.mailx"));
        // `LIST "~/Mail/" "%"`.
        assert!(m("~/Mail/%", "~/Mail/foo"));
        assert!(!m("~/Mail/%", "~/Mail/foo/bar"));
    }

    #[test]
    fn empty_patterns_and_names() {
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(!m("a", ""));
        assert!(m("%%%", ""));
        assert!(m("**", ""));
        assert!(!m("/", ""));
        assert!(m("/", "/"));
        assert!(m("%/", "/"));
    }

    #[test]
    fn without_a_delimiter_percent_is_star() {
        let flat = |p: &str, n: &str| matches(p.as_bytes(), n.as_bytes(), None, false);
        assert!(flat("%", "a/b.c"));
        assert!(flat("a%c", "a/b.c"));
        // Another delimiter: "/" is an ordinary byte.
        assert!(matches(b"%", b"a/b", Some(b'.'), false));
        assert!(!matches(b"%", b"a.b", Some(b'.'), false));
    }

    #[test]
    fn folding_compares_letters_without_case() {
        assert!(matches(b"inbox", b"INBOX", Some(b'/'), true));
        assert!(matches(b"In%", b"INBOX", Some(b'/'), true));
        assert!(matches(b"*x", b"INBOX", Some(b'/'), true));
        assert!(!matches(b"inbo", b"INBOX", Some(b'/'), true));
    }

    /// Patterns that make a backtracking matcher recurse 40,000 deep or try exponentially
    /// many splits end here in one pass.
    #[test]
    fn long_wildcard_runs_return() {
        let percents = vec![b'%'; 40 * 1024];
        let name = b"a".repeat(10_000);
        assert!(matches(&percents, &name, Some(b'/'), false));
        let mut stars = b"*".repeat(1000);
        stars.push(b'Z');
        assert!(!matches(&stars, &name, Some(b'/'), false));
        let short = &name[..1000];
        let mut mixed = b"*%a".repeat(300);
        mixed.push(b'Z');
        assert!(!matches(&mixed, short, Some(b'/'), false));
        assert!(matches(&b"%a".repeat(500), short, Some(b'/'), false));
        assert!(!matches(&b"%a/".repeat(300), short, Some(b'/'), false));
        // No anchored end to reject it early: the automaton reads the whole name.
        let mut inner = b"*a".repeat(300);
        inner.extend_from_slice(b"Z*");
        assert!(!matches(&inner, short, Some(b'/'), false));
        let mut z = short.to_vec();
        z[500] = b'Z';
        assert!(matches(&inner, &z, Some(b'/'), false));
    }

    proptest! {
        #[test]
        fn agrees_with_the_definition(
            pattern in proptest::collection::vec(
                prop_oneof![Just(b'*'), Just(b'%'), Just(b'/'), Just(b'a'), Just(b'b')], 0..9),
            name in proptest::collection::vec(
                prop_oneof![Just(b'/'), Just(b'a'), Just(b'b'), Just(b'*')], 0..10),
            delimiter in prop_oneof![Just(None), Just(Some(b'/')), Just(Some(b'a'))],
        ) {
            prop_assert_eq!(
                matches(&pattern, &name, delimiter, false),
                naive(&pattern, &name, delimiter)
            );
        }
    }
}
