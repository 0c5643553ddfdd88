//! SCRAM-SHA-256 (RFC 5802, RFC 7677): the message grammar, the key derivation, and the
//! stored keys a server keeps instead of the password.
//!
//! ```text
//! client-first-message = gs2-header client-first-message-bare
//! gs2-header           = gs2-cbind-flag "," [ authzid ] ","
//! gs2-cbind-flag       = ("p=" cb-name) / "n" / "y"
//! client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
//! server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]
//! client-final-message = channel-binding "," nonce ["," extensions] "," proof
//! server-final-message = (server-error / verifier) ["," extensions]
//!
//! SaltedPassword  := Hi(Normalize(password), salt, i)
//! ClientKey       := HMAC(SaltedPassword, "Client Key")
//! StoredKey       := H(ClientKey)
//! AuthMessage     := client-first-message-bare + "," + server-first-message + "," +
//!                    client-final-message-without-proof
//! ClientSignature := HMAC(StoredKey, AuthMessage)
//! ClientProof     := ClientKey XOR ClientSignature
//! ServerKey       := HMAC(SaltedPassword, "Server Key")
//! ServerSignature := HMAC(ServerKey, AuthMessage)
//! ```
//!
//! # Normalisation
//!
//! RFC 5802 normalises passwords and user names with SASLprep (RFC 4013). This crate
//! implements only its identity case: strings are used as their UTF-8 bytes, unchanged.
//! That is exact for ASCII without control characters — what almost every password and
//! user name is — and gives the same keys as a full SASLprep for any string that NFKC
//! leaves unchanged and that has no mapped-to-nothing or space characters. A peer that
//! applies full SASLprep to a password it changes (for example one containing U+00A0
//! NO-BREAK SPACE or a compatibility character) derives different keys, and
//! authentication fails rather than succeeding wrongly.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use mailwire_core::Secret;
use sha2::{Digest, Sha256};

use crate::error::{AuthError, ClientError, InvalidInput};
use crate::gs2;

/// The largest iteration count a client agrees to compute, so that a hostile server
/// cannot make it spin. RFC 7677 §4 asks for at least 4096; deployments use up to a few
/// hundred thousand.
pub const MAX_ITERATIONS: u32 = 10_000_000;

/// The smallest iteration count a client accepts by default: RFC 7677 §4's minimum.
///
/// The count comes from the server-first message, which a man in the middle can write.
/// With a low count, the client's proof makes offline guessing of the password cheap, so
/// the client refuses it before computing anything. Lower it only for a server known to
/// use fewer, with [`ClientExchange::with_min_iterations`](crate::ClientExchange::with_min_iterations).
pub const MIN_ITERATIONS: u32 = 4096;

/// What a SCRAM-SHA-256 server stores for a user instead of the password (RFC 5802 §3).
///
/// Derive it once, when the password is set, with [`ScramKeys::derive`], and keep the
/// four fields. The stored key and the server key are not the password, but whoever holds
/// them can impersonate the server to the user, and can try passwords offline: keep them
/// as secret as password hashes. `Debug` redacts both keys.
///
/// ```
/// use mailwire_sasl::ScramKeys;
///
/// let keys = ScramKeys::derive("pencil", b"salt of this user", 4096);
/// assert_eq!(keys.iterations(), 4096);
/// let printed = format!("{keys:?}");
/// assert!(printed.contains("stored_key: Secret([redacted])"));
/// assert!(!printed.contains(&format!("{:?}", keys.stored_key().expose())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScramKeys {
    salt: Vec<u8>,
    iterations: u32,
    stored_key: Secret<[u8; 32]>,
    server_key: Secret<[u8; 32]>,
}

impl ScramKeys {
    /// Derives the keys from a password with PBKDF2-HMAC-SHA-256.
    ///
    /// The salt should be random and unique per user (16 bytes is usual); `iterations`
    /// should be at least 4096 (RFC 7677 §4). The password is used as its UTF-8 bytes:
    /// see the [module documentation](crate::scram#normalisation) on SASLprep.
    pub fn derive(password: &str, salt: &[u8], iterations: u32) -> Self {
        let salted = salted_password(password.as_bytes(), salt, iterations);
        ScramKeys {
            salt: salt.to_vec(),
            iterations,
            stored_key: Secret::new(sha256(&hmac(&salted, b"Client Key"))),
            server_key: Secret::new(hmac(&salted, b"Server Key")),
        }
    }

    /// Rebuilds keys read back from storage.
    pub fn new(salt: Vec<u8>, iterations: u32, stored_key: [u8; 32], server_key: [u8; 32]) -> Self {
        ScramKeys {
            salt,
            iterations,
            stored_key: Secret::new(stored_key),
            server_key: Secret::new(server_key),
        }
    }

    /// The salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The PBKDF2 iteration count.
    pub const fn iterations(&self) -> u32 {
        self.iterations
    }

    /// `StoredKey = H(HMAC(SaltedPassword, "Client Key"))`.
    pub const fn stored_key(&self) -> &Secret<[u8; 32]> {
        &self.stored_key
    }

    /// `ServerKey = HMAC(SaltedPassword, "Server Key")`.
    pub const fn server_key(&self) -> &Secret<[u8; 32]> {
        &self.server_key
    }
}

pub(crate) fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    let mut out = [0; 32];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(&Sha256::digest(data));
    out
}

fn salted_password(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut out = [0; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
    out
}

fn xor(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

/// Checks a caller-supplied nonce: printable ASCII except `,` (RFC 5802 §7 `printable`).
pub(crate) fn check_nonce(nonce: &str) -> Result<(), InvalidInput> {
    let printable = |b: u8| (0x21..=0x7e).contains(&b) && b != b',';
    if !nonce.is_empty() && nonce.bytes().all(printable) {
        Ok(())
    } else {
        Err(InvalidInput::new("nonce"))
    }
}

/// `saslname`: `,` and `=` escaped as `=2C` and `=3D` (RFC 5802 §5.1).
pub(crate) fn encode_saslname(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

/// The inverse of [`encode_saslname`]; `None` for a stray `=` or a bare `,`.
pub(crate) fn decode_saslname(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find(['=', ',']) {
        out.push_str(&rest[..at]);
        let escape = rest.get(at..at + 3)?;
        out.push(match escape {
            "=2C" => ',',
            "=3D" => '=',
            _ => return None,
        });
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// The parts of a client-first-message the server keeps.
#[derive(Debug)]
pub(crate) struct ClientFirst {
    /// The GS2 header exactly as sent, which the client-final's `c=` must repeat.
    pub(crate) gs2_header: String,
    pub(crate) authzid: Option<String>,
    pub(crate) username: String,
    pub(crate) nonce: String,
    pub(crate) bare: String,
}

pub(crate) fn parse_client_first(message: &[u8]) -> Result<ClientFirst, AuthError> {
    let gs2::Gs2 {
        header,
        authzid,
        rest: bare,
    } = gs2::split(message)?;
    let gs2_header = header.to_owned();

    let mut attributes = bare.split(',');
    let username = match attributes.next() {
        Some(m) if m.starts_with("m=") => return Err(AuthError::UnsupportedExtension),
        Some(n) => n
            .strip_prefix("n=")
            .and_then(decode_saslname)
            .filter(|name| !name.is_empty())
            .ok_or(AuthError::malformed("bad username"))?,
        None => return Err(AuthError::malformed("no username")),
    };
    let nonce = attributes
        .next()
        .and_then(|r| r.strip_prefix("r="))
        .filter(|nonce| check_nonce(nonce).is_ok())
        .ok_or(AuthError::malformed("bad nonce"))?;
    Ok(ClientFirst {
        gs2_header,
        authzid,
        username,
        nonce: nonce.to_owned(),
        bare: bare.to_owned(),
    })
}

pub(crate) fn server_first(nonce: &str, keys: &ScramKeys) -> String {
    format!(
        "r={nonce},s={},i={}",
        STANDARD.encode(&keys.salt),
        keys.iterations
    )
}

/// Checks a client-final-message against the exchange so far; gives the server-final
/// message's signature when the proof is right.
pub(crate) fn verify_client_final(
    message: &[u8],
    first: &ClientFirst,
    server_first: &str,
    nonce: &str,
    keys: &ScramKeys,
) -> Result<[u8; 32], AuthError> {
    let message = std::str::from_utf8(message).map_err(|_| AuthError::malformed("not UTF-8"))?;
    let (without_proof, proof) = message
        .rsplit_once(",p=")
        .ok_or(AuthError::malformed("no proof"))?;
    let mut attributes = without_proof.split(',');
    let binding = attributes
        .next()
        .and_then(|c| c.strip_prefix("c="))
        .ok_or(AuthError::malformed("no channel binding"))?;
    if STANDARD.decode(binding).ok().as_deref() != Some(first.gs2_header.as_bytes()) {
        return Err(AuthError::malformed(
            "channel binding does not repeat the GS2 header",
        ));
    }
    if attributes.next().and_then(|r| r.strip_prefix("r=")) != Some(nonce) {
        return Err(AuthError::malformed("wrong nonce"));
    }
    let proof: [u8; 32] = STANDARD
        .decode(proof)
        .ok()
        .and_then(|proof| proof.try_into().ok())
        .ok_or(AuthError::malformed("bad proof"))?;

    let auth_message = format!("{},{server_first},{without_proof}", first.bare);
    let client_signature = hmac(keys.stored_key.expose(), auth_message.as_bytes());
    let client_key = xor(&proof, &client_signature);
    if !mailwire_core::constant_time_eq(&sha256(&client_key), keys.stored_key.expose()) {
        return Err(AuthError::Credentials);
    }
    Ok(hmac(keys.server_key.expose(), auth_message.as_bytes()))
}

pub(crate) fn server_final(signature: &[u8; 32]) -> String {
    format!("v={}", STANDARD.encode(signature))
}

/// The client's side, after its first message.
#[derive(Debug)]
pub(crate) struct ClientState {
    password: Secret<String>,
    gs2_header: String,
    bare: String,
    nonce: String,
}

impl ClientState {
    /// The client-first-message and the state to answer the server with.
    pub(crate) fn start(
        authzid: Option<&str>,
        username: &str,
        password: Secret<String>,
        nonce: &str,
    ) -> (String, Self) {
        let gs2_header = match authzid {
            Some(authzid) => format!("n,a={},", encode_saslname(authzid)),
            None => String::from("n,,"),
        };
        let bare = format!("n={},r={nonce}", encode_saslname(username));
        let message = format!("{gs2_header}{bare}");
        (
            message,
            ClientState {
                password,
                gs2_header,
                bare,
                nonce: nonce.to_owned(),
            },
        )
    }

    /// Answers the server-first-message: the client-final-message, and the server
    /// signature to expect. Iteration counts below `min_iterations` are refused.
    pub(crate) fn answer(
        &self,
        server_first: &[u8],
        min_iterations: u32,
    ) -> Result<(String, [u8; 32]), ClientError> {
        let malformed = |reason| ClientError::Malformed { reason };
        let server_first = std::str::from_utf8(server_first).map_err(|_| malformed("not UTF-8"))?;
        let mut attributes = server_first.split(',');
        let nonce = attributes
            .next()
            .and_then(|r| r.strip_prefix("r="))
            .ok_or(malformed("no nonce"))?;
        if nonce.len() <= self.nonce.len() || !nonce.starts_with(&self.nonce) {
            return Err(ClientError::NonceMismatch);
        }
        check_nonce(nonce).map_err(|_| malformed("bad nonce"))?;
        let salt = attributes
            .next()
            .and_then(|s| s.strip_prefix("s="))
            .and_then(|s| STANDARD.decode(s).ok())
            .ok_or(malformed("bad salt"))?;
        let iterations: u32 = attributes
            .next()
            .and_then(|i| i.strip_prefix("i="))
            .and_then(|i| i.parse().ok())
            .ok_or(malformed("bad iteration count"))?;
        if iterations == 0 || iterations > MAX_ITERATIONS {
            return Err(ClientError::IterationCount(iterations));
        }
        if iterations < min_iterations {
            return Err(ClientError::IterationCountTooLow {
                got: iterations,
                minimum: min_iterations,
            });
        }

        let without_proof = format!("c={},r={nonce}", STANDARD.encode(&self.gs2_header));
        let auth_message = format!("{},{server_first},{without_proof}", self.bare);
        let salted = salted_password(self.password.expose().as_bytes(), &salt, iterations);
        let client_key = hmac(&salted, b"Client Key");
        let client_signature = hmac(&sha256(&client_key), auth_message.as_bytes());
        let proof = xor(&client_key, &client_signature);
        let server_signature = hmac(&hmac(&salted, b"Server Key"), auth_message.as_bytes());
        Ok((
            format!("{without_proof},p={}", STANDARD.encode(proof)),
            server_signature,
        ))
    }
}

/// Checks a server-final-message against the signature [`ClientState::answer`] expects.
pub(crate) fn check_server_final(message: &[u8], expected: &[u8; 32]) -> Result<(), ClientError> {
    let message = std::str::from_utf8(message).map_err(|_| ClientError::Malformed {
        reason: "not UTF-8",
    })?;
    let first = message.split(',').next().unwrap_or_default();
    if let Some(error) = first.strip_prefix("e=") {
        return Err(ClientError::ServerError(error.to_owned()));
    }
    let signature = first
        .strip_prefix("v=")
        .and_then(|v| STANDARD.decode(v).ok())
        .ok_or(ClientError::Malformed {
            reason: "no verifier",
        })?;
    if mailwire_core::constant_time_eq(&signature, expected) {
        Ok(())
    } else {
        Err(ClientError::ServerSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saslnames_escape_comma_and_equals() {
        assert_eq!(encode_saslname("a,b=c"), "a=2Cb=3Dc");
        assert_eq!(decode_saslname("a=2Cb=3Dc").as_deref(), Some("a,b=c"));
        assert_eq!(decode_saslname("plain").as_deref(), Some("plain"));
        for bad in ["a=", "a=2", "a=2D", "a,b", "=41"] {
            assert_eq!(decode_saslname(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn nonces_are_printable_without_comma() {
        assert_eq!(check_nonce("rOprNGfwEbeRWgbNEkqO"), Ok(()));
        assert_eq!(check_nonce("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"), Ok(()));
        for bad in ["", "a,b", "a b", "é", "a\x7f"] {
            assert_eq!(check_nonce(bad), Err(InvalidInput::new("nonce")), "{bad:?}");
        }
    }

    #[test]
    fn rfc_7677_stored_keys() {
        // The keys behind RFC 7677 §3's example, checked through its messages in
        // tests/rfc_vectors.rs; here, that derive and new agree.
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let keys = ScramKeys::derive("pencil", &salt, 4096);
        let again = ScramKeys::new(
            salt,
            4096,
            *keys.stored_key().expose(),
            *keys.server_key().expose(),
        );
        assert_eq!(keys, again);
        assert_ne!(keys, ScramKeys::derive("pencil", b"other salt", 4096));
    }
}
