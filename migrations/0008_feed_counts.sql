-- What a run's feeds ([[section]] feeds) gave, apart from its list pages.
ALTER TABLE crawl_runs ADD COLUMN feeds INTEGER NOT NULL DEFAULT 0;               -- feeds read (answered 200)
ALTER TABLE crawl_runs ADD COLUMN feeds_not_modified INTEGER NOT NULL DEFAULT 0;  -- feeds answered 304
ALTER TABLE crawl_runs ADD COLUMN feed_links INTEGER NOT NULL DEFAULT 0;          -- distinct article links in them
ALTER TABLE crawl_runs ADD COLUMN feed_new INTEGER NOT NULL DEFAULT 0;            -- of those, links neither the list pages nor the archive had
