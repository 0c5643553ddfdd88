"""Python's smtplib, poplib and imaplib against the example mail server over TLS: STARTTLS /
STLS on the plain ports and implicit TLS, the server's certificate verified against the
file it generated, and passwords refused without TLS, reply for reply."""

import imaplib
import os
import poplib
import smtplib
import socket
import ssl
import sys

from mailtrace import RECEIVED, below_trace

(smtp_port, submission_port, smtps_port, pop3_port, pop3s_port, imap_port,
 imaps_port) = (int(p) for p in sys.argv[1:8])
cert, maildir = sys.argv[8], sys.argv[9]
user, password = "alice", "open sesame"
host = "127.0.0.1"

# Trusts the server's certificate only; checks the host name, as by default.
trusting = ssl.create_default_context(cafile=cert)
assert trusting.verify_mode == ssl.CERT_REQUIRED and trusting.check_hostname


def exchange(port, commands, last_line):
    """Sends each command on a plain connection, and returns the greeting and each reply,
    whole, as bytes; `last_line(command, line)` says whether a line ends a reply."""
    with socket.create_connection((host, port), timeout=30) as sock:
        lines = sock.makefile("rb")
        replies = [lines.readline()]
        for command in commands:
            sock.sendall(command + b"\r\n")
            reply = b""
            while True:
                line = lines.readline()
                assert line, f"connection closed after {command!r}: {reply!r}"
                reply += line
                if last_line(command, line):
                    break
            replies.append(reply)
        return replies


# Before TLS: no password crosses the connection, and the replies say why. SCRAM-SHA-256,
# which sends none, is the one mechanism offered.
smtp_last = lambda _, line: line[3:4] == b" "
plain = b"AUTH PLAIN AGFsaWNlAG9wZW4gc2VzYW1l"  # \0alice\0open sesame
greeting, ehlo, auth, mail = exchange(
    smtp_port, [b"EHLO client.example.org", plain, b"MAIL FROM:<a@example.org>"], smtp_last
)
assert greeting == b"220 localhost ESMTP ready\r\n", greeting
assert b"250-STARTTLS\r\n" in ehlo and b"250-AUTH SCRAM-SHA-256\r\n" in ehlo, ehlo
assert auth == b"538 5.7.11 Encryption required for requested authentication mechanism\r\n", auth
assert mail == b"250 2.1.0 Ok\r\n", mail  # port 25's part takes mail without AUTH
_, ehlo, auth, mail = exchange(
    submission_port, [b"EHLO client.example.org", plain, b"MAIL FROM:<a@example.org>"], smtp_last
)
assert b"250-STARTTLS\r\n" in ehlo and b"250-AUTH SCRAM-SHA-256\r\n" in ehlo, ehlo
assert auth == b"538 5.7.11 Encryption required for requested authentication mechanism\r\n", auth
assert mail == b"530 5.7.0 Authentication required\r\n", mail

pop3_last = lambda command, line: command != b"CAPA" or line == b".\r\n"
greeting, capa, user_reply, pass_reply = exchange(
    pop3_port, [b"CAPA", b"USER alice", b"PASS open sesame"], pop3_last
)
assert greeting.startswith(b"+OK"), greeting
assert b"\r\nSTLS\r\n" in capa and b"\r\nUSER\r\n" not in capa, capa
assert b"PLAIN" not in capa and b"LOGIN" not in capa, capa
assert user_reply == b"-ERR USER needs TLS, use STLS first\r\n", user_reply
assert pass_reply == b"-ERR send USER first\r\n", pass_reply

imap_last = lambda command, line: line.startswith(command.split(b" ")[0] + b" ")
greeting, capability, login, authenticate = exchange(
    imap_port,
    [b"a CAPABILITY", b"b LOGIN alice \"open sesame\"", b"c AUTHENTICATE PLAIN"],
    imap_last,
)
assert b" STARTTLS LOGINDISABLED " in greeting, greeting
assert b" AUTH=SCRAM-SHA-256 " in capability, capability
assert b"AUTH=PLAIN" not in capability and b" LOGINDISABLED " in capability, capability
assert login == b"b NO [PRIVACYREQUIRED] Plaintext login disabled; use STARTTLS\r\n", login
assert authenticate == b"c NO [PRIVACYREQUIRED] PLAIN sends the password; use STARTTLS\r\n", authenticate
print("before TLS: AUTH, USER and LOGIN refused with the expected replies")

# A client that does not trust the certificate stops at the handshake.
try:
    smtplib.SMTP_SSL(host, smtps_port, timeout=30, context=ssl.create_default_context())
    sys.exit("a certificate nobody trusts was accepted")
except ssl.SSLCertVerificationError as e:
    assert e.verify_message == "self-signed certificate", e.verify_message


def message(n):
    return (
        b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n"
        b"Subject: over TLS %d\r\n\r\n.a dot line\r\nmessage %d\r\n" % (n, n)
    )


sent = []

# SMTP with STARTTLS, as one server relays to another: no AUTH needed, but offered now.
with smtplib.SMTP(host, smtp_port, timeout=30) as smtp:
    smtp.ehlo("client.example.org")
    code, _ = smtp.starttls(context=trusting)
    assert code == 220, code
    smtp.ehlo("client.example.org")
    assert smtp.esmtp_features.get("auth", "").split() == ["SCRAM-SHA-256", "PLAIN", "LOGIN"], smtp.esmtp_features
    assert "starttls" not in smtp.esmtp_features, smtp.esmtp_features
    assert smtp.sendmail("alice@example.org", ["alice@localhost"], message(1)) == {}
    sent.append((b"ESMTPS", message(1)))

# Submission with STARTTLS ("localhost": the certificate names it too), then AUTH.
with smtplib.SMTP("localhost", submission_port, timeout=30) as smtp:
    smtp.starttls(context=trusting)
    smtp.ehlo("client.example.org")
    code, text = smtp.docmd("MAIL FROM:<alice@example.org>")
    assert (code, text) == (530, b"5.7.0 Authentication required"), (code, text)
    code, text = smtp.login(user, password)
    assert (code, text) == (235, b"2.7.0 Authentication successful"), (code, text)
    assert smtp.sendmail("alice@example.org", ["alice@localhost"], message(2)) == {}
    sent.append((b"ESMTPSA", message(2)))

# Submission over implicit TLS.
with smtplib.SMTP_SSL(host, smtps_port, timeout=30, context=trusting) as smtp:
    smtp.ehlo("client.example.org")
    assert smtp.esmtp_features.get("auth", "").split() == ["SCRAM-SHA-256", "PLAIN", "LOGIN"], smtp.esmtp_features
    assert "starttls" not in smtp.esmtp_features, smtp.esmtp_features
    smtp.login(user, password)
    assert smtp.sendmail("alice@example.org", ["alice@localhost"], message(3)) == {}
    sent.append((b"ESMTPSA", message(3)))
assert len(os.listdir(os.path.join(maildir, "new"))) == 3
print("smtplib: STARTTLS on smtp, STARTTLS + AUTH on submission, SMTP_SSL + AUTH on smtps")


def delivered(data):
    """(protocol, message): a message fetched back, below the sender's Return-Path and the
    server's Received field, which names the protocol it came in by (RFC 3848)."""
    protocol = RECEIVED.search(data)["protocol"]
    hop = [(b"client.example.org", b"localhost", protocol)]
    return protocol, below_trace(data, b"<alice@example.org>", hop)


def check_maildrop(pop):
    count, _ = pop.stat()
    assert count == 3, count
    got = sorted(delivered(b"\r\n".join(pop.retr(i)[1]) + b"\r\n") for i in (1, 2, 3))
    assert got == sorted(sent), got


pop = poplib.POP3(host, pop3_port, timeout=30)
assert pop.stls(context=trusting) == b"+OK Begin TLS negotiation", "STLS"
assert "USER" in pop.capa() and "STLS" not in pop.capa(), pop.capa()
pop.user(user)
pop.pass_(password)
check_maildrop(pop)
pop.quit()
pop = poplib.POP3_SSL(host, pop3s_port, timeout=30, context=trusting)
assert "USER" in pop.capa() and "STLS" not in pop.capa(), pop.capa()
pop.user(user)
pop.pass_(password)
check_maildrop(pop)
pop.quit()
print("poplib: STLS and POP3_SSL, USER / PASS, every message back")


def check_mailbox(imap):
    assert "LOGINDISABLED" not in imap.capabilities, imap.capabilities
    assert "AUTH=PLAIN" in imap.capabilities, imap.capabilities
    assert "STARTTLS" not in imap.capabilities, imap.capabilities
    typ, _ = imap.login(user, password)
    assert typ == "OK", typ
    typ, data = imap.select("INBOX", readonly=True)
    assert (typ, data) == ("OK", [b"3"]), (typ, data)
    typ, data = imap.fetch("1:3", "(BODY.PEEK[])")
    assert typ == "OK", typ
    got = sorted(delivered(part[1]) for part in data if isinstance(part, tuple))
    assert got == sorted(sent), got
    imap.logout()


imap = imaplib.IMAP4(host, imap_port, timeout=30)
typ, _ = imap.starttls(ssl_context=trusting)
assert typ == "OK", typ
check_mailbox(imap)
check_mailbox(imaplib.IMAP4_SSL("localhost", imaps_port, ssl_context=trusting, timeout=30))
print("imaplib: STARTTLS and IMAP4_SSL, LOGIN, every message back")
