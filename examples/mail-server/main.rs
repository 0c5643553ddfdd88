//! A small mail server: accepts mail over SMTP into a Maildir, and serves it over POP3.
//!
//! ```sh
//! cargo run --example mail-server -- --maildir ./mail
//! ```
//!
//! It listens on 127.0.0.1 (SMTP on port 2525, POP3 on 1110) and serves one POP3 account
//! (`user` / `password` unless given). It speaks no TLS, so passwords cross the connection
//! in clear: keep it on loopback.
//!
//! Each connection runs on its own thread, through one blocking driver loop that serves
//! both protocols' sans-IO sessions.

mod driver;
mod maildir;
mod pop3;
mod smtp;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread;

use clap::Parser;

/// Accepts mail over SMTP into a Maildir and serves it over POP3.
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
    /// The server's host name, in greetings and replies.
    #[arg(long, default_value = "localhost")]
    hostname: String,
    /// The POP3 account's user name.
    #[arg(long, default_value = "user")]
    user: String,
    /// The POP3 account's password.
    #[arg(long, default_value = "password")]
    password: String,
    /// The largest message accepted, in octets.
    #[arg(long, default_value_t = 25 * 1024 * 1024)]
    max_message_size: u64,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(args) {
        eprintln!("mail-server: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<(), String> {
    for addr in [args.smtp, args.pop3] {
        if !addr.ip().is_loopback() {
            eprintln!("mail-server: warning: {addr} is not loopback, and this server has no TLS");
        }
    }
    let maildir = Arc::new(
        maildir::Maildir::open(&args.maildir)
            .map_err(|e| format!("cannot open {}: {e}", args.maildir.display()))?,
    );
    let smtp_config = smtp::config(&args.hostname, args.max_message_size)?;
    let pop3_config = Arc::new(pop3::config(&args.hostname));
    let account = Arc::new(pop3::Account {
        user: args.user,
        password: args.password,
        locked: AtomicBool::new(false),
    });

    let smtp_listener =
        TcpListener::bind(args.smtp).map_err(|e| format!("cannot listen on {}: {e}", args.smtp))?;
    let pop3_listener =
        TcpListener::bind(args.pop3).map_err(|e| format!("cannot listen on {}: {e}", args.pop3))?;
    eprintln!(
        "mail-server: SMTP on {}, POP3 on {}, Maildir {}",
        args.smtp,
        args.pop3,
        args.maildir.display()
    );

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
        let (config, maildir) = (smtp_config.clone(), Arc::clone(&maildir));
        thread::spawn(move || smtp::serve(stream, config, &maildir));
    }
    pop3_thread
        .join()
        .map_err(|_| "the POP3 listener stopped".to_owned())
}
