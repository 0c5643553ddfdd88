//! A message on its way out: the envelope read from its header, `Bcc` taken out, `Date`
//! and `Message-ID` added when absent.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use mailwire_mime::{BuildError, DateTime, Mailbox, Message, MessageBuilder, mailboxes};
use mailwire_smtp::client::Envelope;
use mailwire_smtp::{ForwardPath, ReversePath};

/// A message for [`SmtpClient::send`](super::SmtpClient::send) and
/// [`SmtpPool::send`](super::SmtpPool::send): its bytes as they should arrive (lines
/// ending in CRLF), a parsed [`Message`], or a [`MessageBuilder`] to build it with.
///
/// ```
/// use mailwire_mime::{Mailbox, MessageBuilder};
/// use mailwire_tokio::smtp::Outgoing;
///
/// let _ = Outgoing::from(b"From: a@x.test\r\nTo: b@y.test\r\n\r\nhi\r\n");
/// let _ = Outgoing::from(MessageBuilder::new().from(Mailbox::new(None, "a@x.test")));
/// ```
#[derive(Debug)]
pub struct Outgoing<'a>(Source<'a>);

#[derive(Debug)]
enum Source<'a> {
    Bytes(Cow<'a, [u8]>),
    Builder(Box<MessageBuilder>),
}

impl<'a> From<&'a [u8]> for Outgoing<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Self(Source::Bytes(Cow::Borrowed(bytes)))
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Outgoing<'a> {
    fn from(bytes: &'a [u8; N]) -> Self {
        Self(Source::Bytes(Cow::Borrowed(bytes)))
    }
}

impl<'a> From<&'a Vec<u8>> for Outgoing<'a> {
    fn from(bytes: &'a Vec<u8>) -> Self {
        Self(Source::Bytes(Cow::Borrowed(bytes)))
    }
}

impl From<Vec<u8>> for Outgoing<'_> {
    fn from(bytes: Vec<u8>) -> Self {
        Self(Source::Bytes(Cow::Owned(bytes)))
    }
}

impl<'a> From<&'a str> for Outgoing<'a> {
    fn from(text: &'a str) -> Self {
        Self(Source::Bytes(Cow::Borrowed(text.as_bytes())))
    }
}

impl From<String> for Outgoing<'_> {
    fn from(text: String) -> Self {
        Self(Source::Bytes(Cow::Owned(text.into_bytes())))
    }
}

impl<'a> From<&'a Message<'_>> for Outgoing<'a> {
    fn from(message: &'a Message<'_>) -> Self {
        Self(Source::Bytes(Cow::Borrowed(message.raw())))
    }
}

impl From<MessageBuilder> for Outgoing<'_> {
    fn from(builder: MessageBuilder) -> Self {
        Self(Source::Builder(Box::new(builder)))
    }
}

/// Why a message cannot be sent as given; nothing went to the server.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The header names no sender in `Sender` or `From`.
    #[error("the message has no From or Sender address")]
    NoSender,
    /// The header names no recipient in `To`, `Cc` or `Bcc`.
    #[error("the message has no To, Cc or Bcc address")]
    NoRecipients,
    /// An address in the header cannot be an SMTP path (no domain, say).
    #[error("{address:?} cannot be used as an SMTP address")]
    Address {
        /// The address as the header gave it.
        address: String,
    },
    /// The builder could not build the message.
    #[error("cannot build the message: {0}")]
    Build(#[from] BuildError),
    /// The random source for the `Message-ID` failed.
    #[error("no random numbers for the Message-ID: {0}")]
    Random(rustls::Error),
}

/// What goes on the wire, and the envelope it goes with.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) envelope: Envelope,
    pub(crate) bytes: Vec<u8>,
}

/// What a message lacking `Date` or `Message-ID` gets: the time now and a random
/// identifier, drawn when needed.
pub(crate) trait Stamp {
    fn date(&mut self) -> DateTime;
    fn unique(&mut self) -> Result<String, MessageError>;
}

/// The system clock (UTC) and the crypto provider's random numbers.
#[derive(Debug)]
pub(crate) struct SystemStamp;

impl Stamp for SystemStamp {
    fn date(&mut self) -> DateTime {
        // A clock before 1970 is broken; the epoch is as good a guess as any.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        DateTime::from_timestamp(i64::try_from(now.as_secs()).unwrap_or(i64::MAX), 0)
    }

    fn unique(&mut self) -> Result<String, MessageError> {
        let bytes = crate::connect::random_bytes::<16>().map_err(MessageError::Random)?;
        Ok(crate::connect::hex(&bytes))
    }
}

impl Outgoing<'_> {
    /// Builds (if need be) and prepares the message with the system clock and random
    /// numbers.
    pub(crate) fn prepare(self) -> Result<Prepared, MessageError> {
        self.prepare_with(&mut SystemStamp)
    }

    pub(crate) fn prepare_with(self, stamp: &mut impl Stamp) -> Result<Prepared, MessageError> {
        match self.0 {
            Source::Bytes(bytes) => prepare(&bytes, stamp),
            Source::Builder(builder) => prepare(&builder.build()?, stamp),
        }
    }
}

/// Reads the envelope from the header of `raw`: the reverse path from `Sender`, else the
/// first `From` mailbox; the recipients from `To`, `Cc` and `Bcc` in that order, each
/// address once (compared without regard to ASCII case). The bytes sent are `raw` with
/// every `Bcc` field removed, after a `Date` and a `Message-ID` field for a header that
/// has none.
fn prepare(raw: &[u8], stamp: &mut impl Stamp) -> Result<Prepared, MessageError> {
    let header_len = header_len(raw);
    let parsed = Message::parse_structure(&raw[..header_len]);
    let header = parsed.header();

    let sender = mailboxes(&header.addresses("Sender"))
        .first()
        .map(|m| (*m).clone())
        .or_else(|| {
            mailboxes(&header.addresses("From"))
                .first()
                .map(|m| (*m).clone())
        })
        .ok_or(MessageError::NoSender)?;
    let from = ReversePath::parse(&format!("<{}>", sender.address())).map_err(|_| {
        MessageError::Address {
            address: sender.address(),
        }
    })?;

    let mut seen: Vec<String> = Vec::new();
    let mut recipients = Vec::new();
    for name in ["To", "Cc", "Bcc"] {
        for mailbox in mailboxes(&header.addresses(name)) {
            let address = mailbox.address();
            let folded = address.to_ascii_lowercase();
            if seen.contains(&folded) {
                continue;
            }
            seen.push(folded);
            let path = ForwardPath::parse(&format!("<{address}>"))
                .map_err(|_| MessageError::Address { address })?;
            recipients.push(path);
        }
    }
    if recipients.is_empty() {
        return Err(MessageError::NoRecipients);
    }

    let mut bytes = Vec::with_capacity(raw.len() + 128);
    if header.get("Date").is_none() {
        bytes.extend_from_slice(b"Date: ");
        bytes.extend_from_slice(stamp.date().to_rfc5322().as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    if header.get("Message-ID").is_none() {
        let id = format!("<{}@{}>\r\n", stamp.unique()?, id_domain(&sender));
        bytes.extend_from_slice(b"Message-ID: ");
        bytes.extend_from_slice(id.as_bytes());
    }
    let mut copied = 0;
    for bcc in header.get_all("Bcc") {
        bytes.extend_from_slice(&raw[copied..bcc.offset()]);
        copied = bcc.offset() + bcc.raw().len();
    }
    bytes.extend_from_slice(&raw[copied..]);

    let envelope = Envelope::for_message(from, recipients, &bytes);
    Ok(Prepared { envelope, bytes })
}

/// The right-hand side of a generated Message-ID: the sender's domain.
fn id_domain(sender: &Mailbox) -> &str {
    match sender.domain.as_str() {
        "" => "localhost",
        domain => domain,
    }
}

/// The length of the header section, the empty line that ends it included; all of `raw`
/// when there is no body.
fn header_len(raw: &[u8]) -> usize {
    let mut line_start = 0;
    while line_start < raw.len() {
        let line_end = memchr_lf(&raw[line_start..]).map_or(raw.len(), |i| line_start + i + 1);
        let line = &raw[line_start..line_end];
        if line == b"\r\n" || line == b"\n" {
            return line_end;
        }
        line_start = line_end;
    }
    raw.len()
}

fn memchr_lf(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;

    impl Stamp for Fixed {
        fn date(&mut self) -> DateTime {
            DateTime::from_timestamp(1_700_000_000, 0)
        }

        fn unique(&mut self) -> Result<String, MessageError> {
            Ok("0123abcd".into())
        }
    }

    fn prepared(raw: &[u8]) -> Result<(String, Vec<String>, String), MessageError> {
        let p = Outgoing::from(raw).prepare_with(&mut Fixed)?;
        let to = p.envelope.recipients.iter().map(ToString::to_string);
        Ok((
            p.envelope.from.to_string(),
            to.collect(),
            String::from_utf8(p.bytes).unwrap(),
        ))
    }

    #[test]
    fn envelope_from_the_header_and_bcc_stripped() {
        let raw = b"From: Ann <ann@x.test>\r\nTo: Bob <bob@y.test>, carol@y.test\r\n\
Bcc: dave@z.test,\r\n eve@z.test\r\nCc: BOB@y.test, team: fay@z.test;\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <1@x.test>\r\n\r\nBcc: in the body\r\n";
        let (from, to, bytes) = prepared(raw).unwrap();
        assert_eq!(from, "<ann@x.test>");
        assert_eq!(
            to,
            [
                "<bob@y.test>",
                "<carol@y.test>",
                "<fay@z.test>",
                "<dave@z.test>",
                "<eve@z.test>"
            ]
        );
        assert_eq!(
            bytes,
            "From: Ann <ann@x.test>\r\nTo: Bob <bob@y.test>, carol@y.test\r\n\
Cc: BOB@y.test, team: fay@z.test;\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <1@x.test>\r\n\r\nBcc: in the body\r\n"
        );
    }

    #[test]
    fn sender_wins_over_from() {
        let raw = b"From: a@x.test, b@x.test\r\nSender: sec@x.test\r\nTo: c@y.test\r\n\r\n";
        let (from, _, _) = prepared(raw).unwrap();
        assert_eq!(from, "<sec@x.test>");
    }

    #[test]
    fn date_and_message_id_are_added_only_when_absent() {
        let (_, _, bytes) = prepared(b"From: a@x.test\r\nTo: b@y.test\r\n\r\nhi\r\n").unwrap();
        assert_eq!(
            bytes,
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <0123abcd@x.test>\r\n\
From: a@x.test\r\nTo: b@y.test\r\n\r\nhi\r\n"
        );
        let raw = b"date: Mon, 1 Jan 2024 00:00:00 +0100\r\nFrom: a@x.test\r\nTo: b@y.test\r\n\r\n";
        let (_, _, bytes) = prepared(raw).unwrap();
        assert_eq!(
            bytes,
            "Message-ID: <0123abcd@x.test>\r\ndate: Mon, 1 Jan 2024 00:00:00 +0100\r\n\
From: a@x.test\r\nTo: b@y.test\r\n\r\n"
        );
        let raw = b"Message-Id: <k@x>\r\nFrom: a@x.test\r\nTo: b@y.test\r\n\r\n";
        let (_, _, bytes) = prepared(raw).unwrap();
        assert_eq!(
            bytes,
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
Message-Id: <k@x>\r\nFrom: a@x.test\r\nTo: b@y.test\r\n\r\n"
        );
    }

    #[test]
    fn a_message_without_body_or_with_bare_lf_is_read_too() {
        let raw = b"From: a@x.test\nTo: b@y.test\nBcc: c@y.test\n";
        let (_, to, bytes) = prepared(raw).unwrap();
        assert_eq!(to, ["<b@y.test>", "<c@y.test>"]);
        assert!(bytes.ends_with("From: a@x.test\nTo: b@y.test\n"), "{bytes}");
    }

    #[test]
    fn missing_or_bad_addresses() {
        assert_eq!(
            prepared(b"To: b@y.test\r\n\r\n"),
            Err(MessageError::NoSender)
        );
        assert_eq!(
            prepared(b"From: a@x.test\r\nTo: undisclosed-recipients:;\r\n\r\n"),
            Err(MessageError::NoRecipients)
        );
        assert_eq!(
            prepared(b"From: a@x.test\r\nTo: nodomain\r\n\r\n"),
            Err(MessageError::Address {
                address: "nodomain".into()
            })
        );
    }

    #[test]
    fn builders_are_built_then_prepared() {
        let builder = MessageBuilder::new()
            .from(Mailbox::new(None, "a@x.test"))
            .to(Mailbox::new(None, "b@y.test"))
            .bcc(Mailbox::new(None, "c@y.test"))
            .subject("hi")
            .text("hello\n");
        let p = Outgoing::from(builder).prepare_with(&mut Fixed).unwrap();
        assert_eq!(p.envelope.recipients.len(), 2);
        assert_eq!(
            String::from_utf8(p.bytes).unwrap(),
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <0123abcd@x.test>\r\n\
From: a@x.test\r\nTo: b@y.test\r\nSubject: hi\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
        );
    }
}
