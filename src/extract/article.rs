use std::collections::BTreeMap;

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use url::Url;

use super::blocks::paragraphs;
use super::clues::{self, SectionGuess};
use super::doc::Doc;
use super::explain::{Attempt, BodyPreview, Explanation, Shown};
use super::furniture;
use super::text::{format_utc, parse_byline, parse_dateline, parse_datetime, squash};
use super::{Hints, Layer, Record};
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
    article_with(
        html,
        profile,
        site,
        &Hints {
            given,
            ..Hints::default()
        },
    )
}

/// [`article`] with what the caller knows of the page beyond its address
/// (the list page the link came from, for the section).
pub fn article_with(
    html: &str,
    profile: &Profile,
    site: &SiteUrls,
    hints: &Hints<'_>,
) -> Result<Record, ExtractError> {
    extract_page(html, profile, site, hints, false).0
}

/// [`article_with`], and for each field every source tried, what each gave
/// and which one the record kept (`extract --explain`). Sources after the
/// kept one are also run, so this is slower than [`article_with`].
pub fn explain(
    html: &str,
    profile: &Profile,
    site: &SiteUrls,
    hints: &Hints<'_>,
) -> (Result<Record, ExtractError>, Explanation) {
    let (record, explanation) = extract_page(html, profile, site, hints, true);
    let mut explanation = explanation.unwrap_or_default();
    explanation.error = record.as_ref().err().map(ToString::to_string);
    (record, explanation)
}

/// Where a value was looked for: the profile's selectors (shown as the one
/// that matched) or a named rule.
#[derive(Clone, Copy)]
enum Rule<'a> {
    Named(&'static str),
    Sels(&'a [Sel]),
}

/// Which layer gave each field; when explaining, also every source tried.
struct Notes<'d> {
    page: &'d Doc<'d>,
    sources: BTreeMap<String, Layer>,
    explain: Option<Explanation>,
}

impl<'d> Notes<'d> {
    fn explaining(&self) -> bool {
        self.explain.is_some()
    }

    /// Records one source tried for `field`. The value is only shown when
    /// explaining; a chosen one is the field's source in the record.
    fn tried(
        &mut self,
        field: &str,
        layer: Layer,
        rule: Rule<'_>,
        value: Option<&dyn Shown>,
        chosen: bool,
    ) {
        if chosen {
            self.sources.insert(field.to_string(), layer);
        }
        let Some(explain) = &mut self.explain else {
            return;
        };
        let rule = match rule {
            Rule::Named(r) => r.to_string(),
            Rule::Sels(sels) => sels
                .iter()
                .find(|s| self.page.select(s).next().is_some())
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| {
                    let all: Vec<&str> = sels.iter().map(Sel::as_str).collect();
                    all.join(", ")
                }),
        };
        explain
            .fields
            .entry(field.to_string())
            .or_default()
            .push(Attempt {
                layer,
                rule,
                value: value.map(Shown::shown),
                chosen,
            });
    }

    /// A field with a single source.
    fn only<T: Shown>(&mut self, field: &str, layer: Layer, rule: Rule<'_>, value: &Option<T>) {
        self.tried(
            field,
            layer,
            rule,
            value.as_ref().map(|v| v as &dyn Shown),
            value.is_some(),
        );
    }
}

/// The first candidate with a value, noting which layer gave it.
fn first<T: Shown, const N: usize>(
    notes: &mut Notes<'_>,
    field: &str,
    candidates: [(Layer, Rule<'_>, Option<T>); N],
) -> Option<T> {
    let mut found = None;
    for (layer, rule, value) in candidates {
        let chosen = found.is_none() && value.is_some();
        notes.tried(
            field,
            layer,
            rule,
            value.as_ref().map(|v| v as &dyn Shown),
            chosen,
        );
        if chosen {
            found = value;
        }
    }
    found
}

fn extract_page(
    html: &str,
    profile: &Profile,
    site: &SiteUrls,
    hints: &Hints<'_>,
    explaining: bool,
) -> (Result<Record, ExtractError>, Option<Explanation>) {
    let cleaned = super::prestrip::prestrip(html);
    if let Err(e) = super::shape::check(&cleaned) {
        let explained = explaining.then(|| Explanation {
            layout: "unknown".to_string(),
            ..Explanation::default()
        });
        return (Err(e), explained);
    }
    let doc = Html::parse_document(&cleaned);
    let page = Doc::new(&doc);
    let layout = detect_layout(|s| page.select(s).next().is_some());
    let mut notes = Notes {
        page: &page,
        sources: BTreeMap::new(),
        explain: explaining.then(|| Explanation {
            layout: layout.to_string(),
            ..Explanation::default()
        }),
    };
    let record = fields(&cleaned, &page, layout, profile, site, hints, &mut notes);
    (record, notes.explain)
}

fn fields(
    cleaned: &str,
    page: &Doc<'_>,
    layout: &str,
    profile: &Profile,
    site: &SiteUrls,
    hints: &Hints<'_>,
    notes: &mut Notes<'_>,
) -> Result<Record, ExtractError> {
    let doc = page.html;
    let meta = Meta::read(doc);
    let ld = JsonLd::read(doc);

    let (url, layer) = address(&meta, ld.id.as_ref(), hints.given, site)?;
    let url_rule = match layer {
        Layer::Given => "the address fetched (or --url)",
        _ => "link[rel=canonical], og:url, JSON-LD @id",
    };
    notes.only("url", layer, Rule::Named(url_rule), &Some(url.clone()));

    let title = first(
        notes,
        "title",
        [
            (
                Layer::Selector,
                Rule::Sels(&profile.title),
                first_text(page, &profile.title),
            ),
            (Layer::JsonLd, Rule::Named("headline"), ld.headline.clone()),
            (
                Layer::Meta,
                Rule::Named("meta[property=og:title]"),
                meta.og_title.clone(),
            ),
            (
                Layer::Page,
                Rule::Named("<title>"),
                meta.title.clone().filter(|t| !is_site_name(t)),
            ),
        ],
    );
    let headline_el = title.as_deref().and_then(|t| clues::headline(doc, t));
    let subtitle = first(
        notes,
        "subtitle",
        [
            (
                Layer::Selector,
                Rule::Sels(&profile.subtitle),
                first_text(page, &profile.subtitle),
            ),
            (
                Layer::JsonLd,
                Rule::Named("alternativeHeadline"),
                ld.alternative.clone(),
            ),
            (
                Layer::Generic,
                Rule::Named("line after the headline"),
                headline_el.and_then(clues::subtitle_after),
            ),
        ],
    );

    let byline = first_text(page, &profile.byline)
        .map(|b| parse_byline(&b))
        .filter(|names| !names.is_empty());
    // The site's own name as the author says nothing more specific.
    let ld_authors = ld
        .authors
        .clone()
        .map(|names| {
            names
                .into_iter()
                .filter(|n| !is_site_author(n))
                .collect::<Vec<_>>()
        })
        .filter(|names| !names.is_empty());

    let (section, subsection) = section_fields(
        page,
        profile,
        &ld,
        &meta,
        headline_el,
        hints.list_page,
        notes,
    );

    let (line_published, line_updated) = all_text(page, &profile.dateline)
        .map(|line| parse_dateline(&line))
        .unwrap_or((None, None));
    let published_at = first(
        notes,
        "published_at",
        [
            (
                Layer::Selector,
                Rule::Sels(&profile.dateline),
                line_published,
            ),
            (
                Layer::JsonLd,
                Rule::Named("datePublished"),
                ld.published.as_deref().and_then(parse_datetime),
            ),
            (
                Layer::Meta,
                Rule::Named("meta[property=article:published_time]"),
                meta.published.as_deref().and_then(parse_datetime),
            ),
        ],
    );
    let updated_at = first(
        notes,
        "updated_at",
        [
            (Layer::Selector, Rule::Sels(&profile.dateline), line_updated),
            (
                Layer::JsonLd,
                Rule::Named("dateModified"),
                ld.modified.as_deref().and_then(parse_datetime),
            ),
            (
                Layer::Meta,
                Rule::Named("meta[property=article:modified_time]"),
                meta.modified.as_deref().and_then(parse_datetime),
            ),
        ],
    );

    // The body: the profile's selectors, else JSON-LD's `articleBody` when
    // it is whole, else the generic layer (a layout we do not know; the
    // run's drift check notices either way), else a short `articleBody`.
    let body_el = profile.body.iter().find_map(|s| page.select(s).next());
    let from_selector: Vec<String> = body_el
        .map(|el| paragraphs(el, &profile.body_strip))
        .unwrap_or_default();
    let need_more = from_selector.is_empty() || notes.explaining();
    let from_ld = if need_more {
        ld.body.as_deref().map(body_paragraphs).unwrap_or_default()
    } else {
        Vec::new()
    };
    let ld_whole = from_ld.iter().map(|p| p.len()).sum::<usize>() >= 200;
    let generic = if from_selector.is_empty() && !ld_whole || notes.explaining() {
        super::generic::extract(
            doc,
            cleaned,
            Some(url.as_str()),
            &profile.body_strip,
            title.as_deref(),
        )
    } else {
        None
    };
    let (raw, body_layer, body_rule) = if !from_selector.is_empty() {
        (from_selector.clone(), Some(Layer::Selector), 0)
    } else if ld_whole {
        (from_ld.clone(), Some(Layer::JsonLd), 1)
    } else if let Some(g) = &generic {
        (g.paragraphs.clone(), Some(Layer::Generic), 2)
    } else if !from_ld.is_empty() {
        (from_ld.clone(), Some(Layer::JsonLd), 3)
    } else {
        (Vec::new(), None, 4)
    };
    if notes.explaining() {
        let shown = |ps: &[String]| (!ps.is_empty()).then(|| BodyPreview(ps).shown());
        let tries = [
            (
                Layer::Selector,
                Rule::Sels(&profile.body),
                shown(&from_selector),
            ),
            (
                Layer::JsonLd,
                Rule::Named("articleBody (200 chars or more)"),
                shown(&from_ld).filter(|_| ld_whole),
            ),
            (
                Layer::Generic,
                Rule::Named("main-content finder"),
                generic.as_ref().and_then(|g| shown(&g.paragraphs)),
            ),
            (
                Layer::JsonLd,
                Rule::Named("articleBody (short)"),
                shown(&from_ld).filter(|_| !ld_whole),
            ),
        ];
        for (i, (layer, rule, value)) in tries.into_iter().enumerate() {
            notes.tried(
                "body",
                layer,
                rule,
                value.as_ref().map(|v| v as &dyn Shown),
                i == body_rule,
            );
        }
    }
    let (generic_title, generic_byline) = match (body_layer, generic) {
        (Some(Layer::Generic), Some(g)) => (g.title, g.byline),
        _ => (None, None),
    };
    // Where the body stands in the page: its captions and images are there.
    let region = body_el.or_else(|| clues::region(doc, &raw));

    let from_selector: Vec<String> = all_matches(page, &profile.captions)
        .into_iter()
        .map(|el| squash(&el.text().collect::<String>()))
        .filter(|c| !c.is_empty())
        .collect();
    let explaining = notes.explaining();
    let lazy = |run: bool, f: &dyn Fn() -> Vec<String>| {
        Some(if run || explaining { f() } else { Vec::new() }).filter(|v| !v.is_empty())
    };
    let near = lazy(from_selector.is_empty(), &|| {
        region
            .map(|r| clues::captions_in(r, &raw))
            .unwrap_or_default()
    });
    let ld_captions = lazy(from_selector.is_empty(), &|| ld.captions.clone());
    let alts = lazy(from_selector.is_empty(), &|| {
        region.map(clues::alts_in).unwrap_or_default()
    });
    let captions = first(
        notes,
        "captions",
        [
            (
                Layer::Selector,
                Rule::Sels(&profile.captions),
                Some(from_selector).filter(|v| !v.is_empty()),
            ),
            (
                Layer::Generic,
                Rule::Named("captions next to the body's images"),
                near,
            ),
            (Layer::JsonLd, Rule::Named("image.caption"), ld_captions),
            (
                Layer::Generic,
                Rule::Named("alt text of the body's images"),
                alts,
            ),
        ],
    )
    .unwrap_or_default();

    let known_title = title.clone().or_else(|| generic_title.clone());
    let tidy = furniture::clean(raw, &captions, known_title.as_deref());
    let body = tidy.paragraphs.join("\n\n");
    if let Some(layer) = body_layer.filter(|_| !body.is_empty()) {
        notes.sources.insert("body".to_string(), layer);
    }

    // Authors: the layout's byline, JSON-LD, then what page rules find: a
    // byline by the headline, a journalist block, a byline at the body's
    // edges, what the generic layer saw, the author meta tag.
    let more = (byline.is_none() && ld_authors.is_none()) || explaining;
    let lazy_names = |f: &dyn Fn() -> Option<Vec<String>>| {
        if more {
            f().filter(|n| !n.is_empty())
        } else {
            None
        }
    };
    let edge = lazy_names(&|| {
        Some(tidy.authors.clone())
            .filter(|a| !a.is_empty())
            .or_else(|| {
                let r = region?;
                let around = paragraphs(r, &profile.body_strip);
                Some(furniture::clean(around, &captions, known_title.as_deref()).authors)
            })
    });
    let authors = first(
        notes,
        "authors",
        [
            (Layer::Selector, Rule::Sels(&profile.byline), byline),
            (Layer::JsonLd, Rule::Named("author"), ld_authors),
            (
                Layer::Generic,
                Rule::Named("byline next to the headline"),
                lazy_names(&|| headline_el.and_then(clues::byline_near)),
            ),
            (
                Layer::Generic,
                Rule::Named("journalist block"),
                lazy_names(&|| clues::journalist_block(doc)),
            ),
            (
                Layer::Generic,
                Rule::Named("byline at the body's start or end"),
                edge,
            ),
            (
                Layer::Generic,
                Rule::Named("main-content finder's byline"),
                lazy_names(&|| generic_byline.as_deref().and_then(furniture::byline_names)),
            ),
            (
                Layer::Meta,
                Rule::Named("meta[name=author]"),
                lazy_names(&|| {
                    meta.author
                        .as_deref()
                        .and_then(furniture::byline_names)
                        .map(|n| {
                            n.into_iter()
                                .filter(|n| !is_site_author(n))
                                .collect::<Vec<_>>()
                        })
                }),
            ),
        ],
    )
    .unwrap_or_default();

    let title = match title {
        Some(t) => Some(t),
        None => {
            let t = generic_title.filter(|t| !is_site_name(t));
            notes.only(
                "title",
                Layer::Generic,
                Rule::Named("main-content finder's title"),
                &t,
            );
            t
        }
    };

    // Dates JSON-LD, meta tags and the selectors did not give: microdata and
    // `<time>`, then "Published : ..." lines in the body or the page (KST).
    let (page_published, page_updated) =
        if published_at.is_none() || updated_at.is_none() || explaining {
            let (mp, mu) = clues::dates_in_markup(doc);
            let (p, u) = (mp.or(tidy.published), mu.or(tidy.updated));
            if p.is_some() && u.is_some() {
                (p, u)
            } else {
                let (pp, pu) = clues::dates_in_page(doc);
                (p.or(pp), u.or(pu))
            }
        } else {
            (None, None)
        };
    const DATE_RULE: Rule<'static> = Rule::Named("<time>, itemprop, \"Published :\" lines (KST)");
    let published_at = match published_at {
        Some(t) => {
            notes.tried(
                "published_at",
                Layer::Generic,
                DATE_RULE,
                page_published.as_ref().map(|v| v as &dyn Shown),
                false,
            );
            Some(t)
        }
        None => {
            notes.only("published_at", Layer::Generic, DATE_RULE, &page_published);
            page_published
        }
    };
    let updated_at = match updated_at {
        Some(t) => {
            notes.tried(
                "updated_at",
                Layer::Generic,
                DATE_RULE,
                page_updated.as_ref().map(|v| v as &dyn Shown),
                false,
            );
            Some(t)
        }
        None => {
            let found = first(
                notes,
                "updated_at",
                [
                    (Layer::Generic, DATE_RULE, page_updated),
                    (Layer::Page, Rule::Named("the published time"), published_at),
                ],
            );
            found
        }
    };
    // Both or neither: a page whose published time is unreadable but gives
    // an updated one was published by then.
    let published_at = match published_at {
        Some(t) => Some(t),
        None => first(
            notes,
            "published_at",
            [(Layer::Page, Rule::Named("the updated time"), updated_at)],
        ),
    };

    let images = {
        let from_selector = if body_el.is_some() {
            resolve_all(
                &url,
                all_matches(page, &profile.images)
                    .into_iter()
                    .filter_map(|el| el.value().attr("src")),
            )
        } else {
            Vec::new()
        };
        // No article container matched: the structured data first, then the
        // images where the body stands.
        let more = body_el.is_none() || explaining;
        let some = |v: Vec<String>| Some(v).filter(|v| !v.is_empty());
        let candidates = [
            (
                Layer::Selector,
                Rule::Sels(&profile.images),
                some(from_selector),
            ),
            (
                Layer::JsonLd,
                Rule::Named("image"),
                some(if more {
                    resolve_all(&url, ld.images.iter().map(String::as_str))
                } else {
                    Vec::new()
                }),
            ),
            (
                Layer::Meta,
                Rule::Named("meta[property=og:image]"),
                some(if more {
                    resolve_all(&url, meta.og_image.iter().map(String::as_str))
                } else {
                    Vec::new()
                }),
            ),
            (
                Layer::Generic,
                Rule::Named("images in the body's region"),
                some(if more {
                    resolve_all(
                        &url,
                        region.map(clues::images_in).unwrap_or_default().into_iter(),
                    )
                } else {
                    Vec::new()
                }),
            ),
        ];
        if body_el.is_some() {
            // The layout's container matched: its images are all there is,
            // even none.
            let [selector, rest @ ..] = candidates;
            let found = selector.2.clone().unwrap_or_default();
            notes.tried(
                "images",
                selector.0,
                selector.1,
                selector.2.as_ref().map(|v| v as &dyn Shown),
                !found.is_empty(),
            );
            for (layer, rule, value) in rest {
                notes.tried(
                    "images",
                    layer,
                    rule,
                    value.as_ref().map(|v| v as &dyn Shown),
                    false,
                );
            }
            found
        } else {
            first(notes, "images", candidates).unwrap_or_default()
        }
    };

    // Normalised before the check: a body or headline of control
    // characters alone is empty once they are stripped.
    let body = nfc(body);
    let title = title.map(nfc).filter(|t| !t.is_empty());
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
        title,
        subtitle: subtitle.map(nfc),
        authors: authors.into_iter().map(nfc).collect(),
        section: section.map(nfc),
        subsection: subsection.map(nfc),
        published_at: published_at.map(|t| format_utc(&t)),
        updated_at: updated_at.map(|t| format_utc(&t)),
        body,
        captions: captions.into_iter().map(nfc).collect(),
        images,
        sources: notes.sources.clone(),
        layout: layout.to_string(),
    })
}

/// Unicode NFC, so the same text typed two ways is stored (and hashed) one
/// way, without control characters or escape sequences (every text field
/// of a record passes here).
fn nfc(s: String) -> String {
    use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
    let s = match super::text::strip_controls(&s) {
        std::borrow::Cow::Borrowed(_) => s,
        // What stood between two spaces leaves both: squash each line again
        // (lines are the body's paragraphs).
        std::borrow::Cow::Owned(clean) => clean
            .split('\n')
            .map(super::text::squash)
            .collect::<Vec<_>>()
            .join("\n"),
    };
    match is_nfc_quick(s.chars()) {
        IsNormalized::Yes => s,
        _ => s.nfc().collect(),
    }
}

/// The site's own name is what a page without a headline has as `<title>`.
fn is_site_name(t: &str) -> bool {
    t.eq_ignore_ascii_case("The Korea Herald") || t.eq_ignore_ascii_case("koreaherald.com")
}

/// Names that are the publisher, not a writer.
fn is_site_author(n: &str) -> bool {
    let l = n.trim().to_ascii_lowercase();
    is_site_name(&l)
        || matches!(
            l.as_str(),
            "korea herald"
                | "the korea herald staff"
                | "korea herald staff"
                | "herald corporation"
                | "herald corp"
                | "herald corp."
                | "koreaherald"
        )
}

/// A deferred search for the section, run only when the ones before it fail.
type FindSection<'a> = Box<dyn Fn() -> Option<SectionGuess> + 'a>;

/// Section and sub-section, most specific source first: the profile's
/// selectors, JSON-LD `articleSection`, `article:section`, breadcrumbs, a
/// label over the headline, the navigation's active item, and last the list
/// page the crawler found the link on. A sub-section is taken only from a
/// source that agrees on the section.
fn section_fields(
    page: &Doc<'_>,
    profile: &Profile,
    ld: &JsonLd,
    meta: &Meta,
    headline: Option<ElementRef<'_>>,
    list_page: Option<&str>,
    notes: &mut Notes<'_>,
) -> (Option<String>, Option<String>) {
    let guess = |section: Option<String>, subsection: Option<String>| {
        section.map(|section| SectionGuess {
            section,
            subsection,
        })
    };
    let selector_section = section_name(page, &profile.section);
    let selector_sub = first_text(page, &profile.subsection);
    let candidates: [(Layer, Rule<'_>, FindSection<'_>); 8] = [
        (
            Layer::Selector,
            Rule::Sels(&profile.section),
            Box::new(|| guess(selector_section.clone(), selector_sub.clone())),
        ),
        (
            Layer::JsonLd,
            Rule::Named("articleSection"),
            Box::new(|| {
                guess(
                    ld.section.as_deref().map(clues::normalize_section),
                    ld.subsection.clone(),
                )
            }),
        ),
        (
            Layer::JsonLd,
            Rule::Named("BreadcrumbList"),
            Box::new(|| ld.crumbs.clone()),
        ),
        (
            Layer::Meta,
            Rule::Named("meta[property=article:section]"),
            Box::new(|| guess(meta.section.as_deref().map(clues::normalize_section), None)),
        ),
        (
            Layer::Generic,
            Rule::Named("breadcrumbs"),
            Box::new(|| clues::breadcrumbs(page.html)),
        ),
        (
            Layer::Generic,
            Rule::Named("category label over the headline"),
            Box::new(|| headline.and_then(clues::category_label)),
        ),
        (
            Layer::Generic,
            Rule::Named("navigation's active item"),
            Box::new(|| clues::nav_active(page.html)),
        ),
        (
            Layer::Given,
            Rule::Named("the list page the link was on"),
            Box::new(|| list_page.and_then(clues::from_list_page)),
        ),
    ];
    let mut section: Option<String> = None;
    let mut subsection: Option<String> = None;
    for (layer, rule, find) in candidates.iter() {
        // Explaining, every source is shown; else the search ends here.
        if subsection.is_some() && !notes.explaining() {
            break;
        }
        let found = find();
        let take_section = section.is_none() && found.is_some();
        let agrees = |g: &SectionGuess| {
            section
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case(&g.section))
        };
        let take_sub = subsection.is_none()
            && found
                .as_ref()
                .is_some_and(|g| g.subsection.is_some() && agrees(g));
        let shown = found.as_ref().map(|g| g.section.clone());
        notes.tried(
            "section",
            *layer,
            *rule,
            shown.as_ref().map(|v| v as &dyn Shown),
            take_section,
        );
        let sub = found.as_ref().and_then(|g| g.subsection.clone());
        notes.tried(
            "subsection",
            *layer,
            *rule,
            sub.as_ref().map(|v| v as &dyn Shown),
            take_sub,
        );
        if take_section {
            section = found.as_ref().map(|g| g.section.clone());
        }
        if take_sub {
            subsection = sub;
        }
    }
    drop(candidates);
    // The layout's sub-section selector stands even without its section.
    if subsection.is_none() {
        if let Some(sub) = selector_sub {
            notes.tried(
                "subsection",
                Layer::Selector,
                Rule::Sels(&profile.subsection),
                Some(&sub),
                true,
            );
            subsection = Some(sub);
        }
    }
    (section, subsection)
}

/// JSON-LD `articleBody` to paragraphs: markup when it holds some, else
/// lines.
fn body_paragraphs(text: &str) -> Vec<String> {
    let html = if text.contains("<p") || text.contains("<br") {
        text.to_string()
    } else {
        text.replace('\n', "<br>")
            .replace('<', "&lt;")
            .replace("&lt;br>", "<br>")
    };
    let frag = Html::parse_fragment(&html);
    paragraphs(frag.root_element(), &[])
}

/// HTML entities some sites leave in JSON-LD strings (`&#x27;`, `&amp;`).
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return squash(s);
    }
    let frag = Html::parse_fragment(&s.replace('<', "&lt;"));
    squash(&frag.root_element().text().collect::<String>())
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
    super::shape::check(&cleaned)?;
    let doc = Html::parse_document(&cleaned);
    let meta = Meta::read(&doc);
    let (url, _) = address(&meta, None, given, site)?;
    let g = super::generic::extract(
        &doc,
        &cleaned,
        Some(url.as_str()),
        &profile.body_strip,
        None,
    )
    .ok_or_else(|| ExtractError::NotAnArticle {
        reason: "the generic layer found no article text".into(),
    })?;
    // The same cleanup as every layer's body gets in a record.
    let captions = clues::region(&doc, &g.paragraphs)
        .map(|r| clues::captions_in(r, &g.paragraphs))
        .unwrap_or_default();
    let tidy = furniture::clean(g.paragraphs, &captions, g.title.as_deref());
    let published_at = g
        .published
        .as_deref()
        .and_then(parse_datetime)
        .or(tidy.published)
        .map(|t| format_utc(&t));
    let body = nfc(tidy.paragraphs.join("\n\n"));
    if body.is_empty() {
        return Err(ExtractError::NotAnArticle {
            reason: "the generic layer found no article text".into(),
        });
    }
    let mut sources = BTreeMap::new();
    for field in ["title", "body", "authors", "published_at"] {
        sources.insert(field.to_string(), Layer::Generic);
    }
    Ok(Record {
        url: url.to_string(),
        title: nfc(g.title.unwrap_or_default()),
        subtitle: None,
        authors: g
            .byline
            .map(|b| parse_byline(&b))
            .filter(|a| !a.is_empty())
            .unwrap_or(tidy.authors)
            .into_iter()
            .map(nfc)
            .collect(),
        section: None,
        subsection: None,
        updated_at: published_at.clone(),
        published_at,
        body,
        captions: Vec::new(),
        images: Vec::new(),
        sources,
        layout: {
            let page = Doc::new(&doc);
            detect_layout(|s| page.select(s).next().is_some()).to_string()
        },
    })
}

fn all_matches<'a>(doc: &Doc<'a>, sels: &[Sel]) -> Vec<ElementRef<'a>> {
    sels.iter()
        .map(|s| doc.select(s).collect::<Vec<_>>())
        .find(|v| !v.is_empty())
        .unwrap_or_default()
}

/// The first element with text, trying the selectors in order. Lazy: the
/// article comes before the page's furniture, so this rarely walks it all.
fn first_text(doc: &Doc<'_>, sels: &[Sel]) -> Option<String> {
    sels.iter().find_map(|s| {
        doc.select(s)
            .map(|el| squash(&el.text().collect::<String>()))
            .find(|t| !t.is_empty())
    })
}

/// Text of every element the first matching selector finds, joined.
fn all_text(doc: &Doc<'_>, sels: &[Sel]) -> Option<String> {
    let parts: Vec<String> = all_matches(doc, sels)
        .into_iter()
        .map(|el| el.text().collect::<String>())
        .collect();
    (!parts.is_empty()).then(|| squash(&parts.join(" ")))
}

/// A section link's first path segment (`/LifenCulture` -> `LifenCulture`), a
/// stable name where the link text ("Life&Culture") is not; else the text.
fn section_name(doc: &Doc<'_>, sels: &[Sel]) -> Option<String> {
    let el = sels.iter().find_map(|s| doc.select(s).next())?;
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
    author: Option<String>,
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
                    "author" | "article:author" if !content.starts_with("http") => &mut m.author,
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
    /// The second `articleSection` entry, when it is a list.
    subsection: Option<String>,
    alternative: Option<String>,
    body: Option<String>,
    images: Vec<String>,
    /// `caption` of the image objects.
    captions: Vec<String>,
    /// What a `BreadcrumbList` says of the section.
    crumbs: Option<SectionGuess>,
}

impl JsonLd {
    fn read(doc: &Html) -> JsonLd {
        let Ok(sel) = Selector::parse(r#"script[type="application/ld+json"]"#) else {
            return JsonLd::default();
        };
        let mut found: Option<JsonLd> = None;
        let mut crumbs: Option<SectionGuess> = None;
        for el in doc.select(&sel).take(20) {
            let text: String = el.text().collect();
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if found.is_none() {
                found = find_typed(&value, "Article", 0).map(JsonLd::from_value);
            }
            if crumbs.is_none() {
                crumbs = find_typed(&value, "BreadcrumbList", 0).and_then(breadcrumb_section);
            }
            if found.is_some() && crumbs.is_some() {
                break;
            }
        }
        let mut ld = found.unwrap_or_default();
        ld.crumbs = crumbs;
        ld
    }

    fn from_value(v: &Value) -> JsonLd {
        let s = |key: &str| v.get(key).and_then(string_of).filter(|s| !s.is_empty());
        JsonLd {
            id: v
                .get("mainEntityOfPage")
                .and_then(|m| m.get("@id").and_then(string_of).or_else(|| string_of(m)))
                .or_else(|| s("url")),
            headline: s("headline"),
            alternative: s("alternativeHeadline"),
            body: v
                .get("articleBody")
                .and_then(|b| b.as_str())
                .map(str::to_string)
                .filter(|b| !b.trim().is_empty()),
            published: s("datePublished"),
            modified: s("dateModified"),
            authors: v.get("author").map(names),
            section: article_section(v).0,
            subsection: article_section(v).1,
            images: match v.get("image") {
                Some(Value::Array(a)) => a.iter().filter_map(image_url).collect(),
                Some(one) => image_url(one).into_iter().collect(),
                None => Vec::new(),
            },
            captions: {
                let objects: Vec<&Value> = match v.get("image") {
                    Some(Value::Array(a)) => a.iter().collect(),
                    Some(one) => vec![one],
                    None => Vec::new(),
                };
                let mut out: Vec<String> = Vec::new();
                for c in objects
                    .into_iter()
                    .filter_map(|o| o.get("caption").and_then(string_of))
                {
                    if !c.is_empty() && !out.contains(&c) {
                        out.push(c);
                    }
                }
                out
            },
            crumbs: None,
        }
    }
}

/// `articleSection` as section and sub-section: a list gives both
/// (`["National", "Politics"]`), and so does a path in one string
/// (`"National > Politics"`, `"National/Politics"`).
fn article_section(v: &Value) -> (Option<String>, Option<String>) {
    let parts: Vec<String> = match v.get("articleSection") {
        Some(Value::Array(a)) => a.iter().filter_map(string_of).collect(),
        Some(other) => string_of(other)
            .map(|s| {
                s.split(['>', '/', '|', '»'])
                    .map(squash)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let mut parts = parts.into_iter().filter(|p| !p.is_empty());
    (parts.next(), parts.next())
}

/// The first object whose `@type` ends with `kind`, also inside `@graph`
/// and lists (to a bounded depth: the data comes from the page).
fn find_typed<'a>(v: &'a Value, kind: &str, depth: usize) -> Option<&'a Value> {
    if depth > 8 {
        return None;
    }
    match v {
        Value::Array(items) => items
            .iter()
            .take(100)
            .find_map(|i| find_typed(i, kind, depth + 1)),
        Value::Object(map) => {
            let is_kind = match map.get("@type") {
                Some(Value::String(t)) => t.ends_with(kind),
                Some(Value::Array(ts)) => ts
                    .iter()
                    .any(|t| t.as_str().is_some_and(|t| t.ends_with(kind))),
                _ => false,
            };
            if is_kind {
                Some(v)
            } else {
                map.get("@graph")
                    .and_then(|g| find_typed(g, kind, depth + 1))
            }
        }
        _ => None,
    }
}

/// The section a JSON-LD `BreadcrumbList` names (Home > Business > Finance).
fn breadcrumb_section(list: &Value) -> Option<SectionGuess> {
    let items = list.get("itemListElement")?.as_array()?;
    let guesses = items.iter().take(20).filter_map(|it| {
        let name = it
            .get("name")
            .or_else(|| it.get("item").and_then(|i| i.get("name")))
            .and_then(string_of);
        let href = it.get("item").and_then(|i| {
            string_of(i).or_else(|| i.get("@id").or_else(|| i.get("url")).and_then(string_of))
        });
        href.and_then(|h| clues::section_of_href(&h, name.as_deref()))
            .or_else(|| name.as_deref().and_then(clues::section_of_label))
    });
    clues::merge(guesses)
}

fn string_of(v: &Value) -> Option<String> {
    v.as_str().map(unescape)
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
