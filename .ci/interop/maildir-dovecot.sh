#!/usr/bin/env bash
# One Maildir, two servers: what the example mail server writes (SMTP deliveries, folders
# with non-ASCII names, APPEND, STORE of flags and keywords, COPY, EXPUNGE), Dovecot serves
# with the same folders, UIDVALIDITY, UIDs, flags, keywords, sizes and bytes; then what
# Dovecot writes on top, the mail server serves the same way. Both are compared through
# Python's imaplib over the network (maildir_dovecot.py); Dovecot runs self-contained, its
# configuration, state and log under $work.
# (Run as root, Dovecot's mail processes are nobody's: see dovecot.bash.)
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server
source .ci/interop/mail-server.bash
# imaplib logs in to both servers without TLS: the store is under test here, not TLS.
start_mail_server --allow-plaintext

export MAIL_USER=$user MAIL_PASSWORD=$password
helper() { timeout 60 python3 .ci/interop/maildir_dovecot.py "$@"; }

# Dovecot's IMAP (.ci/interop/dovecot.bash) on a free port of 127.0.0.1, plaintext LOGIN
# allowed, one account ($user / $password) whose mail is $maildir.
source .ci/interop/dovecot.bash
dovecot_dir="$work/dovecot"
dovecot_maildir=$maildir
dovecot_user=$user
dovecot_password=$password
# Dovecot is stopped first; the mail server's own handler then sees the script's status.
trap 'status=$?; [ "$status" = 0 ] || cat "$dovecot_dir/log" >&2 2>/dev/null; stop_dovecot; set +e; (exit "$status"); stop_mail_server' EXIT

# mailwire writes; both serve it.
helper write-mailwire "$smtp_port" "$imap_port"
helper snapshot "$imap_port" "$work/mailwire-1.json"
kill_mail_server TERM
start_dovecot
helper snapshot "$dovecot_imap_port" "$work/dovecot-1.json"
helper compare "$work/mailwire-1.json" "$work/dovecot-1.json" 9 12

# Dovecot writes on top; both serve it.
helper write-dovecot "$dovecot_imap_port"
helper snapshot "$dovecot_imap_port" "$work/dovecot-2.json"
stop_dovecot
start_mail_server --allow-plaintext
helper snapshot "$imap_port" "$work/mailwire-2.json"
helper compare "$work/dovecot-2.json" "$work/mailwire-2.json" 10 19

echo "interop: the mail server and Dovecot serve each other's Maildir alike"
