//! `crawl_runs`: one row per section run, opened when it starts, its
//! article counts kept current by the writer in the same transaction as each
//! article, and closed with its status once it ends.

use rusqlite::{params, Connection};

use super::Archive;
use crate::error::ArchiveError;
use crate::model::{Outcome, RunCounts, RunStatus, Stored};

/// A row of `crawl_runs`, as `status` shows it.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: String,
    pub new_articles: i64,
    pub new_revisions: i64,
    pub failures: i64,
    pub error: Option<String>,
    /// Extraction health: articles extracted, those needing a fallback
    /// layer, and the drift warning if the run gave one.
    pub extracted: i64,
    pub fallbacks: i64,
    pub drift: Option<String>,
    /// List pages and feeds that answered (200 or 304).
    pub answered: i64,
    /// The process that ran it.
    pub pid: Option<i64>,
}

/// How a run ended, to be written in its row.
#[derive(Debug, Clone)]
pub struct RunEnd {
    pub id: i64,
    pub section: String,
    pub counts: RunCounts,
    pub status: RunStatus,
    pub error: Option<String>,
    /// Validators of its list pages, saved when nothing is left to do.
    pub list_validators: Vec<(String, crate::model::Validators)>,
    pub at: String,
}

#[derive(Debug, Clone)]
pub struct SectionStatus {
    pub last_run: Option<RunRow>,
    pub consecutive_failures: u32,
    /// Of those, the ones in a row that read nothing: no list page and no
    /// feed answered. Only these make a section back off, so a section
    /// whose list broke keeps archiving through its feeds, and one whose
    /// feed broke keeps reading its list.
    pub unreached: u32,
    /// New articles its runs archived, all time.
    pub archived: i64,
    /// Links waiting to be retried, and links given up on.
    pub pending: i64,
    pub given_up: i64,
    /// Links found and not yet handled, and the next list page of an
    /// unfinished reading of the list.
    pub backlog: i64,
    pub next_page: Option<i64>,
}

impl Archive {
    /// Closes runs left 'running' by a process that is gone. Called by the
    /// one writer once it holds the archive's lock, so no live run is touched.
    pub fn close_dead_runs(&self, now: &str) -> Result<usize, ArchiveError> {
        self.conn
            .execute(
                "UPDATE crawl_runs SET status = 'interrupted', finished_at = ?1,
                     error = coalesce(error, 'the process that ran it (pid ' || coalesce(pid, '?') ||
                         ') ended before closing it: killed, crashed, or the archive could not be written'),
                     left_over = (SELECT count(*) FROM crawl_backlog b WHERE b.section = crawl_runs.section)
                 WHERE status = 'running'",
                [now],
            )
            .map_err(ArchiveError::sql(
                "taking the archive for writing (its first write marks runs a killed process left open, if any)",
            ))
    }

    pub fn begin_run(&self, section: &str, now: &str) -> Result<i64, ArchiveError> {
        self.conn
            .prepare_cached(
                "INSERT INTO crawl_runs (section, started_at, status, pid) VALUES (?1, ?2, 'running', ?3)",
            )
            .and_then(|mut st| st.execute(params![section, now, std::process::id()]))
            .map_err(ArchiveError::sql("starting a run"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Ends a run: counts what it leaves in the backlog, records its status
    /// (the article counts are already in the row, see [`count_outcome`]),
    /// and, when it ended well with nothing left to do, saves the validators
    /// of its list pages (so the next run may get a 304). One transaction.
    /// Returns the links left in the backlog.
    pub fn close_run(&mut self, end: &RunEnd) -> Result<u32, ArchiveError> {
        let e = || ArchiveError::sql("finishing a run");
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e())?;
        let (left, reading): (u32, bool) = tx
            .query_row(
                "SELECT (SELECT count(*) FROM crawl_backlog WHERE section = ?1),
                        EXISTS (SELECT 1 FROM listing_progress WHERE section = ?1)",
                [&end.section],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(e())?;
        let mut counts = end.counts.clone();
        counts.left = left;
        finish_in(
            &tx,
            end.id,
            &counts,
            end.status,
            end.error.as_deref(),
            &end.at,
        )?;
        if end.status == RunStatus::Ok && left == 0 && !reading {
            for (url, v) in &end.list_validators {
                super::http_cache::save_in(&tx, url, v, &end.at)?;
            }
        }
        tx.commit().map_err(e())?;
        Ok(left)
    }

    /// When the section's last successful run finished.
    pub fn last_success(&self, section: &str) -> Result<Option<String>, ArchiveError> {
        self.conn
            .query_row(
                "SELECT max(finished_at) FROM crawl_runs WHERE section = ?1 AND status = 'ok'",
                [section],
                |r| r.get(0),
            )
            .map_err(ArchiveError::sql("reading the last run"))
    }

    /// The last run of a section, its failures in a row, and the articles its
    /// runs archived.
    pub fn section_status(&self, section: &str) -> Result<SectionStatus, ArchiveError> {
        let e = ArchiveError::sql("reading section status");
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT started_at, finished_at, status, new_articles, new_revisions, failures, error,
                        extracted, fallbacks, drift,
                        pages + not_modified + feeds + feeds_not_modified, pid
                 FROM crawl_runs WHERE section = ?1 ORDER BY id DESC LIMIT 50",
            )
            .map_err(e)?;
        let runs = st
            .query_map([section], |r| {
                Ok(RunRow {
                    started_at: r.get(0)?,
                    finished_at: r.get(1)?,
                    status: r.get(2)?,
                    new_articles: r.get(3)?,
                    new_revisions: r.get(4)?,
                    failures: r.get(5)?,
                    error: r.get(6)?,
                    extracted: r.get(7)?,
                    fallbacks: r.get(8)?,
                    drift: r.get(9)?,
                    answered: r.get(10)?,
                    pid: r.get(11)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(ArchiveError::sql("reading section status"))?;
        let consecutive_failures = runs
            .iter()
            .filter(|r| r.status != "running")
            .take_while(|r| r.status == "failed")
            .count() as u32;
        let unreached = runs
            .iter()
            .filter(|r| r.status != "running")
            .take_while(|r| r.status == "failed" && r.answered == 0)
            .count() as u32;
        let archived: i64 = self
            .conn
            .query_row(
                "SELECT coalesce(sum(new_articles), 0) FROM crawl_runs WHERE section = ?1",
                [section],
                |r| r.get(0),
            )
            .map_err(ArchiveError::sql("reading section status"))?;
        let (pending, given_up): (i64, i64) = self
            .conn
            .query_row(
                "SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'failed')
                 FROM pending_fetches WHERE section = ?1",
                [section],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(ArchiveError::sql("reading section status"))?;
        let (backlog, next_page): (i64, Option<i64>) = self
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM crawl_backlog WHERE section = ?1),
                        (SELECT next_page FROM listing_progress WHERE section = ?1)",
                [section],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(ArchiveError::sql("reading section status"))?;
        Ok(SectionStatus {
            last_run: runs.into_iter().next(),
            consecutive_failures,
            unreached,
            archived,
            pending,
            given_up,
            backlog,
            next_page,
        })
    }

    /// Article count and the end of the last successful run of any section.
    pub fn totals(&self) -> Result<(i64, Option<String>), ArchiveError> {
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM articles),
                        (SELECT max(finished_at) FROM crawl_runs WHERE status = 'ok')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(ArchiveError::sql("reading archive totals"))
    }
}

/// Adds one link's outcome to its run's counts, in the transaction that
/// records the outcome itself: the row never counts what was not written.
pub(super) fn count_outcome(
    conn: &Connection,
    run: i64,
    outcome: Outcome,
) -> Result<(), ArchiveError> {
    let column = match outcome {
        Outcome::Stored(Stored::New) => "new_articles",
        Outcome::Stored(Stored::NewAddress) => "duplicates",
        Outcome::Stored(Stored::NewRevision) => "new_revisions",
        Outcome::Stored(Stored::Unchanged) | Outcome::NotModified => "unchanged",
        Outcome::Failed => "failures",
        // Nothing was written for it: nothing to count.
        Outcome::Left => return Ok(()),
    };
    conn.prepare_cached(&format!(
        "UPDATE crawl_runs SET {column} = {column} + 1 WHERE id = ?1"
    ))
    .and_then(|mut st| st.execute([run]))
    .map_err(ArchiveError::sql("counting an article on its run"))?;
    Ok(())
}

fn finish_in(
    conn: &Connection,
    id: i64,
    counts: &RunCounts,
    status: RunStatus,
    error: Option<&str>,
    now: &str,
) -> Result<(), ArchiveError> {
    let c = counts;
    conn.prepare_cached(
        "UPDATE crawl_runs SET finished_at = ?2, status = ?3, pages = ?4, links_found = ?5,
                     skipped = ?6, left_over = ?7, error = ?8, not_modified = ?9,
                     requests = ?10, bytes = ?11, status_2xx = ?12, status_3xx = ?13,
                     status_4xx = ?14, status_5xx = ?15, retries = ?16, duration_ms = ?17,
                     extracted = ?18, fallbacks = ?19, no_date = ?20, short_body = ?21, drift = ?22,
                     feeds = ?23, feeds_not_modified = ?24, feed_links = ?25, feed_new = ?26
                 WHERE id = ?1",
    )
    .and_then(|mut st| {
        st.execute(params![
            id,
            now,
            status.as_str(),
            c.pages,
            c.links_found,
            c.skipped,
            c.left,
            error,
            c.not_modified,
            c.requests as i64,
            c.bytes as i64,
            c.status_classes[0] as i64,
            c.status_classes[1] as i64,
            c.status_classes[2] as i64,
            c.status_classes[3] as i64,
            c.retries as i64,
            c.duration_ms as i64,
            c.extracted,
            c.fallbacks,
            c.no_date,
            c.short_body,
            c.drift,
            c.feeds,
            c.feeds_not_modified,
            c.feed_links,
            c.feed_new
        ])
    })
    .map_err(ArchiveError::sql("finishing a run"))?;
    Ok(())
}
