//! Shared pieces of the benchmarks: realistic message bodies and ratio reports.

#![allow(dead_code, reason = "each bench uses the part it needs")]

use std::path::PathBuf;

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
