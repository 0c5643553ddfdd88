//! FETCH of FLAGS, ENVELOPE and BODYSTRUCTURE for 10,000 messages: through the server
//! session (command decoding, the mailbox view, MIME parsing of every message, response
//! encoding) beside the codec alone encoding the same, already computed, responses.
//! Before criterion runs, a timing pass prints the session's time relative to the codec's
//! (the target is at most 2), as the median of rounds that time both back to back: once
//! for a FETCH that finds nothing in the session's item cache (every message parsed, as
//! on a mailbox's first FETCH), once for a FETCH repeated within the cache's budget.

#![allow(clippy::print_stdout, reason = "the benchmark prints its ratio")]

use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod support;
use mailwire::core::Session as _;
use mailwire::imap::codec::encode_response;
use mailwire::imap::message::ParsedMessage;
use mailwire::imap::server::{Config, Event, MailboxSnapshot, MessageInfo, Session, StoredMessage};
use mailwire::imap::types::{Date, DateTime, Flag, Response};
use mailwire::sasl::AuthAnswer;

const COUNT: u32 = 10_000;
const FETCH: &[u8] = b"f FETCH 1:* (FLAGS ENVELOPE BODYSTRUCTURE)\r\n";

fn stored() -> Vec<StoredMessage> {
    (1..=COUNT)
        .map(|uid| StoredMessage {
            uid,
            raw: support::fetch_message(uid).into(),
        })
        .collect()
}

/// A session logged in with INBOX selected, keeping `cache_bytes` of FETCH items.
fn selected(cache_bytes: usize) -> Session {
    let mut config = Config::default();
    config.plaintext_auth = true;
    config.fetch_cache_bytes = cache_bytes;
    let mut s = Session::new(config);
    s.receive(b"a LOGIN u p\r\nb SELECT INBOX\r\n");
    while let Some(e) = s.poll_event() {
        match e {
            Event::Auth { .. } => s.answer_auth(AuthAnswer::Accept).unwrap(),
            Event::Select { .. } => s
                .open_mailbox(MailboxSnapshot {
                    uid_validity: NonZeroU32::MIN,
                    uid_next: NonZeroU32::new(COUNT + 1).unwrap(),
                    flags: vec![Flag::Seen],
                    keywords_allowed: true,
                    messages: (1..=COUNT)
                        .map(|uid| MessageInfo {
                            uid,
                            flags: if uid % 2 == 0 {
                                vec![Flag::Seen]
                            } else {
                                vec![]
                            },
                            recent: false,
                            internal_date: DateTime::new(
                                Date::new(2024, 5, 1).unwrap(),
                                9,
                                30,
                                0,
                                120,
                            )
                            .unwrap(),
                            size: u32::try_from(support::fetch_message(uid).len()).unwrap(),
                        })
                        .collect(),
                })
                .unwrap(),
            _ => {}
        }
    }
    while s.transmit().is_some() {}
    s
}

/// One FETCH through the session; the store hands over its messages by value, as a
/// store reading them from disk would.
fn through_session(s: &mut Session, messages: &[StoredMessage]) -> usize {
    s.receive(FETCH);
    while let Some(e) = s.poll_event() {
        if let Event::Messages { .. } = e {
            s.provide_messages(messages.to_vec()).unwrap();
        }
    }
    let mut n = 0;
    while let Some(b) = s.transmit() {
        n += b.len();
    }
    n
}

fn codec_alone(responses: &[Response], out: &mut Vec<u8>) -> usize {
    out.clear();
    for r in responses {
        encode_response(r, out);
    }
    out.len()
}

/// The responses the session sends, decoded once so that the codec encodes the same.
fn responses(s: &mut Session, messages: &[StoredMessage]) -> Vec<Response> {
    s.receive(FETCH);
    while let Some(e) = s.poll_event() {
        if let Event::Messages { .. } = e {
            s.provide_messages(messages.to_vec()).unwrap();
        }
    }
    let mut wire = Vec::new();
    while let Some(b) = s.transmit() {
        wire.extend_from_slice(&b);
    }
    let limits = mailwire::imap::codec::Limits::default();
    let mut out = Vec::new();
    let mut rest = &wire[..];
    while let Ok(mailwire::imap::codec::Decoded::Complete { value, consumed }) =
        mailwire::imap::codec::decode_response(rest, &limits)
    {
        out.push(value);
        rest = &rest[consumed..];
    }
    assert!(rest.is_empty());
    out
}

/// The mean time of `f` over calls repeated for `budget`, in milliseconds, after a first
/// untimed call: a steady state, as a server answering one FETCH after another would be in.
fn time(f: &mut impl FnMut() -> usize, budget: Duration) -> f64 {
    // One call first, untimed, to bring its data into the caches after the other work.
    black_box(f());
    let start = Instant::now();
    let mut runs = 0u32;
    while start.elapsed() < budget || runs < 3 {
        black_box(f());
        runs += 1;
    }
    start.elapsed().as_secs_f64() * 1e3 / f64::from(runs)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Rounds of the timing pass: each times the codec and the sessions for [`BLOCK`] apiece,
/// back to back, so that a slow spell of the machine weighs on both sides of a ratio alike.
const ROUNDS: usize = 15;
const BLOCK: Duration = Duration::from_millis(300);

fn bench(c: &mut Criterion) {
    let messages = stored();
    let mut session = selected(Config::default().fetch_cache_bytes);
    let mut uncached = selected(0);
    let fetched = responses(&mut session, &messages);
    assert_eq!(fetched.len(), COUNT as usize + 1);
    let mut out = Vec::new();
    let bytes = codec_alone(&fetched, &mut out);
    assert_eq!(through_session(&mut session, &messages), bytes);
    assert_eq!(through_session(&mut uncached, &messages), bytes);

    // The share of the uncached session's time spent computing the items from raw messages.
    let mut items = Vec::new();
    let mut model = || {
        messages
            .iter()
            .map(|m| {
                let p = ParsedMessage::parse(&m.raw);
                items.clear();
                p.write_envelope(&mut items);
                p.write_body_structure(true, &mut items);
                items.len()
            })
            .sum()
    };
    let (mut codec, mut first, mut again, mut computing) = (vec![], vec![], vec![], vec![]);
    let (mut first_ratio, mut again_ratio) = (vec![], vec![]);
    for _ in 0..ROUNDS {
        let c = time(&mut || codec_alone(&fetched, &mut out), BLOCK);
        let f = time(&mut || through_session(&mut uncached, &messages), BLOCK);
        let a = time(&mut || through_session(&mut session, &messages), BLOCK);
        computing.push(time(&mut model, BLOCK));
        first_ratio.push(f / c);
        again_ratio.push(a / c);
        codec.push(c);
        first.push(f);
        again.push(a);
    }
    println!(
        "\nFETCH 1:{COUNT} (FLAGS ENVELOPE BODYSTRUCTURE), {bytes} bytes, medians of {ROUNDS} \
rounds: codec alone {:.1} ms\n\
  nothing cached (first FETCH): session {:.1} ms, ratio {:.2}; parsing the messages and \
writing ENVELOPE and BODYSTRUCTURE takes {:.1} ms of it\n\
  items cached (FETCH again):   session {:.1} ms, ratio {:.2}\n",
        median(codec),
        median(first),
        median(first_ratio),
        median(computing),
        median(again),
        median(again_ratio),
    );

    let mut g = c.benchmark_group("imap_session/fetch_10000");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("session_uncached", |b| {
        b.iter(|| through_session(&mut uncached, &messages));
    });
    g.bench_function("session_cached", |b| {
        b.iter(|| through_session(&mut session, &messages));
    });
    g.bench_function("codec", |b| b.iter(|| codec_alone(&fetched, &mut out)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
