//! Upkeep and health: checkpoints, index optimisation, sizes on disk, and
//! whether the archive can take writes right now.

use std::path::Path;
use std::time::Duration;

use tracing::instrument;

use super::Archive;
use crate::error::ArchiveError;

/// Below this much free space on the archive's file system the archive is
/// reported full: a batch of articles with their kept pages would not fit.
pub const MIN_FREE_BYTES: u64 = 8 * 1024 * 1024;

impl Archive {
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

    /// Whether a write can be made now: a real write (so a read-only file
    /// shows), waiting at most `wait` for another process's lock. A full disk
    /// may still take it (the WAL reuses its space): see [`check_disk`].
    pub fn check_writable(&self, wait: Duration) -> Result<(), String> {
        let _ = self.conn.busy_timeout(wait);
        let result = self.conn.execute_batch(
            "BEGIN IMMEDIATE;
             UPDATE listing_progress SET updated_at = updated_at WHERE 0;
             PRAGMA user_version = user_version;
             ROLLBACK;",
        );
        let _ = self.conn.busy_timeout(super::DEFAULT_BUSY_TIMEOUT);
        result.map_err(|source| {
            let _ = self.conn.execute_batch("ROLLBACK");
            describe_write_error(
                &self.path,
                &ArchiveError::Sql {
                    context: "checking the archive takes writes",
                    source,
                },
            )
        })
    }

    /// Settings for the one writer: checkpoint the WAL every 64 MiB instead
    /// of every 4 MiB (pages rewritten between two checkpoints, index and
    /// full-text segments mostly, are copied back once) and a larger page
    /// cache for the full-text index's merges.
    pub fn tune_for_writing(&self) -> Result<(), ArchiveError> {
        self.conn
            .execute_batch("PRAGMA wal_autocheckpoint = 16384; PRAGMA cache_size = -16384;")
            .map_err(ArchiveError::sql("tuning the writer's connection"))
    }
}

/// `Err` with what to do when the archive's disk has less than
/// [`MIN_FREE_BYTES`] free.
pub fn check_disk(path: &Path) -> Result<(), String> {
    match free_bytes(path) {
        Some(free) if free < MIN_FREE_BYTES => Err(format!(
            "archive {} cannot take writes: its disk is full ({} KiB free); free some space",
            path.display(),
            free / 1024
        )),
        _ => Ok(()),
    }
}

/// Free bytes on the file system that holds `path`, when it can be told.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let st = rustix::fs::statvfs(dir).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

/// A write error in words a user can act on.
pub fn describe_write_error(path: &Path, e: &ArchiveError) -> String {
    use rusqlite::ErrorCode;
    let what = match e.sqlite_code() {
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
            "another process holds its write lock (an open sqlite3 or Datasette write?)"
        }
        Some(ErrorCode::DiskFull) => "its disk is full; free some space",
        Some(ErrorCode::ReadOnly)
        | Some(ErrorCode::CannotOpen)
        | Some(ErrorCode::PermissionDenied) => {
            "it is read-only here; check the file's and its folder's permissions"
        }
        Some(ErrorCode::SystemIoFailure) => {
            "the file system failed a write (full, or over a size limit?)"
        }
        Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => {
            "the file is damaged or is not the one this process opened (copied over while open?): stop herald-archiver, check it with `sqlite3 FILE 'PRAGMA integrity_check'`, restore it from a backup if it fails, and start again"
        }
        _ => "the write failed",
    };
    format!(
        "archive {} cannot take writes: {what} ({})",
        path.display(),
        crate::error::chain(e)
    )
}
