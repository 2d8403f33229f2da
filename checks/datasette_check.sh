#!/usr/bin/env bash
# Opens a crawled fixture archive named offline.db in Datasette with the
# metadata `herald-archiver datasette` prints for it, and checks that a
# full-text search, the canned queries and the views answer. Not part of
# the default test run: it installs Datasette from PyPI into target/bench-venv.
#
#   checks/datasette_check.sh
#
# Everything listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/bench-venv
if [ ! -x "$venv/bin/datasette" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q datasette
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cargo build --quiet --bin herald-archiver --example fixture_server
site_port=$(free_port)
target/debug/examples/fixture_server tests/fixtures/koreaherald "$site_port" > /dev/null &
# An archive NOT named archive.db: the metadata comes from
# `herald-archiver datasette`, keyed by the configured file's name.
sed -e "s#http://127.0.0.1:8080#http://127.0.0.1:$site_port#" -e "s#path = \"offline.db\"#path = \"$work/offline.db\"#" \
  config/offline.toml > "$work/offline.toml"
sleep 0.5
target/debug/herald-archiver crawl --config "$work/offline.toml"
target/debug/herald-archiver datasette --config "$work/offline.toml" > "$work/metadata.json"

port=$(free_port)
"$venv/bin/datasette" serve "$work/offline.db" --metadata "$work/metadata.json" \
  --host 127.0.0.1 --port "$port" > "$work/datasette.log" 2>&1 &
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/-/versions.json" > /dev/null 2>&1 && break
  python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1])" "http://127.0.0.1:$port/-/versions.json" 2>/dev/null && break
  sleep 0.2
done
python3 - "$port" <<'PY'
import json, sys, urllib.parse, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}/offline"
def get(path):
    with urllib.request.urlopen(base + path) as r:
        return json.load(r)
hits = get("/articles.json?_search=" + urllib.parse.quote("privacy") + "&_shape=array")
assert any(h["url"].endswith("/article/10915012") for h in hits), hits
canned = get("/search.json?q=" + urllib.parse.quote("data protection") + "&_shape=array")
assert canned and canned[0]["url"].endswith("/article/10915012"), canned
latest = get("/latest.json?_shape=array")
assert len(latest) == 6, latest
health = get("/section_health.json?_shape=array")
assert {h["section"] for h in health} >= {"National", "Business"}, health
# The canned search opened with no query shows nothing, not an FTS5 error.
with urllib.request.urlopen(base + "/search?q=") as r:
    page = r.read().decode()
assert "syntax error" not in page and "fts5" not in page, "empty search errors"
empty = get("/search.json?q=&_shape=array")
assert empty == [], empty
for h in health:
    assert h["last_success"] is None or h["last_success"] <= h["last_run"], h
index = get("/article_index.json?_shape=array")
assert len(index) == 6 and all("body" not in r for r in index), index
db = get(".json")
print(f"datasette: table search {len(hits)} hit(s), canned search {len(canned)}, empty search no error, latest {len(latest)}, health {len(health)} sections, article_index without bodies: ok")
PY

# What a person sees: the database page and the article list in headless
# Chromium (apt install chromium), as screenshots to look at.
if command -v chromium >/dev/null 2>&1; then
  shots=${SHOTS:-target/datasette-shots}
  mkdir -p "$shots"
  for page in offline offline/search offline/article_index offline/articles; do
    name=$(echo "$page" | tr / -)
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1000 \
      --screenshot="$shots/$name.png" "http://127.0.0.1:$port/$page" >/dev/null 2>&1
    [ -s "$shots/$name.png" ] && echo "screenshot: $shots/$name.png"
  done
  python3 - "$port" <<'PY'
import sys, urllib.request
page = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/offline").read().decode()
assert "The Korea Herald archive" in page and "article_index" in page, "the database page has no title or description"
print("database page: title and description shown")
PY
else
  echo "chromium not installed: no screenshots (apt install chromium)"
fi
