//! Deploy: load and convert (off the async threads), read the swarm, ask the registry, plan —
//! all before touching anything — then apply in the CLI's order (prune, networks, secrets,
//! configs, services) and optionally wait for the stack to converge.

use std::path::PathBuf;
use std::sync::Arc;

use super::StackError;
use super::api::Api;
use super::apply::apply;
use super::events::{DeployEvent, DeployReport, ObjectKind};
use super::image::{self, Pins, ResolveImage};
use super::plan::{self, Plan, PlanOptions};
use super::wait::{self, WaitOptions, Watched};
use crate::compose::{self, ComposeFile, Config, FileSource, LoadOptions, StackSpec};
use crate::docker::Engine;
use crate::docker::auth::RegistryAuth;

/// The compose files of a deploy and everything they may read.
#[derive(Clone)]
pub struct Source {
    /// The files, merged in order.
    pub files: Vec<ComposeFile>,
    /// Relative paths resolve against this (the first file's directory).
    pub working_dir: PathBuf,
    /// The variables: interpolation, `environment:` pass-through, bare `env_file` keys, `~`.
    pub env: std::collections::BTreeMap<String, String>,
    /// Where `env_file` and secret/config files are read.
    pub reader: Arc<dyn FileSource>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field(
                "files",
                &self.files.iter().map(|c| &c.name).collect::<Vec<_>>(),
            )
            .field("working_dir", &self.working_dir)
            .finish_non_exhaustive()
    }
}

/// How to deploy.
#[derive(Debug, Clone, Default)]
pub struct DeployOptions {
    /// Remove the stack's services that are no longer in the file.
    pub prune: bool,
    /// When to ask the registry for digests (`--resolve-image`).
    pub resolve_image: ResolveImage,
    /// Registry credentials (`--with-registry-auth`): sent with the digest questions and with
    /// every service create and update, picked by the image's domain.
    pub auth: RegistryAuth,
    /// Services deployed with exact images (by service name), neither asked about nor changed
    /// (a redeploy of a version from history with its recorded digests).
    pub pins: Pins,
    /// Wait for the stack to converge (`None`: return once the swarm accepted everything).
    pub wait: Option<WaitOptions>,
    /// Where progress goes, as it happens.
    pub events: Option<tokio::sync::mpsc::UnboundedSender<DeployEvent>>,
}

struct Loaded {
    config: Config,
    spec: StackSpec,
    warnings: Vec<String>,
}

/// Loads and converts in a blocking thread (big files must not stall the runtime).
async fn load(stack: &str, source: Source) -> Result<Loaded, StackError> {
    let stack = stack.to_string();
    tokio::task::spawn_blocking(move || {
        let opts = LoadOptions::new(&source.env, &source.working_dir, &*source.reader);
        let loaded = compose::load(&source.files, &opts)?;
        let spec = compose::convert(&stack, &loaded.config, &opts)?;
        Ok(Loaded {
            config: loaded.config,
            spec,
            warnings: loaded.warnings,
        })
    })
    .await
    .map_err(|e| StackError::Docker(format!("loading the compose files failed: {e}")))?
    .map_err(StackError::Compose)
}

/// Everything up to the plan; nothing in the swarm changes.
pub(crate) async fn prepare(
    api: &Api,
    stack: &str,
    source: Source,
    opts: &DeployOptions,
) -> Result<Plan, StackError> {
    compose::validate_stack_name(stack).map_err(StackError::Compose)?;
    let loaded = load(stack, source).await?;
    api.require_manager().await?;
    let cluster = api.read_cluster(&loaded.spec).await?;
    let images = image::to_query(
        &loaded.spec,
        &cluster.services,
        opts.resolve_image,
        &opts.pins,
    );
    let queried = image::query(&api.docker, &images, &opts.auth).await;
    if !queried.refused.is_empty() {
        return Err(StackError::Rejected(image::refusals(
            &loaded.spec,
            &loaded.config,
            &queried.refused,
        )));
    }
    let registry = queried.registry;
    let pins = opts.pins.clone();
    let plan_opts = PlanOptions {
        prune: opts.prune,
        resolve_image: opts.resolve_image,
        api: {
            let v = api.docker.client_version();
            (v.major_version, v.minor_version)
        },
    };
    // the field diffs of every service are CPU work: off the async threads
    tokio::task::spawn_blocking(move || {
        plan::plan_pinned(
            &loaded.spec,
            &loaded.config,
            &cluster,
            &registry,
            &pins,
            plan_opts,
            loaded.warnings,
        )
    })
    .await
    .map_err(|e| StackError::Docker(format!("planning the deploy failed: {e}")))?
    .map_err(StackError::Rejected)
}

/// What a deploy would do, without doing it (the web preview).
pub async fn preview(
    engine: &Engine,
    stack: &str,
    source: Source,
    opts: &DeployOptions,
) -> Result<Plan, StackError> {
    let api = Api::new(engine).await?;
    prepare(&api, stack, source, opts).await
}

/// Deploys (or redeploys) a stack. `Err` means nothing was changed (invalid files, a swarm
/// that would refuse them, Docker unreachable); once applying started the answer is a
/// [`DeployReport`], which says what was done even when a step failed.
pub async fn deploy(
    engine: &Engine,
    stack: &str,
    source: Source,
    opts: &DeployOptions,
) -> Result<DeployReport, StackError> {
    let applied = apply_changes(engine, stack, source, opts).await?;
    Ok(match opts.wait {
        Some(w) if applied.report.failed.is_none() => applied.wait(w, opts).await,
        _ => applied.report,
    })
}

/// A deploy whose changes were applied (or failed midway): what was done, and the services to
/// follow while waiting for the stack to converge.
pub struct Applied {
    api: Api,
    pub report: DeployReport,
    watched: Vec<Watched>,
}

/// The first half of [`deploy`]: everything up to and including applying the changes (the
/// part that must not run twice at once on a stack); [`Applied::wait`] is the second.
/// `opts.wait` is not looked at.
pub async fn apply_changes(
    engine: &Engine,
    stack: &str,
    source: Source,
    opts: &DeployOptions,
) -> Result<Applied, StackError> {
    let api = Api::new(engine).await?;
    let plan = prepare(&api, stack, source, opts).await?;
    let send = |e: DeployEvent| {
        if let Some(tx) = &opts.events {
            let _ = tx.send(e);
        }
    };
    for w in &plan.warnings {
        send(DeployEvent::Warning { message: w.clone() });
    }
    let report = apply(&api, plan, &opts.auth, &send).await;
    let watched: Vec<Watched> = report
        .plan
        .services
        .iter()
        .filter_map(|s| {
            let id = s.id.clone().or_else(|| {
                report
                    .done
                    .iter()
                    .find(|d| d.kind == ObjectKind::Service && d.name == s.name)
                    .map(|d| d.id.clone())
            })?;
            Some(Watched {
                id,
                name: s.name.clone(),
                update_started_before: s.update_started.clone(),
            })
        })
        .collect();
    Ok(Applied {
        api,
        report,
        watched,
    })
}

impl Applied {
    /// Follows the stack until it converges (see [`WaitOptions`]); the report gains the
    /// outcome. Progress goes to `opts.events`. Dropping the future ends the wait (nothing in
    /// the swarm depends on it).
    pub async fn wait(self, w: WaitOptions, opts: &DeployOptions) -> DeployReport {
        let send = |e: DeployEvent| {
            if let Some(tx) = &opts.events {
                let _ = tx.send(e);
            }
        };
        let mut report = self.report;
        let c = wait::watch(&self.api, &report.stack, &self.watched, w, &send).await;
        send(if c.converged {
            DeployEvent::Converged {
                elapsed_ms: c.elapsed.as_millis() as u64,
            }
        } else {
            DeployEvent::NotConverged {
                reason: c.reason.clone().unwrap_or_default(),
            }
        });
        report.convergence = Some(c);
        report
    }
}
