//! `crawl`: one pass over the sections, or the articles named with --url.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use url::Url;

use herald_archiver::config::Config;
use herald_archiver::crawl::{self, CrawlOptions, Crawler};
use herald_archiver::site::urls::SiteUrls;

use super::{load_config, progress, runtime};
use crate::cli::CrawlArgs;
use crate::output;

pub(crate) fn crawl(config_path: Option<&Path>, args: CrawlArgs) -> Result<ExitCode> {
    let CrawlArgs {
        revisit,
        pages,
        sections,
        force,
        wait,
        urls,
    } = args;
    let config = load_config(config_path)?;
    for name in &sections {
        if config.section(name).is_none() {
            anyhow::bail!("no section named {name:?} in the config");
        }
    }
    let site = SiteUrls::new(config.site.base_url.0.clone());
    let mut addresses = Vec::new();
    for u in &urls {
        match site.public(u).and_then(|p| site.canonical_article(&p)) {
            Some(a) => addresses.push(a),
            None => {
                // Bad usage, like a malformed argument: exit 2.
                eprintln!("error: --url {u}: not an article address of the configured site");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let runtime = runtime()?;
    let opts = CrawlOptions {
        pages,
        revisit_all: revisit,
        sections,
        force,
    };
    let result = runtime.block_on(crawl_once(config, opts, addresses, wait));
    // As for the daemon: a page still being parsed is not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    result
}

/// `crawl`: one pass over the sections. SIGTERM or SIGINT stops it between
/// links; what it did not reach stays in the backlog for the next run.
pub(crate) async fn crawl_once(
    config: Config,
    opts: CrawlOptions,
    addresses: Vec<Url>,
    wait: bool,
) -> Result<ExitCode> {
    use tokio::signal::unix::{signal, SignalKind};
    let a = &config.archive;
    let writer = herald_archiver::archive::Writer::open(
        a.path.clone(),
        a.busy_timeout.0,
        a.near_duplicate_bits.0,
        "crawl",
        wait,
    )
    .await?;
    let context = crawl::Context::new(&config);
    let grace = config.daemon.grace_period.0;
    let crawler = Crawler::new(std::sync::Arc::new(config), writer.clone(), &context)?;
    let cancel = tokio_util::sync::CancellationToken::new();
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let (stopper, pacer) = (cancel.clone(), context.pacer.clone());
    // The daemon's stop: no request or retry starts after the first signal,
    // what is in flight gets `grace_period`, a second signal ends it now
    // (SQLite rolls back what was not committed; nothing archived is lost).
    let (code_tx, code_rx) = tokio::sync::oneshot::channel();
    let signals = tokio::spawn(async move {
        let code: u8 = tokio::select! {
            _ = term.recv() => 143,
            _ = int.recv() => 130,
        };
        eprintln!(
            "stopping: no new requests; the articles in flight get {} ([daemon] grace_period), the rest stays in the backlog; signal again to stop at once",
            humantime::format_duration(grace)
        );
        stopper.cancel();
        pacer.stop();
        let _ = code_tx.send(code);
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        eprintln!("stopped at once: what was not committed is done by the next run");
        std::process::exit(i32::from(code));
    });
    // A backfill beyond the configured pages can take hours: a bar over the
    // list pages it reads (their number is known; the articles they link
    // are not), with the requests made, rate and ETA, on a terminal only.
    let backfill = opts
        .pages
        .filter(|&p| crawler.config().sections.iter().any(|s| p > s.pages));
    let bar = match backfill {
        Some(pages) => {
            let sections = crawler
                .config()
                .sections
                .iter()
                .filter(|s| opts.sections.is_empty() || opts.sections.contains(&s.name))
                .count() as u64;
            let bar = progress(|| Some(sections * u64::from(pages)), "backfilling");
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} list pages ({per_sec}, ETA {eta})",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        }
        None => indicatif::ProgressBar::hidden(),
    };
    let ticker = {
        let (bar, metrics) = (bar.clone(), context.metrics.clone());
        tokio::spawn(async move {
            loop {
                bar.set_position(metrics.list_pages());
                bar.set_message(format!("backfilling: {} requests", metrics.fetches()));
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        })
    };
    let work = async {
        if addresses.is_empty() {
            crawler.crawl(&opts, &cancel).await
        } else {
            crawler
                .fetch_addresses(&addresses, &cancel)
                .await
                .map(|r| vec![r])
        }
    };
    let grace_over = async {
        cancel.cancelled().await;
        tokio::time::sleep(grace).await;
    };
    let reports = tokio::select! {
        r = work => r,
        () = grace_over => {
            eprintln!("runs still going after the grace period are abandoned; their unfinished links stay in the backlog for next time");
            Ok(Vec::new())
        }
    };
    ticker.abort();
    bar.finish_and_clear();
    // A run the archive could not close (locked, full) is retried for a
    // while; past that, the next writer to start closes it.
    let mut unclosed = crawler.close_pending_runs().await;
    for _ in 0..10 {
        if unclosed == 0 || cancel.is_cancelled() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        unclosed = crawler.close_pending_runs().await;
    }
    if cancel.is_cancelled() {
        // As the daemon: a writer inside a long statement is not waited for.
        let stop = writer.stop();
        if tokio::time::timeout(herald_archiver::daemon::STOP_WRITER_WAIT, stop)
            .await
            .is_err()
        {
            eprintln!("the archive writer was still busy; stopping without it (its open transaction is rolled back)");
        }
    } else {
        writer.stop().await;
    }
    let reports = reports?;
    let any_failed = output::crawl_summary(&reports)?;
    if cancel.is_cancelled() {
        return Ok(ExitCode::from(code_rx.await.unwrap_or(130)));
    }
    signals.abort();
    if unclosed > 0 || crawler.archive_failed() {
        eprintln!(
            "error: the archive could not take every write (see the runs above); nothing archived is lost, and the next crawl continues from the backlog"
        );
        return Ok(ExitCode::from(2));
    }
    // 1 when a section's run failed (its list or robots.txt could not be
    // read); failed articles are recorded and retried, and fail nothing.
    Ok(if any_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
