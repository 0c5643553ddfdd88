//! The tokio-util codecs: exact bytes, and the same items for every split of the input.

use std::fmt::Debug;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt as _, StreamExt as _};
use mailwire_imap::codec::{
    Decoded, Fragment, Limits, LiteralMode, decode_command, encode_command,
};
use mailwire_imap::types::CommandBody;
use mailwire_pop3::{
    Command as Pop3Command, CommandError as Pop3CommandError, MessageNumber,
    Response as Pop3Response, Status,
};
use mailwire_smtp::{Command, CommandError, EnhancedCode, Reply, ReplyCode, ReplyError};
use mailwire_tokio::codec::{
    ImapClientCodec, ImapCodecError, ImapCommandFrame, ImapServerCodec, Pop3ClientCodec, Pop3Frame,
    Pop3ServerCodec, SmtpClientCodec, SmtpCodecError, SmtpServerCodec,
};
use tokio_util::codec::{Decoder, Encoder, Framed};

/// Feeds `chunks` one after the other, decoding all it can after each; an error ends the
/// run and is the last entry.
fn feed<D>(codec: &mut D, chunks: &[&[u8]]) -> Vec<Result<D::Item, String>>
where
    D: Decoder,
    D::Error: Debug,
{
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(item)) => out.push(Ok(item)),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(format!("{e:?}")));
                    return out;
                }
            }
        }
    }
    out
}

/// Every split of `input` in two, and byte by byte, gives what `expected` says (after
/// `normalize`).
fn every_split<D, T>(
    make: impl Fn() -> D,
    input: &[u8],
    normalize: impl Fn(Vec<Result<D::Item, String>>) -> T,
    expected: &T,
) where
    D: Decoder,
    D::Error: Debug,
    T: PartialEq + Debug,
{
    for at in 0..=input.len() {
        let got = normalize(feed(&mut make(), &[&input[..at], &input[at..]]));
        assert_eq!(&got, expected, "split at {at}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(
        &normalize(feed(&mut make(), &bytes)),
        expected,
        "byte by byte"
    );
}

fn same<T>(items: T) -> T {
    items
}

#[test]
fn smtp_commands_in_every_split() {
    let input: &[u8] = b"EHLO client.example\r\nMAIL FROM:<a@b.example> SIZE=10\r\nFOO bar\r\nRCPT TO:<c@d.example>\r\nQUIT\r\n";
    let items = feed(&mut SmtpServerCodec::new(), &[input]);
    assert_eq!(items.len(), 5);
    let Ok(Ok(Command::Mail { from, params })) = &items[1] else {
        panic!("{:?}", items[1])
    };
    assert_eq!(from.to_string(), "<a@b.example>");
    assert_eq!(params.size, Some(10));
    let Ok(Err(error)) = &items[2] else {
        panic!("{:?}", items[2])
    };
    assert!(matches!(error, CommandError::Unrecognized { .. }));
    assert_eq!(
        error.reply().to_string(),
        "500 5.5.1 Command unrecognized\r\n"
    );
    assert_eq!(items[4], Ok(Ok(Command::Quit)));
    every_split(SmtpServerCodec::new, input, same, &items);
}

#[test]
fn smtp_command_line_limit() {
    let long = [b'A'; 600];
    let items = feed(&mut SmtpServerCodec::new(), &[&long]);
    assert_eq!(items, [Err("LineTooLong { limit: 512 }".to_owned())]);
    // A complete line over the limit is refused too.
    let mut line = b"NOOP ".to_vec();
    line.extend_from_slice(&[b'x'; 510]);
    line.extend_from_slice(b"\r\n");
    assert_eq!(
        feed(&mut SmtpServerCodec::new(), &[&line]),
        [Err("LineTooLong { limit: 512 }".to_owned())]
    );
    // A line of exactly the limit is not.
    let mut line = b"NOOP ".to_vec();
    line.extend_from_slice(&[b'x'; 505]);
    line.extend_from_slice(b"\r\n");
    assert_eq!(line.len(), 512);
    assert!(matches!(
        &feed(&mut SmtpServerCodec::new(), &[&line])[..],
        [Ok(Ok(Command::Noop { .. }))]
    ));
    assert!(matches!(
        &feed(&mut SmtpServerCodec::with_max_line(2000), &[&long, b"\r\n"])[..],
        [Ok(Err(_))]
    ));
}

#[test]
fn smtp_replies_in_every_split() {
    let input: &[u8] =
        b"220 mx.example.org ESMTP\r\n250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n";
    let items = feed(&mut SmtpClientCodec::new(), &[input]);
    assert_eq!(items.len(), 2);
    let Ok(ehlo) = &items[1] else { panic!() };
    assert_eq!(ehlo.code().get(), 250);
    assert_eq!(
        ehlo.lines().collect::<Vec<_>>(),
        ["mx.example.org", "PIPELINING", "8BITMIME"]
    );
    every_split(SmtpClientCodec::new, input, same, &items);

    assert_eq!(
        feed(&mut SmtpClientCodec::new(), &[b"hello\r\n"]),
        [Err(format!(
            "{:?}",
            SmtpCodecError::Reply(ReplyError::Code)
        ))]
    );
}

#[test]
fn smtp_encoders_write_exact_bytes() {
    let mut out = BytesMut::new();
    let ok = Reply::new(ReplyCode::OK, "Ok")
        .unwrap()
        .with_enhanced(EnhancedCode::new(2, 1, 0).unwrap())
        .unwrap();
    SmtpServerCodec::new().encode(&ok, &mut out).unwrap();
    SmtpServerCodec::new().encode(ok, &mut out).unwrap();
    SmtpClientCodec::new()
        .encode(Command::Data, &mut out)
        .unwrap();
    assert_eq!(&out[..], b"250 2.1.0 Ok\r\n250 2.1.0 Ok\r\nDATA\r\n");
}

#[tokio::test]
async fn smtp_framed_over_a_pipe() {
    let (client, server) = tokio::io::duplex(1024);
    let mut server = Framed::new(server, SmtpServerCodec::new());
    let mut client = Framed::new(client, SmtpClientCodec::new());
    client.send(Command::Quit).await.unwrap();
    assert_eq!(server.next().await.unwrap().unwrap(), Ok(Command::Quit));
    let bye = Reply::new(ReplyCode::CLOSING, "Bye").unwrap();
    server.send(&bye).await.unwrap();
    assert_eq!(client.next().await.unwrap().unwrap(), bye);
    drop(server);
    assert!(client.next().await.is_none());
}

/// Joins adjacent `Data` pieces: how a body is cut depends on the split.
fn join_data(items: Vec<Result<Pop3Frame, String>>) -> Vec<Result<Pop3Frame, String>> {
    let mut out: Vec<Result<Pop3Frame, String>> = Vec::new();
    for item in items {
        if let (Some(Ok(Pop3Frame::Data(prev))), Ok(Pop3Frame::Data(next))) =
            (out.last_mut(), &item)
        {
            let mut joined = prev.to_vec();
            joined.extend_from_slice(next);
            *prev = Bytes::from(joined);
            continue;
        }
        out.push(item);
    }
    out
}

fn pop3_client_after(commands: &[Pop3Command]) -> Pop3ClientCodec {
    let mut codec = Pop3ClientCodec::new();
    let mut out = BytesMut::new();
    for c in commands {
        codec.encode(c, &mut out).unwrap();
    }
    codec
}

#[test]
fn pop3_responses_and_bodies_in_every_split() {
    let one = MessageNumber::new(1).unwrap();
    let commands = [
        Pop3Command::Capa,
        Pop3Command::Retr { message: one },
        Pop3Command::Retr {
            message: MessageNumber::new(9).unwrap(),
        },
        Pop3Command::Dele { message: one },
    ];
    let mut wire = BytesMut::new();
    let mut codec = Pop3ClientCodec::new();
    for c in &commands {
        codec.encode(c, &mut wire).unwrap();
    }
    assert_eq!(&wire[..], b"CAPA\r\nRETR 1\r\nRETR 9\r\nDELE 1\r\n");

    let input: &[u8] = b"+OK POP3 ready\r\n+OK capa\r\nTOP\r\nUIDL\r\n.\r\n+OK 24 octets\r\nSubject: x\r\n\r\n..dot\r\n.\r\n-ERR no such message\r\n+OK deleted\r\n";
    let ok = |text: &str| {
        Ok(Pop3Frame::Response(
            Pop3Response::new(Status::Ok, text).unwrap(),
        ))
    };
    let data = |d: &'static [u8]| Ok(Pop3Frame::Data(Bytes::from_static(d)));
    let expected = vec![
        ok("POP3 ready"),
        ok("capa"),
        data(b"TOP\r\nUIDL\r\n"),
        Ok(Pop3Frame::End),
        ok("24 octets"),
        data(b"Subject: x\r\n\r\n.dot\r\n"),
        Ok(Pop3Frame::End),
        Ok(Pop3Frame::Response(
            Pop3Response::new(Status::Err, "no such message").unwrap(),
        )),
        ok("deleted"),
    ];
    every_split(|| pop3_client_after(&commands), input, join_data, &expected);
}

#[test]
fn pop3_sasl_challenge_is_a_continuation() {
    let mut codec = pop3_client_after(&[]);
    let items = feed(&mut codec, &[b"+OK ready\r\n+ PDE4OTY+\r\n+ \r\n"]);
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[1],
        Ok(Pop3Frame::Continuation(Bytes::from_static(b"PDE4OTY+")))
    );
    assert_eq!(items[2], Ok(Pop3Frame::Continuation(Bytes::new())));
    let bad = feed(&mut pop3_client_after(&[]), &[b"HELLO\r\n"]);
    assert_eq!(bad, [Err("Response(Status)".to_owned())]);
}

#[test]
fn pop3_commands_in_every_split_with_an_overlong_line() {
    let mut input = b"STAT\r\nRETR x\r\n".to_vec();
    input.extend_from_slice(&[b'X'; 300]);
    input.extend_from_slice(b"\r\nNOOP\r\n");
    let expected = vec![
        Ok(Ok(Pop3Command::Stat)),
        Ok(Err(Pop3CommandError::InvalidNumber)),
        Ok(Err(Pop3CommandError::LineTooLong { limit: 255 })),
        Ok(Ok(Pop3Command::Noop)),
    ];
    assert_eq!(feed(&mut Pop3ServerCodec::new(), &[&input]), expected);
    every_split(Pop3ServerCodec::new, &input, same, &expected);

    let mut out = BytesMut::new();
    Pop3ServerCodec::new()
        .encode(Pop3Response::new(Status::Ok, "2 320").unwrap(), &mut out)
        .unwrap();
    assert_eq!(&out[..], b"+OK 2 320\r\n");
}

/// Drops the literal announcements, which depend on where the input was cut.
fn without_announcements(
    items: Vec<Result<ImapCommandFrame, String>>,
) -> Vec<Result<ImapCommandFrame, String>> {
    items
        .into_iter()
        .filter(|i| !matches!(i, Ok(ImapCommandFrame::LiteralAnnounced { .. })))
        .collect()
}

#[test]
fn imap_commands_in_every_split() {
    let input: &[u8] =
        b"a1 NOOP\r\na2 LOGIN {3}\r\ntim {8+}\r\ntanstaaf\r\na3 FROB\r\na4 LOGOUT\r\n";
    let items = feed(&mut ImapServerCodec::default(), &[input]);
    assert_eq!(items.len(), 4, "{items:?}");
    let Ok(ImapCommandFrame::Command(login)) = &items[1] else {
        panic!()
    };
    assert_eq!(login.tag.as_str(), "a2");
    let CommandBody::Login { username, password } = &login.body else {
        panic!()
    };
    assert_eq!(username.as_bytes(), b"tim");
    assert_eq!(password.expose().as_bytes(), b"tanstaaf");
    let Ok(ImapCommandFrame::Invalid(bad)) = &items[2] else {
        panic!()
    };
    assert_eq!(bad.tag().map(|t| t.as_str()), Some("a3"));
    assert!(matches!(&items[3], Ok(ImapCommandFrame::Command(c)) if c.body == CommandBody::Logout));
    every_split(
        ImapServerCodec::default,
        input,
        without_announcements,
        &items,
    );

    // Cut right after `{3}`: the announcement is reported, once.
    let at = b"a1 NOOP\r\na2 LOGIN {3}\r\n".len();
    let mut codec = ImapServerCodec::default();
    let mut buf = BytesMut::from(&input[..at]);
    assert!(matches!(
        codec.decode(&mut buf).unwrap(),
        Some(ImapCommandFrame::Command(_))
    ));
    let Some(ImapCommandFrame::LiteralAnnounced { tag, length }) = codec.decode(&mut buf).unwrap()
    else {
        panic!()
    };
    assert_eq!((tag.as_str(), length), ("a2", 3));
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
}

#[test]
fn imap_oversized_literals() {
    let limits = Limits::default().with_max_literal(100);
    // Synchronising: the client waits, so the command is refused and the next one read.
    let items = feed(
        &mut ImapServerCodec::new(limits),
        &[b"a5 APPEND INBOX {101}\r\na6 NOOP\r\n"],
    );
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(
        matches!(&items[0], Ok(ImapCommandFrame::Invalid(e)) if e.tag().map(|t| t.as_str()) == Some("a5"))
    );
    assert!(matches!(&items[1], Ok(ImapCommandFrame::Command(c)) if c.body == CommandBody::Noop));
    // Non-synchronising: the data is coming, and the stream cannot go on.
    let mut codec = ImapServerCodec::new(limits);
    let mut buf = BytesMut::from(&b"a7 APPEND INBOX {101+}\r\n"[..]);
    let err = codec.decode(&mut buf).unwrap_err();
    assert!(
        matches!(
            err,
            ImapCodecError::LiteralTooLarge {
                length: 101,
                limit: 100,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn imap_responses_in_every_split_and_encoded_back() {
    let input: &[u8] =
        b"* OK IMAP4rev1 ready\r\n* 1 FETCH (BODY[] {7}\r\nhel\r\nlo)\r\n+ Ready\r\na1 OK done\r\n";
    let items = feed(&mut ImapClientCodec::default(), &[input]);
    assert_eq!(items.len(), 4, "{items:?}");
    every_split(ImapClientCodec::default, input, same, &items);

    // Each response encodes back to the bytes it came from (the body needs its literal).
    let mut out = BytesMut::new();
    for item in items {
        ImapServerCodec::default()
            .encode(item.unwrap(), &mut out)
            .unwrap();
    }
    assert_eq!(&out[..], input);
}

#[test]
fn imap_client_encodes_literals_by_mode() {
    let Decoded::Complete { value: login, .. } =
        decode_command(b"a1 LOGIN tim {4+}\r\nta\nn\r\n", &Limits::default()).unwrap()
    else {
        panic!()
    };
    let mut out = BytesMut::new();
    let mut sync = ImapClientCodec::default();
    assert!(matches!(
        sync.encode(&login, &mut out),
        Err(ImapCodecError::SyncLiteral)
    ));
    assert!(out.is_empty());
    // Sent fragment by fragment, with the wait for `+` left to the caller.
    let encoded = encode_command(&login, LiteralMode::Sync);
    let fragments: Vec<Fragment<'_>> = encoded.fragments().collect();
    assert_eq!(fragments.len(), 3);
    assert_eq!(
        fragments[1],
        Fragment::Literal {
            data: b"ta\nn",
            sync: true
        }
    );
    for fragment in fragments {
        sync.encode(fragment, &mut out).unwrap();
    }
    assert_eq!(&out[..], b"a1 LOGIN tim {4}\r\nta\nn\r\n");

    let mut plus = ImapClientCodec::new(Limits::for_client(), LiteralMode::Plus);
    out.clear();
    plus.encode(login, &mut out).unwrap();
    assert_eq!(&out[..], b"a1 LOGIN tim {4+}\r\nta\nn\r\n");
}
