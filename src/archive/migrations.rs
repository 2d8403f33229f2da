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
];

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
