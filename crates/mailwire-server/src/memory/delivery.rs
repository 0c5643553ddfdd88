//! Delivery: mail for the store's users goes to their INBOX.

use mailwire_smtp::{ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};

use super::Memory;
use crate::{Client, Delivery, MailStore, StoreError, Transaction, trace};

/// A reply from text known to be valid.
fn reply(code: u16, text: &str) -> Reply {
    Reply::new(code, text).expect("a valid reply")
}

impl Memory {
    /// The user a recipient names: the whole address if that is a user's name, else its
    /// local part at any domain; `postmaster` for `<Postmaster>`.
    fn recipient(&self, to: &ForwardPath) -> Option<String> {
        let candidates = match to.mailbox() {
            Some(mailbox) => vec![mailbox.to_string(), mailbox.local_part().to_owned()],
            None => vec!["postmaster".to_owned()],
        };
        candidates
            .into_iter()
            .find(|name| self.user(name).is_some())
    }
}

impl Delivery for Memory {
    type Transaction = Incoming;

    async fn mail(
        &self,
        _client: &Client,
        from: &ReversePath,
        _params: &MailParameters,
    ) -> Result<Incoming, Reply> {
        let body = trace::return_path(from).into_bytes();
        Ok(Incoming {
            memory: self.clone(),
            recipients: Vec::new(),
            head: body.len(),
            body,
            too_big: false,
        })
    }
}

/// A message on its way into [`Memory`]: the users it is for, and its body so far, below
/// the `Return-Path:` field of final delivery (RFC 5321 §4.4).
pub struct Incoming {
    memory: Memory,
    /// The user each accepted recipient names, in the order accepted.
    recipients: Vec<String>,
    /// The length of the `Return-Path:` field at the start of `body`, which the store's
    /// size limit does not count.
    head: usize,
    body: Vec<u8>,
    too_big: bool,
}

impl std::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Incoming")
            .field("recipients", &self.recipients)
            .field("body_len", &self.body.len())
            .field("too_big", &self.too_big)
            .finish_non_exhaustive()
    }
}

impl Incoming {
    /// Stores the body in `user`'s INBOX.
    async fn deliver(&self, user: &str) -> Result<(), Reply> {
        let stored = match self.memory.open(user).await {
            Ok(mailboxes) => mailboxes.store("INBOX", &[], None, &self.body),
            Err(error) => Err(error),
        };
        stored.map(drop).map_err(|error| match error {
            StoreError::Limit(_) => reply(552, "5.3.4 message too big"),
            // The user was removed during the transaction.
            StoreError::NoPermission => reply(550, "5.1.1 no such user"),
            _ => reply(451, "4.3.0 mailbox unavailable"),
        })
    }
}

impl Transaction for Incoming {
    async fn rcpt(&mut self, to: &ForwardPath, _params: &RcptParameters) -> Result<(), Reply> {
        let user = self
            .memory
            .recipient(to)
            .ok_or_else(|| reply(550, "5.1.1 no such user"))?;
        self.recipients.push(user);
        Ok(())
    }

    async fn data(&mut self, chunk: bytes::Bytes) -> Result<(), Reply> {
        let size = self.body.len().saturating_sub(self.head);
        let too_big = size.saturating_add(chunk.len()) > self.memory.max_message_size;
        if self.too_big || too_big {
            // Nothing more is kept of a message that will not be delivered.
            self.too_big = true;
            self.body = Vec::new();
            return Err(reply(552, "5.3.4 message too big"));
        }
        self.body.extend_from_slice(&chunk);
        Ok(())
    }

    async fn commit(self) -> Vec<Result<(), Reply>> {
        if self.too_big {
            return vec![Err(reply(552, "5.3.4 message too big")); self.recipients.len()];
        }
        // A user named by several recipients gets the message once, and each recipient
        // gets that delivery's result.
        let mut done: Vec<(&str, Result<(), Reply>)> = Vec::new();
        for user in &self.recipients {
            if !done.iter().any(|(u, _)| u == user) {
                let result = self.deliver(user).await;
                done.push((user, result));
            }
        }
        self.recipients
            .iter()
            .map(|user| {
                done.iter()
                    .find(|(u, _)| u == user)
                    .map(|(_, result)| result.clone())
                    .expect("every user was delivered to")
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use bytes::Bytes;
    use tokio::io::AsyncReadExt;

    use super::*;
    use crate::{Mailbox, Mailboxes};

    fn client() -> Client {
        Client {
            peer: IpAddr::V4(Ipv4Addr::LOCALHOST),
            hello: "client.example".into(),
            user: None,
            tls: false,
        }
    }

    async fn start(memory: &Memory) -> Incoming {
        memory
            .mail(&client(), &ReversePath::Null, &MailParameters::default())
            .await
            .unwrap()
    }

    async fn rcpt(incoming: &mut Incoming, to: &str) -> Result<(), String> {
        let to = ForwardPath::parse(to).unwrap();
        incoming
            .rcpt(&to, &RcptParameters::default())
            .await
            .map_err(|reply| reply.to_string())
    }

    async fn inbox(memory: &Memory, user: &str) -> Vec<Vec<u8>> {
        let mailboxes = memory.open(user).await.unwrap();
        let (view, snapshot) = mailboxes.select("INBOX", true).await.unwrap();
        let mut bodies = Vec::new();
        for message in snapshot.messages {
            let mut body = Vec::new();
            let mut content = view.content(message.uid, 0).await.unwrap().unwrap();
            content.read_to_end(&mut body).await.unwrap();
            assert_eq!(usize::try_from(message.size).unwrap(), body.len());
            bodies.push(body);
        }
        bodies
    }

    #[tokio::test]
    async fn recipients_are_users_at_any_domain_or_by_whole_address() {
        let memory = Memory::new();
        memory.add_user("fred", "x");
        memory.add_user("bob@example.org", "x");
        memory.add_user("postmaster", "x");
        let mut incoming = start(&memory).await;
        assert_eq!(rcpt(&mut incoming, "<fred@example.com>").await, Ok(()));
        assert_eq!(rcpt(&mut incoming, "<bob@example.org>").await, Ok(()));
        assert_eq!(rcpt(&mut incoming, "<Postmaster>").await, Ok(()));
        assert_eq!(
            rcpt(&mut incoming, "<bob@example.net>").await,
            Err("550 5.1.1 no such user\r\n".into())
        );
        assert_eq!(
            rcpt(&mut incoming, "<Fred@example.com>").await,
            Err("550 5.1.1 no such user\r\n".into())
        );
        assert_eq!(
            incoming.recipients,
            ["fred", "bob@example.org", "postmaster"]
        );
    }

    #[tokio::test]
    async fn commit_delivers_to_each_inbox_once() {
        let memory = Memory::new();
        memory.add_user("fred", "x");
        memory.add_user("bob", "x");
        let mut incoming = start(&memory).await;
        rcpt(&mut incoming, "<fred@a.example>").await.unwrap();
        rcpt(&mut incoming, "<bob@b.example>").await.unwrap();
        rcpt(&mut incoming, "<fred@c.example>").await.unwrap();
        incoming
            .data(Bytes::from_static(b"Subject: hi\n\n"))
            .await
            .unwrap();
        incoming
            .data(Bytes::from_static(b"hello\r\n"))
            .await
            .unwrap();
        assert_eq!(incoming.commit().await, [Ok(()), Ok(()), Ok(())]);
        // Below the Return-Path of final delivery (the null sender here).
        let expected = b"Return-Path: <>\r\nSubject: hi\r\n\r\nhello\r\n".to_vec();
        assert_eq!(inbox(&memory, "fred").await, inbox(&memory, "bob").await);
        assert_eq!(inbox(&memory, "bob").await, [expected]);
        let status = memory
            .open("fred")
            .await
            .unwrap()
            .status("INBOX")
            .await
            .unwrap();
        assert_eq!((status.messages, status.recent, status.unseen), (1, 1, 1));
    }

    #[tokio::test]
    async fn a_message_over_the_limit_is_refused() {
        let mut memory = Memory::new();
        assert_eq!(memory.max_message_size, 50 * 1024 * 1024);
        memory.max_message_size = 8;
        memory.add_user("fred", "x");
        let mut incoming = start(&memory).await;
        rcpt(&mut incoming, "<fred@a.example>").await.unwrap();
        incoming.data(Bytes::from_static(b"12345")).await.unwrap();
        let refused = incoming
            .data(Bytes::from_static(b"6789"))
            .await
            .unwrap_err();
        assert_eq!(refused.to_string(), "552 5.3.4 message too big\r\n");
        let refused = incoming.data(Bytes::from_static(b"0")).await.unwrap_err();
        assert_eq!(refused.to_string(), "552 5.3.4 message too big\r\n");
        assert_eq!(
            incoming.commit().await,
            [Err(reply(552, "5.3.4 message too big"))]
        );
        assert!(inbox(&memory, "fred").await.is_empty());
    }

    #[tokio::test]
    async fn an_abandoned_transaction_delivers_nothing() {
        let memory = Memory::new();
        memory.add_user("fred", "x");
        let mut incoming = start(&memory).await;
        rcpt(&mut incoming, "<fred@a.example>").await.unwrap();
        incoming
            .data(Bytes::from_static(b"body\r\n"))
            .await
            .unwrap();
        drop(incoming);
        assert!(inbox(&memory, "fred").await.is_empty());
    }
}
