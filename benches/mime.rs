//! Parse-and-decode throughput of mailwire-mime beside mail-parser and mailparse, on the
//! same bytes, as interleaved contests (`benches/support/contest.rs`): each set prints every
//! contender's median time and mailwire's ratio to the fastest peer.
//!
//! The sets:
//! - `mime-corpus`: every message of the Dovecot differential corpus
//!   (`crates/mailwire-imap/tests/dovecot/corpus/`, 248 messages from public parser test
//!   suites and written for it: plain, multipart, malformed, legacy charsets, nested
//!   messages), as stored, one iteration parsing and decoding all of them;
//! - `mime-plain-2KiB`: one plain message as a mailing list delivers it, a header block of
//!   Received lines, Authentication-Results, a DKIM signature, List-* fields and encoded-word
//!   From and Subject, and a 2 KiB UTF-8 body (`fixtures/mime/plain-2k.eml`);
//! - `mime-plain` (a shorter such message), `mime-alternative`, `mime-attachments`,
//!   `mime-nested` (a forwarded message/rfc822) and `mime-base64-10MiB`, built here.
//!
//! Every contender does the same work, through each crate's everyday API:
//! - parse the message;
//! - read Subject (encoded words decoded to UTF-8), From and To (parsed into addresses),
//!   Date (parsed) and Message-ID;
//! - for every leaf, enclosed messages' leaves included: a `text/*` leaf's content
//!   transfer-decoded and converted to UTF-8 (its length is read), any other leaf's content
//!   transfer-decoded to bytes.
//!
//! How each does it: mailwire, `Message::parse` (which decodes every leaf), the header
//! accessors of `Message`, then `Part::text` or `Part::decoded` of each of `Message::leaves`.
//! mail-parser, `MessageParser::default().parse` (which parses every header field and
//! decodes every part, enclosed messages included), its header accessors, then the text or
//! bytes of each part of the message and of every enclosed message. mailparse,
//! `parse_mail`, `get_first_value` for Subject and Message-ID, `addrparse_header` for From
//! and To, `dateparse` for Date, then `get_body` (decode and convert) for `text/*` leaves
//! and `get_body_raw` for others; it does not look inside `message/rfc822` leaves, so they
//! are parsed with `parse_mail` and walked the same way.
//!
//! Criterion's groups (`mime/<set>`) time the same functions, without interleaving.
//!
//! Profiles: `MAILWIRE_BENCH_PROFILE=mime-corpus/mailwire` (or `/mail-parser`) runs that
//! contender alone inside `support::contest::profiled`:
//!
//! ```text
//! cargo bench --bench mime --no-run
//! MAILWIRE_BENCH_PROFILE=mime-corpus/mailwire MAILWIRE_BENCH_PROFILE_ITERS=20 \
//!     valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*profiled*' \
//!     target/release/deps/mime-<hash>
//! ```
//!
//! Two checks print before the benchmarks (not under `--test` or a profile):
//! - `parse 100MiB`: peak memory of `Message::parse_with` (part limit raised) on 100 MiB
//!   messages of about 133,000 small parts, base64 attachments of 512 bytes (whose
//!   decoded bytes are copies) and 7-bit text (which the parse borrows), as the peak
//!   resident set over the one before the input was made, a multiple of the input;
//! - `linear base64`: t(100 MiB) / t(10 MiB) of `Message::parse` and reading the decoded
//!   bytes of a message with one base64 attachment, beside the same ratio for a copy of
//!   the input (`to_vec`: an allocation and a copy, as the decoded bytes are) and for a
//!   copy into a buffer kept between runs (no page faults, the stricter yardstick),
//!   medians of 5 runs.
//!
//! `mime/structure_pass_10000` measures mailwire alone: a structure parse of the 10,000
//! messages of the IMAP FETCH benchmark and one pass of the borrowed accessors a
//! BODYSTRUCTURE writer reads. Under a profiler, collect `mime::structure_pass`:
//!
//! ```text
//! valgrind --tool=callgrind --toggle-collect='mime::structure_pass' \
//!     target/release/deps/mime-<hash> --bench structure_pass --profile-time 1
//! ```

#![allow(clippy::print_stdout, reason = "the benchmark prints its ratio table")]

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use mailwire::mime::{BodyPart, DateTime, Limits, Mailbox, Message, MessageBuilder, Part};

use support::contest::{self, ours, reference};

mod support;

/// A small deterministic generator, so every run sees the same fixtures.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next().to_le_bytes()[0]).collect()
    }

    fn prose(&mut self, words: usize) -> String {
        const WORDS: &[&str] = &[
            "the",
            "message",
            "parser",
            "reads",
            "every",
            "header",
            "field",
            "and",
            "body",
            "part",
            "before",
            "decoding",
            "na\u{ef}ve",
            "caf\u{e9}",
            "r\u{e9}sum\u{e9}",
            "boundary",
            "quoted",
            "printable",
            "base64",
            "\u{fc}ber",
            "encoded",
            "words",
            "in",
            "a",
            "line",
        ];
        let mut s = String::new();
        for i in 0..words {
            s.push_str(WORDS[usize::try_from(self.next() % WORDS.len() as u64).unwrap_or(0)]);
            s.push(if i % 12 == 11 { '\n' } else { ' ' });
        }
        s
    }
}

fn builder() -> MessageBuilder {
    MessageBuilder::new()
        .from(Mailbox::new(Some("Ann Example"), "ann@example.com"))
        .to(Mailbox::new(Some("Bob Example"), "bob@example.net"))
        .cc(Mailbox::new(
            Some("J\u{f6}rg M\u{fc}ller"),
            "joerg@example.de",
        ))
        .subject("Quarterly report \u{2013} figures, slides and the r\u{e9}sum\u{e9}")
        .date(DateTime::from_timestamp(1_715_670_000, 120))
        .message_id("20240514.4711@example.com")
        .boundary("=_bench")
}

fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = Lcg(42);
    let plain = include_bytes!("fixtures/mime/plain.eml").to_vec();
    let plain_2k = include_bytes!("fixtures/mime/plain-2k.eml").to_vec();
    let text = rng.prose(1500);
    let html = format!(
        "<html><body><p>{}</p></body></html>",
        rng.prose(3000).replace('\n', "</p>\n<p>")
    );
    let alternative = builder()
        .text(text.clone())
        .html(html.clone())
        .build()
        .expect("fixture builds");
    let mut attachments = builder().text(rng.prose(200));
    for (i, size) in [120_000usize, 250_000, 64_000].into_iter().enumerate() {
        attachments = attachments.attachment(
            "application/octet-stream",
            &format!("file-{i}.bin"),
            rng.bytes(size),
        );
    }
    let attachments = attachments.build().expect("fixture builds");
    let inner = builder()
        .text(rng.prose(800))
        .html(html)
        .attachment("application/pdf", "slides.pdf", rng.bytes(90_000))
        .build()
        .expect("fixture builds");
    let nested = builder()
        .boundary("=_outer")
        .body(BodyPart::multipart(
            "mixed",
            vec![
                BodyPart::text("plain", "Forwarded message below.\n"),
                BodyPart::message(inner),
            ],
        ))
        .build()
        .expect("fixture builds");
    let big = builder()
        .text(text)
        .attachment(
            "application/octet-stream",
            "big.bin",
            rng.bytes(10 * 1024 * 1024),
        )
        .build()
        .expect("fixture builds");
    vec![
        ("plain-2KiB", plain_2k),
        ("plain", plain),
        ("alternative", alternative),
        ("attachments", attachments),
        ("nested", nested),
        ("base64-10MiB", big),
    ]
}

/// mailwire: parse (every leaf is decoded while parsing), read the headers, read each
/// leaf's text or bytes.
fn mailwire_parse(data: &[u8]) -> usize {
    let m = Message::parse(data);
    let mut n = m.subject().map_or(0, |s| s.len())
        + m.from().len()
        + m.to().len()
        + usize::from(m.date().is_some())
        + m.message_id().map_or(0, |s| s.len());
    for p in m.leaves() {
        n += p.text().map_or_else(|| p.decoded().len(), str::len);
    }
    n
}

fn mail_parser_walk(m: &mail_parser::Message<'_>) -> usize {
    use mail_parser::PartType;
    let mut n = 0;
    for p in &m.parts {
        n += match &p.body {
            PartType::Text(t) | PartType::Html(t) => t.len(),
            PartType::Binary(b) | PartType::InlineBinary(b) => b.len(),
            PartType::Message(inner) => mail_parser_walk(inner),
            PartType::Multipart(_) => 0,
        };
    }
    n
}

/// mail-parser: parse (every header field is parsed and every part decoded while
/// parsing), read the same headers, read each leaf's text or bytes.
fn mail_parser_parse(data: &[u8]) -> usize {
    let Some(m) = mail_parser::MessageParser::default().parse(data) else {
        return 0;
    };
    m.subject().map_or(0, str::len)
        + m.from().map_or(0, |a| a.iter().count())
        + m.to().map_or(0, |a| a.iter().count())
        + usize::from(m.date().is_some())
        + m.message_id().map_or(0, str::len)
        + mail_parser_walk(&m)
}

fn mailparse_walk(p: &mailparse::ParsedMail<'_>) -> usize {
    if !p.subparts.is_empty() {
        return p.subparts.iter().map(mailparse_walk).sum();
    }
    let mime = p.ctype.mimetype.as_str();
    if mime.starts_with("text/") {
        p.get_body().map_or(0, |b| b.len())
    } else if mime == "message/rfc822" {
        p.get_body_raw().map_or(0, |raw| {
            mailparse::parse_mail(&raw).map_or(0, |inner| mailparse_walk(&inner))
        })
    } else {
        p.get_body_raw().map_or(0, |b| b.len())
    }
}

/// mailparse: parse, read the same headers, decode every leaf (text also to UTF-8).
fn mailparse_parse(data: &[u8]) -> usize {
    use mailparse::MailHeaderMap;
    let Ok(m) = mailparse::parse_mail(data) else {
        return 0;
    };
    let addresses = |name: &str| {
        m.headers
            .get_first_header(name)
            .and_then(|h| mailparse::addrparse_header(h).ok())
            .map_or(0, |a| a.len())
    };
    m.headers.get_first_value("Subject").map_or(0, |s| s.len())
        + addresses("From")
        + addresses("To")
        + m.headers
            .get_first_value("Date")
            .and_then(|d| mailparse::dateparse(&d).ok())
            .map_or(0, |_| 1)
        + m.headers
            .get_first_value("Message-ID")
            .map_or(0, |s| s.len())
        + mailparse_walk(&m)
}

fn each(f: fn(&[u8]) -> usize, messages: &[Vec<u8>]) -> usize {
    messages.iter().map(|m| f(black_box(m))).sum()
}

/// The interleaved comparisons: the corpus, then every fixture.
fn contests(sets: &[(&'static str, Vec<u8>)]) {
    let corpus = support::dovecot_corpus();
    let mut all: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    if corpus.is_empty() {
        println!("mime-corpus: skipped, the corpus is not here");
    } else {
        all.push(("mime-corpus".into(), corpus));
    }
    for (name, data) in sets {
        all.push((format!("mime-{name}"), vec![data.clone()]));
    }
    let profiled = std::env::var("MAILWIRE_BENCH_PROFILE").ok();
    for (set, messages) in &all {
        if profiled
            .as_ref()
            .is_some_and(|t| !t.starts_with(&format!("{set}/")))
        {
            continue;
        }
        // The three readers must agree that there is something to read.
        assert!(
            each(mailwire_parse, messages) > 0
                && each(mail_parser_parse, messages) > 0
                && each(mailparse_parse, messages) > 0,
            "{set}"
        );
        contest::compare(
            set,
            vec![
                reference("mail-parser", || {
                    black_box(each(mail_parser_parse, messages));
                }),
                reference("mailparse", || {
                    black_box(each(mailparse_parse, messages));
                }),
                ours("mailwire", || {
                    black_box(each(mailwire_parse, messages));
                }),
            ],
        );
    }
}

fn bench(c: &mut Criterion, sets: &[(&'static str, Vec<u8>)]) {
    for (name, data) in sets {
        let mut g = c.benchmark_group(format!("mime/{name}"));
        g.throughput(Throughput::Bytes(data.len() as u64));
        if data.len() > 1024 * 1024 {
            g.sample_size(10);
        }
        g.bench_function("mailwire", |b| b.iter(|| mailwire_parse(black_box(data))));
        g.bench_function("mail-parser", |b| {
            b.iter(|| mail_parser_parse(black_box(data)));
        });
        g.bench_function("mailparse", |b| b.iter(|| mailparse_parse(black_box(data))));
        g.finish();
    }
}

/// Reads what BODYSTRUCTURE needs of a part and its children; returns a checksum.
fn read_part(part: &Part<'_>) -> usize {
    let mut sum = 0;
    let ct = part.content_type_ref();
    sum += ct.main_type().len() + ct.subtype().len();
    for p in ct.params() {
        sum += p.name.len() + p.value.len();
    }
    if let Some(cd) = part.content_disposition_ref() {
        sum += cd.kind().len();
        for p in cd.params() {
            sum += p.name.len() + p.value.len();
        }
    }
    for name in [
        "Content-ID",
        "Content-Description",
        "Content-MD5",
        "Content-Language",
        "Content-Location",
    ] {
        if let Some(f) = part.header().get(name) {
            sum += f.unfolded().len();
        }
    }
    sum += part.transfer_encoding().as_str().len();
    sum += part.body_size() + part.body_lines();
    for child in part.parts() {
        sum += read_part(child);
    }
    if let Some(inner) = part.message() {
        sum += read_part(inner);
    }
    sum
}

#[inline(never)]
fn structure_pass(corpus: &[Vec<u8>]) -> usize {
    let mut sum = 0;
    for raw in corpus {
        let msg = Message::parse_structure(raw);
        sum += read_part(msg.root());
        black_box(&msg);
    }
    sum
}

fn bench_structure_pass(c: &mut Criterion) {
    let corpus: Vec<Vec<u8>> = (1..=10_000).map(support::fetch_message).collect();
    let mut g = c.benchmark_group("mime/structure_pass_10000");
    g.throughput(Throughput::Bytes(
        corpus.iter().map(|m| m.len() as u64).sum(),
    ));
    g.sample_size(10);
    g.bench_function("mailwire", |b| {
        b.iter(|| structure_pass(black_box(&corpus)));
    });
    g.finish();
}

/// A field of `/proc/self/status` in KiB (Linux): `VmHWM` is the peak resident set,
/// `VmRSS` the current one.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A multipart message of about `size` bytes made of copies of `part`, numbered.
fn many_parts(size: usize, part: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + part.len() + 64);
    out.extend_from_slice(
        b"Subject: many parts\r\nContent-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n",
    );
    while out.len() < size {
        out.extend_from_slice(b"--=_b\r\n");
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"--=_b--\r\n");
    out
}

/// Peak memory of a full parse of 100 MiB messages made of about 133,000 small parts
/// (789 bytes each, delimiter included): base64 attachments of 512 bytes, whose decoded
/// bytes are copies, and 7-bit text, which the parse borrows. The part limit is raised
/// to let every part in. Printed as the peak resident set over the one before the input
/// was made, as a multiple of the input (the input itself is 1x of it).
#[allow(clippy::cast_precision_loss, reason = "a ratio for a person to read")]
fn parse_100_mib() {
    let mut rng = Lcg(7);
    let b64 = {
        use base64::Engine as _;
        let text = base64::engine::general_purpose::STANDARD.encode(rng.bytes(512));
        let lines: Vec<&str> = text
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        format!(
            "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
            lines.join("\r\n")
        )
    };
    let text = {
        let prose: String = rng
            .prose(200)
            .chars()
            .filter(char::is_ascii)
            .take(680)
            .collect();
        format!(
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n{}",
            prose.replace('\n', "\r\n")
        )
    };
    let limits = Limits::default().with_max_parts(1 << 20);
    for (shape, part) in [("base64", b64), ("text", text)] {
        // Forget the peak so far (Linux), so that this parse's is the one read.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let before = status_kib("VmRSS:").unwrap_or(0);
        let input = many_parts(100 << 20, part.as_bytes());
        let msg = Message::parse_with(black_box(&input), limits);
        let parts = msg.parts().count();
        let decoded: usize = msg.leaves().map(|p| p.decoded().len()).sum();
        let peak = status_kib("VmHWM:").unwrap_or(0);
        drop(msg);
        let input_kib = input.len() as f64 / 1024.0;
        println!(
            "parse 100MiB {shape}: {} bytes, {parts} parts ({} bytes each), {decoded} bytes decoded; \
             peak RSS {before} KiB -> {peak} KiB: {:.2}x the input",
            input.len(),
            part.len() + 9,
            peak.saturating_sub(before) as f64 / input_kib,
        );
    }
}

/// The median of `runs` timings of `f`.
fn median_time(runs: usize, mut f: impl FnMut()) -> std::time::Duration {
    let mut times: Vec<std::time::Duration> = (0..runs)
        .map(|_| {
            let t = std::time::Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

/// Whether the cost of a full parse grows with the size of a base64 attachment as a copy
/// of the input does: t(100 MiB) / t(10 MiB) for `Message::parse` and reading the decoded
/// bytes, beside the same ratio for a copy of the input (`to_vec`), medians of 5 runs.
#[allow(clippy::cast_precision_loss, reason = "a ratio for a person to read")]
fn linear_base64() {
    let mut rng = Lcg(11);
    let big = rng.bytes(100 << 20);
    let message = |n: usize| {
        builder()
            .text("An attachment.\n")
            .attachment("application/octet-stream", "big.bin", big[..n].to_vec())
            .build()
            .expect("fixture builds")
    };
    let (small, large) = (message(10 << 20), message(100 << 20));
    let parse = |m: &[u8]| {
        median_time(5, || {
            let msg = Message::parse(black_box(m));
            black_box(msg.leaves().map(|p| p.decoded().len()).sum::<usize>());
        })
    };
    let copy = |m: &[u8]| median_time(5, || drop(black_box(black_box(m).to_vec())));
    // A copy into memory already touched, which costs no page faults: the stricter
    // yardstick, since the parse allocates its decoded bytes afresh.
    let mut kept = Vec::with_capacity(large.len());
    let mut copy_kept = |m: &[u8]| {
        median_time(5, || {
            kept.clear();
            kept.extend_from_slice(black_box(m));
            black_box(&kept);
        })
    };
    let (p10, p100) = (parse(&small), parse(&large));
    let (c10, c100) = (copy(&small), copy(&large));
    let (k10, k100) = (copy_kept(&small), copy_kept(&large));
    let parse_ratio = p100.as_secs_f64() / p10.as_secs_f64();
    let copy_ratio = c100.as_secs_f64() / c10.as_secs_f64();
    let kept_ratio = k100.as_secs_f64() / k10.as_secs_f64();
    println!(
        "linear base64: parse 10MiB {p10:?}, 100MiB {p100:?} ({parse_ratio:.2}x); copy {c10:?}, \
         {c100:?} ({copy_ratio:.2}x); copy into a kept buffer {k10:?}, {k100:?} \
         ({kept_ratio:.2}x); parse ratio / copy ratio {:.2}, / kept-buffer ratio {:.2}",
        parse_ratio / copy_ratio,
        parse_ratio / kept_ratio
    );
}

fn main() {
    let sets = fixtures();
    if !contest::profiling() && !std::env::args().any(|a| a == "--test" || a == "--list") {
        parse_100_mib();
        linear_base64();
    }
    if !contest::profiling() {
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c, &sets);
        bench_structure_pass(&mut c);
        c.final_summary();
    }
    contests(&sets);
}
