"""Helper of clients-dovecot.sh: the messages put into Dovecot's Maildir, and the checks of
what mailwire's example clients got from Dovecot.

  write MAILDIR EXPECTED        writes the messages into MAILDIR (INBOX and the Archive
                                folder) and each one's bytes with CRLF line ends into
                                EXPECTED/<folder>/<name>.eml
  saved EXPECTED/FOLDER maildir DIR | mbox FILE
                                the Maildir's (new/) or the mbox's (mboxrd) messages are
                                the expected ones with LF line ends, each exactly once
  imap-referee PORT USER PASSWORD CA OUT
                                `mail-imap list` and `status INBOX` as imaplib sees them
                                (over IMAPS), written as mail-imap prints them into
                                OUT/list.txt and OUT/status.txt
  pop3-referee PORT USER PASSWORD CA OUT
                                the listing `mail-fetch` prints (POP3: number, size,
                                unique-id) as poplib sees it (over POP3S), into
                                OUT/pop3-list.txt
"""

import imaplib
import os
import poplib
import re
import ssl
import sys


def messages():
    """(folder, name, bytes with LF line ends) of each message."""
    small = (
        b"From: Ann <ann@example.org>\n"
        b"To: Bob <bob@example.org>\n"
        b"Subject: small\n"
        b"Date: Mon, 07 Dec 2026 10:00:00 +0000\n"
        b"Message-ID: <small@example.org>\n"
        b"\n"
        b".a line that starts with a dot\n"
        b"..and one with two\n"
        b".\n"
        b"From the start of a line, quoted in an mbox\n"
        b">From quoted already\n"
    )
    big = [
        b"From: Carol <carol@example.org>",
        b"To: Bob <bob@example.org>",
        b"Subject: big",
        b"Date: Mon, 07 Dec 2026 10:01:00 +0000",
        b"Message-ID: <big@example.org>",
        b"",
    ]
    for i in range(3000):
        big.append(b"line %05d of a body larger than 64 KiB" % i)
        if i % 700 == 0:
            big.append(b".")
            big.append(b". a dot line inside")
    big = b"\n".join(big) + b"\n"
    assert len(big) > 100 * 1024
    eight = (
        "From: Zoé <zoe@example.org>\n"
        "To: Bob <bob@example.org>\n"
        "Subject: =?UTF-8?Q?caf=C3=A9?=\n"
        "Date: Mon, 07 Dec 2026 10:02:00 +0000\n"
        "Message-ID: <eight@example.org>\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        "Un café, s'il vous plaît.\n"
    ).encode()
    archived = (
        b"From: Dan <dan@example.org>\n"
        b"To: Bob <bob@example.org>\n"
        b"Subject: archived\n"
        b"Date: Mon, 07 Dec 2026 09:00:00 +0000\n"
        b"Message-ID: <archived@example.org>\n"
        b"\n"
        b"Kept in the archive.\n"
    )
    return [
        ("INBOX", "small", small),
        ("INBOX", "big", big),
        ("INBOX", "eight", eight),
        ("Archive", "archived", archived),
    ]


def write(maildir, expected):
    for n, (folder, name, data) in enumerate(messages()):
        box = maildir if folder == "INBOX" else os.path.join(maildir, "." + folder)
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(box, sub), exist_ok=True)
        # Dovecot stores messages with LF line ends; it serves them with CRLF.
        with open(os.path.join(box, "new", f"17000000{n:02}.M{n}P1.test"), "wb") as f:
            f.write(data)
        os.makedirs(os.path.join(expected, folder), exist_ok=True)
        with open(os.path.join(expected, folder, name + ".eml"), "wb") as f:
            f.write(data.replace(b"\n", b"\r\n"))


def saved(expected, kind, path):
    want = sorted(
        open(os.path.join(expected, n), "rb").read().replace(b"\r\n", b"\n")
        for n in os.listdir(expected)
    )
    if kind == "maildir":
        assert os.listdir(os.path.join(path, "tmp")) == [], "a message was left in tmp"
        names = os.listdir(os.path.join(path, "new"))
        got = [open(os.path.join(path, "new", n), "rb").read() for n in names]
    else:
        got, lines = [], open(path, "rb").read().split(b"\n")
        assert lines.pop() == b"", "the mbox does not end with a line end"
        for line in lines:
            if line.startswith(b"From "):
                assert re.fullmatch(
                    rb"From \S+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}", line
                ), line
                got.append([])
            else:
                got[-1].append(line[1:] if re.match(rb">+From ", line) else line)
        for message in got:
            assert message.pop() == b"", "no blank line after a message"
        got = [b"\n".join(m) + b"\n" for m in got]
    assert sorted(got) == want, f"{path}: the saved messages differ"


def imap_referee(port, user, password, ca, out):
    context = ssl.create_default_context(cafile=ca)
    imap = imaplib.IMAP4_SSL("127.0.0.1", int(port), ssl_context=context)
    imap.login(user, password)
    lines = []
    _, listed = imap.list('""', "*")
    for item in listed:
        m = re.fullmatch(rb'\(([^)]*)\) (?:"[^"]*"|NIL) "?([^"]*)"?', item)
        assert m, item
        # mail-imap prints the attributes' names without their backslash.
        lines.append(f"{m[2].decode()}\t{m[1].decode().replace(chr(92), '')}")
    with open(os.path.join(out, "list.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    _, status = imap.status("INBOX", "(MESSAGES RECENT UNSEEN UIDNEXT UIDVALIDITY)")
    values = dict(re.findall(rb"([A-Z]+) (\d+)", status[0]))
    with open(os.path.join(out, "status.txt"), "w") as f:
        for key in ("MESSAGES", "RECENT", "UNSEEN", "UIDNEXT", "UIDVALIDITY"):
            f.write(f"{key.lower()} {int(values[key.encode()])}\n")
    imap.logout()


def pop3_referee(port, user, password, ca, out):
    pop = poplib.POP3_SSL("127.0.0.1", int(port), context=ssl.create_default_context(cafile=ca))
    pop.user(user)
    pop.pass_(password)
    _, sizes, _ = pop.list()
    _, uids, _ = pop.uidl()
    uid = dict(line.split() for line in uids)
    with open(os.path.join(out, "pop3-list.txt"), "w") as f:
        for line in sizes:
            n, size = line.split()
            f.write(f"{n.decode()} {size.decode()} {uid[n].decode()}\n")
    pop.quit()


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "write":
        write(*args)
    elif command == "saved":
        saved(*args)
    elif command == "imap-referee":
        imap_referee(*args)
    elif command == "pop3-referee":
        pop3_referee(*args)
    else:
        sys.exit(f"unknown command {command}")
