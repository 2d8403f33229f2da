//! Surviving redesigns and repairing the past: the drift warning, held-back
//! pages, kept pages and `reextract`, and near-duplicate links.

mod common;

use std::path::PathBuf;

use common::server::{FixtureServer, Response};
use rusqlite::Connection;

struct Env {
    server: FixtureServer,
    dir: tempfile::TempDir,
    config: PathBuf,
}

fn env(extra: &str) -> Env {
    let server = common::fast_fixture_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("herald.toml");
    let text = format!(
        r#"
[site]
base_url = "{}"
max_pages = 1

[archive]
path = "{}"

[http]
min_delay = "0s"

[retry]
pending_delay = "1s"

[revisit]
window = "1s"
{extra}

[[section]]
name = "National"
path = "/National"
schedule = "0 * * * *"
"#,
        server.url(),
        dir.path().join("archive.db").display()
    );
    std::fs::write(&config, text).expect("config");
    Env {
        server,
        dir,
        config,
    }
}

impl Env {
    fn run(&self, args: &[&str]) -> (String, String) {
        let mut all = vec![args[0], "--config", self.config.to_str().expect("path")];
        all.extend_from_slice(&args[1..]);
        let out = common::cli(&all);
        assert!(out.status.success(), "{args:?}: {}", common::stderr(&out));
        (common::stdout(&out), common::stderr(&out))
    }

    fn db(&self) -> Connection {
        Connection::open(self.dir.path().join("archive.db")).expect("archive")
    }

    fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).expect(sql)
    }

    /// A National list page linking these article paths.
    fn list(&self, paths: &[&str]) {
        let items: String = paths
            .iter()
            .map(|p| format!("<li><a href=\"{p}\">story</a></li>"))
            .collect();
        let html = format!(
            "<html><body><article class=\"recent_news\"><ul class=\"news_list\">{items}</ul></article></body></html>"
        );
        self.server.script("/National", vec![Response::html(html)]);
    }
}

#[test]
fn a_redesigned_page_is_still_archived_and_the_run_warns_of_drift() {
    let e = env("\n[extract]\ndrift_min_articles = 1\n");
    e.server
        .replace("/article/10999001", "../extra/redesign-unknown-layout.html");
    e.list(&["/article/10999001"]);
    let (_, log) = e.run(&["crawl"]);
    assert!(log.contains("the site may have changed"), "{log}");
    assert!(
        log.contains("article#articleText"),
        "names the selectors: {log}"
    );
    let drift: String = e
        .db()
        .query_row(
            "SELECT drift FROM crawl_runs WHERE section = 'National'",
            [],
            |r| r.get(0),
        )
        .expect("drift recorded");
    assert!(drift.contains("body in 1"), "{drift}");
    let (layout, source): (String, String) = e
        .db()
        .query_row(
            "SELECT layout, json_extract(sources, '$.body') FROM articles",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("archived through the generic layer");
    assert_eq!((layout.as_str(), source.as_str()), ("unknown", "generic"));
    let (status, _) = e.run(&["status"]);
    assert!(
        status.contains("DRIFT") || status.contains("drift"),
        "{status}"
    );
}

#[test]
fn known_pages_raise_no_drift_warning() {
    let e = env("\n[extract]\ndrift_min_articles = 1\n");
    let (_, log) = e.run(&["crawl"]);
    assert!(!log.contains("the site may have changed"), "{log}");
    assert_eq!(
        e.count("SELECT count(*) FROM crawl_runs WHERE drift IS NOT NULL"),
        0
    );
}

#[test]
fn a_page_too_short_or_without_a_headline_is_held_back_with_its_html() {
    let e = env("");
    e.server.script(
        "/article/10915012",
        vec![Response::html(
            "<html><head><title>Brief - The Korea Herald</title></head><body><section class=\"section_view\"><div class=\"news_title_area\"><h1 class=\"news_title\">Brief</h1></div><article id=\"articleText\"><p>Too short.</p></article></section></body></html>",
        )],
    );
    e.run(&["crawl"]);
    let (error, page): (String, Vec<u8>) = e
        .db()
        .query_row(
            "SELECT last_error, page FROM pending_fetches WHERE url LIKE '%10915012'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("held back");
    assert!(
        error.contains("held back") && error.contains("min_body_chars"),
        "{error}"
    );
    let html = zstd::decode_all(&page[..]).expect("zstd page");
    assert!(String::from_utf8_lossy(&html).contains("Too short."));
    assert_eq!(
        e.count("SELECT count(*) FROM articles WHERE url LIKE '%10915012'"),
        0
    );
}

#[test]
fn reextract_repairs_the_past_and_writes_nothing_when_nothing_changed() {
    let e = env("");
    e.run(&["crawl"]);
    assert_eq!(
        e.count("SELECT count(*) FROM article_revisions WHERE page IS NOT NULL"),
        e.count("SELECT count(*) FROM articles")
    );
    let (out, _) = e.run(&["reextract"]);
    assert!(out.contains("0 changed"), "{out}");
    let before = e.count("SELECT count(*) FROM article_revisions");

    // A selector "fix" that changes what readers see: sub-headlines now
    // come from the headline element. (A selector matching nothing would
    // change nothing: the page rules find the sub-headline after the `h1`.)
    let text = std::fs::read_to_string(&e.config).expect("config")
        + "\n[extract.selectors]\nsubtitle = [\"h1.news_title\"]\n";
    std::fs::write(&e.config, text).expect("config");
    let (out, _) = e.run(&["reextract", "--since", "2026-01-01"]);
    assert!(out.contains("1 changed"), "{out}");
    assert_eq!(
        e.count("SELECT count(*) FROM article_revisions"),
        before + 1
    );
    let (origin, subtitle): (String, Option<String>) = e
        .db()
        .query_row(
            "SELECT r.origin, a.subtitle FROM articles a JOIN article_revisions r
             ON r.article_id = a.id AND r.revision = a.revision
             WHERE a.url LIKE '%10915012'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("bill");
    assert_eq!(
        (origin.as_str(), subtitle.as_deref()),
        (
            "reextract",
            Some("Assembly passes revised data protection bill amid privacy concerns")
        )
    );
    // Again over the same articles: nothing changed, nothing written.
    let (out, _) = e.run(&["reextract", "--since", "2026-01-01"]);
    assert!(out.contains("0 changed"), "{out}");
}

#[test]
fn pages_are_not_kept_when_switched_off() {
    let e = env("");
    let text = std::fs::read_to_string(&e.config)
        .expect("config")
        .replace("[archive]\n", "[archive]\nkeep_pages = false\n");
    std::fs::write(&e.config, text).expect("config");
    e.run(&["crawl"]);
    assert!(e.count("SELECT count(*) FROM articles") > 0);
    assert_eq!(
        e.count("SELECT count(*) FROM article_revisions WHERE page IS NOT NULL"),
        0
    );
    let (out, _) = e.run(&["reextract"]);
    assert!(out.contains("without a kept page"), "{out}");
}

#[test]
fn a_near_copy_under_another_id_is_linked_not_merged() {
    let e = env("");
    let bill = String::from_utf8(e.server.page("/article/10915012")).expect("utf-8");
    let copy = bill.replace("10915012", "10915999").replace(
        "The revision takes effect six months after promulgation.",
        "The revised law takes effect six months after it is promulgated.",
    );
    e.server
        .script("/article/10915999", vec![Response::html(copy)]);
    e.list(&["/article/10915012", "/article/10915999"]);
    e.run(&["crawl"]);
    assert_eq!(
        e.count("SELECT count(*) FROM articles"),
        2,
        "merged or lost"
    );
    let (dup, of, distance): (String, String, i64) = e
        .db()
        .query_row(
            "SELECT a.url, b.url, n.distance FROM near_duplicates n
             JOIN articles a ON a.id = n.article_id JOIN articles b ON b.id = n.duplicate_of",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("linked");
    // Both arrived in one run: whichever was stored second points to the other.
    let mut pair = [dup, of];
    pair.sort();
    assert!(
        pair[0].ends_with("10915012") && pair[1].ends_with("10915999"),
        "{pair:?}"
    );
    assert!(distance <= 6);
}
