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

pub use article::{article, article_with, explain, generic_record};
pub use explain::{Attempt, Explanation};
pub use feed::feed;
pub use listing::listing;
// The record is what extraction makes and the archive stores: its type
// lives below both.
pub use crate::record::{Layer, Record};

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
