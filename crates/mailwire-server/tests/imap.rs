//! The IMAP server over the memory store, from the wire: every store method a command
//! reaches, the change feed between two connections, and streamed FETCH.

mod wire;

use std::sync::Arc;

use mailwire_imap::server::Config;
use mailwire_server::memory::Memory;
use mailwire_server::{ImapServer, Shutdown, Throttle};
use wire::{Wire, memory};

fn server(memory: &Memory) -> Arc<ImapServer<Memory, Memory>> {
    let mut config = Config::default();
    config.plaintext_auth = true;
    Arc::new(ImapServer::new(
        config,
        Arc::new(memory.clone()),
        Arc::new(memory.clone()),
        Arc::new(Throttle::new()),
    ))
}

async fn logged_in(server: &Arc<ImapServer<Memory, Memory>>) -> Wire {
    let mut w = Wire::connect(server);
    w.until("* OK").await;
    let login = w.ask("l LOGIN fred secret", "l ").await;
    assert!(login.starts_with("l OK"), "{login}");
    w
}

const MESSAGE: &str =
    "From: ann@example.org\r\nTo: fred@example.org\r\nSubject: lunch\r\n\r\nAt noon?\r\n";

#[tokio::test]
async fn append_select_fetch_store_copy_expunge() {
    let memory = memory();
    let server = server(&memory);
    let mut w = logged_in(&server).await;

    let append = w
        .ask(
            &format!(
                "a APPEND INBOX (\\Flagged) {{{}+}}\r\n{MESSAGE}",
                MESSAGE.len()
            ),
            "a ",
        )
        .await;
    assert!(append.starts_with("a OK [APPENDUID "), "{append}");

    let select = w.ask("s SELECT INBOX", "s ").await;
    assert!(select.contains("* 1 EXISTS\r\n"), "{select}");
    assert!(select.contains("* 1 RECENT\r\n"), "{select}");
    assert!(
        select.ends_with("s OK [READ-WRITE] SELECT completed\r\n"),
        "{select}"
    );

    // The whole message streams from the store; INTERNALDATE and the size come from the
    // view.
    let fetch = w
        .ask("f FETCH 1 (RFC822.SIZE BODY.PEEK[] FLAGS)", "f ")
        .await;
    assert_eq!(
        fetch,
        format!(
            "* 1 FETCH (RFC822.SIZE {n} BODY[] {{{n}}}\r\n{MESSAGE} FLAGS (\\Flagged \\Recent))\r\nf OK FETCH completed\r\n",
            n = MESSAGE.len()
        )
    );
    let partial = w.ask("p FETCH 1 BODY.PEEK[]<6.3>", "p ").await;
    assert_eq!(
        partial,
        "* 1 FETCH (BODY[]<6> {3}\r\nann)\r\np OK FETCH completed\r\n"
    );
    let envelope = w.ask("e FETCH 1 ENVELOPE", "e ").await;
    assert!(envelope.contains("\"lunch\""), "{envelope}");

    // Flag changes are applied to the stored flags.
    let store = w.ask("t STORE 1 +FLAGS (\\Seen $Work)", "t ").await;
    assert!(
        store.contains("* 1 FETCH (FLAGS (\\Flagged \\Seen $Work \\Recent))"),
        "{store}"
    );
    let store = w.ask("t2 STORE 1 -FLAGS (\\Flagged)", "t2 ").await;
    assert!(
        store.contains("* 1 FETCH (FLAGS (\\Seen $Work \\Recent))"),
        "{store}"
    );

    let create = w.ask("c CREATE Archive/2026", "c ").await;
    assert_eq!(create, "c OK CREATE completed\r\n");
    let copy = w.ask("k COPY 1 Archive/2026", "k ").await;
    assert!(copy.starts_with("k OK [COPYUID "), "{copy}");
    let missing = w.ask("m COPY 1 Nowhere", "m ").await;
    assert!(missing.starts_with("m NO [TRYCREATE]"), "{missing}");
    let status = w
        .ask("st STATUS Archive/2026 (MESSAGES UNSEEN)", "st ")
        .await;
    assert!(
        status.contains("* STATUS Archive/2026 (MESSAGES 1 UNSEEN 0)"),
        "{status}"
    );

    // MOVE: the copy is in the destination, the original reported expunged here.
    w.ask(
        &format!("a2 APPEND INBOX {{{}+}}\r\n{MESSAGE}", MESSAGE.len()),
        "a2 ",
    )
    .await;
    let moved = w.ask("mv MOVE 2 Archive/2026", "mv ").await;
    assert!(moved.starts_with("* OK [COPYUID "), "{moved}");
    assert!(
        moved.ends_with("* 2 EXPUNGE\r\nmv OK MOVE completed\r\n"),
        "{moved}"
    );
    let status = w.ask("st3 STATUS Archive/2026 (MESSAGES)", "st3 ").await;
    assert!(
        status.contains("* STATUS Archive/2026 (MESSAGES 2)"),
        "{status}"
    );

    w.ask("d STORE 1 +FLAGS.SILENT (\\Deleted)", "d ").await;
    let expunge = w.ask("x EXPUNGE", "x ").await;
    assert_eq!(expunge, "* 1 EXPUNGE\r\nx OK EXPUNGE completed\r\n");
    let status = w.ask("st2 STATUS INBOX (MESSAGES)", "st2 ").await;
    assert!(status.contains("* STATUS INBOX (MESSAGES 0)"), "{status}");
}

#[tokio::test]
async fn mailboxes_are_listed_renamed_subscribed_and_deleted() {
    let memory = memory();
    let server = server(&memory);
    let mut w = logged_in(&server).await;

    let root = w.ask("r LIST \"\" \"\"", "r ").await;
    assert_eq!(
        root,
        "* LIST (\\Noselect) \"/\" \"\"\r\nr OK LIST completed\r\n"
    );
    w.ask("c CREATE Work/Reports", "c ").await;
    let list = w.ask("l LIST \"\" Work*", "l ").await;
    assert!(
        list.contains("* LIST (\\HasChildren) \"/\" Work\r\n"),
        "{list}"
    );
    assert!(
        list.contains("* LIST (\\HasNoChildren) \"/\" Work/Reports\r\n"),
        "{list}"
    );
    let special = w.ask("s LIST \"\" %", "s ").await;
    assert!(special.contains("\\Sent"), "{special}");

    let rename = w.ask("n RENAME Work Job", "n ").await;
    assert_eq!(rename, "n OK RENAME completed\r\n");
    let list = w.ask("l2 LIST \"\" Job/*", "l2 ").await;
    assert!(list.contains("Job/Reports"), "{list}");

    w.ask("u SUBSCRIBE Job", "u ").await;
    let lsub = w.ask("ls LSUB \"\" *", "ls ").await;
    assert!(lsub.contains("\"/\" Job\r\n"), "{lsub}");
    w.ask("u2 UNSUBSCRIBE Job", "u2 ").await;
    let lsub = w.ask("ls2 LSUB \"\" Job", "ls2 ").await;
    assert_eq!(lsub, "ls2 OK LSUB completed\r\n");

    let exists = w.ask("e CREATE Job/Reports", "e ").await;
    assert!(exists.starts_with("e NO [ALREADYEXISTS]"), "{exists}");
    let delete = w.ask("d DELETE Job/Reports", "d ").await;
    assert_eq!(delete, "d OK DELETE completed\r\n");
    let gone = w.ask("g SELECT Job/Reports", "g ").await;
    assert!(gone.starts_with("g NO [NONEXISTENT]"), "{gone}");
}

#[tokio::test]
async fn a_client_in_idle_hears_of_another_connections_changes_at_once() {
    let memory = memory();
    let server = server(&memory);
    let mut a = logged_in(&server).await;
    let mut b = logged_in(&server).await;
    a.ask("s SELECT INBOX", "s ").await;
    a.ask("i IDLE", "+ ").await;

    b.ask(
        &format!("a APPEND INBOX {{{}+}}\r\n{MESSAGE}", MESSAGE.len()),
        "a ",
    )
    .await;
    // No command from `a`: the store's change feed woke its connection.
    assert_eq!(a.until("* 1 RECENT").await, "* 1 EXISTS\r\n* 1 RECENT\r\n");

    b.ask("s SELECT INBOX", "s ").await;
    b.ask("f STORE 1 +FLAGS (\\Answered)", "f ").await;
    assert_eq!(
        a.until("* 1 FETCH").await,
        "* 1 FETCH (FLAGS (\\Answered \\Recent))\r\n"
    );
    b.ask("d STORE 1 +FLAGS (\\Deleted)", "d ").await;
    a.until("* 1 FETCH").await;
    b.ask("x EXPUNGE", "x ").await;
    assert_eq!(a.until("* 1 EXPUNGE").await, "* 1 EXPUNGE\r\n");
    let done = a.ask("DONE", "i ").await;
    assert_eq!(done, "i OK IDLE terminated\r\n");
}

#[tokio::test]
async fn changes_reach_a_client_that_is_not_idle_at_its_next_command() {
    let memory = memory();
    let server = server(&memory);
    let mut a = logged_in(&server).await;
    let mut b = logged_in(&server).await;
    a.ask("s SELECT INBOX", "s ").await;
    b.ask(
        &format!("a APPEND INBOX {{{}+}}\r\n{MESSAGE}", MESSAGE.len()),
        "a ",
    )
    .await;
    let noop = a.ask("n NOOP", "n ").await;
    assert_eq!(noop, "* 1 EXISTS\r\n* 1 RECENT\r\nn OK NOOP completed\r\n");
}

#[tokio::test]
async fn a_large_message_streams_byte_for_byte() {
    let memory = memory();
    let server = server(&memory);
    let mut w = logged_in(&server).await;
    let line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
    let body = format!("Subject: big\r\n\r\n{}", line.repeat(40_000));
    w.send(format!("a APPEND INBOX {{{}}}\r\n", body.len()))
        .await;
    w.until("+ ").await;
    w.send(format!("{body}\r\n")).await;
    w.until("a ").await;
    w.ask("s SELECT INBOX", "s ").await;
    let fetch = w.ask("f FETCH 1 BODY[]", "f ").await;
    let head = format!("* 1 FETCH (BODY[] {{{}}}\r\n", body.len());
    assert!(fetch.starts_with(&head), "{}", &fetch[..200]);
    assert_eq!(&fetch[head.len()..head.len() + body.len()], body);
    // BODY[] without PEEK set \Seen, and the FETCH said so.
    assert!(fetch[head.len() + body.len()..].starts_with(" FLAGS (\\Seen \\Recent))\r\n"));
}

#[tokio::test]
async fn shutdown_says_bye_to_a_client_in_idle_and_lets_a_command_finish() {
    let memory = memory();
    let server = server(&memory);
    let shutdown = Shutdown::new();
    let mut idle = Wire::connect_until(&server, shutdown.signal());
    idle.until("* OK").await;
    idle.ask("l LOGIN fred secret", "l ").await;
    idle.ask("s SELECT INBOX", "s ").await;
    idle.ask("i IDLE", "+ ").await;
    let mut busy = Wire::connect_until(&server, shutdown.signal());
    busy.until("* OK").await;
    busy.ask("l LOGIN fred secret", "l ").await;
    // Half a command when the request comes: it is answered before the goodbye.
    busy.send("n NOO").await;
    tokio::task::yield_now().await;

    shutdown.request();
    assert_eq!(idle.rest().await, "* BYE Server shutting down\r\n");
    busy.send("P\r\n").await;
    assert_eq!(
        busy.rest().await,
        "n OK NOOP completed\r\n* BYE Server shutting down\r\n"
    );
    idle.task.await.unwrap().unwrap();
    busy.task.await.unwrap().unwrap();
}
