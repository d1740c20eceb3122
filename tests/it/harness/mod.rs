//! Shared test machinery: the labs, an in-process app with a cookie jar, a real TCP server,
//! and helpers to read what Docker holds.

pub mod agents;
pub mod app;
pub mod browser;
pub mod curl;
pub mod git;
pub mod http;
pub mod lab;
pub mod oidc;
pub mod process;
pub mod proxy;
pub mod registry;
pub mod sinks;

pub use app::{TestApp, TestServer};
pub use lab::{Lab, lab};

/// A name unique to this test run, for swarm objects (services, stacks) a test creates.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}{}{n}", std::process::id() % 10_000)
}

/// Polls `f` every 200 ms until it returns `Some`, or panics with `what` after `secs`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {secs} s waiting for: {what}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
