//! The client side of an exchange.

use mailwire_core::Secret;

use crate::error::{ClientError, InvalidInput};
use crate::line::{decode_challenge, encode_initial_response, encode_response};
use crate::mechanism::Mechanism;
use crate::oauth::{oauthbearer_message, xoauth2_message};
use crate::scram;
use crate::server::cram_md5_digest;

/// The client's half of one SASL exchange, for one mechanism.
///
/// A protocol session drives it:
///
/// 1. build it with the credentials;
/// 2. send the command, with [`initial_response`](Self::initial_response) when the
///    mechanism has one and the protocol allows it (SMTP `AUTH`, POP3 `AUTH`, IMAP with
///    SASL-IR), as a line from [`initial_response_line`](Self::initial_response_line);
/// 3. answer each challenge line (`334 …`, `+ …`) with [`respond_line`](Self::respond_line)
///    (or [`respond`](Self::respond) on decoded bytes);
/// 4. on the server's success reply, call [`finish`](Self::finish), which fails if the
///    server has not proved itself (SCRAM): only then is the exchange a success.
///
/// A server that rejects the credentials ends the exchange with its failure reply; the
/// exchange has nothing to add (for the OAuth mechanisms, [`oauth_error`](Self::oauth_error)
/// gives the server's explanation).
///
/// ```
/// use mailwire_core::Secret;
/// use mailwire_sasl::ClientExchange;
///
/// let mut client = ClientExchange::plain(None, "tim", &Secret::new("tanstaaftanstaaf".into())).unwrap();
/// assert_eq!(client.initial_response().as_deref(), Some(&b"\0tim\0tanstaaftanstaaf"[..]));
/// assert_eq!(client.finish(None), Ok(()));
/// ```
#[derive(Debug)]
pub struct ClientExchange {
    mechanism: Mechanism,
    state: State,
}

#[derive(Debug)]
enum State {
    /// PLAIN, XOAUTH2, OAUTHBEARER: one message, then perhaps an error challenge.
    OneMessage {
        message: Secret<Vec<u8>>,
    },
    Login {
        user: String,
        password: Secret<String>,
    },
    LoginUserSent {
        password: Secret<String>,
    },
    CramMd5 {
        user: String,
        secret: Secret<String>,
    },
    ScramNew {
        message: String,
        state: scram::ClientState,
    },
    ScramAwaitFirst {
        state: scram::ClientState,
    },
    ScramAwaitFinal {
        signature: [u8; 32],
    },
    /// Everything sent (and for SCRAM, the server verified); waiting for the outcome.
    Sent,
    /// The server refused the token and explained why.
    TokenRefused {
        error: Vec<u8>,
    },
    Failed,
}

impl ClientExchange {
    /// PLAIN (RFC 4616): `authzid` is the identity to act as, if not the `authcid` itself.
    ///
    /// Fails if a value contains NUL, or the authcid or password is empty.
    pub fn plain(
        authzid: Option<&str>,
        authcid: &str,
        password: &Secret<String>,
    ) -> Result<Self, InvalidInput> {
        let authzid = authzid.unwrap_or_default();
        let password = password.expose();
        if authzid.contains('\0') {
            return Err(InvalidInput::new("authzid"));
        }
        if authcid.is_empty() || authcid.contains('\0') {
            return Err(InvalidInput::new("authcid"));
        }
        if password.is_empty() || password.contains('\0') {
            return Err(InvalidInput::new("password"));
        }
        let message = format!("{authzid}\0{authcid}\0{password}").into_bytes();
        Ok(Self::with_state(
            Mechanism::Plain,
            State::OneMessage {
                message: Secret::new(message),
            },
        ))
    }

    /// LOGIN: the user name answers the first challenge, the password the second.
    pub fn login(user: &str, password: &Secret<String>) -> Self {
        let password = password.clone();
        Self::with_state(
            Mechanism::Login,
            State::Login {
                user: user.to_owned(),
                password,
            },
        )
    }

    /// CRAM-MD5 (RFC 2195).
    pub fn cram_md5(user: &str, secret: &Secret<String>) -> Self {
        let secret = secret.clone();
        Self::with_state(
            Mechanism::CramMd5,
            State::CramMd5 {
                user: user.to_owned(),
                secret,
            },
        )
    }

    /// XOAUTH2, with an OAuth 2.0 access token for `user`.
    ///
    /// Fails if the user is empty or contains `\x01`, or the token is not an RFC 6750
    /// `b64token`.
    pub fn xoauth2(user: &str, token: &Secret<String>) -> Result<Self, InvalidInput> {
        let message = Secret::new(xoauth2_message(user, token.expose())?);
        Ok(Self::with_state(
            Mechanism::XOAuth2,
            State::OneMessage { message },
        ))
    }

    /// OAUTHBEARER (RFC 7628), with an OAuth 2.0 access token. `user` (sent as the GS2
    /// authzid `a=`), `host` and `port` are optional in the RFC, but servers often want
    /// the user.
    ///
    /// Fails if the user or host is empty, the host contains `\x01`, or the token is not an
    /// RFC 6750 `b64token`.
    pub fn oauthbearer(
        user: Option<&str>,
        host: Option<&str>,
        port: Option<u16>,
        token: &Secret<String>,
    ) -> Result<Self, InvalidInput> {
        let message = Secret::new(oauthbearer_message(user, host, port, token.expose())?);
        Ok(Self::with_state(
            Mechanism::OAuthBearer,
            State::OneMessage { message },
        ))
    }

    /// SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding (GS2 flag `n`).
    ///
    /// `nonce` must be unpredictable and unique: at least 18 random bytes, base64-encoded,
    /// is usual. Printable ASCII without `,`. The password is used as its UTF-8 bytes: see
    /// [the SASLprep note](crate::scram#normalisation).
    pub fn scram_sha256(
        authzid: Option<&str>,
        user: &str,
        password: &Secret<String>,
        nonce: &str,
    ) -> Result<Self, InvalidInput> {
        if user.is_empty() {
            return Err(InvalidInput::new("user"));
        }
        if authzid == Some("") {
            return Err(InvalidInput::new("authzid"));
        }
        scram::check_nonce(nonce)?;
        let (message, state) = scram::ClientState::start(authzid, user, password.clone(), nonce);
        Ok(Self::with_state(
            Mechanism::ScramSha256,
            State::ScramNew { message, state },
        ))
    }

    fn with_state(mechanism: Mechanism, state: State) -> Self {
        ClientExchange { mechanism, state }
    }

    /// The mechanism.
    pub const fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The initial response to send with the command, for the mechanisms that have one
    /// (PLAIN, XOAUTH2, OAUTHBEARER, SCRAM-SHA-256); `None` for LOGIN and CRAM-MD5, or
    /// once the exchange has begun.
    ///
    /// Calling it counts the message as sent. A protocol that cannot carry an initial
    /// response does not call it: the same message then answers the server's first (empty)
    /// challenge through [`respond`](Self::respond).
    pub fn initial_response(&mut self) -> Option<Vec<u8>> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::OneMessage { message } => {
                self.state = State::Sent;
                Some(message.into_inner())
            }
            State::ScramNew { message, state } => {
                self.state = State::ScramAwaitFirst { state };
                Some(message.into_bytes())
            }
            state => {
                self.state = state;
                None
            }
        }
    }

    /// [`initial_response`](Self::initial_response), encoded for the command line with
    /// [`encode_initial_response`]: base64, or `=` when empty.
    pub fn initial_response_line(&mut self) -> Option<String> {
        self.initial_response()
            .map(|response| encode_initial_response(&response))
    }

    /// Answers a challenge line (the text after `334 ` or `+ `), returning the line to send
    /// back (base64, possibly empty).
    pub fn respond_line(&mut self, line: &[u8]) -> Result<String, ClientError> {
        let challenge = decode_challenge(line).inspect_err(|_| self.state = State::Failed)?;
        self.respond(&challenge)
            .map(|response| encode_response(&response))
    }

    /// Answers a decoded challenge.
    pub fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, ClientError> {
        let result = self.step(challenge);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, ClientError> {
        match std::mem::replace(&mut self.state, State::Failed) {
            state @ (State::OneMessage { .. } | State::ScramNew { .. }) => {
                self.state = state;
                Ok(self.initial_response().unwrap_or_default())
            }
            State::Login { user, password } => {
                self.state = State::LoginUserSent { password };
                Ok(user.into_bytes())
            }
            State::LoginUserSent { password } => {
                self.state = State::Sent;
                Ok(password.into_inner().into_bytes())
            }
            State::CramMd5 { user, secret } => {
                let digest = cram_md5_digest(secret.expose().as_bytes(), challenge);
                let mut response = user.into_bytes();
                response.push(b' ');
                for byte in digest {
                    response.extend_from_slice(format!("{byte:02x}").as_bytes());
                }
                self.state = State::Sent;
                Ok(response)
            }
            State::ScramAwaitFirst { state } => {
                let (message, signature) = state.answer(challenge)?;
                self.state = State::ScramAwaitFinal { signature };
                Ok(message.into_bytes())
            }
            State::ScramAwaitFinal { signature } => {
                scram::check_server_final(challenge, &signature)?;
                self.state = State::Sent;
                Ok(Vec::new())
            }
            State::Sent
                if matches!(self.mechanism, Mechanism::XOAuth2 | Mechanism::OAuthBearer) =>
            {
                // RFC 7628 §3.2.3: acknowledge the error with a dummy response; XOAUTH2
                // clients send an empty one.
                self.state = State::TokenRefused {
                    error: challenge.to_vec(),
                };
                Ok(if self.mechanism == Mechanism::OAuthBearer {
                    b"\x01".to_vec()
                } else {
                    Vec::new()
                })
            }
            State::Sent | State::TokenRefused { .. } | State::Failed => {
                Err(ClientError::UnexpectedChallenge)
            }
        }
    }

    /// The server reported success, with `additional_data` if its success reply carried
    /// any. Succeeds only when the mechanism has said everything and, for SCRAM, the
    /// server's signature verified.
    pub fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), ClientError> {
        let result = match (&self.state, additional_data) {
            (State::ScramAwaitFinal { signature }, Some(data)) => {
                scram::check_server_final(data, signature)
            }
            (
                State::ScramNew { .. }
                | State::ScramAwaitFirst { .. }
                | State::ScramAwaitFinal { .. },
                _,
            ) => Err(ClientError::NotVerified),
            (_, Some(data)) if !data.is_empty() => Err(ClientError::UnexpectedChallenge),
            (State::Failed, _) => Err(ClientError::UnexpectedChallenge),
            _ => Ok(()),
        };
        self.state = if result.is_ok() {
            State::Sent
        } else {
            State::Failed
        };
        result
    }

    /// The error a bearer-token server sent when it refused the token: RFC 7628's JSON
    /// (`{"status":"invalid_token",…}`) or XOAUTH2's.
    pub fn oauth_error(&self) -> Option<&[u8]> {
        match &self.state {
            State::TokenRefused { error } => Some(error),
            _ => None,
        }
    }
}
