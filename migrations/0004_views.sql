-- Views for the common reads. Views hold no data: dropping and recreating
-- them in a later migration is how they change.

-- The latest state of each article, with every address it was found under.
CREATE VIEW article_latest AS
SELECT a.id, a.url, a.title, a.subtitle, a.authors, a.section, a.subsection,
       a.published_at, a.updated_at, a.body, a.captions, a.images, a.revision,
       a.layout, a.content_hash, a.first_seen_at, a.last_checked_at,
       (SELECT json_group_array(u.url) FROM article_urls u WHERE u.article_id = a.id) AS addresses
FROM articles a;

-- Every state of every article, newest article first.
CREATE VIEW revision_history AS
SELECT a.url, r.article_id, r.revision, r.origin, r.fetched_at, r.updated_at, r.title,
       r.content_hash, length(r.body) AS body_chars
FROM article_revisions r JOIN articles a ON a.id = r.article_id;

-- Crawl health per section, over all its runs.
CREATE VIEW section_health AS
SELECT c.section,
       count(*) AS runs,
       sum(c.status = 'ok') AS ok_runs,
       sum(c.status = 'failed') AS failed_runs,
       max(CASE WHEN c.status = 'ok' THEN c.finished_at END) AS last_success,
       max(c.started_at) AS last_run,
       sum(c.new_articles) AS articles_archived,
       sum(c.failures) AS article_failures,
       sum(c.extracted) AS extracted,
       sum(c.fallbacks) AS fallbacks,
       (SELECT d.drift FROM crawl_runs d WHERE d.section = c.section ORDER BY d.id DESC LIMIT 1) AS last_drift,
       (SELECT count(*) FROM pending_fetches p WHERE p.section = c.section AND p.status = 'pending') AS pending_links,
       (SELECT count(*) FROM pending_fetches p WHERE p.section = c.section AND p.status = 'failed') AS failed_links
FROM crawl_runs c
GROUP BY c.section;
