//! Applying a plan: prune, networks, secrets, configs, services — the CLI's order — each step
//! reported as an event; the first failure stops the deploy and the report lists what was done
//! and what was not attempted.

use std::collections::HashMap;

use bollard::models::ServiceSpec;
use bollard::query_parameters::{UpdateConfigOptions, UpdateSecretOptions, UpdateServiceOptions};

use super::api::{Api, error_text};
use super::events::{DeployEvent, DeployReport, Done, Failure, ObjectKind, Outcome};
use super::plan::{self, Action, Plan, pending_id};
use crate::docker::auth::RegistryAuth;

/// Replaces the placeholder IDs of secrets/configs this deploy created.
fn fill_pending(spec: &mut ServiceSpec, created: &HashMap<String, String>) {
    let swap = |id: &mut Option<String>| {
        if let Some(new) = id.as_ref().and_then(|i| created.get(i)) {
            *id = Some(new.clone());
        }
    };
    let Some(cs) = spec
        .task_template
        .as_mut()
        .and_then(|t| t.container_spec.as_mut())
    else {
        return;
    };
    for s in cs.secrets.iter_mut().flatten() {
        swap(&mut s.secret_id);
    }
    for c in cs.configs.iter_mut().flatten() {
        swap(&mut c.config_id);
    }
    if let Some(cred) = cs
        .privileges
        .as_mut()
        .and_then(|p| p.credential_spec.as_mut())
    {
        swap(&mut cred.config);
    }
}

type StepResult = Result<Option<(String, Outcome, DeployEvent)>, String>;

/// One change, by its index in the plan.
#[derive(Debug, Clone, Copy)]
enum Step {
    Prune(usize),
    Network(usize),
    Secret(usize),
    Config(usize),
    Service(usize),
}

impl Step {
    fn kind(self) -> ObjectKind {
        match self {
            Step::Prune(_) | Step::Service(_) => ObjectKind::Service,
            Step::Network(_) => ObjectKind::Network,
            Step::Secret(_) => ObjectKind::Secret,
            Step::Config(_) => ObjectKind::Config,
        }
    }

    fn name(self, plan: &Plan) -> String {
        match self {
            Step::Prune(i) => plan.prune[i].name.clone(),
            Step::Network(i) => plan.networks[i].name.clone(),
            Step::Secret(i) => plan.secrets[i].name.clone(),
            Step::Config(i) => plan.configs[i].name.clone(),
            Step::Service(i) => plan.services[i].name.clone(),
        }
    }
}

/// The steps that send something to the swarm, in the CLI's order. Secrets are always sent
/// (the daemon compares their data); unchanged configs and services are not.
fn steps(plan: &Plan) -> Vec<Step> {
    let mut steps: Vec<Step> = (0..plan.prune.len()).map(Step::Prune).collect();
    steps.extend(
        plan.networks
            .iter()
            .enumerate()
            .filter(|(_, n)| n.action == Action::Create)
            .map(|(i, _)| Step::Network(i)),
    );
    steps.extend((0..plan.secrets.len()).map(Step::Secret));
    steps.extend(
        plan.configs
            .iter()
            .enumerate()
            .filter(|(_, c)| c.action != Action::Unchanged)
            .map(|(i, _)| Step::Config(i)),
    );
    steps.extend((0..plan.services.len()).map(Step::Service));
    steps
}

async fn run_step(
    api: &Api,
    plan: &Plan,
    step: Step,
    created: &mut HashMap<String, String>,
    auth: &RegistryAuth,
    send: &(dyn Fn(DeployEvent) + Sync),
) -> StepResult {
    let d = &api.docker;
    match step {
        Step::Prune(i) => {
            let s = &plan.prune[i];
            let id = s.id.clone().unwrap_or_default();
            match d.delete_service(&id).await {
                Ok(()) => Ok(Some((
                    id.clone(),
                    Outcome::Removed,
                    DeployEvent::ServiceRemoved {
                        name: s.name.clone(),
                        id,
                    },
                ))),
                Err(e) => Err(format!(
                    "failed to remove service {}: {}",
                    s.name,
                    error_text(&e)
                )),
            }
        }
        Step::Network(i) => {
            let nw = &plan.networks[i];
            let r = match nw.request.clone() {
                Some(req) => d
                    .create_network(req)
                    .await
                    .map(|r| r.id)
                    .map_err(|e| error_text(&e)),
                None => Err("the plan has no create request".into()),
            };
            match r {
                Ok(id) => Ok(Some((
                    id.clone(),
                    Outcome::Created,
                    DeployEvent::NetworkCreated {
                        name: nw.name.clone(),
                        id,
                    },
                ))),
                Err(e) => Err(format!("failed to create network {}: {e}", nw.name)),
            }
        }
        Step::Secret(i) => {
            let s = &plan.secrets[i];
            let verb = if s.id.is_some() { "update" } else { "create" };
            let r = match &s.id {
                None => d
                    .create_secret(s.spec.clone())
                    .await
                    .map(|r| (r.id, Outcome::Created)),
                Some(id) => {
                    let opts = UpdateSecretOptions {
                        version: s.version as i64,
                    };
                    let outcome = match s.action {
                        Action::Update => Outcome::Updated,
                        _ => Outcome::Unchanged,
                    };
                    d.update_secret(id, s.spec.clone(), opts)
                        .await
                        .map(|()| (id.clone(), outcome))
                }
            };
            let (id, outcome) =
                r.map_err(|e| format!("failed to {verb} secret {}: {}", s.name, error_text(&e)))?;
            created.insert(pending_id(&s.name), id.clone());
            let name = s.name.clone();
            Ok(match outcome {
                Outcome::Created => {
                    Some((id.clone(), outcome, DeployEvent::SecretCreated { name, id }))
                }
                Outcome::Updated => {
                    Some((id.clone(), outcome, DeployEvent::SecretUpdated { name, id }))
                }
                _ => None,
            })
        }
        Step::Config(i) => {
            let c = &plan.configs[i];
            let verb = if c.id.is_some() { "update" } else { "create" };
            let r = match &c.id {
                None => d
                    .create_config(c.spec.clone())
                    .await
                    .map(|r| (r.id, Outcome::Created)),
                Some(id) => {
                    let opts = UpdateConfigOptions {
                        version: c.version as i64,
                    };
                    d.update_config(id, c.spec.clone(), opts)
                        .await
                        .map(|()| (id.clone(), Outcome::Updated))
                }
            };
            let (id, outcome) =
                r.map_err(|e| format!("failed to {verb} config {}: {}", c.name, error_text(&e)))?;
            created.insert(pending_id(&c.name), id.clone());
            let name = c.name.clone();
            let event = match outcome {
                Outcome::Created => DeployEvent::ConfigCreated {
                    name,
                    id: id.clone(),
                },
                _ => DeployEvent::ConfigUpdated {
                    name,
                    id: id.clone(),
                },
            };
            Ok(Some((id, outcome, event)))
        }
        Step::Service(i) => service_step(api, &plan.services[i], created, auth, send).await,
    }
}

/// Applies a plan in the CLI's order; stops at the first failure.
pub(crate) async fn apply(
    api: &Api,
    plan: Plan,
    auth: &RegistryAuth,
    send: &(dyn Fn(DeployEvent) + Sync),
) -> DeployReport {
    let mut report = DeployReport {
        stack: plan.stack.clone(),
        plan,
        done: Vec::new(),
        failed: None,
        not_attempted: Vec::new(),
        convergence: None,
    };
    let plan = &report.plan;
    let mut created: HashMap<String, String> = HashMap::new();
    let steps = steps(plan);
    let mut done = Vec::new();
    let mut failed = None;
    let mut not_attempted = Vec::new();
    for (n, step) in steps.iter().copied().enumerate() {
        let (kind, name) = (step.kind(), step.name(plan));
        match run_step(api, plan, step, &mut created, auth, send).await {
            Ok(Some((id, outcome, event))) => {
                send(event);
                done.push(Done {
                    kind,
                    name,
                    id,
                    outcome,
                });
            }
            Ok(None) => {}
            Err(error) => {
                send(DeployEvent::Failed {
                    kind,
                    name: name.clone(),
                    error: error.clone(),
                });
                failed = Some(Failure { kind, name, error });
                not_attempted = steps[n + 1..]
                    .iter()
                    .filter(|s| !matches!(s, Step::Service(i) if plan.services[*i].action == Action::Unchanged))
                    .map(|s| (s.kind(), s.name(plan)))
                    .collect();
                break;
            }
        }
    }
    report.done = done;
    report.failed = failed;
    report.not_attempted = not_attempted;
    report
}

async fn service_step(
    api: &Api,
    s: &plan::ServiceChange,
    created: &HashMap<String, String>,
    auth: &RegistryAuth,
    send: &(dyn Fn(DeployEvent) + Sync),
) -> StepResult {
    let d = &api.docker;
    let creds = auth.for_image(&s.image);
    let mut spec = s.spec.clone();
    fill_pending(&mut spec, created);
    match (s.action, &s.id) {
        (Action::Unchanged, Some(id)) => Ok(Some((
            id.clone(),
            Outcome::Unchanged,
            DeployEvent::ServiceUnchanged {
                name: s.name.clone(),
                id: id.clone(),
            },
        ))),
        (_, Some(id)) => {
            let version = i32::try_from(s.version).map_err(|_| {
                format!(
                    "failed to update service {}: its version index {} is too large for the Docker client berth uses",
                    s.name, s.version
                )
            })?;
            let opts = UpdateServiceOptions {
                version,
                ..Default::default()
            };
            match d.update_service(id, spec, opts, creds).await {
                Ok(resp) => {
                    for w in resp.warnings.unwrap_or_default() {
                        send(DeployEvent::Warning { message: w });
                    }
                    Ok(Some((
                        id.clone(),
                        Outcome::Updated,
                        DeployEvent::ServiceUpdated {
                            name: s.name.clone(),
                            id: id.clone(),
                            diff: s.diff.clone(),
                        },
                    )))
                }
                Err(e) => Err(format!(
                    "failed to update service {}: {}",
                    s.name,
                    error_text(&e)
                )),
            }
        }
        (_, None) => match d.create_service(spec, creds).await {
            Ok(resp) => {
                for w in resp.warnings.unwrap_or_default() {
                    send(DeployEvent::Warning { message: w });
                }
                let id = resp.id.unwrap_or_default();
                Ok(Some((
                    id.clone(),
                    Outcome::Created,
                    DeployEvent::ServiceCreated {
                        name: s.name.clone(),
                        id,
                    },
                )))
            }
            Err(e) => Err(format!(
                "failed to create service {}: {}",
                s.name,
                error_text(&e)
            )),
        },
    }
}
