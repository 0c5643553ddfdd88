//! One structure parse and one pass of the borrowed accessors an IMAP server uses to
//! write ENVELOPE and BODYSTRUCTURE, over a generated corpus; a target for profilers:
//!
//! ```text
//! valgrind --tool=callgrind --toggle-collect='structure_pass::parse_and_read' \
//!     target/release/examples/structure_pass
//! ```

use std::hint::black_box;

use mailwire_mime::{Message, Part};

const COUNT: u32 = 10_000;

/// The messages of the IMAP session benchmark.
fn message(n: u32) -> Vec<u8> {
    let head = format!(
        "Date: Wed, 1 May 2024 09:{:02}:00 +0200\r\nFrom: Sender {n} <s{n}@x.test>\r\n\
To: ann@y.test, Bob <bob@z.test>\r\nSubject: report number {n}\r\n\
Message-ID: <{n}@x.test>\r\nMIME-Version: 1.0\r\n",
        n % 60
    );
    let body = match n % 3 {
        0 => "Content-Type: text/plain; charset=utf-8\r\n\r\nThe figures are in.\r\nRegards.\r\n"
            .to_owned(),
        1 => "Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n\
Content-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n--b2\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n<p>html</p>\r\n--b2--\r\n--b1\r\n\
Content-Type: application/pdf; name=r.pdf\r\nContent-Disposition: attachment; filename=r.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjc=\r\n--b1--\r\n"
            .to_owned(),
        _ => {
            "Content-Type: message/rfc822\r\n\r\nSubject: earlier\r\nFrom: c@w.test\r\n\r\nold\r\n"
                .to_owned()
        }
    };
    (head + &body).into_bytes()
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
fn parse_and_read(corpus: &[Vec<u8>]) -> usize {
    let mut sum = 0;
    for raw in corpus {
        let msg = Message::parse_structure(raw);
        sum += read_part(msg.root());
        black_box(&msg);
    }
    sum
}

#[allow(
    clippy::print_stdout,
    reason = "the checksum shows that runs compare like with like"
)]
fn main() {
    let corpus: Vec<Vec<u8>> = (1..=COUNT).map(message).collect();
    let sum = parse_and_read(black_box(&corpus));
    println!("{sum}");
}
