//! Parity with `docker stack deploy`: every case is deployed by the docker CLI (the oracle,
//! `--resolve-image never`) and by berth under two stack names, on the `parity` lab (one node,
//! drained: specs are stored, no task runs, so host ports and missing images do not matter).
//! What the daemon then holds — services, networks, secrets, configs, read back raw — is
//! normalised (IDs, versions, timestamps, the stack name, secret/config/network IDs in service
//! specs) and must be identical. Right after berth's deploy, planning the same file again must
//! find every service and config unchanged (the diff's normalisation checked against the
//! daemon). Each stack is removed (networks gone) before the next deploy.
//!
//! Cases: the project's own fixtures (`tests/fixtures/stack/*`: a `docker-compose.yml`, an
//! optional `docker-compose.override.yml` merged after it, an optional `env` file of
//! variables) and, when `BERTH_COMPOSE_CORPUS` is set, every `check … ok …` line of the
//! corpus's `validate.sh`. External networks, secrets and configs a case uses are created
//! first and removed after it.
//!
//! Known differences between docker CLI 28.2.2 and the spec (CLI v29) that berth follows are
//! normalised on both sides: ports compared as a set (v28 sorted by published port only),
//! `dns` entries that are not IPs dropped (v29), `RestartPolicy.MaxAttempts: 0` as unset
//! (`restart: on-failure` in v29).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use berth::compose::{self, LoadOptions};
use berth::docker::Engine;
use berth::stack::{self, Action};
use bollard::models::{ConfigSpec, NetworkCreateRequest, SecretSpec};
use serde_json::{Map, Value};

use super::support::*;
use crate::harness::{lab, unique};

struct Case {
    label: String,
    dir: PathBuf,
    files: Vec<String>,
    env: BTreeMap<String, String>,
}

fn base_env() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("HOME".to_string(), "/home/tester".to_string()),
        (
            "PATH".to_string(),
            "/usr/local/bin:/usr/bin:/bin".to_string(),
        ),
    ])
}

fn own_cases() -> Vec<Case> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stack");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/fixtures/stack")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("docker-compose.yml").exists())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let mut files = vec!["docker-compose.yml".to_string()];
            if dir.join("docker-compose.override.yml").exists() {
                files.push("docker-compose.override.yml".into());
            }
            let mut env = base_env();
            for l in std::fs::read_to_string(dir.join("env"))
                .unwrap_or_default()
                .lines()
            {
                if let Some((k, v)) = l.split_once('=') {
                    env.insert(k.into(), v.into());
                }
            }
            Case {
                label: format!(
                    "fixture {}",
                    dir.file_name().unwrap_or_default().to_string_lossy()
                ),
                dir,
                files,
                env,
            }
        })
        .collect()
}

/// Splits a shell line into words (quotes, no expansion), like validate.sh's `check` lines.
fn words(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quote, mut any) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, ' ' | '\t') => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

fn corpus_cases(corpus: &Path) -> Vec<Case> {
    let manifest = std::fs::read_to_string(corpus.join("validate.sh")).expect("validate.sh");
    manifest
        .lines()
        .map(|l| words(l.trim()))
        .filter(|w| w.len() >= 5 && w[0] == "check" && w[3] == "ok")
        .map(|w| {
            let mut files = Vec::new();
            let mut env = base_env();
            let mut in_env = false;
            for x in &w[4..] {
                if x == "--" {
                    in_env = true;
                } else if in_env {
                    let (k, v) = x.split_once('=').unwrap_or((x, ""));
                    env.insert(k.into(), v.into());
                } else {
                    files.push(x.clone());
                }
            }
            Case {
                label: format!("corpus {} {}", w[1], w[2]),
                dir: corpus.join(&w[1]),
                files,
                env,
            }
        })
        .collect()
}

/// What the daemon holds for one stack, normalised.
#[derive(Debug, PartialEq)]
struct Snapshot(BTreeMap<String, Value>);

fn ids_to_names(host: &str, path: &str, name: &str) -> HashMap<String, String> {
    raw_get(host, path)
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|x| {
            Some((
                x.get("ID").or_else(|| x.get("Id"))?.as_str()?.to_string(),
                x.pointer(name)?.as_str()?.to_string(),
            ))
        })
        .collect()
}

fn sort_by_text(v: &mut Value) {
    if let Some(a) = v.as_array_mut() {
        a.sort_by_key(|x| x.to_string());
    }
}

fn snapshot(host: &str, stack: &str, ipam_given: &BTreeSet<String>) -> Snapshot {
    let networks = ids_to_names(host, "/networks", "/Name");
    let secrets = ids_to_names(host, "/secrets", "/Spec/Name");
    let configs = ids_to_names(host, "/configs", "/Spec/Name");
    let q = label_query(stack);
    let mut out = BTreeMap::new();
    for s in raw_get(host, &format!("/services?{q}"))
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let mut spec = s.get("Spec").cloned().unwrap_or(Value::Null);
        if let Some(nets) = spec
            .pointer_mut("/TaskTemplate/Networks")
            .and_then(Value::as_array_mut)
        {
            for n in nets {
                if let Some(name) = n
                    .get("Target")
                    .and_then(Value::as_str)
                    .and_then(|t| networks.get(t))
                {
                    n["Target"] = Value::String(name.clone());
                }
            }
        }
        let cs = "/TaskTemplate/ContainerSpec";
        for (list, key, names) in [
            ("Secrets", "SecretID", &secrets),
            ("Configs", "ConfigID", &configs),
        ] {
            if let Some(refs) = spec
                .pointer_mut(&format!("{cs}/{list}"))
                .and_then(Value::as_array_mut)
            {
                for r in refs {
                    if let Some(n) = r
                        .get(key)
                        .and_then(Value::as_str)
                        .and_then(|i| names.get(i))
                    {
                        r[key] = Value::String(format!("id of {n}"));
                    }
                }
            }
        }
        if let Some(c) = spec.pointer_mut(&format!("{cs}/Privileges/CredentialSpec/Config"))
            && let Some(n) = c.as_str().and_then(|i| configs.get(i))
        {
            *c = Value::String(format!("id of {n}"));
        }
        // CLI v28 → v29 (the spec berth follows)
        if let Some(p) = spec.pointer_mut("/EndpointSpec/Ports") {
            sort_by_text(p);
        }
        if let Some(ns) = spec
            .pointer_mut(&format!("{cs}/DNSConfig/Nameservers"))
            .and_then(Value::as_array_mut)
        {
            ns.retain(|n| {
                n.as_str()
                    .is_some_and(|s| s.parse::<std::net::IpAddr>().is_ok())
            });
        }
        if let Some(rp) = spec
            .pointer_mut("/TaskTemplate/RestartPolicy")
            .and_then(Value::as_object_mut)
            && rp.get("MaxAttempts").and_then(Value::as_u64) == Some(0)
        {
            rp.remove("MaxAttempts");
        }
        let name = spec
            .get("Name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        out.insert(format!("service {name}"), spec);
    }
    for n in raw_get(host, &format!("/networks?{q}"))
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let name = n
            .get("Name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut m = Map::new();
        for k in [
            "Name",
            "Driver",
            "Scope",
            "EnableIPv6",
            "Internal",
            "Attachable",
            "Ingress",
            "ConfigOnly",
            "Labels",
        ] {
            if let Some(v) = n.get(k) {
                m.insert(k.into(), v.clone());
            }
        }
        let mut opts = n.get("Options").cloned().unwrap_or(Value::Null);
        if let Some(o) = opts.as_object_mut() {
            o.remove("com.docker.network.driver.overlay.vxlanid_list");
        }
        m.insert("Options".into(), opts);
        let mut ipam = n.get("IPAM").cloned().unwrap_or(Value::Null);
        if !ipam_given.contains(&name.replace(stack, "STACK"))
            && let Some(o) = ipam.as_object_mut()
        {
            o.remove("Config");
        }
        m.insert("IPAM".into(), ipam);
        out.insert(format!("network {name}"), Value::Object(m));
    }
    for (path, kind) in [("/secrets", "secret"), ("/configs", "config")] {
        for x in raw_get(host, &format!("{path}?{q}"))
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let spec = x.get("Spec").cloned().unwrap_or(Value::Null);
            let name = spec
                .get("Name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            out.insert(format!("{kind} {name}"), spec);
        }
    }
    let text = serde_json::to_string(&out)
        .expect("json")
        .replace(stack, "STACK");
    Snapshot(serde_json::from_str(&text).expect("json"))
}

/// Field-level differences between two JSON values (for the failure message).
fn json_diff(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<String>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                json_diff(&format!("{path}.{k}"), x.get(k), y.get(k), out);
            }
        }
        (x, y) if x != y => out.push(format!(
            "{path}: cli {} / berth {}",
            x.map_or("(absent)".into(), |v| v.to_string()),
            y.map_or("(absent)".into(), |v| v.to_string())
        )),
        _ => {}
    }
}

/// Creates what a case declares as external; returns what to delete afterwards.
async fn create_externals(e: &Engine, spec: &compose::StackSpec) -> Vec<(&'static str, String)> {
    let d = e.client().expect("client");
    let mut made = Vec::new();
    for n in spec
        .networks
        .iter()
        .filter(|n| n.external && user_defined(&n.name))
    {
        if d.inspect_network(&n.name, None).await.is_err() {
            d.create_network(NetworkCreateRequest {
                name: n.name.clone(),
                driver: Some("overlay".into()),
                attachable: Some(true),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|err| panic!("external network {}: {err}", n.name));
            made.push(("network", n.name.clone()));
        }
    }
    let declared_secrets: BTreeSet<&str> = spec.secrets.iter().map(|s| s.name.as_str()).collect();
    let declared_configs: BTreeSet<&str> = spec.configs.iter().map(|s| s.name.as_str()).collect();
    let data = Some("cGFyaXR5".to_string());
    for name in spec
        .services
        .iter()
        .flat_map(|s| s.secret_names.clone())
        .collect::<BTreeSet<_>>()
    {
        if !declared_secrets.contains(name.as_str()) && d.inspect_secret(&name).await.is_err() {
            d.create_secret(SecretSpec {
                name: Some(name.clone()),
                data: data.clone(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|err| panic!("external secret {name}: {err}"));
            made.push(("secret", name));
        }
    }
    for name in spec
        .services
        .iter()
        .flat_map(|s| s.config_names.clone())
        .collect::<BTreeSet<_>>()
    {
        if !declared_configs.contains(name.as_str()) && d.inspect_config(&name).await.is_err() {
            d.create_config(ConfigSpec {
                name: Some(name.clone()),
                data: data.clone(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|err| panic!("external config {name}: {err}"));
            made.push(("config", name));
        }
    }
    made
}

async fn delete_externals(e: &Engine, made: Vec<(&'static str, String)>) {
    let d = e.client().expect("client");
    for (kind, name) in made {
        let _ = match kind {
            "network" => d.remove_network(&name).await,
            "secret" => d.delete_secret(&name).await,
            _ => d.delete_config(&name).await,
        };
    }
}

fn docker_cli() -> String {
    std::env::var("BERTH_TEST_DOCKER_CLI").unwrap_or_else(|_| "docker".into())
}

/// How a case ended.
enum Verdict {
    Identical,
    BothRefused,
    Differs(Vec<String>),
}

/// Deploys one case both ways.
async fn compare(e: &Engine, host: &str, case: &Case) -> Verdict {
    let mut diffs = Vec::new();
    let (cli_name, berth_name) = (unique("pcli"), unique("pbrt"));
    let source = dir_source(&case.dir, &case.files, &case.env);
    let reader = source.reader.clone();
    let load_opts = LoadOptions::new(&source.env, &source.working_dir, &*reader);
    let spec = compose::load(&source.files, &load_opts)
        .and_then(|l| compose::convert(&berth_name, &l.config, &load_opts));
    let made = match &spec {
        Ok(s) => create_externals(e, s).await,
        Err(_) => Vec::new(),
    };
    let ipam_given: BTreeSet<String> = spec
        .as_ref()
        .map(|s| {
            s.networks
                .iter()
                .filter(|n| {
                    n.create
                        .as_ref()
                        .and_then(|c| c.ipam.as_ref())
                        .and_then(|i| i.config.as_ref())
                        .is_some()
                })
                .map(|n| n.name.replace(&berth_name, "STACK"))
                .collect()
        })
        .unwrap_or_default();

    let mut cmd = Command::new(docker_cli());
    cmd.current_dir(&case.dir)
        .env_clear()
        .envs(&case.env)
        .args(["-H", host, "stack", "deploy", "--resolve-image", "never"]);
    for f in &case.files {
        cmd.args(["-c", f]);
    }
    let out = cmd.arg(&cli_name).output().expect("docker CLI");
    let cli = if out.status.success() {
        let s = snapshot(host, &cli_name, &ipam_given);
        remove(e, &cli_name).await;
        Ok(s)
    } else {
        remove(e, &cli_name).await;
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    };

    let (o, _rx) = opts();
    let ours = match stack::deploy(
        e,
        &berth_name,
        dir_source(&case.dir, &case.files, &case.env),
        &o,
    )
    .await
    {
        Ok(r) if r.failed.is_none() => {
            let s = snapshot(host, &berth_name, &ipam_given);
            let again = stack::preview(
                e,
                &berth_name,
                dir_source(&case.dir, &case.files, &case.env),
                &o,
            )
            .await;
            match again {
                Ok(p) => {
                    for s in p.services.iter().filter(|s| s.action != Action::Unchanged) {
                        diffs.push(format!(
                            "redeploy would {:?} {}: {:?}",
                            s.action, s.name, s.diff.changes
                        ));
                    }
                    for c in p.configs.iter().filter(|c| c.action != Action::Unchanged) {
                        diffs.push(format!("redeploy would {:?} config {}", c.action, c.name));
                    }
                }
                Err(err) => diffs.push(format!("planning the redeploy failed: {err}")),
            }
            remove(e, &berth_name).await;
            Ok(s)
        }
        Ok(r) => {
            remove(e, &berth_name).await;
            Err(r.failed.map(|f| f.error).unwrap_or_default())
        }
        Err(err) => {
            remove(e, &berth_name).await;
            Err(err.to_string())
        }
    };
    delete_externals(e, made).await;

    match (cli, ours) {
        (Ok(a), Ok(b)) => {
            let keys: BTreeSet<&String> = a.0.keys().chain(b.0.keys()).collect();
            for k in &keys {
                let mut d = Vec::new();
                json_diff(k, a.0.get(*k), b.0.get(*k), &mut d);
                diffs.extend(d);
            }
            if diffs.is_empty() {
                let count = |kind: &str| keys.iter().filter(|k| k.starts_with(kind)).count();
                println!(
                    "  {}: identical ({} services, {} networks, {} secrets, {} configs)",
                    case.label,
                    count("service "),
                    count("network "),
                    count("secret "),
                    count("config ")
                );
            }
        }
        (Err(a), Err(b)) => {
            let last = |s: &str| s.lines().last().unwrap_or_default().to_string();
            println!(
                "  {}: refused by both (cli: {} | berth: {})",
                case.label,
                last(&a),
                last(&b)
            );
            if diffs.is_empty() {
                return Verdict::BothRefused;
            }
        }
        (Ok(_), Err(b)) => diffs.push(format!("the CLI deployed it, berth did not: {b}")),
        (Err(a), Ok(_)) => diffs.push(format!("berth deployed it, the CLI did not: {a}")),
    }
    if diffs.is_empty() {
        Verdict::Identical
    } else {
        Verdict::Differs(diffs)
    }
}

/// Not `host`, `bridge`, `none`, `default` or `container:…` (those are never checked).
fn user_defined(name: &str) -> bool {
    !matches!(name, "host" | "bridge" | "none" | "default") && !name.starts_with("container:")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployed_stacks_match_the_docker_cli() {
    let lab = lab("parity");
    // drained: specs are stored but no task is ever scheduled
    let nodes = lab.docker_cli(1, &["node", "ls", "-q"]).expect("node ls");
    for n in nodes.split_whitespace() {
        lab.docker_cli(1, &["node", "update", "--availability", "drain", n])
            .expect("drain");
    }
    let host = lab.manager_host();
    let e = engine(lab).await;
    let own = own_cases();
    assert!(own.len() >= 10, "own fixtures missing");
    let corpus = std::env::var_os("BERTH_COMPOSE_CORPUS").map(PathBuf::from);
    let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(
        corpus.is_some() || !in_ci,
        "stack parity: BERTH_COMPOSE_CORPUS is not set, and CI must run the corpus cases (.ci/run provides it)"
    );
    let corpus_cases = corpus.as_deref().map(corpus_cases).unwrap_or_default();
    let mut failures = Vec::new();
    let (mut identical, mut refused) = (0, 0);
    let started = std::time::Instant::now();
    for case in own.iter().chain(corpus_cases.iter()) {
        match compare(&e, &host, case).await {
            Verdict::Identical => identical += 1,
            Verdict::BothRefused => refused += 1,
            Verdict::Differs(diffs) => {
                failures.push(format!("{}:\n    {}", case.label, diffs.join("\n    ")))
            }
        }
    }
    let secs = started.elapsed().as_secs();
    let tally = format!(
        "{identical} identical, {refused} refused by both, {} different, in {secs} s",
        failures.len()
    );
    match &corpus {
        None => println!(
            "stack parity: BERTH_COMPOSE_CORPUS not set, corpus cases skipped; {} own fixtures compared ({tally})",
            own.len()
        ),
        Some(p) => println!(
            "stack parity: {} own fixtures and {} corpus cases ({}) compared ({tally})",
            own.len(),
            corpus_cases.len(),
            p.display()
        ),
    }
    assert!(
        failures.is_empty(),
        "berth and the docker CLI differ:\n{}",
        failures.join("\n")
    );
}
