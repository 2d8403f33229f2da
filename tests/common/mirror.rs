//! A local mirror of one section, `/Mirror`, with N distinct articles (100
//! per list page, newest first): for tests that need a crawl long enough to
//! be stopped in the middle (article answers can be slowed down), and for
//! the crawl benchmark (`examples/mirror_server.rs`). `/rss/Mirror` is its
//! feed of the newest articles. `/__stats` answers how many article pages,
//! list pages and feeds were served.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::pages;
use super::server::{Response, Server};

pub const FIRST_ID: u64 = 20_000_000;
pub const PER_PAGE: u64 = 100;
/// Items in the mirror's feed, `/rss/Mirror`: the newest, as the Herald's
/// feeds carry about 50.
pub const FEED_ITEMS: u64 = 50;
const TEMPLATE_ID: u64 = 10915012;

pub struct Mirror {
    server: Server,
    pub total: u64,
    delay_ms: Arc<AtomicU64>,
    articles: Arc<AtomicU64>,
    lists: Arc<AtomicU64>,
    feeds: Arc<AtomicU64>,
    robots: Arc<Mutex<String>>,
}

impl Mirror {
    /// The fixture bill page with each article's own id, headline and
    /// paragraphs (~10 KiB), on a free port.
    pub fn start(total: u64, delay: Duration) -> Mirror {
        Mirror::start_with(total, delay, Mirror::template().to_string(), 0)
    }

    /// The page every article is made from.
    pub fn template() -> &'static str {
        include_str!("../fixtures/koreaherald/site/article/10915012.html")
    }

    /// Articles made from `template` (a page of article TEMPLATE_ID), on
    /// `port` of 127.0.0.1 (0: any free port).
    pub fn start_with(total: u64, delay: Duration, template: String, port: u16) -> Mirror {
        let delay_ms = Arc::new(AtomicU64::new(delay.as_millis() as u64));
        let articles = Arc::new(AtomicU64::new(0));
        let lists = Arc::new(AtomicU64::new(0));
        let feeds = Arc::new(AtomicU64::new(0));
        let robots = Arc::new(Mutex::new(
            "User-agent: *\nDisallow: /private/\n".to_string(),
        ));
        let (d, a, l, f, r) = (
            delay_ms.clone(),
            articles.clone(),
            lists.clone(),
            feeds.clone(),
            robots.clone(),
        );
        let handler = move |target: &str| -> Response {
            if target == "/__stats" {
                let body = format!(
                    "articles={} listings={} feeds={}\n",
                    a.load(Ordering::Relaxed),
                    l.load(Ordering::Relaxed),
                    f.load(Ordering::Relaxed)
                );
                return Response::html(body);
            }
            if target == "/robots.txt" {
                let text = r.lock().map(|t| t.clone()).unwrap_or_default();
                return Response::status(200, text.into_bytes()).content_type("text/plain");
            }
            if target == "/rss/Mirror" {
                f.fetch_add(1, Ordering::SeqCst);
                return Response::status(200, pages::mirror_feed(FEED_ITEMS, FIRST_ID, total))
                    .content_type("application/rss+xml; charset=utf-8");
            }
            if let Some(rest) = target.strip_prefix("/Mirror") {
                let page = rest
                    .strip_prefix("?page=")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1u64);
                if (page - 1) * PER_PAGE >= total {
                    return Response::not_found();
                }
                l.fetch_add(1, Ordering::SeqCst);
                return Response::html(pages::mirror_listing(page, PER_PAGE, FIRST_ID, total));
            }
            if let Some(id) = target
                .strip_prefix("/article/")
                .and_then(|i| i.parse::<u64>().ok())
            {
                if (FIRST_ID..FIRST_ID + total).contains(&id) {
                    // Counted on arrival: a request in flight when its
                    // crawler is killed is counted before the test looks.
                    a.fetch_add(1, Ordering::SeqCst);
                    let ms = d.load(Ordering::Relaxed);
                    if ms > 0 {
                        std::thread::sleep(Duration::from_millis(ms));
                    }
                    return Response::html(pages::mirror_article(&template, TEMPLATE_ID, id));
                }
            }
            Response::not_found()
        };
        let server = Server::start(port, Arc::new(handler)).expect("mirror server");
        Mirror {
            server,
            total,
            delay_ms,
            articles,
            lists,
            feeds,
            robots,
        }
    }

    /// Serves another robots.txt from now on.
    pub fn set_robots(&self, text: &str) {
        if let Ok(mut r) = self.robots.lock() {
            *r = text.to_string();
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    /// Article and list page answers served so far.
    pub fn served(&self) -> (u64, u64) {
        (
            self.articles.load(Ordering::SeqCst),
            self.lists.load(Ordering::SeqCst),
        )
    }

    /// A config for crawling this mirror into `dir/archive.db`; `extra`
    /// goes into `[archive]`.
    pub fn config(&self, dir: &Path, pages: u32, max_pages: u32, extra_archive: &str) -> PathBuf {
        let db = dir.join("archive.db");
        let text = format!(
            r#"
[site]
base_url = "{base}"
max_pages = {max_pages}

[archive]
path = "{db}"
{extra_archive}

[http]
min_delay = "0s"
concurrency = 2
timeout = "10s"

[retry]
base_delay = "50ms"

[scheduler]
catch_up_delay = "0s"

[[section]]
name = "Mirror"
path = "/Mirror"
schedule = "0 3 * * *"
pages = {pages}
"#,
            base = self.url(),
            db = db.display()
        );
        let path = dir.join("herald.toml");
        std::fs::write(&path, text).expect("write config");
        path
    }
}
