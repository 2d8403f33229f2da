//! One writing process per archive. The writer holds an exclusive lock on
//! `<archive>.lock` for as long as it lives, and writes who it is into the
//! file, so a second `crawl` (or a second daemon) can say which process it
//! is waiting for. The kernel drops the lock when the process dies, however
//! it dies, so a crash never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::ArchiveError;

#[derive(Debug)]
pub struct ArchiveLock {
    file: File,
    path: PathBuf,
}

/// Who holds an archive's lock, as it wrote itself into the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder(pub String);

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.trim().is_empty() {
            write!(f, "another process")
        } else {
            write!(f, "{}", self.0.trim())
        }
    }
}

impl ArchiveLock {
    /// The lock file of the archive at `archive`.
    pub fn path_for(archive: &Path) -> PathBuf {
        let mut p = archive.as_os_str().to_owned();
        p.push(".lock");
        PathBuf::from(p)
    }

    /// Takes the lock, or says who has it. `what` names this process's job
    /// (`crawl`, `run`, `reextract`) for the message another one would see.
    pub fn acquire(archive: &Path, what: &str) -> Result<ArchiveLock, ArchiveError> {
        let (mut file, path) = open(archive)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(ArchiveError::Busy {
                    path: archive.to_path_buf(),
                    holder: holder(&mut file).to_string(),
                })
            }
            Err(TryLockError::Error(source)) => {
                return Err(ArchiveError::Lock { path, source });
            }
        }
        sign(&mut file, &path, what)?;
        Ok(ArchiveLock { file, path })
    }

    /// Waits for the lock (blocking: call it off the async threads).
    pub fn wait(archive: &Path, what: &str) -> Result<ArchiveLock, ArchiveError> {
        let (mut file, path) = open(archive)?;
        file.lock().map_err(|source| ArchiveError::Lock {
            path: path.clone(),
            source,
        })?;
        sign(&mut file, &path, what)?;
        Ok(ArchiveLock { file, path })
    }

    /// Who holds the lock of `archive` now, if anyone.
    pub fn holder(archive: &Path) -> Option<LockHolder> {
        let path = ArchiveLock::path_for(archive);
        let mut file = File::open(&path).ok()?;
        match file.try_lock_shared() {
            Ok(()) => None,
            Err(TryLockError::WouldBlock) => Some(holder(&mut file)),
            Err(TryLockError::Error(_)) => None,
        }
    }
}

impl Drop for ArchiveLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
        tracing::debug!(lock = %self.path.display(), "archive lock released");
    }
}

fn open(archive: &Path) -> Result<(File, PathBuf), ArchiveError> {
    let path = ArchiveLock::path_for(archive);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|source| ArchiveError::Lock {
            path: path.clone(),
            source,
        })?;
    Ok((file, path))
}

fn sign(file: &mut File, path: &Path, what: &str) -> Result<(), ArchiveError> {
    let me = format!(
        "pid {} (herald-archiver {what}, since {})\n",
        std::process::id(),
        crate::extract::text::format_utc(&chrono::Utc::now())
    );
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(me.as_bytes()))
        .map_err(|source| ArchiveError::Lock {
            path: path.to_path_buf(),
            source,
        })
}

fn holder(file: &mut File) -> LockHolder {
    let mut text = String::new();
    let _ = file.rewind().and_then(|_| file.read_to_string(&mut text));
    LockHolder(text.lines().next().unwrap_or_default().to_string())
}
