#!/usr/bin/env bash
# mailwire's example clients against Dovecot from Debian, on loopback: mail-imap (list,
# status, search, fetch) and mail-fetch over IMAP and POP3 (list, one message to standard
# output, new messages into a Maildir and into an mbox, then nothing new on a second run),
# each over plain TCP (with the clients' opt-in for passwords in clear), STARTTLS / STLS
# and implicit TLS, trusting a throwaway certificate authority. The messages are written
# into Dovecot's Maildir beforehand (a body larger than 64 KiB, lines that start with a
# dot, 8-bit text, a second folder); what the clients fetch must be those bytes exactly
# (CRLF on the wire, LF in the saved copies), and the listings must be what Python's
# imaplib and poplib see. Then: no password in clear without the opt-in; `mail-imap watch`
# told by IDLE of a message arriving; `mail-fetch --imap --unseen`; `mail-fetch --delete`.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-imap --example mail-fetch
bin="${CARGO_TARGET_DIR:-target}/debug/examples"

work=$(mktemp -d)
source .ci/interop/dovecot.bash
source .ci/interop/tls-cert.bash
dovecot_dir="$work/dovecot"
dovecot_maildir="$work/Maildir"
dovecot_user=ann
dovecot_password='dove secret'
dovecot_protocols="imap pop3"
trap 'status=$?
[ "$status" = 0 ] || { echo "-- dovecot log" >&2; cat "$dovecot_dir/log" >&2 2>/dev/null; }
stop_dovecot; rm -rf "$work"; exit "$status"' EXIT

make_tls_cert "$work/tls"
dovecot_cert="$work/tls/cert.pem"
dovecot_key="$work/tls/key.pem"
ca="$work/tls/ca.pem"
helper() { timeout 60 python3 .ci/interop/clients_dovecot.py "$@"; }
expected="$work/expected"
helper write "$dovecot_maildir" "$expected"
start_dovecot
helper imap-referee "$dovecot_imaps_port" "$dovecot_user" "$dovecot_password" "$ca" "$work"
helper pop3-referee "$dovecot_pop3s_port" "$dovecot_user" "$dovecot_password" "$ca" "$work"
# The referees' view holds what was written.
cut -f1 "$work/list.txt" | sort | cmp - <(printf '%s\n' Archive INBOX)
grep -qx 'messages 3' "$work/status.txt"
grep -qx 'unseen 3' "$work/status.txt"
[ "$(wc -l <"$work/pop3-list.txt")" = 3 ]

# size NAME: the size of the expected message NAME of INBOX on the wire (CRLF).
size() { stat -c %s "$expected/INBOX/$1.eml"; }

# check_imap NAME ARGS…: mail-imap and mail-fetch --imap with the connection ARGS.
check_imap() {
    local name=$1 out="$work/imap-$1"
    shift
    mkdir -p "$out"
    local imap=("$bin/mail-imap" --server "127.0.0.1:$1" "${@:2}" --user "$dovecot_user"
        --password "$dovecot_password")
    # imaplib's view now (a SELECT clears \Recent): the listing and counters to print.
    mkdir -p "$out/referee"
    helper imap-referee "$dovecot_imaps_port" "$dovecot_user" "$dovecot_password" "$ca" \
        "$out/referee"
    timeout 30 "${imap[@]}" list >"$out/list.txt"
    cmp "$out/referee/list.txt" "$out/list.txt"
    timeout 30 "${imap[@]}" status INBOX >"$out/status.txt"
    cmp "$out/referee/status.txt" "$out/status.txt"
    local all uid
    all=$(timeout 30 "${imap[@]}" search INBOX ALL)
    [ "$(printf '%s\n' "$all" | tr '\n' ' ')" = "1 2 3 " ] || { echo "search ALL: $all" >&2; return 1; }
    [ -z "$(timeout 30 "${imap[@]}" search INBOX SUBJECT nothing-like-this)" ]
    for message in small big eight; do
        uid=$(timeout 30 "${imap[@]}" search INBOX HEADER Message-ID "<$message@example.org>")
        [[ "$uid" =~ ^[0-9]+$ ]] || { echo "search for $message: $uid" >&2; return 1; }
        timeout 30 "${imap[@]}" fetch INBOX "$uid" | cmp - "$expected/INBOX/$message.eml"
    done
    # 8-bit criteria go as literals with CHARSET UTF-8; Dovecot decodes the encoded word.
    uid=$(timeout 30 "${imap[@]}" search INBOX SUBJECT café)
    timeout 30 "${imap[@]}" fetch INBOX "$uid" | cmp - "$expected/INBOX/eight.eml"
    [ "$(timeout 30 "${imap[@]}" search INBOX '(OR FROM zoé SUBJECT "no such")' UNSEEN)" = "$uid" ]
    uid=$(timeout 30 "${imap[@]}" search INBOX UNSEEN LARGER 65536 FROM carol@example.org)
    timeout 30 "${imap[@]}" fetch INBOX "$uid" | cmp - "$expected/INBOX/big.eml"
    uid=$(timeout 30 "${imap[@]}" search Archive ALL)
    timeout 30 "${imap[@]}" fetch Archive "$uid" | cmp - "$expected/Archive/archived.eml"
    echo "mail-imap ($name): list, status, search and fetch as Dovecot has them"

    local fetch=("$bin/mail-fetch" --imap --server "127.0.0.1:$1" "${@:2}" --user
        "$dovecot_user" --password "$dovecot_password")
    timeout 30 "${fetch[@]}" >"$out/fetch-list.txt"
    # Sequence number, size, UID: the sizes are those of the messages written.
    cut -d' ' -f2 "$out/fetch-list.txt" | sort -n |
        cmp - <(for m in small big eight; do size "$m"; done | sort -n)
    local n
    for message in small big eight; do
        n=$(awk -v size="$(size "$message")" '$2 == size { print $1 }' "$out/fetch-list.txt")
        timeout 30 "${fetch[@]}" --message "$n" | cmp - "$expected/INBOX/$message.eml"
    done
    timeout 60 "${fetch[@]}" --maildir "$out/Maildir" | grep -qx 'saved 3 new messages'
    timeout 60 "${fetch[@]}" --mbox "$out/inbox.mbox" | grep -qx 'saved 3 new messages'
    timeout 60 "${fetch[@]}" --folder Archive --mbox "$out/archive.mbox" |
        grep -qx 'saved 1 new message'
    helper saved "$expected/INBOX" maildir "$out/Maildir"
    helper saved "$expected/INBOX" mbox "$out/inbox.mbox"
    helper saved "$expected/Archive" mbox "$out/archive.mbox"
    timeout 60 "${fetch[@]}" --maildir "$out/Maildir" | grep -qx 'saved 0 new messages'
    timeout 60 "${fetch[@]}" --mbox "$out/inbox.mbox" | grep -qx 'saved 0 new messages'
    helper saved "$expected/INBOX" maildir "$out/Maildir"
    helper saved "$expected/INBOX" mbox "$out/inbox.mbox"
    echo "mail-fetch --imap ($name): list, messages, Maildir and mbox identical; nothing new twice"
}

# check_pop3 NAME PORT ARGS…: mail-fetch over POP3 with the connection ARGS.
check_pop3() {
    local name=$1 out="$work/pop3-$1"
    shift
    mkdir -p "$out"
    local fetch=("$bin/mail-fetch" --server "127.0.0.1:$1" "${@:2}" --user "$dovecot_user"
        --password "$dovecot_password")
    timeout 30 "${fetch[@]}" >"$out/list.txt"
    cmp "$work/pop3-list.txt" "$out/list.txt"
    local n
    for message in small big eight; do
        n=$(awk -v size="$(size "$message")" '$2 == size { print $1 }' "$out/list.txt")
        timeout 30 "${fetch[@]}" --message "$n" | cmp - "$expected/INBOX/$message.eml"
    done
    timeout 60 "${fetch[@]}" --maildir "$out/Maildir" | grep -qx 'saved 3 new messages'
    timeout 60 "${fetch[@]}" --mbox "$out/inbox.mbox" | grep -qx 'saved 3 new messages'
    helper saved "$expected/INBOX" maildir "$out/Maildir"
    helper saved "$expected/INBOX" mbox "$out/inbox.mbox"
    timeout 60 "${fetch[@]}" --maildir "$out/Maildir" | grep -qx 'saved 0 new messages'
    timeout 60 "${fetch[@]}" --mbox "$out/inbox.mbox" | grep -qx 'saved 0 new messages'
    helper saved "$expected/INBOX" maildir "$out/Maildir"
    helper saved "$expected/INBOX" mbox "$out/inbox.mbox"
    echo "mail-fetch ($name): list, RETR, Maildir and mbox identical; nothing new twice"
}

plain=(--plaintext --allow-plaintext-auth)
check_imap plain "$dovecot_imap_port" "${plain[@]}"
check_imap starttls "$dovecot_imap_port" --starttls --ca-file "$ca"
check_imap tls "$dovecot_imaps_port" --tls --ca-file "$ca"
check_pop3 plain "$dovecot_pop3_port" "${plain[@]}"
check_pop3 stls "$dovecot_pop3_port" --starttls --ca-file "$ca"
check_pop3 tls "$dovecot_pop3s_port" --tls --ca-file "$ca"

# Without the opt-in, no password goes out in clear, though Dovecot would take it: each
# client gives up before any authentication command (Dovecot logs the connection as one
# with "no auth attempts", and no login).
logins() { grep -c "$1" "$dovecot_dir/log" || true; }
before_logins=$(logins 'Login: user=<ann>')
before_none=$(logins 'no auth attempts')
refuse() {
    local expected=$1
    shift
    if timeout 30 "$@" >/dev/null 2>"$work/refused.txt"; then
        echo "$* logged in without TLS and without the opt-in" >&2
        return 1
    fi
    grep -qx "$expected" "$work/refused.txt" || { cat "$work/refused.txt" >&2; return 1; }
}
account=(--user "$dovecot_user" --password "$dovecot_password")
refuse 'mail-imap: login: the password would cross the connection in clear' \
    "$bin/mail-imap" --server "127.0.0.1:$dovecot_imap_port" --plaintext "${account[@]}" list
refuse 'mail-fetch: login: the password would cross the connection in clear' \
    "$bin/mail-fetch" --imap --server "127.0.0.1:$dovecot_imap_port" --plaintext "${account[@]}"
refuse 'mail-fetch: login: no login method is both offered and allowed' \
    "$bin/mail-fetch" --server "127.0.0.1:$dovecot_pop3_port" --plaintext "${account[@]}"
for _ in $(seq 100); do
    [ "$(logins 'no auth attempts')" -ge $((before_none + 3)) ] && break
    sleep 0.1
done
[ "$(logins 'no auth attempts')" = $((before_none + 3)) ]
[ "$(logins 'Login: user=<ann>')" = "$before_logins" ]
echo "mail-imap and mail-fetch: no password in clear without the opt-in"

# mail-imap watch (IDLE, over implicit TLS): a message that arrives in Dovecot's Maildir
# while it waits is told by sender and subject.
imap_tls=("$bin/mail-imap" --server "127.0.0.1:$dovecot_imaps_port" --tls --ca-file "$ca"
    --user "$dovecot_user" --password "$dovecot_password")
timeout 60 "${imap_tls[@]}" watch INBOX >"$work/watch.txt" 2>"$work/watch.err" &
watcher=$!
for _ in $(seq 100); do
    grep -q '^watching' "$work/watch.err" && break
    sleep 0.1
done
grep -q '^watching INBOX (3 messages)' "$work/watch.err"
new="$dovecot_maildir/new/1700000099.M99P1.test"
printf 'From: =?UTF-8?Q?Zo=C3=A9?= <zoe@example.org>\nTo: Bob <bob@example.org>\nSubject: while idle\n\nHi.\n' \
    >"$work/idle.eml"
cp "$work/idle.eml" "$dovecot_maildir/tmp/1700000099.M99P1.test"
[ "$(id -u)" != 0 ] || chown nobody:nogroup "$dovecot_maildir/tmp/1700000099.M99P1.test"
mv "$dovecot_maildir/tmp/1700000099.M99P1.test" "$new"
for _ in $(seq 150); do
    [ -s "$work/watch.txt" ] && break
    sleep 0.1
done
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
printf 'Zoé <zoe@example.org>\twhile idle\n' | cmp - "$work/watch.txt"
echo "mail-imap watch: Dovecot's IDLE told of the new message"

# mail-fetch --imap --unseen: once imaplib has marked all but the big message read (POP3's
# RETR above marked them read already), only it is fetched; then --delete over POP3 empties the maildrop, as Dovecot then reports.
timeout 60 python3 - "$dovecot_imaps_port" "$dovecot_user" "$dovecot_password" "$ca" <<'PY'
import imaplib, ssl, sys
port, user, password, ca = sys.argv[1:]
imap = imaplib.IMAP4_SSL("127.0.0.1", int(port), ssl_context=ssl.create_default_context(cafile=ca))
imap.login(user, password)
imap.select("INBOX")
imap.store("1:*", "+FLAGS", "\\Seen")
_, data = imap.search(None, "LARGER", "65536")
imap.store(data[0].decode(), "-FLAGS", "\\Seen")
_, data = imap.search(None, "UNSEEN")
assert len(data[0].split()) == 1, data
imap.logout()
PY
timeout 60 "$bin/mail-fetch" --imap --server "127.0.0.1:$dovecot_imaps_port" --tls \
    --ca-file "$ca" --user "$dovecot_user" --password "$dovecot_password" --unseen \
    --mbox "$work/unseen.mbox" | grep -qx 'saved 1 new message'
mkdir -p "$work/unseen"
cp "$expected/INBOX/big.eml" "$work/unseen/"
helper saved "$work/unseen" mbox "$work/unseen.mbox"
echo "mail-fetch --imap --unseen: only the unread message"

pop3_tls=("$bin/mail-fetch" --server "127.0.0.1:$dovecot_pop3s_port" --tls --ca-file "$ca"
    --user "$dovecot_user" --password "$dovecot_password")
timeout 60 "${pop3_tls[@]}" --maildir "$work/pop3-tls/Maildir" --delete |
    grep -qx 'saved 1 new message, deleted 4 from the server'
mkdir -p "$work/all"
cp "$expected"/INBOX/*.eml "$work/all/"
sed 's/$/\r/' "$work/idle.eml" >"$work/all/idle.eml"
helper saved "$work/all" maildir "$work/pop3-tls/Maildir"
[ -z "$(timeout 30 "${pop3_tls[@]}")" ]
[ "$(find "$dovecot_maildir/new" "$dovecot_maildir/cur" -type f | wc -l)" = 0 ]
echo "mail-fetch --delete: the message new since the last run saved, all four deleted"

# Dovecot's INBOX is empty now.
mkdir -p "$work/after"
helper imap-referee "$dovecot_imaps_port" "$dovecot_user" "$dovecot_password" "$ca" "$work/after"
grep -qx 'messages 0' "$work/after/status.txt"

echo "interop: mail-imap and mail-fetch against Dovecot (IMAP and POP3; plain, STARTTLS, TLS) passed"
