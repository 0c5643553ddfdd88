//! Header fields as written by the builder: folding at 78 columns (RFC 5322 §2.2.3),
//! RFC 2047 encoded words for non-ASCII text, quoted strings only for ASCII, RFC 2231
//! for parameters, and a check that no value smuggles in a line break.

use crate::address::Mailbox;
use crate::builder::BuildError;
use crate::encoded_word::{encode_words, looks_encoded};

/// The maximum line length of a folded header (RFC 5322 §2.1.1 recommends 78).
pub(crate) const FOLD_AT: usize = 78;

pub(crate) fn check_value(header: &str, value: &str) -> Result<(), BuildError> {
    match value
        .bytes()
        .enumerate()
        .find(|&(_, b)| (b < 32 && b != b'\t') || b == 127)
    {
        Some((offset, byte)) => Err(BuildError::ForbiddenByte {
            header: header.to_owned(),
            offset,
            byte,
        }),
        None => Ok(()),
    }
}

pub(crate) fn check_name(name: &str) -> Result<(), BuildError> {
    if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
        return Err(BuildError::InvalidHeaderName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Writes `Name: tok tok tok`, folding before a token that would pass column 78.
pub(crate) fn write_folded(out: &mut Vec<u8>, name: &str, tokens: &[String]) {
    out.extend_from_slice(name.as_bytes());
    out.push(b':');
    let mut col = name.len() + 1;
    for (i, tok) in tokens.iter().enumerate() {
        if i > 0 && col + 1 + tok.len() > FOLD_AT {
            out.extend_from_slice(b"\r\n");
            col = 0;
        }
        out.push(b' ');
        out.extend_from_slice(tok.as_bytes());
        col += 1 + tok.len();
    }
    out.extend_from_slice(b"\r\n");
}

pub(crate) fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

/// Unstructured text as tokens: plain words as they are, runs of words that need it as
/// RFC 2047 encoded words.
pub(crate) fn unstructured_tokens(text: &str) -> Vec<String> {
    // Readers ignore whitespace around a value; trimming here keeps round trips exact.
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let mut tokens = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    // Blank words after a run: they join it if another encoded word follows, because a
    // reader drops whitespace between encoded words.
    let mut blanks: Vec<&str> = Vec::new();
    let needs = |w: &str| {
        !w.is_ascii()
            || w.bytes().any(|b| b < 32 && b != b'\t')
            || looks_encoded(w)
            || w.len() > 900
    };
    for word in text.split(' ') {
        if needs(word) {
            run.append(&mut blanks);
            run.push(word);
        } else if !run.is_empty() && word.bytes().all(|b| b == b'\t') {
            blanks.push(word);
        } else {
            if !run.is_empty() {
                tokens.extend(encode_words(&run.join(" ")));
                run.clear();
            }
            tokens.extend(blanks.drain(..).map(str::to_owned));
            tokens.push(word.to_owned());
        }
    }
    if !run.is_empty() {
        tokens.extend(encode_words(&run.join(" ")));
    }
    tokens.extend(blanks.into_iter().map(str::to_owned));
    tokens
}

/// A display name as tokens: atoms, one quoted string, or encoded words.
pub(crate) fn phrase_tokens(name: &str) -> Vec<String> {
    let name = name.trim_matches(|c: char| c.is_ascii_whitespace());
    if !name.is_ascii()
        || name.bytes().any(|b| b < 32 || b == 127)
        || looks_encoded(name)
        || name.len() > 900
    {
        return encode_words(name);
    }
    if name
        .split(' ')
        .all(|w| !w.is_empty() && w.bytes().all(is_atext))
    {
        return name.split(' ').map(str::to_owned).collect();
    }
    let mut q = String::from("\"");
    for c in name.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    vec![q]
}

pub(crate) fn address_tokens(header: &str, list: &[Mailbox]) -> Result<Vec<String>, BuildError> {
    let mut tokens: Vec<String> = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let addr = m.address();
        let bad_domain = m
            .domain
            .bytes()
            .any(|b| b <= b' ' || b"<>,;:\"()\\@".contains(&b));
        if m.local_part.is_empty() || m.domain.is_empty() || bad_domain {
            return Err(BuildError::InvalidAddress {
                header: header.to_owned(),
                address: addr,
            });
        }
        check_value(header, &addr)?;
        if let Some(n) = &m.name {
            check_value(header, n)?;
            tokens.extend(phrase_tokens(n));
            tokens.push(format!("<{addr}>"));
        } else {
            tokens.push(addr);
        }
        if i + 1 < list.len()
            && let Some(last) = tokens.last_mut()
        {
            last.push(',');
        }
    }
    Ok(tokens)
}

pub(crate) fn msg_id_token(header: &str, id: &str) -> Result<String, BuildError> {
    let bare = id
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(id);
    let ok = bare.contains('@')
        && bare
            .bytes()
            .all(|b| b > b' ' && b != 127 && !b"<>\"\\".contains(&b));
    if !ok {
        return Err(BuildError::InvalidMessageId {
            header: header.to_owned(),
            id: id.to_owned(),
        });
    }
    Ok(format!("<{bare}>"))
}

pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b > b' ' && b < 127 && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

pub(crate) fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

/// A parameter as tokens: `name=value`, `name="value"`, or RFC 2231 sections.
pub(crate) fn param_tokens(
    name: &str,
    value: &str,
    header: &str,
) -> Result<Vec<String>, BuildError> {
    check_value(header, value)?;
    // A value that would not fit on a folded line goes into RFC 2231 sections; the
    // boundary never does, as some readers only look for the plain form.
    let fits = name == "boundary" || name.len() + value.len() + 5 <= FOLD_AT;
    if value.is_ascii() && !looks_encoded(value) && fits {
        if is_token(value) {
            return Ok(vec![format!("{name}={value}")]);
        }
        let mut q = format!("{name}=\"");
        for c in value.chars() {
            if c == '"' || c == '\\' {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('"');
        return Ok(vec![q]);
    }
    let mut encoded = Vec::new();
    for b in value.bytes() {
        if is_attr_char(b) {
            encoded.push(char::from(b).to_string());
        } else {
            encoded.push(format!("%{b:02X}"));
        }
    }
    let total: usize = encoded.iter().map(String::len).sum();
    if total + name.len() + 10 <= FOLD_AT - 2 {
        return Ok(vec![format!("{name}*=utf-8''{}", encoded.concat())]);
    }
    let mut sections = Vec::new();
    let mut current = String::from("utf-8''");
    for piece in encoded {
        if current.len() + piece.len() > 50 {
            sections.push(std::mem::take(&mut current));
        }
        current.push_str(&piece);
    }
    sections.push(current);
    let n = sections.len();
    Ok(sections
        .into_iter()
        .enumerate()
        .map(|(i, s)| format!("{name}*{i}*={s}{}", if i + 1 < n { ";" } else { "" }))
        .collect())
}

pub(crate) fn joined_with_semicolons(mut groups: Vec<Vec<String>>) -> Vec<String> {
    let n = groups.len();
    for (i, g) in groups.iter_mut().enumerate() {
        if i + 1 < n
            && let Some(last) = g.last_mut()
        {
            last.push(';');
        }
    }
    groups.concat()
}
