//! The scenarios of RFC 5321 Appendix D, played against the server session. The client
//! lines are the RFC's; the server lines are the RFC's where the application chooses the
//! text, and this server's own wording where the session writes the reply itself.

mod common;

use common::{Harness, config, reply};
use mailwire_core::{Session as _, Transport};
use mailwire_smtp::server::{Config, Event};
use mailwire_smtp::{ForwardPath, Mailbox, ReversePath};

fn foo_com() -> Config {
    let mut c = config("foo.com");
    c.greeting = "Simple Mail Transfer Service Ready".into();
    c.pipelining = false;
    c.max_message_size = None;
    c.smtputf8 = false;
    c.chunking = false;
    c.enhanced_status_codes = false;
    c.dsn = true;
    c
}

/// Accepts everything with the RFC's "250 OK", refuses Green.
fn rfc_policy() -> common::Policy {
    Box::new(|event, server| match event {
        Event::Rcpt {
            to: ForwardPath::Mailbox(m),
            ..
        } if m.local_part() == "Green" => {
            server.reject(reply(550, "No such user here")).unwrap();
        }
        e if common::needs_decision(e) => server.accept_with(reply(250, "OK")).unwrap(),
        _ => {}
    })
}

#[test]
fn d1_a_typical_smtp_transaction() {
    let mut h = Harness::new(foo_com(), rfc_policy());
    assert_eq!(
        h.take_output(),
        "220 foo.com Simple Mail Transfer Service Ready\r\n"
    );
    h.send(b"EHLO bar.com\r\n");
    assert_eq!(
        h.take_output(),
        "250-foo.com\r\n250-8BITMIME\r\n250-DSN\r\n250 HELP\r\n"
    );
    h.send(b"MAIL FROM:<Smith@bar.com>\r\n");
    assert_eq!(h.take_output(), "250 OK\r\n");
    h.send(b"RCPT TO:<Jones@foo.com>\r\n");
    assert_eq!(h.take_output(), "250 OK\r\n");
    h.send(b"RCPT TO:<Green@foo.com>\r\n");
    assert_eq!(h.take_output(), "550 No such user here\r\n");
    h.send(b"RCPT TO:<Brown@foo.com>\r\n");
    assert_eq!(h.take_output(), "250 OK\r\n");
    h.send(b"DATA\r\n");
    assert_eq!(h.take_output(), "354 End data with <CR><LF>.<CR><LF>\r\n");
    h.send(b"Blah blah blah...\r\n...etc. etc. etc.\r\n.\r\n");
    assert_eq!(h.take_output(), "250 OK\r\n");
    h.send(b"QUIT\r\n");
    assert_eq!(h.take_output(), "221 Bye\r\n");
    assert_eq!(h.server.transport(), Transport::Close);

    assert_eq!(h.body(), b"Blah blah blah...\r\n..etc. etc. etc.\r\n");
    let message = h.events.iter().find_map(|e| match e {
        Event::Message {
            from,
            recipients,
            size,
        } => Some((from, recipients, *size)),
        _ => None,
    });
    let mailbox = |s: &str| Mailbox::parse(s).unwrap();
    assert_eq!(
        message,
        Some((
            &ReversePath::Mailbox(mailbox("Smith@bar.com")),
            &vec![
                ForwardPath::Mailbox(mailbox("Jones@foo.com")),
                ForwardPath::Mailbox(mailbox("Brown@foo.com"))
            ],
            37
        ))
    );
}

#[test]
fn d2_aborted_smtp_transaction() {
    let mut h = Harness::new(foo_com(), rfc_policy());
    h.take_output();
    h.send(b"EHLO bar.com\r\n");
    h.take_output();
    h.send(b"MAIL FROM:<Smith@bar.com>\r\n");
    h.send(b"RCPT TO:<Jones@foo.com>\r\n");
    h.send(b"RCPT TO:<Green@foo.com>\r\n");
    h.send(b"RSET\r\n");
    h.send(b"QUIT\r\n");
    assert_eq!(
        h.take_output(),
        "250 OK\r\n250 OK\r\n550 No such user here\r\n250 Ok\r\n221 Bye\r\n"
    );
    assert!(h.events.contains(&Event::Reset));
    assert!(!h.events.iter().any(|e| matches!(e, Event::Message { .. })));
}

#[test]
fn d3_relayed_mail_scenario_receiving_side() {
    // Step 2 of D.3: foo.com receives from the relay and hands on to xyz.com.
    let mut h = Harness::new(foo_com(), rfc_policy());
    h.take_output();
    h.send(b"EHLO foo.com\r\nMAIL FROM:<JQP@bar.com>\r\nRCPT TO:<Jones@XYZ.COM>\r\nDATA\r\n");
    h.send(b"Date: Thu, 21 May 1998 05:33:29 -0700\r\nFrom: John Q. Public <JQP@bar.com>\r\n");
    h.send(b"Subject: The Next Meeting of the Board\r\nTo: Jones@xyz.com\r\n\r\nBill:\r\n");
    h.send(b"The next meeting of the board of directors will be\r\non Tuesday.\r\nJohn.\r\n.\r\nQUIT\r\n");
    assert_eq!(
        h.take_output(),
        "250-foo.com\r\n250-8BITMIME\r\n250-DSN\r\n250 HELP\r\n250 OK\r\n250 OK\r\n\
         354 End data with <CR><LF>.<CR><LF>\r\n250 OK\r\n221 Bye\r\n"
    );
    assert!(
        h.body()
            .starts_with(b"Date: Thu, 21 May 1998 05:33:29 -0700\r\n")
    );
    assert!(h.body().ends_with(b"on Tuesday.\r\nJohn.\r\n"));
}

#[test]
fn d4_verifying_and_sending_scenario() {
    let mut h = Harness::new(foo_com(), rfc_policy());
    h.take_output();
    h.send(b"EHLO bar.com\r\nVRFY Crispin\r\n");
    assert!(
        h.take_output()
            .ends_with("252 Cannot VRFY user, but will accept message and attempt delivery\r\n")
    );
    h.send(b"MAIL FROM:<EAK@bar.com>\r\nRCPT TO:<Admin.MRC@foo.com>\r\nDATA\r\nBlah blah blah...\r\n...etc. etc. etc.\r\n.\r\nQUIT\r\n");
    assert_eq!(
        h.take_output(),
        "250 OK\r\n250 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 OK\r\n221 Bye\r\n"
    );
    assert!(matches!(&h.events[1], Event::Query { query, .. } if query.as_str() == "Crispin"));
}

#[test]
fn helo_gets_a_plain_reply_and_ehlo_resets_the_transaction() {
    let mut h = Harness::new(foo_com(), rfc_policy());
    h.take_output();
    h.send(b"HELO bar.com\r\nMAIL FROM:<a@bar.com>\r\nEHLO bar.com\r\nRCPT TO:<b@foo.com>\r\n");
    assert_eq!(
        h.take_output(),
        "250 foo.com\r\n250 OK\r\n250-foo.com\r\n250-8BITMIME\r\n250-DSN\r\n250 HELP\r\n\
         503 Need MAIL before RCPT\r\n"
    );
    assert!(h.events.contains(&Event::Reset));
}
