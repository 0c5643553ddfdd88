//! The async SMTP, POP3 and IMAP clients against server sessions and transcripts.

mod common;

use common::*;

use mailwire_core::Session as _;
use mailwire_pop3::server::Session as Pop3Server;
use mailwire_pop3::{MessageNumber, Password, UserName};
use mailwire_smtp::client::{Envelope, TlsPolicy};
use mailwire_smtp::{ForwardPath, ReversePath};
use mailwire_tokio::pop3::Pop3Client;
use mailwire_tokio::server::Server;
use mailwire_tokio::smtp::SmtpClient;
use mailwire_tokio::{MaybeTlsStream, Tls};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::test]
async fn smtp_delivery_over_a_pipe() {
    let (client_io, server_io) = tokio::io::duplex(1024);
    let recorder = Recorder::default();
    let server = spawn_smtp_server(server_io, smtp_config(), Tls::None, recorder.clone());

    let mut smtp = SmtpClient::start(
        MaybeTlsStream::Plain(client_io),
        client_config(TlsPolicy::Opportunistic),
        Tls::None,
    )
    .await
    .unwrap();
    assert!(!smtp.is_tls());
    let results = smtp
        .send_raw(
            envelope(&["<b@mx.example.org>", "<refused@mx.example.org>"]),
            MESSAGE,
        )
        .await
        .unwrap();
    let outcome: Vec<_> = results
        .iter()
        .map(|r| (r.recipient.to_string(), r.reply.code().get()))
        .collect();
    assert_eq!(
        outcome,
        [
            ("<b@mx.example.org>".to_owned(), 250),
            ("<refused@mx.example.org>".to_owned(), 550)
        ]
    );
    // A second message on the same connection.
    let results = smtp
        .send_raw(
            envelope(&["<c@mx.example.org>"]),
            &b"Subject: 2\r\n\r\nx\r\n"[..],
        )
        .await
        .unwrap();
    assert!(results[0].is_delivered());
    smtp.quit().await.unwrap();

    let session = server.await.unwrap().unwrap();
    assert_eq!(session.transport(), mailwire_core::Transport::Close);
    let seen = recorder.seen();
    assert_eq!(
        seen.bodies,
        [MESSAGE.to_vec(), b"Subject: 2\r\n\r\nx\r\n".to_vec()]
    );
}

#[tokio::test]
async fn pop3_fetch_over_loopback() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let maildrop = Maildrop1::default();
    let for_server = maildrop.clone();
    let mut server = Server::new(listener, Tls::None, false, move |_peer| {
        (Pop3Server::new(pop3_server_config()), for_server.clone())
    });
    let client = tokio::spawn(async move {
        let mut config = mailwire_tokio::pop3::Config::default();
        config.security = mailwire_tokio::connect::Security::Plaintext;
        config.plaintext_auth = true;
        let mut pop3 = Pop3Client::connect_with(&addr.to_string(), config)
            .await
            .unwrap();
        let refused = pop3
            .login(
                UserName::new("tim").unwrap(),
                Password::new("wrong").unwrap(),
            )
            .await;
        assert!(matches!(
            refused,
            Err(mailwire_tokio::pop3::Pop3Error::Refused(_))
        ));
        pop3.login(
            UserName::new("tim").unwrap(),
            Password::new("tanstaaf").unwrap(),
        )
        .await
        .unwrap();
        let stat = pop3.stat().await.unwrap();
        let list = pop3.list().await.unwrap();
        let mut body = Vec::new();
        let one = MessageNumber::new(1).unwrap();
        let size = pop3.retr(one, &mut body).await.unwrap();
        pop3.dele(one).await.unwrap();
        pop3.quit().await.unwrap();
        (stat, list.len(), size, body)
    });
    server.next_finished().await.unwrap().result.unwrap();
    let (stat, listed, size, body) = client.await.unwrap();
    assert_eq!(stat, (1, MESSAGE.len() as u64));
    assert_eq!(listed, 1);
    assert_eq!(size, MESSAGE.len() as u64);
    assert_eq!(body, MESSAGE);
    assert_eq!(*maildrop.deleted.lock().unwrap(), ["m1"]);
}

#[tokio::test]
async fn imap_login_select_fetch_against_a_transcript() {
    use mailwire_imap::codec::{Limits, decode_command};
    use mailwire_imap::types::{Data, MessageDataItem};
    use mailwire_tokio::imap::ImapClient;

    let (client_io, mut server_io) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move {
        let transcript: [(&str, &[u8]); 5] = [
            (
                "A1 LOGIN fred secret\r\n",
                b"A1 OK [CAPABILITY IMAP4rev1] logged in\r\n",
            ),
            (
                "A2 SELECT INBOX\r\n",
                b"* 1 EXISTS\r\n* OK [UIDVALIDITY 3] ok\r\nA2 OK [READ-WRITE] selected\r\n",
            ),
            (
                "A3 FETCH 1 BODY.PEEK[]\r\n",
                b"* 1 FETCH (BODY[] {7}\r\nhel\r\nlo)\r\n* 2 EXISTS\r\nA3 OK done\r\n",
            ),
            ("A4 NOOP\r\n", b"A4 NO not now\r\n"),
            ("A5 LOGOUT\r\n", b"* BYE bye\r\nA5 OK done\r\n"),
        ];
        server_io
            .write_all(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
            .await
            .unwrap();
        for (line, answer) in transcript {
            assert_eq!(read_line(&mut server_io).await, line);
            server_io.write_all(answer).await.unwrap();
        }
        let mut rest = Vec::new();
        server_io.read_to_end(&mut rest).await.unwrap();
        rest
    });

    let mut config = mailwire_imap::client::Config::default();
    config.plaintext_auth = true;
    let mut imap = ImapClient::start(MaybeTlsStream::Plain(client_io), config, Tls::None)
        .await
        .unwrap();
    imap.login("fred", "secret").await.unwrap();
    let selected = imap.select("INBOX").await.unwrap();
    assert_eq!(
        (selected.exists, selected.uid_validity, selected.read_only),
        (1, Some(3), false)
    );

    let fetch = decode_command(b"X FETCH 1 BODY.PEEK[]\r\n", &Limits::default())
        .unwrap()
        .complete()
        .unwrap()
        .0
        .body;
    let fetched = imap.run(fetch).await.unwrap();
    let [Data::Fetch { seq, items }] = &fetched.data[..] else {
        panic!("{fetched:?}")
    };
    assert_eq!(seq.get(), 1);
    let [
        MessageDataItem::BodySection {
            data: Some(body), ..
        },
    ] = &items[..]
    else {
        panic!("{items:?}")
    };
    assert_eq!(body.as_bytes(), b"hel\r\nlo");
    assert_eq!(imap.take_unsolicited(), [Data::Exists(2)]);

    let refused = imap
        .run(mailwire_imap::types::CommandBody::Noop)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &refused,
            mailwire_tokio::imap::ImapError::Refused { completion: mailwire_imap::types::Completion::No, text }
                if text.to_string() == "not now"
        ),
        "{refused}"
    );
    imap.logout().await.unwrap();
    assert_eq!(server.await.unwrap(), b"");
}

#[tokio::test]
async fn a_large_message_streams_through_a_small_pipe() {
    // 300 KiB through a 1 KiB pipe: the client writes each piece before reading the next.
    let mut message = b"Subject: large\r\n\r\n".to_vec();
    let mut i = 0;
    while message.len() < 300 * 1024 {
        message.extend_from_slice(format!(".line {i:06} of the body\r\n").as_bytes());
        i += 1;
    }
    let (client_io, server_io) = tokio::io::duplex(1024);
    let recorder = Recorder::default();
    let server = spawn_smtp_server(server_io, smtp_config(), Tls::None, recorder.clone());
    let mut smtp = SmtpClient::start(
        MaybeTlsStream::Plain(client_io),
        client_config(TlsPolicy::Never),
        Tls::None,
    )
    .await
    .unwrap();
    let to = vec![ForwardPath::parse("<b@mx.example.org>").unwrap()];
    let from = ReversePath::parse("<a@client.example>").unwrap();
    let results = smtp
        .send_raw(Envelope::for_message(from, to, &message), &message[..])
        .await
        .unwrap();
    assert!(results[0].is_delivered());
    smtp.quit().await.unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(recorder.seen().bodies, [message]);
}

#[tokio::test(start_paused = true)]
async fn bdat_replies_are_read_while_the_body_streams() {
    // Each 64 KiB BDAT chunk gets its own reply; through a 128-byte pipe the server's
    // replies fill it long before the body is sent, unless the client reads them as it
    // goes. (With the paused clock, a deadlock would end in the sessions' timeouts.)
    let mut message = b"Subject: chunks\r\n\r\n".to_vec();
    while message.len() < 1024 * 1024 {
        message.extend_from_slice(b"0123456789abcdef0123456789abcdef0123456789abcdef012345\r\n");
    }
    let (client_io, server_io) = tokio::io::duplex(128);
    let recorder = Recorder::default();
    let server = spawn_smtp_server(server_io, smtp_config(), Tls::None, recorder.clone());
    let mut smtp = SmtpClient::start(
        MaybeTlsStream::Plain(client_io),
        client_config(TlsPolicy::Never),
        Tls::None,
    )
    .await
    .unwrap();
    assert!(
        smtp.capabilities()
            .is_some_and(|c| c.has(&mailwire_smtp::Capability::Chunking))
    );
    let to = vec![ForwardPath::parse("<b@mx.example.org>").unwrap()];
    let from = ReversePath::parse("<a@client.example>").unwrap();
    let results = smtp
        .send_raw(Envelope::for_message(from, to, &message), &message[..])
        .await
        .unwrap();
    assert!(results[0].is_delivered());
    smtp.quit().await.unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(recorder.seen().bodies, [message]);
}
