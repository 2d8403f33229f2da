//! The archive as SQL users meet it: search syntax and filters, export,
//! backup, readers during a crawl, and upgrades from older schemas.

mod common;

use common::pages;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::server::{Response, Server};
use rusqlite::Connection;

struct Env {
    _server: common::server::FixtureServer,
    dir: tempfile::TempDir,
    config: PathBuf,
}

fn crawled() -> Env {
    let server = common::fast_fixture_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("herald.toml");
    let mut text = format!(
        "[site]\nbase_url = \"{}\"\nmax_pages = 2\n\n[archive]\npath = \"{}\"\n\n[http]\nmin_delay = \"0s\"\n",
        server.url(),
        dir.path().join("archive.db").display()
    );
    for s in ["National", "Business", "LifenCulture", "Opinion"] {
        text.push_str(&format!(
            "\n[[section]]\nname = \"{s}\"\npath = \"/{s}\"\nschedule = \"0 * * * *\"\npages = 2\n"
        ));
    }
    std::fs::write(&config, text).expect("config");
    let env = Env {
        _server: server,
        dir,
        config,
    };
    env.ok(&["crawl"]);
    env
}

impl Env {
    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec![args[0], "--config", self.config.to_str().expect("path")];
        all.extend_from_slice(&args[1..]);
        common::cli(&all)
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", common::stderr(&out));
        common::stdout(&out)
    }

    fn urls(&self, args: &[&str]) -> Vec<String> {
        let mut all = vec!["search", "--format", "json"];
        all.extend_from_slice(args);
        self.ok(&all)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("json line");
                v["url"]
                    .as_str()
                    .unwrap_or_default()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }
}

#[test]
fn search_speaks_fts5_and_filters() {
    let e = crawled();
    // Stemming, phrases, prefixes, NEAR, column filters, boolean operators.
    assert_eq!(e.urls(&["protect"]), ["10915012"]);
    assert_eq!(e.urls(&["\"data protection bill\""]), ["10915012"]);
    assert!(e.urls(&["\"protection data bill\""]).is_empty());
    assert!(e.urls(&["chipmak*"]).contains(&"10915230".to_string()));
    assert_eq!(e.urls(&["NEAR(Kakao interface, 12)"]), ["10915188"]);
    assert!(e.urls(&["NEAR(Kakao interface, 3)"]).is_empty());
    assert_eq!(e.urls(&["title:recovery"]), ["10914877"]);
    assert!(e.urls(&["subtitle:recovery"]).is_empty());
    assert_eq!(e.urls(&["Kakao NOT chip"]), ["10915188"]);
    // Diacritics are ignored and Korean words are found.
    assert_eq!(e.urls(&["lumine"]), ["10915102"]);
    assert_eq!(e.urls(&["개인정보"]), ["10915012"]);
    // A title match outranks a body match.
    let both = e.urls(&["recovery OR exports"]);
    assert_eq!(both.first().map(String::as_str), Some("10914877"));

    // Filters.
    assert_eq!(e.urls(&["the"]).len(), 6);
    let mut business = e.urls(&["the", "--section", "business"]);
    business.sort();
    assert_eq!(business, ["10915188", "10915230"]);
    assert_eq!(e.urls(&["the", "--author", "kim arin"]), ["10915012"]);
    assert_eq!(e.urls(&["the", "--until", "2024-01-01"]), ["10072519"]);
    let mut recent = e.urls(&["the", "--since", "2026-11-27T12:00:00Z"]);
    recent.sort();
    assert_eq!(recent, ["10915102", "10915230"]);
    assert!(!e
        .urls(&["the", "--since", "2026-11-27"])
        .contains(&"10072519".to_string()));
    assert_eq!(e.urls(&["the", "--limit", "1"]).len(), 1);

    // CSV with a header; plain text has no terminal highlighting in a pipe.
    let csv = e.ok(&["search", "--format", "csv", "privacy"]);
    assert!(
        csv.starts_with("url,title,section,published_at,rank,snippet\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\"Assembly passes revised data protection bill amid privacy concerns\"")
            || csv.contains("Assembly passes revised data protection bill amid privacy concerns,")
    );
    let text = e.ok(&["search", "privacy"]);
    assert!(!text.contains('\u{1b}'), "ANSI codes in a pipe: {text:?}");

    // A broken query is a clear error, not an SQL dump.
    let out = e.run(&["search", "NEAR(unbalanced"]);
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(
        err.contains("bad search query") && !err.contains("SqliteFailure"),
        "{err}"
    );
    let out = e.run(&["search", "x", "--since", "yesterday"]);
    assert!(!out.status.success());
}

#[test]
fn export_streams_every_article_as_jsonl_or_csv() {
    let e = crawled();
    let jsonl = e.ok(&["export"]);
    let records: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(records.len(), 6);
    let seed = records
        .iter()
        .find(|r| r["url"] == "https://www.koreaherald.com/article/10072519")
        .expect("seed article");
    assert_eq!(seed["addresses"].as_array().map(Vec::len), Some(2));
    assert_eq!(seed["authors"][0], "Yonhap");
    // Oldest first.
    assert_eq!(
        records[0]["url"],
        "https://www.koreaherald.com/article/10072519"
    );

    let national = e.ok(&["export", "--section", "National", "--since", "2026-01-01"]);
    assert_eq!(national.lines().count(), 1, "{national}");

    let csv = e.ok(&["export", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,url,title,subtitle,authors,section,subsection,published_at,updated_at,body,captions,images,revision,content_hash,addresses")
    );
    // Bodies hold newlines and quotes inside quoted fields: a record starts
    // with its id and address.
    let rows = csv
        .lines()
        .filter(|l| {
            l.split_once(',').is_some_and(|(id, rest)| {
                id.parse::<i64>().is_ok() && rest.starts_with("https://www.koreaherald.com/")
            })
        })
        .count();
    assert_eq!(rows, 6);
    assert!(
        csv.contains("\"[\"\"Yonhap\"\"]\""),
        "lists are quoted JSON"
    );
}

#[test]
fn backup_is_a_consistent_copy_and_never_overwrites() {
    let e = crawled();
    let copy = e.dir.path().join("copy.db");
    e.ok(&["backup", copy.to_str().expect("path")]);
    let conn = Connection::open(&copy).expect("open the copy");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 6);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(check, "ok");
    let out = e.run(&["backup", copy.to_str().expect("path")]);
    assert!(!out.status.success());
    assert!(common::stderr(&out).contains("already exists"));
}

#[test]
fn a_backup_never_leaves_a_partial_file_nor_writes_through_a_symlink() {
    let e = crawled();
    // What a killed backup left: its partial file and journal.
    let copy = e.dir.path().join("copy.db");
    let partial = e.dir.path().join(".copy.db.partial");
    std::fs::write(&partial, b"half a database").expect("partial");
    std::fs::write(e.dir.path().join(".copy.db.partial-journal"), b"j").expect("journal");
    e.ok(&["backup", copy.to_str().expect("path")]);
    let names: Vec<String> = std::fs::read_dir(e.dir.path())
        .expect("dir")
        .filter_map(|d| d.ok().map(|d| d.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.contains("copy"))
        .collect();
    assert_eq!(names, ["copy.db"], "no partial file or journal left");
    let n: i64 = Connection::open(&copy)
        .and_then(|c| c.query_row("SELECT count(*) FROM articles", [], |r| r.get(0)))
        .expect("count");
    assert_eq!(n, 6);

    // A dangling symlink: refused, and nothing written where it points.
    let link = e.dir.path().join("link.db");
    let target = e.dir.path().join("elsewhere.db");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let out = e.run(&["backup", link.to_str().expect("path")]);
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("or is a symlink"),
        "{}",
        common::stderr(&out)
    );
    assert!(!target.exists());

    // A folder it cannot write: an error, no partial file anywhere.
    let out = e.run(&["backup", "/proc/no-such-dir/copy.db"]);
    assert!(!out.status.success());
}

/// A mirror of many articles, so a crawl writes for a while.
fn mirror(total: u64) -> Server {
    let template = std::fs::read_to_string(common::fixtures().join("site/article/10915012.html"))
        .expect("template");
    let handler = move |target: &str| -> Response {
        if target == "/robots.txt" {
            return Response::status(200, "User-agent: *\n").content_type("text/plain");
        }
        if let Some(rest) = target.strip_prefix("/Mirror") {
            let page = rest
                .strip_prefix("?page=")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1u64);
            if (page - 1) * 100 < total {
                return Response::html(pages::mirror_listing(page, 100, 30_000_000, total));
            }
        }
        if let Some(id) = target
            .strip_prefix("/article/")
            .and_then(|i| i.parse::<u64>().ok())
        {
            return Response::html(pages::mirror_article(&template, 10915012, id));
        }
        Response::not_found()
    };
    Server::start(0, Arc::new(handler)).expect("mirror")
}

#[test]
fn readers_never_see_database_is_locked_during_a_crawl() {
    let server = mirror(3000);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("archive.db");
    let config = dir.path().join("herald.toml");
    std::fs::write(
        &config,
        format!(
            "[site]\nbase_url = \"{}\"\nmax_pages = 30\n\n[archive]\npath = \"{}\"\n\n[http]\nmin_delay = \"0s\"\nconcurrency = 4\n\n[[section]]\nname = \"Mirror\"\npath = \"/Mirror\"\nschedule = \"0 * * * *\"\npages = 30\n",
            server.url(),
            db.display()
        ),
    )
    .expect("config");
    let cfg = config.to_str().expect("path").to_string();
    // The first page alone creates the schema before the readers start.
    let out = common::cli(&["crawl", "--config", &cfg, "--pages", "1"]);
    assert!(out.status.success(), "{}", common::stderr(&out));

    let writer = std::process::Command::new(env!("CARGO_BIN_EXE_herald-archiver"))
        // --pages asks for the lists unconditionally: the first crawl's
        // validators would otherwise make page 1 a 304.
        .args(["crawl", "--config", &cfg, "--pages", "30"])
        .env_remove("HERALD_ARCHIVER_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("crawl");
    let mut writer = writer;

    // The search command, over and over, in its own thread.
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let searcher = {
        let (done, cfg) = (done.clone(), cfg.clone());
        std::thread::spawn(move || {
            let (mut n, mut errors) = (0, Vec::new());
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let out = common::cli(&[
                    "search",
                    "--config",
                    &cfg,
                    "--format",
                    "json",
                    "mirror story",
                ]);
                if !out.status.success() {
                    errors.push(common::stderr(&out));
                }
                n += 1;
            }
            (n, errors)
        })
    };
    // A plain reader with no busy timeout at all, as the sqlite3 shell has.
    let reader = Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("reader");
    let (mut reads, mut errors) = (0, Vec::new());
    let start = Instant::now();
    let mut last_count = 0i64;
    while writer.try_wait().expect("wait").is_none() && start.elapsed() < Duration::from_secs(120) {
        match reader.query_row(
            "SELECT count(*), (SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'mirror') FROM articles",
            [],
            |r| r.get::<_, i64>(0),
        ) {
            Ok(n) => {
                assert!(n >= last_count, "a reader saw the archive shrink");
                last_count = n;
                reads += 1;
            }
            Err(e) => errors.push(e.to_string()),
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let (searches, search_errors) = searcher.join().expect("searcher");
    errors.extend(search_errors);
    let status = writer.wait().expect("crawl ends");
    assert!(status.success());
    assert!(
        errors.is_empty(),
        "{} errors, e.g. {:?}",
        errors.len(),
        errors.first()
    );
    assert!(
        reads > 20 && searches > 2,
        "{reads} reads, {searches} searches: the crawl was too short to test"
    );
    assert!(last_count > 0);
    let conn = Connection::open(&db).expect("open");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 3000);
}

#[test]
fn an_archive_from_the_first_schema_upgrades_without_losing_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.db");
    {
        let conn = Connection::open(&path).expect("create");
        let v1 = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/0001_init.sql"),
        )
        .expect("first migration");
        conn.execute_batch(&v1).expect("schema v1");
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO articles (url, title, authors, section, published_at, updated_at, body,
                                   content_hash, first_seen_at, last_checked_at)
             VALUES ('https://www.koreaherald.com/article/1', 'Old headline', '[\"Kim Arin\"]',
                     'National', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z',
                     'An archived story about the privacy bill.', 'h1', '2025-01-01T00:00:00Z',
                     '2025-01-01T00:00:00Z');
             INSERT INTO article_urls VALUES ('https://www.koreaherald.com/article/1', 1, '2025-01-01T00:00:00Z');
             INSERT INTO article_revisions (article_id, revision, fetched_at, content_hash, title,
                 authors, body, captions, images, sources)
             VALUES (1, 1, '2025-01-01T00:00:00Z', 'h1', 'Old headline', '[]',
                     'An archived story about the privacy bill.', '[]', '[]', '{}');
             INSERT INTO crawl_runs (section, started_at, finished_at, status, new_articles)
             VALUES ('National', '2025-01-01T00:00:00Z', '2025-01-01T00:01:00Z', 'ok', 1);
             INSERT INTO pending_fetches VALUES ('https://www.koreaherald.com/article/2', 'National', 1,
                 'GET: 500', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', '2025-01-01T01:00:00Z');",
        )
        .expect("v1 data");
    }
    let archive = herald_archiver::archive::Archive::open(&path).expect("upgrade");
    let conn = archive.connection();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, herald_archiver::archive::Archive::latest_version());
    let (title, addresses, revisions, runs, pending_status): (String, String, i64, i64, String) =
        conn.query_row(
            "SELECT a.title, a.addresses,
                    (SELECT count(*) FROM article_revisions), (SELECT count(*) FROM crawl_runs),
                    (SELECT status FROM pending_fetches)
             FROM article_latest a",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .expect("old rows through the new view");
    assert_eq!(title, "Old headline");
    assert!(addresses.contains("article/1"));
    assert_eq!(
        (revisions, runs, pending_status.as_str()),
        (1, 1, "pending")
    );
    let hits = archive
        .search(
            &herald_archiver::archive::Search {
                query: "privacy".into(),
                limit: 5,
                ..Default::default()
            },
            ("", ""),
        )
        .expect("search");
    assert_eq!(hits.len(), 1, "the old full-text index still answers");
    let origin: String = conn
        .query_row("SELECT origin FROM article_revisions", [], |r| r.get(0))
        .expect("new column");
    assert_eq!(origin, "fetch");
}

#[test]
fn datasettes_canned_search_with_no_query_shows_nothing_and_the_views_agree() {
    let e = crawled();
    let meta: serde_json::Value = serde_json::from_str(&e.ok(&["datasette"])).expect("json");
    let db = &meta["databases"]["archive"];
    assert!(
        db["title"].is_string() && db["description"].is_string(),
        "{db}"
    );
    let sql = db["queries"]["search"]["sql"].as_str().expect("search sql");
    let conn = Connection::open(e.dir.path().join("archive.db")).expect("open");
    for (q, want) in [("", 0), ("   ", 0), ("privacy", 1)] {
        let rows = conn
            .prepare(sql)
            .and_then(|mut st| {
                st.query_map(rusqlite::named_params! {":q": q}, |_| Ok(()))?
                    .collect::<rusqlite::Result<Vec<()>>>()
            })
            .map(|rows| rows.len())
            .unwrap_or_else(|err| panic!("q = {q:?}: {err}"));
        assert_eq!(rows, want, "q = {q:?}");
    }
    let later: i64 = conn
        .query_row(
            "SELECT count(*) FROM section_health WHERE last_success > last_run",
            [],
            |r| r.get(0),
        )
        .expect("section_health");
    assert_eq!(later, 0, "a success after the last run");
    let cols: Vec<String> = conn
        .prepare("SELECT * FROM article_index")
        .expect("article_index")
        .column_names()
        .map(String::from)
        .collect();
    assert!(!cols.contains(&"body".to_string()) && cols.contains(&"title".to_string()));
}
