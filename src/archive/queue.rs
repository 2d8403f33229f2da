//! What is left to do: links that failed and wait for a retry
//! (`pending_fetches`), links found and not yet handled (`crawl_backlog`),
//! and unfinished readings of a section's list (`listing_progress`).

use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use tracing::instrument;

use super::Archive;
use crate::error::ArchiveError;

/// How failed links are retried.
#[derive(Debug, Clone, Copy)]
pub struct PendingPolicy {
    pub first_wait: Duration,
    pub max_attempts: u32,
}

/// A section's unfinished reading of its list pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub next_page: u32,
    pub min_pages: u32,
    pub max_pages: u32,
    /// When the reading began: links found before it mark where it may stop.
    pub started_at: String,
}

/// What the archive knows of a link found on a list page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkState {
    /// Archived, in the backlog or in the pending queue since before the
    /// reading began: the list has reached what earlier readings covered.
    pub known_before: bool,
    /// Not archived, not in any backlog, not waiting for a retry nor given up.
    pub wanted: bool,
}

impl Archive {
    /// Whether a failed link is still waiting for its next attempt.
    pub fn is_waiting(&self, url: &str, now: &str) -> Result<bool, ArchiveError> {
        self.conn
            .prepare_cached(
                "SELECT 1 FROM pending_fetches WHERE url = ?1 AND (status = 'failed' OR next_attempt_at > ?2)",
            )
            .and_then(|mut st| st.exists([url, now]))
            .map_err(ArchiveError::sql("looking up a pending fetch"))
    }

    /// Failed links of a section whose next attempt is due.
    pub fn pending_due(&self, section: &str, now: &str) -> Result<Vec<String>, ArchiveError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT url FROM pending_fetches
                 WHERE section = ?1 AND status = 'pending' AND next_attempt_at <= ?2
                   AND url NOT IN (SELECT url FROM crawl_backlog)
                 ORDER BY next_attempt_at",
            )
            .map_err(ArchiveError::sql("listing pending fetches"))?;
        let rows = st
            .query_map([section, now], |r| r.get(0))
            .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
            .map_err(ArchiveError::sql("listing pending fetches"))?;
        Ok(rows)
    }

    /// Notes a link that could not be archived (see [`record_failure_in`]).
    pub fn record_failure(
        &self,
        url: &str,
        section: &str,
        error: &str,
        now: chrono::DateTime<chrono::Utc>,
        policy: PendingPolicy,
        page: Option<&[u8]>,
    ) -> Result<(), ArchiveError> {
        record_failure_in(&self.conn, url, section, error, now, policy, page)
    }

    /// The links a section's earlier runs found and did not finish, oldest first.
    pub fn backlog(&self, section: &str) -> Result<Vec<String>, ArchiveError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT url FROM crawl_backlog WHERE section = ?1 ORDER BY found_at, url",
            )
            .map_err(ArchiveError::sql("reading the backlog"))?;
        let rows = st
            .query_map([section], |r| r.get(0))
            .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
            .map_err(ArchiveError::sql("reading the backlog"))?;
        Ok(rows)
    }

    pub fn progress(&self, section: &str) -> Result<Option<Progress>, ArchiveError> {
        self.conn
            .prepare_cached(
                "SELECT next_page, min_pages, max_pages, started_at FROM listing_progress WHERE section = ?1",
            )
            .and_then(|mut st| {
                st.query_row([section], |r| {
                    Ok(Progress {
                        next_page: r.get(0)?,
                        min_pages: r.get(1)?,
                        max_pages: r.get(2)?,
                        started_at: r.get(3)?,
                    })
                })
                .optional()
            })
            .map_err(ArchiveError::sql("reading list progress"))
    }

    /// The state of each of a list page's links, for a reading begun at `since`.
    pub fn link_states(
        &self,
        urls: &[String],
        since: &str,
        now: &str,
    ) -> Result<Vec<LinkState>, ArchiveError> {
        let e = || ArchiveError::sql("looking up a list page's links");
        let mut archived = self
            .conn
            .prepare_cached("SELECT first_seen_at FROM article_urls WHERE url = ?1")
            .map_err(e())?;
        let mut backlog = self
            .conn
            .prepare_cached("SELECT found_at FROM crawl_backlog WHERE url = ?1")
            .map_err(e())?;
        let mut pending = self
            .conn
            .prepare_cached(
                "SELECT first_failed_at, status = 'failed' OR next_attempt_at > ?2
                 FROM pending_fetches WHERE url = ?1",
            )
            .map_err(e())?;
        let mut out = Vec::with_capacity(urls.len());
        for url in urls {
            let a: Option<String> = archived
                .query_row([url], |r| r.get(0))
                .optional()
                .map_err(e())?;
            let b: Option<String> = backlog
                .query_row([url], |r| r.get(0))
                .optional()
                .map_err(e())?;
            let p: Option<(String, bool)> = pending
                .query_row(params![url, now], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(e())?;
            let known_before = [a.as_deref(), b.as_deref(), p.as_ref().map(|p| p.0.as_str())]
                .into_iter()
                .flatten()
                .any(|t| t < since);
            let wanted = a.is_none() && b.is_none() && !p.is_some_and(|p| p.1);
            out.push(LinkState {
                known_before,
                wanted,
            });
        }
        Ok(out)
    }
}

/// Notes a link that could not be archived; the wait before the next attempt
/// starts at `policy.first_wait` and doubles with each failure, up to a week.
/// After `policy.max_attempts` the link is marked failed and no longer retried.
#[instrument(skip(conn, page), level = "debug")]
pub(super) fn record_failure_in(
    conn: &Connection,
    url: &str,
    section: &str,
    error: &str,
    now: chrono::DateTime<chrono::Utc>,
    policy: PendingPolicy,
    page: Option<&[u8]>,
) -> Result<(), ArchiveError> {
    let attempts: i64 = conn
        .prepare_cached("SELECT attempts FROM pending_fetches WHERE url = ?1")
        .and_then(|mut st| st.query_row([url], |r| r.get(0)).optional())
        .map_err(ArchiveError::sql("recording a failure"))?
        .unwrap_or(0)
        + 1;
    let first = chrono::Duration::from_std(policy.first_wait).unwrap_or(chrono::Duration::hours(1));
    let wait = (first * (1 << (attempts - 1).clamp(0, 16))).min(chrono::Duration::days(7));
    let now_s = crate::clock::format_utc(&now);
    let next = crate::clock::format_utc(&(now + wait));
    let status = if attempts >= i64::from(policy.max_attempts) {
        "failed"
    } else {
        "pending"
    };
    if status == "failed" {
        tracing::warn!(url, attempts, error, "giving up on a link");
    }
    conn.prepare_cached(
        "INSERT INTO pending_fetches (url, section, attempts, last_error, first_failed_at, last_attempt_at, next_attempt_at, status, page)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8)
         ON CONFLICT (url) DO UPDATE SET attempts = excluded.attempts, last_error = excluded.last_error,
             last_attempt_at = excluded.last_attempt_at, next_attempt_at = excluded.next_attempt_at,
             status = excluded.status, page = coalesce(excluded.page, page)",
    )
    .and_then(|mut st| st.execute(params![url, section, attempts, error, now_s, next, status, page]))
    .map_err(ArchiveError::sql("recording a failure"))?;
    Ok(())
}

/// Puts a list page's new links in the section's backlog.
pub(super) fn add_to_backlog(
    conn: &Connection,
    section: &str,
    urls: &[String],
    run: i64,
    now: &str,
) -> Result<(), ArchiveError> {
    let mut st = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO crawl_backlog (url, section, found_at, run_id) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(ArchiveError::sql("adding to the backlog"))?;
    for url in urls {
        st.execute(params![url, section, now, run])
            .map_err(ArchiveError::sql("adding to the backlog"))?;
    }
    Ok(())
}

pub(super) fn remove_from_backlog(conn: &Connection, url: &str) -> Result<(), ArchiveError> {
    conn.prepare_cached("DELETE FROM crawl_backlog WHERE url = ?1")
        .and_then(|mut st| st.execute([url]))
        .map_err(ArchiveError::sql("removing from the backlog"))?;
    Ok(())
}

pub(super) fn set_progress_in(
    conn: &Connection,
    section: &str,
    progress: Option<&Progress>,
    now: &str,
) -> Result<(), ArchiveError> {
    let result = match progress {
        None => conn
            .prepare_cached("DELETE FROM listing_progress WHERE section = ?1")
            .and_then(|mut st| st.execute([section])),
        Some(p) => conn
            .prepare_cached(
                "INSERT INTO listing_progress (section, next_page, min_pages, max_pages, started_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (section) DO UPDATE SET next_page = excluded.next_page,
                     min_pages = excluded.min_pages, max_pages = excluded.max_pages,
                     started_at = excluded.started_at, updated_at = excluded.updated_at",
            )
            .and_then(|mut st| {
                st.execute(params![
                    section,
                    p.next_page,
                    p.min_pages,
                    p.max_pages,
                    p.started_at,
                    now
                ])
            }),
    };
    result.map_err(ArchiveError::sql("saving list progress"))?;
    Ok(())
}

impl Archive {
    /// Takes links out of the backlog without an outcome: robots.txt now
    /// forbids them, so no run may fetch them.
    pub fn drop_from_backlog(&mut self, urls: &[String]) -> Result<(), ArchiveError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(ArchiveError::sql("removing from the backlog"))?;
        for url in urls {
            remove_from_backlog(&tx, url)?;
        }
        tx.commit()
            .map_err(ArchiveError::sql("removing from the backlog"))
    }
}

/// What a list page does to its section's reading.
#[derive(Debug, Clone)]
pub enum ProgressUpdate {
    /// Not a persisted reading (the head of the list above an unfinished one).
    Keep,
    /// The reading goes on from here.
    Set(Progress),
    /// The reading reached its end.
    Clear,
}

impl Archive {
    /// Puts a list page's new links in the backlog and moves the section's
    /// reading on, in one transaction: a stop between pages loses neither.
    pub fn record_list_page(
        &mut self,
        section: &str,
        run: i64,
        urls: &[String],
        progress: &ProgressUpdate,
        now: &str,
    ) -> Result<(), ArchiveError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(ArchiveError::sql("recording a list page"))?;
        add_to_backlog(&tx, section, urls, run, now)?;
        match progress {
            ProgressUpdate::Keep => {}
            ProgressUpdate::Set(p) => set_progress_in(&tx, section, Some(p), now)?,
            ProgressUpdate::Clear => set_progress_in(&tx, section, None, now)?,
        }
        tx.commit()
            .map_err(ArchiveError::sql("recording a list page"))
    }
}

/// A link in `pending_fetches`, as `pending` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PendingLink {
    pub url: String,
    pub section: String,
    /// `waiting` (a retry is due at `next_attempt_at`), `held back` (the page
    /// read as no article or too short; kept, retried like the rest) or
    /// `given up` (out of attempts: only `retry` puts it back).
    pub state: &'static str,
    pub attempts: i64,
    pub last_error: String,
    pub first_failed_at: String,
    pub next_attempt_at: Option<String>,
}

/// Which links `retry` puts back in the queue.
#[derive(Debug, Clone)]
pub enum RetryWhich {
    All,
    Section(String),
    Urls(Vec<String>),
}

impl Archive {
    /// Every link waiting, held back or given up, of one section or all,
    /// given up first, then by next attempt.
    pub fn pending_links(&self, section: Option<&str>) -> Result<Vec<PendingLink>, ArchiveError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT url, section, status, page IS NOT NULL, attempts, last_error,
                        first_failed_at, next_attempt_at
                 FROM pending_fetches WHERE ?1 IS NULL OR section = ?1
                 ORDER BY status = 'pending', next_attempt_at, url",
            )
            .map_err(ArchiveError::sql("listing pending links"))?;
        let rows = st
            .query_map([section], |r| {
                let status: String = r.get(2)?;
                let held: bool = r.get(3)?;
                let given_up = status == "failed";
                Ok(PendingLink {
                    url: r.get(0)?,
                    section: r.get(1)?,
                    state: if given_up {
                        "given up"
                    } else if held {
                        "held back"
                    } else {
                        "waiting"
                    },
                    attempts: r.get(4)?,
                    last_error: r.get(5)?,
                    first_failed_at: r.get(6)?,
                    next_attempt_at: if given_up { None } else { Some(r.get(7)?) },
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(ArchiveError::sql("listing pending links"))?;
        Ok(rows)
    }

    /// Puts given-up and held-back links (and, named by address, any
    /// pending one) back in the queue, due now with their attempts reset:
    /// the next crawl or daemon run fetches them. Returns how many.
    pub fn retry_pending(&mut self, which: &RetryWhich, now: &str) -> Result<usize, ArchiveError> {
        let tx = self
            .conn
            .transaction()
            .map_err(ArchiveError::sql("starting a retry"))?;
        let set =
            "UPDATE pending_fetches SET status = 'pending', attempts = 0, next_attempt_at = ?1";
        let n = match which {
            RetryWhich::All => tx.execute(
                &format!("{set} WHERE status = 'failed' OR page IS NOT NULL"),
                [now],
            ),
            RetryWhich::Section(s) => tx.execute(
                &format!("{set} WHERE (status = 'failed' OR page IS NOT NULL) AND section = ?2"),
                [now, s.as_str()],
            ),
            RetryWhich::Urls(urls) => {
                let mut n = 0;
                for u in urls {
                    n += tx
                        .execute(&format!("{set} WHERE url = ?2"), [now, u.as_str()])
                        .map_err(ArchiveError::sql("putting a link back in the queue"))?;
                }
                Ok(n)
            }
        }
        .map_err(ArchiveError::sql("putting links back in the queue"))?;
        tx.commit()
            .map_err(ArchiveError::sql("committing a retry"))?;
        Ok(n)
    }
}
