//! Synthetic pages for the benchmarks: fixture pages grown to the size of the
//! live site's (~150 KiB, most of it scripts, styles, menus and news lists
//! around the article), and a mirror of many distinct articles.

#![allow(dead_code)]

/// Live article pages weigh about this much.
pub const LIVE_PAGE_BYTES: usize = 150 * 1024;

const WORDS: &[&str] = &[
    "Seoul",
    "government",
    "ministry",
    "said",
    "on",
    "Friday",
    "the",
    "plan",
    "market",
    "exports",
    "rose",
    "percent",
    "officials",
    "new",
    "policy",
    "Korea",
    "industry",
    "data",
    "court",
    "bill",
    "lawmakers",
    "company",
    "shares",
    "won",
    "billion",
    "year",
    "growth",
    "central",
    "bank",
    "rate",
];

/// A small deterministic generator, so every run measures (and every test
/// mutates) the same way.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.next() as usize % n
        }
    }

    /// `n` made-up words from a vocabulary of about 16,000, as different
    /// stories use different words.
    fn varied(&mut self, n: usize) -> String {
        const SYL: [&str; 16] = [
            "ka", "ro", "mi", "ten", "su", "lo", "va", "ne", "di", "po", "ran", "ki", "zu", "me",
            "ho", "ta",
        ];
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            let mut r = self.next() % 16_384 + 16;
            while r > 0 {
                s.push_str(SYL[(r % 16) as usize]);
                r /= 16;
            }
        }
        s
    }

    fn words(&mut self, n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(WORDS[(self.next() as usize) % WORDS.len()]);
        }
        s
    }
}

/// Page furniture around an article: a script and style block in the head,
/// and news lists, a mega menu and a site map in the body.
fn furniture(seed: u64, target: usize) -> (String, String) {
    let mut rng = Lcg(seed);
    let mut head = String::from("<style>");
    for i in 0..300 {
        head.push_str(&format!(
            ".kh-c{i}{{margin:{}px;padding:{}px;color:#{:06x}}}\n",
            rng.next() % 40,
            rng.next() % 20,
            rng.next() % 0xffffff
        ));
    }
    head.push_str("</style><script>window.khConfig={");
    for i in 0..400 {
        head.push_str(&format!(
            "\"slot{i}\":{{\"id\":\"kh_{}\",\"sizes\":[[300,250],[728,90]]}},",
            rng.next()
        ));
    }
    head.push_str("};</script>");

    let mut body = String::new();
    let mut n = 0u64;
    while head.len() + body.len() < target {
        n += 1;
        body.push_str("<section class=\"news_list_wrap latest\"><h3 class=\"tit\">Latest News</h3><ul class=\"news_list\">");
        for _ in 0..20 {
            let id = 10_800_000 + rng.next() % 100_000;
            body.push_str(&format!(
                "<li><a href=\"/article/{id}\"><div class=\"news_img\"><img src=\"https://wimg.heraldcorp.com/news/cms/2026/11/27/news-p.v1.{id}_P1.jpg\" alt=\"\"></div><p class=\"news_title\">{}</p><p class=\"news_text\">{}</p></a></li>",
                rng.words(9),
                rng.words(24)
            ));
        }
        body.push_str("</ul></section>");
        body.push_str(&format!(
            "<div class=\"sitemap\" data-block=\"{n}\"><ul>{}</ul></div>",
            (0..30)
                .map(|i| format!("<li><a href=\"/National/Sub{i}\">{}</a></li>", rng.words(2)))
                .collect::<String>()
        ));
    }
    (head, body)
}

/// Grows an article page to `target` bytes with furniture that must not reach the record.
pub fn live_sized(page: &str, seed: u64, target: usize) -> String {
    let grow = target.saturating_sub(page.len());
    let (head, body) = furniture(seed, grow);
    page.replacen("</head>", &format!("{head}</head>"), 1)
        .replacen("<footer", &format!("{body}<footer"), 1)
}

/// Article `id` of the mirror: the template page with its own address,
/// headline and paragraphs, so every article has its own content hash.
pub fn mirror_article(template: &str, template_id: u64, id: u64) -> String {
    let mut rng = Lcg(id);
    let paragraphs: String = (0..8)
        .map(|i| {
            format!(
                "    <p>Mirror article {id}, paragraph {i}: {}.</p>\n",
                rng.varied(45)
            )
        })
        .collect();
    let start = template.find("<p>").unwrap_or(0);
    let article_end = template[start..]
        .find("</article>")
        .map_or(template.len(), |e| start + e);
    let end = template[..article_end]
        .rfind("</p>")
        .map_or(start, |e| e + 4);
    let mut page = String::with_capacity(template.len() + paragraphs.len());
    page.push_str(&template[..start]);
    page.push_str(&paragraphs);
    page.push_str(&template[end..]);
    page.replace(&template_id.to_string(), &id.to_string())
        .replace(
            "Assembly passes revised data protection bill",
            &format!("Mirror story {id}:"),
        )
}

/// The mirror's RSS feed: its `items` newest articles, as the Herald writes
/// its feeds (absolute links, a `+09:00` offset in `pubDate`).
pub fn mirror_feed(items: u64, first_id: u64, total: u64) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Mirror</title><link>https://www.koreaherald.com</link><description>Mirror</description>",
    );
    let newest = first_id + total - 1;
    for k in 0..items.min(total) {
        let id = newest - k;
        xml.push_str(&format!(
            "<item><title>Mirror story {id}</title>\
             <link>https://www.koreaherald.com/article/{id}</link>\
             <guid isPermaLink=\"true\">https://www.koreaherald.com/article/{id}</guid>\
             <pubDate>Fri, 27 Nov 2026 16:02:00 +09:00</pubDate></item>"
        ));
    }
    xml.push_str("</channel></rss>");
    xml
}

/// List page `page` of the mirror's one section, newest first.
pub fn mirror_listing(page: u64, per_page: u64, first_id: u64, total: u64) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Mirror</title></head><body>\
         <nav><a href=\"/article/1\">nav</a></nav><article class=\"recent_news\"><ul class=\"news_list\">",
    );
    let newest = first_id + total - 1;
    let from = (page - 1) * per_page;
    for k in from..(from + per_page).min(total) {
        let id = newest - k;
        html.push_str(&format!(
            "<li><a href=\"/article/{id}\"><p class=\"news_title\">Mirror story {id}</p></a></li>"
        ));
    }
    html.push_str("</ul></article></body></html>");
    html
}
