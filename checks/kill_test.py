#!/usr/bin/env python3
"""Kill test: stopping the crawler at any moment never loses or doubles anything.

What it proves: an archive built by crawls and daemon runs that are killed at
random moments (SIGKILL or SIGTERM), then restarted, ends up equal to a clean
crawl of the same mirror: the same articles, the same addresses, the same
revisions and content hashes, HTTP validators for every article, no
duplicates, and an intact SQLite file. A SIGTERM must also close the run it
stopped (no crawl_runs row left 'running').

How:
  1. one `mirror_server N` (127.0.0.1, random port) serves the whole test;
  2. reference: `crawl` into ref.db, repeated until nothing new (at most 3);
  3. --daemon-kills times: `run` (the daemon) on target.db, killed a random
     time into one of its runs (it catches up at start while a backlog is
     left; its section also runs every 5 seconds), then
     `PRAGMA integrity_check` (and, after a SIGTERM, no 'running' run);
  4. --kills times: `crawl` into target.db, killed after a random delay,
     same checks. Delays are drawn up to twice one kill's share of a clean
     crawl's time, so the kills land mid-crawl (the test fails if fewer than
     half of them do);
  5. `crawl` until the archive stops changing (at most 5), then target.db is
     compared with ref.db.

Run it from the repository root (3000 articles on 2 cores: under a minute while
kills find nothing left to crawl, a few minutes when each restart resumes):

  python3 checks/kill_test.py --articles 3000 --kills 20 --daemon-kills 5
  python3 checks/kill_test.py --bin target/release/herald-archiver \
      --mirror target/release/examples/mirror_server --seed 7 --keep /tmp/kt

Without --bin/--mirror it builds both with cargo (release). --seed fixes the
kill schedule (which signal, how long to wait); timing still varies. --keep
DIR leaves the archives, configs and per-process logs in DIR. Exit status 0
when the archives match, 1 with every difference listed otherwise.
"""

import argparse
import math
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

SECTION = "Mirror"
PER_PAGE = 100
SIG_NAMES = {signal.SIGKILL: "SIGKILL", signal.SIGTERM: "SIGTERM"}
TERM_LIMIT = 30.0  # seconds a SIGTERM'd process may take to exit
RUN_START_LIMIT = 15.0  # seconds the daemon may take to start a run
EXAMPLES = 5

LIVE = []  # child processes to kill on the way out


class Failed(Exception):
    """The test cannot go on (the harness or the crawler is broken)."""


# ---------------------------------------------------------------- processes


def spawn(argv, log_path, env=None):
    """Starts a child in its own session (a Ctrl-C reaches only this script)."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    LIVE.append(proc)
    return proc


def reap(proc):
    if proc in LIVE:
        LIVE.remove(proc)


def kill_all():
    for proc in LIVE:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    LIVE.clear()


def tail(path, lines=5):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:]).rstrip()
    except OSError:
        return "(no log)"


def build(repo):
    print("building herald-archiver and mirror_server (cargo build --release) ...", flush=True)
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--bin", "herald-archiver",
         "--example", "mirror_server"],
        cwd=repo,
        check=True,
    )
    return (os.path.join(repo, "target/release/herald-archiver"),
            os.path.join(repo, "target/release/examples/mirror_server"))


def start_mirror(mirror_bin, articles, work):
    """Starts the mirror; returns its base URL."""
    with open(os.path.join(work, "mirror.log"), "wb") as log:
        proc = subprocess.Popen(
            [mirror_bin, str(articles)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
            text=True,
        )
    LIVE.append(proc)
    base = proc.stdout.readline().strip()
    if not base.startswith("http"):
        raise Failed(f"mirror_server printed no URL (exit {proc.poll()}): {base!r}")
    with urllib.request.urlopen(base + "/__stats", timeout=10) as r:
        r.read()
    return base


def env_without_systemd():
    env = dict(os.environ)
    for key in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "LISTEN_FDS"):
        env.pop(key, None)
    return env


def crawl(bin_path, config, log_path):
    """One `crawl` to the end; returns (exit status, seconds)."""
    start = time.monotonic()
    proc = spawn([bin_path, "crawl", "--config", config], log_path)
    rc = proc.wait()
    reap(proc)
    return rc, time.monotonic() - start


def stop(proc, sig, what):
    """Sends `sig` and waits for the exit; returns the exit status."""
    proc.send_signal(sig)
    try:
        rc = proc.wait(timeout=None if sig == signal.SIGKILL else TERM_LIMIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise Failed(f"{what} ignored SIGTERM: still running {TERM_LIMIT:.0f} s later")
    reap(proc)
    return rc


# ------------------------------------------------------------------- config


def write_config(path, base, db, pages, schedule):
    text = f"""[site]
base_url = "{base}"
max_pages = {pages}

[archive]
path = "{db}"

[http]
concurrency = 8
min_delay = "0s"

[scheduler]
timezone = "UTC"
catch_up_delay = "0s"

[[section]]
name = "{SECTION}"
path = "/Mirror"
feeds = ["/rss/Mirror"]
schedule = "{schedule}"
pages = 1
"""
    with open(path, "w") as f:
        f.write(text)


def check_config(bin_path, config):
    r = subprocess.run([bin_path, "check-config", "--config", config],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Failed(f"herald-archiver refuses {config}:\n{r.stdout}{r.stderr}")


# ----------------------------------------------------------------- archives


def connect(path):
    """A connection to an existing archive, or None (never creates the file)."""
    if not os.path.exists(path):
        return None
    return sqlite3.connect(path, timeout=10)


def scalar(conn, sql, default=None):
    """The query's single value; `default` when the schema is not there yet."""
    if conn is None:
        return default
    try:
        row = conn.execute(sql).fetchone()
    except sqlite3.OperationalError:
        return default
    return row[0] if row else default


def state(path):
    """What the checks print: integrity, articles, runs left 'running'."""
    conn = connect(path)
    if conn is None:
        return {"integrity": "ok", "articles": 0, "running": 0, "note": "no archive yet"}
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        return {
            "integrity": "ok" if rows == ["ok"] else "; ".join(map(str, rows[:5])),
            "articles": scalar(conn, "SELECT count(*) FROM articles", 0),
            "running": scalar(conn, "SELECT count(*) FROM crawl_runs WHERE status = 'running'", 0),
            "note": "",
        }
    finally:
        conn.close()


def fingerprint(path):
    """Row counts that change whenever a crawl archives or learns anything."""
    conn = connect(path)
    try:
        return tuple(
            scalar(conn, f"SELECT count(*) FROM {table}", 0)
            for table in ("articles", "article_urls", "article_revisions", "http_cache",
                          "pending_fetches")
        )
    finally:
        if conn:
            conn.close()


def runs_started(conn):
    return scalar(conn, f"SELECT count(*) FROM crawl_runs WHERE section = '{SECTION}'", 0)


def load(path):
    """Everything the comparison looks at, as Python sets and dicts."""
    conn = connect(path)
    if conn is None:
        raise Failed(f"{path} does not exist")
    try:
        q = lambda sql: conn.execute(sql).fetchall()
        revisions = {}
        for url, n, hashes in q(
            "SELECT a.url, count(*), group_concat(DISTINCT r.content_hash) "
            "FROM article_revisions r JOIN articles a ON a.id = r.article_id GROUP BY a.url"
        ):
            revisions[url] = (n, frozenset((hashes or "").split(",")))
        return {
            "integrity": [r[0] for r in q("PRAGMA integrity_check")],
            "articles": [r[0] for r in q("SELECT url FROM articles")],
            "hashes": scalar(conn, "SELECT count(DISTINCT content_hash) FROM articles"),
            "addresses": set(q("SELECT u.url, a.url FROM article_urls u "
                               "JOIN articles a ON a.id = u.article_id")),
            "revisions": revisions,
            "no_validators": {r[0] for r in q(
                "SELECT a.url FROM articles a "
                "WHERE NOT EXISTS (SELECT 1 FROM http_cache h WHERE h.url = a.url)")},
            "orphans": scalar(conn, """SELECT
                (SELECT count(*) FROM article_urls u
                  WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = u.article_id))
              + (SELECT count(*) FROM article_revisions r
                  WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = r.article_id))"""),
            "running": scalar(conn, "SELECT count(*) FROM crawl_runs WHERE status = 'running'"),
        }
    finally:
        conn.close()


def examples(items):
    items = sorted(items, key=str)
    shown = ", ".join(map(str, items[:EXAMPLES]))
    return f" (e.g. {shown}{', ...' if len(items) > EXAMPLES else ''})" if items else ""


def set_diff(label, want, got):
    """A difference line for two sets, or None when equal."""
    missing, extra = want - got, got - want
    if not missing and not extra:
        return None
    return (f"{label}: {len(missing)} missing{examples(missing)}, "
            f"{len(extra)} extra{examples(extra)}")


def compare(ref, tgt):
    """Lists every way the target archive differs from the reference."""
    diffs = []
    if tgt["integrity"] != ["ok"]:
        diffs.append(f"integrity_check: {'; '.join(map(str, tgt['integrity'][:5]))}")
    ref_urls, tgt_urls = set(ref["articles"]), set(tgt["articles"])
    diffs.append(set_diff(f"articles ({len(ref_urls)} in ref, {len(tgt_urls)} in target)",
                          ref_urls, tgt_urls))
    # Addresses and revisions of the articles both hold (missing or extra
    # articles are reported once, above).
    both = ref_urls & tgt_urls
    diffs.append(set_diff(
        "article_urls (url, canonical url) of articles in both",
        {p for p in ref["addresses"] if p[1] in both},
        {p for p in tgt["addresses"] if p[1] in both}))
    changed = [u for u in both if ref["revisions"].get(u) != tgt["revisions"].get(u)]
    if changed:
        diffs.append(f"revision history (count, content hashes) differs for "
                     f"{len(changed)} articles{examples(changed)}")
    if len(tgt["no_validators"]) != len(ref["no_validators"]):
        diffs.append(f"articles without an http_cache row: {len(tgt['no_validators'])} in target, "
                     f"{len(ref['no_validators'])} in ref{examples(tgt['no_validators'])}")
    doubled = len(tgt["articles"]) - len(tgt_urls)
    if doubled:
        diffs.append(f"duplicate articles: {doubled} canonical urls stored twice")
    if tgt["hashes"] != ref["hashes"]:
        diffs.append(f"distinct content hashes: {tgt['hashes']} in target, {ref['hashes']} in ref")
    if tgt["orphans"]:
        diffs.append(f"{tgt['orphans']} article_urls/article_revisions rows point at no article")
    if tgt["running"]:
        diffs.append(f"{tgt['running']} crawl_runs rows still 'running' after clean exits")
    return [d for d in diffs if d]


# -------------------------------------------------------------------- phases


def reference(bin_path, config, db, articles, logs):
    """Clean crawls until nothing new; returns the first crawl's seconds."""
    first = None
    for i in range(1, 4):
        before = fingerprint(db)
        log = os.path.join(logs, f"ref-{i}.log")
        rc, secs = crawl(bin_path, config, log)
        if rc != 0:
            raise Failed(f"reference crawl {i} exited {rc}:\n{tail(log)}")
        first = first or secs
        if fingerprint(db) == before:
            break
    got = state(db)["articles"]
    if got != articles:
        conn = connect(db)
        pending = scalar(conn, "SELECT group_concat(status || ':' || last_error, '; ') "
                               "FROM (SELECT * FROM pending_fetches LIMIT 3)")
        conn.close()
        raise Failed(f"reference holds {got} articles, not {articles}; last crawl said:\n"
                     f"{tail(log)}\npending_fetches: {pending}")
    print(f"reference: {got} articles, first crawl {first:.1f} s, {i} crawl(s)", flush=True)
    return first


def signal_plan(rng, n):
    """n signals, half SIGKILL and half SIGTERM, in random order."""
    plan = [signal.SIGKILL, signal.SIGTERM] * ((n + 1) // 2)
    plan = plan[:n]
    rng.shuffle(plan)
    return plan


def kill_delay(rng, slice_secs):
    """Uniform up to twice one kill's share of a clean crawl's time: the work
    is spread over every kill, so they land mid-crawl, not after the end."""
    return rng.uniform(0.02, 2 * slice_secs)


def report(label, sig, sent, when, rc, db, problems):
    """Checks the archive after a kill and prints the kill's line.

    `sent`: the signal was sent (else the process had exited before)."""
    s = state(db)
    notes = []
    if s["integrity"] != "ok":
        problems.append(f"{label}: integrity_check: {s['integrity']}")
        notes.append("INTEGRITY " + s["integrity"])
    how = SIG_NAMES[sig] if sent else "no signal"
    if s["running"] and (sig == signal.SIGTERM or not sent):
        problems.append(f"{label}: {s['running']} crawl_runs row(s) left 'running' after "
                        f"{'a SIGTERM' if sent else 'a normal exit'} (exit {rc})")
        notes.append("RUN NOT CLOSED")
    print(f"{label:<11} {how} {when}: exit {rc:>3}, {s['articles']:>5} articles, "
          f"{s['running']} running{' ' + s['note'] if s['note'] else ''}"
          f"{'  <- ' + ', '.join(notes) if notes else ''}", flush=True)


def crawl_kills(bin_path, config, db, n, rng, slice_secs, articles, logs, problems):
    landed = 0
    for i, sig in enumerate(signal_plan(rng, n), 1):
        delay = kill_delay(rng, slice_secs)
        log = os.path.join(logs, f"kill-{i:02}.log")
        start = time.monotonic()
        proc = spawn([bin_path, "crawl", "--config", config], log)
        try:
            rc = proc.wait(timeout=delay)
            reap(proc)
            sent = False
            when = f"(crawl done in {time.monotonic() - start:.2f} s, before {delay:.2f} s)"
            if rc != 0:
                problems.append(f"kill {i}: crawl failed by itself, exit {rc}: {tail(log, 2)}")
        except subprocess.TimeoutExpired:
            rc = stop(proc, sig, "crawl")
            sent = True
            landed += 1
            when = f"after {delay:.2f} s"
        report(f"kill {i}/{n}", sig, sent, when, rc, db, problems)
    return landed


def wait_for_run(db, before, proc):
    """Seconds until the daemon starts a run, or None."""
    start = time.monotonic()
    conn = None
    try:
        while time.monotonic() - start < RUN_START_LIMIT:
            if proc.poll() is not None:
                return None
            conn = conn or connect(db)
            if runs_started(conn) > before:
                return time.monotonic() - start
            time.sleep(0.05)
        return None
    finally:
        if conn:
            conn.close()


def daemon_kills(bin_path, config, db, n, rng, slice_secs, articles, logs, problems):
    landed = 0
    for i, sig in enumerate(signal_plan(rng, n), 1):
        conn = connect(db)
        before = runs_started(conn)
        if conn:
            conn.close()
        log = os.path.join(logs, f"daemon-{i}.log")
        proc = spawn([bin_path, "run", "--config", config], log, env=env_without_systemd())
        began = wait_for_run(db, before, proc)
        if proc.poll() is not None:
            reap(proc)
            raise Failed(f"daemon {i} exited {proc.returncode} by itself:\n{tail(log)}")
        if began is None:
            problems.append(f"daemon {i}: started no run within {RUN_START_LIMIT:.0f} s")
            delay = 0.0
        else:
            delay = kill_delay(rng, slice_secs)
            time.sleep(delay)
        going = running_now(db)
        landed += going
        rc = stop(proc, sig, "the daemon")
        when = (f"{delay:.2f} s after a run started ({began:.2f} s after launch; "
                f"{'still going' if going else 'already over'})" if began is not None
                else "with no run started")
        report(f"daemon {i}/{n}", sig, True, when, rc, db, problems)
    return landed


def running_now(db):
    """Whether a run is going on (read while the daemon writes)."""
    conn = connect(db)
    try:
        return scalar(conn, "SELECT count(*) FROM crawl_runs WHERE status = 'running'", 0) > 0
    finally:
        if conn:
            conn.close()


def finish(bin_path, config, db, logs, problems):
    """Crawls until one changes nothing (at most 5); returns how many ran."""
    for i in range(1, 6):
        before = fingerprint(db)
        log = os.path.join(logs, f"finish-{i}.log")
        rc, secs = crawl(bin_path, config, log)
        after = fingerprint(db)
        print(f"finish {i}: exit {rc}, {secs:.1f} s, {after[0] - before[0]:+} articles, "
              f"{'no change' if after == before else 'archive changed'}", flush=True)
        if rc != 0:
            problems.append(f"finishing crawl {i} exited {rc}: {tail(log, 2)}")
        elif after == before:
            return i
    problems.append("the archive still changed after 5 finishing crawls")
    return 5


# ---------------------------------------------------------------------- main


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--articles", type=int, default=3000, help="articles on the mirror")
    p.add_argument("--kills", type=int, default=20, help="crawls to kill")
    p.add_argument("--daemon-kills", type=int, default=5, help="daemon runs to kill")
    p.add_argument("--seed", type=int, help="random seed (default: from the clock)")
    p.add_argument("--bin", help="herald-archiver binary (default: build it)")
    p.add_argument("--mirror", help="mirror_server example binary (default: build it)")
    p.add_argument("--keep", metavar="DIR", help="work in DIR and leave the files there")
    return p.parse_args()


def work_dir(keep):
    if not keep:
        return tempfile.mkdtemp(prefix="kill_test.")
    os.makedirs(keep, exist_ok=True)
    taken = [f for f in ("ref.db", "target.db") if os.path.exists(os.path.join(keep, f))]
    if taken:
        raise Failed(f"{keep} already holds {', '.join(taken)}: choose an empty directory")
    return os.path.abspath(keep)


def run_test(args, work):
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    rng = random.Random(seed)
    bin_path, mirror_bin = args.bin, args.mirror
    if not bin_path or not mirror_bin:
        built = build(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        bin_path, mirror_bin = bin_path or built[0], mirror_bin or built[1]
    logs = os.path.join(work, "logs")
    os.makedirs(logs, exist_ok=True)
    base = start_mirror(mirror_bin, args.articles, work)
    print(f"mirror {base}: {args.articles} articles; seed {seed}; work dir {work}", flush=True)

    pages = math.ceil(args.articles / PER_PAGE)
    ref_db, tgt_db = os.path.join(work, "ref.db"), os.path.join(work, "target.db")
    configs = {
        "ref": (ref_db, "*/15 * * * *"),
        "target": (tgt_db, "*/15 * * * *"),
        "daemon": (tgt_db, "*/5 * * * * *"),
    }
    for name, (db, schedule) in configs.items():
        path = os.path.join(work, f"{name}.toml")
        write_config(path, base, db, pages, schedule)
        check_config(bin_path, path)
    cfg = lambda name: os.path.join(work, f"{name}.toml")

    started = time.monotonic()
    crawl_secs = reference(bin_path, cfg("ref"), ref_db, args.articles, logs)
    # Each kill gets its share of a clean crawl's time.
    slice_secs = crawl_secs / (args.kills + args.daemon_kills + 1)
    problems = []
    # The daemon first: each start catches up on the backlog at once.
    daemon_landed = daemon_kills(bin_path, cfg("daemon"), tgt_db, args.daemon_kills, rng, slice_secs,
                 args.articles, logs, problems)
    landed = crawl_kills(bin_path, cfg("target"), tgt_db, args.kills, rng, slice_secs,
                         args.articles, logs, problems)
    finishing = finish(bin_path, cfg("target"), tgt_db, logs, problems)

    ref, tgt = load(ref_db), load(tgt_db)
    problems += compare(ref, tgt)
    # Kills that all came after the end would prove nothing.
    if landed * 2 < args.kills:
        problems.append(f"only {landed} of {args.kills} crawl kills landed mid-crawl: use more --articles")
    if daemon_landed * 2 < args.daemon_kills:
        problems.append(f"only {daemon_landed} of {args.daemon_kills} daemon kills landed mid-run")
    secs = time.monotonic() - started
    if problems:
        print(f"kill test FAILED ({len(problems)} problems, seed {seed}, {secs:.0f} s):")
        for p in problems:
            print(f"  - {p}")
        if not args.keep:
            print("  (rerun with --keep DIR to inspect the archives and logs)")
        return 1
    print(f"kill test passed: {len(tgt['articles'])} articles, {len(tgt['addresses'])} addresses, "
          f"{sum(n for n, _ in tgt['revisions'].values())} revisions equal to the reference after "
          f"{args.kills} crawl kills ({landed} mid-crawl) and {args.daemon_kills} daemon kills "
          f"({daemon_landed} mid-run), "
          f"{finishing} finishing crawl(s); seed {seed}, {secs:.0f} s")
    return 0


def main():
    args = parse_args()
    # A SIGTERM to this script cleans up like a Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    work = None
    try:
        work = work_dir(args.keep)
        return run_test(args, work)
    except Failed as e:
        print(f"kill test FAILED: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        kill_all()
        if work and not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
