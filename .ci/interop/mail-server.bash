# Sourced by the interop scripts (not run on its own, hence not `*.sh`): a scratch folder
# and the example mail server on loopback, on ports the server picks itself (port 0) and
# reports in its log, so no other program can take them between choosing and binding.
#
# The account the server serves: $user (a full address; its local part alone logs in too)
# with $password, whose Maildir is $maildir, in the server's data directory $data.
# `start_mail_server [ARGS…]` adds the account (once) with `mail-server add-user`, then
# starts the server and sets $work, $pid, the ports $smtp_port, $submission_port,
# $smtps_port, $pop3_port, $pop3s_port, $imap_port and $imaps_port, and $cert, the PEM
# certificate a client trusts (the server generates it in $data/tls/ on its first start,
# unless ARGS give --cert and --key). Passwords are taken only under TLS unless ARGS give
# --allow-plaintext. The server's stderr is in $work/server.log. On exit the server is
# stopped, its log shown if the script failed, and $work removed.

work=$(mktemp -d)
user=alice@localhost
password='open sesame'
data="$work/data"
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
    # Emptied here, not by the background job's redirection, which may come late: a log
    # left by an earlier start must not be read as this one's.
    : >"$work/server.log"
    if ! grep -q "^$user:" "$data/users" 2>/dev/null; then
        printf '%s\n' "$password" |
            "$server" add-user "$user" --data "$data" --password-stdin 2>>"$work/server.log"
    fi
    "$server" --data "$data" \
        --smtp 127.0.0.1:0 --submission 127.0.0.1:0 --smtps 127.0.0.1:0 \
        --pop3 127.0.0.1:0 --pop3s 127.0.0.1:0 --imap 127.0.0.1:0 --imaps 127.0.0.1:0 \
        "$@" 2>>"$work/server.log" &
    pid=$!
    local log
    for _ in $(seq 300); do
        log=$(cat "$work/server.log")
        # The listeners are reported in one write, IMAPS last.
        if [[ "$log" =~ IMAPS\ on\ 127\.0\.0\.1:[0-9]+ ]]; then
            smtp_port=$(mail_server_port SMTP "$log")
            submission_port=$(mail_server_port submission "$log")
            smtps_port=$(mail_server_port SMTPS "$log")
            pop3_port=$(mail_server_port POP3 "$log")
            pop3s_port=$(mail_server_port POP3S "$log")
            imap_port=$(mail_server_port IMAP "$log")
            imaps_port=$(mail_server_port IMAPS "$log")
            cert=$(sed -n 's/^mail-server: TLS certificate \(.*\)$/\1/p' <<<"$log" \
                | sed 's/ (self-signed[^)]*)$//')
            [ -f "$cert" ] || { echo "the mail server reported no certificate" >&2; return 1; }
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

# The port of the listener NAME in the server's start-up report LOG.
mail_server_port() {
    local pattern="mail-server: $1 on 127\\.0\\.0\\.1:([0-9]+) "
    [[ "$2" =~ $pattern ]] || { echo "the mail server reported no $1 port" >&2; return 1; }
    echo "${BASH_REMATCH[1]}"
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
}
restart_mail_server() {
    kill_mail_server "$1"
    shift
    start_mail_server "$@"
}
