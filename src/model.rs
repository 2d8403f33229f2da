//! Plain types that travel between the stages of the pipeline: what a fetch
//! remembers, what the archive did with a record, what a run counted. A leaf
//! module: it depends on nothing else in the crate, so every stage can use it
//! without importing another stage.

/// The name the revisit pass is recorded under in `crawl_runs`.
pub const REVISIT: &str = "(revisit)";

/// The name `crawl --url` runs are recorded under (and their failures
/// queued under) in `crawl_runs` and `pending_fetches`.
pub const ADDRESSES: &str = "(url)";

/// HTTP validators from a 200 answer, for the next conditional request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// What the archive did with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A new article.
    New,
    /// The same content as an archived article, found under another address.
    NewAddress,
    /// An archived article whose content changed.
    NewRevision,
    /// Nothing new.
    Unchanged,
}

/// How one link of a run ended; each link ends in exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stored(Stored),
    /// A re-check answered 304.
    NotModified,
    /// Recorded in `pending_fetches` (or, on a re-check, left as it was).
    Failed,
    /// Not fetched: a stop came first. It stays in the backlog (or queue).
    Left,
}

/// The counts of one section run, as stored in `crawl_runs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub pages: u32,
    pub links_found: u32,
    pub new_articles: u32,
    pub new_revisions: u32,
    pub duplicates: u32,
    pub unchanged: u32,
    pub skipped: u32,
    pub failures: u32,
    /// List pages answered 304.
    pub not_modified: u32,
    /// The section's feeds: read (answered 200), answered 304, the article
    /// links they gave, and those of them neither the list pages nor the
    /// archive had (found by the feeds alone).
    pub feeds: u32,
    pub feeds_not_modified: u32,
    pub feed_links: u32,
    pub feed_new: u32,
    /// HTTP requests sent, retries included, and body bytes received.
    pub requests: u64,
    pub bytes: u64,
    /// Responses by status class: 2xx, 3xx, 4xx, 5xx.
    pub status_classes: [u64; 4],
    pub retries: u64,
    pub duration_ms: u64,
    /// Extraction health: pages extracted, and those that needed a fallback
    /// layer, had no date, or had a body too short to archive.
    pub extracted: u32,
    pub fallbacks: u32,
    pub no_date: u32,
    pub short_body: u32,
    /// The drift warning, when the run gave one.
    pub drift: Option<String>,
    /// Links the run found but did not reach: they stay in the section's
    /// backlog for the next run.
    pub left: u32,
}

impl RunCounts {
    pub fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Stored(Stored::New) => self.new_articles += 1,
            Outcome::Stored(Stored::NewAddress) => self.duplicates += 1,
            Outcome::Stored(Stored::NewRevision) => self.new_revisions += 1,
            Outcome::Stored(Stored::Unchanged) | Outcome::NotModified => self.unchanged += 1,
            Outcome::Failed => self.failures += 1,
            Outcome::Left => {}
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Ok,
    /// The run could not read its list (or robots.txt), or the archive
    /// could not take its writes.
    Failed,
    /// Stopped by a shutdown before it was done.
    Interrupted,
    /// Not run: the section is backing off after failed runs (never stored).
    Backoff,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Backoff => "backoff",
        }
    }
}

/// What one section run did.
#[derive(Debug, Clone)]
pub struct SectionReport {
    pub section: String,
    pub status: RunStatus,
    pub counts: RunCounts,
    /// Why the run failed, if it did (articles that failed do not fail the run).
    pub error: Option<String>,
}

impl std::fmt::Display for SectionReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.counts;
        if let (RunStatus::Backoff, Some(e)) = (self.status, &self.error) {
            return write!(f, "{}: not run, {e}", self.section);
        }
        if self.section == REVISIT {
            write!(
                f,
                "{}: {} checked, {} revisions, {} unchanged, {} failed",
                self.section,
                c.links_found,
                c.new_revisions,
                c.unchanged + c.duplicates,
                c.failures
            )?;
        } else {
            // A list answered 304 read no page: say so, not "0 pages".
            let pages = if c.pages == 0 && c.not_modified > 0 {
                "list not modified".to_string()
            } else {
                format!("{} pages", c.pages)
            };
            write!(
                f,
                "{}: {pages}, {} links, {} new, {} revisions, {} duplicates, {} unchanged, {} skipped, {} failed",
                self.section,
                c.links_found,
                c.new_articles,
                c.new_revisions,
                c.duplicates,
                c.unchanged,
                c.skipped,
                c.failures
            )?;
        }
        if c.feeds + c.feeds_not_modified > 0 {
            write!(
                f,
                "; feeds: {} links, {} not on the list pages",
                c.feed_links, c.feed_new
            )?;
            if c.feeds_not_modified > 0 {
                write!(f, ", {} unchanged", c.feeds_not_modified)?;
            }
        }
        if c.left > 0 {
            write!(f, ", {} left for the next run", c.left)?;
        }
        if self.status == RunStatus::Interrupted {
            write!(f, " (interrupted)")?;
        }
        if let Some(e) = &self.error {
            write!(f, " (run failed: {e})")?;
        }
        Ok(())
    }
}
