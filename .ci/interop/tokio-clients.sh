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
    b"From the start of a line, quoted in an mbox",
    b">From quoted already",
    b"caf\xc3\xa9 in 8-bit",
] + [b"line %05d of a longer body" % i for i in range(5000)]
open(sys.argv[1], "wb").write(b"\r\n".join(lines) + b"\r\n")
PY
# Delivered messages carry the server's Return-Path and Received fields on top; `traced`
# checks a fetched copy below them.
traced() {
    python3 .ci/interop/mailtrace.py "$1" "$2" --return-path "$3" --received '*,localhost,ESMTP'
}

"$bin/mail-send" --server "127.0.0.1:$smtp_port" --plaintext --from bob@example.org \
    --to "$user" --to postmaster@localhost "$work/message.eml" >"$work/sent.txt"
grep -c '^<[a-z]*@localhost>: 250 ' "$work/sent.txt" | grep -qx 2
printf 'Subject: from stdin\r\n\r\nshort\r\n' >"$work/second.eml"
"$bin/mail-send" --server "127.0.0.1:$smtp_port" --plaintext --from '' --to "$user" - \
    <"$work/second.eml" >/dev/null
echo "mail-send: 2 messages accepted"

fetch=("$bin/mail-fetch" --server "127.0.0.1:$pop3_port" --user "$user"
    --password "$password" --plaintext --allow-plaintext-auth)
# The server numbers messages in delivery order; the long one is found as the larger, so
# the check does not rest on that.
"${fetch[@]}" >"$work/list.txt"
[ "$(wc -l <"$work/list.txt")" -eq 2 ]
read -r n size _ < <(sort -k2,2n "$work/list.txt" | tail -1)
"${fetch[@]}" --message "$n" >"$work/fetched.eml"
traced "$work/message.eml" "$work/fetched.eml" '<bob@example.org>'
[ "$(stat -c %s "$work/fetched.eml")" -eq "$size" ]
echo "mail-fetch: list and RETR to standard output, identical"

python3 - "$pop3_port" "$work/fetched.eml" "$n" <<'PY'
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
    --password "$password" --plaintext --allow-plaintext-auth)
"${imap[@]}" >"$work/imap-list.txt"
[ "$(wc -l <"$work/imap-list.txt")" -eq 2 ]
seq=$(awk -v size="$size" '$2 == size { print $1 }' "$work/imap-list.txt")
[ -n "$seq" ]
"${imap[@]}" --message "$seq" >"$work/imap.eml"
cmp "$work/fetched.eml" "$work/imap.eml"
echo "mail-fetch --imap: list and BODY.PEEK[] to standard output, identical"

# The saved copies: every Maildir message and every mbox message (mboxrd quoting undone)
# must be one of the two sent, with LF line ends, each exactly once.
check_saved() {
    python3 - "$work/message.eml" "$work/second.eml" "$@" <<'PY'
import os, re, sys
sys.path.insert(0, ".ci/interop")
from mailtrace import untraced
want = sorted(open(p, "rb").read().replace(b"\r\n", b"\n") for p in sys.argv[1:3])
for kind, path in zip(sys.argv[3::2], sys.argv[4::2]):
    if kind == "maildir":
        assert os.listdir(os.path.join(path, "tmp")) == [], "a message was left in tmp"
        names = os.listdir(os.path.join(path, "new"))
        got = [open(os.path.join(path, "new", n), "rb").read() for n in names]
    else:
        got, lines = [], open(path, "rb").read().split(b"\n")
        assert lines.pop() == b"", "the mbox does not end with a line end"
        for line in lines:
            if line.startswith(b"From "):
                assert re.fullmatch(rb"From MAILER-DAEMON \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}", line), line
                got.append([])
            else:
                got[-1].append(line[1:] if re.match(rb">+From ", line) else line)
        for message in got:
            assert message.pop() == b"", "no blank line after a message"
        got = [b"\n".join(m) + b"\n" for m in got]
    assert sorted(untraced(m) for m in got) == want, f"{path}: the saved messages differ"
print("saved copies identical:", " ".join(sys.argv[4::2]).replace(sys.argv[1].rsplit("/", 1)[0] + "/", ""))
PY
}

# Into a Maildir and an mbox, leaving the messages on the server; a second run finds
# nothing new; a message forgotten by the state file is fetched again, and only it.
"${fetch[@]}" --maildir "$work/Maildir" | grep -qx 'saved 2 new messages'
"${fetch[@]}" --mbox "$work/inbox.mbox" | grep -qx 'saved 2 new messages'
grep -qx '>>From quoted already' "$work/inbox.mbox"
check_saved maildir "$work/Maildir" mbox "$work/inbox.mbox"
"${fetch[@]}" --maildir "$work/Maildir" | grep -qx 'saved 0 new messages'
"${fetch[@]}" --mbox "$work/inbox.mbox" | grep -qx 'saved 0 new messages'
check_saved maildir "$work/Maildir" mbox "$work/inbox.mbox"
state=$(echo "$work"/Maildir/.mail-fetch.pop3.*)
[ "$(grep -cv '^#' "$state")" -eq 2 ]
sed -i '$d' "$state"
"${fetch[@]}" --maildir "$work/Maildir" | grep -qx 'saved 1 new message'
[ "$(ls "$work/Maildir/new" | wc -l)" -eq 3 ]
echo "mail-fetch: Maildir and mbox, identical; a second run fetched nothing; resumed by UIDL"

"${imap[@]}" --maildir "$work/ImapMaildir" | grep -qx 'saved 2 new messages'
"${imap[@]}" --folder INBOX --mbox "$work/imap.mbox" | grep -qx 'saved 2 new messages'
check_saved maildir "$work/ImapMaildir" mbox "$work/imap.mbox"
"${imap[@]}" --maildir "$work/ImapMaildir" | grep -qx 'saved 0 new messages'
"${imap[@]}" --mbox "$work/imap.mbox" | grep -qx 'saved 0 new messages'
grep -qx 'uidvalidity [0-9]*' "$work"/imap.mbox.mail-fetch.imap.*
# BODY.PEEK[] left both unseen; once one is read elsewhere, --unseen fetches the other.
python3 - "$imap_port" "$size" <<'PY'
import imaplib, sys
imap = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
imap.login("alice", "open sesame")
imap.select("INBOX")
_, data = imap.fetch("1:*", "(RFC822.SIZE)")
for line in data:
    seq, rest = line.split(b" ", 1)
    if int(rest.split(b"RFC822.SIZE ")[1].rstrip(b")")) != int(sys.argv[2]):
        imap.store(seq, "+FLAGS", "\\Seen")
imap.logout()
PY
"${imap[@]}" --unseen --mbox "$work/unseen.mbox" | grep -qx 'saved 1 new message'
python3 - "$work/unseen.mbox" "$work/message.eml" <<'PY'
import sys
sys.path.insert(0, ".ci/interop")
from mailtrace import untraced
mbox = open(sys.argv[1], "rb").read()
body = open(sys.argv[2], "rb").read().replace(b"\r\n", b"\n").replace(b"\n>From ", b"\n>>From ").replace(b"\nFrom ", b"\n>From ")
assert untraced(mbox.split(b"\n", 1)[1]) == body + b"\n", "--unseen saved another message"
PY
echo "mail-fetch --imap: Maildir and mbox, identical; a second run fetched nothing; --unseen"

"${fetch[@]}" --maildir "$work/Maildir" --delete |
    grep -qx 'saved 0 new messages, deleted 2 from the server'
[ "$(find "$maildir/new" "$maildir/cur" -type f | wc -l)" -eq 0 ]
"${fetch[@]}" >"$work/list.txt"
[ ! -s "$work/list.txt" ]
echo "mail-fetch: --delete removed what was saved and emptied the maildrop"

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
    --password "$password" --message 2 >"$work/second-pop3s.eml"
python3 .ci/interop/mailtrace.py "$work/second.eml" "$work/second-pop3s.eml" \
    --return-path '<bob@example.org>' --received '*,localhost,ESMTPSA'
"$bin/mail-fetch" --imap --server "127.0.0.1:$imap_port" --starttls --ca-file "$cert" \
    --user "$user" --password "$password" --message 2 | cmp "$work/second-pop3s.eml"
echo "mail-send --starttls, mail-fetch --tls and --imap --starttls: the certificate checked"

echo "interop: tokio clients against mail-server passed"
