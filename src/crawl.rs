//! One crawl: for each section, a straight line of steps. Fetch the list
//! pages, keep the links we have not archived, fetch and extract each
//! article, store it, count what happened. An error is recorded on the run or
//! the link, and the loop goes on.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::archive::{Archive, PendingPolicy, RunCounts, RunStatus, Stored, Validators};
use crate::config::{Config, SectionConfig};
use crate::error::{chain, ArchiveError, Error, ExtractError, FetchError};
use crate::extract::{self, text::format_utc, Layer};
use crate::fetch::{FetchStats, Fetcher, Pacer, Page, Robots};
use crate::metrics::Metrics;
use crate::site::profile::Profile;
use crate::site::urls::{Link, SiteUrls};

/// The name the revisit pass is recorded under in `crawl_runs`.
pub const REVISIT: &str = "(revisit)";

#[derive(Debug, Clone, Default)]
pub struct CrawlOptions {
    /// Read this many list pages per section instead of the configured `pages`.
    pub pages: Option<u32>,
    /// Re-check every young article now, whatever `[revisit] interval` says.
    pub revisit_all: bool,
    /// Only these sections (all when empty).
    pub sections: Vec<String>,
    /// Run sections that are backing off after failed runs.
    pub force: bool,
}

/// What one section run did.
#[derive(Debug, Clone)]
pub struct SectionReport {
    pub section: String,
    pub status: RunStatus,
    pub counts: RunCounts,
    /// Why the run failed, if it did (articles that failed do not fail the run).
    pub error: Option<String>,
}

impl std::fmt::Display for SectionReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.counts;
        if let (RunStatus::Backoff, Some(e)) = (self.status, &self.error) {
            return write!(f, "{}: not run, {e}", self.section);
        }
        if self.section == REVISIT {
            return write!(
                f,
                "{}: {} checked, {} revisions, {} unchanged, {} failed",
                self.section,
                c.links_found,
                c.new_revisions,
                c.unchanged + c.duplicates,
                c.failures
            );
        }
        write!(
            f,
            "{}: {} pages, {} links, {} new, {} revisions, {} duplicates, {} unchanged, {} skipped, {} failed",
            self.section,
            c.pages,
            c.links_found,
            c.new_articles,
            c.new_revisions,
            c.duplicates,
            c.unchanged,
            c.skipped,
            c.failures
        )?;
        if let Some(e) = &self.error {
            write!(f, " (run failed: {e})")?;
        }
        Ok(())
    }
}

/// How one link ended.
enum Outcome {
    Stored(Stored),
    NotModified,
    Failed,
}

/// What outlives a config generation: the counters and the politeness
/// (pause and cap on requests in flight) that every section shares.
#[derive(Clone)]
pub struct Context {
    pub metrics: Arc<Metrics>,
    pub pacer: Arc<Pacer>,
}

impl Context {
    pub fn new(config: &Config) -> Context {
        Context {
            metrics: Arc::default(),
            pacer: Arc::new(Pacer::new(
                config.http.min_delay.0,
                config.http.concurrency.0,
            )),
        }
    }

    /// Takes a reloaded config's pause and concurrency.
    pub fn configure(&self, config: &Config) {
        self.pacer
            .configure(config.http.min_delay.0, config.http.concurrency.0);
    }
}

/// A run in progress: its `crawl_runs` row and what it has counted.
struct Run {
    id: i64,
    section: String,
    counts: RunCounts,
    tally: Tally,
    started: Instant,
}

/// What the articles of a run, fetched concurrently, count as they go.
#[derive(Default)]
struct Tally {
    stats: FetchStats,
    health: Health,
}

/// How extraction went in a run: the signs of a redesign.
#[derive(Default)]
struct Health {
    extracted: AtomicU32,
    /// Articles that needed a fallback, had no date or a short body.
    flagged: AtomicU32,
    fallbacks: AtomicU32,
    no_date: AtomicU32,
    short_body: AtomicU32,
    /// Field -> articles whose selectors for it matched nothing.
    missed: Mutex<BTreeMap<&'static str, u32>>,
}

/// Fields whose selectors should always match on a known layout.
const WATCHED: [&str; 3] = ["title", "body", "published_at"];

impl Health {
    /// Counts one extracted article; `short` when its body is under the minimum.
    fn observe(&self, record: &extract::Record, short: bool) {
        self.extracted.fetch_add(1, Ordering::Relaxed);
        let missed: Vec<&'static str> = WATCHED
            .into_iter()
            .filter(|f| record.sources.get(*f) != Some(&Layer::Selector))
            .collect();
        let no_date = record.published_at.is_none();
        if !missed.is_empty() {
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
            let mut m = self.missed.lock().unwrap_or_else(PoisonError::into_inner);
            for f in missed.iter() {
                *m.entry(f).or_default() += 1;
            }
        }
        if no_date {
            self.no_date.fetch_add(1, Ordering::Relaxed);
        }
        if short {
            self.short_body.fetch_add(1, Ordering::Relaxed);
        }
        if !missed.is_empty() || no_date || short {
            self.flagged.fetch_add(1, Ordering::Relaxed);
        }
    }
}

pub struct Crawler {
    config: Arc<Config>,
    site: SiteUrls,
    profile: Arc<Profile>,
    fetcher: Fetcher,
    archive: Arc<Mutex<Archive>>,
    robots: tokio::sync::Mutex<Option<RobotsAnswer>>,
}

/// robots.txt as last read, or why it could not be, and when.
type RobotsAnswer = (Instant, Result<Arc<Robots>, String>);

/// robots.txt is read again after this long.
const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);
/// After robots.txt could not be read, sections running meanwhile fetch
/// nothing and do not ask again for this long.
const ROBOTS_FAILURE_TTL: Duration = Duration::from_secs(60);

impl Crawler {
    /// Opens the configured archive and builds a crawler over it.
    pub fn open(config: Config) -> Result<Crawler, Error> {
        let mut archive = Archive::open(&config.archive.path)?;
        archive.mark_interrupted_runs(&now())?;
        archive.set_near_duplicate_bits(config.archive.near_duplicate_bits.0);
        let context = Context::new(&config);
        Crawler::new(Arc::new(config), Arc::new(Mutex::new(archive)), &context)
    }

    /// A crawler over an archive that is already open (the daemon keeps one
    /// archive, its one writer, across config reloads).
    pub fn new(
        config: Arc<Config>,
        archive: Arc<Mutex<Archive>>,
        context: &Context,
    ) -> Result<Crawler, Error> {
        let site = SiteUrls::new(config.site.base_url.0.clone());
        let fetcher = Fetcher::new(
            &config.http,
            &config.retry,
            site.clone(),
            context.pacer.clone(),
            context.metrics.clone(),
        )?;
        let profile = Profile::herald().with_overrides(&config.extract.selectors);
        Ok(Crawler {
            config,
            site,
            profile: Arc::new(profile),
            fetcher,
            archive,
            robots: tokio::sync::Mutex::new(None),
        })
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// The site's robots.txt, read at most once a day; a failure is
    /// remembered for a minute, so a failing server is not asked again by
    /// every section.
    async fn robots(&self, stats: &FetchStats) -> Result<Arc<Robots>, String> {
        let mut cached = self.robots.lock().await;
        if let Some((at, robots)) = cached.as_ref() {
            let ttl = if robots.is_ok() {
                ROBOTS_TTL
            } else {
                ROBOTS_FAILURE_TTL
            };
            if at.elapsed() < ttl {
                return robots.clone();
            }
        }
        let robots = self
            .fetcher
            .robots(stats)
            .await
            .map(Arc::new)
            .map_err(|e| format!("robots.txt unavailable, nothing fetched: {}", chain(&e)));
        *cached = Some((Instant::now(), robots.clone()));
        robots
    }

    /// Crawls the chosen sections once, one after the other, then re-checks
    /// young articles. No address is requested twice.
    pub async fn crawl(&self, opts: &CrawlOptions) -> Result<Vec<SectionReport>, Error> {
        let never = CancellationToken::new();
        let mut seen = HashSet::new();
        let mut reports = Vec::new();
        for section in self
            .config
            .sections
            .iter()
            .filter(|s| opts.sections.is_empty() || opts.sections.contains(&s.name))
        {
            let run = if opts.force {
                self.crawl_section(section, opts.pages, &mut seen, &never)
                    .await?
            } else {
                self.run_section(section, opts.pages, &mut seen, &never)
                    .await?
            };
            reports.push(run);
        }
        let revisit = self.revisit(opts.revisit_all, &mut seen, &never).await?;
        reports.push(revisit.unwrap_or_else(|| SectionReport {
            section: REVISIT.to_string(),
            status: RunStatus::Ok,
            counts: RunCounts::default(),
            error: None,
        }));
        Ok(reports)
    }

    /// One run of one section, recorded in `crawl_runs`, unless the section
    /// is backing off after failed runs. Once `cancel` fires no new request
    /// starts; articles in flight are finished.
    pub async fn run_section(
        &self,
        section: &SectionConfig,
        pages: Option<u32>,
        seen: &mut HashSet<Url>,
        cancel: &CancellationToken,
    ) -> Result<SectionReport, Error> {
        if let Some(until) = self.backoff_until(&section.name)? {
            let why = format!("backing off after failed runs until {until}");
            tracing::info!(section = %section.name, "{why}");
            return Ok(SectionReport {
                section: section.name.clone(),
                status: RunStatus::Backoff,
                counts: RunCounts::default(),
                error: Some(why),
            });
        }
        self.crawl_section(section, pages, seen, cancel).await
    }

    /// After `section_failures` failed runs in a row a section waits
    /// `section_backoff`, doubling with each further failure, from its last run.
    fn backoff_until(&self, section: &str) -> Result<Option<String>, Error> {
        let retry = &self.config.retry;
        let status = self.lock().section_status(section)?;
        if status.consecutive_failures < retry.section_failures {
            return Ok(None);
        }
        let Some(last) = status
            .last_run
            .and_then(|r| r.finished_at)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        else {
            return Ok(None);
        };
        let doublings = (status.consecutive_failures - retry.section_failures).min(16);
        let wait = retry
            .section_backoff
            .0
            .saturating_mul(1 << doublings)
            .min(retry.section_backoff_max.0);
        let until = last.with_timezone(&Utc)
            + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
        Ok((until > Utc::now()).then(|| format_utc(&until)))
    }

    fn begin(&self, section: &str) -> Result<Run, Error> {
        let id = self.lock().begin_run(section, &now())?;
        Ok(Run {
            id,
            section: section.to_string(),
            counts: RunCounts::default(),
            tally: Tally::default(),
            started: Instant::now(),
        })
    }

    /// Records the end of a run: `error` when it could not do its work.
    fn finish(
        &self,
        mut run: Run,
        error: Option<String>,
        cancel: &CancellationToken,
    ) -> Result<SectionReport, Error> {
        let status = match (&error, cancel.is_cancelled()) {
            (Some(_), _) => RunStatus::Failed,
            (None, true) => RunStatus::Interrupted,
            (None, false) => RunStatus::Ok,
        };
        take_stats(&mut run.counts, &run.tally.stats, run.started.elapsed());
        let drift = self.drift(&run);
        take_health(&mut run.counts, &run.tally.health, drift);
        self.lock()
            .finish_run(run.id, &run.counts, status, error.as_deref(), &now())?;
        let report = SectionReport {
            section: run.section,
            status,
            counts: run.counts,
            error,
        };
        if status == RunStatus::Failed {
            tracing::error!(section = %report.section, "{report}");
        } else {
            tracing::info!(section = %report.section, "{report}");
        }
        Ok(report)
    }

    async fn crawl_section(
        &self,
        section: &SectionConfig,
        pages: Option<u32>,
        seen: &mut HashSet<Url>,
        cancel: &CancellationToken,
    ) -> Result<SectionReport, Error> {
        let mut run = self.begin(&section.name)?;
        let robots = match self.robots(&run.tally.stats).await {
            Ok(r) => r,
            Err(error) => return self.finish(run, Some(error), cancel),
        };
        let listing = self
            .read_listing(section, pages, &robots, &mut run, cancel)
            .await?;
        run.counts.links_found = listing.links.len() as u32;

        let mut todo = Vec::new();
        let due = self.lock().pending_due(&section.name, &now())?;
        let retries = due
            .iter()
            .filter_map(|u| Url::parse(u).ok())
            .map(|u| self.site.link(u));
        for link in listing.links.into_iter().chain(retries) {
            if seen.contains(&link.canonical) || !self.is_wanted(&link, &robots)? {
                run.counts.skipped += 1;
                continue;
            }
            seen.insert(link.canonical.clone());
            todo.push(link);
        }

        let shared = &run.tally;
        let outcomes: Vec<Result<Outcome, Error>> = futures_util::stream::iter(todo)
            .take_until(cancel.cancelled())
            .map(|link| self.archive_link(link, &section.name, None, shared))
            .buffer_unordered(self.config.http.concurrency.0)
            .collect()
            .await;
        tally(outcomes, &mut run.counts)?;
        // The list's validators are kept only once every link on it was
        // handled: a run cut short must not turn the next one into a 304.
        if listing.error.is_none() && !cancel.is_cancelled() {
            let archive = self.lock();
            for (url, v) in &listing.validators {
                archive.save_validators(url, v, &now())?;
            }
        }
        self.finish(run, listing.error, cancel)
    }

    /// Reads at least `pages` list pages, and more (up to `max_pages`) while
    /// every link on the page is new, so a burst of news leaves no gap. Pages
    /// are asked for conditionally; a 304 ends the reading. An explicit
    /// `pages` (backfill) asks unconditionally.
    async fn read_listing(
        &self,
        section: &SectionConfig,
        pages: Option<u32>,
        robots: &Robots,
        run: &mut Run,
        cancel: &CancellationToken,
    ) -> Result<Listing, Error> {
        let required = pages.unwrap_or(section.pages);
        let max = required.max(self.config.site.max_pages);
        let mut out = Listing::default();
        for page in 1..=max {
            let path = self.config.site.pagination.page_path(&section.path.0, page);
            let (public, fetch) = self.site.page(&path);
            if !robots.allowed(&fetch) {
                out.error = Some(format!("robots.txt disallows {public}"));
                return Ok(out);
            }
            let known = match pages {
                None => Some(self.lock().validators(public.as_str())?),
                Some(_) => None,
            };
            let fetched = tokio::select! {
                r = self.fetcher.get(&fetch, known.as_ref(), &run.tally.stats) => r,
                _ = cancel.cancelled() => break,
            };
            let body = match fetched {
                Ok(Page::Fetched { body, validators }) => {
                    out.validators.push((public.to_string(), validators));
                    body
                }
                Ok(Page::NotModified) => {
                    run.counts.not_modified += 1;
                    break;
                }
                // Past the last page of a short list, or past `pages`: the list ends here.
                Err(e)
                    if page > required
                        || (page > 1 && matches!(e, FetchError::Status { status: 404, .. })) =>
                {
                    tracing::debug!(section = %section.name, page, error = %chain(&e), "no further list page");
                    break;
                }
                Err(e) => {
                    out.error = Some(format!("list page {page}: {}", chain(&e)));
                    return Ok(out);
                }
            };
            run.counts.pages += 1;
            let (site, profile) = (self.site.clone(), self.profile.clone());
            let found =
                blocking(move || Ok(extract::listing(&body, &public, &profile, &site))).await?;
            let mut all_new = !found.is_empty();
            {
                let archive = self.lock();
                for link in found {
                    if archive.is_known(link.canonical.as_str())? {
                        all_new = false;
                    }
                    if !out.links.iter().any(|l| l.canonical == link.canonical) {
                        out.links.push(link);
                    }
                }
            }
            if page >= required && !all_new {
                break;
            }
        }
        Ok(out)
    }

    /// Not archived yet, not waiting for a retry or given up, allowed by robots.txt.
    fn is_wanted(&self, link: &Link, robots: &Robots) -> Result<bool, Error> {
        let archive = self.lock();
        let url = link.canonical.as_str();
        Ok(!archive.is_known(url)?
            && !archive.is_waiting(url, &now())?
            && robots.allowed(&link.fetch))
    }

    /// Fetch, extract, store: one article, start to end. Only an archive
    /// failure is an error; anything else is recorded on the link. A page
    /// with no headline or too short a body is held back with its HTML.
    async fn archive_link(
        &self,
        link: Link,
        section: &str,
        validators: Option<Validators>,
        tally: &Tally,
    ) -> Result<Outcome, Error> {
        let canonical = link.canonical.to_string();
        let revisit = validators.is_some();
        let (body, fresh) = match self
            .fetcher
            .get(&link.fetch, validators.as_ref(), &tally.stats)
            .await
        {
            Ok(Page::Fetched { body, validators }) => (body, validators),
            Ok(Page::NotModified) => {
                self.lock().touch(&canonical, &now())?;
                return Ok(Outcome::NotModified);
            }
            Err(e) => return self.fail(&canonical, section, &chain(&e), revisit, None),
        };
        let (site, profile, archive) = (
            self.site.clone(),
            self.profile.clone(),
            self.archive.clone(),
        );
        let given = link.canonical.clone();
        let keep_pages = self.config.archive.keep_pages;
        let min_body = self.config.extract.min_body_chars;
        let extracted = blocking(move || {
            let record = match extract::article(&body, Some(&given), &profile, &site) {
                Ok(r) => r,
                Err(e) => return Ok(Extracted::Refused(e, compress(&body))),
            };
            let chars = record.body.chars().count();
            if chars < min_body {
                return Ok(Extracted::Short(record, chars, compress(&body)));
            }
            // Compressed outside the archive lock, once, and only when kept.
            let page = keep_pages.then(|| compress(&body));
            let fetched_at = now();
            let mut archive = archive.lock().unwrap_or_else(PoisonError::into_inner);
            let stored = archive.store(&record, &[given.as_str()], &fetched_at, page.as_deref())?;
            archive.save_validators(&record.url, &fresh, &fetched_at)?;
            Ok(Extracted::Stored(record, stored))
        })
        .await?;
        match extracted {
            Extracted::Stored(record, stored) => {
                tally.health.observe(&record, false);
                tracing::debug!(url = %record.url, ?stored, "archived");
                Ok(Outcome::Stored(stored))
            }
            Extracted::Short(record, chars, page) => {
                tally.health.observe(&record, true);
                let why = format!(
                    "held back: body of {chars} characters, under [extract] min_body_chars = {min_body}"
                );
                self.fail(&canonical, section, &why, revisit, Some(&page))
            }
            Extracted::Refused(ExtractError::NotAnArticle { reason }, page) => self.fail(
                &canonical,
                section,
                &format!("not an article: {reason}"),
                revisit,
                Some(&page),
            ),
        }
    }

    fn fail(
        &self,
        url: &str,
        section: &str,
        error: &str,
        revisit: bool,
        page: Option<&[u8]>,
    ) -> Result<Outcome, Error> {
        tracing::warn!(url, section, error, "article not archived");
        // An archived article that fails a re-check stays archived as it was;
        // only new links wait in the pending queue.
        if !revisit {
            let policy = PendingPolicy {
                first_wait: self.config.retry.pending_delay.0,
                max_attempts: self.config.retry.pending_attempts,
            };
            self.lock()
                .record_failure(url, section, error, Utc::now(), policy, page)?;
        }
        Ok(Outcome::Failed)
    }

    /// When a run's share of articles needing a fallback, missing a date or
    /// with a short body passes the threshold: what stopped matching.
    fn drift(&self, run: &Run) -> Option<String> {
        let h = &run.tally.health;
        let extracted = h.extracted.load(Ordering::Relaxed);
        let flagged = h.flagged.load(Ordering::Relaxed);
        let cfg = &self.config.extract;
        if extracted == 0 || extracted < cfg.drift_min_articles {
            return None;
        }
        if f64::from(flagged) / f64::from(extracted) <= cfg.drift_threshold {
            return None;
        }
        let missed = h.missed.lock().unwrap_or_else(PoisonError::into_inner);
        let fields: Vec<String> = missed
            .iter()
            .map(|(field, n)| {
                let sels = self.profile.selectors_for(field);
                format!("{field} in {n} ({})", sels.join(", "))
            })
            .collect();
        let message = format!(
            "{flagged} of {extracted} articles needed a fallback, had no date or a short body \
             ({} no date, {} short); selectors that stopped matching: {}",
            h.no_date.load(Ordering::Relaxed),
            h.short_body.load(Ordering::Relaxed),
            if fields.is_empty() {
                "none".to_string()
            } else {
                fields.join("; ")
            }
        );
        tracing::warn!(section = %run.section, "the site may have changed: {message}");
        Some(message)
    }

    /// Re-checks archived articles that are still young, with conditional
    /// requests. `None` when none is due (no run is recorded then).
    pub async fn revisit(
        &self,
        all: bool,
        seen: &mut HashSet<Url>,
        cancel: &CancellationToken,
    ) -> Result<Option<SectionReport>, Error> {
        let now_t = Utc::now();
        let ago = |d: Duration| {
            chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| now_t.checked_sub_signed(d))
                .map(|t| format_utc(&t))
                .unwrap_or_default()
        };
        let young_since = ago(self.config.revisit.window.0);
        let checked_before = if all {
            "9999".to_string()
        } else {
            ago(self.config.revisit.interval.0)
        };
        let targets = self.lock().revisit_due(&young_since, &checked_before)?;
        if targets.is_empty() {
            return Ok(None);
        }
        let mut run = self.begin(REVISIT)?;
        let robots = match self.robots(&run.tally.stats).await {
            Ok(r) => r,
            Err(error) => return self.finish(run, Some(error), cancel).map(Some),
        };
        let mut todo = Vec::new();
        for t in targets {
            let Ok(url) = Url::parse(&t.url) else {
                continue;
            };
            let link = self.site.link(url);
            if seen.contains(&link.canonical) || !robots.allowed(&link.fetch) {
                run.counts.skipped += 1;
                continue;
            }
            seen.insert(link.canonical.clone());
            let validators = self.lock().validators(link.canonical.as_str())?;
            todo.push((link, t.section.unwrap_or_default(), validators));
        }
        run.counts.links_found = todo.len() as u32;
        let shared = &run.tally;
        let outcomes: Vec<Result<Outcome, Error>> = futures_util::stream::iter(todo)
            .take_until(cancel.cancelled())
            .map(|(link, section, v)| async move {
                self.archive_link(link, &section, Some(v), shared).await
            })
            .buffer_unordered(self.config.http.concurrency.0)
            .collect()
            .await;
        tally(outcomes, &mut run.counts)?;
        self.finish(run, None, cancel).map(Some)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Archive> {
        // A panic while holding the lock cannot leave SQLite half-written
        // (transactions roll back), so the archive stays usable.
        self.archive.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How extracting one fetched page ended.
enum Extracted {
    Stored(extract::Record, Stored),
    /// Extracted, but the body is too short to archive; the page, compressed.
    Short(extract::Record, usize, Vec<u8>),
    Refused(ExtractError, Vec<u8>),
}

/// zstd at its fastest level: pages still shrink about sixfold, and it
/// costs a fraction of parsing them.
fn compress(page: &str) -> Vec<u8> {
    zstd::bulk::compress(page.as_bytes(), 1).unwrap_or_default()
}

/// What the list pages of a run gave.
#[derive(Default)]
struct Listing {
    links: Vec<Link>,
    /// Validators of each page answered 200, saved when the run ends well.
    validators: Vec<(String, Validators)>,
    error: Option<String>,
}

fn now() -> String {
    format_utc(&Utc::now())
}

/// Runs parsing and SQLite work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ArchiveError> + Send + 'static,
) -> Result<T, Error> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => Ok(r?),
        Err(e) => Err(Error::Task(e.to_string())),
    }
}

fn tally(outcomes: Vec<Result<Outcome, Error>>, counts: &mut RunCounts) -> Result<(), Error> {
    for outcome in outcomes {
        match outcome? {
            Outcome::Stored(s) => counts.count(s),
            Outcome::NotModified => counts.unchanged += 1,
            Outcome::Failed => counts.failures += 1,
        }
    }
    Ok(())
}

fn take_stats(counts: &mut RunCounts, stats: &FetchStats, took: Duration) {
    let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    counts.requests = get(&stats.requests);
    counts.bytes = get(&stats.bytes);
    counts.retries = get(&stats.retries);
    for (n, class) in counts.status_classes.iter_mut().zip(&stats.classes) {
        *n = get(class);
    }
    counts.duration_ms = took.as_millis() as u64;
}

fn take_health(counts: &mut RunCounts, health: &Health, drift: Option<String>) {
    let get = |a: &AtomicU32| a.load(Ordering::Relaxed);
    counts.extracted = get(&health.extracted);
    counts.fallbacks = get(&health.fallbacks);
    counts.no_date = get(&health.no_date);
    counts.short_body = get(&health.short_body);
    counts.drift = drift;
}
