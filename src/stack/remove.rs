//! `stack rm` (STACK_DEPLOY_SPEC 6): services, secrets, configs, networks by label, in the
//! CLI's order and words; then, unlike the CLI, wait until the networks are really gone — swarm
//! deletes them only once the tasks detached, and a redeploy that sees a doomed network skips
//! creating it and then fails (FINDINGS 10).

use std::time::Duration;

use bollard::query_parameters::{
    ListConfigsOptions, ListNetworksOptions, ListSecretsOptions, ListServicesOptions,
};
use tokio::time::Instant;

use super::StackError;
use super::api::{Api, error_text, label_filter};
use super::events::{ObjectKind, RemoveEvent, RemoveReport};
use crate::docker::Engine;

/// How to remove.
#[derive(Debug, Clone, Default)]
pub struct RemoveOptions {
    /// Wait at most this long for the networks to disappear (`None`: do not wait).
    pub wait: Option<Duration>,
    /// Where progress goes.
    pub events: Option<tokio::sync::mpsc::UnboundedSender<RemoveEvent>>,
}

/// Removes everything labelled with the stack's namespace (volumes stay, as with the CLI).
/// `Err` only when listing fails (then nothing was removed); removal failures are in the
/// report, the other objects are still removed.
pub async fn remove(
    engine: &Engine,
    stack: &str,
    opts: &RemoveOptions,
) -> Result<RemoveReport, StackError> {
    let api = Api::new(engine).await?;
    let d = &api.docker;
    let send = |e: RemoveEvent| {
        if let Some(tx) = &opts.events {
            let _ = tx.send(e);
        }
    };
    let err = |e: bollard::errors::Error| StackError::Docker(error_text(&e));
    let label = label_filter(stack);
    let (services, networks, secrets, configs) = tokio::try_join!(
        async {
            d.list_services(Some(ListServicesOptions {
                filters: Some(label.clone()),
                status: None,
            }))
            .await
            .map_err(err)
        },
        async {
            d.list_networks(Some(ListNetworksOptions {
                filters: Some(label.clone()),
            }))
            .await
            .map_err(err)
        },
        async {
            d.list_secrets(Some(ListSecretsOptions {
                filters: Some(label.clone()),
            }))
            .await
            .map_err(err)
        },
        async {
            d.list_configs(Some(ListConfigsOptions {
                filters: Some(label.clone()),
            }))
            .await
            .map_err(err)
        },
    )?;
    let sorted = |mut v: Vec<(String, String)>| {
        v.sort();
        v
    };
    let services = sorted(
        services
            .into_iter()
            .map(|s| {
                let name = s.spec.and_then(|sp| sp.name).unwrap_or_default();
                (name, s.id.unwrap_or_default())
            })
            .collect(),
    );
    let secrets = sorted(
        secrets
            .into_iter()
            .map(|s| {
                (
                    s.spec.and_then(|sp| sp.name).unwrap_or_default(),
                    s.id.unwrap_or_default(),
                )
            })
            .collect(),
    );
    let configs = sorted(
        configs
            .into_iter()
            .map(|s| {
                (
                    s.spec.and_then(|sp| sp.name).unwrap_or_default(),
                    s.id.unwrap_or_default(),
                )
            })
            .collect(),
    );
    let networks = sorted(
        networks
            .into_iter()
            .map(|n| (n.name.unwrap_or_default(), n.id.unwrap_or_default()))
            .collect(),
    );
    let mut report = RemoveReport {
        stack: stack.to_string(),
        found: !(services.is_empty()
            && networks.is_empty()
            && secrets.is_empty()
            && configs.is_empty()),
        removed: Vec::new(),
        failures: Vec::new(),
        networks_left: Vec::new(),
        tasks_left: 0,
    };
    if !report.found {
        send(RemoveEvent::NothingFound {
            stack: stack.to_string(),
        });
        return Ok(report);
    }
    // tasks of the services just removed may still hold the networks for a moment
    let retry_until = Instant::now() + opts.wait.unwrap_or(NETWORK_RETRY);
    let kinds = [
        (ObjectKind::Service, &services),
        (ObjectKind::Secret, &secrets),
        (ObjectKind::Config, &configs),
        (ObjectKind::Network, &networks),
    ];
    for (kind, list) in kinds {
        for (name, id) in list {
            send(RemoveEvent::Removing {
                kind,
                name: name.clone(),
            });
            let r = match kind {
                ObjectKind::Service => d.delete_service(id).await,
                ObjectKind::Secret => d.delete_secret(id).await,
                ObjectKind::Config => d.delete_config(id).await,
                ObjectKind::Network => remove_network(&api, id, retry_until).await,
            };
            match r {
                Ok(()) => report.removed.push((kind, name.clone())),
                Err(e) => {
                    let error = error_text(&e);
                    report
                        .failures
                        .push(format!("Failed to remove {kind} {id}: {error}"));
                    send(RemoveEvent::Failed {
                        kind,
                        id: id.clone(),
                        error,
                    });
                }
            }
        }
    }
    if !report.failures.is_empty() {
        return Ok(report);
    }
    if let Some(limit) = opts.wait {
        // "gone" means gone on the nodes too: a task scheduled just before the removal can
        // still start its container, which brings a local copy of the stack's network with
        // it, so wait for the stack's tasks to disappear first, then for its networks
        let deadline = Instant::now() + limit;
        report.tasks_left = wait_for_tasks(&api, stack, deadline, &send).await;
        if report.tasks_left > 0 {
            return Ok(report);
        }
        if !networks.is_empty() {
            send(RemoveEvent::WaitingForNetworks {
                names: networks.iter().map(|(n, _)| n.clone()).collect(),
            });
            report.networks_left = wait_for_networks(
                &api,
                stack,
                deadline.saturating_duration_since(Instant::now()),
            )
            .await;
            if !report.networks_left.is_empty() {
                return Ok(report);
            }
        }
    }
    send(RemoveEvent::Removed {
        stack: stack.to_string(),
    });
    Ok(report)
}

/// How long a network still used by the removed services' tasks is retried without waiting.
const NETWORK_RETRY: Duration = Duration::from_secs(30);

/// Removes a network, retrying while tasks of removed services still use it (the daemon then
/// answers `network … is in use by task …`; the CLI gives up there and leaves the network).
async fn remove_network(api: &Api, id: &str, until: Instant) -> Result<(), bollard::errors::Error> {
    loop {
        match api.docker.remove_network(id).await {
            Err(bollard::errors::Error::DockerResponseServerError { message, .. })
                if message.contains("is in use by task") && Instant::now() < until =>
            {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => return other,
        }
    }
}

/// Waits until no task of the stack holds a node any more (assigned to one, from pending to
/// running: its container may still start or run); returns how many still do at the
/// deadline. Tasks that finished or never got a node do not count: swarm deletes a removed
/// service's tasks once their containers stopped, but keeps a removed job's completed tasks,
/// and its never-scheduled pending ones, indefinitely.
async fn wait_for_tasks(
    api: &Api,
    stack: &str,
    deadline: Instant,
    send: &(dyn Fn(RemoveEvent) + Sync),
) -> usize {
    let label = super::api::namespace_label(stack);
    let mut told = false;
    loop {
        let left = crate::docker::tasks::list(&api.docker, &[("label", label.as_str())])
            .await
            .map(|t| t.iter().filter(|t| t.occupies_node()).count());
        match left {
            Ok(0) => return 0,
            Ok(n) if Instant::now() >= deadline => return n,
            Ok(n) if !told => {
                send(RemoveEvent::WaitingForTasks { count: n });
                told = true;
            }
            Err(_) if Instant::now() >= deadline => return 1,
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Polls the stack's networks until none is left; returns those still there at the deadline.
async fn wait_for_networks(api: &Api, stack: &str, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    loop {
        let left = api
            .docker
            .list_networks(Some(ListNetworksOptions {
                filters: Some(label_filter(stack)),
            }))
            .await
            .map(|l| l.into_iter().filter_map(|n| n.name).collect::<Vec<_>>());
        match left {
            Ok(l) if l.is_empty() => return l,
            Ok(l) if Instant::now() >= deadline => return l,
            Err(e) if Instant::now() >= deadline => return vec![error_text(&e)],
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}
