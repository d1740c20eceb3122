//! The difference between a running service and the spec a deploy would send, field by field,
//! in the Engine API's own spelling (`TaskTemplate.ContainerSpec.Env[APP_MODE]`,
//! `Mode.Replicated.Replicas`), with what each change does to the service's tasks.
//!
//! Both sides are first brought to one canonical form, so that a file that did not change reads
//! as "unchanged" although the daemon stores the spec differently from what was sent:
//! * values the daemon fills in or treats as absent are made equal: `Replicated: {}` stores
//!   `Replicas: 1`, an empty endpoint mode is `vip`, empty port protocol/mode are
//!   `tcp`/`ingress`, an empty update/rollback failure action is `pause` and order `stop-first`,
//!   an empty restart condition `any`, an empty mount type `bind` (each the daemon's first enum
//!   value), the task runtime `container`, the isolation `default`;
//! * network attachments name networks by ID on the daemon and by name in a deploy: IDs are
//!   mapped back to names;
//! * `null`, `""`, `false`, `0`, `[]` and `{}` mean "not set" (Go's `omitempty`), except where
//!   the Engine API keeps a pointer and the zero means something: `Replicas: 0`, a job's
//!   `MaxConcurrent`/`TotalCompletions`, `StopGracePeriod: 0`, a restart `Delay: 0`,
//!   `Init: false`, and the empty objects of `Mode` (`Global: {}`) and of a runtime config;
//! * bollard spells the health check `HealthCheck`, the daemon `Healthcheck`.
//!
//! Which changes replace tasks follows swarmkit's `IsTaskDirty`: any change under
//! `TaskTemplate` (except placement constraints alone, which only move tasks whose node no
//! longer qualifies) or under `EndpointSpec` (swarmkit compares the task's endpoint too —
//! checked on the lab: publishing a port restarts the task). Replicas, labels, update and
//! rollback settings are applied in place.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use canonical::{apply_defaults, canonical};

/// One changed field of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// Dotted path in the Engine API's spelling. List entries and map keys are named in
    /// brackets: `TaskTemplate.ContainerSpec.Env[APP_MODE]`, `Labels[com.example.tier]`,
    /// `TaskTemplate.ContainerSpec.Mounts[/data].Source`, `EndpointSpec.Ports[8080:80/tcp]`.
    pub path: String,
    /// The running value, for people (durations as `5s`); `None` when the file adds it.
    pub before: Option<String>,
    /// The value from the file; `None` when the file removes it.
    pub after: Option<String>,
    /// Whether this change makes swarm replace the service's tasks.
    pub restarts: bool,
}

/// Every change a deploy makes to one existing service.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ServiceDiff {
    /// Changed fields, sorted by path.
    pub changes: Vec<FieldChange>,
}

impl ServiceDiff {
    /// The running spec already matches the file.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Swarm will replace (restart) the service's tasks.
    pub fn restarts_tasks(&self) -> bool {
        self.changes.iter().any(|c| c.restarts)
    }

    /// `3 fields changed, tasks restart` / `1 field changed, tasks keep running` / `unchanged`.
    pub fn summary(&self) -> String {
        match self.changes.len() {
            0 => "unchanged".to_string(),
            n => format!(
                "{n} field{} changed, {}",
                if n == 1 { "" } else { "s" },
                if self.restarts_tasks() {
                    "tasks restart"
                } else {
                    "tasks keep running"
                }
            ),
        }
    }
}

/// Compares the running spec (`Spec` as the daemon returns it) with the spec a deploy sends
/// (a serialized bollard `ServiceSpec`). `network_name` maps a network ID to its name.
pub fn diff_service(
    running: &Value,
    new: &Value,
    network_name: &dyn Fn(&str) -> Option<String>,
) -> ServiceDiff {
    let a = canonical_spec(running, network_name);
    let b = canonical_spec(new, network_name);
    let mut changes = Vec::new();
    compare(&mut Vec::new(), a.as_ref(), b.as_ref(), &mut changes);
    for c in &mut changes {
        c.restarts = restarts(&c.path);
    }
    changes.sort_by(|x, y| x.path.cmp(&y.path));
    ServiceDiff { changes }
}

/// The canonical form of a service spec (see the module docs); `None` when nothing is set.
pub fn canonical_spec(
    spec: &Value,
    network_name: &dyn Fn(&str) -> Option<String>,
) -> Option<Value> {
    let mut v = spec.clone();
    apply_defaults(&mut v, network_name);
    canonical(&mut Vec::new(), v)
}

fn restarts(path: &str) -> bool {
    if path.starts_with("TaskTemplate.Placement.Constraints") {
        return false;
    }
    path.starts_with("TaskTemplate") || path.starts_with("EndpointSpec")
}

/// Maps whose keys are user data, shown as `Labels[key]`.
fn is_user_map(key: &str) -> bool {
    matches!(key, "Labels" | "Options" | "DriverOpts" | "Sysctls")
}

/// How the entries of a list are identified, for lists compared entry by entry.
fn list_key(list: &str, item: &Value) -> Option<String> {
    let field = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
    match list {
        "Env" => item
            .as_str()
            .map(|s| s.split_once('=').map_or(s, |(k, _)| k).to_string()),
        "Mounts" | "Networks" => field("Target"),
        "Ulimits" => field("Name"),
        "Secrets" => item
            .pointer("/File/Name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| field("SecretName")),
        "Configs" => match item.pointer("/File/Name").and_then(Value::as_str) {
            Some(target) => Some(target.to_string()),
            None => field("ConfigName").map(|n| format!("runtime:{n}")),
        },
        "Ports" => {
            let n = |k: &str| item.get(k).and_then(Value::as_u64).unwrap_or(0);
            let proto = field("Protocol").unwrap_or_else(|| "tcp".into());
            Some(crate::syntax::ports::key(
                n("PublishedPort"),
                n("TargetPort"),
                &proto,
            ))
        }
        _ => None,
    }
}

/// Splits a list into identified entries, or `None` when it is not keyed or keys repeat.
fn keyed(list: &str, items: &[Value]) -> Option<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for it in items {
        let k = list_key(list, it)?;
        let v = match (list, it.as_str()) {
            ("Env", Some(s)) => Value::String(s.split_once('=').map_or("", |(_, v)| v).into()),
            _ => it.clone(),
        };
        if out.insert(k, v).is_some() {
            return None;
        }
    }
    Some(out)
}

fn render_path(path: &[String]) -> String {
    let mut out = String::new();
    for seg in path {
        if seg.starts_with('[') || out.is_empty() {
            out.push_str(seg);
        } else {
            out.push('.');
            out.push_str(seg);
        }
    }
    out
}

const DURATIONS: &[&str] = &[
    "StopGracePeriod",
    "Delay",
    "Window",
    "Monitor",
    "Interval",
    "Timeout",
    "StartPeriod",
    "StartInterval",
];

fn render(path: &[String], v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            let last = path.last().map(String::as_str).unwrap_or("");
            match n.as_i64() {
                Some(ns) if DURATIONS.contains(&last) => duration(ns),
                _ => n.to_string(),
            }
        }
        other => other.to_string(),
    }
}

/// Nanoseconds as a short duration: `1m30s`, `500ms`, `0s`.
pub(crate) fn duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = if ns < 0 { "-" } else { "" };
    let ns = ns.unsigned_abs();
    if !ns.is_multiple_of(1_000_000_000) {
        return match ns {
            n if n.is_multiple_of(1_000_000) => format!("{neg}{}ms", n / 1_000_000),
            n if n.is_multiple_of(1_000) => format!("{neg}{}µs", n / 1_000),
            n => format!("{neg}{n}ns"),
        };
    }
    let s = ns / 1_000_000_000;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    match (h, m) {
        (0, 0) => format!("{neg}{s}s"),
        (0, m) => format!("{neg}{m}m{s}s"),
        (h, m) => format!("{neg}{h}h{m}m{s}s"),
    }
}

fn change(path: &[String], before: Option<&Value>, after: Option<&Value>) -> FieldChange {
    FieldChange {
        path: render_path(path),
        before: before.map(|v| render(path, v)),
        after: after.map(|v| render(path, v)),
        restarts: false,
    }
}

/// A block added or removed as a whole is shown field by field, except list entries (a new
/// port or mount reads best as one line) and empty blocks (`Mode.Global: {}`).
fn expandable(path: &[String], m: &Map<String, Value>) -> bool {
    !m.is_empty() && !path.last().is_some_and(|k| k.starts_with('['))
}

fn compare_maps(
    path: &mut Vec<String>,
    x: &Map<String, Value>,
    y: &Map<String, Value>,
    out: &mut Vec<FieldChange>,
) {
    let user = path.last().is_some_and(|k| is_user_map(k));
    let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        path.push(if user { format!("[{k}]") } else { k.clone() });
        compare(path, x.get(k), y.get(k), out);
        path.pop();
    }
}

fn compare(
    path: &mut Vec<String>,
    a: Option<&Value>,
    b: Option<&Value>,
    out: &mut Vec<FieldChange>,
) {
    let empty = Map::new();
    match (a, b) {
        (None, None) => {}
        (Some(x), Some(y)) if x == y => {}
        (Some(Value::Object(x)), Some(Value::Object(y))) => compare_maps(path, x, y, out),
        (None, Some(Value::Object(y))) if expandable(path, y) => compare_maps(path, &empty, y, out),
        (Some(Value::Object(x)), None) if expandable(path, x) => compare_maps(path, x, &empty, out),
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            let list = path.last().cloned().unwrap_or_default();
            match (keyed(&list, x), keyed(&list, y)) {
                (Some(kx), Some(ky)) => {
                    let mut keys: Vec<&String> = kx.keys().chain(ky.keys()).collect();
                    keys.sort();
                    keys.dedup();
                    for k in keys {
                        path.push(format!("[{k}]"));
                        compare(path, kx.get(k), ky.get(k), out);
                        path.pop();
                    }
                }
                _ => out.push(change(path, a, b)),
            }
        }
        _ => out.push(change(path, a, b)),
    }
}

mod canonical;
#[cfg(test)]
mod tests;
