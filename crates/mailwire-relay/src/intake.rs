//! Mail in: a [`Delivery`] that writes each message into the [`Queue`].

use std::path::PathBuf;

use bytes::Bytes;
use mailwire_server::{Client, Delivery, Transaction};
use mailwire_smtp::{Body, ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};
use tokio::io::AsyncWriteExt;

use crate::entry::{Entry, Recipient};
use crate::queue::Queue;

/// More `Received:` fields than this, and a message is taken to be looping (RFC 5321
/// §6.3 suggests 100).
pub const MAX_RECEIVED: usize = 100;

/// Takes mail for other domains into the queue: the SMTP server's [`Delivery`] for the
/// recipients the application relays.
///
/// Each accepted message's body, with the `Received:` field that the
/// [`SmtpServer`](mailwire_server::SmtpServer) in front puts on top (RFC 5321 §4.4), is
/// streamed into the queue's directory, and the `250` is given only once the content and
/// envelope are synced to disk. A message with more than [`max_received`](Self::max_received)
/// `Received:` fields is refused as a loop (`554 5.4.6`). Which senders may relay, and to
/// which recipients, is the application's decision before it hands a transaction here.
#[derive(Debug, Clone)]
pub struct Intake {
    queue: Queue,
    /// The most `Received:` fields a message may arrive with, not counting the one the
    /// SMTP server adds: [`MAX_RECEIVED`].
    pub max_received: usize,
}

impl Intake {
    /// Takes mail into `queue`.
    pub fn new(queue: Queue) -> Self {
        Self {
            queue,
            max_received: MAX_RECEIVED,
        }
    }
}

impl Delivery for Intake {
    type Transaction = Incoming;

    async fn mail(
        &self,
        _client: &Client,
        from: &ReversePath,
        params: &MailParameters,
    ) -> Result<Incoming, Reply> {
        let id = self.queue.new_id();
        let temp = self.queue.temp_content_path(&id);
        let now = self.queue.clock().now();
        Ok(Incoming {
            queue: self.queue.clone(),
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
            // The SMTP server's own field on top is counted too, but is not a hop the
            // message arrived with.
            hops: HopCounter::new(self.max_received.saturating_add(1)),
        })
    }
}

/// A message on its way into the queue.
#[derive(Debug)]
pub struct Incoming {
    queue: Queue,
    entry: Entry,
    temp: PathBuf,
    file: Option<tokio::fs::File>,
    hops: HopCounter,
}

impl Incoming {
    async fn open(&mut self) -> std::io::Result<&mut tokio::fs::File> {
        if self.file.is_none() {
            let file = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&self.temp)
                .await?;
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
    fn a_bare_lf_empty_line_ends_the_header() {
        let mut hops = HopCounter::new(0);
        assert!(!hops.feed(b"Subject: x\n\nReceived: y\n"));
    }
}
