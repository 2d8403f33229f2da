//! Parsing runs off the async threads (scraper's documents are not `Send`,
//! and a page may take a while): one helper for every stage that parses.

use crate::error::Error;

/// Runs parsing off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Task(e.to_string()))
}
