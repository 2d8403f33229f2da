//! A parsed page with the class names and ids it has, read in one pass, so
//! a selector that needs one the page lacks is not run at all. The profile
//! lists every layout's selectors; on any one page most of them cannot
//! match, and each would otherwise walk the whole document.

use std::borrow::Cow;
use std::collections::HashSet;

use scraper::{ElementRef, Html};

use crate::site::profile::Sel;

pub(super) struct Doc<'a> {
    pub html: &'a Html,
    /// Lower-cased, as quirks mode matches them.
    classes: HashSet<Cow<'a, str>>,
    ids: HashSet<Cow<'a, str>>,
}

/// `name` lower-cased, borrowed when it already is.
fn lower(name: &str) -> Cow<'_, str> {
    if name.chars().any(char::is_uppercase) {
        Cow::Owned(name.to_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

impl<'a> Doc<'a> {
    pub fn new(html: &'a Html) -> Doc<'a> {
        let (mut classes, mut ids) = (HashSet::new(), HashSet::new());
        for node in html.tree.nodes() {
            let Some(el) = node.value().as_element() else {
                continue;
            };
            if let Some(id) = el.id() {
                ids.insert(lower(id));
            }
            classes.extend(el.classes().map(lower));
        }
        Doc { html, classes, ids }
    }

    /// Whether some element has this `.class` or `#id` (lower-cased).
    fn has(&self, token: &str) -> bool {
        match token.split_at_checked(1) {
            Some((".", name)) => self.classes.contains(name),
            Some(("#", name)) => self.ids.contains(name),
            _ => true,
        }
    }

    /// The elements `sel` matches, in document order; none without a walk
    /// when the page lacks a class or id it needs.
    pub fn select<'s>(&self, sel: &'s Sel) -> impl Iterator<Item = ElementRef<'a>> + 's
    where
        'a: 's,
    {
        sel.may_match(|t| self.has(t))
            .then(|| self.html.select(sel.get()))
            .into_iter()
            .flatten()
    }
}
