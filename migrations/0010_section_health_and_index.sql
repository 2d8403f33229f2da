-- section_health.last_success was the finish of the last ok run while
-- last_run was the start of the last run, so a success could look later
-- than the last run. Both are now start times: last_success <= last_run.
DROP VIEW section_health;
CREATE VIEW section_health AS
SELECT c.section,
       count(*) AS runs,
       sum(c.status = 'ok') AS ok_runs,
       sum(c.status = 'failed') AS failed_runs,
       max(CASE WHEN c.status = 'ok' THEN c.started_at END) AS last_success,
       max(c.started_at) AS last_run,
       sum(c.new_articles) AS articles_archived,
       sum(c.failures) AS article_failures,
       sum(c.extracted) AS extracted,
       sum(c.fallbacks) AS fallbacks,
       (SELECT d.drift FROM crawl_runs d WHERE d.section = c.section ORDER BY d.id DESC LIMIT 1) AS last_drift,
       (SELECT count(*) FROM pending_fetches p WHERE p.section = c.section AND p.status = 'pending') AS pending_links,
       (SELECT count(*) FROM pending_fetches p WHERE p.section = c.section AND p.status = 'failed') AS failed_links,
       (SELECT count(*) FROM crawl_backlog b WHERE b.section = c.section) AS backlog_links,
       (SELECT l.next_page FROM listing_progress l WHERE l.section = c.section) AS backlog_next_page
FROM crawl_runs c
GROUP BY c.section;

-- The articles without their bodies, a row a line: for browsing (Datasette
-- shows every cell whole, and a body is screen-high).
CREATE VIEW article_index AS
SELECT id, published_at, section, subsection, title, subtitle, authors, url,
       revision, length(body) AS body_chars
FROM articles;
