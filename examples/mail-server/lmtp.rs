//! LMTP both ways: local mail handed to an LMTP server such as Dovecot's `lmtp` instead of
//! the Maildirs (`--lmtp-deliver`), and an LMTP listener for other MTAs (`--lmtp`).
//!
//! With `--lmtp-deliver`, mail for the accounts arriving over SMTP (any of the SMTP and
//! submission ports) goes into the relay queue, synced before the `250`, as mail for other
//! domains does; the accounts are still checked at RCPT (an unknown user gets
//! `550 5.1.1`). The relay task then hands it to the LMTP server: the LMTP server answers
//! each recipient after the data, where SMTP has one reply for all of them, so a message
//! it takes for one account and refuses for another (`452` for a full mailbox) would
//! otherwise lose the refused copy behind the client's `250`. From the queue, each
//! recipient's reply counts on its own: delivered; `4xx` retried with the relay's backoff;
//! `5xx` reported to the sender (RFC 3464). The relay's delivery, [`Mailboxes`], goes
//! straight to the LMTP server and never queues again.
//!
//! Each recipient is named to the LMTP server by its account's address, once however many
//! of the account's addresses the message names; its reply for that address is the reply
//! for each of them. An LMTP server that cannot be reached is a `451 4.4.1`, retried.
//!
//! The LMTP listener has no TLS and no AUTH: it is for MTAs on the same machine or a
//! trusted network. It takes mail for the local accounts only (other domains get
//! `550 5.7.1`) and answers each recipient after the data (RFC 2033 §4.2), with the LMTP
//! server's own reply under `--lmtp-deliver`: nothing is queued, as each recipient's
//! answer reaches the client.

use std::sync::Arc;

use bytes::Bytes;
use mailwire::maildir::{Incoming, MaildirStore};
use mailwire::server::{
    Client, Delivery, LmtpDelivery, MailStore, SmtpServer, Throttle, ToLmtp, Transaction,
};
use mailwire::smtp::server::Config as SmtpConfig;
use mailwire::smtp::{Domain, ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};

use crate::accounts::{Accounts, Mailboxes};

/// The LMTP listener's server: mail for the local accounts, no AUTH, one reply per
/// recipient.
pub(crate) fn server(
    hostname: Domain,
    max_message_size: u64,
    accounts: &Arc<Accounts>,
    throttle: &Arc<Throttle>,
) -> Arc<SmtpServer<Accounts, Mailboxes>> {
    let mut config = SmtpConfig::new(hostname);
    config.lmtp = true;
    config.max_message_size = Some(max_message_size);
    config.auth_mechanisms.clear();
    Arc::new(SmtpServer::new(
        config,
        Arc::clone(accounts),
        Arc::new(Mailboxes(Arc::clone(accounts))),
        Arc::clone(throttle),
    ))
}

/// Where mail for local accounts goes.
#[derive(Debug)]
pub(crate) enum Local {
    /// Into each account's Maildir.
    Maildir(MaildirStore),
    /// To an LMTP server (boxed: its client settings are large, the Maildir store small).
    Lmtp(Box<LmtpDelivery>),
}

impl Local {
    /// Starts a message for local accounts.
    pub(crate) async fn mail(
        &self,
        client: &Client,
        from: &ReversePath,
        params: &MailParameters,
    ) -> Result<LocalMessage, Reply> {
        Ok(match self {
            Self::Maildir(store) => LocalMessage::Maildir {
                store: store.clone(),
                inner: store.mail(client, from, params).await?,
            },
            Self::Lmtp(lmtp) => LocalMessage::Lmtp {
                inner: Box::new(lmtp.mail(client, from, params).await?),
                addresses: Vec::new(),
                slots: Vec::new(),
            },
        })
    }
}

/// A message on its way to local accounts.
#[derive(Debug)]
pub(crate) enum LocalMessage {
    /// Into Maildirs, which take each account's message once by themselves.
    Maildir {
        store: MaildirStore,
        inner: Incoming,
    },
    /// To the LMTP server (boxed: it carries the client settings).
    Lmtp {
        inner: Box<ToLmtp>,
        /// Each account's address named to the LMTP server, once.
        addresses: Vec<String>,
        /// For each recipient accepted, in order, its address's place in `addresses`.
        slots: Vec<usize>,
    },
}

impl LocalMessage {
    /// Takes a recipient whose account's address is `address`.
    pub(crate) async fn rcpt(
        &mut self,
        address: &str,
        params: &RcptParameters,
    ) -> Result<(), Reply> {
        let to = ForwardPath::parse(&format!("<{address}>"))
            .map_err(|_| reply(451, "4.3.0 mailbox unavailable"))?;
        match self {
            Self::Maildir { store, inner } => {
                // Creates the account's Maildir at its first delivery.
                store
                    .open(address)
                    .await
                    .map_err(|_| reply(451, "4.3.0 mailbox unavailable"))?;
                inner.rcpt(&to, params).await
            }
            Self::Lmtp {
                inner,
                addresses,
                slots,
            } => {
                if let Some(slot) = addresses.iter().position(|a| a == address) {
                    slots.push(slot);
                    return Ok(());
                }
                inner.rcpt(&to, params).await?;
                slots.push(addresses.len());
                addresses.push(address.to_owned());
                Ok(())
            }
        }
    }

    /// The next piece of the body.
    pub(crate) async fn data(&mut self, chunk: Bytes) -> Result<(), Reply> {
        match self {
            Self::Maildir { inner, .. } => inner.data(chunk).await,
            Self::Lmtp { inner, .. } => inner.data(chunk).await,
        }
    }

    /// Delivers: one result per recipient accepted, in order.
    pub(crate) async fn commit(self) -> Vec<Result<(), Reply>> {
        match self {
            Self::Maildir { inner, .. } => inner.commit().await,
            Self::Lmtp { inner, slots, .. } => {
                let results = inner.commit().await;
                let lost = || Err(reply(451, "4.3.0 no result for this recipient"));
                slots
                    .iter()
                    .map(|&slot| results.get(slot).cloned().unwrap_or_else(lost))
                    .collect()
            }
        }
    }
}

/// A reply from text known to be valid.
fn reply(code: u16, text: &str) -> Reply {
    Reply::new(code, text).expect("a valid reply")
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use mailwire::server::memory::Memory;
    use mailwire::server::{Accepted, LmtpTarget, Security, Service};
    use mailwire::tokio::{MaybeTlsStream, Tls};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;
    use crate::accounts::tests::below_trace;
    use crate::accounts::{LiveUsers, Users};

    /// What the LMTP server behind was given: each message's recipients and body.
    type Seen = Arc<Mutex<Vec<(Vec<String>, Vec<u8>)>>>;

    /// The LMTP server behind: takes every recipient, but answers `452` after the data
    /// once for each address listed in its second field (a full mailbox).
    #[derive(Debug, Clone, Default)]
    struct Behind(Seen, Arc<Mutex<Vec<String>>>);

    struct Message(Seen, Vec<String>, Vec<u8>, Arc<Mutex<Vec<String>>>);

    impl Delivery for Behind {
        type Transaction = Message;

        async fn mail(
            &self,
            _client: &Client,
            _from: &ReversePath,
            _params: &MailParameters,
        ) -> Result<Message, Reply> {
            Ok(Message(
                Arc::clone(&self.0),
                Vec::new(),
                Vec::new(),
                Arc::clone(&self.1),
            ))
        }
    }

    impl Transaction for Message {
        async fn rcpt(&mut self, to: &ForwardPath, _: &RcptParameters) -> Result<(), Reply> {
            self.1.push(to.to_string());
            Ok(())
        }

        async fn data(&mut self, chunk: Bytes) -> Result<(), Reply> {
            self.2.extend_from_slice(&chunk);
            Ok(())
        }

        async fn commit(self) -> Vec<Result<(), Reply>> {
            let mut full = self.3.lock().unwrap();
            let results = self
                .1
                .iter()
                .map(|to| match full.iter().position(|f| f == to) {
                    Some(at) => {
                        full.remove(at);
                        Err(reply(452, "4.2.2 mailbox full"))
                    }
                    None => Ok(()),
                })
                .collect();
            self.0.lock().unwrap().push((self.1, self.2));
            results
        }
    }

    /// Serves `service` on a free port, one connection after another.
    async fn serve<S: Service>(service: Arc<S>) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                let stream = MaybeTlsStream::Plain(stream);
                let accepted = Accepted::new(stream, peer, Security::Plain, Tls::None);
                tokio::spawn(Arc::clone(&service).serve(accepted));
            }
        });
        at
    }

    /// The example's LMTP listener over the demo account (`user@localhost`), its mail
    /// going to the LMTP server at `target`.
    async fn listener(target: LmtpTarget) -> (tempfile::TempDir, std::net::SocketAddr) {
        let data = tempfile::tempdir().unwrap();
        let (users, _) = Users::demo().unwrap();
        let users = LiveUsers::fixed(users);
        let mut accounts = Accounts::new(users, data.path().to_owned(), 1 << 20).unwrap();
        accounts.deliver_through(LmtpDelivery::new(target));
        let accounts = Arc::new(accounts);
        let hostname = Domain::new("localhost").unwrap();
        let throttle = Arc::new(Throttle::new());
        let at = serve(server(hostname, 1 << 20, &accounts, &throttle)).await;
        (data, at)
    }

    /// Sends `lines` (each ending in CRLF once sent) and returns what came back, until
    /// `replies` complete reply lines have arrived.
    async fn exchange(s: &mut BufReader<TcpStream>, text: &str, replies: usize) -> String {
        s.get_mut().write_all(text.as_bytes()).await.unwrap();
        let mut got = String::new();
        for _ in 0..replies {
            loop {
                let mut line = String::new();
                s.read_line(&mut line).await.unwrap();
                assert!(!line.is_empty(), "closed; got {got:?}");
                got.push_str(&line);
                if line.as_bytes().get(3) != Some(&b'-') {
                    break;
                }
            }
        }
        got
    }

    #[tokio::test]
    async fn lmtp_in_and_out_with_accounts_checked_here() {
        let behind = Behind::default();
        let upstream = serve(Arc::new(SmtpServer::new(
            {
                let mut config = SmtpConfig::new(Domain::new("dovecot.test").unwrap());
                config.lmtp = true;
                config
            },
            Arc::new(Memory::new()),
            Arc::new(behind.clone()),
            Arc::new(Throttle::new()),
        )))
        .await;
        let (data, at) = listener(LmtpTarget::Tcp(upstream.to_string())).await;
        let mut s = BufReader::new(TcpStream::connect(at).await.unwrap());
        let greeting = exchange(&mut s, "", 1).await;
        assert!(greeting.starts_with("220 localhost"), "{greeting}");
        let lhlo = exchange(&mut s, "LHLO mta.test\r\n", 1).await;
        assert!(!lhlo.contains("AUTH"), "{lhlo}");
        assert!(!lhlo.contains("STARTTLS"), "{lhlo}");
        let envelope = "MAIL FROM:<ann@example.com>\r\n\
                        RCPT TO:<user@localhost>\r\n\
                        RCPT TO:<nobody@localhost>\r\n\
                        RCPT TO:<Postmaster>\r\n\
                        RCPT TO:<bob@example.com>\r\n\
                        DATA\r\n";
        assert_eq!(
            exchange(&mut s, envelope, 6).await,
            "250 2.1.0 Ok\r\n\
             250 2.1.5 Ok\r\n\
             550 5.1.1 no such user here\r\n\
             250 2.1.5 Ok\r\n\
             550 5.7.1 relaying denied\r\n\
             354 End data with <CR><LF>.<CR><LF>\r\n"
        );
        // One reply for each accepted recipient: the LMTP server's, for the account's
        // one delivery.
        assert_eq!(
            exchange(&mut s, "Subject: hi\r\n\r\n..dot\r\n.\r\n", 2).await,
            "250 2.0.0 Delivered\r\n250 2.0.0 Delivered\r\n"
        );
        // Below the LMTP server's own Received field and this listener's.
        let mut seen = behind.0.lock().unwrap().clone();
        seen[0].1 = below_trace(
            &seen[0].1,
            &[
                "Received: from [127.0.0.1] ([127.0.0.1])\r\n\tby dovecot.test with LMTP id ",
                "Received: from mta.test ([127.0.0.1])\r\n\tby localhost with LMTP id ",
            ],
        );
        assert_eq!(
            seen,
            [(
                vec!["<user@localhost>".to_owned()],
                b"Subject: hi\r\n\r\n.dot\r\n".to_vec()
            )]
        );
        // Nothing went into a Maildir here.
        assert!(!data.path().join("localhost").exists());
    }

    #[tokio::test]
    async fn an_lmtp_server_down_is_a_temporary_failure_for_each_recipient() {
        let free = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let nobody_there = free.local_addr().unwrap();
        drop(free);
        let (_data, at) = listener(LmtpTarget::Tcp(nobody_there.to_string())).await;
        let mut s = BufReader::new(TcpStream::connect(at).await.unwrap());
        exchange(&mut s, "LHLO mta.test\r\n", 2).await;
        let envelope = "MAIL FROM:<ann@example.com>\r\n\
                        RCPT TO:<user@localhost>\r\n\
                        RCPT TO:<postmaster@localhost>\r\n\
                        DATA\r\n";
        exchange(&mut s, envelope, 4).await;
        assert_eq!(
            exchange(&mut s, "Subject: hi\r\n\r\nhello\r\n.\r\n", 2).await,
            "451 4.4.1 mailbox server unreachable, try again later\r\n\
             451 4.4.1 mailbox server unreachable, try again later\r\n"
        );
    }

    /// Two accounts, alice@localhost and bob@localhost (both with the password
    /// `open sesame`, hashed cheaply).
    fn two_users() -> Users {
        let hash = "{ARGON2ID}$argon2id$v=19$m=8,t=1,p=1$YXJnb24gc2FsdA$\
            UAVFbTgIg5GaBvPgh2z8D0yptLgj4ntgEkmS57Vc0gM:\
            {SCRAM-SHA-256}4096,c2NyYW0gc2FsdA==,\
            z01B3FxnwPKZO9rVhxFaax+t9WnlBwd06dE5PY6wGD0=,\
            TRsF5gDCZHRlQuhpXPiKMfb9CSX9p9xNMMzePf8sOEc=";
        let text = format!("alice@localhost:{hash}\nbob@localhost:{hash}\n");
        Users::parse(&text, std::path::Path::new("users")).unwrap()
    }

    #[tokio::test]
    async fn over_smtp_local_mail_is_queued_and_a_452_from_lmtp_is_retried() {
        use mailwire::relay::{Clock, Config as RelayConfig, Intake, Queue, Relay, Status};

        const T0: u64 = 1_700_000_000;
        let behind = Behind::default();
        behind.1.lock().unwrap().push("<bob@localhost>".to_owned());
        let upstream = serve(Arc::new(SmtpServer::new(
            {
                let mut config = SmtpConfig::new(Domain::new("dovecot.test").unwrap());
                config.lmtp = true;
                config
            },
            Arc::new(Memory::new()),
            Arc::new(behind.clone()),
            Arc::new(Throttle::new()),
        )))
        .await;
        let data = tempfile::tempdir().unwrap();
        let hostname = Domain::new("localhost").unwrap();
        let clock = Clock::manual(T0);
        let queue = Queue::open_with(data.path().join("queue"), clock.clone()).unwrap();
        let users = LiveUsers::fixed(two_users());
        let mut accounts = Accounts::new(users, data.path().to_owned(), 1 << 20).unwrap();
        accounts.deliver_through(LmtpDelivery::new(LmtpTarget::Tcp(upstream.to_string())));
        accounts.relay_through(Intake::new(queue.clone()));
        let accounts = Arc::new(accounts);
        let smtp = serve(Arc::new(SmtpServer::new(
            SmtpConfig::new(hostname.clone()),
            Arc::clone(&accounts),
            Arc::clone(&accounts),
            Arc::new(Throttle::new()),
        )))
        .await;

        let mut s = BufReader::new(TcpStream::connect(smtp).await.unwrap());
        exchange(&mut s, "EHLO mta.test\r\n", 2).await;
        let envelope = "MAIL FROM:<ann@example.com>\r\n\
                        RCPT TO:<alice@localhost>\r\n\
                        RCPT TO:<Bob@Localhost>\r\n\
                        RCPT TO:<nobody@localhost>\r\n\
                        DATA\r\n";
        assert_eq!(
            exchange(&mut s, envelope, 5).await,
            "250 2.1.0 Ok\r\n\
             250 2.1.5 Ok\r\n\
             250 2.1.5 Ok\r\n\
             550 5.1.1 no such user here\r\n\
             354 End data with <CR><LF>.<CR><LF>\r\n"
        );
        let done = exchange(&mut s, "Subject: hi\r\n\r\nhello\r\n.\r\n", 1).await;
        assert_eq!(done, "250 2.0.0 Ok: queued\r\n");
        // On disk before the 250; nothing handed to the LMTP server yet.
        assert_eq!(queue.list().len(), 1);
        assert!(behind.0.lock().unwrap().is_empty());

        let mut config = RelayConfig::new(hostname);
        config.local_domains = accounts.domains();
        config.dns = false;
        let mailboxes = Arc::new(Mailboxes(Arc::clone(&accounts)));
        let relay = Relay::new(queue.clone(), config, mailboxes);
        assert_eq!(relay.deliver_due().await, 1);
        let entry = &queue.list()[0];
        let (alice, bob) = (&entry.recipients[0], &entry.recipients[1]);
        assert_eq!(alice.status, Status::Delivered);
        assert_eq!(
            (bob.status, bob.attempts, bob.next_attempt),
            (Status::Pending, 1, T0 + 300)
        );
        assert_eq!(bob.last_error.as_deref(), Some("452 4.2.2 mailbox full"));

        clock.advance(std::time::Duration::from_secs(300));
        assert_eq!(relay.deliver_due().await, 1);
        assert_eq!(queue.list(), []);
        let seen = behind.0.lock().unwrap().clone();
        let to: Vec<&[String]> = seen.iter().map(|(to, _)| to.as_slice()).collect();
        assert_eq!(
            to,
            [
                &["<alice@localhost>".to_owned(), "<bob@localhost>".to_owned()][..],
                &["<bob@localhost>".to_owned()][..],
            ]
        );
        // The same bytes both times below the LMTP server's own field: the Received
        // field of the SMTP port that queued it, then the message.
        let lmtp = "Received: from [127.0.0.1] ([127.0.0.1])\r\n\tby dovecot.test with LMTP id ";
        let first = below_trace(&seen[0].1, &[lmtp]);
        assert_eq!(first, below_trace(&seen[1].1, &[lmtp]));
        let smtp = "Received: from mta.test ([127.0.0.1])\r\n\tby localhost with ESMTP id ";
        assert_eq!(
            below_trace(&first, &[smtp]),
            b"Subject: hi\r\n\r\nhello\r\n"
        );
        // Nothing went into a Maildir here.
        assert!(!data.path().join("localhost").exists());
    }
}
