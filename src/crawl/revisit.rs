//! Re-checking young articles with conditional requests: an edit becomes a
//! revision, a 304 only marks the article checked.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::article::Work;
use super::Crawler;
use crate::error::Error;
use crate::extract::text::format_utc;
use crate::model::{SectionReport, REVISIT};

impl Crawler {
    /// Re-checks archived articles that are still young. `None` when none is
    /// due (no run is recorded then).
    pub async fn revisit(
        &self,
        all: bool,
        seen: &mut HashSet<Url>,
        cancel: &CancellationToken,
    ) -> Result<Option<SectionReport>, Error> {
        let now_t = Utc::now();
        let ago = |d: Duration| {
            chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| now_t.checked_sub_signed(d))
                .map(|t| format_utc(&t))
                .unwrap_or_default()
        };
        let young_since = ago(self.config.revisit.window.0);
        let checked_before = if all {
            "9999".to_string()
        } else {
            ago(self.config.revisit.interval.0)
        };
        let targets = self
            .readers
            .read(move |a| a.revisit_due(&young_since, &checked_before))
            .await?;
        if targets.is_empty() {
            return Ok(None);
        }
        let mut run = self.begin(REVISIT).await?;
        let robots = match self.robots(&run.tally.stats).await {
            Ok(r) => r,
            Err(error) => {
                return self
                    .finish(run, Some(error), cancel, Vec::new())
                    .await
                    .map(Some)
            }
        };
        let mut todo = Vec::new();
        for t in targets {
            let Ok(url) = Url::parse(&t.url) else {
                continue;
            };
            let link = self.site.link(url);
            if seen.contains(&link.canonical) || !robots.allowed(&link.fetch) {
                run.counts.skipped += 1;
                continue;
            }
            seen.insert(link.canonical.clone());
            todo.push((link, t.section.unwrap_or_default()));
        }
        let urls: Vec<String> = todo.iter().map(|(l, _)| l.canonical.to_string()).collect();
        let validators = self
            .readers
            .read(move |a| {
                urls.iter()
                    .map(|u| a.validators(u))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        run.counts.links_found = todo.len() as u32;
        let (tally, id) = (&run.tally, run.id);
        let stop = cancel.child_token();
        let outcomes = futures_util::stream::iter(todo.into_iter().zip(validators))
            .take_until(stop.cancelled())
            .map(|((link, section), v)| async move {
                let work = Work {
                    link,
                    in_backlog: false,
                    revisit: Some(v),
                    list_page: None,
                };
                self.archive_link(work, &section, id, tally).await
            })
            .buffer_unordered(self.config.http.concurrency.0);
        let (counts, broken) = self.tally_outcomes(outcomes, &stop, REVISIT).await;
        super::run::add_links(&mut run.counts, &counts);
        run.broken = broken;
        self.finish(run, None, cancel, Vec::new()).await.map(Some)
    }
}
