//! Small text rules the Herald's pages need: whitespace, dates printed in KST,
//! bylines. Pure functions over strings.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Seoul;

// The helpers the archive and the crawl use too live in leaf modules.
pub use crate::clock::format_utc;
pub use crate::strings::{is_unsafe_char, squash};

/// Text without what could drive a terminal or reorder what a reader sees:
/// escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ESC \\`, and
/// two-byte ones) go whole, then C0 controls but tab and newline, DEL, C1
/// controls and the bidi embeddings, overrides and isolates (U+202A-U+202E,
/// U+2066-U+2069). Pages carry them by accident or on purpose; an archive
/// read in a terminal must hold none.
pub fn strip_controls(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = is_unsafe_char;
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' || c == '\u{9b}' || c == '\u{9d}' {
            // CSI: ESC [ (or U+009B), parameters, one final byte @..~.
            // OSC: ESC ] (or U+009D) up to BEL or ESC \.
            let kind = match c {
                '\u{9b}' => Some('['),
                '\u{9d}' => Some(']'),
                _ => chars.next_if(|n| *n == '[' || *n == ']'),
            };
            match kind {
                Some('[') => {
                    for n in chars.by_ref() {
                        if ('@'..='~').contains(&n) {
                            break;
                        }
                    }
                }
                Some(_) => {
                    while let Some(n) = chars.next() {
                        if n == '\u{7}' || n == '\u{9c}' {
                            break;
                        }
                        if n == '\u{1b}' && chars.next_if_eq(&'\\').is_some() {
                            break;
                        }
                    }
                }
                // ESC and one character (ESC c, ESC 7, ...).
                None => {
                    chars.next_if(|n| !n.is_whitespace());
                }
            }
            continue;
        }
        if !bad(c) {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Reads a time in any form the site prints; times without an offset are
/// KST. A time that cannot be an article's is no time: one more than a day
/// after now (pages are read as they are fetched; a 2099 date would make
/// the article "young" and re-checked for ever) or before 1950 (The Korea
/// Herald began in 1953).
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    parse_any_time(s).filter(plausible)
}

/// Whether `t` can be when an article was published or updated.
pub fn plausible(t: &DateTime<Utc>) -> bool {
    let earliest = NaiveDate::from_ymd_opt(1950, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    *t <= Utc::now() + chrono::Duration::days(1) && earliest.is_none_or(|e| *t >= e)
}

fn parse_any_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y.%m.%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return kst(naive);
        }
    }
    if let Some(t) = parse_rfc2822(s) {
        return Some(t);
    }
    parse_printed(s)
}

/// RSS dates; the Herald writes the offset with a colon (`+09:00`), which
/// RFC 2822 parsers reject.
fn parse_rfc2822(s: &str) -> Option<DateTime<Utc>> {
    let fixed = match s.rsplit_once(' ') {
        Some((head, off)) if off.len() == 6 && off.as_bytes()[3] == b':' => {
            format!("{head} {}{}", &off[..3], &off[4..])
        }
        _ => s.to_string(),
    };
    DateTime::parse_from_rfc2822(&fixed)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// "Nov. 27, 2026 - 16:02", "Mar 30, 2023 - 10:36", "Sept. 3, 2024 - 09:05".
fn parse_printed(s: &str) -> Option<DateTime<Utc>> {
    let word: String = s.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let month = month_number(&word)?;
    let nums: Vec<u32> = s[word.len()..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .map(|n| n.parse().ok())
        .collect::<Option<_>>()?;
    let (day, year) = (*nums.first()?, *nums.get(1)? as i32);
    let (hour, minute) = (
        nums.get(2).copied().unwrap_or(0),
        nums.get(3).copied().unwrap_or(0),
    );
    let second = nums.get(4).copied().unwrap_or(0);
    let naive = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, minute, second)?;
    kst(naive)
}

fn month_number(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    let months = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    if w.len() < 3 {
        return None;
    }
    months
        .iter()
        .position(|m| w.starts_with(m))
        .map(|i| i as u32 + 1)
}

fn kst(naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    Seoul
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Splits a date line ("Published : Mar 30, 2023 - 10:36  Updated : ...")
/// into its published and updated times. A line with no labels is a published time.
pub fn parse_dateline(line: &str) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let lower = line.to_ascii_lowercase();
    let published_at = lower.find("published");
    let updated_at = lower.find("updated");
    if published_at.is_none() && updated_at.is_none() {
        return (parse_datetime(line), None);
    }
    let after_label = |start: usize, end: usize| -> Option<DateTime<Utc>> {
        let part = line.get(start..end)?;
        let part = part.split_once(':').map_or(part, |(_, rest)| rest);
        parse_datetime(&squash(part))
    };
    let published = published_at.and_then(|p| {
        let end = updated_at.filter(|u| *u > p).unwrap_or(line.len());
        after_label(p, end)
    });
    let updated = updated_at.and_then(|u| {
        let end = published_at.filter(|p| *p > u).unwrap_or(line.len());
        after_label(u, end)
    });
    (published, updated)
}

/// "By A and B", "By A, B and C", "By A (a@heraldcorp.com)" -> the names.
pub fn parse_byline(line: &str) -> Vec<String> {
    let mut s = squash(line);
    // Drop parenthesised parts: emails, "(Yonhap)" credits are kept as names below.
    let mut kept = String::with_capacity(s.len());
    let mut depth = 0usize;
    let mut inner = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                inner.clear();
            }
            ')' if depth > 0 => {
                depth -= 1;
                if !inner.contains('@') {
                    kept.push_str(&format!(", {inner}"));
                }
            }
            _ if depth > 0 => inner.push(c),
            _ => kept.push(c),
        }
    }
    s = kept;
    let s = s.trim();
    let s = match s.get(..3) {
        Some(p) if p.eq_ignore_ascii_case("by ") => &s[3..],
        _ => s,
    };
    s.split(',')
        .flat_map(|part| part.split(" and "))
        .flat_map(|part| part.split(" & "))
        .map(|name| squash(name.trim_start_matches("and ")))
        .filter(|name| !name.is_empty() && !name.contains('@'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_controls_and_bidi_overrides_are_removed() {
        for (dirty, clean) in [
            ("Title\u{1b}]0;owned\u{7} here", "Title here"),
            ("\u{1b}[2JClear\u{1b}[1;31m red\u{1b}[0m", "Clear red"),
            (
                "osc \u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\",
                "osc link",
            ),
            ("bell\u{7}\u{0}\u{8}\u{7f}\u{85}\u{9b}31mx", "bellx"),
            (
                "\u{202E}txt.exe\u{202C} and \u{2067}iso\u{2069}",
                "txt.exe and iso",
            ),
            (
                "keeps\ttabs\nand lines, é and 한국어",
                "keeps\ttabs\nand lines, é and 한국어",
            ),
            ("trailing escape \u{1b}", "trailing escape "),
        ] {
            assert_eq!(strip_controls(dirty), clean, "{dirty:?}");
        }
        assert!(matches!(
            strip_controls("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    fn utc(s: &str) -> Option<String> {
        parse_datetime(s).map(|t| format_utc(&t))
    }

    #[test]
    fn dates_in_every_printed_form_become_utc() {
        let cases = [
            ("2026-11-27T16:02:00+09:00", "2026-11-27T07:02:00Z"),
            ("2023-03-30T10:36:00", "2023-03-30T01:36:00Z"),
            ("2023-03-30T10:36", "2023-03-30T01:36:00Z"),
            ("Nov. 27, 2026 - 16:02", "2026-11-27T07:02:00Z"),
            ("Mar 30, 2023 - 10:36", "2023-03-30T01:36:00Z"),
            ("March 30, 2023 - 10:36", "2023-03-30T01:36:00Z"),
            ("Sept. 3, 2024 - 09:05", "2024-09-03T00:05:00Z"),
            ("Fri, 27 Nov 2026 16:02:00 +09:00", "2026-11-27T07:02:00Z"),
            ("Fri, 27 Nov 2026 16:02:00 +0900", "2026-11-27T07:02:00Z"),
            ("2026.11.27 16:02", "2026-11-27T07:02:00Z"),
        ];
        for (input, want) in cases {
            assert_eq!(utc(input).as_deref(), Some(want), "{input}");
        }
        for bad in [
            "",
            "yesterday",
            "Foo 1, 2020",
            "Nov. 31, 2026 - 10:00",
            "13:00",
        ] {
            assert_eq!(utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn datelines_split_published_and_updated() {
        let (p, u) = parse_dateline(
            "Published : Mar 30, 2023 - 10:36 \u{a0}\u{a0}\u{a0}Updated : Mar 30, 2023 - 20:36",
        );
        assert_eq!(
            p.map(|t| format_utc(&t)).as_deref(),
            Some("2023-03-30T01:36:00Z")
        );
        assert_eq!(
            u.map(|t| format_utc(&t)).as_deref(),
            Some("2023-03-30T11:36:00Z")
        );
        let (p, u) = parse_dateline("Published : Nov. 28, 2026 - 09:15");
        assert_eq!(
            p.map(|t| format_utc(&t)).as_deref(),
            Some("2026-11-28T00:15:00Z")
        );
        assert_eq!(u, None);
        let (p, _) = parse_dateline("Updated : Nov. 28, 2026 - 09:15");
        assert_eq!(p, None);
    }

    #[test]
    fn bylines_give_names_only() {
        let cases: [(&str, &[&str]); 7] = [
            ("By Kim Arin", &["Kim Arin"]),
            (
                "By Lee Jung-joo and Park Jun-hee",
                &["Lee Jung-joo", "Park Jun-hee"],
            ),
            ("By A, B and C", &["A", "B", "C"]),
            ("By Kim Arin (arin@heraldcorp.com)", &["Kim Arin"]),
            ("By\u{a0} Yonhap ", &["Yonhap"]),
            ("by Jo He-rim & AFP", &["Jo He-rim", "AFP"]),
            ("", &[]),
        ];
        for (line, want) in cases {
            assert_eq!(parse_byline(line), want, "{line}");
        }
    }

    #[test]
    fn squash_collapses_nbsp_and_newlines() {
        assert_eq!(squash("  a\u{a0}\u{a0}b\n\t c "), "a b c");
    }
}
