//! SEARCH criteria (RFC 3501 §6.4.4): `search` and `search-key`, with CONDSTORE's MODSEQ.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{map, opt};
use nom::sequence::preceded;

use super::primitive::{
    KEYWORD_MAX, PResult, astring, atom, atom_bytes, date, expect, fail, number, number64,
    paren_list1, sequence_set, sp, string, tag_ci, upper,
};
use crate::types::{Charset, CommandBody, IString, NonEmpty, SearchKey};

/// `search = "SEARCH" [SP "CHARSET" SP astring] 1*(SP search-key)`
pub(crate) fn search(i: &[u8], uid: bool, depth: usize) -> PResult<'_, CommandBody> {
    let (i, charset) = opt(preceded(
        (sp, tag_ci("CHARSET"), sp),
        expect("charset expected", astring),
    ))
    .parse(i)?;
    let charset = match charset {
        None => None,
        Some(c) => match c.as_str().and_then(|s| Charset::new(s).ok()) {
            Some(c) => Some(c),
            None => return fail(i, "bad charset"),
        },
    };
    let (mut i, first) = preceded(sp, |i| search_key(i, depth)).parse(i)?;
    // Clients send a few keys: grow once, not from one.
    let mut criteria = NonEmpty::with_capacity(first, 4);
    while i.starts_with(b" ") {
        let (rest, key) = preceded(sp, |i| search_key(i, depth)).parse(i)?;
        criteria.push(key);
        i = rest;
    }
    Ok((
        i,
        CommandBody::Search {
            charset,
            criteria,
            uid,
        },
    ))
}

type StringKey = fn(IString) -> SearchKey;
type DateKey = fn(crate::types::Date) -> SearchKey;

fn search_key(i: &[u8], depth: usize) -> PResult<'_, SearchKey> {
    let Some(depth) = depth.checked_sub(1) else {
        return fail(i, "search keys nested too deeply");
    };
    match i.first() {
        Some(b'(') => {
            let (rest, keys) = paren_list1(|i| search_key(i, depth)).parse(i)?;
            return Ok((rest, SearchKey::And(keys)));
        }
        Some(b'0'..=b'9' | b'*') => return map(sequence_set, SearchKey::SequenceSet).parse(i),
        _ => {}
    }
    let (i, name) = atom_bytes(i)?;
    let mut buf = [0u8; KEYWORD_MAX];
    let with_string = |i, f: StringKey| map(preceded(sp, astring), f).parse(i);
    let with_date = |i, f: DateKey| map(preceded(sp, date), f).parse(i);
    let key = |i| preceded(sp, |i| search_key(i, depth)).parse(i);
    match upper(name, &mut buf) {
        b"ALL" => Ok((i, SearchKey::All)),
        b"ANSWERED" => Ok((i, SearchKey::Answered)),
        b"DELETED" => Ok((i, SearchKey::Deleted)),
        b"DRAFT" => Ok((i, SearchKey::Draft)),
        b"FLAGGED" => Ok((i, SearchKey::Flagged)),
        b"NEW" => Ok((i, SearchKey::New)),
        b"OLD" => Ok((i, SearchKey::Old)),
        b"RECENT" => Ok((i, SearchKey::Recent)),
        b"SEEN" => Ok((i, SearchKey::Seen)),
        b"UNANSWERED" => Ok((i, SearchKey::Unanswered)),
        b"UNDELETED" => Ok((i, SearchKey::Undeleted)),
        b"UNDRAFT" => Ok((i, SearchKey::Undraft)),
        b"UNFLAGGED" => Ok((i, SearchKey::Unflagged)),
        b"UNSEEN" => Ok((i, SearchKey::Unseen)),
        b"BCC" => with_string(i, SearchKey::Bcc),
        b"BODY" => with_string(i, SearchKey::Body),
        b"CC" => with_string(i, SearchKey::Cc),
        b"FROM" => with_string(i, SearchKey::From),
        b"SUBJECT" => with_string(i, SearchKey::Subject),
        b"TEXT" => with_string(i, SearchKey::Text),
        b"TO" => with_string(i, SearchKey::To),
        b"BEFORE" => with_date(i, SearchKey::Before),
        b"ON" => with_date(i, SearchKey::On),
        b"SINCE" => with_date(i, SearchKey::Since),
        b"SENTBEFORE" => with_date(i, SearchKey::SentBefore),
        b"SENTON" => with_date(i, SearchKey::SentOn),
        b"SENTSINCE" => with_date(i, SearchKey::SentSince),
        b"HEADER" => {
            let (i, field) = preceded(sp, astring).parse(i)?;
            let (i, v) = preceded(sp, astring).parse(i)?;
            Ok((i, SearchKey::Header(field, v)))
        }
        b"KEYWORD" => map(preceded(sp, atom), SearchKey::Keyword).parse(i),
        b"UNKEYWORD" => map(preceded(sp, atom), SearchKey::Unkeyword).parse(i),
        b"LARGER" => map(preceded(sp, number), SearchKey::Larger).parse(i),
        b"SMALLER" => map(preceded(sp, number), SearchKey::Smaller).parse(i),
        b"UID" => map(preceded(sp, sequence_set), SearchKey::Uid).parse(i),
        b"NOT" => map(key, |k| SearchKey::Not(Box::new(k))).parse(i),
        b"OR" => {
            let (i, a) = key(i)?;
            let (i, b) = key(i)?;
            Ok((i, SearchKey::Or(Box::new(a), Box::new(b))))
        }
        b"MODSEQ" => {
            // search-modsequence = "MODSEQ" [search-modseq-ext] SP mod-sequence-valzer
            let entry_type = alt((tag_ci("priv"), tag_ci("shared"), tag_ci("all")));
            let (i, _) = opt((sp, string, sp, entry_type)).parse(i)?;
            map(preceded(sp, number64), SearchKey::ModSeq).parse(i)
        }
        _ => fail(i, "unknown search key"),
    }
}
