//! Lists and retrieves messages over POP3, or IMAP with `--imap`.
//!
//! ```text
//! cargo run --example mail-fetch -- --server 127.0.0.1:1110 --user user --password password \
//!     --allow-plaintext-auth                       # list: number, size, unique id
//! cargo run --example mail-fetch -- ... --message 1      # message 1 to standard output
//! cargo run --example mail-fetch -- ... --all --out DIR  # every message to DIR/N.eml
//! cargo run --example mail-fetch -- ... --all --out DIR --delete
//! cargo run --example mail-fetch -- --imap --server 127.0.0.1:1143 ... --all --out DIR
//! ```
//!
//! Messages come out byte for byte as the server stores them (POP3's dot-stuffing undone).
//! With `--delete` the retrieved messages are deleted when the session ends, and only if
//! every one of them was written (over IMAP: flagged `\Deleted`, then expunged).
//!
//! Over IMAP the listing shows sequence number, size and UID of each message in the
//! mailbox (`--mailbox`, INBOX by default); messages are fetched with `BODY.PEEK[]`, so
//! they stay unread.
//!
//! `--starttls` upgrades with STLS (or STARTTLS), `--tls` uses TLS from the start (port
//! 995, or 993 for IMAP); without
//! either, the password is sent only with `--allow-plaintext-auth` (for a server on
//! loopback).

#![allow(
    clippy::print_stdout,
    reason = "a command-line tool prints its results"
)]

#[path = "common/tls.rs"]
mod tls;

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mailwire::imap::types::{
    CommandBody, Data, FetchAttribute, FetchItems, Flag, MessageDataItem, NonEmpty, Section,
    SeqNumber, SeqRange, SequenceSet, StoreKind,
};
use mailwire::pop3::client::{Config, StlsPolicy};
use mailwire::pop3::{MessageNumber, Password, UserName};
use mailwire::tokio::Tls;
use mailwire::tokio::imap::ImapClient;
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
    /// Speak IMAP instead of POP3.
    #[arg(long)]
    imap: bool,
    /// The IMAP mailbox to read.
    #[arg(long, default_value = "INBOX", requires = "imap")]
    mailbox: String,
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
    let tls = if args.starttls || args.tls {
        tls::settings(
            &args.server,
            args.tls_name.as_deref(),
            args.ca_file.as_deref(),
        )?
    } else {
        Tls::None
    };
    if args.imap {
        run_imap(&args, tls).await
    } else {
        run_pop3(&args, tls).await
    }
}

async fn run_pop3(args: &Args, tls: Tls) -> Result<(), String> {
    let mut config = Config::default();
    config.stls = if args.starttls {
        StlsPolicy::Required
    } else {
        StlsPolicy::Never
    };
    config.plaintext_auth = args.allow_plaintext_auth;
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

async fn run_imap(args: &Args, tls: Tls) -> Result<(), String> {
    let server = &args.server;
    let mut config = mailwire::imap::client::Config::default();
    config.plaintext_auth = args.allow_plaintext_auth;
    let mut imap = ImapClient::connect_to(server.as_str(), config, tls, args.tls)
        .await
        .map_err(|e| format!("{server}: {e}"))?;
    if args.starttls {
        imap.starttls()
            .await
            .map_err(|e| format!("STARTTLS: {e}"))?;
    }
    if !args.starttls && !args.tls && !args.allow_plaintext_auth {
        return Err(
            "the connection is not encrypted: add --allow-plaintext-auth to log in anyway".into(),
        );
    }
    imap.login(&args.user, &args.password)
        .await
        .map_err(|e| format!("login: {e}"))?;
    let selected = imap
        .select(&args.mailbox)
        .await
        .map_err(|e| format!("select {}: {e}", args.mailbox))?;
    let exists = selected.exists;

    let wanted: Vec<NonZeroU32> = if args.all {
        (1..=exists).filter_map(NonZeroU32::new).collect()
    } else {
        args.messages
            .iter()
            .map(|&n| NonZeroU32::new(n).ok_or(format!("bad message number {n}")))
            .collect::<Result<_, _>>()?
    };

    if wanted.is_empty() && exists > 0 {
        let listing = imap
            .run(fetch(
                SequenceSet::all(),
                NonEmpty::from([FetchAttribute::Rfc822Size, FetchAttribute::Uid]),
            ))
            .await
            .map_err(|e| format!("fetch: {e}"))?;
        for data in &listing.data {
            let Data::Fetch { seq, items } = data else {
                continue;
            };
            let (mut size, mut uid) = (None, None);
            for item in items {
                match item {
                    MessageDataItem::Rfc822Size(s) => size = Some(*s),
                    MessageDataItem::Uid(u) => uid = Some(*u),
                    _ => {}
                }
            }
            let show = |v: Option<_>| v.map_or("-".to_owned(), |v: u32| v.to_string());
            println!("{seq} {} {}", show(size), show(uid.map(NonZeroU32::get)));
        }
    }

    for &message in &wanted {
        let body = NonEmpty::new(FetchAttribute::BodySection {
            peek: true,
            section: Section::full(),
            partial: None,
        });
        let fetched = imap
            .run(fetch(SequenceSet::single(message), body))
            .await
            .map_err(|e| format!("message {message}: {e}"))?;
        let content = fetched
            .data
            .iter()
            .find_map(|d| match d {
                Data::Fetch { seq, items } if *seq == message => {
                    items.iter().find_map(|i| match i {
                        MessageDataItem::BodySection {
                            data: Some(data), ..
                        } => Some(data.as_bytes()),
                        _ => None,
                    })
                }
                _ => None,
            })
            .ok_or(format!("message {message}: the server sent no body"))?;
        match &args.out {
            Some(dir) => {
                let path = dir.join(format!("{message}.eml"));
                tokio::fs::write(&path, content)
                    .await
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
            None => {
                let mut stdout = tokio::io::stdout();
                stdout.write_all(content).await.map_err(|e| e.to_string())?;
                stdout.flush().await.map_err(|e| e.to_string())?;
            }
        }
    }
    if args.delete && !wanted.is_empty() {
        let set = SequenceSet::new(
            wanted
                .iter()
                .map(|&n| SeqRange::Single(SeqNumber::Value(n)))
                .collect(),
        )
        .map_err(|e| e.to_string())?;
        imap.run(CommandBody::Store {
            set,
            kind: StoreKind::Add,
            silent: true,
            flags: vec![Flag::Deleted],
            unchanged_since: None,
            uid: false,
        })
        .await
        .map_err(|e| format!("store: {e}"))?;
        imap.run(CommandBody::Expunge)
            .await
            .map_err(|e| format!("expunge: {e}"))?;
    }
    imap.logout().await.map_err(|e| format!("logout: {e}"))
}

/// `FETCH set (attributes)`.
fn fetch(set: SequenceSet, attributes: NonEmpty<FetchAttribute>) -> CommandBody {
    CommandBody::Fetch {
        set,
        items: FetchItems::Attributes(attributes),
        changed_since: None,
        uid: false,
    }
}
