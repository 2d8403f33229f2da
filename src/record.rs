//! The clean article record and the layer each field came from: what
//! extraction makes, the archive stores and `extract` prints. A leaf.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
