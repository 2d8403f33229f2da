//! Reading a section's feeds into its backlog, after its list pages: the
//! second way in. A feed is always asked conditionally (one request, a 304
//! when nothing changed); its links go the way of list links (canonical,
//! robots, known or waiting ones skipped, backlog first). What the feeds
//! find that the list pages did not is counted apart: when the list pages
//! gave no link at all while the feeds had new ones, the listing selector
//! has probably stopped fitting, and the run says so.

use super::listing::{ListContext, ListResult};
use super::offload::blocking;
use super::Crawler;
use crate::archive::ProgressUpdate;
use crate::clock::now_utc as now;
use crate::error::{chain, Error};
use crate::extract;
use crate::fetch::Page;

impl Crawler {
    /// Reads each of the section's feeds; a feed that fails is an error on
    /// the run and the others are still read. Stops early when the run does.
    pub(super) async fn read_feeds(
        &self,
        cx: &mut ListContext<'_>,
        result: &mut ListResult,
    ) -> Result<(), Error> {
        for feed in &cx.section.feeds {
            if cx.cancel.is_cancelled() || cx.out.is_closed() {
                return Ok(());
            }
            let (public, fetch) = self.site.page(&feed.0);
            if !cx.robots.allowed(&fetch) {
                result.fail(format!("robots.txt disallows the feed {public}"));
                continue;
            }
            let url = public.to_string();
            let known = self.readers.read(move |a| a.validators(&url)).await?;
            let fetched = tokio::select! {
                r = self.fetcher.get(&fetch, Some(&known), &cx.tally.stats) => r,
                _ = cx.cancel.cancelled() => return Ok(()),
            };
            let body = match fetched {
                Ok(Page::Fetched {
                    body, validators, ..
                }) => {
                    result.validators.push((public.to_string(), validators));
                    body
                }
                Ok(Page::NotModified) => {
                    result.feeds_not_modified += 1;
                    continue;
                }
                Err(e) => {
                    result.fail(format!("feed {public}: {}", chain(&e)));
                    continue;
                }
            };
            result.feeds += 1;
            let (site, at) = (self.site.clone(), public.clone());
            let found = match blocking(move || extract::feed(&body, &at, &site)).await? {
                Ok(found) => found,
                Err(e) => {
                    // Its validators are not kept: the next run reads it whole.
                    result.validators.pop();
                    result.fail(format!("feed {public}: {e}"));
                    continue;
                }
            };
            if let Some(why) = self.too_many_links(&found, &public) {
                result.validators.pop();
                result.fail(format!("feed {why}"));
                continue;
            }
            result.feed_links += found.len() as u32;
            let urls: Vec<String> = found.iter().map(|l| l.canonical.to_string()).collect();
            // `since` only marks covered ground for a list reading.
            let at = now();
            let since = at.clone();
            let states = self
                .readers
                .read(move |a| a.link_states(&urls, &since, &at))
                .await?;
            let mut new = Vec::new();
            for (link, state) in found.into_iter().zip(states) {
                // Links the list pages sent this run were counted there.
                if cx.seen.contains(&link.canonical) {
                    continue;
                }
                if !state.wanted || !cx.robots.allowed(&link.fetch) {
                    result.skipped += 1;
                    continue;
                }
                cx.seen.insert(link.canonical.clone());
                new.push(link);
            }
            result.feed_new += new.len() as u32;
            if !self.enqueue(cx, new, ProgressUpdate::Keep).await? {
                return Ok(());
            }
        }
        Ok(())
    }
}

impl ListResult {
    /// The drift alarm of the list pages: they were read but gave no article
    /// link while the feeds had links neither they nor the archive knew.
    pub(super) fn listing_drift(&self) -> Option<String> {
        (self.pages > 0 && self.links_found == 0 && self.feed_new > 0).then(|| {
            format!(
                "the list pages gave no article links while the feeds had {} new ones: \
                 the listing selector may no longer fit the site (run `herald-archiver check-site`)",
                self.feed_new
            )
        })
    }
}
