//! The command line: parses arguments, calls the library, turns errors into
//! messages and exit codes.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use url::Url;

use herald_archiver::archive::{csv_field, Archive, ExportError, Format, Search};
use herald_archiver::config::Config;
use herald_archiver::crawl::{CrawlOptions, Crawler};
use herald_archiver::extract;
use herald_archiver::site::profile::Profile;
use herald_archiver::site::urls::SiteUrls;

#[derive(Parser)]
#[command(
    name = "herald-archiver",
    version,
    about = "A clean, searchable archive of The Korea Herald"
)]
struct Cli {
    /// Config file (default: $HERALD_ARCHIVER_CONFIG, ./config/herald.toml, /etc/herald-archiver/config.toml)
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Crawl every configured section once, print one line per section, exit.
    Crawl {
        /// Re-check every young archived article now (see [revisit]).
        #[arg(long)]
        revisit: bool,
        /// Read this many list pages per section (backfill history).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        pages: Option<u32>,
        /// Crawl only this section (repeatable).
        #[arg(long = "section", value_name = "NAME")]
        sections: Vec<String>,
        /// Crawl sections that are backing off after failed runs too.
        #[arg(long)]
        force: bool,
    },
    /// Full-text search of the archive (FTS5 syntax: "phrase", prefix*, NEAR, title:word).
    Search {
        query: String,
        /// One JSON object per line (same as --format json).
        #[arg(long)]
        json: bool,
        /// text (highlighted on a terminal), json (one object per line) or csv.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Only articles of this section (e.g. National).
        #[arg(long)]
        section: Option<String>,
        /// Only articles with this author.
        #[arg(long)]
        author: Option<String>,
        /// Only articles published on or after this date (2026-11-01) or UTC time.
        #[arg(long, value_name = "DATE", value_parser = parse_when)]
        since: Option<String>,
        /// Only articles published before this date or UTC time.
        #[arg(long, value_name = "DATE", value_parser = parse_when)]
        until: Option<String>,
    },
    /// Write the archive's articles as JSON lines or CSV, in constant memory.
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        #[arg(long, value_name = "DATE", value_parser = parse_when)]
        since: Option<String>,
        #[arg(long, value_name = "NAME")]
        section: Option<String>,
    },
    /// A consistent copy of the archive, safe while the daemon writes.
    Backup { path: PathBuf },
    /// Print the clean record of saved article pages, one JSON object per line.
    Extract {
        #[arg(required = true, value_name = "PAGE.html")]
        pages: Vec<PathBuf>,
        /// The page's address, when it does not name its canonical one.
        #[arg(long)]
        url: Option<Url>,
        /// Only the generic main-content layer, without the Herald rules.
        #[arg(long)]
        generic: bool,
    },
    /// Validate the config and show each section's next three runs.
    CheckConfig,
    /// Run as a daemon: crawl each section on its schedule until SIGTERM;
    /// SIGHUP reloads the config.
    Run,
    /// Show each section's schedule, next and last run, and the archive's size.
    Status,
    /// Re-run extraction with the current selectors over the pages kept with
    /// each archived article; a changed record becomes a new revision.
    Reextract {
        /// Only articles published since this date (2026-11-01) or UTC time.
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Only articles of this section (the articles' section, e.g. National).
        #[arg(long, value_name = "NAME")]
        section: Option<String>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Csv,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExportFormat {
    Jsonl,
    Csv,
}

/// A date (2026-11-01) or an RFC 3339 time, as the archive's UTC text.
fn parse_when(s: &str) -> Result<String, String> {
    if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
        return Ok(format!("{s}T00:00:00Z"));
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| herald_archiver::extract::text::format_utc(&t.with_timezone(&chrono::Utc)))
        .map_err(|_| format!("{s:?}: write a date (2026-11-01) or a time (2026-11-01T09:00:00Z)"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", herald_archiver::error::chain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// `RUST_LOG` wins; else `default` (warnings for the one-shot commands,
/// which print their own summary on stdout). Under systemd (JOURNAL_STREAM
/// set) lines carry no colour and no timestamp: the journal adds its own.
fn init_logging(default: &str) {
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

fn load_config(explicit: Option<&Path>) -> Result<Config> {
    let path = Config::locate(explicit)?;
    Ok(Config::load(&path)?)
}

fn run(cli: Cli) -> Result<ExitCode> {
    if !matches!(cli.command, Command::Run) {
        init_logging("warn");
    }
    match cli.command {
        Command::Crawl {
            revisit,
            pages,
            sections,
            force,
        } => {
            let config = load_config(cli.config.as_deref())?;
            for name in &sections {
                if config.section(name).is_none() {
                    anyhow::bail!("no section named {name:?} in the config");
                }
            }
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let reports = runtime.block_on(async {
                let crawler = Crawler::open(config)?;
                crawler
                    .crawl(&CrawlOptions {
                        pages,
                        revisit_all: revisit,
                        sections,
                        force,
                    })
                    .await
            })?;
            let mut out = std::io::stdout().lock();
            for r in &reports {
                writeln!(out, "{r}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Search {
            query,
            json,
            format,
            limit,
            section,
            author,
            since,
            until,
        } => {
            let config = load_config(cli.config.as_deref())?;
            let archive = Archive::open_readonly(&config.archive.path)?;
            let format = if json { OutputFormat::Json } else { format };
            let tty = std::io::stdout().is_terminal() && format == OutputFormat::Text;
            let marks = if tty {
                ("\x1b[1m", "\x1b[0m")
            } else {
                ("", "")
            };
            let search = Search {
                query: query.clone(),
                limit,
                section,
                author,
                since,
                until,
            };
            let hits = archive.search(&search, marks)?;
            let mut out = std::io::stdout().lock();
            if format == OutputFormat::Csv {
                writeln!(out, "url,title,section,published_at,rank,snippet")?;
            }
            for h in &hits {
                match format {
                    OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(h)?)?,
                    OutputFormat::Csv => {
                        let fields = [
                            h.url.clone(),
                            h.title.clone(),
                            h.section.clone().unwrap_or_default(),
                            h.published_at.clone().unwrap_or_default(),
                            format!("{:.4}", h.rank),
                            h.snippet.clone(),
                        ];
                        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                        writeln!(out, "{}", line.join(","))?;
                    }
                    OutputFormat::Text => {
                        let date = h
                            .published_at
                            .as_deref()
                            .unwrap_or("")
                            .get(..10)
                            .unwrap_or("");
                        writeln!(
                            out,
                            "{:>7.2}  {date:10}  {:12}  {}\n          {}\n          {}",
                            h.rank,
                            h.section.as_deref().unwrap_or("-"),
                            h.title,
                            h.snippet,
                            h.url
                        )?;
                    }
                }
            }
            if hits.is_empty() && format == OutputFormat::Text {
                eprintln!("no matches for {query:?}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            format,
            since,
            section,
        } => {
            let config = load_config(cli.config.as_deref())?;
            let archive = Archive::open_readonly(&config.archive.path)?;
            let format = match format {
                ExportFormat::Jsonl => Format::Jsonl,
                ExportFormat::Csv => Format::Csv,
            };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            match archive.export(format, since.as_deref(), section.as_deref(), &mut out) {
                Ok(n) => eprintln!("exported {n} articles"),
                Err(ExportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(e.into()),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { path } => {
            let config = load_config(cli.config.as_deref())?;
            let archive = Archive::open_readonly(&config.archive.path)?;
            archive.backup(&path)?;
            println!(
                "backed up {} to {}",
                config.archive.path.display(),
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract {
            pages,
            url,
            generic,
        } => {
            // The config is optional here: it may only override selectors.
            let config = match &cli.config {
                Some(p) => Some(Config::load(p)?),
                None => Config::locate(None)
                    .ok()
                    .and_then(|p| Config::load(&p).ok()),
            };
            let profile = Profile::herald().with_overrides(
                &config
                    .as_ref()
                    .map(|c| c.extract.selectors.clone())
                    .unwrap_or_default(),
            );
            let base = config
                .as_ref()
                .map(|c| c.site.base_url.0.clone())
                .unwrap_or_else(|| {
                    Url::parse(herald_archiver::site::urls::PUBLIC_ORIGIN).expect("constant URL")
                });
            let site = SiteUrls::new(base);
            let mut out = std::io::stdout().lock();
            let mut failed = false;
            for page in &pages {
                let bytes =
                    std::fs::read(page).with_context(|| format!("reading {}", page.display()))?;
                let html = String::from_utf8_lossy(&bytes);
                let extracted = if generic {
                    extract::generic_record(&html, url.as_ref(), &profile, &site)
                } else {
                    extract::article(&html, url.as_ref(), &profile, &site)
                };
                match extracted {
                    Ok(record) => writeln!(out, "{}", serde_json::to_string(&record)?)?,
                    Err(e) => {
                        eprintln!("{}: {e}", page.display());
                        failed = true;
                    }
                }
            }
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Run => {
            let path = Config::locate(cli.config.as_deref())?;
            let config = Config::load(&path)?;
            init_logging(&format!(
                "warn,herald_archiver={}",
                config.daemon.log_level.0
            ));
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(herald_archiver::daemon::run(path, config))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reextract { since, section } => {
            let config = load_config(cli.config.as_deref())?;
            if let Some(s) = &since {
                let ok = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
                    || chrono::DateTime::parse_from_rfc3339(s).is_ok();
                anyhow::ensure!(
                    ok,
                    "--since {s:?}: write a date (2026-11-01) or a UTC time (2026-11-01T09:00:00Z)"
                );
            }
            let mut archive = Archive::open(&config.archive.path)?;
            let report = herald_archiver::reextract::run(
                &mut archive,
                &config,
                since.as_deref(),
                section.as_deref(),
            )?;
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Status => {
            let config = load_config(cli.config.as_deref())?;
            print_status(&config)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckConfig => {
            let path = Config::locate(cli.config.as_deref())?;
            let config = Config::load(&path)?;
            let tz = config.scheduler.timezone.0;
            let now = chrono::Utc::now().with_timezone(&tz);
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{}: ok, {} sections, archive {}, times in {}",
                path.display(),
                config.sections.len(),
                config.archive.path.display(),
                tz
            )?;
            for s in &config.sections {
                let next: Vec<String> = s
                    .schedule
                    .upcoming(now, 3)
                    .iter()
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .collect();
                writeln!(
                    out,
                    "{:<24} {:<28} {:<16} next: {}",
                    s.name,
                    s.path.0,
                    s.schedule.as_str(),
                    next.join(", ")
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_status(config: &Config) -> Result<()> {
    let archive = Archive::open_readonly(&config.archive.path)?;
    let tz = config.scheduler.timezone.0;
    let now = chrono::Utc::now().with_timezone(&tz);
    let local = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|_| t.to_string())
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<24} {:<16} {:<17} {:<42} {:>8} {:>9} {:>8} {:>6}  EXTRACTION",
        "SECTION", "SCHEDULE", "NEXT RUN", "LAST RUN", "FAILURES", "ARCHIVED", "PENDING", "GAVEUP"
    )?;
    let mut drifts = Vec::new();
    for s in &config.sections {
        let st = archive.section_status(&s.name)?;
        let next = s
            .schedule
            .upcoming(now, 1)
            .first()
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        let last = st.last_run.as_ref().map_or("never".to_string(), |r| {
            let mut text = format!(
                "{} {} +{} new +{} rev {} failed",
                local(&r.started_at),
                r.status,
                r.new_articles,
                r.new_revisions,
                r.failures
            );
            if let Some(e) = &r.error {
                text.push_str(&format!(" ({e})"));
            }
            text
        });
        writeln!(
            out,
            "{:<24} {:<16} {:<17} {:<42} {:>8} {:>9} {:>8} {:>6}  {}",
            s.name,
            s.schedule.as_str(),
            next,
            last,
            st.consecutive_failures,
            st.archived,
            st.pending,
            st.given_up,
            health(st.last_run.as_ref())
        )?;
        if let Some(drift) = st.last_run.as_ref().and_then(|r| r.drift.clone()) {
            drifts.push(format!("{}: {drift}", s.name));
        }
    }
    for d in &drifts {
        writeln!(out, "DRIFT {d}")?;
    }
    let (articles, last_success) = archive.totals()?;
    let (db, wal) = archive.sizes_on_disk();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    writeln!(
        out,
        "\narchive {}: {} articles, database {:.1} MiB, WAL {:.1} MiB, last success {}",
        config.archive.path.display(),
        articles,
        mib(db),
        mib(wal),
        last_success.as_deref().map_or("never".to_string(), local)
    )?;
    Ok(())
}

/// The last run's extraction health: fallbacks among extracted articles.
fn health(run: Option<&herald_archiver::archive::RunRow>) -> String {
    match run {
        Some(r) if r.drift.is_some() => {
            format!("DRIFT ({}/{} fallbacks)", r.fallbacks, r.extracted)
        }
        Some(r) if r.extracted > 0 => format!("ok ({}/{} fallbacks)", r.fallbacks, r.extracted),
        Some(_) => "-".to_string(),
        None => "-".to_string(),
    }
}
