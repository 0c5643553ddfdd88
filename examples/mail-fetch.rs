//! Lists and retrieves messages over POP3.
//!
//! ```text
//! cargo run --example mail-fetch -- --server 127.0.0.1:1110 --user user --password password \
//!     --allow-plaintext-auth                       # list: number, size, unique id
//! cargo run --example mail-fetch -- ... --message 1      # message 1 to standard output
//! cargo run --example mail-fetch -- ... --all --out DIR  # every message to DIR/N.eml
//! cargo run --example mail-fetch -- ... --all --out DIR --delete
//! ```
//!
//! Messages come out byte for byte as the server stores them (POP3's dot-stuffing undone).
//! With `--delete` the retrieved messages are deleted when the session ends, and only if
//! every one of them was written.
//!
//! `--starttls` upgrades with STLS, `--tls` uses TLS from the start (port 995); without
//! either, the password is sent only with `--allow-plaintext-auth` (for a server on
//! loopback).

#![allow(
    clippy::print_stdout,
    reason = "a command-line tool prints its results"
)]

#[path = "common/tls.rs"]
mod tls;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mailwire::pop3::client::{Config, StlsPolicy};
use mailwire::pop3::{MessageNumber, Password, UserName};
use mailwire::tokio::Tls;
use mailwire::tokio::pop3::Pop3Client;
use tokio::io::AsyncWriteExt as _;

/// Lists and retrieves messages over POP3.
#[derive(Debug, Parser)]
#[command(name = "mail-fetch")]
struct Args {
    /// The server, as host:port.
    #[arg(long, default_value = "127.0.0.1:1110")]
    server: String,
    /// The user name.
    #[arg(long)]
    user: String,
    /// The password.
    #[arg(long)]
    password: String,
    /// Upgrade with STLS, and fail if the server refuses.
    #[arg(long, conflicts_with = "tls")]
    starttls: bool,
    /// Use TLS from the start (port 995).
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
    /// Retrieve this message; repeat for more.
    #[arg(long = "message", conflicts_with = "all")]
    messages: Vec<u32>,
    /// Retrieve every message.
    #[arg(long)]
    all: bool,
    /// Write each message to DIR/N.eml instead of standard output.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Delete the retrieved messages from the server.
    #[arg(long)]
    delete: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mail-fetch: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let config = Config::default()
        .with_stls(if args.starttls {
            StlsPolicy::Required
        } else {
            StlsPolicy::Never
        })
        .with_plaintext_password(args.allow_plaintext_auth);
    let tls = if args.starttls || args.tls {
        tls::settings(
            &args.server,
            args.tls_name.as_deref(),
            args.ca_file.as_deref(),
        )?
    } else {
        Tls::None
    };
    let server = &args.server;
    let mut pop3 = Pop3Client::connect(server.as_str(), config, tls, args.tls)
        .await
        .map_err(|e| format!("{server}: {e}"))?;
    let user = UserName::new(args.user.clone()).map_err(|e| format!("bad user name: {e}"))?;
    let password =
        Password::new(args.password.clone()).map_err(|e| format!("bad password: {e}"))?;
    pop3.login(user, password)
        .await
        .map_err(|e| format!("login: {e}"))?;

    let wanted: Vec<MessageNumber> = if args.all {
        pop3.list()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|l| l.message)
            .collect()
    } else {
        args.messages
            .iter()
            .map(|&n| MessageNumber::new(n).map_err(|e| format!("bad message number {n}: {e}")))
            .collect::<Result<_, _>>()?
    };

    if wanted.is_empty() {
        let sizes = pop3.list().await.map_err(|e| e.to_string())?;
        let uids = pop3.uidl().await.unwrap_or_default();
        for listing in sizes {
            let uid = uids
                .iter()
                .find(|u| u.message == listing.message)
                .map_or("-", |u| u.unique_id.as_str());
            println!("{} {} {uid}", listing.message, listing.size);
        }
    }

    for &message in &wanted {
        match &args.out {
            Some(dir) => {
                let path = dir.join(format!("{message}.eml"));
                let mut file = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                pop3.retr(message, &mut file)
                    .await
                    .map_err(|e| format!("message {message}: {e}"))?;
                file.sync_all()
                    .await
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
            None => {
                let mut stdout = tokio::io::stdout();
                pop3.retr(message, &mut stdout)
                    .await
                    .map_err(|e| format!("message {message}: {e}"))?;
                stdout.flush().await.map_err(|e| e.to_string())?;
            }
        }
        if args.delete {
            pop3.dele(message)
                .await
                .map_err(|e| format!("delete {message}: {e}"))?;
        }
    }
    pop3.quit().await.map_err(|e| format!("quit: {e}"))
}
