//! Two SMTP servers on loopback: mail submitted to the first is queued by its `Intake`
//! and relayed by a `Relay` to the second, over static routes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use mailwire_mime::DateTime;
use mailwire_relay::{Clock, Config, Intake, Queue, Relay, Route, Status};
use mailwire_server::memory::Memory;
use mailwire_server::{
    Client, Delivery, Limits, Listeners, Security, Shutdown, SmtpServer, Throttle, Transaction,
};
use mailwire_smtp::client::{self, Envelope, RecipientDsn, RecipientResult, TlsPolicy};
use mailwire_smtp::{
    Domain, ForwardPath, Host, MailParameters, Notify, OriginalRecipient, RcptParameters, Reply,
    Ret, ReversePath, XText,
};
use mailwire_tokio::rustls::RootCertStore;
use mailwire_tokio::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use mailwire_tokio::smtp::SmtpClient;
use mailwire_tokio::{MaybeTlsStream, Tls};
use tokio::net::{TcpListener, TcpStream};

/// 2023-11-14 22:13:20 UTC.
const T0: u64 = 1_700_000_000;
const DATE0: &str = "Tue, 14 Nov 2023 22:13:20 +0000";

const MESSAGE: &[u8] = b"From: Ann <ann@example.org>\r\nTo: Bob <bob@example.net>\r\n\
Subject: relayed\r\n\r\nHello Bob,\r\n.a line with a dot\r\n\r\nAnn\r\n";

/// One message as a server took it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Got {
    tls: bool,
    from: String,
    to: Vec<String>,
    envid: Option<Vec<u8>>,
    rcpt_params: Vec<String>,
    bytes: Vec<u8>,
}

/// A `Delivery` that keeps what it is given, refusing recipients whose local part
/// starts with `unknown` (`550 5.1.1 no such user`).
#[derive(Debug, Clone, Default)]
struct Recorder {
    got: Arc<Mutex<Vec<Got>>>,
    arrived: Arc<tokio::sync::Notify>,
}

impl Recorder {
    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

#[derive(Debug)]
struct Recording {
    recorder: Recorder,
    got: Got,
}

impl Delivery for Recorder {
    type Transaction = Recording;

    async fn mail(
        &self,
        client: &Client,
        from: &ReversePath,
        params: &MailParameters,
    ) -> Result<Recording, Reply> {
        Ok(Recording {
            recorder: self.clone(),
            got: Got {
                tls: client.tls,
                from: from.to_string(),
                to: Vec::new(),
                envid: params.envid.as_ref().map(|e| e.as_bytes().to_vec()),
                rcpt_params: Vec::new(),
                bytes: Vec::new(),
            },
        })
    }
}

impl Transaction for Recording {
    async fn rcpt(&mut self, to: &ForwardPath, params: &RcptParameters) -> Result<(), Reply> {
        if to.to_string().starts_with("<unknown") {
            return Err(Reply::new(550, "5.1.1 no such user").unwrap());
        }
        self.got.to.push(to.to_string());
        let notify = params.notify.map(|n| format!("{n:?}"));
        let orcpt = params.orcpt.as_ref().map(|o| {
            format!(
                "{};{}",
                o.addr_type(),
                String::from_utf8_lossy(o.address().as_bytes())
            )
        });
        self.got.rcpt_params.push(format!("{notify:?} {orcpt:?}"));
        Ok(())
    }

    async fn data(&mut self, chunk: Bytes) -> Result<(), Reply> {
        self.got.bytes.extend_from_slice(&chunk);
        Ok(())
    }

    async fn commit(self) -> Vec<Result<(), Reply>> {
        let n = self.got.to.len();
        self.recorder.got.lock().unwrap().push(self.got);
        self.recorder.arrived.notify_one();
        vec![Ok(()); n]
    }
}

/// Serves SMTP with `delivery` on `listener` until `shutdown`.
fn serve<D: Delivery>(delivery: D, listener: TcpListener, shutdown: &Shutdown) -> SocketAddr {
    serve_tls(
        delivery,
        listener,
        shutdown,
        Security::Plain,
        Tls::None,
        true,
    )
}

/// Serves SMTP as `security` says.
fn serve_tls<D: Delivery>(
    delivery: D,
    listener: TcpListener,
    shutdown: &Shutdown,
    security: Security,
    tls: Tls,
    dsn: bool,
) -> SocketAddr {
    let mut config = mailwire_smtp::server::Config::new(Domain::new("mx.test").unwrap());
    config.dsn = dsn;
    let server = Arc::new(SmtpServer::new(
        config,
        Arc::new(Memory::new()),
        Arc::new(delivery),
        Arc::new(Throttle::new()),
    ));
    let mut listeners = Listeners::new(Limits::default(), shutdown.signal());
    let addr = listeners.add(server, listener, security, tls).unwrap();
    tokio::spawn(listeners.run());
    addr
}

async fn bind() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

/// A queue on a manual clock at `T0` in a fresh directory, and the first server
/// (taking mail into it) listening.
struct Near {
    dir: tempfile::TempDir,
    clock: Clock,
    queue: Queue,
    addr: SocketAddr,
    _shutdown: Shutdown,
}

async fn near() -> Near {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(T0);
    let queue = Queue::open_with(dir.path(), clock.clone()).unwrap();
    let shutdown = Shutdown::new();
    let intake = Intake::new(queue.clone());
    let addr = serve(intake, bind().await, &shutdown);
    Near {
        dir,
        clock,
        queue,
        addr,
        _shutdown: shutdown,
    }
}

/// Submits `message` to `addr` from `from` to `to`, as `client.example`, and returns the
/// result for each recipient.
async fn submit(
    addr: SocketAddr,
    from: &str,
    to: &[&str],
    dsn: Option<Vec<RecipientDsn>>,
    message: &[u8],
) -> Vec<RecipientResult> {
    let to = to.iter().map(|t| ForwardPath::parse(t).unwrap()).collect();
    let mut envelope = Envelope::new(ReversePath::parse(from).unwrap(), to);
    if let Some(dsn) = dsn {
        envelope.dsn.envid = Some(XText::new(b"env-1".to_vec()));
        envelope.dsn.recipients = dsn;
    }
    submit_envelope(addr, envelope, message).await
}

async fn submit_envelope(
    addr: SocketAddr,
    envelope: Envelope,
    message: &[u8],
) -> Vec<RecipientResult> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut config = client::Config::new(Host::parse("client.example").unwrap());
    config.tls = TlsPolicy::Never;
    let mut smtp = SmtpClient::start(MaybeTlsStream::Plain(tcp), config, Tls::None)
        .await
        .unwrap();
    let results = smtp.send_raw(envelope, message).await.unwrap();
    smtp.quit().await.unwrap();
    results
}

fn replies(results: &[RecipientResult]) -> Vec<String> {
    results.iter().map(|r| r.reply.to_string()).collect()
}

fn config(routes: &[(&str, SocketAddr)]) -> Config {
    let mut config = Config::new(Domain::new("mx.example.org").unwrap());
    for (domain, addr) in routes {
        let mut route: Route = addr.to_string().parse().unwrap();
        route.tls = TlsPolicy::Never;
        config.routes.insert((*domain).to_owned(), vec![route]);
    }
    config.local_domains.push("example.org".into());
    config.dns = false;
    config
}

/// What a test server (mx.test) was given below the `Received:` field it put on top,
/// which must name `hello` at 127.0.0.1.
fn below_own_received(bytes: &[u8], hello: &str) -> Vec<u8> {
    let head = format!("Received: from {hello} ([127.0.0.1])\r\n\tby mx.test with ESMTP id ");
    assert!(bytes.starts_with(head.as_bytes()), "{bytes:?}");
    // The field ends at the first line end not followed by a folded line.
    let end = (0..bytes.len())
        .find(|&i| bytes[i..].starts_with(b"\r\n") && bytes.get(i + 2) != Some(&b'\t'))
        .unwrap();
    bytes[end + 2..].to_vec()
}

/// The `Received:` field on top of the queued message `id`, as the SMTP server in front
/// of the queue wrote it, checked part by part: from client.example at 127.0.0.1, by
/// mx.test with ESMTP, a fresh twelve-digit id, `for` the one recipient when `rcpt`
/// names it, and a date from the system clock (the queue's clock is a manual one).
fn received(near: &Near, id: &str, rcpt: Option<&str>) -> String {
    let bytes = std::fs::read(near.dir.path().join(format!("{id}.eml"))).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let head = "Received: from client.example ([127.0.0.1])\r\n\tby mx.test with ESMTP id ";
    assert!(text.starts_with(head), "{text}");
    let (server_id, rest) = text[head.len()..].split_at(12);
    assert!(
        server_id
            .bytes()
            .all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F')),
        "{server_id}"
    );
    let before_date = match rcpt {
        Some(rcpt) => format!("\r\n\tfor {rcpt}; "),
        None => ";\r\n\t".to_owned(),
    };
    let date = rest
        .strip_prefix(&before_date)
        .unwrap_or_else(|| panic!("{rest}"));
    let date = &date[..date.find("\r\n").unwrap()];
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let now = i64::try_from(now).unwrap();
    assert!(
        (now - 600..=now).any(|t| DateTime::from_timestamp(t, 0).to_rfc5322() == date),
        "{date}"
    );
    let end = head.len() + server_id.len() + before_date.len() + date.len() + 2;
    text[..end].to_owned()
}

/// The files in the queue directory, sorted.
fn files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // The lock every process takes to write an envelope, there once one was written.
        .filter(|name| name != "lock")
        .collect();
    names.sort();
    names
}

/// The `message/delivery-status` part of a report.
fn status_part(report: &[u8]) -> String {
    let text = String::from_utf8(report.to_vec()).unwrap();
    let start = text
        .find("Content-Type: message/delivery-status\r\n\r\n")
        .unwrap();
    let rest = &text[start + "Content-Type: message/delivery-status\r\n\r\n".len()..];
    rest[..rest.find("\r\n--").unwrap()].to_owned()
}

#[tokio::test]
async fn a_message_is_relayed_byte_for_byte_with_a_received_field() {
    let near = near().await;
    let far = Recorder::default();
    let far_shutdown = Shutdown::new();
    let far_addr = serve(far.clone(), bind().await, &far_shutdown);

    let dsn = vec![RecipientDsn::new(
        Some(Notify {
            failure: true,
            ..Notify::NEVER
        }),
        OriginalRecipient::new("rfc822", XText::new(b"Bob@example.net".to_vec())),
    )];
    let results = submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>"],
        Some(dsn),
        MESSAGE,
    )
    .await;
    assert_eq!(replies(&results), ["250 2.0.0 Ok: queued\r\n"]);
    let queued = near.queue.list();
    assert_eq!(queued.len(), 1);
    let id = queued[0].id.clone();
    let trace = received(&near, &id, Some("<bob@example.net>"));
    assert_eq!(
        files(near.dir.path()),
        [format!("{id}.eml"), format!("{id}.env")]
    );

    // The relay runs as a task and delivers what is queued at once.
    let relay = Arc::new(Relay::new(
        near.queue.clone(),
        config(&[("example.net", far_addr)]),
        Arc::new(Recorder::default()),
    ));
    let shutdown = Shutdown::new();
    let task = tokio::spawn({
        let relay = Arc::clone(&relay);
        let signal = shutdown.signal();
        async move { relay.run(signal).await }
    });
    while far.got().is_empty() {
        far.arrived.notified().await;
    }
    shutdown.request();
    task.await.unwrap();

    let mut expected = trace.clone().into_bytes();
    expected.extend_from_slice(MESSAGE);
    let mut got = far.got();
    got[0].bytes = below_own_received(&got[0].bytes, "mx.example.org");
    assert_eq!(
        got,
        [Got {
            tls: false,
            from: "<ann@example.org>".into(),
            to: vec!["<bob@example.net>".into()],
            envid: Some(b"env-1".to_vec()),
            rcpt_params: vec![
                "Some(\"Notify { success: false, failure: true, delay: false }\") \
Some(\"rfc822;Bob@example.net\")"
                    .into()
            ],
            bytes: expected,
        }]
    );
    assert_eq!(near.queue.list(), []);
    assert_eq!(files(near.dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_550_at_the_far_end_sends_a_report_to_the_sender() {
    let near = near().await;
    let far = Recorder::default();
    let far_shutdown = Shutdown::new();
    let far_addr = serve(far.clone(), bind().await, &far_shutdown);
    let results = submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>", "<unknown@example.net>"],
        Some(vec![
            RecipientDsn::default(),
            RecipientDsn::new(
                None,
                OriginalRecipient::new("rfc822", XText::new(b"Unknown+1@example.net".to_vec())),
            ),
        ]),
        MESSAGE,
    )
    .await;
    assert_eq!(
        replies(&results),
        ["250 2.0.0 Ok: queued\r\n", "250 2.0.0 Ok: queued\r\n"]
    );
    let id = near.queue.list()[0].id.clone();
    let trace = received(&near, &id, None);

    let local = Recorder::default();
    let relay = Relay::new(
        near.queue.clone(),
        config(&[("example.net", far_addr)]),
        Arc::new(local.clone()),
    );
    near.clock.advance(Duration::from_secs(60));
    assert_eq!(relay.deliver_due().await, 1);

    let far_got = far.got();
    assert_eq!(far_got.len(), 1);
    assert_eq!(far_got[0].to, ["<bob@example.net>"]);

    let reports = local.got();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].from, "<>");
    assert_eq!(reports[0].to, ["<ann@example.org>"]);
    assert_eq!(
        status_part(&reports[0].bytes),
        "Reporting-MTA: dns; mx.example.org\r\n\
Original-Envelope-Id: env-1\r\n\
Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
\r\n\
Original-Recipient: rfc822;Unknown+1@example.net\r\n\
Final-Recipient: rfc822; unknown@example.net\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Remote-MTA: dns; 127.0.0.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n\
Last-Attempt-Date: Tue, 14 Nov 2023 22:14:20 +0000\r\n\
\r\n"
    );
    // The original header comes back, without the body.
    let report = String::from_utf8(reports[0].bytes.clone()).unwrap();
    let header = format!(
        "Content-Type: text/rfc822-headers\r\n\r\n{trace}\
From: Ann <ann@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: relayed\r\n\r\n--"
    );
    assert!(report.contains(&header), "{report}");
    assert!(!report.contains("Hello Bob"), "{report}");
    assert!(
        report.starts_with(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\nTo: <ann@example.org>\r\n"
        ),
        "{report}"
    );
    assert_eq!(near.queue.list(), []);
}

#[tokio::test]
async fn a_server_down_then_up_gets_the_message_after_a_retry() {
    let near = near().await;
    // A port nothing listens on, until the far end starts on it.
    let listener = bind().await;
    let far_addr = listener.local_addr().unwrap();
    drop(listener);
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>"],
        None,
        MESSAGE,
    )
    .await;
    let local = Recorder::default();
    let relay = Relay::new(
        near.queue.clone(),
        config(&[("example.net", far_addr)]),
        Arc::new(local.clone()),
    );
    assert_eq!(relay.deliver_due().await, 1);
    let entry = &near.queue.list()[0];
    let bob = &entry.recipients[0];
    assert_eq!(
        (bob.status, bob.attempts, bob.next_attempt),
        (Status::Pending, 1, T0 + 300)
    );
    let error = bob.last_error.clone().unwrap();
    assert!(
        error.starts_with(&format!(
            "cannot deliver through {far_addr}: cannot connect: "
        )),
        "{error}"
    );

    let far = Recorder::default();
    let far_shutdown = Shutdown::new();
    serve(
        far.clone(),
        TcpListener::bind(far_addr).await.unwrap(),
        &far_shutdown,
    );
    near.clock.advance(Duration::from_secs(299));
    assert_eq!(relay.deliver_due().await, 0);
    assert_eq!(far.got(), []);
    near.clock.advance(Duration::from_secs(1));
    assert_eq!(relay.deliver_due().await, 1);
    assert_eq!(far.got().len(), 1);
    assert_eq!(near.queue.list(), []);
    assert_eq!(local.got(), [], "no report for a delivered message");
}

#[tokio::test]
async fn backoff_doubles_and_expiry_fails_with_a_report() {
    let near = near().await;
    let listener = bind().await;
    let dead = listener.local_addr().unwrap();
    drop(listener);
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>"],
        None,
        MESSAGE,
    )
    .await;
    let local = Recorder::default();
    let mut config = config(&[("example.net", dead)]);
    config.lifetime = Duration::from_secs(3600);
    let relay = Relay::new(near.queue.clone(), config, Arc::new(local.clone()));
    let mut next = Vec::new();
    for _ in 0..4 {
        assert_eq!(relay.deliver_due().await, 1);
        let t = near.queue.list()[0].recipients[0].next_attempt;
        next.push(t - near.clock.now());
        near.clock
            .advance(Duration::from_secs(t - near.clock.now()));
    }
    // 5, 10, 20 minutes; the fourth attempt is at T0 + 35 min, and 40 more minutes would
    // be past the lifetime, which is only checked at the attempt.
    assert_eq!(next, [300, 600, 1200, 2400]);
    assert_eq!(relay.deliver_due().await, 1);
    assert_eq!(near.queue.list(), []);
    let reports = local.got();
    assert_eq!(reports.len(), 1);
    let status = status_part(&reports[0].bytes);
    assert!(
        status.contains("\r\nAction: failed\r\nStatus: 4.4.7\r\n"),
        "{status}"
    );
}

#[tokio::test]
async fn a_queue_reopened_after_a_crash_delivers_every_message_once() {
    let near = near().await;
    for n in 0..3 {
        let message = format!("Subject: {n}\r\n\r\nbody {n}\r\n");
        submit(
            near.addr,
            "<ann@example.org>",
            &["<bob@example.net>"],
            None,
            message.as_bytes(),
        )
        .await;
    }
    // What a crash in the middle of writing leaves: a temporary file and content whose
    // envelope never landed.
    std::fs::write(near.dir.path().join("half.eml.tmp"), b"Subject: half").unwrap();
    std::fs::write(near.dir.path().join("orphan.eml"), b"Subject: orphan").unwrap();
    std::fs::write(
        near.dir.path().join("orphan.env.tmp"),
        b"mailwire-queue 1\n",
    )
    .unwrap();
    let dir = near.dir.path().to_owned();
    let clock = near.clock.clone();
    // No shutdown, nothing flushed: the queue and its server are simply gone.
    let Near { dir: keep, .. } = near;

    let queue = Queue::open_with(&dir, clock.clone()).unwrap();
    assert_eq!(queue.list().len(), 3);
    assert_eq!(files(&dir).len(), 6, "{:?}", files(&dir));
    let far = Recorder::default();
    let far_shutdown = Shutdown::new();
    let far_addr = serve(far.clone(), bind().await, &far_shutdown);
    let relay = Relay::new(
        queue,
        config(&[("example.net", far_addr)]),
        Arc::new(Recorder::default()),
    );
    assert_eq!(relay.deliver_due().await, 3);
    clock.advance(Duration::from_secs(3600));
    assert_eq!(relay.deliver_due().await, 0);
    let mut subjects: Vec<String> = far
        .got()
        .iter()
        .map(|g| {
            let text = String::from_utf8(g.bytes.clone()).unwrap();
            text[text.find("Subject: ").unwrap()..].to_owned()
        })
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "Subject: 0\r\n\r\nbody 0\r\n",
            "Subject: 1\r\n\r\nbody 1\r\n",
            "Subject: 2\r\n\r\nbody 2\r\n"
        ]
    );
    assert_eq!(Queue::open_with(&dir, clock).unwrap().list(), []);
    assert_eq!(files(&dir), Vec::<String>::new());
    drop(keep);
}

fn with_received(n: usize) -> Vec<u8> {
    let mut message = Vec::new();
    for i in 0..n {
        message.extend_from_slice(
            format!("Received: from h{i} by h{}; {DATE0}\r\n", i + 1).as_bytes(),
        );
    }
    message.extend_from_slice(b"Subject: loop\r\n\r\nround and round\r\n");
    message
}

#[tokio::test]
async fn more_than_100_received_fields_are_refused_as_a_loop() {
    let near = near().await;
    let results = submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>"],
        None,
        &with_received(101),
    )
    .await;
    assert_eq!(
        replies(&results),
        ["554 5.4.6 too many hops, mail loop\r\n"]
    );
    assert_eq!(near.queue.list(), []);
    assert_eq!(files(near.dir.path()), Vec::<String>::new());
    // 100 are allowed; the queued copy then has 101, and the next hop refuses it.
    let results = submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>"],
        None,
        &with_received(100),
    )
    .await;
    assert_eq!(replies(&results), ["250 2.0.0 Ok: queued\r\n"]);
    assert_eq!(near.queue.list().len(), 1);
}

#[tokio::test]
async fn the_null_sender_and_notify_never_get_no_report() {
    let near = near().await;
    let far = Recorder::default();
    let far_shutdown = Shutdown::new();
    let far_addr = serve(far.clone(), bind().await, &far_shutdown);
    submit(near.addr, "<>", &["<unknown@example.net>"], None, MESSAGE).await;
    let never = vec![RecipientDsn::new(Some(Notify::NEVER), None)];
    submit(
        near.addr,
        "<ann@example.org>",
        &["<unknown@example.net>"],
        Some(never),
        MESSAGE,
    )
    .await;
    assert_eq!(near.queue.list().len(), 2);
    let local = Recorder::default();
    let relay = Relay::new(
        near.queue.clone(),
        config(&[("example.net", far_addr)]),
        Arc::new(local.clone()),
    );
    assert_eq!(relay.deliver_due().await, 2);
    assert_eq!(near.queue.list(), []);
    assert_eq!(local.got(), []);
    assert_eq!(far.got(), []);
}

#[tokio::test]
async fn a_report_for_a_remote_sender_is_queued_from_the_null_sender() {
    let near = near().await;
    let far = Recorder::default();
    let far_shutdown = Shutdown::new();
    let far_addr = serve(far.clone(), bind().await, &far_shutdown);
    submit(
        near.addr,
        "<carol@example.com>",
        &["<unknown@example.net>"],
        None,
        MESSAGE,
    )
    .await;
    let relay = Relay::new(
        near.queue.clone(),
        config(&[("example.net", far_addr)]),
        Arc::new(Recorder::default()),
    );
    assert_eq!(relay.deliver_due().await, 1);
    let queued = near.queue.list();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].from, ReversePath::Null);
    assert_eq!(queued[0].recipients.len(), 1);
    assert_eq!(
        queued[0].recipients[0].path.to_string(),
        "<carol@example.com>"
    );
    assert_eq!(queued[0].recipients[0].status, Status::Pending);
}

#[tokio::test]
async fn list_flush_and_delete() {
    let near = near().await;
    let listener = bind().await;
    let dead = listener.local_addr().unwrap();
    drop(listener);
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>"],
        None,
        MESSAGE,
    )
    .await;
    submit(
        near.addr,
        "<ann@example.org>",
        &["<eve@example.net>"],
        None,
        MESSAGE,
    )
    .await;
    let relay = Relay::new(
        near.queue.clone(),
        config(&[("example.net", dead)]),
        Arc::new(Recorder::default()),
    );
    assert_eq!(relay.deliver_due().await, 2);
    assert_eq!(relay.deliver_due().await, 0);
    let ids: Vec<String> = near.queue.list().into_iter().map(|e| e.id).collect();
    near.queue.flush(Some(&ids[0])).await.unwrap();
    assert_eq!(
        near.queue.get(&ids[0]).unwrap().recipients[0].next_attempt,
        T0
    );
    assert_eq!(relay.deliver_due().await, 1);
    near.queue.delete(&ids[1]).await.unwrap();
    assert!(near.queue.delete(&ids[1]).await.is_err());
    assert_eq!(near.queue.list().len(), 1);
    assert_eq!(
        files(near.dir.path()),
        [format!("{}.eml", ids[0]), format!("{}.env", ids[0])]
    );
    // The state on disk is what the list says.
    let reopened = Queue::open_with(near.dir.path(), near.clock.clone()).unwrap();
    assert_eq!(reopened.list(), near.queue.list());
    assert_eq!(reopened.list()[0].recipients[0].attempts, 2);
}

/// A far end offering STARTTLS with a self-signed certificate for `localhost`, and the
/// roots that trust it.
async fn far_with_starttls(far: &Recorder, shutdown: &Shutdown) -> (SocketAddr, RootCertStore) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let tls = Tls::server_with_certificate(vec![cert.clone()], key).unwrap();
    let addr = serve_tls(
        far.clone(),
        bind().await,
        shutdown,
        Security::StartTls,
        tls,
        true,
    );
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    (addr, roots)
}

#[tokio::test]
async fn starttls_is_used_when_required_and_opportunistic_falls_back_to_plaintext() {
    let near = near().await;
    let far = Recorder::default();
    let far_shutdown = Shutdown::new();
    let (far_addr, roots) = far_with_starttls(&far, &far_shutdown).await;
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>"],
        None,
        MESSAGE,
    )
    .await;
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.com>"],
        None,
        MESSAGE,
    )
    .await;

    let mut config = config(&[]);
    // A certificate this host can check, and TLS required.
    let mut required = Route::new("localhost", far_addr.port());
    required.tls = TlsPolicy::Required;
    config.routes.insert("example.net".into(), vec![required]);
    config.tls_roots = Some(roots);
    // The certificate names localhost, not 127.0.0.1: STARTTLS fails, and the
    // opportunistic route sends in plaintext.
    config.routes.insert(
        "example.com".into(),
        vec![Route::new("127.0.0.1", far_addr.port())],
    );
    let relay = Relay::new(near.queue.clone(), config, Arc::new(Recorder::default()));
    assert_eq!(relay.deliver_due().await, 2);
    let mut got: Vec<(Vec<String>, bool)> = far.got().into_iter().map(|g| (g.to, g.tls)).collect();
    got.sort();
    assert_eq!(
        got,
        [
            (vec!["<bob@example.com>".to_owned()], false),
            (vec!["<bob@example.net>".to_owned()], true)
        ]
    );
    assert_eq!(near.queue.list(), []);
}

#[tokio::test]
async fn a_route_that_requires_tls_does_not_fall_back() {
    let near = near().await;
    let far = Recorder::default();
    let far_shutdown = Shutdown::new();
    let (far_addr, _) = far_with_starttls(&far, &far_shutdown).await;
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>"],
        None,
        MESSAGE,
    )
    .await;
    let mut config = config(&[]);
    let mut required = Route::new("127.0.0.1", far_addr.port());
    required.tls = TlsPolicy::Required;
    config.routes.insert("example.net".into(), vec![required]);
    let relay = Relay::new(near.queue.clone(), config, Arc::new(Recorder::default()));
    assert_eq!(relay.deliver_due().await, 1);
    assert_eq!(far.got(), []);
    let bob = near.queue.list()[0].recipients[0].clone();
    assert_eq!((bob.status, bob.attempts), (Status::Pending, 1));
    let error = bob.last_error.unwrap();
    assert!(
        error.starts_with(&format!(
            "cannot deliver through {far_addr}: TLS handshake failed: "
        )),
        "{error}"
    );
}

#[tokio::test]
async fn ret_full_returns_the_whole_message() {
    let near = near().await;
    let far = Recorder::default();
    let far_shutdown = Shutdown::new();
    let far_addr = serve(far.clone(), bind().await, &far_shutdown);
    let mut envelope = Envelope::new(
        ReversePath::parse("<ann@example.org>").unwrap(),
        vec![ForwardPath::parse("<unknown@example.net>").unwrap()],
    );
    envelope.dsn.ret = Some(Ret::Full);
    submit_envelope(near.addr, envelope, MESSAGE).await;
    let id = near.queue.list()[0].id.clone();
    let trace = received(&near, &id, Some("<unknown@example.net>"));
    assert_eq!(near.queue.list()[0].ret, Some(Ret::Full));
    let local = Recorder::default();
    let relay = Relay::new(
        near.queue.clone(),
        config(&[("example.net", far_addr)]),
        Arc::new(local.clone()),
    );
    assert_eq!(relay.deliver_due().await, 1);
    let reports = local.got();
    assert_eq!(reports.len(), 1);
    let report = String::from_utf8(reports[0].bytes.clone()).unwrap();
    let mut returned = format!("Content-Type: message/rfc822\r\n\r\n{}", trace);
    returned.push_str(std::str::from_utf8(MESSAGE).unwrap());
    returned.push_str("\r\n--");
    assert!(report.contains(&returned), "{report}");
    assert!(report.ends_with("--\r\n"), "{report}");
}

#[tokio::test]
async fn a_server_that_never_answers_holds_up_only_its_own_messages() {
    let near = near().await;
    // Accepts connections and never says a word.
    let silent = bind().await;
    let silent_addr = silent.local_addr().unwrap();
    let _silent = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            held.push(silent.accept().await.unwrap());
        }
    });
    let far = Recorder::default();
    let far_shutdown = Shutdown::new();
    let far_addr = serve(far.clone(), bind().await, &far_shutdown);
    // The message for the silent server is queued (and so listed) first.
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.com>"],
        None,
        MESSAGE,
    )
    .await;
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>"],
        None,
        MESSAGE,
    )
    .await;
    let relay = Arc::new(Relay::new(
        near.queue.clone(),
        config(&[("example.com", silent_addr), ("example.net", far_addr)]),
        Arc::new(Recorder::default()),
    ));
    let stuck = tokio::spawn({
        let relay = Arc::clone(&relay);
        async move { relay.deliver_due().await }
    });
    // A guard against hanging, far beyond any wait this test needs.
    tokio::time::timeout(Duration::from_secs(120), async {
        while far.got().is_empty() {
            far.arrived.notified().await;
        }
        // The relay records the delivery after the far end's 250.
        while near.queue.list().len() != 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the second message waited for the first");
    assert!(!stuck.is_finished());
    // The message still being tried is not taken up a second time.
    assert_eq!(relay.deliver_due().await, 0);
    stuck.abort();
    let queued = near.queue.list();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        queued[0].recipients[0].path.to_string(),
        "<bob@example.com>"
    );
}

#[tokio::test]
async fn notify_success_to_a_server_without_dsn_is_reported_as_relayed() {
    let near = near().await;
    let far = Recorder::default();
    let far_shutdown = Shutdown::new();
    let far_addr = serve_tls(
        far.clone(),
        bind().await,
        &far_shutdown,
        Security::Plain,
        Tls::None,
        false,
    );
    let success = Notify {
        success: true,
        ..Notify::NEVER
    };
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>", "<carol@example.net>"],
        Some(vec![
            RecipientDsn::new(Some(success), None),
            RecipientDsn::default(),
        ]),
        MESSAGE,
    )
    .await;
    let local = Recorder::default();
    let relay = Relay::new(
        near.queue.clone(),
        config(&[("example.net", far_addr)]),
        Arc::new(local.clone()),
    );
    assert_eq!(relay.deliver_due().await, 1);
    assert_eq!(far.got().len(), 1);
    assert_eq!(far.got()[0].envid, None, "not offered DSN, not sent ENVID");
    let reports = local.got();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        status_part(&reports[0].bytes),
        "Reporting-MTA: dns; mx.example.org\r\n\
Original-Envelope-Id: env-1\r\n\
Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
\r\n\
Final-Recipient: rfc822; bob@example.net\r\n\
Action: relayed\r\n\
Status: 2.0.0\r\n\
Remote-MTA: dns; 127.0.0.1\r\n\
Last-Attempt-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
\r\n"
    );
    let report = String::from_utf8(reports[0].bytes.clone()).unwrap();
    assert!(
        report.contains("\r\nSubject: Delivery Status Notification (Relayed)\r\n"),
        "{report}"
    );
    assert!(
        report.contains("Content-Type: text/rfc822-headers\r\n"),
        "{report}"
    );
}

#[tokio::test]
async fn a_transaction_without_recipients_leaves_nothing_in_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let queue = Queue::open_with(dir.path(), Clock::manual(T0)).unwrap();
    let intake = Intake::new(queue.clone());
    let client = Client::new("127.0.0.1".parse().unwrap(), "client.example");
    let from = ReversePath::parse("<ann@example.org>").unwrap();
    let mut t = intake
        .mail(&client, &from, &MailParameters::default())
        .await
        .unwrap();
    t.data(Bytes::from_static(MESSAGE)).await.unwrap();
    assert_eq!(t.commit().await, []);
    assert_eq!(queue.list(), []);
    assert_eq!(files(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn notify_delay_is_answered_once_after_the_warning_time() {
    let near = near().await;
    let listener = bind().await;
    let dead = listener.local_addr().unwrap();
    drop(listener);
    let delay = Notify {
        delay: true,
        failure: true,
        ..Notify::NEVER
    };
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>", "<carol@example.net>"],
        Some(vec![
            RecipientDsn::new(Some(delay), None),
            RecipientDsn::default(),
        ]),
        MESSAGE,
    )
    .await;
    let local = Recorder::default();
    let mut config = config(&[("example.net", dead)]);
    config.delay_warning = Some(Duration::from_secs(1000));
    let relay = Relay::new(near.queue.clone(), config, Arc::new(local.clone()));
    // Attempts at T0, T0 + 300 and T0 + 900: before the warning time.
    for _ in 0..3 {
        assert_eq!(relay.deliver_due().await, 1);
        let t = near.queue.list()[0].next_attempt().unwrap();
        near.clock
            .advance(Duration::from_secs(t - near.clock.now()));
    }
    assert_eq!(local.got(), []);
    // T0 + 2100: the warning, for bob only, who asked for it.
    assert_eq!(relay.deliver_due().await, 1);
    let reports = local.got();
    assert_eq!(reports.len(), 1);
    let status = status_part(&reports[0].bytes);
    let report = String::from_utf8(reports[0].bytes.clone()).unwrap();
    assert!(
        report.contains("\r\nSubject: Delayed Mail (still being retried)\r\n"),
        "{report}"
    );
    let error = near.queue.list()[0].recipients[0]
        .last_error
        .clone()
        .unwrap();
    assert_eq!(
        status,
        format!(
            "Reporting-MTA: dns; mx.example.org\r\n\
Original-Envelope-Id: env-1\r\n\
Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
\r\n\
Final-Recipient: rfc822; bob@example.net\r\n\
Action: delayed\r\n\
Status: 4.4.1\r\n\
Last-Attempt-Date: Tue, 14 Nov 2023 22:48:20 +0000\r\n\
Will-Retry-Until: Sun, 19 Nov 2023 22:13:20 +0000\r\n\
\r\n"
        )
    );
    assert!(error.starts_with("cannot deliver through"), "{error}");
    assert!(near.queue.list()[0].recipients[0].delay_reported);
    // The next attempt tells no one again.
    let t = near.queue.list()[0].next_attempt().unwrap();
    near.clock
        .advance(Duration::from_secs(t - near.clock.now()));
    assert_eq!(relay.deliver_due().await, 1);
    assert_eq!(local.got().len(), 1);
}

#[tokio::test]
async fn a_flush_wakes_the_running_relay() {
    let near = near().await;
    let listener = bind().await;
    let far_addr = listener.local_addr().unwrap();
    drop(listener);
    let relay = Arc::new(Relay::new(
        near.queue.clone(),
        config(&[("example.net", far_addr)]),
        Arc::new(Recorder::default()),
    ));
    let shutdown = Shutdown::new();
    let task = tokio::spawn({
        let relay = Arc::clone(&relay);
        let signal = shutdown.signal();
        async move { relay.run(signal).await }
    });
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>"],
        None,
        MESSAGE,
    )
    .await;
    // The first attempt finds the far end down (the clock stands still: the retry is
    // due in 300 seconds that never pass).
    tokio::time::timeout(Duration::from_secs(120), async {
        while near
            .queue
            .list()
            .first()
            .is_none_or(|e| e.recipients[0].attempts == 0)
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(near.queue.list()[0].recipients[0].next_attempt, T0 + 300);
    let far = Recorder::default();
    let far_shutdown = Shutdown::new();
    serve(
        far.clone(),
        TcpListener::bind(far_addr).await.unwrap(),
        &far_shutdown,
    );
    near.queue.flush(None).await.unwrap();
    tokio::time::timeout(Duration::from_secs(120), async {
        while far.got().is_empty() {
            far.arrived.notified().await;
        }
    })
    .await
    .unwrap();
    shutdown.request();
    task.await.unwrap();
    assert_eq!(far.got().len(), 1);
    assert_eq!(near.queue.list(), []);
}

/// A `Delivery` that refuses every MAIL with `reply` and counts the refusals.
#[derive(Debug, Clone)]
struct Refuser {
    reply: &'static str,
    count: Arc<Mutex<usize>>,
}

impl Refuser {
    fn new(reply: &'static str) -> Self {
        Self {
            reply,
            count: Arc::default(),
        }
    }

    fn count(&self) -> usize {
        *self.count.lock().unwrap()
    }
}

impl Delivery for Refuser {
    type Transaction = Recording;

    async fn mail(
        &self,
        _client: &Client,
        _from: &ReversePath,
        _params: &MailParameters,
    ) -> Result<Recording, Reply> {
        *self.count.lock().unwrap() += 1;
        let (code, text) = self.reply.split_once(' ').unwrap();
        Err(Reply::new(code.parse::<u16>().unwrap(), text).unwrap())
    }
}

/// A port nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = bind().await;
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

/// A server that greets every connection with `421 4.3.2 busy` and closes it.
async fn busy_server() -> SocketAddr {
    let listener = bind().await;
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            use tokio::io::AsyncWriteExt as _;
            let _ = tcp.write_all(b"421 4.3.2 busy\r\n").await;
        }
    });
    addr
}

fn route(addr: SocketAddr) -> Route {
    let mut route: Route = addr.to_string().parse().unwrap();
    route.tls = TlsPolicy::Never;
    route
}

#[tokio::test]
async fn the_next_server_takes_the_message_when_one_cannot_now() {
    let near = near().await;
    let shutdown = Shutdown::new();
    let greylisting = Refuser::new("451 4.7.1 try again later");
    let greylisting_addr = serve(greylisting.clone(), bind().await, &shutdown);
    let far = Recorder::default();
    let far_addr = serve(far.clone(), bind().await, &shutdown);
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>"],
        None,
        MESSAGE,
    )
    .await;
    let id = near.queue.list()[0].id.clone();
    let trace = received(&near, &id, Some("<bob@example.net>"));
    // Down, then 421 at the greeting, then 451 to MAIL, then one that takes it.
    let mut config = config(&[]);
    config.routes.insert(
        "example.net".into(),
        vec![
            route(closed_port().await),
            route(busy_server().await),
            route(greylisting_addr),
            route(far_addr),
        ],
    );
    let relay = Relay::new(near.queue.clone(), config, Arc::new(Recorder::default()));
    assert_eq!(relay.deliver_due().await, 1);
    assert_eq!(greylisting.count(), 1);
    let mut expected = trace.clone().into_bytes();
    expected.extend_from_slice(MESSAGE);
    let got = far.got();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (
            got[0].to.clone(),
            below_own_received(&got[0].bytes, "mx.example.org")
        ),
        (vec!["<bob@example.net>".to_owned()], expected)
    );
    assert_eq!(near.queue.list(), []);
}

#[tokio::test]
async fn every_server_failing_for_now_defers_with_the_last_reply() {
    let near = near().await;
    let shutdown = Shutdown::new();
    let greylisting = Refuser::new("451 4.7.1 try again later");
    let greylisting_addr = serve(greylisting.clone(), bind().await, &shutdown);
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>"],
        None,
        MESSAGE,
    )
    .await;
    let mut config = config(&[]);
    config.routes.insert(
        "example.net".into(),
        vec![route(closed_port().await), route(greylisting_addr)],
    );
    let relay = Relay::new(near.queue.clone(), config, Arc::new(Recorder::default()));
    assert_eq!(relay.deliver_due().await, 1);
    let bob = near.queue.list()[0].recipients[0].clone();
    assert_eq!(
        (bob.status, bob.attempts, bob.next_attempt),
        (Status::Pending, 1, T0 + 300)
    );
    assert_eq!(bob.last_error.as_deref(), Some("451 4.7.1 try again later"));
    assert_eq!(bob.remote.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn a_permanent_refusal_of_mail_is_not_taken_to_the_next_server() {
    let near = near().await;
    let shutdown = Shutdown::new();
    let refusing = Refuser::new("550 5.7.1 not from you");
    let refusing_addr = serve(refusing.clone(), bind().await, &shutdown);
    let far = Recorder::default();
    let far_addr = serve(far.clone(), bind().await, &shutdown);
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.net>"],
        None,
        MESSAGE,
    )
    .await;
    let mut config = config(&[]);
    config.routes.insert(
        "example.net".into(),
        vec![route(refusing_addr), route(far_addr)],
    );
    let local = Recorder::default();
    let relay = Relay::new(near.queue.clone(), config, Arc::new(local.clone()));
    assert_eq!(relay.deliver_due().await, 1);
    assert_eq!(refusing.count(), 1);
    assert_eq!(far.got(), []);
    let reports = local.got();
    assert_eq!(reports.len(), 1);
    assert!(
        status_part(&reports[0].bytes).contains("Action: failed\r\nStatus: 5.7.1\r\n"),
        "{}",
        status_part(&reports[0].bytes)
    );
    assert_eq!(near.queue.list(), []);
}

/// Forwards every connection to `to`, counting them.
async fn counting_proxy(to: SocketAddr) -> (SocketAddr, Arc<Mutex<usize>>) {
    let listener = bind().await;
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(Mutex::new(0));
    tokio::spawn({
        let count = Arc::clone(&count);
        async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                *count.lock().unwrap() += 1;
                tokio::spawn(async move {
                    // Nothing there: the connection closes before a greeting.
                    let Ok(mut server) = TcpStream::connect(to).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tcp, &mut server).await;
                });
            }
        }
    });
    (addr, count)
}

#[tokio::test]
async fn messages_for_one_server_share_a_connection_up_to_the_limit() {
    let near = near().await;
    let shutdown = Shutdown::new();
    let far = Recorder::default();
    let far_addr = serve(far.clone(), bind().await, &shutdown);
    let (proxy, connections) = counting_proxy(far_addr).await;
    let submit_five = || async {
        for n in 0..5 {
            let to = format!("<bob{n}@example.net>");
            submit(near.addr, "<ann@example.org>", &[&to], None, MESSAGE).await;
        }
    };

    // Five messages, one connection.
    submit_five().await;
    let relay = Relay::new(
        near.queue.clone(),
        config(&[("example.net", proxy)]),
        Arc::new(Recorder::default()),
    );
    assert_eq!(relay.deliver_due().await, 5);
    assert_eq!(far.got().len(), 5);
    assert_eq!(*connections.lock().unwrap(), 1);
    assert_eq!(near.queue.list(), []);

    // Five more, at most two a connection: three connections.
    submit_five().await;
    let mut config = config(&[("example.net", proxy)]);
    config.max_messages_per_connection = 2;
    let relay = Relay::new(near.queue.clone(), config, Arc::new(Recorder::default()));
    assert_eq!(relay.deliver_due().await, 5);
    let mut to: Vec<String> = far.got().into_iter().flat_map(|g| g.to).collect();
    to.sort();
    assert_eq!(
        to,
        (0..5)
            .flat_map(|n| vec![format!("<bob{n}@example.net>"); 2])
            .collect::<Vec<_>>()
    );
    assert_eq!(*connections.lock().unwrap(), 1 + 3);
    assert_eq!(near.queue.list(), []);
}

#[tokio::test]
async fn a_server_found_down_is_tried_once_a_pass() {
    let near = near().await;
    let down = closed_port().await;
    let (proxy, connections) = counting_proxy(down).await;
    for n in 0..3 {
        let to = format!("<bob{n}@example.net>");
        submit(near.addr, "<ann@example.org>", &[&to], None, MESSAGE).await;
    }
    // The proxy takes the connection and closes it at once: no greeting.
    let relay = Relay::new(
        near.queue.clone(),
        config(&[("example.net", proxy)]),
        Arc::new(Recorder::default()),
    );
    assert_eq!(relay.deliver_due().await, 3);
    assert_eq!(*connections.lock().unwrap(), 1);
    for entry in near.queue.list() {
        let r = &entry.recipients[0];
        assert_eq!(
            (r.status, r.attempts, r.next_attempt),
            (Status::Pending, 1, T0 + 300)
        );
    }
}

#[tokio::test]
async fn another_process_flushes_and_deletes_through_the_directory() {
    let near = near().await;
    let far_addr = closed_port().await;
    let mut config = config(&[("example.net", far_addr)]);
    config.rescan_interval = Duration::from_millis(20);
    let relay = Arc::new(Relay::new(
        near.queue.clone(),
        config,
        Arc::new(Recorder::default()),
    ));
    let shutdown = Shutdown::new();
    let task = tokio::spawn({
        let relay = Arc::clone(&relay);
        let signal = shutdown.signal();
        async move { relay.run(signal).await }
    });
    for to in ["<bob@example.net>", "<carol@example.net>"] {
        submit(near.addr, "<ann@example.org>", &[to], None, MESSAGE).await;
    }
    // Both tried once with the far end down, as the files say; the retry is due in 300
    // seconds that never pass on this clock.
    let beside = || Queue::inspect_with(near.dir.path(), near.clock.clone()).unwrap();
    tokio::time::timeout(Duration::from_secs(120), async {
        while beside()
            .list()
            .iter()
            .any(|e| e.recipients[0].attempts == 0)
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let far = Recorder::default();
    let far_shutdown = Shutdown::new();
    serve(
        far.clone(),
        TcpListener::bind(far_addr).await.unwrap(),
        &far_shutdown,
    );

    // A second process: the command-line tool beside the running server.
    let beside = beside();
    let list = beside.list();
    assert_eq!(list.len(), 2);
    assert_eq!(list, near.queue.list());
    let bob = list
        .iter()
        .find(|e| e.recipients[0].path.to_string() == "<bob@example.net>")
        .unwrap();
    beside.delete(&bob.id).await.unwrap();
    beside.flush(None).await.unwrap();
    tokio::time::timeout(Duration::from_secs(120), async {
        while far.got().is_empty() {
            far.arrived.notified().await;
        }
    })
    .await
    .unwrap();
    shutdown.request();
    task.await.unwrap();
    let got = far.got();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["<carol@example.net>"]);
    assert_eq!(near.queue.list(), []);
    // The delete's note may have brought the flush in already, leaving the flush's own
    // note for a later look: it asks for nothing more.
    let mut left = files(near.dir.path());
    left.retain(|name| name != "changes");
    assert_eq!(left, Vec::<String>::new());
}

/// The replies still to give, by recipient.
type Answers = Arc<Mutex<Vec<(String, Vec<Reply>)>>>;

/// A local `Delivery` answering each recipient after the data, as LMTP does: the
/// replies listed for a recipient, one an attempt, then `250`.
#[derive(Debug, Clone, Default)]
struct PerRecipient {
    answers: Answers,
    got: Arc<Mutex<Vec<Got>>>,
}

impl PerRecipient {
    fn answering(to: &str, replies: &[(u16, &str)]) -> Self {
        let replies = replies.iter().map(|(c, t)| Reply::new(*c, t).unwrap());
        let local = Self::default();
        local
            .answers
            .lock()
            .unwrap()
            .push((to.to_owned(), replies.collect()));
        local
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

#[derive(Debug)]
struct PerRecipientMessage(PerRecipient, Got);

impl Delivery for PerRecipient {
    type Transaction = PerRecipientMessage;

    async fn mail(
        &self,
        _client: &Client,
        from: &ReversePath,
        _params: &MailParameters,
    ) -> Result<PerRecipientMessage, Reply> {
        let got = Got {
            tls: false,
            from: from.to_string(),
            to: Vec::new(),
            envid: None,
            rcpt_params: Vec::new(),
            bytes: Vec::new(),
        };
        Ok(PerRecipientMessage(self.clone(), got))
    }
}

impl Transaction for PerRecipientMessage {
    async fn rcpt(&mut self, to: &ForwardPath, _params: &RcptParameters) -> Result<(), Reply> {
        self.1.to.push(to.to_string());
        Ok(())
    }

    async fn data(&mut self, chunk: Bytes) -> Result<(), Reply> {
        self.1.bytes.extend_from_slice(&chunk);
        Ok(())
    }

    async fn commit(self) -> Vec<Result<(), Reply>> {
        let mut answers = self.0.answers.lock().unwrap();
        let results = self
            .1
            .to
            .iter()
            .map(|to| match answers.iter_mut().find(|(a, _)| a == to) {
                Some((_, replies)) if !replies.is_empty() => Err(replies.remove(0)),
                _ => Ok(()),
            })
            .collect();
        self.0.got.lock().unwrap().push(self.1);
        results
    }
}

#[tokio::test]
async fn local_recipients_answered_one_by_one_are_delivered_or_retried_each() {
    let near = near().await;
    let results = submit(
        near.addr,
        "<ann@example.net>",
        &["<bob@example.org>", "<carol@example.org>"],
        None,
        MESSAGE,
    )
    .await;
    assert_eq!(
        replies(&results),
        ["250 2.0.0 Ok: queued\r\n", "250 2.0.0 Ok: queued\r\n"]
    );
    let id = near.queue.list()[0].id.clone();
    let trace = received(&near, &id, None);
    let local = PerRecipient::answering("<carol@example.org>", &[(452, "4.2.2 mailbox full")]);
    // No route for example.org: its mail never leaves this host.
    let relay = Relay::new(near.queue.clone(), config(&[]), Arc::new(local.clone()));
    assert_eq!(relay.deliver_due().await, 1);

    let bytes = [trace.as_bytes(), MESSAGE].concat();
    let got = local.got();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].from, "<ann@example.net>");
    assert_eq!(got[0].to, ["<bob@example.org>", "<carol@example.org>"]);
    assert_eq!(got[0].bytes, bytes);
    let entry = &near.queue.list()[0];
    let (bob, carol) = (&entry.recipients[0], &entry.recipients[1]);
    assert_eq!((bob.status, bob.attempts), (Status::Delivered, 1));
    assert_eq!(bob.remote, None);
    assert_eq!(
        (carol.status, carol.attempts, carol.next_attempt),
        (Status::Pending, 1, T0 + 300)
    );
    assert_eq!(carol.last_error.as_deref(), Some("452 4.2.2 mailbox full"));

    near.clock.advance(Duration::from_secs(299));
    assert_eq!(relay.deliver_due().await, 0);
    assert_eq!(local.got().len(), 1);
    near.clock.advance(Duration::from_secs(1));
    assert_eq!(relay.deliver_due().await, 1);
    let got = local.got();
    assert_eq!(got.len(), 2, "bob's copy is not delivered again");
    assert_eq!(got[1].to, ["<carol@example.org>"]);
    assert_eq!(got[1].bytes, bytes);
    assert_eq!(near.queue.list(), [], "no report, nothing left");
}

#[tokio::test]
async fn notify_success_for_a_local_recipient_is_answered_at_delivery() {
    let near = near().await;
    let success = Notify {
        success: true,
        ..Notify::NEVER
    };
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.org>", "<carol@example.org>"],
        Some(vec![
            RecipientDsn::new(Some(success), None),
            RecipientDsn::default(),
        ]),
        MESSAGE,
    )
    .await;
    let local = PerRecipient::answering("<nobody@example.org>", &[]);
    let relay = Relay::new(near.queue.clone(), config(&[]), Arc::new(local.clone()));
    assert_eq!(relay.deliver_due().await, 1);

    let got = local.got();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].to, ["<bob@example.org>", "<carol@example.org>"]);
    // Only bob asked: the report names him alone, with the header of the message.
    assert_eq!(
        (got[1].from.as_str(), got[1].to.as_slice()),
        ("<>", &["<ann@example.org>".to_owned()][..])
    );
    assert_eq!(
        status_part(&got[1].bytes),
        "Reporting-MTA: dns; mx.example.org\r\n\
Original-Envelope-Id: env-1\r\n\
Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
\r\n\
Final-Recipient: rfc822; bob@example.org\r\n\
Action: delivered\r\n\
Status: 2.0.0\r\n\
Last-Attempt-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
\r\n"
    );
    let report = String::from_utf8(got[1].bytes.clone()).unwrap();
    assert!(
        report.contains("\r\nSubject: Successful Mail Delivery Report\r\n"),
        "{report}"
    );
    assert!(
        report.contains(
            "Your message was delivered to the mailbox of each recipient below.\r\n\r\n\
             <bob@example.org>: delivered to the mailbox\r\n"
        ),
        "{report}"
    );
    assert!(
        report.contains("Content-Type: text/rfc822-headers\r\n"),
        "{report}"
    );
    assert!(!report.contains("Hello Bob"), "{report}");
    assert_eq!(near.queue.list(), []);
}

#[tokio::test]
async fn a_local_recipient_refused_for_good_sends_a_report_to_the_sender() {
    let near = near().await;
    submit(
        near.addr,
        "<ann@example.org>",
        &["<bob@example.org>", "<carol@example.org>"],
        None,
        MESSAGE,
    )
    .await;
    let id = near.queue.list()[0].id.clone();
    let trace = received(&near, &id, None);
    let local = PerRecipient::answering("<carol@example.org>", &[(550, "5.2.1 mailbox disabled")]);
    let relay = Relay::new(near.queue.clone(), config(&[]), Arc::new(local.clone()));
    near.clock.advance(Duration::from_secs(60));
    assert_eq!(relay.deliver_due().await, 1);

    let got = local.got();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].to, ["<bob@example.org>", "<carol@example.org>"]);
    // The report, to the local sender through the same delivery.
    assert_eq!(got[1].from, "<>");
    assert_eq!(got[1].to, ["<ann@example.org>"]);
    assert_eq!(
        status_part(&got[1].bytes),
        "Reporting-MTA: dns; mx.example.org\r\n\
Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
\r\n\
Final-Recipient: rfc822; carol@example.org\r\n\
Action: failed\r\n\
Status: 5.2.1\r\n\
Diagnostic-Code: smtp; 550 5.2.1 mailbox disabled\r\n\
Last-Attempt-Date: Tue, 14 Nov 2023 22:14:20 +0000\r\n\
\r\n"
    );
    let report = String::from_utf8(got[1].bytes.clone()).unwrap();
    let header = format!("Content-Type: text/rfc822-headers\r\n\r\n{}", trace);
    assert!(report.contains(&header), "{report}");
    assert_eq!(near.queue.list(), []);
}

#[tokio::test]
async fn no_report_goes_to_the_null_sender_of_a_local_failure() {
    let near = near().await;
    submit(near.addr, "<>", &["<carol@example.org>"], None, MESSAGE).await;
    let local = PerRecipient::answering("<carol@example.org>", &[(550, "5.2.1 mailbox disabled")]);
    let relay = Relay::new(near.queue.clone(), config(&[]), Arc::new(local.clone()));
    assert_eq!(relay.deliver_due().await, 1);
    let got = local.got();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["<carol@example.org>"]);
    assert_eq!(near.queue.list(), []);
}

#[tokio::test]
async fn a_report_the_local_delivery_cannot_take_now_is_queued_and_retried() {
    let near = near().await;
    submit(
        near.addr,
        "<ann@example.org>",
        &["<carol@example.org>"],
        None,
        MESSAGE,
    )
    .await;
    let local = PerRecipient::answering("<carol@example.org>", &[(550, "5.2.1 mailbox disabled")]);
    local.answers.lock().unwrap().push((
        "<ann@example.org>".to_owned(),
        vec![Reply::new(452, "4.2.2 mailbox full").unwrap()],
    ));
    let relay = Relay::new(near.queue.clone(), config(&[]), Arc::new(local.clone()));
    assert_eq!(relay.deliver_due().await, 1);
    // The report was refused for now: it waits in the queue, from the null sender.
    let queued = near.queue.list();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].from, ReversePath::Null);
    assert_eq!(
        queued[0].recipients[0].path.to_string(),
        "<ann@example.org>"
    );
    assert_eq!(queued[0].recipients[0].status, Status::Pending);

    assert_eq!(relay.deliver_due().await, 1);
    let got = local.got();
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].to, ["<ann@example.org>"]);
    assert_eq!(
        (got[2].from.as_str(), &got[2].to[..]),
        ("<>", &["<ann@example.org>".to_owned()][..])
    );
    assert_eq!(got[1].bytes, got[2].bytes);
    assert!(status_part(&got[2].bytes).contains("Final-Recipient: rfc822; carol@example.org\r\n"));
    assert_eq!(near.queue.list(), []);
}
