//! The base64 lines SASL travels in, shared by SMTP (RFC 4954), POP3 (RFC 5034) and
//! IMAP (RFC 3501 §6.2.2, RFC 4959).
//!
//! A line here is the text between the protocol's prefix (`334 `, `+ `, the `AUTH` /
//! `AUTHENTICATE` arguments) and the CRLF; framing the line is the protocol's job.
//!
//! ```text
//! client-response = base64 / "=" / "*"      ; "=": empty initial response, "*": cancel
//! server-challenge = base64                  ; possibly empty
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// What a client sent in answer to a challenge, once its line is decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// The decoded bytes, possibly empty.
    Data(Vec<u8>),
    /// The client sent `*`: it abandons the exchange (RFC 4954 §4, RFC 3501 §6.2.2). The
    /// server answers with the protocol's "authentication cancelled" reply (`501`,
    /// `-ERR`, `BAD`).
    Cancel,
}

/// A line was not valid base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64 at byte {offset}")]
pub struct BadBase64 {
    offset: usize,
}

impl BadBase64 {
    /// Where in the line decoding failed.
    pub const fn offset(self) -> usize {
        self.offset
    }
}

/// Decodes a client's response line.
///
/// An empty line and a lone `=` (RFC 4954's spelling of an empty *initial* response,
/// accepted everywhere) are empty data; a lone `*` cancels. Anything else must be padded
/// standard base64 (RFC 4648 §4), with no white space.
///
/// ```
/// use mailwire_sasl::line::{Response, decode_response};
///
/// assert_eq!(decode_response(b"AHRpbQB0YW5zdGFhZg=="), Ok(Response::Data(b"\0tim\0tanstaaf".to_vec())));
/// assert_eq!(decode_response(b"="), Ok(Response::Data(Vec::new())));
/// assert_eq!(decode_response(b"*"), Ok(Response::Cancel));
/// assert_eq!(decode_response(b"dGlt!").unwrap_err().offset(), 4);
/// ```
pub fn decode_response(line: &[u8]) -> Result<Response, BadBase64> {
    match line {
        b"*" => Ok(Response::Cancel),
        b"=" => Ok(Response::Data(Vec::new())),
        _ => decode(line).map(Response::Data),
    }
}

/// Decodes a server's challenge line (the text after `334 ` or `+ `).
///
/// An empty line is an empty challenge.
pub fn decode_challenge(line: &[u8]) -> Result<Vec<u8>, BadBase64> {
    decode(line)
}

/// Encodes a challenge for the server to send: base64, empty for an empty challenge.
///
/// ```
/// use mailwire_sasl::line::encode_challenge;
///
/// assert_eq!(encode_challenge(b"Username:"), "VXNlcm5hbWU6");
/// assert_eq!(encode_challenge(b""), "");
/// ```
pub fn encode_challenge(challenge: &[u8]) -> String {
    STANDARD.encode(challenge)
}

/// Encodes a response for the client to send after a challenge: base64, an empty line
/// for an empty response.
pub fn encode_response(response: &[u8]) -> String {
    STANDARD.encode(response)
}

/// Encodes an initial response, sent with the command (`AUTH PLAIN <ir>`,
/// `AUTHENTICATE PLAIN <ir>`): base64, or `=` when it is empty (RFC 4954 §4, RFC 4959 §3),
/// since an absent argument would mean "no initial response".
///
/// ```
/// use mailwire_sasl::line::encode_initial_response;
///
/// assert_eq!(encode_initial_response(b"\0tim\0tanstaaf"), "AHRpbQB0YW5zdGFhZg==");
/// assert_eq!(encode_initial_response(b""), "=");
/// ```
pub fn encode_initial_response(response: &[u8]) -> String {
    if response.is_empty() {
        String::from("=")
    } else {
        STANDARD.encode(response)
    }
}

fn decode(line: &[u8]) -> Result<Vec<u8>, BadBase64> {
    STANDARD.decode(line).map_err(|error| {
        let offset = match error {
            base64::DecodeError::InvalidByte(offset, _) => offset,
            base64::DecodeError::InvalidLastSymbol { offset, .. } => offset,
            base64::DecodeError::InvalidLength(_) | base64::DecodeError::InvalidPadding => {
                line.len()
            }
        };
        BadBase64 { offset }
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn rfc_4954_examples() {
        // RFC 4954 §4: "S: 334 VXNlcm5hbWU6" ... and the PLAIN initial response.
        assert_eq!(decode_challenge(b"VXNlcm5hbWU6"), Ok(b"Username:".to_vec()));
        assert_eq!(
            decode_response(b"dGVzdAB0ZXN0ADEyMzQ="),
            Ok(Response::Data(b"test\0test\x001234".to_vec()))
        );
        assert_eq!(
            encode_initial_response(b"test\0test\x001234"),
            "dGVzdAB0ZXN0ADEyMzQ="
        );
    }

    #[test]
    fn empty_and_cancel() {
        assert_eq!(decode_response(b""), Ok(Response::Data(Vec::new())));
        assert_eq!(decode_response(b"="), Ok(Response::Data(Vec::new())));
        assert_eq!(decode_response(b"*"), Ok(Response::Cancel));
        assert_eq!(decode_challenge(b""), Ok(Vec::new()));
        assert_eq!(encode_response(b""), "");
        assert_eq!(encode_challenge(b""), "");
    }

    #[test]
    fn bad_base64_is_typed_with_its_offset() {
        assert_eq!(decode_response(b"**"), Err(BadBase64 { offset: 0 }));
        assert_eq!(decode_response(b"dGVz dA=="), Err(BadBase64 { offset: 4 }));
        assert_eq!(decode_response(b"dGVzdA"), Err(BadBase64 { offset: 6 }));
        assert_eq!(decode_response(b"dGVzdA==="), Err(BadBase64 { offset: 6 }));
        assert_eq!(decode_challenge(b"=="), Err(BadBase64 { offset: 0 }));
        assert!(
            decode_response(b"dGVzdB==").is_err(),
            "non-zero trailing bits"
        );
    }

    proptest! {
        #[test]
        fn responses_round_trip(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(decode_response(encode_response(&data).as_bytes()), Ok(Response::Data(data.clone())));
            prop_assert_eq!(
                decode_response(encode_initial_response(&data).as_bytes()),
                Ok(Response::Data(data))
            );
        }

        #[test]
        fn challenges_round_trip(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(decode_challenge(encode_challenge(&data).as_bytes()), Ok(data));
        }

        #[test]
        fn decoding_any_line_never_panics(line in proptest::collection::vec(any::<u8>(), 0..100)) {
            match decode_response(&line) {
                Ok(Response::Cancel) => prop_assert_eq!(&line[..], b"*"),
                Ok(Response::Data(data)) => {
                    // Only canonical base64 (or `=`) decodes, so encoding gives the line back.
                    let again = if line == b"=" { encode_initial_response(&data) } else { encode_response(&data) };
                    prop_assert_eq!(again.as_bytes(), &line[..]);
                }
                Err(error) => prop_assert!(error.offset() <= line.len()),
            }
        }
    }
}
