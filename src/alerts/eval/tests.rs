use super::*;
use crate::alerts::rules::{Rule, Setting};

fn defaults() -> Vec<Setting> {
    Rule::ALL.into_iter().map(Setting::default_for).collect()
}

fn web() -> ServiceFacts {
    ServiceFacts {
        id: "s1".into(),
        name: "shop_web".into(),
        stack: "shop".into(),
        running: 0,
        desired: 2,
        ..Default::default()
    }
}

const NOW: i64 = 1_000_000;

#[test]
fn fifty_failing_tasks_are_one_condition_naming_the_newest_error() {
    let mut s = web();
    for i in 0..50 {
        s.failures
            .push((NOW - 60 + i, format!("No such image: nosuch:{i}")));
    }
    let facts = Facts {
        services: vec![s],
        ..Default::default()
    };
    let c = evaluate(&facts, &defaults(), NOW);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].rule, Rule::TaskFailures);
    assert_eq!(c[0].subject, "shop_web");
    assert_eq!(c[0].link, "/services/shop_web");
    assert!(
        c[0].detail.contains("No such image: nosuch:49"),
        "{}",
        c[0].detail
    );
    assert!(c[0].detail.starts_with("50 task(s)"), "{}", c[0].detail);
}

#[test]
fn failures_outside_the_window_or_before_a_recovery_raise_nothing() {
    let mut s = web();
    s.failures = vec![(NOW - 3600, "old".into()); 5];
    let facts = Facts {
        services: vec![s.clone()],
        ..Default::default()
    };
    let c = evaluate(&facts, &defaults(), NOW);
    assert!(c.iter().all(|c| c.rule != Rule::TaskFailures), "{c:?}");
    s.failures = vec![(NOW - 60, "No such image: x".into()); 3];
    s.running = 2;
    s.newest_running = Some(NOW - 10);
    let facts = Facts {
        services: vec![s],
        ..Default::default()
    };
    assert!(evaluate(&facts, &defaults(), NOW).is_empty());
}

#[test]
fn a_service_below_its_replicas_must_stay_so_for_its_minutes() {
    let facts = Facts {
        services: vec![web()],
        ..Default::default()
    };
    let c = evaluate(&facts, &defaults(), NOW);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].rule, Rule::ReplicasBelow);
    assert_eq!(c[0].hold_secs, 5 * 60);
    assert_eq!(c[0].title, "shop_web: 0 of 2 tasks running");
}

#[test]
fn rolled_back_and_paused_updates_name_dockers_message() {
    let mut s = web();
    s.running = 2;
    s.update = Some(crate::docker::services::UpdateState {
        state: "rollback_completed",
        message: "rollback completed".into(),
        started: Some(NOW - 30),
        completed: Some(NOW),
    });
    let facts = Facts {
        services: vec![s],
        ..Default::default()
    };
    let c = evaluate(&facts, &defaults(), NOW);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].title, "shop_web: update rolled back");
    assert_eq!(c[0].detail, "Docker says: rollback completed");
}

fn node(id: &str, manager: bool, down: bool) -> NodeFacts {
    NodeFacts {
        id: id.into(),
        name: format!("host-{id}"),
        down,
        manager,
        reachable: manager && !down,
        nano_cpus: 2_000_000_000,
        memory: 1 << 30,
        ..Default::default()
    }
}

#[test]
fn a_down_node_is_named_and_a_lost_manager_puts_quorum_at_risk() {
    let facts = Facts {
        nodes: vec![
            node("a", true, false),
            node("b", true, false),
            node("c", true, true),
            node("w", false, true),
        ],
        ..Default::default()
    };
    let c = evaluate(&facts, &defaults(), NOW);
    let titles: Vec<&str> = c.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "node host-c is down",
            "node host-w is down",
            "the managers' quorum is at risk"
        ]
    );
    assert_eq!(c[0].link, "/nodes/c");
}

#[test]
fn reservations_beyond_the_share_are_reported_per_node() {
    let mut n = node("a", false, false);
    n.reserved_cpus = 1_900_000_000;
    let facts = Facts {
        nodes: vec![n],
        ..Default::default()
    };
    let c = evaluate(&facts, &defaults(), NOW);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].title, "node host-a: 95% of its capacity reserved");
}

#[test]
fn while_docker_is_unreachable_only_that_is_reported() {
    let facts = Facts {
        services: vec![web()],
        nodes: vec![node("w", false, true)],
        docker_down: Some("connection refused".into()),
    };
    let c = evaluate(&facts, &defaults(), NOW);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].rule, Rule::DockerLost);
    assert_eq!(c[0].hold_secs, 60);
}

#[test]
fn disabled_rules_raise_nothing() {
    let mut settings = defaults();
    for s in &mut settings {
        s.enabled = false;
    }
    let facts = Facts {
        services: vec![web()],
        nodes: vec![node("w", false, true)],
        docker_down: None,
    };
    assert!(evaluate(&facts, &settings, NOW).is_empty());
}
