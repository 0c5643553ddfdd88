//! LOGIN and AUTHENTICATE through the one authentication question: what the application
//! is asked, what it answers, what the client reads, the failures counted on the
//! connection, and answers that fit no pending question handed back.

use std::num::NonZeroU32;

use base64::Engine as _;
use mailwire_core::{Secret, Session as _};
use mailwire_imap::server::{Answer, Config, Event, MailboxSnapshot, Question, Session};
use mailwire_imap::types::Flag;
use mailwire_sasl::{
    AuthAnswer, AuthError, AuthQuestion, AuthQuestionKind, ClientExchange, Identity, Mechanism,
    Method, OAuthError, ScramKeys,
};

const LOGGED_IN: &str = "OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE NAMESPACE UIDPLUS MOVE ENABLE \
ID UNSELECT MULTIAPPEND] Logged in\r\n";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn session(mechanisms: Vec<Mechanism>) -> Session {
    let mut config = Config::default();
    config.plaintext_auth = true;
    config.starttls = false;
    config.mechanisms = mechanisms;
    // Room to count past the default limit of failed attempts, which has tests of its own.
    config.max_login_failures = 10;
    let mut s = Session::new(config);
    s.transmit().expect("the greeting");
    s
}

fn said(s: &mut Session, input: &[u8]) -> String {
    s.receive(input);
    let mut out = Vec::new();
    while let Some(b) = s.transmit() {
        out.extend_from_slice(&b);
    }
    String::from_utf8(out).unwrap()
}

fn question(s: &mut Session) -> AuthQuestion {
    match s.poll_event() {
        Some(Event::Auth { question }) => question,
        other => panic!("expected a question, got {other:?}"),
    }
}

fn authenticated(s: &mut Session) -> (Method, Identity) {
    match s.poll_event() {
        Some(Event::Authenticated { method, identity }) => (method, identity),
        other => panic!("expected Authenticated, got {other:?}"),
    }
}

fn failed(s: &mut Session) -> (Method, Option<String>, AuthError, u32) {
    match s.poll_event() {
        Some(Event::AuthFailed {
            method,
            user,
            error,
            failures,
        }) => (method, user, error, failures),
        other => panic!("expected AuthFailed, got {other:?}"),
    }
}

fn identity(authcid: &str, authzid: Option<&str>) -> Identity {
    Identity {
        authcid: authcid.into(),
        authzid: authzid.map(Into::into),
    }
}

fn password(method: Method, authcid: &str, authzid: Option<&str>, pass: &str) -> AuthQuestion {
    AuthQuestion::Password {
        method,
        authcid: authcid.into(),
        authzid: authzid.map(Into::into),
        password: Secret::new(pass.into()),
    }
}

#[test]
fn login_asks_for_a_password_check() {
    let mut s = session(vec![]);
    assert_eq!(said(&mut s, b"a1 LOGIN fred \"open sesame\"\r\n"), "");
    assert_eq!(
        question(&mut s),
        password(Method::Login, "fred", None, "open sesame")
    );
    assert!(s.poll_event().is_none());
    s.answer_auth(AuthAnswer::Accept).unwrap();
    assert_eq!(
        authenticated(&mut s),
        (Method::Login, identity("fred", None))
    );
    assert_eq!(said(&mut s, b""), format!("a1 {LOGGED_IN}"));
    assert_eq!(s.user(), Some("fred"));
}

#[test]
fn login_accepted_as_the_canonical_account() {
    let mut s = session(vec![]);
    said(&mut s, b"a1 LOGIN FRED@Example.COM secret\r\n");
    question(&mut s);
    s.answer_auth(AuthAnswer::AcceptAs("fred@example.com".into()))
        .unwrap();
    assert_eq!(
        authenticated(&mut s),
        (Method::Login, identity("fred@example.com", None))
    );
    assert_eq!(said(&mut s, b""), format!("a1 {LOGGED_IN}"));
    assert_eq!(s.user(), Some("fred@example.com"));
}

#[test]
fn failures_are_counted_across_login_and_authenticate() {
    let mut s = session(vec![Mechanism::Plain]);
    said(&mut s, b"a1 LOGIN fred wrong\r\n");
    question(&mut s);
    s.answer_auth(AuthAnswer::Reject).unwrap();
    assert_eq!(
        failed(&mut s),
        (
            Method::Login,
            Some("fred".into()),
            AuthError::Credentials,
            1
        )
    );
    assert_eq!(said(&mut s, b""), "a1 NO Authentication failed\r\n");

    // "\0fred\0wrong"
    said(&mut s, b"a2 AUTHENTICATE PLAIN AGZyZWQAd3Jvbmc=\r\n");
    assert_eq!(
        question(&mut s),
        password(Method::Sasl(Mechanism::Plain), "fred", None, "wrong")
    );
    s.answer_auth(AuthAnswer::Reject).unwrap();
    assert_eq!(
        failed(&mut s),
        (
            Method::Sasl(Mechanism::Plain),
            Some("fred".into()),
            AuthError::Credentials,
            2
        )
    );
    assert_eq!(said(&mut s, b""), "a2 NO Authentication failed\r\n");

    // Cancelled before any user was named: BAD, and counted.
    assert_eq!(said(&mut s, b"a3 AUTHENTICATE PLAIN\r\n"), "+ \r\n");
    assert_eq!(said(&mut s, b"*\r\n"), "a3 BAD AUTHENTICATE cancelled\r\n");
    assert_eq!(
        failed(&mut s),
        (
            Method::Sasl(Mechanism::Plain),
            None,
            AuthError::Cancelled,
            3
        )
    );

    // A mechanism that is not offered is no attempt.
    assert_eq!(
        said(&mut s, b"a4 AUTHENTICATE CRAM-MD5\r\n"),
        "a4 NO Unsupported mechanism\r\n"
    );
    assert!(s.poll_event().is_none());

    // Malformed: PLAIN without its separators.
    said(&mut s, b"a5 AUTHENTICATE PLAIN ZnJlZA==\r\n");
    let (method, user, error, failures) = failed(&mut s);
    assert_eq!(
        (method, user, failures),
        (Method::Sasl(Mechanism::Plain), None, 4)
    );
    assert!(matches!(error, AuthError::Malformed { .. }), "{error:?}");

    // Then a good one.
    said(&mut s, b"a6 LOGIN fred secret\r\n");
    question(&mut s);
    s.answer_auth(AuthAnswer::Accept).unwrap();
    assert_eq!(
        authenticated(&mut s),
        (Method::Login, identity("fred", None))
    );
    assert_eq!(said(&mut s, b""), format!("a6 {LOGGED_IN}"));
}

#[test]
fn authenticate_plain_acting_as_another_identity() {
    let mut s = session(vec![Mechanism::Plain]);
    // "shared\0fred\0secret", without an initial response.
    assert_eq!(said(&mut s, b"p1 AUTHENTICATE PLAIN\r\n"), "+ \r\n");
    assert_eq!(said(&mut s, b"c2hhcmVkAGZyZWQAc2VjcmV0\r\n"), "");
    assert_eq!(
        question(&mut s),
        password(
            Method::Sasl(Mechanism::Plain),
            "fred",
            Some("shared"),
            "secret"
        )
    );
    s.answer_auth(AuthAnswer::Accept).unwrap();
    assert_eq!(
        authenticated(&mut s),
        (
            Method::Sasl(Mechanism::Plain),
            identity("fred", Some("shared"))
        )
    );
    assert_eq!(said(&mut s, b""), format!("p1 {LOGGED_IN}"));
    assert_eq!(s.user(), Some("shared"));
}

#[test]
fn scram_with_the_wrong_keys_fails_after_the_proof() {
    let mut s = session(vec![Mechanism::ScramSha256]);
    s.set_auth_nonce("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
    let mut client = ClientExchange::scram_sha256(
        None,
        "user",
        &Secret::new("pencil".to_owned()),
        "rOprNGfwEbeRWgbNEkqO",
    )
    .unwrap();
    let first = client.initial_response().unwrap();
    said(
        &mut s,
        format!("a1 AUTHENTICATE SCRAM-SHA-256 {}\r\n", b64(&first)).as_bytes(),
    );
    assert_eq!(
        question(&mut s),
        AuthQuestion::ScramKeys {
            method: Method::Sasl(Mechanism::ScramSha256),
            authcid: "user".into(),
            authzid: None,
        }
    );
    // Keys for another password: the client's proof will not match them.
    s.answer_auth(AuthAnswer::ScramKeys(ScramKeys::derive(
        "eraser", b"salt", 4096,
    )))
    .unwrap();
    let challenge = said(&mut s, b"");
    let server_first = base64::engine::general_purpose::STANDARD
        .decode(challenge.strip_prefix("+ ").unwrap().trim_end())
        .unwrap();
    let client_final = client.respond(&server_first).unwrap();
    assert_eq!(
        said(&mut s, format!("{}\r\n", b64(&client_final)).as_bytes()),
        "a1 NO Authentication failed\r\n"
    );
    assert_eq!(
        failed(&mut s),
        (
            Method::Sasl(Mechanism::ScramSha256),
            Some("user".into()),
            AuthError::Credentials,
            1
        )
    );
    assert_eq!(s.user(), None);
}

/// RFC 7628 §4.1's initial response, with its token.
const OAUTHBEARER: &[u8] = b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01\
auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01";

#[test]
fn a_token_is_not_accepted_without_its_subject() {
    let mut s = session(vec![Mechanism::OAuthBearer]);
    said(
        &mut s,
        format!("t1 AUTHENTICATE OAUTHBEARER {}\r\n", b64(OAUTHBEARER)).as_bytes(),
    );
    assert_eq!(
        question(&mut s),
        AuthQuestion::Token {
            method: Method::Sasl(Mechanism::OAuthBearer),
            user: Some("user@example.com".into()),
            token: Secret::new("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==".into()),
            host: Some("server.example.com".into()),
            port: Some(143),
        }
    );
    // A bare Accept does not fit a token: handed back, the question still pending.
    let e = s.answer_auth(AuthAnswer::Accept).unwrap_err();
    assert_eq!(e.pending, Some(Question::Auth(AuthQuestionKind::Token)));
    assert_eq!(e.answer, Answer::Auth(AuthAnswer::Accept));
    assert_eq!(
        e.to_string(),
        "answer_auth does not answer the pending token check"
    );
    assert_eq!(said(&mut s, b"t2 NOOP\r\n"), "");
    assert!(s.poll_event().is_none());
    // Nor does another method's answer.
    let e = s.reject("No").unwrap_err();
    assert_eq!(
        (e.pending, e.answer),
        (
            Some(Question::Auth(AuthQuestionKind::Token)),
            Answer::Reject("No".into())
        )
    );

    s.answer_auth(AuthAnswer::AcceptAs("kurt@example.com".into()))
        .unwrap();
    assert_eq!(
        authenticated(&mut s),
        (
            Method::Sasl(Mechanism::OAuthBearer),
            identity("kurt@example.com", Some("user@example.com"))
        )
    );
    // The pipelined NOOP goes on once the question is answered.
    assert_eq!(
        said(&mut s, b""),
        format!("t1 {LOGGED_IN}t2 OK NOOP completed\r\n")
    );
}

#[test]
fn a_refused_token_sends_its_error_then_fails() {
    let mut s = session(vec![Mechanism::OAuthBearer]);
    said(
        &mut s,
        format!("t1 AUTHENTICATE OAUTHBEARER {}\r\n", b64(OAUTHBEARER)).as_bytes(),
    );
    question(&mut s);
    s.answer_auth(AuthAnswer::RejectToken(
        OAuthError::invalid_token().with_scope("mail"),
    ))
    .unwrap();
    assert_eq!(
        said(&mut s, b""),
        format!(
            "+ {}\r\n",
            b64(br#"{"status":"invalid_token","scope":"mail"}"#)
        )
    );
    assert!(s.poll_event().is_none());
    // RFC 7628 §3.2.3: the client answers the error with a lone ^A.
    assert_eq!(said(&mut s, b"AQ==\r\n"), "t1 NO Authentication failed\r\n");
    assert_eq!(
        failed(&mut s),
        (
            Method::Sasl(Mechanism::OAuthBearer),
            Some("user@example.com".into()),
            AuthError::Credentials,
            1
        )
    );
}

fn snapshot() -> MailboxSnapshot {
    MailboxSnapshot {
        uid_validity: NonZeroU32::MIN,
        uid_next: NonZeroU32::MIN,
        flags: vec![Flag::Seen],
        keywords_allowed: false,
        messages: Vec::new(),
    }
}

#[test]
fn answers_to_nothing_are_handed_back() {
    let mut s = session(vec![]);
    let e = s.open_mailbox(snapshot()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "open_mailbox answers nothing: no question is pending"
    );
    assert_eq!(
        (e.pending, e.answer),
        (None, Answer::OpenMailbox(snapshot()))
    );
    let e = s.answer_auth(AuthAnswer::Reject).unwrap_err();
    assert_eq!(
        (e.pending, e.answer),
        (None, Answer::Auth(AuthAnswer::Reject))
    );
    let e = s.accept_append(NonZeroU32::MIN, &[7, 8]).unwrap_err();
    assert_eq!(
        e.answer,
        Answer::AcceptAppend {
            uid_validity: NonZeroU32::MIN,
            uids: vec![7, 8]
        }
    );
    // The session is as it was.
    assert_eq!(said(&mut s, b"n1 NOOP\r\n"), "n1 OK NOOP completed\r\n");
}

#[test]
fn answers_to_another_question_leave_it_pending() {
    let mut s = session(vec![]);
    said(&mut s, b"a1 LOGIN fred secret\r\n");
    // LOGIN takes neither a mailbox nor a secret.
    let e = s.open_mailbox(snapshot()).unwrap_err();
    assert_eq!(
        (e.pending, e.answer),
        (
            Some(Question::Auth(AuthQuestionKind::Password)),
            Answer::OpenMailbox(snapshot())
        )
    );
    let secret = AuthAnswer::Secret(Secret::new("s".into()));
    let e = s.answer_auth(secret.clone()).unwrap_err();
    assert_eq!(
        (e.pending, e.answer),
        (
            Some(Question::Auth(AuthQuestionKind::Password)),
            Answer::Auth(secret)
        )
    );
    question(&mut s);
    s.answer_auth(AuthAnswer::Accept).unwrap();
    authenticated(&mut s);
    said(&mut s, b"");

    said(&mut s, b"s1 SELECT INBOX\r\n");
    assert!(matches!(s.poll_event(), Some(Event::Select { .. })));
    let e = s.answer_auth(AuthAnswer::Accept).unwrap_err();
    assert_eq!(
        e.to_string(),
        "answer_auth does not answer the pending SELECT"
    );
    assert_eq!(
        (e.pending, e.answer),
        (Some(Question::Select), Answer::Auth(AuthAnswer::Accept))
    );
    let e = s.provide_messages(Vec::new()).unwrap_err();
    assert_eq!(
        (e.pending, e.answer),
        (Some(Question::Select), Answer::Messages(Vec::new()))
    );
    let e = s.accept().unwrap_err();
    assert_eq!(
        (e.pending, e.answer),
        (Some(Question::Select), Answer::Accept)
    );
    s.open_mailbox(snapshot()).unwrap();
    assert_eq!(
        said(&mut s, b""),
        "* FLAGS (\\Seen)\r\n* 0 EXISTS\r\n* 0 RECENT\r\n\
* OK [PERMANENTFLAGS (\\Seen)] Limited\r\n* OK [UIDVALIDITY 1] UIDs valid\r\n\
* OK [UIDNEXT 1] Predicted next UID\r\ns1 OK [READ-WRITE] SELECT completed\r\n"
    );
}
