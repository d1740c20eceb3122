//! The task that keeps the model in step with Docker: a full load, then Docker's event stream
//! (each event refetches only the object it names), services in motion re-listed until they
//! settle, a light services poll for what no event announces, a periodic full reconcile, and
//! a resync with backoff when the stream drops or Docker restarts.
//!
//! Every Docker call goes through one budget (a token bucket of `max_calls` per second), so
//! the load on the manager is bounded whatever happens and whoever watches: viewers only read
//! snapshots.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::query_parameters::EventsOptions;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::events;
use super::fetch;
use super::pending::{Budget, Pending};
use super::snapshot::Connection;
use super::store::Store;
use super::{Hint, Shared};
use crate::docker::{DockerError, Engine};

/// How long a service stays "hot" (its tasks re-listed) after something moved it.
const HOT_FOR: Duration = Duration::from_secs(30);
/// Re-list a hot service's tasks this often at first, then every `HOT_SLOW`.
const HOT_FAST: Duration = Duration::from_millis(500);
const HOT_FAST_FOR: Duration = Duration::from_secs(10);
const HOT_SLOW: Duration = Duration::from_secs(2);
/// The pending work is looked at this often (services being watched, work the budget held back).
const TICK: Duration = Duration::from_millis(50);
/// How long a burst of events gathers before the model fetches what they name.
const GATHER: Duration = Duration::from_millis(5);
const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// The calls of a full load (tasks, nodes, services, networks, secrets, configs, swarm).
const FULL_LOAD_CALLS: u32 = 7;

pub(crate) async fn run(engine: Engine, shared: Arc<Shared>, mut hints: mpsc::Receiver<Hint>) {
    let settings = shared.settings;
    let mut store = Store::default();
    let mut budget = Budget::new(settings.max_calls);
    let mut backoff = BACKOFF_MIN;
    loop {
        let started = Instant::now();
        let error = match engine.manager() {
            Err(e) => e.user_message(),
            Ok(docker) => {
                let e = session(&docker, &shared, &mut store, &mut budget, &mut hints).await;
                engine.recheck();
                e.user_message()
            }
        };
        tracing::debug!("model: not in step with Docker: {error}");
        store.set_connection(Connection::Down {
            error: Arc::from(error.as_str()),
        });
        shared.publish(&mut store);
        if started.elapsed() > BACKOFF_MAX {
            backoff = BACKOFF_MIN;
        }
        // a hint (berth's own action) does not shorten the wait: drain them
        let sleep = tokio::time::sleep(backoff);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => break,
                h = hints.recv() => if h.is_none() { return },
            }
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// One connection's life: load, follow, until something breaks (the error says what).
async fn session(
    docker: &Docker,
    shared: &Shared,
    store: &mut Store,
    budget: &mut Budget,
    hints: &mut mpsc::Receiver<Hint>,
) -> DockerError {
    let settings = shared.settings;
    // events from a second before the load: nothing that happens during it is missed
    let since = time::OffsetDateTime::now_utc().unix_timestamp() - 1;
    let filters = HashMap::from([
        (
            "type".to_string(),
            events::TYPES.iter().map(|s| s.to_string()).collect(),
        ),
        (
            "event".to_string(),
            events::ACTIONS.iter().map(|s| s.to_string()).collect(),
        ),
    ]);
    let mut stream = docker.events(Some(EventsOptions {
        since: Some(since.to_string()),
        until: None,
        filters: Some(filters),
    }));
    if let Err(e) = reload(docker, store).await {
        return e;
    }
    store.set_connection(Connection::Live);
    shared.publish(store);
    tracing::info!(
        "model: loaded {} nodes, {} services, {} tasks",
        store.snapshot().nodes().len(),
        store.snapshot().services().len(),
        store.snapshot().task_count()
    );

    let mut pending = Pending::default();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut poll =
        tokio::time::interval_at(tokio::time::Instant::now() + settings.poll, settings.poll);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reconcile = tokio::time::interval_at(
        tokio::time::Instant::now() + settings.reconcile,
        settings.reconcile,
    );
    reconcile.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut poll_due = false;
    // An event or berth's own action is fetched after a short pause that gathers a burst, not
    // at the next tick (waiting for the tick was a large part of a live update's delay).
    let soon = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(soon);
    let mut armed = false;
    loop {
        let mut arm = false;
        tokio::select! {
            ev = stream.next() => match ev {
                Some(Ok(m)) => {
                    for a in events::actions(&m) {
                        pending.add(a, store);
                        arm = true;
                    }
                }
                Some(Err(e)) => return e.into(),
                None => return DockerError::Other("Docker closed the event stream".into()),
            },
            h = hints.recv() => match h {
                Some(h) => {
                    pending.hint(h, store);
                    arm = true;
                }
                None => return DockerError::Other("berth is stopping".into()),
            },
            _ = poll.tick() => poll_due = true,
            _ = reconcile.tick() => pending.everything = true,
            _ = &mut soon, if armed => {
                armed = false;
                if let Err(e) = step(docker, shared, store, &mut pending, budget, &mut poll_due).await {
                    return e;
                }
            }
            _ = tick.tick() => {
                if let Err(e) = step(docker, shared, store, &mut pending, budget, &mut poll_due).await {
                    return e;
                }
            }
        }
        if arm && !armed {
            soon.as_mut().reset(tokio::time::Instant::now() + GATHER);
            armed = true;
        }
    }
}

/// Fetches what is pending, publishes it and answers the actions waiting for it.
async fn step(
    docker: &Docker,
    shared: &Shared,
    store: &mut Store,
    pending: &mut Pending,
    budget: &mut Budget,
    poll_due: &mut bool,
) -> Result<(), DockerError> {
    work(docker, store, pending, budget, poll_due).await?;
    shared.publish(store);
    pending.tell();
    Ok(())
}

/// A full load: everything replaced by what Docker holds now (unchanged objects keep their
/// place and publish nothing).
async fn reload(docker: &Docker, store: &mut Store) -> Result<(), DockerError> {
    let before = store.snapshot().changed;
    let was_loaded = store.snapshot().is_loaded();
    let full = fetch::full(docker, &mut store.strings).await?;
    store.set_nodes(full.nodes);
    let ids: BTreeSet<&str> = full.services.iter().map(|(s, _)| s.id.as_str()).collect();
    for id in store.service_ids() {
        if !ids.contains(id.as_str()) {
            store.remove_service(&id);
        }
    }
    store.set_all_tasks(full.tasks);
    for (s, v) in full.services {
        store.upsert_service(s, v, true);
    }
    store.set_networks(full.networks);
    store.set_secrets(full.secrets);
    store.set_configs(full.configs);
    store.set_swarm(full.swarm);
    store.strings.prune();
    store.mark_synced();
    let after = store.snapshot().changed;
    if was_loaded && after != before {
        tracing::info!("model: the reconcile found changes the events had not brought: {after:?}");
    }
    Ok(())
}

/// Fetches what is pending, within the budget.
async fn work(
    docker: &Docker,
    store: &mut Store,
    pending: &mut Pending,
    budget: &mut Budget,
    poll_due: &mut bool,
) -> Result<(), DockerError> {
    if pending.everything && budget.take(FULL_LOAD_CALLS) {
        pending.everything = false;
        reload(docker, store).await?;
    }
    if (*poll_due || pending.services_list) && budget.take(1) {
        *poll_due = false;
        pending.services_list = false;
        poll_services(docker, store, pending).await?;
    }
    if pending.nodes_list && budget.take(1) {
        pending.nodes_list = false;
        store.set_nodes(fetch::nodes(docker).await?);
    }
    if pending.swarm && budget.take(1) {
        pending.swarm = false;
        store.set_swarm(fetch::swarm(docker).await?);
    }
    while let Some(id) = pending.nodes.first().cloned() {
        if !budget.take(1) {
            return Ok(());
        }
        pending.nodes.remove(&id);
        match fetch::node(docker, &id).await? {
            Some(n) => store.upsert_node(n),
            None => store.remove_node(&id),
        }
        // its tasks will move: watch the services that have tasks there
        let now = Instant::now();
        let services: BTreeSet<String> = store
            .snapshot()
            .node_tasks(&id)
            .map(|t| t.service_id.to_string())
            .collect();
        for s in services {
            pending.heat(s, now);
        }
    }
    while let Some(id) = pending.services.first().cloned() {
        if !budget.take(2) {
            return Ok(());
        }
        pending.services.remove(&id);
        // both at once: one round trip less before a change shows
        let (service, tasks) = tokio::join!(
            fetch::service(docker, &id),
            fetch::tasks(docker, Some(&id), &mut store.strings)
        );
        match service? {
            Some((s, version)) => {
                store.set_service_tasks(&id, tasks?);
                store.upsert_service(s, version, false);
                let now = Instant::now();
                pending.hot.insert(id, (now + HOT_FAST, now));
            }
            None => {
                pending.hot.remove(&id);
                store.remove_service(&id);
            }
        }
    }
    for (flag, kind) in [
        (&mut pending.networks, 0),
        (&mut pending.secrets, 1),
        (&mut pending.configs, 2),
    ] {
        if !*flag || !budget.take(1) {
            continue;
        }
        *flag = false;
        match kind {
            0 => store.set_networks(fetch::networks(docker).await?),
            1 => store.set_secrets(fetch::secrets(docker).await?),
            _ => store.set_configs(fetch::configs(docker).await?),
        }
    }
    let now = Instant::now();
    let mut due: Vec<(Instant, String)> = pending
        .hot
        .iter()
        .filter(|(_, (next, _))| *next <= now)
        .map(|(id, (next, _))| (*next, id.clone()))
        .collect();
    due.sort();
    for (_, id) in due {
        if !budget.take(1) {
            return Ok(());
        }
        let tasks = fetch::tasks(docker, Some(&id), &mut store.strings).await?;
        if tasks.is_empty() && store.snapshot().service(&id).is_none() {
            pending.hot.remove(&id);
            continue;
        }
        store.set_service_tasks(&id, tasks);
        let snap = store.snapshot();
        let moving = snap.service_tasks(&id).iter().any(|t| t.in_motion())
            || snap
                .service(&id)
                .is_some_and(|s| s.update.as_ref().is_some_and(|u| u.in_progress()));
        let now = Instant::now();
        let Some(&(_, since)) = pending.hot.get(&id) else {
            continue;
        };
        if !moving || now.duration_since(since) > HOT_FOR {
            pending.hot.remove(&id);
        } else {
            let every = if now.duration_since(since) < HOT_FAST_FOR {
                HOT_FAST
            } else {
                HOT_SLOW
            };
            pending.hot.insert(id, (now + every, since));
        }
    }
    Ok(())
}

/// `GET /services?status=true`: one call finds services created, changed or removed without
/// an event reaching the model, and services whose running counts moved (a task that died on
/// a worker: no event on the manager) — those get their tasks re-listed.
async fn poll_services(
    docker: &Docker,
    store: &mut Store,
    pending: &mut Pending,
) -> Result<(), DockerError> {
    let list = fetch::services(docker).await?;
    let ids: BTreeSet<String> = list.iter().map(|(s, _)| s.id.clone()).collect();
    for id in store.service_ids() {
        if !ids.contains(&id) {
            pending.hot.remove(&id);
            store.remove_service(&id);
        }
    }
    let now = Instant::now();
    for (s, version) in list {
        let known = store.snapshot().service(&s.id).cloned();
        let moved = match &known {
            None => true,
            Some(k) => {
                store.version(&s.id) != Some(version)
                    || (k.running, k.desired, k.completed) != (s.running, s.desired, s.completed)
            }
        };
        let id = s.id.clone();
        store.upsert_service(s, version, true);
        if moved {
            pending.heat(id, now);
        }
    }
    Ok(())
}
