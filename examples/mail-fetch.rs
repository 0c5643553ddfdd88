//! Fetches mail over POP3, or IMAP with `--imap`, into a Maildir or an mbox; lists a
//! maildrop; or prints messages.
//!
//! ```text
//! cargo run --example mail-fetch -- --server pop.example.org --user me --password secret \
//!     --maildir ~/Mail/inbox                      # the new messages, left on the server
//! cargo run --example mail-fetch -- --imap --server imap.example.org --user me \
//!     --password secret --folder Lists --unseen --mbox lists.mbox
//! cargo run --example mail-fetch -- --server 127.0.0.1:1110 --plaintext \
//!     --allow-plaintext-auth --user me --password secret   # list: number, size, id
//! cargo run --example mail-fetch -- ... --message 1          # message 1 as it is
//! ```
//!
//! With `--maildir DIR` or `--mbox FILE`, the messages not fetched before are saved and
//! noted in a state file (POP3: their unique-ids; IMAP: the folder's UIDVALIDITY and their
//! UIDs), so the next run fetches only what is new, and a run cut short resumes where it
//! stopped. Messages stay on the server unless `--delete` is given; then every message
//! saved, in this run or before, is deleted once it is safely written. In a Maildir each
//! message goes to `tmp`, is synced and renamed into `new`; an mbox is mboxrd (lines
//! matching `>*From ` get one more `>`). Both get LF line ends. A progress bar shows on a
//! terminal.

#![allow(
    clippy::print_stdout,
    reason = "a command-line tool prints its results"
)]

#[path = "mail-fetch/local.rs"]
mod local;
#[path = "common/tls.rs"]
mod tls;

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgGroup, Parser};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mailwire::imap::types::{
    Capability, CommandBody, Data, FetchAttribute, FetchItems, Flag, MessageDataItem, NonEmpty,
    SearchKey, Section, SeqNumber, SeqRange, SequenceSet, StoreKind,
};
use mailwire::pop3::{MessageNumber, Password, UserName};
use mailwire::tokio::Tls;
use mailwire::tokio::connect::{Endpoint, Ports, Security};
use mailwire::tokio::imap::ImapClient;
use mailwire::tokio::pop3::{Config, Pop3Client, SeenIds};
use tokio::io::AsyncWriteExt as _;

use local::{Local, Maildir, Mbox};

/// Fetches mail over POP3 or IMAP into a Maildir or an mbox.
#[derive(Debug, Parser)]
#[command(
    name = "mail-fetch",
    group(ArgGroup::new("save").args(["maildir", "mbox"])),
    after_help = "Examples:
  mail-fetch --server pop.example.org --user me --password secret --maildir ~/Mail/inbox
  mail-fetch --server pop.example.org:110 --user me --password secret --mbox inbox.mbox --delete
  mail-fetch --imap --server imap.example.org --user me --password secret \\
      --folder Lists --unseen --maildir ~/Mail/lists
  mail-fetch --server pop.example.org --user me --password secret      (list the maildrop)
  mail-fetch --server pop.example.org --user me --password secret --message 3 > 3.eml
  mail-fetch --server 127.0.0.1:1110 --plaintext --allow-plaintext-auth --user me \\
      --password secret --maildir /tmp/mail

Port 995 (993 with --imap), or no port, means TLS from the start; any other port STLS
(STARTTLS), which the server must offer. Run again to fetch only what is new: the state
file remembers what was saved."
)]
struct Args {
    /// The server: host, host:port or [v6]:port.
    #[arg(long)]
    server: String,
    /// The user name.
    #[arg(long)]
    user: String,
    /// The password.
    #[arg(long)]
    password: String,
    /// Speak IMAP instead of POP3.
    #[arg(long)]
    imap: bool,
    /// The IMAP folder to fetch from.
    #[arg(long, alias = "mailbox", default_value = "INBOX", requires = "imap")]
    folder: String,
    /// Fetch only the messages without \Seen (IMAP).
    #[arg(long, requires_all = ["imap", "save"])]
    unseen: bool,
    /// Save new messages into this Maildir (created if missing).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["mbox", "messages"])]
    maildir: Option<PathBuf>,
    /// Append new messages to this mbox file (mboxrd).
    #[arg(long, value_name = "FILE", conflicts_with = "messages")]
    mbox: Option<PathBuf>,
    /// The state file that remembers what was saved (default: beside the mbox, or inside
    /// the Maildir, named for the protocol, user and server).
    #[arg(long, value_name = "FILE", requires = "save")]
    state: Option<PathBuf>,
    /// Leave the messages on the server (the default).
    #[arg(long, conflicts_with = "delete", requires = "save")]
    keep: bool,
    /// Delete from the server every message saved, now or in an earlier run.
    #[arg(long, requires = "save")]
    delete: bool,
    /// Print this message to standard output as it is; repeat for more.
    #[arg(long = "message", value_name = "N")]
    messages: Vec<u32>,
    /// STLS / STARTTLS, whatever the port.
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

/// Where new messages go.
#[derive(Debug)]
enum Target {
    Maildir(Maildir),
    Mbox(Mbox),
}

impl Target {
    async fn open(args: &Args) -> Result<Option<(Self, PathBuf)>, String> {
        let protocol = if args.imap { "imap" } else { "pop3" };
        let mut account = format!("{protocol}.{}@{}", args.user, args.server);
        if args.imap {
            account = format!("{account}.{}", args.folder);
        }
        let account = account.replace(['/', '\\'], "_");
        if let Some(dir) = &args.maildir {
            let maildir =
                Maildir::open(dir).map_err(|e| format!("cannot open {}: {e}", dir.display()))?;
            let state = dir.join(format!(".mail-fetch.{account}"));
            return Ok(Some((Self::Maildir(maildir), state)));
        }
        if let Some(path) = &args.mbox {
            let mbox = Mbox::open(path)
                .await
                .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            let mut state = path.clone().into_os_string();
            state.push(format!(".mail-fetch.{account}"));
            return Ok(Some((Self::Mbox(mbox), state.into())));
        }
        Ok(None)
    }

    /// Saves one message, which `fetch` writes into the `AsyncWrite` it is given; nothing
    /// is left of it if that fails.
    async fn save<F>(&mut self, progress: &ProgressBar, fetch: F) -> Result<(), String>
    where
        F: AsyncFnOnce(&mut Local<&mut tokio::fs::File>) -> Result<(), String>,
    {
        match self {
            Self::Maildir(maildir) => {
                let (name, mut file) = maildir.create().await.map_err(|e| e.to_string())?;
                let mut local = Local::new(&mut file, false, progress.clone());
                let written = match fetch(&mut local).await {
                    Ok(()) => local.finish().await.map(drop).map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                let delivered = match written {
                    Ok(()) => maildir
                        .deliver(&name, file)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                if delivered.is_err() {
                    maildir.discard(&name).await;
                }
                delivered
            }
            Self::Mbox(mbox) => {
                let start = mbox.begin().await.map_err(|e| e.to_string())?;
                let mut local = Local::new(mbox.file(), true, progress.clone());
                let written = match fetch(&mut local).await {
                    Ok(()) => local.finish().await.map(drop).map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                let committed = match written {
                    Ok(()) => mbox.commit().await.map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                if committed.is_err() {
                    // The run fails either way; a message cut short is not left behind.
                    let _ = mbox.roll_back(start).await;
                }
                committed
            }
        }
    }
}

/// The state file: its whole text is rewritten at the start and the end of a run, and a
/// line is appended for each message as it is saved.
#[derive(Debug)]
struct StateFile {
    path: PathBuf,
    file: Option<std::fs::File>,
}

impl StateFile {
    fn read(path: &Path) -> Result<(Self, String), String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let state = Self {
            path: path.to_owned(),
            file: None,
        };
        Ok((state, text))
    }

    /// Replaces the file's text at once (a new file renamed over the old one).
    fn replace(&mut self, text: &str) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", self.path.display());
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".new");
        let mut file = std::fs::File::create(&tmp).map_err(fail)?;
        file.write_all(text.as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&tmp, &self.path).map_err(fail)?;
        self.file = None;
        Ok(())
    }

    /// Notes one more message saved.
    fn append(&mut self, line: &str) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", self.path.display());
        if self.file.is_none() {
            let file = std::fs::OpenOptions::new()
                .append(true)
                .open(&self.path)
                .map_err(fail)?;
            self.file = Some(file);
        }
        if let Some(file) = &mut self.file {
            writeln!(file, "{line}").map_err(fail)?;
            file.sync_data().map_err(fail)?;
        }
        Ok(())
    }
}

/// A byte-counting bar over `total` octets, drawn only on a terminal.
fn progress_bar(messages: usize, total: u64) -> ProgressBar {
    if messages == 0 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = progress_style() {
        bar.set_style(style);
    }
    bar
}

fn progress_style() -> Result<ProgressStyle, indicatif::style::TemplateError> {
    ProgressStyle::with_template("{spinner} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}")
        .map(|s| s.progress_chars("=> "))
}

async fn run(args: Args) -> Result<(), String> {
    let security = if args.plaintext {
        Security::Plaintext
    } else if args.tls {
        Security::ImplicitTls
    } else if args.starttls {
        Security::StartTls
    } else {
        Security::Auto
    };
    let tls = if args.tls_name.is_some() || args.ca_file.is_some() {
        Some(tls::settings(
            &args.server,
            args.tls_name.as_deref(),
            args.ca_file.as_deref(),
        )?)
    } else {
        None
    };
    let target = Target::open(&args).await?;
    if args.imap {
        run_imap(&args, security, tls, target).await
    } else {
        run_pop3(&args, security, tls, target).await
    }
}

async fn run_pop3(
    args: &Args,
    security: Security,
    tls: Option<Tls>,
    target: Option<(Target, PathBuf)>,
) -> Result<(), String> {
    let mut config = Config::default();
    config.security = security;
    config.plaintext_auth = args.allow_plaintext_auth;
    config.tls = tls;
    let server = &args.server;
    let mut pop3 = Pop3Client::connect_with(server, config)
        .await
        .map_err(|e| format!("{server}: {e}"))?;
    let user = UserName::new(args.user.clone()).map_err(|e| format!("bad user name: {e}"))?;
    let password =
        Password::new(args.password.clone()).map_err(|e| format!("bad password: {e}"))?;
    pop3.login(user, password)
        .await
        .map_err(|e| format!("login: {e}"))?;

    if let Some((mut target, state_path)) = target {
        let state_path = args.state.clone().unwrap_or(state_path);
        let (mut state, text) = StateFile::read(&state_path)?;
        let mut seen =
            SeenIds::parse(&text).map_err(|e| format!("{}: {e}", state_path.display()))?;
        let listed = pop3.uidl().await.map_err(|e| format!("UIDL: {e}"))?;
        let sizes = pop3.list().await.map_err(|e| format!("LIST: {e}"))?;
        let new = seen.new_messages(&listed, &sizes);
        // Ids of messages gone from the server need not be kept.
        seen.retain_listed(&listed);
        state.replace(&seen.to_string())?;

        let progress = progress_bar(new.len(), new.iter().map(|m| m.size).sum());
        let count = new.len();
        for (i, message) in new.into_iter().enumerate() {
            progress.set_message(format!("message {}/{count}", i + 1));
            let number = message.message;
            target
                .save(&progress, async |out| {
                    pop3.retr(number, out)
                        .await
                        .map(drop)
                        .map_err(|e| format!("message {number}: {e}"))
                })
                .await?;
            state.append(message.unique_id.as_str())?;
            seen.insert(message.unique_id);
        }
        progress.finish_and_clear();
        let mut deleted = 0;
        if args.delete {
            for listing in listed
                .iter()
                .filter(|l| seen.contains(l.unique_id.as_str()))
            {
                pop3.dele(listing.message)
                    .await
                    .map_err(|e| format!("delete {}: {e}", listing.message))?;
                deleted += 1;
            }
        }
        pop3.quit().await.map_err(|e| format!("quit: {e}"))?;
        state.replace(&seen.to_string())?;
        println!("{}", summary(count, deleted));
        return Ok(());
    }

    if args.messages.is_empty() {
        let sizes = pop3.list().await.map_err(|e| e.to_string())?;
        let uids = pop3.uidl().await.unwrap_or_default();
        let uids: HashMap<MessageNumber, &str> = uids
            .iter()
            .map(|u| (u.message, u.unique_id.as_str()))
            .collect();
        for listing in sizes {
            let uid = uids.get(&listing.message).copied().unwrap_or("-");
            println!("{} {} {uid}", listing.message, listing.size);
        }
    }
    for &n in &args.messages {
        let message = MessageNumber::new(n).map_err(|e| format!("bad message number {n}: {e}"))?;
        let mut stdout = tokio::io::stdout();
        pop3.retr(message, &mut stdout)
            .await
            .map_err(|e| format!("message {message}: {e}"))?;
        stdout.flush().await.map_err(|e| e.to_string())?;
    }
    pop3.quit().await.map_err(|e| format!("quit: {e}"))
}

fn summary(saved: usize, deleted: usize) -> String {
    let mut line = format!("saved {saved} new message{}", plural(saved));
    if deleted > 0 {
        let _ = write!(line, ", deleted {deleted} from the server");
    }
    line
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What the IMAP state file holds: the folder's UIDVALIDITY and the UIDs saved.
#[derive(Debug, Default, PartialEq, Eq)]
struct ImapState {
    uidvalidity: Option<u32>,
    uids: BTreeSet<u32>,
}

impl ImapState {
    const HEADER: &str = "# mail-fetch imap state";

    fn parse(text: &str) -> Result<Self, String> {
        let mut state = Self::default();
        for (i, line) in text.lines().enumerate() {
            let bad = || format!("line {}: not a UIDVALIDITY or a UID", i + 1);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.strip_prefix("uidvalidity ") {
                Some(v) => state.uidvalidity = Some(v.parse().map_err(|_| bad())?),
                None => {
                    state.uids.insert(line.parse().map_err(|_| bad())?);
                }
            }
        }
        Ok(state)
    }

    fn text(&self) -> String {
        let mut text = format!("{}\n", Self::HEADER);
        if let Some(v) = self.uidvalidity {
            let _ = writeln!(text, "uidvalidity {v}");
        }
        for uid in &self.uids {
            let _ = writeln!(text, "{uid}");
        }
        text
    }
}

async fn run_imap(
    args: &Args,
    security: Security,
    tls: Option<Tls>,
    target: Option<(Target, PathBuf)>,
) -> Result<(), String> {
    let server = &args.server;
    let endpoint = Endpoint::parse(server, Ports::IMAP, security).map_err(|e| e.to_string())?;
    let tls = match tls {
        Some(tls) if endpoint.security != Security::Plaintext => tls,
        _ => endpoint
            .default_tls()
            .map_err(|e| format!("cannot set up TLS: {e}"))?,
    };
    let mut config = mailwire::tokio::imap::Config::default();
    config.security = endpoint.security;
    config.plaintext_auth = args.allow_plaintext_auth;
    config.tls = Some(tls);
    // One call: the port, or the flags, say whether TLS comes first or by STARTTLS.
    let mut imap = ImapClient::connect_with(server, config)
        .await
        .map_err(|e| format!("{server}: {e}"))?;
    imap.login(&args.user, &args.password)
        .await
        .map_err(|e| format!("login: {e}"))?;
    let selected = imap
        .select(&args.folder)
        .await
        .map_err(|e| format!("select {}: {e}", args.folder))?;
    let exists = selected.exists;
    let uidvalidity = selected.uid_validity;

    if let Some((mut target, state_path)) = target {
        let state_path = args.state.clone().unwrap_or(state_path);
        let (mut state_file, text) = StateFile::read(&state_path)?;
        let mut state =
            ImapState::parse(&text).map_err(|e| format!("{}: {e}", state_path.display()))?;
        if state.uidvalidity != uidvalidity {
            if state.uidvalidity.is_some() {
                eprintln!(
                    "mail-fetch: {} has a new UIDVALIDITY: fetching it all again",
                    args.folder
                );
            }
            state = ImapState {
                uidvalidity,
                uids: BTreeSet::new(),
            };
        }
        let all = uid_search(&mut imap, SearchKey::All).await?;
        let wanted = if args.unseen {
            uid_search(&mut imap, SearchKey::Unseen).await?
        } else {
            all.clone()
        };
        state.uids.retain(|uid| all.contains(uid));
        state_file.replace(&state.text())?;
        let new: Vec<u32> = wanted
            .iter()
            .copied()
            .filter(|uid| !state.uids.contains(uid))
            .collect();
        let sizes = if new.is_empty() {
            HashMap::new()
        } else {
            sizes(&mut imap).await?
        };
        let progress = progress_bar(
            new.len(),
            new.iter()
                .map(|uid| sizes.get(uid).copied().unwrap_or(0))
                .sum(),
        );
        let count = new.len();
        for (i, &uid) in new.iter().enumerate() {
            progress.set_message(format!("message {}/{count}", i + 1));
            let content = fetch_body(&mut imap, uid).await?;
            target
                .save(&progress, async |out| {
                    out.write_message(&content)
                        .await
                        .map_err(|e| format!("UID {uid}: {e}"))
                })
                .await?;
            state_file.append(&uid.to_string())?;
            state.uids.insert(uid);
        }
        progress.finish_and_clear();
        let mut deleted = 0;
        if args.delete && !state.uids.is_empty() {
            delete(&mut imap, &state.uids).await?;
            deleted = state.uids.len();
            // Expunged messages are gone; their UIDs are never used again.
            state.uids.clear();
        }
        imap.logout().await.map_err(|e| format!("logout: {e}"))?;
        state_file.replace(&state.text())?;
        println!("{}", summary(count, deleted));
        return Ok(());
    }

    if args.messages.is_empty() && exists > 0 {
        let listing = imap
            .run(fetch(
                SequenceSet::all(),
                NonEmpty::from([FetchAttribute::Rfc822Size, FetchAttribute::Uid]),
                false,
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
    for &n in &args.messages {
        let message = NonZeroU32::new(n).ok_or(format!("bad message number {n}"))?;
        let fetched = imap
            .run(fetch(SequenceSet::single(message), body(), false))
            .await
            .map_err(|e| format!("message {message}: {e}"))?;
        let content = body_of(&fetched.data).ok_or(format!("message {message}: no body"))?;
        let mut stdout = tokio::io::stdout();
        stdout.write_all(content).await.map_err(|e| e.to_string())?;
        stdout.flush().await.map_err(|e| e.to_string())?;
    }
    imap.logout().await.map_err(|e| format!("logout: {e}"))
}

/// Flags the messages `uids` names `\Deleted` and expunges them: with `UID EXPUNGE`
/// (RFC 4315) when the server offers UIDPLUS, so that only these go, else with `EXPUNGE`,
/// which also removes whatever else is flagged `\Deleted`.
async fn delete<IO>(imap: &mut ImapClient<IO>, uids: &BTreeSet<u32>) -> Result<(), String>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let set = uid_set(uids.iter().copied())?;
    imap.run(CommandBody::Store {
        set: set.clone(),
        kind: StoreKind::Add,
        silent: true,
        flags: vec![Flag::Deleted],
        unchanged_since: None,
        uid: true,
    })
    .await
    .map_err(|e| format!("store: {e}"))?;
    let expunged = if imap.capabilities().contains(&Capability::UidPlus) {
        imap.uid_expunge(set).await
    } else {
        imap.expunge().await
    };
    expunged.map(drop).map_err(|e| format!("expunge: {e}"))
}

/// `UID SEARCH key`, in ascending order.
async fn uid_search<IO>(imap: &mut ImapClient<IO>, key: SearchKey) -> Result<BTreeSet<u32>, String>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let found = imap
        .run(CommandBody::Search {
            charset: None,
            criteria: NonEmpty::new(key),
            uid: true,
        })
        .await
        .map_err(|e| format!("search: {e}"))?;
    Ok(found
        .data
        .iter()
        .filter_map(|d| match d {
            Data::Search { ids, .. } => Some(ids.iter().map(|id| id.get())),
            _ => None,
        })
        .flatten()
        .collect())
}

/// Every message's size, by UID.
async fn sizes<IO>(imap: &mut ImapClient<IO>) -> Result<HashMap<u32, u64>, String>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let listing = imap
        .run(fetch(
            SequenceSet::all(),
            NonEmpty::from([FetchAttribute::Rfc822Size, FetchAttribute::Uid]),
            false,
        ))
        .await
        .map_err(|e| format!("fetch: {e}"))?;
    let mut sizes = HashMap::new();
    for data in &listing.data {
        let Data::Fetch { items, .. } = data else {
            continue;
        };
        let (mut size, mut uid) = (None, None);
        for item in items {
            match item {
                MessageDataItem::Rfc822Size(s) => size = Some(u64::from(*s)),
                MessageDataItem::Uid(u) => uid = Some(u.get()),
                _ => {}
            }
        }
        if let (Some(size), Some(uid)) = (size, uid) {
            sizes.insert(uid, size);
        }
    }
    Ok(sizes)
}

/// `UID FETCH uid BODY.PEEK[]`: the message as the server stores it, left unread.
async fn fetch_body<IO>(imap: &mut ImapClient<IO>, uid: u32) -> Result<Vec<u8>, String>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let number = NonZeroU32::new(uid).ok_or(format!("bad UID {uid}"))?;
    let fetched = imap
        .run(fetch(SequenceSet::single(number), body(), true))
        .await
        .map_err(|e| format!("UID {uid}: {e}"))?;
    body_of(&fetched.data)
        .map(<[u8]>::to_vec)
        .ok_or(format!("UID {uid}: the server sent no body"))
}

fn body() -> NonEmpty<FetchAttribute> {
    NonEmpty::new(FetchAttribute::BodySection {
        peek: true,
        section: Section::full(),
        partial: None,
    })
}

fn body_of(data: &[Data]) -> Option<&[u8]> {
    data.iter().find_map(|d| match d {
        Data::Fetch { items, .. } => items.iter().find_map(|i| match i {
            MessageDataItem::BodySection {
                data: Some(data), ..
            } => Some(data.as_bytes()),
            _ => None,
        }),
        _ => None,
    })
}

fn uid_set(uids: impl Iterator<Item = u32>) -> Result<SequenceSet, String> {
    let ranges = uids
        .filter_map(NonZeroU32::new)
        .map(|n| SeqRange::Single(SeqNumber::Value(n)))
        .collect();
    SequenceSet::new(ranges).map_err(|e| e.to_string())
}

/// `[UID] FETCH set (attributes)`.
fn fetch(set: SequenceSet, attributes: NonEmpty<FetchAttribute>, uid: bool) -> CommandBody {
    CommandBody::Fetch {
        set,
        items: FetchItems::Attributes(attributes),
        changed_since: None,
        uid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imap_state_round_trip() {
        let state = ImapState::parse("# mail-fetch imap state\nuidvalidity 7\n3\n1\n").unwrap();
        assert_eq!(state.uidvalidity, Some(7));
        assert_eq!(state.uids.iter().copied().collect::<Vec<_>>(), [1, 3]);
        assert_eq!(
            state.text(),
            "# mail-fetch imap state\nuidvalidity 7\n1\n3\n"
        );
        assert_eq!(
            ImapState::parse("uidvalidity 7\nx\n"),
            Err("line 2: not a UIDVALIDITY or a UID".to_owned())
        );
    }

    /// What `delete` sends to a server that greets with `capabilities`.
    async fn deleting(capabilities: &str) -> String {
        use tokio::io::{AsyncBufReadExt as _, BufReader};

        let (near, far) = tokio::io::duplex(4096);
        let mut server = BufReader::new(far);
        let greeting = format!("* OK [CAPABILITY IMAP4rev1 {capabilities}] hi\r\n");
        server.write_all(greeting.as_bytes()).await.unwrap();
        let script = tokio::spawn(async move {
            let mut seen = String::new();
            for _ in 0..2 {
                let mut line = String::new();
                server.read_line(&mut line).await.unwrap();
                let tag = line.split(' ').next().unwrap_or_default().to_owned();
                server
                    .write_all(format!("{tag} OK done\r\n").as_bytes())
                    .await
                    .unwrap();
                seen.push_str(&line);
            }
            seen
        });
        let mut config = mailwire::tokio::imap::Config::default();
        config.security = Security::Plaintext;
        let stream = mailwire::tokio::MaybeTlsStream::Plain(near);
        let mut imap = ImapClient::begin(stream, &config, Tls::None).await.unwrap();
        delete(&mut imap, &BTreeSet::from([3, 4, 9])).await.unwrap();
        script.await.unwrap()
    }

    #[tokio::test]
    async fn delete_expunges_by_uid_when_the_server_offers_uidplus() {
        assert_eq!(
            deleting("UIDPLUS").await,
            "A1 UID STORE 3,4,9 +FLAGS.SILENT (\\Deleted)\r\nA2 UID EXPUNGE 3,4,9\r\n"
        );
        assert_eq!(
            deleting("IDLE").await,
            "A1 UID STORE 3,4,9 +FLAGS.SILENT (\\Deleted)\r\nA2 EXPUNGE\r\n"
        );
    }

    #[test]
    fn the_progress_bar_has_a_valid_template_and_hides_without_messages() {
        assert!(progress_style().is_ok());
        assert!(progress_bar(0, 0).is_hidden());
    }

    #[test]
    fn the_command_line_is_checked() {
        let parse = |args: &[&str]| {
            let base = [
                "mail-fetch",
                "--server",
                "s",
                "--user",
                "u",
                "--password",
                "p",
            ];
            Args::try_parse_from(base.iter().chain(args))
        };
        assert!(parse(&["--maildir", "d", "--mbox", "m"]).is_err());
        assert!(parse(&["--mbox", "m", "--keep", "--delete"]).is_err());
        assert!(parse(&["--unseen"]).is_err());
        assert!(parse(&["--imap", "--unseen"]).is_err());
        assert!(parse(&["--delete"]).is_err());
        assert!(parse(&["--message", "1", "--delete"]).is_err());
        assert!(parse(&["--state", "s"]).is_err());
        assert!(parse(&["--maildir", "d", "--delete", "--state", "s"]).is_ok());
        assert!(parse(&["--folder", "Lists"]).is_err());
        assert!(parse(&["--maildir", "d", "--message", "1"]).is_err());
        let args = parse(&["--imap", "--mailbox", "Lists", "--unseen", "--mbox", "m"]).unwrap();
        assert_eq!((args.folder.as_str(), args.unseen), ("Lists", true));
    }
}
