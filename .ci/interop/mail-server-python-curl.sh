#!/usr/bin/env bash
# The example mail server against clients nobody here wrote: Python's smtplib and poplib,
# and curl. Mail goes in over SMTP and comes back over POP3, byte for byte.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server
source .ci/interop/mail-server.bash
start_mail_server --allow-plaintext

python3 .ci/interop/mail_server_python.py "$smtp_port" "$pop3_port" "$maildir"

# curl: send one message over SMTP, fetch it back over POP3 (curl unstuffs too).
printf 'From: curl@example.org\r\nSubject: by curl\r\n\r\nline one\r\n.dot line\r\n' >"$work/curl.eml"
curl --silent --show-error "smtp://127.0.0.1:$smtp_port" --mail-from curl@example.org \
    --mail-rcpt "$user" --upload-file "$work/curl.eml"
curl --silent --show-error "pop3://127.0.0.1:$pop3_port/1" --user "$user:$password" >"$work/fetched.eml"
python3 .ci/interop/mailtrace.py "$work/curl.eml" "$work/fetched.eml" \
    --return-path '<curl@example.org>' --received '*,localhost,ESMTP'
curl --silent --show-error "pop3://127.0.0.1:$pop3_port/" --user "$user:$password" >"$work/list.txt"
grep -qx "1 $(stat -c %s "$work/fetched.eml")"$'\r' "$work/list.txt"
echo "curl: SMTP in, POP3 out, identical below Return-Path and Received"

echo "interop: mail-server with smtplib, poplib and curl passed"
