//! Mail in: a [`Delivery`] that writes each message into the [`Queue`].

use std::net::IpAddr;
use std::path::PathBuf;

use bytes::Bytes;
use mailwire_server::{Client, Delivery, Transaction};
use mailwire_smtp::{
    Body, Domain, ForwardPath, MailParameters, RcptParameters, Reply, ReversePath,
};
use tokio::io::AsyncWriteExt;

use crate::clock::rfc5322;
use crate::entry::{Entry, Recipient};
use crate::queue::Queue;

/// More `Received:` fields than this, and a message is taken to be looping (RFC 5321
/// §6.3 suggests 100).
pub const MAX_RECEIVED: usize = 100;

/// Takes mail for other domains into the queue: the SMTP server's [`Delivery`] for the
/// recipients the application relays.
///
/// Each accepted message gets a `Received:` field on top (RFC 5321 §4.4), its body is
/// streamed into the queue's directory, and the `250` is given only once the content and
/// envelope are synced to disk. A message with more than [`max_received`](Self::max_received)
/// `Received:` fields is refused as a loop (`554 5.4.6`). Which senders may relay, and to
/// which recipients, is the application's decision before it hands a transaction here.
#[derive(Debug, Clone)]
pub struct Intake {
    queue: Queue,
    hostname: Domain,
    /// The most `Received:` fields a message may carry: [`MAX_RECEIVED`].
    pub max_received: usize,
}

impl Intake {
    /// Takes mail into `queue`, naming this host `hostname` in `Received:`.
    pub fn new(queue: Queue, hostname: Domain) -> Self {
        Self {
            queue,
            hostname,
            max_received: MAX_RECEIVED,
        }
    }
}

impl Delivery for Intake {
    type Transaction = Incoming;

    async fn mail(
        &self,
        client: &Client,
        from: &ReversePath,
        params: &MailParameters,
    ) -> Result<Incoming, Reply> {
        let id = self.queue.new_id();
        let temp = self.queue.temp_content_path(&id);
        let now = self.queue.clock().now();
        Ok(Incoming {
            queue: self.queue.clone(),
            received: ReceivedFrom {
                hello: client.hello.clone(),
                peer: address_literal(client.peer),
                tls: client.tls,
                authenticated: client.user.is_some(),
                by: self.hostname.to_string(),
            },
            entry: Entry {
                id,
                from: from.clone(),
                arrival: now,
                body: params.body.unwrap_or(Body::SevenBit),
                smtputf8: params.smtputf8,
                ret: params.ret,
                envid: params.envid.clone(),
                recipients: Vec::new(),
            },
            temp,
            file: None,
            hops: HopCounter::new(self.max_received),
        })
    }
}

/// The inside of an address literal (RFC 5321 §4.1.3): `192.0.2.1`, `IPv6:2001:db8::1`.
fn address_literal(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("IPv6:{v6}"),
    }
}

/// What the `Received:` field says about the client.
#[derive(Debug)]
struct ReceivedFrom {
    hello: String,
    peer: String,
    tls: bool,
    authenticated: bool,
    by: String,
}

/// A message on its way into the queue.
#[derive(Debug)]
pub struct Incoming {
    queue: Queue,
    received: ReceivedFrom,
    entry: Entry,
    temp: PathBuf,
    file: Option<tokio::fs::File>,
    hops: HopCounter,
}

impl Incoming {
    /// The `Received:` field for this message (RFC 5321 §4.4, with RFC 3848's protocol
    /// names); `for` names the recipient only when there is one.
    fn received_field(&self) -> String {
        let r = &self.received;
        let hello = if r.hello.is_empty() {
            "unknown"
        } else {
            &r.hello
        };
        let with = match (r.tls, r.authenticated) {
            (false, false) => "ESMTP",
            (true, false) => "ESMTPS",
            (false, true) => "ESMTPA",
            (true, true) => "ESMTPSA",
        };
        let date = rfc5322(self.entry.arrival);
        let mut field = format!(
            "Received: from {hello} ([{}])\r\n\tby {} with {with} id {}",
            r.peer, r.by, self.entry.id
        );
        match self.entry.recipients.as_slice() {
            [one] => field.push_str(&format!("\r\n\tfor {}; {date}\r\n", one.path)),
            _ => field.push_str(&format!(";\r\n\t{date}\r\n")),
        }
        field
    }

    async fn open(&mut self) -> std::io::Result<&mut tokio::fs::File> {
        if self.file.is_none() {
            let mut file = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&self.temp)
                .await?;
            file.write_all(self.received_field().as_bytes()).await?;
            self.file = Some(file);
        }
        Ok(self.file.as_mut().expect("opened above"))
    }

    async fn finish(&mut self) -> std::io::Result<()> {
        let file = self.open().await?;
        file.flush().await?;
        file.sync_all().await?;
        self.file = None;
        Ok(())
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        // Abandoned (or committed, when the file is already renamed): the temporary goes.
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

fn local_error() -> Reply {
    Reply::new(451, "4.3.0 cannot queue the message now").expect("a valid reply")
}

impl Transaction for Incoming {
    async fn rcpt(&mut self, to: &ForwardPath, params: &RcptParameters) -> Result<(), Reply> {
        self.entry.recipients.push(Recipient::new(
            to.clone(),
            params.notify,
            params.orcpt.clone(),
            self.entry.arrival,
        ));
        Ok(())
    }

    async fn data(&mut self, chunk: Bytes) -> Result<(), Reply> {
        if self.hops.feed(&chunk) {
            tracing::warn!(id = %self.entry.id, "too many Received fields: mail loop");
            return Err(Reply::new(554, "5.4.6 too many hops, mail loop").expect("a valid reply"));
        }
        let file = self.open().await.map_err(|error| {
            tracing::error!(%error, "cannot write to the queue");
            local_error()
        })?;
        file.write_all(&chunk).await.map_err(|error| {
            tracing::error!(%error, "cannot write to the queue");
            local_error()
        })
    }

    async fn commit(mut self) -> Vec<Result<(), Reply>> {
        let count = self.entry.recipients.len();
        if count == 0 {
            // Nothing to relay (an application that hands every transaction here and
            // gave this one no recipient): the temporary file goes with `self`.
            return Vec::new();
        }
        let written = match self.finish().await {
            Ok(()) => self.queue.commit(self.entry.clone()).await,
            Err(error) => Err(error.into()),
        };
        match written {
            Ok(()) => vec![Ok(()); count],
            Err(error) => {
                tracing::error!(%error, "cannot queue the message");
                let _ = std::fs::remove_file(&self.temp);
                vec![Err(local_error()); count]
            }
        }
    }
}

/// Counts `Received:` fields at the start of header lines, as the body streams by.
#[derive(Debug)]
struct HopCounter {
    limit: usize,
    count: usize,
    in_header: bool,
    /// The first bytes of the current line (enough to tell `Received:`).
    line: Vec<u8>,
    line_len: usize,
}

const RECEIVED: &[u8] = b"received:";

impl HopCounter {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            count: 0,
            in_header: true,
            line: Vec::with_capacity(RECEIVED.len()),
            line_len: 0,
        }
    }

    /// Reads the next piece; true once more than `limit` fields were seen.
    fn feed(&mut self, chunk: &[u8]) -> bool {
        for &b in chunk {
            if !self.in_header {
                break;
            }
            if b == b'\n' {
                if self.line_len == 0 || (self.line_len == 1 && self.line == b"\r") {
                    self.in_header = false;
                }
                self.line.clear();
                self.line_len = 0;
                continue;
            }
            self.line_len += 1;
            if self.line.len() < RECEIVED.len() {
                self.line.push(b);
                if self.line.len() == RECEIVED.len() && self.line.eq_ignore_ascii_case(RECEIVED) {
                    self.count += 1;
                }
            }
        }
        self.count > self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hops_are_counted_in_the_header_only_in_any_split() {
        let mut message =
            b"Received: from a\r\n\tby b\r\nRECEIVED:x\r\nX-Received: no\r\n".to_vec();
        message.extend_from_slice(b"Subject: received: no\r\n\r\nReceived: in the body\r\n");
        for split in 0..message.len() {
            let mut hops = HopCounter::new(1);
            let first = hops.feed(&message[..split]);
            let second = hops.feed(&message[split..]);
            assert!(first || second, "split at {split}");
            assert_eq!(hops.count, 2, "split at {split}");
        }
        let mut hops = HopCounter::new(2);
        assert!(!hops.feed(&message));
        assert_eq!(hops.count, 2);
    }

    #[test]
    fn peers_are_address_literals() {
        assert_eq!(address_literal("192.0.2.1".parse().unwrap()), "192.0.2.1");
        assert_eq!(
            address_literal("::ffff:192.0.2.1".parse().unwrap()),
            "192.0.2.1"
        );
        assert_eq!(
            address_literal("2001:db8::1".parse().unwrap()),
            "IPv6:2001:db8::1"
        );
    }

    #[test]
    fn a_bare_lf_empty_line_ends_the_header() {
        let mut hops = HopCounter::new(0);
        assert!(!hops.feed(b"Subject: x\n\nReceived: y\n"));
    }
}
