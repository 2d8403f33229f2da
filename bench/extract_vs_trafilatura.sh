#!/usr/bin/env bash
# Extraction speed, herald-archiver against Python trafilatura, on the same
# live-sized (~150 KiB) pages. Target: at least 50 times faster.
#
#   bench/extract_vs_trafilatura.sh
#
# Installs trafilatura into target/bench-venv from PyPI on first use. Both
# sides run single-threaded on the pages `cargo bench --bench extract` writes
# to target/bench-pages/ (after checking each gives the fixture's record).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/bench-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import trafilatura' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'trafilatura==2.3.1' lxml_html_clean
fi

rust_out=$(cargo bench --bench extract 2>/dev/null | tee /dev/stderr)
py_out=$("$venv/bin/python" bench/trafilatura_time.py target/bench-pages "${PY_SECONDS_PER_PAGE:-3}" | tee /dev/stderr)

rust_ms=$(sed -n 's/^extract mean: \([0-9.]*\) ms.*/\1/p' <<<"$rust_out")
py_ms=$(sed -n 's/^trafilatura mean: \([0-9.]*\) ms.*/\1/p' <<<"$py_out")
python3 - "$rust_ms" "$py_ms" <<'PY'
import sys
rust, py = float(sys.argv[1]), float(sys.argv[2])
print(f"herald-archiver {rust:.3f} ms/page, trafilatura {py:.3f} ms/page: {py / rust:.0f}x faster (target: 50x)")
PY
