#!/usr/bin/env bash
# Crawl throughput and memory on a local mirror of N distinct articles, its
# section read through its list pages and its RSS feed.
# Targets: 1,000 articles/s on 2 cores, peak RSS under 150 MB; a second crawl
# with nothing new makes one conditional request per list page and feed, and
# no article request.
#
#   bench/crawl_mirror.sh [ARTICLES] [--live]
#
# ARTICLES defaults to 10000; --live serves ~150 KiB article pages instead of
# ~10 KiB ones. The mirror runs in its own process on 127.0.0.1; the crawler's
# wall time and peak RSS come from /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-10000}
live=${2:-}
pages=$(( (n + 99) / 100 ))
work=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release --quiet --bin herald-archiver --example mirror_server
target/release/examples/mirror_server "$n" $live > "$work/url" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/url" ] && break; sleep 0.1; done
base=$(head -n1 "$work/url")

cat > "$work/bench.toml" <<TOML
[site]
base_url = "$base"
max_pages = $pages

[archive]
path = "$work/archive.db"

[http]
concurrency = ${CONCURRENCY:-8}
min_delay = "0s"

[[section]]
name = "Mirror"
path = "/Mirror"
feeds = ["/rss/Mirror"]
schedule = "*/15 * * * *"
pages = $pages
TOML
# Settings to try, e.g. EXTRA_TOML=$'[archive]\nkeep_pages = false' is not allowed
# twice; EXTRA_ARCHIVE lines go into [archive].
if [ -n "${EXTRA_ARCHIVE:-}" ]; then
  sed -i "s#^path = \"$work/archive.db\"#path = \"$work/archive.db\"\n$EXTRA_ARCHIVE#" "$work/bench.toml"
fi

echo "== fresh crawl of $n articles ${live:+(live-sized pages)}"
/usr/bin/time -f "%e %M" -o "$work/time" target/release/herald-archiver crawl --config "$work/bench.toml"
read -r secs rss_kb < "$work/time"
stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from articles').fetchone()[0])" "$work/archive.db")
python3 - "$stored" "$secs" "$rss_kb" <<'PY'
import sys
stored, secs, rss = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(f"archived {stored} articles in {secs:.2f} s: {stored / secs:.0f} articles/s (target 1000), peak RSS {rss / 1024:.1f} MB (target < 150)")
PY
before=$(curl -s "$base/__stats" 2>/dev/null || python3 -c "import urllib.request,sys; print(urllib.request.urlopen(sys.argv[1]).read().decode())" "$base/__stats")

echo "== second crawl, nothing new"
/usr/bin/time -f "%e %M" -o "$work/time" target/release/herald-archiver crawl --config "$work/bench.toml"
after=$(python3 -c "import urllib.request,sys; print(urllib.request.urlopen(sys.argv[1]).read().decode())" "$base/__stats")
read -r secs rss_kb < "$work/time"
python3 - "$before" "$after" "$secs" <<'PY'
import sys
parse = lambda s: dict(kv.split("=") for kv in s.split())
b, a = parse(sys.argv[1]), parse(sys.argv[2])
print(f"second crawl: {int(a['articles']) - int(b['articles'])} article requests, "
      f"{int(a['listings']) - int(b['listings'])} list page requests, "
      f"{int(a['feeds']) - int(b['feeds'])} feed requests, {float(sys.argv[3]):.2f} s")
PY
python3 - "$work/archive.db" <<'PY'
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute(
    "SELECT not_modified, feeds_not_modified FROM crawl_runs WHERE section = 'Mirror' ORDER BY id DESC LIMIT 1").fetchone()
print(f"second crawl: {row[0]} list page and {row[1]} feed answered 304 Not Modified")
PY
