#!/usr/bin/env bash
# Relaying across a crash: two example mail servers, for a.test and b.test, b.test down. Ten
# smtplib clients submit 200 messages for user@b.test to a.test (AUTH after STARTTLS);
# a.test is killed with SIGKILL at a random moment while they send, and started again;
# then b.test starts, `mail-server queue flush` tells the running a.test to try at once,
# and every message a.test acknowledged with 250 must reach user@b.test's Maildir exactly
# once (counted by Message-ID), within a bounded time.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server
source .ci/interop/mail-servers.bash

# b.test started once for its account and its SMTP port, then stopped.
start b.test
b_smtp=$(port b.test SMTP)
stop b.test TERM
start a.test --route "b.test=127.0.0.1:$b_smtp"

timeout 120 python3 - "$work" "$(port a.test submission)" <<'PY' &
import json, os, smtplib, ssl, sys, threading

work, port = sys.argv[1], int(sys.argv[2])
THREADS, PER_THREAD = 10, 20
context = ssl.create_default_context(cafile=f"{work}/a.test/tls/cert.pem")
acked, lock = [], threading.Lock()
ready = threading.Barrier(THREADS + 1, timeout=30)

def progress():
    with open(f"{work}/acked.tmp", "w") as f:
        f.write(str(len(acked)))
    os.replace(f"{work}/acked.tmp", f"{work}/acked")

def sender(t):
    try:
        smtp = smtplib.SMTP("127.0.0.1", port, timeout=10)
        smtp.starttls(context=context)
        smtp.login("user@a.test", "pw-a.test")
    finally:
        ready.wait()
    try:
        for n in range(PER_THREAD):
            mid = f"<crash-{t}-{n}@a.test>"
            message = (
                f"From: user@a.test\r\nTo: user@b.test\r\nSubject: {t} {n}\r\n"
                f"Message-ID: {mid}\r\n\r\nmessage {n} of sender {t}\r\n"
            ).encode()
            try:
                refused = smtp.sendmail("user@a.test", ["user@b.test"], message)
            except (OSError, smtplib.SMTPException):
                return
            assert refused == {}, refused
            with lock:
                acked.append(mid)
                progress()
    finally:
        try:
            smtp.close()
        except OSError:
            pass

threads = [threading.Thread(target=sender, args=(t,)) for t in range(THREADS)]
for thread in threads:
    thread.start()
ready.wait()
for thread in threads:
    thread.join()
with open(f"{work}/acked.json", "w") as f:
    json.dump(acked, f)
PY
senders=$!

# SIGKILL once a random number of messages (1 to 190) were acknowledged, within 60 s.
target=$((RANDOM % 190 + 1))
for i in $(seq 600); do
    [ "$(cat "$work/acked" 2>/dev/null || echo 0)" -ge "$target" ] && break
    kill -0 "$senders" 2>/dev/null || break
    sleep 0.1
done
stop a.test KILL
wait "$senders"
acked=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$work/acked.json")
echo "relay crash: a.test killed after $acked of 200 messages were acknowledged"
[ "$acked" -ge 1 ] || { echo "no message acknowledged before the kill" >&2; exit 1; }

# a.test again (its first pass finds b.test still down), then b.test on its port, then a
# flush from the command line, which the running a.test reads within 5 seconds.
start a.test --route "b.test=127.0.0.1:$b_smtp"
smtp_at=127.0.0.1:$b_smtp start b.test
"$bin" queue flush --data "$work/a.test"
for i in $(seq 900); do
    [ -z "$("$bin" queue list --data "$work/a.test")" ] && break
    [ "$i" -lt 900 ] || { echo "a.test's queue is not empty after 90 s" >&2; exit 1; }
    sleep 0.1
done

python3 - "$work/acked.json" "$work/b.test/b.test/user" <<'PY'
import collections, json, os, re, sys

acked = json.load(open(sys.argv[1]))
found = collections.Counter()
for sub in ("new", "cur"):
    folder = os.path.join(sys.argv[2], sub)
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), "rb") as f:
            ids = re.findall(rb"^Message-ID: (<crash-\d+-\d+@a\.test>)\r?$", f.read(), re.M)
        assert len(ids) == 1, (name, ids)
        found[ids[0].decode()] += 1
twice = sorted(m for m, n in found.items() if n > 1)
missing = sorted(set(acked) - set(found))
assert not twice, f"delivered more than once: {twice}"
assert not missing, f"acknowledged but not delivered: {missing}"
print(f"relay crash: all {len(acked)} acknowledged messages reached b.test once "
      f"({len(found) - len(acked)} more sent without an answer arrived too)")
PY
echo "interop: mail relayed after a crash arrives exactly once"
