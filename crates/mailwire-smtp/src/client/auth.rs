//! The client side of the SASL exchanges the session runs itself.
//!
//! PLAIN (RFC 4616) and LOGIN are the mechanisms every submission server offers; both send
//! the password itself, which is why the session uses them only over TLS unless told
//! otherwise.

use crate::client::config::Credentials;
use crate::mechanism::Mechanism;

#[derive(Debug)]
pub(crate) enum ClientAuth {
    Plain {
        username: String,
        password: mailwire_core::Secret<String>,
    },
    Login {
        username: String,
        password: mailwire_core::Secret<String>,
        step: u8,
    },
}

impl ClientAuth {
    /// The strongest mechanism both sides support, from the server's list.
    pub(crate) fn choose(offered: &[Mechanism], credentials: &Credentials) -> Option<Self> {
        let username = credentials.username.clone();
        let password = credentials.password.clone();
        if offered.contains(&Mechanism::plain()) {
            Some(Self::Plain { username, password })
        } else if offered.contains(&Mechanism::login()) {
            Some(Self::Login {
                username,
                password,
                step: 0,
            })
        } else {
            None
        }
    }

    pub(crate) fn mechanism(&self) -> Mechanism {
        match self {
            Self::Plain { .. } => Mechanism::plain(),
            Self::Login { .. } => Mechanism::login(),
        }
    }

    /// The response sent with the AUTH command, if the mechanism has one.
    pub(crate) fn initial_response(&self) -> Option<Vec<u8>> {
        match self {
            Self::Plain { username, password } => {
                let mut r = Vec::with_capacity(username.len() + password.expose().len() + 2);
                r.push(0);
                r.extend_from_slice(username.as_bytes());
                r.push(0);
                r.extend_from_slice(password.expose().as_bytes());
                Some(r)
            }
            Self::Login { .. } => None,
        }
    }

    /// The answer to a server challenge; `None` when the mechanism has nothing more to say.
    pub(crate) fn respond(&mut self, _challenge: &[u8]) -> Option<Vec<u8>> {
        match self {
            // PLAIN answers an empty challenge (server that wants no initial response) once.
            Self::Plain { .. } => None,
            Self::Login {
                username,
                password,
                step,
            } => {
                *step += 1;
                match *step {
                    1 => Some(username.as_bytes().to_vec()),
                    2 => Some(password.expose().as_bytes().to_vec()),
                    _ => None,
                }
            }
        }
    }
}
