//! `crawl --url`: articles named by their address, fetched now through the
//! same steps as links found on a list page (robots, dedup, the writer),
//! recorded as one run named `(url)`. Those that fail wait in
//! `pending_fetches` under `(url)`, and every full crawl and the daemon
//! try them again when they are due, like any section's.

use std::collections::HashSet;

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::article::Work;
use super::Crawler;
use crate::error::Error;
use crate::model::{SectionReport, ADDRESSES};

impl Crawler {
    /// Tries again the `crawl --url` addresses whose retry is due. `None`
    /// when none is (no run is recorded then).
    pub async fn retry_addresses(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Option<SectionReport>, Error> {
        let at = crate::clock::now_utc();
        let due = self
            .readers
            .read(move |a| a.pending_due(ADDRESSES, &at))
            .await?;
        let urls: Vec<Url> = due.iter().filter_map(|u| Url::parse(u).ok()).collect();
        if urls.is_empty() {
            return Ok(None);
        }
        tracing::info!(
            links = urls.len(),
            "retrying addresses `crawl --url` could not archive"
        );
        self.fetch_addresses(&urls, cancel).await.map(Some)
    }

    /// Fetches and archives these article addresses (canonical, public
    /// form: see [`crate::site::urls::SiteUrls::canonical_article`]).
    pub async fn fetch_addresses(
        &self,
        addresses: &[Url],
        cancel: &CancellationToken,
    ) -> Result<SectionReport, Error> {
        let mut run = self.begin(ADDRESSES).await?;
        let robots = match self.robots(&run.tally.stats).await {
            Ok(r) => r,
            Err(error) => return self.finish(run, Some(error), cancel, Vec::new()).await,
        };
        let mut seen = HashSet::new();
        let mut todo = Vec::new();
        for url in addresses {
            let link = self.site.link(url.clone());
            if !seen.insert(link.canonical.clone()) || !robots.allowed(&link.fetch) {
                run.counts.skipped += 1;
                continue;
            }
            todo.push(link);
        }
        // As a section's line: links are all that were given, skipped included.
        run.counts.links_found = addresses.len() as u32;
        let (tally, id) = (&run.tally, run.id);
        let stop = cancel.child_token();
        let outcomes = futures_util::stream::iter(todo)
            .take_until(stop.cancelled())
            .map(|link| async move {
                let work = Work {
                    link,
                    in_backlog: false,
                    revisit: None,
                    list_page: None,
                };
                self.archive_link(work, ADDRESSES, id, tally).await
            })
            .buffer_unordered(self.config.http.concurrency.0);
        let (counts, broken) = self.tally_outcomes(outcomes, &stop, ADDRESSES).await;
        super::run::add_links(&mut run.counts, &counts);
        run.broken = broken;
        self.finish(run, None, cancel, Vec::new()).await
    }
}
