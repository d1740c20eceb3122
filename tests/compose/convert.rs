//! Conversion goldens: every topic under `tests/fixtures/compose/convert/` is loaded and
//! converted for stack `demo`, and the resulting `StackSpec` is compared with
//! `tests/golden/compose/convert/<topic>.json` (run with `BLESS=1` to rewrite them after an
//! intended change; the diff then shows the rule that moved).
//!
//! Each topic is also checked against what docker CLI 28.2.2 sent to the Engine API for the
//! same file (`<topic>.cli.jsonl`, recorded by `tests/fixtures/compose/record-convert.sh`
//! against a recording stand-in daemon), or the error it printed (`<topic>.cli.err`).
//! The comparison ignores what the daemon treats as absent (null, false, "", {}, [] and the
//! zero `ForceUpdate`), and the CLI v28 → v29 changes the spec follows: ports compared as a
//! set (v28 sorted them by published port only, unstably), invalid `dns` entries dropped,
//! `restart: on-failure` without a count leaving `MaxAttempts` unset; and what the daemon
//! normalises anyway (enum case, unknown isolation values as `default`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use berth::compose::{self, ComposeFile, DiskFiles, LoadOptions, StackSpec};
use serde_json::{Map, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_and_convert(dir: &Path) -> Result<StackSpec, compose::ComposeError> {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("HOME".into(), "/home/tester".into());
    for l in fs::read_to_string(dir.join("env"))
        .unwrap_or_default()
        .lines()
    {
        if let Some((k, v)) = l.split_once('=') {
            env.insert(k.into(), v.into());
        }
    }
    let text = fs::read_to_string(dir.join("docker-compose.yml")).unwrap_or_default();
    let disk = DiskFiles;
    let opts = LoadOptions::new(&env, dir, &disk);
    let loaded = compose::load(&[ComposeFile::new("docker-compose.yml", text)], &opts)?;
    compose::convert("demo", &loaded.config, &opts)
}

/// Drops what the daemon treats as unset, recursively; keys are compared case-insensitively
/// (Go's JSON decoding is: bollard spells `HealthCheck` where Go writes `Healthcheck`), enum
/// strings the daemon upper-cases are lower-cased, numbers compared as floats (`0` = `0.0`).
pub(crate) fn canonical(v: Value) -> Option<Value> {
    match v {
        Value::Number(n) => Some(Value::from(n.as_f64().unwrap_or(f64::NAN))),
        Value::Null | Value::Bool(false) => None,
        Value::String(s) if s.is_empty() => None,
        Value::Array(a) => {
            let a: Vec<Value> = a.into_iter().filter_map(canonical).collect();
            (!a.is_empty()).then_some(Value::Array(a))
        }
        Value::Object(o) => {
            let mut m = Map::new();
            for (k, v) in o {
                if k == "ForceUpdate" && v.as_f64() == Some(0.0) {
                    continue;
                }
                let k = k.to_lowercase();
                let v = match (k.as_str(), v) {
                    ("protocol" | "publishmode", Value::String(s)) => {
                        Value::String(s.to_lowercase())
                    }
                    // the daemon stores isolation values other than process/hyperv as default
                    ("isolation", Value::String(s)) => {
                        let l = s.to_lowercase();
                        match l.as_str() {
                            "" | "process" | "hyperv" => Value::String(l),
                            _ => Value::String("default".into()),
                        }
                    }
                    // v28 sorted ports by published port only (unstable); v29 by all fields
                    ("ports", Value::Array(ports)) => {
                        let mut ports: Vec<Value> =
                            ports.into_iter().filter_map(canonical).collect();
                        ports.sort_by_key(|p| p.to_string());
                        Value::Array(ports)
                    }
                    // v29 drops nameservers that are not IP addresses
                    ("nameservers", Value::Array(ns)) => Value::Array(
                        ns.into_iter()
                            .filter(|n| {
                                n.as_str()
                                    .is_some_and(|s| s.parse::<std::net::IpAddr>().is_ok())
                            })
                            .collect(),
                    ),
                    // v28 sent MaxAttempts 0 for `restart: on-failure`; v29 leaves it unset
                    ("restartpolicy", Value::Object(mut rp)) => {
                        if rp.get("MaxAttempts").and_then(Value::as_f64) == Some(0.0) {
                            rp.remove("MaxAttempts");
                        }
                        Value::Object(rp)
                    }
                    (_, v) => v,
                };
                if let Some(v) = canonical(v) {
                    m.insert(k, v);
                }
            }
            (!m.is_empty()).then_some(Value::Object(m))
        }
        other => Some(other),
    }
}

/// Our requests, keyed like the recording: path + name.
pub(crate) fn our_requests(spec: &StackSpec) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for n in &spec.networks {
        if let Some(c) = &n.create {
            out.insert(
                format!("/networks/create {}", n.name),
                serde_json::to_value(c).unwrap_or(Value::Null),
            );
        }
    }
    for s in &spec.secrets {
        out.insert(
            format!("/secrets/create {}", s.name),
            serde_json::to_value(&s.spec).unwrap_or(Value::Null),
        );
    }
    for c in &spec.configs {
        out.insert(
            format!("/configs/create {}", c.name),
            serde_json::to_value(&c.spec).unwrap_or(Value::Null),
        );
    }
    for s in &spec.services {
        let mut plan = s.clone();
        // what the stack module does before sending: IDs (the recording daemon answers
        // `secret-<name>`/`config-<name>`) and the client-side `:latest` tagging
        let resolved = plan.resolve_ids(&|n| Some(format!("secret-{n}")), &|n| {
            Some(format!("config-{n}"))
        });
        assert!(resolved.is_ok(), "{resolved:?}");
        if let Some(cs) = plan
            .spec
            .task_template
            .as_mut()
            .and_then(|t| t.container_spec.as_mut())
        {
            cs.image = cs.image.as_deref().map(compose::normalize_image);
        }
        out.insert(
            format!("/services/create {}", s.name),
            serde_json::to_value(&plan.spec).unwrap_or(Value::Null),
        );
    }
    out
}

pub(crate) fn cli_requests(text: &str) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let path = v["path"].as_str().unwrap_or_default().to_string();
        let name = v["body"]["Name"].as_str().unwrap_or_default().to_string();
        out.insert(format!("{path} {name}"), v["body"].clone());
    }
    out
}

/// Rebuilds every object with sorted keys (bollard uses `HashMap`s, whose order varies).
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(o) => {
            let mut entries: Vec<(String, Value)> =
                o.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn check_topic(dir: &Path, bless: bool) -> Vec<String> {
    let topic = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let golden_dir = root().join("tests/golden/compose/convert");
    let abs = dir.to_string_lossy().into_owned();
    let mut problems = Vec::new();
    let result = load_and_convert(dir);
    let ours = match &result {
        Ok(spec) => {
            serde_json::to_string_pretty(&sorted(serde_json::to_value(spec).unwrap_or(Value::Null)))
                .unwrap_or_default()
        }
        Err(e) => serde_json::to_string_pretty(&serde_json::json!({
            "error": e.message,
            "file": e.file,
            "line": e.line,
            "column": e.column,
            "path": e.path,
        }))
        .unwrap_or_default(),
    }
    .replace(&abs, "<WD>")
        + "\n";
    let golden = golden_dir.join(format!("{topic}.json"));
    if bless {
        if let Err(e) = fs::write(&golden, &ours) {
            problems.push(format!("cannot write {}: {e}", golden.display()));
        }
    } else {
        let want = fs::read_to_string(&golden).unwrap_or_default();
        if want != ours {
            problems.push(format!(
                "differs from {} (BLESS=1 to accept):\n{ours}",
                golden.display()
            ));
        }
    }

    // parity with the CLI's requests
    let cli_err = fs::read_to_string(golden_dir.join(format!("{topic}.cli.err"))).ok();
    let cli_log = fs::read_to_string(golden_dir.join(format!("{topic}.cli.jsonl"))).ok();
    let deviation = fs::read_to_string(dir.join("deviation")).ok().map(|d| {
        d.lines()
            .filter(|l| !l.starts_with("# "))
            .collect::<Vec<_>>()
            .join("\n")
    });
    match (&result, cli_err, cli_log) {
        (Err(e), Some(want), _) => {
            let want = deviation.unwrap_or(want);
            let want = want.trim().lines().last().unwrap_or("").to_string();
            let got = e.message.replace(&abs, "<WD>");
            if got != want {
                problems.push(format!("error: CLI said {want:?}, we say {got:?}"));
            }
        }
        (Ok(spec), None, Some(log)) => {
            let ours = our_requests(spec);
            let theirs = cli_requests(&log.replace("<WD>", &abs));
            let keys: std::collections::BTreeSet<&String> =
                ours.keys().chain(theirs.keys()).collect();
            for k in keys {
                let a = ours.get(k).cloned().and_then(canonical);
                let b = theirs.get(k).cloned().and_then(canonical);
                if a != b {
                    problems.push(format!(
                        "{k}:\n  CLI: {}\n  we:  {}",
                        b.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into()),
                        a.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into())
                    ));
                }
            }
        }
        (Err(e), None, _) => problems.push(format!("the CLI deployed this, we fail: {e}")),
        (Ok(_), Some(err), _) => {
            problems.push(format!("the CLI failed ({}), we convert", err.trim()))
        }
        (Ok(_), None, None) => problems.push("no CLI recording".into()),
    }
    problems
        .into_iter()
        .map(|p| format!("{topic}: {p}"))
        .collect()
}

#[test]
fn conversion_matches_goldens_and_the_cli() {
    let bless = std::env::var_os("BLESS").is_some();
    let base = root().join("tests/fixtures/compose/convert");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&base)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    assert!(!dirs.is_empty(), "no conversion fixtures");
    let mut problems = Vec::new();
    for d in &dirs {
        problems.extend(check_topic(d, bless));
    }
    for p in &problems {
        println!("{p}\n");
    }
    println!(
        "compose convert: {} topics, {} problems",
        dirs.len(),
        problems.len()
    );
    assert!(problems.is_empty());
}
