//! POP3: the server's RETR path and command parsing.
//!
//! `cargo bench --bench pop3` prints, after criterion's report, the RETR path's throughput
//! as a ratio of the memchr copy loop's on the same message, and the most bytes the
//! session held for the driver at any point of a 10 MiB RETR (the memory bound).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use mailwire::{
    core::Session as _,
    pop3::{
        Command, Decoded, UniqueId,
        server::{Config, Event, Maildrop, MessageInfo, PlaintextLogin, Session},
    },
    sasl::AuthAnswer,
};

mod support;

const SIZES: [(&str, usize); 2] = [("1MiB", 1 << 20), ("10MiB", 10 << 20)];
const CHUNK: usize = 64 * 1024;

/// A server in the TRANSACTION state with one message of `size` bytes.
fn logged_in(size: usize) -> Session {
    let mut config = Config::default();
    config.plaintext_login = PlaintextLogin::Allow;
    let mut s = Session::new(config);
    s.receive(b"USER bench\r\nPASS bench\r\n");
    while let Some(event) = s.poll_event() {
        match event {
            Event::Auth { .. } => s.answer_auth(AuthAnswer::Accept).unwrap(),
            Event::Authenticated { .. } => {}
            Event::OpenMaildrop { .. } => {
                let info = MessageInfo {
                    size: size as u64,
                    unique_id: UniqueId::new("m").unwrap(),
                };
                s.open_maildrop(Maildrop::new(vec![info])).unwrap();
            }
            other => panic!("{other:?}"),
        }
    }
    while s.transmit().is_some() {}
    s
}

/// RETR 1 through the session, the message fed in `CHUNK`-byte pieces and the output
/// drained after each, as a driver writing to a socket would. Returns the bytes written
/// and the largest single transmit.
fn retr(s: &mut Session, message: &[u8]) -> (usize, usize) {
    s.receive(b"RETR 1\r\n");
    let Some(Event::Retrieve { .. }) = s.poll_event() else {
        panic!("no RETR event")
    };
    let (mut total, mut peak) = (0, 0);
    for chunk in message.chunks(CHUNK) {
        s.send_body(chunk).unwrap();
        while let Some(b) = s.transmit() {
            total += b.len();
            peak = peak.max(b.len());
            black_box(&b);
        }
    }
    s.end_body().unwrap();
    while let Some(b) = s.transmit() {
        total += b.len();
        peak = peak.max(b.len());
    }
    (total, peak)
}

/// A pipelined batch of typical TRANSACTION commands, repeated to about `size` bytes.
fn commands(size: usize) -> Vec<u8> {
    let batch: &[u8] = b"STAT\r\nLIST\r\nUIDL\r\nLIST 17\r\nRETR 17\r\nTOP 4211 10\r\nDELE 17\r\n\
UIDL 4211\r\nNOOP\r\nUSER someone@example.org\r\nPASS correct horse battery staple\r\n\
APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nAUTH PLAIN AHRpbQB0YW5zdGFhZg==\r\nRSET\r\n";
    batch
        .iter()
        .copied()
        .cycle()
        .take(size / batch.len() * batch.len())
        .collect()
}

fn parse_all(mut input: &[u8]) -> usize {
    let mut n = 0;
    while let Decoded::Complete { value, consumed } = Command::decode(input) {
        black_box(value);
        input = &input[consumed..];
        n += 1;
    }
    n
}

fn bench(c: &mut Criterion) {
    for (name, size) in SIZES {
        let content = support::message_body(size);
        let mut out = Vec::with_capacity(content.len() + content.len() / 20);
        let mut server = logged_in(content.len());

        let mut group = c.benchmark_group("pop3-retr");
        group.throughput(Throughput::Bytes(content.len() as u64));
        group.bench_function(BenchmarkId::new("memchr-copy", name), |b| {
            b.iter(|| {
                out.clear();
                support::memchr_copy_lines(black_box(&content), &mut out);
            });
        });
        group.bench_function(BenchmarkId::new("server-session", name), |b| {
            b.iter(|| retr(&mut server, black_box(&content)));
        });
        group.finish();
    }

    let input = commands(1 << 20);
    let count = parse_all(&input);
    assert_eq!(count, input.len() / 220 * 14);
    let mut group = c.benchmark_group("pop3-command");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("decode", |b| b.iter(|| parse_all(black_box(&input))));
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    let sizes: Vec<&str> = SIZES.iter().map(|(name, _)| *name).collect();
    support::print_ratios("pop3-retr", "memchr-copy", &["server-session"], &sizes);

    let content = support::message_body(10 << 20);
    let (total, peak) = retr(&mut logged_in(content.len()), &content);
    #[allow(clippy::print_stdout, reason = "the report is the point of a bench")]
    {
        println!(
            "pop3-retr 10MiB: {total} bytes written in {CHUNK}-byte chunks, at most {peak} bytes held per transmit"
        );
    }
}
