//! ENVELOPE, BODY and BODYSTRUCTURE (RFC 3501 §7.4.2) written from a parsed message.
//!
//! The items are written straight into response bytes, with no intermediate values: a
//! server answering FETCH for a whole mailbox spends its time here. The typed
//! [`Envelope`] and [`BodyStructure`] are read back from the same bytes by the codec's
//! decoder, so there is one mapping from a message to its items.

use std::borrow::Cow;

use mailwire_mime::{AddressRef, Defect, Header, HeaderField, MailboxRef, Part, WrittenParam};

use crate::codec::decode::body as decode;
use crate::codec::encode::Writer;
use crate::types::chars::is_quoted_plain;
use crate::types::{Body, BodyKind, BodyStructure, Envelope, IString};

/// Writes the `envelope` of the message whose header is `header`, byte for byte as Dovecot
/// writes it.
///
/// Strings are the fields as written, encoded words left encoded, as clients expect to
/// decode them (RFC 3501 §7.4.2; RFC 2047 §6.2 leaves decoding to the client): the
/// subject and display names with their whitespace made one space
/// ([`humane`]), the date, In-Reply-To and Message-ID with their line ends taken out
/// ([`one_line`]). Of a field written twice the last counts, of an address field
/// every one. `Sender` and `Reply-To` default to `From`.
pub(crate) fn write_envelope(w: &mut Writer, header: &Header<'_>) {
    let f = EnvelopeFields::find(header);
    w.raw(b"(");
    one_line(w, f.date);
    w.sp();
    match f.subject {
        Some(s) => humane(w, value_of(s)),
        None => w.raw(b"NIL"),
    }
    w.sp();
    let from_start = w.out.len();
    address_list(w, header, &f, FROM);
    let from = from_start..w.out.len();
    for list in [SENDER, REPLY_TO] {
        w.sp();
        if !address_list(w, header, &f, list) {
            w.out.truncate(w.out.len() - b"NIL".len());
            w.out.extend_from_within(from.clone());
        }
    }
    for list in [TO, CC, BCC] {
        w.sp();
        address_list(w, header, &f, list);
    }
    w.sp();
    one_line(w, f.in_reply_to);
    w.sp();
    one_line(w, f.message_id);
    w.raw(b")");
}

/// The address fields of an envelope, in its order.
const LISTS: [&str; 6] = ["From", "Sender", "Reply-To", "To", "Cc", "Bcc"];
const FROM: usize = 0;
const SENDER: usize = 1;
const REPLY_TO: usize = 2;
const TO: usize = 3;
const CC: usize = 4;
const BCC: usize = 5;

/// The fields an envelope is made of, found in one pass over the header.
#[derive(Default)]
struct EnvelopeFields<'h, 'a> {
    /// The last field of each name, as Dovecot reads them.
    date: Option<&'h HeaderField<'a>>,
    subject: Option<&'h HeaderField<'a>>,
    in_reply_to: Option<&'h HeaderField<'a>>,
    message_id: Option<&'h HeaderField<'a>>,
    /// The first field of each address list, and whether another followed it.
    lists: [(Option<&'h HeaderField<'a>>, bool); 6],
}

impl<'h, 'a> EnvelopeFields<'h, 'a> {
    fn find(header: &'h Header<'a>) -> Self {
        let mut found = EnvelopeFields::default();
        for f in header.fields() {
            let single = if f.is_named("Date") {
                &mut found.date
            } else if f.is_named("Subject") {
                &mut found.subject
            } else if f.is_named("In-Reply-To") {
                &mut found.in_reply_to
            } else if f.is_named("Message-ID") {
                &mut found.message_id
            } else {
                if let Some(i) = LISTS.iter().position(|n| f.is_named(n)) {
                    let (first, more) = &mut found.lists[i];
                    *more |= first.is_some();
                    first.get_or_insert(f);
                }
                continue;
            };
            *single = Some(f);
        }
        found
    }
}

/// Writes the structure of `part`: `body` as `BODY` gives it when `extended` is false,
/// with the extension data of `BODYSTRUCTURE` when true.
pub(crate) fn write_body_structure(w: &mut Writer, part: &Part<'_>, extended: bool) {
    let ct = part.content_type_ref();
    w.raw(b"(");
    // A multipart takes the multipart form, which needs a part: one without any (no
    // boundary, or none found) gets an empty text part, as Dovecot writes it.
    if is_multipart(part) {
        if part.parts().is_empty() {
            w.raw(if extended {
                EMPTY_BODYSTRUCTURE
            } else {
                EMPTY_BODY
            });
        }
        for p in part.parts() {
            write_body_structure(w, p, extended);
        }
        w.sp();
        text(w, ct.subtype_as_written().as_bytes());
        if extended {
            w.sp();
            params(w, ct.params_as_written(), false);
            disposition_tail(w, part);
        }
        w.raw(b")");
        return;
    }
    let header = part.header();
    let inner = part.message();
    let unreadable = unreadable_type(part);
    let opaque = unreadable.is_none() && too_deep(part);
    // A message/rfc822 part left unparsed because it is transfer-encoded still takes the
    // message form: `"MESSAGE" "RFC822"` is always followed by an envelope and a body in
    // the grammar, so clients would misread a basic form.
    let message =
        unreadable.is_none() && !opaque && (inner.is_some() || ct.is("message", "rfc822"));
    let text;
    if let Some(main) = unreadable {
        // The type alone, when that is all the field holds, else nothing; no parameters
        // are read from a field that cannot be; a "multipart" that is not one is opaque
        // data: all as Dovecot writes them.
        text = main.eq_ignore_ascii_case(b"text");
        if main.eq_ignore_ascii_case(b"multipart") {
            w.raw(OCTET_STREAM);
        } else {
            self::text(w, main);
            w.raw(b" \"\"");
        }
        w.sp();
        params(w, std::iter::empty(), text);
    } else {
        text = !message && !opaque && ct.main_type() == "text";
        if message {
            w.raw(b"\"message\" \"rfc822\"");
        } else if opaque {
            // A multipart or message past the nesting limit is data not looked into, as
            // Dovecot writes it; its parameters stay.
            w.raw(OCTET_STREAM);
        } else {
            self::text(w, ct.main_type_as_written().as_bytes());
            w.sp();
            self::text(w, ct.subtype_as_written().as_bytes());
        }
        w.sp();
        params(w, ct.params_as_written(), text);
    }
    w.sp();
    one_line(w, header.get("Content-ID"));
    w.sp();
    one_line(w, header.get("Content-Description"));
    w.sp();
    encoding(w, part);
    w.sp();
    w.num(octets(part.body_size()));
    if message {
        w.sp();
        match inner {
            Some(inner) => {
                write_envelope(w, inner.header());
                w.sp();
                write_body_structure(w, inner, extended);
            }
            None => {
                w.raw(EMPTY_ENVELOPE);
                w.sp();
                w.raw(if extended {
                    EMPTY_BODYSTRUCTURE
                } else {
                    EMPTY_BODY
                });
            }
        }
    }
    if message || text {
        w.sp();
        w.num(octets(part.body_lines()));
    }
    if extended {
        w.sp();
        one_line(w, header.get("Content-MD5"));
        disposition_tail(w, part);
    }
    w.raw(b")");
}

/// Whether `part` is a multipart for IMAP: read as one, or typed as one but left a leaf
/// (no `boundary` parameter, or a transfer encoding) short of the nesting limit. Part
/// numbers and BODYSTRUCTURE agree on this.
pub(crate) fn is_multipart(part: &Part<'_>) -> bool {
    part.is_multipart() || (part.content_type_ref().main_type() == "multipart" && !too_deep(part))
}

/// Whether `part` is a multipart or message left unread because it lies at the nesting
/// limit.
fn too_deep(part: &Part<'_>) -> bool {
    part.defects()
        .iter()
        .any(|d| matches!(d, Defect::NestingTooDeep { .. }))
}

/// For a part whose `Content-Type` field cannot be read, what Dovecot keeps of it as the
/// type: the field's first token when nothing but whitespace and comments follows it (a
/// type without a subtype), else nothing. `None` when the field was read.
///
/// The part itself reads such a field as the RFC 2045 §5.2 default, `text/plain;
/// charset=us-ascii` ([`Part::content_type`]); RFC 3501 §7.4.2 describes the body type
/// fields as the part's `Content-Type` as written, so the answer says what is written.
fn unreadable_type<'p>(part: &Part<'p>) -> Option<&'p [u8]> {
    if !part.defects().contains(&Defect::MalformedContentType) {
        return None;
    }
    let value = skip_cfws(part.header().get("Content-Type")?.raw_value());
    let len = value
        .iter()
        .position(|&b| !is_token_byte(b))
        .unwrap_or(value.len());
    Some(if len > 0 && skip_cfws(&value[len..]).is_empty() {
        &value[..len]
    } else {
        &[]
    })
}

/// `body-type-basic` for data not looked into.
const OCTET_STREAM: &[u8] = b"\"application\" \"octet-stream\"";

/// The envelope of a message that was not parsed.
const EMPTY_ENVELOPE: &[u8] = b"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
/// The body of a message that was not parsed: empty text (RFC 2045 §5.2 defaults), in
/// Dovecot's words.
const EMPTY_BODY: &[u8] = b"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)";
const EMPTY_BODYSTRUCTURE: &[u8] =
    b"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)";

/// The envelope of the message whose header is `header`, as a value.
pub(crate) fn envelope(header: &Header<'_>) -> Envelope {
    let mut w = Writer::with_buffer(Vec::new());
    write_envelope(&mut w, header);
    match decode::envelope(&w.out) {
        Ok(([], e)) => *e,
        _ => {
            debug_assert!(false, "written envelope does not decode");
            Envelope::default()
        }
    }
}

/// The structure of `part` as a value (see [`write_body_structure`]).
pub(crate) fn body_structure(part: &Part<'_>, extended: bool) -> BodyStructure {
    let mut w = Writer::with_buffer(Vec::new());
    write_body_structure(&mut w, part, extended);
    match decode::body(&w.out, usize::MAX) {
        Ok(([], b)) => b,
        _ => {
            debug_assert!(false, "written body structure does not decode");
            BodyStructure::Single {
                body: Body {
                    kind: BodyKind::Text {
                        subtype: IString::from_slice(b"PLAIN"),
                        lines: 0,
                    },
                    params: Vec::new(),
                    id: None,
                    description: None,
                    encoding: IString::from_slice(b"7BIT"),
                    octets: 0,
                },
                extension: None,
            }
        }
    }
}

/// Text as a `string`, quoted when it can be and a literal otherwise; a NUL that slipped
/// into decoded text is dropped rather than failing the whole response.
fn text(w: &mut Writer, s: &[u8]) {
    match s.iter().position(|&b| !is_quoted_plain(b)) {
        None => w.plain_quoted(s),
        Some(i) if memchr::memchr(0, &s[i..]).is_some() => {
            let kept: Vec<u8> = s.iter().copied().filter(|&b| b != 0).collect();
            w.string(&kept);
        }
        Some(_) => w.string(s),
    }
}

/// `body-fld-enc`: the `Content-Transfer-Encoding` as written when it is one token with
/// nothing but whitespace and comments around it, as Dovecot writes it; else `"7bit"`, the
/// RFC 2045 §6.1 default, as for a part without the field.
fn encoding(w: &mut Writer, part: &Part<'_>) {
    if let Some(f) = part.header().get("Content-Transfer-Encoding") {
        let v = skip_cfws(f.raw_value());
        let len = v.iter().position(|&b| !is_token_byte(b)).unwrap_or(v.len());
        if len > 0 && skip_cfws(&v[len..]).is_empty() {
            string(w, &v[..len]);
            return;
        }
    }
    w.raw(b"\"7bit\"");
}

/// A byte of an RFC 2045 `token` as Dovecot reads one: printable ASCII but for the
/// tspecials and space (`.` included), or an 8-bit byte.
fn is_token_byte(b: u8) -> bool {
    b >= 0x80 || (b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

/// `s` after the whitespace (line ends included) and comments at its start; empty when
/// a comment is not closed.
fn skip_cfws(mut s: &[u8]) -> &[u8] {
    loop {
        match s.first() {
            Some(b' ' | b'\t' | b'\r' | b'\n') => s = &s[1..],
            Some(b'(') => {
                let mut depth = 0usize;
                let mut i = 0;
                loop {
                    match s.get(i) {
                        None => return &[],
                        Some(b'\\') => i += 1,
                        Some(b'(') => depth += 1,
                        Some(b')') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        Some(_) => {}
                    }
                    i += 1;
                }
                s = &s[i + 1..];
            }
            _ => return s,
        }
    }
}

/// `body-fld-param`: `NIL` for none; names and values as written (RFC 3501 §7.4.2;
/// RFC 2231 sections joined), as Dovecot writes them. With `text`, a list without
/// `charset` gets the RFC 2045 §5.2 default `us-ascii` at its end, as Dovecot writes it.
fn params<'p>(w: &mut Writer, list: impl Iterator<Item = WrittenParam<'p>>, text: bool) {
    let start = w.out.len();
    w.raw(b"(");
    let mut charset = false;
    for p in list {
        if w.out.len() > start + 1 {
            w.sp();
        }
        charset |= p.name.eq_ignore_ascii_case(b"charset");
        string(w, &p.name);
        w.sp();
        string(w, &p.value);
    }
    if text && !charset {
        if w.out.len() > start + 1 {
            w.sp();
        }
        w.raw(b"\"charset\" \"us-ascii\"");
    }
    if w.out.len() == start + 1 {
        w.out.truncate(start);
        w.raw(b"NIL");
    } else {
        w.raw(b")");
    }
}

/// `body-fld-dsp`, `body-fld-lang` and `body-fld-loc`, each after a space.
fn disposition_tail(w: &mut Writer, part: &Part<'_>) {
    w.sp();
    match part.content_disposition_ref() {
        None => w.raw(b"NIL"),
        Some(d) => {
            w.raw(b"(");
            text(w, d.kind_as_written().as_bytes());
            w.sp();
            params(w, d.params_as_written(), false);
            w.raw(b")");
        }
    }
    let header = part.header();
    w.sp();
    // Always a list, as Dovecot writes it (RFC 3501 allows a single string too).
    match header.content_language().as_slice() {
        [] => w.raw(b"NIL"),
        many => w.list(many, |w, l| string(w, l.as_bytes())),
    }
    w.sp();
    one_line(w, header.get("Content-Location"));
}

/// `env-from` and the other address lists: `NIL` when empty; a group becomes its start
/// marker, members and end marker (RFC 3501 §7.4.2: a NIL host marks group syntax).
/// Returns whether the list had any element.
fn address_list(
    w: &mut Writer,
    header: &Header<'_>,
    f: &EnvelopeFields<'_, '_>,
    list: usize,
) -> bool {
    let start = w.out.len();
    w.raw(b"(");
    let mut any = false;
    let each = |a: AddressRef<'_>| {
        any = true;
        match a {
            AddressRef::Mailbox(m) => address(w, &m),
            AddressRef::Group {
                name_as_written,
                members,
                ..
            } => {
                w.raw(b"(NIL NIL ");
                string(w, &name_as_written);
                w.raw(b" NIL)");
                for m in &members {
                    address(w, m);
                }
                w.raw(b"(NIL NIL NIL NIL)");
            }
        }
    };
    match f.lists[list] {
        // A damaged header with two such fields: both lists, as written.
        (Some(_), true) => header.for_each_address(LISTS[list], each),
        (Some(field), false) => field.for_each_address(each),
        (None, _) => {}
    }
    if any {
        w.raw(b")");
    } else {
        w.out.truncate(start);
        w.raw(b"NIL");
    }
    any
}

/// One `address`: the display name as written, and `"MISSING_MAILBOX"` or
/// `"MISSING_DOMAIN"` for a part the address lacks, as Dovecot fills them in (RFC 3501
/// §7.4.2 has no form for an address without one).
fn address(w: &mut Writer, m: &MailboxRef<'_>) {
    w.raw(b"(");
    match &m.name_as_written {
        Some(n) => humane(w, n),
        None => w.raw(b"NIL"),
    }
    w.sp();
    if m.route.is_empty() {
        w.raw(b"NIL");
    } else {
        let route: Vec<String> = m.route.iter().map(|d| format!("@{d}")).collect();
        string(w, route.join(",").as_bytes());
    }
    w.sp();
    match m.local_part.as_bytes() {
        [] => w.raw(b"\"MISSING_MAILBOX\""),
        local => string(w, local),
    }
    w.sp();
    match m.domain.as_bytes() {
        [] => w.raw(b"\"MISSING_DOMAIN\""),
        domain => string(w, domain),
    }
    w.raw(b")");
}

/// An envelope `string` as Dovecot writes one: quoted, with a backslash before each `"`
/// and `\\`, unless it holds a line end, an 8-bit byte or more than four such
/// characters: then a literal. A NUL, which no string may hold, is written as U+FFFD.
fn string(w: &mut Writer, s: &[u8]) {
    if memchr::memchr(0, s).is_some() {
        return string(w, &without_nul(s));
    }
    let mut escapes = 0;
    for &b in s {
        match b {
            b'"' | b'\\' => escapes += 1,
            b'\r' | b'\n' | 0x80.. => escapes = usize::MAX,
            _ => continue,
        }
        if escapes > 4 {
            w.literal(s, false);
            return;
        }
    }
    if escapes == 0 {
        w.plain_quoted(s);
    } else {
        w.quoted(s);
    }
}

/// `s` with each NUL replaced by U+FFFD, as Dovecot reads header values.
fn without_nul(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    for &b in s {
        if b == 0 {
            out.extend_from_slice("\u{fffd}".as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}

/// Text meant for people (the subject, display names) as Dovecot writes it: line ends
/// dropped, each run of spaces and tabs made one space, none at either end; a CR outside
/// a line end (RFC 5322 §2.2 allows none) is a space, as Dovecot reads it. Text that
/// needed none of this and holds no `"`, `\\` or 8-bit byte is quoted as it is; other text
/// is a literal of the result, or `""` when nothing is left.
fn humane(w: &mut Writer, s: &[u8]) {
    let s: Cow<'_, [u8]> = if memchr::memchr(0, s).is_some() {
        Cow::Owned(without_nul(s))
    } else {
        Cow::Borrowed(s)
    };
    let mut out = Vec::new();
    // Leading whitespace counts as a run already written, so it goes.
    let mut in_space = true;
    for (i, &b) in s.iter().enumerate() {
        match b {
            b'\r' if s.get(i + 1) != Some(&b'\n') => {
                if !in_space {
                    out.push(b' ');
                }
                in_space = true;
            }
            b'\r' | b'\n' => {}
            b' ' | b'\t' => {
                if !in_space {
                    out.push(b' ');
                }
                in_space = true;
            }
            _ => {
                out.push(b);
                in_space = false;
            }
        }
    }
    if in_space && out.last() == Some(&b' ') {
        out.pop();
    }
    if *out == *s && !s.iter().any(|&b| matches!(b, b'"' | b'\\' | 0x80..)) {
        w.plain_quoted(&s);
    } else if out.is_empty() {
        w.raw(b"\"\"");
    } else {
        w.literal(&out, false);
    }
}

/// A field's value as Dovecot reads it: after the whitespace that follows the colon (one
/// space or tab of a value that is nothing else), line ends still inside.
fn value_of<'a>(f: &HeaderField<'a>) -> &'a [u8] {
    let raw = f.raw_value();
    let start = raw
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(raw.len().min(1));
    &raw[start..]
}

/// A field written on one line as Dovecot writes the date, In-Reply-To and Message-ID:
/// whitespace after the colon skipped, each line end taken out (a space put in its place
/// when no whitespace follows it), then a [`string`]; `NIL` for no field.
fn one_line(w: &mut Writer, field: Option<&HeaderField<'_>>) {
    let Some(f) = field else {
        w.raw(b"NIL");
        return;
    };
    let value = value_of(f);
    if !value.iter().any(|&b| matches!(b, b'\r' | b'\n')) {
        string(w, value);
        return;
    }
    let mut out = Vec::with_capacity(value.len());
    for (i, &b) in value.iter().enumerate() {
        if !matches!(b, b'\r' | b'\n') {
            out.push(b);
        } else if value
            .get(i + 1)
            .is_some_and(|n| !matches!(n, b' ' | b'\t' | b'\r' | b'\n'))
        {
            out.push(b' ');
        }
    }
    string(w, &out);
}

fn octets(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(raw: &[u8], extended: bool) -> (String, String) {
        let msg = mailwire_mime::Message::parse_structure(raw);
        let mut w = Writer::with_buffer(Vec::new());
        write_envelope(&mut w, msg.header());
        let envelope = String::from_utf8(std::mem::take(&mut w.out)).unwrap();
        write_body_structure(&mut w, msg.root(), extended);
        (envelope, String::from_utf8(w.out).unwrap())
    }

    #[test]
    fn envelope_strings_are_the_header_text_as_dovecot_writes_them() {
        let raw = b"Date: Tue, 14 May 2024\r\n 10:00:00 +0200\r\nSubject: first\r\n\
From: =?iso-8859-1?Q?Heinz_M=FCller?= <h@x.test>, \"Ann \\\"A\\\"  B\" (c) <a@x.test>\r\n\
Sender: J\xfcrgen <j@x.test>\r\nReply-To: b@x.test (Bob  B)\r\n\
To: <>, just-local, @host.test, \"Quoted Only\", Team: ;\r\n\
Subject:  second \t subject\r\nMessage-ID:\r\n <id@x.test>\r\n\r\nbody\r\n";
        let msg = mailwire_mime::Message::parse_structure(raw);
        let mut w = Writer::with_buffer(Vec::new());
        write_envelope(&mut w, msg.header());
        // Dovecot 2.3 gives these bytes: names and the subject as written (encoded words
        // and 8-bit bytes kept, quoting removed, whitespace made one space), the last
        // Subject, MISSING_MAILBOX / MISSING_DOMAIN for missing parts.
        assert_eq!(
            w.out,
            &b"(\"Tue, 14 May 2024 10:00:00 +0200\" {14}\r\nsecond subject \
((\"=?iso-8859-1?Q?Heinz_M=FCller?=\" NIL \"h\" \"x.test\")({9}\r\nAnn \"A\" B NIL \"a\" \"x.test\")) \
(({6}\r\nJ\xfcrgen NIL \"j\" \"x.test\")) (({5}\r\nBob B NIL \"b\" \"x.test\")) \
((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"just-local\" \"MISSING_DOMAIN\")\
(NIL NIL \"MISSING_MAILBOX\" \"host.test\")(\"Quoted Only\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")\
(NIL NIL \"Team\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL \" <id@x.test>\")"[..]
        );
        assert_eq!(
            msg.root().defects(),
            &[Defect::EmptyAddress { field: "To" }]
        );
    }

    #[test]
    fn groups_get_start_and_end_markers() {
        let msg = mailwire_mime::Message::parse(
            b"To: Friends: a@x.test, b@y.test;, c@z.test\r\n\r\nhi\r\n",
        );
        let to = envelope(msg.header()).to;
        let mailboxes: Vec<Option<&[u8]>> = to
            .iter()
            .map(|a| a.mailbox.as_ref().map(IString::as_bytes))
            .collect();
        assert_eq!(
            mailboxes,
            [
                Some(&b"Friends"[..]),
                Some(b"a"),
                Some(b"b"),
                None,
                Some(b"c")
            ]
        );
        assert!(to[0].host.is_none() && to[3].host.is_none());
        assert_eq!(
            to[4].host.as_ref().map(IString::as_bytes),
            Some(&b"z.test"[..])
        );
    }

    #[test]
    fn sender_and_reply_to_default_to_from_and_nul_is_u_fffd() {
        let (e, _) = written(
            b"From: Ann <a@x.test>\r\nSubject: a\0b\r\nReply-To: r@y.test\r\n\r\n",
            true,
        );
        assert_eq!(
            e,
            // Dovecot 2.3 gives these bytes.
            "(NIL {5}\r\na\u{fffd}b ((\"Ann\" NIL \"a\" \"x.test\")) ((\"Ann\" NIL \"a\" \"x.test\")) \
((NIL NIL \"r\" \"y.test\")) NIL NIL NIL NIL NIL)"
        );
    }

    #[test]
    fn repeated_fields_last_wins_but_address_lists_join() {
        let (e, _) = written(
            b"Subject: one\r\nTo: a@x.test\r\nsubject: two\r\nTO: B <b@y.test>\r\n\r\n",
            false,
        );
        assert_eq!(
            e,
            // Dovecot 2.3 gives these bytes.
            "(NIL \"two\" NIL NIL NIL ((NIL NIL \"a\" \"x.test\")(\"B\" NIL \"b\" \"y.test\")) \
NIL NIL NIL NIL)"
        );
    }

    #[test]
    fn structure_reads_damaged_parameters_and_counts_lines_as_dovecot_does() {
        // Dovecot 2.3 gives these bytes.
        let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain; comment=\"\"  comment=\"Sent by x\"; format=flowed\r\n\r\n\
line one\r\nline two\r\n--b\r\nContent-Type: application/octet-stream\r\n\
Content-Disposition: attachment; filename=a.bin  size=1\r\n\
Content-Transfer-Encoding: base64\r\n\r\nQQ==\r\n--b--\r\n";
        let (_, body) = written(raw, true);
        assert_eq!(
            body,
            "((\"text\" \"plain\" (\"comment\" \"\" \"format\" \"flowed\" \"charset\" \"us-ascii\") \
NIL NIL \"7bit\" 18 1 NIL NIL NIL NIL)\
(\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 4 NIL \
(\"attachment\" (\"filename\" \"a.bin\")) NIL NIL) \
\"mixed\" (\"boundary\" \"b\") NIL NIL NIL)"
        );
    }

    #[test]
    fn parameters_are_passed_on_as_written_as_dovecot_writes_them() {
        let raw = b"Content-Type: multipart/mixed; boundary=b\r\nContent-Language: en-GB\r\n\r\n\
--b\r\nContent-Type: text/plain; name=\"Fr\xf6sche.txt\"; title=\"=?utf-8?q?a?=\"\r\n\
Content-Transfer-Encoding: 8 bit\r\nContent-ID: <a@b>\r\n\r\nx\r\n--b\r\n\
Content-Type: application/pdf; name*=iso-8859-1'fr'r%E9sum%E9.pdf\r\n\
Content-Disposition: attachment; filename*0*=utf-8''%E2%82%AC-; filename*1=\"50%.pdf\"; size=3\r\n\
\r\nQQ==\r\n--b\r\n\
Content-Type: text/plain; charset*=us-ascii''us-ascii; a*2=z; a*0=x\r\n\r\ny\r\n--b--\r\n";
        let msg = mailwire_mime::Message::parse_structure(raw);
        let mut w = Writer::with_buffer(Vec::new());
        write_body_structure(&mut w, msg.root(), true);
        // Dovecot 2.3 gives these bytes: 8-bit bytes and encoded words kept, RFC 2231
        // sections joined but not decoded (and kept apart when one is missing), a
        // transfer encoding that is not one token read as 7bit, languages as a list.
        assert_eq!(
            w.out,
            &b"((\"text\" \"plain\" (\"name\" {11}\r\nFr\xf6sche.txt \"title\" \"=?utf-8?q?a?=\" \
\"charset\" \"us-ascii\") \"<a@b>\" NIL \"7bit\" 1 0 NIL NIL NIL NIL)\
(\"application\" \"pdf\" (\"name*\" \"iso-8859-1'fr'r%E9sum%E9.pdf\") NIL NIL \"7bit\" 4 NIL \
(\"attachment\" (\"size\" \"3\" \"filename*\" \"utf-8''%E2%82%AC-50%25.pdf\")) NIL NIL)\
(\"text\" \"plain\" (\"a*0\" \"x\" \"a*2\" \"z\" \"charset*\" \"us-ascii''us-ascii\" \
\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL) \
\"mixed\" (\"boundary\" \"b\") NIL (\"en-GB\") NIL)"[..]
        );
    }

    #[test]
    fn names_keep_the_case_of_the_message_as_dovecot_writes_them() {
        let raw = b"Content-Type: Multipart/MIXED; Boundary=\"b\"\r\n\r\n--b\r\n\
Content-Type: TEXT/Plain; CHARSET=UTF-8; Format=Flowed\r\n\
Content-Transfer-Encoding: Quoted-Printable\r\n\
Content-Disposition: INLINE; FileName=a.txt\r\n\r\nx\r\n--b\r\n\
Content-Type: text/html; format=flowed\r\n\r\nx\r\n--b\r\n\
Content-Type: Application/PDF; Name=a.pdf\r\n\
Content-Transfer-Encoding: BASE64 (c)\r\n\r\nQQ==\r\n--b\r\n\
Content-Type: Message/RFC822\r\n\r\nSubject: in\r\n\r\nx\r\n--b--\r\n";
        let (_, body) = written(raw, true);
        // Dovecot 2.3 gives these bytes.
        assert_eq!(
            body,
            "((\"TEXT\" \"Plain\" (\"CHARSET\" \"UTF-8\" \"Format\" \"Flowed\") NIL NIL \
\"Quoted-Printable\" 1 0 NIL (\"INLINE\" (\"FileName\" \"a.txt\")) NIL NIL)\
(\"text\" \"html\" (\"format\" \"flowed\" \"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 \
NIL NIL NIL NIL)\
(\"Application\" \"PDF\" (\"Name\" \"a.pdf\") NIL NIL \"BASE64\" 4 NIL NIL NIL NIL)\
(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 16 (NIL \"in\" NIL NIL NIL NIL NIL NIL NIL NIL) \
(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL) 2 \
NIL NIL NIL NIL) \"MIXED\" (\"Boundary\" \"b\") NIL NIL NIL)"
        );
    }

    #[test]
    fn an_encoded_message_part_keeps_the_message_form() {
        // RFC 2046 §5.2.1 forbids encoding message/rfc822 with base64, but such parts exist;
        // the grammar needs an envelope and a body after "MESSAGE" "RFC822".
        let raw = b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n\
U3ViamVjdDogeA0KDQp5DQo=\r\n";
        let (_, body) = written(raw, false);
        // Dovecot 2.3 gives these bytes.
        assert_eq!(
            body,
            "(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 26 \
(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) \
(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) 1)"
        );
        let (_, body) = written(raw, true);
        assert_eq!(
            body,
            "(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 26 \
(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) \
(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) 1 \
NIL NIL NIL NIL)"
        );
        let msg = mailwire_mime::Message::parse_structure(raw);
        let BodyStructure::Single { body, .. } = body_structure(msg.root(), true) else {
            panic!("a single part");
        };
        assert!(matches!(body.kind, BodyKind::Message { lines: 1, .. }));
    }

    #[test]
    fn a_bare_cr_in_envelope_fields_is_a_space_as_dovecot_reads_it() {
        // RFC 5322 §2.2 allows no CR outside CRLF. Dovecot 2.3 gives these bytes.
        let (e, _) = written(
            b"Date: Tue, 14 May\r2024 10:00:00 +0200\r\nSubject: a\r\r\rb\r\n c\r\n\
From: Ann\rB <a@x.test>\r\nTo: a@x.test,\rb@y.test\r\nIn-Reply-To: <a@x>\r<b@y>\r\n\
Message-ID: <a\rb@x>\r\n\r\n",
            false,
        );
        assert_eq!(
            e,
            "(\"Tue, 14 May 2024 10:00:00 +0200\" {5}\r\na b c ((\"Ann B\" NIL \"a\" \"x.test\")) \
((\"Ann B\" NIL \"a\" \"x.test\")) ((\"Ann B\" NIL \"a\" \"x.test\")) \
((NIL NIL \"a\" \"x.test\")(NIL NIL \"b\" \"y.test\")) NIL NIL \"<a@x> <b@y>\" \"<a b@x>\")"
        );
    }

    #[test]
    fn an_unreadable_content_type_is_written_as_dovecot_writes_it() {
        // Dovecot 2.3 gives these bytes: a type alone keeps its name and gets an empty
        // subtype (and, for text, the default charset and a line count); anything else
        // that cannot be read is "" "" without parameters; "multipart" that is not one
        // is opaque data.
        let cases: [(&[u8], &str); 8] = [
            (
                b"text",
                "(\"text\" \"\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 13 2 NIL NIL NIL NIL)",
            ),
            (
                b"TEXT (plain)",
                "(\"TEXT\" \"\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 13 2 NIL NIL NIL NIL)",
            ),
            (
                b"text; charset=us-ascii",
                "(\"\" \"\" NIL NIL NIL \"7bit\" 13 NIL NIL NIL NIL)",
            ),
            (
                b";charset=utf-8",
                "(\"\" \"\" NIL NIL NIL \"7bit\" 13 NIL NIL NIL NIL)",
            ),
            (
                b"text/",
                "(\"\" \"\" NIL NIL NIL \"7bit\" 13 NIL NIL NIL NIL)",
            ),
            (
                b"image",
                "(\"image\" \"\" NIL NIL NIL \"7bit\" 13 NIL NIL NIL NIL)",
            ),
            (
                b"message",
                "(\"message\" \"\" NIL NIL NIL \"7bit\" 13 NIL NIL NIL NIL)",
            ),
            (
                b"multipart",
                "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 13 NIL NIL NIL NIL)",
            ),
        ];
        for (value, expected) in cases {
            let mut raw = b"Subject: x\r\nContent-Type: ".to_vec();
            raw.extend_from_slice(value);
            raw.extend_from_slice(b"\r\n\r\nbody\r\nline2\r\n");
            let (_, body) = written(&raw, true);
            assert_eq!(body, expected, "{}", String::from_utf8_lossy(value));
            // The part itself reads the RFC 2045 §5.2 default.
            let msg = mailwire_mime::Message::parse_structure(&raw);
            assert_eq!(msg.root().content_type_ref().main_type(), "text");
            assert_eq!(msg.root().content_type_ref().subtype(), "plain");
        }
    }

    /// A message of `levels` multiparts, each holding the next, a text part innermost.
    fn nested_multiparts(levels: usize) -> Vec<u8> {
        let mut raw = b"Subject: deep\r\n".to_vec();
        for i in 0..levels {
            raw.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=x{i}y\r\n\r\n--x{i}y\r\n")
                    .as_bytes(),
            );
        }
        raw.extend_from_slice(b"Content-Type: text/plain\r\n\r\nleaf\r\n");
        for i in (0..levels).rev() {
            raw.extend_from_slice(format!("\r\n--x{i}y--\r\n").as_bytes());
        }
        raw
    }

    #[test]
    fn parts_past_the_nesting_limit_are_opaque_as_dovecot_writes_them() {
        // 99 multiparts are read, as Dovecot 2.3 reads them: the leaf is text.
        let raw = nested_multiparts(99);
        let msg = crate::message::ParsedMessage::parse(&raw);
        let mut out = Vec::new();
        msg.write_body_structure(true, &mut out);
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with(&format!("{}(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"x98y\")", "(".repeat(99))), "{out}");
        // One more, and the 100th is data not looked into, its parameters kept, its
        // body everything up to its parent's close delimiter.
        let raw = nested_multiparts(100);
        let msg = crate::message::ParsedMessage::parse(&raw);
        let mut out = Vec::new();
        msg.write_body_structure(true, &mut out);
        let out = String::from_utf8(out).unwrap();
        // Dovecot 2.3 gives these bytes for the innermost levels.
        assert!(out.starts_with(&format!("{}(\"application\" \"octet-stream\" (\"boundary\" \"x99y\") NIL NIL \"7bit\" 54 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"x98y\") NIL NIL NIL) \"mixed\"", "(".repeat(99))), "{out}");
        // Part numbers agree: the opaque part is a leaf with a body.
        let mut path = vec![1; 99];
        let section = crate::types::Section::new(path.clone(), None).unwrap();
        assert_eq!(msg.section(&section).map(<[u8]>::len), Some(54));
        path.push(1);
        let section = crate::types::Section::new(path, None).unwrap();
        assert_eq!(msg.section(&section), None);
    }

    #[test]
    fn a_message_past_the_nesting_limit_is_opaque_as_dovecot_writes_it() {
        let mut raw = b"Subject: x\r\n".to_vec();
        for _ in 0..100 {
            raw.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
        }
        raw.extend_from_slice(b"Subject: in\r\n\r\nleaf\r\n");
        let msg = crate::message::ParsedMessage::parse(&raw);
        let mut out = Vec::new();
        msg.write_body_structure(true, &mut out);
        let out = String::from_utf8(out).unwrap();
        // Dovecot 2.3 gives these bytes for the innermost levels: 99 messages read.
        let at = out.find("(\"application\"").unwrap();
        assert_eq!(out[..at].matches("\"message\" \"rfc822\"").count(), 99);
        assert!(out[at..].starts_with("(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 21 NIL NIL NIL NIL) 5 NIL NIL NIL NIL)"), "{out}");
    }
}
