//! A minimal driver for server sessions: feeds input, answers decisions with a policy,
//! collects output and events.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the harness"
)]

use mailwire_core::Session as _;
use mailwire_smtp::sasl::{AuthAnswer, AuthQuestion};
use mailwire_smtp::server::{Config, Event, Session};
use mailwire_smtp::{Domain, Reply};

pub(crate) type Policy = Box<dyn FnMut(&Event, &mut Session)>;

pub(crate) struct Harness {
    pub(crate) server: Session,
    pub(crate) events: Vec<Event>,
    out: Vec<u8>,
    policy: Policy,
}

pub(crate) fn config(name: &str) -> Config {
    Config::new(Domain::new(name).unwrap())
}

/// Accepts every sender, recipient and message.
pub(crate) fn accept_all() -> Policy {
    Box::new(|event, server| {
        if let Event::Auth { question } = event {
            let answer = match question {
                AuthQuestion::Token { user, .. } => {
                    AuthAnswer::AcceptAs(user.clone().unwrap_or_else(|| "user".to_owned()))
                }
                _ => AuthAnswer::Accept,
            };
            server.answer_auth(answer).unwrap();
        } else if needs_decision(event) {
            server.accept().unwrap();
        }
    })
}

pub(crate) fn needs_decision(event: &Event) -> bool {
    matches!(
        event,
        Event::Mail { .. } | Event::Rcpt { .. } | Event::Message { .. } | Event::Auth { .. }
    )
}

pub(crate) fn reply(code: u16, text: &str) -> Reply {
    Reply::new(code, text).unwrap()
}

impl Harness {
    pub(crate) fn new(config: Config, policy: Policy) -> Self {
        let mut h = Self {
            server: Session::new(config),
            events: Vec::new(),
            out: Vec::new(),
            policy,
        };
        h.pump();
        h
    }

    pub(crate) fn send(&mut self, input: &[u8]) {
        self.server.receive(input);
        self.pump();
    }

    pub(crate) fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(event) = self.server.poll_event() {
                (self.policy)(&event, &mut self.server);
                self.events.push(event);
                progressed = true;
            }
            if let Some(bytes) = self.server.transmit() {
                self.out.extend_from_slice(&bytes);
                progressed = true;
            }
            if !progressed {
                return;
            }
        }
    }

    /// Output since the last call, as text.
    pub(crate) fn take_output(&mut self) -> String {
        String::from_utf8(std::mem::take(&mut self.out)).unwrap()
    }

    pub(crate) fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The concatenated body of every `MessageData` event so far.
    pub(crate) fn body(&self) -> Vec<u8> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::MessageData { chunk } => Some(&chunk[..]),
                _ => None,
            })
            .collect::<Vec<_>>()
            .concat()
    }
}
