//! What the commands print: search hits, status and check-config tables.
//! Kept apart from main.rs, which parses arguments and calls the library.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use herald_archiver::archive::{csv_field, Archive, Hit};
use herald_archiver::config::Config;

use crate::cli::OutputFormat;

/// Search hits as text, JSON lines or CSV.
pub fn search_hits(
    hits: &[Hit],
    format: OutputFormat,
    query: &str,
    tz: chrono_tz::Tz,
) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if format == OutputFormat::Csv {
        writeln!(out, "url,title,section,published_at,rank,snippet")?;
    }
    for h in hits {
        match format {
            OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(h)?)?,
            OutputFormat::Csv => {
                let fields = [
                    h.url.clone(),
                    h.title.clone(),
                    h.section.clone().unwrap_or_default(),
                    h.published_at.clone().unwrap_or_default(),
                    format!("{:.4}", h.rank),
                    h.snippet.clone(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(&printable(f))).collect();
                writeln!(out, "{}", line.join(","))?;
            }
            OutputFormat::Text => {
                // The site's own clock, saying so: a Herald reader's date.
                let date = h
                    .published_at
                    .as_deref()
                    .map(|t| local_time(t, tz))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{:>7.2}  {date:20}  {:12}  {}\n          {}\n          {}",
                    h.rank,
                    printable(&cut(h.section.as_deref().unwrap_or("-"), 40)),
                    printable(&cut(&h.title, 200)),
                    printable(&cut(&h.snippet, 400)),
                    printable(&cut(&h.url, 300))
                )?;
            }
        }
    }
    if hits.is_empty() && format == OutputFormat::Text {
        eprintln!("no matches for {query:?}");
    }
    Ok(())
}

/// At most `max` characters of `s` for a line on a terminal, with `…`
/// when cut (a page may have a 1 MB headline; json and csv keep it whole).
pub fn cut(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(s),
        Some((at, _)) => std::borrow::Cow::Owned(format!("{}…", &s[..at])),
    }
}

/// Text as a terminal or a spreadsheet may show it: control characters
/// (an archive written before they were stripped may hold some) are shown
/// as `\u{1b}` instead of acting on the terminal.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(herald_archiver::strings::is_unsafe_char) {
        std::borrow::Cow::Owned(herald_archiver::strings::escaped(s))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// An archive time (UTC text) on the site's clock, naming its zone; text
/// that is no time is shown as it is.
fn local_time(t: &str, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// The config's summary and each section's next runs.
pub fn check_config(path: &Path, config: &Config) -> Result<()> {
    let tz = config.scheduler.timezone.0;
    let now = chrono::Utc::now().with_timezone(&tz);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: ok, {} sections, archive {}, times in {}",
        path.display(),
        config.sections.len(),
        config.archive.path.display(),
        tz
    )?;
    for s in &config.sections {
        let next: Vec<String> = s
            .schedule
            .upcoming(now, 3)
            .iter()
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .collect();
        writeln!(
            out,
            "{:<24} {:<28} {:<16} next: {}",
            s.name,
            s.path.as_ref().map_or("(feeds only)", |p| p.0.as_str()),
            s.schedule.as_str(),
            next.join(", ")
        )?;
        for feed in &s.feeds {
            writeln!(out, "{:<24} feed {}", "", feed.0)?;
        }
    }
    Ok(())
}

/// Each section's schedule, last run, backlog and health, and the archive's size.
pub fn status(config: &Config) -> Result<()> {
    // A live writer always holds the archive's lock: without one, a run
    // still marked running was killed, and no daemon will run anything next.
    // Asked before the archive is open here (see `ArchiveLock::holder`).
    let writer = herald_archiver::archive::ArchiveLock::holder(&config.archive.path);
    let archive = Archive::open_readonly(&config.archive.path)?;
    let tz = config.scheduler.timezone.0;
    let now = chrono::Utc::now().with_timezone(&tz);
    let local = |t: &str| local_time(t, tz);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<24} {:<16} {:<17} {:<42} {:>8} {:>9} {:>8} {:>6} {:>14}  EXTRACTION",
        "SECTION",
        "SCHEDULE",
        "NEXT RUN",
        "LAST RUN",
        "FAILURES",
        "ARCHIVED",
        "PENDING",
        "GAVEUP",
        "BACKLOG"
    )?;
    let mut drifts = Vec::new();
    let mut errors = Vec::new();
    let daemon = writer
        .as_ref()
        .is_some_and(|h| h.0.is_empty() || h.0.contains("herald-archiver run"));
    for s in &config.sections {
        let st = archive.section_status(&s.name)?;
        let next = if daemon {
            s.schedule
                .upcoming(now, 1)
                .first()
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default()
        } else {
            "- (no daemon)".to_string()
        };
        let last = st.last_run.as_ref().map_or("never".to_string(), |r| {
            let status = match (r.status.as_str(), &writer) {
                ("running", None) => format!(
                    "interrupted (pid {} is gone)",
                    r.pid.map_or("?".to_string(), |p| p.to_string())
                ),
                (other, _) => other.to_string(),
            };
            let mut text = format!(
                "{} {status} +{} new +{} rev {} failed",
                local(&r.started_at),
                r.new_articles,
                r.new_revisions,
                r.failures
            );
            if let Some(e) = &r.error {
                // Cut, so the columns after it stay in line; whole below.
                text.push_str(&format!(" ({})", cut(e, 40)));
                if e.chars().count() > 40 {
                    errors.push(format!("{}: {e}", s.name));
                }
            }
            text
        });
        writeln!(
            out,
            "{:<24} {:<16} {:<17} {:<42} {:>8} {:>9} {:>8} {:>6} {:>14}  {}",
            s.name,
            s.schedule.as_str(),
            next,
            last,
            st.consecutive_failures,
            st.archived,
            st.pending,
            st.given_up,
            backlog(st.backlog, st.next_page),
            health(st.last_run.as_ref())
        )?;
        if let Some(drift) = st.last_run.as_ref().and_then(|r| r.drift.clone()) {
            drifts.push(format!("{}: {drift}", s.name));
        }
    }
    for e in &errors {
        writeln!(out, "ERROR {}", printable(e))?;
    }
    for d in &drifts {
        writeln!(out, "DRIFT {d}")?;
    }
    let (articles, last_success) = archive.totals()?;
    let (db, wal) = archive.sizes_on_disk();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    writeln!(
        out,
        "\narchive {}: {} articles, database {:.1} MiB, WAL {:.1} MiB, last success {}",
        config.archive.path.display(),
        articles,
        mib(db),
        mib(wal),
        last_success.as_deref().map_or("never".to_string(), local)
    )?;
    Ok(())
}

/// The last run's extraction health: fallbacks among extracted articles.
fn health(run: Option<&herald_archiver::archive::RunRow>) -> String {
    match run {
        Some(r) if r.drift.is_some() => {
            format!("DRIFT ({}/{} fallbacks)", r.fallbacks, r.extracted)
        }
        Some(r) if r.extracted > 0 => format!("ok ({}/{} fallbacks)", r.fallbacks, r.extracted),
        Some(_) => "-".to_string(),
        None => "-".to_string(),
    }
}

/// Links left to do, and the list page an unfinished reading resumes at.
fn backlog(links: i64, next_page: Option<i64>) -> String {
    match next_page {
        Some(p) => format!("{links} (page {p})"),
        None => links.to_string(),
    }
}

/// The crawl's summary: one line per section. Sections that failed for one
/// shared cause (robots.txt unreachable, DNS, a refused connection) have
/// that cause said once, on stderr, with what to check, and a short line
/// each. Returns whether any section's run failed.
pub fn crawl_summary(reports: &[herald_archiver::model::SectionReport]) -> Result<bool> {
    use herald_archiver::model::RunStatus;
    let mut out = std::io::stdout().lock();
    let cause = |e: &str| -> String {
        // The same failure on two sections differs only in the address.
        e.split_whitespace()
            .filter(|w| !w.contains("://"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut causes: Vec<(String, usize)> = Vec::new();
    for r in reports.iter().filter(|r| r.status == RunStatus::Failed) {
        let c = cause(r.error.as_deref().unwrap_or(""));
        match causes.iter_mut().find(|(k, _)| *k == c) {
            Some((_, n)) => *n += 1,
            None => causes.push((c, 1)),
        }
    }
    let shared: Vec<&String> = causes
        .iter()
        .filter(|(_, n)| *n > 1)
        .map(|(c, _)| c)
        .collect();
    for c in &shared {
        let n = causes.iter().find(|(k, _)| k == *c).map_or(0, |(_, n)| *n);
        let sample = reports
            .iter()
            .filter_map(|r| r.error.as_deref())
            .find(|e| cause(e) == **c)
            .unwrap_or(c);
        eprintln!("error: {n} sections failed for one cause: {sample}");
        eprintln!("  check: {}", hint(sample));
    }
    let mut failed = false;
    for r in reports {
        if r.status == RunStatus::Failed {
            failed = true;
            let c = cause(r.error.as_deref().unwrap_or(""));
            if shared.contains(&&c) {
                writeln!(out, "{}: run failed (the cause above)", r.section)?;
                continue;
            }
        }
        writeln!(out, "{r}")?;
    }
    Ok(failed)
}

/// What to check for a failure shared by every section.
fn hint(error: &str) -> &'static str {
    let e = error.to_ascii_lowercase();
    if e.contains("dns") || e.contains("lookup") || e.contains("resolve") {
        "the network and DNS: does [site] base_url's host resolve from here?"
    } else if e.contains("connection refused") {
        "that the site is up and [site] base_url's host and port are right"
    } else if e.contains("timed out") || e.contains("timeout") {
        "the network, or a slower site: raise [http] timeout"
    } else if e.contains("robots.txt") {
        "robots.txt of [site] base_url: until it can be read, nothing may be fetched"
    } else if e.contains("certificate") || e.contains("tls") {
        "the system clock and TLS: the site's certificate was refused"
    } else {
        "the site and [site] base_url; `herald-archiver check-site` shows what it answers"
    }
}

/// `pending`: a table (times in the scheduler's zone) or JSON lines.
pub fn pending(
    links: &[herald_archiver::archive::PendingLink],
    json: bool,
    config: &Config,
) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        for l in links {
            writeln!(out, "{}", serde_json::to_string(l)?)?;
        }
        return Ok(());
    }
    let tz = config.scheduler.timezone.0;
    let local = |t: &str| local_time(t, tz);
    writeln!(
        out,
        "{:<10} {:>8}  {:<20}  {:<14} {:<48} REASON",
        "STATE", "ATTEMPTS", "NEXT TRY", "SECTION", "URL"
    )?;
    for l in links {
        let reason: String = printable(&l.last_error).chars().take(100).collect();
        writeln!(
            out,
            "{:<10} {:>8}  {:<20}  {:<14} {:<48} {reason}",
            l.state,
            l.attempts,
            l.next_attempt_at.as_deref().map_or("-".into(), local),
            printable(&l.section),
            printable(&l.url),
        )?;
    }
    let count = |s: &str| links.iter().filter(|l| l.state == s).count();
    writeln!(
        out,
        "{} link{}: {} waiting, {} held back, {} given up (`herald-archiver retry` puts them back)",
        links.len(),
        if links.len() == 1 { "" } else { "s" },
        count("waiting"),
        count("held back"),
        count("given up")
    )?;
    Ok(())
}
