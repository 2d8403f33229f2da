use url::Url;

/// The rules of a site's robots.txt for our user agent.
pub struct Robots {
    robot: Option<texting_robots::Robot>,
}

impl Robots {
    pub fn allow_all() -> Robots {
        Robots { robot: None }
    }

    /// An unparsable file allows everything, as if it were missing.
    pub fn parse(user_agent: &str, txt: &[u8]) -> Robots {
        // Groups are matched on the product token, not the whole header value.
        let token = user_agent.split('/').next().unwrap_or(user_agent);
        match texting_robots::Robot::new(token, txt) {
            Ok(robot) => Robots { robot: Some(robot) },
            Err(e) => {
                tracing::warn!(error = %e, "robots.txt could not be parsed; treating it as allowing everything");
                Robots::allow_all()
            }
        }
    }

    /// Whether the path and query of `url` may be fetched.
    pub fn allowed(&self, url: &Url) -> bool {
        let Some(robot) = &self.robot else {
            return true;
        };
        let mut path = url.path().to_string();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        robot.allowed(&path)
    }

    /// `Crawl-delay`, in seconds, if the file sets one for us.
    pub fn crawl_delay(&self) -> Option<f32> {
        self.robot.as_ref().and_then(|r| r.delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disallowed_paths_are_refused_and_the_rest_allowed() {
        let r = Robots::parse(
            "herald-archiver/0.1 (+https://example.invalid)",
            b"User-agent: *\nDisallow: /search/\nDisallow: /article/10999999\nCrawl-delay: 1\n",
        );
        let u = |s: &str| Url::parse(s).expect("url");
        assert!(!r.allowed(&u("http://127.0.0.1:1/article/10999999")));
        assert!(!r.allowed(&u("https://www.koreaherald.com/search/list?q=x")));
        assert!(r.allowed(&u("https://www.koreaherald.com/article/10915012")));
        assert_eq!(r.crawl_delay(), Some(1.0));
    }

    #[test]
    fn our_own_group_wins_over_star() {
        let r = Robots::parse(
            "herald-archiver/0.1",
            b"User-agent: *\nDisallow: /\n\nUser-agent: herald-archiver\nAllow: /\n",
        );
        assert!(r.allowed(&Url::parse("https://www.koreaherald.com/National").expect("url")));
    }
}
