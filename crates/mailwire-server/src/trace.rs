//! Trace fields (RFC 5321 §4.4): the `Received:` field an SMTP or LMTP server puts on top
//! of each message it takes, and the `Return-Path:` field of final delivery.
//!
//! [`SmtpServer`](crate::SmtpServer) writes a [`received`] field ahead of every message it
//! hands to its [`Delivery`](crate::Delivery); a store that makes the final delivery puts
//! [`return_path`] above it.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use mailwire_smtp::{ForwardPath, ReversePath};

use crate::Client;

/// The `Received:` field for a message taken from `client` by the host `by`, with `id`
/// naming it in this server's logs, `recipient` when the message has exactly one, at
/// time `at`. The protocol is named as RFC 3848 names it: `ESMTP` or `LMTP`, with `S`
/// under TLS and `A` after authentication.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use mailwire_server::{Client, trace};
/// use mailwire_smtp::ForwardPath;
///
/// let mut client = Client::new("192.0.2.7".parse().unwrap(), "laptop.example.org");
/// client.tls = true;
/// let to = ForwardPath::parse("<bob@example.net>").unwrap();
/// let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let field = trace::received(&client, "mx.example.net", false, "5A1C", Some(&to), at);
/// assert_eq!(
///     field,
///     "Received: from laptop.example.org ([192.0.2.7])\r\n\
///      \tby mx.example.net with ESMTPS id 5A1C\r\n\
///      \tfor <bob@example.net>; Tue, 14 Nov 2023 22:13:20 +0000\r\n"
/// );
/// ```
pub fn received(
    client: &Client,
    by: &str,
    lmtp: bool,
    id: &str,
    recipient: Option<&ForwardPath>,
    at: SystemTime,
) -> String {
    let hello = if client.hello.is_empty() {
        "unknown"
    } else {
        &client.hello
    };
    let protocol = if lmtp { "LMTP" } else { "ESMTP" };
    let tls = if client.tls { "S" } else { "" };
    let authenticated = if client.user.is_some() { "A" } else { "" };
    let seconds = at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let date = mailwire_mime::DateTime::from_timestamp(seconds, 0).to_rfc5322();
    let peer = address_literal(client.peer);
    let mut field = format!(
        "Received: from {hello} ([{peer}])\r\n\tby {by} with {protocol}{tls}{authenticated} id {id}"
    );
    match recipient {
        Some(to) => field.push_str(&format!("\r\n\tfor {to}; {date}\r\n")),
        None => field.push_str(&format!(";\r\n\t{date}\r\n")),
    }
    field
}

/// The `Return-Path:` field that final delivery puts on top of a message sent by `from`
/// (RFC 5321 §4.4): `<>` for the null sender.
///
/// ```
/// use mailwire_server::trace;
/// use mailwire_smtp::ReversePath;
///
/// let from = ReversePath::parse("<alice@example.org>").unwrap();
/// assert_eq!(trace::return_path(&from), "Return-Path: <alice@example.org>\r\n");
/// assert_eq!(trace::return_path(&ReversePath::Null), "Return-Path: <>\r\n");
/// ```
pub fn return_path(from: &ReversePath) -> String {
    format!("Return-Path: {from}\r\n")
}

/// The inside of an address literal (RFC 5321 §4.1.3): `192.0.2.1`, `IPv6:2001:db8::1`.
fn address_literal(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("IPv6:{v6}"),
    }
}

/// A fresh identifier for a message in this server's `Received:` fields and logs: twelve
/// upper-case hexadecimal digits.
pub(crate) fn message_id() -> String {
    let mut bytes = [0u8; 6];
    // The operating system's generator failing is not something a server can serve on.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator");
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protocol_names_tls_and_authentication_and_lmtp() {
        let at = UNIX_EPOCH;
        let mut client = Client::new("::ffff:127.0.0.1".parse().unwrap(), "");
        let line = |c: &Client, lmtp| {
            received(c, "h", lmtp, "1", None, at)
                .lines()
                .nth(1)
                .unwrap()
                .to_owned()
        };
        assert_eq!(line(&client, false), "\tby h with ESMTP id 1;");
        client.user = Some("alice".into());
        assert_eq!(line(&client, false), "\tby h with ESMTPA id 1;");
        client.tls = true;
        assert_eq!(line(&client, true), "\tby h with LMTPSA id 1;");
        client.user = None;
        assert_eq!(line(&client, true), "\tby h with LMTPS id 1;");
        assert_eq!(
            received(&client, "h", true, "1", None, at),
            "Received: from unknown ([127.0.0.1])\r\n\tby h with LMTPS id 1;\r\n\
             \tThu, 1 Jan 1970 00:00:00 +0000\r\n"
        );
        let v6 = Client::new("2001:db8::1".parse().unwrap(), "x");
        assert!(
            received(&v6, "h", false, "1", None, at)
                .starts_with("Received: from x ([IPv6:2001:db8::1])\r\n")
        );
    }

    #[test]
    fn message_ids_are_twelve_hex_digits_and_differ() {
        let (a, b) = (message_id(), message_id());
        assert_eq!(a.len(), 12);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        );
        assert_ne!(a, b);
    }
}
