#!/usr/bin/env bash
# Every pathological page shape of tests/common/hostile.rs at full size
# (each under the default 5 MiB body cap: 1,000,000 nested <div>s, 300,000
# unclosed <svg>s, 300,000 attributes on one element, 5 MB without a space,
# ...) through the article extractor and the listing parser in a release
# build; fails when one takes over LIMIT seconds (default 1).
#
#   bench/hostile_pages.sh [LIMIT]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example hostile_pages
target/release/examples/hostile_pages "${1:-1}"
