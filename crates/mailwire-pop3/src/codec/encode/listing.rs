//! Encoding multi-line bodies: `LIST`, `UIDL` and `CAPA` answers.

use bytes::BufMut;

use crate::types::capability::Capability;
use crate::types::listing::{ScanListing, UniqueIdListing};

/// Writes lines, each dot-stuffed and ended with CRLF, then the `.` CRLF terminator.
pub fn encode_lines<'a>(lines: impl IntoIterator<Item = &'a [u8]>, out: &mut impl BufMut) {
    for line in lines {
        if line.first() == Some(&b'.') {
            out.put_u8(b'.');
        }
        out.put_slice(line);
        out.put_slice(b"\r\n");
    }
    out.put_slice(b".\r\n");
}

/// Writes the body of a `LIST` answer, terminator included.
pub fn encode_scan_listings(listings: &[ScanListing], out: &mut impl BufMut) {
    for l in listings {
        l.encode(out);
        out.put_slice(b"\r\n");
    }
    out.put_slice(b".\r\n");
}

/// Writes the body of a `UIDL` answer, terminator included.
pub fn encode_unique_id_listings(listings: &[UniqueIdListing], out: &mut impl BufMut) {
    for l in listings {
        l.encode(out);
        out.put_slice(b"\r\n");
    }
    out.put_slice(b".\r\n");
}

/// Writes the body of a `CAPA` answer, terminator included.
pub fn encode_capabilities(capabilities: &[Capability], out: &mut impl BufMut) {
    let lines: Vec<Vec<u8>> = capabilities
        .iter()
        .map(|c| {
            let mut l = Vec::new();
            c.encode(&mut l);
            l
        })
        .collect();
    encode_lines(lines.iter().map(Vec::as_slice), out);
}
