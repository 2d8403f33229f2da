//! `check-site` against the fixture site: the built-in selectors fit it;
//! against a redesigned copy the fallbacks are reported with a non-zero
//! verdict; nothing is written.

mod common;

use std::path::{Path, PathBuf};

fn config(dir: &Path, base: &str, sections: &[&str]) -> PathBuf {
    let mut text = format!(
        "[site]\nbase_url = \"{base}\"\n\n[archive]\npath = \"{}\"\n\n[http]\nmin_delay = \"0s\"\n",
        dir.join("archive.db").display()
    );
    for s in sections {
        text.push_str(&format!(
            "\n[[section]]\nname = \"{s}\"\npath = \"/{s}\"\nschedule = \"*/15 * * * *\"\n"
        ));
    }
    let path = dir.join("herald.toml");
    std::fs::write(&path, text).expect("config");
    path
}

fn check_site(config: &Path) -> (Option<i32>, String) {
    let out = common::cli(&["check-site", "--config", config.to_str().expect("path")]);
    (
        out.status.code(),
        common::stdout(&out) + &common::stderr(&out),
    )
}

#[test]
fn the_selectors_fit_the_fixture_site_and_nothing_is_written() {
    let server = common::fast_fixture_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), &server.url(), &["National", "Business"]);
    let (code, out) = check_site(&cfg);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("== National (https://www.koreaherald.com/National)"),
        "{out}"
    );
    assert!(
        out.contains("links found by the listing selector: 2"),
        "{out}"
    );
    assert!(
        out.contains("article: https://www.koreaherald.com/article/10915012"),
        "{out}"
    );
    assert!(out.contains("title: selector h1.news_title\n"), "{out}");
    assert!(
        out.contains("body: selector article#articleText\n"),
        "{out}"
    );
    assert!(
        out.contains("verdict: selectors fit\n") && out.contains("2 selectors fit"),
        "{out}"
    );
    // The polite client: robots.txt first, one list page and one article
    // per section, and no archive.
    let targets = server.targets();
    assert_eq!(targets.first().map(String::as_str), Some("/robots.txt"));
    assert_eq!(targets.len(), 5, "{targets:?}");
    assert!(!dir.path().join("archive.db").exists());
}

#[test]
fn a_redesign_is_reported_as_fallbacks_in_use_and_a_dead_list_as_nothing() {
    let server = common::fast_fixture_server();
    // The first National article now comes in a layout no selector knows.
    server.replace(
        "/article/10915012",
        "../extra/redesign-furniture-10999207.html",
    );
    // The Business list page lost its list.
    server.replace("/Business", "site/not-found.html");
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), &server.url(), &["National", "Business"]);
    let (code, out) = check_site(&cfg);
    assert_eq!(code, Some(4), "the worst verdict decides: {out}");
    let (national, business) = out.split_once("== Business").expect("two sections");
    assert!(
        national.contains("title: meta meta[property=og:title]"),
        "{national}"
    );
    assert!(
        national.contains("  - selector h1.news_title"),
        "{national}"
    );
    assert!(
        national.contains("body: generic main-content finder"),
        "{national}"
    );
    assert!(national.contains("verdict: fallbacks in use"), "{national}");
    assert!(
        business.contains("links found by the listing selector: 0"),
        "{business}"
    );
    assert!(
        business.contains("verdict: nothing extracted"),
        "{business}"
    );

    // National alone: fallbacks in use is exit 3.
    let out = common::cli(&[
        "check-site",
        "--config",
        cfg.to_str().expect("path"),
        "--section",
        "National",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", common::stdout(&out));
}

#[test]
fn an_unreachable_site_is_said_once_with_what_to_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), "http://127.0.0.1:9", &["National", "Business"]);
    let (code, out) = check_site(&cfg);
    // An outage, not a redesign: not 4 ("nothing extracted").
    assert_eq!(code, Some(5), "{out}");
    assert_eq!(
        out.matches("robots.txt could not be read").count(),
        1,
        "{out}"
    );
    assert!(out.contains("check the network"), "{out}");
    assert!(out.contains("verdict: site unreachable"), "{out}");
    assert!(!out.contains("nothing extracted"), "{out}");
}

#[test]
fn extract_fetches_an_address_of_the_configured_site_as_a_crawl_would() {
    let server = common::fast_fixture_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), &server.url(), &["National"]);
    let cfg = cfg.to_str().expect("path");
    let bill = format!("{}/article/10915012?utm_source=x", server.url());
    let out = common::cli(&[
        "extract",
        "--config",
        cfg,
        &bill,
        "https://example.com/article/1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the foreign address fails the command"
    );
    let lines: Vec<serde_json::Value> = common::stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", common::stdout(&out));
    assert_eq!(
        lines[0]["url"],
        "https://www.koreaherald.com/article/10915012"
    );
    assert_eq!(
        lines[0]["title"],
        "Assembly passes revised data protection bill amid privacy concerns"
    );
    assert!(
        lines[1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("not an address of the configured site")),
        "{}",
        lines[1]
    );
    // robots.txt first, then the page: the polite client.
    let targets = server.targets();
    assert_eq!(
        targets.first().map(String::as_str),
        Some("/robots.txt"),
        "{targets:?}"
    );
    let out = common::cli(&["extract", "--config", cfg, "--explain", &bill]);
    assert!(
        common::stdout(&out).contains("title: selector h1.news_title"),
        "{}",
        common::stdout(&out)
    );
}

#[test]
fn a_dead_list_with_a_live_feed_is_checked_through_the_feed() {
    let server = common::fast_fixture_server();
    server.replace("/Business", "site/not-found.html");
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), &server.url(), &["Business"]);
    let mut text = std::fs::read_to_string(&cfg).expect("config");
    text.push_str("feeds = [\"/rss/newsAll\"]\n");
    std::fs::write(&cfg, text).expect("config");
    let (code, out) = check_site(&cfg);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("links found by the listing selector: 0"),
        "{out}"
    );
    assert!(
        out.contains("feed https://www.koreaherald.com/rss/newsAll: 4 article links"),
        "{out}"
    );
    // The feed's first story is explained in place of the list's.
    assert!(
        out.contains("article: https://www.koreaherald.com/article/10915012"),
        "{out}"
    );
    assert!(out.contains("verdict: fallbacks in use"), "{out}");
}

#[test]
fn a_section_of_feeds_alone_is_checked_through_its_feed_and_can_fit() {
    let server = common::fast_fixture_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), &server.url(), &[]);
    let mut text = std::fs::read_to_string(&cfg).expect("config");
    text.push_str(
        "\n[[section]]\nname = \"All news\"\nfeeds = [\"/rss/newsAll\"]\nschedule = \"*/20 * * * *\"\n",
    );
    std::fs::write(&cfg, text).expect("config");
    let (code, out) = check_site(&cfg);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("== All news (feeds only)"), "{out}");
    assert!(!out.contains("listing selector"), "{out}");
    assert!(
        out.contains("article: https://www.koreaherald.com/article/10915012"),
        "{out}"
    );
    assert!(out.contains("verdict: selectors fit"), "{out}");
}
