//! Tasks, typed for display: what `docker service ps` and `docker node ps` show, plus the
//! resources each task reserves. Shared by the node, service and stack pages.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{Task, TaskState};
use bollard::query_parameters::ListTasksOptions;

use super::DockerError;

/// One task, flattened.
#[derive(Debug, Clone, Default)]
pub struct TaskInfo {
    pub id: String,
    pub service_id: String,
    pub node_id: String,
    /// replicated services number their tasks; global ones do not
    pub slot: Option<i64>,
    pub image: String,
    pub desired_state: String,
    pub state: String,
    /// the task's status message ("started", "preparing", "No such image: …")
    pub message: String,
    /// the error, if the task failed or was rejected ("No such image: x:1", "no suitable node …")
    pub error: String,
    /// when the task reached its current state (unix seconds)
    pub since: Option<i64>,
    pub created: Option<i64>,
    pub exit_code: Option<i64>,
    pub container_id: String,
    pub reserved_nano_cpus: i64,
    pub reserved_memory: i64,
    pub limit_nano_cpus: i64,
    pub limit_memory: i64,
    /// published host-mode ports, as `8080->80/tcp`
    pub ports: Vec<String>,
}

impl TaskInfo {
    pub fn from_task(t: &Task) -> TaskInfo {
        let status = t.status.as_ref();
        let spec = t.spec.as_ref();
        let res = spec.and_then(|s| s.resources.as_ref());
        let reservations = res.and_then(|r| r.reservations.as_ref());
        let limits = res.and_then(|r| r.limits.as_ref());
        TaskInfo {
            id: t.id.clone().unwrap_or_default(),
            service_id: t.service_id.clone().unwrap_or_default(),
            node_id: t.node_id.clone().unwrap_or_default(),
            slot: t.slot.filter(|s| *s > 0),
            image: spec
                .and_then(|s| s.container_spec.as_ref())
                .and_then(|c| c.image.clone())
                .unwrap_or_default(),
            desired_state: t.desired_state.map(state_name).unwrap_or("").to_string(),
            state: status
                .and_then(|s| s.state)
                .map(state_name)
                .unwrap_or("")
                .to_string(),
            message: status.and_then(|s| s.message.clone()).unwrap_or_default(),
            error: status.and_then(|s| s.err.clone()).unwrap_or_default(),
            since: super::time::unix(status.and_then(|s| s.timestamp.as_deref())),
            created: super::time::unix(t.created_at.as_deref()),
            exit_code: status
                .and_then(|s| s.container_status.as_ref())
                .and_then(|c| c.exit_code),
            container_id: status
                .and_then(|s| s.container_status.as_ref())
                .and_then(|c| c.container_id.clone())
                .unwrap_or_default(),
            reserved_nano_cpus: reservations.and_then(|r| r.nano_cpus).unwrap_or(0),
            reserved_memory: reservations.and_then(|r| r.memory_bytes).unwrap_or(0),
            limit_nano_cpus: limits.and_then(|r| r.nano_cpus).unwrap_or(0),
            limit_memory: limits.and_then(|r| r.memory_bytes).unwrap_or(0),
            ports: status
                .and_then(|s| s.port_status.as_ref())
                .and_then(|p| p.ports.as_ref())
                .map(|ports| ports.iter().map(crate::syntax::ports::binding).collect())
                .unwrap_or_default(),
        }
    }

    /// `web.3` for a replicated task, `web.<node id>` for a global one (as `docker service ps`).
    pub fn display_name(&self, service_name: &str) -> String {
        match self.slot {
            Some(s) => format!("{service_name}.{s}"),
            None => format!("{service_name}.{}", self.node_id),
        }
    }

    pub fn is_running(&self) -> bool {
        self.state == "running"
    }

    /// Swarm wants this task to run (it is not one of the historic, shut-down ones).
    pub fn is_current(&self) -> bool {
        matches!(
            self.desired_state.as_str(),
            "running" | "ready" | "accepted" | "complete"
        )
    }

    /// Holds CPU and memory on its node: assigned and not finished yet (the swarm scheduler
    /// counts tasks from pending to running against a node's resources).
    pub fn occupies_node(&self) -> bool {
        !self.node_id.is_empty()
            && matches!(
                self.state.as_str(),
                "pending"
                    | "assigned"
                    | "accepted"
                    | "preparing"
                    | "ready"
                    | "starting"
                    | "running"
            )
    }

    /// Failed or rejected: its error deserves a prominent place.
    pub fn is_failure(&self) -> bool {
        matches!(self.state.as_str(), "failed" | "rejected")
            || (!self.error.is_empty() && !self.is_running())
    }

    /// A CSS class for the state: ok (running/complete), warn (on its way), bad (failed), muted.
    pub fn state_class(&self) -> &'static str {
        match self.state.as_str() {
            "running" | "complete" => "ok",
            "failed" | "rejected" | "orphaned" => "bad",
            "shutdown" | "remove" => "muted",
            _ if !self.error.is_empty() => "bad",
            _ => "warn",
        }
    }

    /// The text to show for a problem: the error, or a pending task's reason.
    pub fn problem(&self) -> &str {
        if !self.error.is_empty() {
            &self.error
        } else if self.state == "pending" || self.state == "assigned" {
            &self.message
        } else {
            ""
        }
    }
}

pub fn state_name(s: TaskState) -> &'static str {
    match s {
        TaskState::NEW => "new",
        TaskState::ALLOCATED => "allocated",
        TaskState::PENDING => "pending",
        TaskState::ASSIGNED => "assigned",
        TaskState::ACCEPTED => "accepted",
        TaskState::PREPARING => "preparing",
        TaskState::READY => "ready",
        TaskState::STARTING => "starting",
        TaskState::RUNNING => "running",
        TaskState::COMPLETE => "complete",
        TaskState::SHUTDOWN => "shutdown",
        TaskState::FAILED => "failed",
        TaskState::REJECTED => "rejected",
        TaskState::REMOVE => "remove",
        TaskState::ORPHANED => "orphaned",
    }
}

/// Lists tasks with Docker filters such as `("service", id)`, `("node", id)`,
/// `("desired-state", "running")`, `("label", "com.docker.stack.namespace=x")`: one API call.
pub async fn list(docker: &Docker, filters: &[(&str, &str)]) -> Result<Vec<TaskInfo>, DockerError> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in filters {
        map.entry(k.to_string()).or_default().push(v.to_string());
    }
    let opts = ListTasksOptions {
        filters: (!map.is_empty()).then_some(map),
    };
    let tasks = docker.list_tasks(Some(opts)).await?;
    Ok(tasks.iter().map(TaskInfo::from_task).collect())
}

/// Newest first within each slot, slots in order: the order `docker service ps` uses.
pub fn sort_like_service_ps(tasks: &mut [TaskInfo]) {
    tasks.sort_by(|a, b| {
        (
            a.slot.unwrap_or(i64::MAX),
            &a.node_id,
            std::cmp::Reverse(a.created),
        )
            .cmp(&(
                b.slot.unwrap_or(i64::MAX),
                &b.node_id,
                std::cmp::Reverse(b.created),
            ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::TaskStatus;

    fn task(slot: i64, state: TaskState, desired: TaskState, err: &str) -> Task {
        Task {
            id: Some(format!("t{slot}")),
            slot: Some(slot),
            node_id: Some("n1".into()),
            desired_state: Some(desired),
            status: Some(TaskStatus {
                state: Some(state),
                err: (!err.is_empty()).then(|| err.to_string()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn failed_tasks_are_problems_with_their_error() {
        let t = TaskInfo::from_task(&task(
            1,
            TaskState::REJECTED,
            TaskState::SHUTDOWN,
            "No such image: x:1",
        ));
        assert!(t.is_failure());
        assert_eq!(t.state_class(), "bad");
        assert_eq!(t.problem(), "No such image: x:1");
        assert_eq!(t.display_name("app_web"), "app_web.1");
        let ok = TaskInfo::from_task(&task(2, TaskState::RUNNING, TaskState::RUNNING, ""));
        assert!(ok.is_running() && ok.is_current() && !ok.is_failure());
        assert_eq!(ok.state_class(), "ok");
    }
}
