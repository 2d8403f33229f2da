//! Black-box: a section's RSS feeds as a second way to find articles,
//! against the fixture site on 127.0.0.1. The feed (`/rss/newsAll`) lists
//! four stories; the National list page shows one of them (and one other).

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::server::{FixtureServer, Response};
use rusqlite::Connection;

const ONLY_IN_FEED: [&str; 3] = [
    "https://www.koreaherald.com/article/10915230",
    "https://www.koreaherald.com/article/10915102",
    "https://www.koreaherald.com/article/10914877",
];

struct Env {
    server: FixtureServer,
    _dir: tempfile::TempDir,
    config: PathBuf,
    db: PathBuf,
}

/// One section, National, reading one list page and the fixture feed. The
/// revisit interval keeps re-checks of young articles out of the counts.
fn env(feeds: &str) -> Env {
    env_with(feeds, "")
}

fn env_with(feeds: &str, retry: &str) -> Env {
    let server = common::fast_fixture_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("archive.db");
    let config = dir.path().join("herald.toml");
    let text = format!(
        r#"
[site]
base_url = "{base}"
max_pages = 1

[archive]
path = "{db}"

[http]
min_delay = "0s"
timeout = "10s"

[retry]
base_delay = "10ms"
attempts = 1
{retry}
[revisit]
window = "36500d"
interval = "3650d"

[[section]]
name = "National"
path = "/National"
schedule = "*/15 * * * *"
feeds = {feeds}
"#,
        base = server.url(),
        db = db.display(),
    );
    std::fs::write(&config, text).expect("write config");
    Env {
        server,
        _dir: dir,
        config,
        db,
    }
}

impl Env {
    fn crawl(&self) -> Output {
        common::cli(&[
            "crawl",
            "--config",
            self.config.to_str().expect("utf-8 path"),
        ])
    }

    fn db(&self) -> Connection {
        Connection::open(&self.db).expect("open archive")
    }

    fn count(&self, sql: &str, url: &str) -> i64 {
        self.db()
            .query_row(sql, [url], |r| r.get(0))
            .expect("count query")
    }

    fn articles(&self) -> i64 {
        self.db()
            .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
            .expect("count")
    }

    /// The counts of the section's last run.
    fn last_run(&self) -> (String, i64, i64, i64, i64, Option<String>, Option<String>) {
        self.db()
            .query_row(
                "SELECT status, feeds, feeds_not_modified, feed_links, feed_new, error, drift
                 FROM crawl_runs WHERE section = 'National' ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )
            .expect("a run row")
    }
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "crawl failed: {}{}",
        common::stdout(out),
        common::stderr(out)
    );
    common::stdout(out)
}

#[test]
fn a_story_only_the_feed_shows_is_archived_once() {
    let e = env(r#"["/rss/newsAll"]"#);
    let report = ok(&e.crawl());
    for url in ONLY_IN_FEED {
        let sql = "SELECT count(*) FROM article_urls WHERE url = ?1";
        assert_eq!(e.count(sql, url), 1, "{url} not archived: {report}");
    }
    let (status, feeds, _, links, new, _, drift) = e.last_run();
    assert_eq!(status, "ok");
    // Four stories in the feed; one of them was on the list page already.
    assert_eq!((feeds, links, new), (1, 4, 3), "{report}");
    assert_eq!(drift, None);
    assert!(
        report.contains("feeds: 4 links, 3 not on the list pages"),
        "{report}"
    );

    // Found again by the next run (a changed feed, read whole): still one
    // article each, and no article fetched again.
    let mut changed = e.server.page("/rss/newsAll");
    changed.extend_from_slice(b"\n<!-- rebuilt -->\n");
    e.server.script(
        "/rss/newsAll",
        vec![Response::status(200, changed).content_type("application/rss+xml")],
    );
    e.server.clear_log();
    ok(&e.crawl());
    for url in ONLY_IN_FEED {
        let sql = "SELECT count(DISTINCT article_id) FROM article_urls WHERE url = ?1";
        assert_eq!(e.count(sql, url), 1, "{url}");
    }
    assert_eq!(
        e.articles(),
        5,
        "two from the list page, three from the feed"
    );
    let fetched: Vec<String> = e
        .server
        .targets()
        .into_iter()
        .filter(|t| t.starts_with("/article/"))
        .collect();
    assert!(fetched.is_empty(), "fetched again: {fetched:?}");
    let (_, _, _, links, new, _, _) = e.last_run();
    assert_eq!((links, new), (4, 0));
}

#[test]
fn an_unchanged_feed_costs_one_request() {
    let e = env(r#"["/rss/newsAll"]"#);
    ok(&e.crawl());
    e.server.clear_log();
    ok(&e.crawl());
    let asked: Vec<_> = e
        .server
        .requests()
        .into_iter()
        .filter(|r| r.target == "/rss/newsAll")
        .collect();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].status, 304, "asked conditionally: {asked:?}");
    let (status, feeds, not_modified, links, new, _, _) = e.last_run();
    assert_eq!(
        (status.as_str(), feeds, not_modified, links, new),
        ("ok", 0, 1, 0, 0)
    );
}

#[test]
fn a_broken_feed_is_an_error_on_the_run_not_a_crash() {
    let e = env(r#"["/rss/newsAll", "/rss/kh_National"]"#);
    // An error page answered 200 in place of the feed; the second feed is
    // not on the site at all.
    e.server.script(
        "/rss/newsAll",
        vec![Response::html(
            "<html><body><h1>Service unavailable</h1></body></html>",
        )],
    );
    let out = e.crawl();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed run: {}",
        common::stderr(&out)
    );
    let (status, feeds, _, _, _, error, _) = e.last_run();
    assert_eq!(status, "failed");
    assert_eq!(feeds, 1, "the broken one was read, the missing one not");
    let error = error.unwrap_or_default();
    assert!(
        error.contains("/rss/newsAll") && error.contains("not an RSS or Atom feed"),
        "{error}"
    );
    assert!(
        error.contains("/rss/kh_National") && error.contains("404"),
        "{error}"
    );
    // The list page's articles are archived all the same.
    let sql = "SELECT count(*) FROM article_urls WHERE url = ?1";
    assert_eq!(
        e.count(sql, "https://www.koreaherald.com/article/10915012"),
        1
    );
    // The broken answer's validators are not kept: the next run reads the
    // feed whole, and with it the stories only the feed has.
    e.crawl();
    for url in ONLY_IN_FEED {
        assert_eq!(e.count(sql, url), 1, "{url}");
    }
}

#[test]
fn a_dead_listing_with_a_live_feed_raises_the_drift_alarm() {
    let e = env(r#"["/rss/newsAll"]"#);
    // A redesign: the list page is there but the selector finds no link.
    e.server.script(
        "/National",
        vec![Response::html(
            "<html><body><main class=\"new-grid\"><a href=\"/about\">About</a></main></body></html>",
        )],
    );
    let out = e.crawl();
    let report = ok(&out);
    let (status, _, _, _, new, _, drift) = e.last_run();
    assert_eq!((status.as_str(), new), ("ok", 4), "{report}");
    let drift = drift.unwrap_or_default();
    assert!(
        drift.contains("list pages gave no article links") && drift.contains("check-site"),
        "{drift}"
    );
    assert!(
        common::stderr(&out).contains("the site may have changed"),
        "{}",
        common::stderr(&out)
    );
    assert_eq!(e.articles(), 4, "the feed's stories are archived");
    let status = common::cli(&["status", "--config", e.config.to_str().expect("utf-8 path")]);
    let text = common::stdout(&status);
    assert!(text.contains("list pages gave no article links"), "{text}");

    // A healthy listing next time: no alarm.
    ok(&e.crawl());
    let (_, _, _, _, _, _, drift) = e.last_run();
    assert_eq!(drift, None);
}

#[test]
fn a_feed_that_is_not_a_path_on_the_site_or_is_listed_twice_is_a_config_error_with_its_line() {
    for (feeds, says) in [
        (
            r#"["/rss/newsAll", "https://elsewhere.example/rss"]"#,
            "must start with '/' and be a path on the site, e.g. \"/rss/kh_National\"",
        ),
        (r#"["/rss/newsAll", "/rss/newsAll"]"#, "is listed twice"),
    ] {
        let e = env(feeds);
        let out = common::cli(&[
            "check-config",
            "--config",
            e.config.to_str().expect("utf-8 path"),
        ]);
        assert_eq!(out.status.code(), Some(2), "{feeds}");
        let err = common::stderr(&out);
        assert!(
            err.contains("herald.toml:25: section[1].feeds") && err.contains(says),
            "{err}"
        );
    }
}

#[test]
fn a_section_whose_list_broke_keeps_running_on_its_feed_instead_of_backing_off() {
    let e = env_with(
        r#"["/rss/newsAll"]"#,
        "section_failures = 1\nsection_backoff = \"1h\"\n",
    );
    e.server.script(
        "/National",
        vec![Response::not_found(), Response::not_found()],
    );
    for _ in 0..2 {
        let out = e.crawl();
        assert_eq!(out.status.code(), Some(1), "{}", common::stdout(&out));
        let report = common::stdout(&out);
        assert!(!report.contains("backing off"), "{report}");
        let (status, feeds, not_modified, ..) = e.last_run();
        assert_eq!(status, "failed");
        assert_eq!(feeds + not_modified, 1, "the feed was read");
    }
    assert_eq!(e.articles(), 4, "the feed's stories");

    // Nothing answering at all: the section backs off.
    e.server
        .script("/National", vec![Response::status(500, "down"); 3]);
    e.server
        .script("/rss/newsAll", vec![Response::status(500, "down"); 3]);
    let _ = e.crawl();
    e.server.clear_log();
    let report = common::stdout(&e.crawl());
    assert!(report.contains("backing off"), "{report}");
    assert!(
        e.server.targets().iter().all(|t| t == "/robots.txt"),
        "{:?}",
        e.server.targets()
    );
}

#[test]
fn check_config_lists_each_sections_feeds() {
    let e = env(r#"["/rss/newsAll", "/rss/kh_National"]"#);
    let out = common::cli(&[
        "check-config",
        "--config",
        e.config.to_str().expect("utf-8 path"),
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    let feeds: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("feed "))
        .collect();
    assert_eq!(feeds, ["/rss/newsAll", "/rss/kh_National"], "{text}");
}

#[test]
fn a_feed_past_the_cap_is_refused_whole_and_fails_the_run() {
    let e = env(r#"["/rss/newsAll"]"#);
    let text = std::fs::read_to_string(&e.config).expect("config");
    std::fs::write(
        &e.config,
        text.replacen("max_pages = 1", "max_pages = 1\nmax_links_per_page = 40", 1),
    )
    .expect("config");
    let items: String = (0..5_000)
        .map(|i| {
            format!(
                "<item><title>story {i}</title><link>https://www.koreaherald.com/article/{}</link></item>",
                20_000_000 + i
            )
        })
        .collect();
    let feed = format!("<rss version=\"2.0\"><channel><title>KH</title>{items}</channel></rss>");
    e.server.script(
        "/rss/newsAll",
        vec![Response::status(200, feed).content_type("application/rss+xml")],
    );
    let out = e.crawl();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the run fails: {}",
        common::stderr(&out)
    );
    let article_requests = e
        .server
        .targets()
        .iter()
        .filter(|t| t.starts_with("/article/2"))
        .count();
    assert_eq!(article_requests, 0, "none of it taken");
    let (status, _, _, links, _, error, _) = e.last_run();
    assert_eq!((status.as_str(), links), ("failed", 0));
    let error = error.unwrap_or_default();
    assert!(
        error.contains(
            "5000 article links, more than [site] max_links_per_page = 40: refused as hostile"
        ),
        "{error}"
    );
    // The list pages' links are archived all the same.
    assert!(
        e.count(
            "SELECT count(*) FROM articles WHERE url = ?1",
            "https://www.koreaherald.com/article/10915012"
        ) == 1
    );
}

#[test]
fn a_section_of_feeds_alone_reads_no_list_and_files_articles_by_their_own_section() {
    let e = env(r#"["/rss/newsAll"]"#);
    let text = std::fs::read_to_string(&e.config).expect("config");
    let text = text.replace(
        "name = \"National\"\npath = \"/National\"\n",
        "name = \"All news\"\n",
    );
    assert!(!text.contains("path = \"/National\""));
    std::fs::write(&e.config, text).expect("config");
    let report = ok(&e.crawl());
    assert!(
        report.starts_with("All news: 0 pages, 0 links, 4 new"),
        "{report}"
    );
    let lists: Vec<String> = e
        .server
        .targets()
        .into_iter()
        .filter(|t| !t.starts_with("/article/") && t != "/robots.txt")
        .collect();
    assert_eq!(lists, ["/rss/newsAll"], "only the feed is read");
    // No section from the crawl: each page says its own.
    let mut sections: Vec<(String, String)> = e
        .db()
        .prepare("SELECT url, section FROM articles ORDER BY url")
        .and_then(|mut st| {
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("articles");
    sections.sort();
    let want: Vec<(String, String)> = [
        ("https://www.koreaherald.com/article/10914877", "Opinion"),
        ("https://www.koreaherald.com/article/10915012", "National"),
        (
            "https://www.koreaherald.com/article/10915102",
            "LifenCulture",
        ),
        ("https://www.koreaherald.com/article/10915230", "Business"),
    ]
    .iter()
    .map(|(u, s)| (u.to_string(), s.to_string()))
    .collect();
    assert_eq!(sections, want);
    let status = common::cli(&[
        "check-config",
        "--config",
        e.config.to_str().expect("utf-8 path"),
    ]);
    assert!(
        common::stdout(&status).contains("(feeds only)"),
        "{}",
        common::stdout(&status)
    );
}

#[test]
fn a_section_with_neither_a_list_nor_feeds_is_a_config_error() {
    let e = env("[]");
    let text = std::fs::read_to_string(&e.config).expect("config");
    std::fs::write(&e.config, text.replace("path = \"/National\"\n", "")).expect("config");
    let out = common::cli(&[
        "check-config",
        "--config",
        e.config.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains("neither a `path` (its list page) nor `feeds`"),
        "{err}"
    );
}

#[test]
fn robots_txt_is_obeyed_for_feeds_and_for_the_links_they_give() {
    let e = env(r#"["/rss/newsAll", "/rss/kh_National"]"#);
    e.server.script(
        "/robots.txt",
        vec![Response::status(
            200,
            "User-agent: *\nDisallow: /article/10915102\nDisallow: /rss/kh_National\n",
        )
        .content_type("text/plain")],
    );
    let out = e.crawl();
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let (status, feeds, _, links, new, error, _) = e.last_run();
    assert_eq!(status, "failed");
    assert_eq!(feeds, 1, "the disallowed feed is not asked");
    assert!(error
        .unwrap_or_default()
        .contains("robots.txt disallows the feed https://www.koreaherald.com/rss/kh_National"),);
    // Four stories in the feed, one on the list page, one disallowed.
    assert_eq!((links, new), (4, 2));
    let asked = e.server.targets();
    assert!(
        !asked
            .iter()
            .any(|t| t == "/rss/kh_National" || t == "/article/10915102"),
        "{asked:?}"
    );
    let sql = "SELECT count(*) FROM article_urls WHERE url = ?1";
    assert_eq!(
        e.count(sql, "https://www.koreaherald.com/article/10915102"),
        0
    );
    assert_eq!(
        e.count(sql, "https://www.koreaherald.com/article/10914877"),
        1
    );
}

#[test]
fn a_feed_link_waiting_for_its_retry_is_not_fetched_again_before_it_is_due() {
    let e = env(r#"["/rss/newsAll"]"#);
    // The story only the feed has fails once; with [retry] pending_delay at
    // its default of an hour it waits.
    e.server
        .script("/article/10915102", vec![Response::status(500, "down")]);
    ok(&e.crawl());
    let sql = "SELECT count(*) FROM pending_fetches WHERE url = ?1";
    let url = "https://www.koreaherald.com/article/10915102";
    assert_eq!(e.count(sql, url), 1);
    // The feed changes (read whole) and lists it again: skipped, not asked.
    let mut changed = e.server.page("/rss/newsAll");
    changed.extend_from_slice(b"\n<!-- rebuilt -->\n");
    e.server.script(
        "/rss/newsAll",
        vec![Response::status(200, changed).content_type("application/rss+xml")],
    );
    e.server.clear_log();
    ok(&e.crawl());
    assert!(
        !e.server.targets().iter().any(|t| t == "/article/10915102"),
        "{:?}",
        e.server.targets()
    );
    let (_, feeds, _, links, new, _, _) = e.last_run();
    assert_eq!((feeds, links, new), (1, 4, 0));
    assert_eq!(e.count(sql, url), 1, "still waiting");
}
