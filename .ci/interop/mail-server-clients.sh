#!/usr/bin/env bash
# The example mail server against the mail clients people run: fetchmail (POP3 and IMAP,
# keep + fetchall, every delivered byte checked), mutt (IMAP: copy to a new folder, delete,
# sync; POP3: fetch into a local Maildir) and mbsync (pull two folders into a local Maildir,
# then push a message written locally, checked on the server with its flags). Mail goes in
# with Python's smtplib; the outcomes are checked with imaplib (mail_server_clients.py).
#
# Every client function takes the connection as MODE PORT: MODE is `plain` today; `starttls`
# and `tls` (implicit) use $cert as the certificate to trust, so a TLS run of the same
# checks is a matter of calling them with another mode and port.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server
source .ci/interop/mail-server.bash
start_mail_server

export MAIL_USER=$user MAIL_PASSWORD=$password
export HOME="$work/home" TERM=xterm
mkdir -p "$HOME/Mail"
cert=${cert:-}
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
    local url="$scheme://$user:${password// /%20}@127.0.0.1:$port"
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
    timeout 60 swaks --server "127.0.0.1:$port" --from dana@example.org --to "$rcpt" \
        --pipeline "${tls[@]}" --data "@$file" >"$work/swaks.log" 2>&1 ||
        { cat "$work/swaks.log" >&2; return 1; }
}

# Plain today. Once the server speaks TLS: CLIENTS_TLS=starttls (STARTTLS / STLS on the same
# ports) or CLIENTS_TLS=tls (the implicit-TLS ports), trusting $cert.
smtp_mode=${CLIENTS_TLS:-plain} imap_mode=${CLIENTS_TLS:-plain} pop3_mode=${CLIENTS_TLS:-plain}
if [ "${CLIENTS_TLS:-plain}" = tls ]; then
    smtp_port=$smtps_port pop3_port=$pop3s_port imap_port=$imaps_port
fi
check send $(conn "$smtp_mode" "$smtp_port")

fetchmail_run POP3 "$pop3_mode" "$pop3_port" "$work/fetched-pop3"
check check-fetchmail POP3 "$work/fetched-pop3"
fetchmail_run IMAP "$imap_mode" "$imap_port" "$work/fetched-imap"
check check-fetchmail IMAP "$work/fetched-imap"

mkdir -p "$work/from-pop3/"{cur,new,tmp}
mutt_run pop "$pop3_mode" "$pop3_port" "$work/from-pop3" "<fetch-mail><quit>"
check check-maildir-copy "$work/from-pop3"

mutt_run imap "$imap_mode" "$imap_port" INBOX \
    "<tag-pattern>~s first<enter><tag-prefix><copy-message>=Archive<enter><delete-pattern>~s second<enter><sync-mailbox><quit>"
check check-mutt-imap $(conn "$imap_mode" "$imap_port")

mbsync_run "$imap_mode" "$imap_port" "$work/local"
check check-mbsync-pull "$work/local" $(conn "$imap_mode" "$imap_port")
check write-local "$work/local/INBOX"
mbsync_run "$imap_mode" "$imap_port" "$work/local"
check check-mbsync-push $(conn "$imap_mode" "$imap_port")

check write-swaks "$work/swaks.eml"
swaks_run "$smtp_mode" "$smtp_port" "$work/swaks.eml"
check check-swaks "$work/swaks.log" $(conn "$imap_mode" "$imap_port")

echo "interop: mail-server with fetchmail, mutt, mbsync and swaks passed"
