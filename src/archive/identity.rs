//! Whether the archive's path still names the file the writer has open.
//! `rm archive.db*`, `mv backup.db archive.db` or a deleted `-wal` leave the
//! writer writing into an inode no one else can read: every commit after it
//! is lost at stop, while the counts say it was archived. Checked before
//! each batch and by `/healthz`; it costs two `stat` calls and a 16-byte
//! read through the writer's own descriptor. Nothing here opens the archive
//! by its path: closing a descriptor of it would drop SQLite's locks (see
//! `lock`).

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Device and inode.
type Id = (u64, u64);

#[derive(Debug)]
pub struct FileIdentity {
    path: PathBuf,
    db: Id,
    /// A descriptor of the open archive, for its first bytes; never closed.
    file: std::mem::ManuallyDrop<File>,
    /// The `-wal` file as first seen; the writer's connection keeps it for
    /// its whole life (SQLite deletes it only when the last one closes).
    wal: Mutex<Option<Id>>,
}

fn id_of(meta: &std::fs::Metadata) -> Id {
    (meta.dev(), meta.ino())
}

fn wal_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

impl FileIdentity {
    /// The identity of `file`, open at `path`.
    pub fn of(path: &Path, file: &File) -> std::io::Result<FileIdentity> {
        let me = FileIdentity {
            path: path.to_path_buf(),
            db: id_of(&file.metadata()?),
            file: std::mem::ManuallyDrop::new(file.try_clone()?),
            wal: Mutex::new(None),
        };
        me.note_wal();
        Ok(me)
    }

    /// Remembers the `-wal` file once it exists.
    pub fn note_wal(&self) {
        let mut wal = self.wal.lock().unwrap_or_else(PoisonError::into_inner);
        if wal.is_none() {
            *wal = std::fs::metadata(wal_path(&self.path))
                .ok()
                .map(|m| id_of(&m));
        }
    }

    /// `Err` with what happened and what to do when the path no longer
    /// names the open archive or its WAL.
    pub fn check(&self) -> Result<(), String> {
        let shown = self.path.display();
        let todo = "writes are stopped so that nothing more goes where no one can read it; stop herald-archiver, put the archive back (or restore it from a backup), and start it again";
        match std::fs::metadata(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!(
                    "archive {shown} was deleted while this process had it open: {todo}"
                ))
            }
            Err(e) => return Err(format!("archive {shown} cannot be checked ({e}): {todo}")),
            Ok(m) if id_of(&m) != self.db => {
                return Err(format!(
                    "archive {shown} was replaced by another file while this process had it open (moved or renamed over it): {todo}"
                ))
            }
            Ok(_) => {}
        }
        // Overwritten in place (`cp other archive.db`: same inode): caught
        // here when it is no SQLite file at all, else by the "malformed"
        // errors of the runs (the file may be empty while the WAL holds all).
        let mut magic = [0u8; 16];
        let read = {
            use std::os::unix::fs::FileExt;
            self.file.read_at(&mut magic, 0)
        };
        if read.is_ok_and(|n| n == magic.len()) && &magic != b"SQLite format 3\0" {
            return Err(format!(
                "archive {shown} was overwritten, while this process had it open, with something that is not an SQLite database: {todo}"
            ));
        }
        let wal = *self.wal.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(wal) = wal {
            let wal_file = wal_path(&self.path);
            let now = std::fs::metadata(&wal_file).ok().map(|m| id_of(&m));
            if now != Some(wal) {
                return Err(format!(
                    "the archive's write-ahead log {} was {} while this process had it open: the writes since the last checkpoint are only in this process's copy, and other readers get \"disk I/O error\"; {todo}",
                    wal_file.display(),
                    if now.is_none() { "deleted" } else { "replaced" }
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deleted_or_replaced_file_or_wal_is_noticed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.db");
        let wal = wal_path(&path);
        std::fs::write(&path, b"SQLite format 3\0 and the rest").expect("db");
        std::fs::write(&wal, b"w").expect("wal");
        // Held open, as SQLite holds it: its inode cannot be reused.
        let _held = File::open(&wal).expect("open wal");
        let file = File::open(&path).expect("open");
        let id = FileIdentity::of(&path, &file).expect("identity");
        assert_eq!(id.check(), Ok(()));

        std::fs::remove_file(&wal).expect("rm wal");
        let err = id.check().unwrap_err();
        assert!(
            err.contains("write-ahead log") && err.contains("deleted"),
            "{err}"
        );
        std::fs::write(&wal, b"w").expect("a new wal");
        assert!(id.check().unwrap_err().contains("replaced"));

        let _held = File::open(&wal).expect("open wal");
        let id = FileIdentity::of(&path, &File::open(&path).expect("open")).expect("identity");
        std::fs::write(&path, b"GIF89a, not a database at all").expect("cp over");
        assert!(id.check().unwrap_err().contains("not an SQLite database"));

        let other = dir.path().join("b.db");
        std::fs::write(&other, b"y").expect("other");
        std::fs::rename(&other, &path).expect("mv over");
        assert!(id.check().unwrap_err().contains("replaced by another file"));
        std::fs::remove_file(&path).expect("rm");
        assert!(id.check().unwrap_err().contains("was deleted"));
    }
}
