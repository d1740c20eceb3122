//! Deploying again: unchanged files restart nothing, changes touch only what changed, prune,
//! failures midway that a corrected redeploy repairs, waiting, removal.

use std::time::Duration;

use berth::stack::{
    self, Action, DeployEvent, ObjectKind, Outcome, ProgressState, ResolveImage, WaitOptions,
};
use bollard::models::{
    EndpointPortConfig, EndpointSpec, ServiceSpec, TaskSpec, TaskSpecContainerSpec,
};

use super::support::*;
use crate::harness::{lab, unique};

const FILES: &[(&str, &str)] = &[("token.txt", "one"), ("settings.conf", "listen 80")];

fn app(replicas: u32) -> String {
    format!(
        "\
services:
  web:
    image: berth-test/busybox:1
    command: [sleep, '100000']
    init: true
    deploy:
      replicas: {replicas}
  worker:
    image: berth-test/busybox:1
    command: [sleep, '100000']
    init: true
    healthcheck:
      test: [CMD, 'true']
      interval: 2s
    environment:
      MODE: production
    secrets: [token]
    configs: [settings]
secrets:
  token:
    file: ./token.txt
configs:
  settings:
    file: ./settings.conf
"
    )
}

fn fast_wait() -> WaitOptions {
    WaitOptions {
        timeout: Duration::from_secs(90),
        settle: Duration::from_secs(1),
        poll: Duration::from_millis(300),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_redeploy_restarts_no_task_and_says_so() {
    let lab = lab("one");
    let host = lab.manager_host();
    let e = engine(lab).await;
    let name = unique("rdu");
    let (mut o, mut rx) = opts();
    o.wait = Some(fast_wait());
    let r = stack::deploy(&e, &name, text_source(&app(2), FILES, &[]), &o)
        .await
        .unwrap();
    assert!(r.succeeded(), "{r:#?}");
    let events = drain(&mut rx);
    let lines: Vec<String> = events
        .iter()
        .filter(|e| !matches!(e, DeployEvent::Tasks(_)))
        .filter_map(|e| e.line().map(|l| l.0))
        .collect();
    assert_eq!(
        lines[..5],
        [
            format!("Creating network {name}_default"),
            format!("Creating secret {name}_token"),
            format!("Creating config {name}_settings"),
            format!("Creating service {name}_web"),
            format!("Creating service {name}_worker"),
        ]
    );
    assert!(lines[5].starts_with("Stack converged in "), "{lines:?}");
    assert!(
        events.iter().any(|e| matches!(e, DeployEvent::Tasks(p) if p.service == format!("{name}_web") && p.running == 2 && p.state == ProgressState::Converged)),
        "{events:#?}"
    );
    let web = format!("{name}_web");
    let worker = format!("{name}_worker");
    let before = (
        running_tasks(&host, &web),
        running_tasks(&host, &worker),
        service_version(&host, &web),
        service_version(&host, &worker),
    );
    assert_eq!((before.0.len(), before.1.len()), (2, 1));

    let r = stack::deploy(&e, &name, text_source(&app(2), FILES, &[]), &o)
        .await
        .unwrap();
    assert!(r.succeeded(), "{r:#?}");
    assert!(r.plan.is_noop(), "{:#?}", r.plan);
    assert_eq!(
        r.names(ObjectKind::Service, Outcome::Unchanged),
        vec![web.as_str(), worker.as_str()]
    );
    let events = drain(&mut rx);
    assert!(events.contains(&DeployEvent::ServiceUnchanged {
        name: web.clone(),
        id: r.plan.services[0].id.clone().unwrap()
    }));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, DeployEvent::ServiceUpdated { .. }))
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = (
        running_tasks(&host, &web),
        running_tasks(&host, &worker),
        service_version(&host, &web),
        service_version(&host, &worker),
    );
    assert_eq!(
        before, after,
        "an unchanged redeploy must leave tasks and specs alone"
    );
    remove(&e, &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_change_updates_only_that_service_and_restarts_nothing() {
    let lab = lab("one");
    let host = lab.manager_host();
    let e = engine(lab).await;
    let name = unique("rdr");
    let (mut o, _rx) = opts();
    o.wait = Some(fast_wait());
    let r = stack::deploy(&e, &name, text_source(&app(1), FILES, &[]), &o)
        .await
        .unwrap();
    assert!(r.succeeded(), "{r:#?}");
    let (web, worker) = (format!("{name}_web"), format!("{name}_worker"));
    let web_tasks = running_tasks(&host, &web);
    let worker_version = service_version(&host, &worker);

    let preview = stack::preview(&e, &name, text_source(&app(3), FILES, &[]), &o)
        .await
        .unwrap();
    let change = &preview.services[0];
    assert_eq!(
        (change.name.as_str(), change.action),
        (web.as_str(), Action::Update)
    );
    assert_eq!(change.diff.changes.len(), 1, "{:#?}", change.diff);
    assert_eq!(change.diff.changes[0].path, "Mode.Replicated.Replicas");
    assert_eq!(
        (
            change.diff.changes[0].before.as_deref(),
            change.diff.changes[0].after.as_deref()
        ),
        (Some("1"), Some("3"))
    );
    assert!(!change.diff.restarts_tasks());
    assert_eq!(preview.services[1].action, Action::Unchanged);

    let r = stack::deploy(&e, &name, text_source(&app(3), FILES, &[]), &o)
        .await
        .unwrap();
    assert!(r.succeeded(), "{r:#?}");
    assert_eq!(
        r.names(ObjectKind::Service, Outcome::Updated),
        vec![web.as_str()]
    );
    assert_eq!(
        r.names(ObjectKind::Service, Outcome::Unchanged),
        vec![worker.as_str()]
    );
    let now = running_tasks(&host, &web);
    assert_eq!(now.len(), 3);
    assert!(
        web_tasks.iter().all(|t| now.contains(t)),
        "the running task must stay: {web_tasks:?} vs {now:?}"
    );
    assert_eq!(service_version(&host, &worker), worker_version);
    remove(&e, &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_removes_a_dropped_service_only_when_asked() {
    let lab = lab("one");
    let host = lab.manager_host();
    let e = engine(lab).await;
    let name = unique("rdp");
    let (o, mut rx) = opts();
    let r = stack::deploy(&e, &name, text_source(&app(1), FILES, &[]), &o)
        .await
        .unwrap();
    assert!(r.succeeded(), "{r:#?}");
    let without_worker = app(1)
        .replace(
            "  worker:\n    image: berth-test/busybox:1\n    command: [sleep, '100000']\n    init: true\n    healthcheck:\n      test: [CMD, 'true']\n      interval: 2s\n    environment:\n      MODE: production\n    secrets: [token]\n    configs: [settings]\n",
            "",
        );
    assert!(!without_worker.contains("worker"));
    let r = stack::deploy(&e, &name, text_source(&without_worker, FILES, &[]), &o)
        .await
        .unwrap();
    assert_eq!(r.plan.orphans, vec![format!("{name}_worker")]);
    assert!(labelled(&host, &name)["services"].contains(&format!("{name}_worker")));
    drain(&mut rx);

    let mut pruning = o.clone();
    pruning.prune = true;
    let r = stack::deploy(
        &e,
        &name,
        text_source(&without_worker, FILES, &[]),
        &pruning,
    )
    .await
    .unwrap();
    assert!(r.succeeded(), "{r:#?}");
    assert_eq!(
        r.names(ObjectKind::Service, Outcome::Removed),
        vec![format!("{name}_worker").as_str()]
    );
    assert!(drain(&mut rx).iter().any(|e| {
        e.line()
            .is_some_and(|l| l.0 == format!("Removing service {name}_worker"))
    }));
    assert_eq!(
        labelled(&host, &name)["services"],
        vec![format!("{name}_web")]
    );
    remove(&e, &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_that_fails_midway_reports_it_and_a_corrected_redeploy_converges() {
    let lab = lab("one");
    let host = lab.manager_host();
    let e = engine(lab).await;
    let docker = lab.docker(1).negotiate_version().await.unwrap();
    let blocker = unique("blocker");
    docker
        .create_service(
            ServiceSpec {
                name: Some(blocker.clone()),
                task_template: Some(TaskSpec {
                    container_spec: Some(TaskSpecContainerSpec {
                        image: Some("berth-test/busybox:1".into()),
                        args: Some(vec!["sleep".into(), "100000".into()]),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                endpoint_spec: Some(EndpointSpec {
                    ports: Some(vec![EndpointPortConfig {
                        target_port: Some(80),
                        published_port: Some(39511),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let file = |port: u32| {
        format!(
            "services:\n  a:\n    image: berth-test/busybox:1\n  b:\n    image: berth-test/busybox:1\n    ports: ['{port}:80']\n  c:\n    image: berth-test/busybox:1\n"
        )
    };
    let name = unique("rdf");
    let (o, mut rx) = opts();
    let r = stack::deploy(&e, &name, text_source(&file(39511), &[], &[]), &o)
        .await
        .unwrap();
    assert!(!r.succeeded());
    let f = r.failed.clone().unwrap();
    assert_eq!(
        (f.kind, f.name.as_str()),
        (ObjectKind::Service, format!("{name}_b").as_str())
    );
    assert!(
        f.error.starts_with(&format!(
            "failed to create service {name}_b: Error response from daemon: "
        )) && f.error.contains("39511")
            && f.error.contains("already in use"),
        "{}",
        f.error
    );
    assert_eq!(
        r.names(ObjectKind::Network, Outcome::Created),
        vec![format!("{name}_default").as_str()]
    );
    assert_eq!(
        r.names(ObjectKind::Service, Outcome::Created),
        vec![format!("{name}_a").as_str()]
    );
    assert_eq!(
        r.not_attempted,
        vec![(ObjectKind::Service, format!("{name}_c"))]
    );
    assert!(
        drain(&mut rx)
            .iter()
            .any(|e| matches!(e, DeployEvent::Failed { .. }))
    );
    assert_eq!(
        labelled(&host, &name)["services"],
        vec![format!("{name}_a")]
    );

    let r = stack::deploy(&e, &name, text_source(&file(39512), &[], &[]), &o)
        .await
        .unwrap();
    assert!(r.succeeded(), "{r:#?}");
    assert_eq!(
        r.names(ObjectKind::Service, Outcome::Unchanged),
        vec![format!("{name}_a").as_str()]
    );
    assert_eq!(
        r.names(ObjectKind::Service, Outcome::Created),
        vec![format!("{name}_b").as_str(), format!("{name}_c").as_str()]
    );
    remove(&e, &name).await;
    docker.delete_service(&blocker).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_secret_fails_midway_and_a_renamed_secret_fixes_it() {
    let lab = lab("one");
    let e = engine(lab).await;
    let name = unique("rds");
    let (o, _rx) = opts();
    let file = app(1).replace(
        "    file: ./token.txt\n",
        "    file: ./token.txt\n    name: ${TOKEN_NAME}\n",
    );
    let first = [("TOKEN_NAME", format!("{name}_token_v1"))];
    let env = |v: &[(&str, String)]| -> Vec<(String, String)> {
        v.iter().map(|(k, x)| (k.to_string(), x.clone())).collect()
    };
    let src = |files: &[(&str, &str)], vars: &[(String, String)]| {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        text_source(&file, files, &vars)
    };
    let r = stack::deploy(&e, &name, src(FILES, &env(&first)), &o)
        .await
        .unwrap();
    assert!(r.succeeded(), "{r:#?}");

    let changed = [("token.txt", "two"), ("settings.conf", "listen 80")];
    let r = stack::deploy(&e, &name, src(&changed, &env(&first)), &o)
        .await
        .unwrap();
    let f = r.failed.clone().expect("a changed secret must fail");
    assert_eq!(
        (f.kind, f.name.clone()),
        (ObjectKind::Secret, format!("{name}_token_v1"))
    );
    assert!(
        f.error.starts_with(&format!(
            "failed to update secret {name}_token_v1: Error response from daemon: "
        )) && f.error.contains("only updates to Labels are allowed"),
        "{}",
        f.error
    );

    let renamed = [("TOKEN_NAME", format!("{name}_token_v2"))];
    let r = stack::deploy(&e, &name, src(&changed, &env(&renamed)), &o)
        .await
        .unwrap();
    assert!(r.succeeded(), "{r:#?}");
    assert_eq!(
        r.names(ObjectKind::Secret, Outcome::Created),
        vec![format!("{name}_token_v2").as_str()]
    );
    let worker = r.plan.services.iter().find(|s| s.key == "worker").unwrap();
    assert_eq!(worker.action, Action::Update);
    let paths: Vec<&str> = worker
        .diff
        .changes
        .iter()
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(
        paths,
        vec![
            "TaskTemplate.ContainerSpec.Secrets[token].SecretID",
            "TaskTemplate.ContainerSpec.Secrets[token].SecretName"
        ]
    );
    assert!(worker.diff.restarts_tasks());
    remove(&e, &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_reports_tasks_that_keep_failing_with_their_error() {
    let lab = lab("one");
    let e = engine(lab).await;
    let name = unique("rdw");
    let (mut o, mut rx) = opts();
    o.wait = Some(fast_wait());
    let file = "services:\n  ghost:\n    image: nosuch/image:1\n    deploy:\n      restart_policy:\n        delay: 1s\n";
    let started = std::time::Instant::now();
    let r = stack::deploy(&e, &name, text_source(file, &[], &[]), &o)
        .await
        .unwrap();
    let c = r.convergence.clone().expect("waited");
    assert!(!c.converged && !r.succeeded());
    let reason = c.reason.unwrap_or_default();
    assert!(
        reason.contains("failing: No such image: nosuch/image:1"),
        "{reason}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "failing tasks end the wait early"
    );
    let events = drain(&mut rx);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, DeployEvent::Tasks(p) if p.state == ProgressState::Failing))
    );
    assert!(matches!(
        events.last(),
        Some(DeployEvent::NotConverged { .. })
    ));
    remove(&e, &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_registry_resolve_always_keeps_the_tag_and_warns() {
    let lab = lab("one");
    let host = lab.manager_host();
    let e = engine(lab).await;
    let name = unique("rdi");
    let (mut o, mut rx) = opts();
    o.resolve_image = ResolveImage::Always;
    let file = "services:\n  web:\n    image: berth-test/busybox:1\n";
    let r = stack::deploy(&e, &name, text_source(file, &[], &[]), &o)
        .await
        .unwrap();
    assert!(r.succeeded(), "{r:#?}");
    let warning = drain(&mut rx).into_iter().find_map(|e| match e {
        DeployEvent::Warning { message } => Some(message),
        _ => None,
    });
    assert_eq!(
        warning.as_deref(),
        Some(
            "image berth-test/busybox:1 could not be accessed on a registry to record\nits digest. Each node will access berth-test/busybox:1 independently,\npossibly leading to different nodes running different\nversions of the image."
        )
    );
    let svc = raw_get(&host, &format!("/services/{name}_web"));
    assert_eq!(
        svc.pointer("/Spec/TaskTemplate/ContainerSpec/Image")
            .and_then(|v| v.as_str()),
        Some("berth-test/busybox:1")
    );
    remove(&e, &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removal_waits_for_the_networks_so_an_immediate_redeploy_works() {
    let lab = lab("one");
    let host = lab.manager_host();
    let e = engine(lab).await;
    let name = unique("rdn");
    let (mut o, _rx) = opts();
    o.wait = Some(fast_wait());
    let r = stack::deploy(&e, &name, text_source(&app(2), FILES, &[]), &o)
        .await
        .unwrap();
    assert!(r.succeeded(), "{r:#?}");
    remove(&e, &name).await;
    assert!(nothing_of(&host, &name), "{:?}", labelled(&host, &name));
    let r = stack::deploy(&e, &name, text_source(&app(2), FILES, &[]), &o)
        .await
        .unwrap();
    assert!(r.succeeded(), "an immediate redeploy after rm: {r:#?}");
    assert_eq!(
        r.names(ObjectKind::Network, Outcome::Created),
        vec![format!("{name}_default").as_str()]
    );
    remove(&e, &name).await;
    assert!(nothing_of(&host, &name));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removal_waits_for_running_tasks_but_not_for_the_tasks_swarm_keeps_of_jobs() {
    let lab = lab("one");
    let host = lab.manager_host();
    let e = engine(lab).await;
    let name = unique("rdj");
    let (mut o, _rx) = opts();
    o.wait = Some(fast_wait());
    // swarm keeps a removed job's completed tasks (and any it never scheduled) indefinitely:
    // they have no container, so removal must not wait for them
    let file = "services:\n  batch:\n    image: berth-test/busybox:1\n    deploy:\n      mode: replicated-job\n      replicas: 4\n  web:\n    image: berth-test/busybox:1\n    command: [sleep, '100000']\n    init: true\n";
    let r = stack::deploy(&e, &name, text_source(file, &[], &[]), &o)
        .await
        .expect("deploy");
    assert!(r.convergence.is_some(), "{r:#?}");
    let r = stack::remove(
        &e,
        &name,
        &stack::RemoveOptions {
            wait: Some(Duration::from_secs(60)),
            events: None,
        },
    )
    .await
    .expect("remove");
    assert!(r.succeeded(), "{r:?}");
    assert!(nothing_of(&host, &name), "{:?}", labelled(&host, &name));
    // what swarm keeps has no container: nothing of the stack runs on a node any more
    let q = label_query(&name);
    let on_nodes: Vec<_> = raw_get(&host, &format!("/tasks?{q}"))
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|t| {
            let state = t.pointer("/Status/State").and_then(|s| s.as_str());
            matches!(
                state,
                Some("assigned" | "accepted" | "preparing" | "ready" | "starting" | "running")
            )
        })
        .collect();
    assert!(on_nodes.is_empty(), "{on_nodes:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_host_port_shows_while_waiting_and_a_corrected_redeploy_converges() {
    let lab = lab("one");
    let e = engine(lab).await;
    let docker = lab.docker(1).negotiate_version().await.unwrap();
    let blocker = unique("hostblk");
    docker
        .create_service(
            ServiceSpec {
                name: Some(blocker.clone()),
                task_template: Some(TaskSpec {
                    container_spec: Some(TaskSpecContainerSpec {
                        image: Some("berth-test/busybox:1".into()),
                        args: Some(vec!["sleep".into(), "100000".into()]),
                        init: Some(true),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                endpoint_spec: Some(EndpointSpec {
                    ports: Some(vec![EndpointPortConfig {
                        target_port: Some(80),
                        published_port: Some(39521),
                        publish_mode: Some(
                            bollard::models::EndpointPortConfigPublishModeEnum::HOST,
                        ),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    crate::harness::eventually(30, "the blocker to run", || {
        let n = running_tasks(&lab.manager_host(), &blocker).len();
        async move { (n == 1).then_some(()) }
    })
    .await;
    let file = |port: u32| {
        format!(
            "services:\n  web:\n    image: berth-test/busybox:1\n    command: [sleep, '100000']\n    init: true\n    ports:\n      - {{target: 80, published: {port}, mode: host}}\n"
        )
    };
    let name = unique("rdh");
    let (mut o, _rx) = opts();
    o.wait = Some(WaitOptions {
        timeout: Duration::from_secs(8),
        ..fast_wait()
    });
    let r = stack::deploy(&e, &name, text_source(&file(39521), &[], &[]), &o)
        .await
        .unwrap();
    assert!(r.failed.is_none(), "the swarm accepts the service: {r:#?}");
    let c = r.convergence.clone().unwrap();
    assert!(!c.converged);
    let reason = c.reason.unwrap_or_default();
    assert!(
        reason.starts_with("timed out after 8 s: ")
            && reason.contains(&format!("{name}_web: 0/1 running: "))
            && reason.contains("host-mode port already in use"),
        "{reason}"
    );
    o.wait = Some(fast_wait());
    let r = stack::deploy(&e, &name, text_source(&file(39522), &[], &[]), &o)
        .await
        .unwrap();
    assert!(r.succeeded(), "{r:#?}");
    let web = &r.plan.services[0];
    assert_eq!(web.action, Action::Update);
    assert_eq!(
        web.diff
            .changes
            .iter()
            .map(|c| c.path.as_str())
            .collect::<Vec<_>>(),
        vec![
            "EndpointSpec.Ports[39521:80/tcp]",
            "EndpointSpec.Ports[39522:80/tcp]"
        ]
    );
    remove(&e, &name).await;
    docker.delete_service(&blocker).await.unwrap();
}
