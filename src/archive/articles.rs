//! Articles, their revisions and their addresses: storing a record, and the
//! reads that decide what to fetch or re-extract.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tracing::instrument;

use super::Archive;
use crate::error::ArchiveError;
use crate::model::Stored;
use crate::record::Record;

/// Near-duplicate links made for one new article, the closest first.
const MAX_NEAR_LINKS: usize = 5;

/// Why a revision was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The site's page changed.
    Fetch,
    /// Our extraction of a kept page changed (`reextract`).
    Reextract,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Fetch => "fetch",
            Origin::Reextract => "reextract",
        }
    }
}

/// An archived article due for a re-check.
#[derive(Debug, Clone)]
pub struct RevisitTarget {
    pub url: String,
    pub section: Option<String>,
}

impl Archive {
    /// Stores a record found under `addresses` (its canonical URL first).
    /// One transaction: a crash leaves either all of it or none.
    #[instrument(skip(self, record), fields(url = %record.url), level = "debug")]
    pub fn store(
        &mut self,
        record: &Record,
        addresses: &[&str],
        fetched_at: &str,
        page: Option<&[u8]>,
    ) -> Result<Stored, ArchiveError> {
        let near_bits = self.near_bits;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(ArchiveError::sql("storing an article"))?;
        let (stored, id) = store_in(&tx, near_bits, record, addresses, fetched_at, page, None)?;
        if stored == Stored::New {
            index_new(&tx, &[id])?;
        }
        tx.commit()
            .map_err(ArchiveError::sql("committing an article"))?;
        Ok(stored)
    }

    /// Articles to re-extract: published since `since` (all when `None`), of
    /// the given `section` (all when `None`), in id order, the next `limit`
    /// after id `after` (the caller pages through them: an archive of
    /// millions is never listed at once).
    pub fn reextract_targets(
        &self,
        since: Option<&str>,
        section: Option<&str>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, ArchiveError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, url FROM articles
                 WHERE id > ?3
                   AND (?1 IS NULL OR coalesce(published_at, first_seen_at) >= ?1)
                   AND (?2 IS NULL OR section = ?2)
                 ORDER BY id LIMIT ?4",
            )
            .map_err(ArchiveError::sql("listing articles to re-extract"))?;
        let rows = st
            .query_map(params![since, section, after, limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(ArchiveError::sql("listing articles to re-extract"))?;
        Ok(rows)
    }

    /// How many articles [`Archive::reextract_targets`] pages through.
    pub fn reextract_count(
        &self,
        since: Option<&str>,
        section: Option<&str>,
    ) -> Result<u64, ArchiveError> {
        self.count_of(
            "SELECT count(*) FROM articles
             WHERE (?1 IS NULL OR coalesce(published_at, first_seen_at) >= ?1)
               AND (?2 IS NULL OR section = ?2)",
            params![since, section],
            "counting articles to re-extract",
        )
    }

    /// The newest page kept for an article, decompressed.
    pub fn kept_page(&self, article_id: i64) -> Result<Option<String>, ArchiveError> {
        let blob: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT page FROM article_revisions WHERE article_id = ?1 AND page IS NOT NULL
                 ORDER BY revision DESC LIMIT 1",
                [article_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(ArchiveError::sql("reading a kept page"))?;
        Ok(blob
            .and_then(|b| super::page::decompress(&b))
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Stores a re-extraction of an article's kept page when it differs from
    /// the archived state, as a revision marked `reextract`. Returns whether
    /// anything was written.
    pub fn apply_reextraction(
        &mut self,
        article_id: i64,
        record: &Record,
        now: &str,
    ) -> Result<bool, ArchiveError> {
        let e = || ArchiveError::sql("storing a re-extraction");
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e())?;
        let hash = crate::dedup::content_hash(&record.body);
        if !differs(&tx, article_id, record, &hash)? {
            return Ok(false);
        }
        let number: i64 = tx
            .query_row(
                "SELECT revision + 1 FROM articles WHERE id = ?1",
                [article_id],
                |r| r.get(0),
            )
            .map_err(e())?;
        let rev = Revision {
            record,
            hash: &hash,
            number,
            at: now,
            origin: Origin::Reextract,
            page: None,
            head: None,
            fetched_from: None,
            simhash: crate::dedup::simhash(&record.body),
        };
        write_article(&tx, Some(article_id), &rev)?;
        tx.commit().map_err(e())?;
        Ok(true)
    }

    /// Articles published since `young_since` and not checked since `checked_before`.
    pub fn revisit_due(
        &self,
        young_since: &str,
        checked_before: &str,
    ) -> Result<Vec<RevisitTarget>, ArchiveError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT url, section FROM articles
                 WHERE coalesce(published_at, first_seen_at) >= ?1 AND last_checked_at < ?2
                 ORDER BY published_at DESC",
            )
            .map_err(ArchiveError::sql("listing articles to revisit"))?;
        let rows = st
            .query_map([young_since, checked_before], |r| {
                Ok(RevisitTarget {
                    url: r.get(0)?,
                    section: r.get(1)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(ArchiveError::sql("listing articles to revisit"))?;
        Ok(rows)
    }
}

pub(super) fn touch_in(conn: &Connection, url: &str, now: &str) -> Result<(), ArchiveError> {
    conn.prepare_cached(
        "UPDATE articles SET last_checked_at = ?2
         WHERE id = (SELECT article_id FROM article_urls WHERE url = ?1)",
    )
    .and_then(|mut st| st.execute(params![url, now]))
    .map_err(ArchiveError::sql("marking an article checked"))?;
    Ok(())
}

/// Stores a record inside the caller's transaction (see [`Archive::store`]).
/// Returns what it did and the article's id; a new article must then be
/// indexed with [`index_new`] in the same transaction.
pub(super) fn store_in(
    tx: &Connection,
    near_bits: u32,
    record: &Record,
    addresses: &[&str],
    fetched_at: &str,
    page: Option<&[u8]>,
    head: Option<&str>,
) -> Result<(Stored, i64), ArchiveError> {
    // A fail point for the tests of a record the archive refuses; only in
    // builds with the `fail-points` feature (the tests' builds).
    #[cfg(feature = "fail-points")]
    if record
        .title
        .contains("herald-archiver test: refuse to store")
    {
        return Err(ArchiveError::Sql {
            context: "storing an article",
            source: rusqlite::Error::InvalidParameterName("test fail point".into()),
        });
    }
    let e = ArchiveError::sql("storing an article");
    let hash = crate::dedup::content_hash(&record.body);
    let mut all: Vec<&str> = vec![record.url.as_str()];
    all.extend(addresses.iter().copied().filter(|a| *a != record.url));
    // The link fetched comes first in `addresses`.
    let fetched_from = Some(addresses.first().copied().unwrap_or(record.url.as_str()));

    let by_url: Option<i64> = {
        let mut st = tx
            .prepare_cached("SELECT article_id FROM article_urls WHERE url = ?1")
            .map_err(e)?;
        let mut found = None;
        for a in &all {
            if let Some(id) = st
                .query_row([a], |r| r.get(0))
                .optional()
                .map_err(ArchiveError::sql("storing an article"))?
            {
                found = Some(id);
                break;
            }
        }
        found
    };

    let (id, stored) = if let Some(id) = by_url {
        // Any change of the article's fields is a revision, not only its text.
        let stored = if !differs(tx, id, record, &hash)? {
            tx.prepare_cached("UPDATE articles SET last_checked_at = ?2 WHERE id = ?1")
                .and_then(|mut st| st.execute(params![id, fetched_at]))
                .map_err(ArchiveError::sql("storing an article"))?;
            Stored::Unchanged
        } else {
            let revision: i64 = tx
                .query_row(
                    "SELECT revision + 1 FROM articles WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .map_err(ArchiveError::sql("storing a revision"))?;
            let rev = Revision {
                record,
                hash: &hash,
                number: revision,
                at: fetched_at,
                origin: Origin::Fetch,
                page,
                head,
                fetched_from,
                simhash: crate::dedup::simhash(&record.body),
            };
            write_article(tx, Some(id), &rev)?;
            Stored::NewRevision
        };
        (id, stored)
    } else if let Some(id) = same_page_elsewhere(tx, record, &hash)? {
        // The same story under another address: prefer today's /article/N
        // form as the canonical address over a legacy view.php one.
        tx.prepare_cached(
            "UPDATE articles SET url = ?2, last_checked_at = ?3
             WHERE id = ?1 AND url LIKE '%/view.php?%' AND ?2 LIKE '%/article/%'",
        )
        .and_then(|mut st| st.execute(params![id, record.url, fetched_at]))
        .map_err(ArchiveError::sql("storing an address"))?;
        (id, Stored::NewAddress)
    } else {
        let rev = Revision {
            record,
            hash: &hash,
            number: 1,
            at: fetched_at,
            origin: Origin::Fetch,
            page,
            head,
            fetched_from,
            simhash: crate::dedup::simhash(&record.body),
        };
        let id = write_article(tx, None, &rev)?;
        if near_bits > 0 {
            link_near_duplicates(tx, id, rev.simhash, near_bits, fetched_at)?;
        }
        // The same body under another headline, date or byline is its own
        // article (nothing either page said is lost), linked to the first
        // at distance 0 even with near-duplicate search off.
        tx.prepare_cached(
            "INSERT OR IGNORE INTO near_duplicates (article_id, duplicate_of, distance, found_at)
             SELECT ?1, id, 0, ?3 FROM articles WHERE content_hash = ?2 AND id <> ?1",
        )
        .and_then(|mut st| st.execute(params![id, hash, fetched_at]))
        .map_err(ArchiveError::sql("linking a copy of the same body"))?;
        (id, Stored::New)
    };

    let mut st = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO article_urls (url, article_id, first_seen_at) VALUES (?1, ?2, ?3)",
        )
        .map_err(ArchiveError::sql("storing an address"))?;
    let mut del = tx
        .prepare_cached("DELETE FROM pending_fetches WHERE url = ?1")
        .map_err(ArchiveError::sql("storing an address"))?;
    for a in &all {
        st.execute(params![a, id, fetched_at])
            .map_err(ArchiveError::sql("storing an address"))?;
        del.execute([a])
            .map_err(ArchiveError::sql("storing an address"))?;
    }
    Ok((stored, id))
}

/// The article that is this same page under another address: the same
/// body (content hash) with the same headline, sub-headline, byline and
/// publication time (a mobile or legacy address, a tracking variant, the
/// other layout of the story). Only the body the same is another article.
fn same_page_elsewhere(
    tx: &Connection,
    record: &Record,
    hash: &str,
) -> Result<Option<i64>, ArchiveError> {
    tx.prepare_cached(
        "SELECT id FROM articles
         WHERE content_hash = ?1 AND title = ?2 AND subtitle IS ?3 AND authors = ?4
           AND published_at IS ?5
         ORDER BY id LIMIT 1",
    )
    .and_then(|mut st| {
        st.query_row(
            params![
                hash,
                record.title,
                record.subtitle,
                to_json(&record.authors),
                record.published_at
            ],
            |r| r.get::<_, i64>(0),
        )
        .optional()
    })
    .map_err(ArchiveError::sql("storing an article"))
}

/// Adds new articles to the full-text index, in one statement: each write
/// to the index inside a transaction makes FTS5 flush its pending terms to a
/// new segment, so one statement per batch instead of one per article saves
/// most of the index's work. (Updates and deletes go through the triggers.)
pub(super) fn index_new(tx: &Connection, ids: &[i64]) -> Result<(), ArchiveError> {
    if ids.is_empty() {
        return Ok(());
    }
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    tx.prepare_cached(
        "INSERT INTO articles_fts (rowid, title, subtitle, body)
         SELECT id, title, coalesce(subtitle, ''), body FROM articles
         WHERE id IN (SELECT value FROM json_each(?1))",
    )
    .and_then(|mut st| st.execute([list]))
    .map_err(ArchiveError::sql("indexing new articles"))?;
    Ok(())
}

/// Whether `record` differs from the archived state of article `id` in what
/// the story says: text, title, sub-title, authors, section, sub-section,
/// dates, captions, and its images when the same layout served both (the
/// layouts of one story name the same photo differently: fetching its
/// other address is not an edit).
fn differs(tx: &Connection, id: i64, record: &Record, hash: &str) -> Result<bool, ArchiveError> {
    type Row = (
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        String,
        Option<String>,
    );
    let mut old: Row = tx
        .prepare_cached(
            "SELECT content_hash, title, subtitle, authors, section, subsection, published_at,
                    updated_at, captions, images, layout
             FROM articles WHERE id = ?1",
        )
        .and_then(|mut st| {
            st.query_row([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                ))
            })
        })
        .map_err(ArchiveError::sql("comparing with the archived article"))?;
    let images = to_json(&record.images);
    if old.10.as_deref() != Some(record.layout.as_str()) {
        old.9.clone_from(&images);
        old.10 = Some(record.layout.clone());
    }
    let new: Row = (
        hash.to_string(),
        record.title.clone(),
        record.subtitle.clone(),
        to_json(&record.authors),
        record.section.clone(),
        record.subsection.clone(),
        record.published_at.clone(),
        record.updated_at.clone(),
        to_json(&record.captions),
        images,
        Some(record.layout.clone()),
    );
    Ok(old != new)
}

/// A state of an article about to be written.
struct Revision<'a> {
    record: &'a Record,
    hash: &'a str,
    number: i64,
    at: &'a str,
    origin: Origin,
    /// The page it came from, zstd-compressed.
    page: Option<&'a [u8]>,
    /// The status line and headers the page came with.
    head: Option<&'a str>,
    /// The address the page was fetched from.
    fetched_from: Option<&'a str>,
    simhash: u64,
}

/// Inserts (id `None`) or updates the article row, then copies the new state
/// into `article_revisions` and files its SimHash bands.
fn write_article(
    tx: &Connection,
    id: Option<i64>,
    rev: &Revision<'_>,
) -> Result<i64, ArchiveError> {
    let r = rev.record;
    let simhash = rev.simhash;
    // An existing article keeps its address and first_seen_at.
    let id: i64 = tx
        .prepare_cached(
            "INSERT INTO articles (id, url, title, subtitle, authors, section, subsection,
                 published_at, updated_at, body, captions, images, content_hash, revision,
                 sources, first_seen_at, last_checked_at, layout, simhash)
             VALUES (?1, coalesce((SELECT url FROM articles WHERE id = ?1), ?2), ?3, ?4, ?5, ?6,
                 ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16, ?17, ?18)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, subtitle = excluded.subtitle,
                 authors = excluded.authors, section = excluded.section,
                 subsection = excluded.subsection, published_at = excluded.published_at,
                 updated_at = excluded.updated_at, body = excluded.body,
                 captions = excluded.captions, images = excluded.images,
                 content_hash = excluded.content_hash, revision = excluded.revision,
                 sources = excluded.sources, last_checked_at = excluded.last_checked_at,
                 layout = excluded.layout, simhash = excluded.simhash
             RETURNING id",
        )
        .and_then(|mut st| {
            st.query_row(
                params![
                    id,
                    r.url,
                    r.title,
                    r.subtitle,
                    to_json(&r.authors),
                    r.section,
                    r.subsection,
                    r.published_at,
                    r.updated_at,
                    r.body,
                    to_json(&r.captions),
                    to_json(&r.images),
                    rev.hash,
                    rev.number,
                    to_json(&r.sources),
                    rev.at,
                    r.layout,
                    simhash as i64
                ],
                |row| row.get(0),
            )
        })
        .map_err(ArchiveError::sql("writing an article"))?;
    tx.prepare_cached(
        "INSERT INTO article_revisions (article_id, revision, fetched_at, content_hash, title,
             subtitle, authors, section, subsection, published_at, updated_at, body, captions,
             images, sources, layout, origin, page, http_head, fetched_from)
         SELECT id, revision, last_checked_at, content_hash, title, subtitle, authors, section,
             subsection, published_at, updated_at, body, captions, images, sources, layout, ?2, ?3,
             ?4, ?5
         FROM articles WHERE id = ?1",
    )
    .and_then(|mut st| {
        st.execute(params![
            id,
            rev.origin.as_str(),
            rev.page,
            rev.head,
            rev.fetched_from
        ])
    })
    .map_err(ArchiveError::sql("writing a revision"))?;
    let e = || ArchiveError::sql("filing a SimHash");
    tx.prepare_cached("DELETE FROM simhash_bands WHERE article_id = ?1")
        .and_then(|mut st| st.execute([id]))
        .map_err(e())?;
    let mut st = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO simhash_bands (band, value, article_id, simhash) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(e())?;
    for (band, value) in crate::dedup::bands(simhash) {
        st.execute(params![band, value, id, simhash as i64])
            .map_err(e())?;
    }
    Ok(id)
}

/// Links a new article to earlier ones whose SimHash is within `max_bits`.
fn link_near_duplicates(
    tx: &Connection,
    id: i64,
    simhash: u64,
    max_bits: u32,
    at: &str,
) -> Result<usize, ArchiveError> {
    let e = || ArchiveError::sql("looking for near-duplicates");
    let mut found = std::collections::BTreeMap::new();
    let mut st = tx
        .prepare_cached(
            // Capped: texts that cluster (boilerplate-heavy pages) must not
            // make each insert scan the archive; the newest candidates win.
            "SELECT article_id, simhash FROM simhash_bands
             WHERE band = ?1 AND value = ?2 AND article_id != ?3
             ORDER BY article_id DESC LIMIT 200",
        )
        .map_err(e())?;
    for (band, value) in crate::dedup::bands(simhash) {
        let rows = st
            .query_map(params![band, value, id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(e())?;
        for (other, h) in rows {
            let d = crate::dedup::distance(simhash, h as u64);
            if d <= max_bits {
                found.insert(other, d);
            }
        }
    }
    let mut ins = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO near_duplicates (article_id, duplicate_of, distance, found_at)
             VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(e())?;
    // Only the closest few: a story republished daily with small changes
    // would otherwise link to every earlier copy.
    let mut nearest: Vec<(u32, i64)> = found.iter().map(|(id, d)| (*d, *id)).collect();
    nearest.sort_unstable();
    nearest.truncate(MAX_NEAR_LINKS);
    for (d, other) in &nearest {
        ins.execute(params![id, other, d, at]).map_err(e())?;
    }
    Ok(nearest.len())
}

/// JSON text of a list or map of strings, which cannot fail to serialise.
fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}
