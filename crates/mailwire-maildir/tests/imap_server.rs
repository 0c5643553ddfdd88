//! mailwire-server's IMAP server over Maildirs, from the wire: the commands that reach
//! the store, and IDLE woken by this process's changes at once and by another process's
//! delivery through the rescan.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mailwire_imap::server::Config;
use mailwire_maildir::{Maildir, MaildirStore};
use mailwire_server::memory::Memory;
use mailwire_server::{Accepted, ImapServer, Security, Service, Throttle};
use mailwire_tokio::{MaybeTlsStream, Tls};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// Longest any step waits for the server: a lost wake-up fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(10);

const MESSAGE: &str =
    "From: ann@example.org\r\nTo: fred@example.org\r\nSubject: lunch\r\n\r\nAt noon?\r\n";

type Server = ImapServer<Memory, MaildirStore>;

/// A server whose user `fred` (password `secret`) has a Maildir under a scratch root.
fn server() -> (TempDir, Arc<Server>) {
    let root = tempfile::tempdir().unwrap();
    let users = Memory::new();
    users.add_user("fred", "secret");
    let mut config = Config::default();
    config.plaintext_auth = true;
    let server = ImapServer::new(
        config,
        Arc::new(users),
        Arc::new(MaildirStore::new(root.path().to_owned())),
        Arc::new(Throttle::new()),
    );
    (root, Arc::new(server))
}

/// A client's end of a connection, served in its own task.
struct Wire {
    io: DuplexStream,
    buf: Vec<u8>,
}

impl Wire {
    async fn logged_in(server: &Arc<Server>) -> Self {
        let (client, end) = tokio::io::duplex(256 * 1024);
        let peer = SocketAddr::from(([192, 0, 2, 7], 40000));
        let accepted = Accepted::new(MaybeTlsStream::Plain(end), peer, Security::Plain, Tls::None);
        tokio::spawn(Arc::clone(server).serve(accepted));
        let mut wire = Self {
            io: client,
            buf: Vec::new(),
        };
        wire.until("* OK").await;
        let login = wire.ask("l LOGIN fred secret", "l ").await;
        assert!(login.starts_with("l OK"), "{login}");
        wire
    }

    /// Reads until a line starting with `prefix` has arrived; returns all up to it.
    async fn until(&mut self, prefix: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let mut start = 0;
            while let Some(len) = self.buf[start..].iter().position(|&b| b == b'\n') {
                let end = start + len + 1;
                if self.buf[start..end].starts_with(prefix.as_bytes()) {
                    let rest = self.buf.split_off(end);
                    let got = std::mem::replace(&mut self.buf, rest);
                    return String::from_utf8(got).unwrap();
                }
                start = end;
            }
            let mut chunk = vec![0; 64 * 1024];
            let n = tokio::time::timeout_at(deadline, self.io.read(&mut chunk))
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "no {prefix:?} line; got {:?}",
                        String::from_utf8_lossy(&self.buf)
                    )
                })
                .unwrap();
            assert!(
                n > 0,
                "closed; got {:?}",
                String::from_utf8_lossy(&self.buf)
            );
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    async fn ask(&mut self, command: &str, prefix: &str) -> String {
        self.io
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .unwrap();
        self.until(prefix).await
    }
}

#[tokio::test]
async fn append_select_fetch_store_copy_expunge() {
    let (root, server) = server();
    let mut w = Wire::logged_in(&server).await;

    let append = w
        .ask(
            &format!("a APPEND INBOX {{{}+}}\r\n{MESSAGE}", MESSAGE.len()),
            "a ",
        )
        .await;
    assert!(append.starts_with("a OK [APPENDUID "), "{append}");
    assert!(append.contains(" 1] "), "{append}");
    let select = w.ask("s SELECT INBOX", "s ").await;
    assert!(select.contains("* 1 EXISTS\r\n* 1 RECENT\r\n"), "{select}");
    assert!(select.contains("[UIDNEXT 2]"), "{select}");

    let fetch = w
        .ask("f FETCH 1 (RFC822.SIZE BODY.PEEK[] FLAGS)", "f ")
        .await;
    assert_eq!(
        fetch,
        format!(
            "* 1 FETCH (RFC822.SIZE {n} BODY[] {{{n}}}\r\n{MESSAGE} FLAGS (\\Recent))\r\nf OK FETCH completed\r\n",
            n = MESSAGE.len()
        )
    );
    let partial = w.ask("p FETCH 1 BODY.PEEK[]<6.3>", "p ").await;
    assert_eq!(
        partial,
        "* 1 FETCH (BODY[]<6> {3}\r\nann)\r\np OK FETCH completed\r\n"
    );

    let store = w.ask("t STORE 1 +FLAGS (\\Seen $Work)", "t ").await;
    assert!(
        store.contains("* 1 FETCH (FLAGS (\\Seen $Work \\Recent))"),
        "{store}"
    );
    let inbox = root.path().join("fred/Maildir");
    let cur: Vec<String> = std::fs::read_dir(inbox.join("cur"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(cur.len(), 1);
    assert!(cur[0].ends_with(":2,Sa"), "{cur:?}");

    let create = w.ask("c CREATE Archive/2026", "c ").await;
    assert_eq!(create, "c OK CREATE completed\r\n");
    assert!(inbox.join(".Archive.2026/cur").is_dir());
    let copy = w.ask("k COPY 1 Archive/2026", "k ").await;
    assert!(copy.starts_with("k OK [COPYUID "), "{copy}");
    let status = w
        .ask("st STATUS Archive/2026 (MESSAGES UNSEEN)", "st ")
        .await;
    assert!(
        status.contains("* STATUS Archive/2026 (MESSAGES 1 UNSEEN 0)"),
        "{status}"
    );

    w.ask("d STORE 1 +FLAGS.SILENT (\\Deleted)", "d ").await;
    let expunge = w.ask("x EXPUNGE", "x ").await;
    assert_eq!(expunge, "* 1 EXPUNGE\r\nx OK EXPUNGE completed\r\n");
    let status = w.ask("st2 STATUS INBOX (MESSAGES UIDNEXT)", "st2 ").await;
    assert!(
        status.contains("* STATUS INBOX (MESSAGES 0 UIDNEXT 2)"),
        "{status}"
    );
}

#[tokio::test]
async fn idle_hears_this_process_at_once_and_another_through_the_rescan() {
    let (root, server) = server();
    let mut a = Wire::logged_in(&server).await;
    let mut b = Wire::logged_in(&server).await;
    a.ask("s SELECT INBOX", "s ").await;
    a.ask("i IDLE", "+ ").await;

    b.ask(
        &format!("a APPEND INBOX {{{}+}}\r\n{MESSAGE}", MESSAGE.len()),
        "a ",
    )
    .await;
    assert_eq!(a.until("* 1 RECENT").await, "* 1 EXISTS\r\n* 1 RECENT\r\n");
    b.ask("s SELECT INBOX", "s ").await;
    b.ask("f STORE 1 +FLAGS (\\Answered)", "f ").await;
    assert_eq!(
        a.until("* 1 FETCH").await,
        "* 1 FETCH (FLAGS (\\Answered \\Recent))\r\n"
    );

    // Only `a` watches INBOX now, so `\Recent` of what comes next is its.
    b.ask("t SELECT Trash", "t ").await;

    // Another process delivers: nothing in this process tells the server.
    let elsewhere = Maildir::open(root.path().join("fred/Maildir")).unwrap();
    elsewhere
        .deliver(&mut "Subject: x\n\nhi\n".as_bytes(), 15)
        .await
        .unwrap();
    assert_eq!(a.until("* 2 RECENT").await, "* 2 EXISTS\r\n* 2 RECENT\r\n");
    let fetch = a.ask("DONE", "i ").await;
    assert_eq!(fetch, "i OK IDLE terminated\r\n");
    let size = a.ask("f FETCH 2 (RFC822.SIZE BODY[])", "f ").await;
    assert_eq!(
        size,
        "* 2 FETCH (RFC822.SIZE 18 BODY[] {18}\r\nSubject: x\r\n\r\nhi\r\n FLAGS (\\Seen \\Recent))\r\nf OK FETCH completed\r\n"
    );
}
