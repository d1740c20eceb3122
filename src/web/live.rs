//! Live parts pushed over server-sent events (htmx's sse extension) from the model.
//!
//! A page wraps each live part in `hx-ext="sse" sse-connect="STREAM"`; the part itself keeps its
//! `hx-get … hx-trigger="every Ns"` polling (the fallback without SSE) and gets
//! `sse-swap="update"`: app.js holds the polling back while the stream is open. The stream
//! re-renders the part when the model publishes a change that moves the part's *fingerprint*
//! (the model's generation for what the part shows) and sends it only when the fragment differs
//! from the last one sent. Viewers of the same part share one render per fingerprint (the
//! [`Renders`] cache), so the cost of a change does not grow with the number of viewers.
//!
//! Streams are bounded ([`crate::web::metrics::MAX_STREAMS`]: beyond it the page polls), end
//! when the session does (checked every minute), when berth shuts down, and when the part's
//! object is gone (`event: end`, which the wrapper's `sse-close="end"` turns into a close).

use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;

use crate::AppState;

/// The event a part's `sse-swap` listens to.
pub const UPDATE: &str = "update";
/// The event that closes the stream (the part's object is gone).
pub const END: &str = "end";
/// Most distinct parts whose renders are kept (a part is a page's live URL with its query).
const MAX_CACHED: usize = 1024;
/// How often an open stream checks that its session still lives.
const SESSION_CHECK: Duration = Duration::from_secs(60);

/// A part rendered from the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendered {
    Html(String),
    /// the object is gone: the fragment says so, and the stream ends after it
    Gone(String),
}

impl Rendered {
    fn html(&self) -> &str {
        match self {
            Rendered::Html(h) | Rendered::Gone(h) => h,
        }
    }
}

/// The latest render of each part by fingerprint, shared by every viewer of the part.
#[derive(Default)]
pub struct Renders {
    map: Mutex<HashMap<String, (u64, Arc<Rendered>)>>,
}

impl Renders {
    /// The render of `key` at `fingerprint`, rendering it (once for every viewer) when the
    /// cached one is older.
    pub fn get_or_render(
        &self,
        key: &str,
        fingerprint: u64,
        render: impl FnOnce() -> Rendered,
    ) -> Arc<Rendered> {
        if let Ok(map) = self.map.lock()
            && let Some((fp, r)) = map.get(key)
            && *fp == fingerprint
        {
            return r.clone();
        }
        // rendered outside the lock: two viewers may both render a new fingerprint once
        let r = Arc::new(render());
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= MAX_CACHED && !map.contains_key(key) {
                map.clear();
            }
            map.insert(key.to_string(), (fingerprint, r.clone()));
        }
        r
    }
}

/// A live part: what identifies it among viewers, how to fingerprint and how to render it.
pub struct Part<F, R> {
    /// the part's live URL with its query (viewers with the same key see the same fragment)
    pub key: String,
    /// the fingerprint the page was rendered at (`fp` in the stream URL), if it said
    pub seen: Option<u64>,
    /// the model's generation for what the part shows (cheap: no rendering)
    pub fingerprint: F,
    pub render: R,
}

fn digest(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// Answers a stream request for `part`, woken by `changes` (the model's generation).
pub fn stream<F, R>(
    state: &AppState,
    headers: &HeaderMap,
    mut changes: watch::Receiver<u64>,
    part: Part<F, R>,
) -> Response
where
    F: Fn() -> u64 + Send + 'static,
    R: Fn() -> Rendered + Send + 'static,
{
    let Some(guard) = state.telemetry.open_stream() else {
        // every slot taken: the page keeps polling
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", "30")],
            "too many live streams are open; this page refreshes by polling",
        )
            .into_response();
    };
    let (tx, rx) = mpsc::channel::<Result<Event, Infallible>>(4);
    let state = state.clone();
    let headers = headers.clone();
    tokio::spawn(async move {
        let _guard = guard;
        let stopping = state.shutting_down();
        tokio::pin!(stopping);
        let mut session_check = tokio::time::interval(SESSION_CHECK);
        session_check.tick().await;
        let mut last_fp = part.seen;
        let mut last_sent: Option<u64> = None;
        changes.mark_changed();
        loop {
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                _ = tx.closed() => break,
                _ = &mut stopping => break,
                _ = session_check.tick() => {
                    if !super::session::is_signed_in(&state, &headers).await {
                        break;
                    }
                    continue;
                }
            }
            let fp = (part.fingerprint)();
            if last_fp == Some(fp) {
                continue;
            }
            last_fp = Some(fp);
            let rendered = state
                .live_renders
                .get_or_render(&part.key, fp, || (part.render)());
            let d = digest(rendered.html());
            if last_sent != Some(d) {
                last_sent = Some(d);
                let ev = Event::default().event(UPDATE).data(rendered.html());
                if tx.send(Ok(ev)).await.is_err() {
                    break;
                }
            }
            if let Rendered::Gone(_) = *rendered {
                let _ = tx.send(Ok(Event::default().event(END).data(""))).await;
                break;
            }
        }
    });
    Sse::new(ReceiverStream::new(rx))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// `path?query&fp=N`: a part's stream URL with the fingerprint its page was rendered at.
pub fn stream_url(path: &str, query: &str, fingerprint: u64) -> String {
    if query.is_empty() {
        format!("{path}?fp={fingerprint}")
    } else {
        format!("{path}?{query}&fp={fingerprint}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_of_a_part_share_one_render_per_fingerprint() {
        let r = Renders::default();
        let calls = std::cell::Cell::new(0);
        let render = || {
            calls.set(calls.get() + 1);
            Rendered::Html(format!("v{}", calls.get()))
        };
        let a = r.get_or_render("/nodes/live", 7, render);
        let b = r.get_or_render("/nodes/live", 7, render);
        assert_eq!(a, b);
        assert_eq!(calls.get(), 1);
        let c = r.get_or_render("/nodes/live", 8, render);
        assert_eq!(*c, Rendered::Html("v2".into()));
        r.get_or_render("/nodes/live?role=worker", 8, render);
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn stream_urls_carry_the_fingerprint() {
        assert_eq!(
            stream_url("/nodes/live/events", "", 3),
            "/nodes/live/events?fp=3"
        );
        assert_eq!(
            stream_url("/nodes/live/events", "role=worker", 3),
            "/nodes/live/events?role=worker&fp=3"
        );
    }
}
