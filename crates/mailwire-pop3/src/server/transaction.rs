//! The TRANSACTION state (RFC 1939 §5, §7) and the step into UPDATE (§6).

use mailwire_core::{Transport, dot::DotStuffer};

use super::{Event, Phase, Sending, Session, Transaction, top::TopFilter};
use crate::{
    types::argument::MessageNumber,
    types::command::Command,
    types::listing::{ScanListing, UniqueIdListing},
    types::response::{Response, Status},
};

impl Session {
    pub(super) fn transaction(&mut self, mut tx: Transaction, command: &Command) {
        match *command {
            Command::Stat => {
                let (count, size) = tx.maildrop.stat();
                self.ok(&format!("{count} {size}"));
            }
            Command::List { message: None } => {
                let (count, size) = tx.maildrop.stat();
                self.ok(&format!("{count} messages ({size} octets)"));
                for (message, info) in tx.maildrop.visible() {
                    ScanListing {
                        message,
                        size: info.size,
                    }
                    .encode(self.conduit.output());
                    self.conduit.write(b"\r\n");
                }
                self.conduit.write(b".\r\n");
            }
            Command::List { message: Some(n) } => match tx.maildrop.get(n) {
                Some(info) => {
                    let text = format!("{n} {}", info.size);
                    self.ok(&text);
                }
                None => self.err("no such message"),
            },
            Command::Uidl { .. } if !self.config.uidl => self.error("UIDL not supported"),
            Command::Uidl { message: None } => {
                self.ok("");
                for (message, info) in tx.maildrop.visible() {
                    UniqueIdListing {
                        message,
                        unique_id: info.unique_id.clone(),
                    }
                    .encode(self.conduit.output());
                    self.conduit.write(b"\r\n");
                }
                self.conduit.write(b".\r\n");
            }
            Command::Uidl { message: Some(n) } => match tx.maildrop.get(n) {
                Some(info) => {
                    let text = format!("{n} {}", info.unique_id);
                    self.ok(&text);
                }
                None => self.err("no such message"),
            },
            Command::Retr { message } => return self.start_body(tx, message, None),
            Command::Top { .. } if !self.config.top => self.error("TOP not supported"),
            Command::Top { message, lines } => return self.start_body(tx, message, Some(lines)),
            Command::Dele { message } => {
                if tx.maildrop.is_deleted(message) {
                    self.err(&format!("message {message} already deleted"));
                } else if tx.maildrop.get(message).is_some() {
                    tx.maildrop.mark(message);
                    self.ok(&format!("message {message} deleted"));
                } else {
                    self.err("no such message");
                }
            }
            Command::Noop => self.ok(""),
            Command::Rset => {
                tx.maildrop.unmark_all();
                let (count, size) = tx.maildrop.stat();
                self.ok(&format!("maildrop has {count} messages ({size} octets)"));
            }
            Command::Capa => {
                self.phase = Phase::Transaction(tx);
                return self.capa();
            }
            Command::Quit => {
                let deleted = tx.maildrop.marked();
                let (left, _) = tx.maildrop.stat();
                self.conduit.push_event(Event::Update { deleted });
                self.phase = Phase::Updating { left };
                return;
            }
            _ => self.error("command not valid in the TRANSACTION state"),
        }
        if matches!(self.phase, Phase::Closed) && self.conduit.is_open() {
            self.phase = Phase::Transaction(tx);
        } else if self.conduit.transport() == Transport::Close {
            // Too many errors: the maildrop was open, so tell the application to release it.
            self.conduit.push_event(Event::Abandoned);
        }
    }

    pub(super) fn start_body(
        &mut self,
        tx: Transaction,
        message: MessageNumber,
        lines: Option<u32>,
    ) {
        let Some(info) = tx.maildrop.get(message) else {
            self.phase = Phase::Transaction(tx);
            return self.err("no such message");
        };
        let unique_id = info.unique_id.clone();
        let (event, status, top) = match lines {
            None => (
                Event::Retrieve { message, unique_id },
                Response::new(Status::Ok, format!("{} octets", info.size)),
                None,
            ),
            Some(lines) => (
                Event::Top {
                    message,
                    unique_id,
                    lines,
                },
                Response::new(Status::Ok, "top of message follows"),
                Some(TopFilter::new(lines)),
            ),
        };
        let Ok(status) = status else {
            self.phase = Phase::Transaction(tx);
            return;
        };
        self.conduit.push_event(event);
        let stuffer = DotStuffer::new();
        self.phase = Phase::Sending(Sending {
            transaction: tx,
            status,
            started: false,
            stuffer,
            top,
        });
    }
}
