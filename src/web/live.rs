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
//! Streams are bounded (`--max-live-streams`: beyond it the page polls), end
//! when the session does (checked every minute), when berth shuts down, and when the part's
//! object is gone (`event: end`, which the wrapper's `sse-close="end"` turns into a close).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;

use serde::Deserialize;

use crate::AppState;
use crate::model::Snapshot;

/// The event a part's `sse-swap` listens to.
pub const UPDATE: &str = "update";
/// The event that closes the stream (the part's object is gone).
pub const END: &str = "end";
/// Most distinct parts whose renders are kept (a part is a page's live URL with its query).
const MAX_CACHED: usize = 1024;
/// How often an idle stream sends a comment (which is how a closed connection is noticed).
const KEEP_ALIVE: Duration = Duration::from_secs(5);
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
    map: Mutex<HashMap<String, (u64, Arc<RenderCell>)>>,
}

/// One part's render at one fingerprint: the first viewer renders it, the others wait for it.
type RenderCell = tokio::sync::OnceCell<Arc<Rendered>>;

impl Renders {
    /// The render of `key` at `fingerprint`, rendering it once for every viewer when the cached
    /// one is older. A change wakes every viewer of a part at once: the first renders, the others
    /// wait for that render instead of each rendering the same fragment (single flight). A failed
    /// render (`None`) is not kept: the next viewer tries again.
    pub async fn get_or_render<Fut>(
        &self,
        key: &str,
        fingerprint: u64,
        render: impl FnOnce() -> Fut,
    ) -> Option<Arc<Rendered>>
    where
        Fut: Future<Output = Option<Rendered>>,
    {
        let cell = {
            let mut map = self.map.lock().ok()?;
            match map.get(key) {
                Some((fp, cell)) if *fp == fingerprint => cell.clone(),
                _ => {
                    if map.len() >= MAX_CACHED && !map.contains_key(key) {
                        map.clear();
                    }
                    let cell = Arc::new(RenderCell::new());
                    map.insert(key.to_string(), (fingerprint, cell.clone()));
                    cell
                }
            }
        };
        cell.get_or_try_init(|| async { render().await.map(Arc::new).ok_or(()) })
            .await
            .ok()
            .cloned()
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
pub fn stream<F, R, Fut>(
    state: &AppState,
    headers: &HeaderMap,
    mut changes: watch::Receiver<u64>,
    part: Part<F, R>,
) -> Response
where
    F: Fn() -> u64 + Send + 'static,
    R: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Rendered>> + Send + 'static,
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
            let render = state
                .live_renders
                .get_or_render(&part.key, fp, &part.render);
            let Some(rendered) = render.await else {
                continue;
            };
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
    // a comment every few seconds: a browser that left is noticed (and its slot freed) soon
    Sse::new(ReceiverStream::new(rx))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

/// Streams a part rendered from the model: `fingerprint` says when what it shows last changed
/// (a generation of the model), `render` renders it (`None`: a rendering failure, logged).
pub fn from_model<F, R, Fut>(
    state: &AppState,
    headers: &HeaderMap,
    key: String,
    seen: Option<u64>,
    fingerprint: F,
    render: R,
) -> Response
where
    F: Fn(&Snapshot) -> u64 + Send + 'static,
    R: Fn(AppState, Arc<Snapshot>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Rendered>> + Send + 'static,
{
    let model = state.model.clone();
    let st = state.clone();
    let part = Part {
        key,
        seen,
        fingerprint: {
            let model = model.clone();
            move || fingerprint(&model.snapshot())
        },
        render: move || render(st.clone(), model.snapshot()),
    };
    stream(state, headers, state.model.subscribe(), part)
}

/// Whether the model is live (loaded and following Docker's events): pages read it then, and
/// Docker only otherwise.
pub fn model_live(s: &Snapshot) -> bool {
    matches!(s.connection, crate::model::Connection::Live)
}

/// The query a stream URL carries besides the part's own: the fingerprint its page showed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Seen {
    pub fp: Option<u64>,
}

/// Renders a fragment template; a failure is logged and gives `None`.
pub fn html<T: askama::Template>(t: &T) -> Option<String> {
    t.render()
        .map_err(|e| tracing::error!("cannot render a live part: {e}"))
        .ok()
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

    #[tokio::test]
    async fn viewers_of_a_part_share_one_render_per_fingerprint() {
        let r = Renders::default();
        let calls = std::sync::atomic::AtomicU32::new(0);
        let render = || async {
            let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            Some(Rendered::Html(format!("v{n}")))
        };
        let a = r.get_or_render("/nodes/live", 7, render).await.unwrap();
        let b = r.get_or_render("/nodes/live", 7, render).await.unwrap();
        assert_eq!(a, b);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        let c = r.get_or_render("/nodes/live", 8, render).await.unwrap();
        assert_eq!(*c, Rendered::Html("v2".into()));
        r.get_or_render("/nodes/live?role=worker", 8, render).await;
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn viewers_woken_together_wait_for_one_render_and_a_failure_is_not_kept() {
        let r = Arc::new(Renders::default());
        let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let viewers: Vec<_> = (0..20)
            .map(|_| {
                let (r, calls) = (r.clone(), calls.clone());
                tokio::spawn(async move {
                    r.get_or_render("/stacks/a/live", 5, || async {
                        calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Some(Rendered::Html("v".into()))
                    })
                    .await
                })
            })
            .collect();
        for v in viewers {
            assert_eq!(
                v.await.unwrap().as_deref(),
                Some(&Rendered::Html("v".into()))
            );
        }
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(r.get_or_render("/x", 1, || async { None }).await.is_none());
        let again = r.get_or_render("/x", 1, || async { Some(Rendered::Html("x".into())) });
        assert_eq!(again.await.as_deref(), Some(&Rendered::Html("x".into())));
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
