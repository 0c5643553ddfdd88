//! Sends a message over SMTP: built from flags, or a file as it is.
//!
//! ```text
//! cargo run --example mail-send -- --server smtp.example.org:587 --user me --password secret \
//!     --from me@example.org --to you@example.net --subject Report --body 'See attached.' \
//!     --attach report.pdf
//! cargo run --example mail-send -- --server 127.0.0.1:2525 --plaintext \
//!     --from me@example.org --to user@localhost hi.eml
//! ```
//!
//! Without a file, the message is built from `--subject`, the text of `--body` (or standard
//! input), `--html FILE` and each `--attach FILE`, `From` / `To` / `Cc` from the flags;
//! `Bcc` recipients get it without appearing in it. With a file (`-` reads standard input)
//! and `--to`, the file goes exactly as it is, on the envelope the flags give (bare LFs
//! become CRLF); with a file and no `--to`, the envelope is read from its header, `Bcc` is
//! left out, and `Date` and `Message-ID` are added if missing.
//!
//! The server's port decides TLS: 465 (or none given) is TLS from the start, any other
//! STARTTLS, which the server must offer; `--plaintext` is for a server on loopback without
//! TLS, where a password is sent only with `--allow-plaintext-auth`. One line per recipient
//! tells the server's answer; the exit status is non-zero unless every recipient was
//! accepted.

#![allow(
    clippy::print_stdout,
    reason = "a command-line tool prints its results"
)]

use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[path = "common/tls.rs"]
mod tls;

use clap::Parser;
use mailwire::mime::{Mailbox, MessageBuilder};
use mailwire::smtp::client::{Credentials, Envelope, RecipientResult};
use mailwire::smtp::{ForwardPath, Host, ReversePath};
use mailwire::tokio::connect::Security;
use mailwire::tokio::smtp::{Config, SmtpClient};

/// Sends a message over SMTP, built from flags or read from a file.
#[derive(Debug, Parser)]
#[command(
    name = "mail-send",
    after_help = "Examples:
  mail-send --server smtp.example.org:587 --user me --password secret \\
      --from me@example.org --to you@example.net --subject Report \\
      --body 'See attached.' --attach report.pdf
  echo 'Lunch at noon?' | mail-send --server smtp.example.org --user me --password secret \\
      --from me@example.org --to you@example.net --cc them@example.net --subject Lunch
  mail-send --server smtp.example.org:587 --user me --password secret \\
      --from me@example.org --to you@example.net --subject News --html news.html
  mail-send --server smtp.example.org --user me --password secret message.eml
  mail-send --server 127.0.0.1:2525 --plaintext --from me@example.org --to user@localhost hi.eml

Port 465, or no port, means TLS from the start; any other port STARTTLS."
)]
struct Args {
    /// The server: host, host:port or [v6]:port.
    #[arg(long)]
    server: String,
    /// The sender's address (empty for the null sender `<>` with a file).
    #[arg(long)]
    from: Option<String>,
    /// A recipient; repeat for more.
    #[arg(long)]
    to: Vec<String>,
    /// A recipient named in Cc; repeat for more (built messages only).
    #[arg(long, conflicts_with = "message")]
    cc: Vec<String>,
    /// A recipient named nowhere in the message; repeat for more (built messages only).
    #[arg(long, conflicts_with = "message")]
    bcc: Vec<String>,
    /// The subject.
    #[arg(long, conflicts_with = "message")]
    subject: Option<String>,
    /// The text of the message; without it, standard input is read (unless it is a
    /// terminal and --html is given).
    #[arg(long, conflicts_with = "message")]
    body: Option<String>,
    /// An HTML file for the body, as an alternative to the text.
    #[arg(long, conflicts_with = "message")]
    html: Option<PathBuf>,
    /// A file to attach; repeat for more.
    #[arg(long, conflicts_with = "message")]
    attach: Vec<PathBuf>,
    /// The user name to authenticate as.
    #[arg(long, requires = "password")]
    user: Option<String>,
    /// The password to authenticate with.
    #[arg(long, requires = "user")]
    password: Option<String>,
    /// STARTTLS, whatever the port.
    #[arg(long, conflicts_with_all = ["tls", "plaintext"])]
    starttls: bool,
    /// TLS from the start, whatever the port.
    #[arg(long, conflicts_with = "plaintext")]
    tls: bool,
    /// No TLS (for a server on loopback).
    #[arg(long)]
    plaintext: bool,
    /// Send the password even though the connection is not encrypted.
    #[arg(long)]
    allow_plaintext_auth: bool,
    /// The name the server's certificate must carry (default: the host of --server).
    #[arg(long)]
    tls_name: Option<String>,
    /// Trust the certificates in this PEM file instead of the built-in web roots.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// The name to introduce this client with in EHLO (default: its address).
    #[arg(long)]
    hostname: Option<String>,
    /// A message file to send as it is, or `-` for standard input.
    message: Option<PathBuf>,
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
    let config = config(&args)?;
    let message = match &args.message {
        Some(path) => Some(read_message(path)?),
        None => None,
    };
    let built = match &message {
        Some(_) => None,
        None => Some(build(&args)?),
    };
    let mut client = SmtpClient::connect_with(&args.server, config)
        .await
        .map_err(|e| format!("{}: {e}", args.server))?;
    let results = match (message, built) {
        (Some(message), _) if !args.to.is_empty() => {
            let envelope = envelope(&args, &message)?;
            client.send_raw(envelope, &message[..]).await
        }
        (Some(message), _) => client.send(message).await,
        (None, Some(builder)) => client.send(builder).await,
        (None, None) => unreachable!("a message is read or built"),
    }
    .map_err(|e| e.to_string())?;
    client.quit().await.map_err(|e| e.to_string())?;
    Ok(report(&results))
}

fn config(args: &Args) -> Result<Config, String> {
    let mut config = Config::default();
    config.security = if args.plaintext {
        Security::Plaintext
    } else if args.tls {
        Security::ImplicitTls
    } else if args.starttls {
        Security::StartTls
    } else {
        Security::Auto
    };
    config.plaintext_auth = args.allow_plaintext_auth;
    if let (Some(user), Some(password)) = (&args.user, &args.password) {
        config.credentials = Some(Credentials::new(user.clone(), password.clone()));
    }
    if let Some(name) = &args.hostname {
        let host = Host::parse(name).map_err(|e| format!("bad host name {name:?}: {e}"))?;
        config.hostname = Some(host);
    }
    if args.tls_name.is_some() || args.ca_file.is_some() {
        let tls = tls::settings(
            &args.server,
            args.tls_name.as_deref(),
            args.ca_file.as_deref(),
        )?;
        config.tls = Some(tls);
    }
    Ok(config)
}

/// The message from the flags.
fn build(args: &Args) -> Result<MessageBuilder, String> {
    let from = args
        .from
        .as_deref()
        .filter(|f| !f.is_empty())
        .ok_or("a built message needs --from")?;
    if args.to.is_empty() && args.cc.is_empty() && args.bcc.is_empty() {
        return Err("a built message needs --to, --cc or --bcc".into());
    }
    let mut builder = MessageBuilder::new().from(Mailbox::new(None, from));
    for to in &args.to {
        builder = builder.to(Mailbox::new(None, to));
    }
    for cc in &args.cc {
        builder = builder.cc(Mailbox::new(None, cc));
    }
    for bcc in &args.bcc {
        builder = builder.bcc(Mailbox::new(None, bcc));
    }
    if let Some(subject) = &args.subject {
        builder = builder.subject(subject);
    }
    if let Some(path) = &args.html {
        let html = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        builder = builder.html(html);
    }
    let text = match &args.body {
        Some(body) => Some(body.clone()),
        None if args.html.is_some() && std::io::stdin().is_terminal() => None,
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read the body from standard input: {e}"))?;
            Some(text)
        }
    };
    if let Some(text) = text {
        builder = builder.text(text);
    }
    for path in &args.attach {
        let data =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let name = path
            .file_name()
            .map_or("attachment".into(), |n| n.to_string_lossy());
        builder = builder.attachment(media_type(path), &name, data);
    }
    Ok(builder)
}

/// The envelope of a file sent as it is: --from and each --to.
fn envelope(args: &Args, message: &[u8]) -> Result<Envelope, String> {
    let from = match args.from.as_deref() {
        None => return Err("a file sent with --to needs --from too".into()),
        Some("") => ReversePath::Null,
        Some(from) => ReversePath::parse(&format!("<{from}>"))
            .map_err(|e| format!("bad sender {from:?}: {e}"))?,
    };
    let to = args
        .to
        .iter()
        .map(|r| {
            ForwardPath::parse(&format!("<{r}>")).map_err(|e| format!("bad recipient {r:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Envelope::for_message(from, to, message))
}

/// Prints one line per recipient; true if all were accepted.
fn report(results: &[RecipientResult]) -> bool {
    for result in results {
        println!("{result}");
    }
    results.iter().all(RecipientResult::is_delivered)
}

/// A file's media type, from its extension.
fn media_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("pdf") => "application/pdf",
        Some("zip") => "application/zip",
        Some("json") => "application/json",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("html" | "htm") => "text/html",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        _ => "application/octet-stream",
    }
}

/// The file's bytes, every bare LF turned into CRLF.
fn read_message(path: &Path) -> Result<Vec<u8>, String> {
    let mut raw = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut raw)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
    } else {
        raw = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    }
    let mut message = Vec::with_capacity(raw.len());
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            message.push(b'\r');
        }
        message.push(b);
    }
    Ok(message)
}
