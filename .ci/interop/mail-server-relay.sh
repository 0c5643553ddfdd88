#!/usr/bin/env bash
# Two example mail servers on loopback, for a.test and b.test. A message submitted to the
# first (AUTH after STARTTLS) for a user of the second is relayed over SMTP and fetched
# over IMAP from the second, byte for byte but for the Received field the first added; a
# recipient the second does not know brings a failure report (RFC 3464) to the sender's
# INBOX on the first; `mail-server queue list` shows the queue empty afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin="${CARGO_TARGET_DIR:-target}/debug/examples/mail-server"
work=$(mktemp -d)
pids=()
cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$status" -ne 0 ]; then
        for log in "$work"/*.log; do
            echo "-- $log" >&2
            grep -v ' INFO ' "$log" | tail -n 30 >&2 || true
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# start DOMAIN [ARGS…]: a server for DOMAIN with the account user@DOMAIN.
start() {
    local domain=$1
    shift
    printf '%s\n' "pw-$domain" |
        "$bin" add-user "user@$domain" --data "$work/$domain" --password-stdin 2>/dev/null
    "$bin" --data "$work/$domain" --hostname "mx.$domain" --smtp 127.0.0.1:0 \
        --submission 127.0.0.1:0 --smtps 127.0.0.1:0 --pop3 127.0.0.1:0 --pop3s 127.0.0.1:0 \
        --imap 127.0.0.1:0 --imaps 127.0.0.1:0 "$@" 2>"$work/$domain.log" &
    pids+=("$!")
    for _ in $(seq 300); do
        grep -q '^mail-server: IMAPS on ' "$work/$domain.log" && return 0
        sleep 0.1
    done
    echo "the server for $domain did not start" >&2
    return 1
}
port() {
    sed -n "s/^mail-server: $2 on 127\.0\.0\.1:\([0-9]*\) .*/\1/p" "$work/$1.log"
}

start b.test
start a.test --route "b.test=127.0.0.1:$(port b.test SMTP)"

timeout 120 python3 - "$work" "$(port a.test submission)" "$(port a.test IMAPS)" \
    "$(port b.test IMAPS)" <<'PY'
import imaplib, smtplib, ssl, sys, time

work, submission, a_imaps, b_imaps = sys.argv[1], *map(int, sys.argv[2:])
def tls(domain):
    return ssl.create_default_context(cafile=f"{work}/{domain}/tls/cert.pem")

message = (
    b"From: User A <user@a.test>\r\nTo: User B <user@b.test>\r\n"
    b"Subject: across\r\nMessage-ID: <relay-1@a.test>\r\n\r\n"
    b"From one server to the other.\r\n.a line with a dot\r\n"
)
with smtplib.SMTP("127.0.0.1", submission, timeout=30) as smtp:
    smtp.starttls(context=tls("a.test"))
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
head, _, rest = relayed.partition(b"\r\n")
assert head.startswith(b"Received: from "), head
# The Received field ends at the first line that does not continue it.
lines = relayed.split(b"\r\n")
i = 1
while lines[i].startswith((b" ", b"\t")):
    i += 1
received = b"\r\n".join(lines[:i])
assert b"by mx.a.test with ESMTPSA" in received and b"for <user@b.test>" in received, received
assert b"\r\n".join(lines[i:]) == message, relayed
print("relay: the message reached b.test byte for byte, below a.test's Received field")

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
