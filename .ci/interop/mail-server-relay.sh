#!/usr/bin/env bash
# Two example mail servers on loopback, for a.test and b.test. A message submitted to the
# first (AUTH after STARTTLS) for a user of the second is relayed over SMTP and fetched
# over IMAP from the second, byte for byte below the trace fields each of them added; a
# recipient the second does not know brings a failure report (RFC 3464) to the sender's
# INBOX on the first; `mail-server queue list` shows the queue empty afterwards. Then the
# second is stopped: a message for it waits in the first's queue with the connection
# failure, and once the second is back on the same port, arrives after a retry (the first
# retries 2 seconds after a failure, `--retry-first 2s`). Last, a message sent with
# NOTIFY=SUCCESS brings a "delivered" report (RFC 3461) from the second back to the sender.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server
source .ci/interop/mail-servers.bash

start b.test
b_smtp=$(port b.test SMTP)
start a.test --route "b.test=127.0.0.1:$b_smtp" --retry-first 2s

timeout 120 python3 - "$work" "$(port a.test submission)" "$(port a.test IMAPS)" \
    "$(port b.test IMAPS)" <<'PY'
import imaplib, smtplib, ssl, sys, time

sys.path.insert(0, ".ci/interop")
from mailtrace import split_trace

work, submission, a_imaps, b_imaps = sys.argv[1], *map(int, sys.argv[2:])
def tls(domain):
    return ssl.create_default_context(cafile=f"{work}/{domain}/tls/cert.pem")

message = (
    b"From: User A <user@a.test>\r\nTo: User B <user@b.test>\r\n"
    b"Subject: across\r\nMessage-ID: <relay-1@a.test>\r\n\r\n"
    b"From one server to the other.\r\n.a line with a dot\r\n"
)
with smtplib.SMTP("127.0.0.1", submission, timeout=30) as smtp:
    smtp.ehlo("client.example.org")
    smtp.starttls(context=tls("a.test"))
    smtp.ehlo("client.example.org")
    smtp.login("user@a.test", "pw-a.test")
    assert smtp.sendmail("user@a.test", ["user@b.test"], message) == {}
    assert smtp.sendmail("user@a.test", ["nobody@b.test"], message) == {}

def inbox(domain, port, want):
    """The messages of user@DOMAIN's INBOX once there are `want`, within 30 seconds."""
    deadline = time.monotonic() + 30
    while True:
        imap = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=tls(domain))
        imap.login(f"user@{domain}", f"pw-{domain}")
        typ, data = imap.select("INBOX")
        count = int(data[0])
        if count >= want:
            bodies = []
            for n in range(1, count + 1):
                typ, data = imap.fetch(str(n), "(BODY.PEEK[])")
                bodies.append(data[0][1])
            imap.logout()
            assert count == want, (domain, count)
            return bodies
        imap.logout()
        assert time.monotonic() < deadline, f"{domain}: {count} of {want} messages"
        time.sleep(0.3)

[relayed] = inbox("b.test", b_imaps, 1)
# Final delivery's Return-Path, then a Received field for each hop, the last first:
# b.test took it from a.test's relay (in clear: b.test's self-signed certificate is not
# one a.test trusts, so opportunistic STARTTLS falls back), a.test from the client that
# logged in over STARTTLS.
trace, below = split_trace(relayed, b"<user@a.test>", [
    (b"mx.a.test", b"mx.b.test", b"ESMTP"),
    (b"client.example.org", b"mx.a.test", b"ESMTPSA"),
])
assert trace.count(b"\tfor <user@b.test>; ") == 2, trace
assert below == message, relayed
print("relay: the message reached b.test byte for byte, below Return-Path and a Received field"
      " for each hop")

[report] = inbox("a.test", a_imaps, 1)
assert b"Content-Type: multipart/report; report-type=delivery-status" in report, report
assert b"Final-Recipient: rfc822; nobody@b.test" in report, report
assert b"Action: failed" in report and b"Status: 5.1.1" in report, report
assert b"Message-ID: <relay-1@a.test>" in report, report
print("relay: the unknown recipient's failure report is in the sender's INBOX on a.test")
PY

listing=$("$bin" queue list --data "$work/a.test")
[ -z "$listing" ] || { echo "the queue still holds: $listing" >&2; exit 1; }
echo "interop: two example servers relay to each other, with a failure report"

# b.test down: the message waits in a.test's queue, with the connection failure.
stop b.test
timeout 60 python3 - "$work" "$(port a.test submission)" <<'PY'
import smtplib, ssl, sys

work, submission = sys.argv[1], int(sys.argv[2])
message = (
    b"From: User A <user@a.test>\r\nTo: User B <user@b.test>\r\n"
    b"Subject: later\r\nMessage-ID: <relay-2@a.test>\r\n\r\nWhile you were away.\r\n"
)
with smtplib.SMTP("127.0.0.1", submission, timeout=30) as smtp:
    smtp.starttls(context=ssl.create_default_context(cafile=f"{work}/a.test/tls/cert.pem"))
    smtp.login("user@a.test", "pw-a.test")
    assert smtp.sendmail("user@a.test", ["user@b.test"], message) == {}
PY
# Within 30 seconds, the first attempt has failed and the queue says so.
for i in $(seq 300); do
    listing=$("$bin" queue list --data "$work/a.test")
    grep -q "cannot deliver through 127.0.0.1:$b_smtp" <<<"$listing" && break
    [ "$i" -lt 300 ] || { echo "no failed attempt in the queue: $listing" >&2; exit 1; }
    sleep 0.1
done
echo "relay: with b.test down, a.test's queue holds the message: $(sed -n 2p <<<"$listing")"
grep -q '^  <user@b\.test> Pending, [1-9][0-9]* attempt(s), next at [0-9]*: ' <<<"$listing" || {
    echo "unexpected listing: $listing" >&2
    exit 1
}

# b.test back on the same port: the next retry delivers, within 60 seconds.
# It now knows its way back to a.test, for the delivery report asked for below.
smtp_at=127.0.0.1:$b_smtp start b.test --route "a.test=127.0.0.1:$(port a.test SMTP)"
for i in $(seq 600); do
    [ -z "$("$bin" queue list --data "$work/a.test")" ] && break
    [ "$i" -lt 600 ] || { echo "the message was not delivered after b.test came back" >&2; exit 1; }
    sleep 0.1
done
delivered=$(grep 'delivered' "$work/a.test.log" | grep 'recipient=<user@b.test>' | tail -n 1)
[[ "$delivered" =~ attempts=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 2 ] || {
    echo "not delivered after a retry: $delivered" >&2
    exit 1
}
timeout 60 python3 - "$work" "$(port b.test IMAPS)" <<'PY'
import imaplib, ssl, sys

work, port = sys.argv[1], int(sys.argv[2])
imap = imaplib.IMAP4_SSL(
    "127.0.0.1", port, ssl_context=ssl.create_default_context(cafile=f"{work}/b.test/tls/cert.pem")
)
imap.login("user@b.test", "pw-b.test")
typ, data = imap.select("INBOX")
assert data[0] == b"2", data
typ, data = imap.fetch("2", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
assert data[0][1] == b"Message-ID: <relay-2@a.test>\r\n\r\n", data
imap.logout()
PY
echo "relay: b.test back up got the message after a retry (${BASH_REMATCH[0]})"
echo "interop: a message for a server that was down arrives after a retry"

# NOTIFY=SUCCESS across both (RFC 3461): a.test passes it on, since b.test offers DSN;
# b.test delivers to its account and sends the "delivered" report back to a.test, where
# it lands in the sender's INBOX beside the earlier failure report.
timeout 90 python3 - "$work" "$(port a.test submission)" "$(port a.test IMAPS)" \
    "$(port b.test IMAPS)" <<'PY'
import imaplib, smtplib, ssl, sys, time

work, submission, a_imaps, b_imaps = sys.argv[1], *map(int, sys.argv[2:])
def tls(domain):
    return ssl.create_default_context(cafile=f"{work}/{domain}/tls/cert.pem")

message = (
    b"From: User A <user@a.test>\r\nTo: User B <user@b.test>\r\n"
    b"Subject: tell me\r\nMessage-ID: <relay-3@a.test>\r\n\r\nPlease confirm.\r\n"
)
with smtplib.SMTP("127.0.0.1", submission, timeout=30) as smtp:
    smtp.starttls(context=tls("a.test"))
    smtp.login("user@a.test", "pw-a.test")
    assert smtp.has_extn("dsn"), smtp.esmtp_features
    refused = smtp.sendmail("user@a.test", ["user@b.test"], message,
                            mail_options=["ENVID=tell-me-1"],
                            rcpt_options=["NOTIFY=SUCCESS"])
    assert refused == {}, refused

def messages(domain, port, want):
    deadline = time.monotonic() + 60
    while True:
        imap = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=tls(domain))
        imap.login(f"user@{domain}", f"pw-{domain}")
        count = int(imap.select("INBOX")[1][0])
        if count >= want:
            typ, data = imap.fetch(f"{want}", "(BODY.PEEK[])")
            imap.logout()
            assert count == want, (domain, count)
            return data[0][1]
        imap.logout()
        assert time.monotonic() < deadline, f"{domain}: {count} of {want} messages"
        time.sleep(0.3)

delivered = messages("b.test", b_imaps, 3)
assert delivered.endswith(message), delivered
report = messages("a.test", a_imaps, 2)
for expected in (
    b"Subject: Successful Mail Delivery Report\r\n",
    b"Reporting-MTA: dns; mx.b.test\r\nOriginal-Envelope-Id: tell-me-1\r\n",
    b"Final-Recipient: rfc822; user@b.test\r\nAction: delivered\r\nStatus: 2.0.0\r\n",
    b"Message-ID: <relay-3@a.test>\r\n",
):
    assert expected in report, (expected, report)
assert report.startswith(b"Return-Path: <>\r\n"), report[:200]
print("relay: NOTIFY=SUCCESS passed on by a.test, answered by b.test on delivery")
PY
echo "interop: a delivery report asked for by NOTIFY=SUCCESS comes back across servers"
