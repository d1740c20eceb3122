//! The task list read straight into lean types: of the ~700 bytes of JSON a task takes
//! (spec, networks, placement…), only what the model keeps is decoded; the rest is skipped by
//! serde without allocating. Why not bollard's `Task`: at 10,000 tasks its full typed form
//! (every spec field of every task) costs tens of MB for a moment on each reconcile.

use std::collections::HashSet;
use std::sync::Arc;

use bollard::models::{EndpointPortConfig, TaskState};
use serde::Deserialize;

use super::task::Task;
use crate::docker::tasks::state_name;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WireTask {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "ServiceID")]
    service_id: String,
    #[serde(rename = "NodeID")]
    node_id: String,
    #[serde(rename = "Slot")]
    slot: Option<i64>,
    #[serde(rename = "Spec")]
    spec: WireSpec,
    #[serde(rename = "DesiredState")]
    desired_state: Option<TaskState>,
    #[serde(rename = "Status")]
    status: WireStatus,
    #[serde(rename = "CreatedAt")]
    created_at: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireSpec {
    #[serde(rename = "ContainerSpec")]
    container_spec: WireContainer,
    #[serde(rename = "Resources")]
    resources: WireResources,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireContainer {
    #[serde(rename = "Image")]
    image: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireResources {
    #[serde(rename = "Reservations")]
    reservations: WireLimits,
    #[serde(rename = "Limits")]
    limits: WireLimits,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireLimits {
    #[serde(rename = "NanoCPUs")]
    nano_cpus: i64,
    #[serde(rename = "MemoryBytes")]
    memory_bytes: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireStatus {
    #[serde(rename = "Timestamp")]
    timestamp: Option<String>,
    #[serde(rename = "State")]
    state: Option<TaskState>,
    #[serde(rename = "Message")]
    message: String,
    #[serde(rename = "Err")]
    err: String,
    #[serde(rename = "ContainerStatus")]
    container_status: WireContainerStatus,
    #[serde(rename = "PortStatus")]
    port_status: WirePortStatus,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireContainerStatus {
    #[serde(rename = "ContainerID")]
    container_id: String,
    #[serde(rename = "ExitCode")]
    exit_code: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WirePortStatus {
    #[serde(rename = "Ports")]
    ports: Vec<EndpointPortConfig>,
}

/// Shares one allocation between equal strings (service and node ids, images, messages).
/// Rebuilt at every full reconcile, so strings no task uses any more are let go.
#[derive(Default)]
pub struct Interner(HashSet<Arc<str>>);

impl Interner {
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(a.clone());
        a
    }

    /// Lets go of the strings only the table still holds.
    pub fn prune(&mut self) {
        self.0.retain(|a| Arc::strong_count(a) > 1);
    }
}

impl WireTask {
    pub fn into_task(self, strings: &mut Interner) -> Task {
        let unix = |ts: Option<&str>| crate::docker::time::unix(ts);
        let ports: Box<[Box<str>]> = self
            .status
            .port_status
            .ports
            .iter()
            .map(|p| crate::syntax::ports::binding(p).into_boxed_str())
            .collect();
        Task {
            id: self.id.into_boxed_str(),
            service_id: strings.get(&self.service_id),
            node_id: strings.get(&self.node_id),
            slot: self.slot.filter(|s| *s > 0),
            image: strings.get(&self.spec.container_spec.image),
            desired_state: self.desired_state.map(state_name).unwrap_or(""),
            state: self.status.state.map(state_name).unwrap_or(""),
            message: strings.get(&self.status.message),
            error: strings.get(&self.status.err),
            since: unix(self.status.timestamp.as_deref()),
            created: unix(self.created_at.as_deref()),
            exit_code: self.status.container_status.exit_code,
            container_id: self.status.container_status.container_id.into_boxed_str(),
            reserved_nano_cpus: self.spec.resources.reservations.nano_cpus,
            reserved_memory: self.spec.resources.reservations.memory_bytes,
            limit_nano_cpus: self.spec.resources.limits.nano_cpus,
            limit_memory: self.spec.resources.limits.memory_bytes,
            ports,
        }
    }
}

/// Decodes a `GET /tasks` answer one task at a time: each is made compact as soon as it is
/// read, so the full decoded list never exists at once (at 10,000 tasks that halves the peak).
pub fn tasks(json: &str, strings: &mut Interner) -> Result<Vec<Task>, serde_json::Error> {
    use serde::de::{DeserializeSeed, SeqAccess, Visitor};

    struct Seed<'a>(&'a mut Interner);

    impl<'de> DeserializeSeed<'de> for Seed<'_> {
        type Value = Vec<Task>;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Vec<Task>, D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for Seed<'_> {
        type Value = Vec<Task>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of tasks")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Task>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            while let Some(t) = seq.next_element::<WireTask>()? {
                out.push(t.into_task(self.0));
            }
            out.shrink_to_fit();
            Ok(out)
        }
    }

    let mut de = serde_json::Deserializer::from_str(json);
    let tasks = Seed(strings).deserialize(&mut de)?;
    de.end()?;
    Ok(tasks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_is_read_with_only_what_the_model_keeps() {
        let json = r#"[{"ID":"t1","Version":{"Index":9},"CreatedAt":"2026-01-02T03:04:05.123456789Z",
          "Spec":{"ContainerSpec":{"Image":"busybox:1","Args":["sleep","1"]},
                  "Resources":{"Limits":{"MemoryBytes":1048576},"Reservations":{"NanoCPUs":500000000}},
                  "Placement":{"Constraints":["node.role==manager"]}},
          "ServiceID":"s1","Slot":2,"NodeID":"n1",
          "Status":{"Timestamp":"2026-01-02T03:04:06Z","State":"running","Message":"started",
                    "ContainerStatus":{"ContainerID":"c1","PID":5,"ExitCode":0},
                    "PortStatus":{"Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":8080,"PublishMode":"host"}]}},
          "DesiredState":"running","NetworksAttachments":[{"Addresses":["10.0.0.3/24"]}]},
          {"ID":"t2","ServiceID":"s1","Status":{"State":"pending","Message":"pending task scheduling"},"DesiredState":"running"}]"#;
        let mut strings = Interner::default();
        let ts = tasks(json, &mut strings).expect("decodes");
        assert_eq!(ts.len(), 2);
        let t = &ts[0];
        assert_eq!(&*t.id, "t1");
        assert_eq!(t.slot, Some(2));
        assert_eq!(&*t.image, "busybox:1");
        assert_eq!((t.state, t.desired_state), ("running", "running"));
        assert_eq!(t.reserved_nano_cpus, 500_000_000);
        assert_eq!(t.limit_memory, 1_048_576);
        assert_eq!(&*t.container_id, "c1");
        assert_eq!(t.ports.len(), 1);
        assert_eq!(t.created, Some(1_767_323_045));
        // ids shared between tasks
        assert!(Arc::ptr_eq(&ts[0].service_id, &ts[1].service_id));
        assert_eq!(&*ts[1].node_id, "");
        assert_eq!(ts[1].state, "pending");
    }
}
