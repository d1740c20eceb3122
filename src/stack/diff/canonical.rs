//! The canonical form both sides of a diff are brought to (see the parent module's docs).

use serde_json::{Map, Value};

fn obj<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    v.as_object_mut()?.get_mut(key)?.as_object_mut()
}

fn is_unset(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    }
}

fn default_str(m: &mut Map<String, Value>, key: &str, value: &str) {
    if is_unset(m.get(key)) {
        m.insert(key.to_string(), Value::String(value.to_string()));
    }
}

/// What the daemon fills in, applied to both sides.
pub(super) fn apply_defaults(spec: &mut Value, network_name: &dyn Fn(&str) -> Option<String>) {
    if let Some(mode) = obj(spec, "Mode") {
        if let Some(r) = mode.get_mut("Replicated").and_then(Value::as_object_mut)
            && is_unset(r.get("Replicas"))
        {
            r.insert("Replicas".into(), Value::from(1));
        }
        if let Some(j) = mode.get_mut("ReplicatedJob").and_then(Value::as_object_mut) {
            if is_unset(j.get("MaxConcurrent")) {
                j.insert("MaxConcurrent".into(), Value::from(1));
            }
            if is_unset(j.get("TotalCompletions")) {
                let max = j.get("MaxConcurrent").cloned().unwrap_or(Value::from(1));
                j.insert("TotalCompletions".into(), max);
            }
        }
    }
    if let Some(tt) = obj(spec, "TaskTemplate") {
        if tt.get("Runtime").and_then(Value::as_str) == Some("container") {
            tt.remove("Runtime");
        }
        if let Some(rp) = tt.get_mut("RestartPolicy").and_then(Value::as_object_mut) {
            default_str(rp, "Condition", "any");
        }
        if let Some(cs) = tt.get_mut("ContainerSpec").and_then(Value::as_object_mut) {
            // an empty mount type is the daemon's first enum value
            for m in cs
                .get_mut("Mounts")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object_mut)
            {
                default_str(m, "Type", "bind");
            }
            if let Some(h) = cs.remove("HealthCheck") {
                cs.insert("Healthcheck".into(), h);
            }
            if cs.get("Isolation").and_then(Value::as_str) == Some("default") {
                cs.remove("Isolation");
            }
        }
        if let Some(nets) = tt.get_mut("Networks").and_then(Value::as_array_mut) {
            for n in nets.iter_mut().filter_map(Value::as_object_mut) {
                if let Some(id) = n.get("Target").and_then(Value::as_str)
                    && let Some(name) = network_name(id)
                {
                    n.insert("Target".into(), Value::String(name));
                }
            }
        }
    }
    for key in ["UpdateConfig", "RollbackConfig"] {
        if let Some(u) = obj(spec, key) {
            default_str(u, "FailureAction", "pause");
            default_str(u, "Order", "stop-first");
        }
    }
    if let Some(ep) = obj(spec, "EndpointSpec") {
        if ep.get("Mode").and_then(Value::as_str) == Some("vip") {
            ep.remove("Mode");
        }
        if let Some(ports) = ep.get_mut("Ports").and_then(Value::as_array_mut) {
            for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                for (k, d) in [("Protocol", "tcp"), ("PublishMode", "ingress")] {
                    let v = match p.get(k).and_then(Value::as_str) {
                        Some(s) if !s.is_empty() => s.to_lowercase(),
                        _ => d.to_string(),
                    };
                    p.insert(k.into(), Value::String(v));
                }
            }
        }
    }
}

/// Paths (keys from the spec root, list indices skipped) whose zero value is meaningful.
const KEEP_ZERO: &[&str] = &[
    "Mode.Replicated.Replicas",
    "Mode.ReplicatedJob.MaxConcurrent",
    "Mode.ReplicatedJob.TotalCompletions",
    "TaskTemplate.ContainerSpec.StopGracePeriod",
    "TaskTemplate.RestartPolicy.Delay",
];
const KEEP_FALSE: &[&str] = &["TaskTemplate.ContainerSpec.Init"];

fn keep_empty_object(path: &[String]) -> bool {
    match path {
        [first, _] if first == "Mode" => true,
        [.., list, last] if list == "Configs" && last == "Runtime" => true,
        _ => false,
    }
}

pub(super) fn canonical(path: &mut Vec<String>, v: Value) -> Option<Value> {
    let joined = || path.join(".");
    match v {
        Value::Null => None,
        Value::Bool(false) => KEEP_FALSE
            .contains(&joined().as_str())
            .then_some(Value::Bool(false)),
        Value::String(s) if s.is_empty() => None,
        Value::Number(n) if n.as_f64() == Some(0.0) => KEEP_ZERO
            .contains(&joined().as_str())
            .then_some(Value::from(0)),
        Value::Array(a) => {
            let a: Vec<Value> = a.into_iter().filter_map(|x| canonical(path, x)).collect();
            (!a.is_empty()).then_some(Value::Array(a))
        }
        Value::Object(o) => {
            let mut m = Map::new();
            for (k, x) in o {
                path.push(k.clone());
                if let Some(x) = canonical(path, x) {
                    m.insert(k, x);
                }
                path.pop();
            }
            (!m.is_empty() || keep_empty_object(path)).then_some(Value::Object(m))
        }
        other => Some(other),
    }
}
