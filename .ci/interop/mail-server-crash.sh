#!/usr/bin/env bash
# The example mail server killed with SIGKILL while 50 SMTP clients send to it, then
# started again on the same Maildir, a few rounds: every message it acknowledged with 250
# must be served over IMAP afterwards, byte for byte, and none twice (mail_server_crash.py).
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server
source .ci/interop/mail-server.bash
# 50 clients from one address, beyond the default limit per address; imaplib's LOGIN
# without TLS (the storage is under test here, not TLS).
limits=(--max-per-ip 100 --allow-plaintext)
start_mail_server "${limits[@]}"

export MAIL_USER=$user MAIL_PASSWORD=$password
rounds=${CRASH_ROUNDS:-4}
mkdir -p "$work/state"
crashes=0
for round in $(seq "$rounds"); do
    # About a minute in all: no new round after 45 s, once two have run.
    if [ "$round" -gt 2 ] && [ "$SECONDS" -gt 45 ]; then
        echo "round $round not started: ${SECONDS}s spent"
        break
    fi
    timeout 60 python3 .ci/interop/mail_server_crash.py send "$smtp_port" "$round" \
        "$work/state/round-$round.json" &
    senders=$!
    for _ in $(seq 200); do
        [ -e "$work/state/round-$round.json.sending" ] || ! kill -0 "$senders" 2>/dev/null && break
        sleep 0.1
    done
    [ -e "$work/state/round-$round.json.sending" ] || { echo "the senders did not connect" >&2; exit 1; }
    # A moment up to 1.5 s into the sending.
    sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 1.5 * r / 32767 }')"
    restart_mail_server KILL "${limits[@]}"
    wait "$senders"
    timeout 120 python3 .ci/interop/mail_server_crash.py check "$imap_port" "$work/state"
    crashes=$((crashes + 1))
done

echo "interop: mail-server keeps every acknowledged message across $crashes crashes"
