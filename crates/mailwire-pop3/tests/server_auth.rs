//! Logins run by the server session over the wire: SASL exchanges (RFC 5034) with the
//! RFCs' own example messages, APOP (RFC 1939 §7), and failures counted per connection.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use mailwire_core::{Misuse, Secret, Session as _, Transport};
use mailwire_pop3::{
    Timestamp,
    server::{Answer, Config, Event, Maildrop, PlaintextLogin, Question, Session},
};
use mailwire_sasl::{
    AuthAnswer, AuthError, AuthQuestion, AuthQuestionKind, Identity, Mechanism, Method, ScramKeys,
};

/// Everything the server has written since the last call.
fn out(s: &mut Session) -> String {
    let mut bytes = Vec::new();
    while let Some(b) = s.transmit() {
        bytes.extend_from_slice(&b);
    }
    String::from_utf8(bytes).unwrap()
}

/// A server over implicit TLS offering `mechanisms`, greeting already read.
fn tls_server(mechanisms: Vec<Mechanism>) -> Session {
    let mut config = Config::default();
    config.implicit_tls = true;
    config.sasl_mechanisms = mechanisms;
    let mut s = Session::new(config);
    assert_eq!(out(&mut s), "+OK POP3 server ready\r\n");
    s
}

fn identity(authcid: &str, authzid: Option<&str>) -> Identity {
    Identity {
        authcid: authcid.into(),
        authzid: authzid.map(Into::into),
    }
}

/// After a successful login: the two events, then the maildrop's `+OK`.
fn expect_login(s: &mut Session, method: Method, identity: Identity) {
    let user = identity.acting_as().to_owned();
    assert_eq!(
        s.poll_event(),
        Some(Event::Authenticated { method, identity })
    );
    assert_eq!(
        s.poll_event(),
        Some(Event::OpenMaildrop { user: user.clone() })
    );
    assert_eq!(s.poll_event(), None);
    s.open_maildrop(Maildrop::default())
        .expect("the maildrop was asked for");
    assert_eq!(
        out(s),
        format!("+OK {user}'s maildrop has 0 messages (0 octets)\r\n")
    );
}

#[test]
fn plain_with_an_initial_response_and_an_authzid() {
    let mut s = tls_server(vec![Mechanism::Plain]);
    // RFC 4616 §4: Kurt acts as Ursel. Commands behind AUTH wait for the answer.
    s.receive(b"AUTH PLAIN dXJzZWwAa3VydAB4aXBqM3BsbXE=\r\nSTAT\r\n");
    assert_eq!(out(&mut s), "");
    assert_eq!(
        s.poll_event(),
        Some(Event::Auth {
            question: AuthQuestion::Password {
                method: Method::Sasl(Mechanism::Plain),
                authcid: "kurt".into(),
                authzid: Some("ursel".into()),
                password: Secret::new("xipj3plmq".into()),
            }
        })
    );
    s.answer_auth(AuthAnswer::Accept).unwrap();
    assert_eq!(
        s.poll_event(),
        Some(Event::Authenticated {
            method: Method::Sasl(Mechanism::Plain),
            identity: identity("kurt", Some("ursel")),
        })
    );
    assert_eq!(
        s.poll_event(),
        Some(Event::OpenMaildrop {
            user: "ursel".into()
        })
    );
    assert_eq!(out(&mut s), "");
    s.open_maildrop(Maildrop::default()).unwrap();
    // The pipelined STAT ran once the maildrop was open.
    assert_eq!(
        out(&mut s),
        "+OK ursel's maildrop has 0 messages (0 octets)\r\n+OK 0 0\r\n"
    );
    assert_eq!(s.user(), Some("ursel"));
}

#[test]
fn plain_after_an_empty_challenge_with_a_wrong_password() {
    let mut s = tls_server(vec![Mechanism::Plain]);
    s.receive(b"AUTH PLAIN\r\n");
    assert_eq!(out(&mut s), "+ \r\n");
    s.receive(b"AHRpbQB3cm9uZw==\r\n");
    let Some(Event::Auth {
        question: AuthQuestion::Password {
            authcid, password, ..
        },
    }) = s.poll_event()
    else {
        panic!()
    };
    assert_eq!(
        (authcid.as_str(), password.expose().as_str()),
        ("tim", "wrong")
    );
    s.answer_auth(AuthAnswer::Reject).unwrap();
    assert_eq!(out(&mut s), "-ERR [AUTH] authentication failed\r\n");
    assert_eq!(
        s.poll_event(),
        Some(Event::AuthFailed {
            method: Method::Sasl(Mechanism::Plain),
            user: Some("tim".into()),
            error: AuthError::Credentials,
            failures: 1,
        })
    );
    assert_eq!(s.transport(), Transport::Open);
}

/// RFC 7677 §3's exchange, byte for byte, with its nonce and salt.
#[test]
fn scram_sha_256_with_the_rfc_7677_example() {
    let mut s = tls_server(vec![Mechanism::ScramSha256]);
    s.set_auth_nonce("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
    // n,,n=user,r=rOprNGfwEbeRWgbNEkqO
    s.receive(b"AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=\r\n");
    assert_eq!(out(&mut s), "");
    assert_eq!(
        s.poll_event(),
        Some(Event::Auth {
            question: AuthQuestion::ScramKeys {
                method: Method::Sasl(Mechanism::ScramSha256),
                authcid: "user".into(),
                authzid: None,
            }
        })
    );
    let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
    let keys = ScramKeys::derive("pencil", &salt, 4096);
    s.answer_auth(AuthAnswer::ScramKeys(keys)).unwrap();
    // r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096
    assert_eq!(
        out(&mut s),
        "+ cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=\r\n"
    );
    // c=biws,r=…,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=
    s.receive(b"Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==\r\n");
    // v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=, as one more challenge (RFC 5034 §4).
    assert_eq!(
        out(&mut s),
        "+ dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==\r\n"
    );
    assert_eq!(s.poll_event(), None);
    s.receive(b"\r\n");
    expect_login(
        &mut s,
        Method::Sasl(Mechanism::ScramSha256),
        identity("user", None),
    );
}

#[test]
fn scram_and_cram_md5_need_a_nonce_for_each_exchange() {
    let mut s = tls_server(vec![Mechanism::ScramSha256, Mechanism::CramMd5]);
    s.receive(b"AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=\r\n");
    s.receive(b"AUTH CRAM-MD5\r\n");
    assert_eq!(
        out(&mut s),
        "-ERR [SYS/TEMP] authentication unavailable, try later\r\n\
-ERR [SYS/TEMP] authentication unavailable, try later\r\n"
    );
    assert_eq!(s.poll_event(), None);
    s.set_auth_nonce("<1896.697170952@postoffice.reston.mci.net>");
    s.receive(b"AUTH CRAM-MD5\r\n");
    assert_eq!(
        out(&mut s),
        "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"
    );
    s.receive(b"*\r\n");
    assert_eq!(out(&mut s), "-ERR authentication cancelled\r\n");
    // The cancelled exchange used the nonce up.
    s.receive(b"AUTH CRAM-MD5\r\n");
    assert_eq!(
        out(&mut s),
        "-ERR [SYS/TEMP] authentication unavailable, try later\r\n"
    );
}

/// RFC 2195 §2's example, over a plaintext connection: CRAM-MD5 sends no reusable secret.
#[test]
fn cram_md5_with_the_rfc_2195_example() {
    let mut config = Config::default();
    config.sasl_mechanisms = vec![Mechanism::CramMd5];
    let mut s = Session::new(config);
    assert_eq!(out(&mut s), "+OK POP3 server ready\r\n");
    s.receive(b"CAPA\r\n");
    assert!(out(&mut s).contains("\r\nSASL CRAM-MD5\r\n"));
    for (secret, right) in [("tanstaaftanstaafx", false), ("tanstaaftanstaaf", true)] {
        s.set_auth_nonce("<1896.697170952@postoffice.reston.mci.net>");
        s.receive(b"AUTH CRAM-MD5\r\n");
        assert_eq!(
            out(&mut s),
            "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"
        );
        // tim b913a602c7eda7a495b4e6e7334d3890
        s.receive(b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n");
        assert_eq!(
            s.poll_event(),
            Some(Event::Auth {
                question: AuthQuestion::Secret {
                    method: Method::Sasl(Mechanism::CramMd5),
                    authcid: "tim".into(),
                }
            })
        );
        s.answer_auth(AuthAnswer::Secret(Secret::new(secret.into())))
            .unwrap();
        if right {
            expect_login(
                &mut s,
                Method::Sasl(Mechanism::CramMd5),
                identity("tim", None),
            );
        } else {
            assert_eq!(out(&mut s), "-ERR [AUTH] authentication failed\r\n");
            assert_eq!(
                s.poll_event(),
                Some(Event::AuthFailed {
                    method: Method::Sasl(Mechanism::CramMd5),
                    user: Some("tim".into()),
                    error: AuthError::Credentials,
                    failures: 1,
                })
            );
        }
    }
}

const XOAUTH2: &[u8] = b"AUTH XOAUTH2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==\r\n";

#[test]
fn xoauth2_token_accepted_for_its_subject() {
    let mut s = tls_server(vec![Mechanism::XOAuth2]);
    s.receive(XOAUTH2);
    assert_eq!(out(&mut s), "");
    assert_eq!(
        s.poll_event(),
        Some(Event::Auth {
            question: AuthQuestion::Token {
                method: Method::Sasl(Mechanism::XOAuth2),
                user: Some("someuser@example.com".into()),
                token: Secret::new("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg".into()),
                host: None,
                port: None,
            }
        })
    );
    // A token proves no identity by itself: a bare accept is handed back.
    assert_eq!(
        s.answer_auth(AuthAnswer::Accept),
        Err(Misuse {
            pending: Some(Question::Auth(AuthQuestionKind::Token)),
            answer: Answer::Auth(AuthAnswer::Accept),
        })
    );
    assert_eq!(out(&mut s), "");
    assert_eq!(s.poll_event(), None);
    s.answer_auth(AuthAnswer::AcceptAs("someuser@example.com".into()))
        .unwrap();
    expect_login(
        &mut s,
        Method::Sasl(Mechanism::XOAuth2),
        identity("someuser@example.com", None),
    );
}

#[test]
fn xoauth2_token_rejected_with_the_error_challenge() {
    let mut s = tls_server(vec![Mechanism::XOAuth2]);
    s.receive(XOAUTH2);
    assert!(matches!(s.poll_event(), Some(Event::Auth { .. })));
    s.answer_auth(AuthAnswer::Reject).unwrap();
    // {"status":"401","schemes":"bearer"}
    assert_eq!(
        out(&mut s),
        "+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIn0=\r\n"
    );
    assert_eq!(s.poll_event(), None);
    // The client acknowledges with an empty response.
    s.receive(b"\r\n");
    assert_eq!(out(&mut s), "-ERR [AUTH] authentication failed\r\n");
    assert_eq!(
        s.poll_event(),
        Some(Event::AuthFailed {
            method: Method::Sasl(Mechanism::XOAuth2),
            user: Some("someuser@example.com".into()),
            error: AuthError::Credentials,
            failures: 1,
        })
    );
}

fn apop_server(max_login_failures: u32) -> Session {
    let ts = Timestamp::parse("<1896.697170952@dbc.mtview.ca.us>").unwrap();
    let mut config = Config::default();
    config.apop = true;
    config.plaintext_login = PlaintextLogin::Allow;
    config.sasl_mechanisms = vec![Mechanism::Plain];
    config.max_login_failures = max_login_failures;
    let mut s = Session::new(config).with_apop_timestamp(ts);
    assert_eq!(
        out(&mut s),
        "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"
    );
    s
}

/// RFC 1939 §7's APOP example: the session asks for mrose's secret and checks the digest.
#[test]
fn apop_asks_for_the_secret() {
    let mut s = apop_server(3);
    s.receive(b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
    assert_eq!(out(&mut s), "");
    assert_eq!(
        s.poll_event(),
        Some(Event::Auth {
            question: AuthQuestion::Secret {
                method: Method::Apop,
                authcid: "mrose".into(),
            }
        })
    );
    assert_eq!(
        s.answer_auth(AuthAnswer::Accept),
        Err(Misuse {
            pending: Some(Question::Auth(AuthQuestionKind::Secret)),
            answer: Answer::Auth(AuthAnswer::Accept),
        })
    );
    s.answer_auth(AuthAnswer::Secret(Secret::new("tanstaaf".into())))
        .unwrap();
    expect_login(&mut s, Method::Apop, identity("mrose", None));
}

#[test]
fn apop_with_the_wrong_secret_or_an_unknown_user_fails() {
    let mut s = apop_server(3);
    s.receive(b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nAPOP nobody c4c9334bac560ecc979e58001b3e22fb\r\n");
    assert!(matches!(s.poll_event(), Some(Event::Auth { .. })));
    s.answer_auth(AuthAnswer::Secret(Secret::new("tanstaafl".into())))
        .unwrap();
    assert!(matches!(s.poll_event(), Some(Event::AuthFailed { .. })));
    assert_eq!(
        s.poll_event(),
        Some(Event::Auth {
            question: AuthQuestion::Secret {
                method: Method::Apop,
                authcid: "nobody".into(),
            }
        })
    );
    s.answer_auth(AuthAnswer::Reject).unwrap();
    assert_eq!(
        out(&mut s),
        "-ERR [AUTH] authentication failed\r\n-ERR [AUTH] authentication failed\r\n"
    );
    assert_eq!(
        s.poll_event(),
        Some(Event::AuthFailed {
            method: Method::Apop,
            user: Some("nobody".into()),
            error: AuthError::Credentials,
            failures: 2,
        })
    );
}

/// Every failed attempt counts, whatever the method; the limit closes the connection.
#[test]
fn failures_are_counted_across_methods_up_to_the_limit() {
    let mut s = apop_server(4);
    let mut events = Vec::new();
    s.receive(b"USER mrose\r\nPASS wrong\r\n");
    assert!(matches!(s.poll_event(), Some(Event::Auth { .. })));
    s.answer_auth(AuthAnswer::Reject).unwrap();
    events.extend(std::iter::from_fn(|| s.poll_event()));
    s.receive(b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
    assert!(matches!(s.poll_event(), Some(Event::Auth { .. })));
    s.answer_auth(AuthAnswer::Reject).unwrap();
    // Not base64, then a cancel, then one more command that is never read.
    s.receive(b"AUTH PLAIN\r\n!!!\r\nAUTH PLAIN\r\n*\r\nNOOP\r\n");
    events.extend(std::iter::from_fn(|| s.poll_event()));
    assert_eq!(
        out(&mut s),
        "+OK send PASS\r\n-ERR [AUTH] authentication failed\r\n\
-ERR [AUTH] authentication failed\r\n\
+ \r\n-ERR [AUTH] authentication failed\r\n\
+ \r\n-ERR authentication cancelled\r\n-ERR too many failed logins, closing\r\n"
    );
    let failures: Vec<_> = events
        .into_iter()
        .map(|e| match e {
            Event::AuthFailed {
                method,
                user,
                error,
                failures,
            } => (method, user, error, failures),
            other => panic!("{other:?}"),
        })
        .collect();
    let plain = Method::Sasl(Mechanism::Plain);
    let bad_base64 = match &failures[2].2 {
        e @ AuthError::BadEncoding(_) => e.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        failures,
        [
            (
                Method::Login,
                Some("mrose".into()),
                AuthError::Credentials,
                1
            ),
            (
                Method::Apop,
                Some("mrose".into()),
                AuthError::Credentials,
                2
            ),
            (plain, None, bad_base64, 3),
            (plain, None, AuthError::Cancelled, 4),
        ]
    );
    assert_eq!(s.transport(), Transport::Close);
}

#[test]
fn an_over_long_sasl_response_fails_the_exchange() {
    let mut config = Config::default();
    config.implicit_tls = true;
    config.sasl_mechanisms = vec![Mechanism::Plain];
    config.max_sasl_line = 300;
    let mut s = Session::new(config);
    out(&mut s);
    s.receive(b"AUTH PLAIN\r\n");
    assert_eq!(out(&mut s), "+ \r\n");
    s.receive(&[b'A'; 400]);
    s.receive(b"\r\nNOOP\r\n");
    assert_eq!(
        out(&mut s),
        "-ERR [AUTH] authentication failed\r\n\
-ERR command not valid in the AUTHORIZATION state\r\n"
    );
    assert_eq!(
        s.poll_event(),
        Some(Event::AuthFailed {
            method: Method::Sasl(Mechanism::Plain),
            user: None,
            error: AuthError::Malformed {
                reason: "response line too long"
            },
            failures: 1,
        })
    );
}
