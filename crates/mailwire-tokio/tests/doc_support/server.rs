// The in-process mail server the crate documentation's examples run against, included by
// each example (`include!`). Paths are written in full, so that the items here never
// clash with an example's own `use` lines.
//
// It serves one user, `fred` with password `secret`, from `mailwire_server`'s memory
// store: SMTP submission (STARTTLS, then AUTH) and IMAP (STARTTLS) on loopback, with a
// certificate for `localhost` that the clients trust the way they trust any CA the machine
// trusts: through `SSL_CERT_FILE`, read by the platform store that
// `mailwire_tokio::Tls::platform` loads.

/// The servers of one example, and what they hold.
struct DocServer {
    /// `localhost:PORT` of the submission listener.
    smtp: String,
    /// `localhost:PORT` of the IMAP listener.
    imap: String,
    /// The user's mail.
    memory: mailwire_server::memory::Memory,
    /// The certificate file named by `SSL_CERT_FILE`, removed on drop.
    ca: std::path::PathBuf,
}

impl Drop for DocServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca);
    }
}

impl DocServer {
    /// The raw messages in one of fred's mailboxes.
    async fn mailbox(&self, name: &str) -> Vec<Vec<u8>> {
        use mailwire_server::{MailStore as _, Mailbox as _, Mailboxes as _};
        use tokio::io::AsyncReadExt as _;
        let mailboxes = self.memory.open("fred").await.unwrap();
        let (mailbox, snapshot) = mailboxes.select(name, true).await.unwrap();
        let mut messages = Vec::new();
        for message in &snapshot.messages {
            let mut content = Vec::new();
            let mut reader = mailbox.content(message.uid, 0).await.unwrap().unwrap();
            reader.read_to_end(&mut content).await.unwrap();
            messages.push(content);
        }
        messages
    }
}

/// Starts the servers with `inbox` in fred's INBOX, unseen.
async fn doc_server(inbox: &[&str]) -> DocServer {
    use mailwire_server::{MailStore as _, Mailboxes as _};
    use std::sync::Arc;

    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let ca = std::env::temp_dir().join(format!("mailwire-doc-{}.pem", std::process::id()));
    let pem = {
        use base64::Engine as _;
        let base64 = base64::engine::general_purpose::STANDARD.encode(certified.cert.der());
        let lines: Vec<&str> = base64
            .as_bytes()
            .chunks(64)
            .map(|line| std::str::from_utf8(line).unwrap())
            .collect();
        format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"))
    };
    std::fs::write(&ca, pem).unwrap();
    // SAFETY: set before the runtime starts a second thread or any TLS is configured.
    unsafe { std::env::set_var("SSL_CERT_FILE", &ca) };
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
        certified.signing_key.serialize_der().into(),
    );
    let tls = mailwire_tokio::Tls::server_with_certificate(vec![certified.cert.der().clone()], key)
        .unwrap();

    let memory = mailwire_server::memory::Memory::new();
    memory.add_user("fred", "secret");
    let mailboxes = memory.open("fred").await.unwrap();
    for content in inbox {
        let message = mailwire_server::store::NewMessage {
            flags: vec![],
            internal_date: None,
            size: u32::try_from(content.len()).unwrap(),
        };
        mailboxes
            .append("INBOX", message, &mut content.as_bytes())
            .await
            .unwrap();
    }

    let throttle = Arc::new(mailwire_server::Throttle::new());
    let store = Arc::new(memory.clone());
    let mut submission =
        mailwire_smtp::server::Config::new(mailwire_smtp::Domain::new("localhost").unwrap());
    submission.require_auth = true;
    submission.auth_mechanisms = vec![mailwire_sasl::Mechanism::Plain];
    let smtp = mailwire_server::SmtpServer::new(
        submission,
        Arc::clone(&store),
        Arc::clone(&store),
        Arc::clone(&throttle),
    );
    let imap = mailwire_server::ImapServer::new(
        mailwire_imap::server::Config::default(),
        Arc::clone(&store),
        store,
        throttle,
    );
    let mut listeners = mailwire_server::Listeners::new(
        mailwire_server::Limits::default(),
        mailwire_server::ShutdownSignal::never(),
    );
    let starttls = mailwire_server::Security::StartTls;
    let smtp = listeners
        .add(Arc::new(smtp), loopback().await, starttls, tls.clone())
        .unwrap();
    let imap = listeners
        .add(Arc::new(imap), loopback().await, starttls, tls)
        .unwrap();
    tokio::spawn(listeners.run());
    DocServer {
        smtp: format!("localhost:{}", smtp.port()),
        imap: format!("localhost:{}", imap.port()),
        memory,
        ca,
    }
}

/// A listener on a free loopback port.
async fn loopback() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}
