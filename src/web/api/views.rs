//! What the API answers, as typed views of the domain's data (the JSON shapes of
//! `/work/notes/contracts/api.md`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::stack::jobs::{Job, JobKind, Line};
use crate::stack::{StackService, StackSummary, StackTask};
use crate::web::urls;

/// A deploy or removal job.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: String,
    pub stack: String,
    /// `deploy` or `remove`
    #[schema(value_type = String)]
    pub kind: JobKind,
    /// The stack version a deploy stores (`null` for removals).
    pub version: Option<i64>,
    /// `running`, or how it ended: `ok`, `degraded`, `failed`, `superseded`.
    pub status: &'static str,
    pub summary: Option<String>,
    /// `{"seq": 0, "level": "info|ok|warn|error", "text": "…"}`
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<Line>,
    pub url: String,
}

impl From<&Job> for JobView {
    fn from(job: &Job) -> JobView {
        let end = job.end();
        JobView {
            id: job.id.clone(),
            stack: job.stack.clone(),
            kind: job.kind,
            version: (job.kind == JobKind::Deploy).then_some(job.version),
            status: end.as_ref().map_or("running", |e| e.outcome.as_str()),
            summary: end.map(|e| e.summary),
            lines: job.lines(),
            url: urls::api_job(&job.id),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobBody {
    pub job: JobView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StacksBody {
    pub stacks: Vec<StackView>,
}

/// One stack of `stack ls`, with its task counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct StackView {
    pub name: String,
    pub services: usize,
    pub tasks_running: u64,
    pub tasks_desired: u64,
    pub tasks_failing: usize,
    pub last_error: Option<String>,
}

impl From<StackSummary> for StackView {
    fn from(s: StackSummary) -> StackView {
        StackView {
            name: s.name,
            services: s.services,
            tasks_running: s.tasks_running,
            tasks_desired: s.tasks_desired,
            tasks_failing: s.tasks_failing,
            last_error: s.last_error,
        }
    }
}

/// One stack: `stack services` and `stack ps`, and the newest version berth stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct StackDetail {
    pub name: String,
    pub version: Option<i64>,
    pub services: Vec<StackServiceView>,
    pub tasks: Vec<StackTaskView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StackServiceView {
    pub id: String,
    pub name: String,
    pub mode: String,
    /// `2/3`, jobs `0/1 (1/1 completed)`
    pub replicas: String,
    pub running: u64,
    pub desired: u64,
    pub completed: Option<u64>,
    pub image: String,
    pub ports: Vec<String>,
}

impl From<StackService> for StackServiceView {
    fn from(s: StackService) -> StackServiceView {
        StackServiceView {
            replicas: s.replicas(),
            id: s.id,
            name: s.name,
            mode: s.mode,
            running: s.running,
            desired: s.desired,
            completed: s.completed,
            image: s.image,
            ports: s.ports,
        }
    }
}

/// One task of `stack ps`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StackTaskView {
    pub id: String,
    /// `app_web.1`
    pub name: String,
    pub service: String,
    /// the node's hostname
    pub node: String,
    pub image: String,
    pub desired_state: String,
    pub state: String,
    /// when the task reached its state (unix seconds)
    pub since: Option<i64>,
    pub error: String,
    pub ports: Vec<String>,
    /// an older task of the same slot
    pub superseded: bool,
}

impl From<StackTask> for StackTaskView {
    fn from(t: StackTask) -> StackTaskView {
        StackTaskView {
            id: t.task.id,
            name: t.name,
            service: t.service,
            node: t.node,
            image: t.task.image,
            desired_state: t.task.desired_state,
            state: t.task.state,
            since: t.task.since,
            error: t.task.error,
            ports: t.task.ports,
            superseded: t.superseded,
        }
    }
}

/// A stack's stored versions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionsBody {
    pub stack: String,
    pub versions: Vec<VersionView>,
}

/// One stored version of a stack (its history row).
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    /// unix seconds
    pub created_at: i64,
    /// who deployed it (a user, `webhook #N`, a git sync)
    pub username: Option<String>,
    /// `running`, `ok`, `degraded`, `failed`, `superseded`
    pub outcome: String,
    pub summary: Option<String>,
    pub finished_at: Option<i64>,
    /// the version it redeployed
    pub redeploy_of: Option<i64>,
    /// the image each service was deployed with (`{"service": "image@digest"}`)
    #[schema(value_type = Object)]
    pub images: std::collections::BTreeMap<String, String>,
    /// the commit of a git-backed stack's version
    pub commit: Option<CommitView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommitView {
    pub sha: String,
    /// the first line of its message
    pub subject: String,
    pub author: String,
}

impl VersionView {
    pub fn new(v: crate::db::stacks::Version, commit: Option<crate::git::Commit>) -> VersionView {
        VersionView {
            images: v.images_of(),
            version: v.version,
            created_at: v.created_at,
            username: v.username,
            outcome: v.outcome,
            summary: v.summary,
            finished_at: v.finished_at,
            redeploy_of: v.redeploy_of,
            commit: commit.map(|c| CommitView {
                sha: c.sha,
                subject: c.message,
                author: c.author,
            }),
        }
    }
}
