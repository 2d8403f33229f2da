//! The schema's history: `migrations/NNNN_*.sql`, applied in order, once
//! each; the archive's `user_version` counts them. A released file is never
//! edited: every change is a new file.

use std::path::Path;

use rusqlite::TransactionBehavior;

use super::Archive;
use crate::error::ArchiveError;

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
    (
        "0005_backlog",
        include_str!("../../migrations/0005_backlog.sql"),
    ),
    (
        "0006_application_id",
        include_str!("../../migrations/0006_application_id.sql"),
    ),
    (
        "0007_http_head",
        include_str!("../../migrations/0007_http_head.sql"),
    ),
    (
        "0008_feed_counts",
        include_str!("../../migrations/0008_feed_counts.sql"),
    ),
    (
        "0009_fetched_from",
        include_str!("../../migrations/0009_fetched_from.sql"),
    ),
    (
        "0010_section_health_and_index",
        include_str!("../../migrations/0010_section_health_and_index.sql"),
    ),
];

/// `PRAGMA application_id` of an archive (migration 0006): "HRLD".
pub(super) const APPLICATION_ID: i64 = 0x4852_4c44;

/// What an existing file is, read without changing it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Identity {
    /// No tables yet (a new or empty database): it may become an archive.
    Empty,
    /// An archive (marked, or from before the mark with our tables).
    Archive,
    /// Someone else's database: why we think so.
    Foreign(String),
}

/// Tables every archive has had since migration 0001.
const OWN_TABLES: &[&str] = &["articles", "article_urls", "crawl_runs"];

pub(super) fn identify(conn: &rusqlite::Connection) -> rusqlite::Result<Identity> {
    let app: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') \
         AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if app == APPLICATION_ID {
        return Ok(Identity::Archive);
    }
    if app != 0 {
        return Ok(Identity::Foreign(format!(
            "its application_id is {app:#x}, another program's"
        )));
    }
    if tables.is_empty() && version == 0 {
        return Ok(Identity::Empty);
    }
    if version > 0 && OWN_TABLES.iter().all(|t| tables.iter().any(|n| n == t)) {
        return Ok(Identity::Archive);
    }
    let shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
    let more = tables.len().saturating_sub(shown.len());
    Ok(Identity::Foreign(if shown.is_empty() {
        format!("its user_version is {version} but it has no archive tables")
    } else {
        format!(
            "it holds tables herald-archiver does not know ({}{})",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )
    }))
}

pub(super) fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Refuses a schema newer than this build, and (for readers, which cannot
/// upgrade) an older one.
pub(super) fn check_version(
    path: &Path,
    found: i64,
    can_upgrade: bool,
) -> Result<(), ArchiveError> {
    let known = latest_version();
    if found > known {
        return Err(ArchiveError::TooNew {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    if found < known && !can_upgrade {
        return Err(ArchiveError::Outdated {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    Ok(())
}

impl Archive {
    pub(super) fn migrate(&mut self) -> Result<(), ArchiveError> {
        let found: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|source| ArchiveError::Open {
                path: self.path.clone(),
                source,
            })?;
        check_version(&self.path, found, true)?;
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
}
