//! A small mail server: accepts mail over SMTP into a Maildir, and serves it over POP3 and
//! IMAP, with TLS on every port.
//!
//! ```sh
//! cargo run --example mail-server
//! ```
//!
//! It keeps everything in its data directory (`--data`, `./mail` by default) and listens
//! on 127.0.0.1:
//!
//! | port | flag           | what                                          |
//! |------|----------------|-----------------------------------------------|
//! | 2525 | `--smtp`       | SMTP, STARTTLS offered                        |
//! | 2587 | `--submission` | submission: STARTTLS offered, AUTH before MAIL |
//! | 2465 | `--smtps`      | submission over implicit TLS, AUTH before MAIL |
//! | 1110 | `--pop3`       | POP3, STLS offered                            |
//! | 1995 | `--pop3s`      | POP3 over implicit TLS                        |
//! | 1143 | `--imap`       | IMAP, STARTTLS offered                        |
//! | 1993 | `--imaps`      | IMAP over implicit TLS                        |
//!
//! It serves one account (`user` / `password` unless given), whose POP3 maildrop and IMAP
//! INBOX are the Maildir `DATA/localhost/USER/`, with folders beside it as Dovecot lays
//! them out. Mail for any recipient goes to that account.
//!
//! TLS comes from `--cert` and `--key` (PEM files), or else from a self-signed certificate
//! for `--hostname`, `localhost` and `127.0.0.1`, generated on first start in `DATA/tls/`
//! and kept for later starts; its SHA-256 fingerprint is printed, for clients to check.
//! Passwords are taken only under TLS unless `--allow-plaintext` is given.
//!
//! This is wiring only: the protocols are mailwire-server's, the store is
//! mailwire-maildir's. Ctrl-C or SIGTERM stop it gracefully.

#[path = "../common/serve.rs"]
mod serve;
mod tls;

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use clap::Parser;
use mailwire::imap::server::Config as ImapConfig;
use mailwire::pop3::server::{Config as Pop3Config, PlaintextLogin};
use mailwire::sasl::{AuthAnswer, AuthQuestion, Mechanism};
use mailwire::server::{
    Authenticator, Client, Delivery, ImapServer, Limits, Listeners, Pop3Server, Security, Service,
    Shutdown, SmtpServer, Throttle, Transaction,
};
use mailwire::smtp::server::Config as SmtpConfig;
use mailwire::smtp::{Domain, ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};
use mailwire::tokio::Tls;
use mailwire_maildir::{Maildir, MaildirStore};
use serve::{log, wait_for_stop};
use tokio::net::TcpListener;

/// The domain of the one account's address, and its folder in the data directory.
const DOMAIN: &str = "localhost";

/// Accepts mail over SMTP into a Maildir and serves it over POP3 and IMAP, with TLS.
#[derive(Debug, Parser)]
#[command(
    name = "mail-server",
    after_help = "Examples:
  mail-server --data ./mail
  mail-server --cert fullchain.pem --key privkey.pem --hostname mail.example.org
  mail-server --user ann --password 'correct horse' --imap 127.0.0.1:0

Port 0 picks a free port; the bound addresses are printed on standard error."
)]
struct Args {
    /// Where everything is kept: the account's Maildir, and the generated certificate
    /// in tls/ (created if missing).
    #[arg(long, default_value = "./mail")]
    data: PathBuf,
    /// Where to accept SMTP, with STARTTLS offered.
    #[arg(long, default_value = "127.0.0.1:2525")]
    smtp: SocketAddr,
    /// Where to accept submission (RFC 6409): STARTTLS offered, AUTH required before MAIL.
    #[arg(long, default_value = "127.0.0.1:2587")]
    submission: SocketAddr,
    /// Where to accept submission over implicit TLS (RFC 8314).
    #[arg(long, default_value = "127.0.0.1:2465")]
    smtps: SocketAddr,
    /// Where to serve POP3, with STLS offered.
    #[arg(long, default_value = "127.0.0.1:1110")]
    pop3: SocketAddr,
    /// Where to serve POP3 over implicit TLS.
    #[arg(long, default_value = "127.0.0.1:1995")]
    pop3s: SocketAddr,
    /// Where to serve IMAP, with STARTTLS offered.
    #[arg(long, default_value = "127.0.0.1:1143")]
    imap: SocketAddr,
    /// Where to serve IMAP over implicit TLS.
    #[arg(long, default_value = "127.0.0.1:1993")]
    imaps: SocketAddr,
    /// The PEM certificate chain to serve (the server's certificate first); without it,
    /// a self-signed certificate is generated in DATA/tls/ and kept there (remove that
    /// folder to have another generated, for a new --hostname say).
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// The PEM private key of --cert.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Take passwords on connections without TLS too, where they cross the network in
    /// clear.
    #[arg(long)]
    allow_plaintext: bool,
    /// The server's host name, in greetings, replies and a generated certificate.
    #[arg(long, default_value = "localhost")]
    hostname: String,
    /// The account's user name.
    #[arg(long, default_value = "user")]
    user: String,
    /// The account's password.
    #[arg(long, default_value = "password")]
    password: String,
    /// The largest message accepted, in octets.
    #[arg(long, default_value_t = 25 * 1024 * 1024)]
    max_message_size: u64,
    /// Connections served at once, over all ports.
    #[arg(long, default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Connections served at once from one IP address.
    #[arg(long, default_value_t = Limits::default().max_per_ip)]
    max_per_ip: usize,
    /// Log each command and its outcome, not only connections, logins and failures.
    #[arg(long)]
    verbose: bool,
}

#[tokio::main]
async fn main() {
    if let Err(e) = run(Args::parse()).await {
        eprintln!("mail-server: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    log(args.verbose);
    let tls = server_tls(&args)?;
    if args.allow_plaintext {
        eprintln!(
            "mail-server: warning: --allow-plaintext: passwords are taken without TLS too, \
             in clear"
        );
    }
    let maildir = args.data.join(DOMAIN).join(&args.user);
    // Creates the Maildir (and its special-use folders) on first start.
    Maildir::open_with_limit(maildir.clone(), args.max_message_size)
        .map_err(|e| format!("cannot open {}: {e}", maildir.display()))?;
    let (user, root) = (args.user.clone(), maildir.clone());
    let mut store = MaildirStore::with_locator(move |name| (name == user).then(|| root.clone()));
    store.max_message_size = args.max_message_size;
    let store = Arc::new(store);
    let account = Arc::new(Account {
        user: args.user.clone(),
        password: args.password,
        store: Arc::clone(&store),
    });
    let throttle = Arc::new(Throttle::new());

    // Port 25's part: mail from anyone for the account, AUTH offered for clients that
    // have an account. Submission: the same, but only after AUTH (RFC 6409 §4.3).
    let mut relay = SmtpConfig::new(Domain::new(&args.hostname)?);
    relay.max_message_size = Some(args.max_message_size);
    relay.auth_mechanisms = vec![Mechanism::Plain, Mechanism::Login];
    relay.plaintext_auth = args.allow_plaintext;
    let mut submission = relay.clone();
    submission.require_auth = true;
    let smtp_server = |config| {
        Arc::new(SmtpServer::new(
            config,
            Arc::clone(&account),
            Arc::clone(&account),
            Arc::clone(&throttle),
        ))
    };
    let relay = smtp_server(relay);
    let submission = smtp_server(submission);

    let mut pop3 = Pop3Config::default();
    pop3.host.clone_from(&args.hostname);
    pop3.plaintext_login = if args.allow_plaintext {
        PlaintextLogin::Allow
    } else {
        PlaintextLogin::RequireTls
    };
    pop3.sasl_mechanisms.clear();
    let pop3 = Arc::new(Pop3Server::new(
        pop3,
        Arc::clone(&account),
        Arc::clone(&store),
        Arc::clone(&throttle),
    ));
    let mut imap = ImapConfig::default();
    imap.plaintext_auth = args.allow_plaintext;
    let imap = Arc::new(ImapServer::new(
        imap,
        Arc::clone(&account),
        Arc::clone(&store),
        throttle,
    ));

    let shutdown = Shutdown::new();
    let mut limits = Limits::default();
    limits.max_connections = args.max_connections;
    limits.max_per_ip = args.max_per_ip;
    let mut listeners = Listeners::new(limits, shutdown.signal());
    let mut report = format!("mail-server: Maildir {}\n", maildir.display());
    let mut bound = Bound {
        listeners: &mut listeners,
        tls: &tls,
        report: &mut report,
    };
    let (starttls, implicit) = (Security::StartTls, Security::Implicit);
    let auth_first = ", AUTH before MAIL";
    bound.add("SMTP", &relay, args.smtp, starttls, "").await?;
    let at = args.submission;
    bound
        .add("submission", &submission, at, starttls, auth_first)
        .await?;
    bound
        .add("SMTPS", &submission, args.smtps, implicit, auth_first)
        .await?;
    bound.add("POP3", &pop3, args.pop3, starttls, "").await?;
    bound.add("POP3S", &pop3, args.pop3s, implicit, "").await?;
    bound.add("IMAP", &imap, args.imap, starttls, "").await?;
    bound.add("IMAPS", &imap, args.imaps, implicit, "").await?;
    // One write, so that a script reading the log sees all the ports at once.
    eprint!("{report}");

    let stop = tokio::spawn(async move {
        wait_for_stop().await;
        eprintln!("mail-server: shutting down");
        shutdown.request();
    });
    listeners.run().await;
    stop.abort();
    Ok(())
}

/// The server's TLS settings, from `--cert` / `--key` or a generated certificate, with
/// what clients need to trust it printed.
fn server_tls(args: &Args) -> Result<Tls, String> {
    let files = match (&args.cert, &args.key) {
        (Some(chain), Some(key)) => tls::Files {
            chain: chain.clone(),
            key: key.clone(),
            origin: tls::Origin::Given,
        },
        // clap lets neither come without the other.
        _ => tls::self_signed(
            &args.data.join("tls"),
            &args.hostname,
            std::time::SystemTime::now(),
        )?,
    };
    let tls = mailwire::server::tls_from_pem_files(&files.chain, &files.key)
        .map_err(|e| e.to_string())?;
    let fingerprint = tls::fingerprint_of_file(&files.chain)?;
    let chain = files.chain.display();
    let origin = match &files.origin {
        tls::Origin::Given => String::new(),
        tls::Origin::Generated => format!(" (self-signed for {}, generated now)", args.hostname),
        tls::Origin::Kept => " (self-signed, generated earlier)".to_owned(),
        tls::Origin::Renewed { expired } => format!(
            " (self-signed for {}, generated now: the one kept expires {expired})",
            args.hostname
        ),
    };
    eprintln!("mail-server: TLS certificate {chain}{origin}");
    eprintln!("mail-server: SHA-256 fingerprint {fingerprint}");
    if files.origin != tls::Origin::Given {
        eprintln!(
            "mail-server: clients trust it by this file (curl --cacert {chain}, Python's \
             ssl.create_default_context(cafile=...)), or by comparing this fingerprint"
        );
    }
    Ok(tls)
}

/// Binds the listeners, noting each address in the start-up report as
/// `mail-server: NAME on ADDRESS (HOW)`.
struct Bound<'a> {
    listeners: &'a mut Listeners,
    tls: &'a Tls,
    report: &'a mut String,
}

impl Bound<'_> {
    async fn add<S: Service>(
        &mut self,
        name: &str,
        service: &Arc<S>,
        addr: SocketAddr,
        security: Security,
        note: &str,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let socket = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr} for {name}: {e}"))?;
        let at = self
            .listeners
            .add(Arc::clone(service), socket, security, self.tls.clone())?;
        let how = match security {
            Security::Implicit => "implicit TLS",
            _ => "STARTTLS offered",
        };
        let _ = writeln!(self.report, "mail-server: {name} on {at} ({how}{note})");
        Ok(())
    }
}

/// The one account: who may log in, and where its mail goes.
struct Account {
    user: String,
    password: String,
    store: Arc<MaildirStore>,
}

impl Authenticator for Account {
    async fn authenticate(&self, question: AuthQuestion, _peer: IpAddr) -> AuthAnswer {
        match question {
            AuthQuestion::Password {
                authcid,
                authzid,
                password,
                ..
            } => {
                let right = authcid == self.user
                    && authzid.is_none_or(|z| z == self.user)
                    && mailwire::core::constant_time_eq(
                        password.expose().as_bytes(),
                        self.password.as_bytes(),
                    );
                if right {
                    AuthAnswer::Accept
                } else {
                    AuthAnswer::Reject
                }
            }
            _ => AuthAnswer::Reject,
        }
    }
}

/// Every recipient is welcome: each message goes once to the account's INBOX, whoever it
/// is addressed to.
impl Delivery for Account {
    type Transaction = ToAccount;

    async fn mail(
        &self,
        client: &Client,
        from: &ReversePath,
        params: &MailParameters,
    ) -> Result<ToAccount, Reply> {
        Ok(ToAccount {
            inner: self.store.mail(client, from, params).await?,
            to: ForwardPath::parse(&format!("<{}@{DOMAIN}>", self.user))
                .map_err(|_| Reply::new(451, "4.3.0 bad account name").expect("a valid reply"))?,
            recipients: 0,
        })
    }
}

/// A message for the account, however many recipients it was sent to.
struct ToAccount {
    inner: <MaildirStore as Delivery>::Transaction,
    to: ForwardPath,
    recipients: usize,
}

impl Transaction for ToAccount {
    async fn rcpt(&mut self, _to: &ForwardPath, params: &RcptParameters) -> Result<(), Reply> {
        if self.recipients == 0 {
            self.inner.rcpt(&self.to, params).await?;
        }
        self.recipients += 1;
        Ok(())
    }

    async fn data(&mut self, chunk: Bytes) -> Result<(), Reply> {
        self.inner.data(chunk).await
    }

    async fn commit(self) -> Vec<Result<(), Reply>> {
        let stored = self
            .inner
            .commit()
            .await
            .into_iter()
            .next()
            .unwrap_or(Ok(()));
        vec![stored; self.recipients]
    }
}
