//! A unix-socket proxy in front of a Docker socket: it forwards bytes unchanged, counts the
//! HTTP requests that pass, and can cut every open connection or refuse new ones: what a
//! restarted socket or a broken event stream looks like to berth, with the real Docker behind.

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

impl Drop for SocketProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

async fn pipe(client: UnixStream, server: UnixStream, shared: Arc<Shared>) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
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
            if sw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = sw.shutdown().await;
    };
    let down = async {
        let _ = tokio::io::copy(&mut sr, &mut cw).await;
        let _ = cw.shutdown().await;
    };
    tokio::join!(up, down);
}
