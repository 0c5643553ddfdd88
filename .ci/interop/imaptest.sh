#!/usr/bin/env bash
# Dovecot's imaptest against examples/memory-server (mailwire-server over the in-memory
# store) and examples/mail-server (over a Maildir): every compliance script must pass
# (groups for capabilities the server does not advertise are skipped by imaptest itself),
# and the stress mode must report no error.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${CARGO_TARGET_DIR:-target}
cargo build --quiet --locked --release --example memory-server --example mail-server
imaptest_out="$target/imaptest"
mkdir -p "$imaptest_out"
if ! bash ../shared/tools/imaptest/build.sh "$imaptest_out" >"$imaptest_out/build.log" 2>&1; then
    tail -n 40 "$imaptest_out/build.log" >&2
    echo "imaptest did not build" >&2
    exit 1
fi
imaptest="$imaptest_out/imaptest/src/imaptest"
tests="$imaptest_out/imaptest/src/tests"

work=$(mktemp -d)
pid=
stop() {
    local status=$?
    if [ "$status" -ne 0 ] && [ -f "$work/server.log" ]; then
        echo "-- server log (last 50 lines)" >&2
        tail -n 50 "$work/server.log" >&2
    fi
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop EXIT

start() {
    case "$1" in
    memory-server)
        "$target/release/examples/memory-server" --imap 127.0.0.1:0 \
            --user imaptest --password 'imaptest pass' 2>"$work/server.log" &
        ;;
    mail-server)
        rm -rf "$work/data"
        # imaptest logs in as `imaptest` (the account's local part alone), without TLS.
        printf '%s\n' 'imaptest pass' | "$target/release/examples/mail-server" add-user \
            imaptest@localhost --data "$work/data" --password-stdin 2>"$work/server.log"
        "$target/release/examples/mail-server" --data "$work/data" --allow-plaintext \
            --smtp 127.0.0.1:0 --submission 127.0.0.1:0 --smtps 127.0.0.1:0 \
            --pop3 127.0.0.1:0 --pop3s 127.0.0.1:0 --imap 127.0.0.1:0 --imaps 127.0.0.1:0 \
            2>>"$work/server.log" &
        ;;
    esac
    pid=$!
    for _ in $(seq 300); do
        if [[ "$(cat "$work/server.log")" =~ IMAP\ on\ 127\.0\.0\.1:([0-9]+) ]]; then
            port=${BASH_REMATCH[1]}
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { echo "$1 exited at start" >&2; return 1; }
        sleep 0.1
    done
    echo "$1 did not report its port" >&2
    return 1
}

run_imaptest() {
    LD_LIBRARY_PATH=/usr/lib/dovecot timeout 600 "$imaptest" host=127.0.0.1 port="$port" \
        user=imaptest pass='imaptest pass' "$@"
}

# A CRLF mbox of distinct messages for imaptest to APPEND from.
python3 - "$work/stress.mbox" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    for i in range(300):
        body = "".join(f"line {j} of message {i}\r\n" for j in range(i % 40 + 1))
        f.write(
            f"From sender{i}@example.org Mon Dec  7 12:00:00 2026\r\n"
            f"From: Sender {i} <sender{i}@example.org>\r\n"
            f"To: imaptest@example.org\r\n"
            f"Subject: stress message {i}\r\n"
            f"Message-ID: <stress-{i}@example.org>\r\n"
            f"Date: Mon, 7 Dec 2026 12:{i % 60:02d}:00 +0000\r\n"
            "\r\n".encode() + body.encode() + b"\r\n"
        )
PY

for server in memory-server mail-server; do
    start "$server"
    echo "-- $server: compliance scripts"
    run_imaptest test="$tests" >"$work/compliance.txt" 2>&1 || true
    tail -n 4 "$work/compliance.txt"
    summary=$(grep -E '^[0-9]+ test groups: ' "$work/compliance.txt" || true)
    # A failed group, and any protocol error imaptest noticed on the way (a keyword used before
    # FLAGS announced it, an unexpected BYE), fail the run.
    if ! [[ "$summary" =~ ^([0-9]+)\ test\ groups:\ 0\ failed ]] \
        || grep -qE '^(Error|Panic|Fatal):' "$work/compliance.txt"; then
        grep -E '^\*\*\* |^ - |^(Error|Panic)' "$work/compliance.txt" | head -n 80 >&2 || true
        echo "imaptest compliance against $server: failures (see above)" >&2
        exit 1
    fi

    echo "-- $server: stress, 10 clients, 30 s"
    run_imaptest mbox="$work/stress.mbox" clients=10 secs=30 >"$work/stress.txt" 2>&1 || true
    tail -n 6 "$work/stress.txt"
    if grep -qE '^Error:|^Panic:|Fatal' "$work/stress.txt"; then
        grep -E '^Error:|^Panic:|Fatal' "$work/stress.txt" | sort | uniq -c | sort -rn | head -n 30 >&2
        echo "imaptest stress against $server: errors (see above)" >&2
        exit 1
    fi
    if ! grep -qE '^Logi' "$work/stress.txt"; then
        echo "imaptest stress against $server: no statistics printed" >&2
        exit 1
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
done
echo "interop: imaptest against memory-server and mail-server passed"
