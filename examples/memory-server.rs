//! A mail server whose mail lives in memory: mailwire-server's SMTP, POP3 and IMAP servers
//! over its in-memory reference store, for trying clients and for tests.
//!
//! ```sh
//! cargo run --example memory-server -- --imap 127.0.0.1:1143 --smtp 127.0.0.1:2525
//! ```
//!
//! Mail delivered over SMTP goes to the INBOX of the user it is addressed to. Everything is
//! lost when the server stops (Ctrl-C or SIGTERM: it stops accepting, lets commands under
//! way finish and says goodbye on each connection).

#[path = "common/serve.rs"]
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use mailwire::imap::server::Config as ImapConfig;
use mailwire::pop3::server::{Config as Pop3Config, PlaintextLogin};
use mailwire::sasl::Mechanism;
use mailwire::server::memory::Memory;
use mailwire::server::{
    ImapServer, Limits, Listeners, Pop3Server, Security, Shutdown, SmtpServer, Throttle,
    tls_from_pem_files,
};
use mailwire::smtp::Domain;
use mailwire::smtp::server::Config as SmtpConfig;
use mailwire::tokio::Tls;
use serve::{log, wait_for_stop};
use tokio::net::TcpListener;

/// SMTP, POP3 and IMAP over mail kept in memory.
#[derive(Debug, Parser)]
#[command(
    name = "memory-server",
    after_help = "Examples:
  memory-server --imap 127.0.0.1:1143 --smtp 127.0.0.1:2525
  memory-server --imap 127.0.0.1:0 --user ann --password 'correct horse'
  memory-server --smtp 127.0.0.1:2525 --pop3 127.0.0.1:1110 --cert chain.pem --key key.pem

Port 0 picks a free port; the bound addresses are printed on standard error."
)]
struct Args {
    /// Where to accept SMTP.
    #[arg(long)]
    smtp: Option<SocketAddr>,
    /// Where to serve POP3.
    #[arg(long)]
    pop3: Option<SocketAddr>,
    /// Where to serve IMAP.
    #[arg(long)]
    imap: Option<SocketAddr>,
    /// The user's name.
    #[arg(long, default_value = "user")]
    user: String,
    /// The user's password.
    #[arg(long, default_value = "password")]
    password: String,
    /// The server's host name, in greetings.
    #[arg(long, default_value = "localhost")]
    hostname: String,
    /// A PEM certificate chain: STARTTLS / STLS is offered with it (and `--key`).
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// The PEM private key of `--cert`.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Log each command and its outcome, not only connections, logins and failures.
    #[arg(long)]
    verbose: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    log(args.verbose);
    if args.smtp.is_none() && args.pop3.is_none() && args.imap.is_none() {
        return Err("give at least one of --smtp, --pop3 and --imap".into());
    }
    let (security, tls) = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => (Security::StartTls, tls_from_pem_files(cert, key)?),
        _ => (Security::Plain, Tls::None),
    };
    // Without TLS, passwords cross in clear: fine on loopback, which is what this is for.
    let plaintext = security == Security::Plain;

    let memory = Arc::new(Memory::new());
    memory.add_user(&args.user, &args.password);
    let throttle = Arc::new(Throttle::new());
    let shutdown = Shutdown::new();
    let mut listeners = Listeners::new(Limits::default(), shutdown.signal());
    let mut bound = Vec::new();

    if let Some(addr) = args.smtp {
        let mut config = SmtpConfig::new(Domain::new(&args.hostname)?);
        config.plaintext_auth = plaintext;
        config.auth_mechanisms = vec![Mechanism::Plain, Mechanism::Login, Mechanism::ScramSha256];
        let server = SmtpServer::new(
            config,
            Arc::clone(&memory),
            Arc::clone(&memory),
            Arc::clone(&throttle),
        );
        let at = listeners.add(
            Arc::new(server),
            TcpListener::bind(addr).await?,
            security,
            tls.clone(),
        )?;
        bound.push(format!("SMTP on {at}"));
    }
    if let Some(addr) = args.pop3 {
        let mut config = Pop3Config::default();
        config.host.clone_from(&args.hostname);
        if plaintext {
            config.plaintext_login = PlaintextLogin::Allow;
        }
        config.apop = true;
        config.sasl_mechanisms = vec![Mechanism::Plain, Mechanism::ScramSha256];
        let server = Pop3Server::new(
            config,
            Arc::clone(&memory),
            Arc::clone(&memory),
            Arc::clone(&throttle),
        );
        let at = listeners.add(
            Arc::new(server),
            TcpListener::bind(addr).await?,
            security,
            tls.clone(),
        )?;
        bound.push(format!("POP3 on {at}"));
    }
    if let Some(addr) = args.imap {
        let mut config = ImapConfig::default();
        config.plaintext_auth = plaintext;
        config.mechanisms = vec![Mechanism::Plain, Mechanism::Login, Mechanism::ScramSha256];
        let server = ImapServer::new(
            config,
            Arc::clone(&memory),
            Arc::clone(&memory),
            Arc::clone(&throttle),
        );
        let at = listeners.add(
            Arc::new(server),
            TcpListener::bind(addr).await?,
            security,
            tls.clone(),
        )?;
        bound.push(format!("IMAP on {at}"));
    }
    eprintln!("memory-server: {}; user {:?}", bound.join(", "), args.user);

    let stop = tokio::spawn(async move {
        wait_for_stop().await;
        eprintln!("memory-server: shutting down");
        shutdown.request();
    });
    listeners.run().await;
    stop.abort();
    Ok(())
}
