//! A service spec in readable sections, read from the JSON Docker holds (so nothing a typed
//! model does not know about is hidden, health checks included).

use std::collections::HashMap;

use bollard::models::EndpointPortConfig;
use serde_json::Value;

use super::flags;
use crate::syntax::ports;

/// A row of a key/value table.
pub type Row = (&'static str, String);

#[derive(Debug, Clone, Default)]
pub struct PortView {
    pub published: String,
    pub target: i64,
    pub protocol: String,
    pub mode: String,
}

#[derive(Debug, Clone, Default)]
pub struct MountView {
    pub kind: String,
    pub source: String,
    pub target: String,
    pub read_only: bool,
    pub options: String,
}

#[derive(Debug, Clone, Default)]
pub struct NetworkView {
    pub name: String,
    pub aliases: String,
}

/// A secret or config made available to the tasks.
#[derive(Debug, Clone, Default)]
pub struct FileRefView {
    pub name: String,
    pub target: String,
    pub mode: String,
}

#[derive(Debug, Clone, Default)]
pub struct SpecView {
    pub image: String,
    pub entrypoint: String,
    pub args: String,
    pub env: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub container_labels: Vec<(String, String)>,
    pub ports: Vec<PortView>,
    pub endpoint_mode: String,
    pub mounts: Vec<MountView>,
    pub networks: Vec<NetworkView>,
    pub constraints: Vec<String>,
    pub placement: Vec<Row>,
    pub resources: Vec<Row>,
    pub restart: Vec<Row>,
    pub update_config: Vec<Row>,
    pub rollback_config: Vec<Row>,
    pub secrets: Vec<FileRefView>,
    pub configs: Vec<FileRefView>,
    pub healthcheck: Vec<Row>,
    pub container: Vec<Row>,
    pub logging: Vec<Row>,
}

fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_default()
}

fn sorted_map(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), s(v))).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn dur(v: &Value) -> Option<String> {
    v.as_i64().map(flags::format_duration)
}

fn push(rows: &mut Vec<Row>, key: &'static str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        rows.push((key, v));
    }
}

/// The networks a spec attaches to (ids, or names on older specs).
pub fn network_targets(spec: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for list in [&spec["TaskTemplate"]["Networks"], &spec["Networks"]] {
        for n in list.as_array().into_iter().flatten() {
            let t = s(&n["Target"]);
            if !t.is_empty() && !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

impl SpecView {
    pub fn from_spec(spec: &Value, network_names: &HashMap<String, String>) -> SpecView {
        let tt = &spec["TaskTemplate"];
        let c = &tt["ContainerSpec"];
        let mut v = SpecView {
            image: s(&c["Image"]),
            entrypoint: flags::join_command(&strings(&c["Command"])),
            args: flags::join_command(&strings(&c["Args"])),
            env: strings(&c["Env"])
                .into_iter()
                .map(|e| match e.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (e, String::new()),
                })
                .collect(),
            labels: sorted_map(&spec["Labels"]),
            container_labels: sorted_map(&c["Labels"]),
            endpoint_mode: s(&spec["EndpointSpec"]["Mode"]),
            constraints: strings(&tt["Placement"]["Constraints"]),
            ..Default::default()
        };

        let ports: Vec<EndpointPortConfig> =
            serde_json::from_value(spec["EndpointSpec"]["Ports"].clone()).unwrap_or_default();
        v.ports = ports
            .iter()
            .map(|p| PortView {
                published: p
                    .published_port
                    .filter(|x| *x > 0)
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| "assigned by swarm".into()),
                target: p.target_port.unwrap_or(0),
                protocol: ports::protocol_name(p.protocol).into(),
                mode: ports::mode_name(p).into(),
            })
            .collect();

        for m in c["Mounts"].as_array().into_iter().flatten() {
            let mut opts = Vec::new();
            for (k, val) in [
                ("propagation", &m["BindOptions"]["Propagation"]),
                ("driver", &m["VolumeOptions"]["DriverConfig"]["Name"]),
                ("size", &m["TmpfsOptions"]["SizeBytes"]),
                ("consistency", &m["Consistency"]),
            ] {
                let text = if k == "size" {
                    val.as_i64().map(flags::format_bytes).unwrap_or_default()
                } else {
                    s(val)
                };
                if !text.is_empty() {
                    opts.push(format!("{k}={text}"));
                }
            }
            if m["VolumeOptions"]["NoCopy"].as_bool() == Some(true) {
                opts.push("nocopy".into());
            }
            for (k, val) in sorted_map(&m["VolumeOptions"]["DriverConfig"]["Options"]) {
                opts.push(format!("opt {k}={val}"));
            }
            for (k, val) in sorted_map(&m["VolumeOptions"]["Labels"]) {
                opts.push(format!("label {k}={val}"));
            }
            v.mounts.push(MountView {
                kind: s(&m["Type"]),
                source: s(&m["Source"]),
                target: s(&m["Target"]),
                read_only: m["ReadOnly"].as_bool().unwrap_or(false),
                options: opts.join(", "),
            });
        }

        for list in [&tt["Networks"], &spec["Networks"]] {
            for n in list.as_array().into_iter().flatten() {
                let target = s(&n["Target"]);
                v.networks.push(NetworkView {
                    name: network_names.get(&target).cloned().unwrap_or(target),
                    aliases: strings(&n["Aliases"]).join(", "),
                });
            }
        }

        let p = &tt["Placement"];
        let prefs: Vec<String> = p["Preferences"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| format!("spread {}", s(&x["Spread"]["SpreadDescriptor"])))
            .collect();
        push(&mut v.placement, "Preferences", Some(prefs.join(", ")));
        push(
            &mut v.placement,
            "Max replicas per node",
            p["MaxReplicas"]
                .as_i64()
                .filter(|n| *n > 0)
                .map(|n| n.to_string()),
        );
        let platforms: Vec<String> = p["Platforms"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| format!("{}/{}", s(&x["OS"]), s(&x["Architecture"])))
            .collect();
        push(&mut v.placement, "Platforms", Some(platforms.join(", ")));

        let r = &tt["Resources"];
        let cpus = |x: &Value| x.as_i64().filter(|n| *n > 0).map(flags::format_cpus);
        let mem = |x: &Value| x.as_i64().filter(|n| *n > 0).map(flags::format_bytes);
        push(
            &mut v.resources,
            "CPU limit",
            cpus(&r["Limits"]["NanoCPUs"]),
        );
        push(
            &mut v.resources,
            "Memory limit",
            mem(&r["Limits"]["MemoryBytes"]),
        );
        push(
            &mut v.resources,
            "Process limit",
            r["Limits"]["Pids"]
                .as_i64()
                .filter(|n| *n > 0)
                .map(|n| n.to_string()),
        );
        push(
            &mut v.resources,
            "CPU reservation",
            cpus(&r["Reservations"]["NanoCPUs"]),
        );
        push(
            &mut v.resources,
            "Memory reservation",
            mem(&r["Reservations"]["MemoryBytes"]),
        );
        let generic: Vec<String> = r["Reservations"]["GenericResources"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| {
                let d = if g["DiscreteResourceSpec"].is_object() {
                    &g["DiscreteResourceSpec"]
                } else {
                    &g["NamedResourceSpec"]
                };
                format!("{}={}", s(&d["Kind"]), s(&d["Value"]))
            })
            .collect();
        push(
            &mut v.resources,
            "Generic resources",
            Some(generic.join(", ")),
        );

        let rp = &tt["RestartPolicy"];
        push(&mut v.restart, "Condition", Some(s(&rp["Condition"])));
        push(&mut v.restart, "Delay", dur(&rp["Delay"]));
        push(
            &mut v.restart,
            "Max attempts",
            rp["MaxAttempts"].as_i64().map(|n| {
                if n == 0 {
                    "unlimited".to_string()
                } else {
                    n.to_string()
                }
            }),
        );
        push(&mut v.restart, "Window", dur(&rp["Window"]));

        for (rows, cfg) in [
            (&mut v.update_config, &spec["UpdateConfig"]),
            (&mut v.rollback_config, &spec["RollbackConfig"]),
        ] {
            push(
                rows,
                "Parallelism",
                cfg["Parallelism"].as_i64().map(|n| {
                    if n == 0 {
                        "all at once".to_string()
                    } else {
                        n.to_string()
                    }
                }),
            );
            push(rows, "Delay", dur(&cfg["Delay"]));
            push(rows, "On failure", Some(s(&cfg["FailureAction"])));
            push(rows, "Monitor", dur(&cfg["Monitor"]));
            push(
                rows,
                "Max failure ratio",
                cfg["MaxFailureRatio"].as_f64().map(|x| x.to_string()),
            );
            push(rows, "Order", Some(s(&cfg["Order"])));
        }

        for (out, list, name_key) in [
            (&mut v.secrets, &c["Secrets"], "SecretName"),
            (&mut v.configs, &c["Configs"], "ConfigName"),
        ] {
            for x in list.as_array().into_iter().flatten() {
                out.push(FileRefView {
                    name: s(&x[name_key]),
                    target: s(&x["File"]["Name"]),
                    mode: x["File"]["Mode"]
                        .as_u64()
                        .map(|m| format!("{m:04o}"))
                        .unwrap_or_default(),
                });
            }
        }

        let h = &c["Healthcheck"];
        if h.is_object() {
            let test = strings(&h["Test"]);
            let shown = match test.first().map(String::as_str) {
                Some("NONE") => "disabled (NONE)".to_string(),
                Some("CMD-SHELL") => test[1..].join(" "),
                Some("CMD") => flags::join_command(&test[1..]),
                _ => flags::join_command(&test),
            };
            push(&mut v.healthcheck, "Test", Some(shown));
            push(&mut v.healthcheck, "Interval", dur(&h["Interval"]));
            push(&mut v.healthcheck, "Timeout", dur(&h["Timeout"]));
            push(
                &mut v.healthcheck,
                "Retries",
                h["Retries"].as_i64().map(|n| n.to_string()),
            );
            push(&mut v.healthcheck, "Start period", dur(&h["StartPeriod"]));
        }

        let cr = &mut v.container;
        push(cr, "User", Some(s(&c["User"])));
        push(cr, "Working directory", Some(s(&c["Dir"])));
        push(cr, "Hostname", Some(s(&c["Hostname"])));
        push(
            cr,
            "Init",
            c["Init"]
                .as_bool()
                .map(|b| if b { "yes" } else { "no" }.into()),
        );
        push(
            cr,
            "Read-only root",
            c["ReadOnly"].as_bool().filter(|b| *b).map(|_| "yes".into()),
        );
        push(
            cr,
            "TTY",
            c["TTY"].as_bool().filter(|b| *b).map(|_| "yes".into()),
        );
        push(cr, "Stop signal", Some(s(&c["StopSignal"])));
        push(cr, "Stop grace period", dur(&c["StopGracePeriod"]));
        push(cr, "Extra hosts", Some(strings(&c["Hosts"]).join(", ")));
        push(
            cr,
            "DNS servers",
            Some(strings(&c["DNSConfig"]["Nameservers"]).join(", ")),
        );
        push(
            cr,
            "DNS search",
            Some(strings(&c["DNSConfig"]["Search"]).join(", ")),
        );
        push(
            cr,
            "Capabilities added",
            Some(strings(&c["CapabilityAdd"]).join(", ")),
        );
        push(
            cr,
            "Capabilities dropped",
            Some(strings(&c["CapabilityDrop"]).join(", ")),
        );
        push(
            cr,
            "Sysctls",
            Some(
                sorted_map(&c["Sysctls"])
                    .into_iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        );
        push(cr, "Groups", Some(strings(&c["Groups"]).join(", ")));
        push(
            cr,
            "Runtime",
            Some(s(&tt["Runtime"])).filter(|r| r != "container"),
        );
        push(
            cr,
            "Force update counter",
            tt["ForceUpdate"]
                .as_u64()
                .filter(|n| *n > 0)
                .map(|n| n.to_string()),
        );

        let ld = &tt["LogDriver"];
        push(&mut v.logging, "Driver", Some(s(&ld["Name"])));
        for (k, val) in sorted_map(&ld["Options"]) {
            v.logging.push(("Option", format!("{k}={val}")));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sections_read_the_json_docker_holds() {
        let spec = json!({
            "Name": "web",
            "Labels": {"b": "2", "a": "<script>"},
            "TaskTemplate": {
                "ContainerSpec": {
                    "Image": "nginx:1",
                    "Args": ["sh", "-c", "echo hi"],
                    "Env": ["A=1", "SECRET=x=y"],
                    "Healthcheck": {"Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 5000000000i64, "Retries": 3},
                    "Mounts": [{"Type": "volume", "Source": "data", "Target": "/data", "ReadOnly": true}],
                    "StopGracePeriod": 3000000000i64,
                    "Secrets": [{"SecretName": "db", "File": {"Name": "db", "Mode": 292}}]
                },
                "Resources": {"Limits": {"MemoryBytes": 67108864, "NanoCPUs": 500000000}},
                "RestartPolicy": {"Condition": "on-failure", "Delay": 3000000000i64, "MaxAttempts": 5},
                "Networks": [{"Target": "n1", "Aliases": ["w"]}]
            },
            "UpdateConfig": {"Parallelism": 2, "FailureAction": "continue", "Order": "start-first"},
            "RollbackConfig": {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5000000000i64, "MaxFailureRatio": 0, "Order": "stop-first"},
            "EndpointSpec": {"Mode": "vip", "Ports": [{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"}]}
        });
        let names = HashMap::from([("n1".to_string(), "backend".to_string())]);
        let v = SpecView::from_spec(&spec, &names);
        assert_eq!(v.args, "sh -c 'echo hi'");
        assert_eq!(v.env[1], ("SECRET".into(), "x=y".into()));
        assert_eq!(v.labels[0], ("a".into(), "<script>".into()));
        assert_eq!(v.healthcheck[0], ("Test", "curl -f localhost".into()));
        assert!(v.healthcheck.contains(&("Interval", "5s".into())));
        assert!(v.resources.contains(&("Memory limit", "64MiB".into())));
        assert!(v.resources.contains(&("CPU limit", "0.5".into())));
        assert!(v.restart.contains(&("Condition", "on-failure".into())));
        assert_eq!(v.ports[0].mode, "host");
        assert_eq!(v.networks[0].name, "backend");
        assert!(v.mounts[0].read_only);
        assert_eq!(v.secrets[0].mode, "0444");
        assert!(v.container.contains(&("Stop grace period", "3s".into())));
        assert!(v.update_config.contains(&("Order", "start-first".into())));
        assert!(v.rollback_config.contains(&("Monitor", "5s".into())));
        assert!(v.rollback_config.contains(&("Order", "stop-first".into())));
    }
}
