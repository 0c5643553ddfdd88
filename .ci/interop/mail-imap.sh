#!/usr/bin/env bash
# mail-imap against the example mail server: list, status, search and fetch a message
# mail-send delivered, then `watch` (IDLE) prints the sender and subject of a message
# delivered by SMTP while it waits.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server --example mail-send --example mail-imap
bin="${CARGO_TARGET_DIR:-target}/debug/examples"

source .ci/interop/mail-server.bash
start_mail_server --allow-plaintext

printf 'From: Bob <bob@example.org>\r\nTo: %s\r\nSubject: first\r\n\r\nHello.\r\n' "$user" \
    >"$work/first.eml"
"$bin/mail-send" --server "127.0.0.1:$smtp_port" --plaintext --from bob@example.org \
    --to "$user" "$work/first.eml" >/dev/null

imap=("$bin/mail-imap" --server "127.0.0.1:$imap_port" --plaintext --allow-plaintext-auth
    --user "$user" --password "$password")
"${imap[@]}" list >"$work/list.txt"
grep -q '^INBOX	' "$work/list.txt"
"${imap[@]}" status INBOX >"$work/status.txt"
grep -qx 'messages 1' "$work/status.txt"
grep -qx 'unseen 1' "$work/status.txt"
uid=$("${imap[@]}" search INBOX UNSEEN FROM bob@example.org)
[ -n "$uid" ] && [ "$(printf '%s\n' "$uid" | wc -l)" -eq 1 ]
[ -z "$("${imap[@]}" search INBOX SUBJECT nothing-like-this)" ]
"${imap[@]}" fetch INBOX "$uid" >"$work/fetched.eml"
# The server adds its Return-Path and Received fields above the message.
python3 .ci/interop/mailtrace.py "$work/first.eml" "$work/fetched.eml" \
    --return-path '<bob@example.org>' --received '*,localhost,ESMTP'
echo "mail-imap: list, status, search and fetch as expected"

# Refused without --allow-plaintext-auth: nothing is sent in clear.
if "$bin/mail-imap" --server "127.0.0.1:$imap_port" --plaintext --user "$user" \
    --password "$password" list 2>"$work/refused.txt"; then
    echo "LOGIN without TLS was not refused" >&2
    exit 1
fi
grep -q 'in clear' "$work/refused.txt"

timeout 60 "${imap[@]}" watch INBOX >"$work/watch.txt" 2>"$work/watch.err" &
watcher=$!
for _ in $(seq 100); do
    grep -q '^watching' "$work/watch.err" && break
    sleep 0.1
done
grep -q '^watching INBOX (1 messages)' "$work/watch.err"
printf 'From: =?UTF-8?Q?Zo=C3=A9?= <zoe@example.org>\r\nTo: %s\r\nSubject: second\r\n\r\nHi.\r\n' \
    "$user" | "$bin/mail-send" --server "127.0.0.1:$smtp_port" --plaintext \
    --from zoe@example.org --to "$user" - >/dev/null
for _ in $(seq 100); do
    [ -s "$work/watch.txt" ] && break
    sleep 0.1
done
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
printf 'Zoé <zoe@example.org>\tsecond\n' | cmp - "$work/watch.txt"
echo "mail-imap watch: the message delivered by SMTP seen through IDLE"
