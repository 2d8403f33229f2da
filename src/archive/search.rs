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
/// Ranking every match of a common word in a large archive is slow (bm25
/// must score them all), so matches are taken newest-archived first, lazily,
/// and the first RANK_WINDOW are ranked; below that many the ranking is exact.
pub const RANK_WINDOW: u32 = 1000;

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
        // Without filters the candidates need no look-up in `articles`.
        let filtered =
            q.section.is_some() || q.author.is_some() || q.since.is_some() || q.until.is_some();
        let candidates = if filtered {
            "SELECT articles_fts.rowid AS id, bm25(articles_fts, 10.0, 4.0, 1.0) AS rank
             FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
             WHERE articles_fts MATCH ?1
               AND (?3 IS NULL OR a.section = ?3 COLLATE NOCASE)
               AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(a.authors) w
                                          WHERE w.value = ?4 COLLATE NOCASE))
               AND (?5 IS NULL OR a.published_at >= ?5)
               AND (?6 IS NULL OR a.published_at < ?6)
             ORDER BY articles_fts.rowid DESC LIMIT ?7"
        } else {
            "SELECT rowid AS id, bm25(articles_fts, 10.0, 4.0, 1.0) AS rank
             FROM articles_fts
             WHERE articles_fts MATCH ?1
               AND coalesce(?3, ?4, ?5, ?6) IS NULL -- always true; binds the filter slots
             ORDER BY rowid DESC LIMIT ?7"
        };
        let sql = format!(
            "WITH candidates AS ({candidates}),
                  best AS (SELECT id, rank FROM candidates ORDER BY rank LIMIT ?2)
             SELECT a.url, a.title, a.section, a.published_at, best.rank, a.body
             FROM best JOIN articles a ON a.id = best.id
             ORDER BY best.rank"
        );
        let query = q.query.as_str();
        check_size(query)?;
        let mut st = self
            .conn
            .prepare_cached(&sql)
            .map_err(ArchiveError::sql("preparing the search"))?;
        let fts = fts_query(query);
        let terms = query_terms(query);
        let params = rusqlite::params![
            fts,
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
                    snippet: snippet(&r.get::<_, String>(5)?, &terms, marks),
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<Hit>>>());
        rows.map_err(|e| match e {
            // The statement is ours and prepared; FTS5 reports a query it
            // cannot read as a plain SQLITE_ERROR with its own words. Any
            // other failure (I/O, a damaged index, a lock) is no bad query.
            rusqlite::Error::SqliteFailure(f, Some(msg))
                if f.code == rusqlite::ErrorCode::Unknown && is_query_error(&msg) =>
            {
                ArchiveError::BadQuery {
                    query: query.to_string(),
                    // FTS5 quotes the query back: its escapes must not
                    // reach the user's terminal raw.
                    message: crate::strings::escaped(&msg),
                }
            }
            other => ArchiveError::Sql {
                context: "searching",
                source: other,
            },
        })
    }
}

/// Longest query accepted, in bytes and in words: FTS5's time grows with
/// the terms of a query (14,000 words took 348 s and 1.24 GB), and no one
/// types more than a few dozen.
pub const MAX_QUERY_BYTES: usize = 1000;
pub const MAX_QUERY_WORDS: usize = 64;

fn check_size(query: &str) -> Result<(), ArchiveError> {
    let words = query.split_whitespace().count();
    let message = if query.len() > MAX_QUERY_BYTES {
        format!(
            "the query is {} bytes long; at most {MAX_QUERY_BYTES} are accepted",
            query.len()
        )
    } else if words > MAX_QUERY_WORDS {
        format!("the query has {words} words; at most {MAX_QUERY_WORDS} are accepted")
    } else {
        return Ok(());
    };
    Err(ArchiveError::BadQuery {
        query: query.chars().take(80).collect(),
        message,
    })
}

/// FTS5's own messages about a query it cannot read.
fn is_query_error(msg: &str) -> bool {
    msg.starts_with("fts5")
        || msg.contains("syntax error")
        || msg.starts_with("unterminated string")
        || msg.starts_with("no such column")
        || msg.starts_with("unknown special query")
        || msg.contains("expected integer")
}

/// Words of a query to highlight: its terms without operators, column
/// names or quotes, lower-cased and without accents; `prefix*` keeps its star.
fn query_terms(query: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for raw in query.split(|c: char| c.is_whitespace() || matches!(c, '"' | '(' | ')' | ',')) {
        let raw = raw.rsplit(':').next().unwrap_or(raw);
        if raw.is_empty() || matches!(raw, "AND" | "OR" | "NOT" | "NEAR") || raw.starts_with('-') {
            continue;
        }
        for part in raw.split(|c: char| !c.is_alphanumeric() && c != '*') {
            let t = fold(part);
            if !t.trim_end_matches('*').is_empty() && !t.chars().all(|c| c.is_ascii_digit()) {
                terms.push(t);
            }
        }
    }
    terms
}

/// Lower case without accents, as the index's tokenizer sees words.
fn fold(word: &str) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// Whether a body word matches a query term. Stems are approximated by
/// shared beginnings: "protect" marks "protection", "protections" marks
/// "protection".
fn word_matches(word: &str, term: &str) -> bool {
    if let Some(prefix) = term.strip_suffix('*') {
        return word.starts_with(prefix);
    }
    let shared = word
        .chars()
        .zip(term.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let (w, t) = (word.chars().count(), term.chars().count());
    shared == w.min(t) && shared >= 4.min(w.max(t)) && (shared + 4 >= t || shared == t)
}

/// Sixteen words of the body around the most matches, matches marked.
/// Made here rather than by FTS5's snippet(), which would run the query
/// again for every hit (costly for prefix queries in a large archive).
fn snippet(body: &str, terms: &[String], marks: (&str, &str)) -> String {
    const WIDTH: usize = 16;
    let words: Vec<&str> = body.split_whitespace().collect();
    let hit: Vec<bool> = words
        .iter()
        .map(|w| {
            let f = fold(w.trim_matches(|c: char| !c.is_alphanumeric()));
            !f.is_empty() && terms.iter().any(|t| word_matches(&f, t))
        })
        .collect();
    let (mut best, mut best_n) = (0, 0);
    let mut n = 0;
    for i in 0..words.len() {
        n += usize::from(hit[i]);
        if i >= WIDTH {
            n -= usize::from(hit[i - WIDTH]);
        }
        if n > best_n {
            best_n = n;
            best = (i + 1).saturating_sub(WIDTH);
        }
    }
    let end = (best + WIDTH).min(words.len());
    let mut out = String::new();
    if best > 0 {
        out.push('…');
    }
    for i in best..end {
        if i > best {
            out.push(' ');
        }
        if hit[i] {
            out.push_str(marks.0);
            out.push_str(words[i]);
            out.push_str(marks.1);
        } else {
            out.push_str(words[i]);
        }
    }
    if end < words.len() {
        out.push('…');
    }
    out
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
        // A star only ends a prefix. A query that starts with one is one of
        // FTS5's debugging commands (`*id` answers a row of NULLs).
        let stray_star = word.starts_with('*');
        if (plain || syntax || word.is_empty()) && !stray_star {
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
    fn snippets_mark_query_words_stems_and_prefixes() {
        let body = "The National Assembly passed a revised data protection bill. Lawmakers protected the vote. Luminé sang.";
        let s = super::snippet(body, &super::query_terms("protect"), ("[", "]"));
        assert!(
            s.contains("[protection]") && s.contains("[protected]"),
            "{s}"
        );
        let s = super::snippet(
            body,
            &super::query_terms("title:\"data prot*\" NOT x"),
            ("[", "]"),
        );
        assert!(s.contains("[data] [protection]"), "{s}");
        let s = super::snippet(body, &super::query_terms("lumine"), ("<", ">"));
        assert!(s.contains("<Luminé>"), "{s}");
        let long = "word ".repeat(40) + "target " + &"word ".repeat(40);
        let s = super::snippet(&long, &super::query_terms("target"), ("[", "]"));
        assert!(
            s.starts_with('…') && s.ends_with('…') && s.contains("[target]"),
            "{s}"
        );
        assert_eq!(s.split_whitespace().count(), 16);
    }

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
        assert_eq!(fts_query("*id privacy"), "\"*id\" privacy");
        assert_eq!(fts_query("*"), "\"*\"");
    }
}
