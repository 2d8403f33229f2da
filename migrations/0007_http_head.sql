-- The status line and headers of the answer a kept page came with (as
-- received, less what no longer describes the stored body: its transfer and
-- content encodings and length, and cookies), for `export --format warc`'s
-- response records. NULL for pages kept before this migration and for
-- re-extractions.
ALTER TABLE article_revisions ADD COLUMN http_head TEXT;
