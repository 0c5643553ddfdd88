//! Differential test against Dovecot: for every message of `tests/dovecot/corpus/`, the
//! `ENVELOPE`, `BODYSTRUCTURE`, `BODY[1.MIME]` and `RFC822.SIZE` that mailwire computes must
//! be byte-identical to what Dovecot's own `imap` binary answers for the same bytes, unless
//! the pair (message, item) is listed in `tests/dovecot/allowlist.txt` with the RFC section
//! that justifies it.
//!
//! How Dovecot is run (Debian's dovecot-imapd 2.3): the `imap` binary itself, over a pipe, in
//! PREAUTH mode, on a scratch Maildir; no server, no network, no login. It reads its settings
//! from a two-line config file plus `-o` overrides. Dovecot refuses mail access as root
//! ("Mail access not allowed for root"), so when the test runs as root (CI) the scratch
//! Maildir is given to `nobody:nogroup` and Dovecot is told `mail_uid=nobody
//! mail_gid=nogroup` (with `first_valid_uid=1`), dropping to that user itself. The UIDs are
//! fixed by a `dovecot-uidlist` written beside the messages, so message N is corpus file N
//! in sorted order. `DOVECOT_IMAP` names another binary; without one the test prints
//! `skipped: dovecot not installed` and passes.
//!
//! Messages are stored with CRLF line ends (bare LF turned into CRLF), as an IMAP server
//! serves them, and mailwire parses the same bytes.
//!
//! `DOVECOT_DIFF_DUMP=path` writes every difference found, one per line, in the allowlist's
//! format with the class `unclassified`, followed by Dovecot's and mailwire's values (CR and
//! LF escaped), for seeding or updating the allowlist (`tests/dovecot/seed_allowlist.py`).

#![allow(
    clippy::print_stdout,
    reason = "the differences and the summary are the test's report"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mailwire_imap::codec::encode_response;
use mailwire_imap::message::ParsedMessage;
use mailwire_imap::types::{
    Data, FetchAttribute, MessageDataItem, NonEmpty, Response, Section, SectionText,
};

/// The items compared, as Dovecot names them in its answer.
const ITEMS: [&str; 4] = ["ENVELOPE", "BODYSTRUCTURE", "BODY[1.MIME]", "RFC822.SIZE"];

fn dovecot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dovecot")
}

/// Corpus files as `source/name.eml`, sorted.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let root = dovecot_dir().join("corpus");
    let mut out = Vec::new();
    for source in std::fs::read_dir(&root).expect("corpus folder") {
        let source = source.unwrap().path();
        if !source.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&source).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "eml") {
                let name = format!(
                    "{}/{}",
                    source.file_name().unwrap().to_string_lossy(),
                    file.file_name().unwrap().to_string_lossy()
                );
                out.push((name, crlf(&std::fs::read(&file).unwrap())));
            }
        }
    }
    out.sort();
    out
}

/// Bare LF becomes CRLF; CRLF stays.
fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn dovecot_binary() -> Option<PathBuf> {
    let path = std::env::var_os("DOVECOT_IMAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/dovecot/imap"));
    path.is_file().then_some(path)
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Runs Dovecot's `imap` over `messages` and returns its raw output.
fn run_dovecot(imap: &Path, messages: &[(String, Vec<u8>)]) -> Vec<u8> {
    let scratch = std::env::temp_dir().join(format!("mailwire-dovecot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let maildir = scratch.join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let mut uidlist = format!("3 V1 N{}\n", messages.len() + 1);
    for (i, (_, raw)) in messages.iter().enumerate() {
        let base = format!("{}.corpus", i + 1);
        std::fs::write(maildir.join("cur").join(format!("{base}:2,")), raw).unwrap();
        writeln!(uidlist, "{} :{base}", i + 1).unwrap();
    }
    std::fs::write(maildir.join("dovecot-uidlist"), uidlist).unwrap();
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
        .env("HOME", &maildir)
        .arg("-c")
        .arg(&config)
        .args(["-o", "first_valid_uid=1", "-o", "first_valid_gid=1"]);
    if running_as_root() {
        let status = Command::new("chown")
            .args(["-R", "nobody:nogroup"])
            .arg(&scratch)
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
    let mut stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(
            b"a SELECT INBOX\r\n\
b FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY.PEEK[1.MIME] RFC822.SIZE)\r\n",
        )
        .unwrap();
    // Dovecot ends the session when its input ends, even with FETCH output still queued,
    // so LOGOUT and the end of input wait for the FETCH's tagged answer.
    let mut stdout = child.stdout.take().unwrap();
    let mut output = Vec::new();
    let mut chunk = [0; 65536];
    let completed = loop {
        let n = stdout.read(&mut chunk).unwrap();
        if n == 0 {
            break false;
        }
        output.extend_from_slice(&chunk[..n]);
        // The tagged answer is the last line of what has arrived.
        if let Some(body) = output.strip_suffix(b"\r\n") {
            let last = body
                .windows(2)
                .rposition(|w| w == b"\r\n")
                .map_or(body, |at| &body[at + 2..]);
            if last.starts_with(b"b ") {
                break last.starts_with(b"b OK ");
            }
        }
    };
    let _ = stdin.write_all(b"c LOGOUT\r\n");
    drop(stdin);
    let _ = stdout.read_to_end(&mut output);
    let _ = child.wait();
    let errors = errors.join().unwrap_or_default();
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        completed,
        "dovecot did not complete the FETCH:\n{}\n{errors}",
        String::from_utf8_lossy(&output),
    );
    output
}

/// The end of the IMAP value starting at `at`: an atom or number, a quoted string, a
/// literal, or a parenthesised list of these.
fn value_end(buf: &[u8], mut at: usize) -> usize {
    match buf[at] {
        b'(' => {
            at += 1;
            loop {
                match buf[at] {
                    b')' => return at + 1,
                    b' ' => at += 1,
                    _ => at = value_end(buf, at),
                }
            }
        }
        b'"' => {
            at += 1;
            loop {
                match buf[at] {
                    b'\\' => at += 2,
                    b'"' => return at + 1,
                    _ => at += 1,
                }
            }
        }
        b'{' => {
            let close = at + buf[at..].iter().position(|&b| b == b'}').unwrap();
            let len: usize = std::str::from_utf8(&buf[at + 1..close])
                .unwrap()
                .parse()
                .unwrap();
            close + 3 + len
        }
        _ => {
            while !matches!(buf[at], b' ' | b')' | b'\r') {
                at += 1;
            }
            at
        }
    }
}

/// The `* N FETCH (…)` responses in `buf`: by sequence number, item name to raw value.
fn fetch_responses(buf: &[u8]) -> BTreeMap<u32, BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut at = 0;
    while at < buf.len() {
        let line = &buf[at..];
        if let Some(rest) = line.strip_prefix(b"* ") {
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 0 && rest[digits..].starts_with(b" FETCH (") {
                let seq: u32 = std::str::from_utf8(&rest[..digits])
                    .unwrap()
                    .parse()
                    .unwrap();
                let mut items = BTreeMap::new();
                let mut p = at + 2 + digits + 8;
                while buf[p] != b')' {
                    let name_end = p + buf[p..].iter().position(|&b| b == b' ').unwrap();
                    let name = String::from_utf8_lossy(&buf[p..name_end]).into_owned();
                    let end = value_end(buf, name_end + 1);
                    items.insert(name, buf[name_end + 1..end].to_vec());
                    p = end;
                    if buf[p] == b' ' {
                        p += 1;
                    }
                }
                out.insert(seq, items);
                at = p + 1;
            }
        }
        match buf[at..].windows(2).position(|w| w == b"\r\n") {
            Some(i) => at += i + 2,
            None => break,
        }
    }
    out
}

/// mailwire's answer to the same FETCH, encoded by the codec and split the same way.
fn mailwire_items(raw: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let msg = ParsedMessage::parse(raw);
    // ENVELOPE and BODYSTRUCTURE as the server session writes them, straight from the parse.
    let mut out = b"* 1 FETCH (ENVELOPE ".to_vec();
    msg.write_envelope(&mut out);
    out.extend_from_slice(b" BODYSTRUCTURE ");
    msg.write_body_structure(true, &mut out);
    let attributes = [
        FetchAttribute::BodySection {
            peek: true,
            section: Section::new(vec![1], Some(SectionText::Mime)).unwrap(),
            partial: None,
        },
        FetchAttribute::Rfc822Size,
    ];
    let items: Vec<MessageDataItem> = attributes.iter().filter_map(|a| msg.fetch(a)).collect();
    let mut rest = Vec::new();
    encode_response(
        &Response::Data(Data::Fetch {
            seq: NonZeroU32::new(1).unwrap(),
            items: NonEmpty::try_from(items).unwrap(),
        }),
        &mut rest,
    );
    let prefix = b"* 1 FETCH (".len();
    out.push(b' ');
    out.extend_from_slice(&rest[prefix..]);
    fetch_responses(&out)
        .remove(&1)
        .expect("mailwire FETCH line")
}

/// `(message, item)` pairs of the allowlist.
fn allowlist() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(dovecot_dir().join("allowlist.txt")).unwrap();
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        assert!(
            fields.len() == 4 && !fields[3].trim().is_empty(),
            "allowlist line needs message, item, class and an RFC reason: {line}"
        );
        assert!(ITEMS.contains(&fields[1]), "unknown item in: {line}");
        out.insert((fields[0].to_owned(), fields[1].to_owned()));
    }
    out
}

fn escape(value: Option<&Vec<u8>>) -> String {
    value.map_or_else(
        || "(absent)".to_owned(),
        |v| {
            String::from_utf8_lossy(v)
                .replace('\r', "\\r")
                .replace('\n', "\\n")
                .replace('\t', "\\t")
        },
    )
}

fn shorten(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value).replace("\r\n", "\\r\\n");
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text
    }
}

#[test]
fn fetch_structure_items_match_dovecot() {
    let Some(imap) = dovecot_binary() else {
        println!(
            "skipped: dovecot not installed (/usr/lib/dovecot/imap; apt-get install dovecot-imapd)"
        );
        return;
    };
    if !dovecot_dir().join("corpus").is_dir() {
        println!("skipped: the corpus is not here (it is not packaged with the crate)");
        return;
    }
    let messages = corpus();
    assert!(
        messages.len() >= 150,
        "corpus has {} messages",
        messages.len()
    );
    let dovecot = fetch_responses(&run_dovecot(&imap, &messages));
    assert_eq!(
        dovecot.len(),
        messages.len(),
        "one FETCH response per message"
    );
    let allowed = allowlist();

    let mut identical = 0;
    let mut per_item: BTreeMap<&str, usize> = BTreeMap::new();
    let mut found = BTreeSet::new();
    let mut unexpected = Vec::new();
    let mut dump = String::new();
    for (i, (name, raw)) in messages.iter().enumerate() {
        let seq = u32::try_from(i + 1).unwrap();
        let theirs = &dovecot[&seq];
        let ours = mailwire_items(raw);
        let mut same = true;
        for item in ITEMS {
            let (a, b) = (theirs.get(item), ours.get(item));
            if a == b {
                continue;
            }
            same = false;
            *per_item.entry(item).or_default() += 1;
            let key = (name.clone(), item.to_owned());
            let report = format!(
                "{name} {item}\n  dovecot:  {}\n  mailwire: {}",
                shorten(a.map_or(&b"(absent)"[..], |v| v)),
                shorten(b.map_or(&b"(absent)"[..], |v| v)),
            );
            if allowed.contains(&key) {
                println!("allowed: {report}");
            } else {
                println!("DIFFERENT: {report}");
                unexpected.push(report);
            }
            writeln!(
                dump,
                "{name}\t{item}\tunclassified\tTODO\t{}\t{}",
                escape(a),
                escape(b)
            )
            .unwrap();
            found.insert(key);
        }
        identical += usize::from(same);
    }
    if let Some(path) = std::env::var_os("DOVECOT_DIFF_DUMP") {
        std::fs::write(path, dump).unwrap();
    }
    let stale: Vec<String> = allowed
        .difference(&found)
        .map(|(name, item)| format!("{name}\t{item}"))
        .collect();
    println!(
        "dovecot differential: {identical} of {} messages identical ({:.1}%); differing items: {per_item:?}; {} allowlisted, {} not",
        messages.len(),
        100.0 * identical as f64 / messages.len() as f64,
        found.len() - unexpected.len(),
        unexpected.len()
    );
    assert!(
        unexpected.is_empty(),
        "{} differences from Dovecot are not in tests/dovecot/allowlist.txt:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    // The allowlist says exactly where mailwire differs: a fix removes its lines.
    assert!(
        stale.is_empty(),
        "{} allowlist lines match Dovecot now; remove them from tests/dovecot/allowlist.txt:\n{}",
        stale.len(),
        stale.join("\n")
    );
}
