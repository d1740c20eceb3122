//! `/services/{id}`: the spec in readable sections with its edit forms, and the live part
//! (status, rollout, problems, tasks) that `/services/{id}/live` re-renders every few seconds.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{TaskRow, check_id, task_rows};
use crate::db::audit::{Action, Outcome};
use crate::docker::services::spec::{self, ResourcesInput};
use crate::docker::services::{self, ServiceDetail, ServiceSummary, SpecView, UpdateState, flags};
use crate::docker::tasks::TaskInfo;
use crate::docker::time::{age, format_utc};
use crate::error::AppResult;
use crate::web::extract::Rights;
use crate::web::page::{Ctx, Layout};
use crate::web::policy::{Caller, env_refusal};
use crate::web::urls;

/// A distinct task error (or pending reason), with how many tasks hit it.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    pub text: String,
    pub count: usize,
    /// age of the latest occurrence ("12 s")
    pub latest: String,
    latest_unix: i64,
}

/// The errors of failed tasks and the reasons pending ones wait, newest first (at most 5).
pub fn problems(tasks: &[TaskInfo]) -> Vec<Problem> {
    let mut out: Vec<Problem> = Vec::new();
    for t in tasks {
        let text = t.problem();
        if text.is_empty() {
            continue;
        }
        let when = t.since.unwrap_or(0);
        match out.iter_mut().find(|p| p.text == text) {
            Some(p) => {
                p.count += 1;
                p.latest_unix = p.latest_unix.max(when);
            }
            None => out.push(Problem {
                text: text.to_string(),
                count: 1,
                latest: String::new(),
                latest_unix: when,
            }),
        }
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.latest_unix));
    out.truncate(5);
    for p in &mut out {
        p.latest = if p.latest_unix > 0 {
            age(p.latest_unix)
        } else {
            String::new()
        };
    }
    out
}

/// Progress of a rolling update: tasks started since it began, out of the desired count.
#[derive(Debug, Clone, Default)]
pub struct Rollout {
    pub state: Option<UpdateState>,
    pub updated: usize,
    pub total: u64,
    pub percent: u64,
    pub started: String,
    pub completed: String,
}

impl Rollout {
    fn of(s: &ServiceSummary, tasks: &[TaskInfo]) -> Rollout {
        let Some(u) = s.update.clone() else {
            return Rollout::default();
        };
        let since = u.started.unwrap_or(i64::MAX);
        let updated = tasks
            .iter()
            .filter(|t| t.desired_state == "running" && t.is_running())
            .filter(|t| t.created.unwrap_or(0) >= since)
            .count();
        let total = s.desired;
        Rollout {
            percent: (updated as u64 * 100)
                .checked_div(total)
                .map_or(100, |p| p.min(100)),
            started: u.started.map(age).unwrap_or_default(),
            completed: u.completed.map(age).unwrap_or_default(),
            updated,
            total,
            state: Some(u),
        }
    }
}

/// The part of the page that changes by itself.
pub struct Live {
    pub s: ServiceSummary,
    pub tasks: Vec<TaskRow>,
    pub problems: Vec<Problem>,
    /// something is wrong now (missing replicas, paused update): show problems prominently
    pub alarm: bool,
    pub rollout: Rollout,
    pub url: String,
    /// 2 s while anything moves, 10 s once settled
    pub poll: &'static str,
    pub settled: bool,
    /// tasks still starting (not yet running, desired running)
    pub starting: usize,
}

impl Live {
    fn new(
        s: ServiceSummary,
        tasks: &[TaskInfo],
        nodes: &std::collections::HashMap<String, String>,
    ) -> Live {
        let name = s.name.clone();
        let rows = task_rows(tasks, |_| name.clone(), nodes);
        let starting = tasks
            .iter()
            .filter(|t| t.desired_state == "running" && !t.is_running() && !t.is_failure())
            .count();
        let paused = s.update.as_ref().is_some_and(UpdateState::is_paused);
        let settled = !s.in_motion() && starting == 0;
        Live {
            url: urls::service_action(&s.id, "live"),
            problems: problems(tasks),
            alarm: s.is_mismatch() || paused,
            rollout: Rollout::of(&s, tasks),
            poll: if settled { "10s" } else { "2s" },
            settled,
            starting,
            tasks: rows,
            s,
        }
    }

    /// Hides what the caller may not use (the tasks' consoles).
    pub fn for_caller(mut self, rights: Option<&Rights>) -> Live {
        super::gate_consoles(&mut self.tasks, rights, &self.s.stack);
        self
    }

    pub fn current_tasks(&self) -> usize {
        self.tasks.iter().filter(|t| !t.history).count()
    }
}

/// The values of the edit forms (from the spec, or as the user typed them) and the error of
/// the form that was refused.
#[derive(Debug, Clone, Default)]
pub struct Forms {
    pub replicas: String,
    pub image: String,
    pub env: String,
    pub ports: String,
    pub constraints: String,
    pub resources: ResourcesInput,
    pub error: Option<(&'static str, String)>,
}

impl Forms {
    pub fn from_detail(d: &ServiceDetail) -> Forms {
        Forms {
            replicas: d.spec["Mode"]["Replicated"]["Replicas"]
                .as_u64()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            // the tag is resolved again on deploy: a stale digest must not stick to a new tag
            image: services::reference::split(spec::image_of(&d.spec)).without_digest(),
            env: spec::env_of(&d.spec).join("\n"),
            ports: spec::ports_of(&d.spec)
                .iter()
                .map(flags::format_port)
                .collect::<Vec<_>>()
                .join("\n"),
            constraints: spec::constraints_of(&d.spec).join("\n"),
            resources: ResourcesInput::from_resources(&spec::resources_of(&d.spec)),
            error: None,
        }
    }

    pub fn error_for(&self, form: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| *f == form)
            .map(|(_, m)| m.as_str())
    }

    pub fn has_error(&self, form: &str) -> bool {
        self.error_for(form).is_some()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "services/detail.html")]
struct DetailPage {
    layout: Layout,
    id: String,
    usage: super::usage::ServiceUsage,
    s: ServiceSummary,
    v: SpecView,
    live: Live,
    forms: Forms,
    reveal_env: bool,
    /// the env form is shown again with its error and the lines as typed (values stay hidden)
    editing_env: bool,
    has_previous: bool,
    /// its tag names another digest on the registry than the one it runs
    update_available: bool,
    version: u64,
    created: String,
    updated: String,
    /// the live part's server-sent events
    stream: String,
}

impl DetailPage {
    fn action(&self, action: &str) -> String {
        urls::service_action(&self.id, action)
    }

    fn url(&self) -> String {
        urls::service(&self.id)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "services/_live.html")]
pub struct LivePartial {
    pub live: Live,
}

/// A service page shows the service, its tasks and the nodes they run on.
pub fn service_fp(s: &crate::model::Snapshot, id: &str) -> u64 {
    s.service_changed(id).max(s.changed.nodes)
}

/// The live part from the model for a caller with `rights`: `None` when the model does not
/// hold the service.
pub fn live_from_model(
    s: &crate::model::Snapshot,
    id: &str,
    rights: Option<&Rights>,
) -> Option<LivePartial> {
    let (summary, tasks, nodes) = s.service_live(id)?;
    Some(LivePartial {
        live: Live::new(summary, &tasks, &nodes).for_caller(rights),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    /// "env": show the environment's values (hidden otherwise)
    pub reveal: String,
}

pub async fn show(
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> AppResult<Response> {
    check_id(&id)?;
    let docker = ctx.state.docker.manager()?;
    let d = services::detail(&docker, &id).await?;
    let forms = Forms::from_detail(&d);
    let reveal = q.reveal == "env";
    let stack = Some(d.summary.stack.as_str()).filter(|s| !s.is_empty());
    if reveal && !caller.sees_env(stack) {
        return Err(crate::error::AppError::Forbidden(env_refusal(&caller)));
    }
    if reveal {
        // env values often hold secrets: who looked at them is worth knowing
        ctx.audit(Action::ServiceEnvReveal, &d.summary.name, Outcome::Ok, None)
            .await;
    }
    Ok(render(&ctx, d, forms, reveal).into_response())
}

/// The page again with one form's values as typed and its error (422): nothing was changed.
pub async fn refused(
    ctx: &Ctx,
    id: &str,
    form: &'static str,
    message: String,
    keep: impl FnOnce(&mut Forms),
) -> AppResult<Response> {
    let docker = ctx.state.docker.manager()?;
    let d = services::detail(&docker, id).await?;
    let mut forms = Forms::from_detail(&d);
    keep(&mut forms);
    forms.error = Some((form, message));
    // a refused env update shows what was typed, never the stored values
    let mut page = render(ctx, d, forms, false);
    page.editing_env = form == "env";
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

fn render(ctx: &Ctx, d: ServiceDetail, forms: Forms, reveal_env: bool) -> DetailPage {
    let s = d.summary.clone();
    let stream = crate::web::live::stream_url(
        &urls::service_action(&s.id, "live/events"),
        "",
        service_fp(&ctx.state.model.snapshot(), &s.id),
    );
    DetailPage {
        stream,
        layout: ctx.layout(format!("Service {}", s.name), "services"),
        id: s.id.clone(),
        created: s.created.map(format_utc).unwrap_or_default(),
        updated: s.updated.map(age).unwrap_or_default(),
        usage: super::usage::view(&ctx.state, &s.id),
        live: Live::new(d.summary, &d.tasks, &d.nodes).for_caller(ctx.rights.as_ref()),
        v: d.view,
        has_previous: d.has_previous,
        update_available: ctx.state.freshness.update_available(&s.image),
        version: d.version,
        forms,
        reveal_env,
        editing_env: false,
        s,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "services/_gone.html")]
pub struct GonePartial {
    pub services_url: &'static str,
}

/// The live part alone (polled by the page). Once the service is gone it says so and answers
/// 286, which stops htmx polling.
pub async fn live(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    check_id(&id)?;
    let docker = ctx.state.docker.manager()?;
    let model = ctx.state.model.snapshot();
    let read = if crate::web::live::model_live(&model) {
        model
            .service_live(&id)
            .ok_or_else(|| crate::docker::DockerError::NotFound(id.clone()))
    } else {
        services::live(&docker, &id).await
    };
    match read {
        Ok((s, tasks, nodes)) => Ok(LivePartial {
            live: Live::new(s, &tasks, &nodes).for_caller(ctx.rights.as_ref()),
        }
        .into_response()),
        Err(e) if e.is_not_found() => {
            let stop = StatusCode::from_u16(286).unwrap_or(StatusCode::OK);
            Ok((
                stop,
                GonePartial {
                    services_url: urls::SERVICES,
                },
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
