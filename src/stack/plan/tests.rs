use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use super::*;
use crate::compose::{self, ComposeFile, LoadOptions, MemoryFiles};

const FILE: &str = "\
services:
  web:
    image: nginx
    deploy:
      replicas: 2
    networks: [front]
    secrets: [pass, ext]
    configs: [conf]
  db:
    image: postgres:16
networks:
  front:
  outside:
    external: true
secrets:
  pass:
    file: ./pass.txt
  ext:
    external: true
configs:
  conf:
    file: ./conf.txt
";

fn load(text: &str) -> (Config, StackSpec) {
    let env = BTreeMap::new();
    let mut files = MemoryFiles::default();
    files.insert("/w/pass.txt", "s3cret");
    files.insert("/w/conf.txt", "listen 80");
    let opts = LoadOptions::new(&env, "/w", &files);
    let loaded = compose::load(&[ComposeFile::new("stack.yml", text)], &opts).unwrap();
    let spec = compose::convert("app", &loaded.config, &opts).unwrap();
    (loaded.config, spec)
}

fn never() -> PlanOptions {
    PlanOptions {
        prune: false,
        resolve_image: ResolveImage::Never,
        api: (1, 53),
    }
}

/// The swarm before any deploy: only the external secret exists.
fn empty_swarm() -> Cluster {
    let mut c = Cluster::default();
    c.secrets.insert(
        "ext".into(),
        ExistingObject {
            id: "extid".into(),
            ..Default::default()
        },
    );
    c
}

/// The swarm right after deploying `FILE` (specs as the plan sent them).
fn deployed() -> Cluster {
    let (cfg, spec) = load(FILE);
    let first = plan(
        &spec,
        &cfg,
        &empty_swarm(),
        &Registry::new(),
        never(),
        vec![],
    )
    .unwrap();
    let mut c = empty_swarm();
    c.networks.insert("app_front".into(), "net1".into());
    c.networks.insert("app_default".into(), "net2".into());
    let labels = HashMap::from([("com.docker.stack.namespace".to_string(), "app".to_string())]);
    c.secrets.insert(
        "app_pass".into(),
        ExistingObject {
            id: "passid".into(),
            version: 11,
            labels: labels.clone(),
            data: None,
            templating: None,
        },
    );
    c.configs.insert(
        "app_conf".into(),
        ExistingObject {
            id: "confid".into(),
            version: 12,
            labels,
            data: Some("bGlzdGVuIDgw".into()),
            templating: None,
        },
    );
    for (i, s) in first.services.iter().enumerate() {
        let mut v = serde_json::to_value(&s.spec).unwrap();
        // what the daemon stores: IDs instead of placeholders, network IDs
        let text = v
            .to_string()
            .replace(&pending_id("app_pass"), "passid")
            .replace(&pending_id("app_conf"), "confid")
            .replace("\"Target\":\"app_front\"", "\"Target\":\"net1\"")
            .replace("\"Target\":\"app_default\"", "\"Target\":\"net2\"");
        v = serde_json::from_str(&text).unwrap();
        c.services.push(RunningService {
            id: format!("svc{i}"),
            version: 20 + i as u64,
            name: s.name.clone(),
            update_started: None,
            spec: v,
        });
    }
    c
}

fn actions(p: &Plan) -> Vec<(String, Action)> {
    let mut v: Vec<(String, Action)> = Vec::new();
    v.extend(p.prune.iter().map(|s| (s.name.clone(), s.action)));
    v.extend(p.networks.iter().map(|s| (s.name.clone(), s.action)));
    v.extend(p.secrets.iter().map(|s| (s.name.clone(), s.action)));
    v.extend(p.configs.iter().map(|s| (s.name.clone(), s.action)));
    v.extend(p.services.iter().map(|s| (s.name.clone(), s.action)));
    v
}

fn s(x: &str) -> String {
    x.to_string()
}

#[test]
fn a_new_stack_creates_everything_it_uses() {
    let (cfg, spec) = load(FILE);
    let p = plan(
        &spec,
        &cfg,
        &empty_swarm(),
        &Registry::new(),
        never(),
        vec![],
    )
    .unwrap();
    assert_eq!(
        actions(&p),
        vec![
            (s("app_default"), Action::Create),
            (s("app_front"), Action::Create),
            (s("app_pass"), Action::Create),
            (s("app_conf"), Action::Create),
            (s("app_db"), Action::Create),
            (s("app_web"), Action::Create),
        ]
    );
    let web = &p.services[1];
    assert_eq!(web.image, "nginx:latest");
    let secrets = web
        .spec
        .task_template
        .as_ref()
        .unwrap()
        .container_spec
        .as_ref()
        .unwrap()
        .secrets
        .clone()
        .unwrap();
    let ids: Vec<String> = secrets
        .iter()
        .map(|x| x.secret_id.clone().unwrap())
        .collect();
    assert_eq!(ids, vec![pending_id("app_pass"), s("extid")]);
    assert!(!p.is_noop());
}

#[test]
fn redeploying_the_same_file_changes_nothing() {
    let (cfg, spec) = load(FILE);
    let p = plan(&spec, &cfg, &deployed(), &Registry::new(), never(), vec![]).unwrap();
    assert_eq!(
        actions(&p),
        vec![
            (s("app_default"), Action::Exists),
            (s("app_front"), Action::Exists),
            (s("app_pass"), Action::Unchanged),
            (s("app_conf"), Action::Unchanged),
            (s("app_db"), Action::Unchanged),
            (s("app_web"), Action::Unchanged),
        ]
    );
    assert!(p.is_noop());
    assert_eq!(p.services[1].id.as_deref(), Some("svc1"));
    assert_eq!(p.services[1].version, 21);
}

#[test]
fn a_replica_change_updates_only_that_service() {
    let (cfg, spec) = load(&FILE.replace("replicas: 2", "replicas: 5"));
    let p = plan(&spec, &cfg, &deployed(), &Registry::new(), never(), vec![]).unwrap();
    let svc: Vec<(String, Action)> = p
        .services
        .iter()
        .map(|x| (x.name.clone(), x.action))
        .collect();
    assert_eq!(
        svc,
        vec![
            (s("app_db"), Action::Unchanged),
            (s("app_web"), Action::Update)
        ]
    );
    let d = &p.services[1].diff;
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].path, "Mode.Replicated.Replicas");
    assert!(!d.restarts_tasks());
}

#[test]
fn force_update_is_kept_from_the_running_spec() {
    let (cfg, spec) = load(FILE);
    let mut c = deployed();
    c.services[1].spec["TaskTemplate"]["ForceUpdate"] = json!(3);
    let p = plan(&spec, &cfg, &c, &Registry::new(), never(), vec![]).unwrap();
    assert_eq!(p.services[1].action, Action::Unchanged);
    assert_eq!(
        p.services[1]
            .spec
            .task_template
            .as_ref()
            .unwrap()
            .force_update,
        Some(3)
    );
}

#[test]
fn dropped_services_are_pruned_only_when_asked() {
    let file = FILE.replace("  db:\n    image: postgres:16\n", "");
    let (cfg, spec) = load(&file);
    let p = plan(&spec, &cfg, &deployed(), &Registry::new(), never(), vec![]).unwrap();
    assert!(p.prune.is_empty());
    assert_eq!(p.orphans, vec![s("app_db")]);
    let opts = PlanOptions {
        prune: true,
        ..never()
    };
    let p = plan(&spec, &cfg, &deployed(), &Registry::new(), opts, vec![]).unwrap();
    assert_eq!(p.prune.len(), 1);
    assert_eq!(
        (p.prune[0].name.as_str(), p.prune[0].id.as_deref()),
        ("app_db", Some("svc0"))
    );
    assert!(p.orphans.is_empty());
}

fn problems(text: &str, c: &Cluster) -> Vec<String> {
    let (cfg, spec) = load(text);
    plan(&spec, &cfg, c, &Registry::new(), never(), vec![])
        .unwrap_err()
        .iter()
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn missing_or_local_external_networks_are_refused_with_a_location() {
    let file = FILE.replace("networks: [front]", "networks: [front, outside]");
    let got = problems(&file, &empty_swarm());
    assert_eq!(
        got,
        vec![
            "stack.yml:13:3: network \"outside\" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed"
        ]
    );
    let mut c = empty_swarm();
    c.externals.insert(
        "outside".into(),
        ExternalNetwork::Found {
            id: "n".into(),
            scope: "local".into(),
        },
    );
    assert_eq!(
        problems(&file, &c),
        vec![
            "stack.yml:13:3: network \"outside\" is declared as external, but it is not in the right scope: \"local\" instead of \"swarm\""
        ]
    );
}

#[test]
fn everything_the_swarm_would_refuse_is_reported_at_once() {
    let mut c = deployed();
    c.secrets.remove("ext");
    c.configs.get_mut("app_conf").unwrap().data = Some("b2xk".into());
    c.services[0].spec["Mode"] = json!({"Global": {}});
    let got = problems(FILE, &c);
    assert_eq!(got.len(), 3, "{got:#?}");
    assert!(
        got[0].starts_with("stack.yml:21:3: config app_conf exists with other content"),
        "{got:#?}"
    );
    assert!(
        got[1].contains(
            "service app_db: swarm cannot change a service's mode from global to replicated"
        ),
        "{got:#?}"
    );
    assert_eq!(got[2], "stack.yml:7:5: service web: secret not found: ext");
}

#[test]
fn names_taken_outside_the_stack_are_refused() {
    let mut c = empty_swarm();
    c.foreign_services.push("app_db".into());
    c.foreign_networks
        .insert("app_front".into(), "other".into());
    let got = problems(FILE, &c);
    assert_eq!(
        got,
        vec![
            "stack.yml:12:3: network app_front already exists and is not part of stack app (it belongs to stack other)",
            "stack.yml:9:3: service app_db already exists and is not part of stack app",
        ]
    );
}

#[test]
fn node_local_network_drivers_are_refused_before_anything_is_created() {
    let file = FILE.replace(
        "  front:\n  outside:",
        "  front:\n    driver: bridge\n  outside:",
    );
    assert_eq!(
        problems(&file, &empty_swarm()),
        vec![
            "stack.yml:13:5: network app_front uses the bridge driver, which is local to each node: swarm services can only use swarm-scoped networks (driver overlay)"
        ]
    );
}
