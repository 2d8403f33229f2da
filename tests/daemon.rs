//! `herald-archiver run` as systemd runs it: a child process with a
//! NOTIFY_SOCKET the test listens on, driven by signals, against the fixture
//! site on 127.0.0.1.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::server::{FixtureServer, Response};
use common::wait_for;
use rusqlite::Connection;

struct Daemon {
    child: Child,
    dir: tempfile::TempDir,
    notes: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    fn config(&self) -> PathBuf {
        self.dir.path().join("herald.toml")
    }

    fn db(&self) -> Connection {
        let conn = Connection::open(self.dir.path().join("archive.db")).expect("open archive");
        conn.busy_timeout(Duration::from_secs(5))
            .expect("busy timeout");
        conn
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    fn notes(&self) -> Vec<String> {
        self.notes.lock().map(|n| n.clone()).unwrap_or_default()
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{name} failed");
    }

    fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).expect(sql)
    }

    /// 0 while the daemon has not created the schema yet.
    fn try_count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap_or(0)
    }

    /// Sends SIGTERM and waits for the exit; returns the status and how long it took.
    fn stop(&mut self, limit: Duration) -> (std::process::ExitStatus, Duration) {
        let start = Instant::now();
        self.signal("TERM");
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return (status, start.elapsed());
            }
            assert!(
                start.elapsed() < limit,
                "daemon did not stop within {limit:?}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config_text(base: &str, db: &Path, sections: &[(&str, &str)], extra: &str) -> String {
    let mut text = format!(
        r#"
[site]
base_url = "{base}"
max_pages = 2

[archive]
path = "{db}"

[http]
min_delay = "0s"
timeout = "10s"

[retry]
base_delay = "50ms"

[scheduler]
timezone = "UTC"
catch_up_delay = "0s"

[daemon]
grace_period = "1s"
{extra}
"#,
        db = db.display()
    );
    for (name, schedule) in sections {
        text.push_str(&format!(
            "\n[[section]]\nname = \"{name}\"\npath = \"/{name}\"\nschedule = \"{schedule}\"\npages = 2\n"
        ));
    }
    text
}

fn start(server: &FixtureServer, sections: &[(&str, &str)]) -> Daemon {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("herald.toml");
    std::fs::write(
        &config,
        config_text(&server.url(), &dir.path().join("archive.db"), sections, ""),
    )
    .expect("config");
    spawn(dir)
}

fn spawn(dir: tempfile::TempDir) -> Daemon {
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("notify socket");
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let notes = Arc::new(Mutex::new(Vec::new()));
    let sink = notes.clone();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 4096];
        loop {
            match socket.recv(&mut buf) {
                Ok(n) => {
                    if let Ok(mut notes) = sink.lock() {
                        notes.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Arc::strong_count(&sink) == 1 {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    });
    let log = std::fs::File::create(dir.path().join("daemon.log")).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_herald-archiver"))
        .args(["run", "--config"])
        .arg(dir.path().join("herald.toml"))
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "400000")
        .env("RUST_LOG", "herald_archiver=info")
        .env_remove("JOURNAL_STREAM")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start the daemon");
    Daemon { child, dir, notes }
}

fn runs(d: &Daemon, section: &str, status: &str) -> i64 {
    d.try_count(&format!(
        "SELECT count(*) FROM crawl_runs WHERE section = '{section}' AND status = '{status}'"
    ))
}

fn integrity_ok(d: &Daemon) {
    integrity_at(&d.dir.path().join("archive.db"));
}

fn integrity_at(db: &Path) {
    let conn = Connection::open(db).expect("open archive");
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
    // Every article is whole: it has its revision and its address.
    assert_eq!(
        one("SELECT count(*) FROM articles a
             WHERE NOT EXISTS (SELECT 1 FROM article_revisions r WHERE r.article_id = a.id)
                OR NOT EXISTS (SELECT 1 FROM article_urls u WHERE u.article_id = a.id AND u.url = a.url)"),
        0
    );
}

#[test]
fn runs_on_schedule_without_overlap_reloads_and_stops_cleanly() {
    let server = common::fast_fixture_server();
    // A run takes longer than the one-second schedule: ticks must be skipped.
    server.slow_down("/article/", Duration::from_millis(1200));
    let mut d = start(&server, &[("National", "* * * * * *")]);
    wait_for("READY=1", Duration::from_secs(10), || {
        d.notes().iter().any(|n| n.contains("READY=1"))
    });

    let mut max_running = 0;
    wait_for(
        "three finished National runs",
        Duration::from_secs(30),
        || {
            max_running = max_running.max(runs(&d, "National", "running"));
            runs(&d, "National", "ok") >= 3
        },
    );
    assert_eq!(max_running, 1, "two runs of one section at once");
    assert!(d.log().contains("previous run still going"), "{}", d.log());

    // SIGHUP with another schedule and a new section.
    server.speed_up();
    let text = config_text(
        &server.url(),
        &d.dir.path().join("archive.db"),
        &[("National", "*/2 * * * * *"), ("Business", "* * * * * *")],
        "",
    );
    std::fs::write(d.config(), text).expect("config");
    d.signal("HUP");
    wait_for(
        "a Business run after reload",
        Duration::from_secs(15),
        || runs(&d, "Business", "ok") >= 1,
    );
    let notes = d.notes();
    let reloading = notes
        .iter()
        .position(|n| n.contains("RELOADING=1"))
        .expect("RELOADING=1 sent");
    assert!(
        notes[reloading].contains("MONOTONIC_USEC="),
        "{}",
        notes[reloading]
    );
    assert!(
        notes[reloading..].iter().any(|n| n.contains("READY=1")),
        "READY=1 after reload"
    );

    // SIGHUP with a broken config: logged with its line, old schedule kept.
    let broken = std::fs::read_to_string(d.config()).expect("config") + "\n[http]\nspeed = 3\n";
    std::fs::write(d.config(), broken).expect("config");
    d.signal("HUP");
    wait_for(
        "the refused reload in the log",
        Duration::from_secs(10),
        || d.log().contains("reload refused"),
    );
    // FILE:LINE: the problem.
    assert!(
        d.log().contains("herald.toml:") && d.log().contains("duplicate key"),
        "{}",
        d.log()
    );
    let before = runs(&d, "Business", "ok");
    wait_for("Business to keep running", Duration::from_secs(10), || {
        runs(&d, "Business", "ok") > before
    });
    assert!(d.child.try_wait().expect("wait").is_none(), "daemon exited");

    let (status, _) = d.stop(Duration::from_secs(10));
    assert!(status.success(), "exit status {status}\n{}", d.log());
    assert!(d.notes().iter().any(|n| n.contains("STOPPING=1")));
    assert!(
        d.notes().iter().any(|n| n.contains("WATCHDOG=1")),
        "no watchdog ping"
    );
    assert!(
        d.notes().iter().any(|n| n.contains("STATUS=National:")),
        "{:?}",
        d.notes()
    );
    integrity_ok(&d);
    assert_eq!(d.count("SELECT count(*) FROM articles"), 5);
}

#[test]
fn sigterm_during_a_run_exits_within_the_grace_period_and_loses_nothing() {
    let server = common::fast_fixture_server();
    server.slow_down("/article/", Duration::from_secs(4));
    // A yearly schedule: the run that starts is the catch-up of a new archive.
    let mut d = start(&server, &[("National", "0 0 1 1 *")]);
    wait_for(
        "an article request in flight",
        Duration::from_secs(10),
        || server.targets().iter().any(|t| t.starts_with("/article/")),
    );
    assert_eq!(runs(&d, "National", "running"), 1);

    let (status, took) = d.stop(Duration::from_secs(10));
    assert!(status.success(), "exit status {status}\n{}", d.log());
    // Grace period 1 s, plus time to start and end the process.
    assert!(took < Duration::from_secs(3), "took {took:?}");
    integrity_ok(&d);

    // The next crawl gets what the interrupted run did not reach.
    server.speed_up();
    let out = common::cli(&["crawl", "--config", d.config().to_str().expect("path")]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(d.count("SELECT count(*) FROM articles"), 3);
    assert_eq!(runs(&d, "National", "running"), 0);
    assert!(runs(&d, "National", "interrupted") >= 1);
}

#[test]
fn sigterm_while_a_page_is_being_parsed_exits_in_time_and_the_next_run_gets_it() {
    let server = common::fast_fixture_server();
    // A fail point (tests' builds only) makes this page's extraction take 30 s.
    let page = String::from_utf8(server.page("/article/10915012")).expect("utf-8");
    let slow = page.replace(
        "</body>",
        "<!-- herald-archiver test: slow extraction --></body>",
    );
    server.script("/article/10915012", vec![Response::html(slow)]);
    let mut d = start(&server, &[("National", "0 0 1 1 *")]);
    wait_for("the slow page fetched", Duration::from_secs(10), || {
        server.targets().iter().any(|t| t == "/article/10915012")
    });
    std::thread::sleep(Duration::from_millis(500));

    let (status, took) = d.stop(Duration::from_secs(20));
    assert!(status.success(), "exit status {status}\n{}", d.log());
    // Grace period 1 s, a second for the rest, and time to start and end.
    assert!(took < Duration::from_secs(3), "took {took:?}\n{}", d.log());
    integrity_ok(&d);
    assert_eq!(
        d.count("SELECT count(*) FROM articles WHERE url LIKE '%/10915012'"),
        0,
        "the page in flight was not half-written"
    );

    let out = common::cli(&["crawl", "--config", d.config().to_str().expect("path")]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(d.count("SELECT count(*) FROM articles"), 3);
}

#[test]
fn catch_up_runs_only_sections_that_missed_their_schedule() {
    let server = common::fast_fixture_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("archive.db");
    let config = dir.path().join("herald.toml");
    // Both yearly; Opinion ran just now, National never did.
    let sections = [("National", "0 0 1 1 *"), ("Opinion", "0 0 1 1 *")];
    std::fs::write(&config, config_text(&server.url(), &db, &sections, "")).expect("config");
    let out = common::cli(&[
        "crawl",
        "--config",
        config.to_str().expect("path"),
        "--section",
        "Opinion",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));

    let mut d = spawn(dir);
    wait_for("National's catch-up run", Duration::from_secs(10), || {
        runs(&d, "National", "ok") == 1
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        runs(&d, "Opinion", "ok"),
        1,
        "Opinion ran again:\n{}",
        d.log()
    );
    assert!(d.log().contains("catching up"));
    let (status, _) = d.stop(Duration::from_secs(10));
    assert!(status.success());
}

#[test]
fn metrics_and_health_are_served_when_configured() {
    let server = common::fast_fixture_server();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let dir = tempfile::tempdir().expect("tempdir");
    let text = config_text(
        &server.url(),
        &dir.path().join("archive.db"),
        &[("National", "0 0 1 1 *")],
        &format!("metrics_addr = \"127.0.0.1:{port}\""),
    );
    std::fs::write(dir.path().join("herald.toml"), text).expect("config");
    let mut d = spawn(dir);
    wait_for("a National run", Duration::from_secs(10), || {
        runs(&d, "National", "ok") == 1
    });
    let get = |path: &str| -> String {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        out
    };
    let metrics = get("/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(
        metrics.contains("herald_runs_total{section=\"National\",result=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("herald_articles_archived_total 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("herald_fetch_duration_seconds_count"),
        "{metrics}"
    );
    let health = get("/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(get("/nope").starts_with("HTTP/1.1 404"));

    let status = common::cli(&["status", "--config", d.config().to_str().expect("path")]);
    let text = common::stdout(&status);
    assert!(status.status.success(), "{}", common::stderr(&status));
    assert!(
        text.contains("National") && text.contains("ok +3 new"),
        "{text}"
    );
    assert!(text.contains("3 articles"), "{text}");
    let (exit, _) = d.stop(Duration::from_secs(10));
    assert!(exit.success());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// GET on the metrics port: the whole answer, and how long it took.
fn http_get(port: u16, path: &str) -> (String, Duration) {
    use std::io::{Read, Write};
    let start = Instant::now();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    (out, start.elapsed())
}

/// A count from the archive at `db`, 0 while it cannot be read yet.
fn count_at(db: &Path, sql: &str) -> i64 {
    Connection::open(db)
        .and_then(|c| c.query_row(sql, [], |r| r.get(0)))
        .unwrap_or(0)
}

fn start_with_health(server: &FixtureServer, archive_dir: &Path) -> (Daemon, u16) {
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let text = config_text(
        &server.url(),
        &archive_dir.join("archive.db"),
        &[("National", "0 0 1 1 *")],
        &format!("metrics_addr = \"127.0.0.1:{port}\""),
    );
    std::fs::write(dir.path().join("herald.toml"), text).expect("config");
    let d = spawn(dir);
    (d, port)
}

#[test]
fn health_says_503_within_a_second_while_another_process_holds_the_archive_lock() {
    let server = common::fast_fixture_server();
    let archive_dir = tempfile::tempdir().expect("tempdir");
    let (mut d, port) = start_with_health(&server, archive_dir.path());
    let db = archive_dir.path().join("archive.db");
    let count = |sql: &str| count_at(&db, sql);
    wait_for("a National run", Duration::from_secs(10), || {
        count("SELECT count(*) FROM crawl_runs WHERE status = 'ok'") == 1
    });
    let (ok, _) = http_get(port, "/healthz");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");

    let holder = Connection::open(&db).expect("open");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the lock");
    let (locked, took) = http_get(port, "/healthz");
    assert!(locked.starts_with("HTTP/1.1 503"), "{locked}");
    assert!(
        locked.contains("another process holds its write lock"),
        "the reason is given: {locked}"
    );
    assert!(took < Duration::from_secs(1), "answered in {took:?}");
    holder.execute_batch("ROLLBACK").expect("release");
    drop(holder);

    let (back, _) = http_get(port, "/healthz");
    assert!(back.starts_with("HTTP/1.1 200"), "healthy again: {back}");
    let (exit, _) = d.stop(Duration::from_secs(10));
    assert!(exit.success(), "{}", d.log());
}

#[test]
fn health_says_503_on_a_full_disk_and_200_once_space_is_freed() {
    let Some(disk) = common::disk::SmallDisk::mount("24m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let server = common::fast_fixture_server();
    let (mut d, port) = start_with_health(&server, &disk.0);
    let db = disk.0.join("archive.db");
    let count = |sql: &str| count_at(&db, sql);
    wait_for("a National run", Duration::from_secs(10), || {
        count("SELECT count(*) FROM crawl_runs WHERE status = 'ok'") == 1
    });
    let archived = count("SELECT count(*) FROM articles");
    let filler = disk.fill();
    let (full, took) = http_get(port, "/healthz");
    assert!(full.starts_with("HTTP/1.1 503"), "{full}");
    assert!(full.contains("disk is full"), "the reason is given: {full}");
    assert!(took < Duration::from_secs(1), "answered in {took:?}");

    std::fs::remove_file(&filler).expect("free the disk");
    let (back, _) = http_get(port, "/healthz");
    assert!(back.starts_with("HTTP/1.1 200"), "healthy again: {back}");
    assert_eq!(count("SELECT count(*) FROM articles"), archived);
    let (exit, _) = d.stop(Duration::from_secs(10));
    assert!(exit.success(), "{}", d.log());
    integrity_at(&db);
}

#[test]
fn a_crawl_next_to_the_daemon_is_refused_and_the_daemons_run_goes_on() {
    let mirror = common::mirror::Mirror::start(150, Duration::from_millis(20));
    let dir = tempfile::tempdir().expect("tempdir");
    mirror.config(dir.path(), 1, 2, "");
    let mut d = spawn(dir);
    wait_for(
        "the daemon's run to archive",
        Duration::from_secs(20),
        || d.try_count("SELECT count(*) FROM articles") >= 10,
    );
    let out = common::cli(&["crawl", "--config", d.config().to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!("pid {}", d.child.id())) && err.contains("herald-archiver run"),
        "the refusal names the daemon: {err}"
    );
    assert_eq!(
        d.count("SELECT count(*) FROM crawl_runs WHERE status = 'running'"),
        1
    );
    mirror.set_delay(Duration::ZERO);
    wait_for("the daemon's run to end", Duration::from_secs(30), || {
        d.count("SELECT count(*) FROM crawl_runs WHERE status != 'running'") == 1
    });
    assert_eq!(
        d.count("SELECT count(*) FROM crawl_runs WHERE status = 'ok'"),
        1,
        "the daemon's run was not disturbed: {}",
        d.log()
    );
    assert_eq!(d.count("SELECT count(*) FROM articles"), 150);
    let (exit, _) = d.stop(Duration::from_secs(10));
    assert!(exit.success());
    integrity_ok(&d);
}

#[test]
fn a_flood_of_silent_connections_to_the_metrics_port_is_capped_and_clears() {
    let server = common::fast_fixture_server();
    let archive_dir = tempfile::tempdir().expect("tempdir");
    let (mut d, port) = start_with_health(&server, archive_dir.path());
    wait_for("the metrics port", Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    // 200 clients that connect and say nothing.
    let silent: Vec<std::net::TcpStream> = (0..200)
        .filter_map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    assert!(silent.len() > 32);
    wait_for("the cap in the log", Duration::from_secs(10), || {
        d.log().contains("connections open already")
    });
    // A silent client is dropped after 2 s: then the port answers again.
    std::thread::sleep(Duration::from_millis(2500));
    let (answer, took) = http_get(port, "/metrics");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    drop(silent);
    let (status, _) = d.stop(Duration::from_secs(10));
    assert!(status.success(), "{}", d.log());
}

#[test]
fn a_tick_during_the_catch_up_delay_runs_the_section() {
    let server = common::fast_fixture_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let text = config_text(
        &server.url(),
        &dir.path().join("archive.db"),
        &[("National", "* * * * * *")],
        "",
    )
    .replace("catch_up_delay = \"0s\"", "catch_up_delay = \"20s\"");
    std::fs::write(dir.path().join("herald.toml"), text).expect("config");
    let mut d = spawn(dir);
    // The catch-up waits up to 20 s; the every-second schedule does not.
    wait_for("a scheduled run", Duration::from_secs(10), || {
        runs(&d, "National", "ok") >= 1
    });
    assert!(
        !d.log().contains("this tick is skipped") || runs(&d, "National", "ok") >= 2,
        "ticks were skipped for the catch-up's delay:\n{}",
        d.log()
    );
    let (status, _) = d.stop(Duration::from_secs(10));
    assert!(status.success(), "{}", d.log());
    assert_eq!(d.count("SELECT count(*) FROM articles"), 3);
}

#[test]
fn a_feed_added_by_reload_is_read_on_its_sections_schedule() {
    let server = common::fast_fixture_server();
    let mut d = start(&server, &[("National", "* * * * * *")]);
    wait_for("a National run", Duration::from_secs(15), || {
        runs(&d, "National", "ok") >= 1
    });
    // Only the feed has this story.
    let only_in_feed = "SELECT count(*) FROM article_urls WHERE url = 'https://www.koreaherald.com/article/10915102'";
    assert_eq!(d.try_count(only_in_feed), 0);
    let mut text = config_text(
        &server.url(),
        &d.dir.path().join("archive.db"),
        &[("National", "* * * * * *")],
        "",
    );
    text.push_str(
        "\n[[section]]\nname = \"All news\"\nfeeds = [\"/rss/newsAll\"]\nschedule = \"* * * * * *\"\n",
    );
    std::fs::write(d.config(), text).expect("config");
    d.signal("HUP");
    wait_for(
        "the feed's story archived after reload",
        Duration::from_secs(15),
        || d.try_count(only_in_feed) == 1,
    );
    wait_for("an All news run", Duration::from_secs(15), || {
        d.try_count("SELECT count(*) FROM crawl_runs WHERE section = 'All news' AND status = 'ok' AND feeds + feeds_not_modified = 1") >= 2
    });
    // Later runs ask conditionally and get 304s.
    assert!(
        d.try_count(
            "SELECT count(*) FROM crawl_runs WHERE section = 'All news' AND feeds_not_modified = 1"
        ) >= 1,
        "{}",
        d.log()
    );
    let (status, _) = d.stop(Duration::from_secs(5));
    assert!(status.success());
    integrity_ok(&d);
}

/// A daemon running a section every second; `action` is done to its archive
/// after the first run, then /healthz must answer 503 with `needle` and what
/// to do, and the log say so at ERROR.
fn health_notices(action: impl Fn(&Path), needle: &str) {
    let server = common::fast_fixture_server();
    let archive_dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = archive_dir.path().join("archive.db");
    let text = config_text(
        &server.url(),
        &db,
        &[("National", "* * * * * *")],
        &format!("metrics_addr = \"127.0.0.1:{port}\""),
    );
    std::fs::write(dir.path().join("herald.toml"), text).expect("config");
    let mut d = spawn(dir);
    wait_for("a National run", Duration::from_secs(10), || {
        count_at(&db, "SELECT count(*) FROM crawl_runs WHERE status = 'ok'") >= 1
    });
    let (ok, _) = http_get(port, "/healthz");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    action(&db);
    let mut answer = String::new();
    let waited = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_for("/healthz to say 503", Duration::from_secs(10), || {
            answer = http_get(port, "/healthz").0;
            answer.starts_with("HTTP/1.1 503")
        })
    }));
    assert!(waited.is_ok(), "still {answer}\n{}", d.log());
    assert!(answer.contains(needle), "the reason is given: {answer}");
    assert!(
        answer.contains("stop herald-archiver"),
        "and what to do: {answer}"
    );
    let (exit, _) = d.stop(Duration::from_secs(10));
    assert!(exit.success(), "{}", d.log());
    let log = d.log();
    assert!(
        log.contains("ERROR") && log.contains(needle),
        "said at ERROR:\n{log}"
    );
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// A copy of the archive as it is now, made the way a user would.
fn backup_of(db: &Path) -> PathBuf {
    let copy = db.with_file_name("copy.db");
    Connection::open(db)
        .and_then(|c| c.execute("VACUUM INTO ?1", [copy.to_str().expect("path")]))
        .expect("VACUUM INTO");
    copy
}

#[test]
fn health_says_503_when_the_archive_is_deleted_under_the_daemon() {
    health_notices(
        |db| {
            for s in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(sidecar(db, s));
            }
        },
        "was deleted while this process had it open",
    );
}

#[test]
fn health_says_503_when_the_archive_is_replaced_under_the_daemon() {
    health_notices(
        |db| {
            let copy = backup_of(db);
            std::fs::rename(copy, db).expect("mv copy.db archive.db");
        },
        "was replaced by another file",
    );
}

#[test]
fn health_says_503_when_the_wal_is_deleted_under_the_daemon() {
    health_notices(
        |db| std::fs::remove_file(sidecar(db, "-wal")).expect("rm -wal"),
        "write-ahead log",
    );
}

#[test]
fn health_says_503_when_the_archive_is_overwritten_in_place() {
    health_notices(
        |db| {
            // `cp` writes into the same inode: the path still names it.
            let page = common::fixtures().join("site/article/10915230.html");
            std::fs::write(db, std::fs::read(page).expect("page")).expect("cp over");
        },
        "not an SQLite database",
    );
}

#[test]
fn status_after_sigkill_says_the_run_was_interrupted_and_no_run_is_next() {
    let server = common::fast_fixture_server();
    server.slow_down("/article/", Duration::from_secs(4));
    let mut d = start(&server, &[("National", "0 0 1 1 *")]);
    wait_for(
        "an article request in flight",
        Duration::from_secs(10),
        || server.targets().iter().any(|t| t.starts_with("/article/")),
    );
    let cfg = d.config();
    let status = || {
        common::stdout(&common::cli(&[
            "status",
            "--config",
            cfg.to_str().expect("path"),
        ]))
    };
    let alive = status();
    let line = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("National"))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line(&alive).contains(" running "), "{alive}");
    assert!(
        line(&alive).contains("-01-01 00:00"),
        "next run shown: {alive}"
    );
    let pid = d.child.id();
    d.signal("KILL");
    let _ = d.child.wait();
    let after = line(&status());
    assert!(
        after.contains(&format!("interrupted (pid {pid} is gone)")),
        "{after}"
    );
    assert!(after.contains("- (no daemon)"), "{after}");
}

#[test]
fn a_reader_closing_its_connection_never_takes_the_daemons_wal_away() {
    // Closing any descriptor of a file drops the process's fcntl locks on it:
    // had the daemon opened and closed the archive to check it, a copy
    // made with `VACUUM INTO` would find itself the last connection on
    // closing and delete the daemon's WAL (seen with checks/archive_files.sh).
    let mirror = common::mirror::Mirror::start(3000, Duration::ZERO);
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    mirror.config(dir.path(), 30, 30, "");
    let path = dir.path().join("herald.toml");
    let text = std::fs::read_to_string(&path)
        .expect("config")
        .replace("schedule = \"0 3 * * *\"", "schedule = \"* * * * * *\"")
        + &format!("\n[daemon]\nmetrics_addr = \"127.0.0.1:{port}\"\ngrace_period = \"1s\"\n");
    std::fs::write(&path, text).expect("config");
    let db = dir.path().join("archive.db");
    let copy = dir.path().join("copy.db");
    let mut d = spawn(dir);
    wait_for("the daemon to archive", Duration::from_secs(20), || {
        count_at(&db, "SELECT count(*) FROM articles") >= 200
    });
    for _ in 0..3 {
        let (ok, _) = http_get(port, "/healthz");
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        let _ = std::fs::remove_file(&copy);
        // Python's sqlite3, as a user's script: it deleted the WAL.
        let copied = Command::new("python3")
            .args([
                "-c",
                "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('VACUUM INTO ?', (sys.argv[2],))",
            ])
            .arg(&db)
            .arg(&copy)
            .status()
            .expect("python3 runs");
        assert!(copied.success());
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            sidecar(&db, "-wal").exists(),
            "the daemon's WAL was deleted"
        );
    }
    let (ok, _) = http_get(port, "/healthz");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    let (exit, _) = d.stop(Duration::from_secs(10));
    assert!(exit.success(), "{}", d.log());
    integrity_at(&db);
}
