-- herald-archiver schema, version 1. Never edit this file once released:
-- every change is a new numbered file. Times are UTC ISO-8601 text
-- (YYYY-MM-DDTHH:MM:SSZ); lists are JSON arrays.

-- One row per article: its latest state.
CREATE TABLE articles (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,           -- canonical public address
    title           TEXT NOT NULL,
    subtitle        TEXT,
    authors         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(authors)),
    section         TEXT,
    subsection      TEXT,
    published_at    TEXT,
    updated_at      TEXT,
    body            TEXT NOT NULL,
    captions        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(captions)),
    images          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(images)),
    content_hash    TEXT NOT NULL,                  -- blake3 of the normalised body
    revision        INTEGER NOT NULL DEFAULT 1,     -- latest article_revisions.revision
    sources         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(sources)),
    first_seen_at   TEXT NOT NULL,
    last_checked_at TEXT NOT NULL
);
CREATE INDEX articles_published_at ON articles (published_at);
CREATE INDEX articles_section ON articles (section, published_at);
CREATE INDEX articles_content_hash ON articles (content_hash);

-- Every address an article was found under, the canonical one included.
CREATE TABLE article_urls (
    url           TEXT PRIMARY KEY,
    article_id    INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    first_seen_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX article_urls_article ON article_urls (article_id);

-- Every distinct state of an article, the first included.
CREATE TABLE article_revisions (
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    revision     INTEGER NOT NULL,
    fetched_at   TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    title        TEXT NOT NULL,
    subtitle     TEXT,
    authors      TEXT NOT NULL,
    section      TEXT,
    subsection   TEXT,
    published_at TEXT,
    updated_at   TEXT,
    body         TEXT NOT NULL,
    captions     TEXT NOT NULL,
    images       TEXT NOT NULL,
    sources      TEXT NOT NULL,
    PRIMARY KEY (article_id, revision)
);

-- One row per section run (and one per revisit pass, section '(revisit)').
CREATE TABLE crawl_runs (
    id            INTEGER PRIMARY KEY,
    section       TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    status        TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
    pages         INTEGER NOT NULL DEFAULT 0,  -- list pages read
    links_found   INTEGER NOT NULL DEFAULT 0,  -- distinct article links on them
    new_articles  INTEGER NOT NULL DEFAULT 0,
    new_revisions INTEGER NOT NULL DEFAULT 0,
    duplicates    INTEGER NOT NULL DEFAULT 0,  -- new addresses of archived articles
    unchanged     INTEGER NOT NULL DEFAULT 0,  -- re-fetched, nothing new
    skipped       INTEGER NOT NULL DEFAULT 0,  -- known, disallowed by robots.txt or waiting to retry
    failures      INTEGER NOT NULL DEFAULT 0,
    error         TEXT                         -- why the run failed, if it did
);
CREATE INDEX crawl_runs_section ON crawl_runs (section, started_at);

-- Links that could not be archived, and when to try them again.
CREATE TABLE pending_fetches (
    url             TEXT PRIMARY KEY,           -- canonical address
    section         TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    first_failed_at TEXT NOT NULL,
    last_attempt_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL
) WITHOUT ROWID;

-- Validators of the last 200 answer per fetched address, for conditional requests.
CREATE TABLE http_cache (
    url           TEXT PRIMARY KEY,             -- public address
    etag          TEXT,
    last_modified TEXT,
    fetched_at    TEXT NOT NULL
) WITHOUT ROWID;

-- Full-text index over the latest state of each article.
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, subtitle, body,
    content = 'articles', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, subtitle, body)
    VALUES (new.id, new.title, coalesce(new.subtitle, ''), new.body);
END;

CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, subtitle, body)
    VALUES ('delete', old.id, old.title, coalesce(old.subtitle, ''), old.body);
END;

CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, subtitle, body ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, subtitle, body)
    VALUES ('delete', old.id, old.title, coalesce(old.subtitle, ''), old.body);
    INSERT INTO articles_fts (rowid, title, subtitle, body)
    VALUES (new.id, new.title, coalesce(new.subtitle, ''), new.body);
END;
