//! IMAP decoding side by side with imap-proto and imap-codec, on the same inputs:
//! a large FETCH response stream with ENVELOPE and BODYSTRUCTURE, a SEARCH result of
//! 100,000 UIDs, a command carrying a 1 MiB literal, and a mix of everyday commands.
//! The `imap_list_match` groups time LIST pattern matching, whose cost must grow with
//! the name times the pattern at worst, whatever wildcards a client sends.
//!
//! After the criterion groups, a short timing of each pair prints the speed ratios.
#![allow(clippy::print_stdout, reason = "a benchmark reports its ratios")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use imap_codec::decode::Decoder;
use imap_codec::{CommandCodec, ResponseCodec};
use mailwire::imap::codec::{Decoded, Limits, decode_command, decode_response};
use mailwire::imap::types::{Delimiter, ListMailbox, Mailbox};

fn fetch_stream(messages: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 1..=messages {
        out.extend_from_slice(
            format!(
                "* {i} FETCH (UID {uid} FLAGS (\\Seen $Forwarded) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
\"<B27397-0100000@cac.washington.edu>\") BODYSTRUCTURE (((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \
\"QUOTED-PRINTABLE\" 1234 40 NIL NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \
\"QUOTED-PRINTABLE\" 5678 120 NIL NIL NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \"alt\") NIL NIL NIL)\
(\"APPLICATION\" \"PDF\" (\"NAME\" \"report.pdf\") NIL NIL \"BASE64\" 200000 NIL (\"attachment\" \
(\"FILENAME\" \"report.pdf\")) NIL NIL) \"MIXED\" (\"BOUNDARY\" \"mix\") NIL NIL NIL))\r\n",
                uid = 40_000 + i
            )
            .as_bytes(),
        );
    }
    out
}

fn search_result(uids: u32) -> Vec<u8> {
    let mut out = b"* SEARCH".to_vec();
    for uid in 1..=uids {
        out.extend_from_slice(format!(" {uid}").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn append_1mib() -> Vec<u8> {
    let mut out = b"a1 APPEND INBOX (\\Seen) {1048576+}\r\n".to_vec();
    let line =
        b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n";
    while out.len() < 36 + 1_048_576 {
        out.extend_from_slice(line);
    }
    out.truncate(36 + 1_048_576);
    out.extend_from_slice(b"\r\n");
    out
}

fn command_mix() -> Vec<u8> {
    let commands = [
        "a1 LOGIN \"fred@example.com\" \"correct horse battery staple\"\r\n",
        "a2 SELECT INBOX\r\n",
        "a3 UID FETCH 1:* (FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID)])\r\n",
        "a4 UID SEARCH SINCE 1-Feb-1994 NOT DELETED OR FROM \"smith\" SUBJECT \"meeting notes\"\r\n",
        "a5 UID STORE 4827313:4828442 +FLAGS.SILENT (\\Seen \\Flagged)\r\n",
        "a6 STATUS \"Sent Items\" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)\r\n",
        "a7 UID COPY 1,5,7:9 Archive\r\n",
        "a8 LIST \"\" \"*\"\r\n",
        "a9 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n",
        "a10 NOOP\r\n",
    ];
    commands
        .iter()
        .cycle()
        .take(1000)
        .flat_map(|c| c.bytes())
        .collect()
}

fn limits() -> Limits {
    Limits::default()
        .with_max_line(4 * 1024 * 1024)
        .with_max_literal(16 * 1024 * 1024)
}

fn mailwire_responses(mut input: &[u8], limits: &Limits) -> usize {
    let mut n = 0;
    while !input.is_empty() {
        let Ok(Decoded::Complete { value, consumed }) = decode_response(input, limits) else {
            panic!("mailwire failed")
        };
        black_box(value);
        input = &input[consumed..];
        n += 1;
    }
    n
}

fn proto_responses(mut input: &[u8]) -> usize {
    let mut n = 0;
    while !input.is_empty() {
        let Ok((rest, value)) = imap_proto::Response::parse(input) else {
            panic!("imap-proto failed")
        };
        black_box(value);
        input = rest;
        n += 1;
    }
    n
}

fn codec_responses(mut input: &[u8]) -> usize {
    let codec = ResponseCodec::default();
    let mut n = 0;
    while !input.is_empty() {
        let Ok((rest, value)) = codec.decode(input) else {
            panic!("imap-codec failed")
        };
        black_box(value);
        input = rest;
        n += 1;
    }
    n
}

fn mailwire_commands(mut input: &[u8], limits: &Limits) -> usize {
    let mut n = 0;
    while !input.is_empty() {
        let Ok(Decoded::Complete { value, consumed }) = decode_command(input, limits) else {
            panic!("mailwire failed")
        };
        black_box(value);
        input = &input[consumed..];
        n += 1;
    }
    n
}

fn codec_commands(mut input: &[u8]) -> usize {
    let codec = CommandCodec::default();
    let mut n = 0;
    while !input.is_empty() {
        let Ok((rest, value)) = codec.decode(input) else {
            panic!("imap-codec failed")
        };
        black_box(value);
        input = rest;
        n += 1;
    }
    n
}

struct Inputs {
    fetch: Vec<u8>,
    search: Vec<u8>,
    append: Vec<u8>,
    commands: Vec<u8>,
}

fn inputs() -> Inputs {
    Inputs {
        fetch: fetch_stream(1000),
        search: search_result(100_000),
        append: append_1mib(),
        commands: command_mix(),
    }
}

fn responses(c: &mut Criterion) {
    let inputs = inputs();
    let limits = limits();
    for (name, input) in [
        ("fetch_1000", &inputs.fetch),
        ("search_100k", &inputs.search),
    ] {
        let mut group = c.benchmark_group(format!("imap_response/{name}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function("mailwire", |b| {
            b.iter(|| mailwire_responses(input, &limits));
        });
        group.bench_function("imap-proto", |b| b.iter(|| proto_responses(input)));
        group.bench_function("imap-codec", |b| b.iter(|| codec_responses(input)));
        group.finish();
    }
}

fn commands(c: &mut Criterion) {
    let inputs = inputs();
    let limits = limits();
    for (name, input) in [
        ("append_1mib", &inputs.append),
        ("mix_1000", &inputs.commands),
    ] {
        let mut group = c.benchmark_group(format!("imap_command/{name}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function("mailwire", |b| b.iter(|| mailwire_commands(input, &limits)));
        group.bench_function("imap-codec", |b| b.iter(|| codec_commands(input)));
        group.finish();
    }
}

/// LIST patterns a backtracking matcher cannot finish, against names of two lengths
/// (their times should differ by the lengths' ratio at most), and everyday patterns.
fn list_patterns(c: &mut Criterion) {
    let slash = Delimiter::new('/').ok();
    let name = |len: usize, last: &str| {
        Mailbox::new("a".repeat(len - last.len()) + last).expect("a valid name")
    };
    let pattern = |p: String| ListMailbox::new(p).expect("a valid pattern");
    let percents = pattern("%".repeat(40 * 1024));
    let stars = pattern("*".repeat(1000) + "Z");
    // Ends in a wildcard, so nothing is anchored: every name byte steps 2,000 states.
    let inner = pattern("*a".repeat(1000) + "Z*");
    let mut group = c.benchmark_group("imap_list_match/hostile");
    for len in [1024, 4096] {
        let (plain, z) = (name(len, ""), name(len, "Z"));
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(format!("percent_40k/name_{len}"), |b| {
            b.iter(|| black_box(&percents).matches(black_box(&plain), slash));
        });
        group.bench_function(format!("star_1000_z/name_{len}_z"), |b| {
            b.iter(|| black_box(&stars).matches(black_box(&z), slash));
        });
        group.bench_function(format!("star_1000_z/name_{len}_no_z"), |b| {
            b.iter(|| black_box(&stars).matches(black_box(&plain), slash));
        });
        group.bench_function(format!("star_a_1000_z_star/name_{len}"), |b| {
            b.iter(|| black_box(&inner).matches(black_box(&plain), slash));
        });
    }
    group.finish();
    let mut group = c.benchmark_group("imap_list_match/typical");
    let names: Vec<Mailbox> = [
        "INBOX",
        "Archive",
        "Archive/2023",
        "Archive/2024/Reports",
        "Drafts",
        "Sent",
        "Lists/rust-users",
        "Lists/rust-users/old",
    ]
    .into_iter()
    .map(|n| Mailbox::new(n).expect("a valid name"))
    .collect();
    let bytes: usize = names.iter().map(|n| n.as_bytes().len()).sum();
    group.throughput(Throughput::Bytes(bytes as u64));
    for p in ["*", "%", "Archive/%", "*/rust-*", "inbox"] {
        let p = pattern(p.to_owned());
        group.bench_function(String::from_utf8_lossy(p.as_bytes()).into_owned(), |b| {
            b.iter(|| {
                names
                    .iter()
                    .filter(|n| p.matches(black_box(n), slash))
                    .count()
            });
        });
    }
    group.finish();
}

/// How many times `f` must run to last about 20 ms.
fn reps_for(f: &mut impl FnMut() -> usize) -> u32 {
    let start = Instant::now();
    let mut reps = 0u32;
    while start.elapsed() < Duration::from_millis(20) {
        black_box(f());
        reps += 1;
    }
    reps.max(1)
}

fn time(f: &mut impl FnMut() -> usize, reps: u32) -> Duration {
    let t = Instant::now();
    for _ in 0..reps {
        black_box(f());
    }
    t.elapsed() / reps
}

/// Times `ours` and `theirs` in alternation, 15 rounds, and prints the median of the
/// per-round ratios: alternating keeps the load of a shared machine from favouring either.
fn ratio(
    label: &str,
    peer: &str,
    mut ours: impl FnMut() -> usize,
    mut theirs: impl FnMut() -> usize,
) {
    let (r_ours, r_theirs) = (reps_for(&mut ours), reps_for(&mut theirs));
    let mut rounds: Vec<(f64, Duration, Duration)> = (0..15)
        .map(|_| {
            let a = time(&mut ours, r_ours);
            let b = time(&mut theirs, r_theirs);
            (b.as_secs_f64() / a.as_secs_f64(), a, b)
        })
        .collect();
    rounds.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (r, a, b) = rounds[rounds.len() / 2];
    println!("{label:<24} mailwire {a:>10.1?}  {peer:<10} {b:>10.1?}  mailwire is {r:.2}x {peer}");
}

fn print_ratios() {
    let inputs = inputs();
    let limits = limits();
    println!("\nspeed ratios (median of 15 alternating rounds; above 1 means mailwire is faster):");
    for (name, input) in [
        ("fetch_1000", &inputs.fetch),
        ("search_100k", &inputs.search),
    ] {
        let label = format!("response {name}");
        ratio(
            &label,
            "imap-proto",
            || mailwire_responses(input, &limits),
            || proto_responses(input),
        );
        ratio(
            &label,
            "imap-codec",
            || mailwire_responses(input, &limits),
            || codec_responses(input),
        );
    }
    for (name, input) in [
        ("append_1mib", &inputs.append),
        ("mix_1000", &inputs.commands),
    ] {
        let label = format!("command {name}");
        ratio(
            &label,
            "imap-codec",
            || mailwire_commands(input, &limits),
            || codec_commands(input),
        );
    }
}

fn ratios_only() -> bool {
    std::env::args().any(|a| a == "--ratios-only")
}

criterion_group!(benches, responses, commands, list_patterns);

fn main() {
    let inputs = inputs();
    let limits = limits();
    // Every decoder reads every input whole before anything is timed.
    assert_eq!(
        mailwire_responses(&inputs.fetch, &limits),
        proto_responses(&inputs.fetch)
    );
    assert_eq!(
        mailwire_responses(&inputs.fetch, &limits),
        codec_responses(&inputs.fetch)
    );
    assert_eq!(mailwire_responses(&inputs.search, &limits), 1);
    assert_eq!(proto_responses(&inputs.search), 1);
    assert_eq!(codec_responses(&inputs.search), 1);
    assert_eq!(
        mailwire_commands(&inputs.append, &limits),
        codec_commands(&inputs.append)
    );
    assert_eq!(
        mailwire_commands(&inputs.commands, &limits),
        codec_commands(&inputs.commands)
    );
    if !ratios_only() {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    print_ratios();
}
