//! Sends a file as a message over SMTP.
//!
//! ```text
//! cargo run --example mail-send -- --server 127.0.0.1:2525 \
//!     --from me@example.org --to user@localhost message.eml
//! cargo run --example mail-send -- --server smtp.example.org:587 --starttls \
//!     --user me --password secret --from me@example.org --to you@example.net message.eml
//! cargo run --example mail-send -- --server smtp.example.org:465 --tls ...
//! ```
//!
//! The file is sent as it is (`-` reads standard input); lines should end in CRLF, and bare
//! LFs are turned into CRLF on the way. One line per recipient tells the server's answer;
//! the exit status is non-zero unless every recipient was accepted.
//!
//! Without `--starttls` or `--tls` the connection stays plaintext, and a password is sent
//! only with `--allow-plaintext-auth` (for a server on loopback).

#![allow(
    clippy::print_stdout,
    reason = "a command-line tool prints its results"
)]

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[path = "common/tls.rs"]
mod tls;

use clap::Parser;
use mailwire::smtp::client::{Config, Credentials, Envelope, TlsPolicy};
use mailwire::smtp::{ForwardPath, Host, ReversePath};
use mailwire::tokio::Tls;
use mailwire::tokio::smtp::SmtpClient;

/// Sends a file as a message over SMTP.
#[derive(Debug, Parser)]
#[command(name = "mail-send")]
struct Args {
    /// The server, as host:port.
    #[arg(long)]
    server: String,
    /// The sender's address (empty for the null sender `<>`).
    #[arg(long)]
    from: String,
    /// A recipient's address; repeat for more.
    #[arg(long, required = true)]
    to: Vec<String>,
    /// The user name to authenticate as.
    #[arg(long, requires = "password")]
    user: Option<String>,
    /// The password to authenticate with.
    #[arg(long, requires = "user")]
    password: Option<String>,
    /// Upgrade with STARTTLS, and fail if the server does not offer it.
    #[arg(long, conflicts_with = "tls")]
    starttls: bool,
    /// Use TLS from the start (port 465).
    #[arg(long)]
    tls: bool,
    /// Send the password even though the connection is not encrypted.
    #[arg(long)]
    allow_plaintext_auth: bool,
    /// The name the server's certificate must carry (default: the host of --server).
    #[arg(long)]
    tls_name: Option<String>,
    /// Trust the certificates in this PEM file instead of the built-in web roots.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// The name to introduce this client with in EHLO.
    #[arg(long, default_value = "localhost")]
    hostname: String,
    /// The message file, or `-` for standard input.
    message: PathBuf,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("mail-send: {e}");
            ExitCode::from(2)
        }
    }
}

/// Sends the message; true if every recipient accepted it.
async fn run(args: Args) -> Result<bool, String> {
    let message = read_message(&args.message)?;
    let from = if args.from.is_empty() {
        ReversePath::Null
    } else {
        ReversePath::parse(&format!("<{}>", args.from))
            .map_err(|e| format!("bad sender {:?}: {e}", args.from))?
    };
    let to = args
        .to
        .iter()
        .map(|r| {
            ForwardPath::parse(&format!("<{r}>")).map_err(|e| format!("bad recipient {r:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let hostname = Host::parse(&args.hostname)
        .map_err(|e| format!("bad host name {:?}: {e}", args.hostname))?;
    let mut config = Config::new(hostname);
    config.tls = if args.starttls {
        TlsPolicy::Required
    } else {
        TlsPolicy::Never
    };
    config.plaintext_auth = args.allow_plaintext_auth;
    if let (Some(user), Some(password)) = (args.user.clone(), args.password.clone()) {
        config.credentials = Some(Credentials::new(user, password));
    }
    let tls = if args.starttls || args.tls {
        tls::settings(
            &args.server,
            args.tls_name.as_deref(),
            args.ca_file.as_deref(),
        )?
    } else {
        Tls::None
    };

    let mut client = SmtpClient::connect(args.server.as_str(), config, tls, args.tls)
        .await
        .map_err(|e| format!("{}: {e}", args.server))?;
    let envelope = Envelope::for_message(from, to, &message);
    let results = client
        .send(envelope, &message[..])
        .await
        .map_err(|e| e.to_string())?;
    let mut all = true;
    for result in &results {
        all &= result.is_delivered();
        println!(
            "{}: {}",
            result.recipient,
            result.reply.to_string().trim_end()
        );
    }
    client.quit().await.map_err(|e| e.to_string())?;
    Ok(all)
}

fn read_message(path: &PathBuf) -> Result<Vec<u8>, String> {
    let mut message = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut message)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
    } else {
        message =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    }
    Ok(message)
}
