//! A section run from its start to its end: the `crawl_runs` row it opens,
//! what its links count as they go, the backoff of a section whose runs
//! read nothing, and the end written (or kept until the archive takes it).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::health::Health;
use super::Crawler;
use crate::archive::RunEnd;
use crate::clock::{format_utc, now_utc};
use crate::error::{chain, Error};
use crate::fetch::FetchStats;
use crate::model::{Outcome, RunCounts, RunStatus, SectionReport};

/// A run in progress: its `crawl_runs` row and what it has counted.
pub(super) struct Run {
    pub(super) id: i64,
    pub(super) section: String,
    pub(super) counts: RunCounts,
    pub(super) tally: Tally,
    pub(super) started: Instant,
    /// Why the run had to stop early (the archive could not be written).
    pub(super) broken: Option<String>,
}

/// What the articles of a run, fetched concurrently, count as they go.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) stats: FetchStats,
    pub(super) health: Health,
}

impl Crawler {
    /// After `section_failures` failed runs in a row that read nothing (no
    /// list page or feed answered) a section waits `section_backoff`,
    /// doubling with each further failure, from its last run. A server that
    /// answers is not spared by waiting, and its feeds may be all that
    /// still finds articles.
    pub(super) async fn backoff_until(&self, section: &str) -> Result<Option<String>, Error> {
        let retry = self.config.retry.clone();
        let name = section.to_string();
        let status = self.readers.read(move |a| a.section_status(&name)).await?;
        if status.unreached < retry.section_failures {
            return Ok(None);
        }
        let Some(last) = status
            .last_run
            .and_then(|r| r.finished_at)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        else {
            return Ok(None);
        };
        let doublings = (status.unreached - retry.section_failures).min(16);
        let wait = retry
            .section_backoff
            .0
            .saturating_mul(1 << doublings)
            .min(retry.section_backoff_max.0);
        let until = last.with_timezone(&Utc)
            + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
        Ok((until > Utc::now()).then(|| format_utc(&until)))
    }

    pub(super) async fn begin(&self, section: &str) -> Result<Run, Error> {
        self.close_pending_runs().await;
        let name = section.to_string();
        let at = now_utc();
        let id = self.writer.call(move |a| a.begin_run(&name, &at)).await?;
        Ok(Run {
            id,
            section: section.to_string(),
            counts: RunCounts::default(),
            tally: Tally::default(),
            started: Instant::now(),
            broken: None,
        })
    }

    /// Records the end of a run: `error` when it could not do its work.
    /// When the archive cannot take it now, it is kept and written before
    /// the next run begins (or closed by the next process to start).
    pub(super) async fn finish(
        &self,
        mut run: Run,
        error: Option<String>,
        cancel: &CancellationToken,
        validators: Vec<(String, crate::model::Validators)>,
    ) -> Result<SectionReport, Error> {
        if run.broken.is_some() {
            self.archive_failed.store(true, Ordering::Relaxed);
        }
        let error = error.or(run.broken.take());
        let status = match (&error, cancel.is_cancelled()) {
            (Some(_), _) => RunStatus::Failed,
            (None, true) => RunStatus::Interrupted,
            (None, false) => RunStatus::Ok,
        };
        take_stats(&mut run.counts, &run.tally.stats, run.started.elapsed());
        let extraction = run
            .tally
            .health
            .drift(&run.section, &self.config.extract, &self.profile);
        let drift = match (run.counts.drift.take(), extraction) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        run.tally.health.take(&mut run.counts, drift);
        let end = RunEnd {
            id: run.id,
            section: run.section.clone(),
            counts: run.counts.clone(),
            status,
            error: error.clone(),
            list_validators: validators,
            at: now_utc(),
        };
        let written = end.clone();
        match self.writer.call(move |a| a.close_run(&written)).await {
            Ok(left) => run.counts.left = left,
            Err(e) => {
                tracing::error!(section = %run.section, error = %chain(&e), "the run's end could not be written; it will be when the archive takes writes again");
                self.unclosed.lock().await.push(end);
            }
        }
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

    /// Writes the ends of runs the archive could not take before. Returns
    /// how many are still unwritten.
    pub async fn close_pending_runs(&self) -> usize {
        let mut unclosed = self.unclosed.lock().await;
        let mut still = Vec::new();
        for end in unclosed.drain(..) {
            let written = end.clone();
            match self.writer.call(move |a| a.close_run(&written)).await {
                Ok(_) => {
                    tracing::info!(section = %end.section, "the end of an earlier run is written")
                }
                Err(_) => still.push(end),
            }
        }
        *unclosed = still;
        unclosed.len()
    }

    /// Counts what a run's links came to. The first link the archive could
    /// not record stops the run (`stop`); returns why, in the writer's words
    /// (disk full, lock held) when it has them.
    pub(super) async fn tally_outcomes(
        &self,
        outcomes: impl futures_util::Stream<Item = Result<Outcome, Error>>,
        stop: &CancellationToken,
        section: &str,
    ) -> (RunCounts, Option<String>) {
        let mut counts = RunCounts::default();
        let mut broken = None;
        let mut outcomes = std::pin::pin!(outcomes);
        while let Some(outcome) = outcomes.next().await {
            match outcome {
                Ok(o) => counts.count(o),
                Err(e) => {
                    if broken.is_none() {
                        let why = self
                            .writer
                            .health()
                            .last_error()
                            .unwrap_or_else(|| chain(&e));
                        tracing::error!(section, error = %why, "this run stops, its links stay where they were");
                        broken = Some(why);
                    }
                    stop.cancel();
                }
            }
        }
        (counts, broken)
    }
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

/// Adds what a run's links came to (stored, unchanged, failed) to its counts.
pub(super) fn add_links(run: &mut RunCounts, links: &RunCounts) {
    run.new_articles += links.new_articles;
    run.new_revisions += links.new_revisions;
    run.duplicates += links.duplicates;
    run.unchanged += links.unchanged;
    run.failures += links.failures;
}
