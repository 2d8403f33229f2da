//! A body element to paragraphs, shared by the selector layer (article) and
//! the generic layer, so both split text the same way.

use scraper::{ElementRef, Node, Selector};

use super::text::squash;
use crate::site::profile::Sel;

/// Elements that end the paragraph before them and start a new one.
const BLOCKS: &[&str] = &[
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
    let mut out = Vec::new();
    let mut current = String::new();
    walk(root, &strip, &mut out, &mut current);
    flush(&mut out, &mut current);
    out
}

fn walk(el: ElementRef<'_>, strip: &[&Selector], out: &mut Vec<String>, current: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => current.push_str(t),
            Node::Element(e) => {
                let Some(child_el) = ElementRef::wrap(child) else {
                    continue;
                };
                if strip.iter().any(|s| s.matches(&child_el)) {
                    continue;
                }
                let name = e.name();
                if name == "br" {
                    flush(out, current);
                    continue;
                }
                let block = BLOCKS.contains(&name);
                if block {
                    flush(out, current);
                }
                walk(child_el, strip, out, current);
                if block {
                    flush(out, current);
                }
            }
            _ => {}
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
