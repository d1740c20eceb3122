use super::*;

fn task(id: &str, service: &str, node: &str, slot: i64, state: &'static str, created: i64) -> Task {
    Task {
        id: id.into(),
        service_id: Arc::from(service),
        node_id: Arc::from(node),
        slot: Some(slot),
        image: Arc::from("busybox:1"),
        desired_state: if matches!(state, "running" | "pending") {
            "running"
        } else {
            "shutdown"
        },
        state,
        message: Arc::from(""),
        error: Arc::from(if state == "rejected" {
            "No such image: x"
        } else {
            ""
        }),
        since: Some(created),
        created: Some(created),
        exit_code: None,
        container_id: "".into(),
        reserved_nano_cpus: 0,
        reserved_memory: 0,
        limit_nano_cpus: 0,
        limit_memory: 0,
        ports: Box::new([]),
    }
}

fn service(id: &str, name: &str, stack: &str, desired: u64) -> ServiceSummary {
    ServiceSummary {
        id: id.into(),
        name: name.into(),
        stack: stack.into(),
        mode: "replicated",
        desired,
        ..Default::default()
    }
}

fn node(id: &str, host: &str, state: &str) -> NodeInfo {
    NodeInfo {
        id: id.into(),
        hostname: host.into(),
        state: state.into(),
        ..Default::default()
    }
}

#[test]
fn refetching_an_unchanged_object_publishes_nothing() {
    let mut st = Store::default();
    st.set_nodes(vec![node("n1", "a", "ready")]);
    st.upsert_service(service("s1", "web", "", 1), 3, false);
    st.set_service_tasks("s1", vec![task("t1", "s1", "n1", 1, "running", 10)]);
    let first = st.publish().expect("a first snapshot");
    assert_eq!(first.generation, 1);
    st.set_nodes(vec![node("n1", "a", "ready")]);
    st.upsert_service(service("s1", "web", "", 1), 3, false);
    st.set_service_tasks("s1", vec![task("t1", "s1", "n1", 1, "running", 10)]);
    assert!(st.publish().is_none(), "nothing changed");
}

#[test]
fn a_task_change_moves_only_its_service_and_node() {
    let mut st = Store::default();
    st.set_nodes(vec![node("n1", "a", "ready"), node("n2", "b", "ready")]);
    st.upsert_service(service("s1", "web", "", 1), 1, false);
    st.upsert_service(service("s2", "db", "", 1), 1, false);
    st.set_service_tasks("s1", vec![task("t1", "s1", "n1", 1, "running", 10)]);
    st.set_service_tasks("s2", vec![task("t2", "s2", "n2", 1, "running", 10)]);
    let a = st.publish().expect("snapshot");
    st.set_service_tasks(
        "s1",
        vec![
            task("t1", "s1", "n1", 1, "failed", 10),
            task("t3", "s1", "n1", 1, "running", 20),
        ],
    );
    let b = st.publish().expect("snapshot");
    assert_eq!(b.generation, a.generation + 1);
    assert_eq!(b.service_changed("s1"), b.generation);
    assert_eq!(b.service_changed("s2"), a.service_changed("s2"));
    assert_eq!(b.node_changed("n1"), b.generation);
    assert_eq!(b.node_changed("n2"), a.node_changed("n2"));
    assert_eq!(b.changed.tasks, b.generation);
    assert_eq!(b.changed.nodes, a.changed.nodes);
    // the other service's tasks are shared, not copied
    assert!(Arc::ptr_eq(&a.tasks["s2"], &b.tasks["s2"]));
    // newest first within a slot
    let ids: Vec<&str> = b.service_tasks("s1").iter().map(|t| &*t.id).collect();
    assert_eq!(ids, ["t3", "t1"]);
}

#[test]
fn running_counts_follow_the_tasks_and_skip_down_nodes() {
    let mut st = Store::default();
    st.set_nodes(vec![node("n1", "a", "ready"), node("n2", "b", "down")]);
    st.upsert_service(service("s1", "web", "", 3), 1, false);
    st.set_service_tasks(
        "s1",
        vec![
            task("t1", "s1", "n1", 1, "running", 10),
            task("t2", "s1", "n2", 2, "running", 10),
            task("t3", "s1", "", 3, "pending", 10),
        ],
    );
    let s = st.publish().expect("snapshot");
    let web = s.service("web").expect("by name");
    assert_eq!((web.running, web.desired), (1, 3));
    assert!(s.service("s").is_some(), "a unique id prefix finds it");
}

#[test]
fn stacks_are_derived_from_the_namespace_label() {
    let mut st = Store::default();
    st.set_nodes(vec![node("n1", "a", "ready")]);
    st.upsert_service(service("s1", "app_web", "app", 2), 1, false);
    st.upsert_service(service("s2", "app_db", "app", 1), 1, false);
    st.upsert_service(service("s3", "app10_x", "app10", 1), 1, false);
    st.upsert_service(service("s4", "app2_x", "app2", 1), 1, false);
    st.upsert_service(service("s5", "loose", "", 1), 1, false);
    st.set_service_tasks(
        "s1",
        vec![
            task("t1", "s1", "n1", 1, "running", 10),
            // slot 2: the newest task was rejected, an older one failed
            task("t2", "s1", "n1", 2, "failed", 5),
            task("t3", "s1", "n1", 2, "rejected", 20),
        ],
    );
    st.set_service_tasks("s2", vec![task("t4", "s2", "n1", 1, "running", 10)]);
    let s = st.publish().expect("snapshot");
    let names: Vec<&str> = s.stacks().iter().map(|x| x.name.as_str()).collect();
    assert_eq!(
        names,
        ["app", "app2", "app10"],
        "natural order, loose services left out"
    );
    let app = s.stack("app").expect("app");
    assert_eq!(app.services, 2);
    assert_eq!((app.tasks_running, app.tasks_desired), (2, 3));
    assert_eq!(app.tasks_failing, 1);
    assert_eq!(app.last_error.as_deref(), Some("No such image: x"));
    // removing a stack's last service removes the stack, and the service's tasks
    st.remove_service("s3");
    let s = st.publish().expect("snapshot");
    assert!(s.stack("app10").is_none());
    st.remove_service("s1");
    let s = st.publish().expect("snapshot");
    assert!(s.service_tasks("s1").is_empty());
    assert_eq!(s.stack("app").map(|x| x.services), Some(1));
}

#[test]
fn a_full_load_drops_what_docker_no_longer_has() {
    let mut st = Store::default();
    st.upsert_service(service("s1", "web", "", 1), 1, false);
    st.set_all_tasks(vec![
        task("t1", "s1", "n1", 1, "running", 10),
        task("t9", "gone", "n1", 1, "running", 10),
    ]);
    st.set_all_tasks(vec![task("t1", "s1", "n1", 1, "running", 10)]);
    let s = st.publish().expect("snapshot");
    assert_eq!(s.task_count(), 1);
    assert!(s.service_tasks("gone").is_empty());
}

#[test]
fn the_node_lists_copy_leaves_out_tasks_on_no_node() {
    let mut st = Store::default();
    st.set_nodes(vec![node("n1", "a", "ready")]);
    st.upsert_service(service("s1", "web", "", 3), 1, false);
    st.set_service_tasks(
        "s1",
        vec![
            task("t1", "s1", "n1", 1, "running", 10),
            task("t2", "s1", "", 2, "pending", 10),
            task("t3", "s1", "", 3, "pending", 10),
        ],
    );
    let s = st.publish().expect("snapshot");
    assert_eq!(
        s.nodes_snapshot().tasks.len(),
        3,
        "the map shows the unplaced"
    );
    let usage = s.nodes_usage_snapshot();
    assert_eq!(usage.tasks.len(), 1);
    let u = crate::docker::nodes::usage(&usage.nodes[0], &usage.tasks);
    assert_eq!((u.tasks, u.running), (1, 1));
}

#[test]
fn the_old_page_types_come_from_the_snapshot() {
    let mut st = Store::default();
    st.set_nodes(vec![node("n1", "a", "ready")]);
    st.upsert_service(service("s1", "web", "", 1), 1, false);
    st.set_service_tasks(
        "s1",
        vec![
            task("t1", "s1", "n1", 1, "running", 10),
            task("t0", "s1", "n1", 1, "shutdown", 5),
        ],
    );
    let s = st.publish().expect("snapshot");
    let nodes = s.nodes_snapshot();
    assert_eq!(nodes.tasks.len(), 1, "only tasks swarm wants running");
    let usage = s.nodes_usage_snapshot();
    assert_eq!(usage.tasks.len(), 1, "the running task holds its node");
    assert_eq!(
        crate::docker::nodes::usage(&usage.nodes[0], &usage.tasks),
        crate::docker::nodes::usage(&nodes.nodes[0], &nodes.tasks),
        "the node list counts the same from either"
    );
    assert_eq!(nodes.service_name("s1"), "web");
    let one = s.node_snapshot("a").expect("by hostname");
    assert_eq!(one.tasks.len(), 2, "a node page shows history");
    let (summary, tasks, names) = s.service_live("web").expect("live");
    assert_eq!(summary.id, "s1");
    assert_eq!(tasks.len(), 2);
    assert_eq!(names.get("n1").map(String::as_str), Some("a"));
}
