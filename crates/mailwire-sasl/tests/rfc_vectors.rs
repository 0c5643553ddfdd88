//! Known-answer tests from the RFCs' own examples.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mailwire_core::Secret;
use mailwire_sasl::line::{decode_challenge, encode_challenge, encode_initial_response};
use mailwire_sasl::{
    AuthAnswer, AuthError, AuthQuestion, AuthQuestionKind, ClientError, ClientExchange, Identity,
    Mechanism, Method, OAuthError, ScramKeys, ServerExchange, ServerStep, WrongAnswer,
};

fn secret(s: &str) -> Secret<String> {
    Secret::new(s.to_owned())
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

/// The answer handed back because `pending` was pending.
fn handed_back(pending: AuthQuestionKind, answer: AuthAnswer) -> Result<ServerStep, WrongAnswer> {
    Err(WrongAnswer {
        pending: Some(pending),
        answer,
    })
}

// ---- RFC 4616 §4 -------------------------------------------------------------------------

#[test]
fn rfc_4616_tim_without_authzid() {
    let mut client = ClientExchange::plain(None, "tim", &secret("tanstaaftanstaaf")).unwrap();
    let mut server = ServerExchange::plain();

    // S: + ""
    assert_eq!(server.start(None), ServerStep::Challenge(Vec::new()));
    // C: {21} <NUL>tim<NUL>tanstaaftanstaaf
    let response = client.respond(b"").unwrap();
    assert_eq!(response, b"\0tim\0tanstaaftanstaaf");
    assert_eq!(response.len(), 21);
    assert_eq!(
        server.receive(&response),
        ServerStep::Question(AuthQuestion::Password {
            method: Method::Sasl(Mechanism::Plain),
            authcid: "tim".into(),
            authzid: None,
            password: secret("tanstaaftanstaaf"),
        })
    );
    // S: a002 OK "Authenticated"
    assert_eq!(server.answer(AuthAnswer::Accept), Ok(success("tim", None)));
    assert_eq!(client.finish(None), Ok(()));
}

#[test]
fn rfc_4616_kurt_may_not_act_as_ursel() {
    let mut client = ClientExchange::plain(Some("Ursel"), "Kurt", &secret("xipj3plmq")).unwrap();
    let initial = client.initial_response().unwrap();
    assert_eq!(initial, b"Ursel\0Kurt\0xipj3plmq");
    assert_eq!(
        encode_initial_response(&initial),
        "VXJzZWwAS3VydAB4aXBqM3BsbXE="
    );

    let mut server = ServerExchange::plain();
    assert_eq!(
        server.start(Some(&initial)),
        ServerStep::Question(AuthQuestion::Password {
            method: Method::Sasl(Mechanism::Plain),
            authcid: "Kurt".into(),
            authzid: Some("Ursel".into()),
            password: secret("xipj3plmq"),
        })
    );
    // S: a002 NO "Not authorized to requested authorization identity"
    assert_eq!(
        server.answer(AuthAnswer::Reject),
        Ok(ServerStep::Failure(AuthError::Credentials))
    );
    assert!(server.is_done());
}

// ---- RFC 2195 §2 -------------------------------------------------------------------------

const RFC2195_CHALLENGE: &str = "<1896.697170952@postoffice.reston.mci.net>";

#[test]
fn rfc_2195_client() {
    let mut client = ClientExchange::cram_md5("tim", &secret("tanstaaftanstaaf"));
    assert_eq!(client.initial_response(), None);
    // S: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+
    assert_eq!(
        encode_challenge(RFC2195_CHALLENGE.as_bytes()),
        "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
    );
    // C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw
    assert_eq!(
        client.respond_line(b"PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"),
        Ok("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw".to_owned())
    );
    assert_eq!(
        STANDARD
            .decode("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")
            .unwrap(),
        b"tim b913a602c7eda7a495b4e6e7334d3890"
    );
    assert_eq!(client.finish(None), Ok(()));
}

#[test]
fn rfc_2195_server() {
    let mut server = ServerExchange::cram_md5(RFC2195_CHALLENGE).unwrap();
    assert_eq!(
        server.start(None),
        ServerStep::Challenge(RFC2195_CHALLENGE.as_bytes().to_vec())
    );
    assert_eq!(
        server.receive_line(b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"),
        ServerStep::Question(AuthQuestion::Secret {
            method: Method::Sasl(Mechanism::CramMd5),
            authcid: "tim".into()
        })
    );
    assert_eq!(
        server.answer(AuthAnswer::Secret(secret("tanstaaftanstaaf"))),
        Ok(success("tim", None))
    );

    // Upper-case hex is the same digest.
    let mut server = ServerExchange::cram_md5(RFC2195_CHALLENGE).unwrap();
    server.start(None);
    server.receive(b"tim B913A602C7EDA7A495B4E6E7334D3890");
    assert_eq!(
        server.answer(AuthAnswer::Secret(secret("tanstaaftanstaaf"))),
        Ok(success("tim", None))
    );

    // The wrong secret, and a digest one bit off.
    let mut server = ServerExchange::cram_md5(RFC2195_CHALLENGE).unwrap();
    server.start(None);
    server.receive(b"tim b913a602c7eda7a495b4e6e7334d3890");
    assert_eq!(
        server.answer(AuthAnswer::Secret(secret("tanstaaftanstaag"))),
        Ok(ServerStep::Failure(AuthError::Credentials))
    );
    let mut server = ServerExchange::cram_md5(RFC2195_CHALLENGE).unwrap();
    server.start(None);
    server.receive(b"tim b913a602c7eda7a495b4e6e7334d3891");
    assert_eq!(
        server.answer(AuthAnswer::Secret(secret("tanstaaftanstaaf"))),
        Ok(ServerStep::Failure(AuthError::Credentials))
    );
}

// ---- RFC 7677 §3 -------------------------------------------------------------------------

const CLIENT_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
const SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const SALT: &str = "W22ZaJ0SNY7soEsUEjb6gQ==";
const CLIENT_FIRST: &str = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const SERVER_FIRST: &str =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const CLIENT_FINAL: &str = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

fn rfc_7677_keys() -> ScramKeys {
    ScramKeys::derive("pencil", &STANDARD.decode(SALT).unwrap(), 4096)
}

#[test]
fn rfc_7677_client() {
    let mut client =
        ClientExchange::scram_sha256(None, "user", &secret("pencil"), CLIENT_NONCE).unwrap();
    assert_eq!(client.initial_response().unwrap(), CLIENT_FIRST.as_bytes());
    assert_eq!(
        client.respond(SERVER_FIRST.as_bytes()).unwrap(),
        CLIENT_FINAL.as_bytes()
    );
    assert_eq!(client.respond(SERVER_FINAL.as_bytes()).unwrap(), b"");
    assert_eq!(client.finish(None), Ok(()));
}

#[test]
fn rfc_7677_client_with_the_final_message_in_the_success_reply() {
    let mut client =
        ClientExchange::scram_sha256(None, "user", &secret("pencil"), CLIENT_NONCE).unwrap();
    client.initial_response();
    client.respond(SERVER_FIRST.as_bytes()).unwrap();
    assert_eq!(client.finish(Some(SERVER_FINAL.as_bytes())), Ok(()));
}

#[test]
fn rfc_7677_server() {
    let mut server = ServerExchange::scram_sha256(SERVER_NONCE).unwrap();
    assert_eq!(
        server.start(Some(CLIENT_FIRST.as_bytes())),
        ServerStep::Question(AuthQuestion::ScramKeys {
            method: Method::Sasl(Mechanism::ScramSha256),
            authcid: "user".into(),
            authzid: None
        })
    );
    assert_eq!(
        server.answer(AuthAnswer::ScramKeys(rfc_7677_keys())),
        Ok(ServerStep::Challenge(SERVER_FIRST.as_bytes().to_vec()))
    );
    assert_eq!(
        server.receive(CLIENT_FINAL.as_bytes()),
        ServerStep::Challenge(SERVER_FINAL.as_bytes().to_vec())
    );
    assert_eq!(server.receive(b""), success("user", None));
}

#[test]
fn rfc_7677_server_with_success_data() {
    let mut server = ServerExchange::scram_sha256(SERVER_NONCE)
        .unwrap()
        .with_success_data(true);
    server.start(Some(CLIENT_FIRST.as_bytes()));
    server
        .answer(AuthAnswer::ScramKeys(rfc_7677_keys()))
        .unwrap();
    assert_eq!(
        server.receive(CLIENT_FINAL.as_bytes()),
        ServerStep::Success {
            identity: Identity {
                authcid: "user".into(),
                authzid: None
            },
            additional_data: Some(SERVER_FINAL.as_bytes().to_vec()),
        }
    );
}

#[test]
fn rfc_7677_server_refuses_a_wrong_proof() {
    let mut server = ServerExchange::scram_sha256(SERVER_NONCE).unwrap();
    server.start(Some(CLIENT_FIRST.as_bytes()));
    server
        .answer(AuthAnswer::ScramKeys(ScramKeys::derive(
            "pencil2",
            &STANDARD.decode(SALT).unwrap(),
            4096,
        )))
        .unwrap();
    assert_eq!(
        server.receive(CLIENT_FINAL.as_bytes()),
        ServerStep::Failure(AuthError::Credentials)
    );
}

#[test]
fn rfc_7677_server_refuses_a_client_final_with_a_wrong_nonce_or_binding() {
    let refused = |client_final: &str| {
        let mut server = ServerExchange::scram_sha256(SERVER_NONCE).unwrap();
        server.start(Some(CLIENT_FIRST.as_bytes()));
        server
            .answer(AuthAnswer::ScramKeys(rfc_7677_keys()))
            .unwrap();
        let end = server.receive(client_final.as_bytes());
        assert!(server.is_done());
        end
    };
    // The last character of the combined nonce changed, the proof left as it was.
    assert_eq!(
        refused(&CLIENT_FINAL.replace("$k0,", "$k1,")),
        ServerStep::Failure(AuthError::Malformed {
            reason: "wrong nonce"
        })
    );
    // Only the client's own nonce, without the server's part.
    assert_eq!(
        refused(&CLIENT_FINAL.replace("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "")),
        ServerStep::Failure(AuthError::Malformed {
            reason: "wrong nonce"
        })
    );
    // c= must be base64 of the GS2 header "n,,"; "eSws" is "y,,", "bixh" is "n,a".
    for binding in ["c=eSws", "c=bixh", "c=biws=", "c="] {
        assert_eq!(
            refused(&CLIENT_FINAL.replace("c=biws", binding)),
            ServerStep::Failure(AuthError::Malformed {
                reason: "channel binding does not repeat the GS2 header"
            }),
            "{binding}"
        );
    }
}

#[test]
fn rfc_7677_client_refuses_a_wrong_server_signature() {
    for (server_final, error) in [
        (
            "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
            ClientError::ServerSignature,
        ),
        (
            "e=invalid-proof",
            ClientError::ServerError("invalid-proof".into()),
        ),
    ] {
        let mut client =
            ClientExchange::scram_sha256(None, "user", &secret("pencil"), CLIENT_NONCE).unwrap();
        client.initial_response();
        client.respond(SERVER_FIRST.as_bytes()).unwrap();
        assert_eq!(client.respond(server_final.as_bytes()), Err(error));
        assert_eq!(client.finish(None), Err(ClientError::UnexpectedChallenge));
    }

    // A server that claims success without sending its signature has proved nothing.
    let mut client =
        ClientExchange::scram_sha256(None, "user", &secret("pencil"), CLIENT_NONCE).unwrap();
    client.initial_response();
    client.respond(SERVER_FIRST.as_bytes()).unwrap();
    assert_eq!(client.finish(None), Err(ClientError::NotVerified));
}

#[test]
fn rfc_7677_client_debug_hides_the_expected_server_signature() {
    let mut client =
        ClientExchange::scram_sha256(None, "user", &secret("pencil"), CLIENT_NONCE).unwrap();
    client.initial_response();
    client.respond(SERVER_FIRST.as_bytes()).unwrap();

    // With these bytes a log reader could forge the server-final message.
    let signature = STANDARD.decode(&SERVER_FINAL[2..]).unwrap();
    let printed = format!("{client:?}");
    let as_list = format!("{signature:?}");
    assert!(
        !printed.contains(&as_list[1..as_list.len() - 1]),
        "{printed}"
    );
    assert!(!printed.contains(&SERVER_FINAL[2..]), "{printed}");
    assert!(
        printed.contains("signature: Secret([redacted])"),
        "{printed}"
    );

    // The signature still verifies.
    assert_eq!(client.respond(SERVER_FINAL.as_bytes()), Ok(Vec::new()));
}

#[test]
fn rfc_7677_client_refuses_a_nonce_it_did_not_start() {
    let mut client =
        ClientExchange::scram_sha256(None, "user", &secret("pencil"), CLIENT_NONCE).unwrap();
    client.initial_response();
    assert_eq!(
        client.respond(b"r=XOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
        Err(ClientError::NonceMismatch)
    );
}

#[test]
fn scram_client_refuses_iteration_counts_below_its_minimum() {
    // A man in the middle rewrites i=4096 to make the proof cheap to attack offline.
    let with_count = |count: &str| SERVER_FIRST.replace("i=4096", count);
    for (count, got) in [("i=1", 1), ("i=4095", 4095)] {
        let mut client =
            ClientExchange::scram_sha256(None, "user", &secret("pencil"), CLIENT_NONCE).unwrap();
        client.initial_response();
        assert_eq!(
            client.respond(with_count(count).as_bytes()),
            Err(ClientError::IterationCountTooLow { got, minimum: 4096 })
        );
        assert_eq!(client.finish(None), Err(ClientError::UnexpectedChallenge));
    }

    // A minimum set by the caller, higher or lower.
    let mut client = ClientExchange::scram_sha256(None, "user", &secret("pencil"), CLIENT_NONCE)
        .unwrap()
        .with_min_iterations(5000);
    client.initial_response();
    assert_eq!(
        client.respond(SERVER_FIRST.as_bytes()),
        Err(ClientError::IterationCountTooLow {
            got: 4096,
            minimum: 5000
        })
    );
    let mut client = ClientExchange::scram_sha256(None, "user", &secret("pencil"), CLIENT_NONCE)
        .unwrap()
        .with_min_iterations(0);
    client.initial_response();
    assert!(client.respond(with_count("i=1").as_bytes()).is_ok());
    let mut client = ClientExchange::scram_sha256(None, "user", &secret("pencil"), CLIENT_NONCE)
        .unwrap()
        .with_min_iterations(0);
    client.initial_response();
    assert_eq!(
        client.respond(with_count("i=0").as_bytes()),
        Err(ClientError::IterationCount(0))
    );
}

#[test]
fn scram_channel_binding_flags() {
    // `y`: the client could bind but believes the server cannot. Accepted, and the
    // client-final's c= must repeat it ("eSws" is base64 of "y,,").
    let mut server = ServerExchange::scram_sha256(SERVER_NONCE).unwrap();
    assert!(matches!(
        server.start(Some(b"y,,n=user,r=rOprNGfwEbeRWgbNEkqO")),
        ServerStep::Question(AuthQuestion::ScramKeys { .. })
    ));
    server
        .answer(AuthAnswer::ScramKeys(rfc_7677_keys()))
        .unwrap();
    assert_eq!(
        server.receive(CLIENT_FINAL.as_bytes()),
        ServerStep::Failure(AuthError::Malformed {
            reason: "channel binding does not repeat the GS2 header"
        })
    );

    // `p=`: channel binding required, which this crate does not offer.
    let mut server = ServerExchange::scram_sha256(SERVER_NONCE).unwrap();
    assert_eq!(
        server.start(Some(
            b"p=tls-server-end-point,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        )),
        ServerStep::Failure(AuthError::UnsupportedChannelBinding)
    );

    // A mandatory extension.
    let mut server = ServerExchange::scram_sha256(SERVER_NONCE).unwrap();
    assert_eq!(
        server.start(Some(b"n,,m=ext,n=user,r=rOprNGfwEbeRWgbNEkqO")),
        ServerStep::Failure(AuthError::UnsupportedExtension)
    );
}

// ---- RFC 7628 §4 -------------------------------------------------------------------------

const RFC7628_TOKEN: &str = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";
/// §4.1, IMAP, port 143.
const RFC7628_IMAP: &str = "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
/// §4.2, SMTP, port 587.
const RFC7628_SMTP: &str = "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9NTg3AWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
/// §4.3 and §4.4: the error challenge.
const RFC7628_ERROR: &str = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=";

#[test]
fn rfc_7628_client_initial_responses() {
    for (port, expected) in [(143, RFC7628_IMAP), (587, RFC7628_SMTP)] {
        let mut client = ClientExchange::oauthbearer(
            Some("user@example.com"),
            Some("server.example.com"),
            Some(port),
            &secret(RFC7628_TOKEN),
        )
        .unwrap();
        assert_eq!(
            encode_initial_response(&client.initial_response().unwrap()),
            expected
        );
        assert_eq!(client.finish(None), Ok(()));
    }
}

#[test]
fn rfc_7628_server_success() {
    let mut server = ServerExchange::oauthbearer();
    assert_eq!(server.start(None), ServerStep::Challenge(Vec::new()));
    assert_eq!(
        server.receive_line(RFC7628_IMAP.as_bytes()),
        ServerStep::Question(AuthQuestion::Token {
            method: Method::Sasl(Mechanism::OAuthBearer),
            user: Some("user@example.com".into()),
            token: secret(RFC7628_TOKEN),
            host: Some("server.example.com".into()),
            port: Some(143),
        })
    );
    // The token's subject is the application's to name; a= is only the identity the
    // client asks to act as.
    let refused = server.answer(AuthAnswer::Accept);
    assert_eq!(
        refused,
        handed_back(AuthQuestionKind::Token, AuthAnswer::Accept)
    );
    assert_eq!(
        refused.unwrap_err().to_string(),
        "accept does not answer the pending token check"
    );
    assert_eq!(server.pending(), Some(AuthQuestionKind::Token));
    assert_eq!(
        server.answer(AuthAnswer::AcceptAs("subject-1234".into())),
        Ok(success("subject-1234", Some("user@example.com")))
    );
}

#[test]
fn rfc_7628_server_smtp_initial_response() {
    // §4.2: C: AUTH OAUTHBEARER <initial response>, on port 587.
    let mut server = ServerExchange::oauthbearer();
    assert_eq!(
        server.start_line(Some(RFC7628_SMTP.as_bytes())),
        ServerStep::Question(AuthQuestion::Token {
            method: Method::Sasl(Mechanism::OAuthBearer),
            user: Some("user@example.com".into()),
            token: secret(RFC7628_TOKEN),
            host: Some("server.example.com".into()),
            port: Some(587),
        })
    );
    assert_eq!(
        server.answer(AuthAnswer::AcceptAs("user@example.com".into())),
        Ok(success("user@example.com", Some("user@example.com")))
    );
}

#[test]
fn token_answers_name_the_subject() {
    // Without a=, the identity is the subject alone; a bare Accept, which would leave it
    // empty, is handed back.
    let mut server = ServerExchange::oauthbearer();
    assert!(matches!(
        server.start(Some(b"n,,\x01auth=Bearer t0ken\x01\x01")),
        ServerStep::Question(AuthQuestion::Token { user: None, .. })
    ));
    assert_eq!(
        server.answer(AuthAnswer::Accept),
        handed_back(AuthQuestionKind::Token, AuthAnswer::Accept)
    );
    assert!(!server.is_done());
    assert_eq!(
        server.answer(AuthAnswer::AcceptAs("kurt".into())),
        Ok(success("kurt", None))
    );

    // XOAUTH2's user= is the account the token is for, not an authzid.
    let mut server = ServerExchange::xoauth2();
    assert!(matches!(
        server.start_line(Some(XOAUTH2_INITIAL.as_bytes())),
        ServerStep::Question(AuthQuestion::Token { .. })
    ));
    assert_eq!(
        server.answer(AuthAnswer::Accept),
        handed_back(AuthQuestionKind::Token, AuthAnswer::Accept)
    );
    assert_eq!(
        server.answer(AuthAnswer::AcceptAs("someuser@example.com".into())),
        Ok(success("someuser@example.com", None))
    );

    // A password's AcceptAs keeps the requested authzid.
    let mut server = ServerExchange::plain();
    server.start(Some(b"Ursel\0Kurt\0xipj3plmq"));
    assert_eq!(
        server.answer(AuthAnswer::AcceptAs("kurt".into())),
        Ok(success("kurt", Some("Ursel")))
    );
}

#[test]
fn rfc_7628_failure_with_the_error_challenge() {
    let mut client = ClientExchange::oauthbearer(
        Some("user@example.com"),
        Some("server.example.com"),
        Some(587),
        &secret(RFC7628_TOKEN),
    )
    .unwrap();
    let mut server = ServerExchange::oauthbearer();
    let initial = client.initial_response().unwrap();
    assert!(matches!(
        server.start(Some(&initial)),
        ServerStep::Question(AuthQuestion::Token { .. })
    ));

    // S: 334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxl...
    let error = OAuthError::invalid_token()
        .with_scope("example_scope")
        .with_openid_configuration("https://example.com/.well-known/openid-configuration");
    let ServerStep::Challenge(challenge) = server.answer(AuthAnswer::RejectToken(error)).unwrap()
    else {
        panic!("expected the error challenge")
    };
    assert_eq!(encode_challenge(&challenge), RFC7628_ERROR);

    // C: AQ==
    let dummy = client.respond_line(RFC7628_ERROR.as_bytes()).unwrap();
    assert_eq!(dummy, "AQ==");
    assert_eq!(
        client.oauth_error(),
        Some(&decode_challenge(RFC7628_ERROR.as_bytes()).unwrap()[..])
    );

    // S: 535 5.7.8 Authentication credentials invalid
    assert_eq!(
        server.receive_line(dummy.as_bytes()),
        ServerStep::Failure(AuthError::Credentials)
    );

    // A server that reports success instead has broken §3.2.3: the exchange failed.
    assert_eq!(client.finish(None), Err(ClientError::TokenRefused));
    assert!(client.oauth_error().is_some());
}

// ---- XOAUTH2 (Google's published example) ------------------------------------------------

const XOAUTH2_INITIAL: &str = "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==";
const XOAUTH2_TOKEN: &str = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";

#[test]
fn xoauth2_example() {
    let mut client =
        ClientExchange::xoauth2("someuser@example.com", &secret(XOAUTH2_TOKEN)).unwrap();
    let initial = client.initial_response().unwrap();
    assert_eq!(encode_initial_response(&initial), XOAUTH2_INITIAL);

    let mut server = ServerExchange::xoauth2();
    assert_eq!(
        server.start(Some(&initial)),
        ServerStep::Question(AuthQuestion::Token {
            method: Method::Sasl(Mechanism::XOAuth2),
            user: Some("someuser@example.com".into()),
            token: secret(XOAUTH2_TOKEN),
            host: None,
            port: None,
        })
    );
    let ServerStep::Challenge(error) = server.answer(AuthAnswer::Reject).unwrap() else {
        panic!()
    };
    assert_eq!(error, br#"{"status":"401","schemes":"bearer"}"#);
    assert_eq!(client.respond(&error), Ok(Vec::new()));
    assert_eq!(
        server.receive(b""),
        ServerStep::Failure(AuthError::Credentials)
    );
}
