//! A body element to paragraphs, shared by the selector layer (article) and
//! the generic layer, so both split text the same way.

use scraper::{ElementRef, Node, Selector};

use super::text::squash;
use crate::site::profile::Sel;

/// Elements that end the paragraph before them and start a new one.
pub(super) const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "pre",
    "header",
    "footer",
    "aside",
    "hr",
    "tr",
    "td",
    "main",
];

/// The body's paragraphs, in order: block elements and `<br>` end a
/// paragraph (so `<br><br>`-separated text becomes paragraphs), stripped
/// elements are skipped with everything inside them.
pub(super) fn paragraphs(root: ElementRef<'_>, strip: &[Sel]) -> Vec<String> {
    let strip: Vec<&Selector> = strip.iter().map(Sel::get).collect();
    paragraphs_skipping(root, &|el| strip.iter().any(|s| s.matches(el)))
}

/// [`paragraphs`] with the caller's own test for the elements to skip.
pub(super) fn paragraphs_skipping(
    root: ElementRef<'_>,
    skip: &dyn Fn(&ElementRef<'_>) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    walk(root, skip, &mut out, &mut current);
    flush(&mut out, &mut current);
    out
}

/// Depth-first over the tree with an explicit stack, so a page nested
/// thousands of levels deep cannot exhaust the thread's stack.
fn walk(
    root: ElementRef<'_>,
    skip: &dyn Fn(&ElementRef<'_>) -> bool,
    out: &mut Vec<String>,
    current: &mut String,
) {
    enum Step<'a> {
        Text(&'a str),
        Enter(ElementRef<'a>),
        /// Leaving a block element: its text ends a paragraph.
        Leave,
    }
    fn push_children<'a>(el: ElementRef<'a>, stack: &mut Vec<Step<'a>>) {
        let at = stack.len();
        for child in el.children() {
            match child.value() {
                Node::Text(t) => stack.push(Step::Text(t)),
                Node::Element(_) => {
                    if let Some(e) = ElementRef::wrap(child) {
                        stack.push(Step::Enter(e));
                    }
                }
                _ => {}
            }
        }
        stack[at..].reverse();
    }
    let mut stack = Vec::new();
    push_children(root, &mut stack);
    while let Some(step) = stack.pop() {
        match step {
            Step::Text(t) => current.push_str(t),
            Step::Leave => flush(out, current),
            Step::Enter(el) => {
                if skip(&el) {
                    continue;
                }
                let name = el.value().name();
                if name == "br" {
                    flush(out, current);
                    continue;
                }
                if BLOCKS.contains(&name) {
                    flush(out, current);
                    stack.push(Step::Leave);
                }
                push_children(el, &mut stack);
            }
        }
    }
}

fn flush(out: &mut Vec<String>, current: &mut String) {
    let p = squash(current);
    if !p.is_empty() {
        out.push(p);
    }
    current.clear();
}
