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

/// How many matches (the most recently archived) are ranked by relevance.
pub const RANK_WINDOW: u32 = 2000;

/// A full-text query and the filters around it.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// FTS5 syntax: words, "phrases", prefix*, NEAR(a b, 5), title:word, AND/OR/NOT.
    pub query: String,
    pub limit: u32,
    /// The articles' `section` (`National`).
    pub section: Option<String>,
    /// One of the article's authors, case-insensitively.
    pub author: Option<String>,
    /// Published at or after this UTC time or date.
    pub since: Option<String>,
    /// Published before this UTC time or date.
    pub until: Option<String>,
}

impl Archive {
    /// Full-text search, best matches first. The title weighs more than the
    /// subtitle, which weighs more than the body.
    pub fn search(&self, q: &Search, marks: (&str, &str)) -> Result<Vec<Hit>, ArchiveError> {
        // Ranking every match of a common word in a large archive takes
        // long (bm25 must score them all), so the matches are taken newest
        // archived first, lazily, and only the first RANK_WINDOW of them are
        // ranked; below that many matches the ranking is exact.
        let sql = "WITH candidates AS (
                       SELECT articles_fts.rowid AS id, bm25(articles_fts, 10.0, 4.0, 1.0) AS rank
                       FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
                       WHERE articles_fts MATCH ?1
                         AND (?5 IS NULL OR a.section = ?5 COLLATE NOCASE)
                         AND (?6 IS NULL OR EXISTS (SELECT 1 FROM json_each(a.authors) w
                                                    WHERE w.value = ?6 COLLATE NOCASE))
                         AND (?7 IS NULL OR a.published_at >= ?7)
                         AND (?8 IS NULL OR a.published_at < ?8)
                       ORDER BY articles_fts.rowid DESC LIMIT ?9),
                   best AS (SELECT id, rank FROM candidates ORDER BY rank LIMIT ?4)
                   SELECT a.url, a.title, a.section, a.published_at, best.rank,
                          snippet(articles_fts, 2, ?2, ?3, '…', 16)
                   FROM best
                   JOIN articles_fts ON articles_fts.rowid = best.id
                   JOIN articles a ON a.id = best.id
                   WHERE articles_fts MATCH ?1
                   ORDER BY best.rank";
        let query = q.query.as_str();
        let mut st = self
            .conn
            .prepare_cached(sql)
            .map_err(ArchiveError::sql("preparing the search"))?;
        let fts = fts_query(query);
        let params = rusqlite::params![
            fts,
            marks.0,
            marks.1,
            q.limit,
            q.section,
            q.author,
            q.since.as_deref().map(day_start),
            q.until.as_deref().map(day_start),
            RANK_WINDOW
        ];
        let rows = st
            .query_map(params, |r| {
                Ok(Hit {
                    url: r.get(0)?,
                    title: r.get(1)?,
                    section: r.get(2)?,
                    published_at: r.get(3)?,
                    rank: r.get(4)?,
                    snippet: r.get(5)?,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<Hit>>>());
        rows.map_err(|e| match e {
            // The statement is ours and prepared; an error while running it
            // comes from the user's FTS5 query.
            rusqlite::Error::SqliteFailure(f, msg) if f.code == rusqlite::ErrorCode::Unknown => {
                ArchiveError::BadQuery {
                    query: query.to_string(),
                    message: msg.unwrap_or_else(|| f.to_string()),
                }
            }
            other => ArchiveError::Sql {
                context: "searching",
                source: other,
            },
        })
    }
}

/// A bare date (`2026-11-01`) is its first second, in the archive's time form.
pub fn day_start(t: &str) -> String {
    if t.len() == 10 {
        format!("{t}T00:00:00Z")
    } else {
        t.to_string()
    }
}

/// Quotes bare words that FTS5 would misread (`re-identified`, `S.Korea`),
/// leaving its own syntax alone: "phrases", prefix*, NEAR(...), AND/OR/NOT,
/// column:filters and parentheses.
fn fts_query(query: &str) -> String {
    let mut out = Vec::new();
    let mut in_quote = false;
    for word in query.split(' ') {
        if in_quote || word.contains('"') {
            in_quote ^= word.matches('"').count() % 2 == 1;
            out.push(word.to_string());
            continue;
        }
        let plain = word.chars().all(|c| c.is_alphanumeric() || c == '_');
        let syntax = word.contains([':', '(', ')', '*', '^', '+', ','])
            || matches!(word, "AND" | "OR" | "NOT" | "NEAR");
        if plain || syntax || word.is_empty() {
            out.push(word.to_string());
        } else {
            out.push(format!("\"{word}\""));
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn words_fts5_would_misread_are_quoted_and_its_syntax_kept() {
        assert_eq!(fts_query("re-identified data"), "\"re-identified\" data");
        assert_eq!(
            fts_query("\"data protection\" bill*"),
            "\"data protection\" bill*"
        );
        assert_eq!(
            fts_query("title:bill OR NEAR(data privacy, 5)"),
            "title:bill OR NEAR(data privacy, 5)"
        );
        assert_eq!(fts_query("\"a-b c\" d"), "\"a-b c\" d");
        assert_eq!(fts_query("개인정보 보호법"), "개인정보 보호법");
    }
}
