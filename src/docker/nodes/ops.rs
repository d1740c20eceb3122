//! Changes to nodes and to the swarm's join tokens: each reads the object, changes one field
//! of its full current spec and writes it back with the version it read.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{JoinTokens, NodeSpec, NodeSpecAvailabilityEnum, NodeSpecRoleEnum};
use bollard::query_parameters::{DeleteNodeOptions, UpdateNodeOptions, UpdateSwarmOptions};

use super::{Availability, NodeInfo, Role, inspect};
use crate::docker::DockerError;
use crate::docker::swarm::{JoinCommands, join_command};

/// Applies `change` to the node's full current spec and writes it back with the version read.
/// Returns the node as it was before the change. Retries a few times when someone else changed
/// the node in between ("update out of sequence").
async fn update(
    docker: &Docker,
    id: &str,
    change: impl Fn(&mut NodeSpec),
) -> Result<NodeInfo, DockerError> {
    let mut attempt = 0;
    loop {
        let node = docker.inspect_node(id).await?;
        let before = NodeInfo::from_node(&node);
        let mut spec = node.spec.clone().unwrap_or_default();
        change(&mut spec);
        let opts = UpdateNodeOptions {
            version: before.version as i64,
        };
        match docker.update_node(&before.id, spec, opts).await {
            Ok(()) => return Ok(before),
            Err(e) => {
                let e = DockerError::from(e);
                attempt += 1;
                if attempt < 4 && e.to_string().contains("update out of sequence") {
                    continue;
                }
                return Err(e);
            }
        }
    }
}

/// `docker node update --availability`.
pub async fn set_availability(
    docker: &Docker,
    id: &str,
    to: Availability,
) -> Result<NodeInfo, DockerError> {
    update(docker, id, |s| s.availability = Some(to.to_spec())).await
}

/// `docker node promote` / `demote`.
pub async fn set_role(docker: &Docker, id: &str, to: Role) -> Result<NodeInfo, DockerError> {
    update(docker, id, |s| s.role = Some(to.to_spec())).await
}

/// `docker node update --label-add key=value` (replaces the value of an existing key).
pub async fn set_label(
    docker: &Docker,
    id: &str,
    key: &str,
    value: &str,
) -> Result<NodeInfo, DockerError> {
    update(docker, id, |s| {
        s.labels
            .get_or_insert_with(HashMap::new)
            .insert(key.to_string(), value.to_string());
    })
    .await
}

/// `docker node update --label-rm key`. Returns the node as it was, and whether it had the
/// label (when it had not, nothing is written).
pub async fn remove_label(
    docker: &Docker,
    id: &str,
    key: &str,
) -> Result<(NodeInfo, bool), DockerError> {
    let node = inspect(docker, id).await?;
    if node.label(key).is_none() {
        return Ok((node, false));
    }
    let before = update(docker, id, |s| {
        if let Some(l) = s.labels.as_mut() {
            l.remove(key);
        }
    })
    .await?;
    Ok((before, true))
}

/// `docker node rm [--force]`.
pub async fn remove(docker: &Docker, id: &str, force: bool) -> Result<(), DockerError> {
    let opts = DeleteNodeOptions { force };
    Ok(docker.delete_node(id, Some(opts)).await?)
}

/// `docker swarm join-token --rotate worker|manager`: the full current swarm spec goes back
/// unchanged, with its version, and only the rotation flag set.
pub async fn rotate_join_token(docker: &Docker, role: Role) -> Result<(), DockerError> {
    let swarm = docker.inspect_swarm().await?;
    let version = swarm.version.and_then(|v| v.index).unwrap_or(0) as i64;
    let spec = swarm.spec.unwrap_or_default();
    let opts = UpdateSwarmOptions {
        version,
        rotate_worker_token: role == Role::Worker,
        rotate_manager_token: role == Role::Manager,
        rotate_manager_unlock_key: false,
    };
    Ok(docker.update_swarm(spec, opts).await?)
}

/// The swarm's join tokens (one `inspect_swarm`).
pub async fn join_tokens(docker: &Docker) -> Result<JoinTokens, DockerError> {
    Ok(docker
        .inspect_swarm()
        .await?
        .join_tokens
        .unwrap_or_default())
}

/// The join commands for workers and managers, as `docker swarm join-token` prints them: the
/// leader's address (or any reachable manager's).
pub fn join_commands(tokens: &JoinTokens, nodes: &[NodeInfo]) -> JoinCommands {
    let addr = nodes
        .iter()
        .find(|n| n.leader)
        .or_else(|| nodes.iter().find(|n| n.is_reachable_manager()))
        .map(|n| n.manager_addr.clone())
        .unwrap_or_default();
    JoinCommands {
        worker: join_command(tokens.worker.as_deref().unwrap_or_default(), &addr),
        manager: join_command(tokens.manager.as_deref().unwrap_or_default(), &addr),
        manager_addr: addr,
    }
}

impl Availability {
    fn to_spec(self) -> NodeSpecAvailabilityEnum {
        match self {
            Availability::Active => NodeSpecAvailabilityEnum::ACTIVE,
            Availability::Pause => NodeSpecAvailabilityEnum::PAUSE,
            Availability::Drain => NodeSpecAvailabilityEnum::DRAIN,
        }
    }
}

impl Role {
    fn to_spec(self) -> NodeSpecRoleEnum {
        match self {
            Role::Manager => NodeSpecRoleEnum::MANAGER,
            Role::Worker => NodeSpecRoleEnum::WORKER,
        }
    }
}
