-- Extraction health, held-back pages, raw pages for re-extraction, near-duplicates.

-- How each run's extraction went (see [extract] drift_threshold).
ALTER TABLE crawl_runs ADD COLUMN extracted INTEGER NOT NULL DEFAULT 0;      -- article pages extracted
ALTER TABLE crawl_runs ADD COLUMN fallbacks INTEGER NOT NULL DEFAULT 0;      -- needed a layer below the selectors for title, body or a date
ALTER TABLE crawl_runs ADD COLUMN no_date INTEGER NOT NULL DEFAULT 0;        -- came out with no publication time
ALTER TABLE crawl_runs ADD COLUMN short_body INTEGER NOT NULL DEFAULT 0;     -- body under min_body_chars (held back)
ALTER TABLE crawl_runs ADD COLUMN drift TEXT;                                -- when the share passed the threshold: the fields and selectors that stopped matching

-- A page held back (no headline, or a body too short) is kept with its link, zstd-compressed.
ALTER TABLE pending_fetches ADD COLUMN page BLOB;

-- The generation of the site a page was recognised as: g4, g3, g2 or unknown.
ALTER TABLE articles ADD COLUMN layout TEXT;
ALTER TABLE article_revisions ADD COLUMN layout TEXT;
-- 'fetch': the site's page changed; 'reextract': our extraction of a kept page changed.
ALTER TABLE article_revisions ADD COLUMN origin TEXT NOT NULL DEFAULT 'fetch'
    CHECK (origin IN ('fetch', 'reextract'));
-- The page as fetched, zstd-compressed (NULL when [archive] keep_pages is off,
-- and on re-extractions, which reuse the page of the revision they came from).
ALTER TABLE article_revisions ADD COLUMN page BLOB;

-- 64-bit SimHash of the body's words, as a signed integer.
ALTER TABLE articles ADD COLUMN simhash INTEGER;
-- The eight 8-bit bands of each SimHash: two hashes within 7 bits share a
-- band. The hash itself rides along so candidates need no second lookup.
CREATE TABLE simhash_bands (
    band       INTEGER NOT NULL,
    value      INTEGER NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    simhash    INTEGER NOT NULL,
    PRIMARY KEY (band, value, article_id)
) WITHOUT ROWID;
CREATE INDEX simhash_bands_article ON simhash_bands (article_id);

-- Articles whose body is nearly that of an earlier one (not merged).
CREATE TABLE near_duplicates (
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    duplicate_of INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    distance     INTEGER NOT NULL,   -- differing SimHash bits, 0-64
    found_at     TEXT NOT NULL,
    PRIMARY KEY (article_id, duplicate_of)
) WITHOUT ROWID;
CREATE INDEX near_duplicates_of ON near_duplicates (duplicate_of);
