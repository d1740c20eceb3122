//! `stack ls`, `stack ps`, `stack services` (STACK_DEPLOY_SPEC 6) as typed results, with what
//! the web list needs on top: tasks running/desired and failing tasks per stack.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use bollard::models::Service;
use bollard::query_parameters::{ListNodesOptions, ListServicesOptions};
use serde::Serialize;

use super::StackError;
use super::api::{Api, error_text, label_filter, namespace_label};
use crate::compose::convert::LABEL_NAMESPACE;
use crate::docker::Engine;
use crate::docker::tasks::{self, TaskInfo};

/// One stack of `stack ls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackSummary {
    pub name: String,
    pub services: usize,
    pub tasks_running: u64,
    pub tasks_desired: u64,
    /// Task slots whose newest task failed or was rejected.
    pub tasks_failing: usize,
    /// The newest of those failures' errors.
    pub last_error: Option<String>,
}

/// One service of `stack services`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackService {
    pub id: String,
    pub name: String,
    /// `replicated`, `global`, `replicated job`, `global job`.
    pub mode: String,
    pub running: u64,
    pub desired: u64,
    /// Jobs: completed tasks.
    pub completed: Option<u64>,
    pub image: String,
    /// The image exactly as in the spec (pinned: `name:tag@sha256:…`).
    pub spec_image: String,
    /// Published ports, `*:8080->80/tcp`.
    pub ports: Vec<String>,
}

impl StackService {
    /// The `stack services` row of a service summary (what the model holds).
    pub fn from_summary(s: &crate::docker::services::ServiceSummary) -> StackService {
        StackService {
            id: s.id.clone(),
            name: s.name.clone(),
            mode: s.mode.to_string(),
            running: s.running,
            desired: s.desired,
            completed: s.mode.ends_with("job").then_some(s.completed),
            image: short_image(&s.image),
            spec_image: s.image.clone(),
            // the summary's `8080→80/tcp (host)` as the CLI lists published ports: `*:8080->80/tcp`
            ports: s
                .ports
                .iter()
                .filter(|p| !p.starts_with('*'))
                .map(|p| format!("*:{}", p.trim_end_matches(" (host)").replace('→', "->")))
                .collect(),
        }
    }

    /// The REPLICAS column: `2/3`, jobs `0/1 (1/1 completed)`.
    pub fn replicas(&self) -> String {
        match self.completed {
            Some(c) => format!(
                "{}/{} ({c}/{} completed)",
                self.running, self.desired, self.desired
            ),
            None => format!("{}/{}", self.running, self.desired),
        }
    }
}

/// One task of `stack ps`.
#[derive(Debug, Clone, Serialize)]
pub struct StackTask {
    /// `app_web.1` (replicated) or `app_web.<node id>` (global).
    pub name: String,
    pub service: String,
    /// The node's hostname (its ID when unknown).
    pub node: String,
    /// An older task of the same slot (shown indented under the newest).
    pub superseded: bool,
    #[serde(skip)]
    pub task: TaskInfo,
}

/// `fvbommel/sortorder` natural order: digit runs compare as numbers.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let run = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
                let (nx, ny) = (run(x), run(y));
                let (dx, dy) = (&x[..nx], &y[..ny]);
                let trim = |d: &[u8]| -> usize { d.iter().take_while(|b| **b == b'0').count() };
                let (tx, ty) = (&dx[trim(dx)..], &dy[trim(dy)..]);
                let ord = tx
                    .len()
                    .cmp(&ty.len())
                    .then_with(|| tx.cmp(ty))
                    .then(nx.cmp(&ny));
                if ord != Ordering::Equal {
                    return ord;
                }
                x = &x[nx..];
                y = &y[ny..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn stack_of(s: &Service) -> Option<String> {
    s.spec
        .as_ref()?
        .labels
        .as_ref()?
        .get(LABEL_NAMESPACE)
        .cloned()
}

/// Slots (service + slot, or service + node for global services) whose newest task failed.
fn failing_slots(tasks: &[TaskInfo]) -> Vec<&TaskInfo> {
    let mut newest: BTreeMap<(String, String), &TaskInfo> = BTreeMap::new();
    for t in tasks {
        let slot = t.slot.map_or_else(|| t.node_id.clone(), |s| s.to_string());
        let key = (t.service_id.clone(), slot);
        match newest.get(&key) {
            Some(n) if (n.created, &n.id) >= (t.created, &t.id) => {}
            _ => {
                newest.insert(key, t);
            }
        }
    }
    newest
        .into_values()
        .filter(|t| matches!(t.state.as_str(), "failed" | "rejected"))
        .collect()
}

/// `stack ls`: stacks with at least one service, in natural order.
pub async fn list(engine: &Engine) -> Result<Vec<StackSummary>, StackError> {
    let api = Api::new(engine).await?;
    let d = &api.docker;
    let any = HashMap::from([("label".to_string(), vec![LABEL_NAMESPACE.to_string()])]);
    let (services, tasks) = tokio::try_join!(
        async {
            d.list_services(Some(ListServicesOptions {
                filters: Some(any.clone()),
                status: Some(true),
            }))
            .await
            .map_err(|e| StackError::Docker(error_text(&e)))
        },
        async {
            tasks::list(d, &[("label", LABEL_NAMESPACE)])
                .await
                .map_err(|e| StackError::Docker(e.to_string()))
        },
    )?;
    let mut stacks: BTreeMap<String, StackSummary> = BTreeMap::new();
    let mut service_stack: HashMap<String, String> = HashMap::new();
    for s in &services {
        let Some(name) = stack_of(s) else {
            return Err(StackError::Docker(format!(
                "cannot get label {LABEL_NAMESPACE} for service {}",
                s.id.clone().unwrap_or_default()
            )));
        };
        service_stack.insert(s.id.clone().unwrap_or_default(), name.clone());
        let e = stacks.entry(name.clone()).or_insert_with(|| StackSummary {
            name,
            services: 0,
            tasks_running: 0,
            tasks_desired: 0,
            tasks_failing: 0,
            last_error: None,
        });
        e.services += 1;
        let st = s.service_status.as_ref();
        e.tasks_running += st.and_then(|x| x.running_tasks).unwrap_or(0);
        e.tasks_desired += st.and_then(|x| x.desired_tasks).unwrap_or(0);
    }
    let mut failing = failing_slots(&tasks);
    failing.sort_by_key(|t| (t.since, t.created));
    for t in failing {
        if let Some(e) = service_stack
            .get(&t.service_id)
            .and_then(|n| stacks.get_mut(n))
        {
            e.tasks_failing += 1;
            if !t.error.is_empty() {
                e.last_error = Some(t.error.clone());
            }
        }
    }
    let mut out: Vec<StackSummary> = stacks.into_values().collect();
    out.sort_by(|a, b| natural_cmp(&a.name, &b.name));
    Ok(out)
}

fn mode_of(s: &Service) -> &'static str {
    match s.spec.as_ref().and_then(|sp| sp.mode.as_ref()) {
        Some(m) if m.global.is_some() => "global",
        Some(m) if m.replicated_job.is_some() => "replicated job",
        Some(m) if m.global_job.is_some() => "global job",
        _ => "replicated",
    }
}

/// The image without its digest when it has a tag (as `docker service ls` shows it).
fn short_image(image: &str) -> String {
    match image.split_once('@') {
        Some((named, _)) if named.rsplit('/').next().is_some_and(|l| l.contains(':')) => {
            named.to_string()
        }
        _ => image.to_string(),
    }
}

/// `stack services`: the stack's services in natural order (empty when there are none).
pub async fn services(engine: &Engine, stack: &str) -> Result<Vec<StackService>, StackError> {
    let api = Api::new(engine).await?;
    let list = api
        .docker
        .list_services(Some(ListServicesOptions {
            filters: Some(label_filter(stack)),
            status: Some(true),
        }))
        .await
        .map_err(|e| StackError::Docker(error_text(&e)))?;
    let mut out: Vec<StackService> = list
        .iter()
        .map(|s| {
            let spec = s.spec.as_ref();
            let st = s.service_status.as_ref();
            let mode = mode_of(s);
            let ports = s
                .endpoint
                .as_ref()
                .and_then(|e| e.ports.clone())
                .or_else(|| {
                    spec.and_then(|sp| sp.endpoint_spec.as_ref())
                        .and_then(|e| e.ports.clone())
                })
                .unwrap_or_default()
                .iter()
                .filter(|p| p.published_port.unwrap_or(0) > 0)
                .map(crate::syntax::ports::listing)
                .collect();
            let spec_image = spec
                .and_then(|sp| sp.task_template.as_ref())
                .and_then(|t| t.container_spec.as_ref())
                .and_then(|c| c.image.clone())
                .unwrap_or_default();
            StackService {
                id: s.id.clone().unwrap_or_default(),
                name: spec.and_then(|sp| sp.name.clone()).unwrap_or_default(),
                mode: mode.to_string(),
                running: st.and_then(|x| x.running_tasks).unwrap_or(0),
                desired: st.and_then(|x| x.desired_tasks).unwrap_or(0),
                completed: mode
                    .ends_with("job")
                    .then(|| st.and_then(|x| x.completed_tasks).unwrap_or(0)),
                image: short_image(&spec_image),
                spec_image,
                ports,
            }
        })
        .collect();
    out.sort_by(|a, b| natural_cmp(&a.name, &b.name));
    Ok(out)
}

/// `stack ps`: the stack's tasks by name, newest first within a slot. No task at all is the
/// CLI's error `nothing found in stack: NAME`.
pub async fn ps(engine: &Engine, stack: &str) -> Result<Vec<StackTask>, StackError> {
    let api = Api::new(engine).await?;
    let d = &api.docker;
    let label = namespace_label(stack);
    let (tasks, services, nodes) = tokio::try_join!(
        async {
            tasks::list(d, &[("label", label.as_str())])
                .await
                .map_err(|e| StackError::Docker(e.to_string()))
        },
        async {
            d.list_services(Some(ListServicesOptions {
                filters: Some(label_filter(stack)),
                status: None,
            }))
            .await
            .map_err(|e| StackError::Docker(error_text(&e)))
        },
        async {
            d.list_nodes(None::<ListNodesOptions>)
                .await
                .map_err(|e| StackError::Docker(error_text(&e)))
        },
    )?;
    if tasks.is_empty() {
        return Err(StackError::NotFound(stack.to_string()));
    }
    let service_name: HashMap<String, String> = services
        .iter()
        .filter_map(|s| Some((s.id.clone()?, s.spec.as_ref()?.name.clone()?)))
        .collect();
    let node_name: HashMap<String, String> = nodes
        .iter()
        .filter_map(|n| Some((n.id.clone()?, n.description.as_ref()?.hostname.clone()?)))
        .collect();
    Ok(arrange_ps(tasks, &service_name, &node_name))
}

/// `stack ps` rows from tasks already read (from Docker or the model): named, placed on their
/// node's hostname, sorted by name with the newest task of a slot first, older ones marked
/// superseded.
pub fn arrange_ps(
    tasks: Vec<TaskInfo>,
    service_name: &HashMap<String, String>,
    node_name: &HashMap<String, String>,
) -> Vec<StackTask> {
    let mut rows: Vec<StackTask> = tasks
        .into_iter()
        .map(|t| {
            let service = service_name
                .get(&t.service_id)
                .cloned()
                .unwrap_or_else(|| t.service_id.clone());
            StackTask {
                name: t.display_name(&service),
                service,
                node: node_name
                    .get(&t.node_id)
                    .cloned()
                    .unwrap_or_else(|| t.node_id.clone()),
                superseded: false,
                task: t,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        natural_cmp(&a.name, &b.name)
            .then_with(|| b.task.created.cmp(&a.task.created))
            .then_with(|| a.task.id.cmp(&b.task.id))
    });
    for i in 1..rows.len() {
        if rows[i].name == rows[i - 1].name {
            rows[i].superseded = true;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_naturally() {
        let mut v = vec!["app10", "app2", "app1", "b", "app02"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, vec!["app1", "app2", "app02", "app10", "b"]);
    }

    #[test]
    fn the_newest_task_of_a_slot_decides_whether_it_fails() {
        let t = |id: &str, slot: i64, created: i64, state: &str| TaskInfo {
            id: id.into(),
            service_id: "s".into(),
            slot: Some(slot),
            created: Some(created),
            state: state.into(),
            error: if state == "rejected" {
                "No such image: x:1".into()
            } else {
                String::new()
            },
            ..Default::default()
        };
        let tasks = vec![
            t("a", 1, 1, "rejected"),
            t("b", 1, 2, "running"),
            t("c", 2, 1, "running"),
            t("d", 2, 3, "rejected"),
        ];
        let f = failing_slots(&tasks);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].id, "d");
    }

    #[test]
    fn a_summary_becomes_a_stack_services_row_with_the_clis_ports() {
        let s = crate::docker::services::ServiceSummary {
            id: "x1".into(),
            name: "app_web".into(),
            mode: "replicated",
            running: 1,
            desired: 2,
            image: "nginx:1@sha256:abc".into(),
            ports: vec![
                "8080→80/tcp".into(),
                "53→53/udp (host)".into(),
                "*→9000/tcp".into(),
            ],
            ..Default::default()
        };
        let row = StackService::from_summary(&s);
        assert_eq!(row.replicas(), "1/2");
        assert_eq!(row.image, "nginx:1");
        assert_eq!(row.ports, vec!["*:8080->80/tcp", "*:53->53/udp"]);
        assert_eq!(row.completed, None);
    }

    #[test]
    fn stack_ps_rows_name_tasks_and_mark_older_ones_of_a_slot() {
        let t = |id: &str, slot: i64, created: i64| TaskInfo {
            id: id.into(),
            service_id: "s1".into(),
            node_id: "n1".into(),
            slot: Some(slot),
            created: Some(created),
            ..Default::default()
        };
        let names = HashMap::from([("s1".to_string(), "app_web".to_string())]);
        let nodes = HashMap::from([("n1".to_string(), "host1".to_string())]);
        let rows = arrange_ps(
            vec![t("a", 1, 1), t("b", 2, 1), t("c", 1, 5)],
            &names,
            &nodes,
        );
        let shown: Vec<(&str, &str, bool)> = rows
            .iter()
            .map(|r| (r.name.as_str(), r.task.id.as_str(), r.superseded))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("app_web.1", "c", false),
                ("app_web.1", "a", true),
                ("app_web.2", "b", false)
            ]
        );
        assert_eq!(rows[0].node, "host1");
    }

    #[test]
    fn pinned_images_show_their_tag() {
        assert_eq!(short_image("nginx:latest@sha256:abc"), "nginx:latest");
        assert_eq!(short_image("nginx@sha256:abc"), "nginx@sha256:abc");
        assert_eq!(short_image("reg:5000/app:1@sha256:abc"), "reg:5000/app:1");
        assert_eq!(
            short_image("reg:5000/app@sha256:abc"),
            "reg:5000/app@sha256:abc"
        );
    }
}
