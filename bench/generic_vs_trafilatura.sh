#!/usr/bin/env bash
# The generic main-content layer (what `extract --generic` prints as `body`)
# against Python trafilatura 2.3.1 on the extraction development set, in the
# same run: both score with the set's own score.py, both run in-process.
#
#   bench/generic_vs_trafilatura.sh [DEVSET_DIR]
#
# DEVSET_DIR (or $DEVSET) holds pages.tar.xz and score.py; the default is
# ../shared/extraction-devset next to the repository. Prints precision,
# recall, F1, the share of pages without error and ms/page for both; the Rust
# side is `cargo run --release --example generic_devset` (every page 3 times,
# GENERIC_RUNS to change; our code keeps no cache between runs), Python runs
# each page once after one warm-up page (see below). trafilatura is
# installed into target/bench-venv from PyPI on first use. CI does not run
# this (the set is not part of the repository).
set -euo pipefail
devset=${1:-${DEVSET:-}}
if [ -n "$devset" ] && [ -d "$devset" ]; then
  devset=$(cd "$devset" && pwd) # given relative to where the script was called
fi
cd "$(dirname "$0")/.."
devset=${devset:-../shared/extraction-devset}
if [ ! -f "$devset/pages.tar.xz" ] || [ ! -f "$devset/score.py" ]; then
  echo "error: no development set at $devset (want pages.tar.xz and score.py there);" >&2
  echo "       pass its folder as the first argument or in \$DEVSET" >&2
  exit 2
fi
devset=$(cd "$devset" && pwd)

venv=target/bench-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import trafilatura' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'trafilatura==2.3.1' lxml_html_clean
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xJf "$devset/pages.tar.xz" -C "$work"

cargo build --release --quiet --example generic_devset
ours_time=$(target/release/examples/generic_devset "$work/html" "$work/truth.json" "$work/ours.jsonl")

py_time=$("$venv/bin/python" - "$work/html" "$work/truth.json" "$work/trafilatura.jsonl" <<'PY'
import json, pathlib, sys, time
from trafilatura import extract
html_dir, truth, out = pathlib.Path(sys.argv[1]), json.load(open(sys.argv[2])), sys.argv[3]
items = sorted(truth.items())
# One warm-up (imports, compiled patterns), then each page once: trafilatura
# memoises text functions (functools.lru_cache on trim, line processing and
# more), so running a page twice would time its second run from the cache
# of its first, which a crawler never gets.
extract((html_dir / items[0][0]).read_bytes().decode("utf-8", "replace"))
total = 0.0
with open(out, "w", encoding="utf-8") as f:
    for name, t in items:
        html = (html_dir / name).read_bytes().decode("utf-8", "replace")
        start = time.perf_counter()
        body = extract(html, url=t.get("url")) or ""
        total += time.perf_counter() - start
        f.write(json.dumps({"file": name, "body": body}) + "\n")
print(f"{total * 1000 / len(truth):.3f}")
PY
)
ours_ms=$(sed -n 's/^generic mean: \([0-9.]*\) ms.*/\1/p' <<<"$ours_time")

score() { python3 "$devset/score.py" "$work/truth.json" "$1"; }
ours=$(score "$work/ours.jsonl")
theirs=$(score "$work/trafilatura.jsonl")
python3 - "$ours" "$ours_ms" "$theirs" "$py_time" <<'PY'
import sys
def fields(line):
    return dict(kv.split("=") for kv in line.split())
rows = [("herald-archiver generic", fields(sys.argv[1]), float(sys.argv[2])),
        ("trafilatura 2.3.1 (Python)", fields(sys.argv[3]), float(sys.argv[4]))]
print(f"{'extractor':<28} {'precision':>9} {'recall':>7} {'F1':>6} {'no error':>9} {'ms/page':>8}")
for name, f, ms in rows:
    print(f"{name:<28} {f['precision']:>9} {f['recall']:>7} {f['f1']:>6} {f['pages_without_error']:>9} {ms:>8.2f}")
print(f"pages: {rows[0][1]['pages']}; speed: {rows[1][2] / rows[0][2]:.1f}x trafilatura")
PY
