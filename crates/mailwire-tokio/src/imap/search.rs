//! SEARCH criteria built from named pieces.

use mailwire_imap::types::{Atom, Charset, Date, IString, NonEmpty, SearchKey, SequenceSet};

/// Search criteria: keys that must all match, built from constructors and combined with
/// [`and`](Self::and), [`or`](Self::or) and [`not`](Self::not).
///
/// ```
/// use mailwire_tokio::imap::Search;
///
/// let unseen_from_ann = Search::unseen().and(Search::from("ann@example.org"));
/// assert_eq!(unseen_from_ann.to_string(), "UNSEEN FROM ann@example.org");
/// let either = Search::flagged().or(Search::subject("urgent")).and(Search::deleted().not());
/// assert_eq!(either.to_string(), "OR FLAGGED SUBJECT urgent NOT DELETED");
/// // Non-ASCII text is sent with CHARSET UTF-8.
/// assert_eq!(Search::subject("Grüße").to_string(), "CHARSET UTF-8 SUBJECT {7}\r\nGrüße");
/// ```
///
/// A string holding NUL cannot be sent: the search that uses it fails with
/// [`ImapError::Invalid`](super::ImapError::Invalid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    keys: Vec<SearchKey>,
    utf8: bool,
    invalid: bool,
}

impl Search {
    /// One key, as the codec has it; a string in it that is not ASCII is announced with
    /// `CHARSET UTF-8`, as the named constructors do.
    pub fn key(key: SearchKey) -> Self {
        Self {
            utf8: !is_ascii(&key),
            keys: vec![key],
            invalid: false,
        }
    }

    fn string(make: fn(IString) -> SearchKey, value: &str) -> Self {
        match IString::new(value) {
            Ok(s) => Self {
                keys: vec![make(s)],
                utf8: !value.is_ascii(),
                invalid: false,
            },
            Err(_) => Self {
                keys: vec![SearchKey::All],
                utf8: false,
                invalid: true,
            },
        }
    }

    /// `ALL`: every message.
    pub fn all() -> Self {
        Self::key(SearchKey::All)
    }
    /// `UNSEEN`: messages without `\Seen`.
    pub fn unseen() -> Self {
        Self::key(SearchKey::Unseen)
    }
    /// `SEEN`
    pub fn seen() -> Self {
        Self::key(SearchKey::Seen)
    }
    /// `NEW`: recent and not seen.
    pub fn new_messages() -> Self {
        Self::key(SearchKey::New)
    }
    /// `RECENT`
    pub fn recent() -> Self {
        Self::key(SearchKey::Recent)
    }
    /// `FLAGGED`
    pub fn flagged() -> Self {
        Self::key(SearchKey::Flagged)
    }
    /// `ANSWERED`
    pub fn answered() -> Self {
        Self::key(SearchKey::Answered)
    }
    /// `DELETED`
    pub fn deleted() -> Self {
        Self::key(SearchKey::Deleted)
    }
    /// `DRAFT`
    pub fn draft() -> Self {
        Self::key(SearchKey::Draft)
    }
    /// `KEYWORD flag`; a keyword that is not an atom matches nothing and fails the search.
    pub fn keyword(keyword: &str) -> Self {
        match Atom::new(keyword) {
            Ok(atom) => Self::key(SearchKey::Keyword(atom)),
            Err(_) => Self {
                invalid: true,
                ..Self::all()
            },
        }
    }
    /// `FROM text`: the From header contains `text`.
    pub fn from(text: &str) -> Self {
        Self::string(SearchKey::From, text)
    }
    /// `TO text`
    pub fn to(text: &str) -> Self {
        Self::string(SearchKey::To, text)
    }
    /// `CC text`
    pub fn cc(text: &str) -> Self {
        Self::string(SearchKey::Cc, text)
    }
    /// `SUBJECT text`
    pub fn subject(text: &str) -> Self {
        Self::string(SearchKey::Subject, text)
    }
    /// `BODY text`: the body contains `text`.
    pub fn body(text: &str) -> Self {
        Self::string(SearchKey::Body, text)
    }
    /// `TEXT text`: the header or the body contains `text`.
    pub fn text(text: &str) -> Self {
        Self::string(SearchKey::Text, text)
    }
    /// `HEADER field text`
    pub fn header(field: &str, text: &str) -> Self {
        match (IString::new(field), IString::new(text)) {
            (Ok(f), Ok(t)) => Self {
                keys: vec![SearchKey::Header(f, t)],
                utf8: !text.is_ascii() || !field.is_ascii(),
                invalid: false,
            },
            _ => Self {
                invalid: true,
                ..Self::all()
            },
        }
    }
    /// `SINCE date`: arrived on or after `date` (the internal date).
    pub fn since(date: Date) -> Self {
        Self::key(SearchKey::Since(date))
    }
    /// `BEFORE date`: arrived before `date`.
    pub fn before(date: Date) -> Self {
        Self::key(SearchKey::Before(date))
    }
    /// `ON date`
    pub fn on(date: Date) -> Self {
        Self::key(SearchKey::On(date))
    }
    /// `LARGER n`: more than `n` octets.
    pub fn larger(n: u32) -> Self {
        Self::key(SearchKey::Larger(n))
    }
    /// `SMALLER n`
    pub fn smaller(n: u32) -> Self {
        Self::key(SearchKey::Smaller(n))
    }
    /// `UID set`
    pub fn uid(set: SequenceSet) -> Self {
        Self::key(SearchKey::Uid(set))
    }

    /// Both this and `other` must match.
    pub fn and(mut self, other: Search) -> Self {
        self.keys.extend(other.keys);
        self.utf8 |= other.utf8;
        self.invalid |= other.invalid;
        self
    }

    /// This or `other` must match (`OR a b`).
    pub fn or(self, other: Search) -> Self {
        Self {
            utf8: self.utf8 || other.utf8,
            invalid: self.invalid || other.invalid,
            keys: vec![SearchKey::Or(
                Box::new(self.into_key()),
                Box::new(other.into_key()),
            )],
        }
    }

    /// This must not match (`NOT a`).
    #[allow(
        clippy::should_implement_trait,
        reason = "reads as the criteria read; `!search` would hide the IMAP key"
    )]
    pub fn not(self) -> Self {
        Self {
            utf8: self.utf8,
            invalid: self.invalid,
            keys: vec![SearchKey::Not(Box::new(self.into_key()))],
        }
    }

    /// The criteria as one key: the key itself, or a parenthesised list.
    fn into_key(mut self) -> SearchKey {
        if self.keys.len() == 1 {
            return self.keys.remove(0);
        }
        match NonEmpty::from_vec(self.keys) {
            Some(keys) => SearchKey::And(keys),
            None => SearchKey::All,
        }
    }

    /// The charset to announce (`UTF-8` when a string is not ASCII), the keys, and
    /// whether a string could not be carried.
    pub(crate) fn into_parts(self) -> (Option<Charset>, NonEmpty<SearchKey>, bool) {
        let charset = self
            .utf8
            .then(|| Charset::new("UTF-8").expect("a valid charset name"));
        let keys = NonEmpty::from_vec(self.keys).unwrap_or_else(|| NonEmpty::new(SearchKey::All));
        (charset, keys, self.invalid)
    }
}

/// Whether every string of `key`, and of the keys inside it, is ASCII.
fn is_ascii(key: &SearchKey) -> bool {
    match key {
        SearchKey::Bcc(s)
        | SearchKey::Body(s)
        | SearchKey::Cc(s)
        | SearchKey::From(s)
        | SearchKey::Subject(s)
        | SearchKey::Text(s)
        | SearchKey::To(s) => s.as_bytes().is_ascii(),
        SearchKey::Header(field, s) => field.as_bytes().is_ascii() && s.as_bytes().is_ascii(),
        SearchKey::Not(key) => is_ascii(key),
        SearchKey::Or(a, b) => is_ascii(a) && is_ascii(b),
        SearchKey::And(keys) => keys.iter().all(is_ascii),
        _ => true,
    }
}

impl std::fmt::Display for Search {
    /// The criteria as they go on the wire after `SEARCH `.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use mailwire_imap::codec::{LiteralMode, encode_command};
        use mailwire_imap::types::{Command, CommandBody, Tag};

        let (charset, criteria, _) = self.clone().into_parts();
        let command = Command::new(
            Tag::new("x").expect("a valid tag"),
            CommandBody::Search {
                charset,
                criteria,
                uid: false,
            },
        );
        let bytes = encode_command(&command, LiteralMode::Sync).into_bytes();
        let text = String::from_utf8_lossy(&bytes);
        let text = text.strip_prefix("x SEARCH ").unwrap_or(&text);
        f.write_str(text.strip_suffix("\r\n").unwrap_or(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> IString {
        IString::new(s).unwrap()
    }

    #[test]
    fn a_key_given_whole_announces_utf8_for_a_string_that_is_not_ascii() {
        let subject = SearchKey::Subject(text("café"));
        assert_eq!(
            Search::key(subject.clone()).to_string(),
            "CHARSET UTF-8 SUBJECT {5}\r\ncafé"
        );
        let nested = SearchKey::Or(
            Box::new(SearchKey::Seen),
            Box::new(SearchKey::Not(Box::new(SearchKey::Header(
                text("X-Tag"),
                text("Grüße"),
            )))),
        );
        assert_eq!(
            Search::key(nested).to_string(),
            "CHARSET UTF-8 OR SEEN NOT HEADER X-Tag {7}\r\nGrüße"
        );
        let and = SearchKey::And(NonEmpty::from_vec(vec![SearchKey::Unseen, subject]).unwrap());
        assert!(Search::key(and).to_string().starts_with("CHARSET UTF-8 "));
        // ASCII strings announce no charset, alone or combined.
        assert_eq!(
            Search::key(SearchKey::Subject(text("cafe"))).to_string(),
            "SUBJECT cafe"
        );
        assert_eq!(
            Search::key(SearchKey::Unseen)
                .and(Search::key(SearchKey::Subject(text("é"))))
                .to_string(),
            "CHARSET UTF-8 UNSEEN SUBJECT {2}\r\né"
        );
    }
}
