//! Encoding replies.

use bytes::BufMut;

use crate::types::reply::{EnhancedCode, Reply, ReplyCode};

/// Writes the reply, every line ending in CRLF.
pub fn encode_reply(reply: &Reply, out: &mut impl BufMut) {
    let digits = reply.code.digits();
    let mut lines = reply.lines().peekable();
    while let Some(line) = lines.next() {
        out.put_slice(&digits);
        let has_text = reply.enhanced.is_some() || !line.is_empty();
        if lines.peek().is_some() {
            out.put_u8(b'-');
        } else if has_text {
            out.put_u8(b' ');
        }
        if let Some(e) = reply.enhanced {
            e.encode(out);
            if !line.is_empty() {
                out.put_u8(b' ');
            }
        }
        out.put_slice(line.as_bytes());
        out.put_slice(b"\r\n");
    }
}

impl Reply {
    /// Writes the reply, every line ending in CRLF (as [`encode_reply`]).
    pub fn encode(&self, out: &mut impl BufMut) {
        encode_reply(self, out);
    }
}

impl ReplyCode {
    fn digits(self) -> [u8; 3] {
        let digit = |n: u16| b'0' + u8::try_from(n % 10).unwrap_or(0);
        [digit(self.0 / 100), digit(self.0 / 10), digit(self.0)]
    }
}

impl EnhancedCode {
    fn encode(self, out: &mut impl BufMut) {
        out.put_u8(b'0' + self.class);
        out.put_u8(b'.');
        crate::types::grammar::put_u64(out, u64::from(self.subject));
        out.put_u8(b'.');
        crate::types::grammar::put_u64(out, u64::from(self.detail));
    }
}
