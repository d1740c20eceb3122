//! Long operations that outlive the request that started them (stack deploys and removals):
//! each job keeps its progress log, which pages show and server-sent event streams follow —
//! from the first line, however late they join. Closing the browser does not stop a job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::broadcast;

/// Finished jobs are forgotten after this long (deploys are also stored in the database).
const KEEP_FINISHED: Duration = Duration::from_secs(3600);

/// One line of a job's progress.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Line {
    /// 0, 1, 2, …
    pub seq: usize,
    /// info, ok, warn or error
    pub level: &'static str,
    pub text: String,
}

/// How a job ended.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct End {
    /// ok, degraded or failed
    pub outcome: String,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Update {
    Line(Line),
    End(End),
}

struct State {
    lines: Vec<Line>,
    end: Option<(End, Instant)>,
}

/// A running or finished job.
pub struct Job {
    pub id: String,
    /// The stack it works on (one job per stack at a time).
    pub stack: String,
    /// "deploy" or "remove"
    pub kind: &'static str,
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
            .finish()
    }
}

impl Job {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends a line and tells every follower.
    pub fn push(&self, level: &'static str, text: impl Into<String>) {
        let mut st = self.lock();
        let line = Line {
            seq: st.lines.len(),
            level,
            text: text.into(),
        };
        st.lines.push(line.clone());
        let _ = self.tx.send(Update::Line(line));
    }

    /// Marks the job finished.
    pub fn finish(&self, outcome: &str, summary: impl Into<String>) {
        let mut st = self.lock();
        let end = End {
            outcome: outcome.to_string(),
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

/// All jobs of this berth.
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
}

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Job>>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a job on `stack`, or returns the job already running on it.
    pub fn start(
        &self,
        stack: &str,
        kind: &'static str,
        version: i64,
    ) -> Result<Arc<Job>, Arc<Job>> {
        let mut jobs = self.lock();
        jobs.retain(|_, j| {
            j.lock()
                .end
                .as_ref()
                .is_none_or(|(_, at)| at.elapsed() < KEEP_FINISHED)
        });
        if let Some(running) = jobs
            .values()
            .find(|j| j.stack == stack && j.end().is_none())
        {
            return Err(running.clone());
        }
        let id = format!("{kind}-{}", crate::auth::tokens::random_token(9));
        let (tx, _) = broadcast::channel(1024);
        let job = Arc::new(Job {
            id: id.clone(),
            stack: stack.to_string(),
            kind,
            version,
            started: Instant::now(),
            state: Mutex::new(State {
                lines: Vec::new(),
                end: None,
            }),
            tx,
        });
        jobs.insert(id, job.clone());
        Ok(job)
    }

    pub fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.lock().get(id).cloned()
    }

    /// The deploy job that stores `version` of `stack`, while berth remembers it.
    pub fn deploy_of(&self, stack: &str, version: i64) -> Option<Arc<Job>> {
        self.lock()
            .values()
            .find(|j| j.kind == "deploy" && j.stack == stack && j.version == version)
            .cloned()
    }

    /// The job running on `stack`, if any.
    pub fn running_on(&self, stack: &str) -> Option<Arc<Job>> {
        self.lock()
            .values()
            .find(|j| j.stack == stack && j.end().is_none())
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_job_per_stack_and_late_followers_miss_nothing() {
        let jobs = Jobs::default();
        let a = jobs.start("shop", "deploy", 1).unwrap();
        assert_eq!(jobs.start("shop", "remove", 0).unwrap_err().id, a.id);
        assert!(jobs.start("blog", "deploy", 1).is_ok());
        a.push("info", "Creating network shop_default");
        let (past, end, mut rx) = a.follow();
        assert_eq!(past.len(), 1);
        assert!(end.is_none());
        a.push("ok", "Creating service shop_web");
        a.finish("ok", "1 service created");
        assert_eq!(
            rx.try_recv().unwrap(),
            Update::Line(Line {
                seq: 1,
                level: "ok",
                text: "Creating service shop_web".into()
            })
        );
        assert!(matches!(rx.try_recv().unwrap(), Update::End(e) if e.outcome == "ok"));
        assert_eq!(jobs.deploy_of("shop", 1).unwrap().id, a.id);
        assert!(jobs.running_on("shop").is_none());
        // finished: a new job may start on the stack
        assert!(jobs.start("shop", "remove", 0).is_ok());
    }
}
