//! Times extraction of every pathological page shape in
//! `tests/common/hostile.rs` (each under the 5 MiB body cap) and fails when
//! one takes longer than the limit (default 1 s):
//!
//!     cargo run --release --example hostile_pages [-- LIMIT_SECONDS]
//!
//! `bench/hostile_pages.sh` runs it.

#[path = "../tests/common/hostile.rs"]
mod hostile;

use std::time::{Duration, Instant};

use herald_archiver::extract;
use herald_archiver::site::profile::Profile;
use herald_archiver::site::urls::SiteUrls;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let limit = std::env::args()
        .nth(1)
        .map(|s| s.parse::<f64>())
        .transpose()?
        .map_or(Duration::from_secs(1), Duration::from_secs_f64);
    let site = SiteUrls::new(url::Url::parse("https://www.koreaherald.com")?);
    let profile = Profile::herald();
    let page = url::Url::parse("https://www.koreaherald.com/article/10900009")?;
    let mut slow = Vec::new();
    // HOSTILE_SCALE < 1 shrinks every page (a quadratic case shows sooner).
    let scale = std::env::var("HOSTILE_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    // HOSTILE_ONLY=NAME runs one shape (to profile it).
    let only = std::env::var("HOSTILE_ONLY").ok();
    for (name, html) in hostile::shapes(scale) {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let started = Instant::now();
        let outcome = match extract::article(&html, Some(&page), &profile, &site) {
            Ok(_) => "record".to_string(),
            Err(e) => e.to_string(),
        };
        let took = started.elapsed();
        let listing_started = Instant::now();
        let _ = extract::listing(&html, &page, &profile, &site);
        let listing = listing_started.elapsed();
        println!(
            "{name:<26} {:>5} KiB  article {:>8.1} ms  listing {:>8.1} ms  {}",
            html.len() / 1024,
            took.as_secs_f64() * 1000.0,
            listing.as_secs_f64() * 1000.0,
            outcome.chars().take(90).collect::<String>()
        );
        if took.max(listing) > limit {
            slow.push(name);
        }
    }
    if slow.is_empty() {
        println!("every page under {limit:?}");
        Ok(())
    } else {
        Err(format!("over {limit:?}: {}", slow.join(", ")).into())
    }
}
