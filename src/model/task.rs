//! A task as the model holds it: compact (ids, image and messages shared between the thousands
//! of tasks that repeat them, states as static strings), with the helpers the pages use.

use std::sync::Arc;

use crate::docker::tasks::TaskInfo;

/// One task, history included (what `GET /tasks` returns, reduced to what pages show).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: Box<str>,
    pub service_id: Arc<str>,
    /// empty while unassigned
    pub node_id: Arc<str>,
    /// replicated services number their tasks; global ones do not
    pub slot: Option<i64>,
    pub image: Arc<str>,
    pub desired_state: &'static str,
    pub state: &'static str,
    pub message: Arc<str>,
    pub error: Arc<str>,
    /// when the task reached its current state (unix seconds)
    pub since: Option<i64>,
    pub created: Option<i64>,
    pub exit_code: Option<i64>,
    pub container_id: Box<str>,
    pub reserved_nano_cpus: i64,
    pub reserved_memory: i64,
    pub limit_nano_cpus: i64,
    pub limit_memory: i64,
    /// published host-mode ports, as `8080->80/tcp`
    pub ports: Box<[Box<str>]>,
}

impl Task {
    /// The display type the pages used before the model (an owned copy).
    pub fn info(&self) -> TaskInfo {
        TaskInfo {
            id: self.id.to_string(),
            service_id: self.service_id.to_string(),
            node_id: self.node_id.to_string(),
            slot: self.slot,
            image: self.image.to_string(),
            desired_state: self.desired_state.to_string(),
            state: self.state.to_string(),
            message: self.message.to_string(),
            error: self.error.to_string(),
            since: self.since,
            created: self.created,
            exit_code: self.exit_code,
            container_id: self.container_id.to_string(),
            reserved_nano_cpus: self.reserved_nano_cpus,
            reserved_memory: self.reserved_memory,
            limit_nano_cpus: self.limit_nano_cpus,
            limit_memory: self.limit_memory,
            ports: self.ports.iter().map(|p| p.to_string()).collect(),
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
            self.desired_state,
            "running" | "ready" | "accepted" | "complete"
        )
    }

    /// Holds CPU and memory on its node (assigned and not finished yet).
    pub fn occupies_node(&self) -> bool {
        !self.node_id.is_empty()
            && matches!(
                self.state,
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
        matches!(self.state, "failed" | "rejected")
            || (!self.error.is_empty() && !self.is_running())
    }

    /// A CSS class for the state: ok, warn, bad or muted.
    pub fn state_class(&self) -> &'static str {
        match self.state {
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

    /// Still on its way to the state swarm wants (a rolling update or a start in progress).
    pub fn in_motion(&self) -> bool {
        match self.desired_state {
            "running" => self.state != "running",
            "shutdown" | "remove" => matches!(
                self.state,
                "new"
                    | "allocated"
                    | "assigned"
                    | "accepted"
                    | "preparing"
                    | "ready"
                    | "starting"
                    | "running"
            ),
            _ => false,
        }
    }
}

/// Newest first within each slot, slots in order: the order `docker service ps` uses.
pub fn sort_like_service_ps(tasks: &mut [Task]) {
    tasks.sort_by(|a, b| {
        (
            a.slot.unwrap_or(i64::MAX),
            &a.node_id,
            std::cmp::Reverse(a.created),
            &a.id,
        )
            .cmp(&(
                b.slot.unwrap_or(i64::MAX),
                &b.node_id,
                std::cmp::Reverse(b.created),
                &b.id,
            ))
    });
}
