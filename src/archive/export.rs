//! Streaming the archive out: one row at a time from SQLite to the writer,
//! so memory stays flat whatever the archive's size. And a consistent copy
//! of the whole file while the daemon writes.

use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};

use super::search::day_start;
use super::Archive;
use crate::error::ArchiveError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// RFC 4180 with a header; lists as JSON arrays.
    Csv,
}

const COLUMNS: [&str; 15] = [
    "id",
    "url",
    "title",
    "subtitle",
    "authors",
    "section",
    "subsection",
    "published_at",
    "updated_at",
    "body",
    "captions",
    "images",
    "revision",
    "content_hash",
    "addresses",
];

impl Archive {
    /// Writes every article (published since `since`, of `section`), oldest
    /// first; returns how many. An I/O error (a closed pipe, a full disk)
    /// stops the export.
    pub fn export(
        &self,
        format: Format,
        since: Option<&str>,
        section: Option<&str>,
        out: &mut dyn Write,
    ) -> Result<u64, ExportError> {
        self.export_with(format, since, section, out, &mut || {})
    }

    /// How many articles [`Archive::export`] would write.
    pub fn export_count(
        &self,
        since: Option<&str>,
        section: Option<&str>,
    ) -> Result<u64, ArchiveError> {
        self.count_of(
            "SELECT count(*) FROM articles
             WHERE (?1 IS NULL OR published_at >= ?1) AND (?2 IS NULL OR section = ?2)",
            rusqlite::params![since.map(day_start), section],
            "counting articles to export",
        )
    }

    /// [`Archive::export`], calling `on_row` after each article written
    /// (a progress bar).
    pub fn export_with(
        &self,
        format: Format,
        since: Option<&str>,
        section: Option<&str>,
        out: &mut dyn Write,
        on_row: &mut dyn FnMut(),
    ) -> Result<u64, ExportError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT id, url, title, subtitle, authors, section, subsection, published_at,
                        updated_at, body, captions, images, revision, content_hash, addresses
                 FROM article_latest
                 WHERE (?1 IS NULL OR published_at >= ?1) AND (?2 IS NULL OR section = ?2)
                 ORDER BY published_at, id",
            )
            .map_err(ArchiveError::sql("exporting"))?;
        let since = since.map(day_start);
        let mut rows = st
            .query(rusqlite::params![since, section])
            .map_err(ArchiveError::sql("exporting"))?;
        if format == Format::Csv {
            writeln!(out, "{}", COLUMNS.join(","))?;
        }
        let mut n = 0;
        while let Some(row) = rows.next().map_err(ArchiveError::sql("exporting"))? {
            let text = |i: usize| -> Result<Option<String>, ArchiveError> {
                row.get::<_, Option<String>>(i)
                    .map_err(ArchiveError::sql("exporting"))
            };
            let id: i64 = row.get(0).map_err(ArchiveError::sql("exporting"))?;
            let revision: i64 = row.get(12).map_err(ArchiveError::sql("exporting"))?;
            match format {
                Format::Jsonl => {
                    let list = |i: usize| -> Result<Value, ArchiveError> {
                        Ok(text(i)?
                            .and_then(|t| serde_json::from_str(&t).ok())
                            .unwrap_or(Value::Array(Vec::new())))
                    };
                    let record = json!({
                        "id": id, "url": text(1)?, "title": text(2)?, "subtitle": text(3)?,
                        "authors": list(4)?, "section": text(5)?, "subsection": text(6)?,
                        "published_at": text(7)?, "updated_at": text(8)?, "body": text(9)?,
                        "captions": list(10)?, "images": list(11)?, "revision": revision,
                        "content_hash": text(13)?, "addresses": list(14)?,
                    });
                    serde_json::to_writer(&mut *out, &record).map_err(std::io::Error::from)?;
                    writeln!(out)?;
                }
                Format::Csv => {
                    let mut fields = vec![id.to_string()];
                    for i in 1..COLUMNS.len() {
                        fields.push(if i == 12 {
                            revision.to_string()
                        } else {
                            text(i)?.unwrap_or_default()
                        });
                    }
                    let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                    writeln!(out, "{}", line.join(","))?;
                }
            }
            n += 1;
            on_row();
        }
        out.flush()?;
        Ok(n)
    }

    /// A consistent copy of the archive at `dest` (which must not exist),
    /// taken in one read transaction while writers go on (`VACUUM INTO`).
    /// It is written under a temporary name beside `dest` and renamed at
    /// the end, so a failed or killed backup never leaves a partial `dest`
    /// (the next one clears what it left). A symlink at `dest`, dangling or
    /// not, counts as existing: nothing is written through it.
    pub fn backup(&self, dest: &Path) -> Result<(), ArchiveError> {
        let exists = || ArchiveError::BackupExists {
            path: dest.to_path_buf(),
        };
        if dest.symlink_metadata().is_ok() {
            return Err(exists());
        }
        let temp = partial_path(dest);
        let journal = sidecar(&temp, "-journal");
        let clear = || {
            let _ = std::fs::remove_file(&temp);
            let _ = std::fs::remove_file(&journal);
        };
        clear();
        let io = |source| ArchiveError::Backup {
            path: dest.to_path_buf(),
            source,
        };
        let written = self
            .conn
            .execute("VACUUM INTO ?1", [temp.to_string_lossy()])
            .map_err(ArchiveError::sql("backing up"));
        if let Err(e) = written {
            clear();
            return Err(e);
        }
        // No clobbering: a file that appeared at `dest` meanwhile stays.
        let placed = std::fs::hard_link(&temp, dest).or_else(|e| {
            if dest.symlink_metadata().is_ok() {
                Err(e)
            } else {
                std::fs::rename(&temp, dest)
            }
        });
        let result = match placed {
            Ok(()) => Ok(()),
            Err(_) if dest.symlink_metadata().is_ok() && temp.exists() => Err(exists()),
            Err(e) => Err(io(e)),
        };
        clear();
        result
    }
}

/// `.NAME.partial` beside `dest`: the backup while it is being written.
fn partial_path(dest: &Path) -> std::path::PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    dest.with_file_name(format!(".{name}.partial"))
}

fn sidecar(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    std::path::PathBuf::from(p)
}

/// A CSV field, quoted when it must be (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("writing the export")]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\"\nbye"), "\"say \"\"hi\"\"\nbye\"");
    }
}
