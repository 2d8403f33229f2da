#!/usr/bin/env bash
# Runs each property of tests/fuzz.rs for a fixed time in a release build
# (full-size pathological shapes there): the article extractor, the listing
# parser, the feed reader, the URL canonicaliser, dates, bylines, robots.txt,
# the config loader and the search query builder.
#
#   checks/fuzz.sh [SECONDS_PER_TARGET]     (default 60)
#
# A failure is kept by proptest in tests/fuzz.proptest-regressions and
# replayed first by every later `cargo test`: commit it with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
# The test binary is run directly: a `cargo test` inside the timeout would
# spend it compiling whenever a source changed since the build.
bin=$(cargo test --release --test fuzz --no-run 2>&1 | sed -n 's/.*Executable tests\/fuzz.rs (\(.*\))/\1/p')
[ -x "$bin" ] || { echo "could not build the fuzz tests" >&2; exit 2; }
targets=$("$bin" --list 2>/dev/null | sed -n 's/: test$//p')
failed=0
for t in $targets; do
  # Far more cases than fit in the time: the run ends by the clock.
  set +e
  PROPTEST_CASES=100000000 timeout "$seconds" "$bin" --exact "$t" >"target/fuzz-$t.log" 2>&1
  rc=$?
  set -e
  case $rc in
    0|124) echo "ok      $t (${seconds}s)" ;;
    *) echo "FAILED  $t: see target/fuzz-$t.log"; failed=1 ;;
  esac
done
exit $failed
