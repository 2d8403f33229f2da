//! Property tests of every parser of outside input, with generators of
//! pathological shapes: the article extractor, the listing parser and the
//! feed reader (tag soup, deep nesting, unclosed tags, attribute floods,
//! long lines without spaces), the URL canonicaliser, the date and byline parsers, robots.txt,
//! the config loader and the search query builder. None may panic, and
//! each keeps its own promise (canonical addresses are canonical, clean
//! text is clean, a query is answered or refused as a bad query).
//!
//! Cases per property: `PROPTEST_CASES` (CI runs the default below);
//! `checks/fuzz.sh SECONDS` runs each for a fixed time in a release build.
//! A failure is saved in `tests/fuzz.proptest-regressions` and replayed first
//! from then on: commit that file with the fix.

mod common;

use std::collections::BTreeMap;

use herald_archiver::archive::{Archive, Search};
use herald_archiver::config::Config;
use herald_archiver::extract::{self, text};
use herald_archiver::fetch::Robots;
use herald_archiver::site::profile::Profile;
use herald_archiver::site::urls::SiteUrls;
use proptest::prelude::*;
use url::Url;

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        // Shrinking a 100 KB page is slow and adds little.
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    }
}

fn site() -> SiteUrls {
    SiteUrls::new(Url::parse("http://127.0.0.1:1").expect("url"))
}

const TAGS: &[&str] = &[
    "div",
    "p",
    "span",
    "a",
    "b",
    "i",
    "table",
    "tr",
    "td",
    "ul",
    "li",
    "h1",
    "h2",
    "article",
    "section",
    "figure",
    "figcaption",
    "script",
    "style",
    "svg",
    "template",
    "select",
    "option",
    "form",
    "iframe",
    "noscript",
    "time",
    "br",
    "img",
    "meta",
    "title",
    "textarea",
];
const CLASSES: &[&str] = &[
    "news_title",
    "news_text_area",
    "text_box",
    "news_list",
    "recent_news",
    "writer",
    "date",
    "view_con_t",
    "nav_area",
    "category",
    "on",
    "breadcrumb",
];

/// One piece of markup: an open tag with attributes, a close tag, text, an
/// entity or a comment, possibly broken.
fn token() -> impl Strategy<Value = String> {
    let tag = prop::sample::select(TAGS);
    let class = prop::sample::select(CLASSES);
    prop_oneof![
        (tag.clone(), class, any::<bool>()).prop_map(|(t, c, id)| if id {
            format!("<{t} id=\"articleText\" class=\"{c}\">")
        } else {
            format!("<{t} class=\"{c}\">")
        }),
        tag.prop_map(|t| format!("</{t}>")),
        "[a-zA-Z ,.가-힣é]{0,40}".prop_map(|s| s),
        prop::sample::select(&[
            "&amp;", "&#x1b;", "&#0;", "&#xD800;", "&bogus;", "&", "<", ">", "<!--", "-->",
            "<![CDATA[", "\u{0}", "\u{202E}", "\u{1b}[2J", "<a href=\"/article/10915012?utm_source=x\">",
            "<a href=\"/view.php?ud=20230330000512\">", "<link rel=\"canonical\" href=\"https://www.koreaherald.com/article/1\">",
            "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"headline\":\"H\",",
            "Published : Nov. 27, 2026 - 16:02", "By Kim Arin (arin@heraldcorp.com)",
        ][..])
        .prop_map(str::to_string),
    ]
}

/// Feed soup: RSS and Atom pieces in any order and nesting, item links in
/// every form the site uses, broken markup, entities, and runs of one
/// element by the thousand.
fn feed() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(
            &[
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                "<rss version=\"2.0\">",
                "</rss>",
                "<channel>",
                "</channel>",
                "<item>",
                "</item>",
                "<title>",
                "</title>",
                "<link>",
                "</link>",
                "<guid isPermaLink=\"true\">",
                "<guid>",
                "</guid>",
                "<description>",
                "</description>",
                "<pubDate>Fri, 27 Nov 2026 16:02:00 +09:00</pubDate>",
                "<pubDate>yesterday</pubDate>",
                "<feed xmlns=\"http://www.w3.org/2005/Atom\">",
                "</feed>",
                "<entry>",
                "</entry>",
                "<id>",
                "</id>",
                "<link href=\"/article/9\"/>",
                "<link rel=\"enclosure\" href=\"https://www.koreaherald.com/article/8\"/>",
                "https://www.koreaherald.com/article/10915012",
                "https://m.koreaherald.com/article/10915012?utm_source=rss",
                "/view.php?ud=20230330000512",
                "/National",
                "<![CDATA[",
                "]]>",
                "&amp;",
                "&#x1b;",
                "&bogus;",
                "<",
                ">",
                "<!--",
                "-->",
                "\u{0}",
                "<!DOCTYPE rss [<!ENTITY a \"aaaa\">]>",
                "&a;",
            ][..]
        )
        .prop_map(str::to_string),
        "[a-zA-Z0-9 ,./:?=&가-힣]{0,30}".prop_map(|s| s),
    ];
    let big = if cfg!(debug_assertions) { 10 } else { 1 };
    prop_oneof![
        4 => prop::collection::vec(piece, 0..300).prop_map(|t| t.concat()),
        1 => (1..20_000usize / big).prop_map(|n| format!(
            "<rss version=\"2.0\"><channel>{}</channel></rss>",
            "<item><link>https://www.koreaherald.com/article/1</link>".repeat(n)
        )),
    ]
}

/// Tag soup, and the shapes that once made parsers slow: a tag repeated
/// thousands of times (nesting or unclosed), one element with many
/// attributes, a line without spaces.
fn page() -> impl Strategy<Value = String> {
    // A debug build (CI) reads pages ten times slower: smaller shapes there,
    // full ones under `checks/fuzz.sh` (release).
    let big = if cfg!(debug_assertions) { 10 } else { 1 };
    prop_oneof![
        4 => prop::collection::vec(token(), 0..400).prop_map(|t| t.concat()),
        1 => (prop::sample::select(TAGS), 1..20_000usize / big, token())
            .prop_map(|(t, n, inner)| format!("{}{inner}", format!("<{t}>").repeat(n))),
        1 => (1..3_000usize / big).prop_map(|n| {
            let attrs: String = (0..n).map(|i| format!(" a{i}=\"{i}\"")).collect();
            format!("<div{attrs}>x</div>")
        }),
        1 => (1..200_000usize / big, "[a-z&;#<]{1,3}").prop_map(|(n, s)| format!("<p>{}</p>", s.repeat(n))),
    ]
}

fn clean(s: &str) -> bool {
    !s.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t') || ('\u{202A}'..='\u{202E}').contains(&c)
    })
}

proptest! {
    #![proptest_config(cases(32))]

    #[test]
    fn the_article_extractor_takes_any_page(html in page()) {
        let given = Url::parse("https://www.koreaherald.com/article/10900001").expect("url");
        let profile = Profile::herald();
        if let Ok(r) = extract::article(&html, Some(&given), &profile, &site()) {
            prop_assert!(!r.body.is_empty() && !r.title.is_empty());
            for field in [&r.title, &r.body] {
                prop_assert!(clean(field), "control characters kept: {:?}", field);
            }
            prop_assert!(r.url.starts_with("https://www.koreaherald.com/"));
        }
        let _ = extract::generic_record(&html, Some(&given), &profile, &site());
    }

    #[test]
    fn the_feed_reader_gives_canonical_links_once_each(xml in feed()) {
        let at = Url::parse("https://www.koreaherald.com/rss/newsAll").expect("url");
        if let Ok(links) = extract::feed(&xml, &at, &site()) {
            let mut seen = std::collections::HashSet::new();
            for l in &links {
                prop_assert!(seen.insert(l.canonical.clone()), "twice: {}", l.canonical);
                let again = site().canonical_article(&l.canonical);
                prop_assert_eq!(again.as_ref(), Some(&l.canonical));
            }
        }
    }

    #[test]
    fn the_listing_parser_gives_canonical_links_once_each(html in page()) {
        let list = Url::parse("https://www.koreaherald.com/National").expect("url");
        if let Ok(links) = extract::listing(&html, &list, &Profile::herald(), &site()) {
            let mut seen = std::collections::HashSet::new();
            for l in &links {
                prop_assert!(seen.insert(l.canonical.clone()), "twice: {}", l.canonical);
                let again = site().canonical_article(&l.canonical);
                prop_assert_eq!(again.as_ref(), Some(&l.canonical));
            }
        }
    }
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn canonical_addresses_are_fixed_points(
        host in prop::sample::select(&["www.koreaherald.com", "m.koreaherald.com", "koreaherald.com", "127.0.0.1:1", "example.com"][..]),
        path in prop::sample::select(&["/article/", "/view.php?ud=", "/National/", "/amp/article/", "/", "//"][..]),
        tail in "[0-9a-zA-Z%?&=_#./-]{0,40}",
    ) {
        let page = Url::parse("https://www.koreaherald.com/National").expect("url");
        let href = format!("https://{host}{path}{tail}");
        if let Some(link) = site().article_link(&page, &href) {
            let again = site().canonical_article(&link.canonical);
            prop_assert_eq!(again.as_ref(), Some(&link.canonical));
            prop_assert!(link.canonical.as_str().starts_with("https://www.koreaherald.com/"));
            prop_assert!(link.canonical.query().is_none_or(|q| !q.contains("utm_")));
        }
        let _ = site().article_link(&page, &tail);
    }

    #[test]
    fn dates_read_back_as_written(secs in -1_000_000_000i64..4_102_444_800, junk in ".{0,60}") {
        let t = chrono::DateTime::from_timestamp(secs, 0).expect("in range");
        let written = text::format_utc(&t);
        // A time more than a day ahead, or before 1950, is no article's date.
        let soon = chrono::Utc::now() + chrono::Duration::days(1);
        let expected = (secs >= -631_152_000 && t <= soon).then_some(t);
        prop_assert_eq!(text::parse_datetime(&written), expected);
        let _ = text::parse_datetime(&junk);
        let _ = text::parse_dateline(&junk);
        let _ = text::parse_dateline(&format!("Published : {junk} Updated : {junk}"));
    }

    #[test]
    fn bylines_give_trimmed_names(line in "(By |by |BY )?[A-Za-z가-힣 ,.()@&-]{0,80}") {
        for name in text::parse_byline(&line) {
            prop_assert!(!name.is_empty());
            prop_assert_eq!(name.trim(), name.as_str());
        }
    }

    #[test]
    fn robots_txt_of_any_bytes_is_read(body in prop::collection::vec(any::<u8>(), 0..2_000), path in "/[a-z/?=]{0,20}") {
        let robots = Robots::parse("herald-archiver/0.1", &body);
        let url = Url::parse(&format!("https://www.koreaherald.com{path}")).expect("url");
        let _ = robots.allowed(&url);
        let _ = robots.crawl_delay();
    }
}

/// The shipped config with lines dropped, duplicated or given other values.
fn config_text() -> impl Strategy<Value = String> {
    let shipped = include_str!("../config/herald.toml");
    let lines: Vec<String> = shipped.lines().map(str::to_string).collect();
    let n = lines.len();
    prop::collection::vec(
        (
            0..n,
            prop::sample::select(
                &[
                    "",
                    "0",
                    "\"0s\"",
                    "-1",
                    "\"\"",
                    "[[section]]",
                    "[http]",
                    "x = 1",
                    "= =",
                    "\"\u{0}\"",
                    "99999999999999999999",
                    "\"* * *\"",
                    "true",
                    "[1, 2]",
                    "\"/\"",
                ][..],
            ),
            0..3u8,
        ),
        0..6,
    )
    .prop_map(move |edits| {
        let mut lines = lines.clone();
        for (at, value, kind) in edits {
            let at = at.min(lines.len().saturating_sub(1));
            match kind {
                0 => {
                    if at < lines.len() {
                        lines.remove(at);
                    }
                }
                1 => {
                    let key = lines[at].split('=').next().unwrap_or("").trim().to_string();
                    lines[at] = format!("{key} = {value}");
                }
                _ => lines.insert(at, value.to_string()),
            }
        }
        lines.join("\n")
    })
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn the_config_loader_reports_problems_with_lines_never_panics(text in config_text()) {
        if let Err(e) = Config::parse(&text) {
            prop_assert!(!e.is_empty());
            for line in e.lines() {
                prop_assert!(line.starts_with("line ") || !line.contains("line"), "{}", line);
            }
        }
    }
}

fn archive() -> (tempfile::TempDir, Archive) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = Archive::open(&dir.path().join("a.db")).expect("open");
    let record = extract::Record {
        url: "https://www.koreaherald.com/article/1".into(),
        title: "Assembly passes data protection bill".into(),
        subtitle: None,
        authors: vec!["Kim Arin".into()],
        section: Some("National".into()),
        subsection: None,
        published_at: Some("2026-11-27T07:02:00Z".into()),
        updated_at: None,
        body: "Lawmakers approved the privacy measure on Friday.".into(),
        captions: vec![],
        images: vec![],
        sources: BTreeMap::new(),
        layout: "g4".into(),
    };
    a.store(&record, &[&record.url], "2026-11-27T08:00:00Z", None)
        .expect("store");
    (dir, a)
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn any_search_query_is_answered_or_refused_as_a_bad_query(
        query in prop_oneof![
            "[a-z\"()*:^+ -]{0,40}",
            prop::collection::vec(prop::sample::select(&[
                "privacy", "\"", "(", ")", "*", "NEAR(", "AND", "OR", "NOT", "title:", "body:", "x:",
                "^", "-", ",", "NEAR(a b, 5)", "\u{0}", "개인정보", "{title body}:", "+",
            ][..]), 0..12).prop_map(|w| w.join(" ")),
        ]
    ) {
        thread_local! {
            static ARCHIVE: (tempfile::TempDir, Archive) = archive();
        }
        let q = Search { query: query.clone(), limit: 10, ..Search::default() };
        let result = ARCHIVE.with(|(_, a)| a.search(&q, ("[", "]")));
        match result {
            Ok(_) => {}
            Err(herald_archiver::error::ArchiveError::BadQuery { .. }) => {}
            Err(other) => prop_assert!(false, "{:?}: {}", query, other),
        }
    }
}
