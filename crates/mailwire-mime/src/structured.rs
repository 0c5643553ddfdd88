//! Lexical tokens of structured header fields (RFC 5322 §3.2).
//!
//! ```text
//! quoted-string = [CFWS] DQUOTE *([FWS] qcontent) [FWS] DQUOTE [CFWS]
//! comment       = "(" *([FWS] ccontent) [FWS] ")"
//! domain-literal= [CFWS] "[" *([FWS] dtext) [FWS] "]" [CFWS]
//! ```
//!
//! The lexer is lenient: an unterminated quoted string, comment or literal runs to the
//! end of the value, and bytes above 127 are atom text (RFC 6532).

use std::borrow::Cow;

/// One token of a structured value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// A run of atom text (dots included, as obs-phrase and dot-atom both allow them).
    Atom(&'a [u8]),
    /// A quoted string's content, backslash escapes removed.
    Quoted(Cow<'a, [u8]>),
    /// A domain literal, brackets included.
    Literal(Cow<'a, [u8]>),
    /// A comment's content, outer parentheses removed.
    Comment(Cow<'a, [u8]>),
    /// A single special character.
    Special(u8),
}

/// A token and whether whitespace came before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spanned<'a> {
    pub(crate) token: Token<'a>,
    pub(crate) space_before: bool,
}

const fn is_special(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b':' | b';' | b'@' | b'\\' | b',' | b'"'
    )
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Bytes that make up atoms: printable ASCII other than specials, and 8-bit bytes.
const ATOM: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        // `b` < 256, so the cast keeps every bit.
        #[allow(clippy::cast_possible_truncation, reason = "b < 256")]
        let byte = b as u8;
        t[b] = byte >= 128 || (byte > 32 && byte != 127 && !is_special(byte));
        b += 1;
    }
    t
};

/// Whether `b` is atom text.
pub(crate) const fn is_atom_byte(b: u8) -> bool {
    ATOM[b as usize]
}

/// The length of the atom at the start of `input`; 0 when there is none.
fn atom_len(input: &[u8]) -> usize {
    input
        .iter()
        .position(|&b| !ATOM[usize::from(b)])
        .unwrap_or(input.len())
}

/// Reads a delimited run (quoted string, literal) from after its opening byte; returns the
/// content with escapes removed and the number of bytes consumed, closing byte included.
fn delimited_run(input: &[u8], close: u8) -> (Cow<'_, [u8]>, usize) {
    let mut owned: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == close {
            let content = owned.map_or(Cow::Borrowed(&input[..i]), Cow::Owned);
            return (content, i + 1);
        }
        if b == b'\\' && i + 1 < input.len() {
            let buf = owned.get_or_insert_with(|| input[..i].to_vec());
            buf.push(input[i + 1]);
            i += 2;
            continue;
        }
        if b == b'\r' || b == b'\n' {
            // Folding inside a quoted string: the line end goes, the whitespace stays.
            owned.get_or_insert_with(|| input[..i].to_vec());
            i += 1;
            continue;
        }
        if let Some(buf) = owned.as_mut() {
            buf.push(b);
        }
        i += 1;
    }
    (owned.map_or(Cow::Borrowed(input), Cow::Owned), input.len())
}

/// Reads a comment from after its `(`, nesting included; returns content and length.
fn comment(input: &[u8]) -> (Cow<'_, [u8]>, usize) {
    let mut depth = 1usize;
    let mut out: Vec<u8> = Vec::new();
    let mut plain = true;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        match b {
            b'\\' if i + 1 < input.len() => {
                plain = false;
                out.push(input[i + 1]);
                i += 2;
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    let content = if plain {
                        Cow::Borrowed(&input[..i])
                    } else {
                        Cow::Owned(out)
                    };
                    return (content, i + 1);
                }
            }
            b'\r' | b'\n' => {
                plain = false;
                i += 1;
                continue;
            }
            _ => {}
        }
        out.push(b);
        i += 1;
    }
    let content = if plain {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(out)
    };
    (content, input.len())
}

/// Splits a structured value into tokens.
pub(crate) fn lex(mut input: &[u8]) -> Vec<Spanned<'_>> {
    // Addresses run up to about one token per two bytes (`a@b` is three): sized once
    // rather than regrown.
    let mut out = Vec::with_capacity(input.len() / 2 + 2);
    let mut space_before = false;
    while let Some(&b) = input.first() {
        if is_ws(b) {
            space_before = true;
            input = &input[1..];
            continue;
        }
        let (token, used) = match b {
            b'"' => {
                let (c, n) = delimited_run(&input[1..], b'"');
                (Token::Quoted(c), n + 1)
            }
            b'(' => {
                let (c, n) = comment(&input[1..]);
                (Token::Comment(c), n + 1)
            }
            b'[' => {
                let (c, n) = delimited_run(&input[1..], b']');
                let mut lit = Vec::with_capacity(c.len() + 2);
                lit.push(b'[');
                lit.extend_from_slice(&c);
                lit.push(b']');
                (Token::Literal(Cow::Owned(lit)), n + 1)
            }
            _ => match atom_len(input) {
                0 => (Token::Special(b), 1),
                n => (Token::Atom(&input[..n]), n),
            },
        };
        out.push(Spanned {
            token,
            space_before,
        });
        space_before = false;
        input = &input[used.min(input.len())..];
    }
    out
}

/// The value with comments removed (quoted strings are respected).
pub(crate) fn strip_comments(value: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'(', value).is_none() {
        return Cow::Borrowed(value);
    }
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    let mut in_quote = false;
    while i < value.len() {
        let b = value[i];
        if in_quote {
            out.push(b);
            if b == b'\\' && i + 1 < value.len() {
                out.push(value[i + 1]);
                i += 1;
            } else if b == b'"' {
                in_quote = false;
            }
        } else if b == b'"' {
            in_quote = true;
            out.push(b);
        } else if b == b'(' {
            let (_, n) = comment(&value[i + 1..]);
            i += n + 1;
            continue;
        } else {
            out.push(b);
        }
        i += 1;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Token<'_>> {
        lex(s.as_bytes()).into_iter().map(|t| t.token).collect()
    }

    #[test]
    fn lexes_addresses() {
        assert_eq!(
            toks(r#""Joe Q. Public" <john.q.public@example.com>"#),
            vec![
                Token::Quoted(Cow::Borrowed(b"Joe Q. Public")),
                Token::Special(b'<'),
                Token::Atom(b"john.q.public"),
                Token::Special(b'@'),
                Token::Atom(b"example.com"),
                Token::Special(b'>'),
            ]
        );
    }

    #[test]
    fn nested_comments_and_escapes() {
        assert_eq!(
            toks(r#"Pete(A nice \) chap) "a\"b" [1.2.3.4]"#),
            vec![
                Token::Atom(b"Pete"),
                Token::Comment(Cow::Owned(b"A nice ) chap".to_vec())),
                Token::Quoted(Cow::Owned(b"a\"b".to_vec())),
                Token::Literal(Cow::Owned(b"[1.2.3.4]".to_vec())),
            ]
        );
        assert_eq!(
            toks("(a (b) c)x"),
            vec![Token::Comment(Cow::Borrowed(b"a (b) c")), Token::Atom(b"x")]
        );
    }

    #[test]
    fn unterminated_runs_to_end() {
        assert_eq!(toks("\"abc"), vec![Token::Quoted(Cow::Borrowed(b"abc"))]);
        assert_eq!(toks("(abc"), vec![Token::Comment(Cow::Borrowed(b"abc"))]);
    }

    #[test]
    fn strips_comments_outside_quotes() {
        assert_eq!(&*strip_comments(b"1.(x)0 \"(y)\""), b"1.0 \"(y)\"");
    }
}
