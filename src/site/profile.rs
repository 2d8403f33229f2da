//! The selectors of the Herald's layouts, as data. Each field lists its
//! selectors in order; the first that matches anything wins. Today's layout (G4)
//! comes first, then the 2023-2024 (G3) and 2017-2023 (G2) ones, so archived
//! pages of every generation extract with no configuration.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A CSS selector parsed once, when the profile or config is built.
#[derive(Clone)]
pub struct Sel {
    text: String,
    selector: scraper::Selector,
    /// Per alternative (`a, b`), the class names (`.x`) and ids (`#x`),
    /// lower-cased, that some element of a page must have for it to match;
    /// `None` when the text is beyond this reading (escapes, quotes).
    needs: Option<Vec<Vec<String>>>,
}

impl Sel {
    pub fn parse(text: &str) -> Result<Sel, String> {
        scraper::Selector::parse(text)
            .map(|selector| Sel {
                text: text.to_string(),
                selector,
                needs: needs(text),
            })
            .map_err(|e| format!("invalid CSS selector {text:?}: {e}"))
    }

    pub fn get(&self) -> &scraper::Selector {
        &self.selector
    }

    /// Whether the selector can match a page, given whether it has a class
    /// (`.x`) or id (`#x`), lower-cased. `false` only when no alternative
    /// can: most of a profile's selectors belong to layouts a page is not
    /// in, and each miss would otherwise walk the whole page.
    pub fn may_match(&self, has: impl Fn(&str) -> bool) -> bool {
        match &self.needs {
            None => true,
            Some(alts) => alts.iter().any(|alt| alt.iter().all(|t| has(t))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// The classes and ids each alternative of `text` requires: those outside
/// brackets and parentheses (`:not(.x)`, `[class~=x]` require nothing). Every
/// compound of a complex selector must match some element, so each is needed.
fn needs(text: &str) -> Option<Vec<Vec<String>>> {
    if text.contains(['\\', '"', '\'']) {
        return None;
    }
    let mut alts = vec![Vec::new()];
    let mut depth = 0i32;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => alts.push(Vec::new()),
            '.' | '#' if depth == 0 => {
                let mut token = c.to_string();
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '-' || n == '_' || !n.is_ascii() {
                        token.extend(n.to_lowercase());
                        chars.next();
                    } else {
                        break;
                    }
                }
                if token.len() > 1 {
                    alts.last_mut()?.push(token);
                }
            }
            _ => {}
        }
    }
    Some(alts)
}

impl fmt::Debug for Sel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

impl<'de> Deserialize<'de> for Sel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Sel::parse(&s).map_err(serde::de::Error::custom)
    }
}

macro_rules! profile {
    ($( $(#[$doc:meta])* $field:ident: [$($sel:literal),* $(,)?] ),* $(,)?) => {
        /// Selectors for every part of a listing and an article page.
        #[derive(Debug, Clone)]
        pub struct Profile {
            $( $(#[$doc])* pub $field: Vec<Sel>, )*
        }

        /// `[extract.selectors]` in the config: each key replaces the built-in list.
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct SelectorOverrides {
            $( #[serde(default)] pub $field: Option<Vec<Sel>>, )*
        }

        impl Profile {
            /// The built-in Herald profile.
            pub fn herald() -> Profile {
                Profile {
                    $( $field: vec![$(builtin($sel)),*], )*
                }
            }

            pub fn with_overrides(mut self, o: &SelectorOverrides) -> Profile {
                $( if let Some(v) = &o.$field { self.$field = v.clone(); } )*
                self
            }

            /// The selectors of a field by its record name, for messages.
            pub fn selectors_for(&self, field: &str) -> Vec<&str> {
                let field = if field == "published_at" || field == "updated_at" { "dateline" } else { field };
                match field {
                    $( stringify!($field) => self.$field.iter().map(Sel::as_str).collect(), )*
                    _ => Vec::new(),
                }
            }
        }
    };
}

profile! {
    /// Article links inside a section page's own list (not the navigation,
    /// the breaking-news bar or "Most Popular").
    listing_links: [
        "article.recent_news ul.news_list li a[href]",
        "div.news_list_area ul.news_list li a[href]",
        "ul.main_sec_li li a[href]",
    ],
    title: ["h1.news_title", "h1.view_tit"],
    subtitle: ["div.news_title_area h2.news_title", "div.news_content h2.news_title", "h2.view_tit_sub"],
    byline: ["div.news_etc p.writer", "div.view_tit_byline_l", "p.news_writer"],
    /// Text holding "Published : ..." and "Updated : ..." (all matches are read).
    dateline: ["div.news_etc p.date", "div.view_tit_byline_r", "p.news_date"],
    /// A link's first path segment (`/LifenCulture`) or else the element's text.
    section: [
        "div.news_title_area div.nav_area a.category",
        "div.news_content div.news_category a:first-of-type",
        "div.header_bottom_section_tit",
    ],
    subsection: [
        "div.news_title_area div.nav_area a:not(.category)",
        "div.news_content div.news_category a:nth-of-type(2)",
    ],
    body: ["article#articleText", "div#articleText div.view_con_t", "div.news_text_area"],
    /// Removed from the body before its text is read.
    body_strip: [
        "figure", "figcaption", "script", "style", "noscript", "iframe", "table", "ins",
        ".article-photo-wrap", ".ad_wrap", ".ad_area", ".related_news", ".news_btn_wrap",
        ".news_journalist_area", ".popular_news", ".img_caption", ".img_box",
        ".view_con_caption", ".view_main_c_li", ".khadv_bg", ".view_tit_icon",
    ],
    captions: [
        "article#articleText figcaption",
        "div#articleText .view_con_caption",
        "div.news_text_area .img_caption",
    ],
    images: [
        "article#articleText img[src]",
        "div#articleText img[src]",
        "div.news_text_area .img_box img[src]",
    ],
}

/// How each generation of the site is recognised, newest first.
const LAYOUTS: &[(&str, &str)] = &[
    (
        "g4",
        "section.section_view div.news_title_area, article.recent_news",
    ),
    (
        "g3",
        "div.news_content div.news_text_area, div.news_content h1.news_title",
    ),
    (
        "g2",
        "h1.view_tit, div.view_con_t, div.header_bottom_section_tit",
    ),
];

static LAYOUT_MARKERS: std::sync::LazyLock<Vec<(&'static str, Sel)>> =
    std::sync::LazyLock::new(|| {
        LAYOUTS
            .iter()
            .map(|(name, m)| (*name, builtin(m)))
            .collect()
    });

/// The site generation a parsed page belongs to, or `"unknown"`, given
/// whether a selector matches anything on it.
pub fn detect_layout(matches: impl Fn(&Sel) -> bool) -> &'static str {
    LAYOUT_MARKERS
        .iter()
        .find(|(_, marker)| matches(marker))
        .map_or("unknown", |(name, _)| name)
}

/// A section of the site: its stable name (the G4 path segment, which the
/// records use), the labels pages show for it, its old `list.php?ct=` code
/// prefix, and its sub-sections as (path segment, label, code prefix).
#[derive(Debug)]
pub struct SectionInfo {
    pub name: &'static str,
    pub labels: &'static [&'static str],
    pub code: &'static str,
    pub subs: &'static [(&'static str, &'static str, &'static str)],
}

/// The sections the site is known to have (`../shared/herald-site.md`). A
/// label or a link found by the page rules counts as a section only when it
/// names one of these, so a kicker ("Diplomacy") is never taken for one.
pub const SECTIONS: &[SectionInfo] = &[
    SectionInfo {
        name: "National",
        labels: &["National"],
        code: "0201",
        subs: &[
            ("Politics", "Politics", "020101"),
            ("SocialAffairs", "Social Affairs", "020102"),
            ("ForeignAffairs", "Foreign Affairs", "020103"),
            ("NorthKorea", "North Korea", "020104"),
            ("Defense", "Defense", "020106"),
            ("Science", "Science", "020107"),
            ("Education", "Education", "020109"),
        ],
    },
    SectionInfo {
        name: "Business",
        labels: &["Business"],
        code: "0202",
        subs: &[
            ("Economy", "Economy", ""),
            ("Finance", "Finance", ""),
            ("Industry", "Industry", ""),
            ("Technology", "Technology", ""),
            ("Market", "Market", ""),
        ],
    },
    SectionInfo {
        name: "LifenCulture",
        labels: &[
            "Life&Culture",
            "Life & Culture",
            "Life and Culture",
            "LifenCulture",
        ],
        code: "",
        subs: &[
            ("Culture", "Culture", ""),
            ("Travel", "Travel", ""),
            ("Fashion", "Fashion", ""),
            ("Food", "Food", ""),
            ("Books", "Books", ""),
            ("Kpop", "K-pop", ""),
            ("Film", "Film", ""),
            ("Television", "Television", ""),
        ],
    },
    SectionInfo {
        name: "Life&Style",
        labels: &["Life&Style", "Life & Style"],
        code: "0203",
        subs: &[],
    },
    SectionInfo {
        name: "Entertainment",
        labels: &["Entertainment"],
        code: "0204",
        subs: &[],
    },
    SectionInfo {
        name: "Sports",
        labels: &["Sports"],
        code: "0205",
        subs: &[
            ("Soccer", "Soccer", ""),
            ("Baseball", "Baseball", ""),
            ("Golf", "Golf", ""),
            ("MoreSports", "More Sports", ""),
        ],
    },
    SectionInfo {
        name: "World",
        labels: &["World"],
        code: "0212",
        subs: &[
            ("WorldNews", "World News", ""),
            ("WorldBusiness", "World Business", ""),
        ],
    },
    SectionInfo {
        name: "Opinion",
        labels: &["Opinion"],
        code: "0206",
        subs: &[
            ("Editorial", "Editorial", ""),
            ("Viewpoints", "Viewpoints", ""),
            ("Columnists", "Columnists", ""),
        ],
    },
];

fn builtin(s: &str) -> Sel {
    match Sel::parse(s) {
        Ok(sel) => sel,
        // The built-in table is constant; the profile test parses every entry.
        Err(e) => panic!("built-in selector: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selector_needs_the_classes_and_ids_outside_brackets_and_parentheses() {
        let needs = |t: &str| Sel::parse(t).expect("selector").needs;
        let v = |alts: &[&[&str]]| -> Option<Vec<Vec<String>>> {
            Some(
                alts.iter()
                    .map(|a| a.iter().map(|t| t.to_string()).collect())
                    .collect(),
            )
        };
        assert_eq!(needs("h1.news_title"), v(&[&[".news_title"]]));
        assert_eq!(
            needs("article#articleText.article-body > p"),
            v(&[&["#articletext", ".article-body"]])
        );
        assert_eq!(needs("div:not(.ad) p, .x"), v(&[&[], &[".x"]]));
        assert_eq!(needs("[class~=a] .b"), v(&[&[".b"]]));
        assert_eq!(needs("a[href*='x.y']"), None);
        let present = |t: &str| t == ".x";
        assert!(Sel::parse("div:not(.ad) p, .y")
            .expect("selector")
            .may_match(present));
        assert!(Sel::parse(".y, .x").expect("selector").may_match(present));
        assert!(!Sel::parse(".y, #x").expect("selector").may_match(present));
        assert!(!Sel::parse("div.x .y").expect("selector").may_match(present));
    }

    #[test]
    fn builtin_selectors_parse() {
        let p = Profile::herald();
        assert!(!p.title.is_empty() && !p.body.is_empty());
    }

    #[test]
    fn overrides_replace_only_the_named_fields() {
        let o: SelectorOverrides = toml::from_str("title = [\"h1.headline\"]").expect("toml");
        let p = Profile::herald().with_overrides(&o);
        assert_eq!(p.title.len(), 1);
        assert_eq!(p.title[0].as_str(), "h1.headline");
        assert_eq!(p.body.len(), Profile::herald().body.len());
        let err = toml::from_str::<SelectorOverrides>("title = [\"h1[\"]").unwrap_err();
        assert!(err.to_string().contains("invalid CSS selector"), "{err}");
        let err = toml::from_str::<SelectorOverrides>("titel = [\"h1\"]").unwrap_err();
        assert!(err.to_string().contains("titel"), "{err}");
    }
}
