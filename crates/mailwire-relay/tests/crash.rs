//! `kill -9` after the `250`: the test binary runs itself as the server in a child
//! process, submits to it, kills it, and delivers from the queue it left behind.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use mailwire_relay::{Clock, Config, Intake, Queue, Relay, Route};
use mailwire_server::memory::Memory;
use mailwire_server::{
    Client, Delivery, Limits, Listeners, Security, Shutdown, SmtpServer, Throttle, Transaction,
};
use mailwire_smtp::client::{self, Envelope, TlsPolicy};
use mailwire_smtp::{
    Domain, ForwardPath, Host, MailParameters, RcptParameters, Reply, ReversePath,
};
use mailwire_tokio::smtp::SmtpClient;
use mailwire_tokio::{MaybeTlsStream, Tls};
use tokio::net::{TcpListener, TcpStream};

const DIR_VAR: &str = "MAILWIRE_RELAY_CRASH_DIR";

fn serve<D: Delivery>(delivery: D, listener: TcpListener, shutdown: &Shutdown) -> SocketAddr {
    let config = mailwire_smtp::server::Config::new(Domain::new("mx.test").unwrap());
    let server = Arc::new(SmtpServer::new(
        config,
        Arc::new(Memory::new()),
        Arc::new(delivery),
        Arc::new(Throttle::new()),
    ));
    let mut listeners = Listeners::new(Limits::default(), shutdown.signal());
    let addr = listeners
        .add(server, listener, Security::Plain, Tls::None)
        .unwrap();
    tokio::spawn(listeners.run());
    addr
}

/// The server process: takes mail into the queue in `$MAILWIRE_RELAY_CRASH_DIR/queue`,
/// says its address in `.../addr`, and runs until it is killed.
#[tokio::test]
#[ignore = "run by queue_survives_kill_9 in a child process"]
async fn crash_child() {
    let Some(dir) = std::env::var_os(DIR_VAR).map(PathBuf::from) else {
        return;
    };
    let queue = Queue::open(dir.join("queue")).unwrap();
    let shutdown = Shutdown::new();
    let intake = Intake::new(queue);
    let addr = serve(
        intake,
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
        &shutdown,
    );
    std::fs::write(dir.join("addr.tmp"), addr.to_string()).unwrap();
    std::fs::rename(dir.join("addr.tmp"), dir.join("addr")).unwrap();
    std::future::pending::<()>().await;
}

/// Keeps the subjects of what it is given.
#[derive(Debug, Clone, Default)]
struct Subjects(Arc<Mutex<Vec<String>>>);

#[derive(Debug)]
struct Taking(Subjects, Vec<u8>);

impl Delivery for Subjects {
    type Transaction = Taking;

    async fn mail(&self, _: &Client, _: &ReversePath, _: &MailParameters) -> Result<Taking, Reply> {
        Ok(Taking(self.clone(), Vec::new()))
    }
}

impl Transaction for Taking {
    async fn rcpt(&mut self, _: &ForwardPath, _: &RcptParameters) -> Result<(), Reply> {
        Ok(())
    }

    async fn data(&mut self, chunk: Bytes) -> Result<(), Reply> {
        self.1.extend_from_slice(&chunk);
        Ok(())
    }

    async fn commit(self) -> Vec<Result<(), Reply>> {
        let text = String::from_utf8(self.1).unwrap();
        let subject = text[text.find("Subject: ").unwrap()..].to_owned();
        self.0.0.lock().unwrap().push(subject);
        vec![Ok(())]
    }
}

#[tokio::test]
async fn queue_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--ignored", "--nocapture"])
        .env(DIR_VAR, dir.path())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let addr_file = dir.path().join("addr");
    let addr: SocketAddr = loop {
        if let Ok(text) = std::fs::read_to_string(&addr_file) {
            break text.parse().unwrap();
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the server process ended"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    for n in 0..3 {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut config = client::Config::new(Host::parse("client.example").unwrap());
        config.tls = TlsPolicy::Never;
        let mut smtp = SmtpClient::start(MaybeTlsStream::Plain(tcp), config, Tls::None)
            .await
            .unwrap();
        let envelope = Envelope::new(
            ReversePath::parse("<ann@example.org>").unwrap(),
            vec![ForwardPath::parse("<bob@example.net>").unwrap()],
        );
        let message = format!("Subject: {n}\r\n\r\nbody {n}\r\n");
        let results = smtp.send_raw(envelope, message.as_bytes()).await.unwrap();
        assert!(results[0].is_delivered(), "{:?}", results[0]);
        // No QUIT: the process dies with the connection open.
        drop(smtp);
    }
    // SIGKILL: no destructor, no flush.
    child.kill().unwrap();
    child.wait().unwrap();

    let queue = Queue::open_with(dir.path().join("queue"), Clock::system()).unwrap();
    assert_eq!(queue.list().len(), 3);
    let far = Subjects::default();
    let shutdown = Shutdown::new();
    let far_addr = serve(
        far.clone(),
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
        &shutdown,
    );
    let mut config = Config::new(Domain::new("mx.example.org").unwrap());
    let mut route: Route = far_addr.to_string().parse().unwrap();
    route.tls = TlsPolicy::Never;
    config.routes.insert("example.net".into(), vec![route]);
    config.dns = false;
    let relay = Relay::new(queue.clone(), config, Arc::new(Subjects::default()));
    assert_eq!(relay.deliver_due().await, 3);
    assert_eq!(relay.deliver_due().await, 0);
    let mut subjects = far.0.lock().unwrap().clone();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "Subject: 0\r\n\r\nbody 0\r\n",
            "Subject: 1\r\n\r\nbody 1\r\n",
            "Subject: 2\r\n\r\nbody 2\r\n"
        ]
    );
    assert_eq!(queue.list(), []);
}
