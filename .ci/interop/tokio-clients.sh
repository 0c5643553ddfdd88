#!/usr/bin/env bash
# The tokio example clients against the example mail server, with Python's poplib as the
# referee: mail goes in with mail-send and comes back with mail-fetch (POP3 and IMAP) and
# with poplib, byte for byte.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --examples
bin="${CARGO_TARGET_DIR:-target}/debug/examples"

source .ci/interop/mail-server.bash
start_mail_server --allow-plaintext

# Dot lines, 8-bit text and a body larger than one 64 KiB write.
python3 - "$work/message.eml" <<'PY'
import sys
lines = [
    b"From: Alice <alice@example.org>",
    b"To: Bob <bob@example.org>",
    b"Subject: sent by mail-send",
    b"",
    b".a line that starts with a dot",
    b"..and one with two",
    b".",
    b"caf\xc3\xa9 in 8-bit",
] + [b"line %05d of a longer body" % i for i in range(5000)]
open(sys.argv[1], "wb").write(b"\r\n".join(lines) + b"\r\n")
PY
size=$(stat -c %s "$work/message.eml")

"$bin/mail-send" --server "127.0.0.1:$smtp_port" --plaintext --from bob@example.org \
    --to "$user" --to postmaster@localhost "$work/message.eml" >"$work/sent.txt"
grep -c '^<[a-z]*@localhost>: 250 ' "$work/sent.txt" | grep -qx 2
printf 'Subject: from stdin\r\n\r\nshort\r\n' >"$work/second.eml"
"$bin/mail-send" --server "127.0.0.1:$smtp_port" --plaintext --from '' --to "$user" - \
    <"$work/second.eml" >/dev/null
echo "mail-send: 2 messages accepted"

fetch=("$bin/mail-fetch" --server "127.0.0.1:$pop3_port" --user "$user"
    --password "$password" --allow-plaintext-auth)
# The server numbers messages in delivery order; the long one is found by its size, so the
# check does not rest on that.
"${fetch[@]}" >"$work/list.txt"
[ "$(wc -l <"$work/list.txt")" -eq 2 ]
n=$(awk -v size="$size" '$2 == size { print $1 }' "$work/list.txt")
[ -n "$n" ]
"${fetch[@]}" --message "$n" >"$work/fetched.eml"
cmp "$work/message.eml" "$work/fetched.eml"
echo "mail-fetch: list and RETR to standard output, identical"

python3 - "$pop3_port" "$work/message.eml" "$n" <<'PY'
import poplib, sys
pop = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=30)
pop.user("alice")
pop.pass_("open sesame")
_, got, _ = pop.retr(int(sys.argv[3]))
assert b"\r\n".join(got) + b"\r\n" == open(sys.argv[2], "rb").read(), "poplib RETR differs"
pop.quit()
print("poplib: the message mail-send delivered, identical")
PY

imap=("$bin/mail-fetch" --imap --server "127.0.0.1:$imap_port" --user "$user"
    --password "$password" --allow-plaintext-auth)
"${imap[@]}" >"$work/imap-list.txt"
[ "$(wc -l <"$work/imap-list.txt")" -eq 2 ]
seq=$(awk -v size="$size" '$2 == size { print $1 }' "$work/imap-list.txt")
[ -n "$seq" ]
"${imap[@]}" --message "$seq" >"$work/imap.eml"
cmp "$work/message.eml" "$work/imap.eml"
echo "mail-fetch --imap: list and BODY.PEEK[] to standard output, identical"

mkdir "$work/out"
"${fetch[@]}" --all --out "$work/out" --delete
cmp "$work/message.eml" "$work/out/$n.eml"
cmp "$work/second.eml" "$work/out/$((3 - n)).eml"
[ -z "$(ls "$maildir/new")" ]
"${fetch[@]}" >"$work/list.txt"
[ ! -s "$work/list.txt" ]
echo "mail-fetch: --all --out --delete wrote both and emptied the maildrop"

# A message built from flags: text from standard input, an attachment, a Bcc recipient.
head -c 100000 /dev/urandom >"$work/blob.bin"
printf 'Hello Bob,\nthe file is attached.\n' | "$bin/mail-send" --server "127.0.0.1:$smtp_port" \
    --plaintext --from bob@example.org --to "$user" --bcc postmaster@localhost \
    --subject 'built by mail-send' --attach "$work/blob.bin" >"$work/built.txt"
grep -c '^<[a-z]*@localhost>: 250 ' "$work/built.txt" | grep -qx 2
"${fetch[@]}" --message 1 >"$work/built.eml"
python3 - "$work/built.eml" "$work/blob.bin" <<'PY'
import email, email.policy, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert msg["Subject"] == "built by mail-send", msg["Subject"]
assert msg["Bcc"] is None, "Bcc was sent"
assert msg["Date"] is not None and msg["Message-ID"] is not None
text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
assert text == "Hello Bob,\nthe file is attached.\n", repr(text)
attachments = list(msg.iter_attachments())
assert [a.get_filename() for a in attachments] == ["blob.bin"]
assert attachments[0].get_content() == open(sys.argv[2], "rb").read(), "attachment differs"
print("python email: the message mail-send built has its text and attachment, and no Bcc")
PY

# Over TLS, trusting the server's certificate by its file: submission with STARTTLS and
# AUTH, POP3S, and IMAP with STARTTLS. The built message above is message 1.
"$bin/mail-send" --server "127.0.0.1:$submission_port" --starttls --ca-file "$cert" \
    --user "$user" --password "$password" --from bob@example.org --to "$user" \
    "$work/second.eml" >/dev/null
"$bin/mail-fetch" --server "127.0.0.1:$pop3s_port" --tls --ca-file "$cert" --user "$user" \
    --password "$password" --message 2 | cmp "$work/second.eml"
"$bin/mail-fetch" --imap --server "127.0.0.1:$imap_port" --starttls --ca-file "$cert" \
    --user "$user" --password "$password" --message 2 | cmp "$work/second.eml"
echo "mail-send --starttls, mail-fetch --tls and --imap --starttls: the certificate checked"

echo "interop: tokio clients against mail-server passed"
