# Sourced by the interop scripts (not run on its own, hence not `*.sh`): a scratch folder
# and the example mail server on loopback, on ports the server picks itself (port 0) and
# reports in its log, so no other program can take them between choosing and binding.
#
# The account the server serves: $user / $password, whose Maildir is $maildir.
# After `start_mail_server [ARGS…]`: $work, $pid, $smtp_port, $pop3_port, $imap_port; the
# server's stderr is in $work/server.log. On exit the server is stopped, its log shown if
# the script failed, and $work removed.

work=$(mktemp -d)
user=alice
password='open sesame'
maildir="$work/mail"
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
    "$server" --maildir "$maildir" --user "$user" --password "$password" \
        --smtp 127.0.0.1:0 --pop3 127.0.0.1:0 --imap 127.0.0.1:0 "$@" 2>"$work/server.log" &
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

# kill_mail_server SIGNAL: stops the server with SIGNAL (TERM for a clean stop, KILL for a
# crash), waits for it, and keeps its log as $work/server.log.N. `start_mail_server` (or
# `restart_mail_server SIGNAL [ARGS…]`, both steps) starts it again on the same data, on new
# ports: the variables above are set afresh.
restarts=0
kill_mail_server() {
    kill -s "$1" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
    restarts=$((restarts + 1))
    mv "$work/server.log" "$work/server.log.$restarts"
    # start_mail_server reads the log before the new server may have created it.
    : >"$work/server.log"
}
restart_mail_server() {
    kill_mail_server "$1"
    shift
    start_mail_server "$@"
}
