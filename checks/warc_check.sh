#!/usr/bin/env bash
# Validates `export --format warc` with a reference reader, Python warcio
# (installed into target/bench-venv from PyPI on first use): crawls the
# fixture site on 127.0.0.1, exports the kept pages as WARC, then checks
# that every record parses, every digest matches (`warcio check`), and that
# the number of response (or resource) records equals the kept pages.
#
#   checks/warc_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/warcio" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q warcio
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cargo build --quiet --bin herald-archiver --example fixture_server
site_port=$(free_port)
target/debug/examples/fixture_server tests/fixtures/koreaherald "$site_port" >/dev/null &
sed -e "s#http://127.0.0.1:8080#http://127.0.0.1:$site_port#" -e "s#path = \"offline.db\"#path = \"$work/offline.db\"#" \
  config/offline.toml >"$work/offline.toml"
sleep 0.5
target/debug/herald-archiver crawl --config "$work/offline.toml" >/dev/null
target/debug/herald-archiver export --config "$work/offline.toml" --format warc >"$work/out.warc.gz"

kept=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from article_revisions where page is not null').fetchone()[0])" "$work/offline.db")
"$venv/bin/warcio" check -v "$work/out.warc.gz" >"$work/check.log" || { cat "$work/check.log"; exit 1; }
"$venv/bin/python" - "$work/out.warc.gz" "$kept" <<'PY'
import sys, json
from warcio.archiveiterator import ArchiveIterator
path, kept = sys.argv[1], int(sys.argv[2])
types = {}
with open(path, "rb") as f:
    for rec in ArchiveIterator(f, check_digests="raise"):
        t = rec.rec_type
        types[t] = types.get(t, 0) + 1
        body = rec.content_stream().read()
        if t == "metadata":
            assert json.loads(body)["url"] == rec.rec_headers.get_header("WARC-Target-URI")
        if t in ("response", "resource"):
            assert rec.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
        if t == "response":
            assert rec.http_headers.get_statuscode() == "200", rec.http_headers
assert types.get("warcinfo") == 1, types
assert types.get("response", 0) + types.get("resource", 0) == kept, (types, kept)
assert types.get("metadata") == kept, (types, kept)
print(f"warc: {sum(types.values())} records ({types}), digests verified by warcio, {kept} kept pages: ok")
PY
