//! No input from the peer makes an exchange panic, loop, or end without a typed outcome;
//! no change to a successful transcript makes it succeed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mailwire_core::Secret;
use mailwire_sasl::{
    AuthAnswer, AuthError, AuthQuestion, ClientError, ClientExchange, Mechanism, Method, ScramKeys,
    ServerExchange, ServerStep,
};
use proptest::prelude::*;

const PASSWORD: &str = "pencil";
const SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const CHALLENGE: &str = "<1896.697170952@postoffice.reston.mci.net>";

fn keys() -> ScramKeys {
    // One iteration keeps the property fast; the count does not change the state machine.
    ScramKeys::derive(PASSWORD, b"salt", 1)
}

fn server(mechanism: Mechanism) -> ServerExchange {
    let nonce = if mechanism == Mechanism::CramMd5 {
        CHALLENGE
    } else {
        SERVER_NONCE
    };
    ServerExchange::new(mechanism, nonce).unwrap()
}

fn client(mechanism: Mechanism) -> ClientExchange {
    let password = Secret::new(PASSWORD.to_owned());
    match mechanism {
        Mechanism::Plain => ClientExchange::plain(Some("admin"), "user", &password).unwrap(),
        Mechanism::Login => ClientExchange::login("user", &password),
        Mechanism::CramMd5 => ClientExchange::cram_md5("user", &password),
        Mechanism::XOAuth2 => ClientExchange::xoauth2("user", &password).unwrap(),
        Mechanism::OAuthBearer => {
            ClientExchange::oauthbearer(Some("user"), Some("host"), Some(143), &password).unwrap()
        }
        Mechanism::ScramSha256 => {
            ClientExchange::scram_sha256(Some("admin"), "user", &password, "rOprNGfwEbeRWgbNEkqO")
                .unwrap()
                .with_min_iterations(1)
        }
        _ => unreachable!(),
    }
}

/// How the application answers the exchange's questions.
type Application = fn(&mut ServerExchange, ServerStep, bool) -> ServerStep;

/// The question of a step, after checking that the exchange says it is pending and
/// names the exchange's mechanism; `Err` with the step if it is no question.
fn question(server: &ServerExchange, step: ServerStep) -> Result<AuthQuestion, ServerStep> {
    match step {
        ServerStep::Question(question) => {
            assert_eq!(server.pending(), Some(question.kind()), "{question:?}");
            assert_eq!(question.method(), Method::Sasl(server.mechanism()));
            Ok(question)
        }
        other => {
            assert_eq!(server.pending(), None, "{other:?}");
            Err(other)
        }
    }
}

/// Answers every question of the exchange: `yes` accepts and provides, otherwise refuses.
fn answer(server: &mut ServerExchange, step: ServerStep, yes: bool) -> ServerStep {
    let question = match question(server, step) {
        Ok(question) => question,
        Err(other) => return other,
    };
    let answer = match question {
        AuthQuestion::Password { .. } if yes => AuthAnswer::Accept,
        AuthQuestion::Token { .. } if yes => AuthAnswer::AcceptAs("user".into()),
        AuthQuestion::Secret { .. } if yes => AuthAnswer::Secret(Secret::new(PASSWORD.into())),
        AuthQuestion::ScramKeys { .. } if yes => AuthAnswer::ScramKeys(keys()),
        _ => AuthAnswer::Reject,
    };
    server
        .answer(answer)
        .expect("a question the exchange asked can be answered")
}

/// An application that checks everything the client of [`client`] sends: names,
/// password, token, and the OAUTHBEARER host and port. With `knows_user` false, it
/// knows nobody.
fn verify(server: &mut ServerExchange, step: ServerStep, knows_user: bool) -> ServerStep {
    let mechanism = server.mechanism();
    let password = Secret::new(PASSWORD.to_owned());
    let question = match question(server, step) {
        Ok(question) => question,
        Err(other) => return other,
    };
    let answer = match question {
        AuthQuestion::Password {
            authcid,
            authzid,
            password: given,
            ..
        } => {
            let authzid_wanted = (mechanism == Mechanism::Plain).then_some("admin");
            if knows_user
                && authcid == "user"
                && authzid.as_deref() == authzid_wanted
                && given == password
            {
                AuthAnswer::Accept
            } else {
                AuthAnswer::Reject
            }
        }
        AuthQuestion::Token {
            user,
            token,
            host,
            port,
            ..
        } => {
            let (host_wanted, port_wanted) = match mechanism {
                Mechanism::OAuthBearer => (Some("host"), Some(143)),
                _ => (None, None),
            };
            if knows_user
                && user.as_deref() == Some("user")
                && token == password
                && host.as_deref() == host_wanted
                && port == port_wanted
            {
                AuthAnswer::AcceptAs("user".into())
            } else {
                AuthAnswer::Reject
            }
        }
        AuthQuestion::Secret { authcid, .. } if knows_user && authcid == "user" => {
            AuthAnswer::Secret(password)
        }
        AuthQuestion::ScramKeys {
            authcid, authzid, ..
        } if knows_user && authcid == "user" && authzid.as_deref() == Some("admin") => {
            AuthAnswer::ScramKeys(keys())
        }
        _ => AuthAnswer::Reject,
    };
    server
        .answer(answer)
        .expect("a question the exchange asked can be answered")
}

/// The one spelling of a client message that the exchange treats as the same as another:
/// CRAM-MD5's digest in either case, the bearer scheme in any case (RFC 7235 §2.1), and
/// OAUTHBEARER's GS2 flag `y` (the client could bind a channel, but the mechanism has
/// none). Every other change to a message must make the exchange fail.
fn canonical(mechanism: Mechanism, message: &[u8]) -> Vec<u8> {
    let mut message = message.to_vec();
    match mechanism {
        Mechanism::CramMd5 => {
            if let Some(space) = message.iter().rposition(|&b| b == b' ') {
                message[space..].make_ascii_lowercase();
            }
        }
        Mechanism::XOAuth2 | Mechanism::OAuthBearer => {
            if mechanism == Mechanism::OAuthBearer && message.starts_with(b"y,") {
                message[0] = b'n';
            }
            if let Some(at) = message.windows(5).position(|w| w == b"auth=") {
                let scheme = at + 5..at + 11;
                if message
                    .get(scheme.clone())
                    .is_some_and(|s| s.eq_ignore_ascii_case(b"bearer"))
                {
                    message[scheme].copy_from_slice(b"Bearer");
                }
            }
        }
        _ => {}
    }
    message
}

/// The client messages of a successful exchange: the initial response if the mechanism
/// has one, then the answers to the challenges.
fn transcript(mechanism: Mechanism) -> Vec<Vec<u8>> {
    let mut client = client(mechanism);
    let mut server = server(mechanism);
    let initial = client.initial_response();
    let mut messages: Vec<_> = initial.iter().cloned().collect();
    let mut step = server.start(initial.as_deref());
    loop {
        step = answer(&mut server, step, true);
        match step {
            ServerStep::Challenge(challenge) => {
                let response = client.respond(&challenge).unwrap();
                messages.push(response.clone());
                step = server.receive(&response);
            }
            ServerStep::Success { .. } => return messages,
            ServerStep::Failure(error) => panic!("{mechanism}: {error}"),
            other => unreachable!("answered above: {other:?}"),
        }
    }
}

/// What becomes of one message of the transcript.
#[derive(Debug, Clone)]
enum Edit {
    Keep,
    Flip { at: usize, byte: u8 },
    Truncate { at: usize },
    Replace(Vec<u8>),
}

impl Edit {
    fn apply(&self, message: &[u8]) -> Vec<u8> {
        let mut message = message.to_vec();
        match self {
            Edit::Keep => {}
            Edit::Flip { at, byte } => {
                if !message.is_empty() {
                    let len = message.len();
                    message[at % len] = *byte;
                }
            }
            Edit::Truncate { at } => message.truncate(at % (message.len() + 1)),
            Edit::Replace(bytes) => message.clone_from(bytes),
        }
        message
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        2 => Just(Edit::Keep),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Flip { at, byte }),
        1 => any::<usize>().prop_map(|at| Edit::Truncate { at }),
        1 => proptest::collection::vec(any::<u8>(), 0..80).prop_map(Edit::Replace),
    ]
}

fn mechanism() -> impl Strategy<Value = Mechanism> {
    proptest::sample::select(Mechanism::ALL.to_vec())
}

/// Runs the server over the given client messages, with the permissive application;
/// returns how it ended.
fn run(
    mechanism: Mechanism,
    initial: bool,
    messages: impl Iterator<Item = Vec<u8>>,
    yes: bool,
) -> Option<ServerStep> {
    run_with(answer, mechanism, initial, messages, yes)
}

/// Runs the server over the given client messages, with `application` answering its
/// questions; returns how it ended, or `None` if it still waits for a message.
fn run_with(
    application: Application,
    mechanism: Mechanism,
    initial: bool,
    mut messages: impl Iterator<Item = Vec<u8>>,
    yes: bool,
) -> Option<ServerStep> {
    let mut server = server(mechanism);
    let mut step = if initial {
        server.start(Some(&messages.next().unwrap_or_default()))
    } else {
        server.start(None)
    };
    // Each round either answers a question (at most once per message) or consumes a message.
    for _ in 0..32 {
        step = application(&mut server, step, yes);
        match step {
            ServerStep::Challenge(_) => match messages.next() {
                Some(message) => step = server.receive(&message),
                None => return None,
            },
            end @ (ServerStep::Success { .. } | ServerStep::Failure(_)) => {
                assert!(server.is_done());
                assert_eq!(
                    server.receive(b""),
                    ServerStep::Failure(AuthError::UnexpectedMessage)
                );
                return Some(end);
            }
            other => unreachable!("answered above: {other:?}"),
        }
    }
    panic!("the exchange did not end");
}

/// Runs a transcript with its message `index` replaced, against the checking application.
fn run_replaced(mechanism: Mechanism, index: usize, message: Vec<u8>) -> Option<ServerStep> {
    let mut messages = transcript(mechanism);
    messages[index] = message;
    run_with(
        verify,
        mechanism,
        mechanism.client_first(),
        messages.into_iter(),
        true,
    )
}

#[test]
fn the_unedited_transcripts_succeed() {
    for mechanism in Mechanism::ALL {
        let messages = transcript(mechanism);
        let end = run(
            mechanism,
            mechanism.client_first(),
            messages.into_iter(),
            true,
        );
        assert!(
            matches!(end, Some(ServerStep::Success { .. })),
            "{mechanism}: {end:?}"
        );
        let end = run_with(
            verify,
            mechanism,
            mechanism.client_first(),
            transcript(mechanism).into_iter(),
            true,
        );
        assert!(
            matches!(end, Some(ServerStep::Success { .. })),
            "{mechanism}: {end:?}"
        );
    }
}

#[test]
fn the_spellings_canonical_allows_do_succeed() {
    // Each of these is one byte away from the transcript, so the edits can produce them.
    let respelled = |mechanism: Mechanism, index: usize, from: &[u8], to: &[u8]| {
        let mut message = transcript(mechanism)[index].clone();
        let at = message.windows(from.len()).position(|w| w == from).unwrap();
        message[at..at + from.len()].copy_from_slice(to);
        assert_eq!(
            canonical(mechanism, &message),
            canonical(mechanism, &transcript(mechanism)[index])
        );
        run_replaced(mechanism, index, message)
    };
    let (_, digest) = cram_md5_response();
    let lower = hex(&digest, false);
    let upper = hex(&digest, true);
    for end in [
        respelled(Mechanism::CramMd5, 0, lower.as_bytes(), upper.as_bytes()),
        respelled(Mechanism::XOAuth2, 0, b"Bearer", b"bearer"),
        respelled(Mechanism::OAuthBearer, 0, b"Bearer", b"BEARER"),
        respelled(Mechanism::OAuthBearer, 0, b"n,a=", b"y,a="),
    ] {
        assert!(matches!(end, Some(ServerStep::Success { .. })), "{end:?}");
    }
}

/// The SCRAM client-final message, split before its proof: `(c=…,r=…, proof)`.
fn scram_client_final() -> (String, Vec<u8>) {
    let messages = transcript(Mechanism::ScramSha256);
    let message = String::from_utf8(messages[1].clone()).unwrap();
    let (without_proof, proof) = message.rsplit_once(",p=").unwrap();
    (without_proof.to_owned(), STANDARD.decode(proof).unwrap())
}

/// The CRAM-MD5 response, split at its space: `(user, digest)`.
fn cram_md5_response() -> (String, Vec<u8>) {
    let messages = transcript(Mechanism::CramMd5);
    let message = String::from_utf8(messages[0].clone()).unwrap();
    let (user, hex) = message.rsplit_once(' ').unwrap();
    let digest = (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).unwrap())
        .collect();
    (user.to_owned(), digest)
}

fn nonzero_mask<const N: usize>() -> impl Strategy<Value = [u8; N]>
where
    [u8; N]: Arbitrary,
{
    any::<[u8; N]>().prop_filter("changes something", |mask| mask.iter().any(|&b| b != 0))
}

fn hex(bytes: &[u8], upper: bool) -> String {
    bytes
        .iter()
        .map(|b| {
            if upper {
                format!("{b:02X}")
            } else {
                format!("{b:02x}")
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_reach_a_typed_outcome(
        mechanism in mechanism(),
        initial in any::<bool>(),
        yes in any::<bool>(),
        messages in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..6),
    ) {
        run(mechanism, initial, messages.into_iter(), yes);
    }

    #[test]
    fn arbitrary_lines_reach_a_typed_outcome(
        mechanism in mechanism(),
        lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..6),
    ) {
        let mut server = server(mechanism);
        let mut step = server.start(None);
        let mut ended = false;
        for line in &lines {
            step = verify(&mut server, step, true);
            prop_assert!(
                !matches!(step, ServerStep::Success { .. }),
                "random lines authenticated: {:?}", step
            );
            match step {
                ServerStep::Challenge(_) => prop_assert!(!server.is_done()),
                ServerStep::Failure(_) => {
                    prop_assert!(server.is_done());
                    ended = true;
                }
                other => prop_assert!(false, "unanswered question {:?}", other),
            }
            // Whatever the answer led to, the next line goes in: after the end, it must
            // fail (as an unexpected message, or earlier, as bad base64 or `*`), and the
            // exchange stays ended.
            step = server.receive_line(line);
            if ended {
                prop_assert!(matches!(step, ServerStep::Failure(_)), "{:?}", step);
                prop_assert!(server.is_done());
            }
        }
        let last = verify(&mut server, step, false);
        prop_assert!(
            matches!(last, ServerStep::Challenge(_) | ServerStep::Failure(_)),
            "{:?}", last
        );
    }

    #[test]
    fn edited_transcripts_succeed_only_unchanged(
        mechanism in mechanism(),
        edits in proptest::collection::vec(edit(), 4),
        knows_user in any::<bool>(),
    ) {
        let messages = transcript(mechanism);
        let edited: Vec<_> =
            messages.iter().zip(&edits).map(|(message, edit)| edit.apply(message)).collect();
        let end = run_with(
            verify,
            mechanism,
            mechanism.client_first(),
            edited.clone().into_iter(),
            knows_user,
        );
        let succeeded = matches!(end, Some(ServerStep::Success { .. }));
        if edited == messages && knows_user {
            prop_assert!(succeeded, "{:?}", end);
        }
        if succeeded {
            prop_assert!(knows_user);
            for (original, edited) in messages.iter().zip(&edited) {
                prop_assert_eq!(
                    canonical(mechanism, original),
                    canonical(mechanism, edited),
                    "an edited message authenticated: {:?}",
                    String::from_utf8_lossy(edited)
                );
            }
        }
    }

    #[test]
    fn no_other_scram_proof_succeeds(
        mask in nonzero_mask::<32>(),
        text in proptest::option::of("[ -~]{0,60}"),
    ) {
        let (without_proof, proof) = scram_client_final();
        let (other, expected) = match text {
            // Any other 32 bytes: a well-formed, wrong proof.
            None => {
                let other: Vec<u8> = proof.iter().zip(mask).map(|(p, m)| p ^ m).collect();
                (STANDARD.encode(other), Some(AuthError::Credentials))
            }
            Some(text) => (text, None),
        };
        prop_assume!(other != STANDARD.encode(&proof));
        let message = format!("{without_proof},p={other}").into_bytes();
        let end = run_replaced(Mechanism::ScramSha256, 1, message);
        match expected {
            Some(error) => prop_assert_eq!(end, Some(ServerStep::Failure(error))),
            None => prop_assert!(matches!(end, Some(ServerStep::Failure(_))), "{:?}", end),
        }
    }

    #[test]
    fn no_other_cram_md5_digest_succeeds(
        mask in nonzero_mask::<16>(),
        upper in any::<bool>(),
        text in proptest::option::of("[0-9a-fA-F ]{0,40}"),
    ) {
        let (user, digest) = cram_md5_response();
        let (other, expected) = match text {
            // Any other 16 bytes, in either case: a well-formed, wrong digest.
            None => {
                let other: Vec<u8> = digest.iter().zip(mask).map(|(d, m)| d ^ m).collect();
                (hex(&other, upper), Some(AuthError::Credentials))
            }
            Some(text) => (text, None),
        };
        prop_assume!(!other.eq_ignore_ascii_case(&hex(&digest, false)));
        let end = run_replaced(Mechanism::CramMd5, 0, format!("{user} {other}").into_bytes());
        match expected {
            Some(error) => prop_assert_eq!(end, Some(ServerStep::Failure(error))),
            None => prop_assert!(matches!(end, Some(ServerStep::Failure(_))), "{:?}", end),
        }
    }

    #[test]
    fn clients_take_arbitrary_challenges(
        mechanism in mechanism(),
        challenges in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..5),
    ) {
        let mut client = client(mechanism);
        client.initial_response();
        // The challenges each mechanism answers before it has said everything; SCRAM
        // also needs the server's proof, which no arbitrary challenge gives.
        let needed = match mechanism {
            Mechanism::Login => 2,
            Mechanism::CramMd5 => 1,
            _ => 0,
        };
        let mut failed = false;
        for (index, challenge) in challenges.iter().enumerate() {
            let result = client.respond(challenge);
            if failed {
                prop_assert_eq!(&result, &Err(ClientError::UnexpectedChallenge));
            } else if index < needed {
                prop_assert!(result.is_ok(), "{:?}", result);
            }
            failed |= result.is_err();
        }
        let completed = mechanism != Mechanism::ScramSha256 && challenges.len() == needed;
        let finished = client.finish(None);
        prop_assert_eq!(finished.is_ok(), completed, "{:?}", finished);
    }
}
