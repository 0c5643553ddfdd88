"""The trace fields a mail server puts on top of the messages it takes (RFC 5321 section
4.4), checked field by field and split off, for the scripts that compare what they sent
with what was delivered.

`split_trace(data, return_path, received)` checks that `data` starts with a
`Return-Path: <sender>` field when `return_path` is given (final delivery into a Maildir),
then one `Received:` field for each `(client, host, protocol)` in `received`, outermost
first: `from <client> ([address])`, `by <host> with <protocol> id <12 hex digits>`, an
optional `for <recipient>`, and a date; a `client` of None is not compared. It returns
the trace fields and what is below them.

From a shell: `python3 mailtrace.py SENT DELIVERED [--return-path '<a@b>']
[--received CLIENT,HOST,PROTOCOL]...` exits 0 when the file DELIVERED is the file SENT
below such trace fields (`*` for a client not compared).
"""

import argparse
import re
import sys

RECEIVED = re.compile(
    rb"Received: from (?P<client>\S+) \(\[(?P<address>[0-9A-Fa-f.:Pv]+)\]\)\r\n"
    rb"\tby (?P<host>\S+) with (?P<protocol>[A-Z]+) id (?P<id>[0-9A-F]{12})"
    rb"(?:\r\n\tfor <[^>\r\n]*>; |;\r\n\t)"
    rb"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} "
    rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    rb"[0-9]{2}:[0-9]{2}:[0-9]{2} \+0000\r\n"
)


def split_trace(data, return_path=None, received=()):
    """(trace, rest): the fields checked as the module says, and the bytes below them."""
    at = 0
    if return_path is not None:
        field = b"Return-Path: " + return_path + b"\r\n"
        assert data.startswith(field), (field, data[:200])
        at = len(field)
    for client, host, protocol in received:
        match = RECEIVED.match(data, at)
        assert match, ("no Received field", client, host, protocol, data[at : at + 300])
        got = (match["client"] if client is not None else None, match["host"], match["protocol"])
        assert got == (client, host, protocol), (got, (client, host, protocol))
        at = match.end()
    return data[:at], data[at:]


def below_trace(data, return_path=None, received=()):
    """What is below the trace fields `split_trace` checks."""
    return split_trace(data, return_path, received)[1]


TRACE = re.compile(rb"(?:Return-Path: <[^>\r\n]*>\r\n)?" + RECEIVED.pattern)


def untraced(data, host=b"localhost"):
    """`data` below the Return-Path (if any) and the one Received field that `host` put on
    top, whatever the client, sender and protocol; line ends stay as they are (a client
    may have saved the message with LF)."""
    lf_ends = b"\r\n" not in data
    crlf = data.replace(b"\n", b"\r\n") if lf_ends else data
    match = TRACE.match(crlf)
    assert match and match["host"] == host, ("no trace fields by", host, crlf[:300])
    below = crlf[match.end() :]
    return below.replace(b"\r\n", b"\n") if lf_ends else below


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sent")
    parser.add_argument("delivered")
    parser.add_argument("--return-path")
    parser.add_argument("--received", action="append", default=[])
    args = parser.parse_args()
    with open(args.sent, "rb") as f:
        sent = f.read()
    with open(args.delivered, "rb") as f:
        delivered = f.read()
    received = []
    for hop in args.received:
        client, host, protocol = hop.encode().split(b",")
        received.append((None if client == b"*" else client, host, protocol))
    return_path = args.return_path.encode() if args.return_path else None
    below = below_trace(delivered, return_path, received)
    if below != sent:
        sys.exit(f"{args.delivered} differs from {args.sent} below its trace fields")


if __name__ == "__main__":
    main()
