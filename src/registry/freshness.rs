//! "Update available": whether a running service's image has a newer digest on its registry.
//!
//! A service deployed from a tag runs a pinned digest (`name:tag@sha256:…` in its spec). This
//! cache remembers, per image (`name:tag`), the digest the registry reported for the tag last;
//! a page asks [`Freshness::update_available`] per row, which answers from the cache at once
//! and, when the image was last asked about more than the interval ago, starts one check in
//! the background. So a registry sees at most one request per image per interval, however
//! many services share the image and however many pages are open, and none while nobody looks.
//!
//! Rate limits: a 429 pauses every check of that registry for its Retry-After (else ten
//! intervals); `RateLimit-Remaining: 0` (Docker Hub) pauses it for ten intervals. Docker Hub
//! does not count HEAD requests against the pull limit, but answers 429 when it is exceeded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::SqlitePool;

use super::client::Session;
use super::{ImageRef, RegistryError};
use crate::syntax::reference;

/// Images remembered at most; beyond it, entries not asked about for two intervals go.
const MAX_IMAGES: usize = 10_000;

/// The cache of current digests; cheap to clone.
#[derive(Clone)]
pub struct Freshness(Arc<Shared>);

struct Shared {
    db: SqlitePool,
    interval: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    images: HashMap<String, Entry>,
    registries: HashMap<String, Registry>,
}

#[derive(Default)]
struct Entry {
    /// the tag's digest on the registry, as last seen
    current: Option<String>,
    /// when a check was last started
    asked: Option<Instant>,
}

#[derive(Default)]
struct Registry {
    /// the session, and the stored settings' version it was made with
    session: Option<(Option<i64>, Arc<tokio::sync::Mutex<Session>>)>,
    paused_until: Option<Instant>,
}

impl Freshness {
    pub fn new(db: SqlitePool, interval: Duration) -> Freshness {
        Freshness(Arc::new(Shared {
            db,
            interval,
            state: Mutex::new(State::default()),
        }))
    }

    pub fn interval(&self) -> Duration {
        self.0.interval
    }

    /// Whether the registry has another digest for the tag of `image` (the image as in a
    /// service's spec) than the one it is pinned to. Answers from the cache; starts a check in
    /// the background when one is due. False when unknown or not pinned to a digest.
    pub fn update_available(&self, image: &str) -> bool {
        let Some((name, running)) = image.split_once('@') else {
            return false;
        };
        let Ok(named) = reference::parse_normalized_named(name) else {
            return false;
        };
        if named.tag.is_none() {
            return false;
        }
        let now = Instant::now();
        let (due, stale) = {
            let Ok(mut st) = self.0.state.lock() else {
                return false;
            };
            if st.images.len() >= MAX_IMAGES {
                let keep = self.0.interval * 2;
                st.images
                    .retain(|_, e| e.asked.is_some_and(|t| now.duration_since(t) < keep));
            }
            let registry = super::registry_of_image(name).unwrap_or_default();
            let paused = st
                .registries
                .get(&registry)
                .and_then(|r| r.paused_until)
                .is_some_and(|until| now < until);
            let e = st.images.entry(name.to_string()).or_default();
            let due = !paused
                && e.asked
                    .is_none_or(|t| now.duration_since(t) >= self.0.interval);
            if due {
                // marked before the check starts (one step under the lock): one check per
                // image per interval, however many rows and pages ask at once
                e.asked = Some(now);
            }
            (due, e.current.as_deref().is_some_and(|d| d != running))
        };
        if due {
            let me = self.clone();
            let name = name.to_string();
            tokio::spawn(async move { me.check(&name).await });
        }
        stale
    }

    /// Asks the registry for the current digest of `name` (`name:tag`) and remembers it.
    async fn check(&self, name: &str) {
        let Ok(r) = ImageRef::parse(name) else {
            return;
        };
        let session = match self.session(&r.registry).await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!("update check of {name}: {e}");
                return;
            }
        };
        let result = session.lock().await.manifest_digest(&r.repo, &r.tag).await;
        let pause = self.0.interval * 10;
        let Ok(mut st) = self.0.state.lock() else {
            return;
        };
        match result {
            Ok(head) => {
                if head.remaining == Some(0) {
                    st.registries
                        .entry(r.registry.clone())
                        .or_default()
                        .paused_until = Some(Instant::now() + pause);
                }
                st.images.entry(name.to_string()).or_default().current = Some(head.digest);
            }
            Err(RegistryError::RateLimited { retry_after, .. }) => {
                tracing::warn!(
                    "{} is rate limiting berth's update checks: pausing them",
                    r.registry
                );
                st.registries
                    .entry(r.registry.clone())
                    .or_default()
                    .paused_until = Some(Instant::now() + retry_after.unwrap_or(pause));
            }
            Err(e) => tracing::debug!("update check of {name}: {e}"),
        }
    }

    /// The session with a registry, made again when its stored settings changed.
    async fn session(
        &self,
        registry: &str,
    ) -> Result<Arc<tokio::sync::Mutex<Session>>, RegistryError> {
        let version = super::settings_version(&self.0.db, registry).await?;
        if let Ok(st) = self.0.state.lock()
            && let Some((v, s)) = st.registries.get(registry).and_then(|r| r.session.as_ref())
            && *v == version
        {
            return Ok(s.clone());
        }
        let session = Arc::new(tokio::sync::Mutex::new(
            super::session(&self.0.db, registry).await?,
        ));
        if let Ok(mut st) = self.0.state.lock() {
            st.registries
                .entry(registry.to_string())
                .or_default()
                .session = Some((version, session.clone()));
        }
        Ok(session)
    }
}
