//! Black-box: the `crawl` and `search` commands against the fixture site
//! served on 127.0.0.1, checked through the archive a user would query.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use common::server::{FixtureServer, Response};
use rusqlite::Connection;

struct Setup {
    server: FixtureServer,
    _dir: tempfile::TempDir,
    config: PathBuf,
    db: PathBuf,
}

/// The fixture articles are dated November 2026; a wide revisit window keeps
/// them "young" whatever day the tests run.
fn setup(max_pages: u32) -> Setup {
    let server = common::fast_fixture_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("archive.db");
    let config = dir.path().join("herald.toml");
    let text = format!(
        r#"
[site]
base_url = "{base}"
max_pages = {max_pages}

[archive]
path = "{db}"

[http]
min_delay = "0s"
timeout = "10s"

[retry]
base_delay = "50ms"

[revisit]
window = "36500d"
interval = "3650d"

[[section]]
name = "National"
path = "/National"
schedule = "*/15 * * * *"
pages = 2

[[section]]
name = "Business"
path = "/Business"
schedule = "*/30 * * * *"

[[section]]
name = "LifenCulture"
path = "/LifenCulture"
schedule = "0 * * * *"

[[section]]
name = "Opinion"
path = "/Opinion"
schedule = "0 */3 * * *"
"#,
        base = server.url(),
        db = db.display()
    );
    std::fs::write(&config, text).expect("write config");
    Setup {
        server,
        _dir: dir,
        config,
        db,
    }
}

fn crawl(s: &Setup, extra: &[&str]) -> String {
    let mut args = vec!["crawl", "--config", s.config.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    let out = common::cli(&args);
    assert!(
        out.status.success(),
        "crawl failed: {}",
        common::stderr(&out)
    );
    common::stdout(&out)
}

fn db(path: &Path) -> Connection {
    Connection::open(path).expect("open archive")
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

fn is_article_request(target: &str) -> bool {
    target.starts_with("/article/") || target.starts_with("/view.php")
}

#[test]
fn a_fresh_crawl_archives_each_article_once_and_a_second_crawl_fetches_no_article() {
    let s = setup(2);
    let summary = crawl(&s, &[]);
    for section in ["National:", "Business:", "LifenCulture:", "Opinion:"] {
        assert!(
            summary.contains(section),
            "summary lacks {section}: {summary}"
        );
    }

    let conn = db(&s.db);
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 6);
    let seed_addresses: Vec<String> = conn
        .prepare(
            "SELECT u.url FROM article_urls u JOIN articles a ON a.id = u.article_id
             WHERE a.url = 'https://www.koreaherald.com/article/10072519' ORDER BY u.url",
        )
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .expect("addresses");
    assert_eq!(
        seed_addresses,
        [
            "https://www.koreaherald.com/article/10072519",
            "https://www.koreaherald.com/view.php?ud=20230330000512"
        ]
    );
    // Mobile host and tracking parameters landed on the canonical record.
    assert_eq!(
        count(&conn, "SELECT count(*) FROM article_urls WHERE url LIKE '%m.koreaherald%' OR url LIKE '%utm_%'"),
        0
    );

    let targets = s.server.targets();
    assert!(
        !targets.iter().any(|t| t == "/article/10999999"),
        "robots.txt was not obeyed"
    );
    let mut once = HashSet::new();
    for t in &targets {
        assert!(
            once.insert(t),
            "{t} requested twice in one run: {targets:?}"
        );
    }
    // Links from the breaking-news bar and "Most Popular" are not this site's list.
    assert!(!targets
        .iter()
        .any(|t| t == "/article/10915299" || t == "/article/10914702"));

    // The soft 404 is not archived, and its failure is recorded with the reason.
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM article_urls WHERE url LIKE '%10915404'"
        ),
        0
    );
    let reason: String = conn
        .query_row(
            "SELECT last_error FROM pending_fetches WHERE url = 'https://www.koreaherald.com/article/10915404'",
            [],
            |r| r.get(0),
        )
        .expect("pending fetch recorded");
    assert!(reason.contains("not an article"), "{reason}");
    assert_eq!(
        count(
            &conn,
            "SELECT failures FROM crawl_runs WHERE section = 'LifenCulture'"
        ),
        1
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM article_revisions"), 6);

    s.server.clear_log();
    let summary = crawl(&s, &[]);
    let again = s.server.targets();
    assert!(
        !again.iter().any(|t| is_article_request(t)),
        "second crawl requested articles: {again:?}\n{summary}"
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 6);
}

#[test]
fn listing_goes_past_pages_while_every_link_is_new_but_stops_at_max_pages() {
    let s = setup(1);
    crawl(&s, &["--section", "National", "--pages", "1"]);
    let targets = s.server.targets();
    assert!(targets.contains(&"/National".to_string()));
    assert!(
        !targets.contains(&"/National?page=2".to_string()),
        "{targets:?}"
    );

    // With room to go on, a page of only new links leads to the next page.
    let s = setup(3);
    crawl(&s, &["--section", "National", "--pages", "1"]);
    let targets = s.server.targets();
    assert!(
        targets.contains(&"/National?page=2".to_string()),
        "{targets:?}"
    );
}

#[test]
fn an_edited_article_becomes_a_new_revision_on_revisit() {
    let s = setup(2);
    crawl(&s, &[]);
    let conn = db(&s.db);
    let bill = "https://www.koreaherald.com/article/10915012";

    s.server
        .replace("/article/10915012", "site/article/10915012-revised.html");
    s.server.clear_log();
    let summary = crawl(&s, &["--revisit"]);
    assert!(summary.contains("(revisit):"), "{summary}");
    // Revisits are conditional: unchanged pages answer 304.
    let revisits: Vec<_> = s
        .server
        .requests()
        .into_iter()
        .filter(|r| is_article_request(&r.target))
        .collect();
    assert_eq!(revisits.len(), 6, "{revisits:?}");
    assert!(revisits.iter().all(|r| r.if_none_match.is_some()));
    assert_eq!(revisits.iter().filter(|r| r.status == 304).count(), 5);

    let (revision, updated, body): (i64, String, String) = conn
        .query_row(
            "SELECT revision, updated_at, body FROM articles WHERE url = ?1",
            [bill],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("bill");
    assert_eq!(revision, 2);
    assert_eq!(updated, "2026-11-27T12:05:00Z");
    assert!(body.contains("re-identified individuals"));
    let first_body: String = conn
        .query_row(
            "SELECT r.body FROM article_revisions r JOIN articles a ON a.id = r.article_id
             WHERE a.url = ?1 AND r.revision = 1",
            [bill],
            |r| r.get(0),
        )
        .expect("first revision");
    assert!(!first_body.contains("re-identified"));
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 6);

    // Without --revisit, nothing is due yet: the interval has not passed.
    s.server.clear_log();
    crawl(&s, &[]);
    assert!(!s.server.targets().iter().any(|t| is_article_request(t)));

    // The new text is searchable; the old wording of the row is gone from the index.
    let out = common::cli(&[
        "search",
        "--config",
        s.config.to_str().expect("path"),
        "--json",
        "re-identified",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let hits: Vec<serde_json::Value> = common::stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["url"], bill);
}

#[test]
fn search_finds_archived_articles_with_rank_and_snippet() {
    let s = setup(2);
    crawl(&s, &[]);
    let cfg = s.config.to_str().expect("path");
    let out = common::cli(&["search", "--config", cfg, "--json", "data protection"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let first: serde_json::Value =
        serde_json::from_str(common::stdout(&out).lines().next().expect("a hit")).expect("json");
    assert_eq!(first["url"], "https://www.koreaherald.com/article/10915012");
    assert_eq!(first["section"], "National");
    assert_eq!(first["published_at"], "2026-11-27T07:02:00Z");
    assert!(first["rank"].is_number());
    assert!(first["snippet"].as_str().is_some_and(|s| !s.is_empty()));
    for field in ["title", "url", "section", "published_at", "rank", "snippet"] {
        assert!(first.get(field).is_some(), "{field}");
    }

    // Stemming, Korean words and plain text output.
    let out = common::cli(&["search", "--config", cfg, "protect"]);
    assert!(common::stdout(&out).contains("Assembly passes revised data protection bill"));
    let out = common::cli(&["search", "--config", cfg, "개인정보"]);
    assert!(
        common::stdout(&out).contains("article/10915012"),
        "{}",
        common::stdout(&out)
    );

    let out = common::cli(&["search", "--config", cfg, "\"unbalanced"]);
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(err.contains("bad search query"), "{err}");

    // A query of 14,000 words once took FTS5 minutes and a gigabyte: refused
    // at once, saying why.
    let huge = "word ".repeat(14_000);
    let started = std::time::Instant::now();
    let out = common::cli(&["search", "--config", cfg, &huge]);
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(err.contains("at most 1000 are accepted"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let many = "a ".repeat(65);
    let out = common::cli(&["search", "--config", cfg, &many]);
    assert!(
        common::stderr(&out).contains("65 words; at most 64"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn search_refuses_limit_0_cuts_long_fields_and_never_echoes_escapes() {
    let s = setup(1);
    crawl(&s, &[]);
    let cfg = s.config.to_str().expect("path");
    let out = common::cli(&["search", "--config", cfg, "--limit", "0", "bill"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a usage error, not 'no matches'"
    );
    assert!(common::stderr(&out).contains("--limit"));

    // A 1 MB headline (a hostile page in an older archive).
    let long = format!("Data protection {}", "x".repeat(1 << 20));
    db(&s.db)
        .execute(
            "UPDATE articles SET title = ?1 WHERE url LIKE '%10915012'",
            [&long],
        )
        .expect("update");
    let out = common::cli(&["search", "--config", cfg, "--limit", "1", "protection"]);
    let text = common::stdout(&out);
    assert!(text.len() < 2_000, "{} bytes", text.len());
    assert!(text.contains("Data protection xxx") && text.contains('…'));
    let out = common::cli(&[
        "search",
        "--config",
        cfg,
        "--json",
        "--limit",
        "1",
        "protection",
    ]);
    assert!(common::stdout(&out).len() > 1 << 20, "json keeps it whole");

    // FTS5 quotes the token it stopped at: here the escape itself.
    let out = common::cli(&["search", "--config", cfg, "\u{1b}]0;owned\u{7}:y"]);
    let err = common::stderr(&out);
    assert!(!out.status.success());
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains("near \"\\u{1b}\""), "{err}");
}

#[test]
fn a_site_that_does_not_answer_is_said_once_and_fails_the_command() {
    let s = setup(1);
    // Point the config at a port nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = dead.local_addr().expect("addr").port();
    drop(dead);
    let text = std::fs::read_to_string(&s.config)
        .expect("config")
        .replace(&s.server.url(), &format!("http://127.0.0.1:{port}"));
    std::fs::write(&s.config, text).expect("config");
    let out = common::cli(&["crawl", "--config", s.config.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1), "a section run failed");
    let (summary, err) = (common::stdout(&out), common::stderr(&out));
    // One cause, said once with what to check; a short line per section.
    assert_eq!(
        err.matches("sections failed for one cause").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("4 sections failed") && err.contains("check:"),
        "{err}"
    );
    assert!(
        err.contains("Connection refused") || err.contains("connection refused"),
        "{err}"
    );
    assert_eq!(
        summary.matches("run failed (the cause above)").count(),
        4,
        "{summary}"
    );
    assert!(summary.lines().all(|l| l.len() < 80), "{summary}");
    let conn = db(&s.db);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM crawl_runs WHERE status = 'failed'"
        ),
        4
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 0);
}

#[test]
fn a_bad_config_is_an_error_that_names_the_line() {
    let s = setup(1);
    let text = std::fs::read_to_string(&s.config).expect("config")
        + "\n[[section]]\nname = \"X\"\npath = \"/X\"\nschedule = \"every day\"\n";
    std::fs::write(&s.config, text).expect("config");
    let out = common::cli(&["crawl", "--config", s.config.to_str().expect("path")]);
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(
        err.contains(".schedule: schedule \"every day\" has 2 fields"),
        "{err}"
    );
    assert!(err.contains("1 problem"), "{err}");
    assert!(
        !s.db.exists(),
        "nothing should be created from a bad config"
    );
}

#[test]
fn every_config_problem_is_reported_at_once_in_file_order_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("bad.toml");
    // Each of these was once accepted and broke later (a panic, nothing
    // fetched), or was reported alone.
    let text = r#"[site]
base_url = "http://127.0.0.1:9"

[archive]
path = "archive.db"
checkpoint_every = "0s"
maintenance_every = "0s"

[http]
timeout = "0s"
max_body_bytes = 0
speed = 3

[scheduler]
max_concurrent_runs = 0

[retry]
attempts = 0

[[section]]
name = "National"
path = "/National"
schedule = "*/15 * * * *"
pages = 0

[[section]]
name = "National"
path = "/Business"
schedule = "*/15 * * * *"
"#;
    std::fs::write(&config, text).expect("config");
    let path = config.to_str().expect("path");
    for command in ["check-config", "crawl", "run"] {
        let out = common::cli(&[command, "--config", path]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{command}: {}",
            common::stderr(&out)
        );
        let err = common::stderr(&out);
        let want = [
            ":6: archive.checkpoint_every: must be between 1s and 1d, not 0s",
            ":7: archive.maintenance_every: must be between 1m and 30d, not 0s",
            ":10: http.timeout: must be between 1ms and 1h, not 0s",
            ":11: http.max_body_bytes: must be between 1024 (1 KiB) and 1073741824 (1 GiB), not 0",
            ":12: http.speed: unknown field `speed`",
            ":15: scheduler.max_concurrent_runs: must be between 1 and 64",
            ":18: retry.attempts: must be between 1 and 20, not 0",
            ":24: section[1].pages: must be between 1 and 1000, not 0",
            ":27: section[2].name: section name \"National\" is used twice",
        ];
        let mut last = 0;
        for w in want {
            let at = err
                .find(w)
                .unwrap_or_else(|| panic!("{command}: {w:?} missing in\n{err}"));
            assert!(at > last, "{command}: {w:?} out of file order\n{err}");
            last = at;
        }
        assert!(err.contains("9 problems"), "{err}");
    }
    assert!(!dir.path().join("archive.db").exists());

    // A file with no section at all crawls nothing: refused too.
    std::fs::write(
        &config,
        "[site]\nbase_url = \"http://127.0.0.1:9\"\n[archive]\npath = \"a.db\"\n",
    )
    .expect("config");
    let out = common::cli(&["check-config", "--config", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("no [[section]]"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn the_shipped_config_is_valid_and_check_config_shows_next_runs() {
    let cfg = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/herald.toml");
    let out = common::cli(&["check-config", "--config", cfg.to_str().expect("path")]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    let national = text
        .lines()
        .find(|l| l.starts_with("National "))
        .expect("a National line");
    assert_eq!(
        national.matches(", ").count(),
        2,
        "three next runs: {national}"
    );
    for section in [
        "Business",
        "LifenCulture",
        "Sports",
        "World",
        "Opinion",
        "National/Politics",
    ] {
        assert!(text.contains(section), "{section} missing: {text}");
    }
    // The Herald's feeds: each main section's own, and every section's news
    // read by a section of its own.
    for feed in [
        "kh_National",
        "kh_Business",
        "kh_LifenCulture",
        "kh_Sports",
        "kh_World",
        "kh_Opinion",
        "kh_Kpop",
        "newsAll",
    ] {
        assert!(
            text.contains(&format!("feed /rss/{feed}\n")),
            "{feed} missing: {text}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("All news") && l.contains("(feeds only)")),
        "{text}"
    );
}

#[test]
fn the_config_is_found_through_the_environment() {
    let s = setup(1);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_herald-archiver"))
        .arg("check-config")
        .env("HERALD_ARCHIVER_CONFIG", &s.config)
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(common::stdout(&out).contains(s.config.to_str().expect("path")));
}

/// The example queries of docs/schema.md, run against a crawled archive, so the
/// documentation cannot drift from the schema.
#[test]
fn every_documented_example_query_runs_and_answers() {
    let s = setup(2);
    // A near copy of the bill under another id, so the near-duplicate
    // example has something to show.
    let bill = String::from_utf8(s.server.page("/article/10915012")).expect("utf-8");
    let copy = bill.replace("10915012", "10915999").replace(
        "The revision takes effect six months after promulgation.",
        "The revised law takes effect six months after it is promulgated.",
    );
    s.server
        .script("/article/10915999", vec![Response::html(copy)]);
    // The same body under another headline: its own article, linked at 0.
    let retitled = bill.replace("10915012", "10915998").replace(
        "Assembly passes revised data protection bill amid privacy concerns",
        "Data protection bill passes the Assembly",
    );
    s.server
        .script("/article/10915998", vec![Response::html(retitled)]);
    let list = String::from_utf8(s.server.page("/National"))
        .expect("utf-8")
        .replace(
            "<ul class=\"news_list\">",
            "<ul class=\"news_list\"><li><a href=\"/article/10915999\">copy</a></li>\
             <li><a href=\"/article/10915998\">retitled</a></li>",
        );
    s.server.script("/National", vec![Response::html(list)]);
    crawl(&s, &[]);
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema.md"))
        .expect("docs/schema.md");
    let queries: Vec<&str> = doc
        .split("```sql")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .collect();
    assert!(
        queries.len() >= 10,
        "found {} example queries",
        queries.len()
    );
    let conn = db(&s.db);
    for q in queries {
        let mut st = conn.prepare(q).unwrap_or_else(|e| panic!("{e}\n{q}"));
        let rows = st
            .query_map([], |_| Ok(()))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<()>>>())
            .unwrap_or_else(|e| panic!("{e}\n{q}"));
        assert!(!rows.is_empty(), "no rows from:\n{q}");
    }
}

#[test]
fn search_and_status_before_any_crawl_say_what_to_do_and_create_nothing() {
    let s = setup(1);
    for cmd in ["search", "status"] {
        let mut args = vec![cmd, "--config", s.config.to_str().expect("path")];
        if cmd == "search" {
            args.push("bill");
        }
        let out = common::cli(&args);
        assert!(!out.status.success());
        let err = common::stderr(&out);
        assert!(
            err.contains("no archive at") && err.contains("herald-archiver crawl"),
            "{err}"
        );
    }
    assert!(!s.db.exists());
}

/// Crawls with the chips article (10915230) served as `page`, and checks
/// that only that link failed: queued for a retry with a reason containing
/// `reason`, every other article archived, every run finished, nothing left.
fn assert_only_the_chips_link_fails(s: &Setup, page: String, reason: &str) {
    s.server
        .script("/article/10915230", vec![Response::html(page)]);
    let summary = crawl(s, &[]);
    assert!(!summary.contains("run failed"), "{summary}");
    let conn = db(&s.db);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM articles"),
        5,
        "{summary}"
    );
    let error: String = conn
        .query_row(
            "SELECT last_error FROM pending_fetches WHERE url = 'https://www.koreaherald.com/article/10915230'",
            [],
            |r| r.get(0),
        )
        .expect("the failing link is queued for a retry");
    assert!(error.contains(reason), "{error}");
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM crawl_runs WHERE status != 'ok'"
        ),
        0,
        "every run finished"
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM crawl_backlog"), 0);
}

#[test]
fn a_panic_while_extracting_one_page_fails_only_that_link() {
    let s = setup(2);
    let page = String::from_utf8(s.server.page("/article/10915230")).expect("utf-8");
    let poisoned = page.replace(
        "</body>",
        "<!-- herald-archiver test: panic while extracting --></body>",
    );
    assert_only_the_chips_link_fails(&s, poisoned, "extraction panicked");
}

#[test]
fn a_page_naming_another_article_as_canonical_does_not_overwrite_it() {
    let s = setup(2);
    // A template bug: the page of 10915230 says it is 10915012.
    let page = String::from_utf8(s.server.page("/article/10915230")).expect("utf-8");
    let wrong = page.replace("article/10915230", "article/10915012");
    s.server
        .script("/article/10915230", vec![Response::html(wrong)]);
    crawl(&s, &[]);
    let conn = db(&s.db);
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 6);
    let title = |url: &str| -> (String, i64) {
        conn.query_row(
            "SELECT title, revision FROM articles WHERE url = ?1",
            [url],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect(url)
    };
    let (chips, rev) = title("https://www.koreaherald.com/article/10915230");
    assert!(
        chips.starts_with("Chipmakers"),
        "kept under the address fetched: {chips}"
    );
    assert_eq!(rev, 1);
    let (other, rev) = title("https://www.koreaherald.com/article/10915012");
    assert!(
        !other.starts_with("Chipmakers"),
        "the other article is untouched: {other}"
    );
    assert_eq!(rev, 1, "and has no revision from the wrong page");
}

#[test]
fn a_record_the_archive_refuses_fails_only_that_link() {
    let s = setup(2);
    // A fail point (tests' builds only) makes the archive refuse this one record.
    let page = String::from_utf8(s.server.page("/article/10915230")).expect("utf-8");
    let refused = page.replace(
        "Chipmakers lift capex plans",
        "Chipmakers lift capex plans herald-archiver test: refuse to store",
    );
    assert_only_the_chips_link_fails(&s, refused, "could not be stored");
}

#[test]
fn a_page_that_names_no_section_gets_the_section_of_the_list_it_was_found_on() {
    let s = setup(2);
    let plain = r#"<!doctype html><html><head><title>Ferry service resumes after storm</title>
<link rel="canonical" href="https://www.koreaherald.com/article/10915230"></head>
<body><div class="page"><h1>Ferry service resumes after storm</h1>
<p>Ferries between Mokpo and the southern islands resumed on Sunday after two days of high winds kept every boat in port, the operator said.</p>
<p>About 3,000 passengers had been waiting on the mainland, and extra sailings were added through Monday evening to clear the backlog.</p>
<p>The weather agency said calmer seas are expected for the rest of the week.</p></div></body></html>"#;
    s.server
        .script("/article/10915230", vec![Response::html(plain)]);
    crawl(&s, &["--section", "Business"]);
    let conn = db(&s.db);
    let failed: Option<String> = conn
        .query_row(
            "SELECT last_error FROM pending_fetches WHERE url LIKE '%10915230'",
            [],
            |r| r.get(0),
        )
        .ok();
    assert_eq!(failed, None, "the page is archived");
    let (section, source): (Option<String>, String) = conn
        .query_row(
            "SELECT section, json_extract(sources, '$.section') FROM articles
             WHERE url = 'https://www.koreaherald.com/article/10915230'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("archived");
    assert_eq!(section.as_deref(), Some("Business"));
    assert_eq!(source, "given", "recorded as coming from the crawler");
}

#[test]
fn escape_sequences_in_a_page_never_reach_the_archive_or_the_terminal() {
    let s = setup(2);
    let page = String::from_utf8(s.server.page("/article/10915230")).expect("utf-8");
    // An OSC title-setter, a screen clear and a bidi override in the headline
    // and the body, as raw characters and as HTML character references.
    let dirty = page
        .replace(
            "Chipmakers lift capex plans",
            "Chipmakers \u{1b}]0;owned\u{7}lift\u{1b}[2J capex &#x1b;[31mplans\u{202E}",
        )
        .replacen("<p>", "<p>\u{1b}[1mBold\u{1b}[0m \u{9b}2J ", 1);
    assert_ne!(dirty, page);
    s.server
        .script("/article/10915230", vec![Response::html(dirty)]);
    let summary = crawl(&s, &[]);
    assert!(!summary.contains("run failed"), "{summary}");
    let conn = db(&s.db);
    let (title, body): (String, String) = conn
        .query_row(
            "SELECT title, body FROM articles WHERE url LIKE '%/10915230'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("archived");
    assert_eq!(
        title,
        "Chipmakers lift capex plans as AI memory demand surges"
    );
    assert!(body.contains("Bold "), "{body}");
    let controls = |t: &str| t.chars().filter(|c| c.is_control() && *c != '\n').count();
    assert_eq!(controls(&body), 0, "{body:?}");
    assert!(
        !body.contains("  "),
        "what stood between spaces leaves one: {body:?}"
    );

    // An archive written before the cleanup may still hold some: printed
    // escaped, never raw.
    conn.execute(
        "UPDATE articles SET title = title || ' \u{1b}[2J' WHERE url LIKE '%/10915230'",
        [],
    )
    .expect("update");
    for format in ["text", "csv"] {
        let out = common::cli(&[
            "search",
            "--config",
            s.config.to_str().expect("path"),
            "--format",
            format,
            "capex",
        ]);
        assert!(out.status.success(), "{}", common::stderr(&out));
        let text = common::stdout(&out);
        assert!(!text.contains('\u{1b}'), "{format}: raw escape printed");
        assert!(text.contains("\\u{1b}[2J"), "{format}: {text}");
    }
}

#[test]
fn a_page_refused_for_its_shape_fails_only_that_link_with_the_reason() {
    let s = setup(2);
    let page = String::from_utf8(s.server.page("/article/10915230")).expect("utf-8");
    // 5,000 nested <div>s: html5ever's time grows with depth squared.
    let deep = page.replace("</body>", &format!("{}</body>", "<div>".repeat(5_000)));
    assert_only_the_chips_link_fails(&s, deep, "page refused for its shape: elements nested");
}

#[test]
fn after_a_crawl_the_db_file_alone_is_the_whole_archive() {
    let s = setup(1);
    crawl(&s, &[]);
    // What `cp archive.db elsewhere` takes: the file without its -wal.
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("copy.db");
    std::fs::copy(&s.db, &copy).expect("cp");
    let conn = db(&copy);
    let archived = count(&conn, "SELECT count(*) FROM articles");
    assert_eq!(archived, count(&db(&s.db), "SELECT count(*) FROM articles"));
    assert!(archived > 0);
    let mut wal = s.db.as_os_str().to_owned();
    wal.push("-wal");
    let left = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert_eq!(left, 0, "the WAL was checkpointed and truncated");
}

#[test]
fn the_two_layouts_of_one_story_fetched_in_turn_make_one_revision() {
    let s = setup(1);
    let today = "https://www.koreaherald.com/article/10072519";
    let legacy = "https://www.koreaherald.com/view.php?ud=20230330000512";
    for url in [today, legacy, today, legacy] {
        crawl(&s, &["--url", url]);
    }
    let conn = db(&s.db);
    let story = "SELECT count(*) FROM article_revisions r JOIN articles a ON a.id = r.article_id
                 WHERE a.url = 'https://www.koreaherald.com/article/10072519'";
    assert_eq!(
        count(&conn, story),
        1,
        "the layouts' photo names are not an edit"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM article_urls WHERE url LIKE '%20230330000512'"
        ),
        1
    );
}

#[test]
fn a_page_fetched_through_its_legacy_address_is_exported_under_that_address() {
    use std::io::Read;
    let s = setup(1);
    let today = "https://www.koreaherald.com/article/10072519";
    let legacy = "https://www.koreaherald.com/view.php?ud=20230330000512";
    // The legacy address first: its page is the one kept.
    crawl(&s, &["--url", legacy]);
    crawl(&s, &["--url", today]);
    let cfg = s.config.to_str().expect("path");
    let out = common::cli(&["export", "--config", cfg, "--format", "warc"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(&out.stdout[..])
        .read_to_string(&mut text)
        .expect("gzip members");
    let responses: Vec<&str> = text
        .split("WARC/1.1\r\n")
        .filter(|r| r.contains("WARC-Type: response"))
        .collect();
    assert_eq!(responses.len(), 1, "one kept page, once");
    assert!(
        responses[0].contains(&format!("WARC-Target-URI: {legacy}\r\n")),
        "{}",
        &responses[0][..400.min(responses[0].len())]
    );
    // The article's own address is still its record's.
    assert_eq!(
        count(
            &db(&s.db),
            "SELECT count(*) FROM articles WHERE url = 'https://www.koreaherald.com/article/10072519'"
        ),
        1
    );
}

#[test]
fn the_same_kept_page_twice_is_a_revisit_record_not_the_page_again() {
    use std::io::Read;
    let s = setup(1);
    let url = "https://www.koreaherald.com/article/10915012";
    crawl(&s, &["--url", url]);
    // A second revision that kept the very same page (as an older
    // herald-archiver could write after a selector change).
    db(&s.db)
        .execute(
            "INSERT INTO article_revisions (article_id, revision, fetched_at, content_hash, title,
                 subtitle, authors, section, subsection, published_at, updated_at, body, captions,
                 images, sources, layout, origin, page, http_head, fetched_from)
             SELECT article_id, 2, '2026-12-01T00:00:00Z', content_hash, title || ' (fixed)',
                 subtitle, authors, section, subsection, published_at, updated_at, body, captions,
                 images, sources, layout, origin, page, http_head, fetched_from
             FROM article_revisions WHERE revision = 1",
            [],
        )
        .expect("a second revision");
    let cfg = s.config.to_str().expect("path");
    let out = common::cli(&["export", "--config", cfg, "--format", "warc"]);
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(&out.stdout[..])
        .read_to_string(&mut text)
        .expect("gzip members");
    assert_eq!(text.matches("WARC-Type: response\r\n").count(), 1);
    assert_eq!(text.matches("WARC-Type: revisit\r\n").count(), 1);
    assert!(text.contains(
        "WARC-Profile: http://netpreserve.org/warc/1.1/revisit/identical-payload-digest\r\n"
    ));
    assert!(text.contains(&format!("WARC-Refers-To-Target-URI: {url}\r\n")));
    assert_eq!(
        text.matches("WARC-Type: metadata\r\n").count(),
        2,
        "each revision's record"
    );
}

#[test]
fn messages_say_what_is_true() {
    let s = setup(1);
    crawl(&s, &[]);
    let cfg = s.config.to_str().expect("path");
    // Dates are read in [scheduler] timezone, not UTC.
    let out = common::cli(&["search", "--config", cfg, "--since", "yesterday", "bill"]);
    let err = common::stderr(&out);
    assert!(
        err.contains("read in [scheduler] timezone") && !err.contains("UTC"),
        "{err}"
    );
    // A malformed query is bad usage: exit 2, as README says.
    let out = common::cli(&["search", "--config", cfg, "\"unbalanced"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    // Three addresses, one twice: 3 links, 1 skipped, as a section counts.
    let bill = "https://www.koreaherald.com/article/10915012";
    let out = crawl(
        &s,
        &[
            "--url",
            bill,
            "--url",
            bill,
            "--url",
            "https://www.koreaherald.com/article/10915230",
        ],
    );
    assert!(
        out.contains("(url): 0 pages, 3 links,") && out.contains("1 skipped"),
        "{out}"
    );
    // export's help names WARC.
    let help = common::stdout(&common::cli(&["help"]));
    assert!(
        help.lines()
            .any(|l| l.contains("export") && l.contains("WARC")),
        "{help}"
    );
    // The lock file says its text is not the lock.
    let mut lock = s.db.as_os_str().to_owned();
    lock.push(".lock");
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    assert!(
        text.is_empty() || text.contains("the lock itself is the kernel's"),
        "{text}"
    );
    let ignore = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".gitignore"))
        .expect(".gitignore");
    assert!(ignore.lines().any(|l| l == "*.db.lock"));
    // A long error in status is cut in its column and given whole below.
    let long = format!("list page 1: {}", "x".repeat(250));
    db(&s.db)
        .execute(
            "UPDATE crawl_runs SET error = ?1 WHERE id = (SELECT max(id) FROM crawl_runs WHERE section = 'National')",
            [&long],
        )
        .expect("update");
    let out = common::stdout(&common::cli(&["status", "--config", cfg]));
    let row = out
        .lines()
        .find(|l| l.starts_with("National"))
        .expect("row");
    assert!(row.len() < 300, "{row}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("ERROR National: ") && l.contains(&long)),
        "{out}"
    );
}

/// README's "Try it offline", as a newcomer runs it: the server is built
/// before it is started and waited for, and the crawl of the fixture site
/// prints exactly the lines README shows.
#[test]
fn readmes_offline_walkthrough_builds_first_and_prints_its_lines() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let section = readme
        .split("## Try it offline")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the section");
    let mut blocks = section.split("```").skip(1).step_by(2);
    let commands = blocks.next().expect("the commands");
    let printed = blocks.next().expect("the printed lines");
    let lines: Vec<&str> = commands.lines().collect();
    let at = |needle: &str| lines.iter().position(|l| l.contains(needle));
    let built = at("cargo build").expect("a build line");
    let served = at("fixture_server tests/fixtures/koreaherald 8080 &").expect("the server line");
    let waited = at("until curl").expect("a wait for the server");
    let crawled = at("crawl --config config/offline.toml").expect("the crawl");
    assert!(
        built < served && served < waited && waited < crawled,
        "{commands}"
    );
    assert!(
        !commands.contains("cargo run --example fixture_server"),
        "{commands}"
    );

    // The crawl's lines, against the same fixture site.
    let s = setup(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("offline.toml");
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/offline.toml"))
            .expect("offline.toml")
            .replace("http://127.0.0.1:8080", &s.server.url())
            .replace(
                "path = \"offline.db\"",
                &format!("path = \"{}\"", dir.path().join("offline.db").display()),
            );
    std::fs::write(&config, text).expect("config");
    let out = common::cli(&["crawl", "--config", config.to_str().expect("path")]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let want: Vec<&str> = printed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let got: Vec<String> = common::stdout(&out)
        .lines()
        .map(|l| l.trim().to_string())
        .collect();
    assert_eq!(got, want);
}
