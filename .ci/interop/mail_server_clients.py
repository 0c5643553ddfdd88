"""The sending and checking half of mail-server-clients.sh: mail goes in with smtplib, and
what mutt, fetchmail and mbsync did is checked with imaplib and by reading their output.

Each subcommand takes its connection settings first: `plain PORT` (no TLS), `starttls PORT
CERT` or `tls PORT CERT` (implicit TLS, the certificate file to trust).
"""

import email.parser
import email.policy
import imaplib
import os
import re
import smtplib
import ssl
import sys

from mailtrace import RECEIVED, below_trace

USER = os.environ["MAIL_USER"]
PASSWORD = os.environ["MAIL_PASSWORD"]
# The account's address: its user name if that is one, else the name at localhost (the
# server's own domain; the example server delivers every recipient to its one account).
RCPT = USER if "@" in USER else USER + "@localhost"


def message(n, subject, extra=b""):
    """Message n: CRLF line ends, a dot-line, a line that mbox would quote, a long line."""
    return (
        b"From: Carol <carol@example.org>\r\n"
        b"To: alice@example.org\r\n"
        b"Subject: " + subject + b"\r\n"
        b"Date: Mon, 7 Dec 2026 10:0" + str(n).encode() + b":00 +0000\r\n"
        b"Message-ID: <clients-" + str(n).encode() + b"@example.org>\r\n"
        + extra +
        b"\r\n"
        b"Message " + str(n).encode() + b".\r\n"
        b".a line with a leading dot\r\n"
        b"From here on, a line mbox would quote.\r\n"
        + b"x" * 200 + b"\r\n"
        b"\tend\r\n"
    )


MESSAGES = [
    message(1, b"first"),
    message(2, b"second"),
    message(3, b"third", b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"),
]


def lf(data):
    return data.replace(b"\r\n", b"\n")


def untraced(data, sender=b"<carol@example.org>"):
    """A message as the server delivered it, below the sender's Return-Path and the
    server's Received field (whose protocol the connection's mode decides); LF line ends,
    as a client may have stored it with, stay LF."""
    lf_ends = b"\r\n" not in data
    if lf_ends:
        data = data.replace(b"\n", b"\r\n")
    protocol = RECEIVED.search(data)["protocol"]
    body = below_trace(data, sender, [(None, b"localhost", protocol)])
    return lf(body) if lf_ends else body


def settings(args):
    """Pops the connection settings off args: (mode, port, cert)."""
    mode = args.pop(0)
    port = int(args.pop(0))
    cert = args.pop(0) if mode in ("starttls", "tls") else None
    return mode, port, cert


def tls_context(cert):
    context = ssl.create_default_context(cafile=cert)
    context.check_hostname = False
    return context


def smtp_connect(mode, port, cert):
    """Under TLS with AUTH, as a mail client submits (the SMTPS port requires it)."""
    if mode == "tls":
        smtp = smtplib.SMTP_SSL("127.0.0.1", port, timeout=30, context=tls_context(cert))
    else:
        smtp = smtplib.SMTP("127.0.0.1", port, timeout=30)
        if mode == "starttls":
            smtp.starttls(context=tls_context(cert))
    if mode != "plain":
        smtp.login(USER, PASSWORD)
    return smtp


def imap_connect(mode, port, cert):
    if mode == "tls":
        imap = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=tls_context(cert), timeout=30)
    else:
        imap = imaplib.IMAP4("127.0.0.1", port, timeout=30)
        if mode == "starttls":
            imap.starttls(ssl_context=tls_context(cert))
    imap.login(USER, PASSWORD)
    return imap


def fetch_all(imap, mailbox):
    """{subject: (flags, bytes)} of every message of mailbox, without setting \\Seen."""
    typ, data = imap.select(mailbox, readonly=True)
    assert typ == "OK", (mailbox, data)
    typ, data = imap.fetch("1:*", "(FLAGS BODY.PEEK[])") if data != [b"0"] else ("OK", [])
    assert typ == "OK", data
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).split()
        subject = re.search(rb"^Subject: (.*)\r$", item[1], re.M).group(1)
        assert subject not in out, f"{subject!r} twice in {mailbox}"
        out[subject] = (sorted(f for f in flags if f != b"\\Recent"), item[1])
    return out


def send(args):
    with smtp_connect(*settings(args)) as smtp:
        for data in MESSAGES:
            refused = smtp.sendmail("carol@example.org", [RCPT], data)
            assert refused == {}, refused
    print(f"smtplib: {len(MESSAGES)} messages sent")


def check_fetchmail(args):
    """Every message exactly once in the mda's files, as sent with LF line ends, below the
    server's Return-Path (which fetchmail puts first), fetchmail's Received field (which
    names the protocol it used) and the server's Received field."""
    protocol, folder = args
    files = sorted(os.listdir(folder), key=int)
    assert len(files) == len(MESSAGES), files
    received = re.compile(
        rb"\AReturn-Path: <carol@example\.org>\n"
        rb"Received: from 127\.0\.0\.1 \[127\.0\.0\.1\]\n"
        rb"\tby [^\n]+ with " + protocol.encode() + rb" \(fetchmail-[^\n]+\)\n"
        rb"\tfor <root@[^\n]+> \(single-drop\); [^\n]+\n"
    )
    got = []
    for name in files:
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        header = received.match(data)
        assert header, data[:300]
        got.append(untraced(data[header.end():], sender=None))
    assert got == [lf(m) for m in MESSAGES], got
    print(f"fetchmail over {protocol}: {len(files)} messages, each as sent")


def check_maildir_copy(args):
    """A Maildir that mutt copied the POP3 messages into: each message once, as sent."""
    (folder,) = args
    got = []
    for sub in ("new", "cur"):
        for name in os.listdir(os.path.join(folder, sub)):
            with open(os.path.join(folder, sub, name), "rb") as f:
                got.append(untraced(f.read()))
    assert sorted(got) == sorted(lf(m) for m in MESSAGES), got
    print(f"mutt over POP3: {len(got)} messages copied, each as sent")


def check_mutt_imap(args):
    """After mutt copied `first` to Archive, deleted `second` and synced."""
    imap = imap_connect(*settings(args))
    inbox = fetch_all(imap, "INBOX")
    assert sorted(inbox) == [b"first", b"third"], sorted(inbox)
    archive = fetch_all(imap, "Archive")
    assert sorted(archive) == [b"first"], sorted(archive)
    # COPY keeps the message whole, trace fields and all.
    assert archive[b"first"][1] == inbox[b"first"][1], archive
    assert untraced(archive[b"first"][1]) == MESSAGES[0], archive
    assert untraced(inbox[b"third"][1]) == MESSAGES[2], inbox
    typ, data = imap.list()
    assert b'(\\HasNoChildren) "/" Archive' in data, data
    imap.logout()
    print("mutt over IMAP: first copied to Archive, second deleted and expunged")


def maildir_messages(folder):
    """{subject: (flags from the file name, bytes)} of a local Maildir folder."""
    out = {}
    for sub in ("new", "cur"):
        for name in os.listdir(os.path.join(folder, sub)):
            with open(os.path.join(folder, sub, name), "rb") as f:
                data = f.read()
            subject = re.search(rb"^Subject: (.*)$", data, re.M).group(1)
            flags = name.split(":2,")[1] if ":2," in name else ""
            out[subject] = (flags, data)
    return out


def without_tuid(data, eol):
    """The message mbsync copied, without the X-TUID header it adds as the header's last line
    (its transaction id, 12 base64 characters) to every message it copies, either way."""
    end = data.index(eol + eol) + len(eol)
    start = end - len(b"X-TUID: ") - 12 - len(eol)
    assert re.fullmatch(rb"X-TUID: [A-Za-z0-9+/]{12}" + eol, data[start:end]), data
    return data[:start] + data[end:]


def check_mbsync_pull(args):
    """The local Maildir after the first mbsync run mirrors the server's two folders."""
    local = args.pop(0)
    imap = imap_connect(*settings(args))
    for mailbox, folder in (("INBOX", os.path.join(local, "INBOX")),
                            ("Archive", os.path.join(local, "Archive"))):
        server = fetch_all(imap, mailbox)
        mine = maildir_messages(folder)
        assert sorted(mine) == sorted(server), (mailbox, sorted(mine), sorted(server))
        for subject, (flags, data) in server.items():
            # mbsync keeps Maildir files with LF line ends, and adds its transaction id as
            # the header's last line; the flags become the file name's letters.
            assert without_tuid(mine[subject][1], b"\n") == lf(data), (mailbox, subject, mine[subject][1])
            want = "".join(sorted({b"\\Seen": "S", b"\\Flagged": "F", b"\\Answered": "R",
                                   b"\\Deleted": "T", b"\\Draft": "D"}[f] for f in flags))
            assert mine[subject][0] == want, (mailbox, subject, mine[subject][0], flags)
        print(f"mbsync pull: {mailbox} has {len(mine)} messages locally, as on the server")
    imap.logout()


PUSHED = (
    b"From: alice@example.org\r\n"
    b"To: carol@example.org\r\n"
    b"Subject: written locally\r\n"
    b"Message-ID: <pushed@example.org>\r\n"
    b"\r\n"
    b"Pushed by mbsync.\r\n"
)


def write_local(args):
    """Puts a message in the local Maildir folder, flagged and seen, for mbsync to push."""
    (folder,) = args
    with open(os.path.join(folder, "cur", "1765000000.mailwire.local:2,FS"), "wb") as f:
        f.write(lf(PUSHED))


def check_mbsync_push(args):
    imap = imap_connect(*settings(args))
    inbox = fetch_all(imap, "INBOX")
    assert sorted(inbox) == [b"first", b"third", b"written locally"], sorted(inbox)
    flags, data = inbox[b"written locally"]
    assert flags == [b"\\Flagged", b"\\Seen"], flags
    assert without_tuid(data, b"\r\n") == PUSHED, data
    imap.logout()
    print("mbsync push: the local message is in INBOX with \\Flagged \\Seen, as written")


SWAKS = (
    b"From: dana@example.org\r\n"
    b"To: alice@example.org\r\n"
    b"Subject: by swaks\r\n"
    b"Message-ID: <swaks@example.org>\r\n"
    b"\r\n"
    b"Pipelined.\r\n"
    b".a dot line\r\n"
)


def write_swaks(args):
    """The message for swaks, without its last CRLF, which swaks adds before the dot."""
    (path,) = args
    with open(path, "wb") as f:
        f.write(SWAKS[:-2])


def check_swaks(args):
    """swaks sent the envelope and DATA in one go, and the message arrived as sent."""
    with open(args.pop(0)) as f:
        transcript = f.read()
    # swaks draws `->` and `<-`, or `~>` and `<~` under TLS.
    pipelined = (
        r" [-~]> MAIL FROM:<dana@example\.org>\n"
        r" [-~]> RCPT TO:<" + re.escape(RCPT) + r">\n"
        r" [-~]> DATA\n"
        r"<[-~]  250 2\.1\.0 Ok\n"
        r"<[-~]  250 2\.1\.5 Ok\n"
        r"<[-~]  354 "
    )
    assert re.search(pipelined, transcript), transcript
    imap = imap_connect(*settings(args))
    inbox = fetch_all(imap, "INBOX")
    flags, data = inbox[b"by swaks"]
    assert (flags, untraced(data, b"<dana@example.org>")) == ([], SWAKS), inbox[b"by swaks"]
    imap.logout()
    print("swaks: a pipelined message arrived as sent")


COMMANDS = {
    "write-swaks": write_swaks,
    "check-swaks": check_swaks,
    "send": send,
    "check-fetchmail": check_fetchmail,
    "check-maildir-copy": check_maildir_copy,
    "check-mutt-imap": check_mutt_imap,
    "check-mbsync-pull": check_mbsync_pull,
    "write-local": write_local,
    "check-mbsync-push": check_mbsync_push,
}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](sys.argv[2:])
