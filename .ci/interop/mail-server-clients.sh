#!/usr/bin/env bash
# The example mail server against the mail clients people run: fetchmail (POP3 and IMAP,
# keep + fetchall, every delivered byte checked), mutt (IMAP: copy to a new folder, delete,
# sync; POP3: fetch into a local Maildir) and mbsync (pull two folders into a local Maildir,
# then push a message written locally, checked on the server with its flags). Mail goes in
# with Python's smtplib; the outcomes are checked with imaplib (mail_server_clients.py).
#
# Each runs three times, on a fresh Maildir each time: without TLS (the server started with
# --allow-plaintext), with STARTTLS / STLS, and over implicit TLS (SMTP then on the SMTPS
# submission port, with AUTH), trusting the server's certificate $cert
# (`CLIENTS_MODES="plain starttls tls"` by default). Every client function takes the
# connection as MODE PORT.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server
source .ci/interop/mail-server.bash

export MAIL_USER=$user MAIL_PASSWORD=$password
export HOME="$work/home" TERM=xterm
mkdir -p "$HOME/Mail"
# The account's address, as mail_server_clients.py names it.
rcpt=$user
[[ "$user" == *@* ]] || rcpt="$user@localhost"
# The name $cert is for: fetchmail and mbsync check the server's name against the
# certificate's names, and neither accepts an IP address there; mbsync connects to it
# (localhost must resolve to 127.0.0.1), fetchmail connects to 127.0.0.1 and expects it.
cert_name=localhost
check() { python3 .ci/interop/mail_server_clients.py "$@"; }
# The connection settings mail_server_clients.py takes: MODE PORT [CERT].
conn() { if [ "$1" = plain ]; then echo "$1 $2"; else echo "$1 $2 $cert"; fi; }

# fetchmail PROTOCOL MODE PORT OUT: fetches every message (keeping them on the server)
# into OUT/1, OUT/2, … through its mda.
fetchmail_run() {
    local protocol=$1 mode=$2 port=$3 out=$4 tls
    case "$mode" in
    plain) tls="sslproto ''" ;;
    starttls) tls="sslproto tls1.2+ sslcertck sslcertfile '$cert' sslcommonname $cert_name" ;;
    tls) tls="ssl sslcertck sslcertfile '$cert' sslcommonname $cert_name" ;;
    esac
    mkdir -p "$out"
    local rc="$work/fetchmailrc-$protocol-$mode"
    cat >"$rc" <<EOF
set no bouncemail
poll 127.0.0.1 with proto $protocol port $port
    user "$user" there with password "$password" is root here
    keep fetchall $tls
    mda "/bin/sh -c 'cat > $out/\$(( \$(ls $out | wc -l) + 1 ))'"
EOF
    chmod 600 "$rc"
    timeout 60 fetchmail --nosyslog -v -f "$rc" -i "$work/fetchids-$protocol" \
        --pidfile "$work/fetchmail.pid" >"$work/fetchmail-$protocol.log" 2>&1 ||
        { cat "$work/fetchmail-$protocol.log" >&2; return 1; }
}

# mutt_run SCHEME MODE PORT MAILBOX KEYS: mutt types KEYS in MAILBOX and must quit by
# itself. With SCHEME imap, MAILBOX is a folder on the server; with pop, a local Maildir
# that <fetch-mail> fills from the server (keeping the messages there).
mutt_run() {
    local scheme=$1 mode=$2 port=$3 mailbox=$4 keys=$5 tls
    case "$mode" in
    plain) tls=(-e 'set ssl_starttls=no ssl_force_tls=no') ;;
    starttls) tls=(-e "set ssl_starttls=yes ssl_force_tls=yes certificate_file='$cert'") ;;
    tls) scheme="${scheme}s" tls=(-e "set ssl_force_tls=yes certificate_file='$cert'") ;;
    esac
    local url="$scheme://${user//@/%40}:${password// /%20}@127.0.0.1:$port"
    local where=(-e "set folder='$url/'" -f "$url/$mailbox")
    if [ "${scheme%s}" = pop ]; then
        where=(-e "set pop_host='$url' pop_delete=no spoolfile='$mailbox'" -f "$mailbox")
    fi
    # `script` gives mutt the terminal it insists on.
    local command
    command=$(printf '%q ' mutt -n -F /dev/null "${tls[@]}" \
        -e 'set confirmcreate=no confirmappend=no quit=yes move=no delete=yes' \
        -e 'set mail_check=0 timeout=5 mbox_type=Maildir sort=mailbox-order' \
        -e "push '$keys'" "${where[@]}")
    timeout 60 script -qfec "$command" /dev/null >"$work/mutt-${scheme%s}.log" 2>&1 ||
        { echo "mutt ($scheme) failed" >&2; return 1; }
}

# mbsync_run MODE PORT LOCAL: syncs INBOX and Archive both ways with the Maildir LOCAL.
mbsync_run() {
    local mode=$1 port=$2 local=$3 tls host=$cert_name
    case "$mode" in
    plain) tls="SSLType None" host=127.0.0.1 ;;
    starttls) tls="SSLType STARTTLS
CertificateFile $cert" ;;
    tls) tls="SSLType IMAPS
CertificateFile $cert" ;;
    esac
    mkdir -p "$local"
    cat >"$work/mbsyncrc" <<EOF
IMAPAccount server
Host $host
Port $port
User $user
Pass "$password"
AuthMechs LOGIN
$tls

IMAPStore server
Account server

MaildirStore local
Path $local/
Inbox $local/INBOX
SubFolders Verbatim

Channel mail
Far :server:
Near :local:
Patterns INBOX Archive
Create Near
Sync All
SyncState *
EOF
    timeout 60 mbsync -V -c "$work/mbsyncrc" mail >"$work/mbsync.log" 2>&1 ||
        { cat "$work/mbsync.log" >&2; return 1; }
}

# swaks_run MODE PORT FILE: sends FILE (CRLF line ends, no final line end: swaks adds it)
# with PIPELINING; its transcript is $work/swaks.log.
swaks_run() {
    local mode=$1 port=$2 file=$3 tls=()
    case "$mode" in
    starttls) tls=(--tls --tls-verify --tls-ca-path "$cert") ;;
    tls) tls=(--tls-on-connect --tls-verify --tls-ca-path "$cert") ;;
    esac
    # Under TLS, as a mail client submits: with AUTH (which the SMTPS port requires).
    [ "$mode" = plain ] || tls+=(--auth PLAIN --auth-user "$user" --auth-password "$password")
    timeout 60 swaks --server "127.0.0.1:$port" --from dana@example.org --to "$rcpt" \
        --pipeline "${tls[@]}" --data "@$file" >"$work/swaks.log" 2>&1 ||
        { cat "$work/swaks.log" >&2; return 1; }
}

# run_clients MODE: every client, every check, on a fresh Maildir; files under $work/MODE.
run_clients() {
    local mode=$1 run="$work/$1" smtp=$smtp_port pop3=$pop3_port imap=$imap_port
    if [ "$mode" = tls ]; then
        smtp=$smtps_port pop3=$pop3s_port imap=$imaps_port
    fi
    mkdir -p "$run"
    check send $(conn "$mode" "$smtp")

    fetchmail_run POP3 "$mode" "$pop3" "$run/fetched-pop3"
    check check-fetchmail POP3 "$run/fetched-pop3"
    fetchmail_run IMAP "$mode" "$imap" "$run/fetched-imap"
    check check-fetchmail IMAP "$run/fetched-imap"

    mkdir -p "$run/from-pop3/"{cur,new,tmp}
    mutt_run pop "$mode" "$pop3" "$run/from-pop3" "<fetch-mail><quit>"
    check check-maildir-copy "$run/from-pop3"

    mutt_run imap "$mode" "$imap" INBOX \
        "<tag-pattern>~s first<enter><tag-prefix><copy-message>=Archive<enter><delete-pattern>~s second<enter><sync-mailbox><quit>"
    check check-mutt-imap $(conn "$mode" "$imap")

    mbsync_run "$mode" "$imap" "$run/local"
    check check-mbsync-pull "$run/local" $(conn "$mode" "$imap")
    check write-local "$run/local/INBOX"
    mbsync_run "$mode" "$imap" "$run/local"
    check check-mbsync-push $(conn "$mode" "$imap")

    check write-swaks "$run/swaks.eml"
    swaks_run "$mode" "$smtp" "$run/swaks.eml"
    check check-swaks "$work/swaks.log" $(conn "$mode" "$imap")
}

first=yes
for mode in ${CLIENTS_MODES:-plain starttls tls}; do
    echo "-- $mode"
    if [ -z "$first" ]; then
        kill_mail_server TERM
        rm -rf "$maildir"
    fi
    first=
    if [ "$mode" = plain ]; then start_mail_server --allow-plaintext; else start_mail_server; fi
    run_clients "$mode"
done

echo "interop: mail-server with fetchmail, mutt, mbsync and swaks passed (${CLIENTS_MODES:-plain starttls tls})"
