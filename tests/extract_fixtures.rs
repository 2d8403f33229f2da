//! Every fixture page must yield its expected record, field by field, through
//! the library and through the `extract` command.

mod common;

use herald_archiver::dedup::content_hash;
use herald_archiver::extract::{self, Layer, Record};
use herald_archiver::site::profile::Profile;
use herald_archiver::site::urls::SiteUrls;
use serde_json::Value;
use url::Url;

/// (expected record, page) pairs of `tests/fixtures/pairs.tsv`: the shared
/// fixture site, plus pages of our own for the 2023-2024 layout, JSON-LD
/// shapes and a layout no selector knows.
fn cases() -> Vec<(String, String)> {
    let root = common::fixtures();
    let pairs = std::fs::read_to_string(root.join("../pairs.tsv")).expect("pairs.tsv");
    pairs
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('\t'))
        .map(|(e, p)| (format!("../{e}"), format!("../{p}")))
        .collect()
}

fn site() -> SiteUrls {
    SiteUrls::new(Url::parse("https://www.koreaherald.com").expect("url"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(common::fixtures().join(rel)).expect("fixture file")
}

fn extract_page(rel: &str) -> Record {
    extract::article(&read(rel), None, &Profile::herald(), &site()).expect("an article")
}

#[test]
fn every_fixture_page_yields_its_expected_record() {
    let mut mismatches = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 11);
    for (expected, page) in &cases {
        let want: Value = serde_json::from_str(&read(expected)).expect("json");
        let got = serde_json::to_value(extract_page(page)).expect("json");
        let want = want.as_object().expect("object");
        assert_eq!(want.len(), 11, "{expected}: expected file has every field");
        for (field, value) in want {
            if got.get(field) != Some(value) {
                mismatches.push(format!(
                    "{expected}.{field}: got {:?}, want {value}",
                    got.get(field)
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn layouts_are_recognised_and_an_unknown_one_falls_back_to_the_generic_layer() {
    for (page, layout) in [
        ("site/article/10915012.html", "g4"),
        ("../extra/g3-20240903050123.html", "g3"),
        ("site/view.php-ud-20230330000512.html", "g2"),
        ("../extra/redesign-unknown-layout.html", "unknown"),
    ] {
        assert_eq!(extract_page(page).layout, layout, "{page}");
    }
    let redesign = extract_page("../extra/redesign-unknown-layout.html");
    assert_eq!(redesign.sources.get("body"), Some(&Layer::Generic));
    assert!(!redesign.body.contains("Trending") && !redesign.body.contains("Won falls"));
}

#[test]
fn the_legacy_page_body_has_no_menu_footer_ad_or_related_text() {
    let record = extract_page("site/view.php-ud-20230330000512.html");
    for junk in [
        "Hwang on China",
        "K-Wellness",
        "Hello Hangeul",
        "Copyright Herald Corporation",
        "MOST POPULAR",
        "Seoul stocks open higher",
        "print",
        "This file photo shows",
    ] {
        assert!(!record.body.contains(junk), "body contains {junk:?}");
    }
    let modern = extract_page("site/article/10915012.html");
    for junk in [
        "ADVERTISEMENT",
        "Related Articles",
        "Most Popular",
        "Share",
        "By Kim Arin",
        "Lawmakers cast",
    ] {
        assert!(!modern.body.contains(junk), "body contains {junk:?}");
    }
}

#[test]
fn the_seed_article_has_one_content_hash_under_both_layouts() {
    let modern = extract_page("site/article/10072519.html");
    let legacy = extract_page("site/view.php-ud-20230330000512.html");
    assert_eq!(content_hash(&modern.body), content_hash(&legacy.body));
    assert_ne!(
        content_hash(&extract_page("site/article/10915012.html").body),
        content_hash(&extract_page("site/article/10915012-revised.html").body)
    );
}

#[test]
fn each_field_records_the_layer_that_gave_it() {
    let with_ld = extract_page("site/article/10072519.html");
    assert_eq!(with_ld.sources.get("title"), Some(&Layer::Selector));
    assert_eq!(with_ld.sources.get("updated_at"), Some(&Layer::JsonLd));
    let no_ld = extract_page("site/article/10915188.html");
    assert_eq!(no_ld.sources.get("updated_at"), Some(&Layer::Page));
    assert_eq!(no_ld.sources.get("section"), Some(&Layer::Selector));
}

#[test]
fn an_article_section_path_in_one_string_gives_section_and_sub_section() {
    for given in [
        r#""National > Politics""#,
        r#""National/Politics""#,
        r#"["National", "Politics"]"#,
    ] {
        let html = format!(
            r#"<html><head><link rel="canonical" href="https://www.koreaherald.com/article/10900002">
            <script type="application/ld+json">{{"@type":"NewsArticle","headline":"H",
            "articleSection":{given}}}</script></head>
            <body><div class="news_text_area"><div class="text_box"><p>One.</p></div></div></body></html>"#
        );
        let r = extract::article(&html, None, &Profile::herald(), &site()).expect("article");
        assert_eq!(r.section.as_deref(), Some("National"), "{given}");
        assert_eq!(r.subsection.as_deref(), Some("Politics"), "{given}");
        assert_eq!(r.sources.get("subsection"), Some(&Layer::JsonLd), "{given}");
    }
}

#[test]
fn structured_data_fills_in_when_selectors_miss() {
    // A page of an unknown layout: only JSON-LD and meta tags to go on.
    let html = r#"<html><head>
      <meta property="og:url" content="https://m.koreaherald.com/article/10900001?ref=x">
      <meta property="og:image" content="https://wimg.heraldcorp.com/x_P1.jpg">
      <script type="application/ld+json">{"@graph":[{"@type":"WebPage"},
        {"@type":"NewsArticle","headline":"Graph headline","datePublished":"2026-01-02T09:00:00",
         "author":[{"name":"A"},"By B and C"],"articleSection":["World"]}]}</script>
      </head><body><div class="news_text_area"><div class="text_box"><p>One.</p><p>Two.</p></div></div></body></html>"#;
    let r = extract::article(html, None, &Profile::herald(), &site()).expect("article");
    assert_eq!(r.url, "https://www.koreaherald.com/article/10900001");
    assert_eq!(r.title, "Graph headline");
    assert_eq!(r.authors, ["A", "B", "C"]);
    assert_eq!(r.section.as_deref(), Some("World"));
    assert_eq!(r.published_at.as_deref(), Some("2026-01-02T00:00:00Z"));
    assert_eq!(r.body, "One.\n\nTwo.");
    assert_eq!(r.sources.get("title"), Some(&Layer::JsonLd));
}

#[test]
fn pages_that_are_not_articles_are_refused_with_a_reason() {
    let url = Url::parse("https://www.koreaherald.com/article/10915404").expect("url");
    let err = extract::article(
        &read("site/not-found.html"),
        Some(&url),
        &Profile::herald(),
        &site(),
    )
    .expect_err("not an article");
    assert!(err.to_string().contains("Page not found"), "{err}");
    for junk in [
        "",
        "<html>",
        "<p>just text</p>",
        "\u{0}\u{0}<<<>>>",
        "<article id=articleText></article>",
    ] {
        assert!(
            extract::article(junk, Some(&url), &Profile::herald(), &site()).is_err(),
            "{junk:?}"
        );
    }
}

#[test]
fn the_extract_command_prints_one_json_record_per_page() {
    let root = common::fixtures();
    let pages = [
        root.join("site/article/10915230.html"),
        root.join("site/view.php-ud-20230330000512.html"),
    ];
    let out = common::cli(&[
        "extract",
        pages[0].to_str().expect("path"),
        pages[1].to_str().expect("path"),
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let lines: Vec<Value> = common::stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0]["url"],
        "https://www.koreaherald.com/article/10915230"
    );
    assert_eq!(
        lines[1]["url"],
        "https://www.koreaherald.com/view.php?ud=20230330000512"
    );

    // --url names a page that does not name itself.
    let out = common::cli(&[
        "extract",
        root.join("site/not-found.html").to_str().expect("path"),
        "--url",
        "https://www.koreaherald.com/article/10915404",
    ]);
    // A page that is no article is an error line, not a failed command.
    assert!(out.status.success(), "{}", common::stderr(&out));
    let line: Value = serde_json::from_str(common::stdout(&out).trim()).expect("json line");
    assert!(
        line["error"]
            .as_str()
            .is_some_and(|e| e.contains("not an article")),
        "{line}"
    );
}

#[test]
fn no_layer_keeps_page_furniture_in_the_body() {
    for page in [
        "../extra/redesign-furniture-10999207.html",
        "../extra/no-jsonld-no-selectors-10931870.html",
        "../extra/byline-in-body-10921544.html",
        "../extra/amp-jsonld-only-10930112.html",
    ] {
        let r = extract_page(page);
        for junk in [
            "Published :",
            "Updated :",
            "Posted :",
            "Last modified",
            "Most Popular",
            "01 KOSPI",
            "Share this",
            "Subscribe",
            "newsletter",
            "Copyright",
            "All Rights Reserved",
            "(Photo: Yonhap)",
            "Read more",
            "Seoul, Washington begin",
            "By Kim Arin",
            "By Jeon",
            "Customers wait at a bank branch",
        ] {
            assert!(!r.body.contains(junk), "{page}: body keeps {junk:?}");
        }
        assert!(!r.body.ends_with("Yonhap"), "{page}");
    }
}

#[test]
fn fields_from_page_rules_name_their_layer() {
    let g3 = extract_page("../extra/g3-category-afp-20241112050456.html");
    assert_eq!(g3.sources.get("section"), Some(&Layer::Generic));
    assert_eq!(g3.sources.get("authors"), Some(&Layer::Generic));
    let amp = extract_page("../extra/amp-jsonld-only-10930112.html");
    assert_eq!(amp.layout, "unknown");
    for field in ["body", "subtitle", "captions", "subsection", "images"] {
        assert_eq!(amp.sources.get(field), Some(&Layer::JsonLd), "{field}");
    }
    let bare = extract_page("../extra/no-jsonld-no-selectors-10931870.html");
    for field in [
        "published_at",
        "updated_at",
        "section",
        "captions",
        "authors",
    ] {
        assert_eq!(bare.sources.get(field), Some(&Layer::Generic), "{field}");
    }
    let redesign = extract_page("../extra/redesign-furniture-10999207.html");
    assert_eq!(redesign.layout, "unknown");
    for field in [
        "subtitle",
        "authors",
        "section",
        "subsection",
        "published_at",
        "captions",
    ] {
        assert_eq!(
            redesign.sources.get(field),
            Some(&Layer::Generic),
            "{field}"
        );
    }
    // The publisher as JSON-LD author is less specific than the byline.
    let inbody = extract_page("../extra/byline-in-body-10921544.html");
    assert_eq!(inbody.authors, ["Kim Arin"]);
    assert_eq!(inbody.sources.get("authors"), Some(&Layer::Generic));
}

#[test]
fn the_list_page_gives_the_section_when_the_page_does_not() {
    let html = r#"<html><head><title>Ferry service resumes - The Korea Herald</title>
      <link rel="canonical" href="https://www.koreaherald.com/article/10900321"></head><body>
      <div class="x-wrap"><h1>Ferry service resumes</h1><div class="x-body">
      <p>Ferry service between Mokpo and Jeju resumed on Tuesday after a three-day suspension caused by high waves, the operator said.</p>
      <p>About 2,000 passengers had been stranded on the island over the weekend, according to the local government.</p>
      </div></div></body></html>"#;
    let plain = extract::article(html, None, &Profile::herald(), &site()).expect("article");
    assert_eq!(plain.section, None, "never invented");
    for (list_page, section, subsection) in [
        (
            "/National/SocialAffairs",
            "National",
            Some("Social Affairs"),
        ),
        ("https://www.koreaherald.com/Business", "Business", None),
        ("/list.php?ct=020101000000", "National", Some("Politics")),
    ] {
        let hints = extract::Hints {
            given: None,
            list_page: Some(list_page),
        };
        let r = extract::article_with(html, &Profile::herald(), &site(), &hints).expect("article");
        assert_eq!(r.section.as_deref(), Some(section), "{list_page}");
        assert_eq!(r.subsection.as_deref(), subsection, "{list_page}");
        assert_eq!(r.sources.get("section"), Some(&Layer::Given));
    }
    // The page's own section wins over the list's.
    let hints = extract::Hints {
        given: None,
        list_page: Some("/Business"),
    };
    let own = extract::article_with(
        &read("site/article/10915012.html"),
        &Profile::herald(),
        &site(),
        &hints,
    )
    .expect("article");
    assert_eq!(own.section.as_deref(), Some("National"));
}

#[test]
fn json_ld_breadcrumbs_give_the_sub_section() {
    let html = r#"<html><head>
      <link rel="canonical" href="https://www.koreaherald.com/article/10900777">
      <script type="application/ld+json">[{"@type":"NewsArticle","headline":"Won rebounds",
        "articleSection":"Business","datePublished":"2026-01-02T09:00:00+09:00"},
        {"@type":"BreadcrumbList","itemListElement":[
          {"@type":"ListItem","position":1,"name":"Home","item":"https://www.koreaherald.com/"},
          {"@type":"ListItem","position":2,"name":"Business","item":"https://www.koreaherald.com/Business"},
          {"@type":"ListItem","position":3,"name":"Market","item":{"@id":"https://www.koreaherald.com/Business/Market"}}]}]</script>
      </head><body><div class="x"><p>The won rebounded against the dollar on Monday as exporters sold dollars ahead of the holidays, dealers said.</p>
      <p>The currency closed at 1,382.5 won per dollar, up 6.1 won from the previous session.</p></div></body></html>"#;
    let r = extract::article(html, None, &Profile::herald(), &site()).expect("article");
    assert_eq!(r.section.as_deref(), Some("Business"));
    assert_eq!(r.subsection.as_deref(), Some("Market"));
    assert_eq!(r.sources.get("subsection"), Some(&Layer::JsonLd));
}

#[test]
fn dates_come_from_time_elements_and_microdata_when_nothing_else_gives_them() {
    let body = "<p>The won rebounded against the dollar on Monday as exporters sold dollars ahead of the holidays, dealers said.</p>\
        <p>The currency closed at 1,382.5 won per dollar, up 6.1 won from the previous session.</p>";
    let page = |dates: &str| {
        format!(
            "<html><head><title>Won rebounds - The Korea Herald</title>\
             <link rel=\"canonical\" href=\"https://www.koreaherald.com/article/10900778\"></head>\
             <body><div class=\"x\"><h1>Won rebounds</h1>{dates}<div class=\"y\">{body}</div></div></body></html>"
        )
    };
    let html = page(
        "<p>Posted <time datetime=\"2026-01-04T09:30:00+09:00\">Jan. 4</time> \
         | <span>Updated <time datetime=\"2026-01-04T11:00\">11:00</time></span></p>",
    );
    let r = extract::article(&html, None, &Profile::herald(), &site()).expect("article");
    assert_eq!(r.published_at.as_deref(), Some("2026-01-04T00:30:00Z"));
    assert_eq!(r.updated_at.as_deref(), Some("2026-01-04T02:00:00Z"));
    assert_eq!(r.sources.get("published_at"), Some(&Layer::Generic));
    let html = page("<meta itemprop=\"datePublished\" content=\"2026-01-04 08:15\">");
    let r = extract::article(&html, None, &Profile::herald(), &site()).expect("article");
    assert_eq!(r.published_at.as_deref(), Some("2026-01-03T23:15:00Z"));
    assert_eq!(r.updated_at, r.published_at);
    let none = extract::article(&page(""), None, &Profile::herald(), &site()).expect("article");
    assert_eq!(none.published_at, None, "never invented");
}

#[test]
fn explaining_a_page_changes_nothing_and_names_the_source_of_every_field() {
    let profile = Profile::herald();
    for (_, page) in cases() {
        let html = read(&page);
        let plain = extract::article(&html, None, &profile, &site()).expect("an article");
        let (record, why) = extract::explain(&html, &profile, &site(), &extract::Hints::default());
        let record = record.expect("an article");
        assert_eq!(record, plain, "{page}: --explain changed the record");
        assert_eq!(why.layout, record.layout, "{page}");
        assert_eq!(why.error, None, "{page}");
        // The kept source of each field is the one the record names.
        for (field, layer) in &record.sources {
            let chosen = why
                .chosen(field)
                .unwrap_or_else(|| panic!("{page}: {field} unexplained"));
            assert_eq!(chosen.layer, *layer, "{page}: {field}");
            assert!(
                chosen.value.is_some(),
                "{page}: {field} kept a source that gave nothing"
            );
            assert!(!chosen.rule.is_empty(), "{page}: {field}");
        }
        // A field the record lacks was looked for, and nothing was kept.
        for field in ["subtitle", "section", "subsection"] {
            let tried = why.fields.get(field).map_or(0, Vec::len);
            assert!(tried > 1, "{page}: {field} tried {tried} sources");
            if !record.sources.contains_key(field) {
                assert!(why.chosen(field).is_none(), "{page}: {field}");
            }
        }
    }
}

#[test]
fn explaining_a_page_that_is_no_article_says_why_and_what_was_found() {
    let html = r#"<html><head><title>Markets</title>
        <link rel="canonical" href="https://www.koreaherald.com/article/10900001"></head>
        <body><h1>Markets</h1></body></html>"#;
    let (record, why) = extract::explain(
        html,
        &Profile::herald(),
        &site(),
        &extract::Hints::default(),
    );
    assert!(record.is_err());
    assert!(
        why.error
            .as_deref()
            .is_some_and(|e| e.contains("no article body")),
        "{why:?}"
    );
    assert_eq!(why.chosen("title").map(|a| a.layer), Some(Layer::Page));
    assert!(why.chosen("body").is_none());
    let text = why.to_string();
    assert!(text.contains("body: nothing found"), "{text}");
}
