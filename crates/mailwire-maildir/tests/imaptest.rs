//! Dovecot's imaptest compliance scripts against the IMAP server over a Maildir, beside
//! the same server over the in-memory reference store: the Maildir must fail nothing the
//! reference passes (what both fail is the server's business, not the store's).
//!
//! Runs when `IMAPTEST` names the imaptest binary (its scripts beside it in `tests/`), as
//! `.ci/interop/memory-server-imaptest.sh` builds it; without it the test prints
//! `skipped: IMAPTEST not set` and passes.

#![allow(
    clippy::print_stdout,
    reason = "imaptest's summaries are the test's report"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mailwire_imap::server::Config;
use mailwire_maildir::MaildirStore;
use mailwire_server::memory::Memory;
use mailwire_server::{Accepted, ImapServer, MailStore, Security, Service, Throttle};
use mailwire_tokio::{MaybeTlsStream, Tls};

const USER: &str = "imaptest";
const PASSWORD: &str = "imaptest pass";

/// Serves IMAP over `store` on a loopback port, and returns the port.
async fn serve<S: MailStore>(store: S) -> u16 {
    let users = Memory::new();
    users.add_user(USER, PASSWORD);
    let mut config = Config::default();
    config.plaintext_auth = true;
    let server = Arc::new(ImapServer::new(
        config,
        Arc::new(users),
        Arc::new(store),
        Arc::new(Throttle::new()),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, peer)) = listener.accept().await {
            let accepted = Accepted::new(
                MaybeTlsStream::Plain(stream),
                peer,
                Security::Plain,
                Tls::None,
            );
            tokio::spawn(Arc::clone(&server).serve(accepted));
        }
    });
    port
}

/// Runs the compliance scripts against a port; returns the summary line and what
/// failed (each failed test, each protocol error, without imaptest's client numbers).
async fn run(imaptest: &Path, port: u16) -> (String, BTreeSet<String>) {
    let tests = imaptest.with_file_name("tests");
    let output = tokio::process::Command::new(imaptest)
        .env("LD_LIBRARY_PATH", "/usr/lib/dovecot")
        .arg("host=127.0.0.1")
        .arg(format!("port={port}"))
        .arg(format!("user={USER}"))
        .arg(format!("pass={PASSWORD}"))
        .arg(format!("test={}", tests.display()))
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let summary = text
        .lines()
        .find(|l| l.contains(" test groups: "))
        .unwrap_or("no summary")
        .to_owned();
    let failures = text
        .lines()
        .filter(|l| l.starts_with("*** Test ") || l.starts_with("Error: "))
        .map(|l| match l.split_once("]: ") {
            Some((_, rest)) if l.starts_with("Error: imaptest[") => format!("Error: {rest}"),
            _ => l.to_owned(),
        })
        .collect();
    (summary, failures)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maildir_fails_no_imaptest_script_the_reference_passes() {
    let Some(imaptest) = std::env::var_os("IMAPTEST").map(PathBuf::from) else {
        println!("skipped: IMAPTEST not set");
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let maildir_port = serve(MaildirStore::new(root.path().to_owned())).await;
    let memory = Memory::new();
    memory.add_user(USER, PASSWORD);
    let memory_port = serve(memory).await;

    let (maildir_summary, maildir_failures) = run(&imaptest, maildir_port).await;
    let (memory_summary, memory_failures) = run(&imaptest, memory_port).await;
    println!("maildir: {maildir_summary}\nmemory:  {memory_summary}");
    let only_maildir: Vec<&String> = maildir_failures.difference(&memory_failures).collect();
    assert!(only_maildir.is_empty(), "{only_maildir:#?}");
    assert!(
        maildir_summary.starts_with("71 test groups: "),
        "{maildir_summary}"
    );
}

/// imaptest's stress mode: clients appending, fetching, storing and expunging in one
/// Maildir at once; imaptest checks every answer against what it knows of the mailbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imaptest_stress_finds_no_error() {
    let Some(imaptest) = std::env::var_os("IMAPTEST").map(PathBuf::from) else {
        println!("skipped: IMAPTEST not set");
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let port = serve(MaildirStore::new(root.path().to_owned())).await;
    let mut mbox = String::new();
    for i in 0..200 {
        mbox.push_str(&format!(
            "From sender{i}@example.org Mon Dec  7 12:00:00 2026\r\n\
             From: Sender {i} <sender{i}@example.org>\r\nTo: {USER}@example.org\r\n\
             Subject: stress message {i}\r\nMessage-ID: <stress-{i}@example.org>\r\n\
             Date: Mon, 7 Dec 2026 12:{:02}:00 +0000\r\n\r\n",
            i % 60
        ));
        for j in 0..=i % 30 {
            mbox.push_str(&format!("line {j} of message {i}\r\n"));
        }
        mbox.push_str("\r\n");
    }
    let mbox_path = root.path().join("stress.mbox");
    std::fs::write(&mbox_path, mbox).unwrap();
    let output = tokio::process::Command::new(&imaptest)
        .env("LD_LIBRARY_PATH", "/usr/lib/dovecot")
        .arg("host=127.0.0.1")
        .arg(format!("port={port}"))
        .arg(format!("user={USER}"))
        .arg(format!("pass={PASSWORD}"))
        .arg(format!("mbox={}", mbox_path.display()))
        .args(["clients=10", "secs=15"])
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("Error:") || l.starts_with("Panic:") || l.contains("Fatal"))
        .collect();
    println!(
        "{}",
        text.lines().rev().take(4).collect::<Vec<_>>().join("\n")
    );
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(text.lines().any(|l| l.starts_with("Logi")), "{text}");
}
