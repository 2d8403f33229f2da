//! Commands that change the archive besides a crawl: reextract, retry.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use herald_archiver::archive::{Archive, ArchiveLock};
use herald_archiver::site::urls::SiteUrls;

use super::{in_archive, load_config, progress, when};
use crate::cli::{ReextractArgs, RetryArgs};

pub(crate) fn reextract(config_path: Option<&Path>, args: ReextractArgs) -> Result<ExitCode> {
    let ReextractArgs { since, section } = args;
    let config = load_config(config_path)?;
    let since = when(&config, "--since", since)?;
    // One writer per archive: reextract writes, so it takes the lock.
    let _lock = ArchiveLock::acquire(&config.archive.path, "reextract")?;
    let mut archive = Archive::open(&config.archive.path)?;
    let bar = progress(
        || {
            archive
                .reextract_count(since.as_deref(), section.as_deref())
                .ok()
        },
        "re-extracting",
    );
    let report = herald_archiver::reextract::run_with(
        &mut archive,
        &config,
        since.as_deref(),
        section.as_deref(),
        &mut |r| {
            bar.set_position(r.checked as u64);
            bar.set_message(format!("re-extracting: {} changed", r.changed));
        },
    )
    .map_err(|e| in_archive(&config, e));
    bar.finish_and_clear();
    let report = report?;
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn retry(config_path: Option<&Path>, args: RetryArgs) -> Result<ExitCode> {
    let RetryArgs { all, section, urls } = args;
    let config = load_config(config_path)?;
    let site = SiteUrls::new(config.site.base_url.0.clone());
    let which = if all {
        herald_archiver::archive::RetryWhich::All
    } else if let Some(s) = section {
        anyhow::ensure!(
            config.section(&s).is_some(),
            "no section named {s:?} in the config"
        );
        herald_archiver::archive::RetryWhich::Section(s)
    } else if !urls.is_empty() {
        herald_archiver::archive::RetryWhich::Urls(
            urls.iter()
                .map(|u| {
                    site.canonical_article(u)
                        .map_or_else(|| u.to_string(), |c| c.to_string())
                })
                .collect(),
        )
    } else {
        anyhow::bail!("say which links: --all, --section NAME, or their addresses");
    };
    // One writer per archive: retry writes, so it takes the lock.
    let _lock = ArchiveLock::acquire(&config.archive.path, "retry")?;
    let mut archive = Archive::open(&config.archive.path)?;
    let now = herald_archiver::clock::now_utc();
    let n = archive
        .retry_pending(&which, &now)
        .map_err(|e| in_archive(&config, e))?;
    println!(
        "{n} link{} back in the queue; the next crawl or daemon run fetches {}",
        if n == 1 { "" } else { "s" },
        if n == 1 { "it" } else { "them" }
    );
    Ok(ExitCode::SUCCESS)
}
