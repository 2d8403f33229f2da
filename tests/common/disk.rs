//! A small file system to fill, for tests of what a full disk does.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A small file system of our own to fill: tmpfs needs root (CI runs as
/// root); elsewhere the test says so and checks nothing.
pub struct SmallDisk(pub PathBuf);

impl SmallDisk {
    pub fn mount(size: &str) -> Option<SmallDisk> {
        let dir = std::env::temp_dir().join(format!("herald-small-disk-{}", std::process::id()));
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
