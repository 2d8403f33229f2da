//! The generic layer: main-content extraction for pages our selectors do not
//! know (the next redesign). Measured on a development set of 186 real
//! pages with `bench/generic_vs_trafilatura.sh` on a 2-core machine (times
//! per page include prestrip, parse and metadata):
//!
//! - our own finder (`finder.rs`) reads the document the caller has
//!   already parsed; alone: precision 0.948, recall 0.917, F1 0.932;
//! - dom_smoothie (a Readability port) is its fallback when it finds
//!   nothing, too little, or one block of text: precision 0.947, recall
//!   0.931, F1 0.939 at 2.3 ms; with the post-metadata and donation lines
//!   below dropped too, precision 0.952, F1 0.941 at 1.9 ms (Python
//!   trafilatura 2.3.1 in the same run: P 0.888, F1 0.919 at 20.4 ms).
//!   The `trafilatura` crate as the fallback instead scored the
//!   same for more time; as the first finder (before this one, with
//!   dom_smoothie behind it) it scored F1 0.938 at 6.8 ms: it parsed the
//!   page again and read metadata we do not use.
//!
//! Our own cleanup on top turns either result into paragraphs the way the
//! selector layer does, and drops what the finders keep but an article body
//! must not have: captions, bylines, date lines, a post's filing and comment
//! line, labels, calls to action (read more, sign up, follow us, donate),
//! copyright and photo-credit lines.

use std::collections::HashMap;

use scraper::Html;

use super::blocks::paragraphs;
use super::text::squash;
use crate::site::profile::Sel;

/// What the generic layer found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Generic {
    pub title: Option<String>,
    pub paragraphs: Vec<String>,
    pub byline: Option<String>,
    pub published: Option<String>,
}

/// Main content of the page `doc` was parsed from (`html`); `None` when
/// nothing article-like is found. `strip` is the profile's list of elements
/// to drop from a body.
pub fn extract(
    doc: &Html,
    html: &str,
    url: Option<&str>,
    strip: &[Sel],
    known_title: Option<&str>,
) -> Option<Generic> {
    let first = via_finder(doc, html, strip, known_title);
    if first.as_ref().is_some_and(|g| !looks_unstructured(g)) {
        return first;
    }
    // Readability parses the page once more: not for a page whose markup
    // alone is larger than any article's, nor one nested deeper than it
    // handles in time.
    if html.len() > MAX_FALLBACK_BYTES || nesting_depth(doc) > MAX_READABILITY_DEPTH {
        return first;
    }
    let fallback = via_readability(html, url, strip, known_title);
    pick(first, fallback)
}

/// Markup (scripts and styles already stripped) beyond which a page gets
/// no Readability pass: real article pages have a few hundred KiB at most.
const MAX_FALLBACK_BYTES: usize = 1 << 20;

fn via_finder(doc: &Html, html: &str, strip: &[Sel], known_title: Option<&str>) -> Option<Generic> {
    let found = super::finder::find(doc, strip)?;
    let title = found.title.unwrap_or_default();
    let paragraphs = tidy(found.paragraphs, &title, known_title);
    if paragraphs.is_empty() {
        return None;
    }
    Some(Generic {
        title: Some(title).filter(|t| !t.is_empty()),
        paragraphs,
        byline: found.byline,
        published: published_time(html),
    })
}

/// Below this many characters of text a result is "too little": a teaser,
/// a label, a cookie notice.
const FALLBACK_CHARS: usize = 250;

/// The finder found too little, or the page as one block of text (a page
/// without paragraph markup).
fn looks_unstructured(g: &Generic) -> bool {
    g.paragraphs.len() <= 1 || text_len(&g.paragraphs) < FALLBACK_CHARS
}

/// The finder's result unless Readability's is clearly better: more than
/// twice as much text (trafilatura's rule for its fallbacks), or text in
/// paragraphs where the finder has one block, without losing more than
/// half of the text.
fn pick(first: Option<Generic>, fallback: Option<Generic>) -> Option<Generic> {
    match (first, fallback) {
        (Some(t), Some(r)) => {
            let (lt, lr) = (text_len(&t.paragraphs), text_len(&r.paragraphs));
            let structured = t.paragraphs.len() <= 1 && r.paragraphs.len() > 1 && 2 * lr > lt;
            Some(if lr > 2 * lt || structured { r } else { t })
        }
        (t, r) => t.or(r),
    }
}

fn text_len(ps: &[String]) -> usize {
    ps.iter().map(|p| p.chars().count()).sum()
}

/// Readability scores every ancestor of every paragraph: its time grows with
/// the square of the nesting depth (1.5 s at 3,000 levels in a release
/// build). No real page nests this deep; a page that does gets no fallback.
const MAX_READABILITY_DEPTH: usize = 512;

fn via_readability(
    html: &str,
    url: Option<&str>,
    strip: &[Sel],
    known_title: Option<&str>,
) -> Option<Generic> {
    let cfg = dom_smoothie::Config {
        // A page this large is no article; Readability would be slow on it.
        max_elements_to_parse: 20_000,
        ..dom_smoothie::Config::default()
    };
    let mut reader = dom_smoothie::Readability::new(html, url, Some(cfg))
        .or_else(|_| dom_smoothie::Readability::new(html, None, None))
        .ok()?;
    let article = reader.parse().ok()?;
    let content = Html::parse_fragment(&article.content);
    let title = squash(&article.title);
    let paragraphs = clean(&content, strip, &title, known_title);
    if paragraphs.is_empty() {
        return None;
    }
    Some(Generic {
        title: Some(title).filter(|t| !t.is_empty()),
        paragraphs,
        byline: article.byline.map(|b| squash(&b)).filter(|b| !b.is_empty()),
        published: article.published_time,
    })
}

fn clean(content: &Html, strip: &[Sel], title: &str, known_title: Option<&str>) -> Vec<String> {
    tidy(
        paragraphs(content.root_element(), strip),
        title,
        known_title,
    )
}

fn tidy(paragraphs: Vec<String>, title: &str, known_title: Option<&str>) -> Vec<String> {
    let is_title = |p: &str| {
        [Some(title), known_title]
            .into_iter()
            .flatten()
            .any(|t| !t.is_empty() && p.eq_ignore_ascii_case(t))
    };
    let mut paragraphs: Vec<String> = paragraphs
        .into_iter()
        .filter(|p| !is_furniture(p) && !is_title(p))
        .collect();
    // A kicker ("Diplomacy") or label before the text is no paragraph.
    let labels = paragraphs.iter().take_while(|p| is_label(p)).count();
    paragraphs.drain(..labels.min(paragraphs.len().saturating_sub(1)));
    paragraphs
}

/// The page's publication time as its markup gives it: JSON-LD
/// `datePublished`, else `<meta property="article:published_time">` (the
/// sources Readability reads). A byte scan: the first occurrence of each
/// key, values at most 64 bytes.
fn published_time(html: &str) -> Option<String> {
    let from_ld = || {
        let at = html.find("\"datePublished\"")? + "\"datePublished\"".len();
        let rest = html[at..].trim_start().strip_prefix(':')?.trim_start();
        let rest = rest.strip_prefix('"')?;
        Some(&rest[..rest.find('"')?])
    };
    let from_meta = || {
        let at = html.find("article:published_time")?;
        let start = html[..at].rfind('<')?;
        let end = at + html[at..].find('>')?;
        let tag = &html[start..end];
        let value = &tag[tag.find("content=")? + "content=".len()..];
        let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let value = &value[1..];
        Some(&value[..value.find(quote)?])
    };
    from_ld()
        .or_else(from_meta)
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .map(str::to_string)
}

/// The deepest element's number of ancestors, in one pass (a node's depth
/// is its parent's plus one, and parents come first in document order).
fn nesting_depth(doc: &Html) -> usize {
    let mut depth = HashMap::new();
    let mut max = 0;
    for node in doc.tree.root().descendants() {
        let d = node
            .parent()
            .and_then(|p| depth.get(&p.id()))
            .map_or(0, |d: &usize| d + 1);
        max = max.max(d);
        depth.insert(node.id(), d);
    }
    max
}

/// A few words with no sentence punctuation: a kicker or a label.
fn is_label(p: &str) -> bool {
    p.split_whitespace().count() <= 3 && !p.contains(['.', '!', '?', '@', ','])
}

/// Lines the content finders leave in that are page furniture, not article
/// text: bylines, labels, date lines, calls to action (read more, sign up,
/// follow us, get the app), copyright and photo-credit lines. Only short
/// paragraphs are judged (up to 200 characters, 300 for a line marked at
/// its start or end): a sentence of the story that mentions a newsletter is
/// longer than the line that asks for a sign-up.
fn is_furniture(p: &str) -> bool {
    let lower = p.to_lowercase();
    let len = p.chars().count();
    let short = len < 60;
    let byline = short && lower.starts_with("by ") && !p.ends_with('.');
    let label = short
        && [
            "share",
            "font size",
            "print",
            "related articles",
            "most popular",
            "advertisement",
            "more articles",
            "subscribe",
            "related coverage",
            "more coverage",
            "keep reading",
            "read next",
            "view comments",
        ]
        .iter()
        .any(|w| lower == *w || lower.starts_with(&format!("{w} ")));
    byline
        || label
        || (len <= 200 && (is_date_line(&lower) || is_post_meta(&lower)))
        || (len <= 300 && is_call_to_action(&lower, len <= 200))
}

/// A blog post's line of metadata: where it is filed and how many
/// comments it has ("January 13, 2020 | Categories: Python | View Comments").
fn is_post_meta(lower: &str) -> bool {
    const MARKS: &[&str] = &[
        "categories:",
        "category:",
        "tags:",
        "tagged:",
        "filed under",
        "posted in ",
        "view comments",
        "leave a comment",
        "no comments",
    ];
    MARKS.iter().any(|m| lower.contains(m))
        && (lower.contains('|') || lower.split_whitespace().count() <= 12)
}

/// "Published : Nov. 27, 2026", "Updated: ...", "Posted on ...", "Written:
/// ...", or a line that carries a "Last modified:" stamp anywhere.
fn is_date_line(lower: &str) -> bool {
    const STAMPS: &[&str] = &[
        "published",
        "updated",
        "posted",
        "written",
        "last modified",
        "last updated",
        "news date",
        "release date",
    ];
    let starts = STAMPS.iter().any(|w| {
        lower.strip_prefix(w).is_some_and(|rest| {
            let rest = rest.trim_start();
            rest.is_empty() || rest.starts_with([':', '|']) || rest.starts_with("on ")
        })
    });
    starts || lower.contains("last modified:") || lower.contains("last updated:")
}

/// Lines that speak to the reader about the site rather than the story:
/// marked at their start or end, or (`short` ones) anywhere.
fn is_call_to_action(lower: &str, short: bool) -> bool {
    const STARTS: &[&str] = &[
        "read more",
        "read also",
        "also read",
        "related:",
        "see also:",
        "©",
        "copyright ",
        "copyright:",
        "copyright©",
        "credit:",
        "(credit:",
        "photo credit",
        "photo :",
        "photo:",
        "follow us",
        "sign up",
        "subscribe to",
        "click here",
    ];
    const ANYWHERE: &[&str] = &[
        "all rights reserved",
        "copyrighted property",
        "newsletter",
        "sign up for",
        "sign up to",
        "please subscribe",
        "already a subscriber",
        "letter to the editor",
        "download the",
        "we need your help",
        "support our journalism",
        "support independent journalism",
        "make a donation",
    ];
    const ENDS: &[&str] = &["sign up", "sign up here", "subscribe", "subscribe now"];
    let end = lower.trim_end_matches(['.', '!', ' ']);
    STARTS.iter().any(|w| lower.starts_with(w))
        || ENDS.iter().any(|w| end.ends_with(w))
        || (short && ANYWHERE.iter().any(|w| lower.contains(w)))
        || (lower.starts_with("follow ")
            && ["twitter", "facebook", "instagram", "@"]
                .iter()
                .any(|w| lower.contains(w)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::profile::Profile;

    #[test]
    fn finds_the_body_of_an_unknown_layout_without_its_furniture() {
        let html = r#"<html><head><title>Ministry unveils plan - Some Paper</title></head><body>
          <nav><a href="/">Home</a><a href="/politics">Politics</a></nav>
          <div class="brand-new-layout"><h1>Ministry unveils plan</h1>
            <div class="story">
              <p>By Kim Arin</p>
              <p>The finance ministry on Monday unveiled a plan to widen tax credits for research spending by small and midsize firms, officials said.</p>
              <figure><img src="a.jpg"><figcaption>Officials at a briefing in Sejong. (Yonhap)</figcaption></figure>
              <p>The plan, which needs parliamentary approval, would raise the credit rate to 30 percent from 25 percent starting next year.</p>
              <p>Share</p>
              <p>Business groups welcomed the move but said the credits should also cover investments in equipment and software.</p>
              <p>arin@heraldcorp.com</p>
            </div></div>
          <footer>Copyright Some Paper. All rights reserved.</footer></body></html>"#;
        let g = extract(
            &Html::parse_document(html),
            html,
            Some("https://www.koreaherald.com/article/1"),
            &Profile::herald().body_strip,
            None,
        )
        .expect("content found");
        assert_eq!(g.paragraphs.len(), 4, "{:?}", g.paragraphs);
        assert!(g.paragraphs[0].starts_with("The finance ministry"));
        assert_eq!(g.paragraphs[3], "arin@heraldcorp.com");
        let all = g.paragraphs.join("\n");
        for junk in [
            "By Kim Arin",
            "Share",
            "Officials at a briefing",
            "Copyright",
            "Politics",
        ] {
            assert!(!all.contains(junk), "{junk} in {all}");
        }
    }

    #[test]
    fn pages_without_an_article_give_no_article_sized_text() {
        // The caller holds back bodies under [extract] min_body_chars.
        let strip = Profile::herald().body_strip;
        for html in [
            "",
            "<html></html>",
            "<p>Page not found</p>",
            "<html><body><nav><a href=\"/\">Home</a></nav></body></html>",
            "\u{0}<<>>",
        ] {
            let doc = Html::parse_document(html);
            let text = extract(&doc, html, None, &strip, None).map(|g| g.paragraphs.join(" "));
            assert!(text.unwrap_or_default().len() < 40, "{html:?}");
        }
    }

    #[test]
    fn date_lines_and_calls_to_action_are_furniture_but_story_sentences_are_not() {
        for line in [
            "Published : Nov. 27, 2026 - 16:02",
            "Updated: Nov. 27, 2026",
            "Posted on March 3, 2021 by admin",
            "Written: 2023-11-07 15:03:30 / Updated: 2023-11-07 15:30:46",
            "page.html - Created 03-10-2004 - Last Modified: 03-10-2004 2:20pm",
            "Read more: Looted colonial art: Germany to set up new contact office",
            "Get The Daily Edition by email and never miss our top stories Free Sign Up",
            "Never miss the latest news by signing up to our newsletter today!",
            "© 2020 Some Company. All rights reserved.",
            "(Credit: Jane Doe / Some Agency)",
            "Photo : YONHAP News",
            "Follow the paper on Twitter and Instagram @paper",
            "For the latest stories download the Paper app for iOS and Android.",
            "To view the full story, please subscribe to the Times.",
            "Do you want to be informed of our actions? Sign up here",
            "January 13, 2020 at 08:45 AM | Categories: Python, Mercurial | View Comments",
            "Posted in News, Politics",
            "Related Coverage",
            "Keep reading",
            "We need your help",
            "© 2022, Some News. This article is the copyrighted property of Some News. Written permission \
             must be obtained before reprint in online or print media. Republishing without consent may \
             result in legal action.",
        ] {
            assert!(is_furniture(line), "{line}");
        }
        for line in [
            "The ministry published the figures on Monday, officials said.",
            "Updated figures showed exports rose 3 percent in October.",
            "Readers of the newsletter, which the ministry started in 2019 to explain tax rules to small firms, \
             rose to 40,000 this year, and officials said they would sign up more companies next year through \
             regional chambers of commerce and trade associations across the country.",
            "Copyrights to the songs were sold in 2019.",
            "The ministry posted in its categories: a long list of reasons that officials gave for the delay, \
             which the opposition called a stalling tactic meant to run out the clock before the vote.",
        ] {
            assert!(!is_furniture(line), "{line}");
        }
    }

    #[test]
    fn leading_labels_go_in_one_pass_but_one_paragraph_stays() {
        let page = |body: &str| Html::parse_fragment(&format!("<div>{body}</div>"));
        let strip = Profile::herald().body_strip;
        let many = "<p>Diplomacy</p>".repeat(20_000) + "<p>The talks resumed on Monday.</p>";
        assert_eq!(
            clean(&page(&many), &strip, "", None),
            ["The talks resumed on Monday."]
        );
        assert_eq!(
            clean(&page("<p>Diplomacy</p><p>Seoul</p>"), &strip, "", None),
            ["Seoul"]
        );
    }

    #[test]
    fn readability_is_kept_for_pages_the_finder_finds_too_little_or_one_block_of() {
        let g = |ps: &[&str]| Generic {
            paragraphs: ps.iter().map(|p| p.to_string()).collect(),
            ..Generic::default()
        };
        let long = "word ".repeat(100);
        // The finder's result structured and long enough: no fallback needed.
        assert!(!looks_unstructured(&g(&[&long, &long])));
        assert!(looks_unstructured(&g(&[&long])));
        assert!(looks_unstructured(&g(&["short", "lines"])));
        // A one-block dump loses to paragraphs that keep at least half its text.
        let dump = "word ".repeat(300);
        let picked = pick(Some(g(&[&dump])), Some(g(&[&long, &long]))).expect("a result");
        assert_eq!(picked.paragraphs.len(), 2);
        // Far more text wins; a slightly longer one does not.
        let picked = pick(Some(g(&["a teaser", "line"])), Some(g(&[&long]))).expect("a result");
        assert_eq!(picked.paragraphs, vec![long.clone()]);
        let picked = pick(Some(g(&[&long, "x"])), Some(g(&[&long, "xy"]))).expect("a result");
        assert_eq!(picked.paragraphs[1], "x");
        assert_eq!(pick(None, None), None);
        assert!(pick(None, Some(g(&["x"]))).is_some());
    }

    #[test]
    fn publication_time_comes_from_json_ld_then_meta_never_from_text() {
        let ld = r#"<script type="application/ld+json">{"datePublished" : "2026-11-27T16:02:00+09:00"}</script>
            <meta property="article:published_time" content="2020-01-01T00:00:00Z">"#;
        assert_eq!(
            published_time(ld).as_deref(),
            Some("2026-11-27T16:02:00+09:00")
        );
        let meta = r#"<meta content='2026-11-27T07:02:00Z' property="article:published_time">"#;
        assert_eq!(
            published_time(meta).as_deref(),
            Some("2026-11-27T07:02:00Z")
        );
        for none in [
            "<p>Published : Nov. 27, 2026</p>",
            "\"datePublished\"",
            "\"datePublished\": \"",
            "<meta property=\"article:published_time\" content=",
            "article:published_time>",
        ] {
            assert_eq!(published_time(none), None, "{none}");
        }
    }

    #[test]
    fn nesting_depth_is_counted_and_deep_pages_get_no_readability_pass() {
        let doc = Html::parse_document("<div><div><p>x</p></div></div>");
        // document > html > body > div > div > p > text
        assert_eq!(nesting_depth(&doc), 6);
        let deep = format!(
            "<html><body>{}<p>{}</p>{}</body></html>",
            "<div>".repeat(3_000),
            "The ministry said on Monday that the plan would be reviewed. ".repeat(10),
            "</div>".repeat(3_000)
        );
        let strip = Profile::herald().body_strip;
        let doc = Html::parse_document(&deep);
        assert!(nesting_depth(&doc) > MAX_READABILITY_DEPTH);
        let started = std::time::Instant::now();
        // One block of text: the finder alone, no Readability pass.
        let g = extract(&doc, &deep, None, &strip, None).expect("text");
        assert_eq!(g.paragraphs.len(), 1);
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }
}
