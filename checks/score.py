#!/usr/bin/env python3
"""Scores `herald-archiver extract` output against expected records.

    checks/score.py [--generic] [--bin PATH] [--min-exact X] [--min-f1 X] PAIRS.tsv

PAIRS.tsv holds lines `expected.json<TAB>page.html` (paths relative to the
file). Prints, per page and overall, the share of fields that match exactly
(body compared after whitespace normalisation) and the body's token F1
(bags of lower-cased words). With --generic only the generic layer runs (its
fields are title, body, authors, published_at). Exits 1 when a total is
under --min-exact / --min-f1. Standard library only.
"""
import argparse
import collections
import json
import pathlib
import re
import subprocess
import sys

FIELDS = ["url", "title", "subtitle", "authors", "section", "subsection",
          "published_at", "updated_at", "body", "captions", "images"]
GENERIC_FIELDS = ["title", "body"]


def norm(text):
    return "\n\n".join(" ".join(p.split()) for p in (text or "").split("\n\n"))


def tokens(text):
    return collections.Counter(re.findall(r"\w+", (text or "").lower()))


def f1(got, want):
    g, w = tokens(got), tokens(want)
    overlap = sum((g & w).values())
    if not g and not w:
        return 1.0
    if overlap == 0:
        return 0.0
    precision, recall = overlap / sum(g.values()), overlap / sum(w.values())
    return 2 * precision * recall / (precision + recall)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pairs")
    ap.add_argument("--bin", default="target/debug/herald-archiver")
    ap.add_argument("--generic", action="store_true")
    ap.add_argument("--min-exact", type=float, default=0.0)
    ap.add_argument("--min-f1", type=float, default=0.0)
    args = ap.parse_args()
    pairs_file = pathlib.Path(args.pairs)
    base = pairs_file.parent
    fields = GENERIC_FIELDS if args.generic else FIELDS
    matched = total = 0
    f1s = []
    for line in pairs_file.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        expected_path, page_path = line.split("\t")
        want = json.loads((base / expected_path).read_text(encoding="utf-8"))
        cmd = [args.bin, "extract", str(base / page_path)] + (["--generic"] if args.generic else [])
        out = subprocess.run(cmd, capture_output=True, text=True)
        got = json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else {}
        ok = 0
        for field in fields:
            a, b = got.get(field), want.get(field)
            if field == "body":
                a, b = norm(a), norm(b)
            ok += a == b
        body_f1 = f1(got.get("body"), want.get("body"))
        matched, total = matched + ok, total + len(fields)
        f1s.append(body_f1)
        print(f"{page_path:<55} fields {ok:>2}/{len(fields)}  body F1 {body_f1:.3f}")
    exact = matched / total if total else 0.0
    mean_f1 = sum(f1s) / len(f1s) if f1s else 0.0
    layer = "generic layer" if args.generic else "all layers"
    print(f"{layer}: fields exact {matched}/{total} ({exact:.1%}), body token F1 {mean_f1:.3f} over {len(f1s)} pages")
    if exact < args.min_exact or mean_f1 < args.min_f1:
        sys.exit(1)


if __name__ == "__main__":
    main()
