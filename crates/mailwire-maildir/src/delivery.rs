//! Delivery: mail for users whose Maildir exists goes to their INBOX.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use mailwire_server::{Client, Delivery, Transaction, trace};
use mailwire_smtp::{ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};

use crate::MaildirStore;
use crate::filename::{unique, with_sizes};
use crate::folder::{self, CrlfCounter};

/// A reply from text known to be valid.
fn reply(code: u16, text: &str) -> Reply {
    Reply::new(code, text).expect("a valid reply")
}

fn too_big() -> Reply {
    reply(552, "5.3.4 message too big")
}

fn unavailable() -> Reply {
    reply(451, "4.3.0 mailbox unavailable")
}

impl Delivery for MaildirStore {
    type Transaction = Incoming;

    async fn mail(
        &self,
        _client: &Client,
        from: &ReversePath,
        _params: &MailParameters,
    ) -> Result<Incoming, Reply> {
        Ok(Incoming {
            store: self.clone(),
            head: Head::new(trace::return_path(from)),
            recipients: Vec::new(),
            body: None,
            size: 0,
            counter: CrlfCounter::default(),
            too_big: false,
            failed: false,
        })
    }
}

/// A message on its way into users' Maildirs: the users it is for, and its body so far,
/// written into the `tmp/` of the first recipient's Maildir as it arrives.
///
/// This is final delivery: the file starts with a [`trace::return_path`] field naming
/// the sender (RFC 5321 §4.4), above the body as the SMTP server passed it on.
///
/// At [`commit`](Transaction::commit) the file is synced and linked into each
/// recipient's `new/` (copied where it cannot be linked); dropped without a commit, it
/// is removed.
pub struct Incoming {
    store: MaildirStore,
    /// The `Return-Path:` field.
    head: Head,
    /// Each accepted recipient's user and Maildir, in the order accepted.
    recipients: Vec<(String, PathBuf)>,
    /// The body's file in `tmp/`, its path and the unique name it has there.
    body: Body,
    /// The size of the body as handed over, without the `Return-Path:` field: what
    /// [`MaildirStore::max_message_size`] limits.
    size: u64,
    counter: CrlfCounter,
    too_big: bool,
    failed: bool,
}

/// The field final delivery puts above the body, until it is written.
#[derive(Debug)]
struct Head {
    pending: Vec<u8>,
    len: u64,
}

impl Head {
    fn new(field: String) -> Self {
        Self {
            len: u64::try_from(field.len()).unwrap_or(u64::MAX),
            pending: field.into_bytes(),
        }
    }
}

impl std::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Incoming")
            .field("recipients", &self.recipients)
            .field("size", &self.size)
            .field("too_big", &self.too_big)
            .finish_non_exhaustive()
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if let Some((_, path, _)) = self.body.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Incoming {
    /// Writes a piece of the body, opening the file at the first one.
    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        let maildir = self
            .recipients
            .first()
            .map(|(_, maildir)| maildir.as_path());
        write_body(&mut self.body, maildir, self.store.host(), chunk)
    }

    /// Writes a piece of the body on the blocking pool.
    async fn write_off_thread(&mut self, chunk: Bytes) -> io::Result<()> {
        let mut body = self.body.take();
        let maildir = self.recipients.first().map(|(_, maildir)| maildir.clone());
        let host = self.store.host().to_owned();
        let (body, written) = tokio::task::spawn_blocking(move || {
            let written = write_body(&mut body, maildir.as_deref(), &host, &chunk);
            (body, written)
        })
        .await
        .map_err(io::Error::other)?;
        self.body = body;
        written
    }

    /// Syncs the body and links it into each recipient's `new/`; one result per user.
    fn deliver(&mut self) -> Vec<(String, Result<(), Reply>)> {
        let users: Vec<(String, PathBuf)> = {
            let mut users: Vec<(String, PathBuf)> = Vec::new();
            for (user, maildir) in &self.recipients {
                if !users.iter().any(|(u, _)| u == user) {
                    users.push((user.clone(), maildir.clone()));
                }
            }
            users
        };
        let head = std::mem::take(&mut self.head.pending);
        self.counter.feed(&head);
        if self.body.is_none() && self.write(&head).is_err() {
            return users
                .into_iter()
                .map(|(u, _)| (u, Err(unavailable())))
                .collect();
        }
        let Some((file, path, name)) = self.body.as_ref() else {
            return Vec::new();
        };
        if file.sync_all().is_err() {
            return users
                .into_iter()
                .map(|(u, _)| (u, Err(unavailable())))
                .collect();
        }
        let base = with_sizes(name, self.size + self.head.len, self.counter.size);
        users
            .into_iter()
            .map(|(user, maildir)| {
                let new = maildir.join("new");
                let target = new.join(&base);
                let placed = std::fs::hard_link(path, &target)
                    .or_else(|_| copy_synced(path, &maildir.join("tmp").join(&base), &target))
                    .and_then(|()| folder::sync_dir(&new));
                if placed.is_ok() {
                    self.store.notify(&user, &maildir);
                }
                (user, placed.map_err(|_| unavailable()))
            })
            .collect()
    }
}

/// A body's file in `tmp/`, its path and the unique name it has there.
type Body = Option<(File, PathBuf, String)>;

/// Writes a piece of a body, opening its file in the `tmp/` of `maildir` (the first
/// recipient's) at the first piece.
fn write_body(body: &mut Body, maildir: Option<&Path>, host: &str, chunk: &[u8]) -> io::Result<()> {
    let (file, _, _) = match body {
        Some(body) => body,
        None => {
            let maildir = maildir.ok_or_else(|| io::Error::other("no recipient"))?;
            let name = unique(host);
            let path = maildir.join("tmp").join(&name);
            let file = File::options()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)?;
            body.insert((file, path, name))
        }
    };
    file.write_all(chunk)
}

/// Copies a file through `tmp`, synced, into `target`.
fn copy_synced(source: &Path, tmp: &Path, target: &Path) -> io::Result<()> {
    let copied = std::fs::copy(source, tmp)
        .and_then(|_| File::open(tmp)?.sync_all())
        .and_then(|()| std::fs::rename(tmp, target));
    if copied.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    copied
}

impl Transaction for Incoming {
    async fn rcpt(&mut self, to: &ForwardPath, _params: &RcptParameters) -> Result<(), Reply> {
        let candidates = match to.mailbox() {
            Some(mailbox) => vec![mailbox.to_string(), mailbox.local_part().to_owned()],
            None => vec!["postmaster".to_owned()],
        };
        let found = candidates
            .into_iter()
            .find_map(|user| Some((self.store.existing(&user)?, user)));
        let Some((maildir, user)) = found else {
            return Err(reply(550, "5.1.1 no such user"));
        };
        self.recipients.push((user, maildir));
        Ok(())
    }

    async fn data(&mut self, mut chunk: Bytes) -> Result<(), Reply> {
        let size = self
            .size
            .saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        if self.too_big || size > self.store.max_message_size {
            // Nothing more is kept of a message that will not be delivered.
            self.too_big = true;
            if let Some((_, path, _)) = self.body.take() {
                let _ = std::fs::remove_file(path);
            }
            return Err(too_big());
        }
        if !self.head.pending.is_empty() {
            let mut first = std::mem::take(&mut self.head.pending);
            first.extend_from_slice(&chunk);
            chunk = Bytes::from(first);
        }
        self.counter.feed(&chunk);
        if self.failed || self.write_off_thread(chunk).await.is_err() {
            self.failed = true;
            return Err(unavailable());
        }
        self.size = size;
        Ok(())
    }

    async fn commit(mut self) -> Vec<Result<(), Reply>> {
        if self.too_big || self.failed {
            let refusal = if self.too_big {
                too_big()
            } else {
                unavailable()
            };
            return vec![Err(refusal); self.recipients.len()];
        }
        // A user named by several recipients gets the message once, and each recipient
        // gets that delivery's result.
        let count = self.recipients.len();
        let done = tokio::task::spawn_blocking(move || {
            let done = self.deliver();
            self.recipients
                .iter()
                .map(|(user, _)| {
                    done.iter()
                        .find(|(u, _)| u == user)
                        .map_or_else(|| Err(unavailable()), |(_, result)| result.clone())
                })
                .collect()
        })
        .await;
        done.unwrap_or_else(|_| vec![Err(unavailable()); count])
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mailwire_server::store::Change;
    use mailwire_server::{MailStore, Mailbox, Mailboxes};
    use tokio::io::AsyncReadExt;

    use super::*;

    /// The sender of every test message.
    const RETURN_PATH: &[u8] = b"Return-Path: <sender@example.org>\r\n";

    async fn start(store: &MaildirStore) -> Incoming {
        let client = Client::new("192.0.2.1".parse().unwrap(), "client.example.org");
        let from = ReversePath::parse("<sender@example.org>").unwrap();
        store
            .mail(&client, &from, &MailParameters::default())
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

    /// A store with users whose Maildirs exist.
    async fn store(users: &[&str]) -> (tempfile::TempDir, MaildirStore) {
        let root = tempfile::tempdir().unwrap();
        let store = MaildirStore::new(root.path().to_owned());
        for user in users {
            store.open(user).await.unwrap();
        }
        (root, store)
    }

    async fn inbox(store: &MaildirStore, user: &str) -> Vec<Vec<u8>> {
        let maildir = store.open(user).await.unwrap();
        let (view, snapshot) = maildir.select("INBOX", true).await.unwrap();
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

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn recipients_are_users_with_a_maildir() {
        let (root, store) = store(&["fred", "bob@example.org", "postmaster"]).await;
        std::fs::create_dir_all(root.path().join("ann")).unwrap();
        let mut incoming = start(&store).await;
        assert_eq!(rcpt(&mut incoming, "<fred@example.com>").await, Ok(()));
        assert_eq!(rcpt(&mut incoming, "<bob@example.org>").await, Ok(()));
        assert_eq!(rcpt(&mut incoming, "<Postmaster>").await, Ok(()));
        for unknown in [
            "<bob@example.net>",
            "<ann@example.com>",
            r#"<"../fred"@x.example>"#,
        ] {
            assert_eq!(
                rcpt(&mut incoming, unknown).await,
                Err("550 5.1.1 no such user\r\n".into()),
                "{unknown}"
            );
        }
        let users: Vec<&str> = incoming
            .recipients
            .iter()
            .map(|(u, _)| u.as_str())
            .collect();
        assert_eq!(users, ["fred", "bob@example.org", "postmaster"]);
    }

    #[tokio::test(start_paused = true)]
    async fn commit_delivers_to_each_inbox_once_and_wakes_views() {
        let (root, store) = store(&["fred", "bob"]).await;
        let fred = store.open("fred").await.unwrap();
        let (mut view, _) = fred.select("INBOX", false).await.unwrap();
        let waiter = tokio::spawn(async move { view.wait_changes().await });
        tokio::task::yield_now().await;

        let mut incoming = start(&store).await;
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

        let changes = tokio::time::timeout(Duration::from_secs(60), waiter)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let [Change::Appended(meta)] = changes.as_slice() else {
            panic!("{changes:?}")
        };
        // The stored message is the body below the sender's Return-Path (35 octets).
        assert_eq!(RETURN_PATH.len(), 35);
        assert_eq!((meta.uid, meta.size, meta.recent), (1, 57, true));
        let expected = [RETURN_PATH, b"Subject: hi\r\n\r\nhello\r\n"].concat();
        assert_eq!(inbox(&store, "bob").await, inbox(&store, "fred").await);
        assert_eq!(inbox(&store, "fred").await, [expected]);
        let bob = root.path().join("bob/Maildir");
        let new = files(&bob.join("new"));
        assert_eq!(new.len(), 1);
        assert!(new[0].ends_with(",S=55,W=57"), "{new:?}");
        assert!(files(&bob.join("tmp")).is_empty());
        assert!(files(&root.path().join("fred/Maildir/tmp")).is_empty());
    }

    #[tokio::test]
    async fn an_empty_body_is_its_return_path() {
        let (_root, store) = store(&["fred"]).await;
        let mut incoming = start(&store).await;
        rcpt(&mut incoming, "<fred@a.example>").await.unwrap();
        assert_eq!(incoming.commit().await, [Ok(())]);
        assert_eq!(inbox(&store, "fred").await, [RETURN_PATH.to_vec()]);
    }

    #[tokio::test]
    async fn a_null_sender_has_an_empty_return_path() {
        let (_root, store) = store(&["fred"]).await;
        let client = Client::new("192.0.2.1".parse().unwrap(), "client.example.org");
        let mut incoming = store
            .mail(&client, &ReversePath::Null, &MailParameters::default())
            .await
            .unwrap();
        rcpt(&mut incoming, "<fred@a.example>").await.unwrap();
        incoming.data(Bytes::from_static(b"x\r\n")).await.unwrap();
        assert_eq!(incoming.commit().await, [Ok(())]);
        assert_eq!(
            inbox(&store, "fred").await,
            [b"Return-Path: <>\r\nx\r\n".to_vec()]
        );
    }

    #[tokio::test]
    async fn a_message_over_the_limit_is_refused() {
        let (root, mut store) = store(&[]).await;
        store.max_message_size = 8;
        store.open("fred").await.unwrap();
        let mut incoming = start(&store).await;
        rcpt(&mut incoming, "<fred@a.example>").await.unwrap();
        incoming.data(Bytes::from_static(b"12345")).await.unwrap();
        let refused = incoming
            .data(Bytes::from_static(b"6789"))
            .await
            .unwrap_err();
        // The limit is on the body as handed over: the Return-Path does not count.
        assert_eq!(refused.to_string(), "552 5.3.4 message too big\r\n");
        assert_eq!(incoming.commit().await, [Err(too_big())]);
        assert!(inbox(&store, "fred").await.is_empty());
        assert!(files(&root.path().join("fred/Maildir/tmp")).is_empty());
    }

    #[tokio::test]
    async fn an_abandoned_transaction_delivers_nothing() {
        let (root, store) = store(&["fred"]).await;
        let mut incoming = start(&store).await;
        rcpt(&mut incoming, "<fred@a.example>").await.unwrap();
        incoming
            .data(Bytes::from_static(b"body\r\n"))
            .await
            .unwrap();
        assert_eq!(files(&root.path().join("fred/Maildir/tmp")).len(), 1);
        drop(incoming);
        assert!(files(&root.path().join("fred/Maildir/tmp")).is_empty());
        assert!(inbox(&store, "fred").await.is_empty());
    }
}
