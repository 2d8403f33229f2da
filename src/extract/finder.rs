//! Our own main-content finder for the generic layer. It works on the
//! document the caller has already parsed (the third-party finders each
//! parsed the page again) and reads it in one pass:
//!
//! - elements that are never text (scripts, navigation, forms' controls,
//!   hidden ones) are left out; boxes whose class or id marks them as page
//!   furniture (share, comments, related, sidebar, ads, ...) keep their
//!   text to themselves, and a body is sought inside one only when none is
//!   found elsewhere;
//! - paragraph-like blocks are scored by their length, commas and links,
//!   and the scores flow to a few levels of ancestors (Readability's rule);
//! - an explicit content marker (`itemprop=articleBody`, `entry-content`,
//!   `article-body`, `<article>`, ...) that holds enough text wins over the
//!   best-scored box, tier by tier, the first in the page (trafilatura's
//!   rule);
//! - the chosen box gives its paragraphs in order, without link-dense
//!   blocks (lists of links, "related" boxes) and what was left out.
//!
//! Linear in the page: one walk with explicit stacks, per-element data in
//! arrays in document order (an element's subtree is a range of them), and
//! score propagation to a bounded number of ancestors.

use std::collections::HashSet;

use ego_tree::NodeId;
use scraper::node::Element;
use scraper::{ElementRef, Html, Node};

use super::blocks::paragraphs_skipping;
use super::text::squash;
use crate::site::profile::Sel;

/// What the finder found: paragraphs as they stand in the page (the
/// generic layer's cleanup comes after), the title and byline it saw.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Found {
    pub paragraphs: Vec<String>,
    pub title: Option<String>,
    pub byline: Option<String>,
}

/// No parent (the document node).
const NONE: u32 = u32::MAX;

/// One element of the page, in document order.
#[derive(Clone, Copy)]
struct Info<'a> {
    el: ElementRef<'a>,
    parent: u32,
    /// One past the last element of its subtree.
    end: u32,
    /// Characters of text in the subtree (left-out parts not counted).
    text: u32,
    /// ... of which inside links.
    link: u32,
    /// Text not inside a block-level descendant: the element's own
    /// paragraph, when it is a block.
    own: u32,
    own_link: u32,
    own_commas: u32,
    /// Readability's content score, from the paragraphs below.
    score: f32,
    /// From its tag, class and id: content-like or furniture-like.
    weight: f32,
    /// Explicit content markers, strongest first: 4 `articleBody`,
    /// `entry-content` and the like; 3 `<article>`; 2 `story-body` and the
    /// like; 1 `<main>`, `id="content"`; 0 none.
    marker: u8,
    block: bool,
    /// Its class or id marks it as furniture: its text and scores stay
    /// inside it, and it is left out of a body around it.
    furniture: bool,
    /// It or an ancestor is furniture: a body is sought there only when
    /// none is found elsewhere (a class can be wrong: Blogger puts every
    /// post in a `widget`). Set once the walk is done.
    inside: bool,
    /// The most link-free text of a marked box (tier 2 up) in the subtree.
    marked: u32,
}

/// The main content of `doc`; `None` when no block holds any text.
/// `strip` is the profile's list of elements to drop from a body.
pub(super) fn find(doc: &Html, strip: &[Sel]) -> Option<Found> {
    let page = Page::read(doc);
    let roots = page.choose()?;
    let skip = page.skipped_in(&roots, strip);
    let mut paragraphs = Vec::new();
    for &r in &roots {
        let el = page.nodes[r as usize].el;
        paragraphs.extend(paragraphs_skipping(el, &|e| skip.contains(&e.id())));
    }
    Some(Found {
        paragraphs,
        title: page.title(),
        byline: page.byline(),
    })
}

struct Page<'a> {
    nodes: Vec<Info<'a>>,
    /// Left-out elements (their subtrees are not in `nodes`) and the index
    /// of their parent.
    left_out: Vec<(u32, NodeId)>,
    og_title: Option<&'a str>,
    title_el: Option<ElementRef<'a>>,
    /// The first few headings: one of them is the title.
    h1: Vec<ElementRef<'a>>,
    byline_el: Option<ElementRef<'a>>,
}

impl<'a> Page<'a> {
    fn read(doc: &'a Html) -> Page<'a> {
        let mut page = Page {
            nodes: Vec::new(),
            left_out: Vec::new(),
            og_title: None,
            title_el: None,
            h1: Vec::new(),
            byline_el: None,
        };
        // Open elements: (index in `nodes`, node id); links open around here.
        let mut open: Vec<(u32, NodeId)> = Vec::new();
        let mut in_link = 0usize;
        let root = doc.tree.root();
        let mut node = root;
        loop {
            let descend = page.enter(node, &mut open, &mut in_link);
            if descend {
                if let Some(child) = node.first_child() {
                    node = child;
                    continue;
                }
            }
            // Leave `node` and every ancestor whose last child it was.
            let mut n = node;
            loop {
                if open.last().is_some_and(|&(_, id)| id == n.id()) {
                    page.leave(&mut open, &mut in_link);
                }
                if n.id() == root.id() {
                    page.mark_inside();
                    return page;
                }
                if let Some(next) = n.next_sibling() {
                    node = next;
                    break;
                }
                match n.parent() {
                    Some(p) => n = p,
                    None => {
                        page.mark_inside();
                        return page;
                    }
                }
            }
        }
    }

    /// Parents come before their children: one pass down.
    fn mark_inside(&mut self) {
        for i in 0..self.nodes.len() {
            let p = self.nodes[i].parent;
            self.nodes[i].inside =
                self.nodes[i].furniture || (p != NONE && self.nodes[p as usize].inside);
        }
    }

    /// Opens `node`; whether to walk its children.
    fn enter(
        &mut self,
        node: ego_tree::NodeRef<'a, Node>,
        open: &mut Vec<(u32, NodeId)>,
        in_link: &mut usize,
    ) -> bool {
        match node.value() {
            Node::Document => true,
            Node::Text(t) => {
                if let Some(&(i, _)) = open.last() {
                    let (chars, commas) = measure(t);
                    let n = &mut self.nodes[i as usize];
                    n.own += chars;
                    n.text += chars;
                    n.own_commas += commas;
                    if *in_link > 0 {
                        n.own_link += chars;
                        n.link += chars;
                    }
                }
                false
            }
            Node::Element(e) => {
                let Some(el) = ElementRef::wrap(node) else {
                    return false;
                };
                let name = e.name();
                let class = classify(e, name);
                self.note_meta(el, e, name, &class);
                let parent = open.last().map_or(NONE, |&(i, _)| i);
                if class.skip {
                    self.left_out.push((parent, node.id()));
                    return false;
                }
                let i = self.nodes.len() as u32;
                self.nodes.push(Info {
                    el,
                    parent,
                    end: i + 1,
                    text: 0,
                    link: 0,
                    own: 0,
                    own_link: 0,
                    own_commas: 0,
                    score: 0.0,
                    weight: class.weight,
                    marker: class.marker,
                    block: super::blocks::BLOCKS.contains(&name) || MORE_BLOCKS.contains(&name),
                    furniture: class.furniture,
                    inside: false,
                    marked: 0,
                });
                if name == "a" {
                    *in_link += 1;
                }
                open.push((i, node.id()));
                true
            }
            _ => false,
        }
    }

    /// Closes the innermost open element: its text goes to its parent, and
    /// a block with text of its own scores as a paragraph.
    fn leave(&mut self, open: &mut Vec<(u32, NodeId)>, in_link: &mut usize) {
        let Some((i, _)) = open.pop() else { return };
        let end = self.nodes.len() as u32;
        let n = &mut self.nodes[i as usize];
        n.end = end;
        let paragraph = n.block && n.own >= MIN_PARAGRAPH && !is_heading(n.el.value().name());
        let score = if paragraph {
            let links = n.own_link as f32 / n.own as f32;
            (1.0 + n.own_commas as f32 + (n.own as f32 / 100.0).min(3.0)) * (1.0 - links)
        } else {
            0.0
        };
        if n.marker >= 2 {
            n.marked = n.marked.max(n.text.saturating_sub(n.link));
        }
        // Furniture around a marked body is a wrong guess from a class
        // (`above-footer` around a whole post).
        if n.furniture && n.marked >= MIN_TEXT {
            n.furniture = false;
        }
        let n = *n;
        if n.el.value().name() == "a" {
            *in_link = in_link.saturating_sub(1);
        }
        if n.parent == NONE || n.furniture {
            return;
        }
        let p = &mut self.nodes[n.parent as usize];
        p.text += n.text;
        p.link += n.link;
        p.marked = p.marked.max(n.marked);
        if !n.block {
            p.own += n.own;
            p.own_link += n.own_link;
            p.own_commas += n.own_commas;
            return;
        }
        if !paragraph {
            return;
        }
        let mut at = n.parent;
        for level in 0..ANCESTOR_LEVELS {
            if at == NONE {
                break;
            }
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f32 * 3.0,
            };
            let a = &mut self.nodes[at as usize];
            a.score += score / divider;
            if a.furniture {
                break;
            }
            at = a.parent;
        }
    }

    fn note_meta(&mut self, el: ElementRef<'a>, e: &'a Element, name: &str, class: &Class) {
        match name {
            "title" if self.title_el.is_none() => self.title_el = Some(el),
            "h1" if self.h1.len() < MAX_H1 && !class.skip => self.h1.push(el),
            "meta" if self.og_title.is_none() => {
                let p = e.attr("property").or_else(|| e.attr("name"));
                if p.is_some_and(|p| p.eq_ignore_ascii_case("og:title")) {
                    self.og_title = e.attr("content");
                }
            }
            // The head is never text, but its title and meta tags are read.
            "head" => {
                for child in el.child_elements() {
                    let name = child.value().name();
                    if matches!(name, "title" | "meta") {
                        self.note_meta(child, child.value(), name, &Class::default());
                    }
                }
            }
            _ => {}
        }
        if class.byline && self.byline_el.is_none() {
            self.byline_el = Some(el);
        }
    }

    /// The element(s) holding the main content, in document order.
    fn choose(&self) -> Option<Vec<u32>> {
        let clean = self.choose_among(false);
        match clean {
            Some(r) if self.good_of(&r) >= MIN_TEXT => Some(r),
            clean => match self.choose_among(true) {
                Some(r) if self.good_of(&r) > clean.as_deref().map_or(0, |c| self.good_of(c)) => {
                    Some(r)
                }
                _ => clean,
            },
        }
    }

    /// Link-free characters of an element, furniture left out.
    fn good(&self, i: usize) -> u32 {
        self.nodes[i].text.saturating_sub(self.nodes[i].link)
    }

    fn good_of(&self, roots: &[u32]) -> u32 {
        roots.iter().map(|&i| self.good(i as usize)).sum()
    }

    fn contains(&self, outer: usize, inner: usize) -> bool {
        inner >= outer && inner < self.nodes[outer].end as usize
    }

    /// The best boxes; inside furniture too when `anywhere`.
    fn choose_among(&self, anywhere: bool) -> Option<Vec<u32>> {
        let eligible = |i: &usize| anywhere || !self.nodes[*i].inside;
        let final_score = |i: usize| {
            let n = &self.nodes[i];
            (n.score + n.weight) * (1.0 - density(n.link, n.text))
        };
        let top = (0..self.nodes.len())
            .filter(eligible)
            .filter(|&i| self.nodes[i].score > 0.0)
            .max_by(|&a, &b| final_score(a).total_cmp(&final_score(b)));
        // Explicit markers tier by tier: the first with enough text (a
        // question comes before its answers), or one inside it with nearly
        // as much (a wrapper's marker names its inner box too).
        for tier in (1..=4).rev() {
            let mut m = 0;
            while m < self.nodes.len() {
                let n = &self.nodes[m];
                if n.marker != tier || !eligible(&m) || self.good(m) < MIN_MARKED {
                    m += 1;
                    continue;
                }
                let mut best = m;
                for i in m + 1..n.end as usize {
                    if self.nodes[i].marker >= tier && self.good(i) * 10 >= self.good(m) * 9 {
                        best = i;
                    }
                }
                // A marked box loses to a far bigger scored one elsewhere
                // that is not just another box marked alike (an answer
                // after a question).
                if let Some(t) = top {
                    let (gm, gt) = (self.good(best), self.good(t));
                    // Only the weakest markers (`main`, `content`) are
                    // doubted when they hold a body's worth of text.
                    let far = if gm < MIN_TEXT {
                        2
                    } else if tier == 1 {
                        3
                    } else {
                        u32::MAX
                    };
                    if gt > far.saturating_mul(gm)
                        && !self.contains(m, t)
                        && self.nodes[t].marker < tier
                    {
                        m = n.end as usize;
                        continue;
                    }
                }
                return Some(self.marked_siblings(m, best, tier));
            }
        }
        Some(self.with_siblings(self.climb(top?)))
    }

    /// `best` (inside `outer`, of marker `tier`), with the boxes marked the
    /// same way that follow it under its parent or grandparent: an article
    /// split into several boxes between pictures and ads.
    fn marked_siblings(&self, outer: usize, best: usize, tier: u8) -> Vec<u32> {
        let mut out = vec![best as u32];
        let mut at = self.nodes[outer].parent;
        for _ in 0..2 {
            if at == NONE {
                break;
            }
            let end = self.nodes[at as usize].end as usize;
            let mut c = self.nodes[outer].end as usize;
            while c < end {
                let s = &self.nodes[c];
                if s.marker == tier && !s.inside && self.good(c) > 0 {
                    out.push(c as u32);
                    c = s.end as usize;
                } else {
                    c += 1;
                }
            }
            if out.len() > 1 {
                break;
            }
            at = self.nodes[at as usize].parent;
        }
        out
    }

    /// Readability moves up from the best box while the parent scores
    /// better: the text was split over several boxes of one article.
    fn climb(&self, top: usize) -> usize {
        let mut best = top;
        let mut last = self.nodes[top].score;
        let threshold = last / 3.0;
        let mut at = self.nodes[top].parent;
        for _ in 0..ANCESTOR_LEVELS {
            if at == NONE {
                break;
            }
            let n = &self.nodes[at as usize];
            if matches!(n.el.value().name(), "body" | "html") || n.score < threshold {
                break;
            }
            if n.score > last {
                best = at as usize;
                break;
            }
            last = n.score;
            at = n.parent;
        }
        best
    }

    /// The chosen box and its siblings that look like more of the same.
    fn with_siblings(&self, top: usize) -> Vec<u32> {
        let t = &self.nodes[top];
        if t.parent == NONE {
            return vec![top as u32];
        }
        let threshold = (t.score * 0.2).max(10.0);
        let p = &self.nodes[t.parent as usize];
        let mut out = Vec::new();
        let mut c = t.parent as usize + 1;
        while c < p.end as usize {
            let s = &self.nodes[c];
            let keep = c == top || {
                let d = density(s.link, s.text);
                s.score * (1.0 - d) >= threshold
                    || (s.el.value().name() == "p" && s.text > 80 && d < 0.25)
            };
            if keep {
                out.push(c as u32);
            }
            c = s.end as usize;
        }
        out
    }

    /// What to leave out of the chosen boxes: left-out elements,
    /// link-dense blocks, the profile's strip list.
    fn skipped_in(&self, roots: &[u32], strip: &[Sel]) -> HashSet<NodeId> {
        // A table or figure the finder keeps holds text (a layout table's
        // cells, a figure's table), not a caption.
        let strip: Vec<&Sel> = strip
            .iter()
            .filter(|s| !matches!(s.as_str(), "table" | "figure"))
            .collect();
        let mut skip = HashSet::new();
        // The boxes do not overlap: one binary search per left-out element.
        let mut ranges: Vec<(usize, usize)> = roots
            .iter()
            .map(|&r| (r as usize, self.nodes[r as usize].end as usize))
            .collect();
        ranges.sort_unstable();
        for &(p, id) in &self.left_out {
            let k = ranges.partition_point(|&(start, _)| start <= p as usize);
            if p != NONE && k > 0 && (p as usize) < ranges[k - 1].1 {
                skip.insert(id);
            }
        }
        for &(start, end) in &ranges {
            let mut i = start + 1;
            while i < end {
                let n = &self.nodes[i];
                // A figure is a picture and its caption, or a table.
                let picture = n.el.value().name() == "figure"
                    && !self.nodes[i + 1..n.end as usize]
                        .iter()
                        .any(|d| d.el.value().name() == "table");
                if n.furniture
                    || picture
                    || link_dense(n)
                    || strip.iter().any(|s| matches_sel(s, n.el))
                {
                    skip.insert(n.el.id());
                    i = n.end as usize;
                } else {
                    i += 1;
                }
            }
        }
        skip
    }

    /// The heading the page's `og:title` or `<title>` repeats (the first
    /// `<h1>` may be the site's logo), else `og:title`, the first heading,
    /// `<title>`.
    fn title(&self) -> Option<String> {
        let text = |el: &ElementRef<'_>| squash(&el.text().collect::<String>());
        let og = self.og_title.map(squash).filter(|t| !t.is_empty());
        let title = self.title_el.map(|t| text(&t)).filter(|t| !t.is_empty());
        let headings: Vec<String> = self
            .h1
            .iter()
            .map(text)
            .filter(|t| !t.is_empty() && t.chars().count() <= 300)
            .collect();
        let named = |t: &String| {
            let t = t.to_lowercase();
            [&og, &title]
                .into_iter()
                .flatten()
                .any(|s| s.to_lowercase().contains(&t))
        };
        let first = headings.first().cloned();
        // The longest: a logo's site name is in `<title>` too.
        let named = headings
            .into_iter()
            .filter(named)
            .max_by_key(|h| h.chars().count());
        named.or(og).or(first).or(title)
    }

    fn byline(&self) -> Option<String> {
        let b = squash(&self.byline_el?.text().collect::<String>());
        Some(b).filter(|b| !b.is_empty() && b.chars().count() <= 100)
    }
}

/// Headings looked at for the title.
const MAX_H1: usize = 4;
/// Blocks shorter than this are no paragraph (Readability's 25).
const MIN_PARAGRAPH: u32 = 25;
/// How many ancestors a paragraph's score reaches.
const ANCESTOR_LEVELS: usize = 5;
/// Link-free characters an explicit marker needs to be believed.
const MIN_MARKED: u32 = 100;
/// Link-free characters of a body that needs no second look.
const MIN_TEXT: u32 = 250;

fn density(link: u32, text: u32) -> f32 {
    if text == 0 {
        0.0
    } else {
        link as f32 / text as f32
    }
}

/// A block that is mostly links: a menu, a list of headlines, a tag list.
fn link_dense(n: &Info<'_>) -> bool {
    let name = n.el.value().name();
    // Items are judged with their list or table.
    if n.link == 0
        || matches!(
            name,
            "a" | "li" | "td" | "th" | "tr" | "dd" | "dt" | "tbody" | "thead"
        )
    {
        return false;
    }
    let d = density(n.link, n.text);
    if matches!(name, "ul" | "ol" | "dl" | "table") {
        // A long list of links inside the body is content (a list of
        // sources, a table of downloads); the cleanup after the finder
        // knows lists of headlines.
        return d > 0.8 && n.text < 300;
    }
    d > 0.8 || (d > 0.5 && n.text < 300)
}

/// `tag` and `.class` selectors without the cost of a general match.
fn matches_sel(s: &Sel, el: ElementRef<'_>) -> bool {
    let text = s.as_str();
    if let Some(class) = text.strip_prefix('.') {
        if class
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return el.value().classes().any(|c| c.eq_ignore_ascii_case(class));
        }
    } else if text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return el.value().name().eq_ignore_ascii_case(text);
    }
    s.get().matches(&el)
}

/// Characters (runs of whitespace as one) and commas of a text.
fn measure(t: &str) -> (u32, u32) {
    let (mut chars, mut commas, mut space) = (0u32, 0u32, true);
    for &b in t.as_bytes() {
        if b.is_ascii_whitespace() {
            if !space {
                chars += 1;
                space = true;
            }
        } else if b & 0xC0 != 0x80 {
            chars += 1;
            space = false;
            commas += u32::from(b == b',');
        }
    }
    (chars, commas)
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// Block-level elements beyond the ones that split a body into paragraphs
/// (`blocks::BLOCKS`): containers whose text is a block of its own here.
const MORE_BLOCKS: &[&str] = &[
    "table", "thead", "tbody", "tfoot", "th", "form", "fieldset", "address", "center", "details",
    "summary", "body", "html", "caption",
];

/// Elements that never hold article text.
const NEVER_TEXT: &[&str] = &[
    "head",
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "nav",
    "aside",
    "footer",
    "button",
    "iframe",
    "frame",
    "select",
    "option",
    "input",
    "textarea",
    "label",
    "object",
    "embed",
    "canvas",
    "figcaption",
    "audio",
    "video",
    "picture",
    "map",
    "dialog",
    "menu",
];

/// Words in a class or id that mark page furniture.
const FURNITURE: &[&str] = &[
    "nav",
    "navbar",
    "navigation",
    "menu",
    "submenu",
    "share",
    "sharing",
    "sharer",
    "social",
    "comment",
    "comments",
    "commentlist",
    "disqus",
    "related",
    "recommend",
    "recommended",
    "recommendations",
    "promo",
    "promos",
    "promotion",
    "advert",
    "advertisement",
    "advertising",
    "ad",
    "ads",
    "adsense",
    "sponsor",
    "sponsored",
    "sidebar",
    "newsletter",
    "subscribe",
    "subscription",
    "popular",
    "trending",
    "breadcrumb",
    "breadcrumbs",
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "banner",
    "footer",
    "header",
    "masthead",
    "pagination",
    "pager",
    "tags",
    "byline",
    "author",
    "meta",
    "caption",
    "credit",
    "credits",
    "disclosure",
    "disclaimer",
    "follow",
    "cta",
    "teaser",
    "teasers",
    "print",
    "toolbar",
    "modal",
    "popup",
    "overlay",
    "login",
    "signup",
    "rss",
    "outbrain",
    "taboola",
    "skip",
];

/// Words of a class that describe the page or a state, not the box
/// (`has-sidebar`, `o-section--has-ads`), and first words that do
/// (WordPress's `tag-social-media`, `category-news`).
const MODIFIERS: &[&str] = &[
    "has", "with", "without", "no", "not", "is", "show", "layout",
];
const FIRST_MODIFIERS: &[&str] = &[
    "tag",
    "category",
    "categories",
    "postid",
    "type",
    "format",
    "status",
    "page",
    "template",
    "single",
    "logged",
];

/// Words of a content box: a class with one is furniture only when it ends
/// in a furniture word.
const CONTENT: &[&str] = &[
    "article", "body", "content", "main", "story", "entry", "post", "text",
];

/// Explicit markers of an article's body, strongest first, compared
/// without case and punctuation anywhere in a class or id: trafilatura's
/// lists, whose tiers it tries in turn (`<article>` is the second tier).
const MARKERS_4: &[&str] = &[
    "posttext",
    "postbody",
    "postentry",
    "postcontent",
    "postinnerwrapper",
    "articletext",
    "entrycontent",
    "articlecontent",
    "articlebody",
    "pagecontent",
    "textcontent",
    "bodytext",
    "articlecontainer",
    "artcontent",
];
const MARKERS_2: &[&str] = &[
    "postbodycopy",
    "storycontent",
    "artpostcontent",
    "themecontent",
    "blogcontent",
    "sectioncontent",
    "singlecontent",
    "singlepost",
    "maincolumn",
    "wpbtextcolumn",
    "storybody",
    "storytext",
    "fieldbody",
    "fulltext",
];
const MARKERS_1: &[&str] = &["contentmain", "contentbody", "maincontent"];

/// The marker tier a whole class or id value gives (0: none).
fn marker_of(attr: &str, value: &str) -> u8 {
    let v = value.trim();
    let class = attr == "class";
    let exact = |w: &str| v.eq_ignore_ascii_case(w);
    if class && (exact("post") || exact("entry")) {
        4
    } else if (class
        && (exact("text") || exact("cell") || exact("story") || v.starts_with("article ")))
        || (!class && (exact("article") || exact("story") || v.starts_with("primary")))
    {
        2
    } else if exact("content") || v.starts_with("main") {
        1
    } else {
        0
    }
}

/// The marker tier one class or id token gives (0: none).
fn marker_in(token: &str) -> u8 {
    let mut buf = [0u8; 64];
    let mut n = 0;
    for b in alnum(token).take(buf.len()) {
        buf[n] = b;
        n += 1;
    }
    let t = &buf[..n];
    let has = |list: &[&str]| {
        list.iter()
            .any(|m| t.windows(m.len()).any(|w| w == m.as_bytes()))
    };
    if has(MARKERS_4) {
        4
    } else if has(MARKERS_2) {
        2
    } else if has(MARKERS_1) {
        1
    } else {
        0
    }
}

#[derive(Default)]
struct Class {
    skip: bool,
    furniture: bool,
    weight: f32,
    marker: u8,
    byline: bool,
}

/// What an element's tag and attributes say about it.
fn classify(e: &Element, name: &str) -> Class {
    let mut c = Class {
        skip: NEVER_TEXT.contains(&name),
        weight: match name {
            "div" => 5.0,
            "pre" | "td" | "blockquote" => 3.0,
            "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
            _ => 0.0,
        },
        marker: match name {
            "article" => 3,
            "main" => 1,
            _ => 0,
        },
        byline: false,
        furniture: false,
    };
    // The page's frame and explicit content tags are never furniture.
    let sure = matches!(name, "html" | "body" | "article" | "main");
    let mut furniture = false;
    for (k, v) in e.attrs() {
        match k {
            "class" | "id" => {
                c.marker = c.marker.max(marker_of(k, v));
                let mut positive = false;
                let mut negative = false;
                for token in v.split_ascii_whitespace() {
                    let t = token_kind(token);
                    furniture |= t.furniture;
                    positive |= t.content;
                    negative |= t.furniture;
                    c.byline |= t.byline;
                    c.marker = c.marker.max(t.marker);
                }
                c.weight += if positive { 25.0 } else { 0.0 } - if negative { 25.0 } else { 0.0 };
            }
            "itemprop" => {
                if v.eq_ignore_ascii_case("articleBody") {
                    c.marker = 4;
                } else if v.eq_ignore_ascii_case("author") {
                    c.byline = true;
                }
            }
            "rel" => c.byline |= v.eq_ignore_ascii_case("author"),
            "role" => {
                let v = v.to_ascii_lowercase();
                if v == "main" {
                    c.marker = c.marker.max(1);
                } else if v == "article" {
                    c.marker = c.marker.max(2);
                } else if matches!(
                    v.as_str(),
                    "navigation" | "complementary" | "contentinfo" | "menu" | "dialog" | "search"
                ) {
                    c.skip = true;
                }
            }
            // Not `display: none`: saved pages hide what scripts show
            // (gallery slides, the rest of a story).
            "hidden" => c.skip = true,
            "aria-hidden" => c.skip |= v.eq_ignore_ascii_case("true"),
            _ => {}
        }
    }
    // `<article class="comment-body">` is a comment, not the body.
    if furniture && name == "article" && c.marker == 3 {
        c.marker = 0;
    }
    c.furniture = furniture && !sure && c.marker < 2;
    c
}

#[derive(Default)]
struct TokenKind {
    furniture: bool,
    content: bool,
    marker: u8,
    byline: bool,
}

/// One class or id value, read word by word (`related-posts`,
/// `socialShare`, `entry_content`).
fn token_kind(token: &str) -> TokenKind {
    let mut k = TokenKind::default();
    if token.len() > 64 {
        return k;
    }
    k.byline = ["byline", "author"].iter().any(|w| alnum_eq(token, w));
    let mut furniture = false;
    // The last word names the box: `article-comments` is comments,
    // `sidebar-and-content-body` the body.
    let mut last_furniture = false;
    for (n, w) in words(token).enumerate() {
        let is = |list: &[&str]| list.iter().any(|x| w.eq_ignore_ascii_case(x));
        if is(MODIFIERS) || (n == 0 && is(FIRST_MODIFIERS)) {
            return TokenKind {
                byline: k.byline,
                ..TokenKind::default()
            };
        }
        last_furniture = is(FURNITURE);
        furniture |= last_furniture;
        k.content |= is(CONTENT);
    }
    // `article__content-header` is a header, not the body.
    k.marker = if last_furniture { 0 } else { marker_in(token) };
    k.furniture = furniture && (!k.content || last_furniture) && k.marker < 2;
    k
}

/// The words of a class: split at punctuation, digits and camelCase.
fn words(token: &str) -> impl Iterator<Item = &str> {
    let b = token.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && !b[i].is_ascii_alphabetic() {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let start = i;
        i += 1;
        while i < b.len()
            && b[i].is_ascii_alphabetic()
            && !(b[i].is_ascii_uppercase() && b[i - 1].is_ascii_lowercase())
        {
            i += 1;
        }
        token.get(start..i)
    })
}

/// `token`'s letters and digits, lower-cased.
fn alnum(token: &str) -> impl Iterator<Item = u8> + Clone + '_ {
    token
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase())
}

fn alnum_eq(token: &str, word: &str) -> bool {
    alnum(token).eq(word.bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(html: &str) -> String {
        let doc = Html::parse_document(html);
        find(&doc, &[])
            .map(|f| f.paragraphs.join("\n"))
            .unwrap_or_default()
    }

    const SENTENCE: &str = "The ministry said on Monday that the plan, which needs approval, \
        would be reviewed by the committee next month. ";

    #[test]
    fn content_wins_over_a_link_dense_sidebar() {
        let links: String = (0..40)
            .map(|i| {
                format!(
                    "<li><a href=\"/{i}\">Headline number {i} of the day, with more words</a></li>"
                )
            })
            .collect();
        let html = format!(
            "<body><div class=\"col\"><ul>{links}</ul></div>\
             <div class=\"col2\"><p>{s}</p><p>{s}</p><p>{s}</p></div></body>",
            s = SENTENCE
        );
        let text = body(&html);
        assert!(text.starts_with("The ministry said"), "{text}");
        assert!(!text.contains("Headline number"), "{text}");
    }

    #[test]
    fn related_lists_and_comments_are_left_out() {
        let html = format!(
            "<body><article><h1>Plan</h1><p>{s}</p><p>{s}</p>\
             <ul><li><a href=\"/1\">Another story about taxes</a></li><li><a href=\"/2\">A second story</a></li></ul>\
             <div class=\"related-posts\"><p>Related: the budget, explained in full detail for readers.</p></div>\
             <p>{s}</p></article>\
             <section id=\"comments\"><p>Great article, thanks for writing it, I agree with every word.</p></section>\
             </body>",
            s = SENTENCE
        );
        let text = body(&html);
        assert_eq!(text.matches("The ministry said").count(), 3, "{text}");
        for junk in ["Another story", "the budget, explained", "Great article"] {
            assert!(!text.contains(junk), "{junk} in {text}");
        }
    }

    #[test]
    fn an_explicit_body_marker_wins() {
        let html = format!(
            "<body><div class=\"teasers\"><p>{s}</p><p>{s}</p><p>{s}</p><p>{s}</p></div>\
             <div class=\"entry-content\"><p>Seoul said the talks, held in Geneva, went well and would resume. {s}</p></div></body>",
            s = SENTENCE
        );
        let text = body(&html);
        assert!(text.starts_with("Seoul said the talks"), "{text}");
    }

    #[test]
    fn class_words_tell_furniture_from_wrappers() {
        let skip = |class: &str| {
            let html = format!("<div class=\"{class}\"></div>");
            let doc = Html::parse_fragment(&html);
            let el = doc.root_element().child_elements().next().expect("div");
            classify(el.value(), "div").furniture
        };
        for c in [
            "related-posts",
            "socialShare",
            "sidebar",
            "comments-area",
            "ad-slot",
            "article-comments",
        ] {
            assert!(skip(c), "{c}");
        }
        for c in [
            "has-sidebar",
            "content-sidebar-wrap",
            "entry-content",
            "tag-social-media",
            "shadow",
            "header-title-block-adjacent",
        ] {
            assert!(!skip(c) || c.starts_with("header"), "{c}");
        }
    }

    #[test]
    fn deep_nesting_finishes_quickly() {
        // html5ever takes quadratic time to parse such a page: the tree is
        // built by hand, 100,000 `<div>`s deep, around one paragraph.
        let mut doc = Html::parse_document(&format!("<div></div><p>{}</p>", SENTENCE.repeat(5)));
        let body = doc.root_element().last_child().expect("body");
        let (div, p) = (
            body.first_child().expect("div"),
            body.last_child().expect("p"),
        );
        let text = p.first_child().expect("text").value().clone();
        let (div_value, p_value) = (div.value().clone(), p.value().clone());
        let (body, div, p) = (body.id(), div.id(), p.id());
        doc.tree.get_mut(div).expect("div").detach();
        doc.tree.get_mut(p).expect("p").detach();
        let mut at = body;
        for _ in 0..100_000 {
            at = doc
                .tree
                .get_mut(at)
                .expect("node")
                .append(div_value.clone())
                .id();
        }
        let p = doc.tree.get_mut(at).expect("node").append(p_value).id();
        doc.tree.get_mut(p).expect("p").append(text);
        let started = std::time::Instant::now();
        let found = find(&doc, &[]);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let text = found.map(|f| f.paragraphs.join(" ")).unwrap_or_default();
        assert_eq!(text.matches("The ministry said").count(), 5, "{text}");
    }

    #[test]
    fn empty_or_garbage_input_gives_little_or_nothing() {
        for html in [
            "",
            "<html></html>",
            "\u{0}<<>>",
            "<nav><a href=\"/\">Home</a></nav>",
        ] {
            assert!(body(html).len() < 40, "{html:?}");
        }
    }

    #[test]
    fn title_and_byline_come_from_the_markup() {
        let page = |head: &str| {
            format!(
                "<html><head>{head}</head><body><h1 class=\"logo\">Paper</h1>\
                 <h1>Ministry unveils plan</h1><span class=\"byline\">By Kim Arin</span>\
                 <p>{SENTENCE}</p></body></html>"
            )
        };
        let title =
            |head: &str| find(&Html::parse_document(&page(head)), &[]).and_then(|f| f.title);
        // The heading the page's title names, not the logo before it.
        let named = "<title>Ministry unveils plan - Paper</title>\
                     <meta property=\"og:title\" content=\"Ministry unveils plan\">";
        assert_eq!(title(named).as_deref(), Some("Ministry unveils plan"));
        // A heading the title does not name loses to og:title.
        let other = "<meta property=\"og:title\" content=\"Plan unveiled\">";
        assert_eq!(title(other).as_deref(), Some("Plan unveiled"));
        assert_eq!(title("").as_deref(), Some("Paper"));
        let f = find(&Html::parse_document(&page("")), &[]).expect("found");
        assert_eq!(f.byline.as_deref(), Some("By Kim Arin"));
    }
}
