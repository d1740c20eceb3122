//! Following a deploy until the stack converges (`--detach=false`, STACK_DEPLOY_SPEC 5.7), done
//! better than the CLI: all services at once instead of one after the other, bounded by a
//! timeout, and ending early when every unfinished service keeps failing.
//!
//! Each poll reads the stack's services, its *up-to-date* tasks (`_up-to-date` filter: tasks
//! of the current spec version, so tasks of the previous version never count) and the nodes
//! (tasks on down nodes do not count for global services). An update is only judged paused or
//! rolled back when its `UpdateStatus.StartedAt` differs from the one seen before the deploy:
//! the status of the previous update lingers until the new one registers (FINDINGS 11).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bollard::models::{NodeState, Service, ServiceUpdateStatusStateEnum};
use bollard::query_parameters::{ListNodesOptions, ListServicesOptions};
use tokio::time::Instant;

use super::api::{Api, label_filter};
use super::events::{Convergence, DeployEvent, ProgressState, ServiceProgress};
use crate::docker::tasks::{self, TaskInfo};

/// How to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// Give up after this long.
    pub timeout: Duration,
    /// The stack must stay converged this long (like the CLI's update monitor, 5 s).
    pub settle: Duration,
    /// Time between polls.
    pub poll: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(300),
            settle: Duration::from_secs(5),
            poll: Duration::from_millis(500),
        }
    }
}

/// Failed tasks after which a service with nothing running counts as failing.
const FAILING_AFTER: u64 = 3;

/// A service being watched.
#[derive(Debug, Clone, PartialEq)]
pub struct Watched {
    pub id: String,
    pub name: String,
    /// `UpdateStatus.StartedAt` before the deploy (`None` for a new service).
    pub update_started_before: Option<String>,
}

/// Progress of one service from its up-to-date tasks (pure).
pub fn progress(
    w: &Watched,
    svc: &Service,
    tasks: &[TaskInfo],
    down_nodes: &BTreeSet<String>,
) -> ServiceProgress {
    let mine: Vec<&TaskInfo> = tasks.iter().filter(|t| t.service_id == w.id).collect();
    let count = |f: &dyn Fn(&TaskInfo) -> bool| mine.iter().filter(|t| f(t)).count() as u64;
    let running = count(&|t| t.state == "running" && t.desired_state == "running");
    let failures = count(&|t| matches!(t.state.as_str(), "failed" | "rejected"));
    // the newest error ("No such image", "no suitable node (host-mode port already in use on
    // 1 node)"); a pending task's bare message ("pending task scheduling") only when no task
    // has an error, so a retry waiting to be scheduled does not hide why the last one failed
    let error = mine
        .iter()
        .filter(|t| !t.problem().is_empty())
        .max_by_key(|t| (!t.error.is_empty(), t.since, t.created))
        .map(|t| t.problem().to_string());
    let mode = svc.spec.as_ref().and_then(|s| s.mode.as_ref());
    let on_up_nodes = || {
        mine.iter()
            .filter(|t| !down_nodes.contains(&t.node_id) && !t.node_id.is_empty())
            .map(|t| t.node_id.clone())
            .collect::<BTreeSet<_>>()
            .len() as u64
    };
    let completed = count(&|t| t.state == "complete");
    let (desired, job) = match mode {
        Some(m) if m.global.is_some() => (on_up_nodes(), None),
        Some(m) if m.replicated_job.is_some() => {
            let j = m.replicated_job.as_ref();
            let max = j.and_then(|j| j.max_concurrent).unwrap_or(1).max(0) as u64;
            let total = j
                .and_then(|j| j.total_completions)
                .map_or(max, |t| t.max(0) as u64);
            (max, Some((completed, total)))
        }
        Some(m) if m.global_job.is_some() => {
            let n = on_up_nodes();
            (n, Some((completed, n)))
        }
        _ => (
            mode.and_then(|m| m.replicated.as_ref())
                .and_then(|r| r.replicas)
                .unwrap_or(1)
                .max(0) as u64,
            None,
        ),
    };
    let converged = match job {
        Some((done, total)) => {
            done >= total && (total > 0 || mode.is_some_and(|m| m.replicated_job.is_some()))
        }
        None => running >= desired,
    };
    let update = svc
        .update_status
        .as_ref()
        .filter(|u| u.started_at.is_some() && u.started_at != w.update_started_before);
    let paused = update.and_then(|u| match u.state {
        Some(
            ServiceUpdateStatusStateEnum::PAUSED
            | ServiceUpdateStatusStateEnum::ROLLBACK_PAUSED
            | ServiceUpdateStatusStateEnum::ROLLBACK_STARTED
            | ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED,
        ) => Some(format!(
            "update {}: {}",
            u.state.map(|s| s.to_string()).unwrap_or_default(),
            u.message.clone().unwrap_or_default()
        )),
        _ => None,
    });
    let (state, error) = if let Some(p) = paused {
        (ProgressState::Paused, Some(p))
    } else if converged {
        (ProgressState::Converged, None)
    } else if failures >= FAILING_AFTER && running == 0 && completed == 0 {
        (ProgressState::Failing, error)
    } else {
        (ProgressState::Starting, error)
    };
    ServiceProgress {
        service: w.name.clone(),
        running,
        desired,
        job,
        failures,
        state,
        error,
    }
}

async fn poll(api: &Api, stack: &str, watched: &[Watched]) -> Result<Vec<ServiceProgress>, String> {
    let label = label_filter(stack);
    let services_opts = ListServicesOptions {
        filters: Some(label.clone()),
        status: None,
    };
    let filters = [
        ("label", label["label"][0].as_str()),
        ("_up-to-date", "true"),
    ];
    let (services, tasks, nodes) = tokio::try_join!(
        async {
            api.docker
                .list_services(Some(services_opts))
                .await
                .map_err(|e| api.error(&e))
        },
        async {
            tasks::list(&api.docker, &filters)
                .await
                .map_err(|e| e.to_string())
        },
        async {
            api.docker
                .list_nodes(None::<ListNodesOptions>)
                .await
                .map_err(|e| api.error(&e))
        },
    )?;
    let down: BTreeSet<String> = nodes
        .iter()
        .filter(|n| n.status.as_ref().and_then(|s| s.state) == Some(NodeState::DOWN))
        .filter_map(|n| n.id.clone())
        .collect();
    let by_id: BTreeMap<&str, &Service> = services
        .iter()
        .filter_map(|s| s.id.as_deref().map(|id| (id, s)))
        .collect();
    Ok(watched
        .iter()
        .map(|w| match by_id.get(w.id.as_str()) {
            Some(s) => progress(w, s, &tasks, &down),
            None => ServiceProgress {
                service: w.name.clone(),
                running: 0,
                desired: 0,
                job: None,
                failures: 0,
                state: ProgressState::Paused,
                error: Some("the service was removed".into()),
            },
        })
        .collect())
}

/// Polls until every watched service converged and stayed so for `settle`, every unfinished
/// one is failing or paused, or the timeout passes. Sends a [`DeployEvent::Tasks`] whenever a
/// service's progress changes.
pub(crate) async fn watch(
    api: &Api,
    stack: &str,
    watched: &[Watched],
    opts: WaitOptions,
    send: &(dyn Fn(DeployEvent) + Sync),
) -> Convergence {
    let start = Instant::now();
    let mut last: BTreeMap<String, ServiceProgress> = BTreeMap::new();
    let mut converged_since: Option<Instant> = None;
    let mut poll_errors = 0;
    loop {
        let now = Instant::now();
        let done = |converged: bool,
                    reason: Option<String>,
                    last: &BTreeMap<String, ServiceProgress>| Convergence {
            converged,
            reason,
            services: last.values().cloned().collect(),
            elapsed: now - start,
        };
        match poll(api, stack, watched).await {
            Err(e) => {
                poll_errors += 1;
                if poll_errors >= 5 {
                    return done(false, Some(format!("cannot follow the tasks: {e}")), &last);
                }
            }
            Ok(progress) => {
                poll_errors = 0;
                for p in &progress {
                    if last.get(&p.service) != Some(p) {
                        send(DeployEvent::Tasks(p.clone()));
                        last.insert(p.service.clone(), p.clone());
                    }
                }
                if progress.iter().all(|p| p.state == ProgressState::Converged) {
                    let since = *converged_since.get_or_insert(now);
                    if now - since >= opts.settle {
                        return done(true, None, &last);
                    }
                } else {
                    converged_since = None;
                    let stuck: Vec<&ServiceProgress> = progress
                        .iter()
                        .filter(|p| p.state != ProgressState::Converged)
                        .collect();
                    if stuck
                        .iter()
                        .all(|p| matches!(p.state, ProgressState::Failing | ProgressState::Paused))
                    {
                        let reasons: Vec<String> = stuck.iter().map(|p| p.line()).collect();
                        return done(false, Some(reasons.join("; ")), &last);
                    }
                }
            }
        }
        if now - start >= opts.timeout {
            let pending: Vec<String> = last
                .values()
                .filter(|p| p.state != ProgressState::Converged)
                .map(|p| p.line())
                .collect();
            return done(
                false,
                Some(format!(
                    "timed out after {} s: {}",
                    opts.timeout.as_secs(),
                    pending.join("; ")
                )),
                &last,
            );
        }
        tokio::time::sleep(opts.poll).await;
    }
}

#[cfg(test)]
mod tests;
