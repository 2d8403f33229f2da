#!/usr/bin/env bash
# Idle daemon: resident memory and CPU use while nothing is due.
# Target: under 25 MB RSS, no busy polling.
#
#   bench/idle_daemon.sh [SECONDS]
#
# Starts the fixture site on 127.0.0.1 and the release daemon with the six
# main sections and a feeds-only section (/rss/newsAll) on hourly schedules; after the start-up catch-up runs it
# samples /proc for SECONDS (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
work=$(mktemp -d)
trap 'kill "$daemon" "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release --quiet --bin herald-archiver --example fixture_server
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target/release/examples/fixture_server tests/fixtures/koreaherald "$port" > /dev/null &
server=$!
cat > "$work/idle.toml" <<TOML
[site]
base_url = "http://127.0.0.1:$port"
[archive]
path = "$work/archive.db"
[http]
min_delay = "0s"
[scheduler]
catch_up_delay = "0s"
TOML
for s in National Business LifenCulture Sports World Opinion; do
  printf '\n[[section]]\nname = "%s"\npath = "/%s"\nschedule = "0 * * * *"\n' "$s" "$s" >> "$work/idle.toml"
done
printf '\n[[section]]\nname = "All news"\nfeeds = ["/rss/newsAll"]\nschedule = "0 * * * *"\n' >> "$work/idle.toml"
RUST_LOG=warn target/release/herald-archiver run --config "$work/idle.toml" &
daemon=$!
sleep 3   # start-up and catch-up runs
ticks() { awk '{print $14 + $15}' "/proc/$daemon/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); sleep "$secs"; t1=$(ticks)
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$daemon/status")
hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$daemon/status")
threads=$(awk '/Threads/ {print $2}' "/proc/$daemon/status")
python3 - "$rss_kb" "$hwm_kb" "$t0" "$t1" "$hz" "$secs" "$threads" <<'PY'
import sys
rss, hwm, t0, t1, hz, secs, threads = map(float, sys.argv[1:])
cpu = (t1 - t0) / hz
print(f"idle daemon: RSS {rss / 1024:.1f} MB (peak {hwm / 1024:.1f} MB, target < 25), "
      f"CPU {cpu:.2f} s over {secs:.0f} s idle ({100 * cpu / secs:.2f}%), {threads:.0f} threads")
PY
