#!/usr/bin/env bash
# The example mail server's TLS against clients nobody here wrote: Python's smtplib, poplib
# and imaplib, and curl, on the STARTTLS ports and the implicit TLS ones, each verifying the
# certificate the server generated on its first start (never skipping the check); passwords
# refused without TLS; the certificate kept across restarts; and one given with --cert /
# --key served instead.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server
source .ci/interop/mail-server.bash
start_mail_server

# The fingerprint printed is the one openssl computes, and the certificate names the host.
fingerprint() {
    openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/^[^=]*=//'
}
printed_fingerprint() {
    sed -n 's/^mail-server: SHA-256 fingerprint //p' "$work/server.log"
}
[ "$cert" = "$data/tls/cert.pem" ]
[ "$(stat -c %a "$data/tls/key.pem")" = 600 ]
grep -qx "mail-server: TLS certificate $cert (self-signed for localhost, generated now)" \
    "$work/server.log"
generated=$(fingerprint "$cert")
[ "$(printed_fingerprint)" = "$generated" ]
openssl x509 -noout -checkhost localhost -checkip 127.0.0.1 -in "$cert" | grep -c 'does match' \
    | grep -qx 2
echo "certificate: generated in the data directory, key 0600, fingerprint as openssl's"

python3 .ci/interop/mail_server_tls.py "$smtp_port" "$submission_port" "$smtps_port" \
    "$pop3_port" "$pop3s_port" "$imap_port" "$imaps_port" "$cert" "$maildir"

# curl, trusting the certificate file: mail in on each SMTP port, out over POP3 and IMAP.
tls=(--silent --show-error --cacert "$cert")
login=(--user "$user:$password")
for n in 1 2 3; do
    printf 'From: curl@example.org\r\nSubject: curl %s\r\n\r\n.dot line %s\r\n' "$n" "$n" \
        >"$work/curl$n.eml"
done
send=(--mail-from curl@example.org --mail-rcpt alice@localhost)
curl "${tls[@]}" --ssl-reqd "smtp://127.0.0.1:$smtp_port" "${send[@]}" \
    --upload-file "$work/curl1.eml"
curl "${tls[@]}" --ssl-reqd "smtp://127.0.0.1:$submission_port" "${login[@]}" "${send[@]}" \
    --upload-file "$work/curl2.eml"
curl "${tls[@]}" "smtps://127.0.0.1:$smtps_port" "${login[@]}" "${send[@]}" \
    --upload-file "$work/curl3.eml"
# Submission without AUTH is refused: curl reports the server's 530 as a failed MAIL (55).
set +e
curl "${tls[@]}" --ssl-reqd "smtp://127.0.0.1:$submission_port" "${send[@]}" \
    --upload-file "$work/curl1.eml" 2>"$work/curl.err"
status=$?
set -e
[ "$status" -eq 55 ] || { cat "$work/curl.err" >&2; exit 1; }
# The python run left 3 messages; curl's are 4 to 6, in the order sent, each below the
# server's Return-Path and Received fields, the latter naming how it came in (RFC 3848):
# STARTTLS, then STARTTLS and AUTH, then implicit TLS and AUTH.
curl "${tls[@]}" --ssl-reqd "pop3://127.0.0.1:$pop3_port/4" "${login[@]}" >"$work/got1.eml"
curl "${tls[@]}" "pop3s://127.0.0.1:$pop3s_port/5" "${login[@]}" >"$work/got2.eml"
curl "${tls[@]}" --ssl-reqd "imap://127.0.0.1:$imap_port/INBOX;UID=6" "${login[@]}" \
    >"$work/got3.eml"
for n_protocol in 1,ESMTPS 2,ESMTPSA 3,ESMTPSA; do
    n=${n_protocol%,*}
    python3 .ci/interop/mailtrace.py "$work/curl$n.eml" "$work/got$n.eml" \
        --return-path '<curl@example.org>' --received "*,localhost,${n_protocol#*,}"
done
curl "${tls[@]}" "imaps://127.0.0.1:$imaps_port/INBOX;UID=4" "${login[@]}" \
    | cmp "$work/got1.eml"
# Without the certificate, curl refuses the server (60: peer certificate not trusted).
set +e
curl --silent "imaps://127.0.0.1:$imaps_port/INBOX;UID=4" "${login[@]}" >/dev/null
status=$?
set -e
[ "$status" -eq 60 ]
echo "curl: --ssl-reqd on smtp, submission, pop3, imap; smtps, pop3s, imaps; certificate checked"

# A restart keeps the certificate.
kill "$pid"
wait "$pid" || true
pid=
start_mail_server
grep -qx "mail-server: TLS certificate $cert (self-signed, generated earlier)" "$work/server.log"
[ "$(printed_fingerprint)" = "$generated" ]
curl "${tls[@]}" "imaps://127.0.0.1:$imaps_port/INBOX;UID=4" "${login[@]}" \
    | cmp "$work/got1.eml"
echo "certificate: kept across a restart"

# --cert / --key: that pair is served, and nothing is generated.
kill "$pid"
wait "$pid" || true
pid=
rm -r "$data/tls"
mkdir "$work/given"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
    -keyout "$work/given/key.pem" -out "$work/given/cert.pem" 2>/dev/null
start_mail_server --cert "$work/given/cert.pem" --key "$work/given/key.pem"
[ "$cert" = "$work/given/cert.pem" ]
[ ! -e "$data/tls" ]
[ "$(printed_fingerprint)" = "$(fingerprint "$cert")" ]
curl --silent --show-error --cacert "$cert" "pop3s://127.0.0.1:$pop3s_port/4" "${login[@]}" \
    | cmp "$work/got1.eml"
echo "certificate: --cert and --key served as given"

echo "interop: mail-server over TLS with smtplib, poplib, imaplib and curl passed"
