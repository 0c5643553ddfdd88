# Sourced by the scripts that run several example mail servers at once, one for each mail
# domain, on loopback (not run on its own, hence not `*.sh`). Each server keeps its data
# in $work/DOMAIN and its stderr in $work/DOMAIN.log; on exit every server still running
# is stopped, the logs are shown (without INFO lines) if the script failed, and $work is
# removed.
#
# start DOMAIN [ARGS…]   starts a server for DOMAIN, named mx.DOMAIN, with the account
#                        user@DOMAIN and the password pw-DOMAIN (added on the first
#                        start), every port free and chosen by the server, SMTP on
#                        $smtp_at when that is set.
# stop DOMAIN [SIGNAL]   stops it (SIGTERM unless SIGNAL says otherwise), keeping its log
#                        as DOMAIN.log.N.
# port DOMAIN NAME       the port the server reported for NAME (SMTP, submission, IMAPS…).

bin="${CARGO_TARGET_DIR:-target}/debug/examples/mail-server"
work=$(mktemp -d)
declare -A pids=()
stop_mail_servers() {
    local status=$?
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$status" -ne 0 ]; then
        for log in "$work"/*.log*; do
            echo "-- $log" >&2
            grep -v ' INFO ' "$log" | tail -n 30 >&2 || true
        done
    fi
    rm -rf "$work"
}
trap stop_mail_servers EXIT

start() {
    local domain=$1
    shift
    if [ ! -f "$work/$domain/users" ]; then
        printf '%s\n' "pw-$domain" |
            "$bin" add-user "user@$domain" --data "$work/$domain" --password-stdin 2>/dev/null
    fi
    # Emptied first: a log of an earlier start must not be read as this one's.
    : >"$work/$domain.log"
    "$bin" --data "$work/$domain" --hostname "mx.$domain" --smtp "${smtp_at:-127.0.0.1:0}" \
        --submission 127.0.0.1:0 --smtps 127.0.0.1:0 --pop3 127.0.0.1:0 --pop3s 127.0.0.1:0 \
        --imap 127.0.0.1:0 --imaps 127.0.0.1:0 "$@" 2>>"$work/$domain.log" &
    pids[$domain]=$!
    for _ in $(seq 300); do
        grep -q '^mail-server: IMAPS on ' "$work/$domain.log" && return 0
        kill -0 "${pids[$domain]}" 2>/dev/null || break
        sleep 0.1
    done
    echo "the server for $domain did not start" >&2
    return 1
}

stops=0
stop() {
    kill -s "${2:-TERM}" "${pids[$1]}"
    wait "${pids[$1]}" 2>/dev/null || true
    unset "pids[$1]"
    stops=$((stops + 1))
    mv "$work/$1.log" "$work/$1.log.$stops"
}

port() {
    sed -n "s/^mail-server: $2 on 127\.0\.0\.1:\([0-9]*\) .*/\1/p" "$work/$1.log"
}
