//! SMTP codec and server session throughput, beside smtp-proto on the same inputs.
//!
//! `cargo bench --bench smtp` prints the memory a 100 MiB DATA body needs on its way
//! through the server session, criterion's report, then for each set the median of
//! interleaved rounds of every contender as a ratio of the fastest peer or baseline
//! (`benches/support/contest.rs`). The sets: a submission as clients send it (EHLO, MAIL,
//! 100 RCPT, DATA), a mix of every other command, the server's replies, and a 1 MiB DATA
//! body (against the memmem loop, [`support::memmem_unstuff`], and smtp-proto).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use mailwire::core::Session as _;
use mailwire::core::dot::{DotStuffer, DotUnstuffer, Unstuffed};
use mailwire::smtp::server::{Config, Event, Session};
use mailwire::smtp::{Command, CommandRef, Decoded, Domain, Reply};
use support::contest::{self, ours, reference};

mod support;

/// The client side of a submission: every line a client sends for one message, and a few
/// more.
const COMMANDS: &[u8] = b"EHLO client.example.org\r\n\
MAIL FROM:<sender.name@example.org> SIZE=123456 BODY=8BITMIME\r\n\
RCPT TO:<first.recipient@example.com>\r\n\
RCPT TO:<second@example.net> NOTIFY=SUCCESS,FAILURE\r\n\
RCPT TO:<Postmaster>\r\n\
DATA\r\n\
RSET\r\n\
MAIL FROM:<>\r\n\
RCPT TO:<list-owner+bounces@lists.example.com>\r\n\
NOOP\r\n\
BDAT 65536 LAST\r\n\
AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n\
QUIT\r\n";

/// The server side of the same conversation.
const REPLIES: &[u8] = b"220 mx.example.org ESMTP ready\r\n\
250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n\
250-CHUNKING\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH PLAIN LOGIN\r\n250 HELP\r\n\
250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n\
550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown\r\n\
354 End data with <CR><LF>.<CR><LF>\r\n\
250 2.0.0 Ok: queued as 4Zb1Kx0Yz3\r\n\
221 2.0.0 Bye\r\n";

const READ_SIZE: usize = 64 * 1024;

fn mailwire_commands(mut input: &[u8]) -> usize {
    let mut n = 0;
    // Both sides show `black_box` a reference to the result where the parser left it:
    // moving the value out of it first would time a copy the other side is not asked for.
    loop {
        let decoded = Command::decode(input);
        black_box(&decoded);
        let Decoded::Complete { consumed, .. } = decoded else {
            return n;
        };
        input = &input[consumed..];
        n += 1;
    }
}

/// The same loop over the borrowing parse, which copies nothing out of the input, as
/// smtp-proto's `Request<Cow<str>>` does not.
fn mailwire_command_refs(mut input: &[u8]) -> usize {
    let mut n = 0;
    loop {
        let decoded = CommandRef::decode(input);
        black_box(&decoded);
        let Decoded::Complete { consumed, .. } = decoded else {
            return n;
        };
        input = &input[consumed..];
        n += 1;
    }
}

fn smtp_proto_commands(input: &[u8]) -> usize {
    let mut iter = input.iter();
    let mut n = 0;
    while !iter.as_slice().is_empty() {
        let parsed = smtp_proto::Request::parse(&mut iter);
        black_box(&parsed);
        if parsed.is_ok() {
            n += 1;
        }
    }
    n
}

fn mailwire_replies(mut input: &[u8]) -> usize {
    let mut n = 0;
    loop {
        let decoded = Reply::decode(input);
        black_box(&decoded);
        let Decoded::Complete { consumed, .. } = decoded else {
            return n;
        };
        input = &input[consumed..];
        n += 1;
    }
}

fn smtp_proto_replies(input: &[u8]) -> usize {
    let mut iter = input.iter();
    let mut n = 0;
    while !iter.as_slice().is_empty() {
        let mut receiver = smtp_proto::response::parser::ResponseReceiver::default();
        let parsed = receiver.parse(&mut iter);
        black_box(&parsed);
        if parsed.is_ok() {
            n += 1;
        }
    }
    n
}

/// A server session with a transaction open and DATA accepted.
fn session_in_data() -> Session {
    let mut config = Config::new(Domain::new("mx.example.org").unwrap());
    config.max_message_size = None;
    let mut server = Session::new(config);
    server.receive(
        b"EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@mx.example.org>\r\nDATA\r\n",
    );
    while let Some(event) = server.poll_event() {
        if matches!(event, Event::Mail { .. } | Event::Rcpt { .. }) {
            server.accept().unwrap();
        }
    }
    while server.transmit().is_some() {}
    server
}

/// Feeds `wire` (a body and its terminator) in reads of `READ_SIZE`; returns the body
/// length and the most body bytes the application had to take at once.
fn mailwire_session_data(wire: &[u8]) -> (usize, usize) {
    let mut server = session_in_data();
    let (mut total, mut most) = (0, 0);
    for read in wire.chunks(READ_SIZE) {
        server.receive(read);
        let mut held = 0;
        while let Some(event) = server.poll_event() {
            match event {
                Event::MessageData { chunk } => held += black_box(chunk).len(),
                Event::Message { .. } => server.accept().unwrap(),
                _ => {}
            }
        }
        total += held;
        most = most.max(held);
    }
    (total, most)
}

fn mailwire_unstuffer(wire: &[u8], out: &mut Vec<u8>) {
    let mut unstuffer = DotUnstuffer::new();
    for read in wire.chunks(READ_SIZE) {
        if let Unstuffed::Done { .. } = unstuffer.decode(read, out) {
            return;
        }
    }
}

fn smtp_proto_data(wire: &[u8], out: &mut Vec<u8>) {
    let mut receiver = smtp_proto::request::receiver::DataReceiver::new();
    for read in wire.chunks(READ_SIZE) {
        if receiver.ingest(&mut read.iter(), out) {
            return;
        }
    }
}

fn stuffed(content: &[u8], terminate: bool) -> Vec<u8> {
    let mut stuffer = DotStuffer::new();
    let mut wire = Vec::with_capacity(content.len() + content.len() / 20);
    stuffer.encode(content, &mut wire);
    if terminate {
        stuffer.finish(&mut wire);
    }
    wire
}

fn memmem_data(wire: &[u8], out: &mut Vec<u8>) {
    for read in wire.chunks(READ_SIZE) {
        // The baseline cannot carry a line start across reads; 1 MiB of `dotted_text` puts
        // no `\n.` across a 64 KiB boundary, which `check_data` confirms.
        if support::memmem_unstuff(read, out).is_some() {
            return;
        }
    }
}

/// Every contender parses the same number of commands and replies.
fn check_commands(submission: &[u8]) {
    assert_eq!(mailwire_commands(COMMANDS), 13);
    assert_eq!(mailwire_command_refs(COMMANDS), 13);
    assert_eq!(smtp_proto_commands(COMMANDS), 13);
    assert_eq!(mailwire_commands(submission), 103);
    assert_eq!(mailwire_command_refs(submission), 103);
    assert_eq!(smtp_proto_commands(submission), 103);
    assert_eq!(mailwire_replies(REPLIES), 8);
    assert_eq!(smtp_proto_replies(REPLIES), 8);
}

/// Every contender gives the same body.
fn check_data(content: &[u8], wire: &[u8]) {
    for run in [memmem_data, smtp_proto_data, mailwire_unstuffer] {
        let mut out = Vec::new();
        run(wire, &mut out);
        assert_eq!(out, content);
    }
    assert_eq!(mailwire_session_data(wire).0, content.len());
}

fn bench(c: &mut Criterion) {
    let submission = support::submission_commands();
    check_commands(&submission);

    let mut group = c.benchmark_group("smtp-submission");
    group.throughput(Throughput::Bytes(submission.len() as u64));
    group.bench_function(BenchmarkId::new("smtp-proto", "103"), |b| {
        b.iter(|| smtp_proto_commands(black_box(&submission)));
    });
    group.bench_function(BenchmarkId::new("mailwire", "103"), |b| {
        b.iter(|| mailwire_commands(black_box(&submission)));
    });
    group.bench_function(BenchmarkId::new("mailwire-ref", "103"), |b| {
        b.iter(|| mailwire_command_refs(black_box(&submission)));
    });
    group.finish();

    let mut group = c.benchmark_group("smtp-command");
    group.throughput(Throughput::Bytes(COMMANDS.len() as u64));
    group.bench_function(BenchmarkId::new("smtp-proto", "session"), |b| {
        b.iter(|| smtp_proto_commands(black_box(COMMANDS)));
    });
    group.bench_function(BenchmarkId::new("mailwire", "session"), |b| {
        b.iter(|| mailwire_commands(black_box(COMMANDS)));
    });
    group.bench_function(BenchmarkId::new("mailwire-ref", "session"), |b| {
        b.iter(|| mailwire_command_refs(black_box(COMMANDS)));
    });
    group.finish();

    let mut group = c.benchmark_group("smtp-reply");
    group.throughput(Throughput::Bytes(REPLIES.len() as u64));
    group.bench_function(BenchmarkId::new("smtp-proto", "session"), |b| {
        b.iter(|| smtp_proto_replies(black_box(REPLIES)));
    });
    group.bench_function(BenchmarkId::new("mailwire", "session"), |b| {
        b.iter(|| mailwire_replies(black_box(REPLIES)));
    });
    group.finish();

    let content = support::dotted_text(1 << 20);
    let wire = stuffed(&content, true);
    check_data(&content, &wire);
    let mut out = Vec::with_capacity(wire.len());
    let mut group = c.benchmark_group("smtp-data");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function(BenchmarkId::new("memmem-loop", "1MiB"), |b| {
        b.iter(|| {
            out.clear();
            memmem_data(black_box(&wire), &mut out);
        });
    });
    group.bench_function(BenchmarkId::new("smtp-proto", "1MiB"), |b| {
        b.iter(|| {
            out.clear();
            smtp_proto_data(black_box(&wire), &mut out);
        });
    });
    group.bench_function(BenchmarkId::new("mailwire-unstuffer", "1MiB"), |b| {
        b.iter(|| {
            out.clear();
            mailwire_unstuffer(black_box(&wire), &mut out);
        });
    });
    group.bench_function(BenchmarkId::new("mailwire-session", "1MiB"), |b| {
        b.iter(|| mailwire_session_data(black_box(&wire)));
    });
    group.finish();
}

/// The process's peak resident set, in KiB (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Streams a 100 MiB body through the server session in 64 KiB reads, and reports how
/// much memory that took.
#[allow(clippy::print_stdout, reason = "the report is the point of a bench")]
fn stream_100_mib() {
    let block = stuffed(&support::message_body(READ_SIZE), false);
    let before = peak_rss_kib();
    let mut server = session_in_data();
    let (mut total, mut most) = (0u64, 0usize);
    let mut fed = 0usize;
    let mut finish = |server: &mut Session, bytes: &[u8]| {
        server.receive(bytes);
        let mut held = 0;
        while let Some(event) = server.poll_event() {
            match event {
                Event::MessageData { chunk } => held += chunk.len(),
                Event::Message { .. } => server.accept().unwrap(),
                _ => {}
            }
        }
        total += held as u64;
        most = most.max(held);
    };
    while fed < 100 << 20 {
        finish(&mut server, &block);
        fed += block.len();
    }
    finish(&mut server, b".\r\n");
    let reply = server
        .transmit()
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let after = peak_rss_kib();
    println!(
        "stream 100MiB: {fed} wire bytes, {total} body bytes delivered, at most {most} bytes per read \
         held in events; peak RSS {} KiB -> {} KiB; reply {:?}",
        before.unwrap_or(0),
        after.unwrap_or(0),
        reply.unwrap_or_default().trim_end()
    );
}

/// The interleaved comparisons of every set.
fn contests() {
    let submission = support::submission_commands();
    check_commands(&submission);
    for (set, input) in [
        ("smtp-command/submission", &submission[..]),
        ("smtp-command/mixed", COMMANDS),
    ] {
        contest::compare(
            set,
            vec![
                reference("smtp-proto", || {
                    smtp_proto_commands(black_box(input));
                }),
                ours("mailwire", || {
                    mailwire_commands(black_box(input));
                }),
                ours("mailwire-ref", || {
                    mailwire_command_refs(black_box(input));
                }),
            ],
        );
    }
    contest::compare(
        "smtp-reply/session",
        vec![
            reference("smtp-proto", || {
                smtp_proto_replies(black_box(REPLIES));
            }),
            ours("mailwire", || {
                mailwire_replies(black_box(REPLIES));
            }),
        ],
    );

    let content = support::dotted_text(1 << 20);
    let wire = stuffed(&content, true);
    check_data(&content, &wire);
    let out = std::cell::RefCell::new(Vec::with_capacity(wire.len()));
    let run = |f: fn(&[u8], &mut Vec<u8>)| {
        let mut out = out.borrow_mut();
        out.clear();
        f(black_box(&wire), &mut out);
    };
    contest::compare(
        "smtp-data/1MiB",
        vec![
            reference("memmem-loop", || run(memmem_data)),
            reference("smtp-proto", || run(smtp_proto_data)),
            ours("mailwire-unstuffer", || run(mailwire_unstuffer)),
            ours("mailwire-session", || {
                mailwire_session_data(black_box(&wire));
            }),
        ],
    );
}

fn main() {
    if !contest::profiling() {
        stream_100_mib();
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c);
        c.final_summary();
    }
    contests();
}
