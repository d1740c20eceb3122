//! `/stacks/{name}`: the stack's services (`docker stack services`), tasks (`docker stack ps`,
//! failures first), networks, volumes, secrets and configs, its source and its history; and
//! `/stacks/{name}/edit`, the editor holding the newest version (or, for a stack made
//! elsewhere, an invitation to take it over).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::editor::{ACE_BASE, EditorPage, Validation};
use super::history::{VersionRow, outcome_class};
use super::name_or_404;
use crate::db;
use crate::db::audit::{Action, Outcome};
use std::collections::HashMap;

use crate::error::AppResult;
use crate::stack::{self, StackResources, StackService, StackTask};
use crate::web::page::{Ctx, Layout};
use crate::web::services::{self, TaskRow};
use crate::web::urls;

/// A failure worth a banner: a service whose newest task failed, with the error.
pub struct Failure {
    pub service: String,
    pub error: String,
}

/// What the live part of the page shows (refreshed every few seconds).
pub struct Live {
    pub services: Vec<StackService>,
    /// names of the services whose tag names another digest on the registry
    pub updates: Vec<String>,
    pub failures: Vec<Failure>,
    pub unavailable: Option<String>,
}

impl Live {
    pub fn update_available(&self, service: &str) -> bool {
        self.updates.iter().any(|s| s == service)
    }

    pub fn running(&self) -> u64 {
        self.services.iter().map(|s| s.running).sum()
    }

    pub fn desired(&self) -> u64 {
        self.services.iter().map(|s| s.desired).sum()
    }
}

async fn live_state(ctx: &Ctx, name: &str) -> (Live, Vec<TaskRow>) {
    let (live, mut tasks) = live_state_all(ctx, name).await;
    services::gate_consoles(&mut tasks, ctx.rights.as_ref(), name);
    (live, tasks)
}

async fn live_state_all(ctx: &Ctx, name: &str) -> (Live, Vec<TaskRow>) {
    let model = ctx.state.model.snapshot();
    if crate::web::live::model_live(&model) {
        return live_from_model(&model, name, &ctx.state.freshness);
    }
    let engine = &ctx.state.docker;
    let (services, tasks) = tokio::join!(stack::services(engine, name), stack::ps(engine, name));
    let mut unavailable = None;
    let services = services.unwrap_or_else(|e| {
        unavailable = Some(e.to_string());
        vec![]
    });
    assemble(
        services,
        tasks.unwrap_or_default(),
        unavailable,
        &ctx.state.freshness,
    )
}

/// The stack's networks, secrets, configs and volumes: from the model while it is live.
async fn resources(ctx: &Ctx, name: &str) -> StackResources {
    let model = ctx.state.model.snapshot();
    if crate::web::live::model_live(&model) {
        return model.stack_resources(name);
    }
    stack::resources(&ctx.state.docker, name)
        .await
        .unwrap_or_default()
}

/// A stack's page shows its services, their tasks and the nodes they run on.
pub fn stack_fp(s: &crate::model::Snapshot) -> u64 {
    s.changed.services.max(s.changed.tasks).max(s.changed.nodes)
}

/// The live part from the model: the stack's services and their tasks (`stack services` and
/// `stack ps` without a Docker call).
pub fn live_from_model(
    model: &crate::model::Snapshot,
    name: &str,
    fresh: &crate::registry::freshness::Freshness,
) -> (Live, Vec<TaskRow>) {
    let summaries = model.services_list(Some(name));
    let mut services: Vec<StackService> =
        summaries.iter().map(StackService::from_summary).collect();
    services.sort_by(|a, b| stack::natural_cmp(&a.name, &b.name));
    let service_name: HashMap<String, String> = summaries
        .iter()
        .map(|s| (s.id.clone(), s.name.clone()))
        .collect();
    let node_name: HashMap<String, String> = model
        .nodes()
        .iter()
        .map(|n| (n.id.clone(), n.hostname.clone()))
        .collect();
    let tasks = summaries
        .iter()
        .flat_map(|s| model.service_tasks(&s.id).iter().map(|t| t.info()))
        .collect();
    let tasks = stack::arrange_ps(tasks, &service_name, &node_name);
    assemble(services, tasks, None, fresh)
}

fn assemble(
    services: Vec<StackService>,
    tasks: Vec<StackTask>,
    unavailable: Option<String>,
    fresh: &crate::registry::freshness::Freshness,
) -> (Live, Vec<TaskRow>) {
    // the newest task of each slot that failed: the errors a user must see first
    let mut failures: Vec<Failure> = Vec::new();
    for t in tasks
        .iter()
        .filter(|t| !t.superseded && t.task.is_failure() && !t.task.error.is_empty())
    {
        if !failures
            .iter()
            .any(|f| f.service == t.service && f.error == t.task.error)
        {
            failures.push(Failure {
                service: t.service.clone(),
                error: t.task.error.clone(),
            });
        }
    }
    (
        Live {
            updates: services
                .iter()
                .filter(|s| fresh.update_available(&s.spec_image))
                .map(|s| s.name.clone())
                .collect(),
            services,
            failures,
            unavailable,
        },
        task_rows(&tasks),
    )
}

/// The stack's tasks as the services area shows them (`templates/services/_tasks.html`).
fn task_rows(tasks: &[StackTask]) -> Vec<TaskRow> {
    let infos: Vec<_> = tasks.iter().map(|t| t.task.clone()).collect();
    let names: HashMap<&str, &str> = tasks
        .iter()
        .map(|t| (t.task.service_id.as_str(), t.service.as_str()))
        .collect();
    let nodes: HashMap<String, String> = tasks
        .iter()
        .map(|t| (t.task.node_id.clone(), t.node.clone()))
        .collect();
    services::task_rows(
        &infos,
        |id| names.get(id).map(|s| s.to_string()).unwrap_or_default(),
        &nodes,
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "stacks/detail.html")]
struct DetailPage {
    layout: Layout,
    name: String,
    live: Live,
    tasks: Vec<TaskRow>,
    resources: StackResources,
    history: Vec<VersionRow>,
    /// the newest version berth holds
    latest: Option<db::stacks::Version>,
    env_keys: Vec<String>,
    running_job: Option<String>,
    webhooks: Vec<super::webhooks::HookRow>,
    stream: String,
    /// the repository a git-backed stack follows
    git: Option<super::git::GitView>,
}

impl DetailPage {
    fn latest_outcome_class(&self) -> &'static str {
        self.latest
            .as_ref()
            .map(|l| outcome_class(&l.outcome))
            .unwrap_or("")
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "stacks/_live.html")]
pub struct LivePart {
    pub live: Live,
    pub tasks: Vec<TaskRow>,
}

pub async fn show(ctx: Ctx, Path(name): Path<String>) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    let ((live, tasks), resources, history) = tokio::join!(
        live_state(&ctx, &name),
        resources(&ctx, &name),
        db::stacks::history(&ctx.state.db, &name)
    );
    let history = history?;
    let webhooks = super::webhooks::rows(&ctx, &name).await?;
    if live.services.is_empty()
        && history.is_empty()
        && live.unavailable.is_none()
        && resources.networks.is_empty()
    {
        return Err(crate::error::AppError::NotFound(format!(
            "There is no stack {name} in the swarm, and berth holds no version of it."
        )));
    }
    let git = super::git::view(&ctx.state, &name).await?;
    let commits = db::git::commits(&ctx.state.db, &name).await?;
    let latest = match history.first() {
        Some(v) => db::stacks::get(&ctx.state.db, &name, v.version).await?,
        None => None,
    };
    let stream = crate::web::live::stream_url(
        &urls::stack_action(&name, "live/events"),
        "",
        stack_fp(&ctx.state.model.snapshot()),
    );
    Ok(DetailPage {
        layout: ctx.layout(format!("Stack {name}"), "stacks"),
        stream,
        env_keys: latest
            .as_ref()
            .map(|l| {
                crate::compose::dotenv::parse(&l.env)
                    .map(|m| m.into_keys().collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default(),
        history: history
            .iter()
            .map(|v| {
                let mut row = VersionRow::from(v);
                row.commit = commits
                    .get(&v.version)
                    .map(|c| format!("{} {}", crate::stack::git::short(&c.sha), c.message));
                row
            })
            .collect(),
        git,
        running_job: ctx
            .state
            .deploys
            .running_on(&name)
            .map(|j| super::deploy::job_url(&j)),
        latest,
        live,
        tasks,
        resources,
        webhooks,
        name,
    }
    .into_response())
}

/// `GET /stacks/{name}/live`: services and tasks, polled by the stack page.
pub async fn live(ctx: Ctx, Path(name): Path<String>) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    let (live, tasks) = live_state(&ctx, &name).await;
    Ok(LivePart { live, tasks }.into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditQuery {
    /// edit this version instead of the newest
    version: Option<i64>,
    /// "env": fill in the variables' values to edit them (audited)
    reveal: String,
}

/// `GET /stacks/{name}/edit`: the editor with the newest (or a chosen) version; for a stack
/// berth holds no source of, an empty editor that takes the stack over when deployed.
pub async fn edit(
    ctx: Ctx,
    Path(name): Path<String>,
    Query(q): Query<EditQuery>,
) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    let newest = db::stacks::latest(&ctx.state.db, &name).await?;
    let base_version = Some(newest.as_ref().map_or(0, |v| v.version));
    let v = match q.version {
        Some(n) => db::stacks::get(&ctx.state.db, &name, n).await?,
        None => newest,
    };
    let reveal = q.reveal == "env";
    let mut env_keep = None;
    let mut env_keys = Vec::new();
    let (compose, env, prune, notice) = match v {
        Some(v) => {
            let more = v.more_files();
            // values stay hidden (and kept as stored) unless revealed, which is audited
            let env = if reveal {
                ctx.audit(
                    Action::StackEnvReveal,
                    &name,
                    Outcome::Ok,
                    Some(&format!("version {} (to edit)", v.version)),
                )
                .await;
                v.env
            } else {
                env_keys = super::editor::env_names(&v.env);
                env_keep = (!env_keys.is_empty()).then_some(v.version);
                String::new()
            };
            let notice = if more.is_empty() {
                q.version.map(|n| {
                    format!("Editing a copy of version {n}; deploying stores it as a new version.")
                })
            } else {
                // the editor holds one file: say what a deploy from here leaves out
                let names: Vec<&str> = more.iter().map(|f| f.name.as_str()).collect();
                Some(format!(
                    "Version {} merges several compose files; this is the first ({}). Deploying from here deploys it alone, without {}.",
                    v.version,
                    v.compose_name.as_deref().unwrap_or("docker-compose.yml"),
                    names.join(", ")
                ))
            };
            (v.compose, env, v.prune, notice)
        }
        None => (
            format!(
                "# The services of stack {name} as a compose file: deploying it takes the stack over.\nservices:\n"
            ),
            String::new(),
            false,
            Some(format!(
                "berth holds no source for {name}: it was deployed elsewhere (e.g. with docker stack deploy). \
                 Deploy its compose file here to take it over; services with the same names are updated in place."
            )),
        ),
    };
    Ok(EditorPage {
        layout: ctx.layout(format!("Edit {name}"), "stacks"),
        is_new: false,
        action: urls::stack(&name),
        name,
        compose,
        env,
        env_keep,
        env_keys,
        prune,
        validation: Validation::default(),
        ace_base: ACE_BASE,
        base_version,
        notice,
    }
    .into_response())
}
