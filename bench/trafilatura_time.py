"""Times Python trafilatura on the pages `cargo bench --bench extract` wrote.

Usage: python bench/trafilatura_time.py target/bench-pages [seconds-per-page]
Prints one line per page and a mean in ms/page, the same form as the Rust bench.
"""
import pathlib
import sys
import time

from trafilatura import bare_extraction


def main() -> None:
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/bench-pages")
    budget = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    total_time, total_runs = 0.0, 0
    for page in sorted(folder.glob("*.html")):
        html = page.read_text(encoding="utf-8")
        bare_extraction(html, with_metadata=True)  # warm-up
        runs, start = 0, time.perf_counter()
        while time.perf_counter() - start < budget or runs < 3:
            bare_extraction(html, with_metadata=True)
            runs += 1
        took = time.perf_counter() - start
        total_time += took
        total_runs += runs
        print(f"trafilatura {page.stem:<14} {len(html) / 1024:6.1f} KiB  {took * 1000 / runs:7.3f} ms/page  ({runs} runs)")
    if total_runs == 0:
        sys.exit(f"no pages in {folder}: run `cargo bench --bench extract` first")
    print(f"trafilatura mean: {total_time * 1000 / total_runs:.3f} ms/page")


if __name__ == "__main__":
    main()
