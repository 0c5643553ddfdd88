//! An IMAP client for the terminal: list mailboxes, show a mailbox's counters, search,
//! print a message, and watch a mailbox for new mail with IDLE.
//!
//! ```text
//! cargo run --example mail-imap -- --server imap.example.org --user me --password secret list
//! cargo run --example mail-imap -- --server imap.example.org --user me --password secret \
//!     search INBOX UNSEEN FROM ann@example.org
//! cargo run --example mail-imap -- --server 127.0.0.1:1143 --plaintext --allow-plaintext-auth \
//!     --user user --password secret watch INBOX
//! ```
//!
//! The server's port decides TLS: 993 (or none given) is TLS from the start, any other
//! STARTTLS, which the server must offer. Certificates are checked against the built-in
//! web roots, or the roots of `--ca-file` for a server with its own certificate;
//! `--plaintext` is for a server on loopback without TLS, where the password is sent only
//! with `--allow-plaintext-auth`.

#![allow(
    clippy::print_stdout,
    reason = "a command-line tool prints its results"
)]

use std::path::PathBuf;
use std::process::ExitCode;

#[path = "common/tls.rs"]
mod tls;

use clap::{Parser, Subcommand};
use mailwire::imap::codec::{Limits, decode_command};
use mailwire::imap::types::{Address, CommandBody, Envelope};
use mailwire::mime::decode_encoded_words;
use mailwire::tokio::connect::Security;
use mailwire::tokio::imap::{Config, ImapClient, Items, Search, Update};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

/// An IMAP client: list, status, search, fetch and watch.
#[derive(Debug, Parser)]
#[command(
    name = "mail-imap",
    after_help = "Examples:
  mail-imap --server imap.example.org --user me --password secret list
  mail-imap --server imap.example.org --user me --password secret status INBOX
  mail-imap --server imap.example.org --user me --password secret search INBOX UNSEEN
  mail-imap --server imap.example.org --user me --password secret \\
      search INBOX FROM ann@example.org SINCE 1-Dec-2026
  mail-imap --server imap.example.org --user me --password secret fetch INBOX 42
  mail-imap --server imap.example.org:143 --user me --password secret watch INBOX
  mail-imap --server mail.test --ca-file ca.pem --user me --password secret list
  mail-imap --server 127.0.0.1:1143 --plaintext --allow-plaintext-auth \\
      --user user --password secret watch INBOX

Port 993, or no port, means TLS from the start; any other port STARTTLS.
Search criteria are IMAP's (RFC 3501 section 6.4.4); search prints UIDs, and fetch
takes one."
)]
struct Args {
    /// The server: host, host:port or [v6]:port.
    #[arg(long)]
    server: String,
    /// The user name to log in as.
    #[arg(long)]
    user: String,
    /// The password.
    #[arg(long)]
    password: String,
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
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List every mailbox.
    List,
    /// Show a mailbox's counters.
    Status {
        /// The mailbox.
        folder: String,
    },
    /// Print the UIDs of the messages matching IMAP search criteria.
    Search {
        /// The mailbox.
        folder: String,
        /// The criteria, such as `UNSEEN FROM ann@example.org` (default: ALL).
        criteria: Vec<String>,
    },
    /// Print a message as it is stored.
    Fetch {
        /// The mailbox.
        folder: String,
        /// The message's UID.
        uid: u32,
    },
    /// Wait for new messages with IDLE and print each one's sender and subject.
    Watch {
        /// The mailbox.
        folder: String,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mail-imap: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let mut imap = ImapClient::connect_with(&args.server, config(&args)?)
        .await
        .map_err(|e| format!("{}: {e}", args.server))?;
    imap.login(&args.user, &args.password)
        .await
        .map_err(|e| format!("login: {e}"))?;
    match &args.command {
        Command::List => list(&mut imap).await?,
        Command::Status { folder } => status(&mut imap, folder).await?,
        Command::Search { folder, criteria } => search(&mut imap, folder, criteria).await?,
        Command::Fetch { folder, uid } => fetch(&mut imap, folder, *uid).await?,
        Command::Watch { folder } => watch(&mut imap, folder).await?,
    }
    imap.logout().await.map_err(|e| format!("logout: {e}"))
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

type Imap = ImapClient<TcpStream>;

async fn list(imap: &mut Imap) -> Result<(), String> {
    let listed = imap.list("", "*").await.map_err(|e| format!("list: {e}"))?;
    for mailbox in listed {
        let attributes: Vec<&str> = mailbox.attributes.iter().map(|a| a.name()).collect();
        println!("{}\t{}", mailbox.name, attributes.join(" "));
    }
    Ok(())
}

async fn status(imap: &mut Imap, folder: &str) -> Result<(), String> {
    let status = imap
        .status(folder)
        .await
        .map_err(|e| format!("status {folder}: {e}"))?;
    let show = |n: Option<u32>| n.map_or("-".to_owned(), |n| n.to_string());
    println!("messages {}", show(status.messages));
    println!("recent {}", show(status.recent));
    println!("unseen {}", show(status.unseen));
    println!("uidnext {}", show(status.uid_next));
    println!("uidvalidity {}", show(status.uid_validity));
    Ok(())
}

/// Reads IMAP search criteria the way a server would.
fn criteria(words: &[String]) -> Result<Search, String> {
    if words.is_empty() {
        return Ok(Search::all());
    }
    let text = words.join(" ");
    let line = format!("x SEARCH {}\r\n", literals(&text));
    let command = decode_command(line.as_bytes(), &Limits::default())
        .ok()
        .and_then(|d| d.complete())
        .map(|(command, _)| command.body);
    let Some(CommandBody::Search { criteria, .. }) = command else {
        return Err(format!("bad search criteria: {text}"));
    };
    let mut keys = criteria.into_vec().into_iter().map(Search::key);
    let first = keys.next().unwrap_or_else(Search::all);
    Ok(keys.fold(first, Search::and))
}

/// The criteria with each word that is not ASCII (which can be neither an atom nor a
/// quoted string) made a literal, its quotes and the parentheses around it left out.
fn literals(text: &str) -> String {
    let words = text.split(' ').map(|word| {
        if word.is_ascii() {
            return word.to_owned();
        }
        let inner = word.trim_start_matches('(').trim_end_matches(')');
        let open = &word[..word.len() - word.trim_start_matches('(').len()];
        let close = &word[word.trim_end_matches(')').len()..];
        let inner = inner
            .strip_prefix('"')
            .and_then(|w| w.strip_suffix('"'))
            .unwrap_or(inner);
        format!("{open}{{{}}}\r\n{inner}{close}", inner.len())
    });
    words.collect::<Vec<_>>().join(" ")
}

async fn search(imap: &mut Imap, folder: &str, words: &[String]) -> Result<(), String> {
    let criteria = criteria(words)?;
    imap.examine(folder)
        .await
        .map_err(|e| format!("examine {folder}: {e}"))?;
    let uids = imap
        .uid_search(criteria)
        .await
        .map_err(|e| format!("search: {e}"))?;
    for uid in uids {
        println!("{uid}");
    }
    Ok(())
}

async fn fetch(imap: &mut Imap, folder: &str, uid: u32) -> Result<(), String> {
    imap.examine(folder)
        .await
        .map_err(|e| format!("examine {folder}: {e}"))?;
    let mut messages = imap
        .uid_fetch(uid, Items::body())
        .map_err(|e| format!("fetch: {e}"))?;
    // A large message is copied to the output as it arrives, never held whole.
    let mut out = tokio::io::stdout();
    let mut found = false;
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| format!("fetch: {e}"))?;
        if message.uid != Some(uid) {
            continue;
        }
        let written = match message.body() {
            Some(body) => out.write_all(body).await,
            None if message.streaming.is_some() => tokio::io::copy(&mut messages.body(), &mut out)
                .await
                .map(drop),
            None => continue,
        };
        written.map_err(|e| format!("cannot write: {e}"))?;
        found = true;
    }
    out.flush()
        .await
        .map_err(|e| format!("cannot write: {e}"))?;
    if found {
        Ok(())
    } else {
        Err(format!("no message with UID {uid} in {folder}"))
    }
}

async fn watch(imap: &mut Imap, folder: &str) -> Result<(), String> {
    let selected = imap
        .examine(folder)
        .await
        .map_err(|e| format!("examine {folder}: {e}"))?;
    let mut known = selected.exists;
    eprintln!("watching {folder} ({known} messages); Ctrl-C ends");
    loop {
        // Idle until the mailbox grows, keeping count of the expunges meanwhile.
        let mut exists = known;
        {
            let mut idle = imap.idle().await.map_err(|e| format!("idle: {e}"))?;
            while exists <= known {
                match idle.next().await {
                    Some(Ok(Update::Exists(n))) => exists = n,
                    Some(Ok(Update::Expunge(_))) => {
                        known = known.saturating_sub(1);
                        exists = exists.saturating_sub(1);
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(format!("idle: {e}")),
                    None => break,
                }
            }
        }
        if exists > known {
            let range = format!("{}:{exists}", known + 1);
            let messages = imap
                .fetch(range.as_str(), Items::envelope())
                .map_err(|e| format!("fetch: {e}"))?
                .collect()
                .await
                .map_err(|e| format!("fetch: {e}"))?;
            for message in messages {
                if let Some(envelope) = &message.envelope {
                    println!("{}", describe(envelope));
                }
            }
            known = exists;
        }
    }
}

/// `sender<TAB>subject`, with encoded words decoded.
fn describe(envelope: &Envelope) -> String {
    let from = envelope
        .from
        .first()
        .map(address)
        .unwrap_or_else(|| "(no sender)".to_owned());
    let subject = envelope
        .subject
        .as_ref()
        .map(|s| decode_encoded_words(s.as_bytes()))
        .unwrap_or_default();
    format!("{from}\t{subject}")
}

fn address(a: &Address) -> String {
    let text = |s: &Option<mailwire::imap::types::IString>| {
        s.as_ref()
            .map(|s| decode_encoded_words(s.as_bytes()))
            .unwrap_or_default()
    };
    let addr = format!("{}@{}", text(&a.mailbox), text(&a.host));
    match text(&a.name) {
        name if name.is_empty() => addr,
        name => format!("{name} <{addr}>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_read_as_a_server_reads_them_with_8_bit_words_as_literals() {
        let words = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            criteria(&words("UNSEEN FROM ann@example.org"))
                .unwrap()
                .to_string(),
            "UNSEEN FROM ann@example.org"
        );
        assert_eq!(
            criteria(&words("SUBJECT café")).unwrap().to_string(),
            "CHARSET UTF-8 SUBJECT {5}\r\ncafé"
        );
        assert_eq!(
            criteria(&words("(OR SUBJECT \"Grüße\" FROM zoé) SEEN"))
                .unwrap()
                .to_string(),
            "CHARSET UTF-8 (OR SUBJECT {7}\r\nGrüße FROM {4}\r\nzoé) SEEN"
        );
        assert_eq!(criteria(&[]).unwrap().to_string(), "ALL");
        assert_eq!(
            criteria(&words("SUBJECT")).unwrap_err(),
            "bad search criteria: SUBJECT"
        );
    }
}
