#!/usr/bin/env bash
# The example mail server's IMAP side against clients nobody here wrote: mail goes in with
# Python's smtplib, and is read, flagged, appended and expunged with imaplib and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server
source .ci/interop/mail-server.bash
start_mail_server --allow-plaintext

python3 .ci/interop/mail_server_imap.py "$smtp_port" "$imap_port" "$maildir"

# curl: the first message's text and a search, over IMAP.
curl --silent --show-error "imap://127.0.0.1:$imap_port/INBOX;UID=1;SECTION=TEXT" \
    --user "$user:$password" >"$work/text.txt"
printf 'Dear Bob,\r\n.a line with a dot\r\n' | cmp - "$work/text.txt"
curl --silent --show-error "imap://127.0.0.1:$imap_port/INBOX?SUBJECT%20appended" \
    --user "$user:$password" >"$work/search.txt"
grep -qx '\* SEARCH 2'$'\r' "$work/search.txt"
echo "curl: IMAP FETCH of a section and SEARCH as expected"

echo "interop: mail-server IMAP with smtplib, imaplib and curl passed"
