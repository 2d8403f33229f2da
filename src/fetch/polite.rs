//! The site as one reader sees it, a page at a time, as a crawl would
//! fetch it: robots.txt first (through the fetcher's cache), the
//! configured user agent and pacing, canonical addresses. `check-site` and
//! `extract URL` read the live site through it.

use std::sync::Arc;

use url::Url;

use super::{FetchStats, Fetcher, Pacer, Page, Robots, MAX_CRAWL_DELAY};
use crate::config::Config;
use crate::error::{chain, Error};
use crate::metrics::Metrics;
use crate::site::urls::SiteUrls;

/// Pages of the configured site fetched one at a time as a crawl would:
/// robots.txt first (once), the configured user agent and pacing
/// (`extract https://...`).
pub struct PoliteClient {
    fetcher: Fetcher,
    site: SiteUrls,
    robots: Option<Arc<Robots>>,
    stats: FetchStats,
    min_delay: std::time::Duration,
}

impl PoliteClient {
    /// Reads robots.txt through the fetcher's cache: every request waits for it.
    pub async fn read_robots(&mut self) -> Result<(), String> {
        if self.robots.is_none() {
            self.robots = Some(self.fetcher.robots_cached(&self.stats).await?);
        }
        Ok(())
    }

    /// The site's addresses as this client reaches them.
    pub fn site(&self) -> &SiteUrls {
        &self.site
    }

    /// The pause between requests and where it comes from.
    pub fn pacing(&self) -> String {
        let delay = humantime::format_duration(self.fetcher.delay());
        let asked = self.robots.as_ref().and_then(|r| r.crawl_delay());
        match asked {
            Some(d) if f64::from(d) > MAX_CRAWL_DELAY.as_secs_f64() => format!(
                "a request every {delay}: robots.txt asks for a Crawl-delay of {d}s, more than the {}s herald-archiver honours",
                MAX_CRAWL_DELAY.as_secs()
            ),
            Some(d) if self.fetcher.delay() > self.min_delay => {
                format!("a request every {delay}: robots.txt's Crawl-delay of {d}s")
            }
            _ => format!("a request every {delay} ([http] min_delay)"),
        }
    }

    /// Whether robots.txt, once read, allows fetching `url`.
    pub fn allowed(&self, url: &Url) -> bool {
        self.robots.as_ref().is_some_and(|r| r.allowed(url))
    }

    pub fn new(config: &Config) -> Result<PoliteClient, Error> {
        let site = SiteUrls::new(config.site.base_url.0.clone());
        let pacer = Arc::new(Pacer::new(
            config.http.min_delay.0,
            config.http.concurrency.0,
        ));
        Ok(PoliteClient {
            fetcher: Fetcher::new(
                &config.http,
                &config.retry,
                site.clone(),
                pacer,
                Arc::new(Metrics::default()),
            )?,
            site,
            robots: None,
            stats: FetchStats::default(),
            min_delay: config.http.min_delay.0,
        })
    }

    /// `url`'s public address and its page, decoded; an address of another
    /// site, one robots.txt forbids, or a failed fetch is an error that says so.
    pub async fn get(&mut self, url: &Url) -> Result<(Url, String), String> {
        let public = self
            .site
            .public(url)
            .ok_or_else(|| format!("{url} is not an address of the configured site"))?;
        // An article is fetched under its canonical address, as a crawl
        // fetches the links it finds (no tracking parameters, no old form).
        let public = self.site.canonical_article(&public).unwrap_or(public);
        let fetch = self.site.fetch_url(&public);
        self.read_robots()
            .await
            .map_err(|e| format!("robots.txt could not be read: {e}"))?;
        if !self.allowed(&fetch) {
            return Err(format!("robots.txt disallows {public}"));
        }
        match self.fetcher.get(&fetch, None, &self.stats).await {
            Ok(Page::Fetched { body, .. }) => Ok((public, body)),
            Ok(Page::NotModified) => Err(format!("{public}: 304 without a request for one")),
            Err(e) => Err(chain(&e)),
        }
    }
}
