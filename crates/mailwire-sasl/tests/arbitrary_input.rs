//! No input from the peer makes an exchange panic, loop, or end without a typed outcome.

use mailwire_core::Secret;
use mailwire_sasl::{ClientExchange, Mechanism, ScramKeys, ServerExchange, ServerStep};
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
        }
        _ => unreachable!(),
    }
}

/// Answers every question of the exchange: `yes` accepts and provides, otherwise refuses.
fn answer(server: &mut ServerExchange, step: ServerStep, yes: bool) -> ServerStep {
    let answer = match step {
        ServerStep::VerifyPassword { .. } | ServerStep::VerifyToken { .. } if yes => {
            server.accept()
        }
        ServerStep::LookupSecret { .. } if yes => server.provide_secret(&Secret::new(PASSWORD)),
        ServerStep::LookupScramKeys { .. } if yes => server.provide_scram_keys(keys()),
        ServerStep::VerifyPassword { .. }
        | ServerStep::VerifyToken { .. }
        | ServerStep::LookupSecret { .. }
        | ServerStep::LookupScramKeys { .. } => server.reject(),
        other => return other,
    };
    answer.expect("a question the exchange asked can be answered")
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

/// Runs the server over the given client messages; returns how it ended.
fn run(
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
        step = answer(&mut server, step, yes);
        match step {
            ServerStep::Challenge(_) => match messages.next() {
                Some(message) => step = server.receive(&message),
                None => return None,
            },
            end @ (ServerStep::Success { .. } | ServerStep::Failure(_)) => {
                assert!(server.is_done());
                assert_eq!(
                    server.receive(b""),
                    ServerStep::Failure(mailwire_sasl::AuthError::UnexpectedMessage)
                );
                return Some(end);
            }
            other => unreachable!("answered above: {other:?}"),
        }
    }
    panic!("the exchange did not end");
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
    }
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
        for line in &lines {
            // Whatever the answer leads to, the next line goes in: after the end, it must
            // fail as an unexpected message.
            let _next = answer(&mut server, step, true);
            step = server.receive_line(line);
        }
        let _last = answer(&mut server, step, false);
    }

    #[test]
    fn edited_transcripts_reach_a_typed_outcome(
        mechanism in mechanism(),
        edits in proptest::collection::vec(edit(), 4),
        yes in any::<bool>(),
    ) {
        let messages = transcript(mechanism);
        let edited = messages.iter().zip(&edits).map(|(message, edit)| edit.apply(message));
        let end = run(mechanism, mechanism.client_first(), edited, yes);
        if edits.iter().all(|edit| matches!(edit, Edit::Keep)) && yes {
            prop_assert!(matches!(end, Some(ServerStep::Success { .. })), "{:?}", end);
        }
    }

    #[test]
    fn clients_take_arbitrary_challenges(
        mechanism in mechanism(),
        challenges in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..5),
    ) {
        let mut client = client(mechanism);
        client.initial_response();
        for challenge in &challenges {
            let _ = client.respond(challenge);
        }
        let _ = client.finish(None);
    }
}
