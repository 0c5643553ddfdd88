# Sourced by the interop scripts (not run on its own, hence not `*.sh`): a scratch folder
# and the example mail server on loopback, on ports the server picks itself (port 0) and
# reports in its log, so no other program can take them between choosing and binding.
#
# The account the server serves: $user (a full address; its local part alone logs in too)
# with $password, whose Maildir is $maildir; the server's data directory is $data.
# `start_mail_server [ARGS…]` adds the account (once) with `mail-server add-user`, then
# starts the server and sets $work, $pid, $smtp_port, $pop3_port, $imap_port; the
# server's stderr is in $work/server.log. On exit the server is stopped, its log shown if
# the script failed, and $work removed.

work=$(mktemp -d)
user=alice@localhost
password='open sesame'
data="$work/mail"
maildir="$data/localhost/alice"
pid=
stop_mail_server() {
    local status=$?
    if [ "$status" -ne 0 ] && [ -f "$work/server.log" ]; then
        echo "-- server log" >&2
        cat "$work/server.log" >&2
    fi
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop_mail_server EXIT

start_mail_server() {
    local server="${CARGO_TARGET_DIR:-target}/debug/examples/mail-server"
    if ! grep -q "^$user:" "$data/users" 2>/dev/null; then
        printf '%s\n' "$password" |
            "$server" add-user "$user" --data "$data" --password-stdin 2>>"$work/server.log"
    fi
    "$server" --data "$data" \
        --smtp 127.0.0.1:0 --pop3 127.0.0.1:0 --imap 127.0.0.1:0 "$@" 2>>"$work/server.log" &
    pid=$!
    local pattern='SMTP on 127\.0\.0\.1:([0-9]+), POP3 on 127\.0\.0\.1:([0-9]+), IMAP on 127\.0\.0\.1:([0-9]+),'
    for _ in $(seq 300); do
        if [[ "$(cat "$work/server.log")" =~ $pattern ]]; then
            smtp_port=${BASH_REMATCH[1]}
            pop3_port=${BASH_REMATCH[2]}
            imap_port=${BASH_REMATCH[3]}
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "the mail server exited at start" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "the mail server did not report its ports" >&2
    return 1
}
