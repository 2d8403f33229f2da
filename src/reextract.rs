//! Repairing the past: after a selector is fixed, re-run extraction over the
//! pages kept with each revision. A changed record becomes a revision marked
//! `reextract`; an unchanged one writes nothing.

use url::Url;

use crate::archive::Archive;
use crate::config::Config;
use crate::error::Error;
use crate::extract;
use crate::site::profile::Profile;
use crate::site::urls::SiteUrls;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub checked: u32,
    pub changed: u32,
    pub unchanged: u32,
    /// Archived without a kept page ([archive] keep_pages was off).
    pub no_page: u32,
    /// Kept pages the current rules no longer read as an article.
    pub failed: u32,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "re-extracted {} articles: {} changed, {} unchanged, {} without a kept page, {} no longer read as articles",
            self.checked, self.changed, self.unchanged, self.no_page, self.failed
        )
    }
}

/// `since`: a date (`2026-11-01`) or a UTC time; `section`: the articles'
/// `section` column (`National`).
pub fn run(
    archive: &mut Archive,
    config: &Config,
    since: Option<&str>,
    section: Option<&str>,
) -> Result<Report, Error> {
    run_with(archive, config, since, section, &mut |_| {})
}

/// [`run`], calling `on_article` with the report so far after each article
/// (a progress bar).
pub fn run_with(
    archive: &mut Archive,
    config: &Config,
    since: Option<&str>,
    section: Option<&str>,
    on_article: &mut dyn FnMut(&Report),
) -> Result<Report, Error> {
    let profile = Profile::herald().with_overrides(&config.extract.selectors);
    let site = SiteUrls::new(config.site.base_url.0.clone());
    let since = since.map(|s| {
        if s.len() == 10 {
            format!("{s}T00:00:00Z")
        } else {
            s.to_string()
        }
    });
    let mut report = Report::default();
    let mut after = 0;
    loop {
        let batch = archive.reextract_targets(since.as_deref(), section, after, BATCH)?;
        let Some(&(last, _)) = batch.last() else {
            break;
        };
        after = last;
        for (id, url) in batch {
            reextract_one(archive, config, &profile, &site, id, &url, &mut report)?;
            on_article(&report);
        }
    }
    Ok(report)
}

/// Articles listed at a time: memory stays flat whatever the archive's size.
const BATCH: usize = 500;

fn reextract_one(
    archive: &mut Archive,
    config: &Config,
    profile: &Profile,
    site: &SiteUrls,
    id: i64,
    url: &str,
    report: &mut Report,
) -> Result<(), Error> {
    report.checked += 1;
    let Some(page) = archive.kept_page(id)? else {
        report.no_page += 1;
        return Ok(());
    };
    let given = Url::parse(url).ok();
    let record = match extract::article(&page, given.as_ref(), profile, site) {
        Ok(r) if r.body.chars().count() >= config.extract.min_body_chars => r,
        Ok(_) | Err(_) => {
            tracing::warn!(%url, "the kept page no longer reads as an article; the archived state stays");
            report.failed += 1;
            return Ok(());
        }
    };
    if archive.apply_reextraction(id, &record, &crate::clock::now_utc())? {
        tracing::info!(%url, "re-extraction changed the record");
        report.changed += 1;
    } else {
        report.unchanged += 1;
    }
    Ok(())
}
