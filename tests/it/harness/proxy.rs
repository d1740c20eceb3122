//! A unix-socket proxy in front of a Docker socket: it forwards bytes unchanged, counts the
//! HTTP requests that pass, and can cut every open connection or refuse new ones: what a
//! restarted socket or a broken event stream looks like to berth, with the real Docker behind.
//! It can also hold back what Docker's event streams send (a quiet swarm, to count what a
//! viewer alone costs while other tests change the shared lab).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;

pub struct SocketProxy {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

#[derive(Default)]
struct Shared {
    requests: AtomicU64,
    refusing: AtomicBool,
    holding_events: AtomicBool,
    conns: Mutex<Vec<JoinHandle<()>>>,
}

impl SocketProxy {
    /// Listens on a fresh socket and forwards to `upstream` (a socket path).
    pub fn start(upstream: &str) -> SocketProxy {
        let upstream = PathBuf::from(upstream.trim_start_matches("unix://"));
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("docker.sock");
        let listener = UnixListener::bind(&path).expect("bind proxy socket");
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if s.refusing.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = UnixStream::connect(&upstream).await else {
                    continue;
                };
                let counter = s.clone();
                let h = tokio::spawn(pipe(client, server, counter));
                let mut conns = s.conns.lock().unwrap();
                conns.retain(|c| !c.is_finished());
                conns.push(h);
            }
        });
        SocketProxy {
            path,
            _dir: dir,
            shared,
            accept,
        }
    }

    /// `unix:///…` for berth's DOCKER_HOST.
    pub fn host(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// HTTP requests forwarded so far (for measuring berth's Docker calls).
    #[allow(dead_code)]
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Closes every open connection (an event stream breaks like a restarted daemon's).
    pub fn cut(&self) {
        for c in self.shared.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    /// While true, new connections are closed at once (Docker "down").
    pub fn refuse(&self, on: bool) {
        self.shared.refusing.store(on, Ordering::SeqCst);
    }
}

impl SocketProxy {
    /// While true, what Docker sends on event streams (`GET …/events`) is held back, the
    /// streams staying open; it is delivered, in order, once released.
    #[allow(dead_code)]
    pub fn hold_events(&self, on: bool) {
        self.shared.holding_events.store(on, Ordering::SeqCst);
    }
}

impl Drop for SocketProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

async fn pipe(client: UnixStream, server: UnixStream, shared: Arc<Shared>) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let is_events = AtomicBool::new(false);
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            // a request line ends with " HTTP/1.1\r\n"; bodies (JSON) never hold that
            let heads = buf[..n]
                .windows(11)
                .filter(|w| *w == b" HTTP/1.1\r\n")
                .count();
            shared.requests.fetch_add(heads as u64, Ordering::SeqCst);
            if events_request(&buf[..n]) {
                is_events.store(true, Ordering::SeqCst);
            }
            if sw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = sw.shutdown().await;
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            while is_events.load(Ordering::SeqCst) && shared.holding_events.load(Ordering::SeqCst) {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            if cw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = cw.shutdown().await;
    };
    tokio::join!(up, down);
}

/// Whether `bytes` start with a request for Docker's event stream (`GET /v1.xx/events?…`).
fn events_request(bytes: &[u8]) -> bool {
    let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    line.starts_with(b"GET ")
        && line
            .windows(8)
            .any(|w| w == b"/events?" || w == b"/events ")
}
