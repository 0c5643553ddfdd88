//! Delivery status notifications (RFC 3464): a `multipart/report` that tells the sender
//! which recipients failed and why, with the original header (or the whole message, for
//! `RET=FULL`).

use std::fmt::Write as _;

use mailwire_smtp::{ForwardPath, Ret, XText};

use crate::clock::rfc5322;
use crate::entry::{Entry, Recipient, xtext};

/// One recipient reported on: given up on, delayed, delivered here, or relayed to a server
/// that reports nothing.
#[derive(Debug, Clone)]
pub(crate) struct Failed {
    /// The recipient as last recorded.
    pub(crate) recipient: Recipient,
    /// The RFC 3464 action: `failed`, `delayed`, `delivered` or `relayed`.
    pub(crate) action: &'static str,
    /// For a delay: until when delivery will be tried.
    pub(crate) retry_until: Option<u64>,
    /// The RFC 3463 status (`5.1.1`).
    pub(crate) status: String,
    /// The remote server's reply, if one decided it (`550 5.1.1 no such user`).
    pub(crate) diagnostic: Option<String>,
    /// Why, in words, for the human-readable part.
    pub(crate) reason: String,
    /// When it was last tried (seconds since the epoch).
    pub(crate) last_attempt: u64,
}

/// What the report is about, beyond the message itself.
#[derive(Debug)]
pub(crate) struct Report<'a> {
    /// The name of this host.
    pub(crate) hostname: &'a str,
    /// The identifier of the report (for its Message-ID and boundary).
    pub(crate) id: &'a str,
    /// When the report is made.
    pub(crate) now: u64,
    /// The failed message.
    pub(crate) entry: &'a Entry,
    /// Its recipients given up on.
    pub(crate) failed: &'a [Failed],
}

impl Report<'_> {
    /// The report as a message to the sender, lines ending in CRLF. `content` is the
    /// failed message as queued.
    pub(crate) fn to_message(&self, content: &[u8]) -> Vec<u8> {
        let boundary = format!("{}/{}", self.id, self.hostname);
        let failed = self.failed.iter().any(|f| f.action == "failed");
        let delayed = self.failed.iter().any(|f| f.action == "delayed");
        let delivered = self.failed.iter().all(|f| f.action == "delivered");
        let relayed = self.failed.iter().all(|f| f.action == "relayed");
        let to = match self.entry.from.mailbox() {
            Some(m) => m.to_string(),
            None => String::new(),
        };
        let mut head = String::new();
        // Writing to a String cannot fail.
        let _ = write!(
            head,
            "From: Mail Delivery System <MAILER-DAEMON@{host}>\r\n\
To: <{to}>\r\n\
Subject: {subject}\r\n\
Date: {date}\r\n\
Message-ID: <{id}@{host}>\r\n\
Auto-Submitted: auto-replied\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status;\r\n\
\tboundary=\"{boundary}\"\r\n\
\r\n\
This is a MIME-encapsulated message.\r\n\
\r\n\
--{boundary}\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
\r\n\
This is the mail system at {host}.\r\n\
\r\n\
{intro}\r\n\
\r\n",
            host = self.hostname,
            subject = if failed {
                "Undelivered Mail Returned to Sender"
            } else if delayed {
                "Delayed Mail (still being retried)"
            } else if delivered {
                "Successful Mail Delivery Report"
            } else if relayed {
                "Delivery Status Notification (Relayed)"
            } else {
                "Delivery Status Notification"
            },
            intro = if failed {
                "Your message could not be delivered to one or more recipients."
            } else if delayed {
                "Your message could not be delivered yet; delivery will be tried again."
            } else if delivered {
                "Your message was delivered to the mailbox of each recipient below."
            } else if relayed {
                "Your message was relayed to a server that sends no delivery notifications."
            } else {
                "Your message was delivered to some recipients below, and relayed to servers\r\n\
                 that send no delivery notifications for the others."
            },
            date = rfc5322(self.now),
            id = self.id,
        );
        for f in self.failed {
            let _ = write!(head, "{}: {}\r\n", f.recipient.path, f.reason);
        }
        let _ = write!(
            head,
            "\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n{}",
            self.status_fields()
        );
        // RET=FULL asks for the content with failures only (RFC 3461 §4.3).
        let full = failed && self.entry.ret == Some(Ret::Full);
        let returned = if full {
            content
        } else {
            &content[..header_len(content)]
        };
        let _ = write!(
            head,
            "\r\n--{boundary}\r\nContent-Type: {}\r\n\r\n",
            if full {
                "message/rfc822"
            } else {
                "text/rfc822-headers"
            }
        );
        let mut out = head.into_bytes();
        out.extend_from_slice(returned);
        if !returned.ends_with(b"\n") {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        out
    }

    /// The `message/delivery-status` body: the per-message fields, then a block for each
    /// recipient, each block ended by an empty line (RFC 3464 §2.1).
    pub(crate) fn status_fields(&self) -> String {
        let mut out = String::new();
        let _ = write!(out, "Reporting-MTA: dns; {}\r\n", self.hostname);
        if let Some(envid) = &self.entry.envid {
            let _ = write!(out, "Original-Envelope-Id: {}\r\n", decoded(envid));
        }
        let _ = write!(out, "Arrival-Date: {}\r\n\r\n", rfc5322(self.entry.arrival));
        for f in self.failed {
            let r = &f.recipient;
            if let Some(orcpt) = &r.orcpt {
                let _ = write!(
                    out,
                    "Original-Recipient: {};{}\r\n",
                    orcpt.addr_type(),
                    decoded(orcpt.address())
                );
            }
            let final_recipient = match &r.path {
                ForwardPath::Mailbox(m) => m.to_string(),
                ForwardPath::Postmaster => "postmaster".to_owned(),
            };
            let _ = write!(
                out,
                "Final-Recipient: rfc822; {final_recipient}\r\nAction: {}\r\nStatus: {}\r\n",
                f.action, f.status
            );
            if let Some(remote) = &r.remote {
                let _ = write!(out, "Remote-MTA: dns; {remote}\r\n");
            }
            if let Some(diagnostic) = &f.diagnostic {
                let _ = write!(out, "Diagnostic-Code: smtp; {diagnostic}\r\n");
            }
            let _ = write!(out, "Last-Attempt-Date: {}\r\n", rfc5322(f.last_attempt));
            if let Some(until) = f.retry_until {
                let _ = write!(out, "Will-Retry-Until: {}\r\n", rfc5322(until));
            }
            out.push_str("\r\n");
        }
        out
    }
}

/// An xtext value decoded for a report field (RFC 3461 §4.2, §4.4 carry them encoded
/// only on the wire), unless it holds what a header field cannot: then it stays xtext.
fn decoded(value: &XText) -> String {
    match std::str::from_utf8(value.as_bytes()) {
        Ok(text) if text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') => text.to_owned(),
        _ => xtext(value),
    }
}

/// The length of the header section, without the empty line that ends it; all of
/// `content` when there is no body.
fn header_len(content: &[u8]) -> usize {
    let mut start = 0;
    while start < content.len() {
        let end = content[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(content.len(), |i| start + i + 1);
        let line = &content[start..end];
        if line == b"\r\n" || line == b"\n" {
            return start;
        }
        start = end;
    }
    content.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailwire_smtp::{Body, ReversePath};

    #[test]
    fn a_failure_report_returns_the_header() {
        let mut bob = Recipient::new(
            ForwardPath::parse("<bob@example.net>").unwrap(),
            None,
            None,
            1_700_000_000,
        );
        bob.remote = Some("127.0.0.1".into());
        let entry = Entry {
            id: "q1".into(),
            from: ReversePath::parse("<ann@example.org>").unwrap(),
            arrival: 1_700_000_000,
            body: Body::SevenBit,
            smtputf8: false,
            ret: None,
            envid: None,
            recipients: vec![bob.clone()],
        };
        let failed = [Failed {
            recipient: bob,
            action: "failed",
            retry_until: None,
            status: "5.1.1".into(),
            diagnostic: Some("550 5.1.1 no such user".into()),
            reason: "550 5.1.1 no such user".into(),
            last_attempt: 1_700_000_060,
        }];
        let report = Report {
            hostname: "mx.example.org",
            id: "r1",
            now: 1_700_000_060,
            entry: &entry,
            failed: &failed,
        };
        let message =
            report.to_message(b"Subject: hi\r\nTo: bob@example.net\r\n\r\nsecret body\r\n");
        assert_eq!(
            String::from_utf8(message).unwrap(),
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n\
To: <ann@example.org>\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Date: Tue, 14 Nov 2023 22:14:20 +0000\r\n\
Message-ID: <r1@mx.example.org>\r\n\
Auto-Submitted: auto-replied\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status;\r\n\
\tboundary=\"r1/mx.example.org\"\r\n\
\r\n\
This is a MIME-encapsulated message.\r\n\
\r\n\
--r1/mx.example.org\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
\r\n\
This is the mail system at mx.example.org.\r\n\
\r\n\
Your message could not be delivered to one or more recipients.\r\n\
\r\n\
<bob@example.net>: 550 5.1.1 no such user\r\n\
\r\n\
--r1/mx.example.org\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.example.org\r\n\
Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
\r\n\
Final-Recipient: rfc822; bob@example.net\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Remote-MTA: dns; 127.0.0.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n\
Last-Attempt-Date: Tue, 14 Nov 2023 22:14:20 +0000\r\n\
\r\n\
\r\n\
--r1/mx.example.org\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
Subject: hi\r\nTo: bob@example.net\r\n\
\r\n\
--r1/mx.example.org--\r\n"
        );
    }
}
