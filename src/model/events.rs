//! What an event from Docker's stream asks the model to refetch (pure; no I/O).
//!
//! Measured on Docker 20.10 (a manager's `/events`): services send create/update/remove (an
//! update also when only its UpdateStatus moves), nodes create/update/remove (availability,
//! role, state), networks/secrets/configs create/update/remove. Tasks send nothing: a task's
//! state change shows only as container events, and only on the node that runs it. So a
//! container event of the manager's own engine marks its service for a task refresh, and
//! everything else is found by the services poll (see `sync`).

use bollard::models::{EventMessage, EventMessageTypeEnum};

/// The kinds of event the model subscribes to (`type` filter).
pub const TYPES: [&str; 6] = [
    "service",
    "node",
    "network",
    "secret",
    "config",
    "container",
];
/// The actions it wants (`event` filter): container health checks and the like stay out.
pub const ACTIONS: [&str; 6] = ["create", "update", "remove", "start", "die", "destroy"];

/// Label swarm puts on a task's container.
const SERVICE_ID_LABEL: &str = "com.docker.swarm.service.id";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Reload everything (a reconcile, or a resync asked for).
    Everything,
    /// Inspect the service and list its tasks (404: it is gone).
    Service(String),
    /// The service is gone: forget it and its tasks.
    ServiceGone(String),
    /// List the service's tasks again (they are moving).
    Tasks(String),
    /// Inspect the node; tasks on it will move (mark their services).
    Node(String),
    NodeGone(String),
    Networks,
    Secrets,
    Configs,
    /// List every service with its counts (the poll): finds services created or removed.
    Services,
    /// Inspect the swarm (its join tokens).
    Swarm,
    /// List the nodes again.
    Nodes,
}

/// The refetches an event calls for (none for events the model does not follow).
pub fn actions(ev: &EventMessage) -> Vec<Action> {
    let Some(actor) = ev.actor.as_ref() else {
        return Vec::new();
    };
    let id = actor.id.clone().unwrap_or_default();
    let action = ev.action.as_deref().unwrap_or("");
    if id.is_empty() {
        return Vec::new();
    }
    match ev.typ {
        Some(EventMessageTypeEnum::SERVICE) => match action {
            "remove" => vec![Action::ServiceGone(id)],
            "create" | "update" => vec![Action::Service(id)],
            _ => Vec::new(),
        },
        Some(EventMessageTypeEnum::NODE) => match action {
            "remove" => vec![Action::NodeGone(id)],
            "create" | "update" => vec![Action::Node(id)],
            _ => Vec::new(),
        },
        Some(EventMessageTypeEnum::NETWORK) => match action {
            "create" | "update" | "remove" | "destroy" => vec![Action::Networks],
            _ => Vec::new(),
        },
        Some(EventMessageTypeEnum::SECRET) => vec![Action::Secrets],
        Some(EventMessageTypeEnum::CONFIG) => vec![Action::Configs],
        Some(EventMessageTypeEnum::CONTAINER) => actor
            .attributes
            .as_ref()
            .and_then(|a| a.get(SERVICE_ID_LABEL))
            .filter(|s| !s.is_empty())
            .map(|s| vec![Action::Tasks(s.clone())])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use bollard::models::EventActor;

    use super::*;

    fn event(
        typ: EventMessageTypeEnum,
        action: &str,
        id: &str,
        attrs: &[(&str, &str)],
    ) -> EventMessage {
        EventMessage {
            typ: Some(typ),
            action: Some(action.to_string()),
            actor: Some(EventActor {
                id: Some(id.to_string()),
                attributes: Some(
                    attrs
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect::<HashMap<_, _>>(),
                ),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_service_event_refetches_that_service_only() {
        use EventMessageTypeEnum::*;
        assert_eq!(
            actions(&event(SERVICE, "update", "s1", &[("replicas.new", "3")])),
            vec![Action::Service("s1".into())]
        );
        assert_eq!(
            actions(&event(SERVICE, "remove", "s1", &[])),
            vec![Action::ServiceGone("s1".into())]
        );
        assert_eq!(
            actions(&event(
                NODE,
                "update",
                "n1",
                &[("availability.new", "drain")]
            )),
            vec![Action::Node("n1".into())]
        );
        assert_eq!(
            actions(&event(NODE, "remove", "n1", &[])),
            vec![Action::NodeGone("n1".into())]
        );
        assert_eq!(
            actions(&event(SECRET, "create", "x", &[])),
            vec![Action::Secrets]
        );
        assert_eq!(actions(&event(NETWORK, "connect", "x", &[])), vec![]);
    }

    #[test]
    fn a_task_container_event_refreshes_its_services_tasks() {
        use EventMessageTypeEnum::*;
        assert_eq!(
            actions(&event(
                CONTAINER,
                "die",
                "c1",
                &[(SERVICE_ID_LABEL, "s9"), ("com.docker.swarm.task.id", "t1")]
            )),
            vec![Action::Tasks("s9".into())]
        );
        // a plain container (not a task) is none of the model's business
        assert_eq!(
            actions(&event(CONTAINER, "die", "c2", &[("image", "x")])),
            vec![]
        );
    }
}
