//! Helpers for the stack engine tests: an engine on a lab, sources from text or a directory,
//! raw reads of what the daemon stores, and what carries a stack's label.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use berth::compose::{ComposeFile, DiskFiles, MemoryFiles};
use berth::docker::Engine;
use berth::stack::{self, DeployEvent, DeployOptions, RemoveOptions, Source};
use serde_json::Value;

use crate::harness::lab::Lab;

/// An engine on the lab's manager, version negotiated.
pub async fn engine(lab: &Lab) -> Engine {
    let e = Engine::new(&lab.manager_host());
    e.refresh().await;
    e
}

/// A one-file source from text, with extra files readable at `/srv/app/<name>`.
pub fn text_source(yaml: &str, files: &[(&str, &str)], env: &[(&str, &str)]) -> Source {
    let mut mem = MemoryFiles::default();
    for (name, data) in files {
        mem.insert(format!("/srv/app/{name}"), data.as_bytes().to_vec());
    }
    Source {
        files: vec![ComposeFile::new("stack.yml", yaml)],
        working_dir: PathBuf::from("/srv/app"),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        reader: Arc::new(mem),
    }
}

/// Compose files from a directory on disk, relative paths against the first file's directory.
pub fn dir_source(dir: &Path, files: &[String], env: &BTreeMap<String, String>) -> Source {
    let composes = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(dir.join(f))
                .unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()));
            ComposeFile::new(f.clone(), text)
        })
        .collect();
    let first = dir.join(&files[0]);
    Source {
        files: composes,
        working_dir: first.parent().unwrap_or(dir).to_path_buf(),
        env: env.clone(),
        reader: Arc::new(DiskFiles),
    }
}

/// Deploy options with resolve-image `never`, events collected.
pub fn opts() -> (
    DeployOptions,
    tokio::sync::mpsc::UnboundedReceiver<DeployEvent>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    (
        DeployOptions {
            resolve_image: stack::ResolveImage::Never,
            events: Some(tx),
            ..Default::default()
        },
        rx,
    )
}

/// Every event sent so far.
pub fn drain(rx: &mut tokio::sync::mpsc::UnboundedReceiver<DeployEvent>) -> Vec<DeployEvent> {
    let mut v = Vec::new();
    while let Ok(e) = rx.try_recv() {
        v.push(e);
    }
    v
}

/// Removes a stack and waits for its networks to go.
pub async fn remove(engine: &Engine, name: &str) {
    let r = stack::remove(
        engine,
        name,
        &RemoveOptions {
            wait: Some(Duration::from_secs(90)),
            events: None,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("removing stack {name}: {e}"));
    assert!(r.succeeded(), "removing stack {name}: {r:?}");
}

/// `GET /v1.41<path>` on a lab socket, the JSON exactly as the daemon answers.
pub fn raw_get(host: &str, path: &str) -> Value {
    let sock = host.strip_prefix("unix://").expect("a unix socket");
    let mut s = std::os::unix::net::UnixStream::connect(sock).expect("lab socket");
    s.set_read_timeout(Some(Duration::from_secs(60))).ok();
    write!(s, "GET /v1.41{path} HTTP/1.0\r\nHost: docker\r\n\r\n").expect("request");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("answer");
    let at = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP answer");
    let head = String::from_utf8_lossy(&buf[..at]);
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "GET {path}: {head}\n{}",
        String::from_utf8_lossy(&buf[at..])
    );
    serde_json::from_slice(&buf[at + 4..]).expect("JSON answer")
}

/// `filters={"label":{"com.docker.stack.namespace=<stack>":true}}`, URL-encoded.
pub fn label_query(stack: &str) -> String {
    let f = serde_json::json!({"label": {format!("com.docker.stack.namespace={stack}"): true}});
    form_urlencoded::Serializer::new(String::new())
        .append_pair("filters", &f.to_string())
        .finish()
}

/// Names of the stack's services, networks, secrets and configs (by label), sorted.
pub fn labelled(host: &str, stack: &str) -> BTreeMap<&'static str, Vec<String>> {
    let q = label_query(stack);
    let names = |path: &str, name: &str| -> Vec<String> {
        let mut v: Vec<String> = raw_get(host, &format!("{path}?{q}"))
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|x| x.pointer(name).and_then(Value::as_str).map(str::to_string))
            .collect();
        v.sort();
        v
    };
    BTreeMap::from([
        ("services", names("/services", "/Spec/Name")),
        ("networks", names("/networks", "/Name")),
        ("secrets", names("/secrets", "/Spec/Name")),
        ("configs", names("/configs", "/Spec/Name")),
    ])
}

/// True when nothing carries the stack's label.
pub fn nothing_of(host: &str, stack: &str) -> bool {
    labelled(host, stack).values().all(Vec::is_empty)
}

/// The running tasks of a service (IDs), via the raw API.
pub fn running_tasks(host: &str, service: &str) -> Vec<String> {
    let f = serde_json::json!({"service": {service: true}, "desired-state": {"running": true}});
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("filters", &f.to_string())
        .finish();
    let mut v: Vec<String> = raw_get(host, &format!("/tasks?{q}"))
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|t| t.pointer("/Status/State").and_then(Value::as_str) == Some("running"))
        .filter_map(|t| t.get("ID").and_then(Value::as_str).map(str::to_string))
        .collect();
    v.sort();
    v
}

/// A service's version index.
pub fn service_version(host: &str, name: &str) -> u64 {
    raw_get(host, &format!("/services/{name}"))
        .pointer("/Version/Index")
        .and_then(Value::as_u64)
        .unwrap_or(0)
}
