//! The server side of an exchange.

use hmac::{Hmac, KeyInit, Mac};
use mailwire_core::Secret;
use md5::Md5;

use crate::error::{AuthError, InvalidInput, NotPending};
use crate::line::{Response, decode_response};
use crate::mechanism::Mechanism;
use crate::oauth::{OAuthError, TokenRequest, parse_oauthbearer, parse_xoauth2};
use crate::scram::{self, ClientFirst, ScramKeys};

/// Who authenticated, and as whom they act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The authentication identity: whose credentials were checked (`tim`).
    pub authcid: String,
    /// The authorization identity the client asked to act as, if it named one other than
    /// itself (PLAIN's and SCRAM's `authzid`). Whether `authcid` may act as it is the
    /// application's decision.
    pub authzid: Option<String>,
}

impl Identity {
    /// The identity the session acts as: the authzid if given, else the authcid.
    pub fn acting_as(&self) -> &str {
        self.authzid.as_deref().unwrap_or(&self.authcid)
    }
}

/// What a [`ServerExchange`] needs next.
///
/// `Challenge` goes to the client; the `Verify*` and `Lookup*` steps are questions for the
/// application, answered through the exchange's methods; `Success` and `Failure` end it.
#[derive(Debug, PartialEq, Eq)]
pub enum ServerStep {
    /// Send this challenge (`334 <base64>`, `+ <base64>`), then pass the client's answer to
    /// [`ServerExchange::receive_line`] or [`ServerExchange::receive`].
    Challenge(Vec<u8>),
    /// PLAIN, LOGIN: check the password. Answer with [`ServerExchange::accept`] (or
    /// [`accept_as`](ServerExchange::accept_as)) or [`ServerExchange::reject`]. Check also
    /// that `authcid` may act as `authzid`, when one is given.
    VerifyPassword {
        /// The authentication identity.
        authcid: String,
        /// The authorization identity, when the client named one (PLAIN only).
        authzid: Option<String>,
        /// The password.
        password: Secret<String>,
    },
    /// CRAM-MD5: look up the user's plaintext secret and answer with
    /// [`ServerExchange::provide_secret`], or [`ServerExchange::reject`] an unknown user.
    LookupSecret {
        /// The user name the client gave.
        authcid: String,
    },
    /// SCRAM-SHA-256: look up the user's stored keys and answer with
    /// [`ServerExchange::provide_scram_keys`], or [`ServerExchange::reject`] an unknown
    /// user. The exchange checks the client's proof against them.
    ///
    /// Rejecting here tells the client at once that the user does not exist. To hide
    /// which users exist (RFC 5802 §9), provide keys derived from a server secret and the
    /// user name instead: the proof then fails one round later, like a wrong password.
    LookupScramKeys {
        /// The user name the client gave.
        authcid: String,
        /// The authorization identity, when the client named one.
        authzid: Option<String>,
    },
    /// XOAUTH2, OAUTHBEARER: check the bearer token. Answer with
    /// [`ServerExchange::accept`], [`ServerExchange::accept_as`] (to name the token's
    /// subject), [`ServerExchange::reject`] or [`ServerExchange::reject_token`].
    VerifyToken {
        /// The user the client claims to be: XOAUTH2's `user=`, always present, or
        /// OAUTHBEARER's optional `a=`.
        user: Option<String>,
        /// The bearer token.
        token: Secret<String>,
        /// OAUTHBEARER's `host=`, the server name the client contacted.
        host: Option<String>,
        /// OAUTHBEARER's `port=`.
        port: Option<u16>,
    },
    /// Authenticated.
    Success {
        /// Who.
        identity: Identity,
        /// Data to send with the success reply. Only present if the exchange was built
        /// [`with_success_data`](ServerExchange::with_success_data): by default SCRAM's
        /// final message goes as a last [`ServerStep::Challenge`] instead.
        additional_data: Option<Vec<u8>>,
    },
    /// Not authenticated.
    Failure(AuthError),
}

/// The server's half of one SASL exchange, for one mechanism.
///
/// The exchange does no I/O and decides no credentials. A protocol session drives it:
///
/// 1. build it for the mechanism the client named (`AUTH`, `AUTHENTICATE`);
/// 2. call [`start`](Self::start) with the initial response if the command carried one;
/// 3. act on each [`ServerStep`]: send a `Challenge` and feed the client's answer to
///    [`receive_line`](Self::receive_line); hand a `Verify*` / `Lookup*` question to the
///    application and pass its answer back through [`accept`](Self::accept),
///    [`reject`](Self::reject), [`provide_secret`](Self::provide_secret) or
///    [`provide_scram_keys`](Self::provide_scram_keys); until `Success` or `Failure`.
///
/// ```
/// use mailwire_core::Secret;
/// use mailwire_sasl::{Identity, ServerExchange, ServerStep};
///
/// let mut server = ServerExchange::plain();
/// let step = server.start(Some(b"\0tim\0tanstaaftanstaaf"));
/// let ServerStep::VerifyPassword { authcid, password, .. } = step else { panic!() };
/// assert_eq!((authcid.as_str(), password.expose().as_str()), ("tim", "tanstaaftanstaaf"));
///
/// assert_eq!(
///     server.accept(),
///     Ok(ServerStep::Success {
///         identity: Identity { authcid: "tim".into(), authzid: None },
///         additional_data: None,
///     })
/// );
/// ```
#[derive(Debug)]
pub struct ServerExchange {
    mechanism: Mechanism,
    success_data: bool,
    state: State,
}

#[derive(Debug)]
enum State {
    New {
        nonce: String,
    },
    AwaitPlain,
    AwaitLoginUser,
    AwaitLoginPassword {
        user: String,
    },
    AwaitCramMd5 {
        challenge: String,
    },
    AwaitToken,
    AwaitScramFirst {
        nonce: String,
    },
    AwaitScramFinal {
        first: ClientFirst,
        server_first: String,
        nonce: String,
        keys: ScramKeys,
    },
    /// SCRAM's server-final went as a challenge; the client acknowledges with nothing.
    AwaitScramAck {
        identity: Identity,
    },
    /// The token was refused with an error challenge; the client acknowledges with the
    /// dummy response.
    AwaitTokenAck,
    VerifyPassword {
        identity: Identity,
    },
    VerifyToken {
        user: Option<String>,
    },
    LookupSecret {
        challenge: String,
        user: String,
        digest: [u8; 16],
    },
    LookupScramKeys {
        first: ClientFirst,
        nonce: String,
    },
    Done,
}

impl ServerExchange {
    /// A PLAIN exchange (RFC 4616).
    pub fn plain() -> Self {
        Self::with_state(
            Mechanism::Plain,
            State::New {
                nonce: String::new(),
            },
        )
    }

    /// A LOGIN exchange: challenges `Username:` and `Password:`.
    pub fn login() -> Self {
        Self::with_state(
            Mechanism::Login,
            State::New {
                nonce: String::new(),
            },
        )
    }

    /// A CRAM-MD5 exchange (RFC 2195) that sends `challenge`, which must be unique to this
    /// exchange: RFC 2195 suggests `<random-digits.timestamp@hostname>`.
    pub fn cram_md5(challenge: &str) -> Result<Self, InvalidInput> {
        let printable = |b: u8| (0x20..=0x7e).contains(&b);
        if challenge.is_empty() || !challenge.bytes().all(printable) {
            return Err(InvalidInput::new("challenge"));
        }
        Ok(Self::with_state(
            Mechanism::CramMd5,
            State::New {
                nonce: challenge.to_owned(),
            },
        ))
    }

    /// An XOAUTH2 exchange.
    pub fn xoauth2() -> Self {
        Self::with_state(
            Mechanism::XOAuth2,
            State::New {
                nonce: String::new(),
            },
        )
    }

    /// An OAUTHBEARER exchange (RFC 7628).
    pub fn oauthbearer() -> Self {
        Self::with_state(
            Mechanism::OAuthBearer,
            State::New {
                nonce: String::new(),
            },
        )
    }

    /// A SCRAM-SHA-256 exchange (RFC 5802, RFC 7677) that appends `nonce` to the client's
    /// nonce. It must be unpredictable and unique: at least 18 random bytes, base64-encoded,
    /// is usual. Printable ASCII without `,`.
    pub fn scram_sha256(nonce: &str) -> Result<Self, InvalidInput> {
        scram::check_nonce(nonce)?;
        Ok(Self::with_state(
            Mechanism::ScramSha256,
            State::New {
                nonce: nonce.to_owned(),
            },
        ))
    }

    /// An exchange for `mechanism`, as named by the client. `nonce` is the CRAM-MD5
    /// challenge or the SCRAM server nonce; the other mechanisms ignore it.
    pub fn new(mechanism: Mechanism, nonce: &str) -> Result<Self, InvalidInput> {
        match mechanism {
            Mechanism::Plain => Ok(Self::plain()),
            Mechanism::Login => Ok(Self::login()),
            Mechanism::CramMd5 => Self::cram_md5(nonce),
            Mechanism::XOAuth2 => Ok(Self::xoauth2()),
            Mechanism::OAuthBearer => Ok(Self::oauthbearer()),
            Mechanism::ScramSha256 => Self::scram_sha256(nonce),
        }
    }

    fn with_state(mechanism: Mechanism, state: State) -> Self {
        ServerExchange {
            mechanism,
            success_data: false,
            state,
        }
    }

    /// Lets [`ServerStep::Success`] carry additional data (RFC 4422 §3.6), for protocols
    /// whose success reply has room for it (IMAP4rev2's tagged `OK`, RFC 9051). Without
    /// it — right for SMTP (RFC 4954), POP3 (RFC 5034) and IMAP4rev1 (RFC 3501) — SCRAM's
    /// final message is sent as one more challenge, answered by an empty response.
    pub fn with_success_data(mut self, allowed: bool) -> Self {
        self.success_data = allowed;
        self
    }

    /// The mechanism.
    pub const fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Starts the exchange with the initial response as the client's command carried it
    /// (`AUTH PLAIN <line>`, `AUTHENTICATE PLAIN <line>`), still base64, or `None` when the
    /// command had none. `=` is an empty initial response; `*` cancels.
    pub fn start_line(&mut self, initial_response: Option<&[u8]>) -> ServerStep {
        match initial_response.map(decode_response) {
            None => self.start(None),
            Some(Ok(Response::Data(data))) => self.start(Some(&data)),
            Some(Ok(Response::Cancel)) => self.fail(AuthError::Cancelled),
            Some(Err(error)) => self.fail(AuthError::BadEncoding(error)),
        }
    }

    /// Starts the exchange, with the client's initial response if its command carried one
    /// (decoded; an `=` is `Some(b"")`).
    ///
    /// A second call fails with [`AuthError::UnexpectedMessage`].
    pub fn start(&mut self, initial_response: Option<&[u8]>) -> ServerStep {
        let State::New { nonce } = std::mem::replace(&mut self.state, State::Done) else {
            return ServerStep::Failure(AuthError::UnexpectedMessage);
        };
        let (state, challenge) = match self.mechanism {
            Mechanism::Plain => (State::AwaitPlain, Vec::new()),
            Mechanism::Login => (State::AwaitLoginUser, b"Username:".to_vec()),
            Mechanism::CramMd5 => {
                let challenge = nonce.clone().into_bytes();
                (State::AwaitCramMd5 { challenge: nonce }, challenge)
            }
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => (State::AwaitToken, Vec::new()),
            Mechanism::ScramSha256 => (State::AwaitScramFirst { nonce }, Vec::new()),
        };
        self.state = state;
        match initial_response {
            Some(response) if self.mechanism.client_first() => self.receive(response),
            // Some LOGIN clients send the user name with the command.
            Some(user) if self.mechanism == Mechanism::Login && !user.is_empty() => {
                self.receive(user)
            }
            Some(_) if self.mechanism == Mechanism::CramMd5 => {
                self.fail(AuthError::malformed("CRAM-MD5 takes no initial response"))
            }
            _ => ServerStep::Challenge(challenge),
        }
    }

    /// Takes the client's answer to a challenge as the line it sent (base64, or `*` to
    /// cancel), decoding it with [`decode_response`].
    pub fn receive_line(&mut self, line: &[u8]) -> ServerStep {
        match decode_response(line) {
            Ok(Response::Data(data)) => self.receive(&data),
            Ok(Response::Cancel) => self.fail(AuthError::Cancelled),
            Err(error) => self.fail(AuthError::BadEncoding(error)),
        }
    }

    /// Takes the client's answer to a challenge, already decoded.
    ///
    /// A message while the exchange waits for the application's answer, or after it
    /// ended, fails it with [`AuthError::UnexpectedMessage`].
    pub fn receive(&mut self, message: &[u8]) -> ServerStep {
        match std::mem::replace(&mut self.state, State::Done) {
            State::AwaitPlain => match parse_plain(message) {
                Ok(step) => self.ask_password(step),
                Err(error) => self.fail(error),
            },
            State::AwaitLoginUser => match utf8(message) {
                Ok(user) if !user.is_empty() => {
                    self.state = State::AwaitLoginPassword {
                        user: user.to_owned(),
                    };
                    ServerStep::Challenge(b"Password:".to_vec())
                }
                Ok(_) => self.fail(AuthError::malformed("empty user name")),
                Err(error) => self.fail(error),
            },
            State::AwaitLoginPassword { user } => match utf8(message) {
                Ok(password) => self.ask_password(ServerStep::VerifyPassword {
                    authcid: user,
                    authzid: None,
                    password: Secret::new(password.to_owned()),
                }),
                Err(error) => self.fail(error),
            },
            State::AwaitCramMd5 { challenge } => match parse_cram_md5(message) {
                Ok((user, digest)) => {
                    let authcid = user.clone();
                    self.state = State::LookupSecret {
                        challenge,
                        user,
                        digest,
                    };
                    ServerStep::LookupSecret { authcid }
                }
                Err(error) => self.fail(error),
            },
            State::AwaitToken => {
                let request = match self.mechanism {
                    Mechanism::XOAuth2 => parse_xoauth2(message),
                    _ => parse_oauthbearer(message),
                };
                match request {
                    Ok(TokenRequest {
                        user,
                        token,
                        host,
                        port,
                    }) => {
                        self.state = State::VerifyToken { user: user.clone() };
                        ServerStep::VerifyToken {
                            user,
                            token,
                            host,
                            port,
                        }
                    }
                    Err(error) => self.fail(error),
                }
            }
            State::AwaitScramFirst { nonce } => match scram::parse_client_first(message) {
                Ok(first) => {
                    let (authcid, authzid) = (first.username.clone(), first.authzid.clone());
                    let nonce = format!("{}{nonce}", first.nonce);
                    self.state = State::LookupScramKeys { first, nonce };
                    ServerStep::LookupScramKeys { authcid, authzid }
                }
                Err(error) => self.fail(error),
            },
            State::AwaitScramFinal {
                first,
                server_first,
                nonce,
                keys,
            } => match scram::verify_client_final(message, &first, &server_first, &nonce, &keys) {
                Ok(signature) => {
                    let identity = Identity {
                        authcid: first.username,
                        authzid: first.authzid,
                    };
                    let server_final = scram::server_final(&signature).into_bytes();
                    if self.success_data {
                        ServerStep::Success {
                            identity,
                            additional_data: Some(server_final),
                        }
                    } else {
                        self.state = State::AwaitScramAck { identity };
                        ServerStep::Challenge(server_final)
                    }
                }
                Err(error) => self.fail(error),
            },
            State::AwaitScramAck { identity } => {
                if message.is_empty() {
                    ServerStep::Success {
                        identity,
                        additional_data: None,
                    }
                } else {
                    self.fail(AuthError::malformed("SCRAM acknowledgement not empty"))
                }
            }
            State::AwaitTokenAck => {
                let dummy: &[u8] = if self.mechanism == Mechanism::XOAuth2 {
                    b""
                } else {
                    b"\x01"
                };
                if message == dummy {
                    self.fail(AuthError::Credentials)
                } else {
                    self.fail(AuthError::malformed("expected the dummy response"))
                }
            }
            State::New { .. }
            | State::VerifyPassword { .. }
            | State::VerifyToken { .. }
            | State::LookupSecret { .. }
            | State::LookupScramKeys { .. }
            | State::Done => self.fail(AuthError::UnexpectedMessage),
        }
    }

    /// Accepts the password or token of a [`ServerStep::VerifyPassword`] or
    /// [`ServerStep::VerifyToken`]. The identity is the one the client gave (for
    /// OAUTHBEARER without `a=`, an empty authcid: prefer [`accept_as`](Self::accept_as)).
    pub fn accept(&mut self) -> Result<ServerStep, NotPending> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::VerifyPassword { identity } => Ok(ServerStep::Success {
                identity,
                additional_data: None,
            }),
            State::VerifyToken { user } => Ok(ServerStep::Success {
                identity: Identity {
                    authcid: user.unwrap_or_default(),
                    authzid: None,
                },
                additional_data: None,
            }),
            state => self.not_pending(state),
        }
    }

    /// Like [`accept`](Self::accept), but names the authenticated identity: the token's
    /// subject, or the user's canonical name.
    pub fn accept_as(&mut self, authcid: impl Into<String>) -> Result<ServerStep, NotPending> {
        let step = self.accept()?;
        Ok(match step {
            ServerStep::Success {
                mut identity,
                additional_data,
            } => {
                identity.authcid = authcid.into();
                ServerStep::Success {
                    identity,
                    additional_data,
                }
            }
            other => other,
        })
    }

    /// Refuses any pending question: a wrong password or token, an unknown user, or an
    /// authzid the authcid may not act as.
    ///
    /// For a token, the exchange first sends the mechanism's error challenge
    /// (`{"status":"invalid_token"}` for OAUTHBEARER, `{"status":"401","schemes":"bearer"}`
    /// for XOAUTH2) and fails once the client acknowledges it.
    pub fn reject(&mut self) -> Result<ServerStep, NotPending> {
        match self.state {
            State::VerifyToken { .. } => self.reject_token(&match self.mechanism {
                Mechanism::XOAuth2 => OAuthError::new("401"),
                _ => OAuthError::invalid_token(),
            }),
            State::VerifyPassword { .. }
            | State::LookupSecret { .. }
            | State::LookupScramKeys { .. } => Ok(self.fail(AuthError::Credentials)),
            _ => Err(NotPending),
        }
    }

    /// Refuses a token with the given error, sent to the client as a JSON challenge; the
    /// exchange fails with [`AuthError::Credentials`] once the client acknowledges it.
    pub fn reject_token(&mut self, error: &OAuthError) -> Result<ServerStep, NotPending> {
        let State::VerifyToken { .. } = self.state else {
            return Err(NotPending);
        };
        self.state = State::AwaitTokenAck;
        let json = match self.mechanism {
            Mechanism::XOAuth2 => error.to_xoauth2_json(),
            _ => error.to_json(),
        };
        Ok(ServerStep::Challenge(json.into_bytes()))
    }

    /// Answers a [`ServerStep::LookupSecret`] with the user's CRAM-MD5 secret (their
    /// password); the exchange checks the client's digest against it.
    pub fn provide_secret<T: AsRef<[u8]>>(
        &mut self,
        secret: &Secret<T>,
    ) -> Result<ServerStep, NotPending> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::LookupSecret {
                challenge,
                user,
                digest,
            } => {
                let expected = cram_md5_digest(secret.expose().as_ref(), challenge.as_bytes());
                Ok(if mailwire_core::constant_time_eq(&expected, &digest) {
                    let identity = Identity {
                        authcid: user,
                        authzid: None,
                    };
                    ServerStep::Success {
                        identity,
                        additional_data: None,
                    }
                } else {
                    ServerStep::Failure(AuthError::Credentials)
                })
            }
            state => self.not_pending(state),
        }
    }

    /// Answers a [`ServerStep::LookupScramKeys`] with the user's stored keys; the next
    /// step is the server-first challenge.
    pub fn provide_scram_keys(&mut self, keys: ScramKeys) -> Result<ServerStep, NotPending> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::LookupScramKeys { first, nonce } => {
                let server_first = scram::server_first(&nonce, &keys);
                let challenge = server_first.clone().into_bytes();
                self.state = State::AwaitScramFinal {
                    first,
                    server_first,
                    nonce,
                    keys,
                };
                Ok(ServerStep::Challenge(challenge))
            }
            state => self.not_pending(state),
        }
    }

    /// Whether the exchange has ended (in success or failure).
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    fn ask_password(&mut self, step: ServerStep) -> ServerStep {
        if let ServerStep::VerifyPassword {
            authcid, authzid, ..
        } = &step
        {
            let identity = Identity {
                authcid: authcid.clone(),
                authzid: authzid.clone(),
            };
            self.state = State::VerifyPassword { identity };
        }
        step
    }

    fn fail(&mut self, error: AuthError) -> ServerStep {
        self.state = State::Done;
        ServerStep::Failure(error)
    }

    fn not_pending(&mut self, state: State) -> Result<ServerStep, NotPending> {
        self.state = state;
        Err(NotPending)
    }
}

fn utf8(message: &[u8]) -> Result<&str, AuthError> {
    std::str::from_utf8(message).map_err(|_| AuthError::malformed("not UTF-8"))
}

/// ```text
/// message   = [authzid] UTF8NUL authcid UTF8NUL passwd   ; RFC 4616 §2
/// ```
fn parse_plain(message: &[u8]) -> Result<ServerStep, AuthError> {
    let message = utf8(message)?;
    let mut fields = message.split('\0');
    let (Some(authzid), Some(authcid), Some(password), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(AuthError::malformed("PLAIN needs exactly two NULs"));
    };
    if authcid.is_empty() || password.is_empty() {
        return Err(AuthError::malformed("empty authcid or password"));
    }
    Ok(ServerStep::VerifyPassword {
        authcid: authcid.to_owned(),
        authzid: (!authzid.is_empty()).then(|| authzid.to_owned()),
        password: Secret::new(password.to_owned()),
    })
}

/// ```text
/// response = user SP digest          ; RFC 2195 §2, digest: 32 lower-case hex digits
/// ```
fn parse_cram_md5(message: &[u8]) -> Result<(String, [u8; 16]), AuthError> {
    let message = utf8(message)?;
    let (user, hex) = message
        .rsplit_once(' ')
        .ok_or(AuthError::malformed("no digest"))?;
    if user.is_empty() || hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuthError::malformed("bad user or digest"));
    }
    let mut digest = [0; 16];
    for (byte, pair) in digest.iter_mut().zip(hex.as_bytes().chunks(2)) {
        *byte = (hex_value(pair[0]) << 4) | hex_value(pair[1]);
    }
    Ok((user.to_owned(), digest))
}

/// The value of an ASCII hex digit, already checked.
fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

/// `HMAC-MD5(secret, challenge)`, RFC 2195 §2.
pub(crate) fn cram_md5_digest(secret: &[u8], challenge: &[u8]) -> [u8; 16] {
    let mut mac =
        <Hmac<Md5> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(challenge);
    let mut out = [0; 16];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}
