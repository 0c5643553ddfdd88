//! The application's answers: which fit which question, what `pending()` says at each step,
//! and what an exchange does with an answer that does not fit (hands it back, changes
//! nothing).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mailwire_core::Secret;
use mailwire_sasl::{
    AuthAnswer, AuthError, AuthQuestion, AuthQuestionKind, Identity, Mechanism, Method, OAuthError,
    ScramKeys, ServerExchange, ServerStep, WrongAnswer,
};

const PASSWORD: &str = "xipj3plmq";
const TOKEN: &str = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";

// RFC 2195 §2.
const CRAM_CHALLENGE: &str = "<1896.697170952@postoffice.reston.mci.net>";
const CRAM_RESPONSE: &[u8] = b"tim b913a602c7eda7a495b4e6e7334d3890";

// RFC 7677 §3.
const SCRAM_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const SCRAM_SALT: &str = "W22ZaJ0SNY7soEsUEjb6gQ==";
const CLIENT_FIRST: &str = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const SERVER_FIRST: &str =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const CLIENT_FINAL: &str = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

fn secret(s: &str) -> Secret<String> {
    Secret::new(s.to_owned())
}

fn scram_keys() -> ScramKeys {
    ScramKeys::derive("pencil", &STANDARD.decode(SCRAM_SALT).unwrap(), 4096)
}

fn success(authcid: &str, authzid: Option<&str>) -> ServerStep {
    ServerStep::Success {
        identity: Identity {
            authcid: authcid.into(),
            authzid: authzid.map(Into::into),
        },
        additional_data: None,
    }
}

/// One answer of each kind. The secret is the right one for the CRAM-MD5 question below,
/// so an exchange that took it where it does not fit could be fooled by it. The keys take
/// one iteration to derive, to keep the many checks fast.
fn every_answer() -> Vec<AuthAnswer> {
    vec![
        AuthAnswer::Accept,
        AuthAnswer::AcceptAs("tim".into()),
        AuthAnswer::Secret(secret("tanstaaftanstaaf")),
        AuthAnswer::ScramKeys(ScramKeys::derive("pencil", b"salt", 1)),
        AuthAnswer::Reject,
        AuthAnswer::RejectToken(OAuthError::invalid_token()),
    ]
}

/// The answers that do not fit `pending`, written out rather than asked of
/// [`AuthAnswer::fits`], which they check.
fn misfits(pending: Option<AuthQuestionKind>) -> Vec<AuthAnswer> {
    let keep = |answer: &AuthAnswer| match pending {
        None => true,
        Some(AuthQuestionKind::Password) => matches!(
            answer,
            AuthAnswer::Secret(_) | AuthAnswer::ScramKeys(_) | AuthAnswer::RejectToken(_)
        ),
        Some(AuthQuestionKind::Token) => matches!(
            answer,
            AuthAnswer::Accept | AuthAnswer::Secret(_) | AuthAnswer::ScramKeys(_)
        ),
        Some(AuthQuestionKind::Secret) => matches!(
            answer,
            AuthAnswer::Accept
                | AuthAnswer::AcceptAs(_)
                | AuthAnswer::ScramKeys(_)
                | AuthAnswer::RejectToken(_)
        ),
        Some(AuthQuestionKind::ScramKeys) => matches!(
            answer,
            AuthAnswer::Accept
                | AuthAnswer::AcceptAs(_)
                | AuthAnswer::Secret(_)
                | AuthAnswer::RejectToken(_)
        ),
        Some(other) => panic!("a question kind this test does not know: {other:?}"),
    };
    every_answer().into_iter().filter(keep).collect()
}

/// Gives `server` every answer that does not fit what it has pending, and checks that
/// each is handed back, with what was pending, and changes nothing.
fn hand_back_misfits(server: &mut ServerExchange, pending: Option<AuthQuestionKind>) {
    assert_eq!(server.pending(), pending);
    let done = server.is_done();
    let misfits = misfits(pending);
    assert!(!misfits.is_empty());
    for answer in misfits {
        assert!(
            !pending.is_some_and(|kind| answer.fits(kind)),
            "{answer} fits {pending:?}"
        );
        assert_eq!(
            server.answer(answer.clone()),
            Err(WrongAnswer { pending, answer }),
            "{:?}",
            server.mechanism()
        );
        assert_eq!(server.pending(), pending);
        assert_eq!(server.is_done(), done);
    }
}

/// An exchange brought to its question by a fixed client, every misfit answer refused on
/// the way (before the start, at each challenge, at the question).
fn at_question(mechanism: Mechanism) -> (ServerExchange, AuthQuestion) {
    let nonce = match mechanism {
        Mechanism::CramMd5 => CRAM_CHALLENGE,
        _ => SCRAM_NONCE,
    };
    let mut server = ServerExchange::new(mechanism, nonce).unwrap();
    hand_back_misfits(&mut server, None);
    let step = match mechanism {
        Mechanism::Plain => {
            assert_eq!(server.start(None), ServerStep::Challenge(Vec::new()));
            hand_back_misfits(&mut server, None);
            server.receive(format!("ursel\0kurt\0{PASSWORD}").as_bytes())
        }
        Mechanism::Login => {
            assert_eq!(
                server.start(None),
                ServerStep::Challenge(b"Username:".to_vec())
            );
            hand_back_misfits(&mut server, None);
            assert_eq!(
                server.receive(b"kurt"),
                ServerStep::Challenge(b"Password:".to_vec())
            );
            hand_back_misfits(&mut server, None);
            server.receive(PASSWORD.as_bytes())
        }
        Mechanism::CramMd5 => {
            assert_eq!(
                server.start(None),
                ServerStep::Challenge(CRAM_CHALLENGE.as_bytes().to_vec())
            );
            hand_back_misfits(&mut server, None);
            server.receive(CRAM_RESPONSE)
        }
        Mechanism::XOAuth2 => {
            assert_eq!(server.start(None), ServerStep::Challenge(Vec::new()));
            hand_back_misfits(&mut server, None);
            server.receive(format!("user=kurt\x01auth=Bearer {TOKEN}\x01\x01").as_bytes())
        }
        Mechanism::OAuthBearer => {
            assert_eq!(server.start(None), ServerStep::Challenge(Vec::new()));
            hand_back_misfits(&mut server, None);
            server.receive(
                format!(
                    "n,a=ursel,\x01host=mail.example\x01port=993\x01auth=Bearer {TOKEN}\x01\x01"
                )
                .as_bytes(),
            )
        }
        Mechanism::ScramSha256 => {
            assert_eq!(server.start(None), ServerStep::Challenge(Vec::new()));
            hand_back_misfits(&mut server, None);
            server.receive(CLIENT_FIRST.as_bytes())
        }
        other => panic!("a mechanism this test does not know: {other}"),
    };
    let ServerStep::Question(question) = step else {
        panic!("{mechanism}: {step:?}")
    };
    hand_back_misfits(&mut server, Some(question.kind()));
    (server, question)
}

#[test]
fn each_mechanism_asks_its_question() {
    let method = Method::Sasl;
    let expected = [
        (
            Mechanism::Plain,
            AuthQuestion::Password {
                method: method(Mechanism::Plain),
                authcid: "kurt".into(),
                authzid: Some("ursel".into()),
                password: secret(PASSWORD),
            },
        ),
        (
            Mechanism::Login,
            AuthQuestion::Password {
                method: method(Mechanism::Login),
                authcid: "kurt".into(),
                authzid: None,
                password: secret(PASSWORD),
            },
        ),
        (
            Mechanism::CramMd5,
            AuthQuestion::Secret {
                method: method(Mechanism::CramMd5),
                authcid: "tim".into(),
            },
        ),
        (
            Mechanism::XOAuth2,
            AuthQuestion::Token {
                method: method(Mechanism::XOAuth2),
                user: Some("kurt".into()),
                token: secret(TOKEN),
                host: None,
                port: None,
            },
        ),
        (
            Mechanism::OAuthBearer,
            AuthQuestion::Token {
                method: method(Mechanism::OAuthBearer),
                user: Some("ursel".into()),
                token: secret(TOKEN),
                host: Some("mail.example".into()),
                port: Some(993),
            },
        ),
        (
            Mechanism::ScramSha256,
            AuthQuestion::ScramKeys {
                method: method(Mechanism::ScramSha256),
                authcid: "user".into(),
                authzid: None,
            },
        ),
    ];
    assert_eq!(expected.len(), Mechanism::ALL.len());
    for (mechanism, question) in expected {
        let (server, asked) = at_question(mechanism);
        assert_eq!(asked, question);
        assert_eq!(server.pending(), Some(question.kind()));
    }
}

/// Every answer that fits each mechanism's question, and the step it leads to.
fn fitting_answers() -> Vec<(Mechanism, AuthAnswer, ServerStep)> {
    let challenge = |json: &str| ServerStep::Challenge(json.as_bytes().to_vec());
    let credentials = || ServerStep::Failure(AuthError::Credentials);
    let refusal = OAuthError::new("insufficient_scope")
        .with_scope("mail")
        .with_openid_configuration("https://id.example/.well-known/openid-configuration");
    vec![
        (
            Mechanism::Plain,
            AuthAnswer::Accept,
            success("kurt", Some("ursel")),
        ),
        (
            Mechanism::Plain,
            AuthAnswer::AcceptAs("Kurt".into()),
            success("Kurt", Some("ursel")),
        ),
        (Mechanism::Plain, AuthAnswer::Reject, credentials()),
        (Mechanism::Login, AuthAnswer::Accept, success("kurt", None)),
        (
            Mechanism::Login,
            AuthAnswer::AcceptAs("Kurt".into()),
            success("Kurt", None),
        ),
        (Mechanism::Login, AuthAnswer::Reject, credentials()),
        (
            Mechanism::CramMd5,
            AuthAnswer::Secret(secret("tanstaaftanstaaf")),
            success("tim", None),
        ),
        (
            Mechanism::CramMd5,
            AuthAnswer::Secret(secret("tanstaaftanstaag")),
            credentials(),
        ),
        (Mechanism::CramMd5, AuthAnswer::Reject, credentials()),
        (
            Mechanism::XOAuth2,
            AuthAnswer::AcceptAs("kurt@example.com".into()),
            success("kurt@example.com", None),
        ),
        (
            Mechanism::XOAuth2,
            AuthAnswer::Reject,
            challenge(r#"{"status":"401","schemes":"bearer"}"#),
        ),
        (
            Mechanism::XOAuth2,
            AuthAnswer::RejectToken(refusal.clone()),
            challenge(r#"{"status":"insufficient_scope","schemes":"bearer","scope":"mail"}"#),
        ),
        (
            Mechanism::OAuthBearer,
            AuthAnswer::AcceptAs("subject-1234".into()),
            success("subject-1234", Some("ursel")),
        ),
        (
            Mechanism::OAuthBearer,
            AuthAnswer::Reject,
            challenge(r#"{"status":"invalid_token"}"#),
        ),
        (
            Mechanism::OAuthBearer,
            AuthAnswer::RejectToken(refusal),
            challenge(
                r#"{"status":"insufficient_scope","scope":"mail","openid-configuration":"https://id.example/.well-known/openid-configuration"}"#,
            ),
        ),
        (
            Mechanism::ScramSha256,
            AuthAnswer::ScramKeys(scram_keys()),
            ServerStep::Challenge(SERVER_FIRST.as_bytes().to_vec()),
        ),
        (Mechanism::ScramSha256, AuthAnswer::Reject, credentials()),
    ]
}

#[test]
fn misfits_are_handed_back_and_every_fitting_answer_still_works() {
    let fitting = fitting_answers();
    for mechanism in Mechanism::ALL {
        assert!(fitting.iter().any(|(m, ..)| *m == mechanism), "{mechanism}");
    }
    for (mechanism, answer, expected) in fitting {
        // `at_question` has offered every misfit before this answer comes.
        let (mut server, question) = at_question(mechanism);
        assert!(answer.fits(question.kind()), "{mechanism}: {answer}");
        let ended = matches!(
            expected,
            ServerStep::Success { .. } | ServerStep::Failure(_)
        );
        let step = server.answer(answer.clone());
        assert_eq!(step, Ok(expected), "{mechanism}: {answer}");
        // No question is pending after any answer: every answer is now a misfit.
        hand_back_misfits(&mut server, None);
        assert_eq!(server.is_done(), ended, "{mechanism}: {answer}");
    }
}

#[test]
fn a_refused_token_fails_once_the_client_acknowledges_the_json_challenge() {
    for (mechanism, dummy) in [
        (Mechanism::XOAuth2, &b""[..]),
        (Mechanism::OAuthBearer, &b"\x01"[..]),
    ] {
        for answer in [
            AuthAnswer::Reject,
            AuthAnswer::RejectToken(OAuthError::new("invalid_request")),
        ] {
            let (mut server, _) = at_question(mechanism);
            assert!(matches!(
                server.answer(answer),
                Ok(ServerStep::Challenge(_))
            ));
            // Waiting for the dummy response: no question, and not done.
            hand_back_misfits(&mut server, None);
            assert!(!server.is_done());
            assert_eq!(
                server.receive(dummy),
                ServerStep::Failure(AuthError::Credentials)
            );
            assert!(server.is_done());
            assert_eq!(server.pending(), None);
        }
        // Anything but the dummy response is malformed.
        let (mut server, _) = at_question(mechanism);
        server
            .answer(AuthAnswer::RejectToken(OAuthError::invalid_token()))
            .expect("a token may be refused with an error");
        assert_eq!(
            server.receive(b"\x01\x01"),
            ServerStep::Failure(AuthError::Malformed {
                reason: "expected the dummy response"
            })
        );
    }
}

#[test]
fn reject_token_escapes_the_json_it_sends() {
    let (mut server, _) = at_question(Mechanism::OAuthBearer);
    let error = OAuthError::new("a\"b\\c\u{1}").with_scope("s\nt");
    assert_eq!(
        server.answer(AuthAnswer::RejectToken(error)),
        Ok(ServerStep::Challenge(
            br#"{"status":"a\"b\\c\u0001","scope":"s\u000at"}"#.to_vec()
        ))
    );
}

#[test]
fn pending_names_the_question_at_each_step() {
    use AuthQuestionKind as K;

    // SCRAM-SHA-256, RFC 7677 §3: no question, keys, then none while the proof and the
    // acknowledgement come.
    let mut server = ServerExchange::scram_sha256(SCRAM_NONCE).unwrap();
    assert_eq!(server.pending(), None);
    assert!(matches!(
        server.start(Some(CLIENT_FIRST.as_bytes())),
        ServerStep::Question(AuthQuestion::ScramKeys { .. })
    ));
    assert_eq!(server.pending(), Some(K::ScramKeys));
    assert_eq!(
        server.answer(AuthAnswer::ScramKeys(scram_keys())),
        Ok(ServerStep::Challenge(SERVER_FIRST.as_bytes().to_vec()))
    );
    hand_back_misfits(&mut server, None);
    assert_eq!(
        server.receive(CLIENT_FINAL.as_bytes()),
        ServerStep::Challenge(SERVER_FINAL.as_bytes().to_vec())
    );
    hand_back_misfits(&mut server, None);
    assert_eq!(server.receive(b""), success("user", None));
    assert_eq!(server.pending(), None);
    hand_back_misfits(&mut server, None);
    assert!(server.is_done());

    // PLAIN with its initial response: the question at once, then nothing.
    let mut server = ServerExchange::plain();
    assert_eq!(server.pending(), None);
    server.start(Some(b"\0kurt\0pw"));
    assert_eq!(server.pending(), Some(K::Password));
    assert_eq!(
        server.answer(AuthAnswer::Reject),
        Ok(ServerStep::Failure(AuthError::Credentials))
    );
    assert_eq!(server.pending(), None);

    // A message while the question is pending ends the exchange, and the question with it.
    let (mut server, _) = at_question(Mechanism::CramMd5);
    assert_eq!(server.pending(), Some(K::Secret));
    assert_eq!(
        server.receive(b"again"),
        ServerStep::Failure(AuthError::UnexpectedMessage)
    );
    assert_eq!(server.pending(), None);
    hand_back_misfits(&mut server, None);

    // A client that cancels before the question leaves none pending.
    let mut server = ServerExchange::login();
    server.start(None);
    assert_eq!(
        server.receive_line(b"*"),
        ServerStep::Failure(AuthError::Cancelled)
    );
    assert_eq!(server.pending(), None);
}
