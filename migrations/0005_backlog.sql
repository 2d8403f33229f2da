-- Backlogs that survive any stop, and runs that name their process.

-- Links a section run found on its list pages and has not finished with yet.
-- A link leaves it in the same transaction that records its outcome
-- (archived, unchanged, or failed into pending_fetches); whatever a stopped,
-- killed or failed run leaves here, the section's next run does first.
CREATE TABLE crawl_backlog (
    url      TEXT PRIMARY KEY,                -- canonical address
    section  TEXT NOT NULL,
    found_at TEXT NOT NULL,
    run_id   INTEGER                          -- the crawl_runs row that found it
) WITHOUT ROWID;
CREATE INDEX crawl_backlog_section ON crawl_backlog (section, found_at);

-- A section's reading of its list pages that has not reached its end yet:
-- the next page to read, and how far to go. The next run resumes here
-- (after reading what is new at the top of the list).
CREATE TABLE listing_progress (
    section    TEXT PRIMARY KEY,
    next_page  INTEGER NOT NULL,
    min_pages  INTEGER NOT NULL,              -- read at least this far (`pages`, or a backfill's --pages)
    max_pages  INTEGER NOT NULL,              -- and never further
    started_at TEXT NOT NULL,                 -- when this reading began
    updated_at TEXT NOT NULL
) WITHOUT ROWID;

ALTER TABLE crawl_runs ADD COLUMN pid INTEGER;                         -- the process that ran it
ALTER TABLE crawl_runs ADD COLUMN left_over INTEGER NOT NULL DEFAULT 0; -- links left in the backlog when it ended

-- Backlog per section, with section_health's other columns.
DROP VIEW section_health;
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
       (SELECT count(*) FROM pending_fetches p WHERE p.section = c.section AND p.status = 'failed') AS failed_links,
       (SELECT count(*) FROM crawl_backlog b WHERE b.section = c.section) AS backlog_links,
       (SELECT l.next_page FROM listing_progress l WHERE l.section = c.section) AS backlog_next_page
FROM crawl_runs c
GROUP BY c.section;

-- New articles are indexed by the writer, one statement per batch of
-- articles (FTS5 writes a new index segment for every statement that
-- touches it inside a transaction: one per article was most of a crawl's
-- index work). Edits and deletions keep their triggers. A row inserted into
-- `articles` by hand is indexed by: INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');
DROP TRIGGER articles_fts_insert;
