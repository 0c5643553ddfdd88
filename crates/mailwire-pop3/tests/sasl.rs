//! SASL `AUTH` between the client and server sessions, with mailwire-sasl's exchanges on
//! both ends: the server session runs its exchange itself and asks the application only
//! for what the mechanism needs.

use mailwire_core::{Secret, Session, Transport};
use mailwire_pop3::{
    Password, UserName,
    client::{self, Event, LoginMethod, Session as Client},
    server::{self, Config, Maildrop, Session as Server},
};
use mailwire_sasl::{AuthAnswer, AuthQuestion, ClientExchange, ScramKeys};

const NONCE: &str = "srvNonce-3rfcNHYJY1ZVvWVs7j";

/// The server's application: answers the session's questions.
struct App {
    keys: ScramKeys,
    users: Vec<String>,
    failures: Vec<u32>,
}

impl App {
    fn new() -> Self {
        Self {
            keys: ScramKeys::derive("pencil", b"salt of the earth", 4096),
            users: Vec::new(),
            failures: Vec::new(),
        }
    }

    fn handle(&mut self, s: &mut Server) {
        while let Some(event) = s.poll_event() {
            match event {
                server::Event::Auth { question } => {
                    let answer = match question {
                        AuthQuestion::ScramKeys { .. } => AuthAnswer::ScramKeys(self.keys.clone()),
                        AuthQuestion::Password { password, .. }
                            if password.expose() == "pencil" =>
                        {
                            AuthAnswer::Accept
                        }
                        _ => AuthAnswer::Reject,
                    };
                    s.answer_auth(answer).expect("an auth question is pending");
                }
                server::Event::AuthFailed { failures, .. } => {
                    // The exchange used the nonce up; the next one needs a fresh one.
                    self.failures.push(failures);
                    s.set_auth_nonce(format!("{NONCE}-{failures}"));
                }
                server::Event::OpenMaildrop { user } => {
                    self.users.push(user);
                    s.open_maildrop(Maildrop::default())
                        .expect("the maildrop was asked for");
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
    let mechanisms = mechanisms.iter().map(|m| m.parse().unwrap()).collect();
    let mut config = Config::default();
    config.implicit_tls = true;
    config.sasl_mechanisms = mechanisms;
    let mut s = Server::new(config);
    s.set_auth_nonce(NONCE);
    let mut client_config = client::Config::default();
    client_config.implicit_tls = true;
    let c = Client::new(client_config);
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
    assert_eq!(app.failures, [1]);
    c.authenticate(scram("pencil")).unwrap();
    assert!(matches!(
        pump(&mut c, &mut s, &mut app)[..],
        [Event::LoggedIn { .. }]
    ));
    assert_eq!(app.users, ["user"]);
}

/// The session cannot skip SCRAM's proof, so an impostor is played by hand: it answers
/// the client's final message with `+OK` instead of the server's signature.
#[test]
fn a_server_that_skips_the_scram_proof_is_not_trusted() {
    let (mut c, mut s) = pair(&["SCRAM-SHA-256"]);
    let mut app = App::new();
    pump(&mut c, &mut s, &mut app);
    c.authenticate(scram("pencil")).unwrap();
    let mut server_first_seen = false;
    let mut events = Vec::new();
    loop {
        app.handle(&mut s);
        while let Some(b) = s.transmit() {
            server_first_seen |= b.starts_with(b"+ ") && b.len() > 4;
            c.receive(&b);
        }
        let Some(b) = c.transmit() else { break };
        if server_first_seen {
            // The client's final message, with its proof: not checked, just welcomed.
            c.receive(b"+OK maildrop ready\r\n");
            events.extend(std::iter::from_fn(|| c.poll_event()));
            break;
        }
        s.receive(&b);
    }
    assert!(server_first_seen);
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
        Err(client::Error::MechanismNotAllowed(
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
