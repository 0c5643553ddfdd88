#!/usr/bin/env bash
# The example mail server's IMAP side against clients nobody here wrote: mail goes in with
# Python's smtplib, and is read, flagged, appended and expunged with imaplib and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server
server="${CARGO_TARGET_DIR:-target}/debug/examples/mail-server"

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

read -r smtp_port pop3_port imap_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks: s.close()')

"$server" --maildir "$work/mail" --smtp "127.0.0.1:$smtp_port" --pop3 "127.0.0.1:$pop3_port" \
    --imap "127.0.0.1:$imap_port" --user alice --password 'open sesame' 2>"$work/server.log" &
pid=$!

python3 .ci/interop/mail_server_imap.py "$smtp_port" "$imap_port" "$work/mail"

# curl: the first message's text and a search, over IMAP.
curl --silent --show-error "imap://127.0.0.1:$imap_port/INBOX;UID=1;SECTION=TEXT" \
    --user 'alice:open sesame' >"$work/text.txt"
printf 'Dear Bob,\r\n.a line with a dot\r\n' | cmp - "$work/text.txt"
curl --silent --show-error "imap://127.0.0.1:$imap_port/INBOX?SUBJECT%20appended" \
    --user 'alice:open sesame' >"$work/search.txt"
grep -qx '\* SEARCH 2'$'\r' "$work/search.txt"
echo "curl: IMAP FETCH of a section and SEARCH as expected"

kill "$pid"
wait "$pid" 2>/dev/null || true
echo "interop: mail-server IMAP with smtplib, imaplib and curl passed"
