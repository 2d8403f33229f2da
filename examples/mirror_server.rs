//! A synthetic mirror of the site for the crawl benchmark: one section,
//! `/Mirror`, listing N distinct articles, 100 per page, newest first (the
//! same mirror the tests use: tests/common/mirror.rs).
//!
//!   cargo run --release --example mirror_server -- 10000 [--live] [PORT]
//!
//! Articles are the fixture bill page with their own id, headline and
//! paragraphs (~10 KiB), or grown to ~150 KiB with `--live`. `/rss/Mirror`
//! is an RSS feed of the newest 50. `/__stats` answers how many article
//! pages, list pages and feeds were served.

#[path = "../tests/common/mirror.rs"]
mod mirror;
#[path = "../bench/pages.rs"]
mod pages;
#[path = "../tests/common/server.rs"]
mod server;

use std::time::Duration;

use mirror::Mirror;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let total: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let live = args.iter().any(|a| a == "--live");
    let port: u16 = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(0);
    let template = if live {
        pages::live_sized(Mirror::template(), 7, pages::LIVE_PAGE_BYTES)
    } else {
        Mirror::template().to_string()
    };
    let mirror = Mirror::start_with(total, Duration::ZERO, template, port);
    println!("{}", mirror.url());
    loop {
        std::thread::park();
    }
}
