-- The address each kept page was fetched from (its public, canonical form):
-- a story fetched through its view.php address is exported to WARC under
-- that address, not under the article's preferred one. NULL for revisions
-- written before this column, and for re-extractions (no page of their own).
ALTER TABLE article_revisions ADD COLUMN fetched_from TEXT;
