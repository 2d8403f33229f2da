//! `extract --explain`: for each field, every source the extractor tried, in
//! the order it tries them, what each gave and which one it kept. This is
//! how a user sees which rules still fit a page after a redesign.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

use super::clues::SectionGuess;
use super::text::format_utc;
use super::Layer;

/// The fields of a record, in the order they are explained.
pub const FIELDS: [&str; 12] = [
    "url",
    "title",
    "subtitle",
    "authors",
    "section",
    "subsection",
    "published_at",
    "updated_at",
    "body",
    "captions",
    "images",
    "layout",
];

/// One source tried for a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub layer: Layer,
    /// The selector that matched (or the profile's list when none did), the
    /// JSON-LD key, the meta tag, or the page rule's name.
    pub rule: String,
    /// What it gave, in one line; `None` when it gave nothing.
    pub value: Option<String>,
    /// The value the record has.
    pub chosen: bool,
}

/// Every field's attempts for one page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// `g4`, `g3`, `g2` or `unknown`.
    pub layout: String,
    pub fields: BTreeMap<String, Vec<Attempt>>,
    /// Why the page gave no record, when it did not.
    pub error: Option<String>,
}

impl Explanation {
    /// The attempt the record's `field` came from.
    pub fn chosen(&self, field: &str) -> Option<&Attempt> {
        self.fields.get(field)?.iter().find(|a| a.chosen)
    }

    /// Whether the field came from the layout's own selectors.
    pub fn by_selector(&self, field: &str) -> bool {
        self.chosen(field)
            .is_some_and(|a| a.layer == Layer::Selector)
    }
}

/// A field's value in one line of an explanation.
pub(super) trait Shown {
    fn shown(&self) -> String;
}

impl Shown for String {
    fn shown(&self) -> String {
        preview(self)
    }
}

impl Shown for Vec<String> {
    fn shown(&self) -> String {
        preview(&self.join(" | "))
    }
}

impl Shown for DateTime<Utc> {
    fn shown(&self) -> String {
        format_utc(self)
    }
}

impl Shown for Url {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for SectionGuess {
    fn shown(&self) -> String {
        match &self.subsection {
            Some(sub) => format!("{} > {sub}", self.section),
            None => self.section.clone(),
        }
    }
}

/// A body's size and opening words.
pub(super) struct BodyPreview<'a>(pub &'a [String]);

impl Shown for BodyPreview<'_> {
    fn shown(&self) -> String {
        let chars: usize = self.0.iter().map(|p| p.chars().count()).sum();
        format!(
            "{} paragraphs, {chars} chars: {}",
            self.0.len(),
            preview(self.0.first().map_or("", String::as_str))
        )
    }
}

/// At most 100 characters, control characters shown as spaces: a page's
/// text must not drive the terminal.
fn preview(s: &str) -> String {
    const MAX: usize = 100;
    let mut out: String = s
        .chars()
        .take(MAX)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

impl fmt::Display for Explanation {
    /// One block per field: the kept source first (`*`), then what every
    /// other source gave (`-` when nothing).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "layout: {}", self.layout)?;
        if let Some(e) = &self.error {
            writeln!(f, "no record: {e}")?;
        }
        for field in FIELDS {
            let Some(attempts) = self.fields.get(field) else {
                continue;
            };
            match attempts.iter().find(|a| a.chosen) {
                Some(a) => writeln!(f, "{field}: {} {}", layer_name(a.layer), a.rule)?,
                None => writeln!(f, "{field}: nothing found")?,
            }
            for a in attempts {
                let mark = if a.chosen {
                    '*'
                } else if a.value.is_some() {
                    ' '
                } else {
                    '-'
                };
                let value = a.value.as_deref().unwrap_or("(nothing)");
                writeln!(
                    f,
                    "  {mark} {:<8} {:<42} {value}",
                    layer_name(a.layer),
                    a.rule
                )?;
            }
        }
        Ok(())
    }
}

fn layer_name(l: Layer) -> &'static str {
    match l {
        Layer::Selector => "selector",
        Layer::JsonLd => "jsonld",
        Layer::Meta => "meta",
        Layer::Page => "page",
        Layer::Generic => "generic",
        Layer::Given => "given",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_one_short_line_without_control_characters() {
        let long = "word ".repeat(50);
        let p = long.shown();
        assert_eq!(p.chars().count(), 101);
        assert!(p.ends_with('…'));
        assert_eq!("a\u{1b}[2Jb\nc".to_string().shown(), "a [2Jb c");
        let body = vec!["First paragraph.".to_string(), "Second.".to_string()];
        assert_eq!(
            BodyPreview(&body).shown(),
            "2 paragraphs, 23 chars: First paragraph."
        );
    }

    #[test]
    fn the_text_form_marks_the_kept_source_and_the_empty_ones() {
        let mut e = Explanation {
            layout: "unknown".into(),
            ..Explanation::default()
        };
        e.fields.insert(
            "title".into(),
            vec![
                Attempt {
                    layer: Layer::Selector,
                    rule: "h1.news_title".into(),
                    value: None,
                    chosen: false,
                },
                Attempt {
                    layer: Layer::JsonLd,
                    rule: "headline".into(),
                    value: Some("Seoul acts".into()),
                    chosen: true,
                },
            ],
        );
        let text = e.to_string();
        assert!(text.contains("title: jsonld headline\n"), "{text}");
        assert!(text.contains("  - selector h1.news_title"), "{text}");
        assert!(text.contains("  * jsonld   headline"), "{text}");
        assert!(!e.by_selector("title"));
        assert_eq!(e.chosen("title").map(|a| a.layer), Some(Layer::JsonLd));
    }
}
