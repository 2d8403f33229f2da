#!/usr/bin/env bash
# Replays `export --format warc` in pywb, the reader README names: crawls
# the fixture site on 127.0.0.1 (an article through its legacy view.php
# address too), exports the kept pages, adds them to a pywb collection
# (pywb installed into target/pywb-venv from PyPI on first use), starts
# `wayback` and asks it for each kept page, raw (`id_`) and as a browser
# would (`mp_`). Each must answer text/html with the page's headline, never
# the extracted record's JSON; the legacy address must replay its own page.
#
#   checks/warc_replay.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/pywb-venv
if [ ! -x "$venv/bin/wayback" ]; then
  echo "installing pywb into $venv (first run only)..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pywb
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
legacy="https://www.koreaherald.com/view.php?ud=20230330000512"
target/debug/herald-archiver crawl --config "$work/offline.toml" --url "$legacy" >/dev/null
target/debug/herald-archiver crawl --config "$work/offline.toml" >/dev/null
target/debug/herald-archiver export --config "$work/offline.toml" --format warc >"$work/out.warc.gz"

cd "$work"
"$OLDPWD/$venv/bin/wb-manager" init coll >/dev/null 2>&1
"$OLDPWD/$venv/bin/wb-manager" add coll out.warc.gz >/dev/null 2>&1
wb_port=$(free_port)
"$OLDPWD/$venv/bin/wayback" -p "$wb_port" >wayback.log 2>&1 &
for _ in $(seq 100); do
  python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$wb_port/coll/')" 2>/dev/null && break
  sleep 0.2
done
python3 - "$wb_port" offline.db "$legacy" <<'PY'
import sqlite3, sys, urllib.request, urllib.error
port, db, legacy = sys.argv[1], sys.argv[2], sys.argv[3]
rows = sqlite3.connect(db).execute(
    "SELECT coalesce(r.fetched_from, a.url), r.title FROM article_revisions r "
    "JOIN articles a ON a.id = r.article_id WHERE r.page IS NOT NULL").fetchall()
bad = 0
for url, title in rows:
    for mode in ("id_", "mp_"):
        addr = f"http://127.0.0.1:{port}/coll/{mode}/{url}"
        try:
            r = urllib.request.urlopen(addr, timeout=20)
            ctype, body = r.headers.get("Content-Type", ""), r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            ctype, body = f"HTTP {e.code}", ""
        ok = ctype.startswith("text/html") and title in body and '"content_hash"' not in body
        bad += not ok
        print(f"{'ok ' if ok else 'BAD'} {mode} {url}: {ctype}{'' if ok else ' (headline not in the page)'}")
print(f"{len(rows)} kept pages, {2 * len(rows) - bad}/{2 * len(rows)} replays are the page's HTML")
if not any(u == legacy for u, _ in rows):
    print(f"BAD: no kept page under the legacy address {legacy}")
    bad += 1
sys.exit(1 if bad else 0)
PY
