//! The config's small value types. Each checks itself as it is read, so a
//! bad value fails with the key and line toml reports.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use url::Url;

/// A `Duration` written as humantime text: "48h", "90s", "1h 30m".
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Dur(pub Duration);

impl fmt::Debug for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s).map(Dur).map_err(|e| {
            serde::de::Error::custom(format!(
                "invalid duration {s:?}: {e} (write e.g. \"90s\", \"15m\", \"48h\")"
            ))
        })
    }
}

/// A duration read from `d` that must lie in `min..=max`: every duration
/// setting has its range, so a value that parses but cannot work (a zero
/// timeout, a busy timeout past SQLite's 24 days, a jitter of a year) is
/// refused with its line, not found by a panic or a run that never starts.
fn dur_in<'de, D: Deserializer<'de>>(d: D, min: Duration, max: Duration) -> Result<Dur, D::Error> {
    let v = Dur::deserialize(d)?;
    if v.0 < min || v.0 > max {
        // Whole days as days: humantime writes 3650d as "9years 11months...".
        let show = |x: Duration| match x.as_secs() {
            s if s >= DAY && s % DAY == 0 => format!("{}d", s / DAY),
            _ => humantime::format_duration(x).to_string(),
        };
        return Err(serde::de::Error::custom(if min.is_zero() {
            format!("too long: at most {}, not {v:?}", show(max))
        } else {
            format!("must be between {} and {}, not {v:?}", show(min), show(max))
        }));
    }
    Ok(v)
}

const SECOND: u64 = 1;
const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

macro_rules! dur_ranges {
    ($($name:ident: $min:expr, $max:expr;)*) => {$(
        pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<Dur, D::Error> {
            dur_in(d, $min, $max)
        }
    )*};
}

/// The range of each duration setting, named for it (README lists them).
pub mod ranges {
    use super::*;
    const fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }
    const MS: Duration = Duration::from_millis(1);
    dur_ranges! {
        busy_timeout: MS, s(HOUR);
        checkpoint_every: s(SECOND), s(DAY);
        maintenance_every: s(MINUTE), s(30 * DAY);
        timeout: MS, s(HOUR);
        min_delay: Duration::ZERO, s(HOUR);
        catch_up_delay: Duration::ZERO, s(DAY);
        grace_period: Duration::ZERO, s(HOUR);
        revisit_window: Duration::ZERO, s(36500 * DAY);
        revisit_interval: s(MINUTE), s(3650 * DAY);
        retry_delay: Duration::ZERO, s(DAY);
        pending_delay: s(SECOND), s(30 * DAY);
        section_backoff: s(SECOND), s(30 * DAY);
        jitter_dur: Duration::ZERO, s(DAY);
    }

    /// A section's jitter: at most a day (a run must start before the next).
    pub fn jitter<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Dur>, D::Error> {
        jitter_dur(d).map(Some)
    }

    /// A whole number in `min..=max`.
    fn u32_in<'de, D: Deserializer<'de>>(d: D, min: u32, max: u32) -> Result<u32, D::Error> {
        let n = u32::deserialize(d)?;
        if (min..=max).contains(&n) {
            Ok(n)
        } else {
            Err(serde::de::Error::custom(format!(
                "must be between {min} and {max}, not {n}"
            )))
        }
    }

    macro_rules! u32_ranges {
        ($($name:ident: $min:expr, $max:expr;)*) => {$(
            pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
                u32_in(d, $min, $max)
            }
        )*};
    }

    u32_ranges! {
        max_pages: 1, 1000;
        pages: 1, 1000;
        attempts: 1, 20;
        pending_attempts: 1, 1000;
        section_failures: 1, 1000;
        max_redirects: 0, 20;
        max_links_per_page: 1, 1_000_000;
    }

    /// Bytes in `1 KiB..=1 GiB`.
    pub fn max_body_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        let n = usize::deserialize(d)?;
        if (1024..=1 << 30).contains(&n) {
            Ok(n)
        } else {
            Err(serde::de::Error::custom(format!(
                "must be between 1024 (1 KiB) and 1073741824 (1 GiB), not {n}"
            )))
        }
    }

    /// What goes in the User-Agent header: printable, on one line.
    pub fn user_agent<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() || s.len() > 512 || s.chars().any(|c| c.is_control()) {
            return Err(serde::de::Error::custom(format!(
                "user_agent {s:?} must be printable text on one line, 1 to 512 bytes (it is sent as an HTTP header)"
            )));
        }
        Ok(s)
    }

    /// The archive's file: a path, not empty, not a directory name.
    pub fn archive_path<'de, D: Deserializer<'de>>(d: D) -> Result<std::path::PathBuf, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() || s.ends_with('/') || s.chars().any(|c| c.is_control()) {
            return Err(serde::de::Error::custom(format!(
                "path {s:?} must name the archive's file, e.g. \"/var/lib/herald-archiver/archive.db\""
            )));
        }
        Ok(std::path::PathBuf::from(s))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concurrency(pub usize);

impl<'de> Deserialize<'de> for Concurrency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = usize::deserialize(d)?;
        if (1..=64).contains(&n) {
            Ok(Concurrency(n))
        } else {
            Err(serde::de::Error::custom(format!(
                "must be between 1 and 64, not {n}"
            )))
        }
    }
}

/// The http(s) root every request goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(pub Url);

impl<'de> Deserialize<'de> for BaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let url = Url::parse(&s)
            .map_err(|e| serde::de::Error::custom(format!("invalid base_url {s:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(serde::de::Error::custom(format!(
                "base_url {s:?} must be an http or https address with a host"
            )));
        }
        Ok(BaseUrl(url))
    }
}

/// A section's path on the site, e.g. `/National/Politics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionPath(pub String);

impl<'de> Deserialize<'de> for SectionPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        site_path(d, "section path", "/National").map(SectionPath)
    }
}

/// A path on the site (not an address of another), for `what`.
fn site_path<'de, D: Deserializer<'de>>(
    d: D,
    what: &str,
    example: &str,
) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if !s.starts_with('/') || s.contains("://") || s.chars().any(char::is_whitespace) {
        return Err(serde::de::Error::custom(format!(
            "{what} {s:?} must start with '/' and be a path on the site, e.g. \"{example}\""
        )));
    }
    Ok(s)
}

/// A feed's path on the site (`/rss/kh_National`), read like a list page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPath(pub String);

impl<'de> Deserialize<'de> for FeedPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        site_path(d, "feed path", "/rss/kh_National").map(FeedPath)
    }
}

/// The address pattern of list page N.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pagination(pub String);

impl Pagination {
    /// Page 1 is the section path itself.
    pub fn page_path(&self, path: &str, page: u32) -> String {
        if page <= 1 {
            path.to_string()
        } else {
            self.0
                .replace("{path}", path)
                .replace("{page}", &page.to_string())
        }
    }
}

impl<'de> Deserialize<'de> for Pagination {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if !s.contains("{path}") || !s.contains("{page}") {
            return Err(serde::de::Error::custom(format!(
                "pagination {s:?} must contain {{path}} and {{page}}, e.g. \"{{path}}?page={{page}}\""
            )));
        }
        Ok(Pagination(s))
    }
}

/// An IANA time zone name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl TimeZone {
    /// A date or time a user typed, as the archive's UTC text: with an
    /// offset (`2026-11-01T09:00:00+09:00`, `...Z`) as it says, else read
    /// in this zone (`2026-11-01` is its midnight, `2026-11-01 09:30` its
    /// clock). The one reading of every `--since`/`--until`.
    pub fn utc_of(&self, s: &str) -> Result<String, String> {
        use chrono::{NaiveDate, NaiveDateTime, TimeZone as _};
        let s = s.trim();
        let utc = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
            return Ok(utc(t.with_timezone(&chrono::Utc)));
        }
        let local = NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .or_else(|| {
                ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
                    .iter()
                    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
            })
            .ok_or_else(|| {
                format!(
                    "{s:?}: write a date (2026-11-01) or a time (2026-11-01 09:30), read in {}, or with an offset (2026-11-01T09:30:00+09:00)",
                    self.0
                )
            })?;
        self.0
            .from_local_datetime(&local)
            .earliest()
            .map(|t| utc(t.with_timezone(&chrono::Utc)))
            .ok_or_else(|| format!("{s:?} does not exist in {}", self.0))
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let tz = s.parse::<chrono_tz::Tz>().map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown time zone {s:?}: use an IANA name such as \"Asia/Seoul\""
            ))
        })?;
        if has_dst(tz) {
            return Err(serde::de::Error::custom(format!(
                "time zone {s:?} has daylight saving time, which the scheduler does not follow \
                 (it fixes the UTC offset when a schedule is loaded): use a zone without it, \
                 such as \"Asia/Seoul\" or \"UTC\", and write the schedule in that zone"
            )));
        }
        Ok(TimeZone(tz))
    }
}

/// Whether the zone's UTC offset changes in the course of this year or the next.
fn has_dst(tz: chrono_tz::Tz) -> bool {
    use chrono::{Datelike, Offset, TimeZone as _};
    let year = chrono::Utc::now().year();
    let offsets: Vec<i32> = (year..=year + 1)
        .flat_map(|y| (1..=12).map(move |m| (y, m)))
        .filter_map(|(y, m)| chrono::NaiveDate::from_ymd_opt(y, m, 1))
        .filter_map(|d| d.and_hms_opt(12, 0, 0))
        .map(|t| tz.offset_from_utc_datetime(&t).fix().local_minus_utc())
        .collect();
    offsets.windows(2).any(|w| w[0] != w[1])
}

/// A SimHash distance in bits, up to what the dedup index can search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NearBits(pub u32);

impl<'de> Deserialize<'de> for NearBits {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u32::deserialize(d)?;
        if n <= crate::dedup::MAX_NEAR_BITS {
            Ok(NearBits(n))
        } else {
            Err(serde::de::Error::custom(format!(
                "near_duplicate_bits must be between 0 and {}, not {n}",
                crate::dedup::MAX_NEAR_BITS
            )))
        }
    }
}

/// A tracing level name, lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLevel(pub String);

impl<'de> Deserialize<'de> for LogLevel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?.to_ascii_lowercase();
        if matches!(s.as_str(), "error" | "warn" | "info" | "debug" | "trace") {
            Ok(LogLevel(s))
        } else {
            Err(serde::de::Error::custom(format!(
                "log_level {s:?} must be one of error, warn, info, debug, trace"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Zone {
        timezone: TimeZone,
    }

    fn zone(text: &str) -> Result<TimeZone, String> {
        toml::from_str::<Zone>(text)
            .map(|z| z.timezone)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn dates_typed_by_a_user_are_read_in_the_site_zone_unless_they_say_otherwise() {
        let seoul = TimeZone(chrono_tz::Asia::Seoul);
        // Midnight in Seoul is 15:00 UTC the day before.
        assert_eq!(
            seoul.utc_of("2026-11-01").as_deref(),
            Ok("2026-10-31T15:00:00Z")
        );
        assert_eq!(
            seoul.utc_of("2026-11-01 09:30").as_deref(),
            Ok("2026-11-01T00:30:00Z")
        );
        assert_eq!(
            seoul.utc_of("2026-11-01T09:30:15").as_deref(),
            Ok("2026-11-01T00:30:15Z")
        );
        assert_eq!(
            seoul.utc_of("2026-11-01T09:00:00Z").as_deref(),
            Ok("2026-11-01T09:00:00Z")
        );
        assert_eq!(
            seoul.utc_of("2026-11-01T09:00:00+09:00").as_deref(),
            Ok("2026-11-01T00:00:00Z")
        );
        let utc = TimeZone(chrono_tz::UTC);
        assert_eq!(
            utc.utc_of("2026-11-01").as_deref(),
            Ok("2026-11-01T00:00:00Z")
        );
        for bad in ["yesterday", "2026-13-01", "", "2026-11-01T25:00"] {
            assert!(seoul.utc_of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn zones_with_daylight_saving_are_refused() {
        let err = zone("timezone = \"Europe/Berlin\"").unwrap_err();
        assert!(err.contains("daylight saving"), "{err}");
        assert_eq!(zone("timezone = \"UTC\""), Ok(TimeZone(chrono_tz::UTC)));
    }
}
