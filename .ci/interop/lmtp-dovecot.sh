#!/usr/bin/env bash
# LMTP both ways. The example mail server hands local mail to Dovecot's lmtp
# (--lmtp-deliver), over TCP and then over Dovecot's Unix socket, through its relay queue:
# a message sent to it by smtplib lands in Dovecot's Maildir byte for byte below the trace
# headers (the example's Received: and Dovecot's own), an unknown user is refused by the
# example (550 5.1.1); with Dovecot stopped the message is queued (250), deferred with
# 451 4.4.1 and kept in no Maildir, and delivered once Dovecot is back. A message for two
# accounts of which Dovecot knows only one (it answers 550 5.1.1 for the other): the known
# one gets it, and the sender a failure report (RFC 3464) naming the other. A message for an
# account whose mailbox is full at Dovecot (its quota, 452 4.2.2) stays queued until the
# quota is raised, then a flush delivers it. Then the example's own
# LMTP listener (--lmtp), driven by smtplib.LMTP with two recipients of which one is
# unknown, answers each recipient and delivers into its Maildir. Dovecot runs
# self-contained, its configuration, state, log and mail under $work.
#
# Dovecot refuses mail access as root: when the script runs as root, Dovecot gives its mail
# processes to nobody:nogroup, which owns Dovecot's mail folder.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server
source .ci/interop/mail-server.bash

helper() { timeout 60 python3 .ci/interop/lmtp_dovecot.py "$@"; }

dovecot_dir="$work/dovecot"
dovecot_conf="$dovecot_dir/dovecot.conf"
dovecot_mail="$dovecot_dir/mail"
dovecot_socket="$dovecot_dir/run/lmtp"
dovecot_started=
stop_dovecot() {
    if [ -n "$dovecot_started" ]; then
        # It writes its pid file a moment after it starts: wait for it if need be.
        for _ in $(seq 50); do [ -s "$dovecot_dir/run/master.pid" ] && break; sleep 0.1; done
        dovecot_pid=$(cat "$dovecot_dir/run/master.pid" 2>/dev/null || true)
        timeout 20 doveadm -c "$dovecot_conf" stop 2>/dev/null ||
            { [ -n "$dovecot_pid" ] && kill "$dovecot_pid" 2>/dev/null; } || true
        for _ in $(seq 100); do
            [ -n "$dovecot_pid" ] && kill -0 "$dovecot_pid" 2>/dev/null || break
            sleep 0.1
        done
        dovecot_started= dovecot_pid=
    fi
}
# Dovecot is stopped first; the mail server's own handler then sees the script's status.
trap 'status=$?; [ "$status" = 0 ] || cat "$dovecot_dir/log" >&2 2>/dev/null; stop_dovecot; set +e; (exit "$status"); stop_mail_server' EXIT

# start_dovecot: Dovecot's LMTP on a free port of 127.0.0.1 ($dovecot_port) and on the
# Unix socket $dovecot_socket, for the users of a passwd-file ($user, and $full_user with a
# quota of one byte: a full mailbox), whose mail
# goes to $dovecot_mail/<domain>/<local-part>/ (Maildir, lines kept in CRLF).
start_dovecot() {
    mkdir -p "$dovecot_dir"/{run,state,home} "$dovecot_mail"
    local mail_user=()
    if [ "$(id -u)" = 0 ]; then
        chown -R nobody:nogroup "$dovecot_mail" "$dovecot_dir/home"
        # nobody must be able to reach its folders through the scratch folders above them.
        local dir=$dovecot_mail
        while [ "$dir" != "$work" ] && [ "$dir" != / ]; do
            dir=$(dirname "$dir")
            chmod o+x "$dir"
        done
        mail_user=("mail_uid = nobody" "mail_gid = nogroup")
    fi
    dovecot_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf '%s:{PLAIN}unused::::::%s\n' "$user" "" "$full_user" "userdb_quota_rule=*:storage=1B" \
        >"$dovecot_dir/passwd"
    cat >"$dovecot_conf" <<EOF
base_dir = $dovecot_dir/run
state_dir = $dovecot_dir/state
log_path = $dovecot_dir/log
protocols = lmtp
listen = 127.0.0.1
ssl = no
first_valid_uid = 1
first_valid_gid = 1
$(printf '%s\n' "${mail_user[@]}")
mail_location = maildir:$dovecot_mail/%d/%n
mail_save_crlf = yes
# A full mailbox is a temporary failure (452 4.2.2), as for a user who may clean up.
mail_plugins = \$mail_plugins quota
quota_full_tempfail = yes
plugin {
  quota = maildir:User quota
  quota_rule = *:storage=1G
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dovecot_dir/passwd
}
userdb {
  driver = passwd-file
  args = $dovecot_dir/passwd
  default_fields = home=$dovecot_dir/home
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $dovecot_port
  }
  unix_listener lmtp {
    mode = 0666
  }
}
EOF
    dovecot_started=yes
    # Its output goes to a file, so that no pipe of the caller stays open if it outlives us.
    timeout 20 dovecot -c "$dovecot_conf" </dev/null >"$dovecot_dir/start.log" 2>&1 ||
        { cat "$dovecot_dir/start.log" >&2; return 1; }
    for _ in $(seq 100); do
        if [ -S "$dovecot_socket" ] &&
            python3 -c "import socket; socket.create_connection(('127.0.0.1', $dovecot_port), timeout=1).close()" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "dovecot did not listen on $dovecot_port and $dovecot_socket" >&2
    cat "$dovecot_dir/log" >&2
    return 1
}

inbox="$dovecot_mail/localhost/alice"
# An account whose mailbox at Dovecot is full until the quota is raised (below).
full_user=erin@localhost
full_inbox="$dovecot_mail/localhost/erin"

# Over TCP: delivered to Dovecot; an unknown user refused by the example.
start_dovecot
start_mail_server --lmtp-deliver "127.0.0.1:$dovecot_port"
helper deliver "$smtp_port" "$inbox"

bin="${CARGO_TARGET_DIR:-target}/debug/examples/mail-server"
# wait_for_queue PATTERN: until `queue list` matches PATTERN (an empty PATTERN: is empty).
wait_for_queue() {
    local listing
    for _ in $(seq 200); do
        listing=$("$bin" queue list --data "$data")
        if [ -z "$1" ]; then [ -z "$listing" ] && return 0
        elif grep -q -- "$1" <<<"$listing"; then return 0
        fi
        sleep 0.1
    done
    echo "the queue is not as expected ($1):" >&2
    echo "$listing" >&2
    return 1
}

# Dovecot stopped: the message is accepted into the queue and deferred, kept in no Maildir.
stop_dovecot
helper queued "$smtp_port"
wait_for_queue '<alice@localhost> Pending, 1 attempt(s), next at [0-9]*: 451 4.4.1 '
if [ -n "$(ls -A "$maildir/new" "$maildir/cur" 2>/dev/null)" ]; then
    echo "the example kept the message in its own Maildir" >&2
    exit 1
fi

# Over Dovecot's Unix socket: the retry goes through (a flush makes it due now), then a new
# message; each lands once.
rm -rf "$inbox"
start_dovecot
restart_mail_server TERM --lmtp-deliver "unix:$dovecot_socket"
"$bin" queue flush --data "$data"
wait_for_queue ''
helper deliver "$smtp_port" "$inbox" 1

# dave is an account here but unknown to Dovecot: per recipient, alice gets the message and
# the sender (alice) a report for dave; nothing stays queued.
printf 'dave secret\n' | "$bin" add-user dave@localhost --data "$data" --password-stdin 2>>"$work/server.log"
helper split "$smtp_port" "$inbox" 2
wait_for_queue ''

# erin's mailbox is full (a quota of one byte): Dovecot answers 452, the message stays
# queued, kept in no Maildir; with the quota raised, a flush delivers it once.
printf 'erin secret\n' | "$bin" add-user "$full_user" --data "$data" --password-stdin 2>>"$work/server.log"
helper full "$smtp_port"
wait_for_queue '<erin@localhost> Pending, 1 attempt(s), next at [0-9]*: 452 4\.2\.2 '
if [ -n "$(find "$full_inbox/new" "$full_inbox/cur" -type f 2>/dev/null)" ]; then
    echo "Dovecot stored a message over the quota" >&2
    exit 1
fi
printf '%s:{PLAIN}unused::::::\n' "$user" "$full_user" >"$dovecot_dir/passwd"
# Dovecot looks at a changed passwd-file at most once a second: the retry must come later
# than that after the last lookup, or it finds the mailbox still full.
sleep 2
"$bin" queue flush --data "$data"
wait_for_queue ''
helper deliver-full "$full_inbox"
stop_dovecot

# The example's own LMTP listener, into its own Maildir.
restart_mail_server TERM --lmtp 127.0.0.1:0
lmtp_port=$(mail_server_port LMTP "$(cat "$work/server.log")")
helper lmtp "$lmtp_port" "$maildir"

echo "interop: the mail server delivers to Dovecot's LMTP and accepts LMTP itself"
