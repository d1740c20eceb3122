use super::*;
use bollard::models::{
    ManagerStatus, NodeDescription, NodeSpec, NodeSpecAvailabilityEnum, NodeStatus, ResourceObject,
};

fn node(id: &str, host: &str, manager: bool) -> Node {
    Node {
        id: Some(id.into()),
        spec: Some(NodeSpec {
            role: Some(if manager {
                NodeSpecRoleEnum::MANAGER
            } else {
                NodeSpecRoleEnum::WORKER
            }),
            availability: Some(NodeSpecAvailabilityEnum::ACTIVE),
            labels: Some(HashMap::from([
                ("zone".to_string(), "b".to_string()),
                ("disk".to_string(), "ssd".to_string()),
            ])),
            ..Default::default()
        }),
        description: Some(NodeDescription {
            hostname: Some(host.into()),
            resources: Some(ResourceObject {
                nano_cpus: Some(2_000_000_000),
                memory_bytes: Some(4 << 30),
                ..Default::default()
            }),
            ..Default::default()
        }),
        status: Some(NodeStatus {
            state: Some(NodeState::READY),
            ..Default::default()
        }),
        manager_status: manager.then(|| ManagerStatus {
            leader: Some(true),
            reachability: Some(Reachability::REACHABLE),
            addr: Some("10.0.0.1:2377".into()),
        }),
        ..Default::default()
    }
}

#[test]
fn nodes_are_flattened_with_sorted_labels() {
    let n = NodeInfo::from_node(&node("abc123", "host-1", true));
    assert_eq!(n.role, Role::Manager);
    assert!(n.leader && n.is_reachable_manager() && n.is_ready());
    assert_eq!(n.availability, "active");
    assert_eq!(
        n.labels,
        vec![("disk".into(), "ssd".into()), ("zone".into(), "b".into())]
    );
    assert_eq!(n.label("zone"), Some("b"));
    let w = NodeInfo::from_node(&node("def456", "host-2", false));
    assert_eq!(w.role, Role::Worker);
    assert_eq!(w.reachability, "");
}

#[test]
fn nodes_are_found_by_id_hostname_or_prefix() {
    let nodes = vec![
        NodeInfo::from_node(&node("abc123", "host-1", true)),
        NodeInfo::from_node(&node("abd456", "host-2", false)),
    ];
    assert_eq!(find(&nodes, "abd456").unwrap().hostname, "host-2");
    assert_eq!(find(&nodes, "host-1").unwrap().id, "abc123");
    assert_eq!(find(&nodes, "abc").unwrap().id, "abc123");
    assert!(find(&nodes, "ab").is_none(), "ambiguous prefix");
    assert!(find(&nodes, "").is_none());
    assert!(find(&nodes, "nope").is_none());
}

#[test]
fn usage_counts_only_tasks_holding_resources_on_the_node() {
    let n = NodeInfo::from_node(&node("n1", "h", false));
    let t = |node: &str, state: &str, cpu: i64| TaskInfo {
        node_id: node.into(),
        state: state.into(),
        desired_state: "running".into(),
        reserved_nano_cpus: cpu,
        reserved_memory: 1 << 20,
        ..Default::default()
    };
    let tasks = [
        t("n1", "running", 250_000_000),
        t("n1", "starting", 250_000_000),
        t("n1", "failed", 1_000_000_000),
        t("n2", "running", 1_000_000_000),
    ];
    let u = usage(&n, &tasks);
    assert_eq!(u.reserved_nano_cpus, 500_000_000);
    assert_eq!(u.reserved_memory, 2 << 20);
    assert_eq!((u.tasks, u.running), (2, 1));
    assert_eq!(u.nano_cpus, 2_000_000_000);
}
