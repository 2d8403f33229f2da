//! Reading a section's list pages into its backlog.
//!
//! A reading goes down the list from a page until it reaches links that
//! earlier readings covered (and at least `min_pages` far, at most
//! `max_pages`). Its place is saved after every page, with the page's new
//! links, in one transaction; a reading cut short (kill, stop, failure) is
//! resumed by the next run where it stopped. New articles only push older
//! ones further down the list, so resuming at the same page number can read
//! a few links twice but never skips one. Before resuming, the next run reads
//! the head of the list (unsaved) down to links it already knows.

use std::collections::HashSet;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::article::Work;
use super::offload::blocking;
use super::run::Tally;
use super::Crawler;
use crate::archive::{Progress, ProgressUpdate};
use crate::clock::now_utc as now;
use crate::config::{SectionConfig, SectionPath};
use crate::error::{chain, Error, FetchError};
use crate::extract;
use crate::fetch::{Page, Robots};
use crate::model::Validators;
use crate::site::urls::Link;

/// What reading the list gave, besides the links sent on.
#[derive(Debug, Default)]
pub(super) struct ListResult {
    pub pages: u32,
    pub links_found: u32,
    pub skipped: u32,
    pub not_modified: u32,
    /// The section's feeds (see `feeds.rs`).
    pub feeds: u32,
    pub feeds_not_modified: u32,
    pub feed_links: u32,
    pub feed_new: u32,
    /// Validators of each page answered 200, saved once all is done.
    pub validators: Vec<(String, Validators)>,
    /// Why the list (or a feed) could not be read.
    pub error: Option<String>,
}

impl ListResult {
    /// Adds why part of the reading failed; the run then fails with all of it.
    pub(super) fn fail(&mut self, why: String) {
        self.error = Some(match self.error.take() {
            Some(e) => format!("{e}; {why}"),
            None => why,
        });
    }
}

/// One reading: where it starts and stops, and whether its place is saved.
struct Reading {
    first: u32,
    min: u32,
    max: u32,
    /// Links known since before this time mark covered ground.
    since: String,
    /// `Some` for the saved reading of the section.
    saved: Option<Progress>,
    conditional: bool,
}

/// The state a reading's pages share.
pub(super) struct ListContext<'a> {
    pub section: &'a SectionConfig,
    pub run: i64,
    pub robots: &'a Robots,
    pub tally: &'a Tally,
    pub cancel: &'a CancellationToken,
    pub seen: &'a mut HashSet<Url>,
    pub out: mpsc::Sender<Work>,
}

enum PageEnd {
    /// Go on with the next page.
    More,
    /// The reading is complete.
    Done,
    /// Stopped (cancelled, or nobody takes links any more): resume later.
    Stopped,
}

impl Crawler {
    /// Reads the list: the head above an unfinished reading (if there is
    /// one), then that reading on from its place; or one new reading.
    /// `pages` (a backfill) makes the saved reading reach at least that far.
    pub(super) async fn read_list(
        &self,
        cx: &mut ListContext<'_>,
        pages: Option<u32>,
        saved: Option<Progress>,
    ) -> Result<ListResult, Error> {
        let section = cx.section;
        let Some(list) = &section.path else {
            // Read through its feeds alone; a reading saved while it had a
            // list is over.
            if saved.is_some() {
                let (name, run, at) = (section.name.clone(), cx.run, now());
                self.writer
                    .call(move |a| a.record_list_page(&name, run, &[], &ProgressUpdate::Clear, &at))
                    .await?;
            }
            return Ok(ListResult::default());
        };
        let min = pages.unwrap_or(section.pages).max(1);
        let max = min.max(self.config.site.max_pages);
        let mut result = ListResult::default();
        let start = now();
        let saved = match (saved, pages) {
            (Some(p), Some(n)) => Some(Progress {
                min_pages: p.min_pages.max(n),
                max_pages: p.max_pages.max(n),
                ..p
            }),
            (saved, _) => saved,
        };
        let readings = match saved {
            Some(p) => {
                tracing::info!(
                    section = %section.name,
                    page = p.next_page,
                    "resuming an unfinished reading of the list"
                );
                let head = Reading {
                    first: 1,
                    min: section.pages.min(p.next_page.saturating_sub(1)),
                    max: max.min(p.next_page.saturating_sub(1)),
                    since: start.clone(),
                    saved: None,
                    conditional: true,
                };
                let rest = Reading {
                    first: p.next_page,
                    min: p.min_pages,
                    max: p.max_pages,
                    since: p.started_at.clone(),
                    saved: Some(p),
                    conditional: false,
                };
                vec![head, rest]
            }
            None => vec![Reading {
                first: 1,
                min,
                max,
                since: start.clone(),
                saved: Some(Progress {
                    next_page: 1,
                    min_pages: min,
                    max_pages: max,
                    started_at: start,
                }),
                conditional: pages.is_none(),
            }],
        };
        for reading in readings {
            if reading.max < reading.first {
                if reading.saved.is_some() {
                    self.end_reading(cx, &reading).await?;
                }
                continue;
            }
            match self.read(cx, list, &reading, &mut result).await? {
                PageEnd::Stopped => break,
                PageEnd::Done | PageEnd::More => {}
            }
            if result.error.is_some() {
                break;
            }
        }
        Ok(result)
    }

    async fn read(
        &self,
        cx: &mut ListContext<'_>,
        list: &SectionPath,
        reading: &Reading,
        result: &mut ListResult,
    ) -> Result<PageEnd, Error> {
        let name = cx.section.name.clone();
        for page in reading.first..=reading.max {
            if cx.cancel.is_cancelled() || cx.out.is_closed() {
                return Ok(PageEnd::Stopped);
            }
            let path = self.config.site.pagination.page_path(&list.0, page);
            let (public, fetch) = self.site.page(&path);
            if !cx.robots.allowed(&fetch) {
                result.fail(format!("robots.txt disallows {public}"));
                return Ok(PageEnd::Stopped);
            }
            let known = if reading.conditional {
                let url = public.to_string();
                Some(self.readers.read(move |a| a.validators(&url)).await?)
            } else {
                None
            };
            let fetched = tokio::select! {
                r = self.fetcher.get(&fetch, known.as_ref(), &cx.tally.stats) => r,
                _ = cx.cancel.cancelled() => return Ok(PageEnd::Stopped),
            };
            let body = match fetched {
                Ok(Page::Fetched {
                    body, validators, ..
                }) => {
                    result.validators.push((public.to_string(), validators));
                    body
                }
                Ok(Page::NotModified) => {
                    result.not_modified += 1;
                    return self.end_reading(cx, reading).await;
                }
                // Past the last page of a short list, or past `min`: the list ends here.
                Err(e)
                    if page > reading.min
                        || (page > 1 && matches!(e, FetchError::Status { status: 404, .. })) =>
                {
                    tracing::debug!(section = %name, page, error = %chain(&e), "no further list page");
                    return self.end_reading(cx, reading).await;
                }
                Err(e) => {
                    result.fail(format!("list page {page}: {}", chain(&e)));
                    return Ok(PageEnd::Stopped);
                }
            };
            result.pages += 1;
            self.metrics.list_page_read();
            let (site, profile, at) = (self.site.clone(), self.profile.clone(), public.clone());
            let found =
                match blocking(move || extract::listing(&body, &at, &profile, &site)).await? {
                    Ok(found) => found,
                    Err(e) => {
                        result.fail(format!("list page {page}: {e}"));
                        return Ok(PageEnd::Stopped);
                    }
                };
            if let Some(why) = self.too_many_links(&found, &public) {
                result.validators.pop();
                result.fail(format!("list page {page}: {why}"));
                return Ok(PageEnd::Stopped);
            }
            result.links_found += found.len() as u32;
            let urls: Vec<String> = found.iter().map(|l| l.canonical.to_string()).collect();
            let (since, at) = (reading.since.clone(), now());
            let states = self
                .readers
                .read(move |a| a.link_states(&urls, &since, &at))
                .await?;
            let covered = found.is_empty() || states.iter().any(|s| s.known_before);
            let mut new = Vec::new();
            for (link, state) in found.into_iter().zip(states) {
                if !state.wanted
                    || cx.seen.contains(&link.canonical)
                    || !cx.robots.allowed(&link.fetch)
                {
                    result.skipped += 1;
                    continue;
                }
                cx.seen.insert(link.canonical.clone());
                new.push(link);
            }
            let done = (page >= reading.min && covered) || page >= reading.max;
            let update = match (&reading.saved, done) {
                (None, _) => ProgressUpdate::Keep,
                (Some(_), true) => ProgressUpdate::Clear,
                (Some(p), false) => ProgressUpdate::Set(Progress {
                    next_page: page + 1,
                    ..p.clone()
                }),
            };
            if !self.enqueue(cx, new, update).await? {
                return Ok(PageEnd::Stopped);
            }
            if done {
                return Ok(PageEnd::Done);
            }
        }
        Ok(PageEnd::More)
    }

    /// Why a page or feed is refused as hostile: more article links than
    /// `[site] max_links_per_page`. Taking only some of them lost the rest
    /// for good (the page's validators were saved, so the next run got a
    /// 304); refused whole, the run fails with this, its validators are not
    /// kept, and every link of a page under the cap goes to the backlog.
    pub(super) fn too_many_links(&self, found: &[Link], from: &Url) -> Option<String> {
        let cap = self.config.site.max_links_per_page as usize;
        (found.len() > cap).then(|| {
            format!(
                "{from} gives {} article links, more than [site] max_links_per_page = {cap}: refused as hostile, none taken (raise the setting if the site really lists that many)",
                found.len()
            )
        })
    }

    /// Puts new links in the section's backlog (with the reading's place,
    /// in one transaction), then sends them to the fetchers. `false` when
    /// nobody takes links any more (the run stopped).
    pub(super) async fn enqueue(
        &self,
        cx: &ListContext<'_>,
        new: Vec<Link>,
        update: ProgressUpdate,
    ) -> Result<bool, Error> {
        let urls: Vec<String> = new.iter().map(|l| l.canonical.to_string()).collect();
        let (section, run, at) = (cx.section.name.clone(), cx.run, now());
        self.writer
            .call(move |a| a.record_list_page(&section, run, &urls, &update, &at))
            .await?;
        for link in new {
            let work = Work {
                link,
                in_backlog: true,
                revisit: None,
                list_page: cx.section.path.as_ref().map(|p| p.0.clone()),
            };
            if cx.out.send(work).await.is_err() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The list ended before the reading's own stop: a saved reading is over.
    async fn end_reading(&self, cx: &ListContext<'_>, reading: &Reading) -> Result<PageEnd, Error> {
        if reading.saved.is_some() {
            let (section, run, at) = (cx.section.name.clone(), cx.run, now());
            self.writer
                .call(move |a| a.record_list_page(&section, run, &[], &ProgressUpdate::Clear, &at))
                .await?;
        }
        Ok(PageEnd::Done)
    }
}
