//! Addresses: mailboxes and groups (RFC 5322 §3.4, obsolete forms of §4.4).
//!
//! ```text
//! address      = mailbox / group
//! mailbox      = name-addr / addr-spec
//! name-addr    = [display-name] angle-addr
//! angle-addr   = [CFWS] "<" [obs-route] addr-spec ">" [CFWS]
//! group        = display-name ":" [group-list] ";" [CFWS]
//! obs-route    = obs-domain-list ":"
//! ```
//!
//! The reader is lenient: empty list elements, a missing `>` or `;`, a bare local part,
//! and a display name in a trailing comment (`jdoe@example.org (John Doe)`) are accepted.

use std::borrow::Cow;
use std::fmt;

use crate::encoded_word::decode_text;
use crate::structured::{Spanned, Token, lex};

/// One mailbox: an optional display name and an address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mailbox {
    /// The display name, encoded words decoded; `None` when absent or empty.
    pub name: Option<String>,
    /// The obsolete source route (`@a.test,@b.test:`), domains without `@`; usually empty.
    pub route: Vec<String>,
    /// The local part, quoting removed.
    pub local_part: String,
    /// The domain; empty when the address had none.
    pub domain: String,
}

impl Mailbox {
    /// A mailbox from a display name and an `local@domain` address (split at the last `@`).
    ///
    /// ```
    /// let m = mailwire_mime::Mailbox::new(Some("Mary Smith"), "mary@x.test");
    /// assert_eq!(m.local_part, "mary");
    /// assert_eq!(m.domain, "x.test");
    /// assert_eq!(m.to_string(), "Mary Smith <mary@x.test>");
    /// ```
    pub fn new(name: Option<&str>, address: &str) -> Mailbox {
        let (local_part, domain) = match address.rsplit_once('@') {
            Some((l, d)) => (l.to_owned(), d.to_owned()),
            None => (address.to_owned(), String::new()),
        };
        Mailbox {
            name: name.map(str::to_owned),
            route: Vec::new(),
            local_part,
            domain,
        }
    }

    /// The address as `local@domain`, the local part quoted if it needs to be.
    pub fn address(&self) -> String {
        let local = if needs_quoting(&self.local_part) {
            let mut q = String::from("\"");
            for c in self.local_part.chars() {
                if c == '"' || c == '\\' {
                    q.push('\\');
                }
                q.push(c);
            }
            q.push('"');
            q
        } else {
            self.local_part.clone()
        };
        if self.domain.is_empty() {
            local
        } else {
            format!("{local}@{}", self.domain)
        }
    }
}

fn needs_quoting(local: &str) -> bool {
    local.is_empty()
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || local.bytes().any(|b| {
            b <= b' '
                || matches!(
                    b,
                    b'(' | b')'
                        | b'<'
                        | b'>'
                        | b'['
                        | b']'
                        | b':'
                        | b';'
                        | b'@'
                        | b'\\'
                        | b','
                        | b'"'
                )
        })
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} <{}>", self.address()),
            None => f.write_str(&self.address()),
        }
    }
}

/// A named group of mailboxes (`Undisclosed recipients:;`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Group {
    /// The group's display name, decoded.
    pub name: String,
    /// Its members, possibly none.
    pub members: Vec<Mailbox>,
}

/// One element of an address list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A single mailbox.
    Mailbox(Mailbox),
    /// A group.
    Group(Group),
}

impl Address {
    /// The mailboxes this address names: itself, or the group's members.
    pub fn mailboxes(&self) -> &[Mailbox] {
        match self {
            Address::Mailbox(m) => std::slice::from_ref(m),
            Address::Group(g) => &g.members,
        }
    }
}

/// Flattens a list to its mailboxes (group members in place of their group).
pub fn mailboxes(list: &[Address]) -> Vec<&Mailbox> {
    list.iter().flat_map(Address::mailboxes).collect()
}

/// A mailbox as read from a field, borrowing from it where it can: a display name that is
/// one word without encoded words, a local part or domain that is one word.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailboxRef<'t> {
    /// The display name, encoded words decoded; `None` when absent or empty.
    pub name: Option<Cow<'t, str>>,
    /// The display name as the field writes it: the phrase's words (RFC 5322 §3.2.5) joined
    /// by one space, quoted strings unquoted and comments left out, or the text of the
    /// comment that names an `addr-spec`; encoded words and 8-bit bytes are left as they
    /// are. RFC 3501 §7.4.2 gives this to ENVELOPE's `addr-name`. `None` when there is no
    /// name or it is empty.
    pub name_as_written: Option<Cow<'t, [u8]>>,
    /// The obsolete source route, domains without `@`; usually empty.
    pub route: Vec<Cow<'t, str>>,
    /// The local part, quoting removed.
    pub local_part: Cow<'t, str>,
    /// The domain; empty when the address had none.
    pub domain: Cow<'t, str>,
}

impl MailboxRef<'_> {
    /// The owned [`Mailbox`] with the same values.
    pub fn into_owned(self) -> Mailbox {
        Mailbox {
            name: self.name.map(Cow::into_owned),
            route: self.route.into_iter().map(Cow::into_owned).collect(),
            local_part: self.local_part.into_owned(),
            domain: self.domain.into_owned(),
        }
    }
}

/// One element of an address list as read, borrowing from the field (see
/// [`crate::Header::for_each_address`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressRef<'t> {
    /// A single mailbox.
    Mailbox(MailboxRef<'t>),
    /// A group: its display name, decoded, and its members.
    Group {
        /// The group's display name.
        name: Cow<'t, str>,
        /// The group's display name as written (see [`MailboxRef::name_as_written`]).
        name_as_written: Cow<'t, [u8]>,
        /// Its members, possibly none.
        members: Vec<MailboxRef<'t>>,
    },
}

impl AddressRef<'_> {
    /// The owned [`Address`] with the same values.
    pub fn into_owned(self) -> Address {
        match self {
            AddressRef::Mailbox(m) => Address::Mailbox(m.into_owned()),
            AddressRef::Group { name, members, .. } => Address::Group(Group {
                name: name.into_owned(),
                members: members.into_iter().map(MailboxRef::into_owned).collect(),
            }),
        }
    }
}

struct Cursor<'t, 'a> {
    toks: &'t [Spanned<'a>],
    at: usize,
}

impl<'t, 'a> Cursor<'t, 'a> {
    fn peek(&self) -> Option<&'t Token<'a>> {
        self.toks.get(self.at).map(|t| &t.token)
    }
    fn is_special(&self, c: u8) -> bool {
        matches!(self.peek(), Some(Token::Special(s)) if *s == c)
    }
}

fn word_bytes<'x>(t: &'x Token<'_>) -> Option<&'x [u8]> {
    match t {
        Token::Atom(a) => Some(a),
        Token::Quoted(q) => Some(q),
        Token::Literal(l) => Some(l),
        _ => None,
    }
}

/// Reads `local` or `domain` text: words glued together until a separator. Borrowed when
/// it is one word.
fn read_glued<'t>(
    c: &mut Cursor<'t, '_>,
    comment: &mut Option<&'t [u8]>,
    stop_at_at: bool,
) -> Cow<'t, [u8]> {
    let mut out: Cow<'t, [u8]> = Cow::Borrowed(&[]);
    while let Some(t) = c.peek() {
        match t {
            Token::Comment(text) => *comment = Some(text),
            Token::Special(b'@') if stop_at_at => break,
            Token::Special(_) => break,
            t => {
                let w = word_bytes(t).unwrap_or_default();
                if out.is_empty() {
                    out = Cow::Borrowed(w);
                } else {
                    out.to_mut().extend_from_slice(w);
                }
            }
        }
        c.at += 1;
    }
    out
}

/// Bytes as text: UTF-8 when they are, else windows-1252; borrowed when UTF-8.
fn text(bytes: Cow<'_, [u8]>) -> Cow<'_, str> {
    match bytes {
        Cow::Borrowed(b) => crate::charset::lossy_text(b),
        Cow::Owned(v) => Cow::Owned(
            String::from_utf8(v)
                .unwrap_or_else(|e| crate::charset::lossy_text(e.as_bytes()).into_owned()),
        ),
    }
}

/// Unstructured text with encoded words decoded; borrowed when there are none.
fn decoded(bytes: &[u8]) -> Cow<'_, str> {
    if crate::encoded_word::find_word_start(bytes).is_none() {
        crate::charset::lossy_text(bytes)
    } else {
        Cow::Owned(decode_text(bytes))
    }
}

/// `s` without surrounding ASCII whitespace; `None` when nothing is left.
fn trimmed(s: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let is_ws = |c: char| c.is_ascii_whitespace();
    let s = match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim_matches(is_ws)),
        Cow::Owned(mut o) => {
            let end = o.trim_end_matches(is_ws).len();
            o.truncate(end);
            let start = o.len() - o.trim_start_matches(is_ws).len();
            o.drain(..start);
            Cow::Owned(o)
        }
    };
    (!s.is_empty()).then_some(s)
}

/// The words of a phrase: the word tokens among `toks`, each with whether whitespace
/// came before it (comments and stray specials in between are not part of it).
fn phrase_words<'t>(toks: &'t [Spanned<'_>]) -> impl Iterator<Item = (bool, &'t [u8])> {
    toks.iter()
        .filter_map(|t| word_bytes(&t.token).map(|w| (t.space_before, w)))
}

/// The words of a phrase joined, one space where whitespace separated two.
fn joined(toks: &[Spanned<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (space, w)) in phrase_words(toks).enumerate() {
        if i > 0 && space {
            out.push(b' ');
        }
        out.extend_from_slice(w);
    }
    out
}

fn phrase_to_name<'t>(toks: &'t [Spanned<'_>]) -> Option<Cow<'t, str>> {
    let mut words = phrase_words(toks);
    let name = match (words.next(), words.next()) {
        (None, _) => return None,
        (Some((_, w)), None) => decoded(w),
        _ => {
            let joined = joined(toks);
            if crate::encoded_word::find_word_start(&joined).is_some() {
                Cow::Owned(decode_text(&joined))
            } else {
                text(Cow::Owned(joined))
            }
        }
    };
    trimmed(name)
}

/// The phrase as written: its words joined by one space, quoting removed and comments left
/// out, as RFC 3501 §7.4.2 and Dovecot give a display name; borrowed when it is one word.
/// `None` when nothing is left.
fn phrase_as_written<'t>(toks: &'t [Spanned<'_>]) -> Option<Cow<'t, [u8]>> {
    let mut words = phrase_words(toks).map(|(_, w)| w);
    let mut out = Cow::Borrowed(words.next()?);
    for w in words {
        let o = out.to_mut();
        o.push(b' ');
        o.extend_from_slice(w);
    }
    (!out.is_empty()).then_some(out)
}

/// A name from the comment that follows an `addr-spec`: decoded, and as written.
fn comment_name(comment: Option<&[u8]>) -> (Option<Cow<'_, str>>, Option<Cow<'_, [u8]>>) {
    match comment {
        Some(t) if !t.is_empty() => (trimmed(decoded(t)), Some(Cow::Borrowed(t))),
        _ => (None, None),
    }
}

/// Reads the inside of `<…>`, after the `<`.
fn angle_addr<'t>(
    c: &mut Cursor<'t, '_>,
    name: Option<Cow<'t, str>>,
    name_as_written: Option<Cow<'t, [u8]>>,
) -> MailboxRef<'t> {
    let mut ignored = None;
    let mut route = Vec::new();
    // obs-route: "@" domain *("," ["@" domain]) ":"
    if c.is_special(b'@') {
        let save = c.at;
        while c.is_special(b'@') || c.is_special(b',') {
            c.at += 1;
            let d = read_glued(c, &mut ignored, true);
            if !d.is_empty() {
                route.push(text(d));
            }
        }
        if c.is_special(b':') {
            c.at += 1;
        } else {
            c.at = save;
            route.clear();
        }
    }
    let local = read_glued(c, &mut ignored, true);
    let mut domain = Cow::Borrowed(&[][..]);
    if c.is_special(b'@') {
        c.at += 1;
        domain = read_glued(c, &mut ignored, true);
    }
    // Skip to the closing bracket; anything else inside is damage.
    while let Some(t) = c.peek() {
        if matches!(t, Token::Special(b',')) {
            break;
        }
        c.at += 1;
        if matches!(t, Token::Special(b'>')) {
            break;
        }
    }
    route.shrink_to_fit();
    MailboxRef {
        name,
        name_as_written,
        route,
        local_part: text(local),
        domain: text(domain),
    }
}

/// Reads one mailbox or group; `None` for an empty element.
fn address<'t>(c: &mut Cursor<'t, '_>, in_group: bool) -> Option<AddressRef<'t>> {
    // The phrase is the word tokens from here to where the reading stops.
    let start = c.at;
    let toks = c.toks;
    let mut comment: Option<&'t [u8]> = None;
    while let Some(t) = c.peek() {
        let phrase = &toks[start..c.at];
        match t {
            Token::Comment(text) => {
                // A comment before the first word names nothing (Dovecot reads it so).
                if phrase_words(phrase).next().is_some() {
                    comment = Some(text);
                }
                c.at += 1;
            }
            Token::Special(b'<') => {
                c.at += 1;
                let m = angle_addr(c, phrase_to_name(phrase), phrase_as_written(phrase));
                // Comments after the address are not a name.
                while let Some(Token::Comment(_)) = c.peek() {
                    c.at += 1;
                }
                // `<>` is kept, as a mailbox with neither local part nor domain: the
                // element is there, if empty (see `Defect::EmptyAddress`).
                return Some(AddressRef::Mailbox(m));
            }
            Token::Special(b':') if !in_group => {
                c.at += 1;
                let name = phrase_to_name(phrase).unwrap_or_default();
                let name_as_written = phrase_as_written(phrase).unwrap_or_default();
                let mut members = Vec::new();
                while c.peek().is_some() {
                    if c.is_special(b';') {
                        c.at += 1;
                        break;
                    }
                    if c.is_special(b',') || c.is_special(b':') {
                        c.at += 1;
                        continue;
                    }
                    let before = c.at;
                    if let Some(AddressRef::Mailbox(m)) = address(c, true) {
                        members.push(m);
                    }
                    if c.at == before {
                        c.at += 1;
                    }
                }
                return Some(AddressRef::Group {
                    name,
                    name_as_written,
                    members,
                });
            }
            Token::Special(b'@') => {
                c.at += 1;
                let mut local: Cow<'t, [u8]> = Cow::Borrowed(&[]);
                for (_, w) in phrase_words(phrase) {
                    if local.is_empty() {
                        local = Cow::Borrowed(w);
                    } else {
                        local.to_mut().extend_from_slice(w);
                    }
                }
                let domain = read_glued(c, &mut comment, true);
                if local.is_empty() && domain.is_empty() {
                    return None;
                }
                // A trailing comment holds the name in the old `addr (Name)` style.
                while let Some(Token::Comment(text)) = c.peek() {
                    comment = Some(text);
                    c.at += 1;
                }
                if c.is_special(b'<') {
                    // `a@b <c@d>`: the first part was a (bad) display name.
                    c.at += 1;
                    let mut name = local.into_owned();
                    name.push(b'@');
                    name.extend_from_slice(&domain);
                    let written = Cow::Owned(name.clone());
                    let name = text(Cow::Owned(name));
                    return Some(AddressRef::Mailbox(angle_addr(
                        c,
                        Some(name),
                        Some(written),
                    )));
                }
                let (name, name_as_written) = comment_name(comment);
                return Some(AddressRef::Mailbox(MailboxRef {
                    name,
                    name_as_written,
                    route: Vec::new(),
                    local_part: text(local),
                    domain: text(domain),
                }));
            }
            Token::Special(b',') => break,
            Token::Special(b';') if in_group => break,
            Token::Special(_) => c.at += 1,
            _ => c.at += 1,
        }
    }
    let phrase = &toks[start..c.at];
    phrase_words(phrase).next()?;
    let one_atom = phrase_words(phrase).nth(1).is_none()
        && phrase
            .iter()
            .find(|t| word_bytes(&t.token).is_some())
            .is_some_and(|t| matches!(t.token, Token::Atom(_)));
    if comment.is_none() && !one_atom {
        // Words with no address (`Undisclosed recipients`, `"Quoted Only"`): a display
        // name whose mailbox is missing, as Dovecot reads them.
        return Some(AddressRef::Mailbox(MailboxRef {
            name: phrase_to_name(phrase),
            name_as_written: phrase_as_written(phrase),
            ..MailboxRef::default()
        }));
    }
    // A bare word such as `postmaster` or `undisclosed-recipients`.
    let local = joined(phrase);
    let (name, name_as_written) = comment_name(comment);
    Some(AddressRef::Mailbox(MailboxRef {
        name,
        name_as_written,
        route: Vec::new(),
        local_part: text(Cow::Owned(local)),
        domain: Cow::Borrowed(""),
    }))
}

/// Reads an address list (`From`, `To`, `Cc`, `Bcc`, `Reply-To`, `Sender` …), handing
/// each element to `each` as it is read.
pub(crate) fn read_address_list(value: &[u8], mut each: impl FnMut(AddressRef<'_>)) {
    if !read_plain(value, &mut each) {
        read_tokens(value, each);
    }
}

/// One element found by [`read_plain`]: byte ranges of the value.
#[derive(Clone, Copy, Default)]
struct PlainElement {
    name: (usize, usize),
    /// Whether the name's words were separated by anything but one space.
    spaced: bool,
    local: (usize, usize),
    domain: (usize, usize),
}

/// The most elements [`read_plain`] takes; longer lists are tokenized.
const PLAIN_MAX: usize = 8;

/// Reads a list whose every element is `local@domain` or `words <local@domain>`, in ASCII
/// and without encoded words — most lists — in one scan, without tokenizing: the values
/// [`read_tokens`] gives. Returns false, having handed out nothing, for any other list.
fn read_plain(value: &[u8], each: &mut impl FnMut(AddressRef<'_>)) -> bool {
    let len = value.len();
    let atom_end = |mut j: usize| {
        while j < len && value[j] < 128 && crate::structured::is_atom_byte(value[j]) {
            j += 1;
        }
        j
    };
    let wsp_end = |mut j: usize| {
        while j < len && matches!(value[j], b' ' | b'\t') {
            j += 1;
        }
        j
    };
    let mut found = [PlainElement::default(); PLAIN_MAX];
    let mut n = 0;
    let mut i = 0;
    loop {
        if n == PLAIN_MAX {
            return false;
        }
        let start = wsp_end(i);
        let word_end = atom_end(start);
        let mut e = PlainElement::default();
        let lt = if word_end > start && word_end < len && value[word_end] == b'@' {
            // addr-spec
            let domain_end = atom_end(word_end + 1);
            if domain_end == word_end + 1 {
                return false;
            }
            e.local = (start, word_end);
            e.domain = (word_end + 1, domain_end);
            None
        } else {
            // [phrase] "<"
            let (mut end, mut j) = (word_end, word_end);
            loop {
                let k = wsp_end(j);
                if k < len && value[k] == b'<' {
                    break;
                }
                let w = atom_end(k);
                if k == j || w == k {
                    return false;
                }
                e.spaced |= k - j != 1 || value[j] != b' ';
                (end, j) = (w, w);
            }
            if crate::encoded_word::find_word_start(&value[start..end]).is_some() {
                return false;
            }
            e.name = (start, end);
            Some(wsp_end(j))
        };
        let after = match lt {
            None => e.domain.1,
            Some(lt) => {
                let local_end = atom_end(lt + 1);
                if local_end == lt + 1 || local_end >= len || value[local_end] != b'@' {
                    return false;
                }
                let domain_end = atom_end(local_end + 1);
                if domain_end == local_end + 1 || domain_end >= len || value[domain_end] != b'>' {
                    return false;
                }
                e.local = (lt + 1, local_end);
                e.domain = (local_end + 1, domain_end);
                domain_end + 1
            }
        };
        found[n] = e;
        n += 1;
        i = wsp_end(after);
        if i == len {
            break;
        }
        if value[i] != b',' {
            return false;
        }
        i += 1;
    }
    // Everything read was ASCII.
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    for e in &found[..n] {
        let name = &text[e.name.0..e.name.1];
        let name = if name.is_empty() {
            None
        } else if e.spaced {
            // Words are joined by one space, however they were separated.
            let words: Vec<&str> = name.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            Some(Cow::Owned(words.join(" ")))
        } else {
            Some(Cow::Borrowed(name))
        };
        // ASCII words without encoded words: the name is the phrase as written.
        let name_as_written = name.clone().map(|n| match n {
            Cow::Borrowed(b) => Cow::Borrowed(b.as_bytes()),
            Cow::Owned(o) => Cow::Owned(o.into_bytes()),
        });
        each(AddressRef::Mailbox(MailboxRef {
            name,
            name_as_written,
            route: Vec::new(),
            local_part: Cow::Borrowed(&text[e.local.0..e.local.1]),
            domain: Cow::Borrowed(&text[e.domain.0..e.domain.1]),
        }));
    }
    true
}

/// Reads any address list, however damaged, from its tokens.
fn read_tokens(value: &[u8], mut each: impl FnMut(AddressRef<'_>)) {
    let toks = lex(value);
    let mut c = Cursor { toks: &toks, at: 0 };
    while c.peek().is_some() {
        let before = c.at;
        if let Some(a) = address(&mut c, false) {
            each(a);
        }
        if c.is_special(b',') || c.at == before {
            c.at += 1;
        }
    }
}

/// Whether an address list holds `<>`, an angle address with nothing inside (comments
/// and whitespace aside).
pub(crate) fn has_empty_angle_addr(value: &[u8]) -> bool {
    let mut candidates = memchr::memchr_iter(b'<', value).filter(|&at| {
        value[at + 1..]
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .is_some_and(|&b| b == b'>' || b == b'(')
    });
    if candidates.next().is_none() {
        return false;
    }
    // Confirmed on tokens, which know quoted strings and comments.
    let toks = lex(value);
    let mut specials = toks.iter().filter_map(|t| match t.token {
        Token::Comment(_) => None,
        Token::Special(b) => Some(Some(b)),
        _ => Some(None),
    });
    let mut open = false;
    specials.any(|s| {
        let empty = open && s == Some(b'>');
        open = s == Some(b'<');
        empty
    })
}

/// Reads an address list into owned values.
pub(crate) fn parse_address_list(value: &[u8]) -> Vec<Address> {
    let mut out = Vec::new();
    read_address_list(value, |a| out.push(a.into_owned()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(name: Option<&str>, local: &str, domain: &str) -> Mailbox {
        Mailbox {
            name: name.map(str::to_owned),
            route: Vec::new(),
            local_part: local.to_owned(),
            domain: domain.to_owned(),
        }
    }

    #[test]
    fn name_addr_and_addr_spec() {
        assert_eq!(
            parse_address_list(b"\"Joe Q. Public\" <john.q.public@example.com>, jdoe@example.org (John Doe), <x@y>"),
            vec![
                Address::Mailbox(mb(Some("Joe Q. Public"), "john.q.public", "example.com")),
                Address::Mailbox(mb(Some("John Doe"), "jdoe", "example.org")),
                Address::Mailbox(mb(None, "x", "y")),
            ]
        );
    }

    #[test]
    fn groups() {
        assert_eq!(
            parse_address_list(b"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Undisclosed recipients:;"),
            vec![
                Address::Group(Group {
                    name: "A Group".into(),
                    members: vec![mb(Some("Ed Jones"), "c", "a.test"), mb(None, "joe", "where.test"), mb(Some("John"), "jdoe", "one.test")],
                }),
                Address::Group(Group { name: "Undisclosed recipients".into(), members: vec![] }),
            ]
        );
    }

    #[test]
    fn obsolete_route_and_spaced_domain() {
        let list =
            parse_address_list(b"Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example");
        let mut mary = mb(Some("Mary Smith"), "mary", "example.net");
        mary.route = vec!["node.test".into()];
        assert_eq!(
            list,
            vec![
                Address::Mailbox(mary),
                Address::Mailbox(mb(None, "jdoe", "test.example"))
            ]
        );
    }

    #[test]
    fn encoded_display_names_and_quoted_locals() {
        assert_eq!(
            parse_address_list(
                b"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>, \"a b\"@x.test"
            ),
            vec![
                Address::Mailbox(mb(Some("Keld J\u{f8}rn Simonsen"), "keld", "dkuug.dk")),
                Address::Mailbox(mb(None, "a b", "x.test"))
            ]
        );
        assert_eq!(mb(None, "a b", "x.test").address(), "\"a b\"@x.test");
    }

    #[test]
    fn one_word_parts_are_borrowed_from_the_field() {
        let mut seen = Vec::new();
        read_address_list(
            b"Ann <ann@x.test>, \"Bob B\" <b@y.test>, =?UTF-8?Q?Zo=C3=AB?= <z@z.test>, j(Jo)@w",
            |a| {
                let AddressRef::Mailbox(m) = a else {
                    panic!("mailboxes only")
                };
                let name = m
                    .name
                    .as_ref()
                    .map(|n| (n.to_string(), matches!(n, Cow::Borrowed(_))));
                seen.push((
                    name,
                    matches!(m.local_part, Cow::Borrowed(_)),
                    matches!(m.domain, Cow::Borrowed(_)),
                ));
            },
        );
        assert_eq!(
            seen,
            [
                (Some(("Ann".to_owned(), true)), true, true),
                (Some(("Bob B".to_owned(), true)), true, true),
                (Some(("Zo\u{eb}".to_owned(), false)), true, true),
                (Some(("Jo".to_owned(), true)), true, true),
            ]
        );
    }

    fn read_with(read: impl FnOnce(&mut dyn FnMut(AddressRef<'_>))) -> Vec<Address> {
        let mut out = Vec::new();
        read(&mut |a| out.push(a.into_owned()));
        out
    }

    #[test]
    fn plain_lists_are_read_in_one_scan() {
        let value = b"ann@y.test,  Bob   B.\t<bob@z.test> , Carol<c@x.test>,<d@w>";
        let mut seen = Vec::new();
        assert!(read_plain(value, &mut |a| seen.push(a.into_owned())));
        assert_eq!(
            seen,
            vec![
                Address::Mailbox(mb(None, "ann", "y.test")),
                Address::Mailbox(mb(Some("Bob B."), "bob", "z.test")),
                Address::Mailbox(mb(Some("Carol"), "c", "x.test")),
                Address::Mailbox(mb(None, "d", "w")),
            ]
        );
        assert_eq!(seen, read_with(|f| read_tokens(value, f)));
        for other in [
            &b"\"Ann\" <a@x>"[..],
            b"a@x (Ann)",
            b"=?UTF-8?Q?a?= <a@x>",
            b"a@x,",
            b"",
            b"postmaster",
            b"Friends: a@x;",
            b"a@b <c@d>",
            b"a @x",
            b"<@r.test:a@x>",
            b"<a@x> b",
            b"Z\xc3\xa9 <a@x>",
            b"a@x,b@x,c@x,d@x,e@x,f@x,g@x,h@x,i@x",
        ] {
            assert!(!read_plain(other, &mut |_| panic!("read {other:?}")));
        }
    }

    proptest::proptest! {
        #[test]
        fn plain_lists_read_as_tokens_do(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    // Whole elements, so that plain lists are common …
                    "a@x.test", "Bob <b@z.test>", " Bob  B.\t<b@z>", "<a@x>", ", ", ",",
                    // … and pieces that make them otherwise.
                    "a", "bob", "x.test", "Q.", "J=", "?", "@", "<", ">", " ", "  ", "\t",
                    "\"", "(c)", ":", ";", "=?", "\u{e9}", "[1]", "\\", "\r\n ",
                ]),
                0..14,
            )
        ) {
            let value = pieces.concat();
            let mut plain = Vec::new();
            if read_plain(value.as_bytes(), &mut |a| plain.push(a.into_owned())) {
                proptest::prop_assert_eq!(plain, read_with(|f| read_tokens(value.as_bytes(), f)));
            } else {
                proptest::prop_assert!(plain.is_empty());
            }
        }

        #[test]
        fn lists_of_plain_elements_are_read_in_one_scan(
            elements in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a@x.test", "Bob <b@z.test>", " Bob  B.\t<b@z>", "<a@x>",
                    "  J= Q. ?  <j@x.y>  ", "\tc@d\t", "=@=", "Z<?@?>",
                ]),
                1..=PLAIN_MAX,
            )
        ) {
            let value = elements.join(",");
            let mut plain = Vec::new();
            proptest::prop_assert!(read_plain(value.as_bytes(), &mut |a| plain.push(a.into_owned())));
            proptest::prop_assert_eq!(plain.len(), elements.len());
            proptest::prop_assert_eq!(plain, read_with(|f| read_tokens(value.as_bytes(), f)));
        }
    }

    #[test]
    fn damaged_lists_do_not_lose_everything() {
        assert_eq!(
            parse_address_list(b"<a@b, c@d"),
            vec![
                Address::Mailbox(mb(None, "a", "b")),
                Address::Mailbox(mb(None, "c", "d"))
            ]
        );
        assert_eq!(
            parse_address_list(b"postmaster"),
            vec![Address::Mailbox(mb(None, "postmaster", ""))]
        );
        assert_eq!(
            parse_address_list(b",,;:<>@"),
            vec![Address::Group(Group {
                name: String::new(),
                members: vec![mb(None, "", "")]
            })]
        );
        assert!(parse_address_list(b"").is_empty());
    }

    #[test]
    fn words_without_an_address_are_a_name_without_a_mailbox() {
        assert_eq!(
            parse_address_list(
                b"\"Quoted Only\", Undisclosed  recipients, postmaster, root (Admin)"
            ),
            vec![
                Address::Mailbox(mb(Some("Quoted Only"), "", "")),
                Address::Mailbox(mb(Some("Undisclosed recipients"), "", "")),
                Address::Mailbox(mb(None, "postmaster", "")),
                Address::Mailbox(mb(Some("Admin"), "root", "")),
            ]
        );
    }

    #[test]
    fn names_as_written_keep_encoded_words_and_bytes() {
        let mut seen = Vec::new();
        read_address_list(
            b"=?iso-8859-1?Q?Heinz_M=FCller?= <h@x>, \"J\\\"o\"  (c) Bl\xfc\t<j@x>, \
a@b (Mr. \\( B), (before) c@d, Grp: ;",
            |a| {
                seen.push(match a {
                    AddressRef::Mailbox(m) => m.name_as_written.map(Cow::into_owned),
                    AddressRef::Group {
                        name_as_written, ..
                    } => Some(name_as_written.into_owned()),
                });
            },
        );
        assert_eq!(
            seen,
            [
                Some(b"=?iso-8859-1?Q?Heinz_M=FCller?=".to_vec()),
                Some(b"J\"o Bl\xfc".to_vec()),
                Some(b"Mr. ( B".to_vec()),
                None,
                Some(b"Grp".to_vec()),
            ]
        );
    }

    #[test]
    fn an_empty_angle_address_is_an_empty_mailbox() {
        // Every list reads `<>` the same way, alone, among others, or with a name.
        for (value, expected) in [
            (&b"<>"[..], vec![mb(None, "", "")]),
            (b"a@x, <>", vec![mb(None, "a", "x"), mb(None, "", "")]),
            (b"<> , a@x", vec![mb(None, "", ""), mb(None, "a", "x")]),
            (b"Nobody <>", vec![mb(Some("Nobody"), "", "")]),
            (b"< (none) >", vec![mb(None, "", "")]),
        ] {
            let list: Vec<Address> = expected.into_iter().map(Address::Mailbox).collect();
            assert_eq!(parse_address_list(value), list, "{value:?}");
            assert!(has_empty_angle_addr(value), "{value:?}");
        }
        for value in [
            &b"a@x"[..],
            b"<a@x>",
            b"\"<>\" <a@x>",
            b"(<>) a@x",
            b"a@x <",
        ] {
            assert!(!has_empty_angle_addr(value), "{value:?}");
        }
    }
}
