//! The SQLite archive: the only module that talks to the database.
//!
//! One process writes an archive at a time ([`lock`]); in it, one thread
//! owns the read-write connection ([`writer`]) and takes its work as
//! commands, several articles to a transaction. Lookups use read-only
//! connections ([`readers`]); WAL lets them, sqlite3, Datasette and the
//! `search` command read while the writer writes.
//!
//! Files by concern: `migrations` (the schema's history), `articles` (records,
//! revisions, addresses), `queue` (pending links, the crawl backlog, list
//! progress), `runs` (crawl_runs), `http_cache` (validators), `upkeep`
//! (checkpoint, optimise, health), `search` and `export` (reading out).

mod articles;
mod export;
mod http_cache;
mod identity;
mod lock;
mod migrations;
pub mod page;
mod queue;
mod readers;
mod runs;
mod search;
mod upkeep;
mod warc;
mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

pub use articles::{Origin, RevisitTarget};
pub use export::{csv_field, ExportError, Format};
pub use identity::FileIdentity;
pub use lock::{ArchiveLock, LockHolder};
pub use queue::{LinkState, PendingLink, PendingPolicy, Progress, ProgressUpdate, RetryWhich};
pub use readers::Readers;
pub use runs::{RunEnd, RunRow, SectionStatus};
pub use search::{day_start, Hit, Search};
pub use upkeep::{check_disk, describe_write_error, free_bytes, MIN_FREE_BYTES};
pub use writer::{LinkDone, LinkJob, Writer, WriterHealth};

pub use crate::model::{RunCounts, RunStatus, Stored, Validators};

use crate::error::ArchiveError;

const DEFAULT_NEAR_BITS: u32 = 6;
/// How long a statement waits for another connection's lock by default.
const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

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
        Archive::open_with(path, DEFAULT_BUSY_TIMEOUT)
    }

    /// As [`Archive::open`], waiting up to `busy` for other processes' locks.
    pub fn open_with(path: &Path, busy: Duration) -> Result<Archive, ArchiveError> {
        let open_err = |source| ArchiveError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(open_err(rusqlite::Error::InvalidPath(dir.to_path_buf())));
            }
        }
        // Look before touching: someone else's database (or no database)
        // is refused before anything is written to it, WAL mode included.
        if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
            let (_, identity) = open_and_identify(path, false)?;
            if let migrations::Identity::Foreign(reason) = identity {
                return Err(ArchiveError::Foreign {
                    path: path.to_path_buf(),
                    reason,
                });
            }
        }
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(busy).map_err(open_err)?;
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
        let (conn, identity) = open_and_identify(path, true)?;
        if let migrations::Identity::Foreign(reason) = identity {
            return Err(ArchiveError::Foreign {
                path: path.to_path_buf(),
                reason,
            });
        }
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(open_err)?;
        migrations::check_version(path, found, false)?;
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
        migrations::latest_version()
    }

    /// Read access for queries outside this module's API (tests, tools).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The one number a `SELECT count(*)` gives (the totals progress bars
    /// are drawn against); `what` names it in an error.
    fn count_of(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        what: &'static str,
    ) -> Result<u64, ArchiveError> {
        self.conn
            .query_row(sql, params, |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(ArchiveError::sql(what))
    }
}

/// Opens `path` read-only and says what it is, changing nothing. A
/// database in a folder we cannot write (SQLite cannot create its `-shm`
/// there) is opened `immutable` when `fallback` allows: nobody can be
/// writing it then.
fn open_and_identify(
    path: &Path,
    fallback: bool,
) -> Result<(Connection, migrations::Identity), ArchiveError> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let classify = |source: rusqlite::Error| match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => ArchiveError::NotADatabase {
            path: path.to_path_buf(),
        },
        _ => ArchiveError::Open {
            path: path.to_path_buf(),
            source,
        },
    };
    let attempt = |conn: Connection| -> Result<_, rusqlite::Error> {
        conn.busy_timeout(DEFAULT_BUSY_TIMEOUT)?;
        let identity = migrations::identify(&conn)?;
        Ok((conn, identity))
    };
    let first = Connection::open_with_flags(path, flags).and_then(attempt);
    match first {
        Ok(found) => Ok(found),
        Err(e)
            if fallback
                && matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
                ) =>
        {
            let uri = std::fs::canonicalize(path)
                .ok()
                .and_then(|p| url::Url::from_file_path(p).ok())
                .map(|u| format!("{u}?immutable=1"))
                .ok_or_else(|| classify(e))?;
            tracing::debug!(archive = %path.display(), "read-only folder: opened immutable");
            Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
                .and_then(attempt)
                .map_err(classify)
        }
        Err(e) => Err(classify(e)),
    }
}
