//! `check-site`: do the built-in rules still fit the live site? Reads
//! robots.txt, each configured section's first list page, its feeds, and the
//! first article the list links (the feeds' first when the list gives
//! none), through the same polite client as a crawl (robots, user agent,
//! pacing), and explains every field of that article. Nothing
//! is written to the archive. This is what a user runs after install and
//! after a drift alarm.

use std::fmt;

use url::Url;

use crate::config::Config;
use crate::error::Error;
use crate::extract::{self, Explanation, Hints, Layer};
use crate::fetch::PoliteClient;
use crate::site::profile::Profile;

/// How well the rules fit, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// The listing selector found links, and the article's headline, body
    /// and dates came from the layout's selectors.
    SelectorsFit,
    /// A record came out, but some of those fields from a fallback layer,
    /// or the article came from a feed because the list gave no link, or a
    /// feed could not be read: the site changed; the archive still fills,
    /// less exactly or by fewer ways.
    FallbacksInUse,
    /// No links, no page, or no record.
    NothingExtracted,
    /// The site did not answer (robots.txt could not be read: DNS, no
    /// route, refused, 5xx): an outage here or there, not a redesign.
    Unreachable,
}

impl Verdict {
    /// `check-site`'s exit status: 0, 3, 4 or 5 (1 and 2 are a failed run
    /// and a bad config for every command).
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::SelectorsFit => 0,
            Verdict::FallbacksInUse => 3,
            Verdict::NothingExtracted => 4,
            Verdict::Unreachable => 5,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::SelectorsFit => "selectors fit",
            Verdict::FallbacksInUse => "fallbacks in use",
            Verdict::NothingExtracted => "nothing extracted",
            Verdict::Unreachable => "site unreachable",
        })
    }
}

/// Fields whose layer says whether the layout's rules still fit.
const KEY_FIELDS: [&str; 3] = ["title", "body", "published_at"];

/// One section's check.
#[derive(Debug, Clone)]
pub struct SectionCheck {
    pub section: String,
    /// The list page's public address, and the article links the listing
    /// selector found on it or why none were read; `None` for a section
    /// read through its feeds alone.
    pub list: Option<(Url, Result<usize, String>)>,
    /// Each feed's address and its article links, or why it was not read.
    pub feeds: Vec<(Url, Result<usize, String>)>,
    /// The first article's address and what each layer gave for it.
    pub article: Option<(Url, Explanation)>,
    /// Why the article could not be read, when it could not.
    pub article_error: Option<String>,
    pub verdict: Verdict,
}

impl fmt::Display for SectionCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.list {
            Some((list, links)) => {
                writeln!(f, "== {} ({list})", self.section)?;
                match links {
                    Ok(n) => writeln!(f, "links found by the listing selector: {n}")?,
                    Err(e) => writeln!(f, "list page not read: {e}")?,
                }
            }
            None => writeln!(f, "== {} (feeds only)", self.section)?,
        }
        for (feed, links) in &self.feeds {
            match links {
                Ok(n) => writeln!(f, "feed {feed}: {n} article links")?,
                Err(e) => writeln!(f, "feed {feed} not read: {e}")?,
            }
        }
        if let Some((url, why)) = &self.article {
            writeln!(f, "article: {url}")?;
            write!(f, "{why}")?;
        }
        if let Some(e) = &self.article_error {
            writeln!(f, "article not read: {e}")?;
        }
        writeln!(f, "verdict: {}", self.verdict)
    }
}

/// Every section's check and the worst verdict.
#[derive(Debug, Clone)]
pub struct SiteCheck {
    /// robots.txt could not be read: nothing may be fetched.
    pub robots_error: Option<String>,
    /// How requests are spaced, and why (min_delay or robots.txt's Crawl-delay).
    pub pacing: String,
    pub sections: Vec<SectionCheck>,
}

impl SiteCheck {
    pub fn verdict(&self) -> Verdict {
        if self.robots_error.is_some() {
            return Verdict::Unreachable;
        }
        self.sections
            .iter()
            .map(|s| s.verdict)
            .max()
            .unwrap_or(Verdict::NothingExtracted)
    }
}

impl fmt::Display for SiteCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = &self.robots_error {
            writeln!(
                f,
                "robots.txt could not be read, so nothing may be fetched: {e}\n\
                 check the network, DNS and [site] base_url (an outage, not a redesign: the selectors were not checked)"
            )?;
            return writeln!(f, "check-site: verdict: {}", self.verdict());
        }
        writeln!(f, "pacing: {}", self.pacing)?;
        for s in &self.sections {
            write!(f, "{s}")?;
        }
        let count = |v: Verdict| self.sections.iter().filter(|s| s.verdict == v).count();
        writeln!(
            f,
            "check-site: {} sections: {} selectors fit, {} fallbacks in use, {} nothing extracted; verdict: {}",
            self.sections.len(),
            count(Verdict::SelectorsFit),
            count(Verdict::FallbacksInUse),
            count(Verdict::NothingExtracted),
            self.verdict()
        )
    }
}

/// Checks every configured section (or the `only` ones) against the site.
pub async fn check_site(config: &Config, only: &[String]) -> Result<SiteCheck, Error> {
    let mut client = PoliteClient::new(config)?;
    if let Err(e) = client.read_robots().await {
        return Ok(SiteCheck {
            robots_error: Some(e),
            pacing: client.pacing(),
            sections: Vec::new(),
        });
    }
    let profile = Profile::herald().with_overrides(&config.extract.selectors);
    let mut sections = Vec::new();
    for section in config
        .sections
        .iter()
        .filter(|s| only.is_empty() || only.contains(&s.name))
    {
        let mut check = SectionCheck {
            section: section.name.clone(),
            list: None,
            feeds: Vec::new(),
            article: None,
            article_error: None,
            verdict: Verdict::NothingExtracted,
        };
        let mut links = Vec::new();
        if let Some(path) = &section.path {
            let (list, _) = client.site().page(&path.0);
            let found = match client.get(&list).await {
                Ok((_, body)) => extract::listing(&body, &list, &profile, client.site())
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            check.list = Some((list, found.as_ref().map(Vec::len).map_err(Clone::clone)));
            links = found.unwrap_or_default();
        }
        let mut from_feed = false;
        for feed in &section.feeds {
            let (url, _) = client.site().page(&feed.0);
            let found = match client.get(&url).await {
                Ok((_, body)) => {
                    extract::feed(&body, &url, client.site()).map_err(|e| e.to_string())
                }
                Err(e) => Err(e),
            };
            check
                .feeds
                .push((url, found.as_ref().map(Vec::len).map_err(Clone::clone)));
            if let (true, Ok(found)) = (links.is_empty(), found) {
                // Only a sign of trouble when the section has a list.
                from_feed = section.path.is_some() && !found.is_empty();
                links = found;
            }
        }
        let Some(link) = links.into_iter().find(|l| client.allowed(&l.fetch)) else {
            sections.push(check);
            continue;
        };
        match client.get(&link.canonical).await {
            Ok((_, body)) => {
                let hints = Hints {
                    given: Some(&link.canonical),
                    list_page: section.path.as_ref().map(|p| p.0.as_str()),
                };
                let (record, why) = extract::explain(&body, &profile, client.site(), &hints);
                check.verdict = match record {
                    Err(e) => {
                        check.article_error = Some(e.to_string());
                        Verdict::NothingExtracted
                    }
                    Ok(r)
                        if KEY_FIELDS
                            .iter()
                            .all(|f| r.sources.get(*f) == Some(&Layer::Selector)) =>
                    {
                        Verdict::SelectorsFit
                    }
                    Ok(_) => Verdict::FallbacksInUse,
                };
                let feed_failed = check.feeds.iter().any(|(_, r)| r.is_err());
                if from_feed || feed_failed {
                    check.verdict = check.verdict.max(Verdict::FallbacksInUse);
                }
                check.article = Some((link.canonical.clone(), why));
            }
            Err(e) => check.article_error = Some(e),
        }
        sections.push(check);
    }
    Ok(SiteCheck {
        robots_error: None,
        pacing: client.pacing(),
        sections,
    })
}
