//! `/metrics` (Prometheus text) and `/healthz` on `[daemon] metrics_addr`.
//! A few requests a minute from a scraper: a minimal HTTP/1.1 responder is
//! enough, with a size and time limit on what it reads.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::Shared;
use crate::error::Error;

pub async fn bind(addr: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(addr).await.map_err(|source| Error::Io {
        context: format!("cannot listen on metrics_addr {addr} (is it in use?)"),
        source,
    })
}

/// Connections answered at once; more are closed as they come. A scraper
/// and a health check need two.
pub const MAX_CONNECTIONS: usize = 32;
/// A request's head must arrive within this, so a silent client frees its
/// slot soon.
const HEAD_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn serve(listener: TcpListener, shared: Arc<Shared>, stop: CancellationToken) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut refused = 0u64;
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.cancelled() => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    refused += 1;
                    // Once per power of two: a flood is visible, not a log flood.
                    if refused.is_power_of_two() {
                        tracing::warn!(%peer, refused, "metrics endpoint: {MAX_CONNECTIONS} connections open already; closing new ones");
                    }
                    drop(stream);
                    continue;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(10), answer(stream, &shared))
                        .await;
                    drop(slot);
                });
            }
            Err(e) => tracing::warn!(error = %e, "metrics listener: accept failed"),
        }
    }
}

async fn answer(mut stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut buf = vec![0u8; 4096];
    let mut len = 0;
    let head = async {
        while !buf[..len].windows(4).any(|w| w == b"\r\n\r\n") && len < buf.len() {
            let n = stream.read(&mut buf[len..]).await?;
            if n == 0 {
                break;
            }
            len += n;
        }
        Ok::<_, std::io::Error>(())
    };
    tokio::time::timeout(HEAD_TIMEOUT, head)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no request head"))??;
    let head = String::from_utf8_lossy(&buf[..len]);
    let path = head.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = match path {
        "/metrics" => ("200 OK", shared.metrics.render()),
        "/healthz" => match shared.health().await {
            Ok(state) => ("200 OK", format!("{state}\n")),
            Err(why) => ("503 Service Unavailable", format!("{why}\n")),
        },
        _ => (
            "404 Not Found",
            "not found: try /metrics or /healthz\n".to_string(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
