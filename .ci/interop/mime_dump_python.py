#!/usr/bin/env python3
"""mime-dump --json against Python's email package, message by message, on the corpus.

Usage: mime_dump_python.py MIME_DUMP CORPUS_DIR ALLOWLIST [--dump FILE]

For every corpus message the script reads the same fields both ways: the subject, the
From / To / Cc mailboxes (display name, address), the date, the Message-ID, and each leaf
part in order (its type, charset, file name, and text or the SHA-256 of its decoded
bytes). A field that differs fails the run unless ALLOWLIST lists it, one per line as
`message<TAB>field<TAB>reason`, where the reason says which reading the RFCs back.
`--dump FILE` writes every difference found in the allowlist's format, the reason left
as `TODO` followed by both values, for updating the list.
"""

import email
import email.policy
import hashlib
import json
import pathlib
import subprocess
import sys


def python_view(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)

    def header(name):
        try:
            return msg[name]
        except Exception as e:  # a header Python cannot read at all
            return "<python error: %s>" % type(e).__name__

    def mailboxes(name):
        h = header(name)
        if h is None:
            return []
        if not hasattr(h, "addresses"):
            return str(h)
        try:
            return [
                {"name": a.display_name or None, "address": a.addr_spec}
                for a in h.addresses
            ]
        except Exception as e:
            return "<python error: %s>" % type(e).__name__

    subject = header("subject")
    date = header("date")
    try:
        when = date.datetime if date is not None else None
        date = when.isoformat() if when is not None and when.tzinfo else None
    except Exception:
        date = None
    message_id = header("message-id")
    if message_id is not None:
        message_id = str(message_id).strip().strip("<>") or None
    parts = []
    for i, p in enumerate(q for q in msg.walk() if not q.is_multipart()):
        entry = {
            "content_type": p.get_content_type(),
            "charset": (p.get_param("charset") or None),
            "filename": p.get_filename(),
        }
        if isinstance(entry["charset"], tuple):
            entry["charset"] = email.utils.collapse_rfc2231_value(entry["charset"])
        try:
            if p.get_content_maintype() == "text":
                entry["text"] = p.get_content()
            else:
                data = p.get_payload(decode=True) or b""
                entry["sha256"] = hashlib.sha256(data).hexdigest()
        except Exception as e:
            entry["text"] = "<python error: %s>" % type(e).__name__
        parts.append(entry)
    return {
        "subject": None if subject is None else str(subject),
        "from": mailboxes("from"),
        "to": mailboxes("to"),
        "cc": mailboxes("cc"),
        "date": date,
        "message_id": message_id,
        "parts": parts,
    }


def mailwire_view(mime_dump, path):
    out = subprocess.run([mime_dump, "--json", str(path)], check=True, capture_output=True)
    view = json.loads(out.stdout)
    for p in view["parts"]:
        for key in ("part", "size", "encoding"):
            p.pop(key, None)
        p.pop("uuencoded", None)
    view.pop("defects", None)
    return view


def fields(view):
    """The compared fields of a view, flattened: name to value."""
    flat = {}
    for key in ("subject", "from", "to", "cc", "date", "message_id"):
        flat[key] = view[key]
    flat["parts"] = len(view["parts"])
    for i, p in enumerate(view["parts"], 1):
        for key in ("content_type", "charset", "filename", "text", "sha256"):
            value = p.get(key)
            if key == "charset" and value is not None:
                value = value.lower()
            # RFC 2045 §5.2: a text part without a charset is us-ascii; mailwire says so,
            # Python leaves the parameter out.
            if key == "charset" and value is None and p["content_type"].startswith("text/"):
                value = "us-ascii"
            flat["part%d.%s" % (i, key)] = value
    return flat


def main():
    args = sys.argv[1:]
    dump = None
    if "--dump" in args:
        at = args.index("--dump")
        dump = args[at + 1]
        del args[at : at + 2]
    mime_dump, corpus, allowlist_path = args
    allowed = {}
    for line in open(allowlist_path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        message, field, reason = line.split("\t")
        assert reason.strip() and reason != "TODO", "no reason: " + line
        allowed[(message, field)] = reason
    root = pathlib.Path(corpus)
    messages = sorted(p for p in root.glob("*/*.eml"))
    found, unexpected, identical, lines = set(), [], 0, []
    for path in messages:
        name = str(path.relative_to(root))
        ours = fields(mailwire_view(mime_dump, path))
        theirs = fields(python_view(path.read_bytes()))
        same = True
        for key in sorted(set(ours) | set(theirs), key=str):
            a, b = theirs.get(key), ours.get(key)
            if a == b:
                continue
            # Past a different part count, part fields say nothing more.
            if key.startswith("part") and key != "parts" and theirs["parts"] != ours["parts"]:
                continue
            same = False
            found.add((name, key))
            lines.append("%s\t%s\tTODO\t%s\t%s" % (name, key, json.dumps(a), json.dumps(b)))
            if (name, key) not in allowed:
                unexpected.append("%s %s\n  python:   %.200s\n  mailwire: %.200s"
                                  % (name, key, json.dumps(a), json.dumps(b)))
        identical += same
    if dump:
        pathlib.Path(dump).write_text("".join(l + "\n" for l in lines), encoding="utf-8")
    stale = sorted(set(allowed) - found)
    print("python differential: %d of %d messages read alike; %d differences, %d allowlisted"
          % (identical, len(messages), len(found), len(found) - len(unexpected)))
    for u in unexpected:
        print("DIFFERENT: " + u)
    for s in stale:
        print("STALE (read alike now; remove it): %s\t%s" % s)
    return 1 if unexpected or stale else 0


if __name__ == "__main__":
    sys.exit(main())
