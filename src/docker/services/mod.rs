//! Services, typed for display: the list (one API call for any number of services), one
//! service with its spec in readable sections and its tasks; and (in submodules) creating,
//! changing and removing services, and their logs.

pub mod flags;
pub mod logs;
pub mod ops;
pub mod reference;
pub mod spec;
pub mod view;

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{Service, ServiceUpdateStatusStateEnum};
use bollard::query_parameters::{ListNetworksOptions, ListServicesOptions};
use serde_json::Value;

use super::DockerError;
pub use super::raw::is_plain_ref;
use super::swarm::STACK_NAMESPACE_LABEL;
use super::tasks::{self, TaskInfo};

pub use view::SpecView;

/// One service as `docker service ls` shows it, and a little more. Shared by the service and
/// stack pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceSummary {
    pub id: String,
    pub name: String,
    /// the `com.docker.stack.namespace` label, empty outside stacks
    pub stack: String,
    /// `replicated`, `global`, `replicated job`, `global job`
    pub mode: &'static str,
    pub running: u64,
    pub desired: u64,
    /// jobs: tasks that ran to completion
    pub completed: u64,
    /// the image exactly as in the spec
    pub image: String,
    /// `name:tag` without the digest
    pub image_name: String,
    /// first 12 hex digits of the pinned digest, empty when not pinned
    pub digest: String,
    /// published ports as `8080→80/tcp`
    pub ports: Vec<String>,
    pub created: Option<i64>,
    pub updated: Option<i64>,
    pub update: Option<UpdateState>,
    /// the secrets, configs, networks and volumes its spec names
    pub uses: Uses,
}

/// What a service's spec refers to: secret and config ids, network ids (names on old
/// specs) and the names of the volumes it mounts. The objects pages list a secret's users
/// from these (the model holds them for every service).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uses {
    pub secrets: Vec<String>,
    pub configs: Vec<String>,
    pub networks: Vec<String>,
    pub volumes: Vec<String>,
    /// each volume mount: the volume, where it is mounted, its driver (a stack page lists them)
    pub mounts: Vec<VolumeMount>,
}

/// A named volume a service mounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeMount {
    pub volume: String,
    pub target: String,
    /// `local` unless the mount names another
    pub driver: String,
}

impl Uses {
    pub fn from_spec(spec: Option<&bollard::models::ServiceSpec>) -> Uses {
        let task = spec.and_then(|sp| sp.task_template.as_ref());
        let c = task.and_then(|t| t.container_spec.as_ref());
        let secrets = c
            .and_then(|c| c.secrets.as_ref())
            .map(|v| v.iter().filter_map(|s| s.secret_id.clone()).collect())
            .unwrap_or_default();
        let configs = c
            .and_then(|c| c.configs.as_ref())
            .map(|v| v.iter().filter_map(|s| s.config_id.clone()).collect())
            .unwrap_or_default();
        #[allow(deprecated)]
        let old_networks = spec.and_then(|sp| sp.networks.as_ref());
        let networks = task
            .and_then(|t| t.networks.as_ref())
            .or(old_networks)
            .map(|v| v.iter().filter_map(|n| n.target.clone()).collect())
            .unwrap_or_default();
        let mounts: Vec<VolumeMount> = c
            .and_then(|c| c.mounts.as_ref())
            .map(|v| {
                v.iter()
                    .filter(|m| m.typ == Some(bollard::models::MountType::VOLUME))
                    .filter_map(|m| {
                        let volume = m.source.clone().filter(|s| !s.is_empty())?;
                        Some(VolumeMount {
                            volume,
                            target: m.target.clone().unwrap_or_default(),
                            driver: m
                                .volume_options
                                .as_ref()
                                .and_then(|o| o.driver_config.as_ref())
                                .and_then(|dc| dc.name.clone())
                                .unwrap_or_else(|| "local".into()),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Uses {
            secrets,
            configs,
            networks,
            volumes: mounts.iter().map(|m| m.volume.clone()).collect(),
            mounts,
        }
    }
}

/// The state of the last rolling update (`UpdateStatus`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateState {
    /// updating, paused, completed, rollback_started, rollback_paused, rollback_completed
    pub state: &'static str,
    pub message: String,
    pub started: Option<i64>,
    pub completed: Option<i64>,
}

impl UpdateState {
    pub fn label(&self) -> &'static str {
        match self.state {
            "updating" => "updating",
            "paused" => "update paused",
            "completed" => "updated",
            "rollback_started" => "rolling back",
            "rollback_paused" => "rollback paused",
            "rollback_completed" => "rolled back",
            _ => "",
        }
    }

    /// pill class: ok, warn, bad or info
    pub fn class(&self) -> &'static str {
        match self.state {
            "completed" => "ok",
            "updating" | "rollback_started" => "info",
            "rollback_completed" => "warn",
            "paused" | "rollback_paused" => "bad",
            _ => "",
        }
    }

    pub fn in_progress(&self) -> bool {
        matches!(self.state, "updating" | "rollback_started")
    }

    pub fn is_paused(&self) -> bool {
        matches!(self.state, "paused" | "rollback_paused")
    }
}

impl ServiceSummary {
    pub fn from_service(s: &Service) -> ServiceSummary {
        let spec = s.spec.as_ref();
        let mode = spec.and_then(|sp| sp.mode.as_ref());
        let mode_name = match mode {
            Some(m) if m.global.is_some() => "global",
            Some(m) if m.replicated_job.is_some() => "replicated job",
            Some(m) if m.global_job.is_some() => "global job",
            _ => "replicated",
        };
        let status = s.service_status.as_ref();
        let desired = status.and_then(|st| st.desired_tasks).unwrap_or_else(|| {
            mode.and_then(|m| m.replicated.as_ref())
                .and_then(|r| r.replicas)
                .unwrap_or(0)
                .max(0) as u64
        });
        let image = spec
            .and_then(|sp| sp.task_template.as_ref())
            .and_then(|t| t.container_spec.as_ref())
            .and_then(|c| c.image.clone())
            .unwrap_or_default();
        let r = reference::split(&image);
        let ports = s
            .endpoint
            .as_ref()
            .and_then(|e| e.ports.as_ref())
            .or_else(|| {
                spec.and_then(|sp| sp.endpoint_spec.as_ref())
                    .and_then(|e| e.ports.as_ref())
            })
            .map(|ps| ps.iter().map(flags::describe_port).collect())
            .unwrap_or_default();
        ServiceSummary {
            id: s.id.clone().unwrap_or_default(),
            name: spec.and_then(|sp| sp.name.clone()).unwrap_or_default(),
            stack: spec
                .and_then(|sp| sp.labels.as_ref())
                .and_then(|l| l.get(STACK_NAMESPACE_LABEL).cloned())
                .unwrap_or_default(),
            mode: mode_name,
            running: status.and_then(|st| st.running_tasks).unwrap_or(0),
            desired,
            completed: status.and_then(|st| st.completed_tasks).unwrap_or(0),
            image_name: if r.tag.is_some() || r.digest.is_none() {
                r.without_digest()
            } else {
                r.name.clone()
            },
            digest: r.short_digest(),
            image,
            ports,
            created: super::time::unix(s.created_at.as_deref()),
            updated: super::time::unix(s.updated_at.as_deref()),
            update: s.update_status.as_ref().and_then(|u| {
                let state = match u.state? {
                    ServiceUpdateStatusStateEnum::UPDATING => "updating",
                    ServiceUpdateStatusStateEnum::PAUSED => "paused",
                    ServiceUpdateStatusStateEnum::COMPLETED => "completed",
                    ServiceUpdateStatusStateEnum::ROLLBACK_STARTED => "rollback_started",
                    ServiceUpdateStatusStateEnum::ROLLBACK_PAUSED => "rollback_paused",
                    ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED => "rollback_completed",
                    ServiceUpdateStatusStateEnum::EMPTY => return None,
                };
                Some(UpdateState {
                    state,
                    message: u.message.clone().unwrap_or_default(),
                    started: super::time::unix(u.started_at.as_deref()),
                    completed: super::time::unix(u.completed_at.as_deref()),
                })
            }),
            uses: Uses::from_spec(spec),
        }
    }

    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(12)]
    }

    pub fn is_job(&self) -> bool {
        self.mode.ends_with("job")
    }

    pub fn is_global(&self) -> bool {
        self.mode == "global"
    }

    /// Fewer (or more) tasks running than wanted.
    pub fn is_mismatch(&self) -> bool {
        !self.is_job() && self.running != self.desired
    }

    /// pill class for the replica count: ok, warn (some missing) or bad (none running)
    pub fn replicas_class(&self) -> &'static str {
        if self.is_job() || !self.is_mismatch() {
            "ok"
        } else if self.running == 0 {
            "bad"
        } else {
            "warn"
        }
    }

    /// Running and desired counts from the tasks, as Docker computes them for `status=true`
    /// (inspect does not report them).
    pub fn count_tasks(&mut self, tasks: &[TaskInfo]) {
        let current = || tasks.iter().filter(|t| t.desired_state == "running");
        self.running = current().filter(|t| t.is_running()).count() as u64;
        self.completed = tasks.iter().filter(|t| t.state == "complete").count() as u64;
        if self.mode != "replicated" {
            self.desired = current().count() as u64;
        }
    }

    /// Something is moving: a rolling update, or tasks still starting or missing.
    pub fn in_motion(&self) -> bool {
        self.is_mismatch() || self.update.as_ref().is_some_and(UpdateState::in_progress)
    }
}

/// Every service (or those of one stack), sorted by name: one API call whatever their number
/// (`status=true` gives running and desired counts without listing tasks).
pub async fn list(
    docker: &Docker,
    stack: Option<&str>,
) -> Result<Vec<ServiceSummary>, DockerError> {
    let filters = stack.map(|s| {
        HashMap::from([(
            "label".to_string(),
            vec![format!("{STACK_NAMESPACE_LABEL}={s}")],
        )])
    });
    let services = docker
        .list_services(Some(ListServicesOptions {
            filters,
            status: Some(true),
        }))
        .await?;
    let mut out: Vec<ServiceSummary> = services.iter().map(ServiceSummary::from_service).collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The service exactly as Docker stores it (raw JSON), found by id, name or id prefix: what
/// an update must send back.
pub async fn inspect_raw(docker: &Docker, id: &str) -> Result<Value, DockerError> {
    inspect(docker, id, false).await
}

/// The service with Docker's defaults filled in (`insertDefaults`), as `docker service
/// inspect` shows it: for display only, never to write back.
pub async fn inspect_with_defaults(docker: &Docker, id: &str) -> Result<Value, DockerError> {
    inspect(docker, id, true).await
}

async fn inspect(docker: &Docker, id: &str, defaults: bool) -> Result<Value, DockerError> {
    if !is_plain_ref(id) {
        return Err(DockerError::NotFound(format!("service {id} not found")));
    }
    let query = if defaults { "insertDefaults=true" } else { "" };
    super::raw::get(docker, &format!("/services/{id}"), query).await
}

/// One service, everything its page shows.
#[derive(Debug, Clone)]
pub struct ServiceDetail {
    pub summary: ServiceSummary,
    pub version: u64,
    /// Docker keeps the spec before the last update: a rollback is possible
    pub has_previous: bool,
    /// the spec as `docker service inspect` shows it (Docker's defaults filled in)
    pub spec: Value,
    pub view: SpecView,
    /// every task Docker still knows, history included
    pub tasks: Vec<TaskInfo>,
    /// node id → hostname
    pub nodes: HashMap<String, String>,
}

/// Reads a service with its tasks, node names and network names: three API calls in
/// parallel, a fourth for network names when it is attached to networks.
pub async fn detail(docker: &Docker, id: &str) -> Result<ServiceDetail, DockerError> {
    let (raw, summary, tasks, nodes) = read(docker, id).await?;
    let spec = raw.get("Spec").cloned().unwrap_or(Value::Null);
    let net_ids: Vec<String> = view::network_targets(&spec);
    let networks = if net_ids.is_empty() {
        HashMap::new()
    } else {
        network_names(docker, &net_ids).await.unwrap_or_default()
    };
    Ok(ServiceDetail {
        version: raw["Version"]["Index"].as_u64().unwrap_or(0),
        has_previous: raw.get("PreviousSpec").is_some_and(|p| !p.is_null()),
        view: SpecView::from_spec(&spec, &networks),
        spec,
        summary,
        tasks,
        nodes,
    })
}

/// The fast-changing part of a service page: its status and tasks (three calls in parallel).
pub async fn live(
    docker: &Docker,
    id: &str,
) -> Result<(ServiceSummary, Vec<TaskInfo>, HashMap<String, String>), DockerError> {
    let (_, summary, tasks, nodes) = read(docker, id).await?;
    Ok((summary, tasks, nodes))
}

type Read = (
    Value,
    ServiceSummary,
    Vec<TaskInfo>,
    HashMap<String, String>,
);

async fn read(docker: &Docker, id: &str) -> Result<Read, DockerError> {
    let filter = [("service", id)];
    let (raw, mut tasks, nodes) = tokio::try_join!(
        inspect_with_defaults(docker, id),
        tasks::list(docker, &filter),
        node_names(docker),
    )?;
    let service: Service = serde_json::from_value(raw.clone()).map_err(|e| {
        DockerError::Other(format!("Docker sent a service berth could not read: {e}"))
    })?;
    let mut summary = ServiceSummary::from_service(&service);
    // the service filter also matches other services by prefix: keep this one's tasks
    tasks.retain(|t| t.service_id == summary.id);
    tasks::sort_like_service_ps(&mut tasks);
    summary.count_tasks(&tasks);
    Ok((raw, summary, tasks, nodes))
}

/// node id → hostname, one call.
pub async fn node_names(docker: &Docker) -> Result<HashMap<String, String>, DockerError> {
    Ok(docker
        .list_nodes(None)
        .await?
        .into_iter()
        .filter_map(|n| {
            let id = n.id?;
            let name = n
                .description
                .and_then(|d| d.hostname)
                .unwrap_or_else(|| id.clone());
            Some((id, name))
        })
        .collect())
}

/// network id → name for the given ids, one call.
async fn network_names(
    docker: &Docker,
    ids: &[String],
) -> Result<HashMap<String, String>, DockerError> {
    let opts = ListNetworksOptions {
        filters: Some(HashMap::from([("id".to_string(), ids.to_vec())])),
    };
    Ok(docker
        .list_networks(Some(opts))
        .await?
        .into_iter()
        .filter_map(|n| Some((n.id?, n.name?)))
        .collect())
}
