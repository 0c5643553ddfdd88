"""Python's smtplib and poplib against the example mail server, checking exact bytes."""

import os
import poplib
import smtplib
import socket
import sys
import time

from mailtrace import split_trace

smtp_port, pop3_port, maildir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

deadline = time.time() + 30
while True:
    try:
        socket.create_connection(("127.0.0.1", smtp_port), timeout=1).close()
        socket.create_connection(("127.0.0.1", pop3_port), timeout=1).close()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("the server did not start listening")
        time.sleep(0.1)

lines = [
    b"From: Alice <alice@example.org>",
    b"To: Bob <bob@example.org>",
    b"Subject: interop",
    b"",
    b"Hello Bob,",
    b".this line starts with a dot",
    b"..and this one with two",
    b".",
    b"caf\xc3\xa9 in 8-bit",
] + [b"line %05d of a longer body" % i for i in range(2000)]
message = b"\r\n".join(lines) + b"\r\n"

with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
    code, _ = smtp.ehlo("client.example.org")
    assert code == 250, code
    for feature in ("pipelining", "8bitmime", "size", "enhancedstatuscodes"):
        assert smtp.has_extn(feature), f"EHLO does not offer {feature}: {smtp.esmtp_features}"
    # Two recipients, one account (postmaster@ reaches the domain's first account): one copy.
    refused = smtp.sendmail(
        "bob@example.org", ["alice@localhost", "postmaster@localhost"], message,
        mail_options=["BODY=8BITMIME"],
    )
    assert refused == {}, refused
    code, text = smtp.noop()
    assert code == 250, (code, text)
    # A second message, on the same connection, after RSET.
    smtp.rset()
    smtp.sendmail("<>", ["Alice@LocalHost"], b"Subject: second\r\n\r\nshort\r\n")
    # Only local accounts get mail: an unknown local user, and another domain (no relaying).
    code, text = smtp.docmd("MAIL FROM:<bob@example.org>")
    assert code == 250, (code, text)
    code, text = smtp.docmd("RCPT TO:<bob@localhost>")
    assert (code, text) == (550, b"5.1.1 no such user here"), (code, text)
    code, text = smtp.docmd("RCPT TO:<carol@example.org>")
    assert (code, text) == (550, b"5.7.1 relaying denied"), (code, text)
    smtp.rset()
    # A message over the size limit is refused by the client's SIZE check or the server.
    code, text = smtp.docmd("MAIL FROM:<a@example.org> SIZE=99999999999")
    assert code == 552, (code, text)

stored = sorted(os.listdir(os.path.join(maildir, "new")))
assert len(stored) == 2, stored
# Final delivery: the sender's Return-Path and the server's Received field, then the
# message byte for byte.
received = [(b"client.example.org", b"localhost", b"ESMTP")]
with open(os.path.join(maildir, "new", stored[0]), "rb") as f:
    trace, body = split_trace(f.read(), b"<bob@example.org>", received)
    assert body == message, "the stored message differs from what smtplib sent"
with open(os.path.join(maildir, "new", stored[1]), "rb") as f:
    trace2, body2 = split_trace(f.read(), b"<>", received)
    assert body2 == b"Subject: second\r\n\r\nshort\r\n", body2
print("smtplib: 2 messages delivered, stored byte for byte below Return-Path and Received;"
      " 550 5.1.1 and 5.7.1 refusals")

pop = poplib.POP3("127.0.0.1", pop3_port, timeout=30)
assert pop.getwelcome().startswith(b"+OK"), pop.getwelcome()
capa = pop.capa()
assert "UIDL" in capa and "TOP" in capa and "USER" in capa, capa
pop.user("alice")
try:
    pop.pass_("wrong")
    sys.exit("a wrong password was accepted")
except poplib.error_proto:
    pass
pop.close()

pop = poplib.POP3("127.0.0.1", pop3_port, timeout=30)
pop.user("alice")
pop.pass_("open sesame")
count, size = pop.stat()
assert count == 2, count
assert size == len(trace + message) + len(trace2 + b"Subject: second\r\n\r\nshort\r\n"), size
_, listing, _ = pop.list()
assert listing[0] == b"1 %d" % len(trace + message), listing
_, uids, _ = pop.uidl()
# Unique-ids as Dovecot forms them: the UID and the UIDVALIDITY in hexadecimal.
unique_ids = [u.split()[1].decode() for u in uids]
assert [u.split()[0] for u in uids] == [b"1", b"2"], uids
assert len(set(unique_ids)) == 2 and all(
    len(u) == 16 and int(u, 16) >= 0 for u in unique_ids
), uids
_, got, octets = pop.retr(1)
assert b"\r\n".join(got) + b"\r\n" == trace + message, "RETR differs from the message"
_, top, _ = pop.top(1, 2)
trace_lines = trace.split(b"\r\n")[:-1]
assert top == trace_lines + lines[:4] + lines[4:6], top
pop.dele(1)
count, _ = pop.stat()
assert count == 1, count
pop.rset()
count, _ = pop.stat()
assert count == 2, count
pop.dele(2)
pop.quit()
left = os.listdir(os.path.join(maildir, "new")) + os.listdir(os.path.join(maildir, "cur"))
assert len(left) == 1, left
print("poplib: STAT, LIST, UIDL, RETR, TOP, DELE, RSET, QUIT as expected")

# Leave the maildrop empty for the curl check that follows.
pop = poplib.POP3("127.0.0.1", pop3_port, timeout=30)
pop.user("alice")
pop.pass_("open sesame")
pop.dele(1)
pop.quit()
assert os.listdir(os.path.join(maildir, "new")) == []
