#!/usr/bin/env bash
# Postfix from Debian and mailwire, both ways, on loopback. A private Postfix instance
# (`postfix -c`, its configuration, queue, data and log under $work) takes mail for the
# virtual domain example.net into Maildirs, relays mail for localhost to the example mail
# server, and offers submission with STARTTLS, and over implicit TLS (a throwaway
# certificate), with AUTH checked by a Dovecot authentication service
# (`smtpd_sasl_type = dovecot`) with one account.
#   a. mail-send (SmtpClient) submits to Postfix over STARTTLS (and implicit TLS) with
#      AUTH: a file with an attachment sent as it is arrives byte for byte below Postfix's
#      trace fields, a message built with --attach arrives with its attachment intact,
#      and a file whose envelope comes from its header reaches its To and Bcc recipients
#      without the Bcc field; a wrong password, and a sender without AUTH, are refused;
#   b. the example server, given --route example.net=Postfix, relays a message submitted
#      to it with AUTH: one copy in Postfix's Maildir, byte for byte below the trace fields;
#   c. Postfix relays a message injected with smtplib to the example server's account:
#      fetched over IMAP, byte for byte below the trace fields of both.
# Runs as root, as CI does: Postfix's master starts as root and its delivery agents take
# the users named in the configuration.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mail-server --example mail-send
bin="${CARGO_TARGET_DIR:-target}/debug/examples"

source .ci/interop/mail-server.bash
source .ci/interop/dovecot.bash
source .ci/interop/tls-cert.bash
start_mail_server

# Postfix's processes run as the postfix user, its virtual deliveries as nobody; both
# must pass through the scratch folder.
chmod o+x "$work"
pf="$work/postfix"
vmail="$pf/vmail"
mkdir -p "$pf/conf" "$pf/queue" "$vmail"
chown nobody:nogroup "$vmail"
make_tls_cert "$pf/tls"

# The submission account, checked by Dovecot's authentication service over a socket.
dovecot_dir="$work/dovecot"
dovecot_maildir="$work/dovecot-mail"
dovecot_user=sender@example.net
dovecot_password='pf secret'
dovecot_protocols=none
dovecot_extra="service auth {
  unix_listener $dovecot_dir/auth-postfix {
    mode = 0666
  }
}"

postfix_started=
stop_postfix() {
    [ -n "$postfix_started" ] || return 0
    postfix_started=
    local master
    master=$(tr -d ' ' <"$pf/queue/pid/master.pid" 2>/dev/null || true)
    timeout 20 postfix -c "$pf/conf" stop >/dev/null 2>&1 || true
    for _ in $(seq 100); do
        [ -n "$master" ] && kill -0 "$master" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$master" 2>/dev/null || true
}
# Postfix and Dovecot are stopped first; the mail server's own handler then sees the
# script's status.
trap 'status=$?
if [ "$status" != 0 ]; then
    echo "-- postfix log" >&2; cat "$pf/maillog" >&2 2>/dev/null
    echo "-- dovecot log" >&2; cat "$dovecot_dir/log" >&2 2>/dev/null
fi
[ "$status" = 0 ] || cat "$work"/sent-*.txt "$work"/refused.txt >&2 2>/dev/null
stop_postfix; stop_dovecot; set +e; (exit "$status"); stop_mail_server' EXIT

start_dovecot

smtpd_port=$(free_port)
submission_port=$(free_port)
smtps_pf_port=$(free_port)
cat >"$pf/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
maillog_file = $pf/maillog
maillog_file_prefixes = $pf
myhostname = postfix.test
mydomain = postfix.test
myorigin = postfix.test
# Nothing is local: localhost is the example server's domain, reached by relaying.
mydestination =
alias_maps =
alias_database =
biff = no
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtp_bind_address = 127.0.0.1
smtp_dns_support_level = disabled
relay_domains = localhost
transport_maps = texthash:$pf/conf/transport
virtual_mailbox_domains = example.net
virtual_mailbox_maps = texthash:$pf/conf/vmailbox
virtual_mailbox_base = $vmail
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
# Headers go through as they came (no address rewriting, no fields added but the trace).
local_header_rewrite_clients =
smtpd_tls_cert_file = $pf/tls/cert.pem
smtpd_tls_key_file = $pf/tls/key.pem
smtpd_tls_security_level = may
smtp_tls_security_level = may
smtp_tls_loglevel = 1
# A failed attempt is retried within seconds, not minutes.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
EOF
cat >"$pf/conf/master.cf" <<EOF
127.0.0.1:$smtpd_port inet n - n - - smtpd
127.0.0.1:$submission_port inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_type=dovecot
  -o smtpd_sasl_path=$dovecot_dir/auth-postfix
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$smtps_pf_port inet n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_type=dovecot
  -o smtpd_sasl_path=$dovecot_dir/auth-postfix
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
printf '%s\n' 'bob@example.net example.net/bob/' 'someone@example.net example.net/someone/' \
    >"$pf/conf/vmailbox"
printf 'localhost smtp:[127.0.0.1]:%s\n' "$smtp_port" >"$pf/conf/transport"

postfix_started=yes
timeout 30 postfix -c "$pf/conf" start >"$pf/start.log" 2>&1 || { cat "$pf/start.log" >&2; exit 1; }
for port in "$smtpd_port" "$submission_port" "$smtps_pf_port"; do
    for i in $(seq 101); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1).close()" \
            2>/dev/null && break
        [ "$i" = 101 ] && { echo "postfix did not listen on $port" >&2; exit 1; }
        sleep 0.1
    done
done
echo "postfix: started on $smtpd_port (smtpd), $submission_port (submission) and $smtps_pf_port (submissions)"

# delivered MAILBOX: waits (at most 30 s) for one message in Postfix's Maildir for MAILBOX
# (bob or someone), then prints its path; fails if there are more.
delivered() {
    local new="$vmail/example.net/$1/new" files=()
    for _ in $(seq 300); do
        files=("$new"/*)
        [ -e "${files[0]}" ] && break
        sleep 0.1
    done
    [ -e "${files[0]}" ] || { echo "nothing delivered to $1@example.net" >&2; return 1; }
    # A second copy would come at once; give it a moment.
    sleep 1
    files=("$new"/*)
    [ "${#files[@]}" = 1 ] || { echo "${#files[@]} copies delivered to $1@example.net" >&2; return 1; }
    echo "${files[0]}"
}

# trace_check FILE SENT SENDER RECIPIENT FROM_PATTERN: Postfix's virtual delivery agent
# stores FILE as Return-Path, X-Original-To, Delivered-To and the Received field Postfix
# added (which must match FROM_PATTERN, a Python regular expression), then the message
# SENT with LF line ends, byte for byte. Further fields between the Received field and
# SENT are printed (one per line, for the caller to check) rather than refused.
trace_check() {
    python3 - "$@" <<'PY'
import re, sys
path, sent, sender, rcpt, pattern = sys.argv[1:]
got = open(path, "rb").read()
sent = open(sent, "rb").read().replace(b"\r\n", b"\n")
assert got.endswith(sent), f"{path}: the message differs from what was sent"
head = got[: len(got) - len(sent)].decode()
fields = re.findall(r"[^\n]+\n(?:[ \t][^\n]*\n)*", head)
assert "".join(fields) == head, head
want = [f"Return-Path: <{sender}>\n", f"X-Original-To: {rcpt}\n", f"Delivered-To: {rcpt}\n"]
assert fields[:3] == want, fields[:3]
received = fields[3]
assert re.fullmatch(r"Received: from (?:\S+ )?\(localhost \[127\.0\.0\.1\]\)\n"
                    r"\tby postfix\.test \(Postfix\) with " + pattern +
                    r" id [0-9A-F]+\n\tfor <" + re.escape(rcpt) + r">; .*\n", received), received
for field in fields[4:]:
    print(field, end="")
PY
}

# a. mail-send to Postfix's submission port: STARTTLS, the throwaway authority trusted,
# AUTH checked by Dovecot. First a file with an attachment, sent as it is.
python3 - "$work/attached.eml" <<'PY'
import email.message, email.policy, os, sys
msg = email.message.EmailMessage(policy=email.policy.SMTP)
msg["From"] = "Sender <sender@example.net>"
msg["To"] = "Bob <bob@example.net>"
msg["Subject"] = "a file for Bob"
msg["Date"] = "Mon, 07 Dec 2026 12:00:00 +0000"
msg["Message-ID"] = "<attached-1@example.net>"
msg.set_content("The file is attached.\n.a line that starts with a dot\n")
msg.add_attachment(os.urandom(70000), maintype="application", subtype="octet-stream",
                   filename="blob.bin")
open(sys.argv[1], "wb").write(msg.as_bytes())
PY
send=("$bin/mail-send" --server "127.0.0.1:$submission_port" --starttls
    --ca-file "$pf/tls/ca.pem" --user "$dovecot_user" --password "$dovecot_password"
    --from "$dovecot_user")
timeout 60 "${send[@]}" --to bob@example.net "$work/attached.eml" >"$work/sent-a.txt"
# mail-send sent it in BDAT chunks (CHUNKING): Postfix counted the file's bytes.
grep -qx "<bob@example.net>: 250 2\\.0\\.0 Ok: $(stat -c %s "$work/attached.eml") bytes queued as [0-9A-F]*" \
    "$work/sent-a.txt"
file=$(delivered bob)
extra=$(trace_check "$file" "$work/attached.eml" "$dovecot_user" bob@example.net ESMTPSA)
[ -z "$extra" ] || { echo "Postfix added fields: $extra" >&2; exit 1; }
rm "$file"
echo "a. mail-send -> Postfix submission (STARTTLS, AUTH): delivered byte for byte"

# The same over implicit TLS (submissions, RFC 8314).
timeout 60 "$bin/mail-send" --server "127.0.0.1:$smtps_pf_port" --tls --ca-file "$pf/tls/ca.pem" \
    --user "$dovecot_user" --password "$dovecot_password" --from "$dovecot_user" \
    --to bob@example.net "$work/attached.eml" >"$work/sent-a1.txt"
grep -qx "<bob@example.net>: 250 2\\.0\\.0 Ok: $(stat -c %s "$work/attached.eml") bytes queued as [0-9A-F]*" \
    "$work/sent-a1.txt"
file=$(delivered bob)
extra=$(trace_check "$file" "$work/attached.eml" "$dovecot_user" bob@example.net ESMTPSA)
[ -z "$extra" ] || { echo "Postfix added fields: $extra" >&2; exit 1; }
rm "$file"
echo "a. mail-send -> Postfix submissions (implicit TLS, AUTH): delivered byte for byte"

# A message mail-send builds: text, an attachment, Date and Message-ID of its own.
head -c 50000 /dev/urandom >"$work/blob.bin"
printf 'Hello Bob,\nthe file is attached.\n' | timeout 60 "${send[@]}" --to bob@example.net \
    --subject 'built by mail-send' --attach "$work/blob.bin" >"$work/sent-a2.txt"
grep -qx '<bob@example.net>: 250 2\.0\.0 Ok: [0-9]* bytes queued as [0-9A-F]*' "$work/sent-a2.txt"
file=$(delivered bob)
python3 - "$file" "$work/blob.bin" <<'PY'
import email, email.policy, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert msg["Subject"] == "built by mail-send", msg["Subject"]
assert msg["From"] == "sender@example.net" and msg["To"] == "bob@example.net"
assert msg["Date"] is not None and msg["Message-ID"] is not None
text = msg.get_body(("plain",)).get_content()
assert text == "Hello Bob,\nthe file is attached.\n", repr(text)
[attachment] = msg.iter_attachments()
assert attachment.get_filename() == "blob.bin"
assert attachment.get_content() == open(sys.argv[2], "rb").read(), "the attachment differs"
PY
rm "$file"
echo "a. mail-send --attach -> Postfix submission: text and attachment intact"

# A file with no --to: the envelope comes from its header (To, Cc and Bcc), the Bcc field
# is not sent, and Date and Message-ID are added: each of the two mailboxes gets one copy,
# identical, the file's fields but Bcc in their order below the added ones.
printf '%s\r\n' 'From: Sender <sender@example.net>' 'To: Bob <bob@example.net>' \
    'Bcc: someone@example.net' 'Subject: envelope from the header' '' 'Two copies.' \
    >"$work/header.eml"
timeout 60 "${send[@]}" "$work/header.eml" >"$work/sent-a3.txt"
grep -c '^<[a-z]*@example\.net>: 250 2\.0\.0 Ok: [0-9]* bytes queued as [0-9A-F]*' "$work/sent-a3.txt" |
    grep -qx 2
bob=$(delivered bob)
someone=$(delivered someone)
python3 - "$bob" "$someone" <<'PY'
import re, sys
copies = []
for path, rcpt in zip(sys.argv[1:], ["bob@example.net", "someone@example.net"]):
    head, body = open(path, "rb").read().decode().split("\n\n", 1)
    assert body == "Two copies.\n", body
    fields = re.findall(r"[^\n]+(?:\n[ \t][^\n]*)*", head)
    assert fields[:3] == ["Return-Path: <sender@example.net>", f"X-Original-To: {rcpt}",
                          f"Delivered-To: {rcpt}"], fields[:3]
    assert fields[3].startswith("Received: from "), fields[3]
    copies.append(fields[4:])
assert copies[0] == copies[1], copies
names = [f.split(":", 1)[0] for f in copies[0]]
assert sorted(names[:2]) == ["Date", "Message-ID"], names
assert copies[0][2:] == ["From: Sender <sender@example.net>", "To: Bob <bob@example.net>",
                         "Subject: envelope from the header"], copies[0]
PY
rm "$bob" "$someone"
echo "a. mail-send, envelope from the header: one copy each for To and Bcc, no Bcc field"

# Without AUTH, or with a wrong password, Postfix refuses: the account is really checked.
if timeout 60 "$bin/mail-send" --server "127.0.0.1:$submission_port" --starttls \
    --ca-file "$pf/tls/ca.pem" --user "$dovecot_user" --password wrong \
    --from "$dovecot_user" --to bob@example.net "$work/attached.eml" >"$work/refused.txt" 2>&1; then
    echo "Postfix took a wrong password" >&2
    exit 1
fi
grep -q ': authentication failed: 535 5\.7\.8 ' "$work/refused.txt"
if timeout 60 "$bin/mail-send" --server "127.0.0.1:$submission_port" --starttls \
    --ca-file "$pf/tls/ca.pem" --from "$dovecot_user" --to bob@example.net \
    "$work/attached.eml" >"$work/refused.txt" 2>&1; then
    echo "Postfix relayed without AUTH" >&2
    exit 1
fi
grep -q '^<bob@example.net>: 554 5\.7\.1 ' "$work/refused.txt"
[ -z "$(ls "$vmail/example.net/bob/new")" ]
echo "a. Postfix submission refuses a wrong password and a sender without AUTH"

# b. The example server relays to Postfix (restarted with the route to Postfix's smtpd).
# The example's relay trusts the platform's roots, which SSL_CERT_FILE names here: Postfix's
# certificate is checked, and the relay goes on only over verified TLS.
SSL_CERT_FILE="$pf/tls/ca.pem" restart_mail_server TERM --route "example.net=127.0.0.1:$smtpd_port"
printf '%s\r\n' 'From: Alice <alice@localhost>' 'To: Someone <someone@example.net>' \
    'Subject: from the example server to Postfix' 'Date: Mon, 07 Dec 2026 12:01:00 +0000' \
    'Message-ID: <relay-b@localhost>' '' 'Relayed by mailwire.' '.a line that starts with a dot' \
    "caf$(printf '\xc3\xa9') in 8-bit" >"$work/relay-b.eml"
timeout 60 python3 - "$submission_port" "$cert" "$user" "$password" "$work/relay-b.eml" <<'PY'
import smtplib, ssl, sys
port, cert, user, password, path = sys.argv[1:]
with smtplib.SMTP("127.0.0.1", int(port), timeout=30) as smtp:
    smtp.starttls(context=ssl.create_default_context(cafile=cert))
    smtp.login(user, password)
    assert smtp.sendmail(user, ["someone@example.net"], open(path, "rb").read()) == {}
PY
file=$(delivered someone)
# Postfix offers STARTTLS with a certificate from the CA the example server was told to
# trust: the relay's opportunistic TLS succeeds, Postfix notes ESMTPS, and there was no
# fallback to plain SMTP.
extra=$(trace_check "$file" "$work/relay-b.eml" "$user" someone@example.net ESMTPS)
if grep -q 'STARTTLS failed' "$work/server.log"; then
    echo "the relay fell back to plain SMTP:" >&2
    grep 'STARTTLS failed' "$work/server.log" >&2
    exit 1
fi
# Below Postfix's Received field: the one the example server added when it took the
# message on its submission port, and nothing else.
python3 - "$extra" <<'PY'
import re, sys
extra = sys.argv[1] + "\n"
assert re.fullmatch(r"Received: from \S+ \(\S*\[127\.0\.0\.1\]\)\n(?:[ \t].*\n)*", extra), extra
assert "by localhost with ESMTPSA" in extra and "for <someone@example.net>" in extra, extra
assert extra.count("Received:") == 1, extra
PY
listing=$("$bin/mail-server" queue list --data "$data")
[ -z "$listing" ] || { echo "the example server's queue still holds: $listing" >&2; exit 1; }
echo "b. example server -> Postfix over verified STARTTLS: one copy in Postfix's Maildir, byte for byte"

# c. Postfix relays to the example server: a message injected on Postfix's smtpd port for
# the example's account goes out through the transport map's smtp:[127.0.0.1]:port.
printf 'localhost smtp:[127.0.0.1]:%s\n' "$smtp_port" >"$pf/conf/transport"
timeout 30 postfix -c "$pf/conf" reload >/dev/null 2>&1
printf '%s\r\n' 'From: Carol <carol@example.net>' "To: Alice <$user>" \
    'Subject: from Postfix to the example server' 'Date: Mon, 07 Dec 2026 12:02:00 +0000' \
    'Message-ID: <relay-c@example.net>' '' 'Relayed by Postfix.' '.a line that starts with a dot' \
    "caf$(printf '\xc3\xa9') in 8-bit" >"$work/relay-c.eml"
timeout 90 python3 - "$smtpd_port" "$imaps_port" "$cert" "$user" "$password" "$work/relay-c.eml" <<'PY'
import imaplib, re, smtplib, ssl, sys, time
smtpd, imaps, cert, user, password, path = sys.argv[1:]
sent = open(path, "rb").read()
with smtplib.SMTP("127.0.0.1", int(smtpd), timeout=30) as smtp:
    assert smtp.sendmail("carol@example.net", [user], sent) == {}

deadline = time.monotonic() + 30
while True:
    imap = imaplib.IMAP4_SSL("127.0.0.1", int(imaps),
                             ssl_context=ssl.create_default_context(cafile=cert))
    imap.login(user, password)
    count = int(imap.select("INBOX")[1][0])
    if count:
        break
    imap.logout()
    assert time.monotonic() < deadline, "Postfix's message did not reach the example server"
    time.sleep(0.3)
time.sleep(1)
count = int(imap.select("INBOX")[1][0])
assert count == 1, f"{count} messages"
typ, data = imap.fetch("1", "(BODY.PEEK[])")
got = data[0][1]
imap.logout()
assert got.endswith(sent), got
head = got[: len(got) - len(sent)].decode()
fields = re.findall(r"[^\r\n]+\r\n(?:[ \t][^\r\n]*\r\n)*", head)
assert "".join(fields) == head, head
# Above the message: the example server's Return-Path (final delivery) and its Received
# field (it took the message from Postfix over STARTTLS), then Postfix's Received field.
assert len(fields) == 3, fields
assert fields[0] == "Return-Path: <carol@example.net>\r\n", fields[0]
sys.path.insert(0, ".ci/interop")
from mailtrace import split_trace
split_trace(fields[1].encode(), None, [(b"postfix.test", b"localhost", b"ESMTPS")])
assert fields[1].endswith(f"for <{user}>; " + fields[1].rsplit("; ", 1)[1]), fields[1]
assert re.fullmatch(r"Received: from (?:\S+ )?\(localhost \[127\.0\.0\.1\]\)\r\n"
                    r"\tby postfix\.test \(Postfix\) with ESMTP id [0-9A-F]+\r\n"
                    r"\tfor <" + re.escape(user) + r">; .*\r\n", fields[2]), fields[2]
PY
grep -q "to=<$user>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$smtp_port, .*status=sent" "$pf/maillog"
# Postfix took the example server's STARTTLS (unverified: smtp_tls_security_level = may).
grep -q "Untrusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:$smtp_port: TLSv1\.3" \
    "$pf/maillog"
echo "c. Postfix -> example server: fetched over IMAP byte for byte, below the trace fields"

echo "interop: Postfix and the example server relay to each other; mail-send submits to Postfix"
