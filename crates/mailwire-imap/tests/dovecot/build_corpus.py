#!/usr/bin/env python3
"""Builds the Dovecot differential corpus under corpus/.

Two kinds of messages:
  * imported test data from locally installed, permissively licensed packages (Python's
    email test data, test data shipped in crates.io crates); run once on a machine that has
    them, the result is committed, and SOURCES.md names each file's origin;
  * messages written here (corpus/own/), in the shapes real mail takes.

Usage: python3 build_corpus.py [--import]   (without --import only corpus/own is rewritten)
"""
import base64
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(sub, name, data):
    os.makedirs(os.path.join(CORPUS, sub), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(CORPUS, sub, name), "wb") as f:
        f.write(data)


def import_sources():
    py = os.path.expanduser("~/.pyenv/versions/3.11.7/lib/python3.11/test/test_email/data")
    for path in sorted(glob.glob(os.path.join(py, "msg_*.txt"))):
        with open(path, "rb") as f:
            write("python", os.path.basename(path)[:-4] + ".eml", f.read())
    reg = glob.glob(os.path.expanduser("~/.cargo/registry/src/*/"))
    for crate, pattern, sub in [
        ("mail-parser-0.11.9", "resources/eml/*/*.eml", "mail-parser"),
        ("mailparse-0.18.0", "tests/files/*.[et][mx][lt]", "mailparse"),
    ]:
        for base in reg:
            root = os.path.join(base, crate)
            if not os.path.isdir(root):
                continue
            for path in sorted(glob.glob(os.path.join(root, pattern))):
                rel = os.path.relpath(path, root).split(os.sep)
                stem = os.path.splitext(rel[-1])[0]
                name = (rel[-2] + "-" + stem if sub == "mail-parser" else stem) + ".eml"
                with open(path, "rb") as f:
                    write(sub, name, f.read())
            break


def b64(data, width=76):
    enc = base64.b64encode(data).decode()
    return "\n".join(enc[i:i + width] for i in range(0, len(enc), width)) + "\n"


def ew(text, charset, enc="B"):
    raw = text.encode(charset)
    if enc == "B":
        return "=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode())
    out = ""
    for byte in raw:
        c = chr(byte)
        if c.isalnum():
            out += c
        elif c == " ":
            out += "_"
        else:
            out += "=%02X" % byte
    return "=?%s?Q?%s?=" % (charset, out)


HDR = (
    "Date: Tue, 14 May 2024 10:%02d:00 +0200\n"
    "Message-ID: <own-%s@corpus.test>\n"
)


def own():
    msgs = {}

    def add(name, text):
        msgs[name] = text

    # Encoded words in many charsets, in display names and subjects.
    samples = [
        ("iso-8859-1", "Jos\u00e9 Mu\u00f1oz", "Caf\u00e9 cr\u00e8me"),
        ("iso-8859-2", "Pawe\u0142 \u017bak", "Za\u017c\u00f3\u0142\u0107 g\u0119\u015bl\u0105"),
        ("iso-8859-5", "\u0418\u0432\u0430\u043d", "\u041f\u0440\u0438\u0432\u0435\u0442"),
        ("iso-8859-7", "\u0393\u03b9\u03ac\u03bd\u03bd\u03b7\u03c2", "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1"),
        ("iso-8859-15", "\u00c9lodie \u20ac", "Prix en \u20ac"),
        ("koi8-r", "\u0421\u0435\u0440\u0433\u0435\u0439", "\u041e\u0442\u0447\u0451\u0442 \u0437\u0430 \u043c\u0430\u0439"),
        ("shift_jis", "\u5c71\u7530\u592a\u90ce", "\u4f1a\u8b70\u306e\u304a\u77e5\u3089\u305b"),
        ("iso-2022-jp", "\u9234\u6728", "\u898b\u7a4d\u66f8"),
        ("euc-kr", "\uae40\ucca0\uc218", "\ud68c\uc758 \uc548\ub0b4"),
        ("gb2312", "\u5f20\u4f1f", "\u4f1a\u8bae\u901a\u77e5"),
        ("big5", "\u9673\u5927\u6587", "\u5831\u50f9\u55ae"),
        ("windows-1252", "Ren\u00e9e O\u2019Brien", "\u201cQuoted\u201d"),
        ("windows-1251", "\u0414\u043c\u0438\u0442\u0440\u0438\u0439", "\u0421\u0447\u0451\u0442"),
        ("utf-8", "Zo\u00eb \U0001F600", "R\u00e9sum\u00e9 \u2013 \u65e5\u672c"),
    ]
    for i, (cs, name, subj) in enumerate(samples):
        for enc in ("B", "Q"):
            add(
                "ew-%s-%s" % (cs, enc.lower()),
                HDR % (i, "ew%d%s" % (i, enc))
                + "From: %s <sender%d@example.org>\n" % (ew(name, cs, enc), i)
                + "To: %s <to@example.net>, plain@example.net\n" % ew(name, cs, enc)
                + "Subject: %s\n" % ew(subj, cs, enc)
                + "MIME-Version: 1.0\n"
                + "Content-Type: text/plain; charset=%s\n" % cs
                + "Content-Transfer-Encoding: 8bit\n\n",
            )
            msgs["ew-%s-%s" % (cs, enc.lower())] = msgs["ew-%s-%s" % (cs, enc.lower())].encode() + (
                subj.encode(cs) + b"\n"
            )

    add("ew-adjacent-and-split", HDR % (1, "ewsplit")
        + "From: =?utf-8?q?J=C3=BCrgen?= =?utf-8?q?_M=C3=BCller?= <jm@example.de>\n"
        + "Subject: =?utf-8?B?w4RyZ2Vy?=\n =?utf-8?B?IG1pdCBkZW0gRHJ1Y2tlcg==?=\n"
        + "To: \"=?utf-8?q?quoted_=C3=A9?=\" <q@example.de>\n\nbody\n")
    add("ew-malformed", HDR % (2, "ewbad")
        + "From: =?utf-8?x?broken?= <a@example.org>\n"
        + "Subject: =?unknown-charset?Q?text?= and =?utf-8?B?!!!?=\n"
        + "To: =?utf-8?Q?unterminated <b@example.org>\n\nbody\n")
    add("ew-rfc2231-language", HDR % (3, "ewlang")
        + "From: =?US-ASCII*EN?Q?Keith_Moore?= <moore@cs.utk.edu>\n"
        + "Subject: =?ISO-8859-1*fr?Q?R=E9sum=E9?=\n\nbody\n")

    # 8-bit headers, unencoded.
    for cs, name in [("utf-8", "J\u00fcrgen M\u00fcller"), ("iso-8859-1", "J\u00fcrgen M\u00fcller"),
                     ("koi8-r", "\u0421\u0435\u0440\u0433\u0435\u0439"), ("shift_jis", "\u5c71\u7530")]:
        m = (HDR % (4, "8bit-" + cs)).encode() + b"From: " + name.encode(cs) + b" <raw@example.org>\n" \
            + b"Subject: " + name.encode(cs) + b" says hello\n" \
            + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=" + cs.encode() \
            + b"\nContent-Transfer-Encoding: 8bit\n\n" + name.encode(cs) + b"\n"
        add("8bit-header-" + cs, m)

    # RFC 2231 parameters: continuations, charsets, languages, mixed.
    add("rfc2231-continuation", HDR % (5, "2231a")
        + "From: a@example.org\nSubject: 2231\nMIME-Version: 1.0\n"
        + "Content-Type: multipart/mixed; boundary=\"XX\"\n\n--XX\nContent-Type: text/plain\n\nsee\n--XX\n"
        + "Content-Type: application/octet-stream;\n name*0=\"a-very-long-file-name-that-\";\n"
        + " name*1=\"continues-here.bin\"\n"
        + "Content-Disposition: attachment;\n filename*0*=utf-8''%E2%82%AC-rates-;\n filename*1=\"2024.pdf\"\n"
        + "Content-Transfer-Encoding: base64\n\n" + b64(b"\x00\x01binary" * 10) + "--XX--\n")
    add("rfc2231-charset-lang", HDR % (6, "2231b")
        + "From: a@example.org\nSubject: 2231 lang\nMIME-Version: 1.0\n"
        + "Content-Type: multipart/mixed; boundary=\"YY\"\n\n--YY\nContent-Type: text/plain\n\nsee\n--YY\n"
        + "Content-Type: application/pdf; name*=iso-8859-1'fr'r%E9sum%E9.pdf\n"
        + "Content-Disposition: attachment; filename*=iso-8859-1'fr'r%E9sum%E9.pdf; size=1234\n"
        + "Content-Transfer-Encoding: base64\n\n" + b64(b"%PDF-1.4 fake") + "--YY--\n")
    add("rfc2231-out-of-order", HDR % (7, "2231c")
        + "From: a@example.org\nSubject: 2231 order\nMIME-Version: 1.0\n"
        + "Content-Type: text/plain; charset=us-ascii; title*1=\" world\"; title*0=\"hello\"\n\nbody\n")
    add("params-run-on", HDR % (8, "runon")
        + "From: a@example.org\nSubject: run-on params\nMIME-Version: 1.0\n"
        + "Content-Type: multipart/mixed; boundary=\"ZZ\"\n\n--ZZ\nContent-Type: text/plain; charset=\"utf-8\"format=flowed\n\nx\n--ZZ\n"
        + "Content-Type: application/pdf; name=\"report.pdf\" ;; x-unix-mode=0644\n"
        + "Content-Disposition: attachment; filename=report.pdf;\n\n"
        + "content\n--ZZ\nContent-Type: image/png;name=pic.png;charset=\n\nabc\n--ZZ--\n")
    add("params-case-and-quoting", HDR % (9, "pcase")
        + "From: a@example.org\nSubject: case\nMIME-Version: 1.0\n"
        + "Content-Type: Text/HTML; CharSet=\"ISO-8859-1\"; Format=\"Flowed\"\n"
        + "Content-Transfer-Encoding: Quoted-Printable\nContent-Language: EN-us, fr\n"
        + "Content-Disposition: Inline\nContent-ID: <CID@x>\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n"
        + "Content-Location: http://example.org/x.html\n\n<p>caf=E9</p>\n")
    add("params-comment-and-spaces", HDR % (10, "pcomm")
        + "From: a@example.org\nSubject: comments\nMIME-Version: 1.0\n"
        + "Content-Type: text/plain (a comment) ; charset = \"us-ascii\" (another)\n\nbody\n")

    # Defaults: no Content-Type, no MIME-Version, empty body, message without header.
    add("default-no-content-type", HDR % (11, "dflt1") + "From: a@example.org\nSubject: no ct\n\nplain body\n")
    add("default-ct-without-subtype", HDR % (12, "dflt2")
        + "From: a@example.org\nSubject: text only\nMIME-Version: 1.0\nContent-Type: text\n\nbody\n")
    add("default-ct-invalid", HDR % (13, "dflt3")
        + "From: a@example.org\nSubject: invalid ct\nMIME-Version: 1.0\nContent-Type: ;charset=utf-8\n\nbody\n")
    add("empty-body", HDR % (14, "empty") + "From: a@example.org\nSubject: empty\n\n")
    add("header-only-no-blank-line", HDR % (15, "hdronly") + "From: a@example.org\nSubject: header only\n")
    add("no-header-at-all", "\nJust a body without a header.\n")
    add("cte-unknown", HDR % (16, "cte")
        + "From: a@example.org\nSubject: unknown cte\nMIME-Version: 1.0\nContent-Type: text/plain\n"
        + "Content-Transfer-Encoding: x-uuencode\n\nbegin 644 f\n`\nend\n")

    # Addresses: groups, missing parts, route addresses, comments, broken.
    add("addr-groups", HDR % (17, "grp")
        + "From: Team <team@example.org>\nSender: list-bounces@example.org\nReply-To: Team:;\n"
        + "To: Friends: ann@example.org, \"Bob B.\" <bob@example.org>;, solo@example.org\n"
        + "Cc: Undisclosed recipients:;\nBcc: (hidden) <bcc@example.org>\n"
        + "In-Reply-To: <a@b> <c@d>\nSubject: groups\n\nbody\n")
    add("addr-missing-parts", HDR % (18, "miss")
        + "From: just-local-part\nTo: <@route.example:user@example.org>, @nodomain, <>\n"
        + "Cc: user@, @host.example, \"Quoted Only\"\nSubject: missing parts\n\nbody\n")
    add("addr-comments", HDR % (19, "comm")
        + "From: ann@example.org (Ann Example)\nTo: (Comment only) bob@example.org, Carl (X) <carl@example.org>\n"
        + "Subject: comments in addresses\n\nbody\n")
    add("addr-quoted-local", HDR % (20, "qlocal")
        + "From: \"Smith, John\" <\"john smith\"@example.org>\nTo: \"a\\\"b\" <ab@example.org>\n"
        + "Subject: quoted locals\n\nbody\n")
    add("addr-duplicate-fields", HDR % (21, "dup")
        + "From: first@example.org\nFrom: second@example.org\nSubject: one\nSubject: two\n"
        + "To: x@example.org\nTo: y@example.org\n\nbody\n")
    add("addr-idn-utf8", HDR % (22, "idn")
        + "From: J\u00fcrgen <j\u00fcrgen@m\u00fcller.example>\nTo: =?utf-8?q?=E2=98=83?= <snow@xn--n3h.example>\n"
        + "Subject: utf-8 addresses\n\nbody\n")

    # Broken headers: no colon, whitespace before colon, folded badly, NUL, very long lines.
    add("broken-line-without-colon", HDR % (23, "nocolon")
        + "From: a@example.org\nThis line has no colon\nSubject: after junk\nTo: b@example.org\n\nbody\n")
    add("broken-space-before-colon", HDR % (24, "sp")
        + "From : a@example.org\nSubject\t: spaced\nContent-Type : text/html\n\n<p>x</p>\n")
    add("broken-fold-first-line", " folded first line\n" + HDR % (25, "fold1")
        + "From: a@example.org\nSubject: fold\n\nbody\n")
    add("broken-mbox-from-line", "From sender@example.org Tue May 14 10:00:00 2024\n" + HDR % (26, "mbox")
        + "From: a@example.org\nSubject: mbox line\n\nbody\n")
    add("broken-long-header", HDR % (27, "long")
        + "From: a@example.org\nSubject: " + "long " * 400 + "\nX-Long: " + "y" * 3000 + "\n\nbody\n")
    add("broken-bare-cr-in-header", (HDR % (28, "cr")).encode() + b"From: a@example.org\nSubject: a\rb\n\nbody\n")
    add("broken-nul-in-body", (HDR % (29, "nul")).encode() + b"From: a@example.org\nSubject: nul\n\nbe\x00fore\n")

    # Multiparts: nested, missing boundaries, preamble/epilogue, empty parts.
    add("multipart-nested-deep", HDR % (30, "deep") + "From: a@example.org\nSubject: deep\nMIME-Version: 1.0\n"
        + "Content-Type: multipart/mixed; boundary=a\n\npreamble\n--a\n"
        + "Content-Type: multipart/related; boundary=b; type=\"multipart/alternative\"\n\n--b\n"
        + "Content-Type: multipart/alternative; boundary=c\n\n--c\nContent-Type: text/plain\n\nplain\n--c\n"
        + "Content-Type: text/html\n\n<b>html</b>\n--c--\n--b\nContent-Type: image/gif\nContent-ID: <img1>\n"
        + "Content-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n--b--\n--a\n"
        + "Content-Type: text/plain; name=notes.txt\nContent-Disposition: attachment\n\nnotes\n--a--\nepilogue\n")
    add("multipart-missing-end", HDR % (31, "noend") + "From: a@example.org\nSubject: no end\nMIME-Version: 1.0\n"
        + "Content-Type: multipart/mixed; boundary=\"q\"\n\n--q\nContent-Type: text/plain\n\none\n--q\n"
        + "Content-Type: text/plain\n\ntwo, never closed\n")
    add("multipart-no-boundary-param", HDR % (32, "nobparam")
        + "From: a@example.org\nSubject: no boundary\nMIME-Version: 1.0\nContent-Type: multipart/mixed\n\n"
        + "--x\nContent-Type: text/plain\n\nbody\n--x--\n")
    add("multipart-boundary-never-seen", HDR % (33, "unseen")
        + "From: a@example.org\nSubject: unseen\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=zzz\n\n"
        + "no parts at all here\n")
    add("multipart-empty-parts", HDR % (34, "emptyp")
        + "From: a@example.org\nSubject: empty parts\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=e\n\n"
        + "--e\n\n--e\nContent-Type: text/plain\n\n--e--\n")
    add("multipart-boundary-prefix", HDR % (35, "prefix")
        + "From: a@example.org\nSubject: prefix\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=p\n\n"
        + "--p\nContent-Type: multipart/mixed; boundary=pp\n\n--pp\nContent-Type: text/plain\n\ninner\n--pp--\n"
        + "--p\nContent-Type: text/plain\n\n--pnot a boundary\n--p--\n")
    add("multipart-whitespace-after-boundary", HDR % (36, "wsb")
        + "From: a@example.org\nSubject: ws\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"w w\"\n\n"
        + "--w w  \nContent-Type: text/plain\n\nx\n--w w-- \n")

    # message/rfc822 nesting, forwarded mail, digests.
    inner = ("From: =?iso-8859-1?q?Andr=E9?= <andre@example.fr>\nTo: b@example.org\nSubject: inner\n"
             "Date: Mon, 13 May 2024 08:00:00 +0000\nMessage-ID: <inner@example.fr>\nMIME-Version: 1.0\n"
             "Content-Type: multipart/alternative; boundary=ii\n\n--ii\nContent-Type: text/plain; charset=iso-8859-1\n"
             "Content-Transfer-Encoding: quoted-printable\n\nd=E9j=E0 vu\n--ii\nContent-Type: text/html\n\n<p>x</p>\n--ii--\n")
    add("rfc822-forward", HDR % (37, "fwd") + "From: a@example.org\nSubject: Fwd: inner\nMIME-Version: 1.0\n"
        + "Content-Type: multipart/mixed; boundary=f\n\n--f\nContent-Type: text/plain\n\nsee below\n--f\n"
        + "Content-Type: message/rfc822; name=\"inner.eml\"\nContent-Disposition: attachment; filename=inner.eml\n\n"
        + inner + "--f--\n")
    add("rfc822-top-level", HDR % (38, "top") + "From: a@example.org\nSubject: top-level message\nMIME-Version: 1.0\n"
        + "Content-Type: message/rfc822\n\n" + inner)
    add("rfc822-nested-twice", HDR % (39, "twice") + "From: a@example.org\nSubject: twice\nMIME-Version: 1.0\n"
        + "Content-Type: message/rfc822\n\nFrom: b@example.org\nSubject: middle\nMIME-Version: 1.0\n"
        + "Content-Type: message/rfc822\n\n" + inner)
    add("rfc822-base64-encoded", HDR % (40, "b64msg") + "From: a@example.org\nSubject: encoded message\nMIME-Version: 1.0\n"
        + "Content-Type: multipart/mixed; boundary=g\n\n--g\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
        + b64(inner.encode()) + "--g--\n")
    add("rfc822-empty", HDR % (41, "emptymsg") + "From: a@example.org\nSubject: empty enclosed\nMIME-Version: 1.0\n"
        + "Content-Type: multipart/mixed; boundary=h\n\n--h\nContent-Type: message/rfc822\n\n--h--\n")
    digest = ("From: digest-request@lists.example.org\nTo: list@lists.example.org\nSubject: List Digest, Vol 12, Issue 3\n"
              "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"===D===\"\n\n--===D===\n"
              "Content-Type: text/plain; charset=\"us-ascii\"\nContent-Description: List Digest, Vol 12, Issue 3\n\n"
              "Today's Topics:\n\n   1. First (Ann)\n   2. Second (Bob)\n\n--===D===\n"
              "Content-Type: multipart/digest; boundary=\"===E===\"\n\n--===E===\n\n"
              "From: Ann <ann@example.org>\nSubject: First\nDate: Mon, 13 May 2024 08:00:00 +0000\n\nfirst text\n\n--===E===\n"
              "\nFrom: Bob <bob@example.org>\nSubject: =?utf-8?q?Second_=E2=9C=93?=\nContent-Type: text/plain; charset=utf-8\n\nsecond\n\n"
              "--===E===\nContent-Type: text/plain\n\nnot a message but declared as a part\n--===E===--\n\n--===D===\n"
              "Content-Type: text/plain; charset=\"us-ascii\"\nContent-Disposition: inline\n\n_______________\nList mailing list\n\n--===D===--\n")
    add("digest-mailman", HDR % (42, "digest") + digest)
    add("digest-top-level", HDR % (43, "digest2") + "From: d@example.org\nSubject: bare digest\nMIME-Version: 1.0\n"
        + "Content-Type: multipart/digest; boundary=dd\n\n--dd\n\nSubject: one\n\n1\n--dd\nContent-Type: message/rfc822\n\nSubject: two\n\n2\n--dd--\n")

    # Bounces (RFC 3464 delivery status notifications).
    for i, (status, action) in enumerate([("5.1.1", "failed"), ("4.4.1", "delayed"), ("2.0.0", "delivered")]):
        add("bounce-dsn-" + action, HDR % (44 + i, "dsn" + action)
            + "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\nTo: sender@example.net\n"
            + "Subject: Undelivered Mail Returned to Sender\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
            + "Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"B0unce.%d\"\n\n" % i
            + "This is a MIME-encapsulated message.\n\n--B0unce.%d\nContent-Description: Notification\n" % i
            + "Content-Type: text/plain; charset=us-ascii\n\nI'm sorry to have to inform you...\n\n"
            + "--B0unce.%d\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n" % i
            + "Reporting-MTA: dns; mx.example.org\nArrival-Date: Tue, 14 May 2024 10:00:00 +0200\n\n"
            + "Final-Recipient: rfc822; nobody@example.org\nAction: %s\nStatus: %s\n" % (action, status)
            + "Diagnostic-Code: smtp; 550 5.1.1 unknown user\n\n"
            + "--B0unce.%d\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n" % i
            + "From: sender@example.net\nTo: nobody@example.org\nSubject: hello\n\n--B0unce.%d--\n" % i)
    add("bounce-with-full-message", HDR % (47, "dsnfull")
        + "From: MAILER-DAEMON@mx.example.org\nTo: s@example.net\nSubject: failure notice\nMIME-Version: 1.0\n"
        + "Content-Type: multipart/report; report-type=delivery-status; boundary=rr\n\n--rr\nContent-Type: text/plain\n\nfailed\n"
        + "--rr\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; x@y\nAction: failed\nStatus: 5.0.0\n"
        + "--rr\nContent-Type: message/rfc822\n\n" + inner + "--rr--\n")
    add("bounce-qmail-plain", HDR % (48, "qmail")
        + "From: MAILER-DAEMON@example.org\nTo: s@example.net\nSubject: failure notice\n\n"
        + "Hi. This is the qmail-send program at example.org.\n\n<x@y>:\nSorry, no mailbox here by that name.\n\n"
        + "--- Below this line is a copy of the message.\n\nReturn-Path: <s@example.net>\nSubject: hello\n\nbody\n")

    # uuencode inside text/plain, base64 oddities.
    uu = "begin 644 hello.txt\n%2&5L;&\\L('=O<FQD\"@``\n`\nend\n"
    add("uuencode-in-text", HDR % (49, "uu1") + "From: a@example.org\nSubject: uuencoded\n\nHere is the file:\n\n" + uu + "\nbye\n")
    add("uuencode-in-mime-part", HDR % (50, "uu2") + "From: a@example.org\nSubject: uu in part\nMIME-Version: 1.0\n"
        + "Content-Type: multipart/mixed; boundary=u\n\n--u\nContent-Type: text/plain; charset=us-ascii\n\nattached:\n" + uu + "--u--\n")
    add("base64-past-padding", HDR % (51, "pad") + "From: a@example.org\nSubject: padding\nMIME-Version: 1.0\n"
        + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\naGVsbG8=\nd29ybGQ=\n\njunk after!\n")
    add("base64-bad-chars", HDR % (52, "badb64") + "From: a@example.org\nSubject: bad base64\nMIME-Version: 1.0\n"
        + "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\naGVs*bG8g\nd29y bGQ\n")
    add("qp-soft-breaks", HDR % (53, "qp") + "From: a@example.org\nSubject: qp\nMIME-Version: 1.0\n"
        + "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
        + "Gr=FC=DFe aus M=FCnchen, dies ist eine sehr lange Zeile die umgebrochen=\n wird =\nund weiter.\n=ZZ bad\n")
    add("8bit-body-utf8", HDR % (54, "8body") + "From: a@example.org\nSubject: 8bit body\nMIME-Version: 1.0\n"
        + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n\u65e5\u672c\u8a9e\u306e\u672c\u6587\n\u00e9\u00e8\n")
    add("binary-cte", HDR % (55, "bin") + "From: a@example.org\nSubject: binary\nMIME-Version: 1.0\n"
        + "Content-Type: image/jpeg\nContent-Transfer-Encoding: binary\n\n\xff\xd8\xff\xe0 jfif\n")
    add("text-no-final-newline", HDR % (56, "nonl") + "From: a@example.org\nSubject: no final newline\n\nlast line")
    add("text-lines-count", HDR % (57, "lines") + "From: a@example.org\nSubject: lines\nMIME-Version: 1.0\n"
        + "Content-Type: multipart/alternative; boundary=l\n\n--l\nContent-Type: text/plain\n\n\n\nthree lines\n\n--l\n"
        + "Content-Type: text/plain\n\nno newline before delimiter\n--l--")
    add("envelope-all-fields", "Date: Tue, 14 May 2024 10:58:00 +0200 (CEST)\n"
        + "Subject: all fields \"quoted\" \\ backslash\nFrom: A <a@example.org>\nSender: S <s@example.org>\n"
        + "Reply-To: R <r@example.org>\nTo: T <t@example.org>\nCc: C <c@example.org>\nBcc: B <b@example.org>\n"
        + "In-Reply-To: <irt@example.org>\nMessage-ID: <all@example.org>\n\nbody\n")
    add("envelope-folded-values", "Date: Tue,\n 14 May 2024\n 10:59:00 +0200\nSubject: folded\n\tsubject\n"
        + "From: \"Folded\n Name\" <f@example.org>\nTo: a@example.org,\n b@example.org\nMessage-ID:\n <folded@example.org>\n\nbody\n")

    for name, text in msgs.items():
        write("own", name + ".eml", text)
    return len(msgs)


if __name__ == "__main__":
    if "--import" in sys.argv:
        import_sources()
    print("own messages:", own())
