//! IMAP decoding side by side with imap-proto and imap-codec, on identical bytes, as
//! interleaved contests (`benches/support/contest.rs`): each set prints every contender's
//! median time and mailwire's ratio to the fastest peer.
//!
//! The sets:
//! - `imap-fetch/structure-1000`: 1,000 `* n FETCH (UID FLAGS RFC822.SIZE INTERNALDATE
//!   ENVELOPE BODYSTRUCTURE)` lines, as an IMAP server answers a client opening a mailbox
//!   (Dovecot writes these items byte for byte as mailwire does for 244 of the 248
//!   messages; `tests/dovecot_fetch.rs`). They are written by mailwire's server FETCH
//!   writer over the 248 real messages of `crates/mailwire-imap/tests/dovecot/corpus/`
//!   (stored with CRLF line ends, as a server serves them), in turn: `ParsedMessage`'s
//!   `write_envelope` and `write_body_structure` for ENVELOPE and BODYSTRUCTURE, the codec's
//!   encoder for the other items, as `server::Session` does. So the lines hold what real
//!   mail puts there: NILs, quoted strings with `\"` and `\\`, literals where a value
//!   holds CR, LF or 8-bit bytes, encoded words, non-ASCII names, nested multiparts,
//!   `message/rfc822` parts with their own envelope and structure, body extension data.
//! - `imap-fetch/headers-1000`: 1,000 `* n FETCH (UID FLAGS BODY[HEADER.FIELDS (...)]
//!   {len} ...)` lines over the same messages, the header fields Thunderbird asks for when
//!   it lists a mailbox, each a literal.
//! - `imap-response/search-100k`: one `* SEARCH` of 100,000 UIDs.
//! - `imap-command/mix-1000`: 1,000 commands as Thunderbird and mutt send them, in turn
//!   ([`COMMANDS`]): UID FETCH with body sections and partial ranges, UID SEARCH, STORE,
//!   SELECT, EXAMINE, IDLE and its DONE, LIST, LSUB, STATUS, NAMESPACE, ID, APPEND with a
//!   small non-synchronising literal, UID COPY, EXPUNGE, NOOP, LOGOUT.
//! - `imap-command/append-1MiB`: one APPEND carrying a 1 MiB literal.
//!
//! Every contender decodes the whole stream, message by message, into its crate's own
//! value for each message, and shows the value to `black_box`:
//! - mailwire: `decode_response` / `decode_command` (and `decode_idle_done` after IDLE),
//!   which frame the message, check it against the grammar and build owned values;
//! - imap-proto: `Response::parse`, which builds values borrowing from the input (it has
//!   no command parser, so it is in the response sets only);
//! - imap-codec: `ResponseCodec` / `CommandCodec` (and `IdleDoneCodec` after IDLE).
//!
//! Before anything is timed, each stream is decoded by every contender and the counts of
//! messages must be equal, so every contender parses every line.
//!
//! Criterion's groups time the same functions without interleaving. The
//! `imap_list_match` groups time LIST pattern matching, whose cost must grow with the name
//! times the pattern at worst, whatever wildcards a client sends.
//!
//! Profiles: `MAILWIRE_BENCH_PROFILE=imap-fetch/structure-1000/mailwire` (or
//! `/imap-proto`, or `imap-command/mix-1000/imap-codec` …) runs that contender alone inside
//! `support::contest::profiled`:
//!
//! ```text
//! cargo bench --bench imap --no-run
//! MAILWIRE_BENCH_PROFILE=imap-fetch/structure-1000/mailwire MAILWIRE_BENCH_PROFILE_ITERS=10 \
//!     valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*profiled*' \
//!     target/release/deps/imap-<hash>
//! ```
#![allow(clippy::print_stdout, reason = "a benchmark reports its ratios")]

use std::hint::black_box;
use std::num::NonZeroU32;

use criterion::{Criterion, Throughput};
use imap_codec::decode::Decoder;
use imap_codec::{CommandCodec, IdleDoneCodec, ResponseCodec};
use mailwire::imap::codec::{
    Decoded, Limits, decode_command, decode_idle_done, decode_response, encode_response,
};
use mailwire::imap::message::ParsedMessage;
use mailwire::imap::types::{
    CommandBody, Data, DateTime, Delimiter, FetchAttribute, Flag, FlagFetch, IString, ListMailbox,
    Mailbox, MessageDataItem, NonEmpty, Response, Section, SectionText,
};
use support::contest::{self, ours, reference};

mod support;

/// The corpus's messages, sorted by path, with bare LF made CRLF.
fn corpus() -> Vec<Vec<u8>> {
    support::dovecot_corpus().iter().map(|m| crlf(m)).collect()
}

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

/// The flags of message `n`: what a mailbox in use holds, read and unread, answered,
/// forwarded, with a few keywords.
fn flags(n: u32) -> Vec<FlagFetch> {
    let f = |s: &str| FlagFetch::Flag(Flag::parse(s).expect("a flag"));
    match n % 7 {
        0 => vec![],
        1 | 4 => vec![f("\\Seen")],
        2 => vec![f("\\Seen"), f("\\Answered")],
        3 => vec![f("$Forwarded"), f("\\Seen")],
        5 => vec![f("\\Flagged"), f("\\Seen"), f("NonJunk")],
        _ => vec![f("$Junk")],
    }
}

/// `* seq FETCH (` `items` encoded by the codec, without the closing `)` CRLF.
fn start_line(seq: u32, items: Vec<MessageDataItem>) -> Vec<u8> {
    let mut line = Vec::new();
    encode_response(
        &Response::Data(Data::Fetch {
            seq: NonZeroU32::new(seq).expect("seq from 1"),
            items: NonEmpty::from_vec(items).expect("items"),
        }),
        &mut line,
    );
    line.truncate(line.len() - b")\r\n".len());
    line
}

/// UID, FLAGS, RFC822.SIZE and INTERNALDATE of the message at `seq`.
fn store_items(seq: u32, msg: &ParsedMessage<'_>) -> Vec<MessageDataItem> {
    let internal = DateTime::from_unix_seconds(1_764_000_000 + i64::from(seq) * 7_919)
        .expect("a date")
        .date();
    let hour = u8::try_from(seq % 24).expect("an hour");
    let minute = u8::try_from(seq % 60).expect("a minute");
    let internal = DateTime::new(internal, hour, minute, 7, 60).expect("a time");
    vec![
        MessageDataItem::Uid(NonZeroU32::new(30_000 + seq).expect("uid")),
        MessageDataItem::Flags(flags(seq)),
        MessageDataItem::Rfc822Size(msg.size()),
        MessageDataItem::InternalDate(internal),
    ]
}

/// `* seq FETCH (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)` for `raw`.
fn structure_line(seq: u32, raw: &[u8]) -> Vec<u8> {
    let msg = ParsedMessage::parse(raw);
    let mut line = start_line(seq, store_items(seq, &msg));
    line.extend_from_slice(b" ENVELOPE ");
    msg.write_envelope(&mut line);
    line.extend_from_slice(b" BODYSTRUCTURE ");
    msg.write_body_structure(true, &mut line);
    line.extend_from_slice(b")\r\n");
    line
}

/// The header fields Thunderbird asks for when it lists a mailbox.
const HEADER_FIELDS: [&str; 13] = [
    "From",
    "To",
    "Cc",
    "Bcc",
    "Subject",
    "Date",
    "Message-ID",
    "Priority",
    "X-Priority",
    "References",
    "Newsgroups",
    "In-Reply-To",
    "Content-Type",
];

/// `* seq FETCH (UID FLAGS BODY[HEADER.FIELDS (…)] {len} …)` for `raw`.
fn headers_line(seq: u32, raw: &[u8]) -> Vec<u8> {
    let names = HEADER_FIELDS
        .iter()
        .map(|n| IString::new(n.to_ascii_uppercase()).expect("a field name"))
        .collect();
    let section = Section::new(
        vec![],
        Some(SectionText::HeaderFields(
            NonEmpty::from_vec(names).expect("names"),
        )),
    )
    .expect("a section");
    let attribute = FetchAttribute::BodySection {
        peek: true,
        section,
        partial: None,
    };
    let msg = ParsedMessage::parse(raw);
    let mut items = store_items(seq, &msg);
    items.truncate(2);
    items.push(msg.fetch(&attribute).expect("a header section"));
    let mut line = start_line(seq, items);
    line.extend_from_slice(b")\r\n");
    line
}

/// `lines` lines written by `line` over the messages of `corpus` in turn, numbered from 1.
fn stream(corpus: &[Vec<u8>], lines: u32, line: fn(u32, &[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    for seq in 1..=lines {
        out.extend_from_slice(&line(seq, &corpus[(seq - 1) as usize % corpus.len()]));
    }
    out
}

/// The messages of the corpus whose lines of both FETCH sets every contender decodes.
/// imap-codec refuses a BODYSTRUCTURE nested deeper than its limit; such a message is
/// left out of both sets for every contender.
fn decodable(corpus: Vec<Vec<u8>>, limits: &Limits) -> Vec<Vec<u8>> {
    let all = corpus.len();
    let kept: Vec<Vec<u8>> = corpus
        .into_iter()
        .filter(|raw| {
            [structure_line(1, raw), headers_line(1, raw)]
                .iter()
                .all(|line| {
                    decode_response(line, limits).is_ok_and(|d| d.complete().is_some())
                        && imap_proto::Response::parse(line).is_ok_and(|(rest, _)| rest.is_empty())
                        && ResponseCodec::default()
                            .decode(line)
                            .is_ok_and(|(rest, _)| rest.is_empty())
                })
        })
        .collect();
    if !contest::profiling() {
        println!(
            "imap-fetch: {} of {all} corpus messages decoded by every contender; the others are left out",
            kept.len()
        );
    }
    kept
}

/// Everyday commands, as Thunderbird (`1`, `2` … tags) and mutt (`a0001` … tags) send
/// them when they open, list, read, flag, file and write mail. `DONE` ends the IDLE
/// before it.
const COMMANDS: &[&str] = &[
    "1 capability\r\n",
    "2 ID (\"name\" \"Thunderbird\" \"version\" \"128.5.2\")\r\n",
    "3 NAMESPACE\r\n",
    "4 list \"\" \"*\"\r\n",
    "5 lsub \"\" \"*\"\r\n",
    "6 select \"INBOX\"\r\n",
    "7 UID fetch 1:* (FLAGS)\r\n",
    "8 UID fetch 30245:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])\r\n",
    "9 UID fetch 30231 (UID RFC822.SIZE BODY.PEEK[])\r\n",
    "10 UID fetch 30231 (BODY.PEEK[2]<0.10240>)\r\n",
    "11 UID store 30231 +Flags (\\Seen)\r\n",
    "12 IDLE\r\n",
    "DONE\r\n",
    "13 UID search UNDELETED SINCE 1-Dec-2026\r\n",
    "14 STATUS \"Lists/rust-users\" (UIDNEXT MESSAGES UNSEEN RECENT)\r\n",
    "15 UID copy 30227:30229,30233 \"Archive/2026\"\r\n",
    "16 UID store 30227:30229,30233 +FLAGS (\\Deleted)\r\n",
    "17 expunge\r\n",
    "18 APPEND \"Sent\" (\\Seen) \"08-Dec-2026 01:20:00 +0100\" {162+}\r\n\
From: Anna <anna@example.org>\r\nTo: Ben <ben@example.net>\r\nSubject: Re: lunch\r\n\
Date: Tue, 8 Dec 2026 01:20:00 +0100\r\nMessage-ID: <x1@example.org>\r\n\r\nYes, at one.\r\n\r\n",
    "19 noop\r\n",
    "a0001 LOGIN \"ben@example.net\" \"correct horse battery staple\"\r\n",
    "a0002 EXAMINE \"Lists/mutt-users\"\r\n",
    "a0003 FETCH 1:250 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM SENDER SUBJECT TO CC MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST X-LABEL)])\r\n",
    "a0004 UID FETCH 412 BODY.PEEK[]\r\n",
    "a0005 UID SEARCH OR FROM \"anna\" SUBJECT \"meeting notes\" NOT DELETED\r\n",
    "a0006 UID STORE 412,415:418 +FLAGS.SILENT (\\Seen $Forwarded)\r\n",
    "a0007 UID STORE 419 -FLAGS.SILENT (\\Flagged)\r\n",
    "a0008 STATUS \"INBOX\" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)\r\n",
    "a0009 CHECK\r\n",
    "a0010 CLOSE\r\n",
    "a0011 LOGOUT\r\n",
];

/// [`COMMANDS`] in turn, 1,000 of them.
fn command_mix() -> Vec<u8> {
    COMMANDS
        .iter()
        .cycle()
        .take(1000)
        .flat_map(|c| c.bytes())
        .collect()
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

/// A client's limits (BODYSTRUCTURE nests up to 128 deep; the corpus has a message nested
/// 100 deep), with room for the 1 MiB APPEND.
fn limits() -> Limits {
    Limits::for_client().with_max_literal(16 * 1024 * 1024)
}

fn mailwire_responses(mut input: &[u8], limits: &Limits) -> usize {
    let mut n = 0;
    while !input.is_empty() {
        let Ok(Decoded::Complete { value, consumed }) = decode_response(input, limits) else {
            panic!(
                "mailwire failed at {}",
                String::from_utf8_lossy(&input[..input.len().min(300)])
            )
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
            panic!(
                "imap-proto failed at {}",
                String::from_utf8_lossy(&input[..input.len().min(300)])
            )
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
            panic!(
                "imap-codec failed at {}",
                String::from_utf8_lossy(&input[..input.len().min(300)])
            )
        };
        black_box(value);
        input = rest;
        n += 1;
    }
    n
}

/// Commands, and after IDLE the `DONE` that ends it; each counts as one.
fn mailwire_commands(mut input: &[u8], limits: &Limits) -> usize {
    let mut n = 0;
    let mut idling = false;
    while !input.is_empty() {
        if idling {
            let Ok(Decoded::Complete { consumed, .. }) = decode_idle_done(input, limits) else {
                panic!("mailwire failed on DONE")
            };
            input = &input[consumed..];
            idling = false;
            n += 1;
            continue;
        }
        let Ok(Decoded::Complete { value, consumed }) = decode_command(input, limits) else {
            panic!(
                "mailwire failed at {}",
                String::from_utf8_lossy(&input[..input.len().min(300)])
            )
        };
        idling = matches!(value.body, CommandBody::Idle);
        black_box(value);
        input = &input[consumed..];
        n += 1;
    }
    n
}

fn codec_commands(mut input: &[u8]) -> usize {
    let codec = CommandCodec::default();
    let done = IdleDoneCodec::default();
    let mut n = 0;
    let mut idling = false;
    while !input.is_empty() {
        if idling {
            let Ok((rest, _)) = done.decode(input) else {
                panic!("imap-codec failed on DONE")
            };
            input = rest;
            idling = false;
            n += 1;
            continue;
        }
        let Ok((rest, value)) = codec.decode(input) else {
            panic!(
                "imap-codec failed at {}",
                String::from_utf8_lossy(&input[..input.len().min(300)])
            )
        };
        idling = matches!(
            value.body,
            imap_codec::imap_types::command::CommandBody::Idle
        );
        black_box(value);
        input = rest;
        n += 1;
    }
    n
}

struct Inputs {
    structure: Vec<u8>,
    headers: Vec<u8>,
    search: Vec<u8>,
    commands: Vec<u8>,
    append: Vec<u8>,
}

fn inputs(limits: &Limits) -> Inputs {
    let corpus = corpus();
    assert!(corpus.len() >= 200, "the corpus is not here");
    let corpus = decodable(corpus, limits);
    Inputs {
        structure: stream(&corpus, 1000, structure_line),
        headers: stream(&corpus, 1000, headers_line),
        search: search_result(100_000),
        commands: command_mix(),
        append: append_1mib(),
    }
}

/// Every contender decodes every message of every set.
fn check(inputs: &Inputs, limits: &Limits) {
    for input in [&inputs.structure, &inputs.headers] {
        assert_eq!(mailwire_responses(input, limits), 1000);
        assert_eq!(proto_responses(input), 1000);
        assert_eq!(codec_responses(input), 1000);
    }
    assert_eq!(mailwire_responses(&inputs.search, limits), 1);
    assert_eq!(proto_responses(&inputs.search), 1);
    assert_eq!(codec_responses(&inputs.search), 1);
    // `DONE` counts as one, so the 1,000 entries of the mix are 1,000 decodes.
    assert_eq!(mailwire_commands(&inputs.commands, limits), 1000);
    assert_eq!(codec_commands(&inputs.commands), 1000);
    assert_eq!(mailwire_commands(&inputs.append, limits), 1);
    assert_eq!(codec_commands(&inputs.append), 1);
}

fn responses(c: &mut Criterion, inputs: &Inputs, limits: &Limits) {
    for (name, input) in [
        ("fetch-structure-1000", &inputs.structure),
        ("fetch-headers-1000", &inputs.headers),
        ("search-100k", &inputs.search),
    ] {
        let mut group = c.benchmark_group(format!("imap_response/{name}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function("mailwire", |b| {
            b.iter(|| mailwire_responses(black_box(input), limits));
        });
        group.bench_function("imap-proto", |b| {
            b.iter(|| proto_responses(black_box(input)));
        });
        group.bench_function("imap-codec", |b| {
            b.iter(|| codec_responses(black_box(input)));
        });
        group.finish();
    }
}

fn commands(c: &mut Criterion, inputs: &Inputs, limits: &Limits) {
    for (name, input) in [
        ("mix-1000", &inputs.commands),
        ("append-1MiB", &inputs.append),
    ] {
        let mut group = c.benchmark_group(format!("imap_command/{name}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function("mailwire", |b| {
            b.iter(|| mailwire_commands(black_box(input), limits));
        });
        group.bench_function("imap-codec", |b| {
            b.iter(|| codec_commands(black_box(input)));
        });
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

/// The interleaved comparisons of every set.
fn contests(inputs: &Inputs, limits: &Limits) {
    for (set, input) in [
        ("imap-fetch/structure-1000", &inputs.structure),
        ("imap-fetch/headers-1000", &inputs.headers),
        ("imap-response/search-100k", &inputs.search),
    ] {
        contest::compare(
            set,
            vec![
                reference("imap-proto", || {
                    proto_responses(black_box(input));
                }),
                reference("imap-codec", || {
                    codec_responses(black_box(input));
                }),
                ours("mailwire", || {
                    mailwire_responses(black_box(input), limits);
                }),
            ],
        );
    }
    for (set, input) in [
        ("imap-command/mix-1000", &inputs.commands),
        ("imap-command/append-1MiB", &inputs.append),
    ] {
        contest::compare(
            set,
            vec![
                reference("imap-codec", || {
                    codec_commands(black_box(input));
                }),
                ours("mailwire", || {
                    mailwire_commands(black_box(input), limits);
                }),
            ],
        );
    }
}

fn main() {
    let limits = limits();
    let inputs = inputs(&limits);
    check(&inputs, &limits);
    if !contest::profiling() {
        let mut c = Criterion::default().configure_from_args();
        responses(&mut c, &inputs, &limits);
        commands(&mut c, &inputs, &limits);
        list_patterns(&mut c);
        c.final_summary();
    }
    contests(&inputs, &limits);
}
