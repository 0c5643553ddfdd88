//! mailwire-server's servers over Maildirs, from the wire: IMAP commands that reach the
//! store, IDLE woken by this process's changes at once and by another process's delivery
//! through the rescan, and mail in over SMTP and out over POP3.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mailwire_imap::server::Config;
use mailwire_maildir::{Maildir, MaildirStore};
use mailwire_mime::DateTime;
use mailwire_pop3::server::{Config as Pop3Config, PlaintextLogin};
use mailwire_server::memory::Memory;
use mailwire_server::{
    Accepted, ImapServer, MailStore, Pop3Server, Security, Service, SmtpServer, Throttle,
};
use mailwire_smtp::Domain;
use mailwire_smtp::server::Config as SmtpConfig;
use mailwire_tokio::{MaybeTlsStream, Tls};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// Longest any step waits for the server: a lost wake-up fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(10);

const MESSAGE: &str =
    "From: ann@example.org\r\nTo: fred@example.org\r\nSubject: lunch\r\n\r\nAt noon?\r\n";

type Server = ImapServer<Memory, MaildirStore>;

/// User `fred` (password `secret`) and the Maildirs under a scratch root.
fn users_and_store() -> (TempDir, Arc<Memory>, Arc<MaildirStore>) {
    let root = tempfile::tempdir().unwrap();
    let users = Memory::new();
    users.add_user("fred", "secret");
    let store = MaildirStore::new(root.path().to_owned());
    (root, Arc::new(users), Arc::new(store))
}

/// An IMAP server whose user `fred` has a Maildir under a scratch root.
fn server() -> (TempDir, Arc<Server>) {
    let (root, users, store) = users_and_store();
    let mut config = Config::default();
    config.plaintext_auth = true;
    let server = ImapServer::new(config, users, store, Arc::new(Throttle::new()));
    (root, Arc::new(server))
}

/// A client's end of a connection, served in its own task.
struct Wire {
    io: DuplexStream,
    buf: Vec<u8>,
}

impl Wire {
    fn connect<S: Service>(service: &Arc<S>) -> Self {
        let (client, end) = tokio::io::duplex(256 * 1024);
        let peer = SocketAddr::from(([192, 0, 2, 7], 40000));
        let accepted = Accepted::new(MaybeTlsStream::Plain(end), peer, Security::Plain, Tls::None);
        tokio::spawn(Arc::clone(service).serve(accepted));
        Self {
            io: client,
            buf: Vec::new(),
        }
    }

    async fn logged_in(server: &Arc<Server>) -> Self {
        let mut wire = Self::connect(server);
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

/// NOOP looks at the Maildir: a delivery by another process, which nothing in this
/// process announces, is reported by the next NOOP, not a rescan later.
#[tokio::test]
async fn noop_sees_another_process_at_once() {
    let (root, server) = server();
    let mut a = Wire::logged_in(&server).await;
    a.ask("s SELECT INBOX", "s ").await;
    let elsewhere = Maildir::open(root.path().join("fred/Maildir")).unwrap();
    elsewhere
        .deliver(&mut "Subject: x\n\nhi\n".as_bytes(), 15)
        .await
        .unwrap();
    let noop = a.ask("n NOOP", "n ").await;
    assert_eq!(noop, "* 1 EXISTS\r\n* 1 RECENT\r\nn OK NOOP completed\r\n");
}

/// Seconds since the Unix epoch.
fn now() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

#[tokio::test]
async fn mail_in_over_smtp_and_out_over_pop3() {
    let (root, users, store) = users_and_store();
    // fred's Maildir exists once he has one; bob has none.
    store.open("fred").await.unwrap();
    let inbox = root.path().join("fred/Maildir");
    // A message another program left, with bare LF line ends and no sizes in its name.
    std::fs::write(
        inbox.join("cur/1600000000.M1P1.other:2,S"),
        "Subject: old\n\nold\n",
    )
    .unwrap();

    let smtp = Arc::new(SmtpServer::new(
        SmtpConfig::new(Domain::new("mx.example.org").unwrap()),
        Arc::clone(&users),
        Arc::clone(&store),
        Arc::new(Throttle::new()),
    ));
    let mut w = Wire::connect(&smtp);
    w.until("220 ").await;
    w.ask("EHLO client.example", "250 ").await;
    w.ask("MAIL FROM:<ann@example.org>", "250").await;
    let rcpt = w.ask("RCPT TO:<fred@mx.example.org>", "250").await;
    assert!(rcpt.starts_with("250"), "{rcpt}");
    let unknown = w.ask("RCPT TO:<bob@mx.example.org>", "550").await;
    assert!(unknown.starts_with("550 5.1.1"), "{unknown}");
    w.ask("DATA", "354").await;
    let before = now();
    let sent = w
        .ask("Subject: hello\r\n\r\nHi Fred,\r\n..a dot\r\n.", "250")
        .await;
    let after = now();
    assert!(sent.starts_with("250 "), "{sent}");
    let new: Vec<String> = std::fs::read_dir(inbox.join("new"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(new.len(), 1);
    // Final delivery: the sender's Return-Path, the server's Received, then the body.
    let stored = std::fs::read_to_string(inbox.join("new").join(&new[0])).unwrap();
    let (trace, body) = stored.split_at(stored.find("Subject:").unwrap());
    assert_eq!(body, "Subject: hello\r\n\r\nHi Fred,\r\n.a dot\r\n");
    let (head, date) = trace.split_at(trace.rfind("; ").unwrap() + 2);
    let (head, id) = head.split_at(head.find(" id ").unwrap() + 4);
    assert_eq!(
        head,
        "Return-Path: <ann@example.org>\r\n\
         Received: from client.example ([192.0.2.7])\r\n\tby mx.example.org with ESMTP id "
    );
    let (id, rest) = id.split_at(12);
    assert!(
        id.bytes().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F')),
        "{id}"
    );
    assert_eq!(rest, "\r\n\tfor <fred@mx.example.org>; ");
    let dates: Vec<String> = (before..=after)
        .map(|t| format!("{}\r\n", DateTime::from_timestamp(t, 0).to_rfc5322()))
        .collect();
    assert!(
        dates.contains(&date.to_owned()),
        "{date:?} not in {dates:?}"
    );
    let size = stored.len();
    assert_eq!(size, 36 + trace.len());
    assert!(new[0].ends_with(&format!(",S={size},W={size}")), "{new:?}");

    let mut config = Pop3Config::default();
    config.plaintext_login = PlaintextLogin::Allow;
    let pop3 = Arc::new(Pop3Server::new(
        config,
        users,
        store,
        Arc::new(Throttle::new()),
    ));
    let mut p = Wire::connect(&pop3);
    p.until("+OK").await;
    p.ask("USER fred", "+OK").await;
    p.ask("PASS secret", "+OK").await;
    // Sizes count CRLF, and what is sent is as long as announced.
    assert_eq!(
        p.ask("LIST", ".\r").await,
        format!(
            "+OK 2 messages ({} octets)\r\n1 21\r\n2 {size}\r\n.\r\n",
            21 + size
        )
    );
    assert_eq!(
        p.ask("RETR 1", ".\r").await,
        "+OK 21 octets\r\nSubject: old\r\n\r\nold\r\n.\r\n"
    );
    assert_eq!(
        p.ask("RETR 2", ".\r").await,
        format!("+OK {size} octets\r\n{trace}Subject: hello\r\n\r\nHi Fred,\r\n..a dot\r\n.\r\n")
    );
    p.ask("DELE 1", "+OK").await;
    assert!(p.ask("QUIT", "+OK").await.starts_with("+OK"));
    assert!(!inbox.join("cur/1600000000.M1P1.other:2,S").exists());
    assert_eq!(std::fs::read_dir(inbox.join("cur")).unwrap().count(), 1);
}
