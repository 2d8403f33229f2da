use std::collections::BTreeMap;

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use url::Url;

use super::blocks::paragraphs;
use super::text::{format_utc, parse_byline, parse_dateline, parse_datetime, squash};
use super::{Layer, Record};
use crate::error::ExtractError;
use crate::site::profile::{detect_layout, Profile, Sel};
use crate::site::urls::SiteUrls;

/// The picture the site shows when an article has none: not an article image.
const DEFAULT_SHARE_IMAGE: &str = "/image/sns.png";

/// Extracts the clean record of an article page. `given` is the address the
/// page was fetched under (or `--url`); the page's own canonical address wins
/// when it is an article address of the site.
pub fn article(
    html: &str,
    given: Option<&Url>,
    profile: &Profile,
    site: &SiteUrls,
) -> Result<Record, ExtractError> {
    let cleaned = super::prestrip::prestrip(html);
    let doc = Html::parse_document(&cleaned);
    let layout = detect_layout(&doc);
    let meta = Meta::read(&doc);
    let ld = JsonLd::read(&doc);
    let mut sources = BTreeMap::new();
    let mut note = |field: &str, layer: Layer| {
        sources.insert(field.to_string(), layer);
    };

    let (url, layer) = address(&meta, ld.id.as_ref(), given, site)?;
    note("url", layer);

    let title = first(
        &mut note,
        "title",
        [
            (Layer::Selector, first_text(&doc, &profile.title)),
            (Layer::JsonLd, ld.headline.clone()),
            (Layer::Meta, meta.og_title.clone()),
            (Layer::Page, meta.title.clone().filter(|t| !is_site_name(t))),
        ],
    );
    let subtitle = first(
        &mut note,
        "subtitle",
        [(Layer::Selector, first_text(&doc, &profile.subtitle))],
    );

    let byline = first_text(&doc, &profile.byline).map(|b| parse_byline(&b));
    let authors = match (byline, ld.authors) {
        (Some(names), _) if !names.is_empty() => {
            note("authors", Layer::Selector);
            names
        }
        (_, Some(names)) => {
            note("authors", Layer::JsonLd);
            names
        }
        _ => Vec::new(),
    };

    let section = first(
        &mut note,
        "section",
        [
            (Layer::Selector, section_name(&doc, &profile.section)),
            (Layer::JsonLd, ld.section.clone()),
            (Layer::Meta, meta.section.clone()),
        ],
    );
    let subsection = first(
        &mut note,
        "subsection",
        [(Layer::Selector, first_text(&doc, &profile.subsection))],
    );

    let (line_published, line_updated) = all_text(&doc, &profile.dateline)
        .map(|line| parse_dateline(&line))
        .unwrap_or((None, None));
    let published_at = first(
        &mut note,
        "published_at",
        [
            (Layer::Selector, line_published),
            (
                Layer::JsonLd,
                ld.published.as_deref().and_then(parse_datetime),
            ),
            (
                Layer::Meta,
                meta.published.as_deref().and_then(parse_datetime),
            ),
        ],
    );
    let updated_at = first(
        &mut note,
        "updated_at",
        [
            (Layer::Selector, line_updated),
            (
                Layer::JsonLd,
                ld.modified.as_deref().and_then(parse_datetime),
            ),
            (
                Layer::Meta,
                meta.modified.as_deref().and_then(parse_datetime),
            ),
            (Layer::Page, published_at),
        ],
    );

    let body_el = profile.body.iter().find_map(|s| doc.select(s.get()).next());
    let mut body = body_el
        .map(|el| paragraphs(el, &profile.body_strip).join("\n\n"))
        .unwrap_or_default();
    if !body.is_empty() {
        note("body", Layer::Selector);
    }
    // No selector found the body: a layout we do not know. The generic layer
    // still gets the text, and the run's drift check notices.
    let mut generic_title = None;
    let mut generic_byline = None;
    if body.is_empty() {
        let found = super::generic::extract(
            &cleaned,
            Some(url.as_str()),
            &profile.body_strip,
            title.as_deref(),
        );
        if let Some(g) = found {
            body = g.paragraphs.join("\n\n");
            note("body", Layer::Generic);
            generic_title = g.title;
            generic_byline = g.byline;
        }
    }
    let authors = match generic_byline.map(|b| parse_byline(&b)) {
        Some(names) if authors.is_empty() && !names.is_empty() => {
            note("authors", Layer::Generic);
            names
        }
        _ => authors,
    };
    let title = title.or_else(|| {
        let t = generic_title.filter(|t| !is_site_name(t))?;
        note("title", Layer::Generic);
        Some(t)
    });

    let captions = all_matches(&doc, &profile.captions)
        .into_iter()
        .map(|el| squash(&el.text().collect::<String>()))
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>();
    if !captions.is_empty() {
        note("captions", Layer::Selector);
    }

    let images = if body_el.is_some() {
        let found = resolve_all(
            &url,
            all_matches(&doc, &profile.images)
                .into_iter()
                .filter_map(|el| el.value().attr("src")),
        );
        if !found.is_empty() {
            note("images", Layer::Selector);
        }
        found
    } else {
        // No article container matched: the structured data is all we have.
        let (layer, list) = if ld.images.is_empty() {
            (
                Layer::Meta,
                meta.og_image.iter().cloned().collect::<Vec<_>>(),
            )
        } else {
            (Layer::JsonLd, ld.images.clone())
        };
        let found = resolve_all(&url, list.iter().map(String::as_str));
        if !found.is_empty() {
            note("images", layer);
        }
        found
    };

    let Some(title) = title.filter(|_| !body.is_empty()) else {
        let heading = Selector::parse("h1, h2").ok().and_then(|sel| {
            doc.select(&sel)
                .map(|el| squash(&el.text().collect::<String>()))
                .find(|t| !t.is_empty())
        });
        return Err(ExtractError::NotAnArticle {
            reason: format!(
                "no {} found (page heading: {:?})",
                if body.is_empty() {
                    "article body"
                } else {
                    "headline"
                },
                heading.or(meta.title).unwrap_or_default()
            ),
        });
    };

    Ok(Record {
        url: url.to_string(),
        title: nfc(title),
        subtitle: subtitle.map(nfc),
        authors: authors.into_iter().map(nfc).collect(),
        section,
        subsection: subsection.map(nfc),
        published_at: published_at.map(|t| format_utc(&t)),
        updated_at: updated_at.map(|t| format_utc(&t)),
        body: nfc(body),
        captions: captions.into_iter().map(nfc).collect(),
        images,
        sources,
        layout: layout.to_string(),
    })
}

/// Unicode NFC, so the same text typed two ways is stored (and hashed) one way.
fn nfc(s: String) -> String {
    use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
    match is_nfc_quick(s.chars()) {
        IsNormalized::Yes => s,
        _ => s.nfc().collect(),
    }
}

/// The site's own name is what a page without a headline has as `<title>`.
fn is_site_name(t: &str) -> bool {
    t.eq_ignore_ascii_case("The Korea Herald") || t.eq_ignore_ascii_case("koreaherald.com")
}

/// The record's address: the page's own canonical one when it is an article
/// address of the site, else `given` (canonicalised when it can be).
fn address(
    meta: &Meta,
    ld_id: Option<&String>,
    given: Option<&Url>,
    site: &SiteUrls,
) -> Result<(Url, Layer), ExtractError> {
    let own = meta
        .canonical
        .iter()
        .chain(&meta.og_url)
        .chain(ld_id)
        .filter_map(|u| Url::parse(u).ok())
        .find_map(|u| site.canonical_article(&u));
    match (own, given) {
        (Some(u), _) => Ok((u, Layer::Meta)),
        (None, Some(g)) => Ok((
            site.canonical_article(g).unwrap_or_else(|| g.clone()),
            Layer::Given,
        )),
        (None, None) => Err(ExtractError::NotAnArticle {
            reason: "the page names no canonical address (pass --url)".into(),
        }),
    }
}

/// What the generic layer alone makes of a page (`extract --generic`), to
/// score it apart from the Herald rules. Its address is the page's own
/// canonical one, else `given`.
pub fn generic_record(
    html: &str,
    given: Option<&Url>,
    profile: &Profile,
    site: &SiteUrls,
) -> Result<Record, ExtractError> {
    let cleaned = super::prestrip::prestrip(html);
    let doc = Html::parse_document(&cleaned);
    let meta = Meta::read(&doc);
    let (url, _) = address(&meta, None, given, site)?;
    let g = super::generic::extract(&cleaned, Some(url.as_str()), &profile.body_strip, None)
        .ok_or_else(|| ExtractError::NotAnArticle {
            reason: "the generic layer found no article text".into(),
        })?;
    let published_at = g
        .published
        .as_deref()
        .and_then(parse_datetime)
        .map(|t| format_utc(&t));
    let mut sources = BTreeMap::new();
    for field in ["title", "body", "authors", "published_at"] {
        sources.insert(field.to_string(), Layer::Generic);
    }
    Ok(Record {
        url: url.to_string(),
        title: nfc(g.title.unwrap_or_default()),
        subtitle: None,
        authors: g.byline.map(|b| parse_byline(&b)).unwrap_or_default(),
        section: None,
        subsection: None,
        updated_at: published_at.clone(),
        published_at,
        body: nfc(g.paragraphs.join("\n\n")),
        captions: Vec::new(),
        images: Vec::new(),
        sources,
        layout: detect_layout(&doc).to_string(),
    })
}

/// The first candidate with a value, noting which layer gave it.
fn first<T, const N: usize>(
    note: &mut impl FnMut(&str, Layer),
    field: &str,
    candidates: [(Layer, Option<T>); N],
) -> Option<T> {
    candidates.into_iter().find_map(|(layer, value)| {
        let v = value?;
        note(field, layer);
        Some(v)
    })
}

fn all_matches<'a>(doc: &'a Html, sels: &[Sel]) -> Vec<ElementRef<'a>> {
    sels.iter()
        .map(|s| doc.select(s.get()).collect::<Vec<_>>())
        .find(|v| !v.is_empty())
        .unwrap_or_default()
}

/// The first element with text, trying the selectors in order. Lazy: the
/// article comes before the page's furniture, so this rarely walks it all.
fn first_text(doc: &Html, sels: &[Sel]) -> Option<String> {
    sels.iter().find_map(|s| {
        doc.select(s.get())
            .map(|el| squash(&el.text().collect::<String>()))
            .find(|t| !t.is_empty())
    })
}

/// Text of every element the first matching selector finds, joined.
fn all_text(doc: &Html, sels: &[Sel]) -> Option<String> {
    let parts: Vec<String> = all_matches(doc, sels)
        .into_iter()
        .map(|el| el.text().collect::<String>())
        .collect();
    (!parts.is_empty()).then(|| squash(&parts.join(" ")))
}

/// A section link's first path segment (`/LifenCulture` -> `LifenCulture`), a
/// stable name where the link text ("Life&Culture") is not; else the text.
fn section_name(doc: &Html, sels: &[Sel]) -> Option<String> {
    let el = sels.iter().find_map(|s| doc.select(s.get()).next())?;
    if let Some(href) = el.value().attr("href") {
        let seg = href
            .trim_start_matches(|c| c != '/')
            .trim_start_matches('/')
            .split(['/', '?', '#'])
            .next()
            .unwrap_or("");
        if !seg.is_empty() && !seg.contains('.') {
            return Some(seg.to_string());
        }
    }
    Some(squash(&el.text().collect::<String>())).filter(|t| !t.is_empty())
}

fn resolve_all<'a>(base: &Url, srcs: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for src in srcs {
        let Ok(u) = base.join(src.trim()) else {
            continue;
        };
        if !matches!(u.scheme(), "http" | "https") || u.path().ends_with(DEFAULT_SHARE_IMAGE) {
            continue;
        }
        let s = u.to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// `og:*`, `article:*`, canonical link and `<title>`.
#[derive(Default)]
struct Meta {
    canonical: Option<String>,
    og_url: Option<String>,
    og_title: Option<String>,
    og_image: Option<String>,
    published: Option<String>,
    modified: Option<String>,
    section: Option<String>,
    title: Option<String>,
}

impl Meta {
    fn read(doc: &Html) -> Meta {
        let mut m = Meta::default();
        if let Ok(sel) = Selector::parse("meta[content]") {
            // Meta tags live in <head>; only a page without any there is searched whole.
            let head = Selector::parse("head")
                .ok()
                .and_then(|h| doc.select(&h).next());
            let in_head: Vec<ElementRef<'_>> =
                head.map(|h| h.select(&sel).collect()).unwrap_or_default();
            let metas = if in_head.is_empty() {
                doc.select(&sel).collect()
            } else {
                in_head
            };
            for el in metas {
                let v = el.value();
                let key = v.attr("property").or_else(|| v.attr("name")).unwrap_or("");
                let content = squash(v.attr("content").unwrap_or(""));
                if content.is_empty() {
                    continue;
                }
                let slot = match key {
                    "og:url" => &mut m.og_url,
                    "og:title" => &mut m.og_title,
                    "og:image" => &mut m.og_image,
                    "article:published_time" => &mut m.published,
                    "article:modified_time" => &mut m.modified,
                    "article:section" => &mut m.section,
                    _ => continue,
                };
                slot.get_or_insert(content);
            }
        }
        if let Ok(sel) = Selector::parse("link[rel=canonical][href]") {
            m.canonical = doc
                .select(&sel)
                .next()
                .and_then(|el| el.value().attr("href"))
                .map(|h| h.trim().to_string());
        }
        if let Ok(sel) = Selector::parse("title") {
            m.title = doc
                .select(&sel)
                .next()
                .map(|el| squash(&el.text().collect::<String>()))
                .map(|t| t.trim_end_matches(" - The Korea Herald").to_string())
                .filter(|t| !t.is_empty());
        }
        m
    }
}

/// The fields we read from a JSON-LD `NewsArticle`.
#[derive(Default)]
struct JsonLd {
    id: Option<String>,
    headline: Option<String>,
    published: Option<String>,
    modified: Option<String>,
    /// `None` when the data has no `author` key; `Some([])` when it says none.
    authors: Option<Vec<String>>,
    section: Option<String>,
    images: Vec<String>,
}

impl JsonLd {
    fn read(doc: &Html) -> JsonLd {
        let Ok(sel) = Selector::parse(r#"script[type="application/ld+json"]"#) else {
            return JsonLd::default();
        };
        for el in doc.select(&sel) {
            let text: String = el.text().collect();
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if let Some(article) = find_article(&value) {
                return JsonLd::from_value(article);
            }
        }
        JsonLd::default()
    }

    fn from_value(v: &Value) -> JsonLd {
        let s = |key: &str| v.get(key).and_then(string_of).filter(|s| !s.is_empty());
        JsonLd {
            id: v
                .get("mainEntityOfPage")
                .and_then(|m| m.get("@id").and_then(string_of).or_else(|| string_of(m)))
                .or_else(|| s("url")),
            headline: s("headline"),
            published: s("datePublished"),
            modified: s("dateModified"),
            authors: v.get("author").map(names),
            section: v.get("articleSection").and_then(|s| match s {
                Value::Array(a) => a.iter().find_map(string_of),
                other => string_of(other),
            }),
            images: match v.get("image") {
                Some(Value::Array(a)) => a.iter().filter_map(image_url).collect(),
                Some(one) => image_url(one).into_iter().collect(),
                None => Vec::new(),
            },
        }
    }
}

fn find_article(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(items) => items.iter().find_map(find_article),
        Value::Object(map) => {
            let is_article = match map.get("@type") {
                Some(Value::String(t)) => t.ends_with("Article"),
                Some(Value::Array(ts)) => ts
                    .iter()
                    .any(|t| t.as_str().is_some_and(|t| t.ends_with("Article"))),
                _ => false,
            };
            if is_article {
                Some(v)
            } else {
                map.get("@graph").and_then(find_article)
            }
        }
        _ => None,
    }
}

fn string_of(v: &Value) -> Option<String> {
    v.as_str().map(squash)
}

fn names(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().flat_map(names).collect(),
        Value::Object(map) => map
            .get("name")
            .and_then(string_of)
            .filter(|n| !n.is_empty())
            .into_iter()
            .collect(),
        Value::String(s) => parse_byline(s),
        _ => Vec::new(),
    }
}

fn image_url(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Object(map) => map
            .get("url")
            .and_then(|u| u.as_str())
            .map(|s| s.trim().to_string()),
        _ => None,
    }
}
