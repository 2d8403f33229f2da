use serde::Serialize;

use super::Archive;
use crate::error::ArchiveError;

/// One search result. `snippet` marks matches with the caller's markers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub url: String,
    pub title: String,
    pub section: Option<String>,
    pub published_at: Option<String>,
    /// bm25 score: lower is better.
    pub rank: f64,
    pub snippet: String,
}

impl Archive {
    /// Full-text search, best matches first. The title weighs more than the
    /// subtitle, which weighs more than the body.
    pub fn search(
        &self,
        query: &str,
        limit: u32,
        marks: (&str, &str),
    ) -> Result<Vec<Hit>, ArchiveError> {
        let sql = "SELECT a.url, a.title, a.section, a.published_at,
                          bm25(articles_fts, 10.0, 4.0, 1.0) AS rank,
                          snippet(articles_fts, 2, ?2, ?3, '…', 16)
                   FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
                   WHERE articles_fts MATCH ?1
                   ORDER BY rank LIMIT ?4";
        let run = || -> rusqlite::Result<Vec<Hit>> {
            let mut st = self.conn.prepare_cached(sql)?;
            let rows = st.query_map(rusqlite::params![query, marks.0, marks.1, limit], |r| {
                Ok(Hit {
                    url: r.get(0)?,
                    title: r.get(1)?,
                    section: r.get(2)?,
                    published_at: r.get(3)?,
                    rank: r.get(4)?,
                    snippet: r.get(5)?,
                })
            })?;
            rows.collect()
        };
        run().map_err(|e| match &e {
            rusqlite::Error::SqliteFailure(_, Some(msg))
                if msg.contains("fts5")
                    || msg.contains("syntax error")
                    || msg.contains("no such column") =>
            {
                ArchiveError::BadQuery {
                    query: query.to_string(),
                    message: msg.clone(),
                }
            }
            _ => ArchiveError::Sql {
                context: "searching",
                source: e,
            },
        })
    }
}
