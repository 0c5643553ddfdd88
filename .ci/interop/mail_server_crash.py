"""The sending and checking half of mail-server-crash.sh.

`send PORT ROUND OUT`: 50 threads, each on its own SMTP connection, send messages with
unique Message-IDs until the server goes away (or each has sent its share); OUT records,
as JSON, the Message-IDs the server acknowledged with 250 after DATA and those sent without
an answer. OUT.sending appears once all 50 are connected and start sending.

`check PORT STATE_DIR`: over IMAP, every message the server ever acknowledged is in INBOX,
byte for byte; none is there twice; nothing is there that was not sent.
"""

import hashlib
import imaplib
import json
import os
import random
import re
import smtplib
import sys
import threading
import time

from mailtrace import below_trace

THREADS = 50
PER_THREAD = 40
USER = os.environ["MAIL_USER"]
PASSWORD = os.environ["MAIL_PASSWORD"]
# The account's address: its user name if that is one, else the name at localhost (the
# server's own domain; the example server delivers every recipient to its one account).
RCPT = USER if "@" in USER else USER + "@localhost"


def message(round_, thread, n):
    """The message's bytes are a function of its Message-ID, so the checker can rebuild them."""
    mid = f"<crash-{round_}-{thread}-{n}@example.org>"
    rng = random.Random(mid)
    lines = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz .,") for _ in range(rng.randrange(1, 120)))
        for _ in range(rng.randrange(1, 80))
    ]
    body = "\r\n".join(lines) + "\r\n"
    return mid, (
        f"From: sender{thread}@example.org\r\n"
        f"To: alice@example.org\r\n"
        f"Subject: round {round_} thread {thread} message {n}\r\n"
        f"Message-ID: {mid}\r\n"
        f"\r\n"
    ).encode() + body.encode()


def sender(port, round_, thread, acked, unanswered, lock, connected):
    smtp = smtplib.SMTP("127.0.0.1", port, timeout=10)
    smtp.ehlo()
    # All connected before the first message, so that the crash finds all 50 sending.
    connected.wait()
    try:
        for n in range(PER_THREAD):
            mid, data = message(round_, thread, n)
            try:
                smtp.sendmail(f"sender{thread}@example.org", [RCPT], data)
            except (OSError, smtplib.SMTPException):
                with lock:
                    unanswered.append(mid)
                return
            with lock:
                acked.append(mid)
    finally:
        try:
            smtp.close()
        except OSError:
            pass


def send(port, round_, out):
    acked, unanswered, lock = [], [], threading.Lock()
    connected = threading.Barrier(THREADS + 1, timeout=20)
    threads = [
        threading.Thread(
            target=sender, args=(port, round_, t, acked, unanswered, lock, connected)
        )
        for t in range(THREADS)
    ]
    for t in threads:
        t.start()
    connected.wait()
    # The script waits for this file to choose its moment to kill the server.
    with open(out + ".sending", "w"):
        pass
    deadline = time.time() + 30
    for t in threads:
        t.join(max(0.0, deadline - time.time()))
    assert not any(t.is_alive() for t in threads), "senders still running after 30 s"
    with open(out, "w") as f:
        json.dump({"acked": acked, "unanswered": unanswered}, f)
    print(f"round {round_}: {len(acked)} messages acknowledged, {len(unanswered)} unanswered")


def check(port, state_dir):
    acked, sent = set(), {}
    for name in sorted(os.listdir(state_dir)):
        if name.endswith(".sending"):
            continue
        round_ = int(re.fullmatch(r"round-(\d+)\.json", name).group(1))
        with open(os.path.join(state_dir, name)) as f:
            state = json.load(f)
        acked.update(state["acked"])
        for mid in state["acked"] + state["unanswered"]:
            _, thread, n = re.fullmatch(r"<crash-(\d+)-(\d+)-(\d+)@example.org>", mid).groups()
            sent[mid] = hashlib.sha256(message(round_, int(thread), int(n))[1]).hexdigest()

    imap = imaplib.IMAP4("127.0.0.1", port, timeout=60)
    imap.login(USER, PASSWORD)
    typ, data = imap.select("INBOX", readonly=True)
    assert typ == "OK", data
    count = int(data[0])
    found = {}
    if count:
        typ, data = imap.fetch("1:*", "(UID BODY.PEEK[])")
        assert typ == "OK", data
        for item in data:
            if not isinstance(item, tuple):
                continue
            uid = re.search(rb"UID (\d+)", item[0]).group(1)
            mid = re.search(rb"^Message-ID: (.*)\r$", item[1], re.M).group(1).decode()
            assert mid in sent, f"UID {uid}: {mid} was never sent"
            assert mid not in found, f"{mid} twice (UIDs {found[mid]} and {uid})"
            thread = re.fullmatch(r"<crash-\d+-(\d+)-\d+@example.org>", mid).group(1)
            # Below the sender's Return-Path and the server's Received field.
            body = below_trace(
                item[1], f"<sender{thread}@example.org>".encode(), [(None, b"localhost", b"ESMTP")]
            )
            assert hashlib.sha256(body).hexdigest() == sent[mid], f"{mid} (UID {uid}) altered"
            found[mid] = uid
    assert len(found) == count, (len(found), count)
    missing = sorted(acked - found.keys())
    assert not missing, f"{len(missing)} acknowledged messages lost, e.g. {missing[:3]}"
    imap.logout()
    print(
        f"after the crashes: all {len(acked)} acknowledged messages present and intact, "
        f"{len(found) - len(acked)} unanswered ones too, none twice"
    )


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        check(int(sys.argv[2]), sys.argv[3])
