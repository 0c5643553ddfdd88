//! Known-answer tests from the RFCs' own examples.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mailwire_core::Secret;
use mailwire_sasl::line::{decode_challenge, encode_challenge, encode_initial_response};
use mailwire_sasl::{
    AuthError, ClientError, ClientExchange, Identity, OAuthError, ScramKeys, ServerExchange,
    ServerStep,
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
        ServerStep::VerifyPassword {
            authcid: "tim".into(),
            authzid: None,
            password: secret("tanstaaftanstaaf"),
        }
    );
    // S: a002 OK "Authenticated"
    assert_eq!(server.accept(), Ok(success("tim", None)));
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
        ServerStep::VerifyPassword {
            authcid: "Kurt".into(),
            authzid: Some("Ursel".into()),
            password: secret("xipj3plmq"),
        }
    );
    // S: a002 NO "Not authorized to requested authorization identity"
    assert_eq!(
        server.reject(),
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
        ServerStep::LookupSecret {
            authcid: "tim".into()
        }
    );
    assert_eq!(
        server.provide_secret(&secret("tanstaaftanstaaf")),
        Ok(success("tim", None))
    );

    // Upper-case hex is the same digest.
    let mut server = ServerExchange::cram_md5(RFC2195_CHALLENGE).unwrap();
    server.start(None);
    server.receive(b"tim B913A602C7EDA7A495B4E6E7334D3890");
    assert_eq!(
        server.provide_secret(&secret("tanstaaftanstaaf")),
        Ok(success("tim", None))
    );

    // The wrong secret, and a digest one bit off.
    let mut server = ServerExchange::cram_md5(RFC2195_CHALLENGE).unwrap();
    server.start(None);
    server.receive(b"tim b913a602c7eda7a495b4e6e7334d3890");
    assert_eq!(
        server.provide_secret(&secret("tanstaaftanstaag")),
        Ok(ServerStep::Failure(AuthError::Credentials))
    );
    let mut server = ServerExchange::cram_md5(RFC2195_CHALLENGE).unwrap();
    server.start(None);
    server.receive(b"tim b913a602c7eda7a495b4e6e7334d3891");
    assert_eq!(
        server.provide_secret(&secret("tanstaaftanstaaf")),
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
        ServerStep::LookupScramKeys {
            authcid: "user".into(),
            authzid: None
        }
    );
    assert_eq!(
        server.provide_scram_keys(rfc_7677_keys()),
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
    server.provide_scram_keys(rfc_7677_keys()).unwrap();
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
        .provide_scram_keys(ScramKeys::derive(
            "pencil2",
            &STANDARD.decode(SALT).unwrap(),
            4096,
        ))
        .unwrap();
    assert_eq!(
        server.receive(CLIENT_FINAL.as_bytes()),
        ServerStep::Failure(AuthError::Credentials)
    );
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
fn scram_channel_binding_flags() {
    // `y`: the client could bind but believes the server cannot. Accepted, and the
    // client-final's c= must repeat it ("eSws" is base64 of "y,,").
    let mut server = ServerExchange::scram_sha256(SERVER_NONCE).unwrap();
    assert!(matches!(
        server.start(Some(b"y,,n=user,r=rOprNGfwEbeRWgbNEkqO")),
        ServerStep::LookupScramKeys { .. }
    ));
    server.provide_scram_keys(rfc_7677_keys()).unwrap();
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
        ServerStep::VerifyToken {
            user: Some("user@example.com".into()),
            token: secret(RFC7628_TOKEN),
            host: Some("server.example.com".into()),
            port: Some(143),
        }
    );
    assert_eq!(server.accept(), Ok(success("user@example.com", None)));
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
        ServerStep::VerifyToken { .. }
    ));

    // S: 334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxl...
    let error = OAuthError::invalid_token()
        .with_scope("example_scope")
        .with_openid_configuration("https://example.com/.well-known/openid-configuration");
    let ServerStep::Challenge(challenge) = server.reject_token(&error).unwrap() else {
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
        ServerStep::VerifyToken {
            user: Some("someuser@example.com".into()),
            token: secret(XOAUTH2_TOKEN),
            host: None,
            port: None,
        }
    );
    let ServerStep::Challenge(error) = server.reject().unwrap() else {
        panic!()
    };
    assert_eq!(error, br#"{"status":"401","schemes":"bearer"}"#);
    assert_eq!(client.respond(&error), Ok(Vec::new()));
    assert_eq!(
        server.receive(b""),
        ServerStep::Failure(AuthError::Credentials)
    );
}
