//! herald-archiver keeps a clean, deduplicated, searchable SQLite archive of
//! The Korea Herald. The modules follow the data's path:
//! config -> fetch (listing page) -> extract (links) -> fetch (article) ->
//! extract (record) -> archive, driven by crawl.

pub mod archive;
pub mod check_site;
pub mod clock;
pub mod config;
pub mod crawl;
pub mod daemon;
pub mod dedup;
pub mod error;
pub mod extract;
pub mod fetch;
pub mod metrics;
pub mod model;
pub mod record;
pub mod reextract;
pub mod schedule;
pub mod site;
pub mod strings;

pub use error::Error;
