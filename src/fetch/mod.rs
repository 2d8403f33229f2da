//! The only module that talks to the network: one HTTP client for every
//! section, a pause between requests, robots.txt, conditional requests, a cap
//! on body size, and redirects kept on the site.

mod robots;

use std::time::Duration;

use reqwest::header::{
    HeaderMap, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use reqwest::StatusCode;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

pub use robots::Robots;

use crate::archive::Validators;
use crate::config::HttpConfig;
use crate::error::{Error, FetchError};
use crate::metrics::Metrics;

const MAX_REDIRECTS: usize = 5;

/// What a GET gave.
#[derive(Debug)]
pub enum Page {
    Fetched {
        /// Decoded with the charset of the header, else of `<meta charset>`, else UTF-8.
        body: String,
        validators: Validators,
    },
    /// 304: the copy we have is current.
    NotModified,
}

pub struct Fetcher {
    client: reqwest::Client,
    user_agent: String,
    max_body: usize,
    min_delay: Duration,
    next_slot: Mutex<Instant>,
    metrics: std::sync::Arc<Metrics>,
}

impl Fetcher {
    /// `base` is where requests go; redirects may not leave its host.
    pub fn new(
        http: &HttpConfig,
        base: &Url,
        metrics: std::sync::Arc<Metrics>,
    ) -> Result<Fetcher, Error> {
        let origin = (
            base.host_str().map(str::to_owned),
            base.port_or_known_default(),
        );
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            let target = attempt.url();
            let same = target.host_str().map(str::to_owned) == origin.0
                && target.port_or_known_default() == origin.1;
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else if !same {
                let to = target.to_string();
                attempt.error(format!("redirect to {to} leaves the site"))
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(http.user_agent.clone())
            .timeout(http.timeout.0)
            .connect_timeout(http.connect_timeout.0)
            .redirect(policy)
            .build()
            .map_err(Error::Client)?;
        Ok(Fetcher {
            client,
            user_agent: http.user_agent.clone(),
            max_body: http.max_body_bytes,
            min_delay: http.min_delay.0,
            next_slot: Mutex::new(Instant::now()),
            metrics,
        })
    }

    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// Waits for this request's turn, keeping `min_delay` between requests.
    async fn pace(&self) {
        if self.min_delay.is_zero() {
            return;
        }
        let at = {
            let mut next = self.next_slot.lock().await;
            let at = (*next).max(Instant::now());
            *next = at + self.min_delay;
            at
        };
        tokio::time::sleep_until(at).await;
    }

    /// GET `url`, conditionally when `validators` has something.
    pub async fn get(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<Page, FetchError> {
        self.pace().await;
        let started = Instant::now();
        let result = self.get_now(url, validators).await;
        if matches!(result, Ok(_) | Err(FetchError::Status { .. })) {
            self.metrics.observe_fetch(started.elapsed());
        }
        if result.is_err() {
            self.metrics.fetch_failed();
        }
        result
    }

    async fn get_now(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<Page, FetchError> {
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
        let mut resp = req.send().await.map_err(http)?;
        tracing::debug!(%url, status = resp.status().as_u16(), "GET");
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Page::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        let headers = resp.headers().clone();
        let content_type = header(&headers, CONTENT_TYPE).unwrap_or_default();
        if !is_markup(&content_type) {
            return Err(FetchError::Refused {
                url: url.to_string(),
                reason: format!("content type {content_type:?} is not HTML or XML"),
            });
        }
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(FetchError::TooLarge {
                url: url.to_string(),
                limit: self.max_body,
            });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(http)? {
            if bytes.len() + chunk.len() > self.max_body {
                return Err(FetchError::TooLarge {
                    url: url.to_string(),
                    limit: self.max_body,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Page::Fetched {
            body: decode(&bytes, &content_type),
            validators: Validators {
                etag: header(&headers, ETAG),
                last_modified: header(&headers, LAST_MODIFIED),
            },
        })
    }

    /// robots.txt of the site behind `base`. A 4xx answer allows everything
    /// (RFC 9309); a 5xx or no answer is an error: nothing may be fetched.
    pub async fn robots(&self, base: &Url) -> Result<Robots, FetchError> {
        let url = base.join("/robots.txt").map_err(|e| FetchError::Refused {
            url: base.to_string(),
            reason: format!("no robots.txt address: {e}"),
        })?;
        self.pace().await;
        let resp = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|source| FetchError::Http {
                url: url.to_string(),
                source,
            })?;
        let status = resp.status();
        if status.is_client_error() {
            return Ok(Robots::allow_all());
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        let body = resp.bytes().await.map_err(|source| FetchError::Http {
            url: url.to_string(),
            source,
        })?;
        Ok(Robots::parse(&self.user_agent, &body))
    }
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
/// with replacement characters.
fn decode(bytes: &[u8], content_type: &str) -> String {
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
}
