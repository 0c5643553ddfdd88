//! A queued message's envelope and delivery state, and its small text file.
//!
//! ```text
//! mailwire-queue 1
//! from <ann@example.org>
//! arrival 1700000000
//! body 8BITMIME
//! smtputf8
//! ret HDRS
//! envid QQ+2B1
//! rcpt <bob@example.net>
//! status pending
//! attempts 1
//! next 1700000300
//! notify FAILURE,DELAY
//! orcpt rfc822;bob@example.net
//! remote 127.0.0.1
//! error 451 4.3.0 try again later
//! ```
//!
//! One field a line, the keyword and one space before the value; the lines after a `rcpt`
//! line are that recipient's. xtext values (ENVID, ORCPT's address) are kept encoded, so
//! no value holds a line break.

use mailwire_smtp::{Body, ForwardPath, Notify, OriginalRecipient, Ret, ReversePath, XText};

/// Where a recipient stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// Not yet delivered; tried again at [`Recipient::next_attempt`].
    Pending,
    /// Taken by the next server.
    Delivered,
    /// Given up on: refused for good, or out of time. A failure report went to the
    /// sender if the sender asked for one.
    Failed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One recipient of a queued message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recipient {
    /// The address.
    pub path: ForwardPath,
    /// Where it stands.
    pub status: Status,
    /// How many times delivery was tried.
    pub attempts: u32,
    /// When to try next (seconds since the epoch).
    pub next_attempt: u64,
    /// `NOTIFY=` of its RCPT, if given (RFC 3461 §4.1).
    pub notify: Option<Notify>,
    /// `ORCPT=` of its RCPT, if given (RFC 3461 §4.2).
    pub orcpt: Option<OriginalRecipient>,
    /// The server that answered last, if one did.
    pub remote: Option<String>,
    /// The last failure: a reply (`550 5.1.1 no such user`) or why no reply came.
    pub last_error: Option<String>,
    /// Whether the sender was told the delivery is delayed (NOTIFY=DELAY), which is
    /// done once.
    pub delay_reported: bool,
}

impl Recipient {
    /// A recipient not yet tried, due at `now`.
    pub(crate) fn new(
        path: ForwardPath,
        notify: Option<Notify>,
        orcpt: Option<OriginalRecipient>,
        now: u64,
    ) -> Self {
        Self {
            path,
            status: Status::Pending,
            attempts: 0,
            next_attempt: now,
            notify,
            orcpt,
            remote: None,
            last_error: None,
            delay_reported: false,
        }
    }

    /// Whether a failure report is wanted: unless NOTIFY leaves FAILURE out.
    pub(crate) fn wants_failure_report(&self) -> bool {
        self.notify.is_none_or(|n| n.failure)
    }
}

/// A queued message: its envelope and each recipient's state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// The queue identifier (also the name of its files).
    pub id: String,
    /// The sender; `<>` for a delivery status notification.
    pub from: ReversePath,
    /// When the message was accepted (seconds since the epoch).
    pub arrival: u64,
    /// `BODY=` of its MAIL: what the content holds.
    pub body: Body,
    /// Whether it came with `SMTPUTF8`.
    pub smtputf8: bool,
    /// `RET=` (RFC 3461 §4.3).
    pub ret: Option<Ret>,
    /// `ENVID=` (RFC 3461 §4.4).
    pub envid: Option<XText>,
    /// The recipients, in the order accepted.
    pub recipients: Vec<Recipient>,
}

impl Entry {
    /// Whether no recipient is pending any more.
    pub fn is_done(&self) -> bool {
        self.recipients.iter().all(|r| r.status != Status::Pending)
    }

    /// The earliest next attempt of a pending recipient.
    pub fn next_attempt(&self) -> Option<u64> {
        self.recipients
            .iter()
            .filter(|r| r.status == Status::Pending)
            .map(|r| r.next_attempt)
            .min()
    }

    /// The text of the message's envelope file in the queue (`ID.env`): a first line
    /// `mailwire-queue 1`, then one field a line.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::from("mailwire-queue 1\n");
        // Writing to a String cannot fail.
        let _ = writeln!(out, "from {}", self.from);
        let _ = writeln!(out, "arrival {}", self.arrival);
        let _ = writeln!(out, "body {}", self.body.as_str());
        if self.smtputf8 {
            out.push_str("smtputf8\n");
        }
        match self.ret {
            Some(Ret::Full) => out.push_str("ret FULL\n"),
            Some(Ret::Headers) => out.push_str("ret HDRS\n"),
            None => {}
        }
        if let Some(envid) = &self.envid {
            let _ = writeln!(out, "envid {}", xtext(envid));
        }
        for r in &self.recipients {
            let _ = writeln!(out, "rcpt {}", r.path);
            let _ = writeln!(out, "status {}", r.status.as_str());
            let _ = writeln!(out, "attempts {}", r.attempts);
            let _ = writeln!(out, "next {}", r.next_attempt);
            if let Some(notify) = r.notify {
                let _ = writeln!(out, "notify {}", notify_text(notify));
            }
            if let Some(orcpt) = &r.orcpt {
                let _ = writeln!(
                    out,
                    "orcpt {};{}",
                    orcpt.addr_type(),
                    xtext(orcpt.address())
                );
            }
            if let Some(remote) = &r.remote {
                let _ = writeln!(out, "remote {}", one_line(remote));
            }
            if r.delay_reported {
                out.push_str("delayed\n");
            }
            if let Some(error) = &r.last_error {
                let _ = writeln!(out, "error {}", one_line(error));
            }
        }
        out
    }

    /// Reads a file written by [`to_text`](Self::to_text), for the message `id`; `None`
    /// if it is not one.
    pub fn parse(id: &str, text: &str) -> Option<Self> {
        let mut lines = text.lines();
        if lines.next()? != "mailwire-queue 1" {
            return None;
        }
        let mut entry = Self {
            id: id.to_owned(),
            from: ReversePath::Null,
            arrival: 0,
            body: Body::SevenBit,
            smtputf8: false,
            ret: None,
            envid: None,
            recipients: Vec::new(),
        };
        for line in lines {
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            if key == "rcpt" {
                let path = ForwardPath::parse(value).ok()?;
                entry
                    .recipients
                    .push(Recipient::new(path, None, None, entry.arrival));
                continue;
            }
            match (entry.recipients.last_mut(), key) {
                (None, "from") => entry.from = ReversePath::parse(value).ok()?,
                (None, "arrival") => entry.arrival = value.parse().ok()?,
                (None, "body") => {
                    entry.body = [Body::SevenBit, Body::EightBitMime, Body::BinaryMime]
                        .into_iter()
                        .find(|b| b.as_str() == value)?;
                }
                (None, "smtputf8") => entry.smtputf8 = true,
                (None, "ret") => {
                    entry.ret = match value {
                        "FULL" => Some(Ret::Full),
                        "HDRS" => Some(Ret::Headers),
                        _ => return None,
                    };
                }
                (None, "envid") => entry.envid = Some(XText::decode(value.as_bytes()).ok()?),
                (Some(r), "status") => r.status = Status::parse(value)?,
                (Some(r), "attempts") => r.attempts = value.parse().ok()?,
                (Some(r), "next") => r.next_attempt = value.parse().ok()?,
                (Some(r), "notify") => r.notify = Some(parse_notify(value)?),
                (Some(r), "orcpt") => {
                    let (addr_type, address) = value.split_once(';')?;
                    let address = XText::decode(address.as_bytes()).ok()?;
                    r.orcpt = Some(OriginalRecipient::new(addr_type, address)?);
                }
                // Read as they are written: one line, a stray CR taken as a break.
                (Some(r), "remote") => r.remote = Some(one_line(value)),
                (Some(r), "error") => r.last_error = Some(one_line(value)),
                (Some(r), "delayed") => r.delay_reported = true,
                _ => return None,
            }
        }
        Some(entry)
    }
}

/// `NOTIFY=` as written in RCPT.
pub(crate) fn notify_text(notify: Notify) -> String {
    let words = [
        (notify.success, "SUCCESS"),
        (notify.failure, "FAILURE"),
        (notify.delay, "DELAY"),
    ];
    let set: Vec<&str> = words
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, w)| *w)
        .collect();
    if set.is_empty() {
        "NEVER".to_owned()
    } else {
        set.join(",")
    }
}

fn parse_notify(value: &str) -> Option<Notify> {
    if value == "NEVER" {
        return Some(Notify::NEVER);
    }
    let mut notify = Notify::NEVER;
    for word in value.split(',') {
        match word {
            "SUCCESS" => notify.success = true,
            "FAILURE" => notify.failure = true,
            "DELAY" => notify.delay = true,
            _ => return None,
        }
    }
    Some(notify)
}

/// The xtext form of a value.
pub(crate) fn xtext(value: &XText) -> String {
    let mut out = Vec::new();
    value.encode(&mut out);
    // xtext is printable ASCII by construction.
    String::from_utf8_lossy(&out).into_owned()
}

/// Reply text on one line: the queue file and DSN fields hold no line breaks.
pub(crate) fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stray_cr_in_a_free_text_field_reads_as_it_is_written() {
        let text = "mailwire-queue 1\nfrom <>\narrival 1\nrcpt <c@d.example>\nstatus pending\n\
attempts 1\nnext 2\nremote c@d\r42\nerror 451\r4.3.0 later\n";
        let entry = Entry::parse("id", text).unwrap();
        let rcpt = &entry.recipients[0];
        assert_eq!(rcpt.remote.as_deref(), Some("c@d 42"));
        assert_eq!(rcpt.last_error.as_deref(), Some("451 4.3.0 later"));
        assert_eq!(Entry::parse("id", &entry.to_text()).unwrap(), entry);
    }

    #[test]
    fn the_file_reads_back_as_written() {
        let mut bob = Recipient::new(
            ForwardPath::parse("<bob@example.net>").unwrap(),
            Some(Notify {
                failure: true,
                delay: true,
                ..Notify::NEVER
            }),
            OriginalRecipient::new("rfc822", XText::new(b"Bob+x@example.net".to_vec())),
            1_700_000_000,
        );
        bob.attempts = 1;
        bob.next_attempt = 1_700_000_300;
        bob.remote = Some("127.0.0.1".into());
        bob.delay_reported = true;
        bob.last_error = Some("451 4.3.0 try\r\nagain later".into());
        let entry = Entry {
            id: "q1".into(),
            from: ReversePath::parse("<ann@example.org>").unwrap(),
            arrival: 1_700_000_000,
            body: Body::EightBitMime,
            smtputf8: true,
            ret: Some(Ret::Headers),
            envid: Some(XText::new(b"A+B=1".to_vec())),
            recipients: vec![bob],
        };
        let text = entry.to_text();
        assert_eq!(
            text,
            "mailwire-queue 1\nfrom <ann@example.org>\narrival 1700000000\nbody 8BITMIME\n\
smtputf8\nret HDRS\nenvid A+2BB+3D1\nrcpt <bob@example.net>\nstatus pending\nattempts 1\n\
next 1700000300\nnotify FAILURE,DELAY\norcpt rfc822;Bob+2Bx@example.net\nremote 127.0.0.1\ndelayed\n\
error 451 4.3.0 try again later\n"
        );
        let mut expected = entry;
        expected.recipients[0].last_error = Some("451 4.3.0 try again later".into());
        assert_eq!(Entry::parse("q1", &text), Some(expected));
        assert_eq!(Entry::parse("q1", "mailwire-queue 2\n"), None);
        assert_eq!(
            Entry::parse("q1", "mailwire-queue 1\nstatus pending\n"),
            None
        );
    }
}
