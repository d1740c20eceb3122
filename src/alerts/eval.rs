//! Evaluating the rules: the facts the live model holds in, the conditions that hold now out.
//! Pure (no clock, no I/O): the engine says what time it is, and which conditions last long
//! enough to raise an alert is its business ([`Condition::hold_secs`]).
//!
//! Grouping happens here: a service is one subject, however many of its tasks fail (50 failing
//! tasks are one condition naming the newest error), and a service failing its tasks is not
//! also reported as below its replicas.

use super::rules::{Rule, Setting};
use crate::docker::services::UpdateState;
use crate::model::Snapshot;

/// What the rules need to know about a service.
#[derive(Debug, Clone, Default)]
pub struct ServiceFacts {
    pub id: String,
    pub name: String,
    pub stack: String,
    pub job: bool,
    pub running: u64,
    pub desired: u64,
    pub update: Option<UpdateState>,
    /// failed or rejected tasks: (when, Docker's error as given)
    pub failures: Vec<(i64, String)>,
    /// the newest start of a task that is running now
    pub newest_running: Option<i64>,
}

/// What the rules need to know about a node.
#[derive(Debug, Clone, Default)]
pub struct NodeFacts {
    pub id: String,
    pub name: String,
    pub down: bool,
    pub state_message: String,
    pub manager: bool,
    pub reachable: bool,
    pub nano_cpus: i64,
    pub memory: i64,
    pub reserved_cpus: i64,
    pub reserved_memory: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub services: Vec<ServiceFacts>,
    pub nodes: Vec<NodeFacts>,
    /// berth cannot reach Docker: the error
    pub docker_down: Option<String>,
}

impl Facts {
    /// The facts out of the live model's snapshot.
    pub fn from_snapshot(snap: &Snapshot) -> Facts {
        let services = snap
            .services()
            .iter()
            .map(|s| {
                let mut f = ServiceFacts {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    stack: s.stack.clone(),
                    job: s.mode.contains("job"),
                    running: s.running,
                    desired: s.desired,
                    update: s.update.clone(),
                    ..Default::default()
                };
                for t in snap.service_tasks(&s.id) {
                    let since = t.since.unwrap_or(0);
                    if matches!(t.state, "failed" | "rejected") {
                        let err = if t.error.is_empty() {
                            match t.exit_code {
                                Some(c) => format!("exit code {c}"),
                                None => t.message.to_string(),
                            }
                        } else {
                            t.error.to_string()
                        };
                        f.failures.push((since, err));
                    } else if t.is_running() && t.is_current() {
                        f.newest_running = f.newest_running.max(Some(since));
                    }
                }
                f
            })
            .collect();
        let nodes = snap
            .nodes()
            .iter()
            .map(|n| {
                let (mut cpus, mut mem) = (0i64, 0i64);
                for t in snap.node_tasks(&n.id) {
                    if t.occupies_node() {
                        cpus = cpus.saturating_add(t.reserved_nano_cpus);
                        mem = mem.saturating_add(t.reserved_memory);
                    }
                }
                NodeFacts {
                    id: n.id.clone(),
                    name: n.display_name().to_string(),
                    down: n.is_down(),
                    state_message: n.state_message.clone(),
                    manager: n.is_manager(),
                    reachable: n.is_reachable_manager(),
                    nano_cpus: n.nano_cpus,
                    memory: n.memory_bytes,
                    reserved_cpus: cpus,
                    reserved_memory: mem,
                }
            })
            .collect();
        let docker_down = match &snap.connection {
            crate::model::Connection::Down { error } => Some(error.to_string()),
            _ => None,
        };
        Facts {
            services,
            nodes,
            docker_down,
        }
    }
}

/// What a condition is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Service,
    Node,
    Swarm,
    Berth,
}

/// A condition that holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// identity across evaluations: one alert per key at a time
    pub key: String,
    pub rule: Rule,
    pub kind: SubjectKind,
    /// the service or node name (what a mute matches, with `stack`)
    pub subject: String,
    pub stack: String,
    /// berth's page about the subject (a path)
    pub link: String,
    pub title: String,
    pub detail: String,
    /// how long it must hold before it is an alert
    pub hold_secs: u64,
}

/// Every condition that holds at `now` (unix seconds) under the enabled rules.
pub fn evaluate(facts: &Facts, settings: &[Setting], now: i64) -> Vec<Condition> {
    let on = |r: Rule| settings.iter().find(|s| s.rule == r && s.enabled);
    let mut out = Vec::new();
    if let Some(s) = on(Rule::DockerLost)
        && let Some(err) = &facts.docker_down
    {
        out.push(Condition {
            key: "docker_lost".into(),
            rule: Rule::DockerLost,
            kind: SubjectKind::Berth,
            subject: "berth".into(),
            stack: String::new(),
            link: "/".into(),
            title: "berth lost its connection to Docker".into(),
            detail: err.clone(),
            hold_secs: u64::from(s.minutes) * 60,
        });
    }
    if facts.docker_down.is_some() {
        // what the model shows is the last known state: nothing else is news
        return out;
    }
    services(facts, &on, now, &mut out);
    nodes(facts, &on, &mut out);
    out
}

fn services<'a>(
    facts: &Facts,
    on: &impl Fn(Rule) -> Option<&'a Setting>,
    now: i64,
    out: &mut Vec<Condition>,
) {
    for s in &facts.services {
        let link = crate::web::urls::service(&s.name);
        let cond = |rule: Rule, key: &str, title: String, detail: String, hold: u64| Condition {
            key: format!("{}/{}/{key}", rule.as_str(), s.id),
            rule,
            kind: SubjectKind::Service,
            subject: s.name.clone(),
            stack: s.stack.clone(),
            link: link.clone(),
            title,
            detail,
            hold_secs: hold,
        };
        let mut failing = false;
        if let Some(r) = on(Rule::TaskFailures) {
            let since = now - i64::from(r.minutes) * 60;
            let recent: Vec<&(i64, String)> =
                s.failures.iter().filter(|(t, _)| *t >= since).collect();
            let newest = recent.iter().max_by_key(|(t, _)| *t);
            // recovered: every wanted task runs, started after the last failure
            let recovered = !s.job
                && s.desired > 0
                && s.running >= s.desired
                && newest.is_some_and(|(t, _)| s.newest_running.is_some_and(|r| r > *t));
            if recent.len() >= r.count as usize
                && !recovered
                && let Some((_, err)) = newest
            {
                failing = true;
                out.push(cond(
                    Rule::TaskFailures,
                    "failing",
                    format!("{}: tasks keep failing", s.name),
                    format!(
                        "{} task(s) failed or were rejected in the last {} min. Latest error: {err}",
                        recent.len(),
                        r.minutes
                    ),
                    0,
                ));
            }
        }
        if let Some(r) = on(Rule::ReplicasBelow)
            && !failing
            && !s.job
            && s.running < s.desired
        {
            out.push(cond(
                Rule::ReplicasBelow,
                "below",
                format!("{}: {} of {} tasks running", s.name, s.running, s.desired),
                format!(
                    "The service has run below its desired replicas for {} min or more.",
                    r.minutes
                ),
                u64::from(r.minutes) * 60,
            ));
        }
        let Some(u) = &s.update else { continue };
        if on(Rule::UpdateProblem).is_some() {
            let what = match u.state {
                "paused" => Some("update paused"),
                "rollback_paused" => Some("rollback paused"),
                "rollback_completed" => Some("update rolled back"),
                _ => None,
            };
            if let Some(what) = what {
                let detail = if u.message.is_empty() {
                    format!("The service's {what}.")
                } else {
                    format!("Docker says: {}", u.message)
                };
                out.push(cond(
                    Rule::UpdateProblem,
                    "update",
                    format!("{}: {what}", s.name),
                    detail,
                    0,
                ));
            }
        }
        if let Some(r) = on(Rule::UpdateStuck)
            && matches!(u.state, "updating" | "rollback_started")
            && let Some(started) = u.started
            && now - started >= i64::from(r.minutes) * 60
        {
            out.push(cond(
                Rule::UpdateStuck,
                "stuck",
                format!("{}: update did not converge", s.name),
                format!(
                    "The update started {} min ago and is still {}.",
                    (now - started) / 60,
                    u.label()
                ),
                0,
            ));
        }
    }
}

fn nodes<'a>(facts: &Facts, on: &impl Fn(Rule) -> Option<&'a Setting>, out: &mut Vec<Condition>) {
    let node = |rule: Rule, n: &NodeFacts, title: String, detail: String, hold: u64| Condition {
        key: format!("{}/{}", rule.as_str(), n.id),
        rule,
        kind: SubjectKind::Node,
        subject: n.name.clone(),
        stack: String::new(),
        link: crate::web::urls::node(&n.id),
        title,
        detail,
        hold_secs: hold,
    };
    for n in &facts.nodes {
        if let Some(r) = on(Rule::NodeDown)
            && n.down
        {
            let detail = if n.state_message.is_empty() {
                "The node stopped answering the managers' heartbeat.".to_string()
            } else {
                format!("Docker says: {}", n.state_message)
            };
            out.push(node(
                Rule::NodeDown,
                n,
                format!("node {} is down", n.name),
                detail,
                u64::from(r.minutes) * 60,
            ));
        }
        if on(Rule::Managers).is_some() && n.manager && !n.reachable && !n.down {
            out.push(node(
                Rule::Managers,
                n,
                format!("manager {} is unreachable", n.name),
                "The other managers cannot reach it through raft.".into(),
                0,
            ));
        }
        if let Some(r) = on(Rule::Reservations) {
            let share = |used: i64, total: i64| {
                if total > 0 {
                    used.saturating_mul(100) / total
                } else {
                    0
                }
            };
            let cpu = share(n.reserved_cpus, n.nano_cpus);
            let mem = share(n.reserved_memory, n.memory);
            let limit = i64::from(r.count);
            if cpu >= limit || mem >= limit {
                out.push(node(
                    Rule::Reservations,
                    n,
                    format!(
                        "node {}: {}% of its capacity reserved",
                        n.name,
                        cpu.max(mem)
                    ),
                    format!("Tasks on it reserve {cpu}% of its CPU and {mem}% of its memory."),
                    u64::from(r.minutes) * 60,
                ));
            }
        }
    }
    if on(Rule::Managers).is_some() {
        let managers = facts.nodes.iter().filter(|n| n.manager).count();
        let reachable = facts
            .nodes
            .iter()
            .filter(|n| n.manager && n.reachable && !n.down)
            .count();
        let quorum = managers / 2 + 1;
        let what = if managers == 0 {
            None
        } else if reachable < quorum {
            Some("the managers lost their quorum")
        } else if reachable < managers && reachable == quorum {
            Some("the managers' quorum is at risk")
        } else {
            None
        };
        if let Some(what) = what {
            out.push(Condition {
                key: "managers/quorum".into(),
                rule: Rule::Managers,
                kind: SubjectKind::Swarm,
                subject: "swarm".into(),
                stack: String::new(),
                link: crate::web::urls::NODES.into(),
                title: what.into(),
                detail: format!(
                    "{reachable} of {managers} managers are reachable; {quorum} are needed for changes."
                ),
                hold_secs: 0,
            });
        }
    }
}

#[cfg(test)]
mod tests;
