# Sourced by the interop scripts (not run on its own, hence not `*.sh`): a private Dovecot
# on 127.0.0.1, its configuration, state, sockets and log under $dovecot_dir, which the
# caller sets (inside its own scratch folder) before calling `start_dovecot`.
#
# One account, $dovecot_user / $dovecot_password (a passwd-file with a {PLAIN} password),
# whose mail is the Maildir $dovecot_maildir. Settings read by `start_dovecot`:
# - dovecot_protocols: "imap", "imap pop3", or "none" for the authentication service alone;
# - dovecot_cert, dovecot_key: PEM files; when set, TLS is on: STARTTLS (and STLS) on the
#   plain ports, and the implicit-TLS ports listen too;
# - dovecot_extra: more configuration text, appended as it is.
# It sets $dovecot_imap_port, $dovecot_imaps_port, $dovecot_pop3_port and
# $dovecot_pop3s_port (free ports of 127.0.0.1, probed; 0 for a listener that is off).
# Passwords are taken without TLS too (`disable_plaintext_auth = no`): the clients' opt-in
# for that is under test as well. `stop_dovecot` stops it (call it from the caller's trap);
# its log is $dovecot_dir/log.
#
# Dovecot refuses mail access as root: when the script runs as root, Dovecot gives its mail
# processes to nobody:nogroup, and the Maildir is handed to that user before Dovecot opens
# it, with every folder from it up to the caller's scratch folder $work made passable.

dovecot_started=
dovecot_protocols=${dovecot_protocols:-imap}
dovecot_extra=${dovecot_extra:-}

# A port of 127.0.0.1 free at the time of asking.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_dovecot() {
    mkdir -p "$dovecot_dir"/{run,state,home} "$dovecot_maildir"
    local dovecot_conf="$dovecot_dir/dovecot.conf"
    local mail_user=()
    if [ "$(id -u)" = 0 ]; then
        chown -R nobody:nogroup "$dovecot_maildir" "$dovecot_dir/home"
        local dir=$dovecot_maildir
        while [ "$dir" != "$work" ] && [ "$dir" != / ]; do
            dir=$(dirname "$dir")
            chmod o+x "$dir"
        done
        mail_user=("mail_uid = nobody" "mail_gid = nogroup")
    fi
    dovecot_imap_port=0 dovecot_imaps_port=0 dovecot_pop3_port=0 dovecot_pop3s_port=0
    local tls="ssl = no"
    if [[ " $dovecot_protocols " == *" imap "* ]]; then
        dovecot_imap_port=$(free_port)
        [ -n "${dovecot_cert:-}" ] && dovecot_imaps_port=$(free_port)
    fi
    if [[ " $dovecot_protocols " == *" pop3 "* ]]; then
        dovecot_pop3_port=$(free_port)
        [ -n "${dovecot_cert:-}" ] && dovecot_pop3s_port=$(free_port)
    fi
    if [ -n "${dovecot_cert:-}" ]; then
        tls="ssl = yes
ssl_cert = <$dovecot_cert
ssl_key = <$dovecot_key"
    fi
    printf '%s:{PLAIN}%s\n' "$dovecot_user" "$dovecot_password" >"$dovecot_dir/passwd"
    cat >"$dovecot_conf" <<EOF
base_dir = $dovecot_dir/run
state_dir = $dovecot_dir/state
log_path = $dovecot_dir/log
protocols = $dovecot_protocols
listen = 127.0.0.1
$tls
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
first_valid_gid = 1
$(printf '%s\n' "${mail_user[@]}")
mail_location = maildir:$dovecot_maildir
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
    port = $dovecot_imap_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $dovecot_imaps_port
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $dovecot_pop3_port
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $dovecot_pop3s_port
    ssl = yes
  }
}
$dovecot_extra
EOF
    dovecot_started=yes
    # Its output goes to a file, so that no pipe of the caller stays open if it outlives us.
    timeout 20 dovecot -c "$dovecot_conf" </dev/null >"$dovecot_dir/start.log" 2>&1 ||
        { cat "$dovecot_dir/start.log" >&2; return 1; }
    local port
    for port in $dovecot_imap_port $dovecot_imaps_port $dovecot_pop3_port $dovecot_pop3s_port; do
        [ "$port" = 0 ] && continue
        for _ in $(seq 101); do
            python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1).close()" \
                2>/dev/null && break
            [ "$_" = 101 ] && {
                echo "dovecot did not listen on $port" >&2
                cat "$dovecot_dir/log" >&2
                return 1
            }
            sleep 0.1
        done
    done
    # Without listeners to wait for, wait for the master's pid file.
    for _ in $(seq 100); do [ -s "$dovecot_dir/run/master.pid" ] && break; sleep 0.1; done
}

stop_dovecot() {
    if [ -n "$dovecot_started" ]; then
        # It writes its pid file a moment after it starts: wait for it if need be.
        for _ in $(seq 50); do [ -s "$dovecot_dir/run/master.pid" ] && break; sleep 0.1; done
        local dovecot_pid
        dovecot_pid=$(cat "$dovecot_dir/run/master.pid" 2>/dev/null || true)
        timeout 20 doveadm -c "$dovecot_dir/dovecot.conf" stop 2>/dev/null ||
            { [ -n "$dovecot_pid" ] && kill "$dovecot_pid" 2>/dev/null; } || true
        for _ in $(seq 100); do
            [ -n "$dovecot_pid" ] && kill -0 "$dovecot_pid" 2>/dev/null || break
            sleep 0.1
        done
        dovecot_started=
    fi
}
