//! The client session's own rules: no password in clear without TLS unless allowed, how
//! long it waits for the server, and how long a response line it reads.

use std::num::NonZeroU32;
use std::time::Duration;

use mailwire_core::{Secret, Session as _, Transport};
use mailwire_imap::client::{Config, Error, Event, Session};
use mailwire_imap::codec::Limits;
use mailwire_imap::types::{Atom, CommandBody, Completion, Data, NonEmpty, SearchKey};
use mailwire_sasl::ClientExchange;

fn greeted(config: Config, caps: &str) -> Session {
    let mut c = Session::new(config);
    c.receive(format!("* OK [CAPABILITY IMAP4rev1 {caps}] hi\r\n").as_bytes());
    while c.poll_event().is_some() {}
    c
}

fn password() -> Secret<String> {
    Secret::new("secret".to_owned())
}

#[test]
fn login_and_plaintext_sasl_are_refused_without_tls() {
    let mut c = greeted(Config::default(), "AUTH=PLAIN AUTH=XOAUTH2 STARTTLS");
    assert_eq!(c.login("fred", "secret"), Err(Error::PlaintextNotAllowed));
    let plain = ClientExchange::plain(None, "fred", &password()).unwrap();
    assert_eq!(
        c.authenticate(plain).map(|_| ()),
        Err(Error::PlaintextNotAllowed)
    );
    let login = CommandBody::Login {
        username: "fred".try_into().unwrap(),
        password: Secret::new("secret".try_into().unwrap()),
    };
    assert_eq!(
        c.command(login).map(|_| ()),
        Err(Error::PlaintextNotAllowed)
    );
    let xoauth2 = CommandBody::Authenticate {
        mechanism: Atom::new("XOAUTH2").unwrap(),
        initial_response: None,
    };
    assert_eq!(
        c.command(xoauth2).map(|_| ()),
        Err(Error::PlaintextNotAllowed)
    );
    assert!(c.transmit().is_none(), "nothing was sent");
}

#[test]
fn mechanisms_that_keep_the_password_off_the_wire_need_no_tls() {
    let mut c = greeted(Config::default(), "AUTH=CRAM-MD5 AUTH=SCRAM-SHA-256");
    let cram = ClientExchange::cram_md5("fred", &password());
    c.authenticate(cram).unwrap();
    assert_eq!(&c.transmit().unwrap()[..], b"A1 AUTHENTICATE CRAM-MD5\r\n");
}

#[test]
fn plaintext_is_allowed_when_the_application_opts_in() {
    let mut config = Config::default();
    config.plaintext_auth = true;
    let mut c = greeted(config, "AUTH=PLAIN");
    c.login("fred", "secret").unwrap();
    assert_eq!(&c.transmit().unwrap()[..], b"A1 LOGIN fred secret\r\n");
}

#[test]
fn login_is_allowed_under_implicit_tls() {
    let mut config = Config::default();
    config.tls = true;
    let mut c = greeted(config, "AUTH=PLAIN");
    assert!(c.is_tls());
    c.login("fred", "secret").unwrap();
    assert_eq!(&c.transmit().unwrap()[..], b"A1 LOGIN fred secret\r\n");
}

#[test]
fn login_after_starttls_waits_for_the_handshake() {
    let mut c = greeted(Config::default(), "STARTTLS LOGINDISABLED");
    c.command(CommandBody::StartTls).unwrap();
    assert_eq!(&c.transmit().unwrap()[..], b"A1 STARTTLS\r\n");
    c.receive(b"A1 OK Begin TLS\r\n");
    assert_eq!(c.transport(), Transport::StartTls);
    // The server's LOGINDISABLED was for plaintext; forget it with the handshake.
    c.receive(b"");
    while c.poll_event().is_some() {}
    assert!(!c.is_tls());
    // Accepted, since the upgrade is under way, and held until it is done.
    c.tls_established();
    assert!(c.is_tls());
    c.login("fred", "secret").unwrap();
    assert_eq!(
        &c.transmit().unwrap()[..],
        b"A2 CAPABILITY\r\nA3 LOGIN fred secret\r\n"
    );
}

#[test]
fn commands_queued_during_the_upgrade_go_out_after_it() {
    let mut config = Config::default();
    config.plaintext_auth = true;
    let mut c = greeted(config, "STARTTLS");
    c.command(CommandBody::StartTls).unwrap();
    c.transmit();
    c.receive(b"A1 OK Begin TLS\r\n");
    while c.poll_event().is_some() {}
    c.login("fred", "secret").unwrap();
    assert!(
        c.transmit().is_none(),
        "nothing in clear before the handshake"
    );
    c.tls_established();
    assert_eq!(
        &c.transmit().unwrap()[..],
        b"A2 LOGIN fred secret\r\nA3 CAPABILITY\r\n"
    );
}

#[test]
fn the_client_waits_per_response_and_longer_in_idle() {
    let mut config = Config::default();
    config.timeout = Some(Duration::from_secs(60));
    config.idle_timeout = Some(Duration::from_secs(1800));
    let mut c = Session::new(config);
    assert_eq!(c.timeout(), Some(Duration::from_secs(60)), "the greeting");
    c.receive(b"* OK [CAPABILITY IMAP4rev1 IDLE] hi\r\n");
    while c.poll_event().is_some() {}
    assert_eq!(c.timeout(), None, "nothing asked");
    c.command(CommandBody::Noop).unwrap();
    assert_eq!(c.timeout(), Some(Duration::from_secs(60)), "NOOP");
    c.receive(b"A1 OK done\r\n");
    assert!(matches!(c.poll_event(), Some(Event::Completed { .. })));
    assert_eq!(c.timeout(), None);
    c.idle().unwrap();
    assert_eq!(c.timeout(), Some(Duration::from_secs(60)), "IDLE sent");
    c.receive(b"+ idling\r\n");
    assert!(matches!(c.poll_event(), Some(Event::Idling { .. })));
    assert_eq!(c.timeout(), Some(Duration::from_secs(1800)), "idling");
    c.done().unwrap();
    assert_eq!(c.timeout(), Some(Duration::from_secs(60)), "DONE sent");
    c.receive(b"A2 OK IDLE terminated\r\n");
    assert_eq!(c.timeout(), None);
}

#[test]
fn the_default_timeouts() {
    let config = Config::default();
    assert_eq!(config.timeout, Some(Duration::from_secs(300)));
    assert_eq!(config.idle_timeout, Some(Duration::from_secs(1800)));
    assert!(!config.plaintext_auth && !config.tls);
}

/// A SEARCH for a large mailbox is one long line (100,000 UIDs here, about 684 KiB), far
/// longer than what a server accepts in a command.
#[test]
fn a_search_answer_of_100000_uids_is_read_whole() {
    let uids: Vec<u32> = (100_000..200_000).collect();
    let mut line = String::from("* SEARCH");
    for uid in &uids {
        line.push(' ');
        line.push_str(&uid.to_string());
    }
    line.push_str("\r\n");
    assert!(line.len() > Limits::default().max_line);
    assert_eq!(Config::default().limits, Limits::for_client());

    let mut c = greeted(Config::default(), "IDLE");
    let tag = c
        .command(CommandBody::Search {
            charset: None,
            criteria: NonEmpty::new(SearchKey::All),
            uid: true,
        })
        .unwrap();
    c.transmit();
    // In pieces, as a socket delivers it.
    for piece in line.as_bytes().chunks(16 * 1024) {
        c.receive(piece);
    }
    c.receive(b"A1 OK UID SEARCH completed\r\n");
    let Some(Event::Completed {
        tag: done,
        completion: Completion::Ok,
        data,
        ..
    }) = c.poll_event()
    else {
        panic!("no completion");
    };
    assert_eq!(done, tag);
    let [Data::Search { ids, modseq: None }] = &data[..] else {
        panic!("no SEARCH data: {data:?}");
    };
    let expected: Vec<NonZeroU32> = uids.iter().map(|&u| NonZeroU32::new(u).unwrap()).collect();
    assert_eq!(*ids, expected);
}
