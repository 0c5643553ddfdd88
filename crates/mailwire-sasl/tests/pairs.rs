//! A client and a server exchange talking to each other over base64 lines, for every
//! mechanism: the right credentials, the wrong ones, with and without an initial response.

use mailwire_core::Secret;
use mailwire_sasl::line::{Response, decode_response, encode_challenge, encode_initial_response};
use mailwire_sasl::{
    AuthAnswer, AuthError, AuthQuestion, AuthQuestionKind, ClientError, ClientExchange, Identity,
    Mechanism, Method, ScramKeys, ServerExchange, ServerStep, WrongAnswer,
};

/// The application behind the server: one user, `kurt`, who may also act as `ursel`.
struct Directory;

const PASSWORD: &str = "xipj3plmq";
const TOKEN: &str = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";

impl Directory {
    fn may_act_as(authcid: &str, authzid: Option<&str>) -> bool {
        authzid.is_none_or(|authzid| authzid == authcid || authzid == "ursel")
    }

    /// Answers the exchange's question, as an application would.
    fn answer(server: &mut ServerExchange, step: ServerStep) -> ServerStep {
        let ServerStep::Question(question) = step else {
            return step;
        };
        assert_eq!(question.method(), Method::Sasl(server.mechanism()));
        assert_eq!(server.pending(), Some(question.kind()));
        let answer = match question {
            AuthQuestion::Password {
                authcid,
                authzid,
                password,
                ..
            } => {
                if authcid == "kurt"
                    && password == Secret::new(PASSWORD.to_owned())
                    && Self::may_act_as(&authcid, authzid.as_deref())
                {
                    AuthAnswer::Accept
                } else {
                    AuthAnswer::Reject
                }
            }
            AuthQuestion::Secret { authcid, .. } if authcid == "kurt" => {
                AuthAnswer::Secret(Secret::new(PASSWORD.to_owned()))
            }
            AuthQuestion::ScramKeys {
                authcid, authzid, ..
            } if authcid == "kurt" && Self::may_act_as(&authcid, authzid.as_deref()) => {
                AuthAnswer::ScramKeys(ScramKeys::derive(PASSWORD, b"kurt's salt", 4096))
            }
            // TOKEN was issued to kurt; the client's user (XOAUTH2's account, OAUTHBEARER's
            // authzid) must be one kurt may act as.
            AuthQuestion::Token { user, token, .. }
                if token == Secret::new(TOKEN.to_owned())
                    && Self::may_act_as("kurt", user.as_deref()) =>
            {
                AuthAnswer::AcceptAs("kurt".into())
            }
            // An unknown user, a wrong token, or a question this application never heard of.
            _ => AuthAnswer::Reject,
        };
        server
            .answer(answer)
            .expect("the exchange asked this question")
    }
}

#[derive(Debug, PartialEq)]
struct Outcome {
    server: Result<Identity, AuthError>,
    client: Result<(), ClientError>,
}

/// Runs the exchange over encoded lines, as an SMTP client and server would. A client that
/// finds a challenge wrong cancels with `*`; its error is the outcome's `client`.
fn run(mut client: ClientExchange, mut server: ServerExchange, initial: bool) -> Outcome {
    let mut step = if initial {
        let line = client
            .initial_response()
            .map(|ir| encode_initial_response(&ir));
        let decoded = line.map(|line| match decode_response(line.as_bytes()) {
            Ok(Response::Data(data)) => data,
            other => panic!("{other:?}"),
        });
        server.start(decoded.as_deref())
    } else {
        server.start(None)
    };
    let mut client_error = None;
    for _ in 0..10 {
        step = Directory::answer(&mut server, step);
        match step {
            ServerStep::Challenge(challenge) => {
                let line = encode_challenge(&challenge);
                step = match client.respond_line(line.as_bytes()) {
                    Ok(response) => server.receive_line(response.as_bytes()),
                    Err(error) => {
                        client_error = Some(error);
                        server.receive_line(b"*")
                    }
                };
            }
            ServerStep::Success {
                identity,
                additional_data,
            } => {
                let client = client.finish(additional_data.as_deref());
                assert!(server.is_done());
                return Outcome {
                    server: Ok(identity),
                    client,
                };
            }
            ServerStep::Failure(error) => {
                assert!(server.is_done());
                return Outcome {
                    server: Err(error),
                    client: client_error.map_or(Ok(()), Err),
                };
            }
            other => panic!("unanswered {other:?}"),
        }
    }
    panic!("the exchange did not end");
}

fn secret(s: &str) -> Secret<String> {
    Secret::new(s.to_owned())
}

fn server_for(mechanism: Mechanism) -> ServerExchange {
    let nonce = match mechanism {
        Mechanism::CramMd5 => "<1896.697170952@postoffice.example>",
        _ => "3rfcNHYJY1ZVvWVs7j",
    };
    ServerExchange::new(mechanism, nonce).unwrap()
}

fn client_for(mechanism: Mechanism, user: &str, password: &str) -> ClientExchange {
    match mechanism {
        Mechanism::Plain => ClientExchange::plain(None, user, &secret(password)).unwrap(),
        Mechanism::Login => ClientExchange::login(user, &secret(password)),
        Mechanism::CramMd5 => ClientExchange::cram_md5(user, &secret(password)),
        Mechanism::XOAuth2 => ClientExchange::xoauth2(user, &secret(password)).unwrap(),
        Mechanism::OAuthBearer => ClientExchange::oauthbearer(
            Some(user),
            Some("mail.example"),
            Some(993),
            &secret(password),
        )
        .unwrap(),
        Mechanism::ScramSha256 => {
            ClientExchange::scram_sha256(None, user, &secret(password), "fyko+d2lbbFgONRv9qkxdawL")
                .unwrap()
        }
        _ => unreachable!("a mechanism without a client in this test"),
    }
}

fn credential(mechanism: Mechanism) -> &'static str {
    if matches!(mechanism, Mechanism::XOAuth2 | Mechanism::OAuthBearer) {
        TOKEN
    } else {
        PASSWORD
    }
}

fn kurt() -> Identity {
    Identity {
        authcid: "kurt".into(),
        authzid: None,
    }
}

#[test]
fn every_mechanism_succeeds_with_the_right_credentials() {
    for mechanism in Mechanism::ALL {
        for initial in [true, false] {
            let client = client_for(mechanism, "kurt", credential(mechanism));
            let outcome = run(client, server_for(mechanism), initial);
            // OAUTHBEARER's client sends a=kurt, the authzid.
            let identity = match mechanism {
                Mechanism::OAuthBearer => Identity {
                    authzid: Some("kurt".into()),
                    ..kurt()
                },
                _ => kurt(),
            };
            assert_eq!(
                outcome,
                Outcome {
                    server: Ok(identity),
                    client: Ok(())
                },
                "{mechanism} {initial}"
            );
        }
    }
}

#[test]
fn every_mechanism_fails_with_a_wrong_credential() {
    for mechanism in Mechanism::ALL {
        for initial in [true, false] {
            let client = client_for(mechanism, "kurt", "wrong");
            let outcome = run(client, server_for(mechanism), initial);
            // The client cannot tell a wrong password: only the server's reply says so.
            assert_eq!(
                outcome,
                Outcome {
                    server: Err(AuthError::Credentials),
                    client: Ok(())
                },
                "{mechanism} {initial}"
            );
        }
    }
}

#[test]
fn every_mechanism_fails_for_an_unknown_user() {
    for mechanism in Mechanism::ALL {
        let client = client_for(mechanism, "tim", credential(mechanism));
        let outcome = run(client, server_for(mechanism), true);
        assert_eq!(outcome.server, Err(AuthError::Credentials), "{mechanism}");
    }
}

#[test]
fn with_success_data_scram_ends_one_round_earlier() {
    let client = client_for(Mechanism::ScramSha256, "kurt", PASSWORD);
    let server = ServerExchange::scram_sha256("3rfcNHYJY1ZVvWVs7j")
        .unwrap()
        .with_success_data(true);
    assert_eq!(
        run(client, server, true),
        Outcome {
            server: Ok(kurt()),
            client: Ok(())
        }
    );
}

#[test]
fn authorization_identities_reach_the_outcome() {
    let as_ursel = Identity {
        authcid: "kurt".into(),
        authzid: Some("ursel".into()),
    };

    let client = ClientExchange::plain(Some("ursel"), "kurt", &secret(PASSWORD)).unwrap();
    let outcome = run(client, ServerExchange::plain(), true);
    assert_eq!(outcome.server, Ok(as_ursel.clone()));
    assert_eq!(as_ursel.acting_as(), "ursel");

    let client =
        ClientExchange::scram_sha256(Some("ursel"), "kurt", &secret(PASSWORD), "abc").unwrap();
    let outcome = run(client, server_for(Mechanism::ScramSha256), true);
    assert_eq!(
        outcome,
        Outcome {
            server: Ok(as_ursel),
            client: Ok(())
        }
    );

    let client = ClientExchange::plain(Some("root"), "kurt", &secret(PASSWORD)).unwrap();
    assert_eq!(
        run(client, ServerExchange::plain(), true).server,
        Err(AuthError::Credentials)
    );
}

#[test]
fn scram_names_with_commas_and_equals_signs() {
    let mut client =
        ClientExchange::scram_sha256(Some("a=b"), "c,d", &secret("p"), "nonce").unwrap();
    let mut server = ServerExchange::scram_sha256("server").unwrap();
    let initial = client.initial_response().unwrap();
    assert_eq!(initial, b"n,a=a=3Db,n=c=2Cd,r=nonce");
    assert_eq!(
        server.start(Some(&initial)),
        ServerStep::Question(AuthQuestion::ScramKeys {
            method: Method::Sasl(Mechanism::ScramSha256),
            authcid: "c,d".into(),
            authzid: Some("a=b".into())
        })
    );
    let ServerStep::Challenge(first) = server
        .answer(AuthAnswer::ScramKeys(ScramKeys::derive("p", b"s", 4096)))
        .unwrap()
    else {
        panic!()
    };
    let last = client.respond(&first).unwrap();
    let ServerStep::Challenge(server_final) = server.receive(&last) else {
        panic!()
    };
    assert_eq!(client.respond(&server_final), Ok(Vec::new()));
}

#[test]
fn a_client_may_cancel() {
    let mut server = ServerExchange::login();
    assert_eq!(
        server.start(None),
        ServerStep::Challenge(b"Username:".to_vec())
    );
    assert_eq!(
        server.receive_line(b"*"),
        ServerStep::Failure(AuthError::Cancelled)
    );
    assert!(server.is_done());
}

#[test]
fn login_takes_the_user_name_as_initial_response() {
    let mut server = ServerExchange::login();
    assert_eq!(
        server.start(Some(b"kurt")),
        ServerStep::Challenge(b"Password:".to_vec())
    );
    assert_eq!(
        server.receive(PASSWORD.as_bytes()),
        ServerStep::Question(AuthQuestion::Password {
            method: Method::Sasl(Mechanism::Login),
            authcid: "kurt".into(),
            authzid: None,
            password: secret(PASSWORD)
        })
    );
}

#[test]
fn bad_base64_fails_with_its_own_error() {
    let mut server = ServerExchange::plain();
    server.start(None);
    assert!(matches!(
        server.receive_line(b"AHRpbQB0YW5zdGFhZg="),
        ServerStep::Failure(AuthError::BadEncoding(_))
    ));
}

/// `answer` refused `answer` because `pending` was pending, and handed it back.
fn handed_back(
    pending: Option<AuthQuestionKind>,
    answer: AuthAnswer,
) -> Result<ServerStep, WrongAnswer> {
    Err(WrongAnswer { pending, answer })
}

#[test]
fn answers_out_of_turn_are_usage_errors() {
    let mut server = ServerExchange::plain();
    assert_eq!(
        server.answer(AuthAnswer::Accept),
        handed_back(None, AuthAnswer::Accept)
    );
    assert_eq!(
        server.answer(AuthAnswer::Reject),
        handed_back(None, AuthAnswer::Reject)
    );
    // Still new: the refused answers did not start or end it.
    assert!(!server.is_done());
    assert_eq!(
        server.start(Some(b"\0kurt\0pw")),
        ServerStep::Question(AuthQuestion::Password {
            method: Method::Sasl(Mechanism::Plain),
            authcid: "kurt".into(),
            authzid: None,
            password: secret("pw"),
        })
    );
    let password = Some(AuthQuestionKind::Password);
    assert_eq!(
        server.answer(AuthAnswer::Secret(secret("x"))),
        handed_back(password, AuthAnswer::Secret(secret("x")))
    );
    let keys = ScramKeys::derive("p", b"s", 1);
    assert_eq!(
        server.answer(AuthAnswer::ScramKeys(keys.clone())),
        handed_back(password, AuthAnswer::ScramKeys(keys))
    );
    // The question is still pending: the usage errors changed nothing.
    assert_eq!(server.pending(), password);
    assert_eq!(
        server.answer(AuthAnswer::Accept),
        Ok(ServerStep::Success {
            identity: kurt(),
            additional_data: None
        })
    );
    assert_eq!(server.pending(), None);
    assert_eq!(
        server.answer(AuthAnswer::Accept),
        handed_back(None, AuthAnswer::Accept)
    );
    assert_eq!(
        server.receive(b"more"),
        ServerStep::Failure(AuthError::UnexpectedMessage)
    );
    assert_eq!(
        server.start(None),
        ServerStep::Failure(AuthError::UnexpectedMessage)
    );
}

#[test]
fn cram_md5_refuses_an_initial_response_and_bad_challenges() {
    let mut server = ServerExchange::cram_md5("<1.2@host>").unwrap();
    assert!(matches!(
        server.start(Some(b"tim 00")),
        ServerStep::Failure(AuthError::Malformed { .. })
    ));
    assert!(ServerExchange::cram_md5("").is_err());
    assert!(ServerExchange::cram_md5("<a\r\n>").is_err());
    assert!(ServerExchange::scram_sha256("a,b").is_err());
}

#[test]
fn client_steps_after_the_end_are_errors() {
    let mut client = ClientExchange::plain(None, "kurt", &secret(PASSWORD)).unwrap();
    client.initial_response();
    assert_eq!(client.initial_response(), None);
    assert_eq!(client.respond(b""), Err(ClientError::UnexpectedChallenge));

    let mut client = ClientExchange::login("kurt", &secret(PASSWORD));
    assert_eq!(client.respond(b"Username:"), Ok(b"kurt".to_vec()));
    assert_eq!(
        client.respond(b"Password:"),
        Ok(PASSWORD.as_bytes().to_vec())
    );
    assert_eq!(client.respond(b"?"), Err(ClientError::UnexpectedChallenge));
}

#[test]
fn finish_fails_before_the_exchange_completes() {
    let password = secret(PASSWORD);

    // PLAIN before its initial response was produced.
    let mut client = ClientExchange::plain(None, "kurt", &password).unwrap();
    assert_eq!(client.finish(None), Err(ClientError::Incomplete));

    // CRAM-MD5 before any challenge.
    let mut client = ClientExchange::cram_md5("kurt", &password);
    assert_eq!(client.finish(None), Err(ClientError::Incomplete));
    let mut client = ClientExchange::cram_md5("kurt", &password);
    client.respond(b"<1.2@host>").unwrap();
    assert_eq!(client.finish(None), Ok(()));

    // LOGIN before the password.
    let mut client = ClientExchange::login("kurt", &password);
    assert_eq!(client.finish(None), Err(ClientError::Incomplete));
    let mut client = ClientExchange::login("kurt", &password);
    client.respond(b"Username:").unwrap();
    assert_eq!(client.finish(None), Err(ClientError::Incomplete));

    // The bearer mechanisms, before the token and after the server refused it.
    let token = secret(TOKEN);
    let mut client = ClientExchange::oauthbearer(Some("kurt"), None, None, &token).unwrap();
    assert_eq!(client.finish(None), Err(ClientError::Incomplete));
    let mut client = ClientExchange::xoauth2("kurt", &token).unwrap();
    client.initial_response().unwrap();
    assert_eq!(
        client.respond(br#"{"status":"401","schemes":"bearer"}"#),
        Ok(Vec::new())
    );
    assert_eq!(client.finish(None), Err(ClientError::TokenRefused));
    assert_eq!(
        client.oauth_error(),
        Some(&br#"{"status":"401","schemes":"bearer"}"#[..])
    );
}

#[test]
fn initial_response_lines() {
    let mut server = ServerExchange::plain();
    assert!(matches!(
        server.start_line(Some(b"AGt1cnQAeGlwajNwbG1x")),
        ServerStep::Question(AuthQuestion::Password { authcid, .. }) if authcid == "kurt"
    ));

    let mut server = ServerExchange::plain();
    assert_eq!(
        server.start_line(Some(b"*")),
        ServerStep::Failure(AuthError::Cancelled)
    );
    assert!(server.is_done());

    let mut server = ServerExchange::plain();
    assert!(matches!(
        server.start_line(Some(b"AGt1cnQ!")),
        ServerStep::Failure(AuthError::BadEncoding(error)) if error.offset() == 7
    ));

    // `=` is an empty initial response, which PLAIN cannot parse; no argument at all asks
    // for the message with an empty challenge.
    let mut server = ServerExchange::plain();
    assert!(matches!(
        server.start_line(Some(b"=")),
        ServerStep::Failure(AuthError::Malformed { .. })
    ));
    let mut server = ServerExchange::plain();
    assert_eq!(server.start_line(None), ServerStep::Challenge(Vec::new()));

    let mut client = ClientExchange::plain(None, "kurt", &secret(PASSWORD)).unwrap();
    assert_eq!(
        client.initial_response_line().as_deref(),
        Some("AGt1cnQAeGlwajNwbG1x")
    );
    assert_eq!(
        ClientExchange::login("kurt", &secret(PASSWORD)).initial_response_line(),
        None
    );
}

#[test]
fn debug_output_hides_passwords_and_tokens() {
    let mut printed = Vec::new();
    for mechanism in Mechanism::ALL {
        let mut client = client_for(mechanism, "kurt", credential(mechanism));
        printed.push(format!("{client:?}"));
        let mut server = server_for(mechanism);
        let step = server.start(client.initial_response().as_deref());
        printed.push(format!("{client:?} {server:?} {step:?}"));
    }
    let mut server = ServerExchange::scram_sha256("n").unwrap();
    server.start(Some(b"n,,n=kurt,r=abc"));
    server
        .answer(AuthAnswer::ScramKeys(ScramKeys::derive(PASSWORD, b"s", 1)))
        .unwrap();
    printed.push(format!("{server:?}"));
    // Answers, and the misuse error that hands one back.
    let answer = AuthAnswer::Secret(secret(PASSWORD));
    printed.push(format!("{answer:?}"));
    let refused = server.answer(answer).unwrap_err();
    assert_eq!(refused.answer, AuthAnswer::Secret(secret(PASSWORD)));
    printed.push(format!("{refused:?} {refused}"));

    for text in &printed {
        assert!(!text.contains(PASSWORD) && !text.contains(TOKEN), "{text}");
        // PLAIN's message holds the password between NULs; make sure it is not printed
        // byte by byte either.
        assert!(!text.contains("120, 105, 112, 106"), "{text}");
    }
    assert!(printed.iter().any(|text| text.contains("[redacted]")));
}

#[test]
fn clients_refuse_values_that_would_corrupt_their_messages() {
    let what = |result: Result<ClientExchange, mailwire_sasl::InvalidInput>| {
        result.map(|_| ()).map_err(|error| error.what())
    };
    let pw = secret(PASSWORD);
    assert_eq!(
        what(ClientExchange::plain(Some("a\0b"), "kurt", &pw)),
        Err("authzid")
    );
    assert_eq!(
        what(ClientExchange::plain(None, "ku\0rt", &pw)),
        Err("authcid")
    );
    assert_eq!(what(ClientExchange::plain(None, "", &pw)), Err("authcid"));
    assert_eq!(
        what(ClientExchange::plain(None, "kurt", &secret(""))),
        Err("password")
    );
    assert_eq!(
        what(ClientExchange::xoauth2("ku\x01rt", &secret(TOKEN))),
        Err("user")
    );
    assert_eq!(
        what(ClientExchange::xoauth2("kurt", &secret("a b"))),
        Err("token")
    );
    assert_eq!(
        what(ClientExchange::xoauth2("kurt", &secret("="))),
        Err("token")
    );
    assert_eq!(
        what(ClientExchange::oauthbearer(
            None,
            Some("h\x01port=1"),
            None,
            &secret(TOKEN)
        )),
        Err("host")
    );
    assert_eq!(
        what(ClientExchange::oauthbearer(
            Some(""),
            None,
            None,
            &secret(TOKEN)
        )),
        Err("user")
    );
    assert_eq!(
        what(ClientExchange::scram_sha256(None, "", &pw, "n")),
        Err("user")
    );
    assert_eq!(
        what(ClientExchange::scram_sha256(Some(""), "k", &pw, "n")),
        Err("authzid")
    );
    assert_eq!(
        what(ClientExchange::scram_sha256(None, "k", &pw, "a,b")),
        Err("nonce")
    );
    assert_eq!(
        what(ClientExchange::oauthbearer(
            None,
            None,
            None,
            &secret(TOKEN)
        )),
        Ok(())
    );
}
