//! One live model of the swarm, shared by every page and live part.
//!
//! Why: a page that asks Docker on every view puts the cost of every open tab on the manager
//! (the Raft leader). The model is loaded once and kept current from Docker's event stream by
//! one background task ([`sync`]) whose Docker calls are bounded per second whatever the
//! number of viewers; pages read an immutable [`Snapshot`] (an `Arc`, cheap and consistent)
//! and live parts wait on [`Model::subscribe`] for the next generation.
//!
//! Reads the model does not hold stay direct Docker calls: a service's full spec, logs, join
//! tokens.

pub mod events;
mod fetch;
mod pending;
pub mod snapshot;
mod store;
mod sync;
pub mod task;
pub mod usage;
mod wire;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

use crate::docker::Engine;
pub use events::Action;
pub use snapshot::{Changes, Config, Connection, Network, Object, Secret, Snapshot, Stack, Swarm};
pub use task::Task;

/// How long berth's own action waits for the model to hold what it changed.
pub const CATCH_UP: Duration = Duration::from_secs(3);

/// What the sync task is asked by the rest of berth.
pub(crate) enum Hint {
    /// refetch this
    Do(Action),
    /// answer once everything asked before is fetched and published
    Tell(oneshot::Sender<()>),
}

/// How the model keeps up with Docker.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// A full reload this often heals anything the events and the poll missed.
    pub reconcile: Duration,
    /// `GET /services?status=true` this often finds task changes no event announces.
    pub poll: Duration,
    /// At most this many Docker calls a second, whatever happens.
    pub max_calls: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            reconcile: Duration::from_secs(60),
            poll: Duration::from_secs(2),
            max_calls: 10,
        }
    }
}

pub(crate) struct Shared {
    snap: RwLock<Arc<Snapshot>>,
    tx: watch::Sender<u64>,
    settings: Settings,
}

impl Shared {
    /// Makes the store's changes visible, if there are any.
    fn publish(&self, store: &mut store::Store) {
        if let Some(s) = store.publish() {
            let generation = s.generation;
            *self.snap.write().unwrap_or_else(|p| p.into_inner()) = s;
            self.tx.send_replace(generation);
        }
    }
}

/// The handle every handler gets (through the state). Cheap to clone.
#[derive(Clone)]
pub struct Model {
    shared: Arc<Shared>,
    hints: mpsc::Sender<Hint>,
    receiver: Arc<Mutex<Option<mpsc::Receiver<Hint>>>>,
    started: Arc<AtomicBool>,
}

impl Model {
    /// An empty model (`Connection::Starting`) until [`Model::start`] runs its sync task.
    pub fn new(settings: Settings) -> Model {
        let (hints, rx) = mpsc::channel(1024);
        Model {
            shared: Arc::new(Shared {
                snap: RwLock::new(Arc::new(Snapshot::default())),
                tx: watch::Sender::new(0),
                settings,
            }),
            hints,
            receiver: Arc::new(Mutex::new(Some(rx))),
            started: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Starts following `engine` (once; later calls return `None`). The task ends when the
    /// model and every clone of it are dropped, or when aborted.
    pub fn start(&self, engine: Engine) -> Option<tokio::task::JoinHandle<()>> {
        if self.started.swap(true, Ordering::SeqCst) {
            return None;
        }
        let rx = self
            .receiver
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()?;
        Some(tokio::spawn(sync::run(engine, self.shared.clone(), rx)))
    }

    /// The current view: immutable, consistent, cheap (an `Arc` clone).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.shared
            .snap
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Wakes on every new snapshot; the value is its generation.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.shared.tx.subscribe()
    }

    pub fn settings(&self) -> Settings {
        self.shared.settings
    }

    /// Asks for an immediate refetch of a service and its tasks (after berth's own action;
    /// the event stream would bring it too). Never blocks; dropped when the queue is full.
    pub fn refresh_service(&self, id: &str) {
        let _ = self
            .hints
            .try_send(Hint::Do(Action::Service(id.to_string())));
    }

    pub fn refresh_node(&self, id: &str) {
        let _ = self.hints.try_send(Hint::Do(Action::Node(id.to_string())));
    }

    /// Asks for a full reload.
    pub fn resync(&self) {
        let _ = self.hints.try_send(Hint::Do(Action::Everything));
    }

    /// Read-your-writes after berth's own change: refetches `actions` now and waits (at most
    /// [`CATCH_UP`]) until the model has published what Docker answers, so the page berth
    /// shows next holds the change. Returns at once (false) while the model is not live: the
    /// pages read Docker then.
    pub async fn catch_up(&self, actions: impl IntoIterator<Item = Action>) -> bool {
        if !self.snapshot().docker_reachable() {
            return false;
        }
        for a in actions {
            if self.hints.try_send(Hint::Do(a)).is_err() {
                return false;
            }
        }
        let (tx, rx) = oneshot::channel();
        if self.hints.try_send(Hint::Tell(tx)).is_err() {
            return false;
        }
        matches!(tokio::time::timeout(CATCH_UP, rx).await, Ok(Ok(())))
    }

    /// Waits until the model has loaded once or knows it cannot (for start-up and tests);
    /// false after `timeout`.
    pub async fn ready(&self, timeout: Duration) -> bool {
        let mut rx = self.subscribe();
        let model = self.clone();
        let wait = rx.wait_for(move |_| model.snapshot().connection != Connection::Starting);
        matches!(tokio::time::timeout(timeout, wait).await, Ok(Ok(_)))
    }

    /// Reloads everything now and waits until the reload is published: read-your-writes for
    /// a change made behind berth's back (tests). False after `timeout`.
    pub async fn sync_now(&self, timeout: Duration) -> bool {
        let before = self.snapshot().synced_at;
        let mut rx = self.subscribe();
        self.resync();
        let model = self.clone();
        let wait = rx.wait_for(move |_| {
            let s = model.snapshot();
            s.synced_at.is_some() && s.synced_at != before
        });
        matches!(tokio::time::timeout(timeout, wait).await, Ok(Ok(_)))
    }
}
