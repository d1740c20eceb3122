//! Service specs without I/O: a new service from form input (what `docker service create`
//! would send), and small edits of an existing spec held as raw JSON, each touching only its
//! own field so everything else Docker holds is sent back byte for byte.

use std::collections::HashMap;

use bollard::models::{
    EndpointPortConfig, EndpointSpec, EndpointSpecModeEnum, Limit, ResourceObject, ServiceSpec,
    ServiceSpecMode, ServiceSpecModeReplicated, ServiceSpecRollbackConfig,
    ServiceSpecRollbackConfigFailureActionEnum, ServiceSpecRollbackConfigOrderEnum,
    ServiceSpecUpdateConfig, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, TaskSpec, TaskSpecContainerSpec, TaskSpecPlacement,
    TaskSpecResources, TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};
use serde_json::{Map, Value};

use super::flags;
use super::reference;

/// Errors by form field, in form order.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, msg: impl Into<String>) {
        self.0.push((field, msg.into()));
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// All messages, one sentence each, for a summary or the audit log.
    pub fn summary(&self) -> String {
        self.0
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What the create form sends, as typed (multi-value fields: every repeated field).
#[derive(Debug, Clone, Default)]
pub struct CreateInput {
    pub name: String,
    pub image: String,
    pub mode: String,
    pub replicas: String,
    pub command: String,
    pub init: bool,
    pub env: Vec<String>,
    pub ports: Vec<String>,
    pub mounts: Vec<String>,
    pub networks: Vec<String>,
    pub constraints: Vec<String>,
    pub labels: Vec<String>,
    pub container_labels: Vec<String>,
    pub resources: ResourcesInput,
    pub restart_condition: String,
    pub restart_delay: String,
    pub restart_max_attempts: String,
    pub restart_window: String,
}

/// The four resource fields, as typed (empty: none).
#[derive(Debug, Clone, Default)]
pub struct ResourcesInput {
    pub limit_cpu: String,
    pub limit_memory: String,
    pub reserve_cpu: String,
    pub reserve_memory: String,
}

/// Limits and reservations in engine units; `None` means not set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resources {
    pub limit_nano_cpus: Option<i64>,
    pub limit_memory: Option<i64>,
    pub reserve_nano_cpus: Option<i64>,
    pub reserve_memory: Option<i64>,
}

impl ResourcesInput {
    pub fn parse(&self, errors: &mut FieldErrors) -> Resources {
        let mut cpu = |field: &'static str, s: &str| {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            flags::parse_cpus(s).map_err(|e| errors.add(field, e)).ok()
        };
        let limit_nano_cpus = cpu("limit_cpu", &self.limit_cpu);
        let reserve_nano_cpus = cpu("reserve_cpu", &self.reserve_cpu);
        let mut mem = |field: &'static str, s: &str| {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            match flags::parse_bytes(s) {
                Ok(b) if b < 6 << 20 && field == "limit_memory" => {
                    errors.add(
                        field,
                        format!("{s}: Docker needs a memory limit of at least 6 MiB"),
                    );
                    None
                }
                Ok(b) => Some(b),
                Err(e) => {
                    errors.add(field, e);
                    None
                }
            }
        };
        let r = Resources {
            limit_nano_cpus,
            reserve_nano_cpus,
            limit_memory: mem("limit_memory", &self.limit_memory),
            reserve_memory: mem("reserve_memory", &self.reserve_memory),
        };
        if let (Some(l), Some(res)) = (r.limit_memory, r.reserve_memory)
            && res > l
        {
            errors.add(
                "reserve_memory",
                "the memory reservation is larger than the memory limit",
            );
        }
        if let (Some(l), Some(res)) = (r.limit_nano_cpus, r.reserve_nano_cpus)
            && res > l
        {
            errors.add(
                "reserve_cpu",
                "the CPU reservation is larger than the CPU limit",
            );
        }
        r
    }

    pub fn from_resources(r: &Resources) -> ResourcesInput {
        ResourcesInput {
            limit_cpu: r
                .limit_nano_cpus
                .map(flags::format_cpus)
                .unwrap_or_default(),
            limit_memory: r.limit_memory.map(flags::format_bytes).unwrap_or_default(),
            reserve_cpu: r
                .reserve_nano_cpus
                .map(flags::format_cpus)
                .unwrap_or_default(),
            reserve_memory: r
                .reserve_memory
                .map(flags::format_bytes)
                .unwrap_or_default(),
        }
    }
}

/// Service names as swarm accepts them.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Give the service a name.".into());
    }
    if name.len() > 63 {
        return Err("A service name has at most 63 characters.".into());
    }
    let mut cs = name.chars();
    let first_ok = cs.next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_ok || !cs.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
        return Err(format!(
            "{name:?} is not a valid service name: use letters, digits, '_', '.' and '-', starting with a letter or digit."
        ));
    }
    Ok(())
}

/// Replicas as typed: a whole number, `max` included.
pub fn parse_replicas(s: &str) -> Result<u64, String> {
    let s = s.trim();
    match s.parse::<u64>() {
        Ok(n) if n <= 100_000 => Ok(n),
        Ok(_) => Err("That is more replicas than berth will ask for (at most 100000).".into()),
        Err(_) => Err(format!("{s:?} is not a number of replicas.")),
    }
}

/// A checked request to create a service.
#[derive(Debug, Clone)]
pub struct NewService {
    pub spec: ServiceSpec,
}

impl NewService {
    /// Checks every field; on error, every problem found (by field), not only the first.
    pub fn parse(input: &CreateInput) -> Result<NewService, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = input.name.trim().to_string();
        if let Err(e) = check_name(&name) {
            errors.add("name", e);
        }
        let image = input.image.trim().to_string();
        if let Err(e) = reference::parse(&image) {
            errors.add("image", e);
        }
        let mode = match input.mode.trim() {
            "" | "replicated" => {
                let r = input.replicas.trim();
                let n = if r.is_empty() {
                    Some(1)
                } else {
                    parse_replicas(r)
                        .map_err(|e| errors.add("replicas", e))
                        .ok()
                };
                ServiceSpecMode {
                    replicated: Some(ServiceSpecModeReplicated {
                        replicas: n.map(|n| n as i64),
                    }),
                    ..Default::default()
                }
            }
            "global" => {
                if !input.replicas.trim().is_empty() {
                    errors.add(
                        "replicas",
                        "A global service runs one task on every eligible node: leave replicas empty.",
                    );
                }
                ServiceSpecMode {
                    global: Some(HashMap::new()),
                    ..Default::default()
                }
            }
            other => {
                errors.add(
                    "mode",
                    format!("The mode is replicated or global, not {other:?}."),
                );
                ServiceSpecMode::default()
            }
        };
        let args = flags::split_command(&input.command)
            .map_err(|e| errors.add("command", e))
            .unwrap_or_default();
        let env = flags::parse_env_list(&flags::entries(&input.env))
            .map_err(|e| errors.add("env", e))
            .unwrap_or_default();
        let ports = flags::parse_ports(&flags::entries(&input.ports))
            .map_err(|e| errors.add("ports", e))
            .unwrap_or_default();
        let mounts = flags::parse_mounts(&flags::entries(&input.mounts))
            .map_err(|e| errors.add("mounts", e))
            .unwrap_or_default();
        let networks = flags::parse_networks(&flags::entries(&input.networks))
            .map_err(|e| errors.add("networks", e))
            .unwrap_or_default();
        let constraints = flags::parse_constraints(&flags::entries(&input.constraints))
            .map_err(|e| errors.add("constraints", e))
            .unwrap_or_default();
        let labels = flags::parse_labels(&flags::entries(&input.labels))
            .map_err(|e| errors.add("labels", e))
            .unwrap_or_default();
        let container_labels = flags::parse_labels(&flags::entries(&input.container_labels))
            .map_err(|e| errors.add("container_labels", e))
            .unwrap_or_default();
        let resources = input.resources.parse(&mut errors);
        let restart = parse_restart(input, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }

        let default_update = ServiceSpecUpdateConfig {
            parallelism: Some(1),
            failure_action: Some(ServiceSpecUpdateConfigFailureActionEnum::PAUSE),
            monitor: Some(5_000_000_000),
            max_failure_ratio: Some(0.0),
            order: Some(ServiceSpecUpdateConfigOrderEnum::STOP_FIRST),
            ..Default::default()
        };
        let default_rollback = ServiceSpecRollbackConfig {
            parallelism: Some(1),
            failure_action: Some(ServiceSpecRollbackConfigFailureActionEnum::PAUSE),
            monitor: Some(5_000_000_000),
            max_failure_ratio: Some(0.0),
            order: Some(ServiceSpecRollbackConfigOrderEnum::STOP_FIRST),
            ..Default::default()
        };
        let spec = ServiceSpec {
            name: Some(name),
            labels: Some(labels),
            task_template: Some(TaskSpec {
                container_spec: Some(TaskSpecContainerSpec {
                    image: Some(image),
                    labels: (!container_labels.is_empty()).then_some(container_labels),
                    args: (!args.is_empty()).then_some(args),
                    env: (!env.is_empty()).then_some(env),
                    mounts: (!mounts.is_empty()).then_some(mounts),
                    init: Some(input.init),
                    ..Default::default()
                }),
                resources: Some(TaskSpecResources {
                    limits: Some(Limit {
                        nano_cpus: resources.limit_nano_cpus,
                        memory_bytes: resources.limit_memory,
                        ..Default::default()
                    }),
                    reservations: Some(ResourceObject {
                        nano_cpus: resources.reserve_nano_cpus,
                        memory_bytes: resources.reserve_memory,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                restart_policy: Some(restart),
                placement: Some(TaskSpecPlacement {
                    constraints: (!constraints.is_empty()).then_some(constraints),
                    ..Default::default()
                }),
                networks: (!networks.is_empty()).then_some(networks),
                ..Default::default()
            }),
            mode: Some(mode),
            update_config: Some(default_update),
            rollback_config: Some(default_rollback),
            endpoint_spec: Some(EndpointSpec {
                mode: Some(EndpointSpecModeEnum::VIP),
                ports: (!ports.is_empty()).then_some(ports),
            }),
            ..Default::default()
        };
        Ok(NewService { spec })
    }

    pub fn name(&self) -> &str {
        self.spec.name.as_deref().unwrap_or_default()
    }

    pub fn image(&self) -> &str {
        self.spec
            .task_template
            .as_ref()
            .and_then(|t| t.container_spec.as_ref())
            .and_then(|c| c.image.as_deref())
            .unwrap_or_default()
    }

    pub fn set_image(&mut self, image: String) {
        if let Some(c) = self
            .spec
            .task_template
            .as_mut()
            .and_then(|t| t.container_spec.as_mut())
        {
            c.image = Some(image);
        }
    }
}

fn parse_restart(input: &CreateInput, errors: &mut FieldErrors) -> TaskSpecRestartPolicy {
    let condition = match input.restart_condition.trim() {
        "" | "any" => TaskSpecRestartPolicyConditionEnum::ANY,
        "on-failure" => TaskSpecRestartPolicyConditionEnum::ON_FAILURE,
        "none" => TaskSpecRestartPolicyConditionEnum::NONE,
        other => {
            errors.add(
                "restart_condition",
                format!("The restart condition is any, on-failure or none, not {other:?}."),
            );
            TaskSpecRestartPolicyConditionEnum::ANY
        }
    };
    let mut dur = |field: &'static str, s: &str, default: Option<i64>| {
        let s = s.trim();
        if s.is_empty() {
            return default;
        }
        flags::parse_duration(s)
            .map_err(|e| errors.add(field, e))
            .ok()
    };
    let delay = dur("restart_delay", &input.restart_delay, Some(5_000_000_000));
    let window = dur("restart_window", &input.restart_window, None);
    let attempts = input.restart_max_attempts.trim();
    let max_attempts = if attempts.is_empty() {
        Some(0)
    } else {
        match attempts.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                errors.add(
                    "restart_max_attempts",
                    format!("{attempts:?} is not a number of attempts (0 means no limit)."),
                );
                None
            }
        }
    };
    TaskSpecRestartPolicy {
        condition: Some(condition),
        delay,
        max_attempts,
        window,
    }
}

// ---- edits of an existing spec (raw JSON) ---------------------------------------------------------

/// The mode of a raw spec: `replicated`, `global`, `replicated job`, `global job`.
pub fn mode_of(spec: &Value) -> &'static str {
    let m = &spec["Mode"];
    if m.get("Global").is_some() {
        "global"
    } else if m.get("ReplicatedJob").is_some() {
        "replicated job"
    } else if m.get("GlobalJob").is_some() {
        "global job"
    } else {
        "replicated"
    }
}

/// The object at `path`, created (as `{}`) where missing.
fn obj<'a>(spec: &'a mut Value, path: &[&str]) -> Result<&'a mut Map<String, Value>, String> {
    let mut cur = spec;
    for key in path {
        let map = cur
            .as_object_mut()
            .ok_or_else(|| format!("the spec has no object at {key}"))?;
        cur = map
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    cur.as_object_mut()
        .ok_or_else(|| format!("the spec has something unexpected at {}", path.join(".")))
}

/// Sets `key` in the object at `path`, or removes it for `None` (creating nothing then).
fn set(spec: &mut Value, path: &[&str], key: &str, value: Option<Value>) -> Result<(), String> {
    match value {
        Some(v) => {
            obj(spec, path)?.insert(key.to_string(), v);
        }
        None => {
            let mut cur = &mut *spec;
            for p in path {
                match cur.get_mut(*p) {
                    Some(next) => cur = next,
                    None => return Ok(()),
                }
            }
            if let Some(m) = cur.as_object_mut() {
                m.remove(key);
            }
        }
    }
    Ok(())
}

pub fn set_replicas(spec: &mut Value, replicas: u64) -> Result<(), String> {
    match mode_of(spec) {
        "replicated" => set(spec, &["Mode", "Replicated"], "Replicas", Some(replicas.into())),
        "global" => Err(
            "This is a global service: it runs one task on every eligible node and has no replica count."
                .into(),
        ),
        other => Err(format!("A {other} runs to completion; it cannot be scaled here.")),
    }
}

pub fn image_of(spec: &Value) -> &str {
    spec["TaskTemplate"]["ContainerSpec"]["Image"]
        .as_str()
        .unwrap_or_default()
}

pub fn set_image(spec: &mut Value, image: &str) -> Result<(), String> {
    set(
        spec,
        &["TaskTemplate", "ContainerSpec"],
        "Image",
        Some(image.into()),
    )
}

/// Makes swarm replace every task even though nothing else changed (`--force`).
pub fn bump_force_update(spec: &mut Value) -> Result<(), String> {
    let n = spec["TaskTemplate"]["ForceUpdate"].as_u64().unwrap_or(0);
    set(spec, &["TaskTemplate"], "ForceUpdate", Some((n + 1).into()))
}

pub fn env_of(spec: &Value) -> Vec<String> {
    strings(&spec["TaskTemplate"]["ContainerSpec"]["Env"])
}

pub fn set_env(spec: &mut Value, env: &[String]) -> Result<(), String> {
    set(
        spec,
        &["TaskTemplate", "ContainerSpec"],
        "Env",
        (!env.is_empty()).then(|| env.into()),
    )
}

pub fn ports_of(spec: &Value) -> Vec<EndpointPortConfig> {
    serde_json::from_value(spec["EndpointSpec"]["Ports"].clone()).unwrap_or_default()
}

pub fn set_ports(spec: &mut Value, ports: &[EndpointPortConfig]) -> Result<(), String> {
    let v = serde_json::to_value(ports).map_err(|e| e.to_string())?;
    set(
        spec,
        &["EndpointSpec"],
        "Ports",
        (!ports.is_empty()).then_some(v),
    )
}

pub fn constraints_of(spec: &Value) -> Vec<String> {
    strings(&spec["TaskTemplate"]["Placement"]["Constraints"])
}

pub fn set_constraints(spec: &mut Value, constraints: &[String]) -> Result<(), String> {
    set(
        spec,
        &["TaskTemplate", "Placement"],
        "Constraints",
        (!constraints.is_empty()).then(|| constraints.into()),
    )
}

pub fn resources_of(spec: &Value) -> Resources {
    let r = &spec["TaskTemplate"]["Resources"];
    Resources {
        limit_nano_cpus: r["Limits"]["NanoCPUs"].as_i64().filter(|n| *n > 0),
        limit_memory: r["Limits"]["MemoryBytes"].as_i64().filter(|n| *n > 0),
        reserve_nano_cpus: r["Reservations"]["NanoCPUs"].as_i64().filter(|n| *n > 0),
        reserve_memory: r["Reservations"]["MemoryBytes"].as_i64().filter(|n| *n > 0),
    }
}

/// Changes only the four values that differ; generic resources, pids and the rest stay.
pub fn set_resources(spec: &mut Value, new: &Resources) -> Result<(), String> {
    let old = resources_of(spec);
    let fields = [
        (
            "Limits",
            "NanoCPUs",
            old.limit_nano_cpus,
            new.limit_nano_cpus,
        ),
        ("Limits", "MemoryBytes", old.limit_memory, new.limit_memory),
        (
            "Reservations",
            "NanoCPUs",
            old.reserve_nano_cpus,
            new.reserve_nano_cpus,
        ),
        (
            "Reservations",
            "MemoryBytes",
            old.reserve_memory,
            new.reserve_memory,
        ),
    ];
    for (group, key, before, after) in fields {
        if before != after {
            set(
                spec,
                &["TaskTemplate", "Resources", group],
                key,
                after.map(Value::from),
            )?;
        }
    }
    Ok(())
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input() -> CreateInput {
        CreateInput {
            name: "web".into(),
            image: "nginx:1.27".into(),
            replicas: "4".into(),
            ports: vec!["80:80".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_new_service_is_what_docker_service_create_would_send() {
        let s = NewService::parse(&CreateInput {
            command: "sh -c 'echo hi'".into(),
            env: vec!["A=1\nB=2".into()],
            constraints: vec!["node.role==manager".into()],
            labels: vec!["team=ops".into()],
            resources: ResourcesInput {
                limit_memory: "64M".into(),
                ..Default::default()
            },
            ..input()
        })
        .unwrap();
        let v = serde_json::to_value(&s.spec).unwrap();
        assert_eq!(v["Name"], "web");
        assert_eq!(v["Mode"]["Replicated"]["Replicas"], 4);
        let c = &v["TaskTemplate"]["ContainerSpec"];
        assert_eq!(c["Image"], "nginx:1.27");
        assert_eq!(c["Args"], json!(["sh", "-c", "echo hi"]));
        assert_eq!(c["Env"], json!(["A=1", "B=2"]));
        assert_eq!(
            v["EndpointSpec"]["Ports"],
            json!([{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 80, "PublishMode": "ingress"}])
        );
        assert_eq!(
            v["TaskTemplate"]["Placement"]["Constraints"],
            json!(["node.role==manager"])
        );
        assert_eq!(
            v["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"],
            64 << 20
        );
        assert_eq!(v["TaskTemplate"]["RestartPolicy"]["Condition"], "any");
        assert_eq!(v["UpdateConfig"]["FailureAction"], "pause");
        assert_eq!(v["Labels"]["team"], "ops");
    }

    #[test]
    fn every_bad_field_is_reported() {
        let e = NewService::parse(&CreateInput {
            name: "-bad".into(),
            image: "Not An Image".into(),
            ports: vec!["80:http".into()],
            mounts: vec!["type=bind,target=/x".into()],
            ..input()
        })
        .unwrap_err();
        for f in ["name", "image", "ports", "mounts"] {
            assert!(e.get(f).is_some(), "{f}: {e:?}");
        }
        let g = NewService::parse(&CreateInput {
            mode: "global".into(),
            replicas: "3".into(),
            ..input()
        })
        .unwrap_err();
        assert!(g.get("replicas").unwrap().contains("global"));
        let ok = NewService::parse(&CreateInput {
            mode: "global".into(),
            replicas: "".into(),
            ..input()
        })
        .unwrap();
        assert!(ok.spec.mode.unwrap().global.is_some());
    }

    #[test]
    fn edits_touch_only_their_field() {
        let before = json!({
            "Name": "x",
            "TaskTemplate": {
                "ContainerSpec": {"Image": "a:1", "Env": ["A=1"], "Healthcheck": {"Test": ["CMD", "true"]}},
                "Resources": {"Limits": {"MemoryBytes": 1000, "Pids": 5}, "Reservations": {}},
                "ForceUpdate": 2
            },
            "Mode": {"Replicated": {"Replicas": 1}},
            "EndpointSpec": {"Mode": "vip"}
        });
        let mut s = before.clone();
        set_env(&mut s, &["B=2".into()]).unwrap();
        let mut expected = before.clone();
        expected["TaskTemplate"]["ContainerSpec"]["Env"] = json!(["B=2"]);
        assert_eq!(s, expected);

        let mut s = before.clone();
        set_resources(
            &mut s,
            &Resources {
                limit_memory: Some(1000),
                reserve_nano_cpus: Some(5),
                ..Default::default()
            },
        )
        .unwrap();
        let mut expected = before.clone();
        expected["TaskTemplate"]["Resources"]["Reservations"]["NanoCPUs"] = json!(5);
        assert_eq!(s, expected);

        let mut s = before.clone();
        bump_force_update(&mut s).unwrap();
        assert_eq!(s["TaskTemplate"]["ForceUpdate"], 3);
        set_replicas(&mut s, 7).unwrap();
        assert_eq!(s["Mode"]["Replicated"]["Replicas"], 7);
        set_ports(&mut s, &flags::parse_port("8080:80").unwrap()).unwrap();
        assert_eq!(s["EndpointSpec"]["Mode"], "vip");
        assert_eq!(ports_of(&s)[0].published_port, Some(8080));
        set_constraints(&mut s, &[]).unwrap();
        assert!(s["TaskTemplate"].get("Placement").is_none());

        let mut g = json!({"Mode": {"Global": {}}});
        assert!(set_replicas(&mut g, 2).unwrap_err().contains("global"));
    }
}
