-- Per-run request statistics, and links that stopped being retried.

ALTER TABLE crawl_runs ADD COLUMN requests INTEGER NOT NULL DEFAULT 0;      -- HTTP requests sent, retries included
ALTER TABLE crawl_runs ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;         -- response body bytes received
ALTER TABLE crawl_runs ADD COLUMN status_2xx INTEGER NOT NULL DEFAULT 0;
ALTER TABLE crawl_runs ADD COLUMN status_3xx INTEGER NOT NULL DEFAULT 0;    -- redirects and 304 Not Modified
ALTER TABLE crawl_runs ADD COLUMN status_4xx INTEGER NOT NULL DEFAULT 0;
ALTER TABLE crawl_runs ADD COLUMN status_5xx INTEGER NOT NULL DEFAULT 0;
ALTER TABLE crawl_runs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;       -- requests repeated after a failure
ALTER TABLE crawl_runs ADD COLUMN not_modified INTEGER NOT NULL DEFAULT 0;  -- list pages answered 304
ALTER TABLE crawl_runs ADD COLUMN duration_ms INTEGER;                      -- wall time of the run

-- 'pending': retried by later runs; 'failed': gave up after [retry] pending_attempts.
ALTER TABLE pending_fetches ADD COLUMN status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'failed'));
CREATE INDEX pending_fetches_due ON pending_fetches (section, status, next_attempt_at);
