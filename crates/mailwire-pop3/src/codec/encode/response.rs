//! Encoding status lines.

use bytes::BufMut;

use crate::types::response::Response;

/// Writes the line, CRLF included.
pub fn encode_response(response: &Response, out: &mut impl BufMut) {
    out.put_slice(response.status.as_str().as_bytes());
    if let Some(code) = &response.code {
        out.put_slice(b" [");
        out.put_slice(code.as_str().as_bytes());
        out.put_u8(b']');
    }
    if !response.text.is_empty() {
        out.put_u8(b' ');
        out.put_slice(response.text.as_bytes());
    }
    out.put_slice(b"\r\n");
}

impl Response {
    /// Writes the line, CRLF included (as [`encode_response`]).
    pub fn encode(&self, out: &mut impl BufMut) {
        encode_response(self, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::types::response::{Response, ResponseCode, Status};

    fn line(r: &Response) -> Vec<u8> {
        let mut out = Vec::new();
        r.encode(&mut out);
        out
    }

    #[test]
    fn encodes_exact_bytes() {
        let r = Response::with_code(Status::Err, Some(ResponseCode::Auth), "bad password").unwrap();
        assert_eq!(line(&r), b"-ERR [AUTH] bad password\r\n");
        assert_eq!(line(&Response::new(Status::Ok, "").unwrap()), b"+OK\r\n");
        assert_eq!(r.to_string(), "-ERR [AUTH] bad password");
    }
}
