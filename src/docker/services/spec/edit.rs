//! Edits of an existing spec held as the JSON Docker sent: each sets only its own field, so
//! everything else (fields berth does not know included) goes back unchanged.

use bollard::models::EndpointPortConfig;
use serde_json::{Map, Value};

use super::Resources;

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
    use crate::docker::services::flags;
    use serde_json::json;

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
