//! Runs the generic main-content layer (what `extract --generic` prints as
//! `body`) over a folder of saved pages in one process, and writes one
//! `{"file", "body"}` line per page plus the time it took.
//!
//!     cargo run --release --example generic_devset -- HTML_DIR TRUTH.json OUT.jsonl
//!
//! TRUTH.json is the development set's (`../shared/extraction-devset/`): it
//! gives each page's address (pages name none of their own). Every page is
//! extracted `GENERIC_RUNS` times (default 3) and the mean time printed as
//! `generic mean: X ms/page`; `bench/generic_vs_trafilatura.sh` runs it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use herald_archiver::extract;
use herald_archiver::site::profile::Profile;
use herald_archiver::site::urls::SiteUrls;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, truth, out] = &args[..] else {
        return Err("usage: generic_devset HTML_DIR TRUTH.json OUT.jsonl".into());
    };
    let runs: u32 = std::env::var("GENERIC_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let truth: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(truth)?)?;
    let site = SiteUrls::new(url::Url::parse("https://www.koreaherald.com")?);
    let profile = Profile::herald();
    let mut out = std::io::BufWriter::new(std::fs::File::create(out)?);
    let (mut total, mut pages, mut failed) = (Duration::ZERO, 0u32, 0u32);
    for (file, t) in &truth {
        let path = PathBuf::from(dir).join(file);
        let bytes = std::fs::read(&path)?;
        let html = String::from_utf8_lossy(&bytes);
        let given = t
            .get("url")
            .and_then(|u| u.as_str())
            .and_then(|u| url::Url::parse(u).ok());
        let mut body = String::new();
        let start = Instant::now();
        for _ in 0..runs {
            body = match extract::generic_record(&html, given.as_ref(), &profile, &site) {
                Ok(r) => r.body,
                Err(_) => String::new(),
            };
        }
        total += start.elapsed() / runs;
        pages += 1;
        failed += u32::from(body.is_empty());
        writeln!(out, "{}", serde_json::json!({ "file": file, "body": body }))?;
    }
    out.flush()?;
    if pages == 0 {
        return Err("no pages".into());
    }
    println!(
        "generic mean: {:.3} ms/page ({pages} pages, {failed} without text, {runs} runs each)",
        total.as_secs_f64() * 1000.0 / f64::from(pages)
    );
    Ok(())
}
