//! The application's answers to the server's events.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use mailwire_core::{Secret, Transport};

#[cfg(doc)]
use super::Event;
use super::{
    Authenticating, Authorization, BodyFlow, Maildrop, Phase, Refusal, Server, Transaction,
    UsageError, unexpected,
};
use crate::response::{ResponseCode, Status};

impl Server {
    /// The password of [`Event::CheckPassword`] is right. The session asks for the
    /// maildrop next.
    pub fn accept_credentials(&mut self) -> Result<(), UsageError> {
        match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Authenticating(Authenticating::Password { user }) => {
                self.open(user.to_string());
                Ok(())
            }
            other => {
                self.phase = other;
                Err(unexpected("accept_credentials"))
            }
        }
    }

    /// The credentials of [`Event::CheckPassword`] or of a SASL exchange are wrong.
    pub fn reject_credentials(&mut self) -> Result<(), UsageError> {
        match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Authenticating(Authenticating::Password { user }) => {
                self.login_failed(Some(user.to_string()));
                Ok(())
            }
            Phase::Authenticating(Authenticating::SaslServer) => {
                self.login_failed(None);
                Ok(())
            }
            other => {
                self.phase = other;
                Err(unexpected("reject_credentials"))
            }
        }
    }

    /// The shared secret for [`Event::ApopSecret`], or `None` for an unknown user. The
    /// session checks the digest in constant time.
    pub fn apop_secret(&mut self, secret: Option<Secret<String>>) -> Result<(), UsageError> {
        match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Authenticating(Authenticating::Apop { user, digest }) => {
                let ok = match (&self.timestamp, secret) {
                    (Some(ts), Some(secret)) => ts.verify(&secret, &digest),
                    _ => false,
                };
                if ok {
                    self.open(user.to_string());
                } else {
                    self.login_failed(Some(user.to_string()));
                }
                Ok(())
            }
            other => {
                self.phase = other;
                Err(unexpected("apop_secret"))
            }
        }
    }

    /// Sends a SASL challenge (`+ base64`) and waits for the client's response.
    pub fn sasl_challenge(&mut self, challenge: &[u8]) -> Result<(), UsageError> {
        if !matches!(
            self.phase,
            Phase::Authenticating(Authenticating::SaslServer)
        ) {
            return Err(unexpected("sasl_challenge"));
        }
        self.output.extend_from_slice(b"+ ");
        self.output
            .extend_from_slice(STANDARD.encode(challenge).as_bytes());
        self.output.extend_from_slice(b"\r\n");
        self.phase = Phase::Authenticating(Authenticating::SaslClient);
        self.process();
        Ok(())
    }

    /// The SASL exchange succeeded for `user`. The session asks for the maildrop next.
    pub fn accept_sasl(&mut self, user: impl Into<String>) -> Result<(), UsageError> {
        if !matches!(
            self.phase,
            Phase::Authenticating(Authenticating::SaslServer)
        ) {
            return Err(unexpected("accept_sasl"));
        }
        self.open(user.into());
        Ok(())
    }

    /// The maildrop of [`Event::OpenMaildrop`], locked for this session. Enters TRANSACTION.
    pub fn open_maildrop(&mut self, maildrop: Maildrop) -> Result<(), UsageError> {
        if !matches!(self.phase, Phase::OpeningMaildrop { .. }) {
            return Err(unexpected("open_maildrop"));
        }
        let Phase::OpeningMaildrop { user } = std::mem::replace(&mut self.phase, Phase::Closed)
        else {
            return Err(unexpected("open_maildrop"));
        };
        let (count, size) = maildrop.stat();
        let text = format!("{user}'s maildrop has {count} messages ({size} octets)");
        self.ok(&text);
        self.phase = Phase::Transaction(Transaction { user, maildrop });
        self.process();
        Ok(())
    }

    /// The maildrop of [`Event::OpenMaildrop`] cannot be opened. Back to AUTHORIZATION.
    pub fn refuse_maildrop(&mut self, refusal: Refusal) -> Result<(), UsageError> {
        if !matches!(self.phase, Phase::OpeningMaildrop { .. }) {
            return Err(unexpected("refuse_maildrop"));
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
    pub fn send_body(&mut self, chunk: &[u8]) -> Result<BodyFlow, UsageError> {
        let Phase::Sending(sending) = &mut self.phase else {
            return Err(unexpected("send_body"));
        };
        if !sending.started {
            sending.started = true;
            sending.status.encode(&mut self.output);
        }
        let take = sending
            .top
            .as_mut()
            .map_or(chunk.len(), |top| top.take(chunk));
        sending.stuffer.encode(&chunk[..take], &mut self.output);
        Ok(match &sending.top {
            Some(top) if top.is_done() => BodyFlow::Enough,
            _ => BodyFlow::More,
        })
    }

    /// The message is complete; ends the multi-line answer.
    pub fn end_body(&mut self) -> Result<(), UsageError> {
        if !matches!(self.phase, Phase::Sending(_)) {
            return Err(unexpected("end_body"));
        }
        let Phase::Sending(mut sending) = std::mem::replace(&mut self.phase, Phase::Closed) else {
            return Err(unexpected("end_body"));
        };
        if !sending.started {
            sending.status.encode(&mut self.output);
        }
        sending.stuffer.finish(&mut self.output);
        self.phase = Phase::Transaction(sending.transaction);
        self.process();
        Ok(())
    }

    /// The message cannot be read. Before the first chunk the client gets `-ERR`; after it
    /// the answer cannot be ended cleanly, so the connection closes.
    pub fn fail_body(&mut self) -> Result<(), UsageError> {
        if !matches!(self.phase, Phase::Sending(_)) {
            return Err(unexpected("fail_body"));
        }
        let Phase::Sending(sending) = std::mem::replace(&mut self.phase, Phase::Closed) else {
            return Err(unexpected("fail_body"));
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
    pub fn finish_update(&mut self, removed: bool) -> Result<(), UsageError> {
        let Phase::Updating { left } = self.phase else {
            return Err(unexpected("finish_update"));
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
        self.transport = Transport::Close;
        Ok(())
    }
}
