use super::map::color_of;
use super::*;
use crate::docker::nodes::Role;

fn node(id: &str, host: &str, role: Role, cpus: i64, labels: &[(&str, &str)]) -> NodeInfo {
    NodeInfo {
        id: id.into(),
        hostname: host.into(),
        role,
        state: "ready".into(),
        availability: "active".into(),
        nano_cpus: cpus * 1_000_000_000,
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

fn snap() -> Snapshot {
    Snapshot {
        nodes: vec![
            node("a", "alpha", Role::Manager, 2, &[]),
            node("b", "bravo", Role::Worker, 8, &[("zone", "edge")]),
            node("c", "charlie", Role::Worker, 4, &[("zone", "core")]),
        ],
        tasks: vec![TaskInfo {
            id: "t1".into(),
            service_id: "s1".into(),
            node_id: "b".into(),
            slot: Some(1),
            state: "running".into(),
            desired_state: "running".into(),
            ..Default::default()
        }],
        services: [("s1".to_string(), "web".to_string())].into(),
    }
}

fn names(t: &Table) -> Vec<&str> {
    t.rows.iter().map(|r| r.node.hostname.as_str()).collect()
}

#[test]
fn filters_by_role_label_and_text() {
    let s = snap();
    let q = |f: fn(&mut ListQuery)| {
        let mut q = ListQuery::default();
        f(&mut q);
        q
    };
    let t = Table::build(&s, q(|q| q.role = "worker".into()), "");
    assert_eq!(names(&t), ["bravo", "charlie"]);
    let t = Table::build(&s, q(|q| q.label = "zone".into()), "");
    assert_eq!(names(&t), ["bravo", "charlie"]);
    let t = Table::build(&s, q(|q| q.label = "zone=core".into()), "");
    assert_eq!(names(&t), ["charlie"]);
    let t = Table::build(&s, q(|q| q.q = "ALP".into()), "");
    assert_eq!(names(&t), ["alpha"]);
    let t = Table::build(&s, q(|q| q.status = "down".into()), "");
    assert!(t.rows.is_empty());
    assert_eq!(t.summary.total, 3, "the summary counts every node");
}

#[test]
fn sorts_by_column_both_ways() {
    let s = snap();
    let mut q = ListQuery {
        sort: "cpus".into(),
        ..Default::default()
    };
    assert_eq!(
        names(&Table::build(&s, q.clone(), "")),
        ["alpha", "charlie", "bravo"]
    );
    q.dir = "desc".into();
    assert_eq!(
        names(&Table::build(&s, q.clone(), "")),
        ["bravo", "charlie", "alpha"]
    );
    q.sort = "name".into();
    assert_eq!(
        names(&Table::build(&s, q.clone(), "")),
        ["charlie", "bravo", "alpha"]
    );
    q.sort = "tasks".into();
    assert_eq!(names(&Table::build(&s, q, ""))[0], "bravo");
}

#[test]
fn sort_links_keep_filters_and_flip_direction() {
    let q = ListQuery {
        role: "worker".into(),
        sort: "cpus".into(),
        ..Default::default()
    };
    assert_eq!(q.sort_url("cpus"), "/nodes?role=worker&sort=cpus&dir=desc");
    assert_eq!(
        q.sort_url("memory"),
        "/nodes?role=worker&sort=memory&dir=asc"
    );
    assert_eq!(q.aria_sort("cpus"), "ascending");
    assert_eq!(q.live_url(), "/nodes/live?role=worker&sort=cpus");
    assert_eq!(ListQuery::default().live_url(), "/nodes/live");
}

#[test]
fn the_map_groups_tasks_by_service_per_node() {
    let m = Map::build(&snap(), MapQuery::default(), "a");
    assert_eq!(m.columns.len(), 3);
    let bravo = &m.columns[1];
    assert_eq!(bravo.groups.len(), 1);
    assert_eq!(bravo.groups[0].service_name, "web");
    assert_eq!(bravo.groups[0].tasks[0].name, "web.1");
    assert_eq!(bravo.running(), 1);
    assert!(m.columns[0].row.as_ref().unwrap().is_berth);
    assert!(m.unplaced.is_none());
    assert_eq!(color_of("s1"), color_of("s1"));
    let none = Map::build(
        &snap(),
        MapQuery {
            service: "db".into(),
        },
        "a",
    );
    assert_eq!((none.services, none.columns[1].tasks), (0, 0));
    let web = Map::build(
        &snap(),
        MapQuery {
            service: "WE".into(),
        },
        "a",
    );
    assert_eq!(web.columns[1].tasks, 1);
}

#[test]
fn bars_compare_reserved_with_capacity() {
    let u = Usage {
        nano_cpus: 2_000_000_000,
        reserved_nano_cpus: 500_000_000,
        memory_bytes: 1 << 30,
        reserved_memory: 256 << 20,
        ..Default::default()
    };
    let c = Bar::cpu(&u);
    assert_eq!(c.text, "0.5 of 2 CPUs");
    assert_eq!(c.percent, 25);
    assert_eq!(Bar::memory(&u).text, "256 MiB of 1.0 GiB");
}
