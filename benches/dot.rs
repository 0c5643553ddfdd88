//! Dot-stuffing throughput, beside the memmem loop that bounds it and smtp-proto.
//!
//! The input is CRLF text shaped like a plain-text mail body, one line in 20 starting with
//! `.` ([`support::dotted_text`]). The baseline is the memmem loop
//! ([`support::memmem_stuff`], [`support::memmem_unstuff`]): it finds each `\n.` and copies
//! the runs between, adding or dropping the one dot, and does nothing else.
//!
//! `cargo bench --bench dot` prints criterion's report, then for each set the median of
//! interleaved rounds of every contender as a ratio of the fastest baseline or peer
//! (`benches/support/contest.rs`).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use mailwire::core::dot::{BareLineEnding, DotStuffer, DotUnstuffer, Unstuffed};
use support::contest::{self, ours, reference};

mod support;

const SIZES: [(&str, usize); 2] = [("1MiB", 1 << 20), ("10MiB", 10 << 20)];

fn stuff(content: &[u8], policy: BareLineEnding, out: &mut Vec<u8>) {
    let mut stuffer = DotStuffer::new().with_bare_line_endings(policy);
    stuffer.encode(content, out);
    stuffer.finish(out);
}

fn unstuff(wire: &[u8], policy: BareLineEnding, out: &mut Vec<u8>) {
    let mut unstuffer = DotUnstuffer::new().with_bare_line_endings(policy);
    let done = unstuffer.decode(wire, out);
    assert_eq!(
        done,
        Unstuffed::Done {
            consumed: wire.len()
        }
    );
}

fn smtp_proto_unstuff(wire: &[u8], out: &mut Vec<u8>) {
    let mut receiver = smtp_proto::request::receiver::DataReceiver::new();
    assert!(receiver.ingest(&mut wire.iter(), out));
}

const POLICIES: [(&str, BareLineEnding); 2] = [
    ("normalize", BareLineEnding::Normalize),
    ("keep", BareLineEnding::Keep),
];

/// Every contender gives the same bytes, or the comparison means nothing.
fn check(content: &[u8], wire: &[u8]) {
    let mut expected = Vec::new();
    support::memmem_stuff(content, &mut expected);
    assert_eq!(wire, expected);
    for (_, policy) in POLICIES {
        let mut out = Vec::new();
        stuff(content, policy, &mut out);
        assert_eq!(out, wire);
        out.clear();
        unstuff(wire, policy, &mut out);
        assert_eq!(out, content);
    }
    let mut out = Vec::new();
    assert_eq!(support::memmem_unstuff(wire, &mut out), Some(wire.len()));
    assert_eq!(out, content);
    out.clear();
    smtp_proto_unstuff(wire, &mut out);
    assert_eq!(out, content);
}

fn bench(c: &mut Criterion) {
    for (name, size) in SIZES {
        let content = support::dotted_text(size);
        let mut wire = Vec::new();
        support::memmem_stuff(&content, &mut wire);
        check(&content, &wire);
        let mut out = Vec::with_capacity(wire.len() + 16);

        let mut group = c.benchmark_group("dot-encode");
        group.throughput(Throughput::Bytes(content.len() as u64));
        group.bench_function(BenchmarkId::new("memmem-loop", name), |b| {
            b.iter(|| {
                out.clear();
                support::memmem_stuff(black_box(&content), &mut out);
            });
        });
        for (label, policy) in POLICIES {
            group.bench_function(BenchmarkId::new(label, name), |b| {
                b.iter(|| {
                    out.clear();
                    stuff(black_box(&content), policy, &mut out);
                });
            });
        }
        group.finish();

        let mut group = c.benchmark_group("dot-decode");
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_function(BenchmarkId::new("memmem-loop", name), |b| {
            b.iter(|| {
                out.clear();
                support::memmem_unstuff(black_box(&wire), &mut out);
            });
        });
        group.bench_function(BenchmarkId::new("smtp-proto", name), |b| {
            b.iter(|| {
                out.clear();
                smtp_proto_unstuff(black_box(&wire), &mut out);
            });
        });
        for (label, policy) in POLICIES {
            group.bench_function(BenchmarkId::new(label, name), |b| {
                b.iter(|| {
                    out.clear();
                    unstuff(black_box(&wire), policy, &mut out);
                });
            });
        }
        group.finish();
    }
}

/// The interleaved comparison of every contender on the 1 MiB text.
fn contests() {
    let content = support::dotted_text(1 << 20);
    let mut wire = Vec::new();
    support::memmem_stuff(&content, &mut wire);
    check(&content, &wire);
    // One output buffer each, sized once, as a streaming writer would keep it.
    let outs: Vec<std::cell::RefCell<Vec<u8>>> = (0..4)
        .map(|_| std::cell::RefCell::new(Vec::with_capacity(wire.len() + 16)))
        .collect();
    let run = |i: usize, f: &dyn Fn(&mut Vec<u8>)| {
        let mut out = outs[i].borrow_mut();
        out.clear();
        f(&mut out);
        black_box(out.len());
    };

    contest::compare(
        "dot-encode/1MiB",
        vec![
            reference("memmem-loop", || {
                run(0, &|out| support::memmem_stuff(black_box(&content), out));
            }),
            ours("mailwire-normalize", || {
                run(1, &|out| {
                    stuff(black_box(&content), BareLineEnding::Normalize, out);
                });
            }),
            ours("mailwire-keep", || {
                run(2, &|out| {
                    stuff(black_box(&content), BareLineEnding::Keep, out);
                });
            }),
        ],
    );
    contest::compare(
        "dot-decode/1MiB",
        vec![
            reference("memmem-loop", || {
                run(0, &|out| {
                    support::memmem_unstuff(black_box(&wire), out);
                });
            }),
            reference("smtp-proto", || {
                run(3, &|out| smtp_proto_unstuff(black_box(&wire), out));
            }),
            ours("mailwire-normalize", || {
                run(1, &|out| {
                    unstuff(black_box(&wire), BareLineEnding::Normalize, out);
                });
            }),
            ours("mailwire-keep", || {
                run(2, &|out| {
                    unstuff(black_box(&wire), BareLineEnding::Keep, out);
                });
            }),
        ],
    );
}

fn main() {
    if !contest::profiling() {
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c);
        c.final_summary();
    }
    contests();
}
