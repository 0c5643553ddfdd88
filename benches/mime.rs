//! Parse-and-decode throughput of mailwire-mime beside mail-parser and mailparse, on the
//! same inputs: a plain message, a multipart/alternative, several attachments, a nested
//! message/rfc822 and a 10 MiB base64 attachment. Before criterion runs, a short timing
//! pass prints each peer's time relative to mailwire (a ratio above 1 means mailwire is
//! faster).
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
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailwire::mime::{BodyPart, DateTime, Mailbox, Message, MessageBuilder, Part};

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
        ("plain", plain),
        ("alternative", alternative),
        ("attachments", attachments),
        ("nested", nested),
        ("base64-10MiB", big),
    ]
}

/// mailwire: parse, read the main headers, touch every decoded leaf.
fn mailwire_parse(data: &[u8]) -> usize {
    let m = Message::parse(data);
    let mut n =
        m.subject().map_or(0, |s| s.len()) + m.from().len() + usize::from(m.date().is_some());
    for p in m.leaves() {
        n += p.decoded().len() + p.text().map_or(0, str::len);
    }
    n
}

/// mail-parser: parse (it decodes every part while parsing), read the same things.
fn mail_parser_parse(data: &[u8]) -> usize {
    let Some(m) = mail_parser::MessageParser::default().parse(data) else {
        return 0;
    };
    let mut n = m.subject().map_or(0, str::len)
        + m.from().and_then(|a| a.first()).map_or(0, |_| 1)
        + usize::from(m.date().is_some());
    for p in &m.parts {
        n += p.contents().len() + p.text_contents().map_or(0, str::len);
    }
    n
}

fn mailparse_walk(p: &mailparse::ParsedMail<'_>) -> usize {
    if p.subparts.is_empty() {
        let raw = p.get_body_raw().map_or(0, |b| b.len());
        let text = if p.ctype.mimetype.starts_with("text/") {
            p.get_body().map_or(0, |b| b.len())
        } else {
            0
        };
        return raw + text;
    }
    p.subparts.iter().map(mailparse_walk).sum()
}

/// mailparse: parse, read the same headers, decode every leaf (text also to UTF-8).
fn mailparse_parse(data: &[u8]) -> usize {
    use mailparse::MailHeaderMap;
    let Ok(m) = mailparse::parse_mail(data) else {
        return 0;
    };
    let mut n = m.headers.get_first_value("Subject").map_or(0, |s| s.len());
    n += m
        .headers
        .get_first_header("From")
        .and_then(|h| mailparse::addrparse_header(h).ok())
        .map_or(0, |a| a.len());
    n += m
        .headers
        .get_first_value("Date")
        .and_then(|d| mailparse::dateparse(&d).ok())
        .map_or(0, |_| 1);
    n + mailparse_walk(&m)
}

fn time(f: fn(&[u8]) -> usize, data: &[u8], budget: Duration) -> Duration {
    let start = Instant::now();
    let mut runs = 0u32;
    while start.elapsed() < budget || runs < 3 {
        black_box(f(black_box(data)));
        runs += 1;
    }
    start.elapsed() / runs
}

fn ratios(sets: &[(&'static str, Vec<u8>)]) {
    println!("\nparse + decode, mean time per message (ratio = peer time / mailwire time)");
    println!(
        "{:<14}{:>10}{:>12}{:>13}{:>8}{:>12}{:>8}",
        "set", "bytes", "mailwire", "mail-parser", "ratio", "mailparse", "ratio"
    );
    for (name, data) in sets {
        let budget = Duration::from_millis(400);
        let ours = time(mailwire_parse, data, budget);
        let mp = time(mail_parser_parse, data, budget);
        let mps = time(mailparse_parse, data, budget);
        println!(
            "{name:<14}{:>10}{:>10.1}us{:>11.1}us{:>8.2}{:>10.1}us{:>8.2}",
            data.len(),
            ours.as_secs_f64() * 1e6,
            mp.as_secs_f64() * 1e6,
            mp.as_secs_f64() / ours.as_secs_f64(),
            mps.as_secs_f64() * 1e6,
            mps.as_secs_f64() / ours.as_secs_f64(),
        );
    }
    println!();
}

fn bench(c: &mut Criterion) {
    let sets = fixtures();
    for (_, data) in &sets {
        // The three readers must agree that there is something to read.
        assert!(
            mailwire_parse(data) > 0 && mail_parser_parse(data) > 0 && mailparse_parse(data) > 0
        );
    }
    ratios(&sets);
    for (name, data) in &sets {
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

criterion_group!(benches, bench, bench_structure_pass);
criterion_main!(benches);
