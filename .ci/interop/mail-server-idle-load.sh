#!/usr/bin/env bash
# Many IMAP connections in IDLE on the example mail server (examples/idle-load.rs): all log
# in, select INBOX and idle; the server's RSS growth per connection is printed; one message
# sent over SMTP must reach every one of them as `* 1 EXISTS`. CI holds 1,000 connections
# to keep its time down; `IDLE_CONNECTIONS=10000` is the full measurement (about 2 × N file
# descriptors are needed, N on each side).
set -euo pipefail
cd "$(dirname "$0")/../.."

connections=${IDLE_CONNECTIONS:-1000}
# A descriptor per connection on each side, and some to spare; the server inherits it.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((connections + 100)) ]; then
    echo "ulimit -n $(ulimit -n) is too low for $connections connections" >&2
    exit 1
fi

cargo build --quiet --locked --example mail-server --example idle-load
source .ci/interop/mail-server.bash
start_mail_server --max-connections $((connections * 2)) --max-per-ip $((connections * 2))

timeout 300 "${CARGO_TARGET_DIR:-target}/debug/examples/idle-load" \
    --imap "127.0.0.1:$imap_port" --smtp "127.0.0.1:$smtp_port" \
    --user "$user" --password "$password" --server-pid "$pid" \
    --connections "$connections" --timeout 120

echo "interop: mail-server holds $connections connections in IDLE and tells them all of new mail"
