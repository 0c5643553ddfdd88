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
# What an idle connection costs is measured, not its login: LOGIN without TLS, and the
# account's password hashed with the cheapest argon2id parameters (8 KiB, one pass) instead
# of add-user's (19 MiB, two passes), which would take the server a fifth of a second a login
# in a debug build and leave it the memory of each hash done at once.
args=(--max-connections $((connections * 2)) --max-per-ip $((connections * 2)) --allow-plaintext)
start_mail_server "${args[@]}"
kill_mail_server TERM
cheap=$(printf %s "$password" | argon2 idle-load-salt -id -t 1 -k 8 -p 1 -e)
sed -i "s|^$user:{ARGON2ID}[^:]*:|$user:{ARGON2ID}$cheap:|" "$data/users"
grep -qF "$user:{ARGON2ID}$cheap:" "$data/users"
start_mail_server "${args[@]}"

timeout 300 "${CARGO_TARGET_DIR:-target}/debug/examples/idle-load" \
    --imap "127.0.0.1:$imap_port" --smtp "127.0.0.1:$smtp_port" \
    --user "$user" --password "$password" --server-pid "$pid" \
    --connections "$connections" --timeout 120

echo "interop: mail-server holds $connections connections in IDLE and tells them all of new mail"
