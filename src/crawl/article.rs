//! One article, start to end: fetch, extract, and hand the outcome to the
//! writer with its bookkeeping. Whatever happens, the link ends in exactly
//! one recorded outcome (stored, unchanged, failed into the pending queue),
//! or, when the archive cannot be written, stays in the backlog.

use chrono::Utc;

use super::run::Tally;
use super::Crawler;
use crate::archive::page::compress;
use crate::archive::{LinkDone, LinkJob, PendingPolicy};
use crate::clock::now_utc as now;
use crate::error::{chain, Error, ExtractError, FetchError};
use crate::extract::{self, Layer, Record};
use crate::fetch::Page;
use crate::model::{Outcome, Validators};
use crate::site::urls::{Link, SiteUrls};

/// A link to handle, and where it came from.
#[derive(Debug, Clone)]
pub(super) struct Work {
    pub link: Link,
    /// Its entry in the section's backlog, ended with its outcome.
    pub in_backlog: bool,
    /// A re-check of an archived article, with the validators it was saved with.
    pub revisit: Option<Validators>,
    /// The path of the section list it was found on: the last resort for
    /// the record's section when the page names none.
    pub list_page: Option<String>,
}

/// How extracting one fetched page ended.
enum Extracted {
    Article(Box<Record>, Option<Vec<u8>>),
    /// Extracted, but the body is too short to archive; the page, compressed.
    Short(Box<Record>, usize, Vec<u8>),
    Refused(ExtractError, Vec<u8>),
}

impl Crawler {
    /// Fetch, extract, store. `Err` only when the archive could not record
    /// the outcome: the link then stays where it was (backlog or queue).
    pub(super) async fn archive_link(
        &self,
        work: Work,
        section: &str,
        run: i64,
        tally: &Tally,
    ) -> Result<Outcome, Error> {
        match self.prepare_link(&work, section, run, tally).await {
            Some(job) => self.write_link(&work, job, section).await,
            None => Ok(Outcome::Left),
        }
    }

    /// Hands a link's outcome to the writer. When the archive refuses this
    /// one record (not the archive as a whole: disk, lock), the link is
    /// recorded as failed instead, so it does not stop every later run.
    pub(super) async fn write_link(
        &self,
        work: &Work,
        job: LinkJob,
        section: &str,
    ) -> Result<Outcome, Error> {
        let (run, backlog) = (job.run, job.backlog.clone());
        match self.writer.link(job).await {
            Err(Error::Archive(e)) if !e.is_unavailable() => {
                let why = format!("could not be stored: {}", chain(&e));
                let done = self.failure(work, section, why, None);
                self.writer.link(LinkJob { run, backlog, done }).await
            }
            other => other,
        }
    }

    /// Fetch and extract: what is to be written for one link, `None` when a
    /// stop came before its request (nothing to write: it stays queued).
    /// Awaiting the write apart lets the next fetch start while the writer
    /// commits.
    pub(super) async fn prepare_link(
        &self,
        work: &Work,
        section: &str,
        run: i64,
        tally: &Tally,
    ) -> Option<LinkJob> {
        let canonical = work.link.canonical.to_string();
        let job = |done| LinkJob {
            run: Some(run),
            backlog: work.in_backlog.then(|| canonical.clone()),
            done,
        };
        let fetched = self
            .fetcher
            .get(&work.link.fetch, work.revisit.as_ref(), &tally.stats)
            .await;
        let (body, fresh, head) = match fetched {
            Ok(Page::Fetched {
                body,
                validators,
                head,
            }) => (body, validators, head),
            Ok(Page::NotModified) => {
                let done = LinkDone::NotModified {
                    url: canonical.clone(),
                    at: now(),
                };
                return Some(job(done));
            }
            Err(FetchError::Stopped { .. }) => return None,
            Err(e) => {
                let done = self.failure(work, section, chain(&e), None);
                return Some(job(done));
            }
        };
        let extracted = self.extract(body, work).await;
        let done = match extracted {
            Ok(Extracted::Article(record, page)) => {
                tally.health.observe(&record, false);
                LinkDone::Store {
                    addresses: vec![canonical.clone()],
                    record,
                    fetched_at: now(),
                    // The head goes with the page, kept or not.
                    head: page.as_ref().map(|_| head),
                    page,
                    validators: fresh,
                }
            }
            Ok(Extracted::Short(record, chars, page)) => {
                tally.health.observe(&record, true);
                let min = self.config.extract.min_body_chars;
                let why = format!(
                    "held back: body of {chars} characters, under [extract] min_body_chars = {min}"
                );
                self.failure(work, section, why, Some(page))
            }
            // Either way the page is kept on the link for a look (and for
            // `reextract` once the rules can read it).
            Ok(Extracted::Refused(e, page)) => {
                self.failure(work, section, e.to_string(), Some(page))
            }
            Err(why) => self.failure(work, section, why, None),
        };
        Some(job(done))
    }

    /// A failed link: queued for a retry, unless it is an archived
    /// article's re-check, which stays archived as it was.
    fn failure(
        &self,
        work: &Work,
        section: &str,
        error: String,
        page: Option<Vec<u8>>,
    ) -> LinkDone {
        tracing::warn!(url = %work.link.canonical, section, error, "article not archived");
        LinkDone::Failed {
            url: work.link.canonical.to_string(),
            section: section.to_string(),
            error,
            page,
            at: Utc::now(),
            policy: PendingPolicy {
                first_wait: self.config.retry.pending_delay.0,
                max_attempts: self.config.retry.pending_attempts,
            },
            queue: work.revisit.is_none(),
        }
    }

    /// Parses off the async threads. A panic in the parser fails this page
    /// only (`Err` with what happened).
    async fn extract(&self, body: String, work: &Work) -> Result<Extracted, String> {
        let link = &work.link;
        let (site, profile) = (self.site.clone(), self.profile.clone());
        let given = link.canonical.clone();
        let list_page = work.list_page.clone();
        let keep_pages = self.config.archive.keep_pages;
        let min_body = self.config.extract.min_body_chars;
        let task = tokio::task::spawn_blocking(move || {
            // A fail point for the tests of what a parser panic does; only
            // in builds with the `fail-points` feature, which the tests'
            // builds have and no other build does (see Cargo.toml).
            #[cfg(feature = "fail-points")]
            if body.contains("<!-- herald-archiver test: panic while extracting -->") {
                panic!("test fail point: extraction panics on this page");
            }
            #[cfg(feature = "fail-points")]
            if body.contains("<!-- herald-archiver test: slow extraction -->") {
                std::thread::sleep(std::time::Duration::from_secs(30));
            }
            let hints = extract::Hints {
                given: Some(&given),
                list_page: list_page.as_deref(),
            };
            let mut record = match extract::article_with(&body, &profile, &site, &hints) {
                Ok(r) => r,
                Err(e) => return Extracted::Refused(e, compress(&body)),
            };
            keep_identity(&mut record, &given);
            let chars = record.body.chars().count();
            if chars < min_body {
                return Extracted::Short(Box::new(record), chars, compress(&body));
            }
            // Compressed off the writer, once, and only when kept.
            let page = keep_pages.then(|| compress(&body));
            Extracted::Article(Box::new(record), page)
        });
        match task.await {
            Ok(extracted) => Ok(extracted),
            Err(e) if e.is_panic() => {
                let what = e
                    .into_panic()
                    .downcast::<String>()
                    .map(|s| *s)
                    .or_else(|p| p.downcast::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|_| "no message".to_string());
                tracing::error!(url = %link.canonical, panic = %what, "extraction panicked on this page");
                Err(format!(
                    "extraction panicked: {what} (a bug: please report it with this page)"
                ))
            }
            Err(e) => Err(format!("extraction did not finish: {e}")),
        }
    }
}

/// A page whose canonical address names another article than the one
/// fetched (a template bug can do this to every page of a site) must not
/// overwrite that other article: the record keeps the fetched identity.
fn keep_identity(record: &mut Record, given: &url::Url) {
    let Ok(named) = url::Url::parse(&record.url) else {
        return;
    };
    match (SiteUrls::article_id(&named), SiteUrls::article_id(given)) {
        (Some(a), Some(b)) if a != b => {
            tracing::warn!(
                fetched = %given,
                canonical = %named,
                "the page names another article as its canonical address; kept under the address fetched"
            );
            record.url = given.to_string();
            record.sources.insert("url".to_string(), Layer::Given);
        }
        _ => {}
    }
}
