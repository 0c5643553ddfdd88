"""Python's smtplib (SMTP and LMTP) against the example mail server delivering to Dovecot's
LMTP, and against its own LMTP listener, checking exact replies and bytes.

Steps (run by lmtp-dovecot.sh):
  deliver SMTP_PORT MAILDIR [BEFORE]
                             one message through the example to Dovecot; it must be in
                             Dovecot's MAILDIR (holding BEFORE messages first, of the same
                             bytes) byte for byte below the trace headers, and an unknown
                             local user is refused with 550 5.1.1
  queued SMTP_PORT           with Dovecot stopped: accepted all the same (into the queue)
  split SMTP_PORT MAILDIR BEFORE
                             one message from alice to alice and dave, whom Dovecot does not
                             know: accepted; alice gets it and a failure report for dave
  lmtp LMTP_PORT MAILDIR     the example's LMTP listener, two recipients, one unknown:
                             one reply per recipient, the message in the example's MAILDIR
"""

import os
import smtplib
import sys
import time

from mailtrace import RECEIVED, below_trace

MESSAGE = b"\r\n".join(
    [
        b"From: Ann <ann@example.com>",
        b"To: Alice <alice@localhost>",
        b"Subject: through LMTP",
        b"",
        b"Hello Alice,",
        b".this line starts with a dot",
        b"..and this one with two",
        b".",
        b"caf\xc3\xa9 in 8-bit",
    ]
    + [b"line %05d of a longer body" % i for i in range(3000)]
) + b"\r\n"

# What Dovecot's LMTP puts above the message (RFC 5321 trace fields and its own).
ADDED_HEADERS = (b"return-path:", b"delivered-to:", b"received:")


def files(maildir):
    """The messages in MAILDIR's new/ and cur/, oldest name first."""
    found = []
    for sub in ("new", "cur"):
        path = os.path.join(maildir, sub)
        if os.path.isdir(path):
            found += [os.path.join(path, name) for name in os.listdir(path)]
    return sorted(found)


def wait_for_files(maildir, count):
    deadline = time.time() + 20
    while len(files(maildir)) < count:
        if time.time() > deadline:
            sys.exit(f"{maildir}: {len(files(maildir))} message(s), expected {count}")
        time.sleep(0.1)
    return files(maildir)


def check_below_added_headers(stored, message):
    """STORED is MESSAGE with only Dovecot's trace fields above it."""
    assert stored.endswith(message), stored[:400]
    added = stored[: len(stored) - len(message)]
    for line in added.split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t"):
            continue
        assert line.lower().startswith(ADDED_HEADERS), (line, added)
    assert b"Delivered-To: <alice@localhost>\r\n" in added or b"Delivered-To: alice@localhost\r\n" in added, added
    # Among them, the example server's own, from when it took the message over SMTP.
    ours = [m for m in RECEIVED.finditer(added) if m["host"] == b"localhost"]
    assert len(ours) == 1 and ours[0]["protocol"] == b"ESMTP", added


def deliver(smtp_port, maildir, before=0):
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
        smtp.ehlo("client.example.org")
        code, text = smtp.docmd("MAIL FROM:<ann@example.com> BODY=8BITMIME")
        assert code == 250, (code, text)
        code, text = smtp.docmd("RCPT TO:<nobody@localhost>")
        assert (code, text) == (550, b"5.1.1 no such user here"), (code, text)
        smtp.rset()
        refused = smtp.sendmail(
            "ann@example.com", ["alice@localhost"], MESSAGE, mail_options=["BODY=8BITMIME"]
        )
        assert refused == {}, refused
    stored = wait_for_files(maildir, before + 1)
    assert len(stored) == before + 1, stored
    for name in stored:
        with open(name, "rb") as f:
            check_below_added_headers(f.read(), MESSAGE)


def queued(smtp_port):
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
        smtp.ehlo("client.example.org")
        refused = smtp.sendmail(
            "ann@example.com", ["alice@localhost"], MESSAGE, mail_options=["BODY=8BITMIME"]
        )
        assert refused == {}, refused


FULL = b"Subject: for a full mailbox\r\n\r\nonce there is room\r\n"


def full(smtp_port):
    """A message for erin, whose mailbox at Dovecot is full: taken (250), since the
    example queues local mail and retries what Dovecot defers."""
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
        smtp.ehlo("client.example.org")
        refused = smtp.sendmail("ann@example.com", ["erin@localhost"], FULL)
        assert refused == {}, refused


def deliver_full(maildir):
    """erin's message, once, below the trace fields."""
    [stored] = wait_for_files(maildir, 1)
    with open(stored, "rb") as f:
        got = f.read()
    assert got.endswith(FULL), got
    added = got[: len(got) - len(FULL)]
    assert b"Delivered-To: <erin@localhost>\r\n" in added or b"Delivered-To: erin@localhost\r\n" in added, added
    ours = [m for m in RECEIVED.finditer(added) if m["host"] == b"localhost"]
    assert len(ours) == 1, added


def split(smtp_port, maildir, before):
    body = b"Subject: to two\r\n\r\nfor alice and dave\r\n"
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
        smtp.ehlo("client.example.org")
        refused = smtp.sendmail("alice@localhost", ["alice@localhost", "dave@localhost"], body)
        assert refused == {}, refused
    stored = wait_for_files(maildir, before + 2)
    assert len(stored) == before + 2, stored
    got = []
    for name in stored:
        with open(name, "rb") as f:
            got.append(f.read())
    # The messages of the steps before are all MESSAGE.
    got = [m for m in got if not m.endswith(MESSAGE)]
    assert len(got) == 2, [m[:200] for m in got]
    [message] = [m for m in got if m.endswith(body)]
    assert b"Delivered-To: <alice@localhost>\r\n" in message or b"Delivered-To: alice@localhost\r\n" in message, message
    [report] = [m for m in got if m is not message]
    for line in (
        b"Content-Type: multipart/report; report-type=delivery-status;",
        b"Final-Recipient: rfc822; dave@localhost\r\n",
        b"Action: failed\r\n",
        b"Status: 5.1.1\r\n",
    ):
        assert line in report, (line, report)
    assert b"Final-Recipient: rfc822; alice@localhost" not in report, report


def lmtp(lmtp_port, maildir):
    body = b"Subject: LMTP in\r\n\r\n.dot\r\nbye\r\n"
    with smtplib.LMTP("127.0.0.1", lmtp_port, timeout=30) as client:
        code, text = client.ehlo("mta.example.com")
        assert code == 250, (code, text)
        assert not client.has_extn("auth") and not client.has_extn("starttls"), client.esmtp_features
        assert client.docmd("MAIL FROM:<ann@example.com>") == (250, b"2.1.0 Ok")
        assert client.docmd("RCPT TO:<alice@localhost>") == (250, b"2.1.5 Ok")
        assert client.docmd("RCPT TO:<bob@localhost>") == (550, b"5.1.1 no such user here")
        assert client.docmd("RCPT TO:<postmaster@localhost>") == (250, b"2.1.5 Ok")
        code, text = client.docmd("DATA")
        assert code == 354, (code, text)
        # smtplib's LMTP reads one reply after the data; the others are read here.
        client.send(body.replace(b"\r\n.", b"\r\n..") + b".\r\n")
        replies = [client.getreply() for _ in range(2)]
        assert replies == [(250, b"2.0.0 Delivered")] * 2, replies
    [stored] = wait_for_files(maildir, 1)
    with open(stored, "rb") as f:
        got = f.read()
    # Final delivery into the example's Maildir: its Return-Path and LMTP Received field.
    hop = [(b"mta.example.com", b"localhost", b"LMTP")]
    assert below_trace(got, b"<ann@example.com>", hop) == body, got


step = sys.argv[1]
if step == "deliver":
    deliver(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0)
elif step == "queued":
    queued(int(sys.argv[2]))
elif step == "split":
    split(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
elif step == "full":
    full(int(sys.argv[2]))
elif step == "deliver-full":
    deliver_full(sys.argv[2])
elif step == "lmtp":
    lmtp(int(sys.argv[2]), sys.argv[3])
else:
    sys.exit(f"unknown step {step}")
print(f"lmtp_dovecot.py {step}: ok")
