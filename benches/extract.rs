//! Extraction speed on live-sized pages (`cargo bench --bench extract`).
//!
//! Each fixture article is grown to ~150 KiB with the furniture live pages
//! carry (scripts, styles, news lists, menus). The bench first checks that the
//! grown page gives exactly the record of the small one, then times
//! `extract::article` on one thread. It writes the grown pages to
//! `target/bench-pages/` so `bench/extract_vs_trafilatura.sh` can time Python
//! trafilatura on the very same bytes.

#[path = "../bench/pages.rs"]
mod pages;

use std::path::Path;
use std::time::{Duration, Instant};

use herald_archiver::extract;
use herald_archiver::site::profile::Profile;
use herald_archiver::site::urls::SiteUrls;

const CASES: &[(&str, &str)] = &[
    ("bill", "site/article/10915012.html"),
    ("bill-revised", "site/article/10915012-revised.html"),
    ("chips", "site/article/10915230.html"),
    ("editorial", "site/article/10914877.html"),
    ("kpop", "site/article/10915102.html"),
    ("seed", "site/article/10072519.html"),
    ("seed-legacy", "site/view.php-ud-20230330000512.html"),
    ("tech_nojsonld", "site/article/10915188.html"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("tests/fixtures/koreaherald");
    let out_dir = root.join("target/bench-pages");
    std::fs::create_dir_all(&out_dir)?;
    let site = SiteUrls::new(url::Url::parse("https://www.koreaherald.com")?);
    let profile = Profile::herald();
    let budget = Duration::from_millis(
        std::env::var("BENCH_MS_PER_PAGE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1500),
    );

    let mut total_time = Duration::ZERO;
    let mut total_runs = 0u32;
    let mut total_bytes = 0usize;
    for (i, (name, rel)) in CASES.iter().enumerate() {
        let small = std::fs::read_to_string(fixtures.join(rel))?;
        let page = if *name == "seed-legacy" {
            // The 2017-2023 page has no <footer>: grow it before its footer div.
            pages::live_sized(
                &small.replacen(
                    "<div class=\"footer\"",
                    "<footer></footer><div class=\"footer\"",
                    1,
                ),
                i as u64,
                pages::LIVE_PAGE_BYTES,
            )
        } else {
            pages::live_sized(&small, i as u64, pages::LIVE_PAGE_BYTES)
        };
        let want = extract::article(&small, None, &profile, &site)?;
        let got = extract::article(&page, None, &profile, &site)?;
        if got != want {
            return Err(format!(
                "{name}: the live-sized page gives another record than the fixture"
            )
            .into());
        }
        std::fs::write(out_dir.join(format!("{name}.html")), &page)?;

        let mut runs = 0u32;
        let start = Instant::now();
        while start.elapsed() < budget || runs < 5 {
            let r = extract::article(std::hint::black_box(&page), None, &profile, &site)?;
            std::hint::black_box(r);
            runs += 1;
        }
        let took = start.elapsed();
        total_time += took;
        total_runs += runs;
        total_bytes += page.len() * runs as usize;
        println!(
            "extract {name:<14} {:>6.1} KiB  {:>7.3} ms/page  ({runs} runs)",
            page.len() as f64 / 1024.0,
            took.as_secs_f64() * 1000.0 / runs as f64
        );
    }
    let per_page = total_time.as_secs_f64() / total_runs as f64;
    println!(
        "extract mean: {:.3} ms/page, {:.0} pages/s, {:.1} MiB/s on one core",
        per_page * 1000.0,
        1.0 / per_page,
        total_bytes as f64 / total_time.as_secs_f64() / (1024.0 * 1024.0)
    );
    println!("pages written to {}", out_dir.display());
    Ok(())
}
