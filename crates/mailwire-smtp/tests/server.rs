//! Server session behaviour: pipelining, limits, smuggling, STARTTLS, AUTH, BDAT, LMTP,
//! and split-independence.

mod common;

use common::{Harness, accept_all, config, reply};
use mailwire_core::{Secret, Session as _, Transport};
use mailwire_smtp::Verb;
use mailwire_smtp::sasl::{
    AuthAnswer, AuthError, AuthQuestion, AuthQuestionKind, Mechanism, Method,
};
use mailwire_smtp::server::{AbortReason, Answer, BareLineEndings, Config, Error, Event, Question};
use proptest::prelude::*;

fn plain() -> Config {
    let mut c = config("mx.example.org");
    c.max_message_size = Some(1000);
    c
}

fn ready(config: Config) -> Harness {
    let mut h = Harness::new(config, accept_all());
    h.take_output();
    h.send(b"EHLO client.example\r\n");
    h.take_output();
    h.take_events();
    h
}

const EHLO_DEFAULT: &str = "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n\
    250-SMTPUTF8\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 HELP\r\n";

#[test]
fn ehlo_lists_the_configured_extensions() {
    let mut h = Harness::new(plain(), accept_all());
    assert_eq!(h.take_output(), "220 mx.example.org ESMTP ready\r\n");
    h.send(b"EHLO client.example\r\n");
    assert_eq!(h.take_output(), EHLO_DEFAULT);
    assert_eq!(
        h.take_events(),
        [Event::Hello {
            host: mailwire_smtp::Host::parse("client.example").unwrap(),
            verb: Verb::Ehlo
        }]
    );
}

/// Feeds `input` at once, makes every decision as it comes, and returns each write.
fn writes_for(h: &mut Harness, input: &[u8]) -> Vec<String> {
    h.server.receive(input);
    let mut writes = Vec::new();
    loop {
        while let Some(event) = h.server.poll_event() {
            if common::needs_decision(&event) {
                if let Some(bytes) = h.server.transmit() {
                    writes.push(String::from_utf8(bytes.to_vec()).unwrap());
                }
                h.server.accept().unwrap();
            }
        }
        match h.server.transmit() {
            Some(bytes) => writes.push(String::from_utf8(bytes.to_vec()).unwrap()),
            None => break,
        }
    }
    writes
}

#[test]
fn a_pipelined_batch_is_answered_in_one_write() {
    let mut h = ready(plain());
    assert_eq!(
        writes_for(
            &mut h,
            b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@mx.example.org>\r\n\
              RCPT TO:<c@mx.example.org>\r\nDATA\r\n"
        ),
        ["250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n\
          354 End data with <CR><LF>.<CR><LF>\r\n"]
    );
}

/// RFC 2920 §3.1, §3.2: the reply to a command that must end a group goes out without
/// waiting for what a client wrongly pipelined after it, and every reply goes out once
/// the input is used up, even while the application decides on the last command.
#[test]
fn replies_are_flushed_at_the_end_of_a_group_and_of_the_input() {
    let mut h = Harness::new(plain(), accept_all());
    h.take_output();
    assert_eq!(
        writes_for(
            &mut h,
            b"EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@mx.example.org>\r\n"
        ),
        [
            EHLO_DEFAULT.to_string(),
            "250 2.1.0 Ok\r\n".into(),
            "250 2.1.5 Ok\r\n".into()
        ]
    );
    // RSET's reply waits while MAIL is decided with more commands behind it; NOOP ends
    // a group, so everything up to its reply goes before RCPT's decision.
    assert_eq!(
        writes_for(
            &mut h,
            b"RSET\r\nMAIL FROM:<a@c.example>\r\nNOOP\r\nRCPT TO:<b@mx.example.org>\r\nRCPT TO:<c@mx.example.org>\r\n"
        ),
        [
            "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n".to_string(),
            "250 2.1.5 Ok\r\n".into(),
            "250 2.1.5 Ok\r\n".into()
        ]
    );
    // Part of a line behind a pending decision is not a command waiting: the input is
    // used up, so RSET's reply goes out while MAIL is decided.
    h.server
        .receive(b"RSET\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@mx.exa");
    assert!(matches!(h.server.poll_event(), Some(Event::Reset)));
    assert!(matches!(h.server.poll_event(), Some(Event::Mail { .. })));
    assert_eq!(
        h.server.transmit().as_deref(),
        Some(&b"250 2.0.0 Ok\r\n"[..])
    );
    h.server.accept().unwrap();
    assert_eq!(
        h.server.transmit().as_deref(),
        Some(&b"250 2.1.0 Ok\r\n"[..])
    );
}

#[test]
fn commands_out_of_sequence() {
    let mut h = Harness::new(plain(), accept_all());
    h.take_output();
    h.send(b"MAIL FROM:<a@c.example>\r\n");
    assert_eq!(h.take_output(), "503 5.5.1 Send EHLO first\r\n");
    h.send(b"EHLO c.example\r\n");
    h.take_output();
    h.send(b"RCPT TO:<b@mx.example.org>\r\nDATA\r\nBDAT 5\r\nabcdeMAIL FROM:<>\r\nMAIL FROM:<>\r\nDATA\r\n");
    assert_eq!(
        h.take_output(),
        "503 5.5.1 Need MAIL before RCPT\r\n503 5.5.1 Need MAIL command\r\n\
         503 5.5.1 Need MAIL command\r\n250 2.1.0 Ok\r\n503 5.5.1 Nested MAIL command\r\n\
         554 5.5.1 No valid recipients\r\n"
    );
}

#[test]
fn recipients_beyond_the_limit_get_452() {
    let mut c = plain();
    c.max_recipients = 2;
    let mut h = ready(c);
    h.send(b"MAIL FROM:<a@c.example>\r\nRCPT TO:<1@x.org>\r\nRCPT TO:<2@x.org>\r\nRCPT TO:<3@x.org>\r\n");
    assert_eq!(
        h.take_output(),
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n452 4.5.3 Too many recipients\r\n"
    );
}

#[test]
fn the_default_recipient_limit_is_100() {
    let mut h = ready(plain());
    h.send(b"MAIL FROM:<a@c.example>\r\n");
    for i in 0..101 {
        h.send(format!("RCPT TO:<r{i}@x.org>\r\n").as_bytes());
    }
    let out = h.take_output();
    assert_eq!(out.matches("250 2.1.5 Ok\r\n").count(), 100);
    assert!(out.ends_with("250 2.1.5 Ok\r\n452 4.5.3 Too many recipients\r\n"));
}

#[test]
fn parameters_are_checked_against_what_is_offered() {
    let mut c = plain();
    c.eight_bit_mime = false;
    let mut h = ready(c);
    h.send(b"MAIL FROM:<a@c.example> SIZE=1001\r\n");
    h.send(b"MAIL FROM:<a@c.example> BODY=8BITMIME\r\n");
    h.send(b"MAIL FROM:<a@c.example> RET=FULL\r\n");
    h.send(b"MAIL FROM:<a@c.example> X-FOO=1\r\n");
    h.send("MAIL FROM:<δοκιμή@c.example>\r\n".as_bytes());
    h.send("MAIL FROM:<δοκιμή@c.example> SMTPUTF8\r\n".as_bytes());
    h.send(b"RCPT TO:<b@x.org> NOTIFY=NEVER\r\n");
    assert_eq!(
        h.take_output(),
        "552 5.3.4 Message size exceeds fixed maximum message size\r\n\
         555 5.5.4 BODY=8BITMIME not supported\r\n555 5.5.4 DSN not supported\r\n\
         555 5.5.4 Unsupported parameter X-FOO\r\n553 5.6.7 Non-ASCII address needs SMTPUTF8\r\n\
         250 2.1.0 Ok\r\n555 5.5.4 DSN not supported\r\n"
    );
}

#[test]
fn the_application_decides_with_its_own_replies() {
    let policy: common::Policy = Box::new(|event, server| match event {
        Event::Mail { .. } => server.accept().unwrap(),
        Event::Rcpt { .. } => server.reject(reply(450, "Mailbox busy")).unwrap(),
        _ => {}
    });
    let mut h = Harness::new(plain(), policy);
    h.take_output();
    h.send(b"EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@x.org>\r\n");
    assert!(
        h.take_output()
            .ends_with("250 2.1.0 Ok\r\n450 Mailbox busy\r\n")
    );
    assert_eq!(
        h.server.accept(),
        Err(Error {
            pending: None,
            answer: Answer::Accept
        })
    );
    let refused = h.server.reject(reply(250, "x")).unwrap_err();
    assert_eq!(refused.answer, Answer::Reject(reply(250, "x")));
    assert_eq!(
        refused.to_string(),
        "reject answers nothing: no question is pending"
    );
}

#[test]
fn answers_that_do_not_fit_the_question_are_handed_back() {
    let policy: common::Policy = Box::new(|_, _| {});
    let mut h = Harness::new(plain(), policy);
    h.take_output();
    h.send(b"EHLO c.example\r\nMAIL FROM:<a@c.example>\r\n");
    h.take_output();
    assert_eq!(h.server.pending(), Some(Question::Mail));
    // A 2xx is no refusal, a 5xx no acceptance, and MAIL is no AUTH question.
    assert_eq!(
        h.server.reject(reply(250, "fine")),
        Err(Error {
            pending: Some(Question::Mail),
            answer: Answer::Reject(reply(250, "fine"))
        })
    );
    assert_eq!(
        h.server.accept_with(reply(550, "no")),
        Err(Error {
            pending: Some(Question::Mail),
            answer: Answer::AcceptWith(reply(550, "no"))
        })
    );
    let wrong = h.server.answer_auth(AuthAnswer::Accept).unwrap_err();
    assert_eq!(wrong.pending, Some(Question::Mail));
    assert_eq!(wrong.answer, Answer::Auth(AuthAnswer::Accept));
    assert_eq!(
        h.server.respond_per_recipient(vec![reply(250, "a")]),
        Err(Error {
            pending: Some(Question::Mail),
            answer: Answer::PerRecipient(vec![reply(250, "a")])
        })
    );
    // Nothing was lost: the question is still open, and the right answer works.
    assert_eq!(h.take_output(), "");
    h.server.accept().unwrap();
    h.pump();
    assert_eq!(h.take_output(), "250 2.1.0 Ok\r\n");
}

#[test]
fn an_overlong_line_gets_500_and_is_skipped() {
    let mut c = plain();
    c.max_line_len = 64;
    let mut h = ready(c);
    let mut line = b"NOOP ".to_vec();
    line.extend(std::iter::repeat_n(b'x', 200));
    line.extend_from_slice(b"\r\nNOOP\r\n");
    // In two parts, to cross the limit before the line ends.
    h.send(&line[..100]);
    h.send(&line[100..]);
    assert_eq!(
        h.take_output(),
        "500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n"
    );
}

#[test]
fn too_many_errors_end_the_session_with_421() {
    let mut c = plain();
    c.max_errors = 3;
    let mut h = ready(c);
    h.send(b"FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n");
    assert_eq!(
        h.take_output(),
        "500 5.5.1 Command unrecognized\r\n500 5.5.1 Command unrecognized\r\n\
         500 5.5.1 Command unrecognized\r\n421 4.7.0 Too many errors, closing connection\r\n"
    );
    assert_eq!(h.server.transport(), Transport::Close);
    assert!(!h.server.wants_input());
}

fn data_session(policy: BareLineEndings) -> Harness {
    let mut c = plain();
    c.bare_line_endings = policy;
    let mut h = ready(c);
    h.send(b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@x.org>\r\nDATA\r\n");
    h.take_output();
    h.take_events();
    h
}

/// SMTP smuggling: none of these sequences ends DATA, so the command after it is body.
#[test]
fn only_crlf_dot_crlf_ends_data() {
    for fake in [
        "\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r", ".\n", "\n.\r",
    ] {
        for policy in [BareLineEndings::Normalize, BareLineEndings::Keep] {
            let mut h = data_session(policy);
            let smuggled = format!("Hi{fake}MAIL FROM:<evil@x.org>\r\nRCPT TO:<v@x.org>\r\n");
            h.send(smuggled.as_bytes());
            assert_eq!(h.take_output(), "", "{fake:?} ended the data");
            assert!(
                !h.events
                    .iter()
                    .any(|e| matches!(e, Event::Message { .. } | Event::Mail { .. }))
            );
            h.send(b"\r\n.\r\n");
            assert_eq!(h.take_output(), "250 2.0.0 Ok: queued\r\n", "{fake:?}");
            let body = String::from_utf8(h.body()).unwrap();
            assert!(
                body.contains("MAIL FROM:<evil@x.org>"),
                "{fake:?}: {body:?}"
            );
        }
    }
}

#[test]
fn bare_line_endings_policy() {
    let mut h = data_session(BareLineEndings::Normalize);
    h.send(b"a\nb\rc\r\n.\r\n");
    assert_eq!(h.body(), b"a\r\nb\r\nc\r\n");
    let mut h = data_session(BareLineEndings::Keep);
    h.send(b"a\nb\rc\r\n.\r\n");
    assert_eq!(h.body(), b"a\nb\rc\r\n");
    let mut h = data_session(BareLineEndings::Reject);
    h.send(b"a\nb\r\n.\r\n");
    assert_eq!(
        h.take_output(),
        "550 5.6.0 Bare CR or LF not allowed in message data\r\n"
    );
    assert!(h.events.contains(&Event::MessageAborted {
        reason: AbortReason::BareLineEnding
    }));
    assert!(!h.events.iter().any(|e| matches!(e, Event::Message { .. })));
}

#[test]
fn dot_stuffing_is_removed_and_the_terminator_may_come_first() {
    let mut h = data_session(BareLineEndings::Normalize);
    h.send(b"..a\r\n.b\r\n...\r\n.\r\n");
    assert_eq!(h.body(), b".a\r\nb\r\n..\r\n");
    let mut h = data_session(BareLineEndings::Normalize);
    h.send(b".\r\nNOOP\r\n");
    assert_eq!(h.take_output(), "250 2.0.0 Ok: queued\r\n250 2.0.0 Ok\r\n");
    assert_eq!(h.body(), b"");
}

#[test]
fn a_body_over_the_size_limit_is_dropped_then_refused() {
    let mut h = data_session(BareLineEndings::Normalize);
    let line = [b'x'; 98];
    for _ in 0..11 {
        h.send(&line);
        h.send(b"\r\n");
    }
    assert_eq!(h.take_output(), "");
    assert!(h.events.contains(&Event::MessageAborted {
        reason: AbortReason::TooBig
    }));
    h.send(b".\r\nNOOP\r\n");
    assert_eq!(
        h.take_output(),
        "552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.0.0 Ok\r\n"
    );
    assert!(!h.events.iter().any(|e| matches!(e, Event::Message { .. })));
    assert!(h.body().len() <= 1000);
}

#[test]
fn body_chunks_respect_the_chunk_size() {
    let mut c = plain();
    c.chunk_size = 7;
    c.max_message_size = None;
    let mut h = ready(c);
    h.send(b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@x.org>\r\nDATA\r\n");
    h.send(&[b'y'; 100]);
    h.send(b"\r\n.\r\n");
    let sizes: Vec<usize> = h
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MessageData { chunk } => Some(chunk.len()),
            _ => None,
        })
        .collect();
    assert!(sizes.iter().all(|&n| n <= 7 && n > 0), "{sizes:?}");
    assert_eq!(h.body().len(), 102);
}

#[test]
fn bdat_chunks() {
    let mut h = ready(plain());
    h.send(b"MAIL FROM:<a@c.example> BODY=BINARYMIME\r\nRCPT TO:<b@x.org>\r\nDATA\r\n");
    assert_eq!(
        h.take_output(),
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n503 5.5.1 BINARYMIME requires BDAT\r\n"
    );
    h.send(b"BDAT 5\r\n\r\n.\r\nBDAT 3 LAST\r\n\x00\x01\x02NOOP\r\n");
    assert_eq!(
        h.take_output(),
        "250 2.0.0 5 octets received\r\n250 2.0.0 Ok: queued\r\n250 2.0.0 Ok\r\n"
    );
    assert_eq!(h.body(), b"\r\n.\r\n\x00\x01\x02");
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, Event::Message { size: 8, .. }))
    );
}

#[test]
fn bdat_over_the_limit_is_read_and_refused() {
    let mut h = ready(plain());
    h.send(b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@x.org>\r\nBDAT 1001 LAST\r\n");
    h.send(&[b'z'; 1001]);
    h.send(b"NOOP\r\n");
    assert_eq!(
        h.take_output(),
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n\
         552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.0.0 Ok\r\n"
    );
    assert_eq!(h.body(), b"");
}

#[test]
fn bdat_announcing_a_huge_chunk_reserves_nothing() {
    let mut h = ready(plain());
    h.send(b"BDAT 18446744073709551615\r\nNOOP\r\n");
    // No transaction: the chunk is read and thrown away; NOOP is part of it.
    assert_eq!(h.take_output(), "");
    assert!(h.server.wants_input());
}

#[test]
fn lmtp_answers_once_per_recipient() {
    let mut c = plain();
    c.lmtp = true;
    let policy: common::Policy = Box::new(|event, server| match event {
        Event::Message { recipients, .. } => {
            assert_eq!(recipients.len(), 2);
            server
                .respond_per_recipient(vec![
                    reply(250, "2.1.5 delivered"),
                    reply(452, "4.2.2 mailbox full"),
                ])
                .unwrap();
        }
        e if common::needs_decision(e) => server.accept().unwrap(),
        _ => {}
    });
    let mut h = Harness::new(c, policy);
    h.take_output();
    h.send(b"EHLO c.example\r\n");
    assert_eq!(h.take_output(), "500 5.5.1 Command unrecognized\r\n");
    h.send(b"LHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@x.org>\r\nRCPT TO:<c@x.org>\r\nDATA\r\nhi\r\n.\r\n");
    let out = h.take_output();
    assert!(
        out.ends_with("354 End data with <CR><LF>.<CR><LF>\r\n250 2.1.5 delivered\r\n452 4.2.2 mailbox full\r\n"),
        "{out}"
    );
}

#[test]
fn lmtp_accept_answers_for_every_recipient() {
    let mut c = plain();
    c.lmtp = true;
    let mut h = Harness::new(c, accept_all());
    h.take_output();
    h.send(b"LHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@x.org>\r\nRCPT TO:<c@x.org>\r\nDATA\r\nhi\r\n.\r\n");
    assert!(
        h.take_output()
            .ends_with("\r\n250 2.0.0 Ok: queued\r\n250 2.0.0 Ok: queued\r\n")
    );
}

fn tls_config() -> Config {
    let mut c = plain();
    c.starttls = true;
    c.auth_mechanisms = vec![Mechanism::Plain, Mechanism::Login];
    c
}

#[test]
fn starttls_discards_pipelined_plaintext_and_resets() {
    let mut h = ready(tls_config());
    h.send(b"AUTH PLAIN AGEAYg==\r\n");
    assert_eq!(
        h.take_output(),
        "538 5.7.11 Encryption required for requested authentication mechanism\r\n"
    );
    h.send(b"STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n");
    assert_eq!(h.take_output(), "220 2.0.0 Ready to start TLS\r\n");
    assert_eq!(h.server.transport(), Transport::StartTls);
    assert!(!h.server.wants_input());
    h.send(b"RCPT TO:<more@evil.example>\r\n");
    h.server.tls_established();
    h.pump();
    assert_eq!(h.server.transport(), Transport::Open);
    assert!(h.server.is_tls());
    assert!(
        !h.events
            .iter()
            .any(|e| matches!(e, Event::Mail { .. } | Event::Rcpt { .. }))
    );
    h.send(b"MAIL FROM:<a@c.example>\r\n");
    assert_eq!(h.take_output(), "503 5.5.1 Send EHLO first\r\n");
    h.send(b"EHLO c.example\r\n");
    let ehlo = h.take_output();
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    assert!(ehlo.contains("250-AUTH PLAIN LOGIN\r\n"), "{ehlo}");
    h.send(b"STARTTLS\r\n");
    assert_eq!(h.take_output(), "503 5.5.1 TLS already active\r\n");
}

#[test]
fn auth_plain_with_an_initial_response() {
    let mut c = tls_config();
    c.implicit_tls = true;
    let policy: common::Policy = Box::new(|event, server| {
        if let Event::Auth { question } = event {
            assert_eq!(
                question,
                &AuthQuestion::Password {
                    method: Method::Sasl(Mechanism::Plain),
                    authcid: "tim".to_owned(),
                    authzid: None,
                    password: Secret::new("tanstaaftanstaaf".to_owned()),
                }
            );
            server.answer_auth(AuthAnswer::Accept).unwrap();
        }
    });
    let mut h = Harness::new(c, policy);
    h.take_output();
    h.send(b"EHLO c.example\r\nAUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\nAUTH PLAIN =\r\n");
    let out = h.take_output();
    assert!(
        out.ends_with("235 2.7.0 Authentication successful\r\n503 5.5.1 Already authenticated\r\n"),
        "{out}"
    );
    assert!(h.server.is_authenticated());
}

#[test]
fn auth_login_with_challenges_and_cancel() {
    let mut c = tls_config();
    c.plaintext_auth = true;
    let policy: common::Policy = Box::new(|event, server| {
        if let Event::Auth {
            question: AuthQuestion::Password {
                authcid, password, ..
            },
        } = event
        {
            assert_eq!(
                (authcid.as_str(), password.expose().as_str()),
                ("tim", "wrong")
            );
            // Authentication is not answered like a transaction step.
            assert!(server.reject(reply(535, "no")).is_err());
            server.answer_auth(AuthAnswer::Reject).unwrap();
        }
    });
    let mut h = Harness::new(c, policy);
    h.take_output();
    h.send(b"EHLO c.example\r\n");
    h.take_output();
    h.send(b"AUTH LOGIN\r\ndGlt\r\nd3Jvbmc=\r\n");
    assert_eq!(
        h.take_output(),
        "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n535 5.7.8 Authentication credentials invalid\r\n"
    );
    h.send(b"AUTH LOGIN\r\n*\r\nAUTH CRAM-MD5\r\n");
    assert_eq!(
        h.take_output(),
        "334 VXNlcm5hbWU6\r\n501 5.0.0 Authentication cancelled\r\n\
         504 5.5.4 Unrecognized authentication type\r\n"
    );
    assert!(h.events.contains(&Event::AuthFailed {
        method: Method::Sasl(Mechanism::Login),
        user: Some("tim".to_owned()),
        error: AuthError::Credentials,
        failures: 1,
    }));
    assert!(h.events.contains(&Event::AuthFailed {
        method: Method::Sasl(Mechanism::Login),
        user: None,
        error: AuthError::Cancelled,
        failures: 2,
    }));
    assert!(!h.server.is_authenticated());
}

#[test]
fn quit_and_timeouts_close() {
    let mut h = ready(plain());
    h.send(b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@x.org>\r\nDATA\r\npartial");
    h.take_output();
    h.server.timed_out();
    h.pump();
    assert_eq!(h.take_output(), "421 4.4.2 Timeout, closing connection\r\n");
    assert!(h.events.contains(&Event::MessageAborted {
        reason: AbortReason::ConnectionLost
    }));
    assert_eq!(h.server.transport(), Transport::Close);
}

#[test]
fn shutdown_says_421_and_abandons_the_transaction() {
    let mut h = ready(plain());
    h.send(b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@x.org>\r\n");
    h.take_output();
    h.take_events();
    h.server.shutdown();
    h.pump();
    assert_eq!(
        h.take_output(),
        "421 4.3.2 mx.example.org Service shutting down\r\n"
    );
    assert_eq!(h.take_events(), []);
    assert_eq!(h.server.transport(), Transport::Close);
    assert!(!h.server.wants_input());
    // Nothing more once closed, and a second request says nothing again.
    h.send(b"DATA\r\n");
    h.server.shutdown();
    h.pump();
    assert_eq!(h.take_output(), "");
    assert_eq!(h.take_events(), []);
}

#[test]
fn shutdown_during_bdat_reports_the_body_lost() {
    let mut h = ready(plain());
    h.send(b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@x.org>\r\nBDAT 2\r\nab");
    h.take_output();
    h.take_events();
    h.server.shutdown();
    h.pump();
    assert_eq!(
        h.take_output(),
        "421 4.3.2 mx.example.org Service shutting down\r\n"
    );
    assert_eq!(
        h.take_events(),
        [Event::MessageAborted {
            reason: AbortReason::ConnectionLost
        }]
    );
}

#[test]
fn shutdown_without_enhanced_codes() {
    let mut c = plain();
    c.enhanced_status_codes = false;
    let mut h = ready(c);
    h.server.shutdown();
    h.pump();
    assert_eq!(
        h.take_output(),
        "421 mx.example.org Service shutting down\r\n"
    );
}

#[test]
fn enhanced_codes_can_be_turned_off() {
    let mut c = plain();
    c.enhanced_status_codes = false;
    let mut h = ready(c);
    h.send(b"NOOP\r\nRSET\r\nFOO\r\n");
    assert_eq!(
        h.take_output(),
        "250 Ok\r\n250 Ok\r\n500 Command unrecognized\r\n"
    );
}

/// A conversation exercising most of the session, for the split tests.
const CONVERSATION: &[u8] = b"EHLO c.example\r\nMAIL FROM:<a@c.example> SIZE=40\r\n\
    RCPT TO:<b@x.org>\r\nRCPT TO:<Postmaster>\r\nDATA\r\n..dot\r\nline\n.\nx\r\n.\r\n\
    VRFY someone\r\nMAIL FROM:<> BODY=BINARYMIME\r\nRCPT TO:<c@x.org>\r\nBDAT 4\r\nab\r\n\
    BDAT 2 LAST\r\n.\n NOOP\r\nRSET\r\nBOGUS\r\nQUIT\r\n";

fn run_split(splits: &[usize]) -> (String, Vec<Event>) {
    let mut h = Harness::new(plain(), accept_all());
    let mut from = 0;
    for &to in splits.iter().chain(std::iter::once(&CONVERSATION.len())) {
        h.send(&CONVERSATION[from..to]);
        from = to;
    }
    let events = h.take_events();
    // Body chunk boundaries follow the input; compare the concatenated bytes.
    let mut merged: Vec<Event> = Vec::new();
    for event in events {
        if let (Some(Event::MessageData { chunk: last }), Event::MessageData { chunk }) =
            (merged.last_mut(), &event)
        {
            let mut joined = last.to_vec();
            joined.extend_from_slice(chunk);
            *last = joined.into();
        } else {
            merged.push(event);
        }
    }
    (h.take_output(), merged)
}

#[test]
fn every_single_split_gives_the_same_conversation() {
    let whole = run_split(&[]);
    assert!(
        whole
            .0
            .ends_with("250 2.0.0 Ok\r\n500 5.5.1 Command unrecognized\r\n221 2.0.0 Bye\r\n")
    );
    assert_eq!(
        whole
            .1
            .iter()
            .filter(|e| matches!(e, Event::Message { .. }))
            .count(),
        2
    );
    for at in 1..CONVERSATION.len() {
        assert_eq!(run_split(&[at]), whole, "split at {at}");
    }
    let bytewise: Vec<usize> = (1..CONVERSATION.len()).collect();
    assert_eq!(run_split(&bytewise), whole);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_splits_give_the_same_conversation(mut cuts in proptest::collection::vec(1..CONVERSATION.len(), 0..12)) {
        cuts.sort_unstable();
        cuts.dedup();
        prop_assert_eq!(run_split(&cuts), run_split(&[]));
    }

    /// Whatever a client sends, in whatever pieces: no panic, the session holds no more
    /// than one line of unprocessed input, body bytes never outnumber what was sent, and
    /// every byte the server writes is a well-formed reply.
    #[test]
    fn arbitrary_input_keeps_the_session_bounded_and_its_replies_valid(
        pieces in proptest::collection::vec(client_piece(), 0..24),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let input = pieces.concat();
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
        cuts.sort_unstable();
        let config = plain();
        let line_limit = config.max_line_len;
        let mut h = Harness::new(config, accept_all());
        let mut from = 0;
        for &to in cuts.iter().chain(std::iter::once(&input.len())) {
            h.send(&input[from..to]);
            from = to;
            prop_assert!(
                h.server.buffered() <= line_limit,
                "{} bytes held after {} of {}", h.server.buffered(), to, input.len()
            );
        }
        h.server.receive_eof();
        h.pump();
        prop_assert_eq!(h.server.transport(), Transport::Close);
        prop_assert!(h.body().len() <= input.len());

        let output = h.take_output();
        let mut rest = output.as_bytes();
        prop_assert!(rest.starts_with(b"220 mx.example.org "));
        while !rest.is_empty() {
            match mailwire_smtp::Reply::decode(rest) {
                mailwire_smtp::Decoded::Complete { consumed, .. } => rest = &rest[consumed..],
                other => prop_assert!(false, "{:?} at {:?}", other, String::from_utf8_lossy(rest)),
            }
        }
    }
}

/// Pieces of client input: commands that reach every phase (DATA, BDAT, AUTH, STARTTLS),
/// lines over the limit, bare CR and LF, and random bytes.
fn client_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            &b"EHLO c.example\r\n"[..],
            b"HELO c.example\r\n",
            b"MAIL FROM:<a@c.example>\r\n",
            b"MAIL FROM:<> SIZE=10 BODY=8BITMIME\r\n",
            b"RCPT TO:<b@x.org>\r\n",
            b"RCPT TO:<Postmaster> NOTIFY=NEVER\r\n",
            b"DATA\r\n",
            b"BDAT 5\r\n",
            b"BDAT 0 LAST\r\n",
            b"BDAT 18446744073709551615 LAST\r\n",
            b".\r\n",
            b"\r\n.\r\n",
            b"RSET\r\n",
            b"NOOP\r\n",
            b"VRFY x\r\n",
            b"AUTH PLAIN\r\n",
            b"STARTTLS\r\n",
            b"QUIT\r\n",
            b"\r",
            b"\n",
        ])
        .prop_map(<[u8]>::to_vec),
        (1usize..3000).prop_map(|n| vec![b'x'; n]),
        proptest::collection::vec(any::<u8>(), 0..64),
    ]
}

#[test]
fn refused_credentials_count_towards_the_error_limit() {
    let mut c = tls_config();
    c.implicit_tls = true;
    c.max_errors = 2;
    let policy: common::Policy = Box::new(|event, server| {
        if let Event::Auth { .. } = event {
            server.answer_auth(AuthAnswer::Reject).unwrap();
        }
    });
    let mut h = Harness::new(c, policy);
    h.take_output();
    h.send(b"EHLO c.example\r\n");
    h.take_output();
    h.send(b"AUTH PLAIN AHRpbQB4\r\nAUTH PLAIN AHRpbQB5\r\nNOOP\r\n");
    assert_eq!(
        h.take_output(),
        "535 5.7.8 Authentication credentials invalid\r\n\
         535 5.7.8 Authentication credentials invalid\r\n\
         421 4.7.0 Too many errors, closing connection\r\n"
    );
    assert_eq!(h.server.transport(), Transport::Close);
}

#[test]
fn auth_lines_may_be_longer_than_commands() {
    let mut c = tls_config();
    c.implicit_tls = true;
    c.auth_mechanisms = vec![Mechanism::XOAuth2];
    let policy: common::Policy = Box::new(|event, server| {
        if let Event::Auth {
            question: AuthQuestion::Token { user, token, .. },
        } = event
        {
            assert_eq!((user.as_deref(), token.expose().len()), (Some("tim"), 3000));
            // A token is accepted for the account it was issued to, not with a bare accept.
            assert_eq!(
                server.answer_auth(AuthAnswer::Accept),
                Err(Error {
                    pending: Some(Question::Auth(AuthQuestionKind::Token)),
                    answer: Answer::Auth(AuthAnswer::Accept)
                })
            );
            assert_eq!(
                server.accept(),
                Err(Error {
                    pending: Some(Question::Auth(AuthQuestionKind::Token)),
                    answer: Answer::Accept
                })
            );
            server
                .answer_auth(AuthAnswer::AcceptAs("tim".to_owned()))
                .unwrap();
        }
    });
    let mut h = Harness::new(c, policy);
    h.take_output();
    h.send(b"EHLO c.example\r\n");
    h.take_output();
    let token = "t".repeat(3000);
    let message = format!("user=tim\x01auth=Bearer {token}\x01\x01");
    let line = format!("AUTH XOAUTH2 {}\r\n", base64_encode(message.as_bytes()));
    assert!(line.len() > 4000);
    h.send(line.as_bytes());
    assert_eq!(h.take_output(), "235 2.7.0 Authentication successful\r\n");
    h.send(format!("NOOP {}\r\n", "x".repeat(2000)).as_bytes());
    assert_eq!(h.take_output(), "500 5.5.2 Line too long\r\n");
}

fn base64_encode(bytes: &[u8]) -> String {
    mailwire_smtp::sasl::line::encode_response(bytes)
}

#[test]
fn vrfy_expn_and_help_answers_are_configurable() {
    let mut c = plain();
    c.expn_reply = reply(250, "list@example.org");
    c.help_reply = reply(214, "Ask postmaster@example.org");
    let mut h = ready(c);
    h.send(b"VRFY bob\r\nEXPN staff\r\nHELP\r\n");
    assert_eq!(
        h.take_output(),
        "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n\
         250 list@example.org\r\n214 Ask postmaster@example.org\r\n"
    );
}

#[test]
fn lmtp_refuses_an_oversized_bdat_message_once_per_recipient() {
    let mut c = plain();
    c.lmtp = true;
    c.chunking = true;
    c.max_message_size = Some(10);
    let mut h = Harness::new(c, accept_all());
    h.take_output();
    h.send(b"LHLO c.example\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nRCPT TO:<c@x.org>\r\n");
    h.take_output();
    h.send(b"BDAT 20 LAST\r\n01234567890123456789");
    assert_eq!(
        h.take_output(),
        "552 5.3.4 Message size exceeds fixed maximum message size\r\n\
         552 5.3.4 Message size exceeds fixed maximum message size\r\n"
    );
    h.send(b"NOOP\r\n");
    assert_eq!(h.take_output(), "250 2.0.0 Ok\r\n");
}

#[test]
fn starttls_reports_the_transaction_it_drops() {
    let mut h = ready(tls_config());
    h.send(b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@x.org>\r\nSTARTTLS\r\n");
    assert!(
        h.take_output()
            .ends_with("220 2.0.0 Ready to start TLS\r\n")
    );
    h.take_events();
    h.server.tls_established();
    h.pump();
    assert_eq!(h.take_events(), vec![Event::Reset]);
}

#[test]
fn helo_clients_get_no_extensions() {
    let mut c = plain();
    c.chunking = true;
    c.implicit_tls = true;
    c.auth_mechanisms = vec![Mechanism::Plain];
    let mut h = Harness::new(c, accept_all());
    h.take_output();
    h.send(b"HELO c.example\r\n");
    assert_eq!(h.take_output(), "250 mx.example.org\r\n");
    h.send(b"AUTH PLAIN AGEAYg==\r\n");
    assert_eq!(h.take_output(), "503 5.5.1 AUTH needs EHLO\r\n");
    h.send(b"MAIL FROM:<a@c.example> BODY=8BITMIME\r\n");
    assert_eq!(h.take_output(), "555 5.5.4 Parameters need EHLO\r\n");
    h.send(b"MAIL FROM:<a@c.example>\r\nRCPT TO:<b@x.org> NOTIFY=NEVER\r\n");
    assert_eq!(
        h.take_output(),
        "250 2.1.0 Ok\r\n555 5.5.4 Parameters need EHLO\r\n"
    );
    h.send(b"RCPT TO:<b@x.org>\r\nBDAT 2 LAST\r\nhi");
    assert_eq!(
        h.take_output(),
        "250 2.1.5 Ok\r\n503 5.5.1 BDAT needs EHLO\r\n"
    );
    // The two octets of the refused chunk were read as data, not as a command, and the
    // refused last chunk ended the transaction.
    h.send(b"DATA\r\n");
    assert_eq!(h.take_output(), "503 5.5.1 Need MAIL command\r\n");
}

#[test]
fn a_command_is_received_from_its_first_byte_to_its_line_end() {
    let mut h = ready(plain());
    assert!(!h.server.receiving_command());
    h.send(b"NO");
    assert!(h.server.receiving_command());
    h.send(b"OP\r");
    assert!(h.server.receiving_command());
    h.send(b"\n");
    assert!(!h.server.receiving_command());
    assert_eq!(h.take_output(), "250 2.0.0 Ok\r\n");
    assert_eq!(
        h.server.command_timeout(),
        Some(std::time::Duration::from_secs(120))
    );
}

#[test]
fn an_overlong_line_is_received_until_its_end_even_when_nothing_is_buffered() {
    let mut h = ready(plain());
    h.send(&[b'x'; 1200]);
    assert_eq!(h.take_output(), "500 5.5.2 Line too long\r\n");
    assert_eq!(h.server.buffered(), 0);
    assert!(h.server.receiving_command());
    h.send(b"\r\n");
    assert!(!h.server.receiving_command());
}

#[test]
fn a_body_counts_with_its_command_and_earns_time_as_it_arrives() {
    let mut config = plain();
    config.max_message_size = None;
    config.min_transfer_rate = 1000;
    let mut h = ready(config);
    h.send(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
    h.take_output();
    // The 354 is out: the body is now expected, and its clock runs.
    assert!(h.server.receiving_command());
    let line = [b'y'; 998];
    for _ in 0..5 {
        h.send(&line);
        h.send(b"\r\n");
    }
    // 5000 octets at 1000 per second: five seconds more than a bare command.
    assert_eq!(
        h.server.command_timeout(),
        Some(std::time::Duration::from_secs(125))
    );
    h.send(b".\r\n");
    assert!(!h.server.receiving_command());
    assert_eq!(h.take_output(), "250 2.0.0 Ok: queued\r\n");
}

#[test]
fn timeouts_come_from_the_config() {
    let mut config = plain();
    config.timeout = std::time::Duration::from_secs(7);
    config.command_timeout = None;
    let h = ready(config);
    assert_eq!(h.server.timeout(), Some(std::time::Duration::from_secs(7)));
    assert_eq!(h.server.command_timeout(), None);
}
