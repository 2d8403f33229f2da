//! A small HTTP/1.1 server on 127.0.0.1 that serves the fixture site as its
//! `manifest.tsv` says, logs every request, answers `If-None-Match` with 304,
//! and lets a test swap the page behind a path.

#![allow(dead_code)]

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

#[derive(Clone)]
struct Route {
    file: PathBuf,
    status: u16,
    content_type: String,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Request {
    pub target: String,
    pub if_none_match: Option<String>,
    pub status: u16,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    log: Vec<Request>,
}

pub struct FixtureServer {
    addr: std::net::SocketAddr,
    root: PathBuf,
    state: Arc<Mutex<State>>,
}

impl FixtureServer {
    /// Serves `root` (a folder holding `manifest.tsv`) on a free port.
    pub fn start(root: &Path) -> std::io::Result<FixtureServer> {
        FixtureServer::start_on(root, 0)
    }

    /// Serves `root` on `port` of 127.0.0.1 (0: any free port).
    pub fn start_on(root: &Path, port: u16) -> std::io::Result<FixtureServer> {
        let manifest = std::fs::read_to_string(root.join("manifest.tsv"))?;
        let mut routes = HashMap::new();
        for line in manifest
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 4 {
                continue;
            }
            routes.insert(
                cols[0].to_string(),
                Route {
                    file: root.join(cols[1]),
                    status: cols[2].parse().unwrap_or(200),
                    content_type: cols[3].to_string(),
                },
            );
        }
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            routes,
            log: Vec::new(),
        }));
        let shared = state.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                thread::spawn(move || serve(stream, &state));
            }
        });
        Ok(FixtureServer {
            addr,
            root: root.to_path_buf(),
            state,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request target (path and query), in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().map(|s| s.log.clone()).unwrap_or_default()
    }

    pub fn targets(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.target).collect()
    }

    pub fn clear_log(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.log.clear();
        }
    }

    /// Serves `file` (relative to the fixture root) at `target` from now on.
    pub fn replace(&self, target: &str, file: &str) {
        if let Ok(mut s) = self.state.lock() {
            let route = s.routes.get(target).cloned().unwrap_or(Route {
                file: PathBuf::new(),
                status: 200,
                content_type: "text/html; charset=utf-8".into(),
            });
            s.routes.insert(
                target.to_string(),
                Route {
                    file: self.root.join(file),
                    ..route
                },
            );
        }
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut out = write_half;
    loop {
        let mut request_line = String::new();
        match reader.read_line(&mut request_line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let target = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_string();
        let mut if_none_match = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("if-none-match") {
                    if_none_match = Some(v.trim().to_string());
                }
            }
        }
        let route = state
            .lock()
            .ok()
            .and_then(|s| s.routes.get(&target).cloned());
        let (status, content_type, body, etag) =
            match route.and_then(|r| std::fs::read(&r.file).ok().map(|b| (r, b))) {
                Some((r, body)) => {
                    let mut h = DefaultHasher::new();
                    body.hash(&mut h);
                    let etag = format!("\"{:016x}\"", h.finish());
                    if if_none_match.as_deref() == Some(etag.as_str()) {
                        (304, r.content_type, Vec::new(), Some(etag))
                    } else {
                        (r.status, r.content_type, body, Some(etag))
                    }
                }
                None => (
                    404,
                    "text/html".to_string(),
                    b"<h1>Not Found</h1>".to_vec(),
                    None,
                ),
            };
        if let Ok(mut s) = state.lock() {
            s.log.push(Request {
                target: target.clone(),
                if_none_match: if_none_match.clone(),
                status,
            });
        }
        let reason = match status {
            200 => "OK",
            304 => "Not Modified",
            404 => "Not Found",
            _ => "Status",
        };
        let mut head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(etag) = etag {
            head.push_str(&format!("ETag: {etag}\r\n"));
        }
        head.push_str("\r\n");
        if out.write_all(head.as_bytes()).is_err() || out.write_all(&body).is_err() {
            return;
        }
        let _ = out.flush();
    }
}
