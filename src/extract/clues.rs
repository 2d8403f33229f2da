//! Page rules for the fields a layout's selectors did not give: the section
//! from breadcrumbs, a category label over the headline or the navigation's
//! active item; a byline near the headline or in a journalist block; dates
//! from "Published/Updated" lines; captions next to the article's images.
//! They know no class names, only the shapes such things take, and each
//! walks a bounded part of the page.

use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use super::furniture::{byline_names, date_line, is_credit, Times};
use super::text::squash;
use crate::site::profile::{SectionInfo, SECTIONS};

/// Elements looked at by one rule, at most: hostile pages stay cheap.
const MAX_ELEMENTS: usize = 3000;

/// A section and perhaps its sub-section, as the records name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SectionGuess {
    pub section: String,
    pub subsection: Option<String>,
}

fn sel(s: &str) -> Option<Selector> {
    Selector::parse(s).ok()
}

fn text_of(el: ElementRef<'_>) -> String {
    squash(&el.text().take(200).collect::<String>())
}

/// The record's name of a section given by its label or name
/// ("Life&Culture" -> "LifenCulture"); unknown names stay as they are.
pub(super) fn normalize_section(name: &str) -> String {
    find_section(name).map_or_else(|| squash(name), |s| s.name.to_string())
}

fn find_section(label: &str) -> Option<&'static SectionInfo> {
    let l = squash(label);
    SECTIONS.iter().find(|s| {
        s.name.eq_ignore_ascii_case(&l) || s.labels.iter().any(|x| x.eq_ignore_ascii_case(&l))
    })
}

/// A label naming a known section or sub-section ("World", "K-pop",
/// "Business > Economy").
pub(super) fn section_of_label(text: &str) -> Option<SectionGuess> {
    let parts: Vec<String> = text
        .split(['>', '›', '»', '|', '/'])
        .map(squash)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() || parts.len() > 3 || text.chars().count() > 60 {
        return None;
    }
    let mut guess: Option<SectionGuess> = None;
    for part in &parts {
        if let Some(s) = find_section(part) {
            if guess.is_none() {
                guess = Some(SectionGuess {
                    section: s.name.to_string(),
                    subsection: None,
                });
            }
            continue;
        }
        let sub = SECTIONS.iter().find_map(|s| {
            s.subs
                .iter()
                .find(|(seg, label, _)| {
                    label.eq_ignore_ascii_case(part) || seg.eq_ignore_ascii_case(part)
                })
                .map(|(_, label, _)| (s, *label))
        });
        if let Some((s, label)) = sub {
            match &mut guess {
                Some(g) if g.section == s.name && g.subsection.is_none() => {
                    g.subsection = Some(label.to_string());
                }
                None => {
                    guess = Some(SectionGuess {
                        section: s.name.to_string(),
                        subsection: Some(label.to_string()),
                    })
                }
                _ => {}
            }
        }
    }
    guess
}

/// A link to a section list page of the site: `/National/Politics`,
/// `https://www.koreaherald.com/Business`, `/list.php?ct=020101000000`.
/// `text` is the link's text, used for a sub-section the table does not know.
pub(super) fn section_of_href(href: &str, text: Option<&str>) -> Option<SectionGuess> {
    let base = Url::parse("https://www.koreaherald.com/").ok()?;
    let u = base.join(href.trim()).ok()?;
    let host = u.host_str().unwrap_or("");
    // Relative links resolve onto the site; absolute ones must be its own.
    if !host.ends_with("koreaherald.com") {
        return None;
    }
    let text = text.map(squash).filter(|t| !t.is_empty() && t.len() <= 40);
    if let Some((_, ct)) = u.query_pairs().find(|(k, _)| k == "ct") {
        let ct = ct.to_string();
        if ct.len() < 6 || !ct.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let s = SECTIONS
            .iter()
            .find(|s| !s.code.is_empty() && ct.starts_with(s.code))?;
        let subsection = if ct[4..].chars().all(|c| c == '0') {
            None
        } else {
            s.subs
                .iter()
                .find(|(_, _, code)| !code.is_empty() && ct.starts_with(code))
                .map(|(_, label, _)| label.to_string())
                .or(text)
        };
        return Some(SectionGuess {
            section: s.name.to_string(),
            subsection,
        });
    }
    let segs: Vec<&str> = u.path_segments()?.filter(|s| !s.is_empty()).collect();
    if segs.is_empty() || segs.len() > 2 || segs.iter().any(|s| s.contains('.')) {
        return None;
    }
    let s = SECTIONS
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(segs[0]))?;
    let subsection = segs.get(1).map(|seg| {
        s.subs
            .iter()
            .find(|(sub, _, _)| sub.eq_ignore_ascii_case(seg))
            .map(|(_, label, _)| label.to_string())
            .or(text)
            .unwrap_or_else(|| seg.to_string())
    });
    Some(SectionGuess {
        section: s.name.to_string(),
        subsection,
    })
}

/// The first guess's section, with the first sub-section given for it.
pub(super) fn merge(guesses: impl IntoIterator<Item = SectionGuess>) -> Option<SectionGuess> {
    let mut out: Option<SectionGuess> = None;
    for g in guesses {
        match &mut out {
            None => out = Some(g),
            Some(o) if o.subsection.is_none() && o.section == g.section => {
                o.subsection = g.subsection;
            }
            _ => {}
        }
        if out.as_ref().is_some_and(|o| o.subsection.is_some()) {
            break;
        }
    }
    out
}

/// Section links of an element, in order.
fn link_guesses(el: ElementRef<'_>) -> Vec<SectionGuess> {
    let Some(a) = sel("a[href]") else {
        return Vec::new();
    };
    el.select(&a)
        .take(30)
        .filter_map(|a| {
            let text = text_of(a);
            section_of_href(a.value().attr("href")?, Some(&text))
        })
        .collect()
}

/// Breadcrumbs: "Home > Business > Finance". The elements
/// `[class*=breadcrumb], [class*=Breadcrumb], [class*=crumbs],
/// [aria-label*=readcrumb], [itemtype*=BreadcrumbList]` would match, found by
/// a plain walk: the selector engine took a tenth of a page's extraction.
pub(super) fn breadcrumbs(doc: &Html) -> Option<SectionGuess> {
    let attr_has = |el: &scraper::node::Element, name: &str, parts: &[&str]| {
        el.attr(name)
            .is_some_and(|v| parts.iter().any(|p| v.contains(p)))
    };
    elements(doc)
        .filter(|el| {
            let e = el.value();
            attr_has(e, "class", &["breadcrumb", "Breadcrumb", "crumbs"])
                || attr_has(e, "aria-label", &["readcrumb"])
                || attr_has(e, "itemtype", &["BreadcrumbList"])
        })
        .take(5)
        .find_map(|el| merge(link_guesses(el)))
}

/// Every element of the page, in document order.
fn elements(doc: &Html) -> impl Iterator<Item = ElementRef<'_>> {
    doc.root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
}

/// A label over the headline ("World", a link to `/National/NorthKorea`).
pub(super) fn category_label(headline: ElementRef<'_>) -> Option<SectionGuess> {
    let mut candidates: Vec<ElementRef<'_>> = headline
        .prev_siblings()
        .filter_map(ElementRef::wrap)
        .take(3)
        .collect();
    if let Some(parent) = headline.parent().and_then(ElementRef::wrap) {
        candidates.extend(parent.prev_siblings().filter_map(ElementRef::wrap).take(2));
    }
    candidates.into_iter().find_map(|el| {
        let text = text_of(el);
        if text.is_empty() || text.chars().count() > 60 {
            return None;
        }
        merge(link_guesses(el)).or_else(|| section_of_label(&text))
    })
}

/// The navigation's active item: the links `li.on > a[href], li.active >
/// a[href], li.is-active > a[href], li.current > a[href], li.selected >
/// a[href], a.on[href], a.active[href], a.is-active[href],
/// a.is-current[href], a.current[href], a[aria-current][href]` would match,
/// found by a plain walk (the selector engine took an eighth of a page's
/// extraction).
pub(super) fn nav_active(doc: &Html) -> Option<SectionGuess> {
    use scraper::CaseSensitivity::AsciiCaseInsensitive as Any;
    let has_any = |el: &scraper::node::Element, classes: &[&str]| {
        classes.iter().any(|c| el.has_class(c, Any))
    };
    let active = |a: &ElementRef<'_>| {
        let e = a.value();
        if e.name() != "a" || e.attr("href").is_none() {
            return false;
        }
        has_any(e, &["on", "active", "is-active", "is-current", "current"])
            || e.attr("aria-current").is_some()
            || a.parent().and_then(ElementRef::wrap).is_some_and(|li| {
                li.value().name() == "li"
                    && has_any(
                        li.value(),
                        &["on", "active", "is-active", "current", "selected"],
                    )
            })
    };
    let guesses: Vec<SectionGuess> = elements(doc)
        .filter(active)
        .take(50)
        .filter_map(|a| {
            let text = text_of(a);
            section_of_href(a.value().attr("href")?, Some(&text))
        })
        .collect();
    // A top-level item first: a sub-menu's item names its parent too.
    let top = guesses.iter().position(|g| g.subsection.is_none());
    match top {
        Some(i) => {
            let mut rest = vec![guesses[i].clone()];
            rest.extend(guesses.iter().cloned());
            merge(rest)
        }
        None => merge(guesses),
    }
}

/// The list page the crawler found the link on (a path or an address).
pub(super) fn from_list_page(list_page: &str) -> Option<SectionGuess> {
    section_of_href(list_page, None)
}

/// The element showing the headline: an `h1` (or a title-like element)
/// whose text is the title.
pub(super) fn headline<'a>(doc: &'a Html, title: &str) -> Option<ElementRef<'a>> {
    let s = sel(
        "h1, h2, [class*=title], [class*=headline], [class*=Title], [class*=Headline], \
         [itemprop=headline]",
    )?;
    let title = squash(title);
    if title.is_empty() {
        return None;
    }
    doc.select(&s)
        .take(MAX_ELEMENTS)
        .find(|el| text_of(*el).eq_ignore_ascii_case(&title))
}

/// A sub-headline: an `h2` standing right after the headline.
pub(super) fn subtitle_after(headline: ElementRef<'_>) -> Option<String> {
    let next = headline.next_siblings().find_map(ElementRef::wrap)?;
    if next.value().name() != "h2" {
        return None;
    }
    let text = text_of(next);
    let n = text.chars().count();
    let lower = text.to_lowercase();
    let byline = lower.starts_with("by ") && byline_names(&text).is_some();
    ((10..=300).contains(&n) && !byline && date_line(&text).is_none()).then_some(text)
}

/// Elements after `start` in document order (its own subtree excluded).
fn following(start: ElementRef<'_>, limit: usize) -> Vec<ElementRef<'_>> {
    let mut out = Vec::new();
    let mut node = *start;
    loop {
        for sib in node.next_siblings() {
            for d in sib.descendants() {
                if let Some(el) = ElementRef::wrap(d) {
                    out.push(el);
                    if out.len() >= limit {
                        return out;
                    }
                }
            }
        }
        match node.parent() {
            Some(p) => node = p,
            None => return out,
        }
    }
}

fn looks_like_author_element(el: ElementRef<'_>) -> bool {
    let v = el.value();
    let attrs = [
        v.attr("class").unwrap_or(""),
        v.attr("itemprop").unwrap_or(""),
        v.attr("rel").unwrap_or(""),
    ]
    .join(" ")
    .to_ascii_lowercase();
    ["author", "byline", "writer", "reporter", "journalist"]
        .iter()
        .any(|w| attrs.contains(w))
}

/// A byline right after the headline: "By AFP", "By Kim Arin and Lee Jaeeun".
pub(super) fn byline_near(headline: ElementRef<'_>) -> Option<Vec<String>> {
    for el in following(headline, 80) {
        let text = text_of(el);
        if el.value().name() == "p" && text.chars().count() > 150 {
            break; // the body has begun
        }
        if text.is_empty() || text.chars().count() > 100 {
            continue;
        }
        let by = text.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("by "));
        if by || looks_like_author_element(el) {
            if let Some(names) = byline_names(&text) {
                return Some(names);
            }
        }
    }
    None
}

/// A journalist block ("By Park Han-na / More articles").
pub(super) fn journalist_block(doc: &Html) -> Option<Vec<String>> {
    let s = sel(
        "[class*=journalist], [class*=reporter], [class*=byline], [class*=author], \
         [itemprop=author], [rel=author]",
    )?;
    for block in doc.select(&s).take(30) {
        for el in block.descendants().filter_map(ElementRef::wrap).take(20) {
            let text = text_of(el);
            if text.is_empty() || text.chars().count() > 100 {
                continue;
            }
            let by = text.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("by "));
            let named = el
                .value()
                .attr("class")
                .is_some_and(|c| c.to_ascii_lowercase().contains("name"));
            if by || named || el.value().attr("itemprop") == Some("author") {
                if let Some(names) = byline_names(&text) {
                    return Some(names);
                }
            }
        }
    }
    None
}

/// Published and updated times from "Published : ..." lines anywhere.
pub(super) fn dates_in_page(doc: &Html) -> Times {
    let (mut published, mut updated) = (None, None);
    const TAGS: &[&str] = &[
        "p", "span", "div", "li", "time", "em", "dd", "small", "strong", "b",
    ];
    for el in elements(doc)
        .filter(|el| TAGS.contains(&el.value().name()))
        .take(MAX_ELEMENTS)
    {
        let raw: String = el.text().take(12).collect();
        // A date line has a year: most elements end here, unsquashed.
        if raw.len() > 400 || !raw.bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        let text = squash(&raw);
        if text.is_empty() || text.chars().count() > 160 {
            continue;
        }
        if is_bare_date(&text) {
            continue;
        }
        if let Some((p, u)) = date_line(&text) {
            published = published.or(p);
            updated = updated.or(u);
        }
        if published.is_some() && updated.is_some() {
            break;
        }
    }
    (published, updated)
}

/// Times given by markup no layer reads otherwise: microdata
/// (`itemprop=datePublished`/`dateModified`) and `<time datetime>` (the
/// first is the published time unless its text says it is the update).
pub(super) fn dates_in_markup(doc: &Html) -> Times {
    let (mut published, mut updated) = (None, None);
    let value = |el: ElementRef<'_>| {
        let v = el.value();
        v.attr("datetime")
            .or_else(|| v.attr("content"))
            .and_then(super::text::parse_datetime)
    };
    if let Some(s) = sel("[itemprop=datePublished], [itemprop=dateModified]") {
        for el in doc.select(&s).take(20) {
            let t = value(el);
            if el.value().attr("itemprop") == Some("dateModified") {
                updated = updated.or(t);
            } else {
                published = published.or(t);
            }
        }
    }
    if let Some(s) = sel("time[datetime]") {
        for el in doc.select(&s).take(20) {
            let Some(t) = value(el) else {
                continue;
            };
            // The words just before the time label it ("Updated <time>").
            let around = match el.prev_sibling().map(|n| n.value()) {
                Some(Node::Text(t)) => t.to_string(),
                _ => el
                    .prev_siblings()
                    .find_map(ElementRef::wrap)
                    .map(text_of)
                    .unwrap_or_default(),
            };
            let around: String = around.to_lowercase().chars().rev().take(24).collect();
            let around: String = around.chars().rev().collect();
            if around.contains("updated") || around.contains("modified") {
                updated = updated.or(Some(t));
            } else if published.is_none() {
                published = Some(t);
            }
        }
    }
    (published, updated)
}

fn is_bare_date(text: &str) -> bool {
    let lower = text.to_lowercase();
    !["published", "posted", "입력", "updated", "modified", "수정"]
        .iter()
        .any(|l| lower.contains(l))
}

/// The element holding the body's text: the nearest common ancestor of the
/// first and last paragraphs, found by their opening words.
pub(super) fn region<'a>(doc: &'a Html, paragraphs: &[String]) -> Option<ElementRef<'a>> {
    let first = paragraphs.first()?;
    let last = paragraphs
        .iter()
        .rev()
        .find(|p| p.contains(' '))
        .unwrap_or(first);
    let find = |p: &str| -> Option<ElementRef<'a>> {
        let want: String = p.chars().take(40).collect();
        doc.tree
            .root()
            .descendants()
            .take(MAX_ELEMENTS * 4)
            .find_map(|n| {
                let Node::Text(t) = n.value() else {
                    return None;
                };
                let t = squash(t);
                let hit = t.chars().count() >= 8 && (want.starts_with(&t) || t.starts_with(&want));
                let parent = n.parent().and_then(ElementRef::wrap)?;
                (hit && !matches!(parent.value().name(), "script" | "title")).then_some(parent)
            })
    };
    let a = find(first)?;
    let b = find(last).unwrap_or(a);
    let a_line: Vec<_> = std::iter::once(*a)
        .chain(a.ancestors())
        .map(|n| n.id())
        .collect();
    let mut lca = std::iter::once(*b)
        .chain(b.ancestors())
        .find(|n| a_line.contains(&n.id()))?;
    // One paragraph only: its container, not the paragraph itself.
    if lca.id() == a.id() {
        lca = lca.parent()?;
    }
    ElementRef::wrap(lca)
}

/// Captions in the body's region: `figcaption`, caption-classed elements,
/// and the text element right after an image.
pub(super) fn captions_in(region: ElementRef<'_>, body: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // A caption is short; the body's long paragraphs never are one.
    let push = |t: String, out: &mut Vec<String>| {
        let n = t.chars().count();
        let skip = t.is_empty()
            || n > 300
            || is_credit(&t)
            || (n > 200 && body.contains(&t))
            || out.contains(&t);
        if !skip {
            out.push(t);
        }
    };
    if let Some(s) = sel("figcaption, [class*=caption], [class*=Caption]") {
        for el in region.select(&s).take(50) {
            push(text_of(el), &mut out);
        }
    }
    if !out.is_empty() {
        return out;
    }
    if let Some(s) = sel("img, amp-img, picture") {
        for img in region.select(&s).take(50) {
            let mut holder = img;
            // An image wrapped alone in a link or picture: look past the wrapper.
            while let Some(p) = holder.parent().and_then(ElementRef::wrap) {
                let wraps_alone = matches!(p.value().name(), "a" | "picture" | "span")
                    && p.children().filter_map(ElementRef::wrap).count() == 1;
                if !wraps_alone {
                    break;
                }
                holder = p;
            }
            if let Some(next) = holder.next_siblings().find_map(ElementRef::wrap) {
                if !matches!(
                    next.value().name(),
                    "img" | "picture" | "amp-img" | "script"
                ) {
                    push(text_of(next), &mut out);
                }
            }
        }
    }
    out
}

/// `alt` texts of the region's images, when nothing else captions them.
pub(super) fn alts_in(region: ElementRef<'_>) -> Vec<String> {
    let Some(s) = sel("img[alt], amp-img[alt]") else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for img in region.select(&s).take(50) {
        let alt = squash(img.value().attr("alt").unwrap_or(""));
        if alt.split_whitespace().count() >= 3 && !is_credit(&alt) && !out.contains(&alt) {
            out.push(alt);
        }
    }
    out
}

/// `src` of the region's images.
pub(super) fn images_in(region: ElementRef<'_>) -> Vec<&str> {
    let Some(s) = sel("img[src], amp-img[src]") else {
        return Vec::new();
    };
    region
        .select(&s)
        .take(50)
        .filter_map(|el| el.value().attr("src"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_links_and_labels_map_to_the_records_names() {
        let g = |s: &str, sub: Option<&str>| SectionGuess {
            section: s.into(),
            subsection: sub.map(String::from),
        };
        assert_eq!(
            section_of_href("/National/NorthKorea", Some("North Korea")),
            Some(g("National", Some("North Korea")))
        );
        assert_eq!(
            section_of_href("https://www.koreaherald.com/LifenCulture/Kpop", None),
            Some(g("LifenCulture", Some("K-pop")))
        );
        assert_eq!(
            section_of_href("/list.php?ct=021200000000", Some("World")),
            Some(g("World", None))
        );
        assert_eq!(
            section_of_href("/list.php?ct=020102000000", None),
            Some(g("National", Some("Social Affairs")))
        );
        assert_eq!(section_of_href("/article/10915012", None), None);
        assert_eq!(section_of_href("/Diplomacy", None), None);
        assert_eq!(
            section_of_href("https://elsewhere.example/National", None),
            None
        );
        assert_eq!(section_of_label("World"), Some(g("World", None)));
        assert_eq!(
            section_of_label("Business > Finance"),
            Some(g("Business", Some("Finance")))
        );
        assert_eq!(section_of_label("Diplomacy"), None);
        assert_eq!(normalize_section("Life&Culture"), "LifenCulture");
        assert_eq!(normalize_section("Diplomacy"), "Diplomacy");
    }
}
