//! The server side of an exchange.

use hmac::{Hmac, KeyInit, Mac};
use mailwire_core::Secret;
use md5::Md5;

use crate::error::{AuthError, InvalidInput};
use crate::line::{Response, decode_response};
use crate::mechanism::Mechanism;
use crate::oauth::{OAuthError, TokenRequest, parse_oauthbearer, parse_xoauth2};
use crate::question::{AuthAnswer, AuthQuestion, AuthQuestionKind, Method, WrongAnswer};
use crate::scram::{self, ClientFirst, ScramKeys};

/// Who authenticated, and as whom they act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The authentication identity: whose credentials were checked (`tim`).
    pub authcid: String,
    /// The authorization identity the client asked to act as, if it named one (PLAIN's
    /// and SCRAM's `authzid`, OAUTHBEARER's `a=`). Whether `authcid` may act as it is the
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
/// `Challenge` goes to the client; a `Question` goes to the application, whose
/// [`AuthAnswer`] comes back through [`ServerExchange::answer`]; `Success` and `Failure`
/// end the exchange.
#[derive(Debug, PartialEq, Eq)]
pub enum ServerStep {
    /// Send this challenge (`334 <base64>`, `+ <base64>`), then pass the client's answer to
    /// [`ServerExchange::receive_line`] or [`ServerExchange::receive`].
    Challenge(Vec<u8>),
    /// Ask the application; pass its answer to [`ServerExchange::answer`].
    Question(AuthQuestion),
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
///    [`receive_line`](Self::receive_line); hand a `Question` to the application and pass
///    its [`AuthAnswer`] back through [`answer`](Self::answer); until `Success` or
///    `Failure`.
///
/// ```
/// use mailwire_sasl::{AuthAnswer, AuthQuestion, Identity, ServerExchange, ServerStep};
///
/// let mut server = ServerExchange::plain();
/// let step = server.start(Some(b"\0tim\0tanstaaftanstaaf"));
/// let ServerStep::Question(AuthQuestion::Password { authcid, password, .. }) = step else {
///     panic!()
/// };
/// assert_eq!((authcid.as_str(), password.expose().as_str()), ("tim", "tanstaaftanstaaf"));
///
/// assert_eq!(
///     server.answer(AuthAnswer::Accept),
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
        /// OAUTHBEARER's `a=`; never XOAUTH2's `user=`, which names no authzid.
        authzid: Option<String>,
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
                Ok((authcid, authzid, password)) => self.ask_password(authcid, authzid, password),
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
                Ok(password) => self.ask_password(user, None, Secret::new(password.to_owned())),
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
                    self.question(AuthQuestion::Secret {
                        method: Method::Sasl(self.mechanism),
                        authcid,
                    })
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
                        let authzid = match self.mechanism {
                            Mechanism::OAuthBearer => user.clone(),
                            _ => None,
                        };
                        self.state = State::VerifyToken { authzid };
                        self.question(AuthQuestion::Token {
                            method: Method::Sasl(self.mechanism),
                            user,
                            token,
                            host,
                            port,
                        })
                    }
                    Err(error) => self.fail(error),
                }
            }
            State::AwaitScramFirst { nonce } => match scram::parse_client_first(message) {
                Ok(first) => {
                    let (authcid, authzid) = (first.username.clone(), first.authzid.clone());
                    let nonce = format!("{}{nonce}", first.nonce);
                    self.state = State::LookupScramKeys { first, nonce };
                    self.question(AuthQuestion::ScramKeys {
                        method: Method::Sasl(self.mechanism),
                        authcid,
                        authzid,
                    })
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

    /// Takes the application's answer to the pending [`ServerStep::Question`].
    ///
    /// An answer that does not fit the question ([`AuthAnswer::Accept`] to a token, a
    /// secret to a password check), or comes when no question is pending, is handed back
    /// in [`WrongAnswer`] and the exchange is left as it was.
    ///
    /// ```
    /// use mailwire_sasl::{AuthAnswer, AuthQuestion, Identity, ServerExchange, ServerStep};
    ///
    /// let mut server = ServerExchange::oauthbearer();
    /// let step = server.start(Some(b"n,a=shared@example.com,\x01auth=Bearer vF9dft4q\x01\x01"));
    /// let ServerStep::Question(AuthQuestion::Token { user, token, .. }) = step else { panic!() };
    /// assert_eq!(user.as_deref(), Some("shared@example.com"));
    ///
    /// // A token proves no identity by itself: a bare accept is handed back.
    /// let refused = server.answer(AuthAnswer::Accept).unwrap_err();
    /// assert_eq!(refused.answer, AuthAnswer::Accept);
    ///
    /// // The application finds that the token was issued to kurt, who may act as the
    /// // shared account.
    /// assert_eq!(token.expose(), "vF9dft4q");
    /// let step = server.answer(AuthAnswer::AcceptAs("kurt@example.com".into())).unwrap();
    /// let ServerStep::Success { identity, .. } = step else { panic!() };
    /// assert_eq!(
    ///     identity,
    ///     Identity {
    ///         authcid: "kurt@example.com".into(),
    ///         authzid: Some("shared@example.com".into())
    ///     }
    /// );
    /// ```
    pub fn answer(&mut self, answer: AuthAnswer) -> Result<ServerStep, WrongAnswer> {
        let pending = self.pending();
        if !pending.is_some_and(|kind| answer.fits(kind)) {
            return Err(WrongAnswer { pending, answer });
        }
        let state = std::mem::replace(&mut self.state, State::Done);
        Ok(match (state, answer) {
            (State::VerifyToken { .. }, AuthAnswer::Reject) => {
                let error = match self.mechanism {
                    Mechanism::XOAuth2 => OAuthError::new("401"),
                    _ => OAuthError::invalid_token(),
                };
                self.refuse_token(&error)
            }
            (State::VerifyToken { .. }, AuthAnswer::RejectToken(error)) => {
                self.refuse_token(&error)
            }
            (_, AuthAnswer::Reject) => self.fail(AuthError::Credentials),
            (State::VerifyPassword { identity }, AuthAnswer::Accept) => ServerStep::Success {
                identity,
                additional_data: None,
            },
            (State::VerifyPassword { identity }, AuthAnswer::AcceptAs(authcid)) => {
                ServerStep::Success {
                    identity: Identity {
                        authcid,
                        ..identity
                    },
                    additional_data: None,
                }
            }
            (State::VerifyToken { authzid }, AuthAnswer::AcceptAs(authcid)) => {
                ServerStep::Success {
                    identity: Identity { authcid, authzid },
                    additional_data: None,
                }
            }
            (
                State::LookupSecret {
                    challenge,
                    user,
                    digest,
                },
                AuthAnswer::Secret(secret),
            ) => {
                let expected = cram_md5_digest(secret.expose().as_bytes(), challenge.as_bytes());
                if mailwire_core::constant_time_eq(&expected, &digest) {
                    ServerStep::Success {
                        identity: Identity {
                            authcid: user,
                            authzid: None,
                        },
                        additional_data: None,
                    }
                } else {
                    ServerStep::Failure(AuthError::Credentials)
                }
            }
            (State::LookupScramKeys { first, nonce }, AuthAnswer::ScramKeys(keys)) => {
                let server_first = scram::server_first(&nonce, &keys);
                let challenge = server_first.clone().into_bytes();
                self.state = State::AwaitScramFinal {
                    first,
                    server_first,
                    nonce,
                    keys,
                };
                ServerStep::Challenge(challenge)
            }
            // `fits` let through only the pairs above.
            (state, answer) => {
                self.state = state;
                return Err(WrongAnswer { pending, answer });
            }
        })
    }

    /// The question the exchange waits on, if any.
    pub fn pending(&self) -> Option<AuthQuestionKind> {
        match self.state {
            State::VerifyPassword { .. } => Some(AuthQuestionKind::Password),
            State::VerifyToken { .. } => Some(AuthQuestionKind::Token),
            State::LookupSecret { .. } => Some(AuthQuestionKind::Secret),
            State::LookupScramKeys { .. } => Some(AuthQuestionKind::ScramKeys),
            _ => None,
        }
    }

    /// Sends the token error as the mechanism's JSON challenge; the exchange fails with
    /// [`AuthError::Credentials`] once the client acknowledges it.
    fn refuse_token(&mut self, error: &OAuthError) -> ServerStep {
        self.state = State::AwaitTokenAck;
        let json = match self.mechanism {
            Mechanism::XOAuth2 => error.to_xoauth2_json(),
            _ => error.to_json(),
        };
        ServerStep::Challenge(json.into_bytes())
    }

    /// Whether the exchange has ended (in success or failure).
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    fn ask_password(
        &mut self,
        authcid: String,
        authzid: Option<String>,
        password: Secret<String>,
    ) -> ServerStep {
        self.state = State::VerifyPassword {
            identity: Identity {
                authcid: authcid.clone(),
                authzid: authzid.clone(),
            },
        };
        self.question(AuthQuestion::Password {
            method: Method::Sasl(self.mechanism),
            authcid,
            authzid,
            password,
        })
    }

    fn question(&self, question: AuthQuestion) -> ServerStep {
        ServerStep::Question(question)
    }

    fn fail(&mut self, error: AuthError) -> ServerStep {
        self.state = State::Done;
        ServerStep::Failure(error)
    }
}

fn utf8(message: &[u8]) -> Result<&str, AuthError> {
    std::str::from_utf8(message).map_err(|_| AuthError::malformed("not UTF-8"))
}

/// ```text
/// message   = [authzid] UTF8NUL authcid UTF8NUL passwd   ; RFC 4616 §2
/// ```
fn parse_plain(message: &[u8]) -> Result<(String, Option<String>, Secret<String>), AuthError> {
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
    Ok((
        authcid.to_owned(),
        (!authzid.is_empty()).then(|| authzid.to_owned()),
        Secret::new(password.to_owned()),
    ))
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
