//! The server's goodbye when it shuts down: `* BYE` between commands and during IDLE.

use mailwire_core::{Session as _, Transport};
use mailwire_imap::server::{Config, Event, Session};
use mailwire_sasl::AuthAnswer;

fn output(s: &mut Session) -> String {
    let mut out = Vec::new();
    while let Some(bytes) = s.transmit() {
        out.extend_from_slice(&bytes);
    }
    String::from_utf8(out).unwrap()
}

/// A session logged in as fred, its output so far drained.
fn logged_in() -> Session {
    let mut config = Config::default();
    config.plaintext_auth = true;
    let mut s = Session::new(config);
    s.receive(b"a1 LOGIN fred secret\r\n");
    while let Some(event) = s.poll_event() {
        if let Event::Auth { .. } = event {
            s.answer_auth(AuthAnswer::Accept).unwrap();
        }
    }
    let out = output(&mut s);
    assert!(out.ends_with("] Logged in\r\n"), "{out}");
    s
}

#[test]
fn shutdown_between_commands_says_bye_and_closes() {
    let mut s = logged_in();
    s.shutdown();
    assert_eq!(output(&mut s), "* BYE Server shutting down\r\n");
    assert_eq!(s.transport(), Transport::Close);
    assert!(!s.wants_input());
    // Once closed: no second goodbye, and commands arriving now are not answered.
    s.shutdown();
    s.receive(b"a2 NOOP\r\n");
    assert_eq!(output(&mut s), "");
    assert!(s.poll_event().is_none());
}

#[test]
fn shutdown_during_idle_says_bye() {
    let mut s = logged_in();
    s.receive(b"a2 IDLE\r\n");
    assert_eq!(output(&mut s), "+ idling\r\n");
    s.shutdown();
    assert_eq!(output(&mut s), "* BYE Server shutting down\r\n");
    assert_eq!(s.transport(), Transport::Close);
}

#[test]
fn shutdown_before_login_says_bye() {
    let mut s = Session::new(Config::default());
    output(&mut s);
    s.shutdown();
    assert_eq!(output(&mut s), "* BYE Server shutting down\r\n");
    assert_eq!(s.transport(), Transport::Close);
}
