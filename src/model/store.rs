//! The model's working copy and every change to it, as plain functions of data (no I/O): the
//! sync task feeds it what Docker answered, then publishes. Each change compares with what is
//! there, so refetching an unchanged object publishes nothing and wakes no viewer.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::SystemTime;

use super::snapshot::{Config, Connection, Network, Secret, Snapshot, Stack, Swarm, TaskMap};
use super::task::{Task, sort_like_service_ps};
use super::wire::Interner;
use crate::docker::nodes::NodeInfo;
use crate::docker::services::ServiceSummary;

#[derive(Default)]
pub(crate) struct Store {
    snap: Snapshot,
    dirty: bool,
    stacks_stale: bool,
    /// service id → `Version.Index`: an unchanged version is an unchanged spec
    versions: HashMap<String, u64>,
    pub strings: Interner,
}

/// Which kind of object changed, for [`super::snapshot::Changes`].
#[derive(Clone, Copy)]
enum Kind {
    Nodes,
    Services,
    Tasks,
    Networks,
    Secrets,
    Configs,
    Swarm,
}

impl Store {
    fn next(&self) -> u64 {
        self.snap.generation + 1
    }

    fn mark(&mut self, kind: Kind) {
        let g = self.next();
        let c = &mut self.snap.changed;
        match kind {
            Kind::Nodes => c.nodes = g,
            Kind::Services => c.services = g,
            Kind::Tasks => c.tasks = g,
            Kind::Networks => c.networks = g,
            Kind::Secrets => c.secrets = g,
            Kind::Configs => c.configs = g,
            Kind::Swarm => c.swarm = g,
        }
        if matches!(kind, Kind::Services | Kind::Tasks) {
            self.stacks_stale = true;
        }
        self.dirty = true;
    }

    fn mark_service(&mut self, id: &str) {
        let g = self.next();
        let key = self.strings.get(id);
        Arc::make_mut(&mut self.snap.service_gen).insert(key, g);
    }

    fn mark_node(&mut self, id: &str) {
        if id.is_empty() {
            return;
        }
        let g = self.next();
        let key = self.strings.get(id);
        Arc::make_mut(&mut self.snap.node_gen).insert(key, g);
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snap
    }

    pub fn version(&self, service_id: &str) -> Option<u64> {
        self.versions.get(service_id).copied()
    }

    pub fn set_connection(&mut self, c: Connection) {
        if self.snap.connection != c {
            self.snap.connection = c;
            self.dirty = true;
        }
    }

    pub fn mark_synced(&mut self) {
        self.snap.synced_at = Some(SystemTime::now());
        self.dirty = true;
    }

    // ------------------------------------------------------------------ nodes

    pub fn set_nodes(&mut self, mut nodes: Vec<NodeInfo>) {
        nodes.sort_by(|a, b| a.hostname.cmp(&b.hostname).then(a.id.cmp(&b.id)));
        if *self.snap.nodes == nodes {
            return;
        }
        let old: HashMap<&str, &NodeInfo> =
            self.snap.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
        let mut touched: Vec<String> = nodes
            .iter()
            .filter(|n| old.get(n.id.as_str()) != Some(n))
            .map(|n| n.id.clone())
            .collect();
        let new_ids: HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
        touched.extend(
            old.keys()
                .filter(|id| !new_ids.contains(*id))
                .map(|id| id.to_string()),
        );
        for id in &touched {
            self.mark_node(id);
        }
        self.snap.nodes = Arc::new(nodes);
        self.mark(Kind::Nodes);
    }

    pub fn upsert_node(&mut self, node: NodeInfo) {
        let mut nodes = self.snap.nodes.to_vec();
        match nodes.iter_mut().find(|n| n.id == node.id) {
            Some(n) => *n = node,
            None => nodes.push(node),
        }
        self.set_nodes(nodes);
    }

    pub fn remove_node(&mut self, id: &str) {
        let nodes: Vec<NodeInfo> = self
            .snap
            .nodes
            .iter()
            .filter(|n| n.id != id)
            .cloned()
            .collect();
        self.set_nodes(nodes);
    }

    // --------------------------------------------------------------- services

    /// Adds or replaces a service. `counts_from_docker`: its running/desired counts come from
    /// `GET /services?status=true` (else they are counted from the model's tasks).
    pub fn upsert_service(
        &mut self,
        mut s: ServiceSummary,
        version: u64,
        counts_from_docker: bool,
    ) {
        if !counts_from_docker {
            let tasks = self.snap.tasks.get(s.id.as_str()).cloned();
            if let Some(tasks) = tasks {
                self.recount(&mut s, &tasks);
            }
        }
        self.versions.insert(s.id.clone(), version);
        let services = &self.snap.services;
        let pos = services.iter().position(|x| x.id == s.id);
        if pos.is_some_and(|i| services[i] == s) {
            return;
        }
        let id = s.id.clone();
        let list = Arc::make_mut(&mut self.snap.services);
        match pos {
            Some(i) => list[i] = s,
            None => list.push(s),
        }
        list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        self.mark_service(&id);
        self.mark(Kind::Services);
    }

    /// Forgets a service and its tasks.
    pub fn remove_service(&mut self, id: &str) {
        self.versions.remove(id);
        if self.snap.services.iter().any(|s| s.id == id) {
            Arc::make_mut(&mut self.snap.services).retain(|s| s.id != id);
            self.mark(Kind::Services);
        }
        self.set_service_tasks(id, Vec::new());
        Arc::make_mut(&mut self.snap.service_gen).remove(id);
    }

    /// Ids of every service the model holds.
    pub fn service_ids(&self) -> Vec<String> {
        self.snap.services.iter().map(|s| s.id.clone()).collect()
    }

    // ------------------------------------------------------------------ tasks

    /// Replaces one service's tasks (an empty list removes them).
    pub fn set_service_tasks(&mut self, service_id: &str, mut tasks: Vec<Task>) {
        sort_like_service_ps(&mut tasks);
        let old = self.snap.tasks.get(service_id).cloned();
        let same = match &old {
            Some(o) => **o == tasks,
            None => tasks.is_empty(),
        };
        if same {
            return;
        }
        // nodes whose task list moved
        let mut touched: HashSet<Arc<str>> = HashSet::new();
        {
            let before: HashMap<&str, &Task> = old
                .as_deref()
                .map(|o| o.iter().map(|t| (&*t.id, t)).collect())
                .unwrap_or_default();
            let after: HashSet<&str> = tasks.iter().map(|t| &*t.id).collect();
            for t in &tasks {
                if before.get(&*t.id) != Some(&t) {
                    touched.insert(t.node_id.clone());
                    if let Some(b) = before.get(&*t.id) {
                        touched.insert(b.node_id.clone());
                    }
                }
            }
            for (id, t) in &before {
                if !after.contains(id) {
                    touched.insert(t.node_id.clone());
                }
            }
        }
        for n in touched {
            self.mark_node(&n);
        }
        let map: &mut TaskMap = Arc::make_mut(&mut self.snap.tasks);
        if tasks.is_empty() {
            map.remove(service_id);
        } else {
            let key = self.strings.get(service_id);
            map.insert(key, Arc::new(tasks));
        }
        self.mark_service(service_id);
        self.mark(Kind::Tasks);
        // the service's counts follow its tasks
        if let Some(i) = self.snap.services.iter().position(|s| s.id == service_id) {
            let mut s = self.snap.services[i].clone();
            let tasks = self.snap.tasks.get(service_id).cloned().unwrap_or_default();
            self.recount(&mut s, &tasks);
            if s != self.snap.services[i] {
                Arc::make_mut(&mut self.snap.services)[i] = s;
                self.mark(Kind::Services);
            }
        }
    }

    /// Replaces every task (a full load).
    pub fn set_all_tasks(&mut self, tasks: Vec<Task>) {
        let mut by_service: BTreeMap<Arc<str>, Vec<Task>> = BTreeMap::new();
        for t in tasks {
            by_service.entry(t.service_id.clone()).or_default().push(t);
        }
        let gone: Vec<Arc<str>> = self
            .snap
            .tasks
            .keys()
            .filter(|k| !by_service.contains_key(*k))
            .cloned()
            .collect();
        for id in gone {
            self.set_service_tasks(&id, Vec::new());
        }
        for (id, ts) in by_service {
            self.set_service_tasks(&id, ts);
        }
    }

    /// Running, desired and completed counted from the tasks, the way `GET
    /// /services?status=true` counts them: running tasks on nodes that are not down;
    /// desired from the spec for replicated services, else the tasks swarm wants running.
    fn recount(&self, s: &mut ServiceSummary, tasks: &[Task]) {
        let down: HashSet<&str> = self
            .snap
            .nodes
            .iter()
            .filter(|n| n.is_down())
            .map(|n| n.id.as_str())
            .collect();
        let current = || tasks.iter().filter(|t| t.desired_state == "running");
        s.running = current()
            .filter(|t| t.is_running() && !t.node_id.is_empty() && !down.contains(&*t.node_id))
            .count() as u64;
        if s.is_job() {
            s.completed = tasks.iter().filter(|t| t.state == "complete").count() as u64;
        } else if s.mode == "global" {
            s.desired = current().count() as u64;
        }
    }

    // ------------------------------------------------- networks, secrets, configs

    pub fn set_networks(&mut self, mut v: Vec<Network>) {
        v.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        if *self.snap.networks != v {
            self.snap.networks = Arc::new(v);
            self.mark(Kind::Networks);
        }
    }

    pub fn set_secrets(&mut self, mut v: Vec<Secret>) {
        v.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        if *self.snap.secrets != v {
            self.snap.secrets = Arc::new(v);
            self.mark(Kind::Secrets);
        }
    }

    pub fn set_configs(&mut self, mut v: Vec<Config>) {
        v.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        if *self.snap.configs != v {
            self.snap.configs = Arc::new(v);
            self.mark(Kind::Configs);
        }
    }

    pub fn set_swarm(&mut self, swarm: Swarm) {
        if self.snap.swarm.as_deref() != Some(&swarm) {
            self.snap.swarm = Some(Arc::new(swarm));
            self.mark(Kind::Swarm);
        }
    }

    // ---------------------------------------------------------------- publish

    /// The next snapshot, when anything changed since the last one.
    pub fn publish(&mut self) -> Option<Arc<Snapshot>> {
        if !self.dirty {
            return None;
        }
        if self.stacks_stale {
            let stacks = derive_stacks(&self.snap.services, &self.snap.tasks);
            if *self.snap.stacks != stacks {
                self.snap.stacks = Arc::new(stacks);
            }
            self.stacks_stale = false;
        }
        self.snap.generation += 1;
        self.snap.updated_at = Some(SystemTime::now());
        self.dirty = false;
        Some(Arc::new(self.snap.clone()))
    }
}

/// A failing slot's (since, created, error).
type Failure<'a> = (Option<i64>, Option<i64>, &'a str);

/// Stacks from the services' namespace label, with their task counts and failing slots.
pub fn derive_stacks(services: &[ServiceSummary], tasks: &TaskMap) -> Vec<Stack> {
    let mut stacks: BTreeMap<&str, Stack> = BTreeMap::new();
    // (since, created, error) of each failing slot, per stack
    let mut failures: BTreeMap<&str, Vec<Failure>> = BTreeMap::new();
    for s in services.iter().filter(|s| !s.stack.is_empty()) {
        let e = stacks.entry(&s.stack).or_insert_with(|| Stack {
            name: s.stack.clone(),
            services: 0,
            tasks_running: 0,
            tasks_desired: 0,
            tasks_failing: 0,
            last_error: None,
        });
        e.services += 1;
        e.tasks_running += s.running;
        e.tasks_desired += s.desired;
        let Some(ts) = tasks.get(s.id.as_str()) else {
            continue;
        };
        // the newest task of each slot (replicated) or node (global)
        let mut newest: HashMap<(Option<i64>, &str), &Task> = HashMap::new();
        for t in ts.iter() {
            let key = (t.slot, if t.slot.is_some() { "" } else { &*t.node_id });
            match newest.get(&key) {
                Some(n) if (n.created, &n.id) >= (t.created, &t.id) => {}
                _ => {
                    newest.insert(key, t);
                }
            }
        }
        let f = failures.entry(&s.stack).or_default();
        f.extend(
            newest
                .into_values()
                .filter(|t| matches!(t.state, "failed" | "rejected"))
                .map(|t| (t.since, t.created, &*t.error)),
        );
    }
    for (name, mut f) in failures {
        f.sort();
        if let Some(e) = stacks.get_mut(name) {
            e.tasks_failing = f.len();
            e.last_error = f
                .iter()
                .rev()
                .find(|(_, _, err)| !err.is_empty())
                .map(|(_, _, err)| err.to_string());
        }
    }
    let mut out: Vec<Stack> = stacks.into_values().collect();
    out.sort_by(|a, b| crate::stack::natural_cmp(&a.name, &b.name));
    out
}

#[cfg(test)]
mod tests;
