//! A small mail server: accepts mail over SMTP into a Maildir, and serves it over POP3 and
//! IMAP.
//!
//! ```sh
//! cargo run --example mail-server -- --maildir ./mail
//! ```
//!
//! It listens on 127.0.0.1 (SMTP on port 2525, POP3 on 1110, IMAP on 1143) and serves one
//! account (`user` / `password` unless given), whose POP3 maildrop and IMAP INBOX are the
//! Maildir, with folders beside it as Dovecot lays them out. Mail for any recipient goes
//! to that account. It speaks no TLS, so passwords cross the connection in clear: keep it
//! on loopback.
//!
//! This is wiring only: the protocols are mailwire-server's, the store is
//! mailwire-maildir's. Ctrl-C or SIGTERM stop it gracefully.

#[path = "../common/serve.rs"]
mod serve;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use clap::Parser;
use mailwire::imap::server::Config as ImapConfig;
use mailwire::pop3::server::{Config as Pop3Config, PlaintextLogin};
use mailwire::sasl::{AuthAnswer, AuthQuestion};
use mailwire::server::{
    Authenticator, Client, Delivery, ImapServer, Limits, Listeners, Pop3Server, Security, Shutdown,
    SmtpServer, Throttle, Transaction,
};
use mailwire::smtp::server::Config as SmtpConfig;
use mailwire::smtp::{Domain, ForwardPath, MailParameters, RcptParameters, Reply, ReversePath};
use mailwire::tokio::Tls;
use mailwire_maildir::{Maildir, MaildirStore};
use serve::{log, wait_for_stop};
use tokio::net::TcpListener;

/// Accepts mail over SMTP into a Maildir and serves it over POP3 and IMAP.
#[derive(Debug, Parser)]
#[command(
    name = "mail-server",
    after_help = "Examples:
  mail-server --maildir ./mail
  mail-server --user ann --password 'correct horse' --imap 127.0.0.1:0

Port 0 picks a free port; the bound addresses are printed on standard error."
)]
struct Args {
    /// The Maildir to deliver into and serve from (created if missing).
    #[arg(long, default_value = "./mail")]
    maildir: PathBuf,
    /// Where to accept SMTP.
    #[arg(long, default_value = "127.0.0.1:2525")]
    smtp: SocketAddr,
    /// Where to serve POP3.
    #[arg(long, default_value = "127.0.0.1:1110")]
    pop3: SocketAddr,
    /// Where to serve IMAP.
    #[arg(long, default_value = "127.0.0.1:1143")]
    imap: SocketAddr,
    /// The server's host name, in greetings and replies.
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
    for addr in [args.smtp, args.pop3, args.imap] {
        if !addr.ip().is_loopback() {
            eprintln!("mail-server: warning: {addr} is not loopback, and this server has no TLS");
        }
    }
    // Creates the Maildir (and its special-use folders) on first start.
    Maildir::open_with_limit(args.maildir.clone(), args.max_message_size)
        .map_err(|e| format!("cannot open {}: {e}", args.maildir.display()))?;
    let (user, root) = (args.user.clone(), args.maildir.clone());
    let mut store = MaildirStore::with_locator(move |name| (name == user).then(|| root.clone()));
    store.max_message_size = args.max_message_size;
    let store = Arc::new(store);
    let account = Arc::new(Account {
        user: args.user.clone(),
        password: args.password,
        store: Arc::clone(&store),
    });
    let throttle = Arc::new(Throttle::new());

    let mut smtp = SmtpConfig::new(Domain::new(&args.hostname)?);
    smtp.max_message_size = Some(args.max_message_size);
    smtp.starttls = false;
    smtp.auth_mechanisms.clear();
    let smtp = SmtpServer::new(
        smtp,
        Arc::clone(&account),
        Arc::clone(&account),
        Arc::clone(&throttle),
    );

    // Without TLS in this example, passwords must be allowed in clear; the server listens
    // on loopback by default.
    let mut pop3 = Pop3Config::default();
    pop3.host.clone_from(&args.hostname);
    pop3.plaintext_login = PlaintextLogin::Allow;
    pop3.sasl_mechanisms.clear();
    let pop3 = Pop3Server::new(
        pop3,
        Arc::clone(&account),
        Arc::clone(&store),
        Arc::clone(&throttle),
    );
    let mut imap = ImapConfig::default();
    imap.plaintext_auth = true;
    let imap = ImapServer::new(imap, Arc::clone(&account), Arc::clone(&store), throttle);

    let shutdown = Shutdown::new();
    let mut limits = Limits::default();
    limits.max_connections = args.max_connections;
    limits.max_per_ip = args.max_per_ip;
    let mut listeners = Listeners::new(limits, shutdown.signal());
    let smtp_at = listeners.add(
        Arc::new(smtp),
        TcpListener::bind(args.smtp).await?,
        Security::Plain,
        Tls::None,
    )?;
    let pop3_at = listeners.add(
        Arc::new(pop3),
        TcpListener::bind(args.pop3).await?,
        Security::Plain,
        Tls::None,
    )?;
    let imap_at = listeners.add(
        Arc::new(imap),
        TcpListener::bind(args.imap).await?,
        Security::Plain,
        Tls::None,
    )?;
    eprintln!(
        "mail-server: SMTP on {smtp_at}, POP3 on {pop3_at}, IMAP on {imap_at}, Maildir {}",
        args.maildir.display()
    );

    let stop = tokio::spawn(async move {
        wait_for_stop().await;
        eprintln!("mail-server: shutting down");
        shutdown.request();
    });
    listeners.run().await;
    stop.abort();
    Ok(())
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
            to: ForwardPath::parse(&format!("<{}@localhost>", self.user))
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
