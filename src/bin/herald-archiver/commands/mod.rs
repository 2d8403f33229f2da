//! One file per command or family of commands; here the dispatch and the
//! helpers they share.

mod crawl;
mod extract;
mod read;
mod setup;
mod write;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use herald_archiver::config::Config;

use crate::cli::{Cli, Command};

/// Runs the command line's command.
pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Run => {}
        // crawl prints a summary line per section (and a shared cause once):
        // the crawl module's per-section log lines would say it all again.
        Command::Crawl(_) => init_logging(
            "warn,herald_archiver::crawl=off,herald_archiver::crawl::article=warn,\
             herald_archiver::crawl::listing=warn,herald_archiver::crawl::revisit=warn,\
             herald_archiver::crawl::health=warn",
        ),
        _ => init_logging("warn"),
    }
    let path = cli.config.as_deref();
    match cli.command {
        Command::Crawl(args) => crawl::crawl(path, args),
        Command::Extract(args) => extract::extract(path, args),
        Command::Search(args) => read::search(path, args),
        Command::Export(args) => read::export(path, args),
        Command::Backup(args) => read::backup(path, args),
        Command::Status => read::status(path),
        Command::Pending(args) => read::pending(path, args),
        Command::Datasette => read::datasette(path),
        Command::Reextract(args) => write::reextract(path, args),
        Command::Retry(args) => write::retry(path, args),
        Command::CheckConfig => setup::check_config(path),
        Command::CheckSite(args) => setup::check_site(path, args),
        Command::Completions(args) => setup::completions(path, args),
        Command::Man(args) => setup::man(path, args),
        Command::Run => setup::run(path),
    }
}

/// A progress bar on stderr with counts, rate and ETA, when stderr is a
/// terminal and not the journal; otherwise one that draws nothing (and the
/// total is not even counted).
pub(crate) fn progress(total: impl FnOnce() -> Option<u64>, what: &str) -> indicatif::ProgressBar {
    let visible = std::io::stderr().is_terminal() && std::env::var_os("JOURNAL_STREAM").is_none();
    if !visible {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total().unwrap_or(0));
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:30}] {pos}/{len} ({per_sec}, ETA {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// A date argument in the archive's UTC form, read in `[scheduler] timezone`
/// unless it carries an offset.
pub(crate) fn when(config: &Config, flag: &str, value: Option<String>) -> Result<Option<String>> {
    value
        .map(|v| config.scheduler.timezone.utc_of(&v))
        .transpose()
        .map_err(|e| anyhow::anyhow!("{flag} {e}"))
}

/// `RUST_LOG` wins; else `default` (warnings for the one-shot commands,
/// which print their own summary on stdout). Under systemd (JOURNAL_STREAM
/// set) lines carry no colour and no timestamp: the journal adds its own.
pub(crate) fn init_logging(default: &str) {
    // html5ever warns about markup it repairs ("foster parenting not
    // implemented") on ordinary pages: noise to a user, still available
    // with RUST_LOG=html5ever=warn.
    let default = format!("{default},html5ever=error,markup5ever=error,selectors=error");
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(!journald && std::io::stderr().is_terminal());
    if journald {
        builder.without_time().init();
    } else {
        builder.init();
    }
}

/// An archive error with the archive's file named: SQLite's own messages
/// ("disk I/O error") do not say which file.
pub(crate) fn in_archive(
    config: &Config,
    e: impl std::error::Error + Send + Sync + 'static,
) -> anyhow::Error {
    anyhow::Error::new(e).context(format!("archive {}", config.archive.path.display()))
}

fn load_config(explicit: Option<&Path>) -> Result<Config> {
    let path = Config::locate(explicit)?;
    Ok(Config::load(&path)?)
}

/// The async runtime. Its blocking threads parse pages, so they get the
/// stack of a main thread (8 MiB) rather than tokio's 2 MiB: deeply nested
/// markup must not overflow it.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 << 20)
        .build()
        .context("starting the async runtime")
}
