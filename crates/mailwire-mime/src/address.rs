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

/// Reads `local` or `domain` text: words glued together until a separator.
fn read_glued(c: &mut Cursor<'_, '_>, comment: &mut Option<Vec<u8>>, stop_at_at: bool) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(t) = c.peek() {
        match t {
            Token::Comment(text) => *comment = Some(text.to_vec()),
            Token::Special(b'@') if stop_at_at => break,
            Token::Special(_) => break,
            t => out.extend_from_slice(word_bytes(t).unwrap_or_default()),
        }
        c.at += 1;
    }
    out
}

fn text(bytes: &[u8]) -> String {
    crate::charset::lossy_text(bytes).into_owned()
}

/// `text` for bytes already owned: no copy when they are UTF-8.
fn owned_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| text(e.as_bytes()))
}

/// `s` without surrounding ASCII whitespace; `None` when nothing is left.
fn trimmed(mut s: String) -> Option<String> {
    let is_ws = |c: char| c.is_ascii_whitespace();
    let end = s.trim_end_matches(is_ws).len();
    s.truncate(end);
    let start = s.len() - s.trim_start_matches(is_ws).len();
    s.drain(..start);
    (!s.is_empty()).then_some(s)
}

fn phrase_to_name(words: &[(bool, &[u8])]) -> Option<String> {
    let name = match words {
        [(_, w)] => decode_text(w),
        _ => {
            let mut joined = Vec::new();
            for (i, (space, w)) in words.iter().enumerate() {
                if i > 0 && *space {
                    joined.push(b' ');
                }
                joined.extend_from_slice(w);
            }
            decode_text(&joined)
        }
    };
    trimmed(name)
}

/// Reads the inside of `<…>`, after the `<`.
fn angle_addr(c: &mut Cursor<'_, '_>, name: Option<String>) -> Mailbox {
    let mut ignored = None;
    let mut route = Vec::new();
    // obs-route: "@" domain *("," ["@" domain]) ":"
    if c.is_special(b'@') {
        let save = c.at;
        while c.is_special(b'@') || c.is_special(b',') {
            c.at += 1;
            let d = read_glued(c, &mut ignored, true);
            if !d.is_empty() {
                route.push(text(&d));
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
    let mut domain = Vec::new();
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
    Mailbox {
        name,
        route,
        local_part: owned_text(local),
        domain: owned_text(domain),
    }
}

/// Reads one mailbox or group; `None` for an empty element.
fn address<'t>(c: &mut Cursor<'t, '_>, in_group: bool) -> Option<Address> {
    let mut phrase: Vec<(bool, &'t [u8])> = Vec::new();
    let mut comment: Option<Vec<u8>> = None;
    while let Some(t) = c.peek() {
        let space = c.toks[c.at].space_before;
        match t {
            Token::Comment(text) => {
                comment = Some(text.to_vec());
                c.at += 1;
            }
            Token::Special(b'<') => {
                c.at += 1;
                let mut m = angle_addr(c, phrase_to_name(&phrase));
                // Comments after the address are not a name.
                while let Some(Token::Comment(_)) = c.peek() {
                    c.at += 1;
                }
                if m.local_part.is_empty() && m.domain.is_empty() && m.name.is_none() {
                    return None;
                }
                m.route.shrink_to_fit();
                return Some(Address::Mailbox(m));
            }
            Token::Special(b':') if !in_group => {
                c.at += 1;
                let name = phrase_to_name(&phrase).unwrap_or_default();
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
                    if let Some(Address::Mailbox(m)) = address(c, true) {
                        members.push(m);
                    }
                    if c.at == before {
                        c.at += 1;
                    }
                }
                return Some(Address::Group(Group { name, members }));
            }
            Token::Special(b'@') => {
                c.at += 1;
                let mut local = Vec::new();
                for (_, w) in &phrase {
                    local.extend_from_slice(w);
                }
                let domain = read_glued(c, &mut comment, true);
                if local.is_empty() && domain.is_empty() {
                    return None;
                }
                // A trailing comment holds the name in the old `addr (Name)` style.
                while let Some(Token::Comment(text)) = c.peek() {
                    comment = Some(text.to_vec());
                    c.at += 1;
                }
                if c.is_special(b'<') {
                    // `a@b <c@d>`: the first part was a (bad) display name.
                    c.at += 1;
                    let mut name = local;
                    name.push(b'@');
                    name.extend_from_slice(&domain);
                    return Some(Address::Mailbox(angle_addr(c, Some(text(&name)))));
                }
                let name = comment.as_deref().map(decode_text).and_then(trimmed);
                return Some(Address::Mailbox(Mailbox {
                    name,
                    route: Vec::new(),
                    local_part: owned_text(local),
                    domain: owned_text(domain),
                }));
            }
            Token::Special(b',') => break,
            Token::Special(b';') if in_group => break,
            Token::Special(_) => c.at += 1,
            t => {
                phrase.push((space, word_bytes(t).unwrap_or_default()));
                c.at += 1;
            }
        }
    }
    if phrase.is_empty() {
        return None;
    }
    // A bare word such as `postmaster` or `undisclosed-recipients`.
    let mut local = Vec::new();
    for (i, (space, w)) in phrase.iter().enumerate() {
        if i > 0 && *space {
            local.push(b' ');
        }
        local.extend_from_slice(w);
    }
    let name = comment.as_deref().map(decode_text).and_then(trimmed);
    Some(Address::Mailbox(Mailbox {
        name,
        route: Vec::new(),
        local_part: owned_text(local),
        domain: String::new(),
    }))
}

/// Reads an address list (`From`, `To`, `Cc`, `Bcc`, `Reply-To`, `Sender` …).
pub(crate) fn parse_address_list(value: &[u8]) -> Vec<Address> {
    let toks = lex(value);
    let mut c = Cursor { toks: &toks, at: 0 };
    let mut out = Vec::new();
    while c.peek().is_some() {
        let before = c.at;
        if let Some(a) = address(&mut c, false) {
            out.push(a);
        }
        if c.is_special(b',') || c.at == before {
            c.at += 1;
        }
    }
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
                members: vec![]
            })]
        );
        assert!(parse_address_list(b"").is_empty());
    }
}
