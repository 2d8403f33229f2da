//! Extraction never panics, whatever the input: every fixture page mutated
//! many ways (byte flips, cuts, splices, stray tags), random bytes, and every
//! input a crash was once found with (`tests/fixtures/crashes/`, kept as
//! regression cases). A panic names the input, written to
//! `target/robustness-crash-*.html` so it can be added to that folder.
//!
//! `ROBUSTNESS_ITERATIONS` sets the mutations per page (default 40).

mod common;

use common::pages;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use herald_archiver::extract;
use herald_archiver::site::profile::Profile;
use herald_archiver::site::urls::SiteUrls;
use pages::Lcg;
use url::Url;

const STRAY: &[&str] = &[
    "<div>",
    "</div>",
    "</td>",
    "<table>",
    "<script>",
    "</script>",
    "<!--",
    "-->",
    "<p>",
    "<br>",
    "<article id=\"articleText\">",
    "<h1 class=\"news_title\">",
    "<script type=\"application/ld+json\">{",
    "&nbsp;",
    "&#x0;",
    "&#xD800;",
    "\u{0}",
    "\u{feff}",
    "<svg>",
    "<![CDATA[",
    "<style>",
    "]]>",
    "\"",
];

fn mutate(page: &[u8], rng: &mut Lcg) -> Vec<u8> {
    let mut b = page.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(6) {
            0 if !b.is_empty() => {
                let at = rng.below(b.len());
                b[at] = rng.next() as u8;
            }
            1 => b.truncate(rng.below(b.len() + 1)),
            2 if !b.is_empty() => {
                let (from, len) = (rng.below(b.len()), rng.below(2000));
                let chunk: Vec<u8> = b[from..(from + len).min(b.len())].to_vec();
                let at = rng.below(b.len());
                b.splice(at..at, chunk);
            }
            3 => {
                let tag = STRAY[rng.below(STRAY.len())].as_bytes().to_vec();
                let at = rng.below(b.len() + 1);
                b.splice(at..at, tag);
            }
            4 if !b.is_empty() => {
                let from = rng.below(b.len());
                let to = (from + rng.below(500)).min(b.len());
                b.drain(from..to);
            }
            _ => b.reverse(),
        }
    }
    b
}

fn pages() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![common::fixtures().join(".."), common::fixtures()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixtures").flatten() {
            let p = entry.path();
            if p.is_dir() && !p.ends_with("crashes") && !p.ends_with("koreaherald") {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "html") {
                out.push(p);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Runs every extractor on `bytes`; a panic fails the test with the input saved.
fn survive(bytes: &[u8], what: &str) {
    let site = SiteUrls::new(Url::parse("http://127.0.0.1:1/").expect("url"));
    let profile = Profile::herald();
    let page = Url::parse("https://www.koreaherald.com/article/1").expect("url");
    let html = String::from_utf8_lossy(bytes);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let _ = extract::article(&html, Some(&page), &profile, &site);
        let _ = extract::article(&html, None, &profile, &site);
        let _ = extract::generic_record(&html, Some(&page), &profile, &site);
        let _ = extract::listing(&html, &page, &profile, &site);
    }));
    if result.is_err() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join(format!(
            "robustness-crash-{}.html",
            what.replace(['/', ' '], "_")
        ));
        let _ = std::fs::write(&file, bytes);
        panic!(
            "extraction panicked on {what}; input saved to {}",
            file.display()
        );
    }
}

#[test]
fn mutated_fixture_pages_never_panic() {
    let iterations: usize = std::env::var("ROBUSTNESS_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let pages = pages();
    assert!(pages.len() >= 14, "found {} pages", pages.len());
    let mut rng = Lcg(0x5eed);
    for page in &pages {
        let bytes = std::fs::read(page).expect("page");
        for i in 0..iterations {
            let mutated = mutate(&bytes, &mut rng);
            let name = format!(
                "{}-{i}",
                page.file_name().and_then(|n| n.to_str()).unwrap_or("page")
            );
            survive(&mutated, &name);
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Lcg(42);
    for i in 0..300 {
        let len = rng.below(4096);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        survive(&bytes, &format!("random-{i}"));
        // Random markup-ish text too: tags and entities in random order.
        let soup: String = (0..rng.below(200))
            .map(|_| STRAY[rng.below(STRAY.len())])
            .collect();
        survive(soup.as_bytes(), &format!("soup-{i}"));
    }
}

#[test]
fn inputs_that_once_crashed_stay_fixed() {
    let dir = common::fixtures().join("../crashes");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("crashes folder").flatten() {
        let bytes = std::fs::read(entry.path()).expect("input");
        survive(&bytes, &entry.file_name().to_string_lossy());
        n += 1;
    }
    assert!(n >= 1, "no regression inputs in {}", dir.display());
}
