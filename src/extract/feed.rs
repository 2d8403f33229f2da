//! RSS and Atom feeds: the second way to find articles, besides the list
//! pages. A feed is read with feed-rs (every dialect, lenient dates); only
//! its items' addresses matter here, kept when they are article addresses
//! of the site, canonical and in feed order, each once.

use std::collections::HashSet;

use url::Url;

use crate::error::ExtractError;
use crate::site::urls::{Link, SiteUrls};

/// The article links of a feed fetched from `feed` (relative item links
/// resolve against it). A document that is not a feed is an error, so a
/// feed replaced by an error page or cut off is noticed, not read as empty.
pub fn feed(xml: &str, feed: &Url, site: &SiteUrls) -> Result<Vec<Link>, ExtractError> {
    let parsed = feed_rs::parser::Builder::new()
        .base_uri(Some(feed.as_str()))
        .build()
        .parse(xml.as_bytes())
        .map_err(|e| ExtractError::NotAFeed {
            reason: e.to_string(),
        })?;
    let mut seen = HashSet::new();
    let mut links = Vec::new();
    for entry in &parsed.entries {
        // An item's own link; else its id when that is an address (an RSS
        // guid with isPermaLink, an Atom id written as a URL).
        let link = entry
            .links
            .iter()
            .filter(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
            .find_map(|l| site.article_link(feed, &l.href))
            .or_else(|| site.article_link(feed, &entry.id));
        if let Some(link) = link {
            if seen.insert(link.canonical.clone()) {
                links.push(link);
            }
        }
    }
    Ok(links)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> SiteUrls {
        SiteUrls::new(Url::parse("http://127.0.0.1:1").expect("url"))
    }

    fn canonical(links: Vec<Link>) -> Vec<String> {
        links.into_iter().map(|l| l.canonical.to_string()).collect()
    }

    #[test]
    fn items_give_canonical_article_links_once_each_in_feed_order() {
        // The Herald's offset with a colon ("+09:00"), a mobile address, a
        // tracking variant, a relative link, a guid-only item and an item
        // that is not an article.
        let rss = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>KH</title><link>https://www.koreaherald.com</link>
<item><title>a</title><link>https://www.koreaherald.com/article/10915012</link>
  <pubDate>Fri, 27 Nov 2026 16:02:00 +09:00</pubDate></item>
<item><title>b</title><link>https://m.koreaherald.com/article/10915230?utm_source=rss</link></item>
<item><title>a again</title><link>https://www.koreaherald.com/article/10915012?np=1</link></item>
<item><title>c</title><link>/view.php?ud=20230330000512</link></item>
<item><title>d</title><guid isPermaLink="true">https://www.koreaherald.com/article/10914877</guid></item>
<item><title>e</title><link>https://www.koreaherald.com/National</link></item>
</channel></rss>"#;
        let page = Url::parse("https://www.koreaherald.com/rss/newsAll").expect("url");
        assert_eq!(
            canonical(feed(rss, &page, &site()).expect("a feed")),
            [
                "https://www.koreaherald.com/article/10915012",
                "https://www.koreaherald.com/article/10915230",
                "https://www.koreaherald.com/view.php?ud=20230330000512",
                "https://www.koreaherald.com/article/10914877",
            ]
        );
    }

    #[test]
    fn atom_entries_are_read_too() {
        let atom = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>KH</title><id>urn:kh</id>
<updated>2026-11-27T16:02:00+09:00</updated>
<entry><title>a</title><id>urn:a</id><updated>2026-11-27T16:02:00+09:00</updated>
  <link rel="alternate" href="https://www.koreaherald.com/article/10915012"/></entry>
</feed>"#;
        let page = Url::parse("https://www.koreaherald.com/rss/atom").expect("url");
        assert_eq!(
            canonical(feed(atom, &page, &site()).expect("a feed")),
            ["https://www.koreaherald.com/article/10915012"]
        );
    }

    #[test]
    fn what_is_not_a_feed_is_an_error_an_empty_feed_is_not() {
        let page = Url::parse("https://www.koreaherald.com/rss/kh_National").expect("url");
        for broken in [
            "<html><body><h1>Page not found</h1></body></html>",
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>cut",
            "",
        ] {
            assert!(
                matches!(
                    feed(broken, &page, &site()),
                    Err(ExtractError::NotAFeed { .. })
                ),
                "read as a feed: {broken:?}"
            );
        }
        let empty = r#"<rss version="2.0"><channel><title>KH</title></channel></rss>"#;
        assert!(feed(empty, &page, &site()).expect("a feed").is_empty());
    }

    #[test]
    fn deep_nesting_and_entity_bombs_are_read_or_refused_without_blowing_up() {
        let page = Url::parse("https://www.koreaherald.com/rss/kh_National").expect("url");
        let deep = format!(
            "<rss version=\"2.0\"><channel>{}</channel></rss>",
            "<item><title>".repeat(200_000)
        );
        let _ = feed(&deep, &page, &site());
        for inner in ["<x>", "<description>", "<link>"] {
            let deep = format!(
                "<rss version=\"2.0\"><channel><item>{}</item></channel></rss>",
                inner.repeat(500_000)
            );
            let _ = feed(&deep, &page, &site());
        }
        let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<rss version="2.0"><channel><item><title>&d;&d;&d;&d;</title>
<link>https://www.koreaherald.com/article/1</link></item></channel></rss>"#;
        let _ = feed(laughs, &page, &site());
    }
}
