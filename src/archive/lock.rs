//! One writing process per archive. The writer holds an exclusive `flock`
//! on the archive file itself for as long as it lives: a lock file can be
//! deleted from under its holder (and a second writer then takes a new one),
//! the archive cannot without the writer noticing (see `identity`). It also
//! locks `<archive>.lock` and writes who it is there, so a second `crawl`
//! (or a second daemon) can say which process it is waiting for. The kernel
//! drops both locks when the process dies, however it dies, so a crash never
//! leaves a stale lock behind.
//!
//! `flock` and SQLite's `fcntl` locks do not meet on Linux. But closing any
//! descriptor of a file drops every `fcntl` lock the process holds on it,
//! SQLite's included (the shared lock that tells another process's closing
//! connection it is not the last, and must not delete the WAL). So the
//! archive's descriptor is never closed: at the end its `flock` is released
//! and the descriptor left open until the process exits.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::ArchiveError;

#[derive(Debug)]
pub struct ArchiveLock {
    file: File,
    path: PathBuf,
    /// The archive file, flocked: the lock that counts. Never closed (see
    /// the module's note).
    archive_file: std::mem::ManuallyDrop<File>,
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
        let db = open_file(archive, archive)?;
        let (mut file, path) = open(archive)?;
        let taken = db.try_lock().and_then(|()| file.try_lock());
        match taken {
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
        Ok(ArchiveLock {
            file,
            path,
            archive_file: std::mem::ManuallyDrop::new(db),
        })
    }

    /// Waits for the lock (blocking: call it off the async threads).
    pub fn wait(archive: &Path, what: &str) -> Result<ArchiveLock, ArchiveError> {
        let db = open_file(archive, archive)?;
        let (mut file, path) = open(archive)?;
        for f in [&db, &file] {
            f.lock().map_err(|source| ArchiveError::Lock {
                path: path.clone(),
                source,
            })?;
        }
        sign(&mut file, &path, what)?;
        Ok(ArchiveLock {
            file,
            path,
            archive_file: std::mem::ManuallyDrop::new(db),
        })
    }

    /// The identity of the archive file this lock holds.
    pub fn identity(&self, archive: &Path) -> std::io::Result<super::FileIdentity> {
        super::FileIdentity::of(archive, &self.archive_file)
    }

    /// Who holds the lock of `archive` now, if anyone. Call it before this
    /// process opens the archive with SQLite: it opens and closes a
    /// descriptor of the archive file, which drops this process's `fcntl`
    /// locks on it.
    pub fn holder(archive: &Path) -> Option<LockHolder> {
        let path = ArchiveLock::path_for(archive);
        let mut file = File::open(&path).ok();
        if let Some(f) = file.as_mut() {
            if let Err(TryLockError::WouldBlock) = f.try_lock_shared() {
                return Some(holder(f));
            }
        }
        // The .lock file may have been deleted: the archive's own lock counts.
        let db = File::open(archive).ok()?;
        match db.try_lock_shared() {
            Err(TryLockError::WouldBlock) => Some(LockHolder(String::new())),
            _ => None,
        }
    }
}

impl Drop for ArchiveLock {
    fn drop(&mut self) {
        let _ = self.archive_file.unlock();
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
        tracing::debug!(lock = %self.path.display(), "archive lock released");
    }
}

fn open(archive: &Path) -> Result<(File, PathBuf), ArchiveError> {
    let path = ArchiveLock::path_for(archive);
    let file = open_file(&path, &path)?;
    Ok((file, path))
}

/// Opens `path` for reading and writing, creating it empty (an empty file
/// is a new archive to SQLite); errors name `shown`.
fn open_file(path: &Path, shown: &Path) -> Result<File, ArchiveError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|source| ArchiveError::Lock {
            path: shown.to_path_buf(),
            source,
        })
}

fn sign(file: &mut File, path: &Path, what: &str) -> Result<(), ArchiveError> {
    let me = format!(
        "pid {} (herald-archiver {what}, since {})\n\
         # Who last held the lock; the lock itself is the kernel's (flock), held only while that process lives.\n",
        std::process::id(),
        crate::clock::now_utc()
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
