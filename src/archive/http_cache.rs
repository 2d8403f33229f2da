//! Validators of the last 200 answer per address, for conditional requests.

use rusqlite::{params, Connection, OptionalExtension};

use super::Archive;
use crate::error::ArchiveError;
use crate::model::Validators;

impl Archive {
    pub fn validators(&self, url: &str) -> Result<Validators, ArchiveError> {
        Ok(self
            .conn
            .prepare_cached("SELECT etag, last_modified FROM http_cache WHERE url = ?1")
            .and_then(|mut st| {
                st.query_row([url], |r| {
                    Ok(Validators {
                        etag: r.get(0)?,
                        last_modified: r.get(1)?,
                    })
                })
                .optional()
            })
            .map_err(ArchiveError::sql("reading HTTP validators"))?
            .unwrap_or_default())
    }
}

pub(super) fn save_in(
    conn: &Connection,
    url: &str,
    v: &Validators,
    now: &str,
) -> Result<(), ArchiveError> {
    if v.is_empty() {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO http_cache (url, etag, last_modified, fetched_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,
             last_modified = excluded.last_modified, fetched_at = excluded.fetched_at",
    )
    .and_then(|mut st| st.execute(params![url, v.etag, v.last_modified, now]))
    .map_err(ArchiveError::sql("saving HTTP validators"))?;
    Ok(())
}
