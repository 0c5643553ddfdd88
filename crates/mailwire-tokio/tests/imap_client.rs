//! `ImapClient` against mailwire's own IMAP server over its memory store: the typed
//! answers of SELECT, SEARCH, FETCH, STORE, COPY, MOVE and APPEND, IDLE hearing another
//! connection, the plaintext-LOGIN refusal, and the per-command timeout.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailwire_imap::types::{Flag, StoreKind};
use mailwire_server::memory::Memory;
use mailwire_server::{Accepted, ImapServer, Service, Throttle};
use mailwire_tokio::connect::Security;
use mailwire_tokio::imap::{Config, ImapClient, ImapError, Items, Search, Selected, Update};
use mailwire_tokio::{MaybeTlsStream, Tls};
use rustls::RootCertStore;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

type Server = ImapServer<Memory, Memory>;
type Client = ImapClient<DuplexStream>;

const LUNCH: &str =
    "From: Ann <ann@example.org>\r\nTo: fred@example.org\r\nSubject: lunch\r\n\r\nAt noon?\r\n";
const REPORT: &str =
    "From: bob@example.net\r\nTo: fred@example.org\r\nSubject: report\r\n\r\nAttached.\r\n";

fn server() -> Arc<Server> {
    let memory = Memory::new();
    memory.add_user("fred", "secret");
    let mut config = mailwire_imap::server::Config::default();
    config.plaintext_auth = true;
    Arc::new(ImapServer::new(
        config,
        Arc::new(memory.clone()),
        Arc::new(memory),
        Arc::new(Throttle::new()),
    ))
}

/// The bytes the client wrote, recorded on the way to the server.
#[derive(Clone, Default)]
struct Sent(Arc<Mutex<Vec<u8>>>);

impl Sent {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// A pipe to a connection that `server` serves in its own task, recording what the
/// client sends.
fn pipe(server: &Arc<Server>) -> (DuplexStream, Sent) {
    let (client, near) = tokio::io::duplex(1 << 20);
    let (far, end) = tokio::io::duplex(1 << 20);
    let peer = SocketAddr::from(([192, 0, 2, 7], 40000));
    let accepted = Accepted::new(
        MaybeTlsStream::Plain(end),
        peer,
        mailwire_server::Security::Plain,
        Tls::None,
    );
    tokio::spawn(Arc::clone(server).serve(accepted));
    let sent = Sent::default();
    let (mut near_read, mut near_write) = tokio::io::split(near);
    let (mut far_read, mut far_write) = tokio::io::split(far);
    let record = sent.clone();
    tokio::spawn(async move {
        let mut buf = vec![0; 64 * 1024];
        while let Ok(n @ 1..) = near_read.read(&mut buf).await {
            record.0.lock().unwrap().extend_from_slice(&buf[..n]);
            if far_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = far_write.shutdown().await;
    });
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut far_read, &mut near_write).await;
        let _ = near_write.shutdown().await;
    });
    (client, sent)
}

fn plaintext_config() -> Config {
    let mut config = Config::default();
    config.security = Security::Plaintext;
    config.plaintext_auth = true;
    config
}

async fn logged_in(server: &Arc<Server>) -> (Client, Sent) {
    let (io, sent) = pipe(server);
    let mut imap = ImapClient::begin(MaybeTlsStream::Plain(io), &plaintext_config(), Tls::None)
        .await
        .unwrap();
    imap.login("fred", "secret").await.unwrap();
    (imap, sent)
}

#[tokio::test]
async fn select_and_examine_give_the_mailbox_state() {
    let server = server();
    let (mut imap, _) = logged_in(&server).await;
    let appended = [
        imap.append("INBOX", &[Flag::Seen], LUNCH.as_bytes())
            .await
            .unwrap(),
        imap.append("INBOX", &[], REPORT.as_bytes()).await.unwrap(),
    ];
    assert_eq!(appended, [Some(1), Some(2)]);
    let status = imap.status("INBOX").await.unwrap();
    assert_eq!(
        (status.messages, status.unseen, status.uid_next),
        (Some(2), Some(1), Some(3))
    );
    let uid_validity = status.uid_validity.expect("STATUS UIDVALIDITY");

    let system = vec![
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Seen,
        Flag::Draft,
    ];
    let selected = imap.select("INBOX").await.unwrap();
    let mut want = Selected::default();
    want.exists = 2;
    want.recent = 2;
    want.uid_validity = Some(uid_validity);
    want.uid_next = Some(3);
    want.flags = system.clone();
    want.permanent_flags = Some(system.clone());
    want.new_keywords = true;
    want.first_unseen = Some(2);
    want.read_only = false;
    assert_eq!(selected, want);

    let examined = imap.examine("INBOX").await.unwrap();
    want.recent = 0;
    want.permanent_flags = Some(Vec::new());
    want.new_keywords = false;
    want.read_only = true;
    assert_eq!(examined, want);
}

#[tokio::test]
async fn search_criteria_go_on_the_wire_as_built() {
    let server = server();
    let (mut imap, sent) = logged_in(&server).await;
    imap.append("INBOX", &[Flag::Seen], LUNCH.as_bytes())
        .await
        .unwrap();
    imap.append("INBOX", &[], REPORT.as_bytes()).await.unwrap();
    imap.append("INBOX", &[], LUNCH.as_bytes()).await.unwrap();
    imap.select("INBOX").await.unwrap();

    sent.clear();
    let uids = imap
        .uid_search(Search::unseen().and(Search::from("ann@example.org")))
        .await
        .unwrap();
    assert_eq!(uids, [3]);
    assert_eq!(sent.text(), "A6 UID SEARCH UNSEEN FROM ann@example.org\r\n");

    sent.clear();
    let seqs = imap
        .search(
            Search::subject("report")
                .or(Search::seen())
                .and(Search::deleted().not()),
        )
        .await
        .unwrap();
    assert_eq!(seqs, [1, 2]);
    assert_eq!(
        sent.text(),
        "A7 SEARCH OR SUBJECT report SEEN NOT DELETED\r\n"
    );

    // A string with NUL is refused before anything is sent.
    sent.clear();
    let refused = imap.search(Search::subject("a\0b")).await.unwrap_err();
    assert!(
        matches!(refused, ImapError::Invalid("search string")),
        "{refused}"
    );
    assert_eq!(sent.text(), "");
}

#[tokio::test]
async fn fetch_streams_typed_messages() {
    let server = server();
    let (mut imap, sent) = logged_in(&server).await;
    imap.append("INBOX", &[Flag::Flagged], LUNCH.as_bytes())
        .await
        .unwrap();
    imap.append("INBOX", &[], REPORT.as_bytes()).await.unwrap();
    imap.select("INBOX").await.unwrap();

    sent.clear();
    let items = Items::envelope().and_flags().and_size().and_body();
    let mut messages = imap.uid_fetch("1:*", items).unwrap();
    let first = messages.next().await.unwrap().unwrap();
    let second = messages.next().await.unwrap().unwrap();
    assert!(messages.next().await.is_none());
    drop(messages);
    assert_eq!(
        sent.text(),
        "A5 UID FETCH 1:* (UID ENVELOPE FLAGS RFC822.SIZE BODY.PEEK[])\r\n"
    );

    assert_eq!((first.seq, first.uid), (1, Some(1)));
    assert_eq!(first.flags, Some(vec![Flag::Flagged]));
    assert!(first.recent);
    assert_eq!(first.size, Some(u32::try_from(LUNCH.len()).unwrap()));
    assert_eq!(first.body(), Some(LUNCH.as_bytes()));
    let envelope = first.envelope.as_ref().unwrap();
    assert_eq!(
        envelope.subject.as_ref().map(|s| s.as_bytes()),
        Some(&b"lunch"[..])
    );
    let from = &envelope.from[0];
    assert_eq!(
        [&from.name, &from.mailbox, &from.host].map(|s| s.as_ref().map(|s| s.as_bytes().to_vec())),
        [
            Some(b"Ann".to_vec()),
            Some(b"ann".to_vec()),
            Some(b"example.org".to_vec())
        ]
    );
    assert_eq!((second.seq, second.uid), (2, Some(2)));
    assert_eq!(second.flags, Some(vec![]));
    assert_eq!(second.body(), Some(REPORT.as_bytes()));

    // By sequence number, from a list as SEARCH gives it; an empty list sends nothing.
    sent.clear();
    let bodies = imap
        .fetch(&vec![2], Items::body())
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0].body(), Some(REPORT.as_bytes()));
    let none = imap
        .uid_fetch(&Vec::new(), Items::body())
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(sent.text(), "A6 FETCH 2 (UID BODY.PEEK[])\r\n");

    // A stream dropped half-way: the next command skips the rest.
    let mut messages = imap.uid_fetch("1:*", Items::uid()).unwrap();
    assert_eq!(messages.next().await.unwrap().unwrap().uid, Some(1));
    drop(messages);
    imap.noop().await.unwrap();
    assert_eq!(imap.search(Search::all()).await.unwrap(), [1, 2]);
}

#[tokio::test]
async fn store_copy_move_and_expunge() {
    let server = server();
    let (mut imap, _) = logged_in(&server).await;
    for _ in 0..3 {
        imap.append("INBOX", &[], LUNCH.as_bytes()).await.unwrap();
    }
    imap.create("Archive").await.unwrap();
    imap.select("INBOX").await.unwrap();

    let stored = imap
        .uid_store([1, 2], StoreKind::Add, &[Flag::Flagged, Flag::Seen])
        .await
        .unwrap();
    let flags: Vec<_> = stored.iter().map(|m| (m.seq, m.flags.clone())).collect();
    assert_eq!(
        flags,
        [
            (1, Some(vec![Flag::Flagged, Flag::Seen])),
            (2, Some(vec![Flag::Flagged, Flag::Seen]))
        ]
    );
    let removed = imap
        .store(2, StoreKind::Remove, &[Flag::Seen])
        .await
        .unwrap();
    assert_eq!(removed[0].flags, Some(vec![Flag::Flagged]));

    imap.uid_copy(1, "Archive").await.unwrap();
    assert_eq!(imap.status("Archive").await.unwrap().messages, Some(1));

    imap.uid_mv([2, 3], "Archive").await.unwrap();
    let expunged: Vec<_> = imap.take_updates();
    assert_eq!(
        expunged,
        [
            Update::Expunge(2.try_into().unwrap()),
            Update::Expunge(2.try_into().unwrap())
        ]
    );
    assert_eq!(imap.status("Archive").await.unwrap().messages, Some(3));

    imap.store(1, StoreKind::Add, &[Flag::Deleted])
        .await
        .unwrap();
    assert_eq!(imap.expunge().await.unwrap(), [1]);
    assert_eq!(imap.status("INBOX").await.unwrap().messages, Some(0));

    let listed: Vec<_> = imap
        .list("", "*")
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(
        listed,
        ["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"]
    );
}

#[tokio::test]
async fn multiappend_returns_every_uid() {
    let server = server();
    let (mut imap, sent) = logged_in(&server).await;
    sent.clear();
    let uids = imap
        .append_all(
            "INBOX",
            [
                (&[Flag::Seen][..], None, LUNCH.as_bytes()),
                (&[][..], None, REPORT.as_bytes()),
            ]
            .into_iter(),
        )
        .await
        .unwrap();
    assert_eq!(uids, [1, 2]);
    assert_eq!(
        sent.text(),
        format!(
            "A2 APPEND INBOX (\\Seen) {{{}+}}\r\n{LUNCH} {{{}+}}\r\n{REPORT}\r\n",
            LUNCH.len(),
            REPORT.len()
        )
    );
}

#[tokio::test]
async fn idle_hears_an_append_from_another_connection() {
    let server = server();
    let (mut watcher, sent) = logged_in(&server).await;
    let (mut other, _) = logged_in(&server).await;
    watcher.select("INBOX").await.unwrap();

    sent.clear();
    let mut idle = watcher.idle().await.unwrap();
    other.append("INBOX", &[], LUNCH.as_bytes()).await.unwrap();
    let mut heard = Vec::new();
    while let Some(update) = idle.next().await {
        let update = update.unwrap();
        let exists = matches!(update, Update::Exists(_));
        heard.push(update);
        if exists {
            break;
        }
    }
    assert_eq!(heard.last(), Some(&Update::Exists(1)));
    drop(idle);

    // DONE went out with the drop; the next command reads IDLE's completion first.
    let new = watcher
        .fetch(1, Items::envelope())
        .unwrap()
        .collect()
        .await
        .unwrap();
    let subject = new[0].envelope.as_ref().unwrap().subject.clone();
    assert_eq!(subject.unwrap().as_bytes(), b"lunch");
    assert_eq!(
        sent.text(),
        "A3 IDLE\r\nDONE\r\nA4 FETCH 1 (UID ENVELOPE)\r\n"
    );
}

#[tokio::test(start_paused = true)]
async fn idle_is_renewed_every_29_minutes() {
    let server = server();
    let (mut imap, sent) = logged_in(&server).await;
    imap.select("INBOX").await.unwrap();
    sent.clear();
    let mut idle = imap.idle().await.unwrap();
    let silent = tokio::time::timeout(Duration::from_secs(58 * 60 + 30), idle.next()).await;
    assert!(silent.is_err(), "{silent:?}");
    drop(idle);
    imap.noop().await.unwrap();
    assert_eq!(
        sent.text(),
        "A3 IDLE\r\nDONE\r\nA4 IDLE\r\nDONE\r\nA5 IDLE\r\nDONE\r\nA6 NOOP\r\n"
    );
}

#[tokio::test]
async fn login_without_tls_is_refused_unless_allowed() {
    let server = server();
    let (io, sent) = pipe(&server);
    let mut config = Config::default();
    config.security = Security::Plaintext;
    let mut imap = ImapClient::begin(MaybeTlsStream::Plain(io), &config, Tls::None)
        .await
        .unwrap();
    let refused = imap.login("fred", "secret").await.unwrap_err();
    assert!(
        matches!(
            refused,
            ImapError::Usage(mailwire_imap::client::Error::PlaintextNotAllowed)
        ),
        "{refused}"
    );
    let exchange = mailwire_imap::sasl::ClientExchange::plain(
        None,
        "fred",
        &mailwire_imap::Secret::new("secret".to_owned()),
    )
    .unwrap();
    let refused = imap.authenticate(exchange).await.unwrap_err();
    assert!(
        matches!(
            refused,
            ImapError::Usage(mailwire_imap::client::Error::PlaintextNotAllowed)
        ),
        "{refused}"
    );
    imap.noop().await.unwrap();
    assert!(!sent.text().contains("secret"), "{}", sent.text());
    assert!(!sent.text().contains("LOGIN") && !sent.text().contains("AUTHENTICATE"));
}

#[tokio::test]
async fn authenticate_plain_sends_the_initial_response_with_sasl_ir() {
    let server = server();
    let (io, sent) = pipe(&server);
    let mut imap = ImapClient::begin(MaybeTlsStream::Plain(io), &plaintext_config(), Tls::None)
        .await
        .unwrap();
    imap.refresh_capabilities().await.unwrap();
    sent.clear();
    let exchange = mailwire_imap::sasl::ClientExchange::plain(
        None,
        "fred",
        &mailwire_imap::Secret::new("secret".to_owned()),
    )
    .unwrap();
    imap.authenticate(exchange).await.unwrap();
    // "\0fred\0secret" in base64.
    assert!(
        sent.text()
            .starts_with("A2 AUTHENTICATE PLAIN AGZyZWQAc2VjcmV0\r\n"),
        "{}",
        sent.text()
    );
    imap.select("INBOX").await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_times_a_command_out() {
    let (client_io, mut server_io) = tokio::io::duplex(4096);
    server_io
        .write_all(b"* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n")
        .await
        .unwrap();
    let mut config = Config::default();
    config.security = Security::Plaintext;
    config.timeout = Some(Duration::from_secs(20));
    let mut imap = ImapClient::begin(MaybeTlsStream::Plain(client_io), &config, Tls::None)
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let err = imap.noop().await.unwrap_err();
    assert!(
        matches!(err, ImapError::Timeout(d) if d == Duration::from_secs(20)),
        "{err}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(20));
    let mut line = vec![0; 64];
    let n = server_io.read(&mut line).await.unwrap();
    assert_eq!(&line[..n], b"A1 NOOP\r\n");
}

#[tokio::test]
async fn connect_with_reaches_a_loopback_server() {
    let server = server();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let serving = Arc::clone(&server);
    tokio::spawn(async move {
        let (socket, peer) = listener.accept().await.unwrap();
        let accepted = Accepted::new(
            MaybeTlsStream::Plain(socket),
            peer,
            mailwire_server::Security::Plain,
            Tls::None,
        );
        serving.serve(accepted).await
    });
    let mut imap = ImapClient::connect_with(&addr.to_string(), plaintext_config())
        .await
        .unwrap();
    imap.login("fred", "secret").await.unwrap();
    assert_eq!(imap.select("INBOX").await.unwrap().exists, 0);
    imap.logout().await.unwrap();
}

/// A self-signed certificate for `localhost`: client and server TLS settings.
fn tls_pair() -> (Tls, Tls) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let mut roots = RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let server = Tls::server_with_certificate(vec![cert], key).unwrap();
    (Tls::client_with_roots("localhost", roots).unwrap(), server)
}

/// Serves one TCP connection on loopback with `security`; returns the port.
async fn serve_once(security: mailwire_server::Security, tls: Tls) -> u16 {
    let server = server();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (socket, peer) = listener.accept().await.unwrap();
        let mut stream = MaybeTlsStream::Plain(socket);
        if security == mailwire_server::Security::Implicit {
            stream = stream.upgrade(&tls).await.unwrap();
        }
        server
            .serve(Accepted::new(stream, peer, security, tls))
            .await
    });
    port
}

#[tokio::test]
async fn a_port_other_than_993_means_starttls_and_then_login_is_allowed() {
    let (client_tls, server_tls) = tls_pair();
    let port = serve_once(mailwire_server::Security::StartTls, server_tls).await;
    let mut config = Config::default();
    config.tls = Some(client_tls);
    let mut imap = ImapClient::connect_with(&format!("localhost:{port}"), config)
        .await
        .unwrap();
    assert!(imap.is_tls());
    imap.login("fred", "secret").await.unwrap();
    assert_eq!(imap.select("INBOX").await.unwrap().exists, 0);
    imap.logout().await.unwrap();
}

#[tokio::test]
async fn implicit_tls_from_the_first_byte() {
    let (client_tls, server_tls) = tls_pair();
    let port = serve_once(mailwire_server::Security::Implicit, server_tls).await;
    let mut config = Config::default();
    config.security = Security::ImplicitTls;
    config.tls = Some(client_tls);
    let mut imap = ImapClient::connect_with(&format!("localhost:{port}"), config)
        .await
        .unwrap();
    assert!(imap.is_tls());
    imap.login("fred", "secret").await.unwrap();
    imap.logout().await.unwrap();
}

#[tokio::test]
async fn starttls_with_a_certificate_not_trusted_fails() {
    let (_, server_tls) = tls_pair();
    let (other_client, _) = tls_pair();
    let port = serve_once(mailwire_server::Security::StartTls, server_tls).await;
    let mut config = Config::default();
    config.tls = Some(other_client);
    let err = ImapClient::connect_with(&format!("localhost:{port}"), config)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ImapError::Connection(mailwire_tokio::Error::Handshake(_))
        ),
        "{err}"
    );
}

#[tokio::test]
async fn changes_made_elsewhere_are_kept_as_updates() {
    let server = server();
    let (mut watcher, _) = logged_in(&server).await;
    let (mut other, _) = logged_in(&server).await;
    other.append("INBOX", &[], LUNCH.as_bytes()).await.unwrap();
    other.append("INBOX", &[], REPORT.as_bytes()).await.unwrap();
    // The other connection sees the two first: they are not recent for the watcher.
    other.select("INBOX").await.unwrap();
    assert_eq!(watcher.select("INBOX").await.unwrap().recent, 0);
    assert_eq!(watcher.take_updates(), []);

    other.append("INBOX", &[], LUNCH.as_bytes()).await.unwrap();
    watcher.noop().await.unwrap();
    // The appending connection has INBOX selected too and sees the message first.
    assert_eq!(
        watcher.take_updates(),
        [Update::Exists(3), Update::Recent(0)]
    );

    other
        .store(1, StoreKind::Add, &[Flag::Deleted])
        .await
        .unwrap();
    other.expunge().await.unwrap();
    other
        .uid_store(2, StoreKind::Add, &[Flag::Flagged])
        .await
        .unwrap();
    watcher.noop().await.unwrap();
    let updates = watcher.take_updates();
    let [Update::Expunge(gone), Update::Fetch(changed)] = &updates[..] else {
        panic!("{updates:?}")
    };
    assert_eq!(gone.get(), 1);
    assert_eq!(
        (changed.seq, changed.uid, changed.flags.clone()),
        (1, None, Some(vec![Flag::Flagged]))
    );
    assert_eq!(watcher.take_updates(), []);
}

#[tokio::test(start_paused = true)]
async fn a_server_silent_in_the_middle_of_a_fetch_times_it_out() {
    let (client_io, mut server_io) = tokio::io::duplex(4096);
    server_io
        .write_all(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
        .await
        .unwrap();
    let mut config = Config::default();
    config.security = Security::Plaintext;
    config.timeout = Some(Duration::from_secs(30));
    let mut imap = ImapClient::begin(MaybeTlsStream::Plain(client_io), &config, Tls::None)
        .await
        .unwrap();
    let mut messages = imap.uid_fetch([4, 5], Items::flags()).unwrap();
    let serve = async {
        let mut line = vec![0; 64];
        let n = server_io.read(&mut line).await.unwrap();
        assert_eq!(&line[..n], b"A1 UID FETCH 4:5 (UID FLAGS)\r\n");
        server_io
            .write_all(b"* 1 FETCH (UID 4 FLAGS (\\Seen))\r\n")
            .await
            .unwrap();
    };
    let (first, ()) = tokio::join!(messages.next(), serve);
    let first = first.unwrap().unwrap();
    assert_eq!((first.uid, first.flags), (Some(4), Some(vec![Flag::Seen])));
    let started = tokio::time::Instant::now();
    let err = messages.next().await.unwrap().unwrap_err();
    assert!(
        matches!(err, ImapError::Timeout(d) if d == Duration::from_secs(30)),
        "{err}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    assert!(messages.next().await.is_none());
}
