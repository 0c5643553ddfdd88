//! Interoperability with Dovecot on one Maildir: what mailwire writes, Dovecot's own
//! `imap` binary reads with the same UIDs, UIDVALIDITY, flags and sizes, and what Dovecot
//! writes, mailwire reads the same way.
//!
//! Dovecot runs as in `crates/mailwire-imap/tests/dovecot_fetch.rs`: the `imap` binary
//! over a pipe in PREAUTH mode, with `-o` settings, as `nobody` when the test runs as
//! root (Dovecot refuses mail access as root). `DOVECOT_IMAP` names another binary;
//! without one the test prints `skipped: dovecot not installed` and passes.

#![allow(clippy::print_stdout, reason = "a skipped test says so in its output")]

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mailwire_imap::types::Flag;
use mailwire_maildir::Maildir;
use mailwire_server::store::{FlagChange, NewMessage};
use mailwire_server::{Mailbox, Mailboxes};

fn dovecot_binary() -> Option<PathBuf> {
    let path = std::env::var_os("DOVECOT_IMAP")
        .map_or_else(|| PathBuf::from("/usr/lib/dovecot/imap"), PathBuf::from);
    path.is_file().then_some(path)
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Runs Dovecot's `imap` on the Maildir at `maildir` with `commands` (each tagged
/// `t<n>`, CRLF added) and returns its output.
fn run_dovecot(imap: &Path, scratch: &Path, maildir: &Path, commands: &[&[u8]]) -> String {
    let config = scratch.join("dovecot.conf");
    std::fs::write(
        &config,
        format!(
            "mail_location = maildir:{}\nlog_path = /dev/stderr\n",
            maildir.display()
        ),
    )
    .unwrap();
    let mut command = Command::new(imap);
    command
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", scratch)
        .arg("-c")
        .arg(&config)
        .args(["-o", "first_valid_uid=1", "-o", "first_valid_gid=1"]);
    if running_as_root() {
        let status = Command::new("chown")
            .args(["-R", "nobody:nogroup"])
            .arg(scratch)
            .status()
            .unwrap();
        assert!(status.success(), "chown of the scratch Maildir failed");
        command
            .env("USER", "nobody")
            .args(["-o", "mail_uid=nobody", "-o", "mail_gid=nogroup"]);
    } else {
        command.env(
            "USER",
            std::env::var("USER").unwrap_or_else(|_| "mailwire".into()),
        );
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dovecot imap");
    let mut input = Vec::new();
    for (n, line) in commands.iter().enumerate() {
        input.extend_from_slice(format!("t{n} ").as_bytes());
        input.extend_from_slice(line);
        input.extend_from_slice(b"\r\n");
    }
    input.extend_from_slice(b"z LOGOUT\r\n");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&input).unwrap();
    drop(stdin);
    let mut output = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();
    let mut errors = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut errors);
    let _ = child.wait();
    assert!(
        output.contains("z OK"),
        "dovecot did not finish:\n{output}\n{errors}"
    );
    output
}

/// The untagged lines of Dovecot's output that start with `prefix`.
fn lines<'a>(output: &'a str, prefix: &str) -> Vec<&'a str> {
    output.lines().filter(|l| l.starts_with(prefix)).collect()
}

fn keyword(name: &str) -> Flag {
    Flag::parse(name).unwrap()
}

#[tokio::test]
async fn dovecot_and_mailwire_share_a_maildir() {
    let Some(imap) = dovecot_binary() else {
        println!("skipped: dovecot not installed");
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().join("Maildir");

    // mailwire writes.
    let maildir = Maildir::open(root.clone()).unwrap();
    maildir.create("Work/Sub").await.unwrap();
    let messages: [(&[u8], Vec<Flag>); 3] = [
        (b"Subject: one\n\nfirst\n", vec![Flag::Seen]),
        (
            b"Subject: two\r\n\r\nsecond\r\n",
            vec![Flag::Flagged, keyword("$Work")],
        ),
        (b"Subject: three\n\nthird\n", vec![]),
    ];
    for (content, flags) in messages {
        let message = NewMessage {
            flags,
            internal_date: None,
            size: u32::try_from(content.len()).unwrap(),
        };
        maildir
            .append("INBOX", message, &mut &content[..])
            .await
            .unwrap();
    }
    let (view, snapshot) = maildir.select("INBOX", false).await.unwrap();
    view.set_flags(&[1], FlagChange::Add(vec![Flag::Answered]))
        .await
        .unwrap();
    view.expunge(&[3]).await.unwrap();
    drop(view);
    let uid_validity = snapshot.uid_validity.get();
    let sizes: Vec<u32> = snapshot.messages.iter().map(|m| m.size).collect();
    assert_eq!(sizes, [23, 24, 25]);

    // Dovecot reads it, and writes.
    let second = b"Subject: from dovecot\r\n\r\nhi\r\n";
    let append = [
        format!("APPEND INBOX (\\Draft) {{{}+}}\r\n", second.len()).into_bytes(),
        second.to_vec(),
    ]
    .concat();
    let output = run_dovecot(
        &imap,
        scratch.path(),
        &root,
        &[
            b"STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY)",
            b"LIST \"\" \"*\"",
            b"SELECT INBOX",
            b"UID FETCH 1:* (FLAGS RFC822.SIZE)",
            b"UID STORE 2 +FLAGS.SILENT (\\Seen $Dove)",
            &append,
        ],
    );
    assert_eq!(
        lines(&output, "* STATUS"),
        [format!(
            "* STATUS INBOX (MESSAGES 2 UIDNEXT 4 UIDVALIDITY {uid_validity})"
        )],
        "{output}"
    );
    let mut listed = lines(&output, "* LIST");
    listed.sort_unstable();
    assert_eq!(
        listed,
        [
            "* LIST (\\HasChildren) \".\" Work",
            "* LIST (\\HasNoChildren) \".\" Drafts",
            "* LIST (\\HasNoChildren) \".\" INBOX",
            "* LIST (\\HasNoChildren) \".\" Junk",
            "* LIST (\\HasNoChildren) \".\" Sent",
            "* LIST (\\HasNoChildren) \".\" Trash",
            "* LIST (\\HasNoChildren) \".\" Work.Sub",
        ],
        "{output}"
    );
    assert_eq!(
        lines(&output, "* 1 FETCH")
            .into_iter()
            .chain(lines(&output, "* 2 FETCH"))
            .collect::<Vec<_>>(),
        [
            "* 1 FETCH (UID 1 FLAGS (\\Answered \\Seen) RFC822.SIZE 23)",
            "* 2 FETCH (UID 2 FLAGS (\\Flagged $Work) RFC822.SIZE 24)",
        ],
        "{output}"
    );
    assert!(output.contains("[APPENDUID "), "{output}");

    // mailwire reads what Dovecot wrote.
    let (_view, snapshot) = maildir.select("INBOX", true).await.unwrap();
    let seen: Vec<_> = snapshot
        .messages
        .iter()
        .map(|m| (m.uid, m.flags.clone(), m.size))
        .collect();
    assert_eq!(
        seen,
        [
            (1, vec![Flag::Answered, Flag::Seen], 23),
            (
                2,
                vec![
                    Flag::Flagged,
                    Flag::Seen,
                    keyword("$Work"),
                    keyword("$Dove")
                ],
                24
            ),
            (4, vec![Flag::Draft], 29),
        ]
    );
    assert_eq!(snapshot.uid_validity.get(), uid_validity);
    assert_eq!(snapshot.uid_next.get(), 5);
}
