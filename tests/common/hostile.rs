//! Pathological page shapes, each under the default 5 MiB body cap: what a
//! broken or hostile server can send. Shared by `tests/robustness.rs` (no
//! panic, bounded time in a debug build) and `examples/hostile_pages.rs`
//! (each under a second in a release build: `bench/hostile_pages.sh`).

/// (name, page) pairs; `scale` 1.0 is full size, tests use less.
pub fn shapes(scale: f64) -> Vec<(&'static str, String)> {
    let n = |full: usize| ((full as f64 * scale) as usize).max(10);
    let head = r#"<html><head><title>Hostile - The Korea Herald</title>
<link rel="canonical" href="https://www.koreaherald.com/article/10900009"></head><body>
<h1 class="news_title">Hostile</h1>"#;
    let page = |inner: String| format!("{head}{inner}<p>The end.</p></body></html>");
    let attrs = |k: usize| (0..k).map(|i| format!(" a{i}=\"{i}\"")).collect::<String>();
    vec![
        ("unclosed-svg", page("<svg>".repeat(n(300_000)))),
        ("unclosed-script", page("<script>".repeat(n(300_000)))),
        (
            "unclosed-style-open-tags",
            page("<style x".repeat(n(300_000))),
        ),
        ("unclosed-comment-starts", page("<!--".repeat(n(1_000_000)))),
        ("nested-div", page("<div>".repeat(n(1_000_000)))),
        ("nested-div-text", page("<div>x".repeat(n(500_000)))),
        ("nested-span", page("<span>".repeat(n(500_000)))),
        ("nested-table", page("<table><tr><td>".repeat(n(200_000)))),
        ("nested-list", page("<ul><li>".repeat(n(300_000)))),
        ("nested-blockquote", page("<blockquote>".repeat(n(300_000)))),
        ("unclosed-b", page("<b>x".repeat(n(500_000)))),
        ("mixed-formatting", page("<b><i><u><s>x".repeat(n(200_000)))),
        ("unclosed-a", page("<a href=\"#\">x".repeat(n(300_000)))),
        (
            "formatting-with-ids",
            page((0..n(200_000)).map(|i| format!("<b id={i}>x")).collect()),
        ),
        (
            "misnested-formatting",
            page("<b><p>x</b>y</p>".repeat(n(200_000))),
        ),
        ("stray-end-p", page("</p>".repeat(n(1_000_000)))),
        ("unclosed-p", page("<p>x".repeat(n(1_000_000)))),
        ("li-flood", page("<li>x".repeat(n(1_000_000)))),
        (
            "options",
            page(format!(
                "<select>{}</select>",
                "<option>x".repeat(n(1_000_000))
            )),
        ),
        ("nested-forms", page("<form><div>".repeat(n(300_000)))),
        (
            "many-attributes",
            page(format!("<div{}>x</div>", attrs(n(300_000)))),
        ),
        (
            "duplicate-attributes",
            page(format!("<div{}>x</div>", " a=1".repeat(n(1_000_000)))),
        ),
        (
            "huge-attribute",
            page(format!(
                "<div class=\"{}\">x</div>",
                "x".repeat(n(5_000_000))
            )),
        ),
        (
            "long-word",
            page(format!("<p>{}</p>", "x".repeat(n(5_000_000)))),
        ),
        (
            "entities",
            page(format!(
                "<p>{}</p>",
                "&amp;&lt;&#x41;&bogus;".repeat(n(200_000))
            )),
        ),
        (
            "long-entity",
            page(format!("<p>&{};</p>", "a".repeat(n(5_000_000)))),
        ),
        ("headings", page("<h2>x".repeat(n(500_000)))),
        (
            "frameset-mess",
            page("<frameset><frame>".repeat(n(300_000))),
        ),
        ("tables-in-p", page("<p><table>".repeat(n(300_000)))),
        (
            "foreign-nesting",
            page("<svg><g><math><mi>".repeat(n(200_000))),
        ),
        ("templates", page("<template>".repeat(n(300_000)))),
    ]
}
