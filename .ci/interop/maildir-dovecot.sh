#!/usr/bin/env bash
# One Maildir, two servers: what the example mail server writes (SMTP deliveries, folders
# with non-ASCII names, APPEND, STORE of flags and keywords, COPY, EXPUNGE), Dovecot serves
# with the same folders, UIDVALIDITY, UIDs, flags, keywords, sizes and bytes; then what
# Dovecot writes on top, the mail server serves the same way. Both are compared through
# Python's imaplib over the network (maildir_dovecot.py); Dovecot runs self-contained, its
# configuration, state and log under $work.
#
# Dovecot refuses mail access as root: when the script runs as root, Dovecot gives its mail
# processes to nobody:nogroup, and the Maildir is handed to that user before Dovecot opens it.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server
source .ci/interop/mail-server.bash
# imaplib logs in to both servers without TLS: the store is under test here, not TLS.
start_mail_server --allow-plaintext

export MAIL_USER=$user MAIL_PASSWORD=$password
helper() { timeout 60 python3 .ci/interop/maildir_dovecot.py "$@"; }

dovecot_dir="$work/dovecot"
dovecot_conf="$dovecot_dir/dovecot.conf"
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

# start_dovecot: Dovecot's IMAP on a free port of 127.0.0.1 ($dovecot_port), plaintext
# LOGIN allowed, one account ($user / $password) whose mail is $maildir.
start_dovecot() {
    mkdir -p "$dovecot_dir"/{run,state,home}
    local mail_user=()
    if [ "$(id -u)" = 0 ]; then
        chown -R nobody:nogroup "$maildir" "$dovecot_dir/home"
        # nobody must be able to reach the Maildir through the scratch folders above it.
        local dir=$maildir
        while [ "$dir" != "$work" ] && [ "$dir" != / ]; do
            dir=$(dirname "$dir")
            chmod o+x "$dir"
        done
        mail_user=("mail_uid = nobody" "mail_gid = nogroup")
    fi
    dovecot_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf '%s:{PLAIN}%s\n' "$user" "$password" >"$dovecot_dir/passwd"
    cat >"$dovecot_conf" <<EOF
base_dir = $dovecot_dir/run
state_dir = $dovecot_dir/state
log_path = $dovecot_dir/log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
first_valid_gid = 1
$(printf '%s\n' "${mail_user[@]}")
mail_location = maildir:$maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dovecot_dir/passwd
}
userdb {
  driver = static
  args = home=$dovecot_dir/home
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
  }
  mailbox Junk {
    special_use = \\Junk
  }
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Trash {
    special_use = \\Trash
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $dovecot_port
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
EOF
    dovecot_started=yes
    # Its output goes to a file, so that no pipe of the caller stays open if it outlives us.
    timeout 20 dovecot -c "$dovecot_conf" </dev/null >"$dovecot_dir/start.log" 2>&1 ||
        { cat "$dovecot_dir/start.log" >&2; return 1; }
    for _ in $(seq 100); do
        if python3 -c "import socket; socket.create_connection(('127.0.0.1', $dovecot_port), timeout=1).close()" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "dovecot did not listen on $dovecot_port" >&2
    cat "$dovecot_dir/log" >&2
    return 1
}

# mailwire writes; both serve it.
helper write-mailwire "$smtp_port" "$imap_port"
helper snapshot "$imap_port" "$work/mailwire-1.json"
kill_mail_server TERM
start_dovecot
helper snapshot "$dovecot_port" "$work/dovecot-1.json"
helper compare "$work/mailwire-1.json" "$work/dovecot-1.json" 9 12

# Dovecot writes on top; both serve it.
helper write-dovecot "$dovecot_port"
helper snapshot "$dovecot_port" "$work/dovecot-2.json"
stop_dovecot
start_mail_server --allow-plaintext
helper snapshot "$imap_port" "$work/mailwire-2.json"
helper compare "$work/dovecot-2.json" "$work/mailwire-2.json" 10 19

echo "interop: the mail server and Dovecot serve each other's Maildir alike"
