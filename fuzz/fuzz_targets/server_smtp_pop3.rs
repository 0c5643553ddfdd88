//! The SMTP server delivering into the memory store and the POP3 server reading the same
//! maildrop, fed arbitrary bytes by turns: one SMTP connection that has named a sender and
//! a recipient, and two POP3 connections that have logged in as that recipient (the
//! second finds the maildrop locked until the first quits). Asserts that no server task
//! panics or hangs (in virtual time), that each ends without error once its client has
//! closed, and, through libFuzzer's `-rss_limit_mb`, that memory stays bounded under small
//! limits.
#![no_main]

mod server_common;

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use mailwire_pop3::server::{Config as Pop3Config, PlaintextLogin};
use mailwire_server::memory::Memory;
use mailwire_server::store::NewMessage;
use mailwire_server::{MailStore, Mailboxes, Pop3Server, SmtpServer, Throttle};
use mailwire_smtp::Domain;
use mailwire_smtp::server::Config as SmtpConfig;

use server_common::{Client, chunks, runtime};

/// What the SMTP connection sends before the input: a transaction waiting for DATA.
const SMTP_PREFIX: &[u8] = b"EHLO f.test\r\nMAIL FROM:<s@f.test>\r\nRCPT TO:<u@f.test>\r\n";

/// What each POP3 connection sends before the input: a login.
const POP3_PREFIX: &[u8] = b"USER u\r\nPASS p\r\n";

/// The largest message delivered.
const MAX_MESSAGE: usize = 16 * 1024;

/// The maildrop's messages before the input.
const MESSAGES: [&[u8]; 2] = [
    b"From: a@x.test\r\nSubject: one\r\n\r\nfirst\r\n.dotted\r\n",
    b"Subject: two\r\n\r\nsecond\r\n\r\nlast\r\n",
];

fuzz_target!(|data: &[u8]| {
    runtime().block_on(async {
        let mut memory = Memory::new();
        memory.max_message_size = MAX_MESSAGE;
        memory.add_user("u", "p");
        let mailboxes = memory.open("u").await.expect("the user exists");
        for content in MESSAGES {
            let message = NewMessage {
                flags: Vec::new(),
                internal_date: None,
                size: content.len() as u32,
            };
            mailboxes
                .append("INBOX", message, &mut &content[..])
                .await
                .expect("INBOX takes a small message");
        }
        drop(mailboxes);
        let memory = Arc::new(memory);
        let throttle = Arc::new(Throttle::new());

        let mut smtp = SmtpConfig::new(Domain::new("mx.f.test").expect("a valid domain"));
        smtp.max_recipients = 8;
        smtp.max_message_size = Some(MAX_MESSAGE as u64);
        let smtp = Arc::new(SmtpServer::new(
            smtp,
            Arc::clone(&memory),
            Arc::clone(&memory),
            Arc::clone(&throttle),
        ));

        let mut pop3 = Pop3Config::default();
        pop3.plaintext_login = PlaintextLogin::Allow;
        pop3.max_buffered_input = 8 * 1024;
        let pop3 = Arc::new(Pop3Server::new(pop3, Arc::clone(&memory), memory, throttle));

        let mut clients = [
            Client::connect(&smtp, 40001),
            Client::connect(&pop3, 40002),
            Client::connect(&pop3, 40003),
        ];
        clients[0].send(SMTP_PREFIX).await;
        clients[1].send(POP3_PREFIX).await;
        clients[2].send(POP3_PREFIX).await;
        for (to, chunk) in chunks(data, 3) {
            clients[to].send(chunk).await;
        }
        for client in clients {
            client.close().await;
        }
    });
});
