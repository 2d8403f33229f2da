#!/usr/bin/env bash
# The archive's files changed under a running daemon, as a user or a script
# might: each case starts a daemon on a local mirror (a section run every
# second, /healthz on), lets it archive, does the damage, and prints what
# /healthz, the log and the file on disk then say. What should be seen:
# /healthz 503 with the reason and what to do, one ERROR line, no article
# counted that the file does not hold, and nothing written after.
#
#   checks/archive_files.sh [BINARY]
#
# BINARY defaults to target/release/herald-archiver, built from this checkout.
# Cases: rm archive.db*, mv a copy over it, rm archive.db-wal, cp a
# non-database over it in place, rm archive.db.lock with a second crawl.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -ge 1 ]]; then
  bin=$1
else
  cargo build --release --quiet --bin herald-archiver
  bin=target/release/herald-archiver
fi
cargo build --release --quiet --example mirror_server
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mport=$(free_port)
target/release/examples/mirror_server 3000 "$mport" > /dev/null &
pids+=($!)
sleep 0.5

healthz() { python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=3)
    print(r.status, r.read().decode().strip())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode().strip())
except Exception as e:
    print("no answer:", e)
PY
}
count() { python3 - "$1" "$2" <<'PY'
import sqlite3, sys
try:
    print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute(sys.argv[2]).fetchone()[0])
except Exception as e:
    print(f"unreadable ({e})")
PY
}
metric() { python3 - "$1" "$2" <<'PY'
import sys, urllib.request
try:
    text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=3).read().decode()
    print(sum(float(l.split()[-1]) for l in text.splitlines() if l.startswith(sys.argv[2])))
except Exception as e:
    print(f"no metrics ({e})")
PY
}

# One case: $1 its name, $2 the damage (a shell snippet; $db is the archive).
case_() {
  local name=$1 damage=$2 dir="$work/$1"
  mkdir -p "$dir"
  local db="$dir/archive.db" port
  port=$(free_port)
  cat > "$dir/herald.toml" <<TOML
[site]
base_url = "http://127.0.0.1:$mport"
max_pages = 30
[archive]
path = "$db"
[http]
min_delay = "0s"
[scheduler]
catch_up_delay = "0s"
[daemon]
grace_period = "2s"
metrics_addr = "127.0.0.1:$port"
[[section]]
name = "Mirror"
path = "/Mirror"
schedule = "* * * * * *"
pages = 30
TOML
  RUST_LOG=herald_archiver=info "$bin" run --config "$dir/herald.toml" 2> "$dir/log" &
  local daemon=$!
  pids+=("$daemon")
  for _ in $(seq 100); do
    [[ $(count "$db" "SELECT count(*) FROM articles" 2>/dev/null) =~ ^[0-9]+$ ]] &&
      (( $(count "$db" "SELECT count(*) FROM articles") >= 200 )) && break
    sleep 0.1
  done
  echo "== $name"
  echo "   before: /healthz $(healthz "$port"); $(count "$db" "SELECT count(*) FROM articles") articles on disk"
  ( cd "$dir" && eval "$damage" )
  sleep 2
  echo "   after:  /healthz $(healthz "$port")"
  local counted
  counted=$(metric "$port" herald_articles_archived_total)
  kill -TERM "$daemon"; wait "$daemon" || true
  echo "   ERROR lines: $(grep -c ERROR "$dir/log" || true); first: $(grep -m1 ERROR "$dir/log" | cut -c1-200 || true)"
  echo "   articles counted by the daemon: $counted; on disk at $db after stop: $(count "$db" "SELECT count(*) FROM articles")"
}

case_ deleted 'rm -f archive.db archive.db-wal archive.db-shm'
case_ replaced 'python3 -c "import sqlite3; sqlite3.connect(\"archive.db\").execute(\"VACUUM INTO ?\", (\"copy.db\",))"; mv copy.db archive.db'
case_ wal-deleted 'rm -f archive.db-wal'
case_ overwritten-in-place 'cp /etc/os-release archive.db'

# The lock file deleted: a second writer must still be refused.
dir="$work/lock"; mkdir -p "$dir"
cat > "$dir/herald.toml" <<TOML
[site]
base_url = "http://127.0.0.1:$mport"
max_pages = 30
[archive]
path = "$dir/archive.db"
[http]
min_delay = "0s"
[[section]]
name = "Mirror"
path = "/Mirror"
schedule = "0 3 * * *"
pages = 30
TOML
RUST_LOG=warn "$bin" crawl --config "$dir/herald.toml" > /dev/null 2>&1 &
first=$!
pids+=("$first")
sleep 1
rm -f "$dir/archive.db.lock"
set +e
second=$("$bin" crawl --config "$dir/herald.toml" 2>&1 >/dev/null)
code=$?
set -e
wait "$first" || true
echo "== lock-file-deleted"
echo "   second crawl: exit $code: $(echo "$second" | head -1 | cut -c1-200)"
echo "   articles: $(count "$dir/archive.db" "SELECT count(*) FROM articles"), addresses fetched twice: none if the second was refused"
