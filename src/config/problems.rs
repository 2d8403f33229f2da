//! Every problem of a config file at once, in file order, each with its
//! line and key: a user fixing a file should not learn of its errors one
//! reload at a time. toml stops at the first error of a document, so each
//! table is also read on its own, and the values that parse but cannot work
//! (zero periods, zero timeouts, duplicate names) are checked after.

use serde::Deserialize;

pub use crate::error::ConfigProblem as Problem;

use super::{
    ArchiveConfig, Config, DaemonConfig, ExtractConfig, HttpConfig, RetryConfig, RevisitConfig,
    SchedulerConfig, SectionConfig, SiteConfig,
};

/// Every table, optional: what one table of the file alone must parse as.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only parsed, for its errors
struct Partial {
    site: Option<SiteConfig>,
    archive: Option<ArchiveConfig>,
    http: Option<HttpConfig>,
    scheduler: Option<SchedulerConfig>,
    daemon: Option<DaemonConfig>,
    revisit: Option<RevisitConfig>,
    retry: Option<RetryConfig>,
    extract: Option<ExtractConfig>,
    section: Option<Vec<SectionConfig>>,
}

/// A stretch of the file from one table header to the next.
struct Chunk<'a> {
    /// 0-based line of its first line in the file.
    first_line: usize,
    text: &'a str,
}

/// Parses `text`, reporting every problem found.
pub fn parse(text: &str) -> Result<Config, Vec<Problem>> {
    // Syntax first: past a syntax error, nothing else can be trusted.
    if let Err(e) = toml::from_str::<toml::Table>(text) {
        return Err(vec![problem(text, 0, text, &e)]);
    }
    // Each table alone, for its unknown keys and bad values; a line with a
    // problem is then blanked and the tables read again, so the problems
    // after it are found too (the loop ends: each round blanks a line).
    let mut problems: Vec<Problem> = Vec::new();
    let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
    let mut round = 0;
    loop {
        round += 1;
        let patched: String = lines.concat();
        let found: Vec<Problem> = chunks(&patched)
            .filter_map(|c| {
                toml::from_str::<Partial>(c.text)
                    .err()
                    .map(|e| problem(text, c.first_line, c.text, &e))
            })
            // A key missing after a round blanked its line was reported
            // for what that line held.
            .filter(|p| round == 1 || !p.message.starts_with("missing field"))
            .collect();
        let mut blanked = false;
        for p in &found {
            if let Some(l) = p.line.checked_sub(1).filter(|&l| l < lines.len()) {
                if header(&lines[l]).is_none() && !lines[l].trim().is_empty() {
                    lines[l] = stand_in(p.key.as_deref(), l);
                    blanked = true;
                }
            }
        }
        problems.extend(found);
        if !blanked {
            break;
        }
    }
    let patched: String = lines.concat();
    match toml::from_str::<Config>(&patched) {
        Ok(config) => {
            problems.extend(checks(&config, text));
            if problems.is_empty() {
                return Ok(config);
            }
        }
        // A blanked line may have held a required key: that one is reported.
        Err(e) if problems.is_empty() => problems.push(problem(text, 0, &patched, &e)),
        Err(_) => {}
    }
    problems.sort_by_key(|p| p.line);
    problems.dedup();
    Err(problems)
}

/// What replaces a line found wrong: nothing, or for a key every file must
/// have, a value that works, so the whole file still parses and the checks
/// that need all of it report their problems in the same pass.
fn stand_in(key: Option<&str>, line: usize) -> String {
    let Some(key) = key else {
        return "\n".into();
    };
    let last = key.rsplit('.').next().unwrap_or(key);
    match (key, last) {
        ("site.base_url", _) => "base_url = \"http://stand-in.invalid\"\n".into(),
        ("archive.path", _) => "path = \"stand-in.db\"\n".into(),
        (k, "schedule") if k.starts_with("section[") => "schedule = \"0 0 * * *\"\n".into(),
        (k, "name") if k.starts_with("section[") => {
            // Unique per line, so no stand-in is "used twice".
            format!("name = \"stand-in for line {line}\"\n")
        }
        _ => "\n".into(),
    }
}

/// The file cut at its table headers (`[http]`, `[[section]]`).
fn chunks(text: &str) -> impl Iterator<Item = Chunk<'_>> {
    let mut starts = vec![(0usize, 0usize)];
    let mut at = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if n > 0 && header(line).is_some() {
            starts.push((n, at));
        }
        at += line.len();
    }
    let ends: Vec<usize> = starts
        .iter()
        .skip(1)
        .map(|&(_, b)| b)
        .chain([text.len()])
        .collect();
    starts
        .into_iter()
        .zip(ends)
        .map(move |((first_line, start), end)| Chunk {
            first_line,
            text: &text[start..end],
        })
}

/// The table a header line opens (`[extract.selectors]` -> `extract.selectors`,
/// `[[section]]` -> `section`); `None` for any other line.
fn header(line: &str) -> Option<&str> {
    let l = line.split('#').next().unwrap_or("").trim();
    let inner = l
        .strip_prefix("[[")
        .and_then(|r| r.strip_suffix("]]"))
        .or_else(|| l.strip_prefix('[').and_then(|r| r.strip_suffix(']')))?
        .trim();
    let ok = !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | ' '));
    ok.then_some(inner)
}

/// A toml error in `chunk` (which starts at `first_line` of the file) as a
/// problem with the file's line and the key on it.
fn problem(file: &str, first_line: usize, chunk: &str, e: &toml::de::Error) -> Problem {
    let Some(span) = e.span() else {
        return Problem {
            line: 0,
            key: None,
            message: e.message().to_string(),
        };
    };
    let start = span.start.min(chunk.len());
    let line = first_line + chunk[..start].matches('\n').count() + 1;
    Problem {
        line,
        key: key_at(file, line),
        message: e.message().trim().to_string(),
    }
}

/// `table.key` of the key set on `line` (1-based), from the headers above it.
fn key_at(text: &str, line: usize) -> Option<String> {
    let mut table: Option<String> = None;
    let mut sections = 0;
    for (n, l) in text.lines().enumerate() {
        if let Some(h) = header(l) {
            if l.trim_start().starts_with("[[") && h == "section" {
                sections += 1;
                table = Some(format!("section[{sections}]"));
            } else {
                table = Some(h.to_string());
            }
        }
        if n + 1 == line {
            if header(l).is_some() {
                return table;
            }
            let key = l.split('=').next()?.trim();
            if key.is_empty() || l.find('=').is_none() {
                return table;
            }
            return Some(match table {
                Some(t) => format!("{t}.{key}"),
                None => key.to_string(),
            });
        }
    }
    None
}

/// 1-based line where `key` is set in `table` (`section[N]` for the Nth
/// `[[section]]`), else the table's header line, else 0.
fn line_of(text: &str, table: &str, key: &str) -> usize {
    let mut current: Option<String> = None;
    let mut sections = 0;
    let mut header_line = 0;
    for (n, l) in text.lines().enumerate() {
        if let Some(h) = header(l) {
            current = Some(if l.trim_start().starts_with("[[") && h == "section" {
                sections += 1;
                format!("section[{sections}]")
            } else {
                h.to_string()
            });
            if current.as_deref() == Some(table) {
                header_line = n + 1;
            }
            continue;
        }
        if current.as_deref() == Some(table) {
            let k = l.split('=').next().unwrap_or("").trim();
            if l.contains('=') && k == key {
                return n + 1;
            }
        }
    }
    header_line
}

/// Values that parse but cannot work.
fn checks(c: &Config, text: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut bad = |table: &str, key: &str, message: String| {
        out.push(Problem {
            line: line_of(text, table, key),
            key: Some(format!("{table}.{key}")),
            message,
        });
    };
    if c.sections.is_empty() {
        bad(
            "section",
            "name",
            "no [[section]] in the file: nothing would be crawled; add at least one".into(),
        );
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, s) in c.sections.iter().enumerate() {
        let table = format!("section[{}]", i + 1);
        if seen.contains(&s.name.as_str()) {
            bad(
                &table,
                "name",
                format!(
                    "section name {:?} is used twice: each [[section]] needs its own name",
                    s.name
                ),
            );
        }
        seen.push(&s.name);
        if s.pages == 0 {
            bad(&table, "pages", "must be at least 1".into());
        }
        if s.path.is_none() && s.feeds.is_empty() {
            bad(
                &table,
                "name",
                format!(
                    "section {:?} has neither a `path` (its list page) nor `feeds`: it would read nothing; add one",
                    s.name
                ),
            );
        }
        for (n, feed) in s.feeds.iter().enumerate() {
            if s.feeds[..n].contains(feed) {
                bad(
                    &table,
                    "feeds",
                    format!("feed {:?} is listed twice: list each feed once", feed.0),
                );
            }
        }
    }
    // Single values check their own range as they are read (values::ranges),
    // so they are reported with the rest of their table; what is left here
    // is what needs two settings at once.
    if c.retry.section_backoff_max.0 < c.retry.section_backoff.0 {
        bad(
            "retry",
            "section_backoff_max",
            format!(
                "{:?} is shorter than section_backoff ({:?}): make it at least as long",
                c.retry.section_backoff_max, c.retry.section_backoff
            ),
        );
    }
    if !(0.0..=1.0).contains(&c.extract.drift_threshold) {
        bad(
            "extract",
            "drift_threshold",
            "must be between 0.0 and 1.0".into(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_recognised_and_array_lines_are_not() {
        assert_eq!(header("[http]\n"), Some("http"));
        assert_eq!(header("  [[section]]  # news\n"), Some("section"));
        assert_eq!(header("[extract.selectors]"), Some("extract.selectors"));
        assert_eq!(header("[\"a\", \"b\"],"), None);
        assert_eq!(header("[1, 2]"), None);
        assert_eq!(header("title = [\"h1\"]"), None);
    }

    #[test]
    fn lines_and_keys_are_found_per_table_and_per_section() {
        let text = "[http]\ntimeout = \"0s\"\n\n[[section]]\nname = \"A\"\n[[section]]\nname = \"B\"\npages = 0\n";
        assert_eq!(line_of(text, "http", "timeout"), 2);
        assert_eq!(line_of(text, "section[2]", "pages"), 8);
        assert_eq!(line_of(text, "section[2]", "jitter"), 6);
        assert_eq!(line_of(text, "daemon", "grace_period"), 0);
        assert_eq!(key_at(text, 2).as_deref(), Some("http.timeout"));
        assert_eq!(key_at(text, 8).as_deref(), Some("section[2].pages"));
    }
}
