//! ENVELOPE, BODY and BODYSTRUCTURE (RFC 3501 §7.4.2) computed from a parsed message.

use std::borrow::Cow;

use base64::Engine as _;
use mailwire_mime::{Address as MimeAddress, Header, Mailbox as MimeMailbox, Part};

use crate::types::{
    Address, Body, BodyKind, BodyStructure, Disposition, DispositionExtension, Envelope, IString,
    LanguageExtension, LocationExtension, MultiPartExtension, NString, NonEmpty,
    SinglePartExtension,
};

/// The envelope of the message whose header is `header`.
///
/// Strings are the fields as written (unfolded), encoded words left encoded, as clients
/// expect to decode them. `Sender` and `Reply-To` default to `From` (RFC 3501 §7.4.2).
pub(crate) fn envelope(header: &Header<'_>) -> Envelope {
    let raw = |name: &str| -> NString { header.get(name).and_then(|f| nstring(&f.unfolded())) };
    let from = addresses(&header.addresses("From"));
    let mut sender = addresses(&header.addresses("Sender"));
    if sender.is_empty() {
        sender.clone_from(&from);
    }
    let mut reply_to = addresses(&header.addresses("Reply-To"));
    if reply_to.is_empty() {
        reply_to.clone_from(&from);
    }
    Envelope {
        date: raw("Date"),
        subject: raw("Subject"),
        from,
        sender,
        reply_to,
        to: addresses(&header.addresses("To")),
        cc: addresses(&header.addresses("Cc")),
        bcc: addresses(&header.addresses("Bcc")),
        in_reply_to: raw("In-Reply-To"),
        message_id: raw("Message-ID"),
    }
}

fn nstring(bytes: &[u8]) -> NString {
    // Copied inline when short, with no intermediate buffer.
    memchr::memchr(0, bytes)
        .is_none()
        .then(|| IString::from_slice(bytes))
}

fn string(s: &str) -> IString {
    // Text from the MIME parser holds no NUL once decoded into a `String` we built; a NUL
    // that slipped through is dropped rather than failing the whole response.
    nstring(s.as_bytes()).unwrap_or_else(|| {
        IString::new(s.bytes().filter(|&b| b != 0).collect::<Vec<u8>>()).unwrap_or_default()
    })
}

/// `address` list; a group becomes its start marker, members and end marker (RFC 3501
/// §7.4.2: a NIL host marks group syntax).
fn addresses(list: &[MimeAddress]) -> Vec<Address> {
    let mut out = Vec::new();
    for a in list {
        match a {
            MimeAddress::Mailbox(m) => out.push(address(m)),
            MimeAddress::Group(g) => {
                out.push(Address {
                    mailbox: Some(string(&g.name)),
                    ..Address::default()
                });
                out.extend(g.members.iter().map(address));
                out.push(Address::default());
            }
        }
    }
    out
}

fn address(m: &MimeMailbox) -> Address {
    Address {
        name: m.name.as_deref().map(|n| string(&encode_name(n))),
        adl: (!m.route.is_empty()).then(|| {
            let route: Vec<String> = m.route.iter().map(|d| format!("@{d}")).collect();
            string(&route.join(","))
        }),
        mailbox: Some(string(&m.local_part)),
        host: Some(string(&m.domain)),
    }
}

/// A display name as a header would carry it: ASCII as is, anything else as one RFC 2047
/// encoded word, so that the envelope stays 7-bit as RFC 3501 clients expect.
fn encode_name(name: &str) -> Cow<'_, str> {
    if name.is_ascii() {
        return Cow::Borrowed(name);
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(name.as_bytes());
    Cow::Owned(format!("=?UTF-8?B?{b64}?="))
}

fn upper(s: &str) -> IString {
    // Type names and parameter names are short: uppercased on the stack.
    let mut buf = [0u8; 32];
    match buf.get_mut(..s.len()) {
        Some(b) => {
            b.copy_from_slice(s.as_bytes());
            b.make_ascii_uppercase();
            nstring(b).unwrap_or_else(|| string(&s.to_ascii_uppercase()))
        }
        None => string(&s.to_ascii_uppercase()),
    }
}

fn params(list: &[mailwire_mime::Param]) -> Vec<(IString, IString)> {
    list.iter()
        .map(|p| (upper(&p.name), string(&p.value)))
        .collect()
}

fn octets(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The structure of `part`: `BODY` when `extended` is false, `BODYSTRUCTURE` when true.
pub(crate) fn body_structure(part: &Part<'_>, extended: bool) -> BodyStructure {
    let header = part.header();
    let disposition_tail = || {
        let disposition = part.content_disposition().map(|d| Disposition {
            kind: upper(d.kind()),
            params: params(d.params()),
        });
        let languages: Vec<IString> = header
            .content_language()
            .iter()
            .map(|l| string(l))
            .collect();
        let location = header.content_location().map(|l| string(&l));
        DispositionExtension {
            disposition,
            tail: Some(LanguageExtension {
                languages,
                tail: Some(LocationExtension {
                    location,
                    extensions: Vec::new(),
                }),
            }),
        }
    };
    let ct = part.content_type();
    // A multipart without parts has no multipart form: it is described as a single part.
    let bodies = part.is_multipart().then(|| {
        let parts = part.parts().iter().map(|p| body_structure(p, extended));
        NonEmpty::from_vec(parts.collect())
    });
    if let Some(Some(bodies)) = bodies {
        return BodyStructure::Multi {
            bodies,
            subtype: upper(ct.subtype()),
            extension: extended.then(|| MultiPartExtension {
                params: params(ct.params()),
                tail: Some(disposition_tail()),
            }),
        };
    }
    let kind = if let Some(inner) = part.message() {
        BodyKind::Message {
            envelope: Box::new(envelope(inner.header())),
            body: Box::new(body_structure(inner, extended)),
            lines: octets(part.body_lines()),
        }
    } else if ct.main_type() == "text" {
        BodyKind::Text {
            subtype: upper(ct.subtype()),
            lines: octets(part.body_lines()),
        }
    } else {
        BodyKind::Basic {
            media_type: upper(ct.main_type()),
            subtype: upper(ct.subtype()),
        }
    };
    let body = Body {
        kind,
        params: params(ct.params()),
        id: header
            .get("Content-ID")
            .and_then(|f| nstring(&f.unfolded())),
        description: header
            .get("Content-Description")
            .and_then(|f| nstring(&f.unfolded())),
        encoding: upper(part.transfer_encoding().as_str()),
        octets: octets(part.body_size()),
    };
    BodyStructure::Single {
        body,
        extension: extended.then(|| SinglePartExtension {
            md5: header
                .get("Content-MD5")
                .and_then(|f| nstring(&f.unfolded())),
            tail: Some(disposition_tail()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_names_become_one_encoded_word() {
        assert_eq!(encode_name("Fred"), "Fred");
        assert_eq!(encode_name("Zo\u{eb}"), "=?UTF-8?B?Wm/Dqw==?=");
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
}
