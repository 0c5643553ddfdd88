"""The IMAP half of maildir-dovecot.sh: writes a Maildir through one server, and takes a
snapshot of everything a client can see of it through either, for comparison.

    write-mailwire SMTP_PORT IMAP_PORT   deliveries over SMTP, then CREATE, APPEND, STORE,
                                         EXPUNGE over IMAP
    write-dovecot IMAP_PORT              APPEND, STORE, COPY, EXPUNGE, CREATE over IMAP
    snapshot IMAP_PORT OUT               what LIST, EXAMINE and FETCH say, as JSON
    compare A B FOLDERS MESSAGES         the two snapshots are the same (or the differences),
                                         with that many folders and messages

The account is $MAIL_USER / $MAIL_PASSWORD on both servers.
"""

import base64
import imaplib
import json
import os
import re
import smtplib
import sys

USER = os.environ["MAIL_USER"]
PASSWORD = os.environ["MAIL_PASSWORD"]
# The account's address: its user name if that is one, else the name at localhost (the
# server's own domain; the example server delivers every recipient to its one account).
RCPT = USER if "@" in USER else USER + "@localhost"
# A folder name outside ASCII ("Café/Ünïcödé"), in IMAP's modified UTF-7 (RFC 3501 §5.1.3).
CAFE = "Caf&AOk-"
UNICODE = CAFE + "/&ANw-n&AO8-c&APY-d&AOk-"


def connect(port):
    imap = imaplib.IMAP4("127.0.0.1", port, timeout=30)
    imap.login(USER, PASSWORD)
    return imap


def ok(result):
    typ, data = result
    assert typ == "OK", data
    return data


def message(n, subject, body=b"", headers=b""):
    return (
        b"From: Dana <dana@example.org>\r\n"
        b"To: alice@example.org\r\n"
        b"Subject: " + subject + b"\r\n"
        b"Date: Tue, 8 Dec 2026 08:0" + str(n % 10).encode() + b":00 +0100\r\n"
        b"Message-ID: <dovecot-" + str(n).encode() + b"@example.org>\r\n"
        + headers + b"\r\n"
        + (body or b"Message " + str(n).encode() + b".\r\n.dot\r\n")
    )


MULTIPART = (
    b"--b1\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"caf\xc3\xa9 cr\xc3\xa8me\r\n"
    b"--b1\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"AAECAwQFBgc=\r\n"
    b"--b1--\r\n"
)


def write_mailwire(smtp_port, imap_port):
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
        for n in range(1, 6):
            smtp.sendmail("dana@example.org", [RCPT], message(n, b"delivered %d" % n))
        smtp.sendmail(
            "dana@example.org",
            [RCPT],
            message(6, b"multipart", MULTIPART,
                    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n"),
        )
    imap = connect(imap_port)
    for name in ("Work", "Work/Projects", CAFE, UNICODE):
        ok(imap.create(name))
    ok(imap.append("Work", "(\\Seen $Label1)", None, message(7, b"work")))
    ok(imap.append("Work/Projects", "(\\Flagged project-x)", None, message(8, b"project")))
    ok(imap.append("Work/Projects", "(\\Draft)", None, message(9, b"draft")))
    ok(imap.append(CAFE, "(\\Answered $Forwarded)", None, message(10, b"caf\xc3\xa9 8bit")))
    ok(imap.append(UNICODE, "()", None, message(11, b"deep")))
    ok(imap.select("INBOX"))
    ok(imap.store("1", "+FLAGS", "(\\Seen \\Answered $Label1)"))
    ok(imap.store("2", "+FLAGS", "(\\Flagged project-x $Junk)"))
    ok(imap.store("3", "+FLAGS", "(\\Deleted)"))
    ok(imap.expunge())
    ok(imap.store("3", "+FLAGS", "(\\Draft $Label1 project-x)"))
    ok(imap.store("3", "-FLAGS", "($Label1)"))
    ok(imap.uid("COPY", "1:2", "Work"))
    imap.logout()
    print("mailwire: 6 messages delivered, 4 folders created, flags and keywords stored")


def write_dovecot(imap_port):
    imap = connect(imap_port)
    ok(imap.create('"From Dovecot"'))
    ok(imap.append('"From Dovecot"', "(\\Seen dovecot-kw)", None, message(12, b"appended by dovecot")))
    ok(imap.append("INBOX", "(\\Flagged $Label2)", None, message(13, b"inbox by dovecot")))
    ok(imap.select("INBOX"))
    ok(imap.store("1", "-FLAGS", "(\\Seen $Label1)"))
    ok(imap.store("2", "+FLAGS", "(\\Seen newer-kw)"))
    ok(imap.uid("COPY", "1:*", '"From Dovecot"'))
    ok(imap.store("4", "+FLAGS", "(\\Deleted)"))
    ok(imap.expunge())
    ok(imap.select(UNICODE))
    ok(imap.store("1", "+FLAGS", "(\\Seen \\Deleted)"))
    ok(imap.expunge())
    ok(imap.append(UNICODE, "(\\Answered)", None, message(14, b"after expunge")))
    imap.logout()
    print("dovecot: 2 messages appended, flags stored, messages copied and expunged")


def snapshot(imap_port, out):
    imap = connect(imap_port)
    folders = {}
    for line in ok(imap.list()):
        attrs, sep, name = re.fullmatch(rb'\(([^)]*)\) "(.)" (.*)', line).groups()
        name = name.decode()
        if name.startswith('"'):
            name = name[1:-1]
        data = ok(imap.select(f'"{name}"', readonly=True))
        count = int(data[0])
        folder = {
            # \Marked and \Unmarked are hints a server may give (RFC 3501 §7.2.2);
            # Dovecot gives them for folders it has indexed.
            "attributes": sorted(
                a.decode() for a in attrs.split() if a.lower() not in (b"\\marked", b"\\unmarked")
            ),
            "separator": sep.decode(),
            "exists": count,
            "uidvalidity": imap.untagged_responses["UIDVALIDITY"][0].decode(),
            "uidnext": imap.untagged_responses["UIDNEXT"][0].decode(),
            "flags": sorted(imap.untagged_responses["FLAGS"][0].decode().strip("()").split()),
            "messages": [],
        }
        if count:
            for item in ok(imap.fetch("1:*", "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[])")):
                if not isinstance(item, tuple):
                    continue
                head = item[0].decode()
                flags = re.search(r"FLAGS \(([^)]*)\)", head).group(1).split()
                folder["messages"].append({
                    "uid": int(re.search(r"UID (\d+)", head).group(1)),
                    "flags": sorted(f for f in flags if f != "\\Recent"),
                    "size": int(re.search(r"RFC822\.SIZE (\d+)", head).group(1)),
                    # RFC 3501's date-day-fixed is " 7" or "07": one form for both servers.
                    "internaldate": re.search(r'INTERNALDATE "([^"]*)"', head)
                    .group(1).replace(" ", "0", 1 if head.count('INTERNALDATE " ') else 0),
                    "bytes": base64.b64encode(item[1]).decode(),
                })
        folders[name] = folder
    imap.logout()
    with open(out, "w") as f:
        json.dump(folders, f, indent=1, sort_keys=True)
    total = sum(f["exists"] for f in folders.values())
    print(f"snapshot: {len(folders)} folders, {total} messages")


def compare(a, b, folders, count):
    with open(a) as f:
        left = json.load(f)
    with open(b) as f:
        right = json.load(f)
    differences = []
    for name in sorted(set(left) | set(right)):
        if name not in left or name not in right:
            differences.append(f"{name}: only in {a if name in left else b}")
            continue
        for key in sorted(set(left[name]) | set(right[name])):
            if key == "messages":
                continue
            if left[name].get(key) != right[name].get(key):
                differences.append(f"{name} {key}: {left[name].get(key)} vs {right[name].get(key)}")
        lm, rm = left[name]["messages"], right[name]["messages"]
        if [m["uid"] for m in lm] != [m["uid"] for m in rm]:
            differences.append(f"{name} UIDs: {[m['uid'] for m in lm]} vs {[m['uid'] for m in rm]}")
            continue
        for l, r in zip(lm, rm):
            for key in sorted(l):
                if l[key] != r[key]:
                    shown = (l[key], r[key]) if key != "bytes" else (
                        base64.b64decode(l[key])[:200], base64.b64decode(r[key])[:200])
                    differences.append(f"{name} UID {l['uid']} {key}: {shown[0]} vs {shown[1]}")
    if differences:
        sys.exit("the two servers differ:\n  " + "\n  ".join(differences))
    messages = sum(len(f["messages"]) for f in left.values())
    # Not two empty views alike: what the writers wrote is there.
    assert (len(left), messages) == (folders, count), (len(left), messages)
    assert UNICODE in left, sorted(left)
    keywords = {f for folder in left.values() for m in folder["messages"] for f in m["flags"]}
    assert {"$Forwarded", "$Label1", "project-x"} <= keywords, keywords
    print(f"same folders, UIDVALIDITY, UIDNEXT, UIDs, flags, keywords, sizes, dates and bytes: "
          f"{len(left)} folders, {messages} messages")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "write-mailwire":
        write_mailwire(int(args[0]), int(args[1]))
    elif command == "write-dovecot":
        write_dovecot(int(args[0]))
    elif command == "snapshot":
        snapshot(int(args[0]), args[1])
    elif command == "compare":
        compare(args[0], args[1], int(args[2]), int(args[3]))
