//! State rules, security defaults and streaming of the server session.

mod common;

use common::{App, message, rfc_messages, run, server};
use mailwire_core::{Misuse, Secret, Session as _, Transport};
use mailwire_pop3::{
    Timestamp,
    server::{Answer, Config, Event, Maildrop, PlaintextLogin, Question, Refusal, Session},
};
use mailwire_sasl::{
    AuthAnswer, AuthError, AuthQuestion, AuthQuestionKind, Identity, Mechanism, Method,
};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn allow() -> Config {
    let mut config = Config::default();
    config.plaintext_login = PlaintextLogin::Allow;
    config
}

const LOGIN: &[u8] = b"USER mrose\r\nPASS tanstaaf\r\n";

#[test]
fn commands_outside_their_state_get_err() {
    let mut app = App::new(rfc_messages());
    let mut config = allow();
    config.max_errors = 20;
    let mut s = server(config, None);
    let out = run(
        &mut s,
        &mut app,
        b"STAT\r\nRETR 1\r\nNOOP\r\nPASS x\r\nXYZZY\r\nLIST a\r\n",
        100,
    );
    assert_eq!(
        text(&out),
        "+OK POP3 server ready\r\n\
-ERR command not valid in the AUTHORIZATION state\r\n\
-ERR command not valid in the AUTHORIZATION state\r\n\
-ERR command not valid in the AUTHORIZATION state\r\n\
-ERR send USER first\r\n\
-ERR unknown command\r\n\
-ERR invalid number\r\n"
    );
    let out = run(
        &mut s,
        &mut app,
        b"USER mrose\r\nPASS tanstaaf\r\nUSER x\r\nAPOP a b\r\nSTLS\r\nUTF8\r\n",
        100,
    );
    assert_eq!(
        text(&out),
        "+OK send PASS\r\n\
+OK mrose's maildrop has 2 messages (320 octets)\r\n\
-ERR command not valid in the TRANSACTION state\r\n\
-ERR invalid digest\r\n\
-ERR command not valid in the TRANSACTION state\r\n\
-ERR command not valid in the TRANSACTION state\r\n"
    );
    assert_eq!(s.transport(), Transport::Open);
}

#[test]
fn too_many_errors_close_the_connection_and_release_the_maildrop() {
    let mut app = App::new(rfc_messages());
    let mut config = allow();
    config.max_errors = 3;
    let mut s = server(config, None);
    let out = run(
        &mut s,
        &mut app,
        b"USER mrose\r\nPASS tanstaaf\r\nBAD\r\nBAD\r\nBAD\r\nSTAT\r\n",
        100,
    );
    assert!(text(&out).ends_with("-ERR unknown command\r\n-ERR too many errors, closing\r\n"));
    assert_eq!(s.transport(), Transport::Close);
    assert!(app.abandoned);
    assert_eq!(app.deleted, None);
}

#[test]
fn a_dropped_connection_deletes_nothing() {
    let mut app = App::new(rfc_messages());
    let mut s = server(allow(), None);
    run(
        &mut s,
        &mut app,
        b"USER mrose\r\nPASS tanstaaf\r\nDELE 1\r\nDELE 2\r\n",
        100,
    );
    s.receive_eof();
    app.handle(&mut s);
    assert!(app.abandoned);
    assert_eq!(app.deleted, None);
    assert_eq!(s.transport(), Transport::Close);
}

#[test]
fn quit_then_eof_still_updates() {
    let mut app = App::new(rfc_messages());
    let mut s = server(allow(), None);
    let mut input = LOGIN.to_vec();
    input.extend_from_slice(b"DELE 2\r\nQUIT\r\n");
    s.receive(&input);
    s.receive_eof();
    app.handle(&mut s);
    assert_eq!(app.deleted.unwrap().len(), 1);
    assert!(!app.abandoned);
    let mut out = Vec::new();
    while let Some(b) = s.transmit() {
        out.extend_from_slice(&b);
    }
    assert!(text(&out).ends_with("+OK localhost POP3 server signing off (1 messages left)\r\n"));
}

#[test]
fn deleted_messages_are_invisible_until_rset() {
    let mut app = App::new(vec![message(50, "a"), message(60, "b"), message(70, "c")]);
    let mut s = server(allow(), None);
    let mut input = LOGIN.to_vec();
    input.extend_from_slice(b"DELE 2\r\nSTAT\r\nLIST\r\nUIDL\r\nLIST 2\r\nUIDL 2\r\nRETR 2\r\nTOP 2 1\r\nRSET\r\nLIST 2\r\nQUIT\r\n");
    let out = run(&mut s, &mut app, &input, 9);
    let out = text(&out);
    let tail = out.split_once("(180 octets)\r\n").unwrap().1;
    assert_eq!(
        tail,
        "+OK message 2 deleted\r\n\
+OK 2 120\r\n\
+OK 2 messages (120 octets)\r\n1 50\r\n3 70\r\n.\r\n\
+OK\r\n1 uid-1\r\n3 uid-3\r\n.\r\n\
-ERR no such message\r\n\
-ERR no such message\r\n\
-ERR no such message\r\n\
-ERR no such message\r\n\
+OK maildrop has 3 messages (180 octets)\r\n\
+OK 2 60\r\n\
+OK localhost POP3 server signing off (3 messages left)\r\n"
    );
    assert_eq!(app.deleted, Some(Vec::new()));
}

#[test]
fn user_pass_is_refused_before_tls_by_default_and_capa_says_so() {
    let mut app = App::new(rfc_messages());
    let mut config = Config::default();
    config.stls = true;
    let mut s = server(config, None);
    let out = run(
        &mut s,
        &mut app,
        b"CAPA\r\nUSER mrose\r\nSTLS\r\nPASS ignored-after-stls\r\n",
        100,
    );
    assert_eq!(
        text(&out),
        "+OK POP3 server ready\r\n\
+OK Capability list follows\r\nTOP\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nSTLS\r\nUIDL\r\n.\r\n\
-ERR USER needs TLS, use STLS first\r\n\
+OK Begin TLS negotiation\r\n"
    );
    // The harness completed the handshake; the PASS sent with STLS was discarded.
    assert!(s.is_tls());
    let out = run(&mut s, &mut app, b"CAPA\r\nSTLS\r\n", 100);
    assert_eq!(
        text(&out),
        "+OK Capability list follows\r\nTOP\r\nUSER\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nUIDL\r\n.\r\n\
-ERR STLS not available\r\n"
    );
    let out = run(&mut s, &mut app, LOGIN, 100);
    assert_eq!(
        text(&out),
        "+OK send PASS\r\n+OK mrose's maildrop has 2 messages (320 octets)\r\n"
    );
}

#[test]
fn capa_advertises_what_is_configured() {
    let mut config = allow();
    config.sasl_mechanisms = vec![Mechanism::Plain, Mechanism::ScramSha256];
    config.utf8 = true;
    config.pipelining = false;
    config.top = false;
    config.expire = Some(mailwire_pop3::Expire::Never);
    config.login_delay = Some(900);
    config.implementation = Some(mailwire_pop3::Implementation::new("mailwire").unwrap());
    let mut s = server(config, None);
    let out = run(&mut s, &mut App::new(vec![]), b"CAPA\r\n", 100);
    assert_eq!(
        text(&out),
        "+OK POP3 server ready\r\n+OK Capability list follows\r\nUSER\r\nSASL PLAIN SCRAM-SHA-256\r\n\
RESP-CODES\r\nAUTH-RESP-CODE\r\nUTF8\r\nEXPIRE NEVER\r\nLOGIN-DELAY 900\r\nUIDL\r\nIMPLEMENTATION mailwire\r\n.\r\n"
    );
}

#[test]
fn failed_logins_are_reported_and_limited() {
    let mut app = App::new(rfc_messages());
    let mut s = server(allow(), None);
    let out = run(
        &mut s,
        &mut app,
        b"USER a\r\nPASS x\r\nUSER a\r\nPASS y\r\nUSER a\r\nPASS z\r\nUSER a\r\n",
        100,
    );
    assert_eq!(
        text(&out),
        "+OK POP3 server ready\r\n+OK send PASS\r\n-ERR [AUTH] authentication failed\r\n\
+OK send PASS\r\n-ERR [AUTH] authentication failed\r\n+OK send PASS\r\n-ERR [AUTH] authentication failed\r\n\
-ERR too many failed logins, closing\r\n"
    );
    assert_eq!(
        app.events
            .iter()
            .filter(|e| e.starts_with("failed Some(\"a\")"))
            .count(),
        3
    );
    assert_eq!(app.events.last().unwrap(), "failed Some(\"a\") 3");
    assert_eq!(s.transport(), Transport::Close);
}

#[test]
fn apop_is_off_by_default_and_checks_the_digest() {
    let ts = Timestamp::parse("<1896.697170952@dbc.mtview.ca.us>").unwrap();
    let mut s = server(Config::default(), Some(ts.clone()));
    let out = run(
        &mut s,
        &mut App::new(vec![]),
        b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
        100,
    );
    assert_eq!(
        text(&out),
        "+OK POP3 server ready\r\n-ERR APOP not supported\r\n"
    );

    let mut app = App::new(vec![]);
    let mut config = Config::default();
    config.apop = true;
    let mut s = server(config, Some(ts));
    let out = run(&mut s, &mut app, b"APOP mrose c4c9334bac560ecc979e58001b3e22fc\r\nAPOP nobody c4c9334bac560ecc979e58001b3e22fb\r\n", 100);
    assert_eq!(
        text(&out),
        "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n\
-ERR [AUTH] authentication failed\r\n-ERR [AUTH] authentication failed\r\n"
    );
}

#[test]
fn maildrop_refusals_carry_their_codes() {
    for (refusal, line) in [
        (Refusal::InUse, "-ERR [IN-USE] maildrop already locked\r\n"),
        (
            Refusal::SysTemp,
            "-ERR [SYS/TEMP] maildrop unavailable, try later\r\n",
        ),
        (
            Refusal::LoginDelay,
            "-ERR [LOGIN-DELAY] logged in too recently\r\n",
        ),
    ] {
        let mut s = server(allow(), None);
        s.transmit();
        s.receive(LOGIN);
        s.transmit();
        assert!(matches!(s.poll_event(), Some(Event::Auth { .. })));
        s.answer_auth(AuthAnswer::Accept).unwrap();
        assert_eq!(
            s.poll_event(),
            Some(Event::Authenticated {
                method: Method::Login,
                identity: Identity {
                    authcid: "mrose".into(),
                    authzid: None
                }
            })
        );
        assert_eq!(
            s.poll_event(),
            Some(Event::OpenMaildrop {
                user: "mrose".into()
            })
        );
        s.refuse_maildrop(refusal).unwrap();
        assert_eq!(text(&s.transmit().unwrap()), line);
        // Back in AUTHORIZATION.
        s.receive(b"STAT\r\n");
        assert_eq!(
            text(&s.transmit().unwrap()),
            "-ERR command not valid in the AUTHORIZATION state\r\n"
        );
    }
}

#[test]
fn answers_out_of_turn_are_handed_back() {
    let mut s = server(allow(), None);
    assert_eq!(
        s.answer_auth(AuthAnswer::Accept),
        Err(Misuse {
            pending: None,
            answer: Answer::Auth(AuthAnswer::Accept)
        })
    );
    assert_eq!(
        s.send_body(b"x"),
        Err(Misuse {
            pending: None,
            answer: Answer::SendBody(b"x".to_vec())
        })
    );
    assert_eq!(
        s.finish_update(true),
        Err(Misuse {
            pending: None,
            answer: Answer::FinishUpdate(true)
        })
    );
    let e = s.open_maildrop(Maildrop::default()).unwrap_err();
    assert_eq!(
        e,
        Misuse {
            pending: None,
            answer: Answer::OpenMaildrop(Maildrop::default())
        }
    );
    assert_eq!(
        e.to_string(),
        "open_maildrop answers nothing: no question is pending"
    );
    // The session still works.
    s.transmit();
    s.receive(b"NOOP\r\n");
    assert_eq!(
        text(&s.transmit().unwrap()),
        "-ERR command not valid in the AUTHORIZATION state\r\n"
    );
}

/// An answer that does not fit the question pending comes back whole, names the
/// question, and changes nothing: the right answer still goes through.
#[test]
fn a_misfit_answer_is_handed_back_and_the_question_stays() {
    let mut s = server(allow(), None);
    s.transmit();
    s.receive(LOGIN);
    assert_eq!(text(&s.transmit().unwrap()), "+OK send PASS\r\n");
    assert!(matches!(s.poll_event(), Some(Event::Auth { .. })));
    let secret = AuthAnswer::Secret(Secret::new("tanstaaf".into()));
    let e = s.answer_auth(secret.clone()).unwrap_err();
    assert_eq!(
        e,
        Misuse {
            pending: Some(Question::Auth(AuthQuestionKind::Password)),
            answer: Answer::Auth(secret)
        }
    );
    assert_eq!(
        e.to_string(),
        "answer_auth does not answer the pending password check"
    );
    assert_eq!(
        s.open_maildrop(Maildrop::default()).unwrap_err().pending,
        Some(Question::Auth(AuthQuestionKind::Password))
    );
    assert_eq!(
        s.refuse_maildrop(Refusal::InUse),
        Err(Misuse {
            pending: Some(Question::Auth(AuthQuestionKind::Password)),
            answer: Answer::RefuseMaildrop(Refusal::InUse)
        })
    );
    assert_eq!(s.transmit(), None);
    assert_eq!(s.poll_event(), None);

    s.answer_auth(AuthAnswer::AcceptAs("Marshall.Rose".into()))
        .unwrap();
    assert_eq!(
        s.poll_event(),
        Some(Event::Authenticated {
            method: Method::Login,
            identity: Identity {
                authcid: "Marshall.Rose".into(),
                authzid: None
            }
        })
    );
    assert_eq!(
        s.poll_event(),
        Some(Event::OpenMaildrop {
            user: "Marshall.Rose".into()
        })
    );
    assert_eq!(
        s.answer_auth(AuthAnswer::Accept),
        Err(Misuse {
            pending: Some(Question::OpenMaildrop),
            answer: Answer::Auth(AuthAnswer::Accept)
        })
    );
    assert_eq!(
        s.end_body().unwrap_err().to_string(),
        "end_body does not answer the pending maildrop opening"
    );
    s.open_maildrop(Maildrop::default()).unwrap();
    assert_eq!(
        text(&s.transmit().unwrap()),
        "+OK Marshall.Rose's maildrop has 0 messages (0 octets)\r\n"
    );
}

#[test]
fn plain_mechanisms_follow_the_tls_rule() {
    let mechanisms = vec![Mechanism::Plain, Mechanism::ScramSha256];
    let mut config = Config::default();
    config.sasl_mechanisms = mechanisms;
    let mut s = server(config, None);
    let out = run(
        &mut s,
        &mut App::new(vec![]),
        b"CAPA\r\nAUTH PLAIN\r\nUSER x\r\n",
        100,
    );
    assert_eq!(
        text(&out),
        "+OK POP3 server ready\r\n+OK Capability list follows\r\nTOP\r\nSASL SCRAM-SHA-256\r\n\
RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nUIDL\r\n.\r\n-ERR mechanism needs TLS\r\n-ERR USER needs TLS\r\n"
    );
}

#[test]
fn sasl_exchange_with_challenge_and_cancel() {
    let mut config = Config::default();
    config.implicit_tls = true;
    config.sasl_mechanisms = vec![Mechanism::Plain];
    let mut s = server(config, None);
    s.transmit();
    s.receive(b"AUTH LOGIN\r\nAUTH PLAIN\r\n");
    assert_eq!(
        text(&s.transmit().unwrap()),
        "-ERR unsupported authentication mechanism\r\n+ \r\n"
    );
    assert_eq!(s.poll_event(), None);
    s.receive(b"AHRpbQB0YW5zdGFhZg==\r\n");
    assert_eq!(
        s.poll_event(),
        Some(Event::Auth {
            question: AuthQuestion::Password {
                method: Method::Sasl(Mechanism::Plain),
                authcid: "tim".into(),
                authzid: None,
                password: Secret::new("tanstaaf".into())
            }
        })
    );
    s.answer_auth(AuthAnswer::Accept).unwrap();
    assert_eq!(
        s.poll_event(),
        Some(Event::Authenticated {
            method: Method::Sasl(Mechanism::Plain),
            identity: Identity {
                authcid: "tim".into(),
                authzid: None
            }
        })
    );
    assert_eq!(
        s.poll_event(),
        Some(Event::OpenMaildrop { user: "tim".into() })
    );
    s.refuse_maildrop(Refusal::SysPerm).unwrap();
    assert_eq!(
        text(&s.transmit().unwrap()),
        "-ERR [SYS/PERM] maildrop unavailable\r\n"
    );
    s.receive(b"AUTH PLAIN\r\n");
    assert_eq!(text(&s.transmit().unwrap()), "+ \r\n");
    s.receive(b"*\r\n");
    assert_eq!(
        text(&s.transmit().unwrap()),
        "-ERR authentication cancelled\r\n"
    );
    assert_eq!(
        s.poll_event(),
        Some(Event::AuthFailed {
            method: Method::Sasl(Mechanism::Plain),
            user: None,
            error: AuthError::Cancelled,
            failures: 1
        })
    );
    // Back in AUTHORIZATION.
    s.receive(b"STAT\r\n");
    assert_eq!(
        text(&s.transmit().unwrap()),
        "-ERR command not valid in the AUTHORIZATION state\r\n"
    );
}

#[test]
fn over_long_lines_are_answered_and_skipped() {
    let mut s = server(allow(), None);
    s.transmit();
    let mut input = b"USER ".to_vec();
    input.extend(std::iter::repeat_n(b'a', 300));
    input.extend_from_slice(b"\r\nNOOP\r\n");
    s.receive(&input);
    assert_eq!(
        text(&s.transmit().unwrap()),
        "-ERR line too long\r\n-ERR command not valid in the AUTHORIZATION state\r\n"
    );
    // Longer than the framer's limit too: one answer, then back in step.
    let mut s = server(allow(), None);
    s.transmit();
    for _ in 0..20 {
        s.receive(&[b'x'; 1000]);
    }
    s.receive(b"\r\nQUIT\r\n");
    assert_eq!(
        text(&s.transmit().unwrap()),
        "-ERR line too long\r\n+OK localhost POP3 server signing off\r\n"
    );
}

#[test]
fn timeout_closes_without_update_or_reply() {
    let mut app = App::new(rfc_messages());
    let mut s = server(allow(), None);
    run(
        &mut s,
        &mut app,
        b"USER mrose\r\nPASS tanstaaf\r\nDELE 1\r\n",
        100,
    );
    s.timed_out();
    app.handle(&mut s);
    assert!(app.abandoned);
    assert_eq!(s.transmit(), None);
    assert_eq!(s.transport(), Transport::Close);
}

#[test]
fn shutdown_says_sys_temp_and_deletes_nothing() {
    let mut app = App::new(rfc_messages());
    let mut s = server(allow(), None);
    run(
        &mut s,
        &mut app,
        b"USER mrose\r\nPASS tanstaaf\r\nDELE 1\r\n",
        100,
    );
    s.shutdown();
    app.handle(&mut s);
    assert!(app.abandoned);
    assert_eq!(app.deleted, None);
    assert_eq!(
        text(&s.transmit().unwrap()),
        "-ERR [SYS/TEMP] server shutting down\r\n"
    );
    assert_eq!(s.transmit(), None);
    assert_eq!(s.transport(), Transport::Close);
    // Closed: no second goodbye, and QUIT arriving now reaches no UPDATE.
    s.shutdown();
    s.receive(b"QUIT\r\n");
    app.handle(&mut s);
    assert_eq!(s.transmit(), None);
    assert_eq!(app.deleted, None);
}

#[test]
fn shutdown_before_login_abandons_nothing() {
    let mut app = App::new(rfc_messages());
    let mut s = server(allow(), None);
    run(&mut s, &mut app, b"USER mrose\r\n", 100);
    s.shutdown();
    app.handle(&mut s);
    assert!(!app.abandoned);
    assert_eq!(
        text(&s.transmit().unwrap()),
        "-ERR [SYS/TEMP] server shutting down\r\n"
    );
    assert_eq!(s.transport(), Transport::Close);
}

#[test]
fn utf8_user_names_need_the_utf8_command() {
    let mut config = allow();
    config.utf8 = true;
    let mut s = server(config, None);
    let out = run(
        &mut s,
        &mut App::new(vec![]),
        "USER jörg\r\nUTF8\r\nUSER jörg\r\n".as_bytes(),
        100,
    );
    assert_eq!(
        text(&out),
        "+OK POP3 server ready\r\n-ERR [UTF8] use UTF8 first\r\n+OK UTF8 enabled\r\n+OK send PASS\r\n"
    );
}

/// Every split of the client's bytes and every chunking of the stored message gives the
/// same bytes on the wire, dot-stuffing included.
#[test]
fn any_split_and_chunking_gives_the_same_session() {
    let msg = b"From: x\r\n\r\n.starts with a dot\r\n..two\r\n.\r\nend without newline".to_vec();
    let mut input = LOGIN.to_vec();
    input.extend_from_slice(b"RETR 1\r\nTOP 1 2\r\nQUIT\r\n");
    let reference = {
        let mut app = App::new(vec![msg.clone()]);
        app.chunk = msg.len();
        run(&mut server(allow(), None), &mut app, &input, input.len())
    };
    assert_eq!(msg.len(), 60);
    assert!(text(&reference).contains(
        "+OK 60 octets\r\nFrom: x\r\n\r\n..starts with a dot\r\n...two\r\n..\r\nend without newline\r\n.\r\n\
+OK top of message follows\r\nFrom: x\r\n\r\n..starts with a dot\r\n...two\r\n.\r\n"
    ));
    for split in 1..=input.len() {
        for chunk in [1, 2, 3, 5, 11] {
            let mut app = App::new(vec![msg.clone()]);
            app.chunk = chunk;
            let out = run(&mut server(allow(), None), &mut app, &input, split);
            assert_eq!(out, reference, "split {split} chunk {chunk}");
        }
    }
}

mod split_equivalence {
    use proptest::prelude::*;

    use super::{App, allow, message, run, server};

    fn command() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "STAT\r\n",
            "LIST\r\n",
            "LIST 2\r\n",
            "LIST 9\r\n",
            "UIDL\r\n",
            "UIDL 1\r\n",
            "RETR 1\r\n",
            "RETR 2\r\n",
            "TOP 2 1\r\n",
            "TOP 1 0\r\n",
            "DELE 1\r\n",
            "DELE 3\r\n",
            "RSET\r\n",
            "NOOP\r\n",
            "CAPA\r\n",
            "BOGUS\r\n",
            "USER mrose\r\n",
            "PASS tanstaaf\r\n",
            "PASS nope\r\n",
            "STLS\r\n",
            "RETR 0\r\n",
            "QUIT\r\n",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Any sequence of commands, split anywhere and with bodies streamed in any chunk
        /// size, gives the same bytes and the same application events as sent whole.
        #[test]
        fn any_split_gives_the_same_session(
            commands in prop::collection::vec(command(), 0..24),
            split in 1usize..40,
            chunk in 1usize..64,
        ) {
            let input: Vec<u8> = commands.concat().into_bytes();
            let msgs = vec![message(90, "a"), b"x: y\r\n\r\n.dot\r\nbody".to_vec(), message(40, "c")];
            let mut whole_app = App::new(msgs.clone());
            whole_app.chunk = 1000;
            let whole = run(&mut server(allow(), None), &mut whole_app, &input, input.len().max(1));
            let mut split_app = App::new(msgs);
            split_app.chunk = chunk;
            let pieces = run(&mut server(allow(), None), &mut split_app, &input, split);
            prop_assert_eq!(String::from_utf8_lossy(&pieces), String::from_utf8_lossy(&whole));
            prop_assert_eq!(split_app.events, whole_app.events);
            prop_assert_eq!(split_app.deleted, whole_app.deleted);
        }
    }
}

#[test]
fn input_waiting_for_the_application_is_bounded() {
    let mut config = allow();
    config.max_buffered_input = 64;
    let mut s = server(config, None);
    s.transmit();
    s.receive(LOGIN);
    assert!(matches!(s.poll_event(), Some(Event::Auth { .. })));
    // The session waits for the application; pipelined commands queue up.
    assert!(s.wants_input());
    s.receive(&b"NOOP\r\n".repeat(11));
    assert!(!s.wants_input());
    s.answer_auth(AuthAnswer::Accept).unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Authenticated { .. })));
    assert!(matches!(s.poll_event(), Some(Event::OpenMaildrop { .. })));
    s.open_maildrop(Maildrop::default()).unwrap();
    assert!(s.wants_input());
    let out = text(&s.transmit().unwrap());
    assert_eq!(out.matches("+OK\r\n").count(), 11, "{out}");
}

#[test]
fn utf8_given_before_stls_does_not_carry_over() {
    let mut config = allow();
    config.utf8 = true;
    config.stls = true;
    let mut s = server(config, None);
    let out = run(&mut s, &mut App::new(vec![]), b"UTF8\r\nSTLS\r\n", 100);
    assert_eq!(
        text(&out),
        "+OK POP3 server ready\r\n+OK UTF8 enabled\r\n+OK Begin TLS negotiation\r\n"
    );
    assert!(s.is_tls());
    let out = run(
        &mut s,
        &mut App::new(vec![]),
        "USER jörg\r\n".as_bytes(),
        100,
    );
    assert_eq!(text(&out), "-ERR [UTF8] use UTF8 first\r\n");
}

#[test]
fn a_command_is_received_from_its_first_byte_to_its_crlf() {
    let mut s = server(allow(), None);
    s.transmit();
    assert!(!s.receiving_command());
    s.receive(b"NO");
    assert!(s.receiving_command());
    s.receive(b"OP\r\n");
    assert!(!s.receiving_command());
    // A line too long to hold is still being received while its rest is dropped.
    s.receive(&[b'x'; 20_000]);
    assert!(s.receiving_command());
    s.receive(b"\r\n");
    assert!(!s.receiving_command());
    // While the application decides, the time is not the client's.
    s.receive(b"USER mrose\r\nPASS tanstaaf\r\nST");
    assert!(matches!(s.poll_event(), Some(Event::Auth { .. })));
    assert!(!s.receiving_command());
    assert_eq!(
        s.command_timeout(),
        Some(std::time::Duration::from_secs(120))
    );
}

#[test]
fn with_apop_timestamp_replaces_the_greeting_new_queued() {
    let ts = Timestamp::parse("<1896.697170952@dbc.mtview.ca.us>").unwrap();
    let mut config = Config::default();
    config.apop = true;
    let config = std::sync::Arc::new(config);

    let mut s = Session::new(std::sync::Arc::clone(&config));
    assert_eq!(text(&s.transmit().unwrap()), "+OK POP3 server ready\r\n");
    s.receive(b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
    assert_eq!(text(&s.transmit().unwrap()), "-ERR APOP not supported\r\n");

    let mut s = Session::new(config).with_apop_timestamp(ts.clone());
    assert_eq!(
        text(&s.transmit().unwrap()),
        "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"
    );
    assert_eq!(s.transmit(), None);

    let mut s = Session::new(Config::default()).with_apop_timestamp(ts);
    assert_eq!(text(&s.transmit().unwrap()), "+OK POP3 server ready\r\n");
    assert_eq!(s.transmit(), None);
}
