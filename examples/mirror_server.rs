//! A synthetic mirror of the site for the crawl benchmark: one section,
//! `/Mirror`, listing N distinct articles, 100 per page, newest first.
//!
//!   cargo run --release --example mirror_server -- 10000 [--live] [PORT]
//!
//! Articles are the fixture bill page with their own id, headline and
//! paragraphs (~10 KiB), or grown to ~150 KiB with `--live`. `/__stats`
//! answers how many article and list pages were served.

#[path = "../bench/pages.rs"]
mod pages;
#[path = "../tests/common/server.rs"]
mod server;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use server::{Response, Server};

const FIRST_ID: u64 = 20_000_000;
const PER_PAGE: u64 = 100;
const TEMPLATE_ID: u64 = 10915012;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let total: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let live = args.iter().any(|a| a == "--live");
    let port: u16 = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(0);
    let template = include_str!("../tests/fixtures/koreaherald/site/article/10915012.html");
    let template = if live {
        pages::live_sized(template, 7, pages::LIVE_PAGE_BYTES)
    } else {
        template.to_string()
    };
    let articles = Arc::new(AtomicU64::new(0));
    let listings = Arc::new(AtomicU64::new(0));
    let (a, l) = (articles.clone(), listings.clone());
    let handler = move |target: &str| -> Response {
        if target == "/robots.txt" {
            return Response::status(200, b"User-agent: *\nDisallow: /private/\n".to_vec())
                .content_type("text/plain");
        }
        if target == "/__stats" {
            let body = format!(
                "articles={} listings={}\n",
                a.load(Ordering::Relaxed),
                l.load(Ordering::Relaxed)
            );
            return Response::html(body);
        }
        if let Some(rest) = target.strip_prefix("/Mirror") {
            let page = rest
                .strip_prefix("?page=")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1u64);
            if rest.is_empty() || page > 1 {
                if (page - 1) * PER_PAGE >= total {
                    return Response::not_found();
                }
                l.fetch_add(1, Ordering::Relaxed);
                return Response::html(pages::mirror_listing(page, PER_PAGE, FIRST_ID, total));
            }
        }
        if let Some(id) = target
            .strip_prefix("/article/")
            .and_then(|i| i.parse::<u64>().ok())
        {
            if (FIRST_ID..FIRST_ID + total).contains(&id) {
                a.fetch_add(1, Ordering::Relaxed);
                return Response::html(pages::mirror_article(&template, TEMPLATE_ID, id));
            }
        }
        Response::not_found()
    };
    let server = Server::start(port, Arc::new(handler))?;
    println!("{}", server.url());
    loop {
        std::thread::park();
    }
}
