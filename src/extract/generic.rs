//! The generic layer: main-content extraction for pages our selectors do not
//! know (the next redesign). dom_smoothie (a Readability port on the same
//! html5ever as scraper) finds the content; our own cleanup on top turns it
//! into paragraphs the way the selector layer does and drops what
//! Readability keeps but an article body must not have: captions, bylines,
//! share bars and "related" lists.

use scraper::Html;

use super::blocks::paragraphs;
use super::text::squash;
use crate::site::profile::Sel;

/// What the generic layer found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Generic {
    pub title: Option<String>,
    pub paragraphs: Vec<String>,
    pub byline: Option<String>,
    pub published: Option<String>,
}

/// Main content of `html`; `None` when nothing article-like is found.
/// `strip` is the profile's list of elements to drop from a body.
pub fn extract(
    html: &str,
    url: Option<&str>,
    strip: &[Sel],
    known_title: Option<&str>,
) -> Option<Generic> {
    let cfg = dom_smoothie::Config {
        // A page this large is no article; Readability would be slow on it.
        max_elements_to_parse: 20_000,
        ..dom_smoothie::Config::default()
    };
    let mut reader = dom_smoothie::Readability::new(html, url, Some(cfg))
        .or_else(|_| dom_smoothie::Readability::new(html, None, None))
        .ok()?;
    let article = reader.parse().ok()?;
    let content = Html::parse_fragment(&article.content);
    let root = content.root_element();
    let title = squash(&article.title);
    let is_title = |p: &str| {
        [Some(title.as_str()), known_title]
            .into_iter()
            .flatten()
            .any(|t| !t.is_empty() && p.eq_ignore_ascii_case(t))
    };
    let mut paragraphs: Vec<String> = paragraphs(root, strip)
        .into_iter()
        .filter(|p| !is_furniture(p) && !is_title(p))
        .collect();
    // A kicker ("Diplomacy") or label before the text is no paragraph.
    while paragraphs.len() > 1 && is_label(&paragraphs[0]) {
        paragraphs.remove(0);
    }
    if paragraphs.is_empty() {
        return None;
    }
    Some(Generic {
        title: Some(title).filter(|t| !t.is_empty()),
        paragraphs,
        byline: article.byline.map(|b| squash(&b)).filter(|b| !b.is_empty()),
        published: article.published_time,
    })
}

/// A few words with no sentence punctuation: a kicker or a label.
fn is_label(p: &str) -> bool {
    p.split_whitespace().count() <= 3 && !p.contains(['.', '!', '?', '@'])
}

/// Lines Readability leaves in that are page furniture, not article text.
fn is_furniture(p: &str) -> bool {
    let lower = p.to_lowercase();
    let short = p.chars().count() < 60;
    let byline = short && lower.starts_with("by ") && !p.ends_with('.');
    let label = short
        && [
            "share",
            "font size",
            "print",
            "related articles",
            "most popular",
            "advertisement",
            "more articles",
            "subscribe",
        ]
        .iter()
        .any(|w| lower == *w || lower.starts_with(&format!("{w} ")));
    byline || label
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::profile::Profile;

    #[test]
    fn finds_the_body_of_an_unknown_layout_without_its_furniture() {
        let html = r#"<html><head><title>Ministry unveils plan - Some Paper</title></head><body>
          <nav><a href="/">Home</a><a href="/politics">Politics</a></nav>
          <div class="brand-new-layout"><h1>Ministry unveils plan</h1>
            <div class="story">
              <p>By Kim Arin</p>
              <p>The finance ministry on Monday unveiled a plan to widen tax credits for research spending by small and midsize firms, officials said.</p>
              <figure><img src="a.jpg"><figcaption>Officials at a briefing in Sejong. (Yonhap)</figcaption></figure>
              <p>The plan, which needs parliamentary approval, would raise the credit rate to 30 percent from 25 percent starting next year.</p>
              <p>Share</p>
              <p>Business groups welcomed the move but said the credits should also cover investments in equipment and software.</p>
              <p>arin@heraldcorp.com</p>
            </div></div>
          <footer>Copyright Some Paper. All rights reserved.</footer></body></html>"#;
        let g = extract(
            html,
            Some("https://www.koreaherald.com/article/1"),
            &Profile::herald().body_strip,
            None,
        )
        .expect("content found");
        assert_eq!(g.paragraphs.len(), 4, "{:?}", g.paragraphs);
        assert!(g.paragraphs[0].starts_with("The finance ministry"));
        assert_eq!(g.paragraphs[3], "arin@heraldcorp.com");
        let all = g.paragraphs.join("\n");
        for junk in [
            "By Kim Arin",
            "Share",
            "Officials at a briefing",
            "Copyright",
            "Politics",
        ] {
            assert!(!all.contains(junk), "{junk} in {all}");
        }
    }

    #[test]
    fn pages_without_an_article_give_no_article_sized_text() {
        // The caller holds back bodies under [extract] min_body_chars.
        let strip = Profile::herald().body_strip;
        for html in [
            "",
            "<html></html>",
            "<p>Page not found</p>",
            "<html><body><nav><a href=\"/\">Home</a></nav></body></html>",
            "\u{0}<<>>",
        ] {
            let text = extract(html, None, &strip, None).map(|g| g.paragraphs.join(" "));
            assert!(text.unwrap_or_default().len() < 40, "{html:?}");
        }
    }
}
