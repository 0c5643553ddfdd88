//! A small mail server: accepts mail over SMTP into Maildirs, and serves it over POP3 and
//! IMAP, with TLS on every port.
//!
//! ```sh
//! cargo run --example mail-server
//! cargo run --example mail-server -- add-user alice@example.org
//! ```
//!
//! It keeps everything in its data directory (`--data`, `./mail` by default): the accounts
//! in `DIR/users`, which `add-user` writes, each account's Maildir in
//! `DIR/<domain>/<local-part>/` (with folders beside its INBOX as Dovecot lays them out),
//! and a generated certificate in `DIR/tls/`. Without a users file it serves a demo
//! account, `user@localhost`, whose random password it prints at start and keeps in memory
//! only. The [`accounts`] module describes the file, the login names and which recipients
//! it takes mail for. Mail from a client that logged in, for other domains, waits in a
//! queue (`DIR/queue`, synced before the `250`) and is relayed to the servers DNS names for
//! its domain (MX, then A / AAAA) or a `--route`, each tried in turn, retried with backoff
//! (the first wait `--retry-first`, 5 minutes) for five days, and reported back to the
//! sender (RFC 3464) if it fails; `mail-server queue list | flush | delete` shows and
//! changes the queue, also while the server runs. The SMTP ports offer DSN (RFC 3461):
//! RET, ENVID and ORCPT are kept and passed on, and NOTIFY is honoured, a recipient here
//! that asked for NOTIFY=SUCCESS being delivered through the queue and reported on.
//! Every message gets a `Received:` field as it comes in, and a `Return-Path:` field when
//! it lands in a Maildir (RFC 5321 §4.4). It listens on 127.0.0.1:
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
//! | off  | `--lmtp`       | LMTP for MTAs on trusted networks, no AUTH    |
//!
//! `--lmtp-deliver HOST:PORT` (or `unix:/PATH`) hands mail for the local accounts to an
//! LMTP server, such as Dovecot's `lmtp`, instead of their Maildirs: mail arriving over
//! SMTP through the queue, so that each recipient's answer is retried or reported on its
//! own, mail arriving over `--lmtp` directly (see [`lmtp`]).
//!
//! TLS comes from `--cert` and `--key` (PEM files), or else from a self-signed certificate
//! for `--hostname`, `localhost` and `127.0.0.1`, generated on first start in `DATA/tls/`
//! and kept for later starts; its SHA-256 fingerprint is printed, for clients to check.
//! Passwords are taken only under TLS unless `--allow-plaintext` is given.
//!
//! This is wiring only: the protocols are mailwire-server's, the store is
//! mailwire-maildir's. Ctrl-C or SIGTERM stop it gracefully.

mod accounts;
mod lmtp;
#[path = "../common/serve.rs"]
mod serve;
mod tls;

use std::fmt::Write as _;
use std::io::BufRead;
use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use accounts::{
    Account, AccountError, Accounts, Address, LiveUsers, Mailboxes, Users, add_user,
    random_password,
};
use clap::{Parser, Subcommand};
use mailwire::imap::server::Config as ImapConfig;
use mailwire::pop3::server::{Config as Pop3Config, PlaintextLogin};
use mailwire::relay::{Config as RelayConfig, Intake, Queue, Relay, Route};
use mailwire::server::{
    ImapServer, Limits, Listeners, LmtpDelivery, LmtpTarget, Pop3Server, Security, Service,
    Shutdown, SmtpServer, Throttle,
};
use mailwire::smtp::Domain;
use mailwire::smtp::server::Config as SmtpConfig;
use mailwire::tokio::Tls;
use serve::{log, wait_for_stop};
use tokio::net::TcpListener;

/// The users file's format, for `--help`.
macro_rules! users_file_help {
    () => {
        "The users file (DIR/users unless --users names another) has one account a line:
  ADDRESS:{ARGON2ID}PHC-STRING:{SCRAM-SHA-256}ITERATIONS,SALT,STOREDKEY,SERVERKEY[:{PLAIN}PASSWORD]
ADDRESS is local-part@domain; the domains of the file are the local domains. The password is
kept as an argon2id hash and as SCRAM-SHA-256 keys; in plaintext ({PLAIN}) only for accounts
added with --apop, which APOP and CRAM-MD5 need. Lines starting with '#' are comments.
Clients log in with the full address, or the local part alone when one account has it (or
one of the first line's domain). Mail for the local domains goes to their accounts (550
5.1.1 for unknown users); mail for other domains is relayed for clients that logged in, and
refused (550 5.7.1) for others. postmaster@DOMAIN reaches postmaster@DOMAIN's account,
else the domain's first. Each account's Maildir is DIR/<domain>/<local-part>/."
    };
}

/// Accepts mail over SMTP into Maildirs and serves it over POP3 and IMAP, with TLS.
#[derive(Debug, Parser)]
#[command(
    name = "mail-server",
    after_help = concat!("Examples:
  mail-server
  mail-server add-user alice@example.org
  printf '%s\\n' 'correct horse' | mail-server --data /srv/mail add-user ann@example.org --password-stdin
  mail-server --data /srv/mail --imap 127.0.0.1:0
  mail-server --cert fullchain.pem --key privkey.pem --hostname mail.example.org

Port 0 picks a free port; the bound addresses are printed on standard error. Without a users
file, a demo account user@localhost is served with a random password printed at start.

",
        users_file_help!()
    )
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Where the users file, the Maildirs and the generated certificate are (created if
    /// missing).
    #[arg(long, global = true, default_value = "./mail")]
    data: PathBuf,
    /// The users file, if not DIR/users.
    #[arg(long, global = true)]
    users: Option<PathBuf>,
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
    /// Send mail for DOMAIN to these servers instead of the ones DNS names (MX, then A /
    /// AAAA): `DOMAIN=HOST:PORT`, or `DOMAIN=HOST:PORT,HOST:PORT` for servers tried in
    /// turn when one cannot take the mail now; repeat for more domains.
    #[arg(long, value_name = "DOMAIN=SERVER[,SERVER]", value_parser = parse_route)]
    route: Vec<(String, Vec<Route>)>,
    /// The wait before the first retry of mail a server could not take, doubled after
    /// each further failure up to 4 hours: `300`, `90s`, `5m`, `2h` (at least 1s).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_retry)]
    retry_first: Duration,
    /// Hand mail for the local accounts to this LMTP server (Dovecot's lmtp, say) instead
    /// of their Maildirs: HOST:PORT, or unix:/PATH for a Unix socket. Recipients are still
    /// checked against the users file here.
    #[arg(long, value_name = "HOST:PORT|unix:PATH")]
    lmtp_deliver: Option<LmtpTarget>,
    /// Accept LMTP (RFC 2033) here, for the local accounts, with one reply per recipient.
    /// Off unless given. LMTP is for MTAs on the same machine or a trusted network: no
    /// TLS, no AUTH.
    #[arg(long, value_name = "ADDR")]
    lmtp: Option<SocketAddr>,
}

/// `DOMAIN=HOST:PORT[,HOST:PORT…]`.
fn parse_route(text: &str) -> Result<(String, Vec<Route>), String> {
    let (domain, servers) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not DOMAIN=SERVER"))?;
    let routes = servers
        .split(',')
        .map(|server| server.parse().map_err(|e| format!("{server:?}: {e}")))
        .collect::<Result<_, _>>()?;
    Ok((domain.to_ascii_lowercase(), routes))
}

/// Seconds, with `s`, `m`, `h` or `d` after the number if wanted; 1 second at least.
fn parse_retry(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: not a number of s, m, h or d")),
    };
    let seconds = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("{text:?}: not a number of s, m, h or d"))?;
    if seconds == 0 {
        return Err("the wait must be 1s at least".to_owned());
    }
    Ok(Duration::from_secs(seconds))
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Adds an account to the users file (restart the server to serve it).
    #[command(after_help = users_file_help!())]
    AddUser(AddUser),
    /// Shows or changes the queue of mail for other servers, and for the local accounts
    /// under --lmtp-deliver (DIR/queue).
    #[command(subcommand)]
    Queue(QueueCommand),
}

/// `mail-server queue`.
#[derive(Debug, Subcommand)]
enum QueueCommand {
    /// Lists the queued messages and where each recipient stands.
    List,
    /// Makes every queued message (or one) due now; a running server sees it within 5
    /// seconds and tries it.
    Flush {
        /// The message's id, as `queue list` shows it.
        id: Option<String>,
    },
    /// Removes a message from the queue, delivered to no one further.
    Delete {
        /// The message's id, as `queue list` shows it.
        id: String,
    },
}

/// `mail-server add-user`.
#[derive(Debug, clap::Args)]
struct AddUser {
    /// The account's address, local-part@domain.
    address: String,
    /// Read the password from the first line of standard input; else a random one is
    /// made and printed.
    #[arg(long)]
    password_stdin: bool,
    /// Keep the password in plaintext too, for APOP and CRAM-MD5 (weaker: MD5, and the
    /// file then holds the password itself).
    #[arg(long)]
    apop: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let done = match &args.command {
        Some(Command::AddUser(add)) => add_account(&args, add),
        Some(Command::Queue(command)) => queue_command(&args, command).await,
        None => run(args).await,
    };
    if let Err(e) = done {
        eprintln!("mail-server: {e}");
        std::process::exit(1);
    }
}

impl Args {
    fn users_file(&self) -> PathBuf {
        self.users
            .clone()
            .unwrap_or_else(|| self.data.join("users"))
    }
}

/// `mail-server add-user`.
fn add_account(args: &Args, add: &AddUser) -> Result<(), Box<dyn std::error::Error>> {
    let address = Address::parse(&add.address)?;
    let path = args.users_file();
    // Refused before a password is asked for; add_user checks again as it writes.
    if Users::load(&path)
        .or_else(|e| match e {
            AccountError::Empty(_) => Ok(None),
            e => Err(e),
        })?
        .is_some_and(|users| users.accounts().iter().any(|a| a.address() == &address))
    {
        return Err(AccountError::Exists(address.to_string()).into());
    }
    let (password, made) = if add.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let line = line.strip_suffix('\n').unwrap_or(&line);
        (line.strip_suffix('\r').unwrap_or(line).to_owned(), false)
    } else {
        (random_password()?, true)
    };
    let account = Account::new(address.clone(), &password, add.apop)?;
    add_user(&path, &account)?;
    eprintln!("mail-server: added {address} to {}", path.display());
    if made {
        #[allow(clippy::print_stdout, reason = "the password is the command's output")]
        {
            println!("{password}");
        }
    }
    Ok(())
}

/// `mail-server queue …`.
async fn queue_command(
    args: &Args,
    command: &QueueCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    // Beside a running server: its files being written are left alone, and it is told
    // of a flush or a deletion.
    let queue = Queue::inspect(args.data.join("queue"))?;
    match command {
        QueueCommand::List => {
            let mut out = String::new();
            for entry in queue.list() {
                let _ = writeln!(out, "{} from {}", entry.id, entry.from);
                for rcpt in &entry.recipients {
                    let _ = write!(
                        out,
                        "  {} {:?}, {} attempt(s), next at {}",
                        rcpt.path, rcpt.status, rcpt.attempts, rcpt.next_attempt
                    );
                    if let Some(error) = &rcpt.last_error {
                        let _ = write!(out, ": {error}");
                    }
                    out.push('\n');
                }
            }
            #[allow(clippy::print_stdout, reason = "the listing is the command's output")]
            {
                print!("{out}");
            }
        }
        QueueCommand::Flush { id } => queue.flush(id.as_deref()).await?,
        QueueCommand::Delete { id } => queue.delete(id).await?,
    }
    Ok(())
}

/// Loads the users file, or makes the demo account when there is none (and none was named).
fn load_users(path: &Path, named: bool) -> Result<Users, Box<dyn std::error::Error>> {
    if let Some(users) = Users::load(path)? {
        eprintln!(
            "mail-server: {} account(s) from {}",
            users.accounts().len(),
            path.display()
        );
        return Ok(users);
    }
    if named {
        return Err(format!("{}: no such users file", path.display()).into());
    }
    let (users, password) = Users::demo()?;
    eprintln!(
        "mail-server: no users file at {path}; serving the demo account user@localhost \
         with the password {password}
mail-server: log in as `user` (or `user@localhost`); mail to user@localhost (or postmaster@localhost) reaches it.
mail-server: the demo account lives in memory only, its password changes at each start;
mail-server: add accounts with `mail-server add-user ADDRESS` (see `add-user --help`): the
mail-server: running server takes them at once, and the demo account gives way.",
        path = path.display()
    );
    Ok(users)
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    log(args.verbose);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&args.data)
        .map_err(|e| format!("cannot create {}: {e}", args.data.display()))?;
    let tls = server_tls(&args)?;
    if args.allow_plaintext {
        eprintln!(
            "mail-server: warning: --allow-plaintext: passwords are taken without TLS too, \
             in clear"
        );
    }
    let users = load_users(&args.users_file(), args.users.is_some())?;
    let users = LiveUsers::watching(users, args.users_file());
    let mut accounts = Accounts::new(users, args.data.clone(), args.max_message_size)?;
    if let Some(target) = &args.lmtp_deliver {
        eprintln!("mail-server: mail for the local accounts goes to the LMTP server {target}");
        accounts.deliver_through(LmtpDelivery::new(target.clone()));
    }
    // Mail from clients that logged in, for other domains, waits in the queue for the
    // relay task.
    let hostname = Domain::new(&args.hostname)?;
    let queue = Queue::open(args.data.join("queue"))?;
    accounts.relay_through(Intake::new(queue.clone()));
    let accounts = Arc::new(accounts);
    let mut relay_config = RelayConfig::new(hostname);
    relay_config.routes.extend(args.route.iter().cloned());
    relay_config.retry_base = args.retry_first;
    relay_config.local_domains = accounts.domains();
    // The relay delivers queued mail for the accounts (and its reports to them) straight
    // to their mailboxes, never back into the queue.
    let mailboxes = Arc::new(Mailboxes(Arc::clone(&accounts)));
    let outbound = Relay::new(queue, relay_config, mailboxes);
    let throttle = Arc::new(Throttle::new());

    // Port 25's part: mail from anyone for the local accounts, AUTH offered for clients
    // that have an account. Submission: the same, but only after AUTH (RFC 6409 §4.3).
    // SCRAM-SHA-256 works without TLS; PLAIN and LOGIN wait for it (plaintext_auth).
    let mut relay = SmtpConfig::new(Domain::new(&args.hostname)?);
    relay.max_message_size = Some(args.max_message_size);
    relay.auth_mechanisms = accounts.mechanisms();
    relay.plaintext_auth = args.allow_plaintext;
    // RET, ENVID, NOTIFY and ORCPT (RFC 3461): the queue keeps them, the relay task
    // passes them on or answers them.
    relay.dsn = true;
    let mut submission = relay.clone();
    submission.require_auth = true;
    let smtp_server = |config| {
        Arc::new(SmtpServer::new(
            config,
            Arc::clone(&accounts),
            Arc::clone(&accounts),
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
    pop3.sasl_mechanisms = accounts.mechanisms();
    pop3.apop = accounts.apop();
    let pop3 = Arc::new(Pop3Server::new(
        pop3,
        Arc::clone(&accounts),
        Arc::clone(&accounts),
        Arc::clone(&throttle),
    ));
    let mut imap = ImapConfig::default();
    imap.plaintext_auth = args.allow_plaintext;
    imap.mechanisms = accounts.mechanisms();
    let lmtp = match args.lmtp {
        Some(at) => {
            let hostname = Domain::new(&args.hostname)?;
            let size = args.max_message_size;
            Some((at, lmtp::server(hostname, size, &accounts, &throttle)))
        }
        None => None,
    };
    let imap = Arc::new(ImapServer::new(
        imap,
        Arc::clone(&accounts),
        Arc::clone(&accounts),
        throttle,
    ));

    let shutdown = Shutdown::new();
    let relaying = {
        let signal = shutdown.signal();
        tokio::spawn(async move { outbound.run(signal).await })
    };
    let mut limits = Limits::default();
    limits.max_connections = args.max_connections;
    limits.max_per_ip = args.max_per_ip;
    let mut listeners = Listeners::new(limits, shutdown.signal());
    let mut report = format!("mail-server: data in {}\n", args.data.display());
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
    if let Some((at, lmtp)) = &lmtp {
        let note = ", no AUTH: for MTAs on trusted networks";
        bound.add("LMTP", lmtp, *at, Security::Plain, note).await?;
    }
    // One write, so that a script reading the log sees all the ports at once.
    eprint!("{report}");

    let stop = tokio::spawn(async move {
        wait_for_stop().await;
        eprintln!("mail-server: shutting down");
        shutdown.request();
    });
    listeners.run().await;
    stop.abort();
    // The relay stops at the same signal, between attempts; what it had not sent stays
    // queued for the next start.
    let _ = relaying.await;
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
            Security::Plain => "no TLS",
            _ => "STARTTLS offered",
        };
        let _ = writeln!(self.report, "mail-server: {name} on {at} ({how}{note})");
        Ok(())
    }
}

#[cfg(test)]
#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn retry_first_takes_seconds_or_a_unit_and_one_second_at_least() {
        let secs = |text| parse_retry(text).map(|d| d.as_secs());
        assert_eq!(secs("2"), Ok(2));
        assert_eq!(secs("2s"), Ok(2));
        assert_eq!(secs("5m"), Ok(300));
        assert_eq!(secs("4h"), Ok(14_400));
        assert_eq!(secs("1d"), Ok(86_400));
        assert_eq!(secs("0s"), Err("the wait must be 1s at least".to_owned()));
        assert_eq!(
            secs("5 m"),
            Err("\"5 m\": not a number of s, m, h or d".to_owned())
        );
        assert_eq!(
            secs("m"),
            Err("\"m\": not a number of s, m, h or d".to_owned())
        );
        let args = Args::try_parse_from(["mail-server"]).unwrap();
        assert_eq!(args.retry_first, Duration::from_secs(300));
    }

    #[test]
    fn a_route_may_list_several_servers() {
        let (domain, routes) = parse_route("Example.NET=127.0.0.1:2526,[::1]:2527").unwrap();
        let servers: Vec<(String, u16)> = routes.into_iter().map(|r| (r.host, r.port)).collect();
        assert_eq!(domain, "example.net");
        assert_eq!(
            servers,
            [("127.0.0.1".to_owned(), 2526), ("::1".to_owned(), 2527)]
        );
        assert!(parse_route("example.net").is_err());
        assert!(parse_route("example.net=127.0.0.1:2526,").is_err());
    }

    #[test]
    fn add_user_takes_the_data_directory_on_either_side() {
        for argv in [
            &[
                "mail-server",
                "--data",
                "/srv/mail",
                "add-user",
                "ann@example.org",
            ][..],
            &[
                "mail-server",
                "add-user",
                "ann@example.org",
                "--data",
                "/srv/mail",
            ],
        ] {
            let args = Args::try_parse_from(argv).unwrap();
            let Some(Command::AddUser(add)) = &args.command else {
                panic!("{args:?}")
            };
            assert_eq!(add.address, "ann@example.org");
            assert!(!add.password_stdin && !add.apop);
            assert_eq!(args.users_file(), Path::new("/srv/mail/users"));
        }
        let args = Args::try_parse_from([
            "mail-server",
            "add-user",
            "ann@example.org",
            "--users",
            "/etc/mail-users",
            "--password-stdin",
            "--apop",
        ])
        .unwrap();
        assert_eq!(args.users_file(), Path::new("/etc/mail-users"));
        let Some(Command::AddUser(add)) = &args.command else {
            panic!("{args:?}")
        };
        assert!(add.password_stdin && add.apop);
        let args = Args::try_parse_from(["mail-server"]).unwrap();
        assert!(args.command.is_none());
        assert_eq!(args.users_file(), Path::new("./mail/users"));
    }
}
