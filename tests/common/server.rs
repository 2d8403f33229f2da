//! A small HTTP/1.1 server on 127.0.0.1 for tests, examples and benchmarks.
//! [`Server`] answers with a handler, logs every request and turns a matching
//! `If-None-Match` into a 304; [`FixtureServer`] serves the fixture site as
//! its `manifest.tsv` says and lets a test swap the page behind a path.

#![allow(dead_code)]

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

/// What a handler answers.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
    pub fault: Fault,
}

/// Ways a response can go wrong on the wire.
#[derive(Clone, Debug, Default)]
pub enum Fault {
    #[default]
    None,
    /// Say nothing for this long, then answer.
    Stall(std::time::Duration),
    /// Send the body one byte at a time with this pause between bytes.
    Drip(std::time::Duration),
    /// Send the head and this many body bytes, then reset the connection.
    ResetAfter(usize),
    /// Declare this many more bytes in Content-Length than are sent, then close.
    ShortBody(usize),
    /// Send no Content-Length, stream the body, and close.
    NoLength,
}

impl Response {
    pub fn html(body: impl Into<Vec<u8>>) -> Response {
        Response::status(200, body).content_type("text/html; charset=utf-8")
    }

    pub fn status(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type: "text/html".into(),
            body: body.into(),
            headers: Vec::new(),
            fault: Fault::None,
        }
    }

    pub fn not_found() -> Response {
        Response::status(404, b"<h1>Not Found</h1>".to_vec())
    }

    pub fn content_type(mut self, ct: &str) -> Response {
        self.content_type = ct.to_string();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn fault(mut self, fault: Fault) -> Response {
        self.fault = fault;
        self
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Request {
    pub target: String,
    pub if_none_match: Option<String>,
    pub status: u16,
    pub at: std::time::Instant,
}

pub type Handler = dyn Fn(&str) -> Response + Send + Sync;

pub struct Server {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    /// Listens on `port` of 127.0.0.1 (0: any free port), one thread per connection.
    pub fn start(port: u16, handler: Arc<Handler>) -> std::io::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = log.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, handler) = (shared.clone(), handler.clone());
                thread::spawn(move || serve(stream, &*handler, &log));
            }
        });
        Ok(Server { addr, log })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn clear_log(&self) {
        if let Ok(mut l) = self.log.lock() {
            l.clear();
        }
    }
}

#[derive(Clone)]
struct Route {
    file: PathBuf,
    status: u16,
    content_type: String,
}

/// The fixture site, served per its manifest.
pub struct FixtureServer {
    server: Server,
    root: PathBuf,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    delay: Arc<Mutex<Option<(String, std::time::Duration)>>>,
    scripts: Arc<Mutex<HashMap<String, std::collections::VecDeque<Response>>>>,
}

impl FixtureServer {
    /// Serves `root` (a folder holding `manifest.tsv`) on a free port.
    pub fn start(root: &Path) -> std::io::Result<FixtureServer> {
        FixtureServer::start_on(root, 0)
    }

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
        let routes = Arc::new(Mutex::new(routes));
        let delay: Arc<Mutex<Option<(String, std::time::Duration)>>> = Arc::default();
        let scripts: Arc<Mutex<HashMap<String, std::collections::VecDeque<Response>>>> =
            Arc::default();
        let (shared, slow, scripted) = (routes.clone(), delay.clone(), scripts.clone());
        let handler = move |target: &str| {
            let next = scripted
                .lock()
                .ok()
                .and_then(|mut s| s.get_mut(target).and_then(|q| q.pop_front()));
            if let Some(response) = next {
                return response;
            }
            let pause = slow
                .lock()
                .ok()
                .and_then(|d| d.clone())
                .filter(|(prefix, _)| target.starts_with(prefix.as_str()));
            if let Some((_, pause)) = pause {
                thread::sleep(pause);
            }
            let route = shared.lock().ok().and_then(|r| r.get(target).cloned());
            match route.and_then(|r| std::fs::read(&r.file).ok().map(|b| (r, b))) {
                Some((r, body)) => Response::status(r.status, body).content_type(&r.content_type),
                None => Response::not_found(),
            }
        };
        Ok(FixtureServer {
            server: Server::start(port, Arc::new(handler))?,
            root: root.to_path_buf(),
            routes,
            delay,
            scripts,
        })
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }

    /// Every request target (path and query), in order.
    pub fn targets(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.target).collect()
    }

    pub fn clear_log(&self) {
        self.server.clear_log()
    }

    /// The next requests for `target` get these responses, in order; then
    /// the site's page again.
    pub fn script(&self, target: &str, responses: Vec<Response>) {
        if let Ok(mut s) = self.scripts.lock() {
            s.entry(target.to_string()).or_default().extend(responses);
        }
    }

    /// Drops responses scripted but not used.
    pub fn clear_scripts(&self) {
        if let Ok(mut s) = self.scripts.lock() {
            s.clear();
        }
    }

    /// The file behind `target` in the manifest, as bytes.
    pub fn page(&self, target: &str) -> Vec<u8> {
        let file = self
            .routes
            .lock()
            .ok()
            .and_then(|r| r.get(target).map(|r| r.file.clone()));
        file.and_then(|f| std::fs::read(f).ok()).unwrap_or_default()
    }

    /// Answers requests whose target starts with `prefix` only after `pause`.
    pub fn slow_down(&self, prefix: &str, pause: std::time::Duration) {
        if let Ok(mut d) = self.delay.lock() {
            *d = Some((prefix.to_string(), pause));
        }
    }

    pub fn speed_up(&self) {
        if let Ok(mut d) = self.delay.lock() {
            *d = None;
        }
    }

    /// Serves `file` (relative to the fixture root) at `target` from now on.
    pub fn replace(&self, target: &str, file: &str) {
        if let Ok(mut routes) = self.routes.lock() {
            let route = routes.get(target).cloned().unwrap_or(Route {
                file: PathBuf::new(),
                status: 200,
                content_type: "text/html; charset=utf-8".into(),
            });
            routes.insert(
                target.to_string(),
                Route {
                    file: self.root.join(file),
                    ..route
                },
            );
        }
    }
}

fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Request>>) {
    // Head and body go out in one write; without NODELAY, Nagle's algorithm
    // and delayed ACKs would stall every keep-alive response by 40 ms.
    let _ = stream.set_nodelay(true);
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
        let mut resp = handler(&target);
        let etag = (resp.status == 200).then(|| {
            let mut h = DefaultHasher::new();
            resp.body.hash(&mut h);
            format!("\"{:016x}\"", h.finish())
        });
        if etag.is_some() && if_none_match == etag {
            resp.status = 304;
            resp.body.clear();
        }
        if let Ok(mut l) = log.lock() {
            l.push(Request {
                target,
                if_none_match,
                status: resp.status,
                at: std::time::Instant::now(),
            });
        }
        let reason = match resp.status {
            200 => "OK",
            304 => "Not Modified",
            404 => "Not Found",
            _ => "Status",
        };
        let declared = match resp.fault {
            Fault::ShortBody(extra) => Some(resp.body.len() + extra),
            Fault::NoLength => None,
            _ => Some(resp.body.len()),
        };
        let mut head = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\n",
            resp.status, resp.content_type
        );
        match declared {
            Some(n) => head.push_str(&format!("Content-Length: {n}\r\n")),
            None => head.push_str("Connection: close\r\n"),
        }
        if let Some(etag) = etag {
            head.push_str(&format!("ETag: {etag}\r\n"));
        }
        for (k, v) in &resp.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        match resp.fault {
            Fault::None => {
                let mut message = head.into_bytes();
                message.extend_from_slice(&resp.body);
                if out.write_all(&message).is_err() {
                    return;
                }
                let _ = out.flush();
            }
            Fault::Stall(pause) => {
                thread::sleep(pause);
                let mut message = head.into_bytes();
                message.extend_from_slice(&resp.body);
                if out.write_all(&message).is_err() {
                    return;
                }
            }
            Fault::Drip(pause) => {
                if out.write_all(head.as_bytes()).is_err() {
                    return;
                }
                for b in &resp.body {
                    if out.write_all(&[*b]).is_err() {
                        return;
                    }
                    thread::sleep(pause);
                }
            }
            Fault::ResetAfter(n) => {
                let _ = out.write_all(head.as_bytes());
                let _ = out.write_all(&resp.body[..n.min(resp.body.len())]);
                let _ = out.flush();
                // Linger 0: closing sends RST instead of FIN.
                let _ = socket2::SockRef::from(&out).set_linger(Some(std::time::Duration::ZERO));
                return;
            }
            Fault::ShortBody(_) | Fault::NoLength => {
                let _ = out.write_all(head.as_bytes());
                let _ = out.write_all(&resp.body);
                let _ = out.flush();
                let _ = out.shutdown(std::net::Shutdown::Both);
                return;
            }
        }
    }
}
