//! Page furniture no layer may keep in a body, whichever layer found it
//! (selectors, JSON-LD `articleBody`, the generic layer): date lines,
//! bylines at the edges, numbered or bulleted lists of headlines ("Most
//! Popular", "Read more"), share, subscribe, newsletter and copyright lines,
//! photo credits standing as captions. What such lines tell (the author, the
//! times) is handed back, so the record can use it when nothing better gives
//! it. Pure functions over paragraphs; each paragraph is looked at a bounded
//! number of times.

use chrono::{DateTime, Utc};

use super::text::{parse_byline, parse_datetime, squash};

/// A published and an updated time, either possibly missing.
pub type Times = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// What the cleanup kept, and what the lines it dropped said.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Cleaned {
    pub paragraphs: Vec<String>,
    /// Names from a byline at the body's edges ("By AFP", "Yonhap").
    pub authors: Vec<String>,
    /// Times from "Published : ..." / "Updated : ..." lines (read as KST).
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
}

/// Headings that start a list of other articles' headlines.
const LIST_HEADINGS: &[&str] = &[
    "most popular",
    "most viewed",
    "most read",
    "popular",
    "popular news",
    "popular articles",
    "related",
    "related articles",
    "related news",
    "related stories",
    "recommended",
    "recommended articles",
    "recommended for you",
    "read more",
    "see more",
    "more from this section",
    "more stories",
    "more news",
    "more articles",
    "editor's picks",
    "editors' picks",
    "trending",
    "trending now",
    "top stories",
    "latest news",
    "you may also like",
    "you might also like",
    "what to read next",
    "hot news",
];

/// Short lines that are buttons or labels, never text.
const LABELS: &[&str] = &[
    "share",
    "share this article",
    "share this story",
    "font size",
    "print",
    "advertisement",
    "ad",
    "top",
    "back to top",
    "list",
    "go to list",
    "close",
    "copy link",
    "url copied",
    "comments",
];

/// Words of a share bar ("Facebook Twitter KakaoTalk Email").
const SHARE_WORDS: &[&str] = &[
    "share",
    "facebook",
    "twitter",
    "x",
    "kakaotalk",
    "kakao",
    "kakaostory",
    "naver",
    "band",
    "line",
    "telegram",
    "whatsapp",
    "linkedin",
    "email",
    "e-mail",
    "mail",
    "print",
    "copy",
    "link",
    "url",
    "font",
    "size",
    "|",
];

/// News agencies whose name alone, at the end of a text, is its byline.
const AGENCIES: &[&str] = &[
    "yonhap",
    "afp",
    "ap",
    "reuters",
    "xinhua",
    "kyodo",
    "bloomberg",
    "newsis",
    "news1",
    "afp-yonhap",
    "yonhap-afp",
    "ap-yonhap",
    "yonhap-ap",
    "reuters-yonhap",
    "yonhap-reuters",
];

/// Cleans a body's paragraphs. `captions` and `title` are dropped where
/// they stand alone in the body (a layer that did not know the page kept
/// them as text).
pub fn clean(paragraphs: Vec<String>, captions: &[String], title: Option<&str>) -> Cleaned {
    let mut out = Cleaned::default();
    let mut kept: Vec<String> = Vec::with_capacity(paragraphs.len());
    let mut in_list = false;
    for p in paragraphs {
        let p = squash(&p);
        if p.is_empty() {
            continue;
        }
        if in_list {
            if is_list_item(&p) {
                continue;
            }
            in_list = false;
        }
        if is_list_heading(&p) {
            in_list = true;
            continue;
        }
        if let Some((published, updated)) = date_line(&p) {
            out.published = out.published.or(published);
            out.updated = out.updated.or(updated);
            continue;
        }
        if is_inline_headline_list(&p)
            || is_boilerplate(&p)
            || is_photo_credit(&p)
            || captions.iter().any(|c| c.eq_ignore_ascii_case(&p))
            || title.is_some_and(|t| t.eq_ignore_ascii_case(&p))
        {
            continue;
        }
        kept.push(p);
    }
    // Bylines at the edges: the first lines, and the last ones (before the
    // reporter's e-mail line, which the archive keeps as text).
    while let Some(first) = kept.first() {
        if let Some(names) = edge_byline(first) {
            if out.authors.is_empty() {
                out.authors = names;
            }
            kept.remove(0);
        } else if is_email_line(first) && kept.len() > 1 {
            kept.remove(0);
        } else {
            break;
        }
    }
    loop {
        let n = kept.len();
        let at = match kept.last() {
            Some(last) if is_email_line(last) && n >= 2 => n - 2,
            Some(_) => n - 1,
            None => break,
        };
        // A lone agency name is a byline only at the very end.
        let names = match edge_byline(&kept[at]) {
            Some(names) => names,
            None => break,
        };
        if out.authors.is_empty() {
            out.authors = names;
        }
        kept.remove(at);
    }
    // A lone agency name anywhere else is a photo credit.
    kept.retain(|p| !is_lone_agency(p));
    out.paragraphs = kept;
    out
}

/// A photo credit or an agency's name alone: no caption.
pub(super) fn is_credit(p: &str) -> bool {
    is_photo_credit(p) || is_lone_agency(p)
}

/// "Yonhap", "(AFP)".
fn is_lone_agency(p: &str) -> bool {
    let lower = p.to_lowercase();
    AGENCIES.contains(
        &lower
            .trim_start_matches('(')
            .trim_end_matches([')', '.'])
            .trim(),
    )
}

/// "Most Popular", "Read more:", "Related Articles".
fn is_list_heading(p: &str) -> bool {
    if p.chars().count() > 40 {
        return false;
    }
    let lower = p.to_lowercase();
    let lower = lower.trim_end_matches([':', '>', '›', '»', ' ']).trim();
    LIST_HEADINGS.contains(&lower)
}

/// A line of a headline list: a number, or a short line that is no sentence.
fn is_list_item(p: &str) -> bool {
    let n = p.chars().count();
    if p.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return true;
    }
    n <= 160 && !p.ends_with(['.', '"', '”', '’', ':', ';', ','])
}

/// "01 headline 02 headline 03 headline": at least three numbers in order,
/// the first at the start, each followed by words.
fn is_inline_headline_list(p: &str) -> bool {
    let words: Vec<&str> = p.split_whitespace().collect();
    let number = |w: &str| -> Option<u32> {
        let w = w.trim_end_matches(['.', ')']);
        (!w.is_empty() && w.len() <= 3 && w.chars().all(|c| c.is_ascii_digit()))
            .then(|| w.parse().ok())
            .flatten()
    };
    if words.first().and_then(|w| number(w)) != Some(1) {
        return false;
    }
    let mut next = 2;
    let mut gap = 0;
    for w in &words[1..] {
        match number(w) {
            Some(n) if n == next && gap > 0 => {
                next += 1;
                gap = 0;
            }
            _ => gap += 1,
        }
    }
    next > 3 && gap > 0
}

/// Share bars, subscribe and newsletter prompts, copyright lines, labels.
fn is_boilerplate(p: &str) -> bool {
    let n = p.chars().count();
    let lower = p.to_lowercase();
    let bare = lower.trim_end_matches([':', '.', '!', ' ']).trim();
    if n <= 40 && LABELS.contains(&bare) {
        return true;
    }
    if n <= 80 {
        let words: Vec<&str> = lower.split_whitespace().collect();
        if (words.first() == Some(&"share") && words.len() <= 4 && !p.ends_with('.'))
            || (words.len() >= 2 && words.iter().all(|w| SHARE_WORDS.contains(w)))
        {
            return true;
        }
    }
    if n <= 140
        && (lower.starts_with("subscribe")
            || lower.starts_with("sign up")
            || lower.starts_with("get our newsletter")
            || (lower.contains("newsletter") && !p.ends_with(['.', '"', '”'])))
    {
        return true;
    }
    n <= 250
        && (lower.starts_with("copyright")
            || lower.starts_with('©')
            || lower.starts_with('ⓒ')
            || lower.starts_with("(c) ")
            || lower.starts_with("[ⓒ")
            || lower.contains("all rights reserved")
            || lower.contains("unauthorized reproduction")
            || lower.contains("무단 전재"))
}

/// "(Photo: Yonhap)", "[Photo by Yonhap]", "Photo credit: AFP", "(Herald DB)",
/// "Courtesy of Samsung Electronics", "(Getty Images)".
fn is_photo_credit(p: &str) -> bool {
    if p.chars().count() > 70 {
        return false;
    }
    let lower = p.to_lowercase();
    let inner = lower
        .trim_start_matches(['(', '['])
        .trim_end_matches([')', ']', '.'])
        .trim();
    let wrapped = lower.starts_with(['(', '[']) && lower.ends_with([')', ']']);
    ["photo", "photos", "image", "graphic", "illustration"]
        .iter()
        .any(|w| {
            inner
                .strip_prefix(w)
                .is_some_and(|rest| rest.starts_with([' ', ':', '=']) && !rest.contains(". "))
        })
        || (inner.starts_with("courtesy of ") && !inner.contains(". "))
        || (wrapped
            && (inner == "herald db"
                || inner == "getty images"
                || inner == "123rf"
                || inner == "epa"
                || inner.ends_with(" db")))
}

/// An e-mail address alone on its line.
fn is_email_line(p: &str) -> bool {
    !p.contains(' ') && p.contains('@') && p.contains('.')
}

/// A byline standing alone: "By Kim Arin", "By Kim Arin (arin@...)",
/// "Kim Arin (arin@heraldcorp.com)", "By AFP", "Yonhap", "(Yonhap)".
pub(super) fn edge_byline(p: &str) -> Option<Vec<String>> {
    if p.chars().count() > 100 {
        return None;
    }
    let lower = p.to_lowercase();
    let bare = lower.trim_start_matches('(').trim_end_matches([')', '.']);
    if AGENCIES.contains(&bare.trim()) {
        return Some(vec![p
            .trim_start_matches('(')
            .trim_end_matches([')', '.'])
            .trim()
            .to_string()]);
    }
    let by = lower.starts_with("by ");
    let with_email = p.contains('(') && p.contains('@') && p.trim_end().ends_with(')');
    if !by && !with_email {
        return None;
    }
    byline_names(p)
}

/// The names of a byline line, when every one looks like a name.
pub(super) fn byline_names(line: &str) -> Option<Vec<String>> {
    let names = parse_byline(line);
    (!names.is_empty() && names.len() <= 6 && names.iter().all(|n| is_name(n))).then_some(names)
}

/// A person's or an agency's name: a few capitalised words, no digits.
fn is_name(n: &str) -> bool {
    let words: Vec<&str> = n.split_whitespace().collect();
    if words.is_empty() || words.len() > 5 || n.chars().count() > 40 {
        return false;
    }
    if n.chars()
        .any(|c| c.is_ascii_digit() || matches!(c, ':' | '|' | '/' | '.'))
    {
        return false;
    }
    let lower = n.to_lowercase();
    if ["more ", "article", "share", "reporter", "click", "view"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return false;
    }
    words.iter().all(|w| {
        w.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || (c.is_alphabetic() && !c.is_ascii()))
    })
}

/// A line that only gives a date: "Published : Mar. 4, 2026 - 14:20",
/// "Updated : ...", "Posted : 2026.03.10 09:12", "Last modified : ...", or a
/// bare printed date. `None` when the line says more than that.
pub(super) fn date_line(p: &str) -> Option<Times> {
    if p.chars().count() > 160 {
        return None;
    }
    let (published, updated) = labelled_dates(p);
    if published.is_some() || updated.is_some() {
        let lower = p.to_lowercase();
        let starts = DATE_LABELS
            .iter()
            .any(|(label, _)| lower.trim_start_matches(['(', '[']).starts_with(label));
        return starts.then_some((published, updated));
    }
    if p.chars().count() <= 40 {
        if let Some(t) = parse_datetime(p) {
            return Some((Some(t), None));
        }
    }
    None
}

/// Labels of a date line, and whether each gives the updated time.
const DATE_LABELS: &[(&str, bool)] = &[
    ("published", false),
    ("posted", false),
    ("first published", false),
    ("입력", false),
    ("last modified", true),
    ("last updated", true),
    ("updated", true),
    ("modified", true),
    ("수정", true),
];

/// The published and updated times of a line holding labels, each read
/// from the text between its label and the next one.
pub(super) fn labelled_dates(line: &str) -> Times {
    let lower = line.to_lowercase();
    // (position, end of label, is_updated), without overlaps ("last updated" holds "updated").
    let mut marks: Vec<(usize, usize, bool)> = Vec::new();
    for (label, updated) in DATE_LABELS {
        let mut from = 0;
        while let Some(off) = lower.get(from..).and_then(|s| s.find(label)) {
            let at = from + off;
            let end = at + label.len();
            if !marks.iter().any(|(s, e, _)| at < *e && end > *s) {
                marks.push((at, end, *updated));
            }
            from = end;
            if marks.len() > 8 {
                break;
            }
        }
    }
    marks.sort_by_key(|m| m.0);
    let (mut published, mut updated) = (None, None);
    for (i, (_, end, is_updated)) in marks.iter().enumerate() {
        let stop = marks.get(i + 1).map_or(line.len(), |m| m.0);
        let Some(part) = line.get(*end..stop) else {
            continue;
        };
        let part = part.trim_start_matches([' ', ':', '\u{a0}', '-', '|']);
        let part = part
            .strip_prefix("on ")
            .or_else(|| part.strip_prefix("at "))
            .unwrap_or(part);
        let part = squash(part.trim_end_matches([' ', '|', ',', '/', '\u{a0}', ')', ']']));
        let Some(t) = parse_datetime(&part) else {
            continue;
        };
        if *is_updated {
            updated = updated.or(Some(t));
        } else {
            published = published.or(Some(t));
        }
    }
    (published, updated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::text::format_utc;

    fn p(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn furniture_goes_and_what_it_said_is_kept() {
        let c = clean(
            p(&[
                "Published : March 4, 2026 - 14:20",
                "Updated : March 4, 2026 - 17:05",
                "By Jeon Eun-byeol",
                "(Photo: Yonhap)",
                "Banks are preparing to tighten lending.",
                "Officials said so on Wednesday.",
                "By AFP",
                "eb@heraldcorp.com",
                "Share this article",
                "Subscribe to The Korea Herald newsletter",
                "Most Popular",
                "01",
                "KOSPI closes at record high",
                "02",
                "Hyundai to recall 120,000 EVs",
                "Copyright Herald Corporation. All Rights Reserved.",
            ]),
            &[],
            None,
        );
        assert_eq!(
            c.paragraphs,
            [
                "Banks are preparing to tighten lending.",
                "Officials said so on Wednesday.",
                "eb@heraldcorp.com"
            ]
        );
        assert_eq!(c.authors, ["Jeon Eun-byeol"]);
        assert_eq!(
            c.published.map(|t| format_utc(&t)).as_deref(),
            Some("2026-03-04T05:20:00Z")
        );
        assert_eq!(
            c.updated.map(|t| format_utc(&t)).as_deref(),
            Some("2026-03-04T08:05:00Z")
        );
    }

    #[test]
    fn inline_numbered_lists_and_agency_bylines() {
        let c = clean(
            p(&[
                "The missiles flew 350 kilometers.",
                "Yonhap",
                "01 KOSPI closes at record high 02 Hyundai to recall EVs 03 BTS to hold concert",
            ]),
            &[],
            None,
        );
        assert_eq!(c.paragraphs, ["The missiles flew 350 kilometers."]);
        assert_eq!(c.authors, ["Yonhap"]);
    }

    #[test]
    fn prose_that_looks_like_furniture_stays() {
        let text = p(&[
            "Published in 1998, the report shaped a decade of policy.",
            "By the end of the year, exports had recovered.",
            "Share prices rose 2 percent on the news, the exchange said, extending gains for a third day.",
            "Share prices rose.",
            "The ministry said 1 in 3 firms and 2 in 5 households would qualify, up from 3 in 10.",
            "The newsletter, which the ministry sends monthly, will carry the details.",
            "Related to this, officials said more steps would follow.",
            "arin@heraldcorp.com",
        ]);
        let c = clean(text.clone(), &[], None);
        assert_eq!(c.paragraphs, text);
        assert!(c.authors.is_empty());
    }

    #[test]
    fn date_lines_in_every_form() {
        let utc = |l: &str| {
            date_line(l).map(|(a, b)| {
                (
                    a.map(|t| format_utc(&t)).unwrap_or_default(),
                    b.map(|t| format_utc(&t)).unwrap_or_default(),
                )
            })
        };
        assert_eq!(
            utc("Posted : 2026.03.10 09:12 Last modified : 2026.03.10 11:40"),
            Some((
                "2026-03-10T00:12:00Z".to_string(),
                "2026-03-10T02:40:00Z".to_string()
            ))
        );
        assert_eq!(
            utc("Updated on Nov. 27, 2026 - 18:40").map(|x| x.1),
            Some("2026-11-27T09:40:00Z".to_string())
        );
        assert_eq!(utc("Published reports say the plan will pass."), None);
    }
}
