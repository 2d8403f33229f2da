//! Search latency over a large archive (`cargo bench --bench search`).
//! Target: p95 under 20 ms over 1,000,000 articles.
//!
//! Builds (once, then reuses) `target/search-bench/archive-N.db` with N
//! synthetic articles (`SEARCH_BENCH_ARTICLES`, default 1,000,000): ~150-word
//! bodies drawn from a Zipf-like vocabulary of 30,000 words, through the
//! real schema and its FTS triggers. Then times `Archive::search`, the code
//! the `search` command runs, on queries a reader would type: topic words,
//! two-word queries, phrases, prefixes, NEAR, and section and date filters.
//! Queries made only of the most common words (which match most of the
//! archive and must all be ranked) are timed apart.

use std::path::PathBuf;
use std::time::Instant;

#[path = "../bench/pages.rs"]
mod pages;

use herald_archiver::archive::{Archive, Search};
use pages::Lcg;

/// A word rank with a Zipf-like (1/rank) distribution.
fn zipf(rng: &mut Lcg, n: usize) -> usize {
    let u = (rng.next() % 1_000_000) as f64 / 1_000_000.0;
    ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
}

const VOCAB: usize = 30_000;
const SECTIONS: [&str; 6] = [
    "National",
    "Business",
    "LifenCulture",
    "Sports",
    "World",
    "Opinion",
];

fn word(rank: usize) -> String {
    // Pronounceable, distinct, and not English stems the porter stemmer would fold.
    const SYL: [&str; 16] = [
        "ka", "ro", "mi", "ten", "su", "lo", "va", "ne", "di", "po", "ran", "ki", "zu", "me", "ho",
        "ta",
    ];
    let mut n = rank + 16;
    let mut w = String::new();
    while n > 0 {
        w.push_str(SYL[n % 16]);
        n /= 16;
    }
    w
}

fn build(path: &PathBuf, n: u64) -> Result<(), Box<dyn std::error::Error>> {
    let archive = Archive::open(path)?;
    drop(archive);
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")?;
    let mut rng = Lcg(7);
    let started = Instant::now();
    let batch = 20_000;
    let mut done = 0;
    while done < n {
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare(
                "INSERT INTO articles (url, title, authors, section, published_at, updated_at, body,
                     content_hash, first_seen_at, last_checked_at)
                 VALUES (?1, ?2, '[]', ?3, ?4, ?4, ?5, ?6, ?4, ?4)",
            )?;
            for i in done..(done + batch).min(n) {
                let title: Vec<String> = (0..8).map(|_| word(zipf(&mut rng, VOCAB))).collect();
                let body: Vec<String> = (0..150).map(|_| word(zipf(&mut rng, VOCAB))).collect();
                let day = i / 300;
                let published = format!(
                    "{:04}-{:02}-{:02}T{:02}:00:00Z",
                    2015 + day / 360,
                    1 + (day % 360) / 30,
                    1 + day % 30,
                    i % 24
                );
                st.execute(rusqlite::params![
                    format!("https://www.koreaherald.com/article/{}", 20_000_000 + i),
                    title.join(" "),
                    SECTIONS[(i % 6) as usize],
                    published,
                    body.join(" "),
                    format!("{i:x}"),
                ])?;
            }
        }
        tx.commit()?;
        done = (done + batch).min(n);
        if done % 100_000 == 0 {
            eprintln!(
                "built {done} articles in {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    conn.execute_batch(
        "INSERT INTO articles_fts (articles_fts) VALUES ('optimize'); PRAGMA optimize;",
    )?;
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = std::env::var("SEARCH_BENCH_ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/search-bench");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("archive-{n}.db"));
    if !path.exists() {
        let tmp = dir.join(format!("archive-{n}.db.building"));
        let _ = std::fs::remove_file(&tmp);
        build(&tmp, n)?;
        std::fs::rename(&tmp, &path)?;
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::rename(
                dir.join(format!("archive-{n}.db.building{ext}")),
                dir.join(format!("archive-{n}.db{ext}")),
            );
        }
    }
    let archive = Archive::open_readonly(&path)?;
    let mut rng = Lcg(99);
    // Topic words: outside the 200 most common, as people search.
    let mut topic = || word(200 + zipf(&mut rng, VOCAB - 200));
    let mut queries: Vec<Search> = Vec::new();
    let q = |query: String| Search {
        query,
        limit: 20,
        ..Search::default()
    };
    for i in 0..60 {
        queries.push(q(topic()));
        queries.push(q(format!("{} {}", topic(), topic())));
        queries.push(q(format!("\"{} {}\"", word(200 + i), word(201 + i))));
        // A word less its last syllable spans about sixteen words of this
        // vocabulary, as "econom*" spans about ten in English.
        let long = word(4096 + (i * 397) % (VOCAB - 4096));
        let prefix: String = long.chars().take(long.len() - 2).collect();
        queries.push(q(format!("{prefix}*")));
        queries.push(q(format!("NEAR({} {}, 10)", topic(), topic())));
        queries.push(Search {
            section: Some(SECTIONS[i % 6].into()),
            since: Some("2018-01-01T00:00:00Z".into()),
            ..q(topic())
        });
    }
    let common: Vec<Search> = (0..20).map(|i| q(word(i % 10))).collect();

    for warm in queries.iter().take(20) {
        archive.search(warm, ("", ""))?;
    }
    let time = |set: &[Search]| -> Result<Vec<f64>, Box<dyn std::error::Error>> {
        let mut ms = Vec::new();
        for s in set {
            let t = Instant::now();
            let hits = archive.search(s, ("[", "]"))?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(hits);
        }
        ms.sort_by(f64::total_cmp);
        Ok(ms)
    };
    if std::env::var_os("SEARCH_BENCH_SLOWEST").is_some() {
        let mut each: Vec<(f64, String)> = Vec::new();
        for s in &queries {
            let t = Instant::now();
            archive.search(s, ("[", "]"))?;
            each.push((
                t.elapsed().as_secs_f64() * 1000.0,
                format!("{:?} {:?}", s.query, s.section),
            ));
        }
        each.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (ms, q) in each.iter().take(12) {
            eprintln!("{ms:8.2} ms  {q}");
        }
    }
    let ms = time(&queries)?;
    println!(
        "search over {n} articles, {} reader queries: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p95 < 20 ms)",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        percentile(&ms, 0.99),
        ms[ms.len() - 1]
    );
    let ms = time(&common)?;
    println!(
        "  queries of only the 10 most common words (match most articles): p50 {:.1} ms, p95 {:.1} ms",
        percentile(&ms, 0.5),
        percentile(&ms, 0.95)
    );
    Ok(())
}
