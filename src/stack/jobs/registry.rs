//! The jobs berth runs or remembers, and one lane per stack that orders them: applying changes
//! to a stack is exclusive, waiting for it to converge is not.
//!
//! A lane holds at most one job *applying* (a deploy until its changes are applied, or a whole
//! removal), at most one deploy *waiting* for convergence, and at most one request *queued*
//! behind the applying job. Every transition happens under one lock with no await inside, so
//! checking a stack's jobs and registering a new one is a single step:
//! - a new request on a lane with nothing applying starts at once; a deploy that was waiting is
//!   told it has been superseded (its wait ends, the new job goes ahead);
//! - while a job applies, the new request queues; a newer request replaces the queued one,
//!   which ends superseded without running;
//! - a deploy of a version older than one already on the lane ends superseded at once (two
//!   submissions racing cannot let the older file win).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, oneshot};

use super::{End, JobKind, Level, Line, Outcome, Update};

/// Finished jobs are forgotten after this long (deploys are also stored in the database).
const KEEP_FINISHED: Duration = Duration::from_secs(3600);

struct State {
    lines: Vec<Line>,
    end: Option<(End, Instant)>,
}

/// A running or finished job.
pub struct Job {
    pub id: String,
    /// The stack it works on.
    pub stack: String,
    pub kind: JobKind,
    /// The stack version a deploy stores (0 for removals).
    pub version: i64,
    pub started: Instant,
    state: Mutex<State>,
    tx: broadcast::Sender<Update>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("id", &self.id)
            .field("stack", &self.stack)
            .field("kind", &self.kind)
            .field("version", &self.version)
            .finish()
    }
}

impl Job {
    fn new(stack: &str, kind: JobKind, version: i64) -> Arc<Job> {
        let (tx, _) = broadcast::channel(1024);
        Arc::new(Job {
            id: format!("{}-{}", kind.as_str(), crate::auth::tokens::random_token(9)),
            stack: stack.to_string(),
            kind,
            version,
            started: Instant::now(),
            state: Mutex::new(State {
                lines: Vec::new(),
                end: None,
            }),
            tx,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What the job is, in a sentence's words: `version 4` or `a removal`.
    pub fn describe(&self) -> String {
        match self.kind {
            JobKind::Deploy => format!("version {}", self.version),
            JobKind::Remove => "a removal".to_string(),
        }
    }

    /// Appends a line and tells every follower.
    pub fn push(&self, level: Level, text: impl Into<String>) {
        let mut st = self.lock();
        let line = Line {
            seq: st.lines.len(),
            level,
            text: text.into(),
        };
        st.lines.push(line.clone());
        let _ = self.tx.send(Update::Line(line));
    }

    /// Marks the job finished (only the first call counts).
    pub fn finish(&self, outcome: Outcome, summary: impl Into<String>) {
        let mut st = self.lock();
        if st.end.is_some() {
            return;
        }
        let end = End {
            outcome,
            summary: summary.into(),
        };
        st.end = Some((end.clone(), Instant::now()));
        let _ = self.tx.send(Update::End(end));
    }

    pub fn lines(&self) -> Vec<Line> {
        self.lock().lines.clone()
    }

    pub fn end(&self) -> Option<End> {
        self.lock().end.as_ref().map(|(e, _)| e.clone())
    }

    /// Everything so far plus a receiver for what comes next, with nothing lost in between.
    pub fn follow(&self) -> (Vec<Line>, Option<End>, broadcast::Receiver<Update>) {
        let st = self.lock();
        (
            st.lines.clone(),
            st.end.as_ref().map(|(e, _)| e.clone()),
            self.tx.subscribe(),
        )
    }
}

/// Why a job ended without finishing its work: a newer job on its stack.
#[derive(Debug, Clone)]
pub struct Superseded {
    pub by: Arc<Job>,
}

/// A job and the work it will do when its turn comes.
pub struct Pending<W> {
    pub job: Arc<Job>,
    pub work: W,
}

struct Lane<W> {
    applying: Option<Arc<Job>>,
    waiting: Option<(Arc<Job>, oneshot::Sender<Superseded>)>,
    queued: Option<Pending<W>>,
}

impl<W> Default for Lane<W> {
    fn default() -> Self {
        Lane {
            applying: None,
            waiting: None,
            queued: None,
        }
    }
}

impl<W> Lane<W> {
    fn is_empty(&self) -> bool {
        self.applying.is_none() && self.waiting.is_none() && self.queued.is_none()
    }

    /// The newest deploy version on the lane.
    fn newest_version(&self) -> i64 {
        self.applying
            .iter()
            .chain(self.waiting.as_ref().map(|(j, _)| j))
            .chain(self.queued.as_ref().map(|p| &p.job))
            .filter(|j| j.kind == JobKind::Deploy)
            .map(|j| j.version)
            .max()
            .unwrap_or(0)
    }
}

/// What a new request does.
pub enum Submitted<W> {
    /// It runs now (a waiting deploy, if any, was told it is superseded).
    Start(Pending<W>),
    /// It waits for `behind` to finish applying; `dropped` is the request it replaced in the
    /// queue, which ends superseded without running.
    Queued {
        job: Arc<Job>,
        behind: Arc<Job>,
        dropped: Option<Pending<W>>,
    },
    /// A newer version is already on the lane: this one ends superseded without running.
    Outdated { pending: Pending<W>, by: Arc<Job> },
}

/// What a job does once its changes are applied.
pub enum AfterApply<W> {
    /// A request queued behind it: that one starts now (the caller runs it), and this job
    /// does not wait: a deploy whose changes were applied is superseded by `next`.
    Next(Pending<W>),
    /// It may wait; the receiver tells it when a newer job supersedes the wait.
    Wait(oneshot::Receiver<Superseded>),
    /// Nothing more to do.
    Done,
}

struct Inner<W> {
    jobs: HashMap<String, Arc<Job>>,
    lanes: HashMap<String, Lane<W>>,
}

/// All jobs of this berth, and the lanes that order them by stack.
pub struct Registry<W> {
    inner: Mutex<Inner<W>>,
}

impl<W> Default for Registry<W> {
    fn default() -> Self {
        Registry {
            inner: Mutex::new(Inner {
                jobs: HashMap::new(),
                lanes: HashMap::new(),
            }),
        }
    }
}

impl<W> Registry<W> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<W>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a new job on `stack` and decides, in the same step, whether it starts now.
    pub fn submit(&self, stack: &str, kind: JobKind, version: i64, work: W) -> Submitted<W> {
        let mut inner = self.lock();
        inner.jobs.retain(|_, j| {
            j.lock()
                .end
                .as_ref()
                .is_none_or(|(_, at)| at.elapsed() < KEEP_FINISHED)
        });
        let job = Job::new(stack, kind, version);
        inner.jobs.insert(job.id.clone(), job.clone());
        let pending = Pending { job, work };
        let lane = inner.lanes.entry(stack.to_string()).or_default();
        if kind == JobKind::Deploy && lane.newest_version() > version {
            let by = lane
                .applying
                .iter()
                .chain(lane.waiting.as_ref().map(|(j, _)| j))
                .chain(lane.queued.as_ref().map(|p| &p.job))
                .filter(|j| j.kind == JobKind::Deploy)
                .max_by_key(|j| j.version)
                .cloned()
                .unwrap_or_else(|| pending.job.clone());
            return Submitted::Outdated { pending, by };
        }
        if let Some(behind) = lane.applying.clone() {
            pending.job.push(
                Level::Info,
                format!(
                    "Queued: {} is applying its changes to {stack}; this starts when it is done.",
                    behind.describe()
                ),
            );
            let job = pending.job.clone();
            let dropped = lane.queued.replace(pending);
            return Submitted::Queued {
                job,
                behind,
                dropped,
            };
        }
        if let Some((_, tx)) = lane.waiting.take() {
            let _ = tx.send(Superseded {
                by: pending.job.clone(),
            });
        }
        lane.applying = Some(pending.job.clone());
        Submitted::Start(pending)
    }

    /// `job` finished applying its changes (`wait`: it would now wait for convergence).
    pub fn applied(&self, job: &Arc<Job>, wait: bool) -> AfterApply<W> {
        let mut inner = self.lock();
        let Some(lane) = inner.lanes.get_mut(&job.stack) else {
            return AfterApply::Done;
        };
        if lane.applying.as_ref().is_some_and(|j| Arc::ptr_eq(j, job)) {
            lane.applying = None;
        }
        if lane.applying.is_none()
            && let Some(next) = lane.queued.take()
        {
            lane.applying = Some(next.job.clone());
            return AfterApply::Next(next);
        }
        if !wait {
            return AfterApply::Done;
        }
        let (tx, rx) = oneshot::channel();
        lane.waiting = Some((job.clone(), tx));
        AfterApply::Wait(rx)
    }

    /// `job` ended: it leaves its lane.
    pub fn finished(&self, job: &Arc<Job>) {
        let mut inner = self.lock();
        let Some(lane) = inner.lanes.get_mut(&job.stack) else {
            return;
        };
        if lane
            .waiting
            .as_ref()
            .is_some_and(|(j, _)| Arc::ptr_eq(j, job))
        {
            lane.waiting = None;
        }
        if lane.is_empty() {
            inner.lanes.remove(&job.stack);
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.lock().jobs.get(id).cloned()
    }

    /// The deploy job that stores `version` of `stack`, while berth remembers it.
    pub fn deploy_of(&self, stack: &str, version: i64) -> Option<Arc<Job>> {
        self.lock()
            .jobs
            .values()
            .find(|j| j.kind == JobKind::Deploy && j.stack == stack && j.version == version)
            .cloned()
    }

    /// A job running, waiting or queued on `stack`, if any.
    pub fn running_on(&self, stack: &str) -> Option<Arc<Job>> {
        self.lock()
            .jobs
            .values()
            .filter(|j| j.stack == stack && j.end().is_none())
            .max_by_key(|j| j.started)
            .cloned()
    }
}

#[cfg(test)]
mod tests;
