//! One error type per boundary of the pipeline. Each variant carries the input
//! that failed, so a message can say what to look at without a backtrace.

use std::path::PathBuf;

/// The config file could not be found, read or accepted.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no config file found: looked at {tried}; pass --config PATH or set HERALD_ARCHIVER_CONFIG"
    )]
    NotFound { tried: String },
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is larger than {limit} bytes: it is not a config file; pass the TOML file with --config")]
    TooLarge { path: PathBuf, limit: u64 },
    /// Syntax errors, unknown keys and values that cannot work, all of
    /// them, each with its line and key.
    #[error("invalid config file {path}: {}", list_problems(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<ConfigProblem>,
    },
}

fn list_problems(path: &std::path::Path, problems: &[ConfigProblem]) -> String {
    let n = problems.len();
    let mut out = format!("{n} problem{}", if n == 1 { "" } else { "s" });
    for p in problems {
        out.push_str(&format!("\n  {}", path.display()));
        if p.line > 0 {
            out.push_str(&format!(":{}", p.line));
        }
        out.push_str(": ");
        if let Some(k) = &p.key {
            out.push_str(&format!("{k}: "));
        }
        out.push_str(&p.message);
    }
    out
}

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// 1-based; 0 when the problem is the file as a whole (a missing table).
    pub line: usize,
    /// `table.key` (`section[2].pages` for the second `[[section]]`), when known.
    pub key: Option<String>,
    pub message: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        if let Some(k) = &self.key {
            write!(f, "{k}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// A request that did not give us a usable page.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("GET {url}")]
    Http { url: String, source: reqwest::Error },
    #[error("GET {url}: server answered {status}")]
    Status {
        url: String,
        status: u16,
        /// From `Retry-After`, if the server sent one.
        retry_after: Option<std::time::Duration>,
    },
    #[error("GET {url}: body larger than {limit} bytes, abandoned")]
    TooLarge { url: String, limit: usize },
    #[error("GET {url}: refused, {reason}")]
    Refused { url: String, reason: String },
    /// Not requested: the process is stopping (the link stays where it was).
    #[error("GET {url}: not requested, stopping")]
    Stopped { url: String },
}

/// A page that parsed but is not an article we can archive.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("not an article: {reason}")]
    NotAnArticle { reason: String },
    /// The page's markup is beyond what the parser reads in bounded time.
    #[error("page refused for its shape: {reason}")]
    Shape { reason: String },
    /// An answer to a feed address that is not an RSS or Atom feed.
    #[error("not an RSS or Atom feed: {reason}")]
    NotAFeed { reason: String },
}

/// The archive database failed or holds something we do not understand.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot open archive {path} (is its folder there and writable, and is it a herald-archiver archive?)")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("archive {path} has schema version {found}, but this herald-archiver knows only up to {known}: upgrade herald-archiver, or use another archive")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("no archive at {path}: run `herald-archiver crawl` (or start the daemon) to create it, or check [archive] path")]
    Missing { path: PathBuf },
    #[error("{path} is not a herald-archiver archive: {reason}; it was left unchanged. Point [archive] path at another file")]
    Foreign { path: PathBuf, reason: String },
    #[error("{path} is not an SQLite database (or it is damaged); it was left unchanged. Point [archive] path at another file, or restore it from a backup")]
    NotADatabase { path: PathBuf },
    #[error("archive {path} has schema version {found}, older than this herald-archiver's {known}: run `herald-archiver crawl` or the daemon once to upgrade it")]
    Outdated {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("applying migration {name} to {path}")]
    Migration {
        name: &'static str,
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("bad search query {query:?}: {message} (quote phrases with \"...\", and balance quotes and parentheses)")]
    BadQuery { query: String, message: String },
    #[error("archive {path} is being written by {holder}: one process writes an archive at a time; wait for it (`crawl --wait`), or stop it (`systemctl stop herald-archiver` for the daemon)")]
    Busy { path: PathBuf, holder: String },
    #[error("cannot lock {path} (is its folder writable?)")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what} panicked (a bug: please report it with the page that caused it)")]
    Panicked { what: &'static str },
    #[error("the archive writer has stopped; the last error it logged says why")]
    WriterGone,
    #[error("{path} already exists (or is a symlink): back up to a new file")]
    BackupExists { path: PathBuf },
    #[error("cannot put the backup at {path} (is its folder writable?)")]
    Backup {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The archive's file is no longer the one this process opened, or is
    /// damaged: nothing more is written (see `why`).
    #[error("{why}")]
    Unusable { path: PathBuf, why: String },
    #[error("archive: {context}")]
    Sql {
        context: &'static str,
        source: rusqlite::Error,
    },
}

impl ArchiveError {
    /// Whether the archive as a whole cannot take writes now (full disk,
    /// another process's lock, read-only, I/O failure, no writer), as opposed
    /// to refusing one record.
    pub fn is_unavailable(&self) -> bool {
        use rusqlite::ErrorCode::*;
        match self {
            ArchiveError::Sql { .. } | ArchiveError::Open { .. } => matches!(
                self.sqlite_code(),
                Some(
                    DiskFull
                        | DatabaseBusy
                        | DatabaseLocked
                        | ReadOnly
                        | SystemIoFailure
                        | CannotOpen
                        | PermissionDenied
                        | OutOfMemory
                        | DatabaseCorrupt
                        | NotADatabase
                )
            ),
            ArchiveError::Panicked { .. } | ArchiveError::BadQuery { .. } => false,
            _ => true,
        }
    }

    /// A full disk or another process's lock held past busy_timeout: the
    /// archive is fine and takes writes again once that clears.
    pub fn is_full_or_locked(&self) -> bool {
        use rusqlite::ErrorCode::*;
        if let ArchiveError::Lock { source, .. } = self {
            return source.kind() == std::io::ErrorKind::StorageFull;
        }
        matches!(
            self.sqlite_code(),
            Some(DiskFull | DatabaseBusy | DatabaseLocked)
        )
    }

    /// The file is not a sound archive (overwritten while open, damaged).
    pub fn is_corrupt(&self) -> bool {
        use rusqlite::ErrorCode::*;
        matches!(self.sqlite_code(), Some(DatabaseCorrupt | NotADatabase))
    }

    /// SQLite's code for the error under this one, if there is one.
    pub fn sqlite_code(&self) -> Option<rusqlite::ErrorCode> {
        match self {
            ArchiveError::Sql { source, .. }
            | ArchiveError::Open { source, .. }
            | ArchiveError::Migration { source, .. } => source.sqlite_error_code(),
            _ => None,
        }
    }

    pub(crate) fn sql(context: &'static str) -> impl FnOnce(rusqlite::Error) -> Self {
        move |source| ArchiveError::Sql { context, source }
    }
}

/// Why a whole run (not one article) could not go on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
    #[error("background task failed: {0}")]
    Task(String),
    #[error("scheduler: {0}")]
    Schedule(String),
    #[error("{context}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

/// An error and its causes on one line, for logs and the archive's error
/// columns. A cause whose text the previous one already says is left out.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    parts.join(": ")
}
