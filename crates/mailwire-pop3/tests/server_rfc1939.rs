//! The example sessions of RFC 1939, played against the server.

mod common;

use common::{App, rfc_messages, run, server};
use mailwire_core::{Session as _, Transport};
use mailwire_pop3::{
    Timestamp,
    server::{Config, PlaintextLogin},
};

fn dewey() -> Config {
    let mut config = Config::default();
    config.host = "dewey".to_owned();
    config.apop = true;
    config
}

fn rfc_timestamp() -> Timestamp {
    Timestamp::parse("<1896.697170952@dbc.mtview.ca.us>").unwrap()
}

/// RFC 1939 §10, with the message contents elided there made up to the listed sizes.
#[test]
fn rfc_1939_section_10_example_pop3_session() {
    let messages = rfc_messages();
    let mut app = App::new(messages.clone());
    let mut s = server(dewey(), Some(rfc_timestamp()));
    let input = b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nSTAT\r\nLIST\r\nRETR 1\r\n\
DELE 1\r\nRETR 2\r\nDELE 2\r\nQUIT\r\n";
    let out = run(&mut s, &mut app, input, input.len());

    let mut expected = b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n\
+OK mrose's maildrop has 2 messages (320 octets)\r\n\
+OK 2 320\r\n\
+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n\
+OK 120 octets\r\n"
        .to_vec();
    expected.extend_from_slice(&messages[0]);
    expected.extend_from_slice(b".\r\n+OK message 1 deleted\r\n+OK 200 octets\r\n");
    expected.extend_from_slice(&messages[1]);
    expected.extend_from_slice(
        b".\r\n+OK message 2 deleted\r\n+OK dewey POP3 server signing off (maildrop empty)\r\n",
    );
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&expected)
    );
    let deleted: Vec<_> = app
        .deleted
        .unwrap()
        .iter()
        .map(|d| (d.message.get(), d.unique_id.to_string()))
        .collect();
    assert_eq!(deleted, [(1, "uid-1".to_owned()), (2, "uid-2".to_owned())]);
    assert_eq!(s.transport(), Transport::Close);
}

/// The per-command examples of RFC 1939 §5 and §7 on a two-message maildrop.
#[test]
fn rfc_1939_command_examples() {
    let mut app = App::new(rfc_messages());
    app.uids = vec![
        "whqtswO00WBw418f9t5JxYwZ".into(),
        "QhdPYR:00WBw1Ph7x7".into(),
    ];
    let mut config = Config::default();
    config.plaintext_login = PlaintextLogin::Allow;
    let mut s = server(config, None);
    let input = b"USER mrose\r\nPASS tanstaaf\r\nLIST 2\r\nLIST 3\r\nUIDL\r\nUIDL 2\r\n\
DELE 1\r\nDELE 1\r\nRETR 1\r\nNOOP\r\nRSET\r\nSTAT\r\n";
    let out = run(&mut s, &mut app, input, 5);
    let expected = "+OK POP3 server ready\r\n\
+OK send PASS\r\n\
+OK mrose's maildrop has 2 messages (320 octets)\r\n\
+OK 2 200\r\n\
-ERR no such message\r\n\
+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n\
+OK 2 QhdPYR:00WBw1Ph7x7\r\n\
+OK message 1 deleted\r\n\
-ERR message 1 already deleted\r\n\
-ERR no such message\r\n\
+OK\r\n\
+OK maildrop has 2 messages (320 octets)\r\n\
+OK 2 320\r\n";
    assert_eq!(String::from_utf8_lossy(&out), expected);
    assert_eq!(
        app.events,
        ["check mrose", "authenticated mrose", "open mrose"]
    );
}

/// RFC 1939 §7, TOP: the header, the blank line, then n lines of the body.
#[test]
fn top_sends_header_blank_line_and_n_lines() {
    let msg = b"From: a\r\nSubject: b\r\n\r\nline 1\r\n.line 2\r\nline 3\r\n".to_vec();
    for split in [1, 3, 1000] {
        for chunk in [1, 4, 100] {
            let mut app = App::new(vec![msg.clone()]);
            app.chunk = chunk;
            let mut s = server(dewey(), Some(rfc_timestamp()));
            let input = b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nTOP 1 0\r\nTOP 1 2\r\nTOP 1 10\r\nTOP 2 1\r\n";
            let out = run(&mut s, &mut app, input, split);
            let out = String::from_utf8_lossy(&out);
            let tail = out.split_once("octets)\r\n").unwrap().1;
            assert_eq!(
                tail,
                "+OK top of message follows\r\nFrom: a\r\nSubject: b\r\n\r\n.\r\n\
+OK top of message follows\r\nFrom: a\r\nSubject: b\r\n\r\nline 1\r\n..line 2\r\n.\r\n\
+OK top of message follows\r\nFrom: a\r\nSubject: b\r\n\r\nline 1\r\n..line 2\r\nline 3\r\n.\r\n\
-ERR no such message\r\n",
                "split {split} chunk {chunk}"
            );
        }
    }
}
