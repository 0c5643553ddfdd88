//! Shared pieces of the benchmarks: realistic message bodies and ratio reports.

#![allow(dead_code, reason = "each bench uses the part it needs")]

use std::path::PathBuf;

pub(crate) mod contest;

/// A message body of about `size` bytes shaped like real mail: a text part with wrapped
/// prose, quoted lines, a few lines starting with `.`, and a base64 attachment.
pub(crate) fn message_body(size: usize) -> Vec<u8> {
    let prose = b"The quick brown fox jumps over the lazy dog, and then it reads its mail again.";
    let base64 = b"TWFpbHdpcmUgYmVuY2htYXJrIGF0dGFjaG1lbnQgZGF0YSwgYmFzZTY0IGxpbmUgb2YgNzYgY2hh";
    let mut body = Vec::with_capacity(size + 100);
    let mut n = 0usize;
    while body.len() < size {
        let line: &[u8] = match n % 40 {
            0..=9 => prose,
            10 => b"> quoted reply line from an earlier message in the thread",
            11 => b".a line that starts with a dot and must be stuffed",
            12 => b"",
            _ => base64,
        };
        body.extend_from_slice(line);
        body.extend_from_slice(b"\r\n");
        n += 1;
    }
    body
}

/// The speed ceiling for anything that walks a message line by line: find each LF with
/// memchr and copy the bytes up to and including it to the output, and nothing else.
pub(crate) fn memchr_copy_lines(input: &[u8], out: &mut Vec<u8>) {
    let mut start = 0;
    for lf in memchr::memchr_iter(b'\n', input) {
        out.extend_from_slice(&input[start..=lf]);
        start = lf + 1;
    }
    out.extend_from_slice(&input[start..]);
}

/// About `size` bytes of CRLF text shaped like the body of a plain-text mail: lines of
/// words, 20 to 78 octets long, an empty line now and then, and one line in 20 starting
/// with `.` (ellipses, `.signature`-like lines, dotted lists), so that one line in 20
/// needs stuffing.
pub(crate) fn dotted_text(size: usize) -> Vec<u8> {
    const WORDS: [&str; 24] = [
        "the", "report", "for", "May", "shows", "that", "shipping", "times", "went", "down",
        "again,", "while", "returns", "rose", "by", "two", "percent;", "see", "attached", "table",
        "and", "let", "me", "know.",
    ];
    const DOTTED: [&[u8]; 4] = [
        b"...and that is where the figures stop making sense",
        b".signature files were a thing",
        b". item one of the list",
        b".",
    ];
    // A fixed linear congruential sequence: the same text on every run.
    let mut seed = 0x2545_f491_u32;
    let mut next = move |n: u32| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (seed >> 16) % n
    };
    let mut text = Vec::with_capacity(size + 100);
    let mut line_no = 0usize;
    while text.len() < size {
        line_no += 1;
        if line_no.is_multiple_of(20) {
            text.extend_from_slice(DOTTED[(line_no / 20) % DOTTED.len()]);
        } else if next(12) != 0 {
            let want = 20 + next(59) as usize;
            let start = text.len();
            while text.len() - start < want {
                if text.len() > start {
                    text.push(b' ');
                }
                text.extend_from_slice(WORDS[next(24) as usize].as_bytes());
            }
        }
        text.extend_from_slice(b"\r\n");
    }
    text
}

/// The baseline for stuffing: find each `\n.` with `memchr::memmem` and copy the runs
/// between into `out`, adding the one dot; then the terminating line. It does only the work
/// that cannot be avoided, on input it assumes has no bare CR or LF.
pub(crate) fn memmem_stuff(content: &[u8], out: &mut Vec<u8>) {
    if content.first() == Some(&b'.') {
        out.push(b'.');
    }
    let mut run = 0;
    for lf in memchr::memmem::find_iter(content, b"\n.") {
        out.extend_from_slice(&content[run..=lf]);
        out.push(b'.');
        run = lf + 1;
    }
    out.extend_from_slice(&content[run..]);
    if !content.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
}

/// The baseline for unstuffing: find each `\n.` with `memchr::memmem` and copy the runs
/// between into `out`, dropping the one dot, until the `.` CRLF line; returns the bytes
/// consumed up to and including it.
pub(crate) fn memmem_unstuff(wire: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    let mut run = 0;
    if wire.first() == Some(&b'.') {
        if wire[1..].starts_with(b"\r\n") {
            return Some(3);
        }
        run = 1;
    }
    for lf in memchr::memmem::find_iter(wire, b"\n.") {
        out.extend_from_slice(&wire[run..=lf]);
        if wire[lf + 2..].starts_with(b"\r\n") {
            return Some(lf + 4);
        }
        run = lf + 2;
    }
    out.extend_from_slice(&wire[run..]);
    None
}

/// The client side of one submission as a real client sends it: EHLO, MAIL with SIZE and
/// BODY, 100 RCPT of addresses of every length (some with DSN parameters), DATA.
pub(crate) fn submission_commands() -> Vec<u8> {
    const LOCAL: [&str; 10] = [
        "ann",
        "bob.stone",
        "c.martinez-lopez",
        "dev-team",
        "eva.k",
        "frank_o_connor",
        "gina",
        "harald.schmidt.sales",
        "ines+lists",
        "jo",
    ];
    const DOMAIN: [&str; 7] = [
        "example.com",
        "mail.example.org",
        "x.io",
        "engineering.example-corp.co.uk",
        "example.net",
        "students.cs.university.example.edu",
        "example.de",
    ];
    let mut wire = b"EHLO laptop-7.office.example.org\r\n\
MAIL FROM:<reports+bounces@mailer.example.com> SIZE=48213 BODY=8BITMIME\r\n"
        .to_vec();
    for n in 0..100 {
        let local = LOCAL[n % LOCAL.len()];
        let domain = DOMAIN[(n / 3 + n) % DOMAIN.len()];
        let line = match n % 10 {
            4 => format!("RCPT TO:<{local}@{domain}> NOTIFY=SUCCESS,FAILURE\r\n"),
            9 => format!(
                "RCPT TO:<{local}@{domain}> NOTIFY=FAILURE,DELAY ORCPT=rfc822;{local}@{domain}\r\n"
            ),
            _ => format!("RCPT TO:<{local}@{domain}>\r\n"),
        };
        wire.extend_from_slice(line.as_bytes());
    }
    wire.extend_from_slice(b"DATA\r\n");
    wire
}

/// Mean time of one benchmark as criterion recorded it in this run, in nanoseconds.
fn mean_ns(group: &str, function: &str, parameter: &str) -> Option<f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = dir
        .join("criterion")
        .join(group)
        .join(function)
        .join(parameter)
        .join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

/// Prints each function's throughput as a ratio of the baseline's, for every parameter.
///
/// A ratio above 1 means faster than the baseline. Prints nothing for benchmarks that did
/// not run (for example under `--test`, or when filtered out).
pub(crate) fn print_ratios(group: &str, baseline: &str, functions: &[&str], parameters: &[&str]) {
    for parameter in parameters {
        let Some(base) = mean_ns(group, baseline, parameter) else {
            continue;
        };
        for function in functions {
            if let Some(ns) = mean_ns(group, function, parameter) {
                #[allow(clippy::print_stdout, reason = "the report is the point of a bench")]
                {
                    println!(
                        "ratio {group}/{function}/{parameter}: {:.2}x {baseline}",
                        base / ns
                    );
                }
            }
        }
    }
}

/// Message `n` of the FETCH corpus: three shapes in turn — plain text; multipart/mixed
/// holding a multipart/alternative and a base64 PDF attachment; a forwarded
/// message/rfc822 — each with the header fields an ENVELOPE reads.
pub(crate) fn fetch_message(n: u32) -> Vec<u8> {
    let head = format!(
        "Date: Wed, 1 May 2024 09:{:02}:00 +0200\r\nFrom: Sender {n} <s{n}@x.test>\r\n\
To: ann@y.test, Bob <bob@z.test>\r\nSubject: report number {n}\r\n\
Message-ID: <{n}@x.test>\r\nMIME-Version: 1.0\r\n",
        n % 60
    );
    let body = match n % 3 {
        0 => "Content-Type: text/plain; charset=utf-8\r\n\r\nThe figures are in.\r\nRegards.\r\n"
            .to_owned(),
        1 => "Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n\
Content-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n--b2\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n<p>html</p>\r\n--b2--\r\n--b1\r\n\
Content-Type: application/pdf; name=r.pdf\r\nContent-Disposition: attachment; filename=r.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjc=\r\n--b1--\r\n"
            .to_owned(),
        _ => {
            "Content-Type: message/rfc822\r\n\r\nSubject: earlier\r\nFrom: c@w.test\r\n\r\nold\r\n"
                .to_owned()
        }
    };
    (head + &body).into_bytes()
}

/// Every message of the Dovecot differential corpus
/// (`crates/mailwire-imap/tests/dovecot/corpus/*/*.eml`), as stored, sorted by path; empty
/// where the corpus is not (it is not packaged).
pub(crate) fn dovecot_corpus() -> Vec<Vec<u8>> {
    let root =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/mailwire-imap/tests/dovecot/corpus");
    let mut files = Vec::new();
    for source in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(source.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "eml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).expect("corpus file"))
        .collect()
}
