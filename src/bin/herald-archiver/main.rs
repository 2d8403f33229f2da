//! The command line: parses arguments, calls the library, turns errors into
//! messages and exit codes.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use url::Url;

mod output;

use herald_archiver::archive::{Archive, ArchiveLock, ExportError, Format, Search};
use herald_archiver::check_site::PoliteClient;
use herald_archiver::config::Config;
use herald_archiver::crawl::{self, CrawlOptions, Crawler};
use herald_archiver::error::ArchiveError;
use herald_archiver::extract;
use herald_archiver::site::profile::Profile;
use herald_archiver::site::urls::SiteUrls;

/// Exit statuses, in `--help` and the man pages.
const EXIT_STATUS: &str = "\
Exit status:
  0    done (a crawl whose articles partly failed: they are recorded and retried)
  1    a run failed (a list page or robots.txt could not be read), the archive cannot be used here, or another process writes it
  2    bad usage: a bad config, a bad argument or search query; or the archive could not take writes (a full disk, a lock held past busy_timeout: nothing is lost)
  3    check-site: fallback layers in use (the site changed; the archive still fills)
  4    check-site: nothing could be extracted
  5    check-site: the site did not answer (an outage, not a redesign)
  130, 143  stopped by SIGINT or SIGTERM (what was not archived stays in the backlog)";

#[derive(Parser)]
#[command(
    name = "herald-archiver",
    version,
    about = "A clean, searchable archive of The Korea Herald",
    after_long_help = EXIT_STATUS
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
        /// When another process is writing the archive (the daemon, another
        /// crawl), wait for it to finish instead of refusing.
        #[arg(long)]
        wait: bool,
        /// Fetch and archive this article now, instead of reading the
        /// sections' lists (repeatable; any address form of the site).
        #[arg(long = "url", value_name = "ADDRESS", conflicts_with_all = ["pages", "sections", "revisit"])]
        urls: Vec<Url>,
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
        /// Matches shown, 1 to 10000.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        limit: u32,
        /// Only articles of this section (e.g. National).
        #[arg(long)]
        section: Option<String>,
        /// Only articles with this author.
        #[arg(long)]
        author: Option<String>,
        /// Only articles published on or after this date (2026-11-01) or time
        /// (2026-11-01 09:30), read in [scheduler] timezone unless it has an offset.
        #[arg(long, value_name = "DATE", value_parser = parse_when)]
        since: Option<String>,
        /// Only articles published before this date or time (read likewise).
        #[arg(long, value_name = "DATE", value_parser = parse_when)]
        until: Option<String>,
    },
    /// Write the archive's articles as JSON lines or CSV, or its kept pages
    /// as WARC, in constant memory.
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
    /// Print the clean record of saved article pages, one JSON object per
    /// line in the order given; a page that is no article gives a line
    /// {"page": ..., "error": ...}. A page may also be an address of the
    /// configured site (https://...), fetched as a crawl would (robots.txt,
    /// user agent, pacing). Exit status 1 only when a page cannot be read.
    Extract {
        #[arg(required = true, value_name = "PAGE.html|URL")]
        pages: Vec<PathBuf>,
        /// The page's address, when it does not name its canonical one: one
        /// --url per page, in the pages' order. Without it: the page's own
        /// canonical address, else one made from the file name
        /// (`10915012.html` is article 10915012; others get a file:// address).
        #[arg(long = "url", value_name = "URL")]
        urls: Vec<Url>,
        /// Only the generic main-content layer, without the Herald rules.
        #[arg(long)]
        generic: bool,
        /// Instead of the record, show for each field every source tried
        /// (layer and selector or rule), what each gave, and which was kept.
        #[arg(long, conflicts_with = "generic")]
        explain: bool,
    },
    /// Validate the config and show each section's next three runs.
    CheckConfig,
    /// List the links waiting for a retry, held back (the page read as no
    /// article or too short) or given up, with reason, attempts and next try.
    Pending {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "NAME")]
        section: Option<String>,
    },
    /// Put given-up and held-back links back in the queue, due now with
    /// their attempts reset; the next crawl or daemon run fetches them.
    Retry {
        /// Every given-up and held-back link.
        #[arg(long, conflicts_with_all = ["section", "urls"])]
        all: bool,
        /// Those of one section.
        #[arg(long, value_name = "NAME", conflicts_with = "urls")]
        section: Option<String>,
        /// These links (any address form of the site), whatever their state.
        #[arg(value_name = "URL")]
        urls: Vec<Url>,
    },
    /// Print Datasette metadata (canned queries, facets, full-text search)
    /// for the configured archive, keyed by its database name (the file's
    /// stem), so it applies whatever the file is called:
    /// `herald-archiver datasette > meta.json; datasette serve ARCHIVE --metadata meta.json`.
    Datasette,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from this command line; with
    /// --dir, write it and one page per command (herald-archiver-crawl.1 ...)
    /// into DIR.
    Man {
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Check the built-in rules against the live site without touching the
    /// archive: robots.txt, each section's first list page and the first
    /// article it links, through the crawl's polite client; per section the
    /// links found and, per field, the layer and rule that gave it. Exit
    /// status 0 when the selectors fit, 3 when fallbacks are in use, 4 when
    /// nothing could be extracted, 5 when the site did not answer.
    CheckSite {
        /// Only this section (repeatable).
        #[arg(long = "section", value_name = "NAME")]
        sections: Vec<String>,
    },
    /// Run as a daemon: crawl each section on its schedule until SIGTERM;
    /// SIGHUP reloads the config.
    Run,
    /// Show each section's schedule, next and last run, and the archive's size.
    Status,
    /// Re-run extraction with the current selectors over the pages kept with
    /// each archived article; a changed record becomes a new revision.
    Reextract {
        /// Only articles published since this date (2026-11-01) or time, read
        /// in [scheduler] timezone unless it has an offset.
        #[arg(long, value_name = "DATE", value_parser = parse_when)]
        since: Option<String>,
        /// Only articles of this section (the articles' section, e.g. National).
        #[arg(long, value_name = "NAME")]
        section: Option<String>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    Text,
    Json,
    Csv,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExportFormat {
    Jsonl,
    Csv,
    /// The kept pages as WARC 1.1 (gzip per record), with the records as metadata.
    Warc,
}

/// A progress bar on stderr with counts, rate and ETA, when stderr is a
/// terminal and not the journal; otherwise one that draws nothing (and the
/// total is not even counted).
fn progress(total: impl FnOnce() -> Option<u64>, what: &str) -> indicatif::ProgressBar {
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

/// A saved page, read up to the body cap a fetched page gets: `extract
/// /dev/zero` or a 1 GiB file is refused after `cap` bytes, not read whole.
fn read_page(page: &std::path::Path, cap: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(page)
        .and_then(|f| f.take(cap as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > cap {
        return Err(format!(
            "larger than {cap} bytes ([http] max_body_bytes): a fetched page this large would be abandoned too"
        ));
    }
    Ok(bytes)
}

/// A date argument, checked as typed (the zone is the config's, read later).
fn parse_when(s: &str) -> Result<String, String> {
    herald_archiver::config::TimeZone(chrono_tz::UTC)
        .utc_of(s)
        .map(|_| s.to_string())
        .map_err(|_| {
            format!(
                "{s:?}: write a date (2026-11-01) or a time (2026-11-01 09:30), read in [scheduler] timezone, or with an offset (2026-11-01T09:30:00+09:00)"
            )
        })
}

/// A date argument in the archive's UTC form, read in `[scheduler] timezone`
/// unless it carries an offset.
fn when(config: &Config, flag: &str, value: Option<String>) -> Result<Option<String>> {
    value
        .map(|v| config.scheduler.timezone.utc_of(&v))
        .transpose()
        .map_err(|e| anyhow::anyhow!("{flag} {e}"))
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
            // 2 for a config that cannot be used (as for bad usage), so a
            // script tells it from a run that failed.
            let bad_config = e.chain().any(|c| {
                c.downcast_ref::<herald_archiver::error::ConfigError>()
                    .is_some()
                    || matches!(
                        c.downcast_ref::<herald_archiver::error::Error>(),
                        Some(herald_archiver::error::Error::Config(_))
                    )
            });
            // 2 too when the archive cannot take writes at all (a full disk,
            // a lock held past busy_timeout), as README says: nothing was
            // lost, and a script can wait and run again.
            let no_writes = e.chain().any(|c| {
                let archive = c.downcast_ref::<herald_archiver::error::ArchiveError>().or(
                    match c.downcast_ref::<herald_archiver::error::Error>() {
                        Some(herald_archiver::error::Error::Archive(a)) => Some(a),
                        _ => None,
                    },
                );
                archive.is_some_and(|a| a.is_full_or_locked())
            });
            // A search query FTS5 cannot read is bad usage, as README says.
            let bad_query = e.chain().any(|c| {
                matches!(
                    c.downcast_ref::<herald_archiver::error::ArchiveError>(),
                    Some(herald_archiver::error::ArchiveError::BadQuery { .. })
                ) || matches!(
                    c.downcast_ref::<herald_archiver::error::Error>(),
                    Some(herald_archiver::error::Error::Archive(
                        herald_archiver::error::ArchiveError::BadQuery { .. }
                    ))
                )
            });
            if no_writes {
                eprintln!(
                    "the archive cannot take writes now: another program holds its write lock past [archive] busy_timeout (a sqlite3 shell in a transaction?) or its disk is full; nothing archived is lost: run again once that clears"
                );
            }
            if bad_config || no_writes || bad_query {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// `RUST_LOG` wins; else `default` (warnings for the one-shot commands,
/// which print their own summary on stdout). Under systemd (JOURNAL_STREAM
/// set) lines carry no colour and no timestamp: the journal adds its own.
fn init_logging(default: &str) {
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
fn in_archive(config: &Config, e: impl std::error::Error + Send + Sync + 'static) -> anyhow::Error {
    anyhow::Error::new(e).context(format!("archive {}", config.archive.path.display()))
}

fn load_config(explicit: Option<&Path>) -> Result<Config> {
    let path = Config::locate(explicit)?;
    Ok(Config::load(&path)?)
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run => {}
        // crawl prints a summary line per section (and a shared cause once):
        // the crawl module's per-section log lines would say it all again.
        Command::Crawl { .. } => init_logging(
            "warn,herald_archiver::crawl=off,herald_archiver::crawl::article=warn,\
             herald_archiver::crawl::listing=warn,herald_archiver::crawl::revisit=warn,\
             herald_archiver::crawl::health=warn",
        ),
        _ => init_logging("warn"),
    }
    match cli.command {
        Command::Crawl {
            revisit,
            pages,
            sections,
            force,
            wait,
            urls,
        } => {
            let config = load_config(cli.config.as_deref())?;
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
                        eprintln!(
                            "error: --url {u}: not an article address of the configured site"
                        );
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
            let since = when(&config, "--since", since)?;
            let until = when(&config, "--until", until)?;
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
            let hits = archive.search(&search, marks).map_err(|e| match e {
                ArchiveError::BadQuery { .. } => anyhow::Error::from(e),
                other => in_archive(&config, other),
            })?;
            output::search_hits(&hits, format, &query, config.scheduler.timezone.0)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            format,
            since,
            section,
        } => {
            let config = load_config(cli.config.as_deref())?;
            let since = when(&config, "--since", since)?;
            let archive = Archive::open_readonly(&config.archive.path)?;
            let (since, section) = (since.as_deref(), section.as_deref());
            let warc = matches!(format, ExportFormat::Warc);
            let what = if warc {
                "kept pages as WARC"
            } else {
                "articles"
            };
            // Counted only when a bar is drawn.
            let bar = progress(
                || {
                    if warc {
                        archive.warc_count(since, section).ok()
                    } else {
                        archive.export_count(since, section).ok()
                    }
                },
                "exporting",
            );
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut tick = || bar.inc(1);
            let exported = match format {
                ExportFormat::Warc => archive.export_warc(since, section, &mut out, &mut tick),
                ExportFormat::Jsonl => {
                    archive.export_with(Format::Jsonl, since, section, &mut out, &mut tick)
                }
                ExportFormat::Csv => {
                    archive.export_with(Format::Csv, since, section, &mut out, &mut tick)
                }
            };
            bar.finish_and_clear();
            match exported {
                Ok(n) => eprintln!("exported {n} {what}"),
                Err(ExportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(in_archive(&config, e)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { path } => {
            let config = load_config(cli.config.as_deref())?;
            let archive = Archive::open_readonly(&config.archive.path)?;
            archive.backup(&path).map_err(|e| in_archive(&config, e))?;
            println!(
                "backed up {} to {}",
                config.archive.path.display(),
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract {
            pages,
            urls,
            generic,
            explain,
        } => {
            anyhow::ensure!(
                urls.is_empty() || urls.len() == pages.len(),
                "give one --url per page, in the same order ({} pages, {} addresses)",
                pages.len(),
                urls.len()
            );
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
            let mut unreadable = false;
            // Web addresses of the site are fetched as a crawl would.
            let mut web: Option<(tokio::runtime::Runtime, PoliteClient)> = None;
            for (i, page) in pages.iter().enumerate() {
                let error = |why: String| serde_json::json!({"page": page, "error": why});
                let address = page
                    .to_str()
                    .filter(|p| p.starts_with("https://") || p.starts_with("http://"))
                    .and_then(|p| Url::parse(p).ok());
                let (html, given) = if let Some(address) = address {
                    if web.is_none() {
                        let config = match &config {
                            Some(c) => c.clone(),
                            None => Config::parse(&format!(
                                "[site]\nbase_url = \"{}\"\n[archive]\npath = \"unused.db\"\n\
                                 [[section]]\nname = \"x\"\npath = \"/x\"\nschedule = \"0 * * * *\"\n",
                                herald_archiver::site::urls::PUBLIC_ORIGIN
                            ))
                            .map_err(|e| anyhow::anyhow!(e))?,
                        };
                        web = Some((runtime()?, PoliteClient::new(&config)?));
                    }
                    let Some((rt, client)) = web.as_mut() else {
                        continue;
                    };
                    match rt.block_on(client.get(&address)) {
                        Ok((public, body)) => (body, Some(public)),
                        Err(e) => {
                            eprintln!("{address}: {e}");
                            writeln!(out, "{}", error(e))?;
                            unreadable = true;
                            continue;
                        }
                    }
                } else {
                    let cap = config.as_ref().map_or(
                        herald_archiver::config::HttpConfig::default().max_body_bytes,
                        |c| c.http.max_body_bytes,
                    );
                    let bytes = match read_page(page, cap) {
                        Ok(b) => b,
                        Err(e) => {
                            eprintln!("{}: {e}", page.display());
                            writeln!(out, "{}", error(e))?;
                            unreadable = true;
                            continue;
                        }
                    };
                    // A saved page has no header: its <meta charset> (else UTF-8) decides.
                    let html = herald_archiver::fetch::decode(&bytes, "");
                    let given = urls
                        .get(i)
                        .cloned()
                        .or_else(|| address_from_file_name(page));
                    (html, given)
                };
                if explain {
                    let hints = extract::Hints {
                        given: given.as_ref(),
                        ..extract::Hints::default()
                    };
                    let (_, explanation) = extract::explain(&html, &profile, &site, &hints);
                    writeln!(out, "== {}", page.display())?;
                    write!(out, "{explanation}")?;
                    continue;
                }
                let extracted = if generic {
                    extract::generic_record(&html, given.as_ref(), &profile, &site)
                } else {
                    extract::article(&html, given.as_ref(), &profile, &site)
                };
                match extracted {
                    Ok(record) => writeln!(out, "{}", serde_json::to_string(&record)?)?,
                    Err(e) => {
                        eprintln!("{}: {e}", page.display());
                        writeln!(out, "{}", error(e.to_string()))?;
                    }
                }
            }
            Ok(if unreadable {
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
            let runtime = runtime()?;
            let result = runtime.block_on(herald_archiver::daemon::run(path, config));
            // An extraction still running on a blocking thread is not waited
            // for: its link stays in the backlog for the next start.
            runtime.shutdown_timeout(std::time::Duration::from_millis(200));
            result?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reextract { since, section } => {
            let config = load_config(cli.config.as_deref())?;
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
        Command::Status => {
            let config = load_config(cli.config.as_deref())?;
            output::status(&config)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckConfig => {
            let path = Config::locate(cli.config.as_deref())?;
            let config = Config::load(&path)?;
            output::check_config(&path, &config)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Pending { json, section } => {
            let config = load_config(cli.config.as_deref())?;
            let archive = Archive::open_readonly(&config.archive.path)?;
            let links = archive
                .pending_links(section.as_deref())
                .map_err(|e| in_archive(&config, e))?;
            output::pending(&links, json, &config)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Retry { all, section, urls } => {
            let config = load_config(cli.config.as_deref())?;
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
            let now = herald_archiver::extract::text::format_utc(&chrono::Utc::now());
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
        Command::Datasette => {
            let config = load_config(cli.config.as_deref())?;
            let name = config
                .archive
                .path
                .file_stem()
                .and_then(|s| s.to_str())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "[archive] path {} has no file name",
                        config.archive.path.display()
                    )
                })?
                .to_string();
            // datasette/metadata.json is written for a file named archive.db;
            // Datasette applies a database's metadata by the file's stem.
            let mut meta: serde_json::Value =
                serde_json::from_str(include_str!("../../../datasette/metadata.json"))
                    .context("the built-in Datasette metadata")?;
            if let Some(dbs) = meta.get_mut("databases").and_then(|d| d.as_object_mut()) {
                if let Some(archive) = dbs.remove("archive") {
                    dbs.insert(name, archive);
                }
            }
            println!("{}", serde_json::to_string_pretty(&meta)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "herald-archiver", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { dir } => {
            let cmd = <Cli as clap::CommandFactory>::command();
            match dir {
                Some(dir) => {
                    std::fs::create_dir_all(&dir)
                        .and_then(|()| clap_mangen::generate_to(cmd, &dir))
                        .with_context(|| format!("writing the man pages into {}", dir.display()))?;
                    println!("man pages written to {}", dir.display());
                }
                None => clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckSite { sections } => {
            let config = load_config(cli.config.as_deref())?;
            for name in &sections {
                anyhow::ensure!(
                    config.section(name).is_some(),
                    "no section named {name:?} in the config"
                );
            }
            let runtime = runtime()?;
            let checked =
                runtime.block_on(herald_archiver::check_site::check_site(&config, &sections))?;
            print!("{checked}");
            Ok(ExitCode::from(checked.verdict().exit_code()))
        }
    }
}

/// `crawl`: one pass over the sections. SIGTERM or SIGINT stops it between
/// links; what it did not reach stays in the backlog for the next run.
async fn crawl_once(
    config: Config,
    opts: CrawlOptions,
    addresses: Vec<Url>,
    wait: bool,
) -> Result<ExitCode> {
    use tokio::signal::unix::{signal, SignalKind};
    let writer = herald_archiver::daemon::start_writer(&config, "crawl", wait).await?;
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

/// An address for a saved page that names none: `10915012.html` is that
/// article of the site; any other file gets its file:// address.
fn address_from_file_name(page: &Path) -> Option<Url> {
    let stem = page.file_stem()?.to_str()?;
    if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()) {
        return Url::parse(&format!(
            "{}/article/{stem}",
            herald_archiver::site::urls::PUBLIC_ORIGIN
        ))
        .ok();
    }
    let absolute = std::path::absolute(page).ok()?;
    Url::from_file_path(absolute).ok()
}

/// The async runtime. Its blocking threads parse pages, so they get the
/// stack of a main thread (8 MiB) rather than tokio's 2 MiB: deeply nested
/// markup must not overflow it.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 << 20)
        .build()
        .context("starting the async runtime")
}
