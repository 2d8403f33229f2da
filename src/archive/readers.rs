//! Read-only connections for the crawler's lookups. They run on tokio's
//! blocking threads, never on the async workers, and never wait for the
//! writer: WAL readers see the last committed state.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::Archive;
use crate::error::{ArchiveError, Error};

/// Connections kept open between lookups; more are opened under load and
/// closed again when the pool is full.
const KEEP: usize = 4;

#[derive(Clone)]
pub struct Readers {
    path: PathBuf,
    pool: Arc<Mutex<Vec<Archive>>>,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers").field("path", &self.path).finish()
    }
}

impl Readers {
    /// Readers of an archive that exists and is up to date (the writer has
    /// opened and migrated it first).
    pub fn new(path: &Path) -> Readers {
        Readers {
            path: path.to_path_buf(),
            pool: Arc::default(),
        }
    }

    /// Runs `f` on a read-only connection, off the async threads.
    pub async fn read<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Archive) -> Result<T, ArchiveError> + Send + 'static,
    {
        let this = self.clone();
        match tokio::task::spawn_blocking(move || this.read_blocking(f)).await {
            Ok(r) => Ok(r?),
            Err(e) => Err(Error::Task(e.to_string())),
        }
    }

    /// As [`Readers::read`], on the calling thread (a blocking one).
    fn read_blocking<T>(
        &self,
        f: impl FnOnce(&Archive) -> Result<T, ArchiveError>,
    ) -> Result<T, ArchiveError> {
        let taken = self
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let archive = match taken {
            Some(a) => a,
            None => Archive::open_readonly(&self.path)?,
        };
        let result = f(&archive);
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < KEEP {
            pool.push(archive);
        }
        result
    }
}
