//! Files that are not an archive, and archives that cannot be written: a
//! foreign SQLite file or a stub is refused byte for byte unchanged, naming
//! the file; an archive on a read-only file system still serves `search`,
//! `status` and `export`.

mod common;

use std::path::Path;

use common::disk::SmallDisk;
use rusqlite::Connection;

fn config(dir: &Path, db: &Path, base: &str) -> std::path::PathBuf {
    let path = dir.join("herald.toml");
    let text = format!(
        "[site]\nbase_url = \"{}\"\n\n[archive]\npath = \"{}\"\n\n[http]\nmin_delay = \"0s\"\n\n\
         [[section]]\nname = \"National\"\npath = \"/National\"\nschedule = \"*/15 * * * *\"\npages = 2\n",
        base,
        db.display()
    );
    std::fs::write(&path, text).expect("config");
    path
}

fn run(config: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec![args[0], "--config", config.to_str().expect("path")];
    all.extend_from_slice(&args[1..]);
    common::cli(&all)
}

#[test]
fn someone_elses_sqlite_file_is_refused_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("notes.db");
    {
        let conn = Connection::open(&db).expect("open");
        conn.execute_batch(
            "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
             INSERT INTO notes(body) VALUES ('mine');",
        )
        .expect("create");
    }
    let before = std::fs::read(&db).expect("read");
    let config = config(dir.path(), &db, "http://127.0.0.1:9");
    for args in [
        &["crawl"][..],
        &["status"],
        &["search", "mine"],
        &["export", "--format", "jsonl"],
        &["backup", "/dev/null"],
    ] {
        let out = run(&config, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = common::stderr(&out);
        assert!(
            err.contains("is not a herald-archiver archive")
                && err.contains("notes")
                && err.contains(&db.display().to_string()),
            "{args:?}: {err}"
        );
    }
    assert_eq!(
        std::fs::read(&db).expect("read"),
        before,
        "the file changed"
    );
    assert!(!dir.path().join("notes.db-wal").exists());
}

#[test]
fn a_file_that_is_no_database_is_refused_unchanged_and_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("archive.db");
    let stub = b"this is not a database, just fifty bytes of text..".to_vec();
    std::fs::write(&db, &stub).expect("stub");
    let config = config(dir.path(), &db, "http://127.0.0.1:9");
    for args in [&["crawl"][..], &["status"], &["search", "x"]] {
        let out = run(&config, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = common::stderr(&out);
        assert!(
            err.contains("is not an SQLite database") && err.contains(&db.display().to_string()),
            "{args:?}: {err}"
        );
        assert!(!err.contains("upgrade"), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read(&db).expect("read"), stub);
}

#[test]
fn an_archive_on_a_read_only_file_system_still_serves_reads() {
    let Some(disk) = SmallDisk::mount("64m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let db = disk.0.join("archive.db");
    let dir = tempfile::tempdir().expect("tempdir");
    let server = common::fast_fixture_server();
    let config = config(dir.path(), &db, &server.url());
    let out = run(&config, &["crawl"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(disk.make_read_only(), "remount read-only");

    let out = run(&config, &["search", "data protection"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        common::stdout(&out).contains("10915012"),
        "{}",
        common::stdout(&out)
    );
    let out = run(&config, &["status"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = run(&config, &["export", "--format", "jsonl"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out).lines().count(), 3);
    let copy = dir.path().join("copy.db");
    let out = run(&config, &["backup", copy.to_str().expect("path")]);
    assert!(out.status.success(), "{}", common::stderr(&out));

    // Writing is refused with the file's name, not a question.
    let out = run(&config, &["crawl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stderr(&out).contains(&db.display().to_string()),
        "{}",
        common::stderr(&out)
    );
}
