//! The store from the outside: the behaviours of mailwire-server's reference store that
//! apply to a Maildir, and what is particular to one (the files Dovecot reads, other
//! processes changing the directory).

use std::path::{Path, PathBuf};
use std::time::Duration;

use mailwire_imap::types::{Flag, MailboxAttribute};
use mailwire_maildir::{Maildir, MaildirStore, MaildirView};
use mailwire_server::store::{Change, Copied, FlagChange, MailboxEntry, MessageMeta, NewMessage};
use mailwire_server::{MailStore, Mailbox, Mailboxes, StoreError};
use tempfile::TempDir;
use tokio::io::AsyncReadExt;

fn maildir() -> (TempDir, Maildir) {
    let home = tempfile::tempdir().unwrap();
    let maildir = Maildir::open(home.path().join("Maildir")).unwrap();
    (home, maildir)
}

fn keyword(name: &str) -> Flag {
    Flag::parse(name).unwrap()
}

async fn append(maildir: &Maildir, name: &str, flags: Vec<Flag>, content: &[u8]) -> u32 {
    let message = NewMessage {
        flags,
        internal_date: None,
        size: u32::try_from(content.len()).unwrap(),
    };
    let placed = maildir
        .append(name, message, &mut &content[..])
        .await
        .unwrap();
    placed.uids[0]
}

async fn body(view: &MaildirView, uid: u32, offset: u64) -> Vec<u8> {
    let mut body = Vec::new();
    let mut content = view.content(uid, offset).await.unwrap().unwrap();
    content.read_to_end(&mut body).await.unwrap();
    body
}

fn names(entries: &[MailboxEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.name.as_str()).collect()
}

fn entry<'a>(entries: &'a [MailboxEntry], name: &str) -> &'a MailboxEntry {
    entries.iter().find(|e| e.name == name).unwrap()
}

fn recents(messages: &[MessageMeta]) -> Vec<(u32, bool)> {
    messages.iter().map(|m| (m.uid, m.recent)).collect()
}

fn appended(changes: &[Change]) -> Vec<(u32, bool)> {
    changes
        .iter()
        .map(|c| match c {
            Change::Appended(meta) => (meta.uid, meta.recent),
            other => panic!("{other:?}"),
        })
        .collect()
}

/// The file names in a directory, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// The one file in a directory.
fn only_file(dir: &Path) -> PathBuf {
    let names = files(dir);
    assert_eq!(names.len(), 1, "{names:?}");
    dir.join(&names[0])
}

fn uidlist_lines(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("dovecot-uidlist"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[tokio::test]
async fn a_new_maildir_has_inbox_and_special_use_mailboxes() {
    let (home, maildir) = maildir();
    let list = maildir.list().await.unwrap();
    let expected = |name: &str, special: Option<MailboxAttribute>| MailboxEntry {
        name: name.into(),
        attributes: [MailboxAttribute::HasNoChildren]
            .into_iter()
            .chain(special)
            .collect(),
        subscribed: true,
    };
    assert_eq!(
        list,
        [
            expected("Drafts", Some(MailboxAttribute::Drafts)),
            expected("INBOX", None),
            expected("Junk", Some(MailboxAttribute::Junk)),
            expected("Sent", Some(MailboxAttribute::Sent)),
            expected("Trash", Some(MailboxAttribute::Trash)),
        ]
    );
    let root = home.path().join("Maildir");
    for dir in ["", ".Sent", ".Drafts", ".Trash", ".Junk"] {
        for sub in ["cur", "new", "tmp"] {
            assert!(root.join(dir).join(sub).is_dir(), "{dir}/{sub}");
        }
    }
    assert!(root.join(".Sent/maildirfolder").is_file());
    assert_eq!(
        std::fs::read_to_string(root.join("subscriptions")).unwrap(),
        "V\t2\n\nDrafts\nINBOX\nJunk\nSent\nTrash\n"
    );
    // Opening it again changes nothing.
    let again = Maildir::open(root).unwrap();
    assert_eq!(again.list().await.unwrap(), list);
}

#[tokio::test]
async fn create_makes_parents_and_refuses_existing_names() {
    let (home, maildir) = maildir();
    maildir.create("a/b/c").await.unwrap();
    maildir.create("x/").await.unwrap();
    let list = maildir.list().await.unwrap();
    assert_eq!(
        names(&list),
        [
            "Drafts", "INBOX", "Junk", "Sent", "Trash", "a", "a/b", "a/b/c", "x"
        ]
    );
    assert_eq!(
        entry(&list, "a").attributes,
        [MailboxAttribute::HasChildren]
    );
    assert!(!entry(&list, "a").subscribed);
    let root = home.path().join("Maildir");
    assert!(root.join(".a.b.c/cur").is_dir());
    assert!(matches!(maildir.create("a/b").await, Err(StoreError::Exists(n)) if n == "a/b"));
    assert!(matches!(maildir.create("inbox").await, Err(StoreError::Exists(n)) if n == "INBOX"));
    for bad in ["a//b", "a.b", "x/.y"] {
        assert!(
            matches!(maildir.create(bad).await, Err(StoreError::BadName(_))),
            "{bad}"
        );
    }
    // INBOX's children live beside it, as Dovecot keeps them.
    maildir.create("INBOX/Sub").await.unwrap();
    assert!(root.join(".INBOX.Sub/cur").is_dir());
    let list = maildir.list().await.unwrap();
    assert_eq!(
        entry(&list, "INBOX").attributes,
        [MailboxAttribute::HasChildren]
    );
}

#[tokio::test]
async fn uids_and_uidvalidity_after_delete_and_create() {
    let (_home, maildir) = maildir();
    maildir.create("Work").await.unwrap();
    let first = maildir.status("Work").await.unwrap();
    assert_eq!(append(&maildir, "Work", vec![], b"1").await, 1);
    assert_eq!(append(&maildir, "Work", vec![], b"2").await, 2);
    let (view, _) = maildir.select("Work", false).await.unwrap();
    assert_eq!(view.expunge(&[2]).await.unwrap(), [2]);
    // UID 2 is not given again.
    let message = NewMessage {
        flags: vec![],
        internal_date: None,
        size: 1,
    };
    let placed = maildir
        .append("Work", message, &mut &b"3"[..])
        .await
        .unwrap();
    assert_eq!(
        (placed.uid_validity, placed.uids),
        (first.uid_validity, vec![3])
    );
    assert_eq!(maildir.status("Work").await.unwrap().uid_next.get(), 4);

    maildir.delete("Work").await.unwrap();
    assert!(matches!(
        maildir.status("Work").await,
        Err(StoreError::NoMailbox(_))
    ));
    maildir.create("Work").await.unwrap();
    let again = maildir.status("Work").await.unwrap();
    assert!(again.uid_validity > first.uid_validity);
    assert_eq!((again.messages, again.uid_next.get()), (0, 1));
    assert_eq!(append(&maildir, "Work", vec![], b"4").await, 1);
}

#[tokio::test]
async fn delete_keeps_a_parent_as_noselect() {
    let (_home, maildir) = maildir();
    maildir.create("a/b").await.unwrap();
    append(&maildir, "a", vec![], b"gone").await;
    assert!(matches!(
        maildir.delete("INBOX").await,
        Err(StoreError::NoPermission)
    ));
    assert!(matches!(
        maildir.delete("nothing").await,
        Err(StoreError::NoMailbox(_))
    ));
    maildir.delete("a").await.unwrap();
    let list = maildir.list().await.unwrap();
    assert_eq!(
        entry(&list, "a").attributes,
        [MailboxAttribute::NoSelect, MailboxAttribute::HasChildren]
    );
    assert!(matches!(
        maildir.select("a", true).await,
        Err(StoreError::NoMailbox(_))
    ));
    assert!(matches!(
        maildir.delete("a").await,
        Err(StoreError::NoPermission)
    ));
    maildir.delete("a/b").await.unwrap();
    assert!(!names(&maildir.list().await.unwrap()).contains(&"a"));
}

#[tokio::test]
async fn rename_moves_children_with_their_uids() {
    let (home, maildir) = maildir();
    maildir.create("a/b").await.unwrap();
    append(&maildir, "a/b", vec![Flag::Seen], b"kept").await;
    let before = maildir.status("a/b").await.unwrap();
    maildir.rename("a", "x/y").await.unwrap();
    let list = maildir.list().await.unwrap();
    assert_eq!(
        names(&list),
        [
            "Drafts", "INBOX", "Junk", "Sent", "Trash", "x", "x/y", "x/y/b"
        ]
    );
    assert_eq!(maildir.status("x/y/b").await.unwrap(), before);
    assert!(home.path().join("Maildir/.x.y.b/cur").is_dir());
    assert!(matches!(
        maildir.rename("nothing", "z").await,
        Err(StoreError::NoMailbox(_))
    ));
    assert!(matches!(
        maildir.rename("x", "Sent").await,
        Err(StoreError::Exists(_))
    ));
    assert!(matches!(
        maildir.rename("x", "x/z").await,
        Err(StoreError::BadName(_))
    ));
}

#[tokio::test]
async fn rename_inbox_moves_its_messages_and_leaves_it_empty() {
    let (_home, maildir) = maildir();
    append(
        &maildir,
        "INBOX",
        vec![Flag::Seen, keyword("$Work")],
        b"one\r\n",
    )
    .await;
    append(&maildir, "INBOX", vec![], b"two\n").await;
    let inbox = maildir.status("INBOX").await.unwrap();

    maildir.rename("inbox", "Old/Inbox").await.unwrap();
    let old = maildir.status("Old/Inbox").await.unwrap();
    assert_eq!(
        (old.messages, old.unseen, old.recent, old.uid_next.get()),
        (2, 1, 2, 3)
    );
    let now = maildir.status("INBOX").await.unwrap();
    assert_eq!(
        (now.messages, now.uid_next, now.uid_validity),
        (0, inbox.uid_next, inbox.uid_validity)
    );
    let (view, snapshot) = maildir.select("Old/Inbox", true).await.unwrap();
    let flags: Vec<_> = snapshot
        .messages
        .iter()
        .map(|m| (m.uid, m.flags.clone()))
        .collect();
    assert_eq!(
        flags,
        [(1, vec![Flag::Seen, keyword("$Work")]), (2, vec![])]
    );
    assert_eq!(body(&view, 2, 0).await, b"two\r\n");
    assert_eq!(append(&maildir, "INBOX", vec![], b"three").await, 3);
}

#[tokio::test]
async fn subscriptions_outlive_mailboxes() {
    let (home, maildir) = maildir();
    maildir.subscribe("Later/On", true).await.unwrap();
    maildir.subscribe("Trash", false).await.unwrap();
    let list = maildir.list().await.unwrap();
    assert_eq!(
        entry(&list, "Later/On"),
        &MailboxEntry {
            name: "Later/On".into(),
            attributes: vec![MailboxAttribute::NonExistent],
            subscribed: true,
        }
    );
    assert!(!entry(&list, "Trash").subscribed);
    assert_eq!(
        std::fs::read_to_string(home.path().join("Maildir/subscriptions")).unwrap(),
        "V\t2\n\nDrafts\nINBOX\nJunk\nLater\tOn\nSent\n"
    );
    maildir.create("Later/On").await.unwrap();
    let list = maildir.list().await.unwrap();
    assert_eq!(
        entry(&list, "Later/On").attributes,
        [MailboxAttribute::HasNoChildren]
    );
    assert!(entry(&list, "Later/On").subscribed);
}

#[tokio::test]
async fn append_writes_dovecot_names_and_serves_crlf() {
    let (home, maildir) = maildir();
    let root = home.path().join("Maildir");
    let uid = append(
        &maildir,
        "INBOX",
        vec![
            keyword("\\Recent"),
            keyword("$Work"),
            Flag::Seen,
            keyword("$work"),
        ],
        b"a\nb\n",
    )
    .await;
    assert_eq!(uid, 1);
    let file = only_file(&root.join("cur"));
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(name.ends_with(",S=4,W=6:2,Sa"), "{name}");
    assert!(files(&root.join("new")).is_empty());
    assert!(files(&root.join("tmp")).is_empty());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::read_to_string(root.join("dovecot-keywords")).unwrap(),
        "0 $Work\n"
    );
    // The file holds what was given; it is served with CRLF.
    assert_eq!(std::fs::read(&file).unwrap(), b"a\nb\n");
    let (view, snapshot) = maildir.select("INBOX", true).await.unwrap();
    let meta = &snapshot.messages[0];
    assert_eq!(
        (meta.size, meta.flags.as_slice()),
        (6, &[Flag::Seen, keyword("$Work")][..])
    );
    assert_eq!(snapshot.keywords, [keyword("$Work")]);
    assert!(snapshot.keywords_allowed);
    assert_eq!(body(&view, 1, 0).await, b"a\r\nb\r\n");
    assert_eq!(body(&view, 1, 3).await, b"b\r\n");
    assert_eq!(body(&view, 1, 99).await, b"");
    assert!(view.content(7, 0).await.unwrap().is_none());
    assert_eq!(
        uidlist_lines(&root)[1],
        format!("1 :{}", name.split(':').next().unwrap())
    );

    // Without flags, into new/.
    append(&maildir, "INBOX", vec![], b"x").await;
    assert_eq!(files(&root.join("new")).len(), 1);

    let message = |size| NewMessage {
        flags: vec![],
        internal_date: None,
        size,
    };
    let short = maildir.append("INBOX", message(5), &mut &b"abc"[..]).await;
    assert!(matches!(short, Err(StoreError::Failed(_))));
    assert!(files(&root.join("tmp")).is_empty());
    let missing = maildir.append("Nowhere", message(1), &mut &b"x"[..]).await;
    assert!(matches!(missing, Err(StoreError::NoMailbox(n)) if n == "Nowhere"));
    assert_eq!(maildir.status("INBOX").await.unwrap().messages, 2);
}

#[tokio::test]
async fn append_keeps_the_internal_date_as_the_file_time() {
    use mailwire_imap::types::{Date, DateTime};
    let (home, maildir) = maildir();
    let date = DateTime::new(Date::new(2023, 11, 15).unwrap(), 0, 13, 20, 120).unwrap();
    let message = NewMessage {
        flags: vec![],
        internal_date: Some(date),
        size: 2,
    };
    maildir
        .append("INBOX", message, &mut &b"hi"[..])
        .await
        .unwrap();
    let file = only_file(&home.path().join("Maildir/new"));
    let modified = std::fs::metadata(file).unwrap().modified().unwrap();
    assert_eq!(
        modified
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        1_700_000_000
    );
    let (_view, snapshot) = maildir.select("INBOX", true).await.unwrap();
    let internal = snapshot.messages[0].internal_date;
    assert_eq!(
        (
            internal.date().day(),
            internal.time(),
            internal.zone_minutes()
        ),
        (14, (22, 13, 20), 0)
    );
}

#[tokio::test]
async fn status_counts() {
    let (_home, maildir) = maildir();
    append(&maildir, "INBOX", vec![Flag::Seen], b"1").await;
    append(&maildir, "INBOX", vec![], b"2").await;
    append(&maildir, "INBOX", vec![], b"3").await;
    let status = maildir.status("INBOX").await.unwrap();
    assert_eq!(
        (
            status.messages,
            status.recent,
            status.unseen,
            status.uid_next.get()
        ),
        (3, 3, 2, 4)
    );
    let _examined = maildir.select("INBOX", true).await.unwrap();
    assert_eq!(maildir.status("INBOX").await.unwrap().recent, 3);
    let _selected = maildir.select("INBOX", false).await.unwrap();
    assert_eq!(maildir.status("INBOX").await.unwrap().recent, 0);
}

#[tokio::test]
async fn recent_is_given_to_one_view_only() {
    let (_home, maildir) = maildir();
    append(&maildir, "INBOX", vec![], b"1").await;
    append(&maildir, "INBOX", vec![], b"2").await;

    let (_examine, snapshot) = maildir.select("INBOX", true).await.unwrap();
    assert_eq!(recents(&snapshot.messages), [(1, true), (2, true)]);
    let (mut first, snapshot) = maildir.select("INBOX", false).await.unwrap();
    assert_eq!(recents(&snapshot.messages), [(1, true), (2, true)]);
    let (mut second, snapshot) = maildir.select("INBOX", false).await.unwrap();
    assert_eq!(recents(&snapshot.messages), [(1, false), (2, false)]);

    append(&maildir, "INBOX", vec![], b"3").await;
    let (mut examine, _) = maildir.select("INBOX", true).await.unwrap();
    append(&maildir, "INBOX", vec![], b"4").await;
    assert_eq!(appended(&examine.changes().await.unwrap()), [(4, true)]);
    assert_eq!(
        appended(&second.changes().await.unwrap()),
        [(3, true), (4, true)]
    );
    assert_eq!(
        appended(&first.changes().await.unwrap()),
        [(3, false), (4, false)]
    );
    let (_third, snapshot) = maildir.select("INBOX", false).await.unwrap();
    assert_eq!(
        recents(&snapshot.messages),
        [(1, false), (2, false), (3, false), (4, false)]
    );
}

#[tokio::test]
async fn flag_changes_apply_to_the_stored_flags() {
    let (home, maildir) = maildir();
    let uid = append(&maildir, "INBOX", vec![Flag::Seen, keyword("$Work")], b"1").await;
    let other = append(&maildir, "INBOX", vec![], b"2").await;
    let (mut view, _) = maildir.select("INBOX", false).await.unwrap();

    let added = view
        .set_flags(
            &[uid, 99],
            FlagChange::Add(vec![Flag::Flagged, Flag::Seen, keyword("\\Recent")]),
        )
        .await
        .unwrap();
    assert_eq!(
        added,
        [(uid, vec![Flag::Flagged, Flag::Seen, keyword("$Work")])]
    );
    let removed = view
        .set_flags(
            &[uid, other],
            FlagChange::Remove(vec![Flag::Seen, keyword("$WORK")]),
        )
        .await
        .unwrap();
    assert_eq!(removed, [(uid, vec![Flag::Flagged]), (other, vec![])]);
    let replaced = view
        .set_flags(
            &[other],
            FlagChange::Replace(vec![keyword("$Later"), Flag::Draft, keyword("$Forwarded")]),
        )
        .await
        .unwrap();
    assert_eq!(
        replaced,
        [(
            other,
            vec![Flag::Draft, keyword("$Later"), keyword("$Forwarded")]
        )]
    );
    let cur = files(&home.path().join("Maildir/cur"));
    assert!(cur[0].ends_with(":2,F"), "{cur:?}");
    // `$Forwarded` is a keyword letter, as Dovecot stores it, not Maildir's `P`.
    assert!(cur[1].ends_with(":2,Dbc"), "{cur:?}");

    assert_eq!(
        view.changes().await.unwrap(),
        [
            Change::Flags {
                uid,
                flags: vec![Flag::Flagged]
            },
            Change::Flags {
                uid: other,
                flags: vec![Flag::Draft, keyword("$Later"), keyword("$Forwarded")]
            },
        ]
    );

    let (mut examine, snapshot) = maildir.select("INBOX", true).await.unwrap();
    assert_eq!(
        snapshot.keywords,
        [keyword("$Work"), keyword("$Later"), keyword("$Forwarded")]
    );
    assert!(matches!(
        examine
            .set_flags(&[uid], FlagChange::Add(vec![Flag::Seen]))
            .await,
        Err(StoreError::NoPermission)
    ));
    assert!(matches!(
        examine.expunge(&[uid]).await,
        Err(StoreError::NoPermission)
    ));
    assert_eq!(examine.changes().await.unwrap(), []);
}

#[tokio::test]
async fn a_flag_change_follows_a_file_another_process_renamed() {
    let (home, maildir) = maildir();
    let cur = home.path().join("Maildir/cur");
    let uid = append(&maildir, "INBOX", vec![Flag::Seen], b"hello\n").await;
    let (mut view, _) = maildir.select("INBOX", false).await.unwrap();

    // Between the view's listing and its change, another process flags the message.
    let listed = only_file(&cur);
    let name = listed.file_name().unwrap().to_str().unwrap().to_owned();
    let base = name.strip_suffix(":2,S").unwrap();
    std::fs::rename(&listed, cur.join(format!("{base}:2,FS"))).unwrap();

    let stored = view
        .set_flags(&[uid], FlagChange::Add(vec![Flag::Answered]))
        .await
        .unwrap();
    let expected = vec![Flag::Flagged, Flag::Answered, Flag::Seen];
    assert_eq!(stored, [(uid, expected.clone())]);
    assert_eq!(files(&cur), [format!("{base}:2,FRS")]);
    assert_eq!(
        view.changes().await.unwrap(),
        [Change::Flags {
            uid,
            flags: expected
        }]
    );

    // Moved again: content and expunge find it too.
    std::fs::rename(
        cur.join(format!("{base}:2,FRS")),
        cur.join(format!("{base}:2,R")),
    )
    .unwrap();
    assert_eq!(body(&view, uid, 0).await, b"hello\r\n");
    assert_eq!(view.expunge(&[uid]).await.unwrap(), [uid]);
    assert!(files(&cur).is_empty());
}

#[tokio::test]
async fn copy_and_move_place_messages_in_source_order() {
    let (home, maildir) = maildir();
    let flagged = append(
        &maildir,
        "INBOX",
        vec![Flag::Flagged, keyword("$Work")],
        b"f",
    )
    .await;
    let plain = append(&maildir, "INBOX", vec![], b"hi\n").await;
    // The target names its keywords in its own order.
    append(&maildir, "Trash", vec![keyword("$Other")], b"t").await;
    let trash = maildir.status("Trash").await.unwrap().uid_validity;
    let (mut source, _) = maildir.select("INBOX", false).await.unwrap();
    let (mut target, _) = maildir.select("Trash", false).await.unwrap();

    let placed = source
        .copy(&[plain, 99, flagged, plain], "Trash", false)
        .await
        .unwrap();
    assert_eq!(
        placed,
        Copied {
            uid_validity: trash,
            uids: vec![(plain, 2), (flagged, 3)]
        }
    );
    let placed = source.copy(&[flagged, plain], "Trash", true).await.unwrap();
    assert_eq!(
        placed,
        Copied {
            uid_validity: trash,
            uids: vec![(flagged, 4), (plain, 5)]
        }
    );
    assert_eq!(
        source.changes().await.unwrap(),
        [
            Change::Expunged { uid: flagged },
            Change::Expunged { uid: plain }
        ]
    );
    let changes = target.changes().await.unwrap();
    let flags: Vec<_> = changes
        .iter()
        .map(|c| match c {
            Change::Appended(meta) => (meta.uid, meta.recent, meta.flags.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    let work = vec![Flag::Flagged, keyword("$Work")];
    assert_eq!(
        flags,
        [
            (2, true, vec![]),
            (3, true, work.clone()),
            (4, true, work),
            (5, true, vec![])
        ]
    );
    assert_eq!(body(&target, 5, 0).await, b"hi\r\n");
    assert_eq!(
        std::fs::read_to_string(home.path().join("Maildir/.Trash/dovecot-keywords")).unwrap(),
        "0 $Other\n1 $Work\n"
    );
    assert_eq!(maildir.status("INBOX").await.unwrap().messages, 0);

    let missing = source.copy(&[1], "Nowhere", false).await;
    assert!(matches!(missing, Err(StoreError::NoMailbox(n)) if n == "Nowhere"));
    let (examine, _) = maildir.select("Trash", true).await.unwrap();
    assert_eq!(
        examine.copy(&[2], "INBOX", false).await.unwrap().uids,
        [(2, 3)]
    );
    assert!(matches!(
        examine.copy(&[2], "INBOX", true).await,
        Err(StoreError::NoPermission)
    ));
}

#[tokio::test]
async fn expunge_returns_what_it_removed() {
    let (_home, maildir) = maildir();
    for n in 0..3 {
        append(&maildir, "INBOX", vec![], format!("{n}").as_bytes()).await;
    }
    let (mut view, _) = maildir.select("INBOX", false).await.unwrap();
    assert_eq!(view.expunge(&[3, 7, 1, 3]).await.unwrap(), [3, 1]);
    assert_eq!(view.expunge(&[1]).await.unwrap(), []);
    assert_eq!(
        view.changes().await.unwrap(),
        [Change::Expunged { uid: 1 }, Change::Expunged { uid: 3 }]
    );
    assert!(view.content(1, 0).await.unwrap().is_none());
    assert_eq!(body(&view, 2, 0).await, b"1");
}

#[tokio::test(start_paused = true)]
async fn a_deleted_or_renamed_mailbox_is_gone() {
    let (_home, maildir) = maildir();
    maildir.create("a").await.unwrap();
    maildir.create("b/c").await.unwrap();
    maildir.create("d").await.unwrap();
    let (mut deleted, _) = maildir.select("a", false).await.unwrap();
    let (mut renamed, _) = maildir.select("b/c", true).await.unwrap();
    let (recreated, _) = maildir.select("d", false).await.unwrap();

    let waiter = tokio::spawn(async move { deleted.wait_changes().await });
    tokio::task::yield_now().await;
    maildir.delete("a").await.unwrap();
    let woken = tokio::time::timeout(Duration::from_secs(60), waiter)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(woken, Err(StoreError::Gone)));

    maildir.rename("b", "e").await.unwrap();
    assert!(matches!(renamed.changes().await, Err(StoreError::Gone)));
    assert!(matches!(renamed.content(1, 0).await, Err(StoreError::Gone)));

    maildir.delete("d").await.unwrap();
    maildir.create("d").await.unwrap();
    assert!(matches!(
        recreated.content(1, 0).await,
        Err(StoreError::Gone)
    ));
    assert!(matches!(
        recreated.expunge(&[1]).await,
        Err(StoreError::Gone)
    ));
}

/// Two `Maildir` handles on one directory stand for two processes: nothing in memory is
/// shared, and each learns of the other's deliveries by rescanning.
#[tokio::test(start_paused = true)]
async fn another_process_delivery_wakes_a_waiting_view() {
    let (home, ours) = maildir();
    let theirs = Maildir::open(home.path().join("Maildir")).unwrap();
    let (mut view, snapshot) = ours.select("INBOX", false).await.unwrap();
    assert!(snapshot.messages.is_empty());

    let waiter = tokio::spawn(async move {
        let changes = view.wait_changes().await;
        (view, changes)
    });
    tokio::task::yield_now().await;
    theirs
        .deliver(&mut &b"Subject: x\n\nbody\n"[..], 17)
        .await
        .unwrap();
    let (mut view, changes) = tokio::time::timeout(Duration::from_secs(60), waiter)
        .await
        .expect("the delivery is seen")
        .unwrap();
    let changes = changes.unwrap();
    let [Change::Appended(meta)] = changes.as_slice() else {
        panic!("{changes:?}")
    };
    assert_eq!((meta.uid, meta.size, meta.recent), (1, 20, true));

    // Their flag change reaches us, ours reaches them.
    let (mut their_view, snapshot) = theirs.select("INBOX", false).await.unwrap();
    assert_eq!(recents(&snapshot.messages), [(1, false)]);
    their_view
        .set_flags(&[1], FlagChange::Add(vec![Flag::Seen]))
        .await
        .unwrap();
    let changes = tokio::time::timeout(Duration::from_secs(60), view.wait_changes())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        changes,
        [Change::Flags {
            uid: 1,
            flags: vec![Flag::Seen]
        }]
    );
    assert_eq!(
        their_view.changes().await.unwrap(),
        [Change::Flags {
            uid: 1,
            flags: vec![Flag::Seen]
        }]
    );
    view.expunge(&[1]).await.unwrap();
    let changes = tokio::time::timeout(Duration::from_secs(60), their_view.wait_changes())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changes, [Change::Expunged { uid: 1 }]);
}

#[tokio::test(start_paused = true)]
async fn wait_changes_loses_nothing_when_cancelled() {
    let (_home, maildir) = maildir();
    let (mut view, _) = maildir.select("INBOX", false).await.unwrap();
    let timed_out = tokio::time::timeout(Duration::from_secs(5), view.wait_changes()).await;
    assert!(timed_out.is_err());
    append(&maildir, "INBOX", vec![], b"x").await;
    let changes = tokio::time::timeout(Duration::from_secs(60), view.wait_changes())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(appended(&changes), [(1, true)]);
}

#[tokio::test]
async fn a_file_with_bare_lf_is_served_as_crlf_with_its_crlf_size() {
    let (home, maildir) = maildir();
    let root = home.path().join("Maildir");
    // Written by another program: no sizes in the name, bare LF line ends.
    std::fs::write(
        root.join("cur/1700000000.M1P1.elsewhere:2,S"),
        "Subject: a\n\nline\r\nlast\n",
    )
    .unwrap();
    let (view, snapshot) = maildir.select("INBOX", false).await.unwrap();
    let meta = &snapshot.messages[0];
    assert_eq!(
        (meta.uid, meta.size, meta.flags.as_slice()),
        (1, 26, &[Flag::Seen][..])
    );
    let served = body(&view, 1, 0).await;
    assert_eq!(served, b"Subject: a\r\n\r\nline\r\nlast\r\n");
    assert_eq!(served.len(), 26);
    assert_eq!(body(&view, 1, 12).await, b"\r\nline\r\nlast\r\n");
}

/// A Maildir that Dovecot wrote: its UIDs, UIDVALIDITY, UIDNEXT and keywords are kept,
/// and messages added later continue from its UIDNEXT.
#[tokio::test]
async fn a_dovecot_uidlist_and_keywords_are_kept() {
    let (home, maildir) = maildir();
    let dir = home.path().join("Maildir/.Work");
    std::fs::create_dir_all(dir.join("cur")).unwrap();
    std::fs::create_dir_all(dir.join("new")).unwrap();
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    std::fs::write(
        dir.join("dovecot-uidlist"),
        "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n\
         25006 :1276528487.M364837P9451.kurkku,S=4,W=5\n\
         25017 W6 :1276533073.M242911P3632.kurkku,S=5,W=6\n",
    )
    .unwrap();
    std::fs::write(dir.join("dovecot-keywords"), "0 $Junk\n1 Personal\n").unwrap();
    std::fs::write(
        dir.join("cur/1276528487.M364837P9451.kurkku,S=4,W=5:2,RSb"),
        "one\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("new/1276533073.M242911P3632.kurkku,S=5,W=6"),
        "two\n\n",
    )
    .unwrap();

    let status = maildir.status("Work").await.unwrap();
    assert_eq!(
        (
            status.uid_validity.get(),
            status.uid_next.get(),
            status.messages,
            status.recent
        ),
        (1_275_660_208, 25_022, 2, 2)
    );
    let (_view, snapshot) = maildir.select("Work", false).await.unwrap();
    let seen: Vec<_> = snapshot
        .messages
        .iter()
        .map(|m| (m.uid, m.flags.clone(), m.size, m.recent))
        .collect();
    assert_eq!(
        seen,
        [
            (
                25_006,
                vec![Flag::Answered, Flag::Seen, keyword("Personal")],
                5,
                true
            ),
            (25_017, vec![], 6, true)
        ]
    );
    assert_eq!(snapshot.keywords, [keyword("$Junk"), keyword("Personal")]);
    // Taken by that read-write view: Dovecot keeps this in its index, mailwire in a file.
    assert_eq!(
        std::fs::read_to_string(dir.join("mailwire-recent")).unwrap(),
        "25022\n"
    );
    assert_eq!(maildir.status("Work").await.unwrap().recent, 0);
    assert_eq!(append(&maildir, "Work", vec![], b"three").await, 25_022);
    let lines = uidlist_lines(&dir);
    assert_eq!(
        lines[0],
        "3 V1275660208 N25023 G3085f01b7f11094c501100008c4a11c1"
    );
    assert_eq!(lines[1], "25006 :1276528487.M364837P9451.kurkku,S=4,W=5");
    assert_eq!(lines[2], "25017 W6 :1276533073.M242911P3632.kurkku,S=5,W=6");
    assert!(lines[3].starts_with("25022 :"), "{lines:?}");
}

/// Threads of two "processes" appending at once: every message gets its own UID, and
/// the uidlist lists them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_get_distinct_uids() {
    let (home, first) = maildir();
    let second = Maildir::open(home.path().join("Maildir")).unwrap();
    let mut tasks = Vec::new();
    for n in 0..20_u32 {
        let maildir = if n % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            let content = format!("message {n:02}\n");
            append(&maildir, "INBOX", vec![], content.as_bytes()).await
        }));
    }
    let mut uids = Vec::new();
    for task in tasks {
        uids.push(task.await.unwrap());
    }
    uids.sort_unstable();
    assert_eq!(uids, (1..=20).collect::<Vec<_>>());
    let lines = uidlist_lines(&home.path().join("Maildir"));
    assert_eq!(lines.len(), 21);
    let (_view, snapshot) = first.select("INBOX", true).await.unwrap();
    assert_eq!(snapshot.messages.len(), 20);
    assert_eq!(snapshot.uid_next.get(), 21);
}

#[tokio::test]
async fn the_store_gives_each_user_a_maildir() {
    let root = tempfile::tempdir().unwrap();
    let store = MaildirStore::new(root.path().to_owned());
    let fred = store.open("fred").await.unwrap();
    append(&fred, "INBOX", vec![], b"for fred").await;
    assert!(root.path().join("fred/Maildir/new").is_dir());
    assert_eq!(files(&root.path().join("fred/Maildir/new")).len(), 1);
    let again = store.open("fred").await.unwrap();
    assert_eq!(again.status("INBOX").await.unwrap().messages, 1);
    for bad in ["", ".", "..", "a/b"] {
        assert!(
            matches!(store.open(bad).await, Err(StoreError::NoPermission)),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn a_mailbox_holds_26_keywords() {
    let (_home, maildir) = maildir();
    let uid = append(&maildir, "INBOX", vec![], b"x").await;
    let (view, _) = maildir.select("INBOX", false).await.unwrap();
    let many: Vec<Flag> = (0..26).map(|n| keyword(&format!("k{n}"))).collect();
    let stored = view.set_flags(&[uid], FlagChange::Add(many)).await.unwrap();
    assert_eq!(stored[0].1.len(), 26);
    let (_, snapshot) = maildir.select("INBOX", true).await.unwrap();
    assert!(!snapshot.keywords_allowed);
    let refused = view
        .set_flags(&[uid], FlagChange::Add(vec![keyword("k26")]))
        .await;
    assert!(matches!(refused, Err(StoreError::Limit(_))), "{refused:?}");
    // Flags without new keywords still change.
    let stored = view
        .set_flags(&[uid], FlagChange::Replace(vec![Flag::Seen, keyword("k3")]))
        .await
        .unwrap();
    assert_eq!(stored, [(uid, vec![Flag::Seen, keyword("k3")])]);
}

#[tokio::test]
async fn a_copy_keeps_the_internal_date() {
    use mailwire_imap::types::{Date, DateTime};
    let (_home, maildir) = maildir();
    let date = DateTime::new(Date::new(2020, 2, 29).unwrap(), 12, 0, 0, 0).unwrap();
    let message = NewMessage {
        flags: vec![Flag::Seen],
        internal_date: Some(date),
        size: 2,
    };
    maildir
        .append("INBOX", message, &mut &b"hi"[..])
        .await
        .unwrap();
    let (view, _) = maildir.select("INBOX", false).await.unwrap();
    assert_eq!(
        view.copy(&[1], "Trash", false).await.unwrap().uids,
        [(1, 1)]
    );
    let (_trash, snapshot) = maildir.select("Trash", true).await.unwrap();
    let meta = &snapshot.messages[0];
    assert_eq!(
        (meta.internal_date, meta.flags.as_slice(), meta.recent),
        (date, &[Flag::Seen][..], true)
    );
}

/// Another process re-flags messages over and over while a view keeps rescanning: the
/// view sees flag changes, never a message expunged or appended again. (Where a file
/// system's directory listing can miss a file renamed while it is read, this also
/// exercises the second listing made before a message counts as gone.)
#[tokio::test]
async fn messages_being_renamed_are_never_reported_expunged() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let (home, maildir) = maildir();
    for n in 0..20 {
        append(
            &maildir,
            "INBOX",
            vec![Flag::Seen],
            format!("{n}").as_bytes(),
        )
        .await;
    }
    let (mut view, _) = maildir.select("INBOX", false).await.unwrap();
    let cur = home.path().join("Maildir/cur");
    let stop = Arc::new(AtomicBool::new(false));
    let renamer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut renames = 0_u32;
            while !stop.load(Ordering::Relaxed) {
                for name in files(&cur) {
                    let (base, flags) = name.split_once(":2,").unwrap();
                    let flags = if flags == "S" { "FS" } else { "S" };
                    if std::fs::rename(cur.join(&name), cur.join(format!("{base}:2,{flags}")))
                        .is_ok()
                    {
                        renames += 1;
                    }
                }
            }
            renames
        })
    };
    let mut flag_changes = 0;
    for _ in 0..300 {
        for change in view.changes().await.unwrap() {
            match change {
                Change::Flags { .. } => flag_changes += 1,
                other => panic!("{other:?}"),
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    assert!(renamer.join().unwrap() > 0);
    assert!(flag_changes > 0);
    assert_eq!(maildir.status("INBOX").await.unwrap().messages, 20);
}

/// A mailbox whose uidlist another process keeps locked keeps waiting the operations on
/// it, and only those: on a runtime of one thread, the other mailboxes are served
/// meanwhile, since the waiting happens on the blocking pool.
#[tokio::test(flavor = "current_thread")]
async fn a_held_uidlist_lock_stalls_only_its_mailbox() {
    let (_home, maildir) = maildir();
    let inbox = maildir.root().to_owned();
    maildir
        .deliver(&mut &b"Subject: waiting\r\n\r\nx\r\n"[..], 23)
        .await
        .unwrap();
    // Another process holds INBOX's uidlist, which the new message needs for its UID.
    let lock = inbox.join("dovecot-uidlist.lock");
    std::fs::write(&lock, b"").unwrap();
    let waiting = tokio::spawn({
        let maildir = maildir.clone();
        async move { maildir.select("INBOX", false).await.map(|(_, s)| s) }
    });
    tokio::task::yield_now().await;

    let status = maildir.status("Sent").await.unwrap();
    assert_eq!(status.messages, 0);
    let listed = maildir.list().await.unwrap().len();
    assert_eq!(listed, 5);
    assert!(
        !waiting.is_finished(),
        "INBOX was selected under another's lock"
    );

    std::fs::remove_file(&lock).unwrap();
    let snapshot = waiting.await.unwrap().unwrap();
    assert_eq!(snapshot.messages.len(), 1);
    assert_eq!(snapshot.messages[0].uid, 1);
}

/// A change made in this process is reported by the next call, at once: the scan does
/// not wait for the blocking pool when it need not wait for a lock.
#[tokio::test]
async fn a_change_of_this_process_is_reported_within_one_poll() {
    let (_home, maildir) = maildir();
    let (mut view, _) = maildir.select("INBOX", false).await.unwrap();
    maildir
        .deliver(&mut &b"Subject: now\r\n\r\nx\r\n"[..], 19)
        .await
        .unwrap();
    let changes = tokio::time::timeout(Duration::ZERO, view.changes())
        .await
        .expect("the scan ran within one poll")
        .unwrap();
    let [Change::Appended(meta)] = changes.as_slice() else {
        panic!("{changes:?}")
    };
    assert_eq!(meta.uid, 1);
}

/// A scan that must wait for a lock goes to the blocking pool; when its caller goes away
/// meanwhile, what it finds is reported to the next caller.
#[tokio::test]
async fn changes_found_for_a_dropped_call_are_reported_next() {
    let (_home, maildir) = maildir();
    let (mut view, _) = maildir.select("INBOX", false).await.unwrap();
    maildir
        .deliver(&mut &b"Subject: once\r\n\r\nx\r\n"[..], 20)
        .await
        .unwrap();
    // The new message needs a UID, and another process holds the uidlist.
    let lock = maildir.root().join("dovecot-uidlist.lock");
    std::fs::write(&lock, b"").unwrap();
    let dropped = tokio::time::timeout(Duration::ZERO, view.changes()).await;
    assert!(dropped.is_err(), "the scan did not wait for the lock");
    std::fs::remove_file(&lock).unwrap();
    let changes = view.changes().await.unwrap();
    let [Change::Appended(meta)] = changes.as_slice() else {
        panic!("{changes:?}")
    };
    assert_eq!(meta.uid, 1);
    assert!(view.changes().await.unwrap().is_empty());
}
