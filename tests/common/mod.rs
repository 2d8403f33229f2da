#![allow(dead_code)]

pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/koreaherald")
}

/// Runs the herald-archiver binary; the test fails with its stderr if it cannot start.
pub fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_herald-archiver"))
        .args(args)
        .env_remove("HERALD_ARCHIVER_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the herald-archiver binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The fixture site with a robots.txt that sets no Crawl-delay.
pub fn fast_fixture_server() -> server::FixtureServer {
    let server = server::FixtureServer::start(&fixtures()).expect("fixture server");
    server.replace("/robots.txt", "../robots-no-delay.txt");
    server
}

#[path = "../../bench/pages.rs"]
pub mod pages;

pub mod disk;
pub mod hostile;
pub mod mirror;

/// Polls `cond` until it holds; the test fails after `limit`.
pub fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
