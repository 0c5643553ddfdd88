//! Command encoding (client side).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::BufMut;

use super::{Encoded, LiteralMode, Writer};
use crate::types::{
    AuthenticateData, Command, CommandBody, FetchAttribute, FetchItems, Partial, SearchKey,
    Section, SectionText, StoreKind,
};

/// Encodes a command, with literals announced as `mode` allows.
///
/// ```
/// use mailwire_imap::codec::{LiteralMode, encode_command};
/// use mailwire_imap::types::{Command, CommandBody, Tag};
///
/// let cmd = Command::new(Tag::new("a1").unwrap(), CommandBody::Noop);
/// assert_eq!(encode_command(&cmd, LiteralMode::Sync).as_bytes(), b"a1 NOOP\r\n");
/// ```
pub fn encode_command(command: &Command, mode: LiteralMode) -> Encoded {
    let mut w = Writer::new(mode);
    w.raw(command.tag.as_str().as_bytes());
    w.sp();
    body(&mut w, &command.body);
    w.crlf();
    w.finish()
}

/// Encodes a line of AUTHENTICATE data: base64, or `*` to cancel.
pub fn encode_authenticate_data(data: &AuthenticateData, out: &mut impl BufMut) {
    match data {
        AuthenticateData::Response(bytes) => {
            out.put_slice(BASE64.encode(bytes.expose()).as_bytes());
        }
        AuthenticateData::Cancel => out.put_u8(b'*'),
    }
    out.put_slice(b"\r\n");
}

/// Encodes the `DONE` that ends IDLE.
pub fn encode_done(out: &mut impl BufMut) {
    out.put_slice(b"DONE\r\n");
}

fn body(w: &mut Writer<impl BufMut>, body: &CommandBody) {
    w.raw(body.name().as_bytes());
    match body {
        CommandBody::Capability
        | CommandBody::Noop
        | CommandBody::Logout
        | CommandBody::StartTls
        | CommandBody::Check
        | CommandBody::Close
        | CommandBody::Unselect
        | CommandBody::Expunge
        | CommandBody::Idle
        | CommandBody::Namespace => {}
        CommandBody::Authenticate {
            mechanism,
            initial_response,
        } => {
            w.sp();
            w.atom(mechanism);
            if let Some(ir) = initial_response {
                w.sp();
                if ir.expose().is_empty() {
                    w.raw(b"=");
                } else {
                    w.raw(BASE64.encode(ir.expose()).as_bytes());
                }
            }
        }
        CommandBody::Login { username, password } => {
            w.sp();
            w.astring(username.as_bytes());
            w.sp();
            w.astring(password.expose().as_bytes());
        }
        CommandBody::Select { mailbox, condstore }
        | CommandBody::Examine { mailbox, condstore } => {
            w.sp();
            w.mailbox(mailbox);
            if *condstore {
                w.raw(b" (CONDSTORE)");
            }
        }
        CommandBody::Create { mailbox }
        | CommandBody::Delete { mailbox }
        | CommandBody::Subscribe { mailbox }
        | CommandBody::Unsubscribe { mailbox } => {
            w.sp();
            w.mailbox(mailbox);
        }
        CommandBody::Rename { from, to } => {
            w.sp();
            w.mailbox(from);
            w.sp();
            w.mailbox(to);
        }
        CommandBody::List { reference, pattern } | CommandBody::Lsub { reference, pattern } => {
            w.sp();
            w.mailbox(reference);
            w.sp();
            w.list_mailbox(pattern);
        }
        CommandBody::Status {
            mailbox,
            attributes,
        } => {
            w.sp();
            w.mailbox(mailbox);
            w.sp();
            w.list(attributes, |w, a| w.raw(a.name().as_bytes()));
        }
        CommandBody::Append { mailbox, messages } => {
            w.sp();
            w.mailbox(mailbox);
            for m in messages {
                w.sp();
                if !m.flags.is_empty() {
                    w.list(&m.flags, Writer::flag);
                    w.sp();
                }
                if let Some(date) = m.date {
                    w.date_time(date);
                    w.sp();
                }
                w.literal(&m.data, m.data.contains(&0));
            }
        }
        CommandBody::UidExpunge { uids } => {
            w.sp();
            w.sequence_set(uids);
        }
        CommandBody::Search {
            charset, criteria, ..
        } => {
            if let Some(charset) = charset {
                w.raw(b" CHARSET ");
                w.astring(charset.as_str().as_bytes());
            }
            for key in criteria {
                w.sp();
                search_key(w, key);
            }
        }
        CommandBody::Fetch {
            set,
            items,
            changed_since,
            ..
        } => {
            w.sp();
            w.sequence_set(set);
            w.sp();
            fetch_items(w, items);
            if let Some(n) = changed_since {
                w.raw(b" (CHANGEDSINCE ");
                w.num(n.get());
                w.raw(b")");
            }
        }
        CommandBody::Store {
            set,
            kind,
            silent,
            flags,
            unchanged_since,
            ..
        } => {
            w.sp();
            w.sequence_set(set);
            if let Some(n) = unchanged_since {
                w.raw(b" (UNCHANGEDSINCE ");
                w.num(*n);
                w.raw(b")");
            }
            w.raw(match kind {
                StoreKind::Replace => b" FLAGS",
                StoreKind::Add => b" +FLAGS",
                StoreKind::Remove => b" -FLAGS",
            });
            if *silent {
                w.raw(b".SILENT");
            }
            w.sp();
            w.list(flags, Writer::flag);
        }
        CommandBody::Copy { set, mailbox, .. } | CommandBody::Move { set, mailbox, .. } => {
            w.sp();
            w.sequence_set(set);
            w.sp();
            w.mailbox(mailbox);
        }
        CommandBody::Enable { capabilities } => {
            for c in capabilities {
                w.sp();
                w.raw(c.to_string().as_bytes());
            }
        }
        CommandBody::Id { parameters } => {
            w.sp();
            id_parameters(w, parameters.as_deref());
        }
    }
}

pub(super) fn id_parameters(
    w: &mut Writer<impl BufMut>,
    parameters: Option<&[(crate::types::IString, crate::types::NString)]>,
) {
    match parameters {
        None => w.raw(b"NIL"),
        Some(params) => w.list(params, |w, (k, v)| {
            w.istring(k);
            w.sp();
            w.nstring(v);
        }),
    }
}

fn fetch_items(w: &mut Writer<impl BufMut>, items: &FetchItems) {
    match items {
        FetchItems::All => w.raw(b"ALL"),
        FetchItems::Fast => w.raw(b"FAST"),
        FetchItems::Full => w.raw(b"FULL"),
        FetchItems::Attributes(atts) if atts.len() == 1 => fetch_attribute(w, atts.first()),
        FetchItems::Attributes(atts) => w.list(atts, fetch_attribute),
    }
}

fn fetch_attribute(w: &mut Writer<impl BufMut>, att: &FetchAttribute) {
    match att {
        FetchAttribute::Envelope => w.raw(b"ENVELOPE"),
        FetchAttribute::Flags => w.raw(b"FLAGS"),
        FetchAttribute::InternalDate => w.raw(b"INTERNALDATE"),
        FetchAttribute::Rfc822 => w.raw(b"RFC822"),
        FetchAttribute::Rfc822Header => w.raw(b"RFC822.HEADER"),
        FetchAttribute::Rfc822Size => w.raw(b"RFC822.SIZE"),
        FetchAttribute::Rfc822Text => w.raw(b"RFC822.TEXT"),
        FetchAttribute::Body => w.raw(b"BODY"),
        FetchAttribute::BodyStructure => w.raw(b"BODYSTRUCTURE"),
        FetchAttribute::Uid => w.raw(b"UID"),
        FetchAttribute::ModSeq => w.raw(b"MODSEQ"),
        FetchAttribute::BodySection {
            peek,
            section: s,
            partial: p,
        } => {
            w.raw(if *peek { b"BODY.PEEK" } else { b"BODY" });
            section(w, s);
            partial(w, *p);
        }
        FetchAttribute::Binary {
            peek,
            part,
            partial: p,
        } => {
            w.raw(if *peek { b"BINARY.PEEK" } else { b"BINARY" });
            section_binary(w, part);
            partial(w, *p);
        }
        FetchAttribute::BinarySize { part } => {
            w.raw(b"BINARY.SIZE");
            section_binary(w, part);
        }
    }
}

fn partial(w: &mut Writer<impl BufMut>, p: Option<Partial>) {
    if let Some(p) = p {
        w.raw(b"<");
        w.num(p.offset);
        w.raw(b".");
        w.num(p.length.get());
        w.raw(b">");
    }
}

pub(super) fn section_binary(w: &mut Writer<impl BufMut>, part: &[u32]) {
    w.raw(b"[");
    part_path(w, part);
    w.raw(b"]");
}

fn part_path(w: &mut Writer<impl BufMut>, part: &[u32]) {
    for (i, n) in part.iter().enumerate() {
        if i > 0 {
            w.raw(b".");
        }
        w.num(*n);
    }
}

/// `section = "[" [section-spec] "]"`
pub(super) fn section(w: &mut Writer<impl BufMut>, section: &Section) {
    w.raw(b"[");
    part_path(w, section.part());
    if let Some(text) = section.text() {
        if !section.part().is_empty() {
            w.raw(b".");
        }
        match text {
            SectionText::Header => w.raw(b"HEADER"),
            SectionText::Text => w.raw(b"TEXT"),
            SectionText::Mime => w.raw(b"MIME"),
            SectionText::HeaderFields(fields) => {
                w.raw(b"HEADER.FIELDS ");
                w.list(fields, |w, f| w.astring(f.as_bytes()));
            }
            SectionText::HeaderFieldsNot(fields) => {
                w.raw(b"HEADER.FIELDS.NOT ");
                w.list(fields, |w, f| w.astring(f.as_bytes()));
            }
        }
    }
    w.raw(b"]");
}

fn search_key(w: &mut Writer<impl BufMut>, key: &SearchKey) {
    let (name, arg): (&[u8], _) = match key {
        SearchKey::All => (b"ALL", None),
        SearchKey::Answered => (b"ANSWERED", None),
        SearchKey::Deleted => (b"DELETED", None),
        SearchKey::Draft => (b"DRAFT", None),
        SearchKey::Flagged => (b"FLAGGED", None),
        SearchKey::New => (b"NEW", None),
        SearchKey::Old => (b"OLD", None),
        SearchKey::Recent => (b"RECENT", None),
        SearchKey::Seen => (b"SEEN", None),
        SearchKey::Unanswered => (b"UNANSWERED", None),
        SearchKey::Undeleted => (b"UNDELETED", None),
        SearchKey::Undraft => (b"UNDRAFT", None),
        SearchKey::Unflagged => (b"UNFLAGGED", None),
        SearchKey::Unseen => (b"UNSEEN", None),
        SearchKey::Bcc(s) => (b"BCC", Some(s)),
        SearchKey::Body(s) => (b"BODY", Some(s)),
        SearchKey::Cc(s) => (b"CC", Some(s)),
        SearchKey::From(s) => (b"FROM", Some(s)),
        SearchKey::Subject(s) => (b"SUBJECT", Some(s)),
        SearchKey::Text(s) => (b"TEXT", Some(s)),
        SearchKey::To(s) => (b"TO", Some(s)),
        SearchKey::Before(d)
        | SearchKey::On(d)
        | SearchKey::Since(d)
        | SearchKey::SentBefore(d)
        | SearchKey::SentOn(d)
        | SearchKey::SentSince(d) => {
            w.raw(match key {
                SearchKey::Before(_) => b"BEFORE ",
                SearchKey::On(_) => b"ON ",
                SearchKey::Since(_) => b"SINCE ",
                SearchKey::SentBefore(_) => b"SENTBEFORE ",
                SearchKey::SentOn(_) => b"SENTON ",
                _ => b"SENTSINCE ",
            });
            w.date(*d);
            return;
        }
        SearchKey::Header(field, value) => {
            w.raw(b"HEADER ");
            w.astring(field.as_bytes());
            w.sp();
            w.astring(value.as_bytes());
            return;
        }
        SearchKey::Keyword(k) | SearchKey::Unkeyword(k) => {
            w.raw(if matches!(key, SearchKey::Keyword(_)) {
                b"KEYWORD "
            } else {
                b"UNKEYWORD "
            });
            w.atom(k);
            return;
        }
        SearchKey::Larger(n) | SearchKey::Smaller(n) => {
            w.raw(if matches!(key, SearchKey::Larger(_)) {
                b"LARGER "
            } else {
                b"SMALLER "
            });
            w.num(*n);
            return;
        }
        SearchKey::ModSeq(n) => {
            w.raw(b"MODSEQ ");
            w.num(*n);
            return;
        }
        SearchKey::Not(k) => {
            w.raw(b"NOT ");
            search_key(w, k);
            return;
        }
        SearchKey::Or(a, b) => {
            w.raw(b"OR ");
            search_key(w, a);
            w.sp();
            search_key(w, b);
            return;
        }
        SearchKey::Uid(set) => {
            w.raw(b"UID ");
            w.sequence_set(set);
            return;
        }
        SearchKey::SequenceSet(set) => {
            w.sequence_set(set);
            return;
        }
        SearchKey::And(keys) => {
            w.list(keys, search_key);
            return;
        }
    };
    w.raw(name);
    if let Some(s) = arg {
        w.sp();
        w.astring(s.as_bytes());
    }
}
