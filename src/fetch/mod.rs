//! The only module that talks to the network: one HTTP client, a pause
//! between requests and a cap on requests in flight shared by every section
//! ([`Pacer`]), robots.txt, conditional requests, retries with backoff,
//! redirects kept on the site, a cap on body size, and charset decoding.

mod pacer;
mod polite;
pub mod robots;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{
    HeaderMap, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
    RETRY_AFTER,
};
use reqwest::StatusCode;
use tokio::time::Instant;
use url::Url;

pub use pacer::Pacer;
pub use polite::PoliteClient;
pub use robots::Robots;

use crate::config::{HttpConfig, RetryConfig};
use crate::error::{Error, FetchError};
use crate::metrics::Metrics;
use crate::model::Validators;
use crate::site::urls::SiteUrls;

/// The longest robots.txt `Crawl-delay` honoured (Heritrix has the same
/// ceiling, `respectCrawlDelayUpToSeconds`): a site asking for more gets
/// one request a minute, with a warning, not a crawl that never moves.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

/// robots.txt is read up to this (RFC 9309 asks for at least 500 KiB); the
/// rest of a larger file is ignored with a warning.
pub const MAX_ROBOTS_BYTES: usize = 512 * 1024;

/// What a GET gave.
#[derive(Debug)]
pub enum Page {
    Fetched {
        /// Decoded with the charset of the header, else of `<meta charset>`, else UTF-8.
        body: String,
        validators: Validators,
        /// The status line and headers, as they describe `body` (see [`http_head`]).
        head: String,
    },
    /// 304: the copy we have is current.
    NotModified,
}

/// Requests of one run, for its `crawl_runs` row.
#[derive(Debug, Default)]
pub struct FetchStats {
    pub requests: AtomicU64,
    pub bytes: AtomicU64,
    /// Responses by status class: 2xx, 3xx, 4xx, 5xx.
    pub classes: [AtomicU64; 4],
    pub retries: AtomicU64,
}

impl FetchStats {
    fn response(&self, status: StatusCode) {
        let class = (status.as_u16() / 100).clamp(2, 5) as usize - 2;
        self.classes[class].fetch_add(1, Ordering::Relaxed);
    }
}

pub struct Fetcher {
    client: reqwest::Client,
    site: SiteUrls,
    user_agent: String,
    max_body: usize,
    max_redirects: u32,
    retry: RetryConfig,
    pacer: Arc<Pacer>,
    metrics: Arc<Metrics>,
    /// robots.txt as last read, or why it could not be, and when.
    robots: tokio::sync::Mutex<Option<RobotsAnswer>>,
}

type RobotsAnswer = (Instant, Result<Arc<Robots>, String>);

/// robots.txt is read again after this long.
const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);
/// After robots.txt could not be read, requests meanwhile fetch nothing and
/// do not ask again for this long.
const ROBOTS_FAILURE_TTL: Duration = Duration::from_secs(60);

impl Fetcher {
    pub fn new(
        http: &HttpConfig,
        retry: &RetryConfig,
        site: SiteUrls,
        pacer: Arc<Pacer>,
        metrics: Arc<Metrics>,
    ) -> Result<Fetcher, Error> {
        let client = reqwest::Client::builder()
            .user_agent(http.user_agent.clone())
            .timeout(http.timeout.0)
            .connect_timeout(http.connect_timeout.0)
            .read_timeout(http.read_timeout.0)
            // Redirects are followed here, so that a move to one of the
            // Herald's hosts is fetched through the base URL.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(Error::Client)?;
        Ok(Fetcher {
            client,
            site,
            user_agent: http.user_agent.clone(),
            max_body: http.max_body_bytes,
            max_redirects: http.max_redirects,
            retry: retry.clone(),
            pacer,
            metrics,
            robots: tokio::sync::Mutex::new(None),
        })
    }

    /// robots.txt, read once a day (once a minute while it cannot be read):
    /// the one cache every user of this client (a crawl's sections,
    /// `check-site`, `extract URL`) goes through.
    pub async fn robots_cached(&self, stats: &FetchStats) -> Result<Arc<Robots>, String> {
        let mut cached = self.robots.lock().await;
        if let Some((at, robots)) = cached.as_ref() {
            let ttl = if robots.is_ok() {
                ROBOTS_TTL
            } else {
                ROBOTS_FAILURE_TTL
            };
            if at.elapsed() < ttl {
                return robots.clone();
            }
        }
        let robots = self.robots(stats).await.map(Arc::new).map_err(|e| {
            format!(
                "robots.txt unavailable, nothing fetched: {}",
                crate::error::chain(&e)
            )
        });
        *cached = Some((Instant::now(), robots.clone()));
        robots
    }

    /// GET `url`, conditionally when `validators` has something, retrying
    /// what may pass: connection errors, timeouts, 5xx, 408 and 429.
    pub async fn get(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        stats: &FetchStats,
    ) -> Result<Page, FetchError> {
        self.get_as(url, validators, stats, Accept::Markup).await
    }

    async fn get_as(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        stats: &FetchStats,
        accept: Accept,
    ) -> Result<Page, FetchError> {
        let mut attempt = 1;
        loop {
            let result = self.follow(url, validators, stats, accept).await;
            let err = match result {
                Ok(page) => return Ok(page),
                Err(e) => e,
            };
            self.metrics.fetch_failed();
            // After a stop signal nothing is retried: the failure stands.
            if attempt >= self.retry.attempts || !retryable(&err) || self.pacer.stopping() {
                return Err(err);
            }
            let wait = self.wait_before_retry(&err, attempt);
            if wait > self.retry.max_delay.0 {
                return Err(err);
            }
            tracing::debug!(%url, attempt, wait_ms = wait.as_millis() as u64, error = %crate::error::chain(&err), "retrying");
            stats.retries.fetch_add(1, Ordering::Relaxed);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.pacer.stopped() => return Err(err),
            }
            attempt += 1;
        }
    }

    /// `Retry-After` when the server sent one (it may exceed the cap: then
    /// the caller gives up), else exponential backoff with jitter.
    fn wait_before_retry(&self, err: &FetchError, attempt: u32) -> Duration {
        if let FetchError::Status {
            retry_after: Some(after),
            ..
        } = err
        {
            return *after;
        }
        let base = self.retry.base_delay.0.as_millis() as u64;
        let exp = base.saturating_mul(1 << (attempt - 1).min(16));
        let capped = exp.min(self.retry.max_delay.0.as_millis() as u64);
        // Full jitter in the upper half: spread retries, keep the backoff.
        let jitter = pacer::random_below(capped / 2 + 1);
        Duration::from_millis(capped / 2 + jitter)
    }

    /// One try: the request and the redirects it leads to.
    async fn follow(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        stats: &FetchStats,
        accept: Accept,
    ) -> Result<Page, FetchError> {
        let mut current = url.clone();
        for _ in 0..=self.max_redirects {
            match self.once(&current, validators, stats, accept).await? {
                Step::Done(page) => return Ok(page),
                Step::Redirect(location) => {
                    let target = current.join(&location).map_err(|e| FetchError::Refused {
                        url: current.to_string(),
                        reason: format!("redirect to an invalid address {location:?}: {e}"),
                    })?;
                    current = self.on_site(&target).ok_or_else(|| FetchError::Refused {
                        url: current.to_string(),
                        reason: format!("redirect to {target} leaves the site"),
                    })?;
                }
            }
        }
        Err(FetchError::Refused {
            url: url.to_string(),
            reason: format!(
                "more than {} redirects (a redirect loop?)",
                self.max_redirects
            ),
        })
    }

    /// Where to fetch a redirect target: the base URL's own addresses as
    /// they are, the Herald's hosts through the base URL, nothing else.
    fn on_site(&self, target: &Url) -> Option<Url> {
        let base = self.site.base();
        if target.host_str() == base.host_str()
            && target.port_or_known_default() == base.port_or_known_default()
            && matches!(target.scheme(), "http" | "https")
        {
            return Some(target.clone());
        }
        self.site.public(target).map(|p| self.site.fetch_url(&p))
    }

    async fn once(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        stats: &FetchStats,
        accept: Accept,
    ) -> Result<Step, FetchError> {
        let stopped = || FetchError::Stopped {
            url: url.to_string(),
        };
        if self.pacer.stopping() {
            return Err(stopped());
        }
        let _slot = self.pacer.turn().await;
        if self.pacer.stopping() {
            return Err(stopped());
        }
        let started = Instant::now();
        let mut req = self.client.get(url.clone());
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                req = req.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm);
            }
        }
        let http = |source| FetchError::Http {
            url: url.to_string(),
            source,
        };
        stats.requests.fetch_add(1, Ordering::Relaxed);
        let mut resp = req.send().await.map_err(http)?;
        let status = resp.status();
        stats.response(status);
        tracing::debug!(%url, status = status.as_u16(), "GET");
        let conditional = validators.is_some_and(|v| v.etag.is_some() || v.last_modified.is_some());
        if status == StatusCode::NOT_MODIFIED && conditional {
            self.metrics.observe_fetch(started.elapsed());
            return Ok(Step::Done(Page::NotModified));
        }
        if status == StatusCode::NOT_MODIFIED {
            // "Not modified" since nothing: we have no copy, so this is the
            // server's error, and the link stays owed (pending), not "unchanged".
            self.metrics.observe_fetch(started.elapsed());
            return Err(FetchError::Status {
                url: url.to_string(),
                status: 304,
                retry_after: None,
            });
        }
        if status.is_redirection() {
            let location = header(resp.headers(), LOCATION).ok_or_else(|| FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                retry_after: None,
            })?;
            return Ok(Step::Redirect(location));
        }
        if !status.is_success() {
            self.metrics.observe_fetch(started.elapsed());
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                retry_after: header(resp.headers(), RETRY_AFTER)
                    .and_then(|v| parse_retry_after(&v)),
            });
        }
        let headers = resp.headers().clone();
        let content_type = header(&headers, CONTENT_TYPE).unwrap_or_default();
        if accept == Accept::Markup && !is_markup(&content_type) {
            return Err(FetchError::Refused {
                url: url.to_string(),
                reason: format!("content type {content_type:?} is not HTML or XML"),
            });
        }
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit: self.max_body,
        };
        let robots = accept == Accept::Robots;
        if !robots
            && resp
                .content_length()
                .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(http)? {
            stats.bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            if robots && bytes.len() + chunk.len() > MAX_ROBOTS_BYTES {
                bytes.extend_from_slice(&chunk[..MAX_ROBOTS_BYTES - bytes.len()]);
                // A rule cut in half is not a rule: end at the last line.
                let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                bytes.truncate(end);
                tracing::warn!(%url, limit = MAX_ROBOTS_BYTES, "robots.txt is larger than herald-archiver reads: its first {} KiB are followed, the rest is ignored", MAX_ROBOTS_BYTES / 1024);
                break;
            }
            if bytes.len() + chunk.len() > self.max_body {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        self.metrics.observe_fetch(started.elapsed());
        Ok(Step::Done(Page::Fetched {
            body: decode(&bytes, &content_type),
            validators: Validators {
                etag: header(&headers, ETAG),
                last_modified: header(&headers, LAST_MODIFIED),
            },
            head: http_head(status, &headers),
        }))
    }

    /// robots.txt of the site. A 4xx answer allows everything (RFC 9309); a
    /// 5xx or no answer is an error: nothing may be fetched. Its
    /// `Crawl-delay`, when longer than ours, paces every request after it.
    async fn robots(&self, stats: &FetchStats) -> Result<Robots, FetchError> {
        let url = self.site.fetch_url(&self.site.page("/robots.txt").0);
        let robots = match self.get_as(&url, None, stats, Accept::Robots).await {
            Ok(Page::Fetched { body, .. }) => Robots::parse(&self.user_agent, body.as_bytes()),
            Ok(Page::NotModified) => Robots::allow_all(),
            // 304 to a request without validators: no file to follow, as 4xx.
            Err(FetchError::Status { status, .. })
                if (400..500).contains(&status) || status == 304 =>
            {
                Robots::allow_all()
            }
            Err(e) => return Err(e),
        };
        let asked = robots.crawl_delay().filter(|d| d.is_finite() && *d > 0.0);
        if asked.is_some_and(|d| f64::from(d) > MAX_CRAWL_DELAY.as_secs_f64())
            && self.pacer.first_clamp()
        {
            tracing::warn!(
                crawl_delay = asked.unwrap_or_default(),
                honoured = MAX_CRAWL_DELAY.as_secs(),
                "robots.txt asks for a Crawl-delay longer than herald-archiver honours: requests are spaced {}s apart, the ceiling",
                MAX_CRAWL_DELAY.as_secs()
            );
        }
        self.pacer.set_crawl_delay(
            asked.map(|d| Duration::from_secs_f64(f64::from(d).min(MAX_CRAWL_DELAY.as_secs_f64()))),
        );
        Ok(robots)
    }

    /// The pause in force between two requests (robots.txt's Crawl-delay
    /// once read, within its ceiling, or `[http] min_delay`).
    pub fn delay(&self) -> Duration {
        self.pacer.delay()
    }
}

/// The status line and headers of an answer as they describe the body we
/// keep: decoded to UTF-8 and whole, so its transfer and content encodings
/// and length go, the charset becomes UTF-8, and cookies are not kept.
pub fn http_head(status: StatusCode, headers: &reqwest::header::HeaderMap) -> String {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    for (name, value) in headers {
        let n = name.as_str();
        if matches!(
            n,
            "content-encoding" | "transfer-encoding" | "content-length" | "set-cookie"
        ) {
            continue;
        }
        let Ok(v) = value.to_str() else {
            continue;
        };
        let v = if n == "content-type" {
            format!("{}; charset=utf-8", v.split(';').next().unwrap_or(v).trim())
        } else {
            v.to_string()
        };
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head
}

enum Step {
    Done(Page),
    Redirect(String),
}

/// Which content types a request may give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accept {
    /// HTML, XHTML, RSS and other XML: what the extractor reads.
    Markup,
    /// robots.txt: any type (it is text/plain), read up to
    /// [`MAX_ROBOTS_BYTES`] and cut there rather than abandoned.
    Robots,
}

/// Failures that may pass on their own.
fn retryable(e: &FetchError) -> bool {
    match e {
        FetchError::Http { source, .. } => {
            // `is_decode`: the body was cut short (a closed or reset
            // connection while reading it), the same as a lost connection.
            source.is_connect()
                || source.is_timeout()
                || source.is_body()
                || source.is_request()
                || source.is_decode()
        }
        FetchError::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
        FetchError::TooLarge { .. } | FetchError::Refused { .. } | FetchError::Stopped { .. } => {
            false
        }
    }
}

/// `Retry-After`: delay-seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

fn header(h: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
}

fn is_markup(content_type: &str) -> bool {
    let ct = content_type.to_ascii_lowercase();
    ct.is_empty() || ct.contains("html") || ct.contains("xml")
}

/// Charset from the header, else from a `<meta>` in the first KiB, else UTF-8
/// with replacement characters. Also for saved pages (`extract`), with no header.
pub fn decode(bytes: &[u8], content_type: &str) -> String {
    let label = charset_in(content_type).or_else(|| {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
        charset_in(&head)
    });
    let encoding = label
        .and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}

fn charset_in(s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    let at = lower.find("charset=")? + "charset=".len();
    let value: String = lower[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_comes_from_header_then_meta_then_utf8() {
        let euc_kr = encoding_rs::EUC_KR.encode("개인정보 보호법").0;
        assert_eq!(
            decode(&euc_kr, "text/html; charset=EUC-KR"),
            "개인정보 보호법"
        );
        let mut page = b"<html><head><meta charset=\"euc-kr\"></head><body>".to_vec();
        page.extend_from_slice(&euc_kr);
        assert!(decode(&page, "text/html").contains("개인정보 보호법"));
        assert_eq!(decode(b"ok \xff", "text/html"), "ok \u{fffd}");
    }

    #[test]
    fn only_markup_is_parsed() {
        assert!(is_markup("text/html; charset=utf-8"));
        assert!(is_markup("application/rss+xml"));
        assert!(!is_markup("image/jpeg"));
        assert!(!is_markup("application/pdf"));
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        let wait = parse_retry_after(&soon).expect("a date");
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
