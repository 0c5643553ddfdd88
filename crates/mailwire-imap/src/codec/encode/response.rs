//! Response encoding (server side). Servers send literals without waiting, so responses
//! are written straight into a buffer.

use bytes::BufMut;

use super::Writer;
use super::body::{body_structure, envelope};
use super::command::{id_parameters, section, section_binary};
use crate::types::chars::is_text_char;
use crate::types::{
    Code, Completion, Condition, Continue, Data, Greeting, MessageDataItem, NamespaceDescription,
    Response, StatusItem, Text,
};

/// Appends a response to `out`: a `Vec<u8>`, a [`BytesMut`](bytes::BytesMut), or any
/// other [`BufMut`] that grows as needed.
///
/// ```
/// use mailwire_imap::codec::encode_response;
/// use mailwire_imap::types::{Data, Response};
///
/// let mut out = Vec::new();
/// encode_response(&Response::Data(Data::Exists(172)), &mut out);
/// assert_eq!(out, b"* 172 EXISTS\r\n");
/// ```
pub fn encode_response(response: &Response, out: &mut impl BufMut) {
    let mut w = Writer::with_buffer(out);
    match response {
        Response::Tagged(t) => {
            w.raw(t.tag.as_str().as_bytes());
            w.raw(match t.completion {
                Completion::Ok => b" OK",
                Completion::No => b" NO",
                Completion::Bad => b" BAD",
            });
            resp_text(&mut w, t.code.as_ref(), &t.text);
        }
        Response::Status(s) => status(&mut w, s),
        Response::Data(d) => {
            w.raw(b"* ");
            data(&mut w, d);
        }
        Response::Continue(c) => continue_req(&mut w, c),
    }
    w.crlf();
}

/// Appends a greeting to `out`, as [`encode_response`] appends a response.
pub fn encode_greeting(greeting: &Greeting, out: &mut impl BufMut) {
    let mut w = Writer::with_buffer(out);
    status(&mut w, greeting);
    w.crlf();
}

fn status(w: &mut Writer<impl BufMut>, s: &crate::types::Status) {
    w.raw(match s.condition {
        Condition::Ok => b"* OK",
        Condition::No => b"* NO",
        Condition::Bad => b"* BAD",
        Condition::PreAuth => b"* PREAUTH",
        Condition::Bye => b"* BYE",
    });
    resp_text(w, s.code.as_ref(), &s.text);
}

fn continue_req(w: &mut Writer<impl BufMut>, c: &Continue) {
    w.raw(b"+");
    resp_text(w, c.code.as_ref(), &c.text);
}

/// `SP resp-text`; an empty text (only ever decoded from a lenient peer) is left out.
fn resp_text(w: &mut Writer<impl BufMut>, code: Option<&Code>, text: &Text) {
    if code.is_none() && text.is_empty() {
        return;
    }
    w.sp();
    if let Some(c) = code {
        w.raw(b"[");
        resp_code(w, c);
        w.raw(b"]");
        if !text.is_empty() {
            w.sp();
        }
    }
    w.raw(text.as_str().as_bytes());
}

fn resp_code(w: &mut Writer<impl BufMut>, code: &Code) {
    match code {
        Code::Alert => w.raw(b"ALERT"),
        Code::BadCharset(charsets) => {
            w.raw(b"BADCHARSET");
            if !charsets.is_empty() {
                w.sp();
                w.list(charsets, |w, c| w.astring(c.as_str().as_bytes()));
            }
        }
        Code::Capability(caps) => {
            w.raw(b"CAPABILITY");
            for c in caps {
                w.sp();
                w.raw(c.to_string().as_bytes());
            }
        }
        Code::Parse => w.raw(b"PARSE"),
        Code::PermanentFlags(flags) => {
            w.raw(b"PERMANENTFLAGS ");
            w.list(flags, Writer::flag_perm);
        }
        Code::ReadOnly => w.raw(b"READ-ONLY"),
        Code::ReadWrite => w.raw(b"READ-WRITE"),
        Code::TryCreate => w.raw(b"TRYCREATE"),
        Code::UidNext(n) => {
            w.raw(b"UIDNEXT ");
            w.num(n.get());
        }
        Code::UidValidity(n) => {
            w.raw(b"UIDVALIDITY ");
            w.num(n.get());
        }
        Code::Unseen(n) => {
            w.raw(b"UNSEEN ");
            w.num(n.get());
        }
        Code::AppendUid { uid_validity, uids } => {
            w.raw(b"APPENDUID ");
            w.num(uid_validity.get());
            w.sp();
            w.sequence_set(uids);
        }
        Code::CopyUid {
            uid_validity,
            source,
            destination,
        } => {
            w.raw(b"COPYUID ");
            w.num(uid_validity.get());
            w.sp();
            w.sequence_set(source);
            w.sp();
            w.sequence_set(destination);
        }
        Code::UidNotSticky => w.raw(b"UIDNOTSTICKY"),
        Code::HighestModSeq(n) => {
            w.raw(b"HIGHESTMODSEQ ");
            w.num(n.get());
        }
        Code::NoModSeq => w.raw(b"NOMODSEQ"),
        Code::Modified(set) => {
            w.raw(b"MODIFIED ");
            w.sequence_set(set);
        }
        Code::Closed => w.raw(b"CLOSED"),
        Code::Other { name, text } => {
            w.atom(name);
            if let Some(text) = text {
                w.sp();
                // The field is free text; only what the grammar allows before `]` is sent.
                for b in text.bytes().filter(|&b| b != b']' && is_text_char(b)) {
                    w.out.put_u8(b);
                }
            }
        }
    }
}

fn data(w: &mut Writer<impl BufMut>, d: &Data) {
    match d {
        Data::Capability(caps) => {
            w.raw(b"CAPABILITY");
            for c in caps {
                w.sp();
                w.raw(c.to_string().as_bytes());
            }
        }
        Data::List {
            attributes,
            delimiter,
            mailbox,
        }
        | Data::Lsub {
            attributes,
            delimiter,
            mailbox,
        } => {
            w.raw(if matches!(d, Data::List { .. }) {
                b"LIST "
            } else {
                b"LSUB "
            });
            w.list(attributes, |w, a| {
                w.raw(b"\\");
                w.raw(a.name().as_bytes());
            });
            w.sp();
            delimiter_or_nil(w, *delimiter);
            w.sp();
            w.mailbox(mailbox);
        }
        Data::Status { mailbox, items } => {
            w.raw(b"STATUS ");
            w.mailbox(mailbox);
            w.sp();
            w.list(items, |w, item: &StatusItem| {
                w.raw(item.attribute().name().as_bytes());
                w.sp();
                w.num(item.value());
            });
        }
        Data::Search { ids, modseq } => {
            w.raw(b"SEARCH");
            for id in ids {
                w.sp();
                w.num(id.get());
            }
            if let Some(m) = modseq {
                w.raw(b" (MODSEQ ");
                w.num(m.get());
                w.raw(b")");
            }
        }
        Data::Flags(flags) => {
            w.raw(b"FLAGS ");
            w.list(flags, Writer::flag);
        }
        Data::Exists(n) => {
            w.num(*n);
            w.raw(b" EXISTS");
        }
        Data::Recent(n) => {
            w.num(*n);
            w.raw(b" RECENT");
        }
        Data::Expunge(n) => {
            w.num(n.get());
            w.raw(b" EXPUNGE");
        }
        Data::Fetch { seq, items } => {
            w.num(seq.get());
            w.raw(b" FETCH ");
            w.list(items, message_data_item);
        }
        Data::Namespace {
            personal,
            other,
            shared,
        } => {
            w.raw(b"NAMESPACE");
            for ns in [personal, other, shared] {
                w.sp();
                namespace(w, ns);
            }
        }
        Data::Id { parameters } => {
            w.raw(b"ID ");
            id_parameters(w, parameters.as_deref());
        }
        Data::Enabled { capabilities } => {
            w.raw(b"ENABLED");
            for c in capabilities {
                w.sp();
                w.raw(c.to_string().as_bytes());
            }
        }
        Data::Other(other) => {
            if let Some(n) = other.number() {
                w.num(n);
                w.sp();
            }
            w.atom(other.name());
            if !other.rest().is_empty() {
                w.sp();
                w.raw(other.rest().as_bytes());
            }
        }
    }
}

fn delimiter_or_nil(w: &mut Writer<impl BufMut>, delimiter: Option<crate::types::Delimiter>) {
    match delimiter {
        Some(d) => w.quoted(&[d.as_byte()]),
        None => w.raw(b"NIL"),
    }
}

fn namespace(w: &mut Writer<impl BufMut>, ns: &[NamespaceDescription]) {
    if ns.is_empty() {
        w.raw(b"NIL");
        return;
    }
    w.raw(b"(");
    for d in ns {
        w.raw(b"(");
        w.istring(&d.prefix);
        w.sp();
        delimiter_or_nil(w, d.delimiter);
        for (name, values) in &d.extensions {
            w.sp();
            w.istring(name);
            w.sp();
            w.list(values, Writer::istring);
        }
        w.raw(b")");
    }
    w.raw(b")");
}

fn message_data_item(w: &mut Writer<impl BufMut>, item: &MessageDataItem) {
    match item {
        MessageDataItem::Body(b) => {
            w.raw(b"BODY ");
            body_structure(w, b, false);
        }
        MessageDataItem::BodyStructure(b) => {
            w.raw(b"BODYSTRUCTURE ");
            body_structure(w, b, true);
        }
        MessageDataItem::BodySection {
            section: s,
            origin,
            data,
        } => {
            w.raw(b"BODY");
            section(w, s);
            origin_of(w, *origin);
            w.sp();
            // Empty section data is `{0}`, as Dovecot writes it, rather than `""` (the
            // same string, RFC 3501 §4.3): a client reading sections as literals
            // needs no special case for an empty part.
            match data {
                Some(d) if d.as_bytes().is_empty() => w.literal(b"", false),
                _ => w.nstring(data),
            }
        }
        MessageDataItem::Binary { part, origin, data } => {
            w.raw(b"BINARY");
            section_binary(w, part);
            origin_of(w, *origin);
            w.sp();
            match data {
                None => w.raw(b"NIL"),
                Some(d) if d.contains(&0) => w.literal(d, true),
                Some(d) => w.string(d),
            }
        }
        MessageDataItem::BinarySize { part, size } => {
            w.raw(b"BINARY.SIZE");
            section_binary(w, part);
            w.sp();
            w.num(*size);
        }
        MessageDataItem::Envelope(e) => {
            w.raw(b"ENVELOPE ");
            envelope(w, e);
        }
        MessageDataItem::Flags(flags) => {
            w.raw(b"FLAGS ");
            w.list(flags, Writer::flag_fetch);
        }
        MessageDataItem::InternalDate(dt) => {
            w.raw(b"INTERNALDATE ");
            w.date_time(*dt);
        }
        MessageDataItem::Rfc822(s) => {
            w.raw(b"RFC822 ");
            w.nstring(s);
        }
        MessageDataItem::Rfc822Header(s) => {
            w.raw(b"RFC822.HEADER ");
            w.nstring(s);
        }
        MessageDataItem::Rfc822Text(s) => {
            w.raw(b"RFC822.TEXT ");
            w.nstring(s);
        }
        MessageDataItem::Rfc822Size(n) => {
            w.raw(b"RFC822.SIZE ");
            w.num(*n);
        }
        MessageDataItem::Uid(n) => {
            w.raw(b"UID ");
            w.num(n.get());
        }
        MessageDataItem::ModSeq(n) => {
            w.raw(b"MODSEQ (");
            w.num(n.get());
            w.raw(b")");
        }
        MessageDataItem::Other(other) => {
            w.atom(other.name());
            w.sp();
            w.raw(other.value().as_bytes());
        }
    }
}

fn origin_of(w: &mut Writer<impl BufMut>, origin: Option<u32>) {
    if let Some(o) = origin {
        w.raw(b"<");
        w.num(o);
        w.raw(b">");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Atom, Envelope, Tag, Tagged};

    #[test]
    fn free_text_in_an_unknown_code_stays_inside_the_brackets() {
        let response = Response::Tagged(Tagged {
            tag: Tag::new("a").unwrap(),
            completion: Completion::No,
            code: Some(Code::Other {
                name: Atom::new("X-LIMIT").unwrap(),
                text: Some("10] \r\nbroken".into()),
            }),
            text: Text::new("too many").unwrap(),
        });
        let mut out = Vec::new();
        encode_response(&response, &mut out);
        assert_eq!(out, b"a NO [X-LIMIT 10 broken] too many\r\n");
    }

    #[test]
    fn empty_lists_where_the_grammar_allows_nil() {
        let mut w = Writer::with_buffer(Vec::new());
        envelope(&mut w, &Envelope::default());
        assert_eq!(w.out, b"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
        let mut out = Vec::new();
        encode_response(
            &Response::Data(Data::Namespace {
                personal: vec![],
                other: vec![],
                shared: vec![],
            }),
            &mut out,
        );
        assert_eq!(out, b"* NAMESPACE NIL NIL NIL\r\n");
    }
}
