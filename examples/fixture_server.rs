//! Serves the fixture site on 127.0.0.1 so the archiver can be tried offline:
//! `cargo run --example fixture_server -- tests/fixtures/koreaherald 8080`.

#[path = "../tests/common/server.rs"]
mod server;

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "tests/fixtures/koreaherald".into()),
    );
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let server = server::FixtureServer::start_on(&root, port)?;
    println!("serving {} at {}", root.display(), server.url());
    println!("press Ctrl-C to stop");
    loop {
        std::thread::park();
    }
}
