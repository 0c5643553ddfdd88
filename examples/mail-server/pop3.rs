//! The POP3 side: one user, whose maildrop is the Maildir.

use std::fs::{self, File};
use std::io::Read;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use mailwire::core::constant_time_eq;
use mailwire::pop3::UniqueId;
use mailwire::pop3::server::{
    BodyFlow, Config, Event, Maildrop, MessageInfo, PlaintextLogin, Refusal, Session,
};
use mailwire::sasl::{AuthAnswer, AuthQuestion, Method};

use crate::Account;
use crate::driver::drive;
use crate::maildir::{Maildir, Stored};

/// The session settings this server uses.
pub(crate) fn config(hostname: &str) -> Config {
    let mut config = Config::default();
    config.host = hostname.to_owned();
    // Without TLS in this example, USER / PASS must be allowed in clear; the server
    // listens on loopback by default.
    config.plaintext_login = PlaintextLogin::Allow;
    config.stls = false;
    config.sasl_mechanisms.clear();
    config
}

/// Serves one POP3 connection.
pub(crate) fn serve(
    mut stream: TcpStream,
    config: Arc<Config>,
    maildir: &Maildir,
    account: &Account,
) {
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut server = Session::new(config);
    let mut listed: Vec<Stored> = Vec::new();
    let mut holding_lock = false;
    // Every answer below answers the event in hand, so the session takes it.
    const PENDING: &str = "the session asked for this answer";
    let result = drive(&mut stream, &mut server, |server, event| match event {
        Event::Auth { question } => {
            // Only USER / PASS is offered (no APOP timestamp, no SASL mechanisms).
            let good = match &question {
                AuthQuestion::Password {
                    method: Method::Login,
                    authcid,
                    password,
                    ..
                } => {
                    constant_time_eq(authcid.as_bytes(), account.user.as_bytes())
                        & constant_time_eq(
                            password.expose().as_bytes(),
                            account.password.as_bytes(),
                        )
                }
                _ => false,
            };
            let answer = if good {
                AuthAnswer::Accept
            } else {
                AuthAnswer::Reject
            };
            server.answer_auth(answer).expect(PENDING);
        }
        Event::OpenMaildrop { .. } => {
            if account.locked.swap(true, Ordering::AcqRel) {
                server.refuse_maildrop(Refusal::InUse).expect(PENDING);
                return;
            }
            holding_lock = true;
            match maildir.messages() {
                Ok(messages) => {
                    let infos = messages
                        .iter()
                        .filter_map(|m| {
                            let unique_id = UniqueId::new(m.unique.clone()).ok()?;
                            Some(MessageInfo {
                                size: m.size,
                                unique_id,
                            })
                        })
                        .collect();
                    listed = messages;
                    server.open_maildrop(Maildrop::new(infos)).expect(PENDING);
                }
                Err(e) => {
                    eprintln!("pop3 {peer}: cannot list the maildrop: {e}");
                    server.refuse_maildrop(Refusal::SysTemp).expect(PENDING);
                }
            }
        }
        Event::Retrieve { unique_id, .. } | Event::Top { unique_id, .. } => {
            let path = listed
                .iter()
                .find(|m| m.unique == unique_id.as_str())
                .map(|m| m.path.clone());
            let Some(mut file) = path.and_then(|p| File::open(p).ok()) else {
                server.fail_body().expect(PENDING);
                return;
            };
            let mut chunk = vec![0; 64 * 1024];
            loop {
                match file.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => match server.send_body(&chunk[..n]).expect(PENDING) {
                        BodyFlow::More => {}
                        BodyFlow::Enough => break,
                    },
                    Err(_) => {
                        server.fail_body().expect(PENDING);
                        return;
                    }
                }
            }
            server.end_body().expect(PENDING);
        }
        Event::Update { deleted } => {
            let mut removed = true;
            for gone in &deleted {
                if let Some(m) = listed.iter().find(|m| m.unique == gone.unique_id.as_str()) {
                    removed &= fs::remove_file(&m.path).is_ok();
                }
            }
            // Unlock before the session queues its +OK, so a client that reconnects as
            // soon as it reads the reply finds the maildrop free.
            unlock(account, &mut holding_lock);
            server.finish_update(removed).expect(PENDING);
            eprintln!("pop3 {peer}: removed {} message(s)", deleted.len());
        }
        Event::Abandoned => {
            unlock(account, &mut holding_lock);
        }
        Event::AuthFailed {
            method,
            user,
            error,
            failures,
        } => {
            eprintln!(
                "pop3 {peer}: {method} login failed for {user:?}: {error} ({failures} so far)"
            );
        }
        _ => {}
    });
    unlock(account, &mut holding_lock);
    if let Err(e) = result {
        eprintln!("pop3 {peer}: {e}");
    }
}

/// Releases the maildrop lock if this connection holds it.
fn unlock(account: &Account, holding_lock: &mut bool) {
    if std::mem::take(holding_lock) {
        account.locked.store(false, Ordering::Release);
    }
}
