//! Side-by-side comparisons that a skeptic can accept: every contender runs on the same
//! bytes, in interleaved rounds (so that a burst of load elsewhere on the machine hits all
//! of them alike), and each is judged by its median time per iteration.
//!
//! Each set prints every contender's median time, then each mailwire contender's throughput
//! as a ratio of the fastest *reference* (a peer crate, or a baseline that does only the work
//! that cannot be avoided), taken round by round:
//!
//! ```text
//! contest dot-decode/1MiB: median per iteration: memmem-loop 61.2 µs, smtp-proto 88.0 µs, ...
//! ratio dot-decode/1MiB/mailwire-normalize: 0.93x memmem-loop
//! ```
//!
//! Samples are short (about 2 ms) and many, so that on a busy machine most of them run
//! without being preempted and the median is one of those.
//!
//! Environment:
//! - `MAILWIRE_BENCH_ROUNDS`: rounds per set (default 31).
//! - `MAILWIRE_BENCH_PROFILE=set/contender` with `MAILWIRE_BENCH_PROFILE_ITERS=n` (default
//!   100): run only that contender, `n` times, inside [`profiled`] and nothing else, for
//!   `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*profiled*'`.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// What a contender is to the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A peer crate or a baseline: the fastest of these is the yardstick.
    Reference,
    /// A mailwire contender, reported as a ratio of the yardstick.
    Ours,
}

/// One contender of a set.
pub(crate) struct Contender<'a> {
    name: &'static str,
    role: Role,
    run: Box<dyn FnMut() + 'a>,
}

/// A reference contender: a peer crate or a baseline.
pub(crate) fn reference<'a>(name: &'static str, run: impl FnMut() + 'a) -> Contender<'a> {
    Contender {
        name,
        role: Role::Reference,
        run: Box::new(run),
    }
}

/// A mailwire contender.
pub(crate) fn ours<'a>(name: &'static str, run: impl FnMut() + 'a) -> Contender<'a> {
    Contender {
        name,
        role: Role::Ours,
        run: Box::new(run),
    }
}

/// How long one sample of one contender should take: short, so that most samples run
/// without being preempted.
const SAMPLE: Duration = Duration::from_millis(2);

/// Whether the comparisons run at all: not under `--test` or `--list`, not when
/// profiling another set, and only for sets whose name holds the command line's filter.
fn wanted(set: &str) -> bool {
    if let Ok(target) = std::env::var("MAILWIRE_BENCH_PROFILE") {
        return target.starts_with(&format!("{set}/"));
    }
    // Criterion's options that take a value, whose value is not a filter.
    const VALUED: [&str; 12] = [
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--profile-time",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--nresamples",
    ];
    let mut args = std::env::args().skip(1);
    let mut filter = None;
    while let Some(arg) = args.next() {
        if arg == "--test" || arg == "--list" {
            return false;
        }
        if VALUED.contains(&arg.as_str()) {
            args.next();
        } else if !arg.starts_with('-') {
            filter = Some(arg);
        }
    }
    filter.is_none_or(|f| set.contains(&f))
}

/// Whether this process profiles one contender instead of benchmarking.
pub(crate) fn profiling() -> bool {
    std::env::var_os("MAILWIRE_BENCH_PROFILE").is_some()
}

/// Runs `run` `iterations` times; the frame callgrind's `--toggle-collect` looks for.
#[inline(never)]
pub(crate) fn profiled(run: &mut dyn FnMut(), iterations: u64) {
    for _ in 0..iterations {
        run();
    }
}

/// Runs one set and prints its ratios; `set` names it in the report (`group/input`).
pub(crate) fn compare(set: &str, mut contenders: Vec<Contender<'_>>) {
    if !wanted(set) {
        return;
    }
    if let Ok(target) = std::env::var("MAILWIRE_BENCH_PROFILE") {
        let iterations = std::env::var("MAILWIRE_BENCH_PROFILE_ITERS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(100);
        if let Some(c) = contenders
            .iter_mut()
            .find(|c| format!("{set}/{}", c.name) == target)
        {
            profiled(&mut c.run, iterations);
        }
        return;
    }
    let rounds: usize = std::env::var("MAILWIRE_BENCH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(31);
    let sample_ns = SAMPLE.as_secs_f64() * 1e9;
    // Iterations per sample, so that each contender's sample takes about `SAMPLE`.
    let iterations: Vec<u32> = contenders
        .iter_mut()
        .map(|c| {
            let mut n = 1u32;
            loop {
                let start = Instant::now();
                for _ in 0..n {
                    (c.run)();
                }
                let took = start.elapsed().as_secs_f64() * 1e9;
                if took >= sample_ns / 4.0 || n >= 1 << 24 {
                    let per = took.max(1.0) / f64::from(n);
                    let want = (sample_ns / per).ceil();
                    // A count of iterations, bounded above: the cast cannot truncate.
                    #[allow(clippy::cast_possible_truncation, reason = "clamped first")]
                    break want.clamp(1.0, f64::from(1u32 << 24)) as u32;
                }
                n *= 2;
            }
        })
        .collect();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); contenders.len()];
    for round in 0..rounds {
        // A different contender goes first in each round.
        for k in 0..contenders.len() {
            let i = (round + k) % contenders.len();
            let run = &mut contenders[i].run;
            let start = Instant::now();
            for _ in 0..iterations[i] {
                run();
            }
            let per = start.elapsed().as_secs_f64() / f64::from(iterations[i]);
            samples[i].push(black_box(per));
        }
    }
    report(set, &contenders, &samples);
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    }
}

/// Prints each contender's median time, and each mailwire contender's ratio to the fastest
/// reference (by median): the median over rounds of the ratio of the two samples taken in
/// the same round, which a burst of load elsewhere on the machine moves less than the ratio
/// of the medians.
#[allow(clippy::print_stdout, reason = "the report is the point of a bench")]
fn report(set: &str, contenders: &[Contender<'_>], samples: &[Vec<f64>]) {
    let medians: Vec<f64> = samples.iter().map(|s| median(&mut s.clone())).collect();
    let Some((fastest, best)) = contenders
        .iter()
        .zip(&medians)
        .enumerate()
        .filter(|(_, (c, _))| c.role == Role::Reference)
        .min_by(|a, b| a.1.1.total_cmp(b.1.1))
        .map(|(i, (c, _))| (c.name, i))
    else {
        return;
    };
    let line: Vec<String> = contenders
        .iter()
        .zip(&medians)
        .map(|(c, &t)| format!("{} {}", c.name, show(t)))
        .collect();
    println!("contest {set}: median per iteration: {}", line.join(", "));
    for (c, own) in contenders.iter().zip(samples) {
        if c.role == Role::Ours {
            let mut ratios: Vec<f64> = samples[best].iter().zip(own).map(|(r, o)| r / o).collect();
            println!(
                "ratio {set}/{}: {:.2}x {fastest}",
                c.name,
                median(&mut ratios)
            );
        }
    }
}

/// A time per iteration, in a readable unit.
fn show(seconds: f64) -> String {
    if seconds >= 1e-3 {
        format!("{:.2} ms", seconds * 1e3)
    } else if seconds >= 1e-6 {
        format!("{:.2} µs", seconds * 1e6)
    } else {
        format!("{:.1} ns", seconds * 1e9)
    }
}
