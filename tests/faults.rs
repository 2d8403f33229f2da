//! A server that misbehaves on purpose, on 127.0.0.1. In every case: the
//! crawl does not panic and exits 0, the failure is recorded with its cause,
//! the article is archived once the fault clears, and nothing twice.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::server::{Fault, FixtureServer, Response};
use rusqlite::{Connection, OptionalExtension};

const BILL: &str = "/article/10915012";
const BILL_URL: &str = "https://www.koreaherald.com/article/10915012";

struct Env {
    server: FixtureServer,
    _dir: tempfile::TempDir,
    config: PathBuf,
    db: PathBuf,
}

fn env(sections: &[&str], extra: &str) -> Env {
    let server = common::fast_fixture_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("archive.db");
    let config = dir.path().join("herald.toml");
    let mut text = format!(
        r#"
[site]
base_url = "{}"
max_pages = 1

[archive]
path = "{}"

[http]
min_delay = "0s"
timeout = "1500ms"
read_timeout = "1s"

[retry]
attempts = 2
base_delay = "50ms"
max_delay = "5s"
pending_delay = "1s"
{extra}
"#,
        server.url(),
        db.display()
    );
    for s in sections {
        text.push_str(&format!(
            "\n[[section]]\nname = \"{s}\"\npath = \"/{s}\"\nschedule = \"0 * * * *\"\n"
        ));
    }
    std::fs::write(&config, text).expect("config");
    Env {
        server,
        _dir: dir,
        config,
        db,
    }
}

impl Env {
    /// Waits out `[retry] pending_delay` (1s here, its least).
    fn retry_is_due(&self) {
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }

    fn crawl(&self) -> String {
        let out = common::cli(&["crawl", "--config", self.config.to_str().expect("path")]);
        assert!(
            out.status.success(),
            "crawl failed: {}",
            common::stderr(&out)
        );
        common::stdout(&out)
    }

    /// A crawl whose section runs fail: exit status 1, the summary on
    /// stdout and the shared cause on stderr.
    fn crawl_failing(&self) -> (String, String) {
        let out = common::cli(&["crawl", "--config", self.config.to_str().expect("path")]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "a failed section run is exit 1: {}",
            common::stderr(&out)
        );
        (common::stdout(&out), common::stderr(&out))
    }

    fn db(&self) -> Connection {
        Connection::open(&self.db).expect("archive")
    }

    fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).expect(sql)
    }

    fn archived(&self, url: &str) -> bool {
        self.db()
            .query_row("SELECT 1 FROM article_urls WHERE url = ?1", [url], |_| {
                Ok(())
            })
            .optional()
            .expect("query")
            .is_some()
    }

    fn pending_error(&self, url: &str) -> Option<String> {
        self.db()
            .query_row(
                "SELECT last_error FROM pending_fetches WHERE url = ?1",
                [url],
                |r| r.get(0),
            )
            .optional()
            .expect("query")
    }

    fn last_run(&self, column: &str) -> i64 {
        self.count(&format!(
            "SELECT {column} FROM crawl_runs ORDER BY id DESC LIMIT 1"
        ))
    }

    /// Each article once, each with one revision.
    fn nothing_twice(&self) {
        assert_eq!(
            self.count("SELECT count(*) FROM articles"),
            self.count("SELECT count(*) FROM article_revisions")
        );
        assert_eq!(
            self.count("SELECT count(*) FROM articles"),
            self.count("SELECT count(DISTINCT content_hash) FROM articles")
        );
    }
}

/// The bill article's page as the fixture site serves it.
fn bill_page() -> Vec<u8> {
    std::fs::read(common::fixtures().join("site/article/10915012.html")).expect("fixture page")
}

/// The bill fails on every try of the first crawl with `cause` recorded;
/// the next crawl archives it.
fn fails_then_clears(fault: Response, cause: &str) {
    let e = env(&["National"], "");
    e.server.script(BILL, vec![fault.clone(), fault]);
    e.crawl();
    assert!(!e.archived(BILL_URL));
    let error = e.pending_error(BILL_URL).expect("failure recorded");
    assert!(error.contains(cause), "{error:?} lacks {cause:?}");
    assert!(error.contains(BILL), "{error:?} names no URL");
    assert!(
        e.archived("https://www.koreaherald.com/article/10072519"),
        "the other article suffered"
    );

    e.server.clear_scripts();
    e.retry_is_due();
    e.crawl();
    assert!(e.archived(BILL_URL), "not archived once the fault cleared");
    assert_eq!(e.pending_error(BILL_URL), None);
    e.nothing_twice();
}

#[test]
fn a_500_then_200_is_retried_in_the_same_run() {
    let e = env(&["National"], "");
    e.server.script(BILL, vec![Response::status(500, "oops")]);
    e.crawl();
    assert!(e.archived(BILL_URL));
    assert_eq!(e.last_run("retries"), 1);
    assert_eq!(e.last_run("status_5xx"), 1);
    e.nothing_twice();
}

#[test]
fn retry_after_in_seconds_is_honoured() {
    let e = env(&["National"], "");
    e.server.script(
        BILL,
        vec![Response::status(503, "busy").header("Retry-After", "1")],
    );
    e.crawl();
    assert!(e.archived(BILL_URL));
    let times: Vec<Instant> = e
        .server
        .requests()
        .into_iter()
        .filter(|r| r.target == BILL)
        .map(|r| r.at)
        .collect();
    assert_eq!(times.len(), 2);
    assert!(
        times[1] - times[0] >= Duration::from_millis(950),
        "{:?}",
        times[1] - times[0]
    );
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let e = env(&["National"], "");
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .to_rfc2822()
        .replace("+0000", "GMT");
    e.server.script(
        BILL,
        vec![Response::status(429, "slow down").header("Retry-After", &at)],
    );
    e.crawl();
    assert!(e.archived(BILL_URL));
    assert_eq!(e.last_run("status_4xx"), 1);
    let times: Vec<Instant> = e
        .server
        .requests()
        .into_iter()
        .filter(|r| r.target == BILL)
        .map(|r| r.at)
        .collect();
    assert!(
        times[1] - times[0] >= Duration::from_millis(900),
        "{:?}",
        times[1] - times[0]
    );
}

#[test]
fn a_retry_after_beyond_the_cap_gives_up_and_records_it() {
    fails_then_clears(
        Response::status(503, "maintenance").header("Retry-After", "3600"),
        "503",
    );
}

#[test]
fn a_response_that_stalls_past_the_timeout() {
    let page = bill_page();
    fails_then_clears(
        Response::html(page).fault(Fault::Stall(Duration::from_secs(3))),
        "timed out",
    );
}

#[test]
fn a_body_that_drips_past_the_total_timeout() {
    let page = bill_page();
    fails_then_clears(
        Response::html(page).fault(Fault::Drip(Duration::from_millis(20))),
        "timed out",
    );
}

#[test]
fn a_connection_reset_mid_body() {
    let page = bill_page();
    fails_then_clears(
        Response::html(page).fault(Fault::ResetAfter(2000)),
        "Connection reset",
    );
}

#[test]
fn a_content_length_larger_than_the_body() {
    let page = bill_page();
    fails_then_clears(
        Response::html(page).fault(Fault::ShortBody(5000)),
        "end of file before message length reached",
    );
}

#[test]
fn a_body_cut_short_is_retried_in_the_same_run() {
    for fault in [Fault::ShortBody(5000), Fault::ResetAfter(2000)] {
        let e = env(&["National"], "");
        e.server
            .script(BILL, vec![Response::html(bill_page()).fault(fault.clone())]);
        e.crawl();
        assert!(
            e.archived(BILL_URL),
            "{fault:?}: not archived in the same run"
        );
        assert_eq!(e.last_run("retries"), 1, "{fault:?}");
        assert_eq!(e.pending_error(BILL_URL), None, "{fault:?}");
        e.nothing_twice();
    }
}

#[test]
fn a_20_mib_page_is_abandoned_while_streaming() {
    let mut huge = b"<html><body>".to_vec();
    huge.resize(20 * 1024 * 1024, b'x');
    // No Content-Length: the cap must hold while reading, not only on the header.
    fails_then_clears(
        Response::html(huge.clone()).fault(Fault::NoLength),
        "larger than",
    );
    fails_then_clears(Response::html(huge), "larger than");
}

#[test]
fn a_redirect_loop_is_cut() {
    let hop = Response::status(302, "").header("Location", BILL);
    let e = env(&["National"], "");
    e.server.script(BILL, vec![hop; 12]);
    e.crawl();
    let error = e.pending_error(BILL_URL).expect("failure recorded");
    assert!(error.contains("more than 5 redirects"), "{error}");
    e.server.clear_scripts();
    e.retry_is_due();
    e.crawl();
    assert!(e.archived(BILL_URL));
    e.nothing_twice();
}

#[test]
fn a_redirect_to_another_host_is_not_followed() {
    fails_then_clears(
        Response::status(301, "").header("Location", "http://127.0.0.2:9/elsewhere"),
        "leaves the site",
    );
}

#[test]
fn a_redirect_to_the_heralds_own_host_is_fetched_through_the_base_url() {
    let e = env(&["National"], "");
    e.server.script(
        BILL,
        vec![Response::status(301, "")
            .header("Location", "https://www.koreaherald.com/article/10915102")],
    );
    e.crawl();
    assert!(e
        .server
        .targets()
        .contains(&"/article/10915102".to_string()));
    e.nothing_twice();
}

#[test]
fn a_page_that_is_not_html_is_recorded_and_skipped() {
    fails_then_clears(
        Response::status(200, vec![0xff, 0xd8, 0xff, 0xe0]).content_type("image/jpeg"),
        "not HTML",
    );
}

#[test]
fn invalid_utf8_is_decoded_with_replacement_characters() {
    let e = env(&["National"], "");
    let page = String::from_utf8(bill_page()).expect("utf-8 fixture");
    let broken = page.replacen(
        "The revision takes effect",
        "The revision \u{1}takes effect",
        1,
    );
    let mut bytes = broken.into_bytes();
    let at = bytes.iter().position(|b| *b == 1).expect("marker");
    bytes[at] = 0xff;
    e.server.script(BILL, vec![Response::html(bytes)]);
    e.crawl();
    let body: String = e
        .db()
        .query_row(
            "SELECT body FROM articles WHERE url = ?1",
            [BILL_URL],
            |r| r.get(0),
        )
        .expect("archived");
    assert!(body.contains("The revision \u{fffd}takes effect"), "{body}");
}

#[test]
fn an_euc_kr_page_is_decoded() {
    let e = env(&["National"], "");
    let page = String::from_utf8(bill_page())
        .expect("utf-8 fixture")
        .replace("charset=\"utf-8\"", "charset=\"euc-kr\"")
        .replace("<meta charset=\"utf-8\">", "<meta charset=\"euc-kr\">");
    let (bytes, _, _) = encoding_rs::EUC_KR.encode(&page);
    e.server.script(
        BILL,
        vec![Response::html(bytes.into_owned()).content_type("text/html; charset=EUC-KR")],
    );
    e.crawl();
    let body: String = e
        .db()
        .query_row(
            "SELECT body FROM articles WHERE url = ?1",
            [BILL_URL],
            |r| r.get(0),
        )
        .expect("archived");
    assert!(body.contains("개인정보 보호법"), "{body}");
}

#[test]
fn robots_txt_404_allows_everything() {
    let e = env(&["Business"], "");
    e.server.script("/robots.txt", vec![Response::not_found()]);
    e.crawl();
    assert!(e
        .server
        .targets()
        .contains(&"/article/10999999".to_string()));
}

#[test]
fn robots_txt_500_means_nothing_is_fetched() {
    let e = env(&["National", "Business"], "");
    e.server
        .script("/robots.txt", vec![Response::status(500, "down"); 2]);
    let (summary, err) = e.crawl_failing();
    assert!(
        err.contains("2 sections failed for one cause: robots.txt unavailable"),
        "{err}"
    );
    assert!(
        summary.contains("National: run failed (the cause above)"),
        "{summary}"
    );
    assert_eq!(
        e.server.targets(),
        ["/robots.txt", "/robots.txt"],
        "only robots.txt, tried twice"
    );
    assert_eq!(
        e.count("SELECT count(*) FROM crawl_runs WHERE status = 'failed'"),
        2
    );
    // Once robots.txt answers, the next crawl gets everything.
    e.crawl();
    assert!(e.archived(BILL_URL));
}

#[test]
fn robots_txt_crawl_delay_spaces_every_request() {
    let e = env(&["Opinion"], "");
    e.server.script(
        "/robots.txt",
        vec![Response::status(200, "User-agent: *\nCrawl-delay: 2\n").content_type("text/plain")],
    );
    e.crawl();
    let times: Vec<Instant> = e.server.requests().into_iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 3, "robots.txt, the list, the editorial");
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(1950),
            "{:?}",
            pair[1] - pair[0]
        );
    }
}

#[test]
fn a_second_crawl_answered_304_requests_no_article() {
    let e = env(&["National", "Opinion"], "");
    e.crawl();
    e.server.clear_log();
    let report = e.crawl();
    // Said as what happened, not as "0 pages, 0 links".
    assert!(
        report.contains("National: list not modified, 0 links"),
        "{report}"
    );
    let requests = e.server.requests();
    let lists: Vec<_> = requests
        .iter()
        .filter(|r| !r.target.starts_with("/robots"))
        .collect();
    assert_eq!(lists.len(), 2, "one request per list page: {lists:?}");
    assert!(lists
        .iter()
        .all(|r| r.if_none_match.is_some() && r.status == 304));
    assert_eq!(
        e.count("SELECT sum(not_modified) FROM crawl_runs WHERE id > 2 AND section != '(revisit)'"),
        2
    );
}

#[test]
fn a_section_whose_list_keeps_failing_backs_off_and_recovers() {
    let e = env(
        &["National"],
        "section_failures = 3\nsection_backoff = \"2s\"\n",
    );
    e.server
        .script("/National", vec![Response::status(500, "down"); 6]);
    for _ in 0..3 {
        let (summary, _) = e.crawl_failing();
        assert!(summary.contains("server answered 500"), "{summary}");
    }
    assert_eq!(
        e.count("SELECT count(*) FROM crawl_runs WHERE status = 'failed'"),
        3
    );
    e.server.clear_log();
    let summary = e.crawl();
    assert!(summary.contains("backing off"), "{summary}");
    assert!(
        !e.server.targets().iter().any(|t| t == "/National"),
        "a backing-off section was fetched"
    );

    std::thread::sleep(Duration::from_millis(2100));
    e.crawl();
    assert!(e.archived(BILL_URL), "the section did not come back");
    let status: String = e
        .db()
        .query_row(
            "SELECT status FROM crawl_runs WHERE section = 'National' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("last run");
    assert_eq!(status, "ok");
}

/// A National list page linking `n` articles the server does not have.
fn list_of(n: u32) -> String {
    let links: String = (0..n)
        .map(|i| {
            format!(
                "<li><a href=\"/article/{}\">story {i}</a></li>",
                20_000_000 + i
            )
        })
        .collect();
    format!(
        "<html><body><article class=\"recent_news\"><ul class=\"news_list\">{links}</ul></article></body></html>"
    )
}

#[test]
fn a_list_page_past_the_cap_is_refused_whole_and_its_links_are_not_lost() {
    let e = env(&["National"], "");
    let text = std::fs::read_to_string(&e.config).expect("config");
    std::fs::write(
        &e.config,
        text.replacen("max_pages = 1", "max_pages = 1\nmax_links_per_page = 40", 1),
    )
    .expect("config");
    e.server
        .script("/National", vec![Response::html(list_of(5_000)); 2]);
    let (summary, _) = e.crawl_failing();
    assert!(summary.contains("refused as hostile"), "{summary}");
    let articles = |e: &Env| {
        e.server
            .targets()
            .iter()
            .filter(|t| t.starts_with("/article/2"))
            .count()
    };
    assert_eq!(articles(&e), 0, "none of it taken");
    let error: String = e
        .db()
        .query_row(
            "SELECT error FROM crawl_runs ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("the run's error");
    assert!(
        error.contains("5000 article links, more than [site] max_links_per_page = 40"),
        "{error}"
    );
    let status = common::cli(&["status", "--config", e.config.to_str().expect("path")]);
    assert!(common::stdout(&status).contains("refused as hostile"));
    // Its validators were not kept: the next run reads the page whole.
    e.server.clear_log();
    e.crawl_failing();
    let list = e
        .server
        .requests()
        .into_iter()
        .find(|r| r.target == "/National");
    assert_eq!(list.map(|r| r.if_none_match), Some(None));
}

#[test]
fn a_list_page_of_thousands_of_links_under_the_cap_owes_every_one() {
    // The issue's case: 3,000 links, of which 300 were taken and 2,700 lost.
    let e = env(&["National"], "pending_attempts = 1\n");
    e.server
        .script("/National", vec![Response::html(list_of(3_000))]);
    e.crawl();
    // Each is asked once (the server has none of them: each is given up).
    let asked = e
        .server
        .targets()
        .iter()
        .filter(|t| t.starts_with("/article/2"))
        .count();
    assert_eq!(asked, 3_000);
    assert_eq!(
        e.count("SELECT count(*) FROM pending_fetches WHERE url LIKE '%/article/2%'"),
        3_000
    );
    assert_eq!(e.last_run("links_found"), 3_000);
}

#[test]
fn pending_lists_given_up_links_and_retry_puts_them_back() {
    // One try only: the "Page not found" page LifenCulture links is given up.
    let e = env(&["LifenCulture"], "pending_attempts = 1\n");
    e.crawl();
    let cfg = e.config.to_str().expect("path");
    let out = common::cli(&["pending", "--config", cfg]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let table = common::stdout(&out);
    assert!(table.starts_with("STATE"), "{table}");
    let line = table
        .lines()
        .find(|l| l.contains("/article/10915404"))
        .unwrap_or_else(|| panic!("the link is listed: {table}"));
    assert!(
        line.starts_with("given up") && line.contains("not an article"),
        "{line}"
    );
    assert!(table.contains("1 given up"), "{table}");
    assert!(
        table.contains("\n1 link: "),
        "one link, not '1 links': {table}"
    );
    let out = common::cli(&["pending", "--config", cfg, "--json"]);
    let json: serde_json::Value =
        serde_json::from_str(common::stdout(&out).trim()).expect("one json line");
    assert_eq!(json["state"], "given up");
    assert_eq!(json["next_attempt_at"], serde_json::Value::Null);

    // Given up: the next crawl leaves it alone.
    e.server.clear_log();
    e.crawl();
    assert!(!e.server.targets().iter().any(|t| t == "/article/10915404"));

    // The page is fixed on the site; retry puts the link back, and the next
    // crawl archives it.
    e.server
        .replace("/article/10915404", "site/article/10915102.html");
    let out = common::cli(&["retry", "--config", cfg, "--section", "LifenCulture"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        common::stdout(&out).starts_with("1 link back in the queue"),
        "{}",
        common::stdout(&out)
    );
    e.crawl();
    assert!(e.archived("https://www.koreaherald.com/article/10915404"));
    let out = common::cli(&["pending", "--config", cfg, "--json"]);
    assert_eq!(common::stdout(&out).trim(), "", "nothing left pending");
    // Nothing to say which links is a usage error.
    let out = common::cli(&["retry", "--config", cfg]);
    assert!(!out.status.success());
}

#[test]
fn date_filters_are_read_in_korean_time_at_the_day_boundary() {
    // The editorial was published 2026-11-25T20:30Z: 05:30 on the 26th in Seoul.
    let e = env(&["National", "Opinion"], "");
    e.crawl();
    let cfg = e.config.to_str().expect("path");
    let exported = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["export", "--config", cfg];
        all.extend_from_slice(args);
        let out = common::cli(&all);
        assert!(out.status.success(), "{}", common::stderr(&out));
        common::stdout(&out)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("json");
                v["url"].as_str().unwrap_or_default().to_string()
            })
            .collect()
    };
    let editorial = "https://www.koreaherald.com/article/10914877".to_string();
    // The 26th in Seoul starts at 15:00 UTC on the 25th: the editorial is in.
    assert!(exported(&["--since", "2026-11-26"]).contains(&editorial));
    // The same date with an explicit UTC time: it is out.
    assert!(!exported(&["--since", "2026-11-26T00:00:00Z"]).contains(&editorial));
    // Search prints the site's clock and says so.
    let out = common::cli(&[
        "search",
        "--config",
        cfg,
        "--since",
        "2026-11-26",
        "--until",
        "2026-11-27",
        "editorial OR pension OR the",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    assert!(text.contains("2026-11-26 05:30 KST"), "{text}");
    assert!(
        !text.contains("2026-11-27 16:02"),
        "the 27th is past --until: {text}"
    );
    let out = common::cli(&["search", "--config", cfg, "--since", "26/11/2026", "x"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a date it cannot read is a usage error"
    );
}

#[test]
fn progress_is_drawn_on_a_terminal_and_never_into_a_pipe() {
    let e = env(&["National", "Opinion"], "");
    e.crawl();
    let cfg = e.config.to_str().expect("path");
    // Piped (as under systemd, cron or a script): the summary line only.
    let out = common::cli(&["export", "--config", cfg]);
    assert!(out.status.success());
    assert_eq!(common::stderr(&out), "exported 3 articles\n");
    let out = common::cli(&["reextract", "--config", cfg]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let err = common::stderr(&out);
    assert!(!err.contains('\r') && !err.contains("ETA"), "{err:?}");

    // On a terminal (a pseudo-terminal from util-linux `script`), the bar.
    let bin = env!("CARGO_BIN_EXE_herald-archiver");
    let Ok(shown) = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{bin} reextract --config {cfg} >/dev/null"),
            "/dev/null",
        ])
        .env_remove("JOURNAL_STREAM")
        .env("RUST_LOG", "off")
        .output()
    else {
        eprintln!("skipped the terminal half: util-linux `script` is not installed");
        return;
    };
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("re-extracting") && text.contains("ETA"),
        "{text:?}"
    );
    // A backfill: a bar over the list pages, with requests, rate and ETA.
    let shown = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{bin} crawl --config {cfg} --pages 3 >/dev/null"),
            "/dev/null",
        ])
        .env_remove("JOURNAL_STREAM")
        .env("RUST_LOG", "off")
        .output()
        .expect("script runs");
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("/6 list pages") && text.contains("ETA"),
        "{text:?}"
    );
    // Piped, the same backfill draws nothing.
    let out = common::cli(&["crawl", "--config", cfg, "--pages", "3"]);
    assert!(
        !common::stderr(&out).contains("list pages"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn crawl_url_fetches_one_address_now_through_the_same_steps() {
    let e = env(&["National"], "");
    let cfg = e.config.to_str().expect("path");
    // The tech article no configured section lists, by its mobile address
    // with a tracking parameter.
    let out = common::cli(&[
        "crawl",
        "--config",
        cfg,
        "--url",
        "https://m.koreaherald.com/article/10915188?utm_source=x",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        common::stdout(&out).starts_with("(url): 0 pages, 1 links, 1 new"),
        "{}",
        common::stdout(&out)
    );
    assert!(e.archived("https://www.koreaherald.com/article/10915188"));
    assert_eq!(e.server.targets(), ["/robots.txt", "/article/10915188"]);
    // Again: the same article, unchanged, not stored twice.
    let out = common::cli(&[
        "crawl",
        "--config",
        cfg,
        "--url",
        "https://www.koreaherald.com/article/10915188",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    e.nothing_twice();
    let out = common::cli(&[
        "crawl",
        "--config",
        cfg,
        "--url",
        "https://example.com/article/1",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
}

#[test]
fn a_crawl_url_address_that_failed_is_retried_by_the_next_full_crawl() {
    let e = env(&["National"], "");
    let cfg = e.config.to_str().expect("path");
    let url = "https://www.koreaherald.com/article/10915188";
    // Both tries of this one request fail.
    e.server.script(
        "/article/10915188",
        vec![Response::status(500, "down"), Response::status(500, "down")],
    );
    common::cli(&["crawl", "--config", cfg, "--url", url]);
    assert!(!e.archived(url));
    assert!(e.pending_error(url).is_some(), "queued for a retry");
    // No section lists it: the full crawl tries it again as `(url)`.
    e.retry_is_due();
    let report = e.crawl();
    assert!(
        report.contains("(url): 0 pages, 1 links, 1 new"),
        "{report}"
    );
    assert!(e.archived(url));
    assert_eq!(e.pending_error(url), None);
    // Nothing is left to retry: the next crawl has no `(url)` run.
    assert!(!e.crawl().contains("(url)"));
}

#[test]
fn warc_export_has_a_warcinfo_then_a_page_and_its_record_per_kept_page() {
    use std::io::Read;
    let e = env(&["National", "Opinion"], "");
    e.crawl();
    let cfg = e.config.to_str().expect("path");
    let out = common::cli(&["export", "--config", cfg, "--format", "warc"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let kept = e.count("SELECT count(*) FROM article_revisions WHERE page IS NOT NULL");
    assert_eq!(kept, 3);
    // One gzip member per record: the members read back to back.
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(&out.stdout[..])
        .read_to_string(&mut text)
        .expect("gzip members");
    let types: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("WARC-Type: "))
        .map(str::trim)
        .collect();
    assert_eq!(types.first(), Some(&"warcinfo"));
    // Pages crawled now keep their answer's head: response records.
    assert_eq!(
        types.iter().filter(|t| **t == "response").count() as i64,
        kept
    );
    assert!(text.contains("Content-Type: application/http; msgtype=response\r\n"));
    assert!(text.contains("HTTP/1.1 200 OK\r\n"));
    assert!(
        text.contains("content-type: text/html; charset=utf-8\r\n"),
        "{text}"
    );
    assert_eq!(
        types.iter().filter(|t| **t == "metadata").count() as i64,
        kept
    );
    assert!(text.contains("WARC-Target-URI: https://www.koreaherald.com/article/10915012\r\n"));
    assert!(text.contains("WARC-Payload-Digest: sha1:"));
    // The extracted record never shadows the page in a replay index: an
    // address of its own, and it names the page it goes with.
    assert!(text.contains("WARC-Target-URI: metadata://www.koreaherald.com/article/10915012\r\n"));
    assert_eq!(
        text.matches("WARC-Concurrent-To: <urn:uuid:").count() as i64,
        kept
    );
    assert_eq!(text.matches("WARC/1.1\r\n").count(), types.len());
    // Only one section: its pages only.
    let out = common::cli(&[
        "export",
        "--config",
        cfg,
        "--format",
        "warc",
        "--section",
        "Opinion",
    ]);
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(&out.stdout[..])
        .read_to_string(&mut text)
        .expect("gzip members");
    assert_eq!(text.matches("WARC-Type: response").count(), 1);
}

/// A crawl whose bill drips one byte a second, with timeouts far longer
/// than the test: started, and back once the bill's request is in flight.
fn crawl_stuck_on_a_drip(grace: &str) -> (Env, std::process::Child) {
    let e = env(&["National"], "attempts = 20\n");
    let text = std::fs::read_to_string(&e.config).expect("config");
    let text = text
        .replace("timeout = \"1500ms\"", "timeout = \"300s\"")
        .replace("read_timeout = \"1s\"", "read_timeout = \"300s\"")
        .replace("attempts = 2\n", "")
        + &format!("\n[daemon]\ngrace_period = \"{grace}\"\n");
    std::fs::write(&e.config, text).expect("config");
    e.server.script(
        BILL,
        vec![Response::html(bill_page()).fault(Fault::Drip(Duration::from_secs(1)))],
    );
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_herald-archiver"))
        .args(["crawl", "--config", e.config.to_str().expect("path")])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("crawl starts");
    let start = Instant::now();
    while !e.server.targets().iter().any(|t| t == BILL) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "bill never asked"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    (e, child)
}

fn signal(child: &std::process::Child, name: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill -{name}");
}

fn exit_within(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("crawl still running {limit:?} after the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_stops_a_crawl_stuck_on_a_dripping_article_within_the_grace_period() {
    let (e, mut child) = crawl_stuck_on_a_drip("1s");
    signal(&child, "TERM");
    // It waited for the drip (88 s, or for ever with many attempts).
    let status = exit_within(&mut child, Duration::from_secs(4));
    assert_eq!(status.code(), Some(143));
    let asked = e.server.targets().iter().filter(|t| *t == BILL).count();
    assert_eq!(asked, 1, "no retry after the signal");
    // What it left is done by the next crawl.
    e.server.clear_scripts();
    e.crawl();
    assert!(e.archived(BILL_URL));
    e.nothing_twice();
}

#[test]
fn a_second_signal_stops_a_crawl_at_once() {
    let (e, mut child) = crawl_stuck_on_a_drip("60s");
    signal(&child, "TERM");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "INT");
    let status = exit_within(&mut child, Duration::from_secs(3));
    assert!(!status.success());
    e.server.clear_scripts();
    e.crawl();
    assert!(e.archived(BILL_URL));
    e.nothing_twice();
}

#[test]
fn a_crawl_delay_past_the_ceiling_is_honoured_up_to_it_with_one_warning() {
    // Every list is disallowed, so the test does not wait out the delay:
    // what it shows is the warning and check-site's pacing line.
    let e = env(&["National", "Business"], "");
    let robots = "User-agent: *\nDisallow: /\nCrawl-delay: 99999999999\n";
    e.server.script(
        "/robots.txt",
        vec![Response::status(200, robots).content_type("text/plain"); 3],
    );
    let cfg = e.config.to_str().expect("path");
    let out = common::cli(&["crawl", "--config", cfg]);
    let err = common::stderr(&out);
    let warned = err.matches("longer than herald-archiver honours").count();
    assert_eq!(warned, 1, "one warning for two sections:\n{err}");
    assert!(err.contains("60s apart"), "{err}");
    let out = common::cli(&["check-site", "--config", cfg]);
    let text = common::stdout(&out);
    assert!(
        text.contains("pacing: a request every 1m: robots.txt asks for a Crawl-delay of 100000000000s, more than the 60s herald-archiver honours"),
        "{text}"
    );
}

#[test]
fn a_robots_txt_over_the_cap_is_followed_for_its_first_part() {
    let e = env(&["National", "Business"], "");
    // 6 MiB: the rule at the top is followed, the one past 512 KiB is not.
    let mut robots = String::from("User-agent: *\nDisallow: /National\n");
    while robots.len() < 6 << 20 {
        robots.push_str("# a comment line to make the file large\n");
    }
    robots.push_str("Disallow: /article/10999999\n");
    e.server.script(
        "/robots.txt",
        vec![Response::status(200, robots).content_type("text/plain")],
    );
    let out = common::cli(&["crawl", "--config", e.config.to_str().expect("path")]);
    let err = common::stderr(&out);
    assert!(err.contains("first 512 KiB are followed"), "{err}");
    let targets = e.server.targets();
    assert!(
        !targets.iter().any(|t| t.starts_with("/National")),
        "{targets:?}"
    );
    assert!(
        targets.contains(&"/article/10999999".to_string()),
        "{targets:?}"
    );
}

#[test]
fn a_304_to_a_request_without_validators_is_a_server_error_not_unchanged() {
    let e = env(&["National"], "");
    e.server.script(BILL, vec![Response::status(304, "")]);
    let report = e.crawl();
    assert!(!e.archived(BILL_URL));
    let error = e.pending_error(BILL_URL).expect("owed, in pending");
    assert!(error.contains("server answered 304"), "{error}");
    assert_eq!(e.last_run("unchanged"), 0, "{report}");
    e.server.clear_scripts();
    e.retry_is_due();
    e.crawl();
    assert!(e.archived(BILL_URL));
}

#[test]
fn a_retry_waiting_when_the_signal_comes_is_not_made() {
    // The bill fails fast and its retry waits seconds: the signal comes in
    // that wait, and no second request may follow it. The grace period is
    // longer than the wait, so only the stop itself can prevent the retry.
    let e = env(&["National"], "attempts = 5\n");
    let text = std::fs::read_to_string(&e.config)
        .expect("config")
        .replace("base_delay = \"50ms\"", "base_delay = \"4s\"")
        .replace("max_delay = \"5s\"", "max_delay = \"10s\"")
        .replace("attempts = 2\n", "")
        + "\n[daemon]\ngrace_period = \"10s\"\n";
    std::fs::write(&e.config, text).expect("config");
    e.server
        .script(BILL, vec![Response::status(500, "down"); 5]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_herald-archiver"))
        .args(["crawl", "--config", e.config.to_str().expect("path")])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("crawl starts");
    let start = Instant::now();
    while !e.server.targets().iter().any(|t| t == BILL) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "bill never asked"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, "TERM");
    // The wait is cut short (it was 2 to 4 s), not sat out.
    let status = exit_within(&mut child, Duration::from_millis(1500));
    assert_eq!(status.code(), Some(143));
    // Past the shortest retry wait (2 s, half of base_delay): none came.
    std::thread::sleep(Duration::from_secs(2));
    let asked = e.server.targets().iter().filter(|t| *t == BILL).count();
    assert_eq!(asked, 1, "a retry after the signal");
}
