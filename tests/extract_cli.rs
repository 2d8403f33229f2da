//! `extract` on many saved pages: one JSON line per page in order, an error
//! line for a page that is no article, and a failed exit only when a file
//! cannot be read. `--generic` works on any page.

mod common;

use serde_json::Value;

fn lines(out: &std::process::Output) -> Vec<Value> {
    common::stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// An article page of another site, with no canonical address.
const FOREIGN: &str = r#"<!doctype html><html><head><title>Tide tables and the harbour</title></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Tide tables and the harbour</h1>
<p>The harbour master published the new tide tables on Monday, a week later than usual, after the survey boat needed repairs.</p>
<p>Fishermen said the delay cost them two mornings at sea, because the old tables no longer matched the channel that the autumn storms had moved.</p>
<p>The council will pay for a second survey next spring so that the tables can be checked before the busy season begins.</p>
</article><footer>Copyright 2026 The Harbour Gazette</footer></body></html>"#;

#[test]
fn many_pages_give_one_line_each_in_order_and_only_an_unreadable_file_fails() {
    let root = common::fixtures();
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("gone.html");
    let article = root.join("site/article/10915230.html");
    let not_found = root.join("site/not-found.html");
    let path = |p: &std::path::Path| p.to_str().expect("utf-8").to_string();

    let out = common::cli(&["extract", &path(&article), &path(&not_found)]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let got = lines(&out);
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0]["url"],
        "https://www.koreaherald.com/article/10915230"
    );
    assert_eq!(got[1]["page"], path(&not_found));
    assert!(got[1]["error"]
        .as_str()
        .is_some_and(|e| e.contains("not an article")));

    let out = common::cli(&["extract", &path(&missing), &path(&article)]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an unreadable file fails the command"
    );
    let got = lines(&out);
    assert_eq!(got.len(), 2, "the readable page is still extracted");
    assert!(got[0]["error"]
        .as_str()
        .is_some_and(|e| e.contains("cannot read")));
    assert_eq!(
        got[1]["url"],
        "https://www.koreaherald.com/article/10915230"
    );
}

#[test]
fn one_url_per_page_in_order_and_a_miscount_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.html");
    let b = dir.path().join("b.html");
    std::fs::write(&a, FOREIGN).expect("write");
    std::fs::write(&b, FOREIGN).expect("write");
    let (a, b) = (a.to_str().expect("utf-8"), b.to_str().expect("utf-8"));
    let out = common::cli(&[
        "extract",
        "--generic",
        a,
        b,
        "--url",
        "https://example.org/1",
        "--url",
        "https://example.org/2",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let got = lines(&out);
    assert_eq!(got[0]["url"], "https://example.org/1");
    assert_eq!(got[1]["url"], "https://example.org/2");

    let out = common::cli(&["extract", a, b, "--url", "https://example.org/1"]);
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("one --url per page"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn generic_works_on_a_page_with_no_address_of_its_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("harbour.html");
    std::fs::write(&page, FOREIGN).expect("write");
    let out = common::cli(&["extract", "--generic", page.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let got = lines(&out);
    assert_eq!(got.len(), 1);
    assert!(
        got[0]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("file://") && u.ends_with("/harbour.html")),
        "the address comes from the file name: {}",
        got[0]
    );
    let body = got[0]["body"].as_str().unwrap_or_default();
    assert!(body.contains("harbour master published"), "{body}");
    assert!(!body.contains("Copyright"), "{body}");

    // A saved Herald page named by its id gets that article's address.
    let named = dir.path().join("10915777.html");
    std::fs::write(&named, FOREIGN).expect("write");
    let out = common::cli(&["extract", "--generic", named.to_str().expect("utf-8")]);
    assert_eq!(
        lines(&out)[0]["url"],
        "https://www.koreaherald.com/article/10915777"
    );
}

#[test]
fn a_saved_page_is_read_in_the_charset_it_declares() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("latin1.html");
    let html = FOREIGN
        .replace("<head>", "<head><meta charset=\"iso-8859-1\">")
        .replace(
            "The harbour master",
            "The caf\u{e9} owner and the harbour master",
        );
    // Encoded as the page says: é is the single byte 0xE9.
    let bytes: Vec<u8> = html.chars().map(|c| c as u32 as u8).collect();
    std::fs::write(&page, bytes).expect("write");
    let out = common::cli(&["extract", "--generic", page.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let body = lines(&out)[0]["body"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(body.contains("The café owner"), "{body}");
}

#[test]
fn explain_shows_each_fields_layer_rule_and_the_other_layers() {
    let root = common::fixtures();
    let g4 = root.join("site/article/10915012.html");
    let redesign = root.join("../extra/redesign-furniture-10999207.html");
    let (a, b) = (g4.to_string_lossy(), redesign.to_string_lossy());
    let out = common::cli(&["extract", "--explain", &a, &b]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    let (first, second) = text
        .split_once(&format!("== {}\n", redesign.display()))
        .expect("one block per page, in order");
    assert!(
        first.starts_with(&format!("== {}\n", g4.display())),
        "{text}"
    );
    // The G4 page: the layout's selectors, with what the others would give.
    assert!(first.contains("title: selector h1.news_title\n"), "{first}");
    assert!(first.contains("    jsonld   headline"), "{first}");
    assert!(
        first.contains("body: selector article#articleText\n"),
        "{first}"
    );
    // The redesign: no selector fits, and every field says where it came from.
    assert!(second.contains("layout: unknown"), "{second}");
    assert!(
        second.contains("body: generic main-content finder"),
        "{second}"
    );
    assert!(
        second.contains("  - selector article#articleText"),
        "{second}"
    );
    assert!(second.contains("section: generic breadcrumbs"), "{second}");
}

#[test]
fn the_parsers_repairs_of_ordinary_markup_are_not_logged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("10900001.html");
    // Text inside a table: html5ever repairs it and warns "foster parenting".
    let html = FOREIGN.replace(
        "<article>",
        "<table><p>stray</p><tr><td>x</td></tr></table><article>",
    );
    std::fs::write(&page, html).expect("page");
    // Without RUST_LOG: the default filter (RUST_LOG=warn would ask for them).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_herald-archiver"))
        .args(["extract", page.to_str().expect("path")])
        .env_remove("RUST_LOG")
        .env_remove("HERALD_ARCHIVER_CONFIG")
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert!(
        !common::stderr(&out).contains("foster parenting"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn a_local_page_is_read_up_to_the_body_cap_and_no_further() {
    // /dev/zero never ends: read whole it filled 10 GB of memory.
    let out = common::cli(&["extract", "/dev/zero"]);
    assert!(!out.status.success());
    let got = lines(&out);
    let why = got[0]["error"].as_str().expect("error line");
    assert!(why.contains("larger than 5242880 bytes"), "{why}");
    assert!(common::stderr(&out).contains("max_body_bytes"));
}

#[test]
fn check_config_refuses_a_file_that_never_ends() {
    let out = common::cli(&["check-config", "--config", "/dev/zero"]);
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("larger than 1048576 bytes"),
        "{}",
        common::stderr(&out)
    );
}
