//! The application's answers to the server's events.

use mailwire_sasl::{AuthAnswer, AuthError, Identity, Method};

#[cfg(doc)]
use super::Event;
use super::{
    Answer, Authenticating, Authorization, BodyFlow, Error, Maildrop, Phase, Question, Refusal,
    Session, Transaction,
};
use crate::types::response::{ResponseCode, Status};

impl Session {
    /// Answers [`Event::Auth`].
    ///
    /// For `USER` / `PASS` ([`AuthQuestion::Password`](mailwire_sasl::AuthQuestion::Password)):
    /// [`AuthAnswer::Accept`], [`AuthAnswer::AcceptAs`] or [`AuthAnswer::Reject`]. For
    /// `APOP` ([`AuthQuestion::Secret`](mailwire_sasl::AuthQuestion::Secret)): the user's
    /// secret with [`AuthAnswer::Secret`], the session comparing the digest in constant
    /// time, or [`AuthAnswer::Reject`] for an unknown user. For `AUTH`, what the mechanism's
    /// question takes. On success [`Event::Authenticated`] and [`Event::OpenMaildrop`]
    /// follow; on failure the client gets `-ERR` and [`Event::AuthFailed`] follows.
    ///
    /// An answer that does not fit the question pending (or comes when none is) is handed
    /// back in the error, and the session is left as it was.
    pub fn answer_auth(&mut self, answer: AuthAnswer) -> Result<(), Error> {
        let fits = match self.pending() {
            Some(Question::Auth(kind)) => answer.fits(kind),
            _ => false,
        };
        if !fits {
            return Err(self.misuse(Answer::Auth(answer)));
        }
        match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Authenticating(Authenticating::Password { user }) => {
                let authcid = match answer {
                    AuthAnswer::Accept => Some(user.to_string()),
                    AuthAnswer::AcceptAs(name) => Some(name),
                    _ => None,
                };
                match authcid {
                    Some(authcid) => {
                        let identity = Identity {
                            authcid,
                            authzid: None,
                        };
                        self.authenticated(Method::Login, identity);
                    }
                    None => {
                        let user = Some(user.to_string());
                        self.auth_failed(Method::Login, user, AuthError::Credentials);
                    }
                }
            }
            Phase::Authenticating(Authenticating::Apop { user, digest }) => {
                let right = match (&self.timestamp, &answer) {
                    (Some(timestamp), AuthAnswer::Secret(secret)) => {
                        timestamp.verify(secret, &digest)
                    }
                    _ => false,
                };
                if right {
                    let identity = Identity {
                        authcid: user.to_string(),
                        authzid: None,
                    };
                    self.authenticated(Method::Apop, identity);
                } else {
                    let user = Some(user.to_string());
                    self.auth_failed(Method::Apop, user, AuthError::Credentials);
                }
            }
            Phase::Authenticating(Authenticating::SaslServer(mut sasl)) => {
                match sasl.exchange.answer(answer) {
                    Ok(step) => self.sasl_step(sasl, step),
                    Err(wrong) => {
                        // `fits` agreed with the exchange's own check; kept for safety.
                        self.phase = Phase::Authenticating(Authenticating::SaslServer(sasl));
                        return Err(Error {
                            pending: wrong.pending.map(Question::Auth),
                            answer: Answer::Auth(wrong.answer),
                        });
                    }
                }
            }
            other => {
                self.phase = other;
                return Err(self.misuse(Answer::Auth(answer)));
            }
        }
        self.process();
        Ok(())
    }

    /// Sets the nonce for the next CRAM-MD5 or SCRAM-SHA-256 exchange: the CRAM-MD5
    /// challenge (`<1896.697170952@postoffice.example.net>`) or the SCRAM server nonce.
    /// The session draws no random numbers, so give a fresh, unpredictable one, printable
    /// ASCII without `,`, when the session is created and again after each exchange that
    /// used it ([`Event::Authenticated`] or [`Event::AuthFailed`] with one of those
    /// mechanisms). Without one, `AUTH` with those mechanisms gets `-ERR [SYS/TEMP]`.
    pub fn set_auth_nonce(&mut self, nonce: impl Into<String>) {
        self.auth_nonce = Some(nonce.into());
    }

    /// The maildrop of [`Event::OpenMaildrop`], locked for this session. Enters TRANSACTION.
    pub fn open_maildrop(&mut self, maildrop: Maildrop) -> Result<(), Error> {
        let Phase::OpeningMaildrop { user } = &mut self.phase else {
            return Err(self.misuse(Answer::OpenMaildrop(maildrop)));
        };
        let user = std::mem::take(user);
        let (count, size) = maildrop.stat();
        let text = format!("{user}'s maildrop has {count} messages ({size} octets)");
        self.ok(&text);
        self.phase = Phase::Transaction(Transaction { user, maildrop });
        self.process();
        Ok(())
    }

    /// The maildrop of [`Event::OpenMaildrop`] cannot be opened. Back to AUTHORIZATION.
    pub fn refuse_maildrop(&mut self, refusal: Refusal) -> Result<(), Error> {
        if !matches!(self.phase, Phase::OpeningMaildrop { .. }) {
            return Err(self.misuse(Answer::RefuseMaildrop(refusal)));
        }
        let (code, text) = match refusal {
            Refusal::InUse => (ResponseCode::InUse, "maildrop already locked"),
            Refusal::LoginDelay => (ResponseCode::LoginDelay, "logged in too recently"),
            Refusal::SysTemp => (ResponseCode::SysTemp, "maildrop unavailable, try later"),
            Refusal::SysPerm => (ResponseCode::SysPerm, "maildrop unavailable"),
        };
        self.reply(Status::Err, Some(code), text);
        self.phase = Phase::Authorization(Authorization::default());
        self.process();
        Ok(())
    }

    /// The next chunk of the message of [`Event::Retrieve`] or [`Event::Top`], as stored:
    /// the session dot-stuffs it and turns bare CR or LF into CRLF.
    pub fn send_body(&mut self, chunk: &[u8]) -> Result<BodyFlow, Error> {
        let Phase::Sending(sending) = &mut self.phase else {
            return Err(self.misuse(Answer::SendBody(chunk.to_vec())));
        };
        if !sending.started {
            sending.started = true;
            sending.status.encode(self.conduit.output());
        }
        let take = sending
            .top
            .as_mut()
            .map_or(chunk.len(), |top| top.take(chunk));
        sending
            .stuffer
            .encode(&chunk[..take], self.conduit.output());
        Ok(match &sending.top {
            Some(top) if top.is_done() => BodyFlow::Enough,
            _ => BodyFlow::More,
        })
    }

    /// The message is complete; ends the multi-line answer.
    pub fn end_body(&mut self) -> Result<(), Error> {
        if !matches!(self.phase, Phase::Sending(_)) {
            return Err(self.misuse(Answer::EndBody));
        }
        let Phase::Sending(mut sending) = std::mem::replace(&mut self.phase, Phase::Closed) else {
            return Err(self.misuse(Answer::EndBody));
        };
        if !sending.started {
            sending.status.encode(self.conduit.output());
        }
        sending.stuffer.finish(self.conduit.output());
        self.phase = Phase::Transaction(sending.transaction);
        self.process();
        Ok(())
    }

    /// The message cannot be read. Before the first chunk the client gets `-ERR`; after it
    /// the answer cannot be ended cleanly, so the connection closes.
    pub fn fail_body(&mut self) -> Result<(), Error> {
        if !matches!(self.phase, Phase::Sending(_)) {
            return Err(self.misuse(Answer::FailBody));
        }
        let Phase::Sending(sending) = std::mem::replace(&mut self.phase, Phase::Closed) else {
            return Err(self.misuse(Answer::FailBody));
        };
        if sending.started {
            self.phase = Phase::Sending(sending);
            self.close();
        } else {
            self.reply(
                Status::Err,
                Some(ResponseCode::SysTemp),
                "message unavailable",
            );
            self.phase = Phase::Transaction(sending.transaction);
            self.process();
        }
        Ok(())
    }

    /// Whether the deletions of [`Event::Update`] were carried out. The session says goodbye
    /// and closes.
    pub fn finish_update(&mut self, removed: bool) -> Result<(), Error> {
        let Phase::Updating { left } = self.phase else {
            return Err(self.misuse(Answer::FinishUpdate(removed)));
        };
        if removed {
            let left = match left {
                0 => "maildrop empty".to_owned(),
                n => format!("{n} messages left"),
            };
            let text = format!("{} POP3 server signing off ({left})", self.config.host);
            self.ok(&text);
        } else {
            self.reply(
                Status::Err,
                Some(ResponseCode::SysTemp),
                "some deleted messages not removed",
            );
        }
        self.phase = Phase::Closed;
        self.conduit.close();
        Ok(())
    }
}
