//! One crawl: for each section, a straight line of stages. Read the list
//! pages, then the feeds, into the section's backlog ([`listing`],
//! [`feeds`]), fetch, extract and store
//! each link of it ([`article`]), then re-check young articles ([`revisit`]);
//! [`health`] watches extraction for signs of a redesign. An error is
//! recorded on the run or the link, and the loop goes on.
//!
//! Every link a run finds is in the backlog before it is fetched, and leaves
//! it in the transaction that records its outcome, so a run stopped at any
//! moment (kill, shutdown, full disk) leaves its remaining work to the next.

mod addresses;
mod article;
mod feeds;
mod health;
mod listing;
mod offload;
mod revisit;
mod run;

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::archive::{Readers, RunEnd, Writer};
use crate::config::{Config, SectionConfig};
use crate::error::{chain, Error};
use crate::fetch::{FetchStats, Fetcher, Pacer, Robots};
use crate::metrics::Metrics;
use crate::model::{Outcome, RunCounts, RunStatus, SectionReport, REVISIT};
use crate::site::profile::Profile;
use crate::site::urls::SiteUrls;

use article::Work;
use listing::ListContext;

/// Links waiting between the list reader and the article fetchers: bounds
/// how far the reading runs ahead (the rest is in the backlog).
const LINK_QUEUE: usize = 256;
/// Links of one run waiting for the writer at once: enough to fill a batch.
const WRITES_IN_FLIGHT: usize = 64;

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

pub struct Crawler {
    config: Arc<Config>,
    site: SiteUrls,
    profile: Arc<Profile>,
    fetcher: Fetcher,
    writer: Writer,
    readers: Readers,
    /// Runs whose end could not be written yet (the archive failed).
    unclosed: tokio::sync::Mutex<Vec<RunEnd>>,
    /// A run stopped because the archive could not take its writes.
    archive_failed: std::sync::atomic::AtomicBool,
    metrics: Arc<Metrics>,
}

impl Crawler {
    /// A crawler writing through `writer`. The daemon keeps one writer
    /// across config reloads and makes a new crawler per config.
    pub fn new(config: Arc<Config>, writer: Writer, context: &Context) -> Result<Crawler, Error> {
        let site = SiteUrls::new(config.site.base_url.0.clone());
        let fetcher = Fetcher::new(
            &config.http,
            &config.retry,
            site.clone(),
            context.pacer.clone(),
            context.metrics.clone(),
        )?;
        let profile = Profile::herald().with_overrides(&config.extract.selectors);
        let readers = Readers::new(writer.path());
        Ok(Crawler {
            config,
            site,
            profile: Arc::new(profile),
            fetcher,
            writer,
            readers,
            unclosed: tokio::sync::Mutex::default(),
            archive_failed: std::sync::atomic::AtomicBool::new(false),
            metrics: context.metrics.clone(),
        })
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// Whether a run had to stop because the archive could not take writes.
    pub fn archive_failed(&self) -> bool {
        self.archive_failed.load(Ordering::Relaxed)
    }

    /// The site's robots.txt, read at most once a day; a failure is
    /// remembered for a minute, so a failing server is not asked again by
    /// every section.
    async fn robots(&self, stats: &FetchStats) -> Result<Arc<Robots>, String> {
        self.fetcher.robots_cached(stats).await
    }

    /// Crawls the chosen sections once, one after the other, then re-checks
    /// young articles. No address is requested twice. Once `cancel` fires
    /// no new request starts; what is left stays in the backlogs.
    pub async fn crawl(
        &self,
        opts: &CrawlOptions,
        cancel: &CancellationToken,
    ) -> Result<Vec<SectionReport>, Error> {
        let mut seen = HashSet::new();
        let mut reports = Vec::new();
        for section in self
            .config
            .sections
            .iter()
            .filter(|s| opts.sections.is_empty() || opts.sections.contains(&s.name))
        {
            if cancel.is_cancelled() {
                break;
            }
            let run = if opts.force {
                self.crawl_section(section, opts.pages, &mut seen, cancel)
                    .await?
            } else {
                self.run_section(section, opts.pages, &mut seen, cancel)
                    .await?
            };
            reports.push(run);
        }
        if !cancel.is_cancelled() && opts.sections.is_empty() {
            if let Some(report) = self.retry_addresses(cancel).await? {
                reports.push(report);
            }
        }
        if !cancel.is_cancelled() {
            let revisit = self.revisit(opts.revisit_all, &mut seen, cancel).await?;
            reports.push(revisit.unwrap_or_else(|| SectionReport {
                section: REVISIT.to_string(),
                status: RunStatus::Ok,
                counts: RunCounts::default(),
                error: None,
            }));
        }
        Ok(reports)
    }

    /// One run of one section, recorded in `crawl_runs`, unless the section
    /// is backing off after failed runs.
    pub async fn run_section(
        &self,
        section: &SectionConfig,
        pages: Option<u32>,
        seen: &mut HashSet<Url>,
        cancel: &CancellationToken,
    ) -> Result<SectionReport, Error> {
        if let Some(until) = self.backoff_until(&section.name).await? {
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

    async fn crawl_section(
        &self,
        section: &SectionConfig,
        pages: Option<u32>,
        seen: &mut HashSet<Url>,
        cancel: &CancellationToken,
    ) -> Result<SectionReport, Error> {
        let mut run = self.begin(&section.name).await?;
        let robots = match self.robots(&run.tally.stats).await {
            Ok(r) => r,
            Err(error) => return self.finish(run, Some(error), cancel, Vec::new()).await,
        };
        let (name, at) = (section.name.clone(), crate::clock::now_utc());
        let (backlog, due, saved) = self
            .readers
            .read(move |a| {
                Ok((
                    a.backlog(&name)?,
                    a.pending_due(&name, &at)?,
                    a.progress(&name)?,
                ))
            })
            .await?;
        if !backlog.is_empty() {
            tracing::info!(section = %section.name, links = backlog.len(), "continuing the backlog earlier runs left");
        }
        // What earlier runs left comes first, then the retries that are due.
        let mut earlier = Vec::new();
        let mut forbidden = Vec::new();
        for (url, in_backlog) in backlog
            .into_iter()
            .map(|u| (u, true))
            .chain(due.into_iter().map(|u| (u, false)))
        {
            let Ok(parsed) = Url::parse(&url) else {
                continue;
            };
            let link = self.site.link(parsed);
            let allowed = robots.allowed(&link.fetch);
            if !allowed && in_backlog {
                tracing::warn!(%url, "robots.txt now forbids this backlog link: dropped");
                forbidden.push(url);
            }
            if !allowed || seen.contains(&link.canonical) {
                run.counts.skipped += 1;
                continue;
            }
            seen.insert(link.canonical.clone());
            earlier.push(Work {
                link,
                in_backlog,
                revisit: None,
                list_page: section.path.as_ref().map(|p| p.0.clone()),
            });
        }

        if !forbidden.is_empty() {
            self.writer
                .call(move |a| a.drop_from_backlog(&forbidden))
                .await?;
        }

        // The archive failing stops this run's work; its links stay queued.
        let stop = cancel.child_token();
        let (tx, rx) = mpsc::channel::<Work>(LINK_QUEUE);
        let produce = async {
            for work in earlier {
                if tx.send(work).await.is_err() {
                    return Ok(listing::ListResult::default());
                }
            }
            let mut cx = ListContext {
                section,
                run: run.id,
                robots: &robots,
                tally: &run.tally,
                cancel: &stop,
                seen,
                out: tx,
            };
            let mut result = self.read_list(&mut cx, pages, saved).await;
            // Feeds are read even when the list failed: they are the way in
            // when a redesign broke it.
            if let Ok(listed) = &mut result {
                if let Err(e) = self.read_feeds(&mut cx, listed).await {
                    result = Err(e);
                }
            }
            if result.is_err() {
                stop.cancel();
            }
            result
        };
        let tally = &run.tally;
        let (run_id, name) = (run.id, section.name.as_str());
        let consume = async {
            let links = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|w| (w, rx))
            });
            // Fetching and writing overlap: a link waiting for its commit
            // does not hold one of the fetch slots.
            let outcomes = links
                .take_until(stop.cancelled())
                .map(|work| async move {
                    let job = self.prepare_link(&work, name, run_id, tally).await;
                    (work, job)
                })
                .buffer_unordered(self.config.http.concurrency.0)
                .map(|(work, job)| async move {
                    match job {
                        Some(job) => self.write_link(&work, job, name).await,
                        None => Ok(Outcome::Left),
                    }
                })
                .buffer_unordered(WRITES_IN_FLIGHT);
            self.tally_outcomes(outcomes, &stop, name).await
        };
        let (listed, (counts, broken)) = tokio::join!(produce, consume);
        let listed = match listed {
            Ok(l) => l,
            Err(e) => listing::ListResult {
                error: Some(chain(&e)),
                ..Default::default()
            },
        };
        merge(&mut run.counts, &counts, &listed);
        if let Some(drift) = listed.listing_drift() {
            tracing::warn!(section = %section.name, "the site may have changed: {drift}");
            run.counts.drift = Some(drift);
        }
        run.broken = broken;
        self.finish(run, listed.error, cancel, listed.validators)
            .await
    }
}

/// Adds what the reader and the fetchers counted to the run's counts.
fn merge(run: &mut RunCounts, links: &RunCounts, listed: &listing::ListResult) {
    run.pages += listed.pages;
    run.links_found += listed.links_found;
    run.skipped += listed.skipped;
    run.not_modified += listed.not_modified;
    run.feeds += listed.feeds;
    run.feeds_not_modified += listed.feeds_not_modified;
    run.feed_links += listed.feed_links;
    run.feed_new += listed.feed_new;
    run::add_links(run, links);
}
