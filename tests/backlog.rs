//! Keeping every article: a crawl stopped at any moment (SIGKILL, SIGTERM,
//! a failing archive) leaves its work in the backlog, the next run finishes
//! it, and nothing is stored twice. Black-box: the real binary against a
//! local mirror on 127.0.0.1, checked through the archive.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::mirror::Mirror;
use common::wait_for;
use rusqlite::Connection;

fn spawn_crawl(config: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_herald-archiver"))
        .args(["crawl", "--config"])
        .arg(config)
        .args(extra)
        .env_remove("HERALD_ARCHIVER_CONFIG")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start crawl")
}

fn crawl(config: &Path, extra: &[&str]) -> std::process::Output {
    spawn_crawl(config, extra)
        .wait_with_output()
        .expect("crawl runs")
}

/// Starts `crawl` and returns once it has archived `n` articles.
fn crawl_until(config: &Path, path: &Path, extra: &[&str], n: i64) -> Child {
    let child = spawn_crawl(config, extra);
    wait_for(&format!("{n} articles"), Duration::from_secs(60), || {
        count(path, "SELECT count(*) FROM articles") >= n
    });
    child
}

/// A crawl at full speed finishes what is left, and the archive then holds
/// the whole mirror.
fn finish_and_check(mirror: &Mirror, config: &Path, path: &Path) {
    mirror.set_delay(Duration::ZERO);
    let out = crawl(config, &[]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_complete(path, mirror.total as i64);
}

fn db(dir: &Path) -> PathBuf {
    dir.join("archive.db")
}

/// A count from the archive, 0 while it does not exist yet.
fn count(path: &Path, sql: &str) -> i64 {
    let Ok(conn) = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    let _ = conn.busy_timeout(Duration::from_secs(5));
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or(0)
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill -{name} failed");
}

/// The archive holds exactly the mirror's articles, each once and whole.
fn assert_complete(path: &Path, total: i64) {
    let conn = Connection::open(path).expect("open archive");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(
        one("SELECT count(*) FROM articles"),
        total,
        "every article archived"
    );
    assert_eq!(
        one("SELECT count(DISTINCT content_hash) FROM articles"),
        total
    );
    assert_eq!(
        one("SELECT count(*) FROM article_urls"),
        total,
        "one address each"
    );
    assert_eq!(
        one("SELECT count(*) FROM article_revisions"),
        total,
        "one revision each"
    );
    assert_eq!(
        one("SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM http_cache h WHERE h.url = a.url)"),
        0,
        "every article has its validators"
    );
    assert_eq!(
        one("SELECT count(*) FROM crawl_backlog"),
        0,
        "nothing left to do"
    );
    assert_eq!(one("SELECT count(*) FROM listing_progress"), 0);
    assert_eq!(
        one("SELECT count(*) FROM crawl_runs WHERE status = 'running'"),
        0,
        "no run is left open once every process has exited"
    );
}

#[test]
fn a_crawl_killed_in_the_middle_of_a_backlog_is_finished_by_the_next_one() {
    let mirror = Mirror::start(300, Duration::from_millis(8));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = mirror.config(dir.path(), 1, 3, "");
    let path = db(dir.path());

    let mut first = crawl_until(&config, &path, &[], 40);
    signal(&first, "KILL");
    let _ = first.wait();
    let archived = count(&path, "SELECT count(*) FROM articles");
    assert!(archived < 300, "the kill came too late to test anything");
    assert!(
        count(&path, "SELECT count(*) FROM crawl_backlog") > 0
            || count(&path, "SELECT count(*) FROM listing_progress") > 0,
        "the killed run left its work behind"
    );
    let status = common::cli(&["status", "--config", config.to_str().expect("utf-8")]);
    let text = common::stdout(&status);
    assert!(text.contains("BACKLOG"), "status shows the backlog: {text}");

    finish_and_check(&mirror, &config, &path);
    let interrupted = count(
        &path,
        "SELECT count(*) FROM crawl_runs WHERE status = 'interrupted' AND error LIKE '%ended before closing%'",
    );
    assert_eq!(
        interrupted, 1,
        "the killed run is closed by the next writer"
    );

    // Caught up: the next crawl sends one conditional request and no article request.
    let (articles, lists) = mirror.served();
    let out = crawl(&config, &[]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(mirror.served(), (articles, lists + 1));
    assert_complete(&path, 300);
}

#[test]
fn sigterm_stops_a_backfill_and_the_next_run_resumes_it_where_it_stopped() {
    let mirror = Mirror::start(500, Duration::from_millis(8));
    let dir = tempfile::tempdir().expect("tempdir");
    // Scheduled runs read one page only: the rest must come from the saved reading.
    let config = mirror.config(dir.path(), 1, 1, "");
    let path = db(dir.path());

    let mut backfill = crawl_until(&config, &path, &["--pages", "5"], 30);
    signal(&backfill, "TERM");
    let status = backfill.wait().expect("wait");
    assert_eq!(
        status.code(),
        Some(143),
        "a stopped crawl says so in its exit code"
    );
    let mut stdout = String::new();
    if let Some(mut out) = backfill.stdout.take() {
        use std::io::Read;
        let _ = out.read_to_string(&mut stdout);
    }
    assert!(stdout.contains("(interrupted)"), "{stdout}");
    assert!(stdout.contains("left for the next run"), "{stdout}");
    assert_eq!(
        count(
            &path,
            "SELECT count(*) FROM crawl_runs WHERE status = 'running'"
        ),
        0,
        "a clean stop closes its run"
    );
    assert_eq!(
        count(
            &path,
            "SELECT count(*) FROM crawl_runs WHERE status = 'interrupted' AND left_over > 0"
        ),
        1
    );
    let reading = count(
        &path,
        "SELECT count(*) FROM listing_progress WHERE min_pages = 5",
    );
    let backlog = count(&path, "SELECT count(*) FROM crawl_backlog");
    assert!(reading == 1 || backlog > 0, "the backfill's place is kept");
    let (_, lists_before) = mirror.served();

    finish_and_check(&mirror, &config, &path);
    let (_, lists_after) = mirror.served();
    assert!(
        lists_after - lists_before <= 5,
        "the resumed backfill does not start again from page 1 ({} list pages)",
        lists_after - lists_before
    );
}

#[test]
fn a_second_writer_is_refused_with_the_name_of_the_first_or_waits_for_it() {
    let mirror = Mirror::start(200, Duration::from_millis(15));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = mirror.config(dir.path(), 1, 2, "");
    let path = db(dir.path());

    let mut first = spawn_crawl(&config, &[]);
    wait_for(
        "the first crawl to archive",
        Duration::from_secs(60),
        || count(&path, "SELECT count(*) FROM articles") >= 5,
    );
    let second = crawl(&config, &[]);
    assert_eq!(second.status.code(), Some(1));
    let err = common::stderr(&second);
    assert!(
        err.contains(&format!("pid {}", first.id())) && err.contains("herald-archiver crawl"),
        "the refusal names the other process: {err}"
    );
    assert!(err.contains("--wait"), "and says what to do: {err}");
    assert_eq!(
        count(
            &path,
            "SELECT count(*) FROM crawl_runs WHERE status = 'interrupted'"
        ),
        0,
        "the refused crawl touched nothing of the first one's"
    );

    // --wait queues behind it instead, and finds nothing left to do.
    mirror.set_delay(Duration::ZERO);
    let waiter = crawl(&config, &["--wait"]);
    assert!(waiter.status.success(), "{}", common::stderr(&waiter));
    let done = first.wait().expect("first crawl");
    assert!(done.success());
    assert_complete(&path, 200);
    assert_eq!(
        count(&path, "SELECT count(*) FROM crawl_runs WHERE status = 'ok'"),
        2
    );
}

#[test]
fn deleting_the_lock_file_does_not_let_a_second_writer_in() {
    let mirror = Mirror::start(200, Duration::from_millis(15));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = mirror.config(dir.path(), 1, 2, "");
    let path = db(dir.path());
    let mut first = spawn_crawl(&config, &[]);
    wait_for(
        "the first crawl to archive",
        Duration::from_secs(60),
        || count(&path, "SELECT count(*) FROM articles") >= 5,
    );
    // The lock file goes (a cleanup script, a user's rm): the archive
    // itself is what is locked, so the second crawl is still refused.
    let mut lock = path.as_os_str().to_owned();
    lock.push(".lock");
    std::fs::remove_file(&lock).expect("remove the lock file");
    let second = crawl(&config, &[]);
    let err = common::stderr(&second);
    assert_eq!(second.status.code(), Some(1), "{err}");
    assert!(err.contains("is being written by"), "{err}");
    mirror.set_delay(Duration::ZERO);
    assert!(first.wait().expect("first crawl").success());
    let (articles, _) = mirror.served();
    assert_eq!(articles, 200, "no article fetched twice");
    assert_complete(&path, 200);
}

#[test]
fn a_lock_held_past_the_busy_timeout_fails_the_run_and_loses_nothing() {
    let mirror = Mirror::start(300, Duration::from_millis(8));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = mirror.config(dir.path(), 1, 3, "busy_timeout = \"200ms\"");
    let path = db(dir.path());

    let crawler = crawl_until(&config, &path, &[], 30);
    // Another program (a sqlite3 shell, say) takes the write lock for a while.
    let holder = Connection::open(&path).expect("open");
    holder.busy_timeout(Duration::from_secs(5)).expect("busy");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the lock");
    std::thread::sleep(Duration::from_millis(1500));
    holder.execute_batch("COMMIT").expect("release the lock");
    drop(holder);

    let out = crawler.wait_with_output().expect("crawl");
    assert_eq!(
        out.status.code(),
        Some(2),
        "the failure shows in the exit code README gives it"
    );
    let stdout = common::stdout(&out);
    assert!(stdout.contains("run failed"), "{stdout}");
    assert!(
        stdout.contains("lock") || stdout.contains("busy"),
        "the reason is given: {stdout}"
    );
    let conn = Connection::open(&path).expect("open");
    let (status, error, new): (String, String, i64) = conn
        .query_row(
            "SELECT status, coalesce(error, ''), new_articles FROM crawl_runs ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("run row");
    assert_eq!(status, "failed", "the run is recorded as failed: {error}");
    let archived: i64 = conn
        .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
        .expect("count");
    assert_eq!(new, archived, "its counts are those of what was written");
    drop(conn);

    finish_and_check(&mirror, &config, &path);
}

#[test]
fn a_lock_held_when_crawl_starts_is_exit_2_with_what_to_do() {
    let mirror = Mirror::start(20, Duration::ZERO);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = mirror.config(dir.path(), 1, 3, "busy_timeout = \"200ms\"");
    let path = db(dir.path());
    assert!(crawl(&config, &[]).status.success());
    let holder = Connection::open(&path).expect("open");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the lock");
    let out = crawl(&config, &[]);
    holder.execute_batch("COMMIT").expect("release the lock");
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("holds its write lock"), "{err}");
    assert!(!err.contains("process that is gone"), "{err}");
    assert!(crawl(&config, &[]).status.success());
}

#[test]
fn a_full_disk_when_crawl_starts_is_exit_2() {
    let Some(disk) = common::disk::SmallDisk::mount("160m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let mirror = Mirror::start(20, Duration::ZERO);
    let config = mirror.config(&disk.0, 1, 3, "busy_timeout = \"200ms\"");
    let path = db(&disk.0);
    let filler = disk.fill();
    let out = crawl(&config, &[]);
    std::fs::remove_file(&filler).expect("free the disk");
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("disk is full"), "{err}");
    let out = crawl(&config, &[]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(count(&path, "SELECT count(*) FROM articles"), 20);
}

#[test]
fn a_disk_that_fills_up_mid_run_fails_the_run_and_loses_nothing() {
    let Some(disk) = common::disk::SmallDisk::mount("160m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let mirror = Mirror::start(300, Duration::from_millis(8));
    let config = mirror.config(&disk.0, 1, 3, "busy_timeout = \"200ms\"");
    let path = db(&disk.0);

    let crawler = crawl_until(&config, &path, &[], 30);
    let filler = disk.fill();
    std::thread::sleep(Duration::from_millis(1500));
    std::fs::remove_file(&filler).expect("free the disk");

    let out = crawler.wait_with_output().expect("crawl");
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    let stdout = common::stdout(&out);
    assert!(
        stdout.contains("disk is full"),
        "the reason is given: {stdout}"
    );
    assert_eq!(
        count(
            &path,
            "SELECT count(*) FROM crawl_runs WHERE status = 'failed' AND error LIKE '%disk is full%'"
        ),
        1,
        "the run is recorded as failed once the disk has room again"
    );
    assert_eq!(
        count(&path, "SELECT sum(new_articles) FROM crawl_runs"),
        count(&path, "SELECT count(*) FROM articles"),
        "its counts are those of what was written"
    );

    finish_and_check(&mirror, &config, &path);
}

#[test]
fn backlog_links_robots_txt_came_to_forbid_are_dropped_not_kept_for_ever() {
    let mirror = Mirror::start(300, Duration::from_millis(8));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = mirror.config(dir.path(), 1, 3, "");
    let path = db(dir.path());

    let mut first = crawl_until(&config, &path, &[], 40);
    signal(&first, "KILL");
    let _ = first.wait();
    let left = count(&path, "SELECT count(*) FROM crawl_backlog");
    assert!(left > 0, "the kill came too late to test anything");
    // The site now forbids every article: the backlog can never be fetched.
    mirror.set_robots("User-agent: *\nDisallow: /article/\n");
    mirror.set_delay(Duration::ZERO);
    // Requests the killed crawler had sent are still being answered.
    std::thread::sleep(Duration::from_millis(100));
    let (articles, _) = mirror.served();
    let out = crawl(&config, &[]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(
        mirror.served().0,
        articles,
        "no forbidden page was requested"
    );
    assert_eq!(count(&path, "SELECT count(*) FROM crawl_backlog"), 0);
    assert_eq!(
        count(
            &path,
            "SELECT count(*) FROM crawl_runs WHERE status = 'running'"
        ),
        0
    );
}
