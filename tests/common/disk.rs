//! A small file system to fill, for tests of what a full disk does.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A small file system of our own to fill: tmpfs needs root (CI runs as
/// root); elsewhere the test says so and checks nothing.
pub struct SmallDisk(pub PathBuf);

impl SmallDisk {
    pub fn mount(size: &str) -> Option<SmallDisk> {
        // Tests of one binary run in threads of one process: a counter
        // keeps their disks apart.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("herald-small-disk-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = std::fs::remove_dir(&dir);
            return None;
        }
        Some(SmallDisk(dir))
    }

    /// Remounts the disk read-only: no file or folder on it can be written,
    /// whoever asks (root included).
    pub fn make_read_only(&self) -> bool {
        Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Writes a file until the disk is full; returns it.
    pub fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut f = std::fs::File::create(&path).expect("filler");
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
