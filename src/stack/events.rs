//! What a deploy or a removal tells as it goes (for the CLI's lines and the web UI's SSE
//! stream), and what it reports at the end.

use std::time::Duration;

use serde::Serialize;

use super::diff::ServiceDiff;
use super::plan::Plan;

/// The kinds of swarm objects a stack holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Service,
    Network,
    Secret,
    Config,
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ObjectKind::Service => "service",
            ObjectKind::Network => "network",
            ObjectKind::Secret => "secret",
            ObjectKind::Config => "config",
        })
    }
}

/// One step of a deploy, as it happens.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DeployEvent {
    /// A loader, image or daemon warning (the CLI prints these to stderr).
    Warning {
        message: String,
    },
    /// `--prune` removed a service that is no longer in the file.
    ServiceRemoved {
        name: String,
        id: String,
    },
    NetworkCreated {
        name: String,
        id: String,
    },
    SecretCreated {
        name: String,
        id: String,
    },
    /// The secret's labels changed (its data is compared by the daemon).
    SecretUpdated {
        name: String,
        id: String,
    },
    ConfigCreated {
        name: String,
        id: String,
    },
    ConfigUpdated {
        name: String,
        id: String,
    },
    ServiceCreated {
        name: String,
        id: String,
    },
    /// An existing service got the file's spec; `diff` says what changed.
    ServiceUpdated {
        name: String,
        id: String,
        diff: ServiceDiff,
    },
    /// The running spec already matches the file: nothing was sent, no task restarts.
    ServiceUnchanged {
        name: String,
        id: String,
    },
    /// A step failed; the deploy stops here (see [`DeployReport`]).
    Failed {
        kind: ObjectKind,
        name: String,
        error: String,
    },
    /// Task progress of one service while waiting (sent when it changes).
    Tasks(ServiceProgress),
    /// Every service runs what the file asks for (and kept doing so for the settle time).
    Converged {
        elapsed_ms: u64,
    },
    /// Waiting ended without convergence: tasks keep failing, an update paused, or the time
    /// ran out.
    NotConverged {
        reason: String,
    },
}

impl DeployEvent {
    /// The line the command line prints (the docker CLI's wording where it has one), and
    /// whether it belongs on stderr. `None` for events the CLI does not print.
    pub fn line(&self) -> Option<(String, bool)> {
        let out = |s: String| Some((s, false));
        match self {
            DeployEvent::Warning { message } => Some((message.clone(), true)),
            DeployEvent::ServiceRemoved { name, .. } => out(format!("Removing service {name}")),
            DeployEvent::NetworkCreated { name, .. } => out(format!("Creating network {name}")),
            DeployEvent::SecretCreated { name, .. } => out(format!("Creating secret {name}")),
            DeployEvent::ConfigCreated { name, .. } => out(format!("Creating config {name}")),
            DeployEvent::SecretUpdated { .. } | DeployEvent::ConfigUpdated { .. } => None,
            DeployEvent::ServiceCreated { name, .. } => out(format!("Creating service {name}")),
            DeployEvent::ServiceUpdated { name, id, diff } => out(format!(
                "Updating service {name} (id: {id}): {}",
                diff.summary()
            )),
            DeployEvent::ServiceUnchanged { name, id } => {
                out(format!("Service {name} is unchanged (id: {id})"))
            }
            DeployEvent::Failed { error, .. } => Some((error.clone(), true)),
            DeployEvent::Tasks(p) => out(p.line()),
            DeployEvent::Converged { elapsed_ms } => out(format!(
                "Stack converged in {:.1} s",
                *elapsed_ms as f64 / 1000.0
            )),
            DeployEvent::NotConverged { reason } => {
                Some((format!("Stack did not converge: {reason}"), true))
            }
        }
    }
}

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Removed,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Removed => "removed",
        })
    }
}

/// One object a deploy handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Done {
    pub kind: ObjectKind,
    pub name: String,
    pub id: String,
    pub outcome: Outcome,
}

/// The step that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub kind: ObjectKind,
    pub name: String,
    /// The CLI's message, e.g. `failed to create service app_web: Error response from daemon: …`.
    pub error: String,
}

/// How waiting ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Convergence {
    pub converged: bool,
    /// Why not, when not.
    pub reason: Option<String>,
    /// The last progress of every service.
    pub services: Vec<ServiceProgress>,
    #[serde(skip)]
    pub elapsed: Duration,
}

/// The end of a deploy that got past validation: what was done, what failed, what was not
/// attempted. A corrected redeploy of the same stack picks up from any of these states.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeployReport {
    pub stack: String,
    /// What was planned (with each service's diff).
    pub plan: Plan,
    /// Objects handled, in order.
    pub done: Vec<Done>,
    /// The step that failed, if one did.
    pub failed: Option<Failure>,
    /// Steps not attempted because of the failure.
    pub not_attempted: Vec<(ObjectKind, String)>,
    /// The wait's outcome (`None` when detached or when a step failed).
    pub convergence: Option<Convergence>,
}

impl DeployReport {
    /// Every step succeeded and, when waited for, the stack converged.
    pub fn succeeded(&self) -> bool {
        self.failed.is_none() && self.convergence.as_ref().is_none_or(|c| c.converged)
    }

    /// The objects handled with a given outcome.
    pub fn names(&self, kind: ObjectKind, outcome: Outcome) -> Vec<&str> {
        self.done
            .iter()
            .filter(|d| d.kind == kind && d.outcome == outcome)
            .map(|d| d.name.as_str())
            .collect()
    }
}

/// One step of a removal, as it happens.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RemoveEvent {
    /// Nothing carries the stack's label.
    NothingFound { stack: String },
    /// About to remove an object (`Removing service x`).
    Removing { kind: ObjectKind, name: String },
    /// A removal failed; the others go on.
    Failed {
        kind: ObjectKind,
        id: String,
        error: String,
    },
    /// Waiting for swarm to really delete the stack's networks (they go once tasks detach).
    WaitingForNetworks { names: Vec<String> },
    /// Tasks of the removed services still stopping (their containers hold local copies of
    /// the stack's networks until they are gone).
    WaitingForTasks { count: usize },
    /// Everything of the stack is gone.
    Removed { stack: String },
}

impl RemoveEvent {
    /// The CLI's line and whether it goes to stderr.
    pub fn line(&self) -> (String, bool) {
        match self {
            RemoveEvent::NothingFound { stack } => {
                (format!("Nothing found in stack: {stack}"), true)
            }
            RemoveEvent::Removing { kind, name } => (format!("Removing {kind} {name}"), false),
            RemoveEvent::Failed { kind, id, error } => {
                (format!("Failed to remove {kind} {id}: {error}"), true)
            }
            RemoveEvent::WaitingForNetworks { names } => (
                format!(
                    "Waiting for the stack's networks to be removed: {}",
                    names.join(", ")
                ),
                false,
            ),
            RemoveEvent::WaitingForTasks { count } => (
                format!("Waiting for {count} task(s) of the removed services to stop"),
                false,
            ),
            RemoveEvent::Removed { stack } => (format!("Stack {stack} removed"), false),
        }
    }
}

/// The end of a removal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoveReport {
    pub stack: String,
    /// Something carried the stack's label.
    pub found: bool,
    /// Objects removed, in order.
    pub removed: Vec<(ObjectKind, String)>,
    /// Failures (`Failed to remove …` lines).
    pub failures: Vec<String>,
    /// Networks still present when waiting gave up (empty when they are gone or not waited for).
    pub networks_left: Vec<String>,
    /// Tasks of the stack still on a node, not finished (a container may still start or run),
    /// when the wait ended.
    pub tasks_left: usize,
}

impl RemoveReport {
    pub fn succeeded(&self) -> bool {
        self.failures.is_empty() && self.networks_left.is_empty() && self.tasks_left == 0
    }
}

/// Where a service stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressState {
    /// Tasks are being scheduled, pulled, started.
    Starting,
    /// Every desired task runs (or, for a job, every completion is done).
    Converged,
    /// Tasks keep failing and nothing runs.
    Failing,
    /// The update paused or rolled back.
    Paused,
}

/// Task progress of one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceProgress {
    pub service: String,
    /// Up-to-date tasks running.
    pub running: u64,
    /// Tasks wanted: replicas, eligible nodes for global services, concurrency for jobs.
    pub desired: u64,
    /// Jobs: completed tasks and completions wanted (`None` for services).
    pub job: Option<(u64, u64)>,
    /// Up-to-date tasks that failed or were rejected.
    pub failures: u64,
    pub state: ProgressState,
    /// The newest task error (`No such image: x:1`), why a task cannot be scheduled
    /// (`no suitable node …`), or why the update paused.
    pub error: Option<String>,
}

impl ServiceProgress {
    /// `app_web: 2/3 running`, `app_job: 1/1 completed`, `…, last error: No such image: x:1`.
    pub fn line(&self) -> String {
        let mut s = match self.job {
            Some((done, total)) => format!("{}: {done}/{total} completed", self.service),
            None => format!(
                "{}: {}/{} running",
                self.service, self.running, self.desired
            ),
        };
        match self.state {
            ProgressState::Converged => s.push_str(" (converged)"),
            ProgressState::Failing => s.push_str(", failing"),
            ProgressState::Paused => s.push_str(", update paused"),
            ProgressState::Starting => {}
        }
        if let Some(e) = &self.error {
            s.push_str(&format!(": {e}"));
        }
        s
    }
}
