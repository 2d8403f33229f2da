//! HTML in, owned data out: listing pages and feeds give links, article
//! pages give [`Record`]s. No I/O here, and nothing that holds a parsed document escapes
//! (`scraper::Html` is not `Send`), so callers may run these anywhere.

mod article;
mod blocks;
mod clues;
mod doc;
mod explain;
mod feed;
mod finder;
pub mod furniture;
pub mod generic;
mod listing;
mod prestrip;
pub mod shape;
pub mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use article::{article, article_with, explain, generic_record};
pub use explain::{Attempt, Explanation};
pub use feed::feed;
pub use listing::listing;

/// What the caller knows of a page beyond its HTML ([`article_with`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints<'a> {
    /// The address the page was fetched under (or `--url`); the page's own
    /// canonical address wins when it is an article address of the site.
    pub given: Option<&'a url::Url>,
    /// The section list page the link was found on: its path or address
    /// (`/National/Politics`, `https://www.koreaherald.com/Business`,
    /// `/list.php?ct=020100000000`), e.g. the section's configured `path`.
    /// The last resort for `section`/`subsection`, recorded as `given`.
    pub list_page: Option<&'a str>,
}

/// Which layer of the extractor gave a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// The profile's CSS selectors.
    Selector,
    /// JSON-LD `NewsArticle` data.
    JsonLd,
    /// `og:*` / `article:*` meta tags and `<link rel=canonical>`.
    Meta,
    /// The `<title>` element or a value derived from another field.
    Page,
    /// The generic main-content extractor (no selector matched).
    Generic,
    /// The caller (`--url`, or the link the crawler followed).
    Given,
}

/// The clean article. Field names are the public JSON form (`extract` output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub url: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub authors: Vec<String>,
    pub section: Option<String>,
    pub subsection: Option<String>,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub published_at: Option<String>,
    pub updated_at: Option<String>,
    /// Paragraphs joined by a blank line.
    pub body: String,
    pub captions: Vec<String>,
    pub images: Vec<String>,
    /// Field name -> the layer that produced it.
    pub sources: BTreeMap<String, Layer>,
    /// The site generation the page was recognised as (`g4`, `g3`, `g2`),
    /// or `unknown`: a redesign, or not a Herald page.
    pub layout: String,
}
