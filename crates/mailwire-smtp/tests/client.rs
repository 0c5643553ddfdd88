//! The client session against scripted server replies: exact bytes out, exact events.

use mailwire_core::{Session as _, Transport};
use mailwire_smtp::client::{
    Config, Credentials, Envelope, Event, Failure, MessageFailure, RecipientResult, Session,
    TlsPolicy,
};
use mailwire_smtp::{Body, ForwardPath, Host, Mailbox, ReversePath};

fn config() -> Config {
    let mut c = Config::new(Host::parse("bar.com").unwrap());
    c.tls = TlsPolicy::Never;
    c
}

/// Feeds server bytes, returns what the client writes back.
fn exchange(client: &mut Session, server: &str) -> String {
    client.receive(server.as_bytes());
    let mut out = Vec::new();
    while let Some(b) = client.transmit() {
        out.extend_from_slice(&b);
    }
    String::from_utf8(out).unwrap()
}

fn events(client: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| client.poll_event()).collect()
}

fn to(s: &str) -> ForwardPath {
    ForwardPath::Mailbox(Mailbox::parse(s).unwrap())
}

fn from(s: &str) -> ReversePath {
    ReversePath::Mailbox(Mailbox::parse(s).unwrap())
}

fn reply_text(r: &RecipientResult) -> (u16, &str) {
    (
        r.reply.code().get(),
        r.reply.lines().next().unwrap_or_default(),
    )
}

/// RFC 5321 Appendix D.1 from the client's side, without PIPELINING.
#[test]
fn d1_from_the_client_side() {
    let mut c = Session::new(config());
    assert_eq!(
        exchange(&mut c, "220 foo.com Simple Mail Transfer Service Ready\r\n"),
        "EHLO bar.com\r\n"
    );
    assert_eq!(
        exchange(
            &mut c,
            "250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n"
        ),
        ""
    );
    let ready = events(&mut c);
    assert!(
        matches!(&ready[..], [Event::Ready { capabilities: Some(e) }] if e.domain() == "foo.com")
    );

    let mut envelope = Envelope::new(
        from("Smith@bar.com"),
        vec![
            to("Jones@foo.com"),
            to("Green@foo.com"),
            to("Brown@foo.com"),
        ],
    );
    envelope.size = Some(38);
    c.send_mail(envelope).unwrap();
    assert_eq!(
        exchange(&mut c, ""),
        "MAIL FROM:<Smith@bar.com> SIZE=38\r\n"
    );
    assert_eq!(
        exchange(&mut c, "250 OK\r\n"),
        "RCPT TO:<Jones@foo.com>\r\n"
    );
    assert_eq!(
        exchange(&mut c, "250 OK\r\n"),
        "RCPT TO:<Green@foo.com>\r\n"
    );
    assert_eq!(
        exchange(&mut c, "550 No such user here\r\n"),
        "RCPT TO:<Brown@foo.com>\r\n"
    );
    assert_eq!(exchange(&mut c, "250 OK\r\n"), "DATA\r\n");
    assert_eq!(
        exchange(&mut c, "354 Start mail input; end with <CRLF>.<CRLF>\r\n"),
        ""
    );
    let evs = events(&mut c);
    assert_eq!(evs.len(), 4);
    assert!(matches!(evs[3], Event::SendBody));
    c.write_body(b"Blah blah blah...\r\n.").unwrap();
    c.write_body(b".etc. etc. etc.\r\n").unwrap();
    c.finish_body().unwrap();
    assert_eq!(
        exchange(&mut c, ""),
        "Blah blah blah...\r\n...etc. etc. etc.\r\n.\r\n"
    );
    assert_eq!(exchange(&mut c, "250 OK\r\n"), "");
    let [Event::MessageDone { results }] = &events(&mut c)[..] else {
        panic!()
    };
    let replies: Vec<_> = results.iter().map(reply_text).collect();
    assert_eq!(
        replies,
        [(250, "OK"), (550, "No such user here"), (250, "OK")]
    );
    assert!(results[0].is_delivered() && !results[1].is_delivered());
    c.quit();
    assert_eq!(exchange(&mut c, ""), "QUIT\r\n");
    exchange(
        &mut c,
        "221 foo.com Service closing transmission channel\r\n",
    );
    assert_eq!(c.transport(), Transport::Close);
}

fn ready_client(config: Config, ehlo: &str) -> Session {
    let mut c = Session::new(config);
    exchange(&mut c, "220 mx ESMTP\r\n");
    exchange(&mut c, ehlo);
    assert!(matches!(events(&mut c).last(), Some(Event::Ready { .. })));
    c
}

#[test]
fn pipelining_sends_the_envelope_in_one_batch() {
    let mut c = ready_client(config(), "250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
    let mut envelope = Envelope::new(from("a@x.org"), vec![to("b@y.org"), to("c@y.org")]);
    envelope.body = Body::EightBitMime;
    c.send_mail(envelope).unwrap();
    assert_eq!(
        exchange(&mut c, ""),
        "MAIL FROM:<a@x.org> BODY=8BITMIME\r\nRCPT TO:<b@y.org>\r\nRCPT TO:<c@y.org>\r\nDATA\r\n"
    );
    assert_eq!(
        exchange(&mut c, "250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n"),
        ""
    );
    assert!(matches!(events(&mut c).last(), Some(Event::SendBody)));
    c.write_body(b"hi\r\n").unwrap();
    c.finish_body().unwrap();
    assert_eq!(exchange(&mut c, ""), "hi\r\n.\r\n");
    exchange(&mut c, "250 queued\r\n");
    let [Event::MessageDone { results }] = &events(&mut c)[..] else {
        panic!()
    };
    assert_eq!(
        results.iter().map(reply_text).collect::<Vec<_>>(),
        [(550, "no"), (250, "queued")]
    );
}

#[test]
fn chunking_uses_bdat() {
    let mut c = ready_client(
        config(),
        "250-mx\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 BINARYMIME\r\n",
    );
    let mut envelope = Envelope::new(from("a@x.org"), vec![to("b@y.org")]);
    envelope.body = Body::BinaryMime;
    c.send_mail(envelope).unwrap();
    assert_eq!(
        exchange(&mut c, ""),
        "MAIL FROM:<a@x.org> BODY=BINARYMIME\r\nRCPT TO:<b@y.org>\r\n"
    );
    exchange(&mut c, "250 ok\r\n250 ok\r\n");
    assert!(matches!(events(&mut c).last(), Some(Event::SendBody)));
    c.write_body(b"\x00\r\n.\r\n").unwrap();
    c.finish_body().unwrap();
    assert_eq!(
        exchange(&mut c, ""),
        "BDAT 6\r\n\x00\r\n.\r\nBDAT 0 LAST\r\n"
    );
    exchange(&mut c, "250 5 octets\r\n250 done\r\n");
    let [Event::MessageDone { results }] = &events(&mut c)[..] else {
        panic!()
    };
    assert_eq!(reply_text(&results[0]), (250, "done"));
}

#[test]
fn refuses_early_what_the_server_cannot_take() {
    let mut c = ready_client(config(), "250-mx\r\n250 SIZE 100\r\n");
    let mut big = Envelope::new(from("a@x.org"), vec![to("b@y.org")]);
    big.size = Some(101);
    c.send_mail(big).unwrap();
    let mut eight = Envelope::new(from("a@x.org"), vec![to("b@y.org")]);
    eight.body = Body::EightBitMime;
    c.send_mail(eight).unwrap();
    c.send_mail(Envelope::new(from("δ@x.org"), vec![to("b@y.org")]))
        .unwrap();
    c.send_mail(Envelope::for_message(
        from("a@x.org"),
        vec![to("b@y.org")],
        b"a\0b",
    ))
    .unwrap();
    assert_eq!(exchange(&mut c, ""), "");
    let reasons: Vec<_> = events(&mut c)
        .into_iter()
        .map(|e| match e {
            Event::MessageFailed { reason } => reason,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        reasons,
        [
            MessageFailure::TooBig { limit: 100 },
            MessageFailure::EightBitUnsupported,
            MessageFailure::Utf8Unsupported,
            MessageFailure::BinaryUnsupported
        ]
    );
}

#[test]
fn mail_rejected_and_no_recipients() {
    let mut c = ready_client(config(), "250 mx\r\n");
    c.send_mail(Envelope::new(from("a@x.org"), vec![to("b@y.org")]))
        .unwrap();
    assert_eq!(exchange(&mut c, ""), "MAIL FROM:<a@x.org>\r\n");
    exchange(&mut c, "550 5.7.1 go away\r\n");
    let [
        Event::MessageFailed {
            reason: MessageFailure::MailRejected { reply },
        },
    ] = &events(&mut c)[..]
    else {
        panic!()
    };
    assert_eq!(reply.code().get(), 550);
    c.send_mail(Envelope::new(from("a@x.org"), vec![to("b@y.org")]))
        .unwrap();
    exchange(&mut c, "");
    assert_eq!(exchange(&mut c, "250 ok\r\n"), "RCPT TO:<b@y.org>\r\n");
    assert_eq!(exchange(&mut c, "550 no\r\n"), "RSET\r\n");
    exchange(&mut c, "250 ok\r\n");
    let evs = events(&mut c);
    assert!(
        matches!(&evs[..], [Event::Recipient { .. }, Event::MessageDone { results }] if !results[0].is_delivered())
    );
}

#[test]
fn ehlo_falls_back_to_helo() {
    let mut c = Session::new(config());
    exchange(&mut c, "220 old\r\n");
    assert_eq!(exchange(&mut c, "500 what?\r\n"), "HELO bar.com\r\n");
    exchange(&mut c, "250 old\r\n");
    assert_eq!(events(&mut c), [Event::Ready { capabilities: None }]);
}

#[test]
fn starttls_then_auth_plain() {
    let mut cfg = config();
    cfg.tls = TlsPolicy::Required;
    cfg.credentials = Some(Credentials::new("tim", "tanstaaftanstaaf"));
    let mut c = Session::new(cfg);
    exchange(&mut c, "220 mx\r\n");
    assert_eq!(
        exchange(&mut c, "250-mx\r\n250-STARTTLS\r\n250 AUTH LOGIN PLAIN\r\n"),
        "STARTTLS\r\n"
    );
    assert_eq!(exchange(&mut c, "220 go ahead\r\n250 injected\r\n"), "");
    assert_eq!(c.transport(), Transport::StartTls);
    c.tls_established();
    assert_eq!(exchange(&mut c, ""), "EHLO bar.com\r\n");
    assert_eq!(
        exchange(&mut c, "250-mx\r\n250 AUTH LOGIN PLAIN\r\n"),
        "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"
    );
    exchange(&mut c, "235 2.7.0 ok\r\n");
    assert_eq!(
        events(&mut c)[..1],
        [Event::Authenticated {
            mechanism: mailwire_smtp::sasl::Mechanism::Plain
        }]
    );
    assert!(c.is_tls());
}

#[test]
fn auth_login_and_failures() {
    let mut cfg = config();
    cfg.credentials = Some(Credentials::new("tim", "pw"));
    cfg.plaintext_auth = true;
    let mut c = Session::new(cfg.clone());
    exchange(&mut c, "220 mx\r\n");
    assert_eq!(
        exchange(&mut c, "250-mx\r\n250 AUTH LOGIN\r\n"),
        "AUTH LOGIN\r\n"
    );
    assert_eq!(exchange(&mut c, "334 VXNlcm5hbWU6\r\n"), "dGlt\r\n");
    assert_eq!(exchange(&mut c, "334 UGFzc3dvcmQ6\r\n"), "cHc=\r\n");
    assert_eq!(exchange(&mut c, "535 5.7.8 no\r\n"), "QUIT\r\n");
    assert!(matches!(
        &events(&mut c)[..],
        [Event::Failed {
            reason: Failure::AuthFailed { .. }
        }]
    ));

    cfg.plaintext_auth = false;
    let mut c = Session::new(cfg);
    exchange(&mut c, "220 mx\r\n");
    assert_eq!(exchange(&mut c, "250-mx\r\n250 AUTH PLAIN\r\n"), "QUIT\r\n");
    assert_eq!(
        events(&mut c),
        [Event::Failed {
            reason: Failure::NoMechanism
        }]
    );
}

#[test]
fn lmtp_reports_each_recipient() {
    let mut cfg = config();
    cfg.lmtp = true;
    let mut c = Session::new(cfg);
    assert_eq!(exchange(&mut c, "220 lmtp\r\n"), "LHLO bar.com\r\n");
    exchange(&mut c, "250-lmtp\r\n250 PIPELINING\r\n");
    c.send_mail(Envelope::new(
        from("a@x.org"),
        vec![to("b@y.org"), to("c@y.org"), to("d@y.org")],
    ))
    .unwrap();
    exchange(&mut c, "");
    exchange(
        &mut c,
        "250 ok\r\n250 ok\r\n550 unknown\r\n250 ok\r\n354 go\r\n",
    );
    c.write_body(b"x\r\n").unwrap();
    c.finish_body().unwrap();
    assert_eq!(exchange(&mut c, ""), "x\r\n.\r\n");
    exchange(&mut c, "250 b delivered\r\n452 d full\r\n");
    let Some(Event::MessageDone { results }) = events(&mut c).pop() else {
        panic!()
    };
    assert_eq!(
        results.iter().map(reply_text).collect::<Vec<_>>(),
        [(250, "b delivered"), (550, "unknown"), (452, "d full")]
    );
}

#[test]
fn misuse_is_an_error_and_garbage_is_a_failure() {
    let mut c = Session::new(config());
    assert_eq!(
        c.send_mail(Envelope::new(
            ReversePath::Null,
            vec![ForwardPath::Postmaster]
        )),
        Err(mailwire_smtp::client::Error::NotReady)
    );
    assert_eq!(
        c.write_body(b"x"),
        Err(mailwire_smtp::client::Error::NotSendingBody)
    );
    exchange(&mut c, "hello\r\n");
    assert_eq!(
        events(&mut c),
        [Event::Failed {
            reason: Failure::Protocol
        }]
    );
    assert_eq!(c.transport(), Transport::Close);
}

#[test]
fn service_closing_ends_the_session() {
    let mut c = ready_client(config(), "250 mx\r\n");
    c.send_mail(Envelope::new(from("a@x.org"), vec![to("b@y.org")]))
        .unwrap();
    exchange(&mut c, "421 4.3.2 shutting down\r\n");
    assert!(matches!(
        &events(&mut c)[..],
        [Event::Failed {
            reason: Failure::ServiceClosing { .. }
        }]
    ));
    assert_eq!(c.transport(), Transport::Close);
}

/// Plays a whole server stream, cut at `cuts`, against a client that sends one message
/// and quits; returns what the client wrote and reported.
fn play(config: Config, server: &[u8], cuts: &[usize]) -> (String, Vec<Event>) {
    let mut c = Session::new(config);
    let mut written = Vec::new();
    let mut reported = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&server.len())) {
        c.receive(&server[start..end]);
        start = end;
        while let Some(event) = c.poll_event() {
            match &event {
                Event::Ready { .. } => {
                    let envelope = Envelope::new(from_addr(), vec![to("b@y.org"), to("c@y.org")]);
                    c.send_mail(envelope).unwrap();
                }
                Event::SendBody => {
                    c.write_body(b"Hi.\r\n.dot\r\n").unwrap();
                    c.finish_body().unwrap();
                }
                Event::MessageDone { .. } => c.quit(),
                _ => {}
            }
            reported.push(event);
            while let Some(b) = c.transmit() {
                written.extend_from_slice(&b);
            }
        }
        while let Some(b) = c.transmit() {
            written.extend_from_slice(&b);
        }
    }
    (String::from_utf8(written).unwrap(), reported)
}

fn from_addr() -> ReversePath {
    from("a@x.org")
}

const PIPELINED_SERVER: &[u8] = b"220 mx\r\n250-mx\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n\
    250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no\r\n250 2.0.0 11 octets\r\n250 2.0.0 queued\r\n221 bye\r\n";

const PLAIN_SERVER: &[u8] =
    b"220 mx\r\n250 mx\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n";

#[test]
fn whole_server_streams_play_out_in_order() {
    let (out, events) = play(config(), PIPELINED_SERVER, &[]);
    assert_eq!(
        out,
        "EHLO bar.com\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\nRCPT TO:<c@y.org>\r\n\
         BDAT 11\r\nHi.\r\n.dot\r\nBDAT 0 LAST\r\nQUIT\r\n"
    );
    let Some(Event::MessageDone { results }) = events
        .iter()
        .find(|e| matches!(e, Event::MessageDone { .. }))
    else {
        panic!("{events:?}")
    };
    assert_eq!(
        results.iter().map(reply_text).collect::<Vec<_>>(),
        [(250, "queued"), (550, "no")]
    );

    let (out, _) = play(config(), PLAIN_SERVER, &[]);
    assert_eq!(
        out,
        "EHLO bar.com\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\nRCPT TO:<c@y.org>\r\nDATA\r\n\
         Hi.\r\n..dot\r\n.\r\nQUIT\r\n"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
    #[test]
    fn any_split_of_the_server_stream_gives_the_same_conversation(
        mut cuts in proptest::collection::vec(1..PIPELINED_SERVER.len(), 0..10),
        mut plain_cuts in proptest::collection::vec(1..PLAIN_SERVER.len(), 0..10),
    ) {
        cuts.sort_unstable();
        plain_cuts.sort_unstable();
        proptest::prop_assert_eq!(play(config(), PIPELINED_SERVER, &cuts), play(config(), PIPELINED_SERVER, &[]));
        proptest::prop_assert_eq!(play(config(), PLAIN_SERVER, &plain_cuts), play(config(), PLAIN_SERVER, &[]));
    }
}

#[test]
fn every_single_split_gives_the_same_conversation() {
    let whole = play(config(), PIPELINED_SERVER, &[]);
    for at in 1..PIPELINED_SERVER.len() {
        assert_eq!(
            play(config(), PIPELINED_SERVER, &[at]),
            whole,
            "split at {at}"
        );
    }
    let bytewise: Vec<usize> = (1..PIPELINED_SERVER.len()).collect();
    assert_eq!(play(config(), PIPELINED_SERVER, &bytewise), whole);
}

#[test]
fn chunking_without_pipelining_falls_back_to_data() {
    let mut c = ready_client(config(), "250-mx\r\n250 CHUNKING\r\n");
    c.send_mail(Envelope::new(from("a@x.org"), vec![to("b@y.org")]))
        .unwrap();
    assert_eq!(exchange(&mut c, ""), "MAIL FROM:<a@x.org>\r\n");
    assert_eq!(exchange(&mut c, "250 ok\r\n"), "RCPT TO:<b@y.org>\r\n");
    assert_eq!(exchange(&mut c, "250 ok\r\n"), "DATA\r\n");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// Whatever the server sends, the client neither panics nor misuses its own API, and a
    /// closed connection stays closed.
    #[test]
    fn arbitrary_server_bytes_never_panic(
        prefix in proptest::sample::select(vec![
            &b""[..],
            b"220 mx\r\n250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n",
            b"220 mx\r\n250 mx\r\n",
        ]),
        noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        cut in 1usize..64,
    ) {
        let mut c = Session::new(config());
        let input: Vec<u8> = prefix.iter().chain(&noise).copied().collect();
        for piece in input.chunks(cut) {
            c.receive(piece);
            while let Some(event) = c.poll_event() {
                match event {
                    Event::Ready { .. } => {
                        c.send_mail(Envelope::new(from("a@x.org"), vec![to("b@y.org")])).unwrap();
                    }
                    Event::SendBody => {
                        c.write_body(b"x\r\n").unwrap();
                        c.finish_body().unwrap();
                    }
                    _ => {}
                }
            }
            while c.transmit().is_some() {}
        }
        c.receive_eof();
        proptest::prop_assert_eq!(c.transport(), Transport::Close);
    }
}

#[test]
fn dsn_requests_go_out_when_the_server_offers_dsn() {
    let dsn_envelope = || {
        let mut e = Envelope::new(from("a@x.org"), vec![to("b@y.org")]);
        e.dsn.ret = Some(mailwire_smtp::Ret::Headers);
        e.dsn.envid = Some(mailwire_smtp::XText::new(b"QQ 314159".to_vec()));
        e.dsn.notify = Some(mailwire_smtp::Notify {
            failure: true,
            delay: true,
            success: false,
        });
        e
    };
    let mut c = ready_client(config(), "250-mx\r\n250-PIPELINING\r\n250 DSN\r\n");
    c.send_mail(dsn_envelope()).unwrap();
    assert_eq!(
        exchange(&mut c, ""),
        "MAIL FROM:<a@x.org> RET=HDRS ENVID=QQ+20314159\r\nRCPT TO:<b@y.org> NOTIFY=FAILURE,DELAY\r\nDATA\r\n"
    );
    let mut c = ready_client(config(), "250-mx\r\n250 PIPELINING\r\n");
    c.send_mail(dsn_envelope()).unwrap();
    assert_eq!(
        exchange(&mut c, ""),
        "MAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\nDATA\r\n"
    );
}

/// RFC 2920 §3.1: EHLO and DATA may only end a pipelined group, so QUIT waits for their
/// replies (and for the end of the message DATA starts), and for the greeting.
#[test]
fn quit_waits_for_the_replies_that_end_a_group() {
    let mut c = Session::new(config());
    c.quit();
    assert_eq!(exchange(&mut c, ""), "");
    assert_eq!(exchange(&mut c, "220 mx ESMTP\r\n"), "QUIT\r\n");

    let mut c = Session::new(config());
    assert_eq!(exchange(&mut c, "220 mx ESMTP\r\n"), "EHLO bar.com\r\n");
    c.quit();
    assert_eq!(exchange(&mut c, ""), "");
    assert_eq!(exchange(&mut c, "250-mx\r\n250 PIPELINING\r\n"), "QUIT\r\n");
    assert_eq!(exchange(&mut c, "221 bye\r\n"), "");
    assert_eq!(c.transport(), Transport::Close);

    let mut c = ready_client(config(), "250-mx\r\n250 PIPELINING\r\n");
    c.send_mail(Envelope::new(from("a@x.org"), vec![to("b@y.org")]))
        .unwrap();
    assert_eq!(
        exchange(&mut c, ""),
        "MAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\nDATA\r\n"
    );
    // Sent now, QUIT would be read as the first line of the message.
    c.quit();
    assert_eq!(exchange(&mut c, ""), "");
    assert_eq!(exchange(&mut c, "250 OK\r\n250 OK\r\n354 go ahead\r\n"), "");
    assert!(matches!(events(&mut c).last(), Some(Event::SendBody)));
    c.write_body(b"hi\r\n").unwrap();
    c.finish_body().unwrap();
    assert_eq!(exchange(&mut c, ""), "hi\r\n.\r\n");
    assert_eq!(exchange(&mut c, "250 queued\r\n"), "QUIT\r\n");
    assert!(matches!(
        &events(&mut c)[..],
        [Event::MessageDone { results }] if results[0].is_delivered()
    ));
}

/// RFC 3030 §3: after a refused BDAT chunk the client sends no more chunks, and learns of
/// the refusal while it is still writing the body.
#[test]
fn a_refused_bdat_chunk_stops_the_body_at_once() {
    use mailwire_smtp::client::BodyOutcome;
    let mut c = ready_client(config(), "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n");
    c.send_mail(Envelope::new(
        from("a@x.org"),
        vec![to("b@y.org"), to("c@y.org")],
    ))
    .unwrap();
    assert_eq!(
        exchange(&mut c, ""),
        "MAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\nRCPT TO:<c@y.org>\r\n"
    );
    assert_eq!(
        exchange(&mut c, "250 OK\r\n250 OK\r\n550 5.1.1 unknown\r\n"),
        ""
    );
    let ev = events(&mut c);
    assert!(matches!(ev.last(), Some(Event::SendBody)), "{ev:?}");
    assert_eq!(c.write_body(b"one\r\n"), Ok(BodyOutcome::Queued));
    assert_eq!(c.write_body(b"two\r\n"), Ok(BodyOutcome::Queued));
    assert_eq!(exchange(&mut c, ""), "BDAT 5\r\none\r\nBDAT 5\r\ntwo\r\n");
    // The refusal of the first chunk is read at once: RSET goes out, nothing more.
    assert_eq!(
        exchange(&mut c, "554 5.6.0 content refused\r\n"),
        "RSET\r\n"
    );
    assert_eq!(
        c.write_body(b"three\r\n"),
        Ok(BodyOutcome::TransactionFailed)
    );
    assert_eq!(c.finish_body(), Ok(BodyOutcome::TransactionFailed));
    assert_eq!(exchange(&mut c, ""), "");
    assert!(events(&mut c).is_empty());
    // The chunk already in the pipeline is discarded by the server, then RSET is answered.
    assert_eq!(
        exchange(&mut c, "503 5.5.1 discarded\r\n250 2.0.0 reset\r\n"),
        ""
    );
    let ev = events(&mut c);
    let [Event::MessageDone { results }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(
        results.iter().map(reply_text).collect::<Vec<_>>(),
        [(554, "content refused"), (550, "unknown")]
    );
    // The session is ready for the next message.
    c.send_mail(Envelope::new(from("a@x.org"), vec![to("b@y.org")]))
        .unwrap();
    assert_eq!(
        exchange(&mut c, ""),
        "MAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\n"
    );
}

/// RFC 3461 §4.1, §4.2: NOTIFY and ORCPT belong to each RCPT.
#[test]
fn dsn_notify_and_orcpt_per_recipient() {
    use mailwire_smtp::client::RecipientDsn;
    use mailwire_smtp::{Notify, OriginalRecipient, XText};
    let envelope = || {
        let mut e = Envelope::new(
            from("a@x.org"),
            vec![to("b+tag@y.org"), to("c@y.org"), to("d@y.org")],
        );
        e.dsn.notify = Some(Notify::NEVER);
        e.dsn.recipients = vec![
            RecipientDsn::new(
                Some(Notify {
                    success: true,
                    failure: true,
                    delay: false,
                }),
                OriginalRecipient::new("rfc822", XText::new(b"B+tag=1@old.example".to_vec())),
            ),
            RecipientDsn::new(
                None,
                OriginalRecipient::new("rfc822", XText::new(b"C \"Q\"@y.org".to_vec())),
            ),
        ];
        e
    };
    let mut c = ready_client(config(), "250-mx\r\n250-PIPELINING\r\n250 DSN\r\n");
    c.send_mail(envelope()).unwrap();
    assert_eq!(
        exchange(&mut c, ""),
        "MAIL FROM:<a@x.org>\r\n\
         RCPT TO:<b+tag@y.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;B+2Btag+3D1@old.example\r\n\
         RCPT TO:<c@y.org> NOTIFY=NEVER ORCPT=rfc822;C+20\"Q\"@y.org\r\n\
         RCPT TO:<d@y.org> NOTIFY=NEVER\r\n\
         DATA\r\n"
    );

    // One command at a time, the same parameters go with the same recipients.
    let mut c = ready_client(config(), "250-mx\r\n250 DSN\r\n");
    c.send_mail(envelope()).unwrap();
    assert_eq!(exchange(&mut c, ""), "MAIL FROM:<a@x.org>\r\n");
    assert_eq!(
        exchange(&mut c, "250 OK\r\n"),
        "RCPT TO:<b+tag@y.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;B+2Btag+3D1@old.example\r\n"
    );
    assert_eq!(
        exchange(&mut c, "550 no\r\n"),
        "RCPT TO:<c@y.org> NOTIFY=NEVER ORCPT=rfc822;C+20\"Q\"@y.org\r\n"
    );
    assert_eq!(
        exchange(&mut c, "250 OK\r\n"),
        "RCPT TO:<d@y.org> NOTIFY=NEVER\r\n"
    );

    // A server without DSN gets neither parameter.
    let mut c = ready_client(config(), "250-mx\r\n250 PIPELINING\r\n");
    c.send_mail(envelope()).unwrap();
    assert_eq!(
        exchange(&mut c, ""),
        "MAIL FROM:<a@x.org>\r\nRCPT TO:<b+tag@y.org>\r\nRCPT TO:<c@y.org>\r\n\
         RCPT TO:<d@y.org>\r\nDATA\r\n"
    );
}

#[test]
fn requiretls_needs_the_extension_over_tls() {
    let mut envelope = Envelope::new(from("a@x.org"), vec![to("b@y.org")]);
    envelope.require_tls = true;
    let mut c = ready_client(config(), "250-mx\r\n250 REQUIRETLS\r\n");
    c.send_mail(envelope.clone()).unwrap();
    assert_eq!(
        events(&mut c),
        [Event::MessageFailed {
            reason: MessageFailure::RequireTlsUnsupported
        }]
    );
    let mut tls = config();
    tls.implicit_tls = true;
    let mut c = ready_client(tls, "250-mx\r\n250 REQUIRETLS\r\n");
    c.send_mail(envelope).unwrap();
    assert_eq!(exchange(&mut c, ""), "MAIL FROM:<a@x.org> REQUIRETLS\r\n");
}

#[test]
fn a_server_that_talks_unasked_is_cut_off_not_buffered() {
    let mut c = ready_client(config(), "250-foo.com\r\n250 PIPELINING\r\n");
    events(&mut c);
    // Replies that arrive while the client waits for the application are kept...
    assert_eq!(exchange(&mut c, "250 2.0.0 early\r\n"), "");
    assert!(events(&mut c).is_empty());
    assert_eq!(c.transport(), Transport::Open);
    // ...but not without limit.
    let flood = "X".repeat(64 * 1024);
    assert_eq!(exchange(&mut c, &flood), "");
    assert_eq!(
        events(&mut c),
        vec![Event::Failed {
            reason: Failure::Protocol
        }]
    );
    assert_eq!(c.transport(), Transport::Close);
    assert!(!c.wants_input());
}

/// Each step waits as long as the configured `Timeouts` say (RFC 5321 §4.5.3.2).
#[test]
fn each_step_waits_its_own_configured_time() {
    use std::time::Duration;
    let mut config = config();
    let secs = Duration::from_secs;
    config.timeouts.greeting = secs(1);
    config.timeouts.mail = secs(2);
    config.timeouts.rcpt = secs(3);
    config.timeouts.data_initiation = secs(4);
    config.timeouts.data_block = secs(5);
    config.timeouts.data_termination = secs(6);
    config.timeouts.command = secs(7);
    let mut c = Session::new(config);
    assert_eq!(c.timeout(), Some(secs(1)));
    exchange(&mut c, "220 mx ESMTP\r\n");
    assert_eq!(c.timeout(), Some(secs(7)), "EHLO");
    exchange(&mut c, "250 mx\r\n");
    events(&mut c);
    assert_eq!(c.timeout(), None, "ready, waiting for the application");
    c.send_mail(Envelope::new(from("a@bar.com"), vec![to("b@foo.com")]))
        .unwrap();
    assert_eq!(exchange(&mut c, ""), "MAIL FROM:<a@bar.com>\r\n");
    assert_eq!(c.timeout(), Some(secs(2)), "MAIL");
    assert_eq!(exchange(&mut c, "250 ok\r\n"), "RCPT TO:<b@foo.com>\r\n");
    assert_eq!(c.timeout(), Some(secs(3)), "RCPT");
    assert_eq!(exchange(&mut c, "250 ok\r\n"), "DATA\r\n");
    assert_eq!(c.timeout(), Some(secs(4)), "DATA");
    exchange(&mut c, "354 go\r\n");
    assert!(matches!(events(&mut c).last(), Some(Event::SendBody)));
    assert_eq!(c.timeout(), Some(secs(5)), "body");
    c.write_body(b"Subject: t\r\n\r\nhi\r\n").unwrap();
    c.finish_body().unwrap();
    assert_eq!(c.timeout(), Some(secs(6)), "final dot");
}

/// A step whose timeout runs out fails the session with that timeout, not as a closed
/// connection.
#[test]
fn a_timeout_fails_the_session_naming_the_step_s_limit() {
    use std::time::Duration;
    let mut config = config();
    config.timeouts.mail = Duration::from_secs(42);
    let mut c = ready_client(config, "250 mx\r\n");
    c.send_mail(Envelope::new(from("a@bar.com"), vec![to("b@foo.com")]))
        .unwrap();
    assert_eq!(exchange(&mut c, ""), "MAIL FROM:<a@bar.com>\r\n");
    c.timed_out();
    let failure = Failure::TimedOut {
        after: Duration::from_secs(42),
    };
    assert_eq!(
        events(&mut c),
        [Event::Failed {
            reason: failure.clone()
        }]
    );
    assert_eq!(failure.to_string(), "no reply within 42s");
    assert_eq!(c.transport(), Transport::Close);
}

#[test]
fn reset_says_rset_and_reports_the_answer() {
    let mut c = ready_client(config(), "250-mx\r\n250 PIPELINING\r\n");
    c.reset().unwrap();
    assert_eq!(c.reset(), Err(mailwire_smtp::client::Error::NotReady));
    assert_eq!(exchange(&mut c, ""), "RSET\r\n");
    assert_eq!(exchange(&mut c, "250 2.0.0 flushed\r\n"), "");
    assert_eq!(events(&mut c), [Event::Reset]);
    // Ready again: the next message goes out.
    c.send_mail(Envelope::new(from("a@x.org"), vec![to("b@y.org")]))
        .unwrap();
    assert_eq!(
        exchange(&mut c, ""),
        "MAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\nDATA\r\n"
    );
}

#[test]
fn a_refused_reset_ends_the_connection() {
    let mut c = ready_client(config(), "250 mx\r\n");
    c.reset().unwrap();
    assert_eq!(exchange(&mut c, ""), "RSET\r\n");
    assert_eq!(exchange(&mut c, "500 what\r\n"), "QUIT\r\n");
    let [Event::Failed { reason }] = &events(&mut c)[..] else {
        panic!("no failure")
    };
    assert_eq!(reason.to_string(), "the server refused RSET: 500 what");
}

#[test]
fn a_connection_lost_before_the_reset_answer_is_reported() {
    let mut c = ready_client(config(), "250 mx\r\n");
    c.reset().unwrap();
    assert_eq!(exchange(&mut c, ""), "RSET\r\n");
    c.receive_eof();
    assert_eq!(
        events(&mut c),
        [Event::Failed {
            reason: Failure::ConnectionLost
        }]
    );
    assert_eq!(c.transport(), Transport::Close);
}

#[test]
fn failures_read_as_sentences() {
    let reply = mailwire_smtp::Reply::new(554, "5.7.1 not here\nnor there").unwrap();
    assert_eq!(
        Failure::Greeting {
            reply: reply.clone()
        }
        .to_string(),
        "the server's greeting was 554-5.7.1 not here / 554 5.7.1 nor there"
    );
    assert_eq!(
        MessageFailure::MailRejected { reply }.to_string(),
        "the server refused the sender: 554-5.7.1 not here / 554 5.7.1 nor there"
    );
    let result = RecipientResult {
        recipient: to("b@y.org"),
        reply: mailwire_smtp::Reply::new(250, "2.0.0 OK").unwrap(),
    };
    assert_eq!(result.to_string(), "<b@y.org>: 250 2.0.0 OK");
}
