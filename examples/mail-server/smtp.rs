//! The SMTP side: every sender and recipient is welcome, every message goes to the
//! Maildir.

use std::net::TcpStream;
use std::sync::Arc;

use mailwire::smtp::server::{Config, Event, Session};
use mailwire::smtp::{Domain, Reply};

use crate::driver::drive;
use crate::maildir::{Delivery, Maildir};

/// The session settings this server uses.
pub(crate) fn config(hostname: &str, max_message_size: u64) -> Result<Config, String> {
    let domain = Domain::new(hostname).map_err(|e| format!("bad host name {hostname:?}: {e}"))?;
    let mut config = Config::new(domain);
    config.max_message_size = Some(max_message_size);
    // No TLS in this example, so nothing that would need it.
    config.starttls = false;
    config.auth_mechanisms.clear();
    Ok(config)
}

fn reply(code: u16, text: &str) -> Reply {
    Reply::new(code, text).expect("a valid reply code and text")
}

/// Serves one SMTP connection.
pub(crate) fn serve(mut stream: TcpStream, config: Arc<Config>, maildir: &Arc<Maildir>) {
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut session = Session::new(config);
    let mut delivery: Option<Delivery> = None;
    let mut failed = false;
    let result = drive(&mut stream, &mut session, |session, event| match event {
        Event::Mail { .. } | Event::Rcpt { .. } => {
            session.accept().expect("MAIL and RCPT wait for a decision");
        }
        Event::MessageData { chunk } => {
            if delivery.is_none() && !failed {
                match maildir.deliver() {
                    Ok(d) => delivery = Some(d),
                    Err(e) => {
                        eprintln!("smtp {peer}: cannot start a delivery: {e}");
                        failed = true;
                    }
                }
            }
            if let Some(Err(e)) = delivery.as_mut().map(|d| d.write(&chunk)) {
                eprintln!("smtp {peer}: cannot write: {e}");
                failed = true;
            }
        }
        Event::Message {
            from,
            recipients,
            size,
        } => {
            let stored = match (delivery.take(), failed) {
                (Some(d), false) => d.commit().map_err(|e| e.to_string()),
                (d, _) => {
                    if let Some(d) = d {
                        d.abandon();
                    }
                    Err("write failed".to_owned())
                }
            };
            failed = false;
            let answered = match stored {
                Ok(name) => {
                    eprintln!(
                        "smtp {peer}: stored {size} octets from {from} for {} recipient(s) as {name}",
                        recipients.len()
                    );
                    session.accept_with(reply(250, &format!("2.0.0 Ok: queued as {name}")))
                }
                Err(e) => {
                    eprintln!("smtp {peer}: message lost: {e}");
                    session.reject(reply(451, "4.3.0 Local error in processing"))
                }
            };
            answered.expect("the message waits for a decision");
        }
        Event::MessageAborted { .. } | Event::Reset => {
            if let Some(d) = delivery.take() {
                d.abandon();
            }
            failed = false;
        }
        _ => {}
    });
    if let Some(d) = delivery.take() {
        d.abandon();
    }
    if let Err(e) = result {
        eprintln!("smtp {peer}: {e}");
    }
}
