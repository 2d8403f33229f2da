//! The command line's definition: commands, their arguments and help, and
//! the exit statuses, from which `--help`, the man pages and the completions
//! are generated.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use url::Url;

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
pub(crate) struct Cli {
    /// Config file (default: $HERALD_ARCHIVER_CONFIG, ./config/herald.toml, /etc/herald-archiver/config.toml)
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Crawl every configured section once, print one line per section, exit.
    Crawl(CrawlArgs),
    /// Full-text search of the archive (FTS5 syntax: "phrase", prefix*, NEAR, title:word).
    Search(SearchArgs),
    /// Write the archive's articles as JSON lines or CSV, or its kept pages
    /// as WARC, in constant memory.
    Export(ExportArgs),
    /// A consistent copy of the archive, safe while the daemon writes.
    Backup(BackupArgs),
    /// Print the clean record of saved article pages, one JSON object per
    /// line in the order given; a page that is no article gives a line
    /// {"page": ..., "error": ...}. A page may also be an address of the
    /// configured site (https://...), fetched as a crawl would (robots.txt,
    /// user agent, pacing). Exit status 1 only when a page cannot be read.
    Extract(ExtractArgs),
    /// Validate the config and show each section's next three runs.
    CheckConfig,
    /// List the links waiting for a retry, held back (the page read as no
    /// article or too short) or given up, with reason, attempts and next try.
    Pending(PendingArgs),
    /// Put given-up and held-back links back in the queue, due now with
    /// their attempts reset; the next crawl or daemon run fetches them.
    Retry(RetryArgs),
    /// Print Datasette metadata (canned queries, facets, full-text search)
    /// for the configured archive, keyed by its database name (the file's
    /// stem), so it applies whatever the file is called:
    /// `herald-archiver datasette > meta.json; datasette serve ARCHIVE --metadata meta.json`.
    Datasette,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the man page (roff), generated from this command line; with
    /// --dir, write it and one page per command (herald-archiver-crawl.1 ...)
    /// into DIR.
    Man(ManArgs),
    /// Check the built-in rules against the live site without touching the
    /// archive: robots.txt, each section's first list page and the first
    /// article it links, through the crawl's polite client; per section the
    /// links found and, per field, the layer and rule that gave it. Exit
    /// status 0 when the selectors fit, 3 when fallbacks are in use, 4 when
    /// nothing could be extracted, 5 when the site did not answer.
    CheckSite(CheckSiteArgs),
    /// Run as a daemon: crawl each section on its schedule until SIGTERM;
    /// SIGHUP reloads the config.
    Run,
    /// Show each section's schedule, next and last run, and the archive's size.
    Status,
    /// Re-run extraction with the current selectors over the pages kept with
    /// each archived article; a changed record becomes a new revision.
    Reextract(ReextractArgs),
}

#[derive(clap::Args)]
pub(crate) struct CrawlArgs {
    /// Re-check every young archived article now (see [revisit]).
    #[arg(long)]
    pub(crate) revisit: bool,
    /// Read this many list pages per section (backfill history).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) pages: Option<u32>,
    /// Crawl only this section (repeatable).
    #[arg(long = "section", value_name = "NAME")]
    pub(crate) sections: Vec<String>,
    /// Crawl sections that are backing off after failed runs too.
    #[arg(long)]
    pub(crate) force: bool,
    /// When another process is writing the archive (the daemon, another
    /// crawl), wait for it to finish instead of refusing.
    #[arg(long)]
    pub(crate) wait: bool,
    /// Fetch and archive this article now, instead of reading the
    /// sections' lists (repeatable; any address form of the site).
    #[arg(long = "url", value_name = "ADDRESS", conflicts_with_all = ["pages", "sections", "revisit"])]
    pub(crate) urls: Vec<Url>,
}

#[derive(clap::Args)]
pub(crate) struct SearchArgs {
    pub(crate) query: String,
    /// One JSON object per line (same as --format json).
    #[arg(long)]
    pub(crate) json: bool,
    /// text (highlighted on a terminal), json (one object per line) or csv.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) format: OutputFormat,
    /// Matches shown, 1 to 10000.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) limit: u32,
    /// Only articles of this section (e.g. National).
    #[arg(long)]
    pub(crate) section: Option<String>,
    /// Only articles with this author.
    #[arg(long)]
    pub(crate) author: Option<String>,
    /// Only articles published on or after this date (2026-11-01) or time
    /// (2026-11-01 09:30), read in [scheduler] timezone unless it has an offset.
    #[arg(long, value_name = "DATE", value_parser = parse_when)]
    pub(crate) since: Option<String>,
    /// Only articles published before this date or time (read likewise).
    #[arg(long, value_name = "DATE", value_parser = parse_when)]
    pub(crate) until: Option<String>,
}

#[derive(clap::Args)]
pub(crate) struct ExportArgs {
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub(crate) format: ExportFormat,
    #[arg(long, value_name = "DATE", value_parser = parse_when)]
    pub(crate) since: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub(crate) section: Option<String>,
}

#[derive(clap::Args)]
pub(crate) struct BackupArgs {
    pub(crate) path: PathBuf,
}

#[derive(clap::Args)]
pub(crate) struct ExtractArgs {
    #[arg(required = true, value_name = "PAGE.html|URL")]
    pub(crate) pages: Vec<PathBuf>,
    /// The page's address, when it does not name its canonical one: one
    /// --url per page, in the pages' order. Without it: the page's own
    /// canonical address, else one made from the file name
    /// (`10915012.html` is article 10915012; others get a file:// address).
    #[arg(long = "url", value_name = "URL")]
    pub(crate) urls: Vec<Url>,
    /// Only the generic main-content layer, without the Herald rules.
    #[arg(long)]
    pub(crate) generic: bool,
    /// Instead of the record, show for each field every source tried
    /// (layer and selector or rule), what each gave, and which was kept.
    #[arg(long, conflicts_with = "generic")]
    pub(crate) explain: bool,
}

#[derive(clap::Args)]
pub(crate) struct PendingArgs {
    /// One JSON object per line.
    #[arg(long)]
    pub(crate) json: bool,
    #[arg(long, value_name = "NAME")]
    pub(crate) section: Option<String>,
}

#[derive(clap::Args)]
pub(crate) struct RetryArgs {
    /// Every given-up and held-back link.
    #[arg(long, conflicts_with_all = ["section", "urls"])]
    pub(crate) all: bool,
    /// Those of one section.
    #[arg(long, value_name = "NAME", conflicts_with = "urls")]
    pub(crate) section: Option<String>,
    /// These links (any address form of the site), whatever their state.
    #[arg(value_name = "URL")]
    pub(crate) urls: Vec<Url>,
}

#[derive(clap::Args)]
pub(crate) struct CompletionsArgs {
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(clap::Args)]
pub(crate) struct ManArgs {
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

#[derive(clap::Args)]
pub(crate) struct CheckSiteArgs {
    /// Only this section (repeatable).
    #[arg(long = "section", value_name = "NAME")]
    pub(crate) sections: Vec<String>,
}

#[derive(clap::Args)]
pub(crate) struct ReextractArgs {
    /// Only articles published since this date (2026-11-01) or time, read
    /// in [scheduler] timezone unless it has an offset.
    #[arg(long, value_name = "DATE", value_parser = parse_when)]
    pub(crate) since: Option<String>,
    /// Only articles of this section (the articles' section, e.g. National).
    #[arg(long, value_name = "NAME")]
    pub(crate) section: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    Text,
    Json,
    Csv,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    Jsonl,
    Csv,
    /// The kept pages as WARC 1.1 (gzip per record), with the records as metadata.
    Warc,
}

/// A date argument, checked as typed (the zone is the config's, read later).
pub(crate) fn parse_when(s: &str) -> Result<String, String> {
    herald_archiver::config::TimeZone(chrono_tz::UTC)
        .utc_of(s)
        .map(|_| s.to_string())
        .map_err(|_| {
            format!(
                "{s:?}: write a date (2026-11-01) or a time (2026-11-01 09:30), read in [scheduler] timezone, or with an offset (2026-11-01T09:30:00+09:00)"
            )
        })
}
