"""Python's imaplib against the example mail server's IMAP side, checking exact values."""

import imaplib
import os
import re
import smtplib
import socket
import sys
import time

from mailtrace import below_trace

smtp_port, imap_port, maildir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

deadline = time.time() + 30
while True:
    try:
        socket.create_connection(("127.0.0.1", smtp_port), timeout=1).close()
        socket.create_connection(("127.0.0.1", imap_port), timeout=1).close()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("the server did not start listening")
        time.sleep(0.1)

first = (
    b"From: Alice <alice@example.org>\r\n"
    b"To: Bob <bob@example.org>, carol@example.org\r\n"
    b"Subject: =?utf-8?q?caf=C3=A9?= plans\r\n"
    b"Date: Wed, 1 May 2024 09:30:00 +0200\r\n"
    b"Message-ID: <plans@example.org>\r\n"
    b"\r\n"
    b"Dear Bob,\r\n"
    b".a line with a dot\r\n"
)
second = (
    b"From: carol@example.org\r\n"
    b"Subject: pictures\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=xyz\r\n"
    b"\r\n"
    b"--xyz\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"see attached\r\n"
    b"--xyz\r\n"
    b"Content-Type: image/png; name=a.png\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"iVBORw0KGgo=\r\n"
    b"--xyz--\r\n"
)
with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
    smtp.sendmail("alice@example.org", ["alice@localhost"], first)
    smtp.sendmail("carol@example.org", ["alice@localhost"], second)

imap = imaplib.IMAP4("127.0.0.1", imap_port, timeout=30)
assert "IMAP4REV1" in imap.capabilities, imap.capabilities
for cap in ("UIDPLUS", "IDLE", "LITERAL+"):
    assert cap in imap.capabilities, imap.capabilities
try:
    imap.login("alice", "wrong")
    sys.exit("a wrong password was accepted")
except imaplib.IMAP4.error:
    pass
typ, _ = imap.login("alice", "open sesame")
assert typ == "OK", typ
typ, data = imap.list()
# INBOX, and the special-use folders a new Maildir gets (RFC 6154).
assert sorted(data) == sorted([
    b'(\\HasNoChildren \\Drafts) "/" Drafts',
    b'(\\HasNoChildren) "/" INBOX',
    b'(\\HasNoChildren \\Junk) "/" Junk',
    b'(\\HasNoChildren \\Sent) "/" Sent',
    b'(\\HasNoChildren \\Trash) "/" Trash',
]), data

typ, data = imap.select("INBOX")
assert (typ, data) == ("OK", [b"2"]), (typ, data)
assert imap.untagged_responses.get("RECENT") == [b"2"], imap.untagged_responses
assert len(os.listdir(os.path.join(maildir, "new"))) == 0, "SELECT leaves messages in new/"

typ, data = imap.uid("SEARCH", None, "ALL")
assert data == [b"1 2"], data
typ, data = imap.search(None, "FROM", "carol")
assert data == [b"2"], data

typ, data = imap.fetch("1", "(BODY.PEEK[] FLAGS)")
# Below the sender's Return-Path and the server's Received field.
assert below_trace(
    data[0][1], b"<alice@example.org>", [(None, b"localhost", b"ESMTP")]
) == first, data
assert b"FLAGS (\\Recent)" in data[0][0] or b"FLAGS (\\Recent)" in data[1], data
typ, data = imap.fetch("1", "(ENVELOPE)")
assert data == [
    b'1 (ENVELOPE ("Wed, 1 May 2024 09:30:00 +0200" "=?utf-8?q?caf=C3=A9?= plans" '
    b'(("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) '
    b'(("Alice" NIL "alice" "example.org")) (("Bob" NIL "bob" "example.org")'
    b'(NIL NIL "carol" "example.org")) NIL NIL NIL "<plans@example.org>"))'
], data
typ, data = imap.fetch("2", "(BODYSTRUCTURE)")
assert data == [
    b'2 (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 12 0 NIL NIL NIL NIL)'
    b'("image" "png" ("name" "a.png") NIL NIL "base64" 12 NIL NIL NIL NIL) "mixed" '
    b'("boundary" "xyz") NIL NIL NIL))'
], data
typ, data = imap.fetch("2", "(BODY[2])")
# The CRLF before a boundary belongs to the boundary (RFC 2046 §5.1.1); BODY[] sets \Seen.
assert data == [b'2 (BODY[2] "iVBORw0KGgo=" FLAGS (\\Seen \\Recent))'], data
typ, data = imap.fetch("2", "(FLAGS)")
assert data == [b"2 (FLAGS (\\Seen \\Recent))"], data

typ, data = imap.store("1", "+FLAGS", "(\\Flagged \\Answered)")
assert data == [b"1 (FLAGS (\\Flagged \\Answered \\Recent))"], data
names = sorted(os.listdir(os.path.join(maildir, "cur")))
assert [n.split(":")[1] for n in names] == ["2,FR", "2,S"], names

appended = b"Subject: appended\r\n\r\nfrom imaplib\r\n"
typ, data = imap.append("INBOX", "(\\Seen)", None, appended)
assert typ == "OK" and re.match(rb"\[APPENDUID \d+ 3\]", data[0]), data
typ, data = imap.status("INBOX", "(MESSAGES UNSEEN UIDNEXT)")
assert data == [b"INBOX (MESSAGES 3 UNSEEN 1 UIDNEXT 4)"], data

imap.store("2", "+FLAGS", "(\\Deleted)")
typ, data = imap.expunge()
assert data == [b"2"], data
typ, data = imap.uid("FETCH", "1:*", "(FLAGS)")
assert data == [
    b"1 (UID 1 FLAGS (\\Flagged \\Answered \\Recent))",
    # Appended to the mailbox this session has selected, which is the first to hear of it.
    b"2 (UID 3 FLAGS (\\Seen \\Recent))",
], data
assert len(os.listdir(os.path.join(maildir, "cur"))) == 2
typ, _ = imap.logout()
assert typ == "BYE", typ
print("imaplib: LIST, SELECT, SEARCH, FETCH, STORE, APPEND, STATUS, EXPUNGE as expected")
