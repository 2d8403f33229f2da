//! The SQLite archive: the only module that talks to the database. One
//! `Archive` is the one writer; WAL lets readers (sqlite3, Datasette, the
//! `search` command) read while it writes.

mod export;
mod search;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tracing::instrument;

pub use export::{csv_field, ExportError, Format};
pub use search::{day_start, Hit, Search};

use crate::error::ArchiveError;
use crate::extract::Record;

/// Applied in order, once each; the archive's `user_version` counts them.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/0001_init.sql")),
    (
        "0002_fetch_stats",
        include_str!("../../migrations/0002_fetch_stats.sql"),
    ),
    (
        "0003_extraction",
        include_str!("../../migrations/0003_extraction.sql"),
    ),
    (
        "0004_views",
        include_str!("../../migrations/0004_views.sql"),
    ),
];

const DEFAULT_NEAR_BITS: u32 = 6;
/// Near-duplicate links made for one new article, the closest first.
const MAX_NEAR_LINKS: usize = 5;

/// Why a revision was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The site's page changed.
    Fetch,
    /// Our extraction of a kept page changed (`reextract`).
    Reextract,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Fetch => "fetch",
            Origin::Reextract => "reextract",
        }
    }
}

/// What the archive did with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A new article.
    New,
    /// The same content as an archived article, found under another address.
    NewAddress,
    /// An archived article whose content changed.
    NewRevision,
    /// Nothing new.
    Unchanged,
}

/// HTTP validators from a 200 answer, for the next conditional request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The counts of one section run, as stored in `crawl_runs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub pages: u32,
    pub links_found: u32,
    pub new_articles: u32,
    pub new_revisions: u32,
    pub duplicates: u32,
    pub unchanged: u32,
    pub skipped: u32,
    pub failures: u32,
    /// List pages answered 304.
    pub not_modified: u32,
    /// HTTP requests sent, retries included, and body bytes received.
    pub requests: u64,
    pub bytes: u64,
    /// Responses by status class: 2xx, 3xx, 4xx, 5xx.
    pub status_classes: [u64; 4],
    pub retries: u64,
    pub duration_ms: u64,
    /// Extraction health: pages extracted, and those that needed a fallback
    /// layer, had no date, or had a body too short to archive.
    pub extracted: u32,
    pub fallbacks: u32,
    pub no_date: u32,
    pub short_body: u32,
    /// The drift warning, when the run gave one.
    pub drift: Option<String>,
}

impl RunCounts {
    pub fn count(&mut self, stored: Stored) {
        match stored {
            Stored::New => self.new_articles += 1,
            Stored::NewAddress => self.duplicates += 1,
            Stored::NewRevision => self.new_revisions += 1,
            Stored::Unchanged => self.unchanged += 1,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Ok,
    /// The run could not read its list (or robots.txt).
    Failed,
    /// Stopped by a shutdown before it was done.
    Interrupted,
    /// Not run: the section is backing off after failed runs (never stored).
    Backoff,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Backoff => "backoff",
        }
    }
}

/// How failed links are retried.
#[derive(Debug, Clone, Copy)]
pub struct PendingPolicy {
    pub first_wait: Duration,
    pub max_attempts: u32,
}

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
}

#[derive(Debug, Clone)]
pub struct SectionStatus {
    pub last_run: Option<RunRow>,
    pub consecutive_failures: u32,
    /// New articles its runs archived, all time.
    pub archived: i64,
    /// Links waiting to be retried, and links given up on.
    pub pending: i64,
    pub given_up: i64,
}

/// An archived article due for a re-check.
#[derive(Debug, Clone)]
pub struct RevisitTarget {
    pub url: String,
    pub section: Option<String>,
}

pub struct Archive {
    conn: Connection,
    path: PathBuf,
    /// New articles within this many SimHash bits of an earlier one are
    /// linked as near-duplicates (0: off).
    near_bits: u32,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive").field("path", &self.path).finish()
    }
}

impl Archive {
    /// Opens (creating if needed) and migrates the archive.
    pub fn open(path: &Path) -> Result<Archive, ArchiveError> {
        let open_err = |source| ArchiveError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(open_err(rusqlite::Error::InvalidPath(dir.to_path_buf())));
            }
        }
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(open_err)?;
        // journal_size_limit: after a checkpoint the -wal file is cut back to 64 MiB.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
             PRAGMA journal_size_limit = 67108864;",
        )
        .map_err(open_err)?;
        let mut archive = Archive {
            conn,
            path: path.to_path_buf(),
            near_bits: DEFAULT_NEAR_BITS,
        };
        archive.migrate()?;
        Ok(archive)
    }

    /// Opens an existing archive for reading only: `search` and `status`
    /// never write, so they can run as another user beside the daemon.
    pub fn open_readonly(path: &Path) -> Result<Archive, ArchiveError> {
        let open_err = |source| ArchiveError::Open {
            path: path.to_path_buf(),
            source,
        };
        if !path.is_file() {
            return Err(ArchiveError::Missing {
                path: path.to_path_buf(),
            });
        }
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(open_err)?;
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(open_err)?;
        let known = Archive::latest_version();
        if found > known {
            return Err(ArchiveError::TooNew {
                path: path.to_path_buf(),
                found,
                known,
            });
        }
        if found < known {
            return Err(ArchiveError::Outdated {
                path: path.to_path_buf(),
                found,
                known,
            });
        }
        Ok(Archive {
            conn,
            path: path.to_path_buf(),
            near_bits: DEFAULT_NEAR_BITS,
        })
    }

    /// How close (in SimHash bits, at most [`crate::dedup::MAX_NEAR_BITS`])
    /// a new article must be to an earlier one to be linked as its near-duplicate.
    pub fn set_near_duplicate_bits(&mut self, bits: u32) {
        self.near_bits = bits.min(crate::dedup::MAX_NEAR_BITS);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version this build knows.
    pub fn latest_version() -> i64 {
        MIGRATIONS.len() as i64
    }

    fn migrate(&mut self) -> Result<(), ArchiveError> {
        let found: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|source| ArchiveError::Open {
                path: self.path.clone(),
                source,
            })?;
        let known = Archive::latest_version();
        if found > known {
            return Err(ArchiveError::TooNew {
                path: self.path.clone(),
                found,
                known,
            });
        }
        for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let err = |source| ArchiveError::Migration {
                name,
                path: self.path.clone(),
                source,
            };
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(err)?;
            tx.commit().map_err(err)?;
            tracing::info!(migration = name, archive = %self.path.display(), "applied migration");
        }
        Ok(())
    }

    /// Whether this address belongs to an archived article.
    pub fn is_known(&self, url: &str) -> Result<bool, ArchiveError> {
        self.conn
            .prepare_cached("SELECT 1 FROM article_urls WHERE url = ?1")
            .and_then(|mut st| st.exists([url]))
            .map_err(ArchiveError::sql("looking up an address"))
    }

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
                 ORDER BY next_attempt_at",
            )
            .map_err(ArchiveError::sql("listing pending fetches"))?;
        let rows = st
            .query_map([section, now], |r| r.get(0))
            .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
            .map_err(ArchiveError::sql("listing pending fetches"))?;
        Ok(rows)
    }

    /// Notes a link that could not be archived; the wait before the next
    /// attempt starts at `policy.first_wait` and doubles with each failure,
    /// up to a week. After `policy.max_attempts` the link is marked failed
    /// and no longer retried.
    #[instrument(skip(self), level = "debug")]
    pub fn record_failure(
        &self,
        url: &str,
        section: &str,
        error: &str,
        now: chrono::DateTime<chrono::Utc>,
        policy: PendingPolicy,
        page: Option<&[u8]>,
    ) -> Result<(), ArchiveError> {
        let attempts: i64 = self
            .conn
            .query_row(
                "SELECT attempts FROM pending_fetches WHERE url = ?1",
                [url],
                |r| r.get(0),
            )
            .optional()
            .map_err(ArchiveError::sql("recording a failure"))?
            .unwrap_or(0)
            + 1;
        let first =
            chrono::Duration::from_std(policy.first_wait).unwrap_or(chrono::Duration::hours(1));
        let wait = (first * (1 << (attempts - 1).clamp(0, 16))).min(chrono::Duration::days(7));
        let now_s = crate::extract::text::format_utc(&now);
        let next = crate::extract::text::format_utc(&(now + wait));
        let status = if attempts >= i64::from(policy.max_attempts) {
            "failed"
        } else {
            "pending"
        };
        if status == "failed" {
            tracing::warn!(url, attempts, error, "giving up on a link");
        }
        self.conn
            .execute(
                "INSERT INTO pending_fetches (url, section, attempts, last_error, first_failed_at, last_attempt_at, next_attempt_at, status, page)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8)
                 ON CONFLICT (url) DO UPDATE SET attempts = excluded.attempts, last_error = excluded.last_error,
                     last_attempt_at = excluded.last_attempt_at, next_attempt_at = excluded.next_attempt_at,
                     status = excluded.status, page = coalesce(excluded.page, page)",
                params![url, section, attempts, error, now_s, next, status, page],
            )
            .map_err(ArchiveError::sql("recording a failure"))?;
        Ok(())
    }

    /// Stores a record found under `addresses` (its canonical URL first).
    /// One transaction: a crash leaves either all of it or none.
    #[instrument(skip(self, record), fields(url = %record.url), level = "debug")]
    pub fn store(
        &mut self,
        record: &Record,
        addresses: &[&str],
        fetched_at: &str,
        page: Option<&[u8]>,
    ) -> Result<Stored, ArchiveError> {
        let e = ArchiveError::sql("storing an article");
        let hash = record.content_hash();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e)?;
        let mut all: Vec<&str> = vec![record.url.as_str()];
        all.extend(addresses.iter().copied().filter(|a| *a != record.url));

        let by_url: Option<i64> = {
            let mut st = tx
                .prepare_cached("SELECT article_id FROM article_urls WHERE url = ?1")
                .map_err(ArchiveError::sql("storing an article"))?;
            let mut found = None;
            for a in &all {
                if let Some(id) = st
                    .query_row([a], |r| r.get(0))
                    .optional()
                    .map_err(ArchiveError::sql("storing an article"))?
                {
                    found = Some(id);
                    break;
                }
            }
            found
        };

        let (id, stored) = if let Some(id) = by_url {
            let (old_hash, old_title, old_subtitle): (String, String, Option<String>) = tx
                .query_row(
                    "SELECT content_hash, title, subtitle FROM articles WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .map_err(ArchiveError::sql("storing an article"))?;
            let stored =
                if old_hash == hash && old_title == record.title && old_subtitle == record.subtitle
                {
                    tx.execute(
                        "UPDATE articles SET last_checked_at = ?2 WHERE id = ?1",
                        params![id, fetched_at],
                    )
                    .map_err(ArchiveError::sql("storing an article"))?;
                    Stored::Unchanged
                } else {
                    let revision: i64 = tx
                        .query_row(
                            "SELECT revision + 1 FROM articles WHERE id = ?1",
                            [id],
                            |r| r.get(0),
                        )
                        .map_err(ArchiveError::sql("storing a revision"))?;
                    let rev = Revision {
                        record,
                        hash: &hash,
                        number: revision,
                        at: fetched_at,
                        origin: Origin::Fetch,
                        page,
                        simhash: crate::dedup::simhash(&record.body),
                    };
                    write_article(&tx, Some(id), &rev)?;
                    Stored::NewRevision
                };
            (id, stored)
        } else if let Some(id) = tx
            .prepare_cached("SELECT id FROM articles WHERE content_hash = ?1 ORDER BY id LIMIT 1")
            .and_then(|mut st| st.query_row([&hash], |r| r.get::<_, i64>(0)).optional())
            .map_err(ArchiveError::sql("storing an article"))?
        {
            // The same story under another address: prefer today's /article/N
            // form as the canonical address over a legacy view.php one.
            tx.execute(
                "UPDATE articles SET url = ?2, last_checked_at = ?3
                 WHERE id = ?1 AND url LIKE '%/view.php?%' AND ?2 LIKE '%/article/%'",
                params![id, record.url, fetched_at],
            )
            .map_err(ArchiveError::sql("storing an address"))?;
            (id, Stored::NewAddress)
        } else {
            let rev = Revision {
                record,
                hash: &hash,
                number: 1,
                at: fetched_at,
                origin: Origin::Fetch,
                page,
                simhash: crate::dedup::simhash(&record.body),
            };
            let id = write_article(&tx, None, &rev)?;
            if self.near_bits > 0 {
                link_near_duplicates(&tx, id, rev.simhash, self.near_bits, fetched_at)?;
            }
            (id, Stored::New)
        };

        {
            let mut st = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO article_urls (url, article_id, first_seen_at) VALUES (?1, ?2, ?3)",
                )
                .map_err(ArchiveError::sql("storing an address"))?;
            let mut del = tx
                .prepare_cached("DELETE FROM pending_fetches WHERE url = ?1")
                .map_err(ArchiveError::sql("storing an address"))?;
            for a in &all {
                st.execute(params![a, id, fetched_at])
                    .map_err(ArchiveError::sql("storing an address"))?;
                del.execute([a])
                    .map_err(ArchiveError::sql("storing an address"))?;
            }
        }
        tx.commit()
            .map_err(ArchiveError::sql("committing an article"))?;
        Ok(stored)
    }

    /// Articles to re-extract: published since `since` (all when `None`), of
    /// the given `section` (all when `None`), in id order.
    pub fn reextract_targets(
        &self,
        since: Option<&str>,
        section: Option<&str>,
    ) -> Result<Vec<(i64, String)>, ArchiveError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT id, url FROM articles
                 WHERE (?1 IS NULL OR coalesce(published_at, first_seen_at) >= ?1)
                   AND (?2 IS NULL OR section = ?2)
                 ORDER BY id",
            )
            .map_err(ArchiveError::sql("listing articles to re-extract"))?;
        let rows = st
            .query_map(params![since, section], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(ArchiveError::sql("listing articles to re-extract"))?;
        Ok(rows)
    }

    /// The newest page kept for an article, decompressed.
    pub fn kept_page(&self, article_id: i64) -> Result<Option<String>, ArchiveError> {
        let blob: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT page FROM article_revisions WHERE article_id = ?1 AND page IS NOT NULL
                 ORDER BY revision DESC LIMIT 1",
                [article_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(ArchiveError::sql("reading a kept page"))?;
        Ok(blob
            .and_then(|b| zstd::decode_all(&b[..]).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Stores a re-extraction of an article's kept page when it differs from
    /// the archived state, as a revision marked `reextract`. Returns whether
    /// anything was written.
    pub fn apply_reextraction(
        &mut self,
        article_id: i64,
        record: &Record,
        now: &str,
    ) -> Result<bool, ArchiveError> {
        let e = || ArchiveError::sql("storing a re-extraction");
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e())?;
        let current = tx
            .query_row(
                "SELECT title, subtitle, authors, section, subsection, published_at, updated_at,
                        body, captions, images, revision
                 FROM articles WHERE id = ?1",
                [article_id],
                |r| {
                    Ok((
                        (
                            r.get::<_, String>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, Option<String>>(3)?,
                            r.get::<_, Option<String>>(4)?,
                        ),
                        (
                            r.get::<_, Option<String>>(5)?,
                            r.get::<_, Option<String>>(6)?,
                            r.get::<_, String>(7)?,
                            r.get::<_, String>(8)?,
                            r.get::<_, String>(9)?,
                        ),
                        r.get::<_, i64>(10)?,
                    ))
                },
            )
            .map_err(e())?;
        let fresh = (
            (
                record.title.clone(),
                record.subtitle.clone(),
                to_json(&record.authors),
                record.section.clone(),
                record.subsection.clone(),
            ),
            (
                record.published_at.clone(),
                record.updated_at.clone(),
                record.body.clone(),
                to_json(&record.captions),
                to_json(&record.images),
            ),
        );
        if (current.0.clone(), current.1.clone()) == fresh {
            return Ok(false);
        }
        let hash = record.content_hash();
        let rev = Revision {
            record,
            hash: &hash,
            number: current.2 + 1,
            at: now,
            origin: Origin::Reextract,
            page: None,
            simhash: crate::dedup::simhash(&record.body),
        };
        write_article(&tx, Some(article_id), &rev)?;
        tx.commit().map_err(e())?;
        Ok(true)
    }

    /// Marks an article as checked now (a 304 answer on revisit).
    pub fn touch(&self, url: &str, now: &str) -> Result<(), ArchiveError> {
        self.conn
            .execute(
                "UPDATE articles SET last_checked_at = ?2
                 WHERE id = (SELECT article_id FROM article_urls WHERE url = ?1)",
                params![url, now],
            )
            .map_err(ArchiveError::sql("marking an article checked"))?;
        Ok(())
    }

    /// Articles published since `young_since` and not checked since `checked_before`.
    pub fn revisit_due(
        &self,
        young_since: &str,
        checked_before: &str,
    ) -> Result<Vec<RevisitTarget>, ArchiveError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT url, section FROM articles
                 WHERE coalesce(published_at, first_seen_at) >= ?1 AND last_checked_at < ?2
                 ORDER BY published_at DESC",
            )
            .map_err(ArchiveError::sql("listing articles to revisit"))?;
        let rows = st
            .query_map([young_since, checked_before], |r| {
                Ok(RevisitTarget {
                    url: r.get(0)?,
                    section: r.get(1)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(ArchiveError::sql("listing articles to revisit"))?;
        Ok(rows)
    }

    pub fn validators(&self, url: &str) -> Result<Validators, ArchiveError> {
        Ok(self
            .conn
            .prepare_cached("SELECT etag, last_modified FROM http_cache WHERE url = ?1")
            .and_then(|mut st| {
                st.query_row([url], |r| {
                    Ok(Validators {
                        etag: r.get(0)?,
                        last_modified: r.get(1)?,
                    })
                })
                .optional()
            })
            .map_err(ArchiveError::sql("reading HTTP validators"))?
            .unwrap_or_default())
    }

    /// Saves the validators of a 200 answer (only a 200 may change them).
    pub fn save_validators(
        &self,
        url: &str,
        v: &Validators,
        now: &str,
    ) -> Result<(), ArchiveError> {
        if v.etag.is_none() && v.last_modified.is_none() {
            return Ok(());
        }
        self.conn
            .prepare_cached(
                "INSERT INTO http_cache (url, etag, last_modified, fetched_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,
                     last_modified = excluded.last_modified, fetched_at = excluded.fetched_at",
            )
            .and_then(|mut st| st.execute(params![url, v.etag, v.last_modified, now]))
            .map_err(ArchiveError::sql("saving HTTP validators"))?;
        Ok(())
    }

    /// Runs left 'running' by a process that was killed.
    pub fn mark_interrupted_runs(&self, now: &str) -> Result<(), ArchiveError> {
        self.conn
            .execute(
                "UPDATE crawl_runs SET status = 'interrupted', finished_at = ?1 WHERE status = 'running'",
                [now],
            )
            .map_err(ArchiveError::sql("closing interrupted runs"))?;
        Ok(())
    }

    pub fn begin_run(&self, section: &str, now: &str) -> Result<i64, ArchiveError> {
        self.conn
            .execute(
                "INSERT INTO crawl_runs (section, started_at, status) VALUES (?1, ?2, 'running')",
                params![section, now],
            )
            .map_err(ArchiveError::sql("starting a run"))?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_run(
        &self,
        id: i64,
        counts: &RunCounts,
        status: RunStatus,
        error: Option<&str>,
        now: &str,
    ) -> Result<(), ArchiveError> {
        let c = counts;
        self.conn
            .execute(
                "UPDATE crawl_runs SET finished_at = ?2, status = ?3, pages = ?4, links_found = ?5,
                     new_articles = ?6, new_revisions = ?7, duplicates = ?8, unchanged = ?9,
                     skipped = ?10, failures = ?11, error = ?12, not_modified = ?13,
                     requests = ?14, bytes = ?15, status_2xx = ?16, status_3xx = ?17,
                     status_4xx = ?18, status_5xx = ?19, retries = ?20, duration_ms = ?21,
                     extracted = ?22, fallbacks = ?23, no_date = ?24, short_body = ?25, drift = ?26
                 WHERE id = ?1",
                params![
                    id,
                    now,
                    status.as_str(),
                    c.pages,
                    c.links_found,
                    c.new_articles,
                    c.new_revisions,
                    c.duplicates,
                    c.unchanged,
                    c.skipped,
                    c.failures,
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
                    c.drift
                ],
            )
            .map_err(ArchiveError::sql("finishing a run"))?;
        Ok(())
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
                        extracted, fallbacks, drift
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
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(ArchiveError::sql("reading section status"))?;
        let consecutive_failures = runs
            .iter()
            .filter(|r| r.status != "running")
            .take_while(|r| r.status == "failed")
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
        Ok(SectionStatus {
            last_run: runs.into_iter().next(),
            consecutive_failures,
            archived,
            pending,
            given_up,
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

    /// Bytes on disk of the database file and of its write-ahead log.
    pub fn sizes_on_disk(&self) -> (u64, u64) {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        (size(&self.path), size(Path::new(&wal)))
    }

    /// Upkeep: merges the full-text index's segments, lets SQLite refresh
    /// its query statistics, and checkpoints the write-ahead log back to the
    /// database file, truncating it. Writers wait meanwhile; run it rarely.
    #[instrument(skip(self))]
    pub fn maintain(&self) -> Result<(), ArchiveError> {
        self.conn
            .execute_batch(
                "INSERT INTO articles_fts (articles_fts) VALUES ('optimize');
                 PRAGMA optimize;",
            )
            .map_err(ArchiveError::sql("optimising"))?;
        self.checkpoint()
    }

    /// Copies the write-ahead log into the database and truncates it, when
    /// no reader holds an old snapshot (else as much as it can).
    pub fn checkpoint(&self) -> Result<(), ArchiveError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(ArchiveError::sql("checkpointing the WAL"))
    }

    /// Whether a write transaction can be started now (for /healthz).
    pub fn check_writable(&self) -> Result<(), ArchiveError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE; ROLLBACK;")
            .map_err(ArchiveError::sql("checking the archive is writable"))
    }

    /// Read access for queries outside this module's API (tests, tools).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// A state of an article about to be written.
struct Revision<'a> {
    record: &'a Record,
    hash: &'a str,
    number: i64,
    at: &'a str,
    origin: Origin,
    /// The page it came from, zstd-compressed.
    page: Option<&'a [u8]>,
    simhash: u64,
}

/// Inserts (id `None`) or updates the article row, then copies the new state
/// into `article_revisions` and files its SimHash bands.
fn write_article(
    tx: &rusqlite::Transaction<'_>,
    id: Option<i64>,
    rev: &Revision<'_>,
) -> Result<i64, ArchiveError> {
    let r = rev.record;
    let simhash = rev.simhash;
    // An existing article keeps its address and first_seen_at.
    let id: i64 = tx
        .prepare_cached(
            "INSERT INTO articles (id, url, title, subtitle, authors, section, subsection,
                 published_at, updated_at, body, captions, images, content_hash, revision,
                 sources, first_seen_at, last_checked_at, layout, simhash)
             VALUES (?1, coalesce((SELECT url FROM articles WHERE id = ?1), ?2), ?3, ?4, ?5, ?6,
                 ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16, ?17, ?18)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, subtitle = excluded.subtitle,
                 authors = excluded.authors, section = excluded.section,
                 subsection = excluded.subsection, published_at = excluded.published_at,
                 updated_at = excluded.updated_at, body = excluded.body,
                 captions = excluded.captions, images = excluded.images,
                 content_hash = excluded.content_hash, revision = excluded.revision,
                 sources = excluded.sources, last_checked_at = excluded.last_checked_at,
                 layout = excluded.layout, simhash = excluded.simhash
             RETURNING id",
        )
        .and_then(|mut st| {
            st.query_row(
                params![
                    id,
                    r.url,
                    r.title,
                    r.subtitle,
                    to_json(&r.authors),
                    r.section,
                    r.subsection,
                    r.published_at,
                    r.updated_at,
                    r.body,
                    to_json(&r.captions),
                    to_json(&r.images),
                    rev.hash,
                    rev.number,
                    to_json(&r.sources),
                    rev.at,
                    r.layout,
                    simhash as i64
                ],
                |row| row.get(0),
            )
        })
        .map_err(ArchiveError::sql("writing an article"))?;
    tx.prepare_cached(
        "INSERT INTO article_revisions (article_id, revision, fetched_at, content_hash, title,
             subtitle, authors, section, subsection, published_at, updated_at, body, captions,
             images, sources, layout, origin, page)
         SELECT id, revision, last_checked_at, content_hash, title, subtitle, authors, section,
             subsection, published_at, updated_at, body, captions, images, sources, layout, ?2, ?3
         FROM articles WHERE id = ?1",
    )
    .and_then(|mut st| st.execute(params![id, rev.origin.as_str(), rev.page]))
    .map_err(ArchiveError::sql("writing a revision"))?;
    let e = || ArchiveError::sql("filing a SimHash");
    tx.prepare_cached("DELETE FROM simhash_bands WHERE article_id = ?1")
        .and_then(|mut st| st.execute([id]))
        .map_err(e())?;
    let mut st = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO simhash_bands (band, value, article_id, simhash) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(e())?;
    for (band, value) in crate::dedup::bands(simhash) {
        st.execute(params![band, value, id, simhash as i64])
            .map_err(e())?;
    }
    Ok(id)
}

/// Links a new article to earlier ones whose SimHash is within `max_bits`.
fn link_near_duplicates(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    simhash: u64,
    max_bits: u32,
    at: &str,
) -> Result<usize, ArchiveError> {
    let e = || ArchiveError::sql("looking for near-duplicates");
    let mut found = std::collections::BTreeMap::new();
    let mut st = tx
        .prepare_cached(
            // Capped: texts that cluster (boilerplate-heavy pages) must not
            // make each insert scan the archive; the newest candidates win.
            "SELECT article_id, simhash FROM simhash_bands
             WHERE band = ?1 AND value = ?2 AND article_id != ?3
             ORDER BY article_id DESC LIMIT 200",
        )
        .map_err(e())?;
    for (band, value) in crate::dedup::bands(simhash) {
        let rows = st
            .query_map(params![band, value, id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(e())?;
        for (other, h) in rows {
            let d = crate::dedup::distance(simhash, h as u64);
            if d <= max_bits {
                found.insert(other, d);
            }
        }
    }
    let mut ins = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO near_duplicates (article_id, duplicate_of, distance, found_at)
             VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(e())?;
    // Only the closest few: a story republished daily with small changes
    // would otherwise link to every earlier copy.
    let mut nearest: Vec<(u32, i64)> = found.iter().map(|(id, d)| (*d, *id)).collect();
    nearest.sort_unstable();
    nearest.truncate(MAX_NEAR_LINKS);
    for (d, other) in &nearest {
        ins.execute(params![id, other, d, at]).map_err(e())?;
    }
    Ok(nearest.len())
}

/// JSON text of a list or map of strings, which cannot fail to serialise.
fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}
