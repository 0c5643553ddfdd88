//! The IMAP server over the memory store, two connections of the same user fed arbitrary
//! bytes by turns: each logs in and selects INBOX, then takes the input's chunks meant for
//! it, while the other's commands change the mailbox under it. Asserts that no server task
//! panics or hangs (in virtual time), that each ends without error once its client has
//! closed, and, through libFuzzer's `-rss_limit_mb`, that memory stays bounded under small
//! limits.
#![no_main]

mod server_common;

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use mailwire_imap::codec::Limits;
use mailwire_imap::server::Config;
use mailwire_imap::types::Flag;
use mailwire_server::memory::Memory;
use mailwire_server::store::NewMessage;
use mailwire_server::{ImapServer, MailStore, Mailboxes, Throttle};

use server_common::{Client, chunks, runtime};

/// What each connection sends before the input: the fuzzer starts in the selected state.
const PREFIX: &[u8] = b"a LOGIN u p\r\nb SELECT INBOX\r\n";

/// The largest message APPEND stores, and the largest literal taken.
const MAX_MESSAGE: u32 = 16 * 1024;

/// INBOX's messages before the input: a plain one, a multipart one with a message inside,
/// an encoded header; flagged differently.
const MESSAGES: [(&[u8], &[Flag]); 3] = [
    (
        b"From: a@x.test\r\nSubject: one\r\n\r\nfirst\r\n",
        &[Flag::Seen],
    ),
    (
        b"From: b@y.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n\
Subject: inner\r\n\r\nx\r\n--b--\r\n",
        &[Flag::Flagged, Flag::Deleted],
    ),
    (b"Subject: =?UTF-8?Q?caf=C3=A9?=\r\n\r\nthird\r\n", &[]),
];

fuzz_target!(|data: &[u8]| {
    runtime().block_on(async {
        let mut memory = Memory::new();
        memory.max_message_size = MAX_MESSAGE as usize;
        memory.add_user("u", "p");
        let mailboxes = memory.open("u").await.expect("the user exists");
        for (content, flags) in MESSAGES {
            let message = NewMessage {
                flags: flags.to_vec(),
                internal_date: None,
                size: content.len() as u32,
            };
            mailboxes
                .append("INBOX", message, &mut &content[..])
                .await
                .expect("INBOX takes a small message");
        }
        drop(mailboxes);

        let mut config = Config::default();
        config.plaintext_auth = true;
        config.limits = Limits::default()
            .with_max_line(1024)
            .with_max_literal(MAX_MESSAGE);
        config.max_preauth_literal = 1024;
        config.fetch_cache_bytes = 64 * 1024;
        let memory = Arc::new(memory);
        let server = Arc::new(ImapServer::new(
            config,
            Arc::clone(&memory),
            memory,
            Arc::new(Throttle::new()),
        ));

        let mut clients = [
            Client::connect(&server, 40001),
            Client::connect(&server, 40002),
        ];
        for client in &mut clients {
            client.send(PREFIX).await;
        }
        for (to, chunk) in chunks(data, 2) {
            clients[to].send(chunk).await;
        }
        for client in clients {
            client.close().await;
        }
    });
});
