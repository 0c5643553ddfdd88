#!/usr/bin/env bash
# mime-dump --json against Python's email package on the Dovecot differential's corpus:
# every field that differs must be in tests/dovecot/python-allowlist.txt with its RFC reason.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --example mime-dump
python3 .ci/interop/mime_dump_python.py \
    "${CARGO_TARGET_DIR:-target}/debug/examples/mime-dump" \
    crates/mailwire-imap/tests/dovecot/corpus \
    crates/mailwire-imap/tests/dovecot/python-allowlist.txt
echo "interop: mime-dump and Python's email package read the corpus alike, allowlist aside"
