//! The archive's promises: one record per article, addresses and revisions
//! kept, the full-text index in step with the table on insert, update and delete.

use std::collections::BTreeMap;

use herald_archiver::archive::{Archive, PendingPolicy, Search, Stored};
use herald_archiver::extract::Record;

fn record(url: &str, title: &str, body: &str) -> Record {
    Record {
        url: url.into(),
        title: title.into(),
        subtitle: None,
        authors: vec!["Kim Arin".into()],
        section: Some("National".into()),
        subsection: None,
        published_at: Some("2026-11-27T07:02:00Z".into()),
        updated_at: Some("2026-11-27T07:02:00Z".into()),
        body: body.into(),
        captions: vec![],
        images: vec![],
        sources: BTreeMap::new(),
        layout: "g4".into(),
    }
}

fn open() -> (tempfile::TempDir, Archive) {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = Archive::open(&dir.path().join("a.db")).expect("open");
    (dir, archive)
}

fn urls(archive: &Archive, query: &str) -> Vec<String> {
    archive
        .search(
            &Search {
                query: query.into(),
                limit: 10,
                ..Search::default()
            },
            ("[", "]"),
        )
        .expect("search")
        .into_iter()
        .map(|h| h.url)
        .collect()
}

fn fts_consistent(archive: &Archive) {
    archive
        .connection()
        .execute(
            "INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')",
            [],
        )
        .expect("FTS index matches the articles table");
}

const A: &str = "https://www.koreaherald.com/article/1";
const POLICY: PendingPolicy = PendingPolicy {
    first_wait: std::time::Duration::from_secs(3600),
    max_attempts: 3,
};

#[test]
fn the_index_follows_inserts_updates_and_deletes() {
    let (_d, mut archive) = open();
    let r1 = record(
        A,
        "Assembly passes bill",
        "Lawmakers approved the privacy measure.",
    );
    assert_eq!(
        archive
            .store(&r1, &[A], "2026-11-27T08:00:00Z", None)
            .expect("store"),
        Stored::New
    );
    assert_eq!(urls(&archive, "privacy"), [A]);
    fts_consistent(&archive);

    // An edit replaces the indexed text: the old words no longer match.
    let r2 = record(
        A,
        "Assembly passes bill",
        "Lawmakers approved the surveillance measure.",
    );
    assert_eq!(
        archive
            .store(&r2, &[A], "2026-11-27T09:00:00Z", None)
            .expect("store"),
        Stored::NewRevision
    );
    assert!(urls(&archive, "privacy").is_empty());
    assert_eq!(urls(&archive, "surveillance"), [A]);
    fts_consistent(&archive);

    archive
        .connection()
        .execute("DELETE FROM articles WHERE url = ?1", [A])
        .expect("delete");
    assert!(urls(&archive, "surveillance").is_empty());
    fts_consistent(&archive);
    // Addresses and revisions go with the article.
    let left: i64 = archive
        .connection()
        .query_row(
            "SELECT (SELECT count(*) FROM article_urls) + (SELECT count(*) FROM article_revisions)",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(left, 0);
}

#[test]
fn same_content_under_another_address_is_one_article() {
    let (_d, mut archive) = open();
    let legacy = "https://www.koreaherald.com/view.php?ud=20230330000512";
    let body = "Some 100 officials met.\n\nThey discussed trade.";
    assert_eq!(
        archive
            .store(&record(legacy, "Talks", body), &[legacy], "t1", None)
            .expect("store"),
        Stored::New
    );
    // Whitespace differences do not make another article.
    let spaced = "Some 100  officials met.\n\nThey discussed\u{a0}trade.";
    assert_eq!(
        archive
            .store(&record(A, "Talks", spaced), &[A], "t2", None)
            .expect("store"),
        Stored::NewAddress
    );
    let conn = archive.connection();
    let (articles, addresses, url): (i64, i64, String) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_urls), (SELECT url FROM articles)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("counts");
    assert_eq!((articles, addresses), (1, 2));
    // Today's /article/N form becomes the canonical address.
    assert_eq!(url, A);

    // Storing the same state again changes nothing.
    assert_eq!(
        archive
            .store(&record(A, "Talks", body), &[A, legacy], "t3", None)
            .expect("store"),
        Stored::Unchanged
    );
    let revisions: i64 = archive
        .connection()
        .query_row("SELECT count(*) FROM article_revisions", [], |r| r.get(0))
        .expect("count");
    assert_eq!(revisions, 1);
}

#[test]
fn the_same_body_under_another_headline_date_and_byline_is_its_own_article_linked_to_the_first() {
    let (_d, mut archive) = open();
    let (one, two) = (
        "https://www.koreaherald.com/article/30000000",
        "https://www.koreaherald.com/article/30000051",
    );
    let body = "Some 100 officials met.\n\nThey discussed trade.";
    let first = record(one, "Officials meet on trade", body);
    let mut second = record(two, "Trade talks open in Seoul", body);
    second.published_at = Some("2026-11-28T01:00:00Z".into());
    second.updated_at = Some("2026-11-28T02:00:00Z".into());
    second.authors = vec!["Lee Jaeeun".into()];
    second.subtitle = Some("A second story".into());
    assert_eq!(
        archive.store(&first, &[one], "t1", None).expect("store"),
        Stored::New
    );
    assert_eq!(
        archive.store(&second, &[two], "t2", None).expect("store"),
        Stored::New
    );
    // No field of either page is lost: each is its own row, as it was read.
    for r in [&first, &second] {
        let row: (String, Option<String>, String, Option<String>, Option<String>, String) = archive
            .connection()
            .query_row(
                "SELECT title, subtitle, authors, published_at, updated_at, body FROM articles WHERE url = ?1",
                [&r.url],
                |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?, x.get(4)?, x.get(5)?)),
            )
            .expect("its own article");
        let authors = serde_json::to_string(&r.authors).expect("json");
        assert_eq!(
            row,
            (
                r.title.clone(),
                r.subtitle.clone(),
                authors,
                r.published_at.clone(),
                r.updated_at.clone(),
                r.body.clone()
            )
        );
    }
    // Linked as copies of one body, even with near-duplicate search off.
    let linked: i64 = archive
        .connection()
        .query_row(
            "SELECT count(*) FROM near_duplicates n JOIN articles a ON a.id = n.article_id
             JOIN articles b ON b.id = n.duplicate_of
             WHERE a.url = ?1 AND b.url = ?2 AND n.distance = 0",
            [two, one],
            |r| r.get(0),
        )
        .expect("link");
    assert_eq!(linked, 1);
}

#[test]
fn the_other_layout_of_the_same_story_is_not_an_edit() {
    let (_d, mut archive) = open();
    let legacy = "https://www.koreaherald.com/view.php?ud=20230330000512";
    let body = "Some 100 officials met.\n\nThey discussed trade.";
    let mut today = record(A, "Talks", body);
    today.images = vec!["https://wimg.heraldcorp.com/news/cms/2023/03/30/p_P1.jpg".into()];
    let mut old = record(legacy, "Talks", body);
    old.images =
        vec!["http://res.heraldm.com/content/image/2023/03/30/20230330000512_0.jpg".into()];
    old.layout = "g3".into();
    // Fetched in turn, as `crawl --url` on each twice: one article, one revision.
    let got: Vec<Stored> = [&today, &old, &today, &old]
        .iter()
        .map(|r| archive.store(r, &[&r.url], "t", None).expect("store"))
        .collect();
    assert_eq!(
        got,
        [
            Stored::New,
            Stored::NewAddress,
            Stored::Unchanged,
            Stored::Unchanged
        ]
    );
    let revisions: i64 = archive
        .connection()
        .query_row("SELECT count(*) FROM article_revisions", [], |r| r.get(0))
        .expect("count");
    assert_eq!(revisions, 1);
    // A new photo in the same layout is still an edit.
    today.images = vec!["https://wimg.heraldcorp.com/news/cms/2023/03/30/p_P2.jpg".into()];
    assert_eq!(
        archive.store(&today, &[A], "t5", None).expect("store"),
        Stored::NewRevision
    );
}

#[test]
fn a_headline_correction_is_a_revision() {
    let (_d, mut archive) = open();
    archive
        .store(
            &record(A, "Assembley passes bill", "Body."),
            &[A],
            "t1",
            None,
        )
        .expect("store");
    assert_eq!(
        archive
            .store(
                &record(A, "Assembly passes bill", "Body."),
                &[A],
                "t2",
                None
            )
            .expect("store"),
        Stored::NewRevision
    );
    assert_eq!(urls(&archive, "assembly"), [A]);
}

#[test]
fn a_change_of_any_field_is_a_revision_and_updates_the_latest_row() {
    let (_d, mut archive) = open();
    let base = record(A, "Assembly passes bill", "The body stays the same.");
    archive.store(&base, &[A], "t0", None).expect("store");
    type Edit = Box<dyn Fn(&mut Record)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "authors",
            Box::new(|r| r.authors = vec!["Kim Arin".into(), "Lee Jaeeun".into()]),
        ),
        ("section", Box::new(|r| r.section = Some("Politics".into()))),
        (
            "subsection",
            Box::new(|r| r.subsection = Some("Diplomacy".into())),
        ),
        (
            "published_at",
            Box::new(|r| r.published_at = Some("2026-11-27T08:00:00Z".into())),
        ),
        (
            "updated_at",
            Box::new(|r| r.updated_at = Some("2026-11-28T01:00:00Z".into())),
        ),
        (
            "captions",
            Box::new(|r| r.captions = vec!["A new caption".into()]),
        ),
        (
            "images",
            Box::new(|r| r.images = vec!["https://example.org/a.jpg".into()]),
        ),
    ];
    fn column(archive: &Archive, field: &str) -> (i64, Option<String>) {
        archive
            .connection()
            .query_row(
                &format!("SELECT revision, CAST({field} AS TEXT) FROM articles WHERE url = ?1"),
                [A],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("row")
    }
    let mut current = base;
    for (i, (field, edit)) in edits.iter().enumerate() {
        let (_, before) = column(&archive, field);
        edit(&mut current);
        let at = format!("t{}", i + 1);
        assert_eq!(
            archive.store(&current, &[A], &at, None).expect("store"),
            Stored::NewRevision,
            "a change of {field} must be a revision"
        );
        let (revision, after) = column(&archive, field);
        assert_eq!(
            revision,
            i as i64 + 2,
            "{field}: the revision number moves on"
        );
        assert_ne!(
            before, after,
            "{field}: the latest row carries the new value"
        );
    }
    // Storing the same state again writes nothing new.
    assert_eq!(
        archive.store(&current, &[A], "t9", None).expect("store"),
        Stored::Unchanged
    );
    let revisions: i64 = archive
        .connection()
        .query_row("SELECT count(*) FROM article_revisions", [], |r| r.get(0))
        .expect("count");
    assert_eq!(revisions, edits.len() as i64 + 1);
    let authors: String = archive
        .connection()
        .query_row("SELECT authors FROM articles WHERE url = ?1", [A], |r| {
            r.get(0)
        })
        .expect("authors");
    assert_eq!(authors, r#"["Kim Arin","Lee Jaeeun"]"#);
    fts_consistent(&archive);
}

#[test]
fn failed_links_wait_longer_after_each_failure() {
    let (_d, archive) = open();
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-28T00:00:00Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    archive
        .record_failure(A, "National", "GET: 500", t0, POLICY, None)
        .expect("record");
    assert!(archive
        .is_waiting(A, "2026-11-28T00:59:00Z")
        .expect("query"));
    assert!(!archive
        .is_waiting(A, "2026-11-28T01:00:00Z")
        .expect("query"));
    archive
        .record_failure(A, "National", "GET: 500", t0, POLICY, None)
        .expect("record");
    assert!(archive
        .is_waiting(A, "2026-11-28T01:59:00Z")
        .expect("query"));
    assert_eq!(
        archive
            .pending_due("National", "2026-11-28T02:00:00Z")
            .expect("due"),
        [A]
    );
    // The third failure gives up: the link is no longer due, and waits forever.
    archive
        .record_failure(A, "National", "GET: 500", t0, POLICY, None)
        .expect("record");
    assert!(archive
        .pending_due("National", "9999")
        .expect("due")
        .is_empty());
    assert!(archive.is_waiting(A, "9999").expect("query"));
    assert_eq!(
        archive.section_status("National").expect("status").given_up,
        1
    );
    // Archiving the article clears its pending entry.
    let mut archive = archive;
    archive
        .store(&record(A, "T", "B."), &[A], "t", None)
        .expect("store");
    assert!(archive
        .pending_due("National", "9999")
        .expect("due")
        .is_empty());
}

#[test]
fn an_archive_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.db");
    drop(Archive::open(&path).expect("open"));
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.pragma_update(None, "user_version", 99)
        .expect("pragma");
    drop(conn);
    let err = Archive::open(&path).expect_err("too new");
    assert!(err.to_string().contains("upgrade herald-archiver"), "{err}");
}

#[test]
fn reopening_applies_no_migration_twice_and_keeps_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.db");
    let mut a = Archive::open(&path).expect("open");
    a.store(&record(A, "T", "B."), &[A], "t", None)
        .expect("store");
    drop(a);
    let a = Archive::open(&path).expect("reopen");
    let n: i64 = a
        .connection()
        .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 1);
    let mode: String = a
        .connection()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(mode, "wal");
}

#[test]
fn upkeep_truncates_the_wal_and_keeps_the_index_whole() {
    let (_d, mut archive) = open();
    for i in 0..200 {
        let url = format!("https://www.koreaherald.com/article/{i}");
        let body = format!("Story number {i} about the privacy bill and its {i} clauses.");
        archive
            .store(&record(&url, "Title", &body), &[url.as_str()], "t", None)
            .expect("store");
    }
    let (_, wal_before) = archive.sizes_on_disk();
    assert!(wal_before > 0, "writes went to the WAL");
    archive.maintain().expect("upkeep");
    let (db, wal_after) = archive.sizes_on_disk();
    assert_eq!(wal_after, 0, "the WAL is truncated");
    assert!(db > 0);
    fts_consistent(&archive);
    assert_eq!(urls(&archive, "\"number 150\"").len(), 1);
}

#[test]
fn reextract_targets_page_through_the_archive_once_each() {
    let (_d, mut archive) = open();
    for i in 0..1_203 {
        let url = format!("https://www.koreaherald.com/article/{}", 30_000_000 + i);
        let mut r = record(
            &url,
            &format!("Story {i}"),
            &format!("Body of story number {i}."),
        );
        if i % 3 == 0 {
            r.section = Some("Business".into());
        }
        archive
            .store(&r, &[&url], "2026-11-27T08:00:00Z", None)
            .expect("store");
    }
    let (mut seen, mut after, mut pages) = (Vec::new(), 0, 0);
    loop {
        let batch = archive
            .reextract_targets(None, Some("Business"), after, 100)
            .expect("targets");
        let Some(&(last, _)) = batch.last() else {
            break;
        };
        assert!(batch.len() <= 100);
        after = last;
        pages += 1;
        seen.extend(batch.into_iter().map(|(id, _)| id));
    }
    assert_eq!(seen.len(), 401);
    assert_eq!(pages, 5);
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(sorted, seen, "in id order, each once");
}
