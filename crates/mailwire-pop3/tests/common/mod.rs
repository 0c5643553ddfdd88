//! A server driven by a scripted application, for the integration tests.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use mailwire_core::{Secret, Session as _, Transport};
use mailwire_pop3::{
    UniqueId,
    server::{BodyFlow, Config, Deleted, Event, Maildrop, MessageInfo, Session},
};
use mailwire_sasl::{AuthAnswer, AuthQuestion, Method};

/// RFC 1939 §10's example maildrop sizes, with made-up content of exactly those sizes.
pub(crate) fn rfc_messages() -> Vec<Vec<u8>> {
    vec![message(120, "first"), message(200, "second")]
}

/// A message of exactly `size` bytes, CRLF line endings.
pub(crate) fn message(size: usize, tag: &str) -> Vec<u8> {
    let mut m = format!("From: a@example.org\r\nSubject: {tag}\r\n\r\n").into_bytes();
    while m.len() + 14 <= size {
        m.extend_from_slice(b"0123456789\r\n");
    }
    while m.len() + 2 < size {
        m.push(b'x');
    }
    m.extend_from_slice(b"\r\n");
    assert_eq!(m.len(), size);
    m
}

/// The application side: answers every event from fixed data.
pub(crate) struct App {
    pub(crate) messages: Vec<Vec<u8>>,
    pub(crate) uids: Vec<String>,
    pub(crate) password: String,
    pub(crate) chunk: usize,
    pub(crate) deleted: Option<Vec<Deleted>>,
    pub(crate) events: Vec<String>,
    pub(crate) abandoned: bool,
}

impl App {
    pub(crate) fn new(messages: Vec<Vec<u8>>) -> Self {
        let uids = (0..messages.len())
            .map(|i| format!("uid-{}", i + 1))
            .collect();
        Self {
            messages,
            uids,
            password: "tanstaaf".into(),
            chunk: 7,
            deleted: None,
            events: Vec::new(),
            abandoned: false,
        }
    }

    pub(crate) fn handle(&mut self, server: &mut Session) {
        while let Some(event) = server.poll_event() {
            match event {
                Event::Auth { question } => {
                    let answer = self.answer(&question);
                    server
                        .answer_auth(answer)
                        .expect("an auth question is pending");
                }
                Event::Authenticated { identity, .. } => {
                    self.events
                        .push(format!("authenticated {}", identity.acting_as()));
                }
                Event::OpenMaildrop { user } => {
                    self.events.push(format!("open {user}"));
                    let infos = self
                        .messages
                        .iter()
                        .zip(&self.uids)
                        .map(|(m, u)| MessageInfo {
                            size: m.len() as u64,
                            unique_id: UniqueId::new(u.clone()).unwrap(),
                        })
                        .collect();
                    server
                        .open_maildrop(Maildrop::new(infos))
                        .expect("the maildrop was asked for");
                }
                Event::Retrieve { message, .. } | Event::Top { message, .. } => {
                    self.events.push(format!("body {message}"));
                    let body = self.messages[message.get() as usize - 1].clone();
                    for chunk in body.chunks(self.chunk) {
                        let flow = server.send_body(chunk).expect("a body was asked for");
                        if flow == BodyFlow::Enough {
                            break;
                        }
                    }
                    server.end_body().expect("a body was asked for");
                }
                Event::Update { deleted } => {
                    self.events.push("update".into());
                    self.deleted = Some(deleted);
                    server
                        .finish_update(true)
                        .expect("the update was asked for");
                }
                Event::AuthFailed { user, failures, .. } => {
                    self.events.push(format!("failed {user:?} {failures}"));
                }
                Event::Abandoned => self.abandoned = true,
                other => self.events.push(format!("{other:?}")),
            }
        }
    }

    /// Checks a password (`USER` / `PASS`, SASL PLAIN) or gives mrose's secret (APOP).
    fn answer(&mut self, question: &AuthQuestion) -> AuthAnswer {
        match question {
            AuthQuestion::Password {
                method,
                authcid,
                password,
                ..
            } => {
                self.events.push(match method {
                    Method::Login => format!("check {authcid}"),
                    _ => format!("check {authcid} by {method}"),
                });
                if password.expose() == &self.password {
                    AuthAnswer::Accept
                } else {
                    AuthAnswer::Reject
                }
            }
            AuthQuestion::Secret { authcid, .. } => {
                self.events.push(format!("apop {authcid}"));
                if authcid == "mrose" {
                    AuthAnswer::Secret(Secret::new(self.password.clone()))
                } else {
                    AuthAnswer::Reject
                }
            }
            other => panic!("unexpected question {other:?}"),
        }
    }
}

/// Feeds `input` to the server in pieces of `split` bytes, answering events after each,
/// and returns everything the server wrote.
pub(crate) fn run(server: &mut Session, app: &mut App, input: &[u8], split: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let drain = |server: &mut Session, app: &mut App, out: &mut Vec<u8>| {
        app.handle(server);
        while let Some(b) = server.transmit() {
            out.extend_from_slice(&b);
        }
        if server.transport() == Transport::StartTls {
            server.tls_established();
            app.handle(server);
        }
    };
    drain(server, app, &mut out);
    for piece in input.chunks(split.max(1)) {
        server.receive(piece);
        drain(server, app, &mut out);
    }
    out
}

pub(crate) fn server(config: Config, timestamp: Option<mailwire_pop3::Timestamp>) -> Session {
    let session = Session::new(config);
    match timestamp {
        Some(timestamp) => session.with_apop_timestamp(timestamp),
        None => session,
    }
}
