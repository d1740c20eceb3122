//! A counting proxy in front of a Docker socket: berth talks to the manager through it, and the
//! bench reads how many Engine API calls berth made (in total and by endpoint) over a window.
//!
//! Each request is forwarded on its own upstream connection; bodies stream through unchanged
//! (the event stream and log streams stay open as long as the client keeps them).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{UnixListener, UnixStream};

#[derive(Default)]
pub struct Counts {
    total: AtomicU64,
    by_endpoint: Mutex<BTreeMap<String, u64>>,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Calls by endpoint so far (`GET /tasks`, `GET /services/{id}`, …).
    pub fn by_endpoint(&self) -> BTreeMap<String, u64> {
        self.by_endpoint
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    fn count(&self, method: &str, path: &str) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let key = format!("{method} {}", endpoint(path));
        if let Ok(mut m) = self.by_endpoint.lock() {
            *m.entry(key).or_default() += 1;
        }
    }
}

/// The path with its API version and object ids folded (`/v1.41/services/abc` → `/services/{id}`).
fn endpoint(path: &str) -> String {
    let mut parts = path.split('/').filter(|s| !s.is_empty()).peekable();
    if parts
        .peek()
        .is_some_and(|p| p.starts_with('v') && p.contains('.'))
    {
        parts.next();
    }
    let mut out = String::new();
    for (i, p) in parts.enumerate() {
        out.push('/');
        if i == 1 && p != "json" && p != "create" && p != "prune" {
            out.push_str("{id}");
        } else {
            out.push_str(p);
        }
    }
    out
}

pub struct Proxy {
    pub counts: Arc<Counts>,
}

impl Proxy {
    /// Listens on `socket` (removed first if it exists) and forwards to the Docker socket at
    /// `upstream`.
    pub fn start(socket: &Path, upstream: &Path) -> Proxy {
        let _ = std::fs::remove_file(socket);
        let listener = UnixListener::bind(socket).expect("bind the proxy socket");
        let counts = Arc::new(Counts::default());
        let upstream = upstream.to_path_buf();
        let c = counts.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let counts = c.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let counts = counts.clone();
                        let upstream = upstream.clone();
                        async move {
                            counts.count(req.method().as_str(), req.uri().path());
                            forward(&upstream, req).await
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(conn), svc)
                        .await;
                });
            }
        });
        Proxy { counts }
    }
}

async fn forward(upstream: &Path, req: Request<Incoming>) -> std::io::Result<Response<Incoming>> {
    let stream = UnixStream::connect(upstream).await?;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    send.send_request(req).await.map_err(std::io::Error::other)
}
