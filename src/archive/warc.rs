//! `export --format warc`: the kept pages as WARC 1.1 (ISO 28500), which
//! web archivists replay with pywb or replayweb.page. One gzip member per
//! record; a `warcinfo` record first, then per kept page a `response`
//! record (the answer's status line and headers, as they describe the page
//! decoded to UTF-8, then the page) or, for pages kept before heads were, a
//! `resource` record, under the address the page was fetched from; and a
//! `metadata` record carrying the extracted record as JSON, under a
//! `metadata://` address of its own (Heritrix's convention) and
//! `WARC-Concurrent-To` the page, so that no replay tool serves it in the
//! page's place. A page identical to one already written (same address and
//! payload) is a `revisit` record. Streamed row by row.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::json;
use sha1::{Digest, Sha1};

use super::export::ExportError;
use super::search::day_start;
use super::Archive;
use crate::error::ArchiveError;

impl Archive {
    /// How many pages [`Archive::export_warc`] would write.
    pub fn warc_count(
        &self,
        since: Option<&str>,
        section: Option<&str>,
    ) -> Result<u64, ArchiveError> {
        self.count_of(
            "SELECT count(*) FROM article_revisions r
             WHERE r.page IS NOT NULL
               AND (?1 IS NULL OR r.published_at >= ?1) AND (?2 IS NULL OR r.section = ?2)",
            rusqlite::params![since.map(day_start), section],
            "counting kept pages",
        )
    }

    /// Writes the kept pages (of articles published since `since`, of
    /// `section`) as WARC; calls `on_page` after each. Returns the number
    /// of pages written.
    pub fn export_warc(
        &self,
        since: Option<&str>,
        section: Option<&str>,
        out: &mut dyn Write,
        on_page: &mut dyn FnMut(),
    ) -> Result<u64, ExportError> {
        let sql = ArchiveError::sql("exporting WARC");
        let info = format!(
            "software: herald-archiver/{}\r\nformat: WARC File Format 1.1\r\n\
             conformsTo: https://iso.org/standard/68004.html\r\n\
             description: pages kept by herald-archiver, with the records extracted from them\r\n",
            env!("CARGO_PKG_VERSION")
        );
        let now = crate::clock::now_utc();
        write_record(
            out,
            &[
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", &record_id(&["warcinfo", &now])),
                ("WARC-Date", &now),
                ("WARC-Filename", "herald-archiver.warc.gz"),
            ],
            "application/warc-fields",
            info.as_bytes(),
        )?;
        let mut st = self
            .conn
            .prepare(
                "SELECT coalesce(r.fetched_from, a.url), r.revision, r.fetched_at, r.page,
                        r.title, r.subtitle, r.authors,
                        r.section, r.subsection, r.published_at, r.updated_at, r.body,
                        r.captions, r.images, r.content_hash, r.http_head, a.url
                 FROM article_revisions r JOIN articles a ON a.id = r.article_id
                 WHERE r.page IS NOT NULL
                   AND (?1 IS NULL OR r.published_at >= ?1) AND (?2 IS NULL OR r.section = ?2)
                 ORDER BY r.fetched_at, r.article_id, r.revision",
            )
            .map_err(sql)?;
        let since = since.map(day_start);
        let mut rows = st
            .query(rusqlite::params![since, section])
            .map_err(ArchiveError::sql("exporting WARC"))?;
        let mut n = 0;
        // Pages written, by address and payload digest: (record id, date).
        let mut written: std::collections::HashMap<(String, String), (String, String)> =
            std::collections::HashMap::new();
        while let Some(row) = rows.next().map_err(ArchiveError::sql("exporting WARC"))? {
            let get_text = |i: usize| -> Result<Option<String>, ArchiveError> {
                row.get::<_, Option<String>>(i)
                    .map_err(ArchiveError::sql("exporting WARC"))
            };
            let list = |i: usize| -> Result<serde_json::Value, ArchiveError> {
                Ok(get_text(i)?
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_else(|| json!([])))
            };
            let url = get_text(0)?.unwrap_or_default();
            let revision: i64 = row.get(1).map_err(ArchiveError::sql("exporting WARC"))?;
            let fetched_at = get_text(2)?.unwrap_or_default();
            let blob: Vec<u8> = row.get(3).map_err(ArchiveError::sql("exporting WARC"))?;
            // A page that does not decompress is skipped, not fatal: the
            // rest of the archive still goes out.
            let Some(page) = super::page::decompress(&blob) else {
                tracing::warn!(%url, revision, "a kept page does not decompress; left out of the WARC");
                continue;
            };
            let id = record_id(&[&url, &revision.to_string(), "page"]);
            let payload_digest = sha1_label(&page);
            // With the answer's status line and headers kept: a response
            // record (replay tools serve it as the site did); without
            // (pages kept before they were): the page as a resource.
            let head = get_text(15)?;
            let key = (url.clone(), payload_digest.clone());
            if let Some((first, first_date)) = written.get(&key) {
                // The same page at the same address: a revisit record
                // (identical payload), not the page twice.
                let mut block = head.unwrap_or_default().into_bytes();
                block.extend_from_slice(b"\r\n");
                write_record(
                    out,
                    &[
                        ("WARC-Type", "revisit"),
                        ("WARC-Record-ID", &id),
                        ("WARC-Date", &fetched_at),
                        ("WARC-Target-URI", &url),
                        (
                            "WARC-Profile",
                            "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
                        ),
                        ("WARC-Refers-To", first),
                        ("WARC-Refers-To-Target-URI", &url),
                        ("WARC-Refers-To-Date", first_date),
                        ("WARC-Payload-Digest", &payload_digest),
                    ],
                    "application/http; msgtype=response",
                    &block,
                )?;
            } else {
                let (kind, content_type, block) = match head {
                    Some(head) => {
                        let mut block = head.into_bytes();
                        block.extend_from_slice(b"\r\n");
                        block.extend_from_slice(&page);
                        ("response", "application/http; msgtype=response", block)
                    }
                    None => ("resource", "text/html; charset=utf-8", page),
                };
                write_record(
                    out,
                    &[
                        ("WARC-Type", kind),
                        ("WARC-Record-ID", &id),
                        ("WARC-Date", &fetched_at),
                        ("WARC-Target-URI", &url),
                        ("WARC-Payload-Digest", &payload_digest),
                    ],
                    content_type,
                    &block,
                )?;
                written.insert(key, (id.clone(), fetched_at.clone()));
            }
            let article = get_text(16)?.unwrap_or_default();
            let record = json!({
                "url": article, "fetched_from": url, "revision": revision, "fetched_at": fetched_at,
                "title": get_text(4)?, "subtitle": get_text(5)?, "authors": list(6)?,
                "section": get_text(7)?, "subsection": get_text(8)?,
                "published_at": get_text(9)?, "updated_at": get_text(10)?,
                "body": get_text(11)?, "captions": list(12)?, "images": list(13)?,
                "content_hash": get_text(14)?,
            });
            let body = serde_json::to_vec(&record).map_err(std::io::Error::from)?;
            write_record(
                out,
                &[
                    ("WARC-Type", "metadata"),
                    (
                        "WARC-Record-ID",
                        &record_id(&[&url, &revision.to_string(), "record"]),
                    ),
                    ("WARC-Date", &fetched_at),
                    ("WARC-Target-URI", &metadata_uri(&url)),
                    ("WARC-Concurrent-To", &id),
                ],
                "application/json",
                &body,
            )?;
            n += 1;
            on_page();
        }
        out.flush()?;
        Ok(n)
    }
}

/// The metadata record's own address: `metadata://` and the page's address
/// without its scheme, so an index keyed by address never takes it for the
/// page.
fn metadata_uri(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    format!("metadata://{rest}")
}

/// One record as its own gzip member, so a reader can seek to any record.
fn write_record(
    out: &mut dyn Write,
    headers: &[(&str, &str)],
    content_type: &str,
    block: &[u8],
) -> Result<(), std::io::Error> {
    let mut head = String::from("WARC/1.1\r\n");
    for (k, v) in headers {
        // Values come from the archive: no line breaks may split a header.
        let v: String = v.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "WARC-Block-Digest: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        sha1_label(block),
        block.len()
    ));
    let mut gz = GzEncoder::new(
        Vec::with_capacity(block.len() / 3 + 512),
        Compression::default(),
    );
    gz.write_all(head.as_bytes())?;
    gz.write_all(block)?;
    gz.write_all(b"\r\n\r\n")?;
    out.write_all(&gz.finish()?)
}

/// `sha1:` and the digest in base32 (RFC 4648), as WARC tools expect.
fn sha1_label(bytes: &[u8]) -> String {
    format!("sha1:{}", base32(&Sha1::digest(bytes)))
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let v = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(ALPHABET[((v >> (35 - 5 * i)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A stable record id (the same page gets the same id in every export):
/// the BLAKE3 hash of its parts, as a UUID (version 8, custom).
fn record_id(parts: &[&str]) -> String {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0]);
    }
    let b = h.finalize();
    let mut u = [0u8; 16];
    u.copy_from_slice(&b.as_bytes()[..16]);
    u[6] = (u[6] & 0x0f) | 0x80;
    u[8] = (u[8] & 0x3f) | 0x80;
    let hex: String = u.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_and_digests_match_the_rfc_and_warc_tools() {
        // RFC 4648 test vectors.
        for (input, want) in [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ] {
            assert_eq!(base32(input.as_bytes()), want, "{input}");
        }
        // sha1("") in base32, as warcio writes it.
        assert_eq!(sha1_label(b""), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
        let id = record_id(&["a", "1"]);
        assert_eq!(id, record_id(&["a", "1"]));
        assert_ne!(id, record_id(&["a1", ""]));
        assert_eq!(
            id.len(),
            "<urn:uuid:00000000-0000-0000-0000-000000000000>".len()
        );
    }
}
