//! A small mail server: accepts mail over SMTP into a Maildir, and serves it over POP3 and
//! IMAP.
//!
//! ```sh
//! cargo run --example mail-server -- --maildir ./mail
//! ```
//!
//! It listens on 127.0.0.1 (SMTP on port 2525, POP3 on 1110, IMAP on 1143) and serves one
//! account (`user` / `password` unless given), whose POP3 maildrop and IMAP INBOX are the
//! Maildir. It speaks no TLS, so passwords cross the connection in clear: keep it on
//! loopback.
//!
//! Each connection runs on its own thread, through one blocking driver loop that serves
//! the three protocols' sans-IO sessions.

mod driver;
mod imap;
mod maildir;
mod pop3;
mod smtp;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread;

use clap::Parser;

/// Accepts mail over SMTP into a Maildir and serves it over POP3 and IMAP.
#[derive(Debug, Parser)]
#[command(name = "mail-server")]
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
}

/// Who may log in, and the POP3 lock on the one maildrop.
#[derive(Debug)]
pub(crate) struct Account {
    pub(crate) user: String,
    pub(crate) password: String,
    pub(crate) locked: AtomicBool,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(args) {
        eprintln!("mail-server: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<(), String> {
    for addr in [args.smtp, args.pop3, args.imap] {
        if !addr.ip().is_loopback() {
            eprintln!("mail-server: warning: {addr} is not loopback, and this server has no TLS");
        }
    }
    let maildir = Arc::new(
        maildir::Maildir::open(&args.maildir)
            .map_err(|e| format!("cannot open {}: {e}", args.maildir.display()))?,
    );
    let smtp_config = Arc::new(smtp::config(&args.hostname, args.max_message_size)?);
    let pop3_config = Arc::new(pop3::config(&args.hostname));
    let uids = Arc::new(
        imap::Uids::open(&args.maildir)
            .map_err(|e| format!("cannot read the IMAP UID list: {e}"))?,
    );
    let imap_config = Arc::new(imap::config());
    let account = Arc::new(Account {
        user: args.user,
        password: args.password,
        locked: AtomicBool::new(false),
    });

    let smtp_listener =
        TcpListener::bind(args.smtp).map_err(|e| format!("cannot listen on {}: {e}", args.smtp))?;
    let pop3_listener =
        TcpListener::bind(args.pop3).map_err(|e| format!("cannot listen on {}: {e}", args.pop3))?;
    let imap_listener =
        TcpListener::bind(args.imap).map_err(|e| format!("cannot listen on {}: {e}", args.imap))?;
    // The bound addresses, so that port 0 (any free port) shows which one was taken.
    let bound = |l: &TcpListener, asked: SocketAddr| l.local_addr().unwrap_or(asked);
    eprintln!(
        "mail-server: SMTP on {}, POP3 on {}, IMAP on {}, Maildir {}",
        bound(&smtp_listener, args.smtp),
        bound(&pop3_listener, args.pop3),
        bound(&imap_listener, args.imap),
        args.maildir.display()
    );

    let (imap_maildir, imap_account) = (Arc::clone(&maildir), Arc::clone(&account));
    thread::spawn(move || {
        for stream in imap_listener.incoming().flatten() {
            let (config, maildir, uids, account) = (
                Arc::clone(&imap_config),
                Arc::clone(&imap_maildir),
                Arc::clone(&uids),
                Arc::clone(&imap_account),
            );
            thread::spawn(move || imap::serve(stream, config, &maildir, &uids, &account));
        }
    });

    let pop3_maildir = Arc::clone(&maildir);
    let pop3_thread = thread::spawn(move || {
        for stream in pop3_listener.incoming().flatten() {
            let (config, maildir, account) = (
                Arc::clone(&pop3_config),
                Arc::clone(&pop3_maildir),
                Arc::clone(&account),
            );
            thread::spawn(move || pop3::serve(stream, config, &maildir, &account));
        }
    });
    for stream in smtp_listener.incoming().flatten() {
        let (config, maildir) = (Arc::clone(&smtp_config), Arc::clone(&maildir));
        thread::spawn(move || smtp::serve(stream, config, &maildir));
    }
    pop3_thread
        .join()
        .map_err(|_| "the POP3 listener stopped".to_owned())
}
