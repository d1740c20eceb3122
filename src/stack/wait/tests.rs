use bollard::models::{
    ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, ServiceSpecModeReplicatedJob,
    ServiceUpdateStatus,
};

use super::*;

fn watched() -> Watched {
    Watched {
        id: "s1".into(),
        name: "app_web".into(),
        update_started_before: Some("2026-01-01T00:00:00Z".into()),
    }
}

fn svc(mode: ServiceSpecMode) -> Service {
    Service {
        id: Some("s1".into()),
        spec: Some(ServiceSpec {
            mode: Some(mode),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn replicated(n: i64) -> Service {
    svc(ServiceSpecMode {
        replicated: Some(ServiceSpecModeReplicated { replicas: Some(n) }),
        ..Default::default()
    })
}

fn task(id: &str, node: &str, state: &str, desired: &str, err: &str) -> TaskInfo {
    TaskInfo {
        id: id.into(),
        service_id: "s1".into(),
        node_id: node.into(),
        state: state.into(),
        desired_state: desired.into(),
        error: err.into(),
        created: Some(id.len() as i64),
        ..Default::default()
    }
}

#[test]
fn replicated_services_converge_when_every_replica_runs() {
    let none = BTreeSet::new();
    let tasks = vec![
        task("a", "n1", "running", "running", ""),
        task("b", "n1", "preparing", "running", ""),
    ];
    let p = progress(&watched(), &replicated(2), &tasks, &none);
    assert_eq!(
        (p.running, p.desired, p.state),
        (1, 2, ProgressState::Starting)
    );
    assert_eq!(p.line(), "app_web: 1/2 running");
    let tasks = vec![
        task("a", "n1", "running", "running", ""),
        task("b", "n1", "running", "running", ""),
    ];
    let p = progress(&watched(), &replicated(2), &tasks, &none);
    assert_eq!(p.state, ProgressState::Converged);
    assert_eq!(p.line(), "app_web: 2/2 running (converged)");
    // zero replicas converge at once
    assert_eq!(
        progress(&watched(), &replicated(0), &[], &none).state,
        ProgressState::Converged
    );
}

#[test]
fn tasks_that_keep_failing_make_a_failing_service_with_the_error() {
    let none = BTreeSet::new();
    let mut tasks = vec![
        task("a", "n1", "rejected", "shutdown", "No such image: x:1"),
        task("bb", "n1", "rejected", "shutdown", "No such image: x:1"),
    ];
    let p = progress(&watched(), &replicated(1), &tasks, &none);
    assert_eq!(p.state, ProgressState::Starting);
    assert_eq!(p.error.as_deref(), Some("No such image: x:1"));
    tasks.push(task(
        "ccc",
        "n1",
        "rejected",
        "shutdown",
        "No such image: x:1",
    ));
    let p = progress(&watched(), &replicated(1), &tasks, &none);
    assert_eq!((p.state, p.failures), (ProgressState::Failing, 3));
    assert_eq!(
        p.line(),
        "app_web: 0/1 running, failing: No such image: x:1"
    );
    // the next retry, newer but waiting to be scheduled, does not hide why the others failed
    let mut retry = task("dddd", "", "pending", "running", "");
    retry.message = "pending task scheduling".into();
    tasks.push(retry);
    let p = progress(&watched(), &replicated(1), &tasks, &none);
    assert_eq!(p.error.as_deref(), Some("No such image: x:1"));
}

#[test]
fn global_services_count_tasks_on_nodes_that_are_up() {
    let g = svc(ServiceSpecMode {
        global: Some(Default::default()),
        ..Default::default()
    });
    let tasks = vec![
        task("a", "n1", "running", "running", ""),
        task("b", "n2", "running", "running", ""),
        task("c", "n3", "pending", "running", ""),
    ];
    let p = progress(&watched(), &g, &tasks, &BTreeSet::new());
    assert_eq!(
        (p.running, p.desired, p.state),
        (2, 3, ProgressState::Starting)
    );
    let down = BTreeSet::from(["n3".to_string()]);
    let p = progress(&watched(), &g, &tasks, &down);
    assert_eq!(
        (p.running, p.desired, p.state),
        (2, 2, ProgressState::Converged)
    );
}

#[test]
fn jobs_converge_on_completion() {
    let j = svc(ServiceSpecMode {
        replicated_job: Some(ServiceSpecModeReplicatedJob {
            max_concurrent: Some(1),
            total_completions: Some(2),
        }),
        ..Default::default()
    });
    let tasks = vec![
        task("a", "n1", "complete", "complete", ""),
        task("b", "n1", "running", "complete", ""),
    ];
    let p = progress(&watched(), &j, &tasks, &BTreeSet::new());
    assert_eq!((p.job, p.state), (Some((1, 2)), ProgressState::Starting));
    assert_eq!(p.line(), "app_web: 1/2 completed");
    let tasks = vec![
        task("a", "n1", "complete", "complete", ""),
        task("b", "n1", "complete", "complete", ""),
    ];
    let p = progress(&watched(), &j, &tasks, &BTreeSet::new());
    assert_eq!(p.state, ProgressState::Converged);
}

#[test]
fn only_a_new_update_status_counts() {
    let none = BTreeSet::new();
    let mut s = replicated(1);
    s.update_status = Some(ServiceUpdateStatus {
        state: Some(ServiceUpdateStatusStateEnum::PAUSED),
        started_at: Some("2026-01-01T00:00:00Z".into()),
        message: Some("update paused due to failure".into()),
        ..Default::default()
    });
    // the status of the update before this deploy lingers: ignored
    let p = progress(&watched(), &s, &[], &none);
    assert_eq!(p.state, ProgressState::Starting);
    // a new update that paused
    if let Some(u) = s.update_status.as_mut() {
        u.started_at = Some("2026-01-02T00:00:00Z".into());
    }
    let p = progress(&watched(), &s, &[], &none);
    assert_eq!(p.state, ProgressState::Paused);
    assert_eq!(
        p.error.as_deref(),
        Some("update paused: update paused due to failure")
    );
}

#[test]
fn tasks_that_cannot_be_scheduled_say_why() {
    let mut pending = task("b", "", "pending", "running", "");
    pending.message = "no suitable node (host-mode port already in use on 1 node)".into();
    let tasks = vec![task("a", "n1", "running", "running", ""), pending];
    let p = progress(&watched(), &replicated(2), &tasks, &BTreeSet::new());
    assert_eq!(p.state, ProgressState::Starting);
    assert_eq!(
        p.line(),
        "app_web: 1/2 running: no suitable node (host-mode port already in use on 1 node)"
    );
}
