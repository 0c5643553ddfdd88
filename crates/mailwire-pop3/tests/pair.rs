//! A client and a server session talking to each other in memory.

mod common;

use common::{App, message, server};
use mailwire_core::{Session as _, Transport};
use mailwire_pop3::{
    Capability, MessageNumber, Password, Timestamp, UserName,
    client::{self, Event, LoginMethod, Session, StlsPolicy},
    server::{Config, PlaintextLogin},
};

/// Moves bytes both ways until neither side has anything to say; completes STLS
/// handshakes on both sides at once. Returns the client's events.
fn pump(c: &mut Session, s: &mut mailwire_pop3::server::Session, app: &mut App) -> Vec<Event> {
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
        if c.transport() == Transport::StartTls && s.transport() == Transport::StartTls {
            s.tls_established();
            c.tls_established();
            moved = true;
        }
        while let Some(e) = c.poll_event() {
            events.push(e);
            moved = true;
        }
        if !moved {
            return events;
        }
    }
}

fn body_of(events: &[Event], n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        if let Event::BodyChunk { message, data } = e
            && message.get() == n
        {
            out.extend_from_slice(data);
        }
    }
    out
}

fn n(n: u32) -> MessageNumber {
    MessageNumber::new(n).unwrap()
}

fn credentials() -> (UserName, Password) {
    (
        UserName::new("mrose").unwrap(),
        Password::new("tanstaaf").unwrap(),
    )
}

fn messages() -> Vec<Vec<u8>> {
    vec![
        message(300, "one"),
        b"Subject: dots\r\n\r\n.leading dot\r\n.\r\n..\r\nlast\r\n".to_vec(),
        message(5000, "three"),
    ]
}

fn download_and_delete(
    server_config: Config,
    client_config: client::Config,
    method: LoginMethod,
    pipelining: bool,
) {
    let msgs = messages();
    let mut app = App::new(msgs.clone());
    app.chunk = 333;
    let ts = Timestamp::from_parts(4242, 1_700_000_000, 7, "pop.example.org").unwrap();
    let mut s = server(server_config, Some(ts));
    let mut c = Session::new(client_config);

    let events = pump(&mut c, &mut s, &mut app);
    let Some(Event::Ready { capabilities, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(capabilities.contains(&Capability::Pipelining), pipelining);
    let (user, password) = credentials();
    c.login(user, password).unwrap();
    let events = pump(&mut c, &mut s, &mut app);
    assert_eq!(events, [Event::LoggedIn { method }]);

    c.stat().unwrap();
    c.list(None).unwrap();
    c.uidl(None).unwrap();
    for i in 1..=3 {
        c.retr(n(i)).unwrap();
    }
    c.top(n(3), 1).unwrap();
    for i in 1..=3 {
        c.dele(n(i)).unwrap();
    }
    c.quit().unwrap();
    let events = pump(&mut c, &mut s, &mut app);

    assert_eq!(
        events[0],
        Event::Stat {
            count: 3,
            size: msgs.iter().map(|m| m.len() as u64).sum()
        }
    );
    let Event::ScanListings { listings } = &events[1] else {
        panic!("{:?}", events[1])
    };
    assert_eq!(
        listings.iter().map(|l| l.size).collect::<Vec<_>>(),
        msgs.iter().map(|m| m.len() as u64).collect::<Vec<_>>()
    );
    let Event::UniqueIdListings { listings } = &events[2] else {
        panic!()
    };
    assert_eq!(listings[2].unique_id.as_str(), "uid-3");
    for i in 1..=2u32 {
        assert_eq!(body_of(&events, i), msgs[i as usize - 1], "message {i}");
    }
    // Message 3 was retrieved whole and then its top: header, blank line, one line.
    let mut expected = msgs[2].clone();
    expected.extend_from_slice(b"From: a@example.org\r\nSubject: three\r\n\r\n0123456789\r\n");
    assert_eq!(body_of(&events, 3), expected);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::BodyEnd { .. }))
            .count(),
        4
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Completed { .. }))
            .count(),
        3
    );
    let Some(Event::Closed { response }) = events.last() else {
        panic!()
    };
    assert_eq!(
        response.text(),
        "localhost POP3 server signing off (maildrop empty)"
    );
    let deleted: Vec<_> = app
        .deleted
        .unwrap()
        .iter()
        .map(|d| d.message.get())
        .collect();
    assert_eq!(deleted, [1, 2, 3]);
    assert_eq!(c.transport(), Transport::Close);
    assert_eq!(s.transport(), Transport::Close);
}

#[test]
fn user_pass_after_stls_with_pipelining() {
    let mut config = Config::default();
    config.stls = true;
    download_and_delete(
        config,
        client::Config::default(),
        LoginMethod::UserPass,
        true,
    );
}

#[test]
fn sasl_plain_is_preferred() {
    let mut config = Config::default();
    config.stls = true;
    config.apop = true;
    config.sasl_mechanisms = vec![mailwire_sasl::Mechanism::Plain];
    download_and_delete(
        config,
        client::Config::default(),
        LoginMethod::Sasl(mailwire_sasl::Mechanism::Plain),
        true,
    );
}

#[test]
fn apop_without_tls_and_without_pipelining() {
    let mut config = Config::default();
    config.apop = true;
    config.pipelining = false;
    let mut client_config = client::Config::default();
    client_config.stls = StlsPolicy::Never;
    download_and_delete(config, client_config, LoginMethod::Apop, false);
}

#[test]
fn plaintext_user_pass_only_when_both_sides_allow_it() {
    let mut app = App::new(vec![]);
    let mut s = server(Config::default(), None);
    let mut client_config = client::Config::default();
    client_config.stls = StlsPolicy::Never;
    let mut c = Session::new(client_config.clone());
    pump(&mut c, &mut s, &mut app);
    let (user, password) = credentials();
    assert_eq!(c.login(user, password), Err(client::Error::NoLoginMethod));

    let mut config = Config::default();
    config.plaintext_login = PlaintextLogin::Allow;
    let mut s = server(config, None);
    client_config.plaintext_auth = true;
    let mut c = Session::new(client_config);
    pump(&mut c, &mut s, &mut app);
    let (user, password) = credentials();
    c.login(user, Password::new("wrong").unwrap()).unwrap();
    let events = pump(&mut c, &mut s, &mut app);
    let [Event::LoginFailed { response }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(response.code(), Some(&mailwire_pop3::ResponseCode::Auth));
    c.login(UserName::new("mrose").unwrap(), password).unwrap();
    assert_eq!(
        pump(&mut c, &mut s, &mut app),
        [Event::LoggedIn {
            method: LoginMethod::UserPass
        }]
    );
}

#[test]
fn required_stls_refused_closes() {
    let mut app = App::new(vec![]);
    let mut s = server(Config::default(), None);
    let mut c = Session::new(client::Config::default());
    let events = pump(&mut c, &mut s, &mut app);
    let [Event::Closed { response }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(response.text(), "STLS not available");
    assert_eq!(c.transport(), Transport::Close);
}

#[test]
fn a_utf8_user_name_sends_utf8_first() {
    let mut app = App::new(vec![]);
    app.password = "pässwort".into();
    let mut config = Config::default();
    config.plaintext_login = PlaintextLogin::Allow;
    config.utf8 = true;
    let mut s = server(config, None);
    let mut client_config = client::Config::default();
    client_config.stls = StlsPolicy::Never;
    client_config.plaintext_auth = true;
    let mut c = Session::new(client_config);
    pump(&mut c, &mut s, &mut app);
    c.login(
        UserName::new("jörg").unwrap(),
        Password::new("pässwort").unwrap(),
    )
    .unwrap();
    assert_eq!(
        pump(&mut c, &mut s, &mut app),
        [Event::LoggedIn {
            method: LoginMethod::UserPass
        }]
    );
    assert_eq!(
        app.events,
        ["check jörg", "authenticated jörg", "open jörg"]
    );
}
