//! SASL `AUTH` between the client and server sessions, with mailwire-sasl's exchanges on
//! both ends: the server session hands each step to the application, which runs a
//! `ServerExchange`.

use std::sync::Arc;

use mailwire_core::{Secret, Session, Transport};
use mailwire_pop3::{
    Mechanism, Password, UserName,
    client::{self, Client, Event, LoginMethod},
    server::{self, Config, Maildrop, Server},
};
use mailwire_sasl::{ClientExchange, ScramKeys, ServerExchange, ServerStep};

/// The server's application: drives a `ServerExchange` from the session's events.
struct App {
    exchange: Option<ServerExchange>,
    keys: ScramKeys,
    /// Accept as soon as the client's second message arrives, skipping SCRAM's proof.
    impostor: bool,
    users: Vec<String>,
}

impl App {
    fn new() -> Self {
        Self {
            exchange: None,
            keys: ScramKeys::derive("pencil", b"salt of the earth", 4096),
            impostor: false,
            users: Vec::new(),
        }
    }

    fn step(&mut self, s: &mut Server, step: ServerStep) {
        match step {
            ServerStep::Challenge(data) => s.sasl_challenge(&data).unwrap(),
            ServerStep::LookupScramKeys { .. } => {
                let exchange = self.exchange.as_mut().unwrap();
                let next = exchange.provide_scram_keys(self.keys.clone()).unwrap();
                self.step(s, next);
            }
            ServerStep::VerifyPassword { password, .. } => {
                let exchange = self.exchange.as_mut().unwrap();
                let next = if password.expose() == "pencil" {
                    exchange.accept().unwrap()
                } else {
                    exchange.reject().unwrap()
                };
                self.step(s, next);
            }
            ServerStep::Success { identity, .. } => s.accept_sasl(identity.acting_as()).unwrap(),
            other => {
                assert!(matches!(other, ServerStep::Failure(_)), "{other:?}");
                s.reject_credentials().unwrap();
            }
        }
    }

    fn handle(&mut self, s: &mut Server) {
        while let Some(event) = s.poll_event() {
            match event {
                server::Event::SaslStart {
                    mechanism,
                    initial_response,
                } => {
                    let mechanism = mechanism.as_str().parse().unwrap();
                    let mut exchange =
                        ServerExchange::new(mechanism, "srvNonce-3rfcNHYJY1ZVvWVs7j").unwrap();
                    let step =
                        exchange.start(initial_response.as_ref().map(|r| r.expose().as_slice()));
                    self.exchange = Some(exchange);
                    self.step(s, step);
                }
                server::Event::SaslResponse { .. } if self.impostor => {
                    s.accept_sasl("user").unwrap();
                }
                server::Event::SaslResponse { data } => {
                    let step = self.exchange.as_mut().unwrap().receive(data.expose());
                    self.step(s, step);
                }
                server::Event::OpenMaildrop { user } => {
                    self.users.push(user);
                    s.open_maildrop(Maildrop::default()).unwrap();
                }
                _ => {}
            }
        }
    }
}

fn pump(c: &mut Client, s: &mut Server, app: &mut App) -> Vec<Event> {
    let mut events = Vec::new();
    loop {
        app.handle(s);
        let mut moved = false;
        while let Some(b) = s.transmit() {
            c.receive(&b);
            moved = true;
        }
        while let Some(b) = c.transmit() {
            s.receive(&b);
            moved = true;
        }
        events.extend(std::iter::from_fn(|| c.poll_event()));
        if !moved {
            return events;
        }
    }
}

fn pair(mechanisms: &[&str]) -> (Client, Server) {
    let mechanisms = mechanisms
        .iter()
        .map(|m| Mechanism::new(m).unwrap())
        .collect();
    let config = Config::default()
        .with_implicit_tls(true)
        .with_sasl_mechanisms(mechanisms);
    let s = Server::new(Arc::new(config), None);
    let c = Client::new(client::Config::default().with_implicit_tls(true));
    (c, s)
}

fn scram(password: &str) -> ClientExchange {
    ClientExchange::scram_sha256(
        None,
        "user",
        &Secret::new(password.into()),
        "rOprNGfwEbeRWgbNEkqO",
    )
    .unwrap()
}

#[test]
fn scram_sha_256_logs_in_and_the_server_proves_itself() {
    let (mut c, mut s) = pair(&["SCRAM-SHA-256", "PLAIN"]);
    let mut app = App::new();
    pump(&mut c, &mut s, &mut app);
    c.authenticate(scram("pencil")).unwrap();
    let events = pump(&mut c, &mut s, &mut app);
    assert_eq!(
        events,
        [Event::LoggedIn {
            method: LoginMethod::Sasl(mailwire_sasl::Mechanism::ScramSha256)
        }]
    );
    assert_eq!(app.users, ["user"]);
}

#[test]
fn scram_with_a_wrong_password_fails_and_may_be_retried() {
    let (mut c, mut s) = pair(&["SCRAM-SHA-256"]);
    let mut app = App::new();
    pump(&mut c, &mut s, &mut app);
    c.authenticate(scram("pencil sharpener")).unwrap();
    let events = pump(&mut c, &mut s, &mut app);
    let [Event::LoginFailed { response }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(response.code(), Some(&mailwire_pop3::ResponseCode::Auth));
    c.authenticate(scram("pencil")).unwrap();
    assert!(matches!(
        pump(&mut c, &mut s, &mut app)[..],
        [Event::LoggedIn { .. }]
    ));
}

#[test]
fn a_server_that_skips_the_scram_proof_is_not_trusted() {
    let (mut c, mut s) = pair(&["SCRAM-SHA-256"]);
    let mut app = App::new();
    app.impostor = true;
    pump(&mut c, &mut s, &mut app);
    c.authenticate(scram("pencil")).unwrap();
    let events = pump(&mut c, &mut s, &mut app);
    assert!(
        matches!(
            &events[..],
            [Event::ServerNotVerified {
                error: mailwire_sasl::ClientError::NotVerified
            }]
        ),
        "{events:?}"
    );
    assert_eq!(c.transport(), Transport::Close);
}

#[test]
fn login_uses_plain_when_offered_and_mechanisms_not_offered_are_refused() {
    let (mut c, mut s) = pair(&["PLAIN"]);
    let mut app = App::new();
    pump(&mut c, &mut s, &mut app);
    assert_eq!(
        c.authenticate(scram("pencil")),
        Err(client::UsageError::MechanismNotAllowed(
            mailwire_sasl::Mechanism::ScramSha256
        ))
    );
    c.login(
        UserName::new("tim").unwrap(),
        Password::new("pencil").unwrap(),
    )
    .unwrap();
    assert_eq!(
        pump(&mut c, &mut s, &mut app),
        [Event::LoggedIn {
            method: LoginMethod::Sasl(mailwire_sasl::Mechanism::Plain)
        }]
    );
    assert_eq!(app.users, ["tim"]);
}
