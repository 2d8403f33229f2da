//! An article's identity (its public canonical address) and where we fetch it
//! (the configured base URL) are different things: this module maps one to the other.

use url::Url;

/// The public origin every record's address is written with.
pub const PUBLIC_ORIGIN: &str = "https://www.koreaherald.com";

const SITE_HOSTS: [&str; 3] = [
    "www.koreaherald.com",
    "koreaherald.com",
    "m.koreaherald.com",
];

/// An article link: who it is, and where to get it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Link {
    pub canonical: Url,
    pub fetch: Url,
}

/// Knows the site's hosts and the base URL requests go to.
#[derive(Debug, Clone)]
pub struct SiteUrls {
    base: Url,
}

impl SiteUrls {
    pub fn new(base: Url) -> SiteUrls {
        SiteUrls { base }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The Herald's own hosts, and the base URL's origin (a mirror's absolute links).
    pub fn is_site(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        let Some(host) = url.host_str() else {
            return false;
        };
        SITE_HOSTS.contains(&host.to_ascii_lowercase().as_str())
            || (Some(host) == self.base.host_str()
                && url.port_or_known_default() == self.base.port_or_known_default())
    }

    /// The canonical address of an article link, or `None` when the URL is not
    /// an article of this site (another host, a section page, a search).
    pub fn canonical_article(&self, url: &Url) -> Option<Url> {
        if !self.is_site(url) {
            return None;
        }
        let path = url.path();
        if let Some(id) = path.strip_prefix("/article/") {
            let id = id.strip_suffix('/').unwrap_or(id);
            if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
                return Url::parse(&format!("{PUBLIC_ORIGIN}/article/{id}")).ok();
            }
            return None;
        }
        if path.eq_ignore_ascii_case("/view.php") {
            let ud = url
                .query_pairs()
                .find(|(k, _)| k == "ud")
                .map(|(_, v)| v.into_owned())?;
            if !ud.is_empty() && ud.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Url::parse(&format!("{PUBLIC_ORIGIN}/view.php?ud={ud}")).ok();
            }
        }
        None
    }

    /// The numeric id of an `/article/N` address (`None` for other forms,
    /// such as a legacy `view.php?ud=` one, which names no such id).
    pub fn article_id(url: &Url) -> Option<&str> {
        let id = url.path().strip_prefix("/article/")?;
        let id = id.strip_suffix('/').unwrap_or(id);
        (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then_some(id)
    }

    /// Resolves `href` against the page it was found on and makes it a [`Link`].
    pub fn article_link(&self, page: &Url, href: &str) -> Option<Link> {
        let url = page.join(href.trim()).ok()?;
        let canonical = self.canonical_article(&url)?;
        let fetch = self.fetch_url(&canonical);
        Some(Link { canonical, fetch })
    }

    pub fn link(&self, canonical: Url) -> Link {
        let fetch = self.fetch_url(&canonical);
        Link { canonical, fetch }
    }

    /// The same path and query, on the base URL.
    pub fn fetch_url(&self, public: &Url) -> Url {
        let mut u = self.base.clone();
        u.set_path(&join_path(self.base.path(), public.path()));
        u.set_query(public.query());
        u.set_fragment(None);
        u
    }

    /// Public and fetch address of a site path such as `/National?page=2`.
    pub fn page(&self, path_and_query: &str) -> (Url, Url) {
        let public = Url::parse(PUBLIC_ORIGIN)
            .and_then(|o| o.join(path_and_query))
            .unwrap_or_else(|_| self.base.clone());
        let fetch = self.fetch_url(&public);
        (public, fetch)
    }

    /// Public form of an address seen on any of the site's hosts.
    pub fn public(&self, url: &Url) -> Option<Url> {
        if !self.is_site(url) {
            return None;
        }
        let mut u = Url::parse(PUBLIC_ORIGIN).ok()?;
        u.set_path(url.path());
        u.set_query(url.query());
        Some(u)
    }
}

/// A base URL with a path prefix (a mirror under `/kh/`) keeps it.
fn join_path(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    format!("{prefix}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(base: &str) -> SiteUrls {
        SiteUrls::new(Url::parse(base).expect("base"))
    }

    fn canon(s: &SiteUrls, href: &str) -> Option<String> {
        let page = Url::parse("https://www.koreaherald.com/National").expect("page");
        s.article_link(&page, href).map(|l| l.canonical.to_string())
    }

    #[test]
    fn every_form_of_an_article_address_lands_on_one_canonical_url() {
        let s = site("https://www.koreaherald.com");
        let want = Some("https://www.koreaherald.com/article/10915012".to_string());
        for href in [
            "/article/10915012",
            "/article/10915012?ref=main_top&utm_source=kh",
            "/article/10915012#comments",
            "https://m.koreaherald.com/article/10915012",
            "http://koreaherald.com/article/10915012/",
            "HTTPS://WWW.KOREAHERALD.COM/article/10915012",
        ] {
            assert_eq!(canon(&s, href), want, "{href}");
        }
        let legacy = Some("https://www.koreaherald.com/view.php?ud=20230330000512".to_string());
        for href in [
            "/view.php?ud=20230330000512",
            "http://www.koreaherald.com/view.php?ud=20230330000512&md=20230330103600&np=1&mp=1",
            "https://m.koreaherald.com/view.php?kr=0&ud=20230330000512",
        ] {
            assert_eq!(canon(&s, href), legacy, "{href}");
        }
    }

    #[test]
    fn other_hosts_and_non_articles_are_not_articles() {
        let s = site("https://www.koreaherald.com");
        for href in [
            "https://kr.koreaherald.com/article/10915012",
            "https://evil.example/article/10915012",
            "/National/Politics",
            "/article/",
            "/article/12ab",
            "/view.php",
            "mailto:x@heraldcorp.com",
            "javascript:void(0)",
        ] {
            assert_eq!(canon(&s, href), None, "{href}");
        }
    }

    #[test]
    fn requests_go_to_the_base_url_with_the_same_path_and_query() {
        let s = site("http://127.0.0.1:8080/mirror/");
        let link = s
            .article_link(
                &Url::parse("https://www.koreaherald.com/National").expect("url"),
                "https://m.koreaherald.com/view.php?ud=20230330000512&np=2",
            )
            .expect("article");
        assert_eq!(
            link.fetch.as_str(),
            "http://127.0.0.1:8080/mirror/view.php?ud=20230330000512"
        );
        let (public, fetch) = s.page("/National?page=2");
        assert_eq!(
            public.as_str(),
            "https://www.koreaherald.com/National?page=2"
        );
        assert_eq!(
            fetch.as_str(),
            "http://127.0.0.1:8080/mirror/National?page=2"
        );
        // An absolute link to the mirror itself is the site too.
        assert!(s.is_site(&Url::parse("http://127.0.0.1:8080/article/1").expect("url")));
        assert!(!s.is_site(&Url::parse("http://127.0.0.1:9999/article/1").expect("url")));
    }
}
