//! Dot-stuffing throughput, beside the memchr copy loop that bounds it.
//!
//! `cargo bench --bench dot` prints, after criterion's report, each direction's throughput
//! as a ratio of the copy loop's on the same buffer.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use mailwire::core::dot::{BareLineEnding, DotStuffer, DotUnstuffer, Unstuffed};

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

fn bench(c: &mut Criterion) {
    for (name, size) in SIZES {
        let content = support::message_body(size);
        let mut wire = Vec::new();
        stuff(&content, BareLineEnding::Normalize, &mut wire);
        let mut out = Vec::with_capacity(wire.len() + 16);

        let mut group = c.benchmark_group("dot-encode");
        group.throughput(Throughput::Bytes(content.len() as u64));
        group.bench_function(BenchmarkId::new("memchr-copy", name), |b| {
            b.iter(|| {
                out.clear();
                support::memchr_copy_lines(black_box(&content), &mut out);
            });
        });
        for (label, policy) in [
            ("normalize", BareLineEnding::Normalize),
            ("keep", BareLineEnding::Keep),
        ] {
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
        group.bench_function(BenchmarkId::new("memchr-copy", name), |b| {
            b.iter(|| {
                out.clear();
                support::memchr_copy_lines(black_box(&wire), &mut out);
            });
        });
        for (label, policy) in [
            ("normalize", BareLineEnding::Normalize),
            ("keep", BareLineEnding::Keep),
        ] {
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

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    let sizes: Vec<&str> = SIZES.iter().map(|(name, _)| *name).collect();
    for group in ["dot-encode", "dot-decode"] {
        support::print_ratios(group, "memchr-copy", &["normalize", "keep"], &sizes);
    }
}
