//! The POP3 side: one user, whose maildrop is the Maildir.

use std::fs::{self, File};
use std::io::Read;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use mailwire::core::constant_time_eq;
use mailwire::pop3::UniqueId;
use mailwire::pop3::server::{
    BodyFlow, Config, Event, Maildrop, MessageInfo, PlaintextLogin, Refusal, Server,
};

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
    let mut server = Server::new(config, None);
    let mut listed: Vec<Stored> = Vec::new();
    let mut holding_lock = false;
    let result = drive(&mut stream, &mut server, |server, event| match event {
        Event::CheckPassword { user, password } => {
            let good = constant_time_eq(user.as_str().as_bytes(), account.user.as_bytes())
                & constant_time_eq(
                    password.secret().expose().as_bytes(),
                    account.password.as_bytes(),
                );
            let _ = if good {
                server.accept_credentials()
            } else {
                server.reject_credentials()
            };
        }
        Event::OpenMaildrop { .. } => {
            if account.locked.swap(true, Ordering::AcqRel) {
                let _ = server.refuse_maildrop(Refusal::InUse);
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
                    let _ = server.open_maildrop(Maildrop::new(infos));
                }
                Err(e) => {
                    eprintln!("pop3 {peer}: cannot list the maildrop: {e}");
                    let _ = server.refuse_maildrop(Refusal::SysTemp);
                }
            }
        }
        Event::Retrieve { unique_id, .. } | Event::Top { unique_id, .. } => {
            let path = listed
                .iter()
                .find(|m| m.unique == unique_id.as_str())
                .map(|m| m.path.clone());
            let Some(mut file) = path.and_then(|p| File::open(p).ok()) else {
                let _ = server.fail_body();
                return;
            };
            let mut chunk = vec![0; 64 * 1024];
            loop {
                match file.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => match server.send_body(&chunk[..n]) {
                        Ok(BodyFlow::More) => {}
                        _ => break,
                    },
                    Err(_) => {
                        let _ = server.fail_body();
                        return;
                    }
                }
            }
            let _ = server.end_body();
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
            let _ = server.finish_update(removed);
            eprintln!("pop3 {peer}: removed {} message(s)", deleted.len());
        }
        Event::Abandoned => {
            unlock(account, &mut holding_lock);
        }
        Event::LoginFailed { user, failures } => {
            eprintln!("pop3 {peer}: login failed for {user:?} ({failures} so far)");
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
