//! The TOML config: parsed and validated in one pass, so that every error,
//! a bad cron expression or selector included, names its line and key.

mod problems;
mod schedule;
mod values;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::ConfigError;
use crate::site::profile::SelectorOverrides;

pub use problems::Problem;
pub use schedule::Schedule;
pub use values::{
    BaseUrl, Concurrency, Dur, FeedPath, LogLevel, NearBits, Pagination, SectionPath, TimeZone,
};

/// Where the binary looks for its config when `--config` is not given.
pub const ENV_VAR: &str = "HERALD_ARCHIVER_CONFIG";
pub const DEFAULT_PATHS: [&str; 2] = ["config/herald.toml", "/etc/herald-archiver/config.toml"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub site: SiteConfig,
    pub archive: ArchiveConfig,
    #[serde(default)]
    pub http: HttpConfig,
    #[serde(default)]
    pub scheduler: SchedulerConfig,
    #[serde(default)]
    pub daemon: DaemonConfig,
    #[serde(default)]
    pub revisit: RevisitConfig,
    #[serde(default)]
    pub retry: RetryConfig,
    #[serde(default)]
    pub extract: ExtractConfig,
    #[serde(rename = "section", default)]
    pub sections: Vec<SectionConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Where requests go: the live site, a mirror or a test server. Records
    /// always carry the public www.koreaherald.com address whatever this is.
    pub base_url: BaseUrl,
    /// How page N of a section list is addressed; `{path}` and `{page}` are replaced.
    #[serde(default = "default_pagination")]
    pub pagination: Pagination,
    /// A run goes past a section's `pages` while every link on a page is new, up to this.
    #[serde(
        default = "default_max_pages",
        deserialize_with = "values::ranges::max_pages"
    )]
    pub max_pages: u32,
    /// Article links one list page or feed may give; a page with more is
    /// refused as hostile (the run fails saying so, nothing of it is taken
    /// and its validators are not kept). A real list gives tens; a sitemap
    /// up to 50,000.
    #[serde(
        default = "default_max_links_per_page",
        deserialize_with = "values::ranges::max_links_per_page"
    )]
    pub max_links_per_page: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveConfig {
    /// Relative paths resolve against the working directory.
    #[serde(deserialize_with = "values::ranges::archive_path")]
    pub path: PathBuf,
    /// Keep each fetched page (zstd) with its revision, for `reextract`.
    #[serde(default = "yes")]
    pub keep_pages: bool,
    /// Link a new article to an earlier one whose body's SimHash is at most
    /// this many bits away (0 turns it off; at most 7; by default 6: a
    /// sentence reworded in a short story moves about that many bits).
    #[serde(default = "default_near_bits")]
    pub near_duplicate_bits: NearBits,
    /// The daemon optimises the full-text index, refreshes query statistics
    /// and truncates the WAL this often.
    #[serde(
        default = "default_maintenance",
        deserialize_with = "values::ranges::maintenance_every"
    )]
    pub maintenance_every: Dur,
    /// The daemon checkpoints the WAL this often, so it stays small even
    /// while readers come and go.
    #[serde(
        default = "default_checkpoint",
        deserialize_with = "values::ranges::checkpoint_every"
    )]
    pub checkpoint_every: Dur,
    /// How long a write waits for another process's lock before the archive
    /// reports it locked.
    #[serde(
        default = "default_busy_timeout",
        deserialize_with = "values::ranges::busy_timeout"
    )]
    pub busy_timeout: Dur,
}

fn default_maintenance() -> Dur {
    Dur(Duration::from_secs(24 * 3600))
}

fn default_checkpoint() -> Dur {
    Dur(Duration::from_secs(10 * 60))
}

fn default_busy_timeout() -> Dur {
    Dur(Duration::from_secs(10))
}

fn yes() -> bool {
    true
}

fn default_near_bits() -> NearBits {
    NearBits(6)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    #[serde(deserialize_with = "values::ranges::user_agent")]
    pub user_agent: String,
    /// The whole request, body included.
    #[serde(deserialize_with = "values::ranges::timeout")]
    pub timeout: Dur,
    #[serde(deserialize_with = "values::ranges::timeout")]
    pub connect_timeout: Dur,
    /// Longest wait for the next bytes of a response.
    #[serde(deserialize_with = "values::ranges::timeout")]
    pub read_timeout: Dur,
    /// Requests in flight at once, across every section running.
    pub concurrency: Concurrency,
    /// Pause between two requests to the site; robots.txt's Crawl-delay wins when larger.
    #[serde(deserialize_with = "values::ranges::min_delay")]
    pub min_delay: Dur,
    /// Larger bodies are abandoned while streaming.
    #[serde(deserialize_with = "values::ranges::max_body_bytes")]
    pub max_body_bytes: usize,
    /// Redirects followed per request (only to the site's own hosts).
    #[serde(deserialize_with = "values::ranges::max_redirects")]
    pub max_redirects: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            user_agent: concat!(
                "herald-archiver/",
                env!("CARGO_PKG_VERSION"),
                " (+https://github.com/herald-archiver/herald-archiver)"
            )
            .to_string(),
            timeout: Dur(Duration::from_secs(30)),
            connect_timeout: Dur(Duration::from_secs(10)),
            read_timeout: Dur(Duration::from_secs(20)),
            concurrency: Concurrency(2),
            min_delay: Dur(Duration::from_secs(1)),
            max_body_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerConfig {
    /// Zone the cron expressions are read in.
    pub timezone: TimeZone,
    /// Section runs going on at once, across all sections.
    pub max_concurrent_runs: Concurrency,
    /// A section that missed its schedule while the daemon was down runs
    /// once at start, after a random delay up to this.
    #[serde(deserialize_with = "values::ranges::catch_up_delay")]
    pub catch_up_delay: Dur,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            timezone: TimeZone(chrono_tz::Asia::Seoul),
            max_concurrent_runs: Concurrency(2),
            catch_up_delay: Dur(Duration::from_secs(30)),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// How long runs in progress may take to finish their article at shutdown.
    #[serde(deserialize_with = "values::ranges::grace_period")]
    pub grace_period: Dur,
    /// Serve Prometheus metrics and /healthz here (off when unset).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Log level when RUST_LOG is not set: error, warn, info, debug, trace.
    pub log_level: LogLevel,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            grace_period: Dur(Duration::from_secs(10)),
            metrics_addr: None,
            log_level: LogLevel("info".into()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RevisitConfig {
    /// Articles published this recently are re-checked for edits.
    #[serde(deserialize_with = "values::ranges::revisit_window")]
    pub window: Dur,
    /// An article is re-checked at most this often.
    #[serde(deserialize_with = "values::ranges::revisit_interval")]
    pub interval: Dur,
}

impl Default for RevisitConfig {
    fn default() -> Self {
        RevisitConfig {
            window: Dur(Duration::from_secs(48 * 3600)),
            interval: Dur(Duration::from_secs(6 * 3600)),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Tries per request when the connection fails, times out, or the server
    /// answers 5xx, 408 or 429.
    #[serde(deserialize_with = "values::ranges::attempts")]
    pub attempts: u32,
    /// First wait between tries; it doubles each time, with jitter.
    #[serde(deserialize_with = "values::ranges::retry_delay")]
    pub base_delay: Dur,
    /// Longest wait between tries, `Retry-After` included.
    #[serde(deserialize_with = "values::ranges::retry_delay")]
    pub max_delay: Dur,
    /// Runs that retry a link that could not be archived before it is marked failed.
    #[serde(deserialize_with = "values::ranges::pending_attempts")]
    pub pending_attempts: u32,
    /// Wait before a failed link is tried again; it doubles with each failure, up to a week.
    #[serde(deserialize_with = "values::ranges::pending_delay")]
    pub pending_delay: Dur,
    /// Failed runs in a row that read nothing (no list page or feed
    /// answered) before a section backs off.
    #[serde(deserialize_with = "values::ranges::section_failures")]
    pub section_failures: u32,
    /// First backoff of a failing section; it doubles with each further failure.
    #[serde(deserialize_with = "values::ranges::section_backoff")]
    pub section_backoff: Dur,
    #[serde(deserialize_with = "values::ranges::section_backoff")]
    pub section_backoff_max: Dur,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            attempts: 3,
            base_delay: Dur(Duration::from_secs(1)),
            max_delay: Dur(Duration::from_secs(30)),
            pending_attempts: 8,
            pending_delay: Dur(Duration::from_secs(3600)),
            section_failures: 3,
            section_backoff: Dur(Duration::from_secs(30 * 60)),
            section_backoff_max: Dur(Duration::from_secs(12 * 3600)),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExtractConfig {
    /// Replaces the built-in selectors of the named fields.
    pub selectors: SelectorOverrides,
    /// A body shorter than this (in characters) is held back, not archived.
    pub min_body_chars: usize,
    /// Share of a run's articles that needed a fallback layer, had no date or
    /// a short body, above which the run warns that the site changed.
    pub drift_threshold: f64,
    /// Fewest articles in a run before the share counts.
    pub drift_min_articles: u32,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig {
            selectors: SelectorOverrides::default(),
            min_body_chars: 150,
            drift_threshold: 0.5,
            drift_min_articles: 3,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionConfig {
    pub name: String,
    /// Its list page (page 1 of its list). A section may have none and be
    /// read through its feeds alone (an all-sections feed such as
    /// `/rss/newsAll`, whose articles then get no section from the crawl).
    #[serde(default)]
    pub path: Option<SectionPath>,
    pub schedule: Schedule,
    #[serde(default = "default_pages", deserialize_with = "values::ranges::pages")]
    pub pages: u32,
    /// RSS or Atom feeds read on the same schedule: their articles are found
    /// even when the list pages stop giving links (a redesign) or a story
    /// leaves the first pages between two runs.
    #[serde(default)]
    pub feeds: Vec<FeedPath>,
    /// Each run starts after a random delay up to this, so runs do not hit
    /// the site on the exact minute.
    #[serde(default, deserialize_with = "values::ranges::jitter")]
    pub jitter: Option<Dur>,
}

fn default_pagination() -> Pagination {
    Pagination("{path}?page={page}".into())
}
fn default_max_pages() -> u32 {
    5
}
fn default_max_links_per_page() -> u32 {
    10_000
}
fn default_pages() -> u32 {
    1
}

/// A config file is a few KiB; past this it is not one (`/dev/zero`, a
/// database named by mistake) and is refused before it is read whole.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

fn read_capped(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let read_err = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes))
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_CONFIG_BYTES,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        read_err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (byte {}): a config file is TOML text",
                e.utf8_error().valid_up_to()
            ),
        ))
    })
}

impl Config {
    /// The config file to use: the explicit one, else `$HERALD_ARCHIVER_CONFIG`,
    /// else the first default path that exists.
    pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
        if let Some(p) = explicit {
            return Ok(p.to_path_buf());
        }
        if let Some(p) = std::env::var_os(ENV_VAR).filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(p));
        }
        DEFAULT_PATHS
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or_else(|| ConfigError::NotFound {
                tried: format!("${ENV_VAR}, {}", DEFAULT_PATHS.join(", ")),
            })
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = read_capped(path)?;
        problems::parse(&text).map_err(|problems| ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }

    /// Parses and validates; the error lists every problem, one per line,
    /// each naming its line and key.
    pub fn parse(text: &str) -> Result<Config, String> {
        problems::parse(text).map_err(|ps| {
            ps.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    pub fn section(&self, name: &str) -> Option<&SectionConfig> {
        self.sections.iter().find(|s| s.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[site]
base_url = "https://www.koreaherald.com"

[archive]
path = "archive.db"

[[section]]
name = "National"
path = "/National"
schedule = "*/15 * * * *"
"#;

    #[test]
    fn minimal_config_gets_defaults() {
        let c = Config::parse(MINIMAL).expect("valid");
        assert_eq!(c.sections.len(), 1);
        assert_eq!(c.sections[0].pages, 1);
        assert_eq!(c.site.max_pages, 5);
        assert_eq!(c.revisit.window.0, Duration::from_secs(48 * 3600));
        assert_eq!(c.sections[0].schedule.with_seconds(), "0 */15 * * * *");
        assert_eq!(c.scheduler.timezone.0, chrono_tz::Asia::Seoul);
        assert_eq!(c.archive.busy_timeout.0, Duration::from_secs(10));
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = MINIMAL.replace(
            "schedule = \"*/15 * * * *\"",
            "schedule = \"*/15 * * * *\"\nevery = 3",
        );
        let err = Config::parse(&text).unwrap_err();
        assert!(err.contains("every"), "{err}");
        assert!(err.contains("line 12"), "{err}");
    }

    #[test]
    fn every_setting_has_its_range_and_every_problem_is_in_the_first_report() {
        let text = r#"
[site]
base_url = "https://www.koreaherald.com"

[archive]
checkpoint_every = "0s"
colour = "blue"
path = ""
busy_timeout = "25d"

[http]
user_agent = "a\nb"

[retry]
pending_delay = "0s"
attempts = 1000000

[[section]]
name = "National"
path = "/National"
schedule = "0 0 31 2 *"
jitter = "400d"

[[section]]
name = "Business"
schedule = "61 * * * *"
"#;
        let err = Config::parse(text).unwrap_err();
        for (line, needle) in [
            (6, "archive.checkpoint_every: must be between 1s and 1d"),
            (7, "unknown field `colour`"),
            (8, "archive.path: path \"\" must name the archive's file"),
            (9, "archive.busy_timeout: must be between 1ms and 1h"),
            (12, "http.user_agent"),
            (15, "retry.pending_delay: must be between 1s and 30d"),
            (16, "retry.attempts: must be between 1 and 20"),
            (21, "never fires"),
            (22, "section[1].jitter: too long: at most 1d"),
            (26, "invalid schedule"),
            // Needs the whole file: found although line 26 was wrong too.
            (25, "neither a `path`"),
        ] {
            assert!(
                err.lines()
                    .any(|l| l.contains(&format!("line {line}")) && l.contains(needle)),
                "line {line} {needle:?} missing from:\n{err}"
            );
        }
    }

    #[test]
    fn a_config_file_past_the_cap_is_refused_without_reading_it_whole() {
        // /dev/zero never ends: read whole, it filled memory.
        let err = Config::load(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("larger than 1048576 bytes"), "{err}");
    }

    #[test]
    fn bad_cron_names_line() {
        let text = MINIMAL.replace("*/15 * * * *", "*/15 * * *");
        let err = Config::parse(&text).unwrap_err();
        assert!(err.contains("4 fields") && err.contains("line 11"), "{err}");
        let text = MINIMAL.replace("*/15 * * * *", "61 * * * *");
        let err = Config::parse(&text).unwrap_err();
        assert!(err.contains("invalid schedule"), "{err}");
    }

    #[test]
    fn bad_values_are_rejected_with_a_hint() {
        for (from, to, needle) in [
            ("\"archive.db\"", "\"archive.db\"\nx = 1", "unknown field"),
            ("https://www.koreaherald.com", "ftp://x", "http or https"),
            ("\"/National\"", "\"National\"", "must start with '/'"),
        ] {
            let err = Config::parse(&MINIMAL.replace(from, to)).unwrap_err();
            assert!(err.contains(needle), "{from} -> {to}: {err}");
        }
        let dup = format!("{MINIMAL}\n[[section]]\nname = \"National\"\npath = \"/X\"\nschedule = \"0 * * * *\"\n");
        assert!(Config::parse(&dup).unwrap_err().contains("used twice"));
        let dur = format!("{MINIMAL}\n[revisit]\nwindow = \"two days\"\n");
        assert!(Config::parse(&dur)
            .unwrap_err()
            .contains("invalid duration"));
    }
}
