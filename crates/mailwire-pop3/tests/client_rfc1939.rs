//! The client against the server side of RFC 1939's example session, byte by byte.

use mailwire_core::{Session as _, Transport};
use mailwire_pop3::{
    MessageNumber, Password, ScanListing, UserName,
    client::{Config, Event, LoginMethod, Session, StlsPolicy},
};

fn n(n: u32) -> MessageNumber {
    MessageNumber::new(n).unwrap()
}

fn out(c: &mut Session) -> String {
    let mut s = String::new();
    while let Some(b) = c.transmit() {
        s.push_str(&String::from_utf8_lossy(&b));
    }
    s
}

fn events(c: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

/// RFC 1939 §10 with a server that knows neither CAPA nor STLS: the client falls back to
/// APOP with the greeting's timestamp, sending the digest of §7.
#[test]
fn rfc_1939_section_10_from_the_client_side() {
    let mut config = Config::default();
    config.stls = StlsPolicy::Never;
    let mut c = Session::new(config);
    c.receive(b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
    assert_eq!(out(&mut c), "CAPA\r\n");
    c.receive(b"-ERR unknown command\r\n");
    let ev = events(&mut c);
    let [
        Event::Ready {
            greeting,
            capabilities,
        },
    ] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert!(capabilities.is_empty());
    assert_eq!(
        greeting.timestamp().unwrap().as_str(),
        "<1896.697170952@dbc.mtview.ca.us>"
    );

    c.login(
        UserName::new("mrose").unwrap(),
        Password::new("tanstaaf").unwrap(),
    )
    .unwrap();
    assert_eq!(
        out(&mut c),
        "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"
    );
    c.receive(b"+OK mrose's maildrop has 2 messages (320 octets)\r\n");
    assert_eq!(
        events(&mut c),
        [Event::LoggedIn {
            method: LoginMethod::Apop
        }]
    );

    // Without PIPELINING each command waits for the previous answer.
    c.stat().unwrap();
    c.list(None).unwrap();
    c.retr(n(1)).unwrap();
    assert_eq!(out(&mut c), "STAT\r\n");
    c.receive(b"+OK 2 320\r\n");
    assert_eq!(out(&mut c), "LIST\r\n");
    c.receive(b"+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n");
    assert_eq!(out(&mut c), "RETR 1\r\n");
    c.receive(b"+OK 120 octets\r\nSubject: x\r\n\r\n..dot\r\n.\r\n");
    c.dele(n(1)).unwrap();
    assert_eq!(out(&mut c), "DELE 1\r\n");
    c.receive(b"+OK message 1 deleted\r\n");
    c.quit().unwrap();
    assert_eq!(out(&mut c), "QUIT\r\n");
    c.receive(b"+OK dewey POP3 server signing off (maildrop empty)\r\n");

    let ev = events(&mut c);
    assert_eq!(
        ev[0],
        Event::Stat {
            count: 2,
            size: 320
        }
    );
    assert_eq!(
        ev[1],
        Event::ScanListings {
            listings: vec![
                ScanListing {
                    message: n(1),
                    size: 120
                },
                ScanListing {
                    message: n(2),
                    size: 200
                }
            ]
        }
    );
    let Event::BodyChunk { data, .. } = &ev[2] else {
        panic!("{:?}", ev[2])
    };
    assert_eq!(&data[..], b"Subject: x\r\n\r\n.dot\r\n");
    assert_eq!(ev[3], Event::BodyEnd { message: n(1) });
    assert!(
        matches!(&ev[4], Event::Completed { response, .. } if response.text() == "message 1 deleted")
    );
    assert!(matches!(&ev[5], Event::Closed { response } if response.is_ok()));
    assert_eq!(c.transport(), Transport::Close);
}

/// The server's bytes split at every point give the same events, bodies concatenated.
#[test]
fn every_split_of_the_server_bytes_gives_the_same_result() {
    let server: &[u8] = b"+OK ready\r\n+OK\r\nUSER\r\nPIPELINING\r\n.\r\n+OK send PASS\r\n+OK in\r\n\
+OK 9 octets\r\n..a\r\n.\r\r\n\r\n.\r\n+OK 2 messages (5 octets)\r\n1 2\r\n2 3\r\n.\r\n-ERR no such message\r\n";
    let run = |split: usize| {
        let mut config = Config::default();
        config.implicit_tls = true;
        let mut c = Session::new(config);
        let mut ev = Vec::new();
        let mut body = Vec::new();
        let mut sent = String::new();
        for piece in server.chunks(split) {
            c.receive(piece);
            sent.push_str(&out(&mut c));
            while let Some(e) = c.poll_event() {
                match e {
                    Event::Ready { .. } => {
                        c.login(UserName::new("u").unwrap(), Password::new("p").unwrap())
                            .unwrap();
                    }
                    Event::LoggedIn { .. } => {
                        c.retr(n(1)).unwrap();
                        c.list(None).unwrap();
                        c.dele(n(7)).unwrap();
                    }
                    Event::BodyChunk { data, .. } => body.extend_from_slice(&data),
                    e => ev.push(e),
                }
            }
            sent.push_str(&out(&mut c));
        }
        (ev, body, sent)
    };
    let reference = run(server.len());
    assert_eq!(reference.1, b".a\r\n\r\r\n\r\n");
    assert_eq!(
        reference.2,
        "CAPA\r\nUSER u\r\nPASS p\r\nRETR 1\r\nLIST\r\nDELE 7\r\n"
    );
    assert_eq!(reference.0.len(), 3, "{:?}", reference.0);
    assert!(
        matches!(&reference.0[2], Event::Failed { response, .. } if response.text() == "no such message")
    );
    for split in 1..server.len() {
        assert_eq!(run(split), reference, "split {split}");
    }
}

#[test]
fn garbage_from_the_server_is_a_protocol_error() {
    let mut c = Session::new(Config::default());
    c.receive(b"HELLO\r\n");
    assert_eq!(
        events(&mut c),
        [Event::ProtocolError {
            reason: "invalid status line"
        }]
    );
    assert_eq!(c.transport(), Transport::Close);

    let mut c = Session::new(Config::default());
    c.receive(b"-ERR go away\r\n");
    assert!(matches!(&events(&mut c)[..], [Event::Closed { response }] if !response.is_ok()));

    let mut c = Session::new(Config::default());
    c.receive(&[b'x'; 600]);
    assert_eq!(
        events(&mut c),
        [Event::ProtocolError {
            reason: "line too long"
        }]
    );
}

#[test]
fn a_silent_server_is_a_timeout_and_nothing_more_is_sent() {
    let mut config = Config::default();
    config.stls = StlsPolicy::Never;
    let mut c = Session::new(config);
    c.receive(b"+OK ready\r\n");
    assert_eq!(out(&mut c), "CAPA\r\n");
    c.timed_out();
    assert_eq!(events(&mut c), [Event::TimedOut]);
    assert_eq!(c.transport(), Transport::Close);
    // Closed without QUIT: a server must not enter UPDATE on a client that gave up.
    assert_eq!(out(&mut c), "");
    assert_eq!(c.timeout(), None);
}

#[test]
fn commands_go_out_together_when_the_server_pipelines() {
    let mut config = Config::default();
    config.implicit_tls = true;
    let mut c = Session::new(config);
    c.receive(b"+OK ready\r\n");
    assert_eq!(out(&mut c), "CAPA\r\n");
    c.receive(b"+OK\r\nUSER\r\nPIPELINING\r\n.\r\n");
    events(&mut c);
    c.login(UserName::new("u").unwrap(), Password::new("p").unwrap())
        .unwrap();
    c.receive(b"+OK\r\n");
    c.receive(b"+OK\r\n");
    assert_eq!(
        events(&mut c),
        [Event::LoggedIn {
            method: LoginMethod::UserPass
        }]
    );
    out(&mut c);
    c.stat().unwrap();
    c.dele(n(1)).unwrap();
    c.retr(n(2)).unwrap();
    c.quit().unwrap();
    assert_eq!(out(&mut c), "STAT\r\nDELE 1\r\nRETR 2\r\nQUIT\r\n");
    c.receive(b"+OK 1 5\r\n-ERR no such message\r\n+OK\r\nhi\r\n.\r\n+OK bye\r\n");
    let ev = events(&mut c);
    assert_eq!(ev[0], Event::Stat { count: 1, size: 5 });
    assert!(
        matches!(&ev[1], Event::Failed { command, .. } if *command == mailwire_pop3::Command::Dele { message: n(1) })
    );
    assert!(matches!(&ev[2], Event::BodyChunk { data, .. } if &data[..] == b"hi\r\n"));
    assert_eq!(ev[3], Event::BodyEnd { message: n(2) });
    assert!(matches!(&ev[4], Event::Closed { response } if response.text() == "bye"));
}

#[test]
fn unsolicited_data_is_bounded() {
    let mut config = Config::default();
    config.implicit_tls = true;
    let mut c = Session::new(config);
    c.receive(b"+OK hi\r\n+OK\r\n.\r\n");
    assert!(matches!(events(&mut c)[..], [Event::Ready { .. }]));
    c.receive(b"+OK early\r\n");
    assert_eq!(events(&mut c), []);
    c.receive(&[b'+'; 600]);
    assert_eq!(
        events(&mut c),
        [Event::ProtocolError {
            reason: "data without a command"
        }]
    );
}

#[test]
fn commands_before_login_are_usage_errors() {
    let mut c = Session::new(Config::default());
    assert!(c.stat().is_err());
    assert!(
        c.login(UserName::new("u").unwrap(), Password::new("p").unwrap())
            .is_err()
    );
}

#[test]
fn a_listing_longer_than_the_limit_is_a_protocol_error() {
    let mut config = Config::default();
    config.stls = StlsPolicy::Never;
    config.max_listing_entries = 3;
    let mut c = Session::new(config);
    c.receive(b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
    out(&mut c);
    c.receive(b"-ERR unknown command\r\n");
    events(&mut c);
    c.login(
        UserName::new("mrose").unwrap(),
        Password::new("tanstaaf").unwrap(),
    )
    .unwrap();
    out(&mut c);
    c.receive(b"+OK maildrop has 4 messages (400 octets)\r\n");
    events(&mut c);

    // Three entries are within the limit.
    c.list(None).unwrap();
    out(&mut c);
    c.receive(b"+OK 3 messages\r\n1 100\r\n2 100\r\n3 100\r\n.\r\n");
    assert!(
        matches!(&events(&mut c)[..], [Event::ScanListings { listings }] if listings.len() == 3)
    );
    // A fourth is not.
    c.list(None).unwrap();
    out(&mut c);
    c.receive(b"+OK 4 messages\r\n1 100\r\n2 100\r\n3 100\r\n4 100\r\n.\r\n");
    assert_eq!(
        events(&mut c),
        [Event::ProtocolError {
            reason: "listing longer than the configured maximum"
        }]
    );
    assert_eq!(c.transport(), Transport::Close);
}

/// A client logged-in-ready against a server offering SASL PLAIN, USER and an APOP
/// timestamp, over a connection where plaintext passwords are allowed.
fn ready_with_plain() -> Session {
    let mut config = Config::default();
    config.stls = StlsPolicy::Never;
    config.plaintext_auth = true;
    let mut c = Session::new(config);
    c.receive(b"+OK ready <7.1@host.test>\r\n");
    assert_eq!(out(&mut c), "CAPA\r\n");
    c.receive(b"+OK\r\nSASL PLAIN\r\nUSER\r\n.\r\n");
    assert!(matches!(events(&mut c)[..], [Event::Ready { .. }]));
    c.login(
        UserName::new("mrose").unwrap(),
        Password::new("tanstaaf").unwrap(),
    )
    .unwrap();
    assert_eq!(out(&mut c), "AUTH PLAIN AG1yb3NlAHRhbnN0YWFm\r\n");
    c
}

/// RFC 3206 §4: `[AUTH]` says the credentials are wrong, so trying them again with
/// another method is pointless; a bare -ERR says the mechanism failed, so the next one
/// (APOP here, the greeting having a timestamp) is tried.
#[test]
fn login_falls_back_after_a_sasl_failure_that_is_not_about_credentials() {
    let mut c = ready_with_plain();
    c.receive(b"-ERR [AUTH] invalid credentials\r\n");
    let ev = events(&mut c);
    let [Event::LoginFailed { response }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(response.text(), "invalid credentials");
    assert_eq!(out(&mut c), "");

    let mut c = ready_with_plain();
    c.receive(b"-ERR PLAIN is broken today\r\n");
    assert_eq!(events(&mut c), []);
    // MD5("<7.1@host.test>tanstaaf"), computed independently.
    assert_eq!(
        out(&mut c),
        "APOP mrose 60ab2971204e4e6f47579c1e9c87395e\r\n"
    );
    c.receive(b"+OK maildrop ready\r\n");
    assert_eq!(
        events(&mut c),
        [Event::LoggedIn {
            method: LoginMethod::Apop
        }]
    );
}

/// Without APOP, the fallback is USER / PASS.
#[test]
fn login_falls_back_to_user_and_pass() {
    let mut config = Config::default();
    config.stls = StlsPolicy::Never;
    config.plaintext_auth = true;
    config.allow_apop = false;
    let mut c = Session::new(config);
    c.receive(b"+OK ready\r\n");
    out(&mut c);
    c.receive(b"+OK\r\nSASL PLAIN\r\nUSER\r\n.\r\n");
    events(&mut c);
    c.login(UserName::new("tim").unwrap(), Password::new("pw").unwrap())
        .unwrap();
    assert_eq!(out(&mut c), "AUTH PLAIN AHRpbQBwdw==\r\n");
    c.receive(b"-ERR [SYS/TEMP] try later\r\n");
    assert!(matches!(events(&mut c)[..], [Event::LoginFailed { .. }]));
    c.login(UserName::new("tim").unwrap(), Password::new("pw").unwrap())
        .unwrap();
    assert_eq!(out(&mut c), "AUTH PLAIN AHRpbQBwdw==\r\n");
    c.receive(b"-ERR unsupported\r\n");
    assert_eq!(events(&mut c), []);
    assert_eq!(out(&mut c), "USER tim\r\n");
    c.receive(b"+OK\r\n");
    assert_eq!(out(&mut c), "PASS pw\r\n");
    c.receive(b"+OK in\r\n");
    assert_eq!(
        events(&mut c),
        [Event::LoggedIn {
            method: LoginMethod::UserPass
        }]
    );
}
