//! A server driven by a scripted application, for the integration tests.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use std::sync::Arc;

use mailwire_core::{Secret, Session as _, Transport};
use mailwire_pop3::{
    UniqueId,
    server::{BodyFlow, Config, Deleted, Event, Maildrop, MessageInfo, Server},
};

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

    pub(crate) fn handle(&mut self, server: &mut Server) {
        while let Some(event) = server.poll_event() {
            match event {
                Event::CheckPassword { user, password } => {
                    self.events.push(format!("check {user}"));
                    if password.secret().expose() == &self.password {
                        server.accept_credentials().unwrap();
                    } else {
                        server.reject_credentials().unwrap();
                    }
                }
                Event::ApopSecret { user } => {
                    self.events.push(format!("apop {user}"));
                    let secret =
                        (user.as_str() == "mrose").then(|| Secret::new(self.password.clone()));
                    server.apop_secret(secret).unwrap();
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
                    server.open_maildrop(Maildrop::new(infos)).unwrap();
                }
                Event::Retrieve { message, .. } | Event::Top { message, .. } => {
                    self.events.push(format!("body {message}"));
                    let body = self.messages[message.get() as usize - 1].clone();
                    for chunk in body.chunks(self.chunk) {
                        if server.send_body(chunk).unwrap() == BodyFlow::Enough {
                            break;
                        }
                    }
                    server.end_body().unwrap();
                }
                Event::Update { deleted } => {
                    self.events.push("update".into());
                    self.deleted = Some(deleted);
                    server.finish_update(true).unwrap();
                }
                Event::SaslStart {
                    mechanism,
                    initial_response,
                } => {
                    self.events.push(format!("sasl {mechanism}"));
                    match initial_response {
                        Some(data) => self.plain(server, data.expose()),
                        None => server.sasl_challenge(b"").unwrap(),
                    }
                }
                Event::SaslResponse { data } => self.plain(server, data.expose()),
                Event::LoginFailed { user, failures } => {
                    self.events.push(format!("failed {user:?} {failures}"));
                }
                Event::Abandoned => self.abandoned = true,
                other => self.events.push(format!("{other:?}")),
            }
        }
    }
}

impl App {
    /// Checks a PLAIN message: authzid NUL authcid NUL password.
    fn plain(&mut self, server: &mut Server, data: &[u8]) {
        let parts: Vec<&[u8]> = data.split(|&b| b == 0).collect();
        match parts[..] {
            [b"", user, password] if password == self.password.as_bytes() => {
                server.accept_sasl(String::from_utf8_lossy(user)).unwrap();
            }
            _ => server.reject_credentials().unwrap(),
        }
    }
}

/// Feeds `input` to the server in pieces of `split` bytes, answering events after each,
/// and returns everything the server wrote.
pub(crate) fn run(server: &mut Server, app: &mut App, input: &[u8], split: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let drain = |server: &mut Server, app: &mut App, out: &mut Vec<u8>| {
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

pub(crate) fn server(config: Config, timestamp: Option<mailwire_pop3::Timestamp>) -> Server {
    Server::new(Arc::new(config), timestamp)
}
