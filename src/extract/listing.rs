use std::collections::HashSet;

use scraper::Html;
use url::Url;

use crate::error::ExtractError;
use crate::site::profile::Profile;
use crate::site::urls::{Link, SiteUrls};

/// The article links of a section page, canonical and in page order, each
/// once. Only the section's own list counts: links in the navigation, the
/// breaking-news bar or "Most Popular" are other sections' articles. A page
/// the parser could not read in bounded time is refused.
pub fn listing(
    html: &str,
    page: &Url,
    profile: &Profile,
    site: &SiteUrls,
) -> Result<Vec<Link>, ExtractError> {
    let cleaned = super::prestrip::prestrip(html);
    super::shape::check(&cleaned)?;
    let doc = Html::parse_document(&cleaned);
    let mut seen = HashSet::new();
    let mut links = Vec::new();
    for sel in &profile.listing_links {
        for a in doc.select(sel.get()) {
            let Some(href) = a.value().attr("href") else {
                continue;
            };
            if let Some(link) = site.article_link(page, href) {
                if seen.insert(link.canonical.clone()) {
                    links.push(link);
                }
            }
        }
        if !links.is_empty() {
            break;
        }
    }
    Ok(links)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><body>
      <nav><a href="/article/1">nav</a></nav>
      <div class="breaking_news"><a href="/article/2">breaking</a></div>
      <article class="recent_news"><ul class="news_list">
        <li><a href="/article/3">three</a></li>
        <li><a href="https://m.koreaherald.com/article/4?ref=x">four</a></li>
        <li><a href="/article/3?utm_source=kh">three again</a></li>
        <li><a href="https://elsewhere.example/article/5">other host</a></li>
        <li><a href="/view.php?ud=20230330000512&np=1">legacy</a></li>
      </ul></article>
      <article class="popular_news"><ul class="news_list"><li><a href="/article/6">popular</a></li></ul></article>
    </body></html>"#;

    #[test]
    fn only_the_sections_own_list_counts() {
        let site = SiteUrls::new(Url::parse("http://127.0.0.1:1").expect("url"));
        let page = Url::parse("https://www.koreaherald.com/National").expect("url");
        let got: Vec<String> = listing(PAGE, &page, &Profile::herald(), &site)
            .expect("a list page")
            .into_iter()
            .map(|l| l.canonical.to_string())
            .collect();
        assert_eq!(
            got,
            [
                "https://www.koreaherald.com/article/3",
                "https://www.koreaherald.com/article/4",
                "https://www.koreaherald.com/view.php?ud=20230330000512",
            ]
        );
    }

    #[test]
    fn a_page_without_a_list_gives_no_links() {
        let site = SiteUrls::new(Url::parse("http://127.0.0.1:1").expect("url"));
        let page = Url::parse("https://www.koreaherald.com/National").expect("url");
        for html in ["<p>maintenance</p>", "<<<>>\u{0}"] {
            let links = listing(html, &page, &Profile::herald(), &site).expect("a page");
            assert!(links.is_empty(), "{html}");
        }
    }

    #[test]
    fn a_list_page_the_parser_cannot_read_in_time_is_refused() {
        let site = SiteUrls::new(Url::parse("http://127.0.0.1:1").expect("url"));
        let page = Url::parse("https://www.koreaherald.com/National").expect("url");
        let deep = format!("{}{PAGE}", "<div>".repeat(200_000));
        let err = listing(&deep, &page, &Profile::herald(), &site).expect_err("refused");
        assert!(err.to_string().contains("levels deep"), "{err}");
    }
}
