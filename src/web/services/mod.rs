//! The services pages and actions: list, detail (spec, tasks, live rollout), create, the
//! small update forms, logs (page, plain text, server-sent events).
//!
//! Reusable by other areas (the stack pages): [`TaskRow`] with `templates/services/_tasks.html`
//! (it renders a variable `tasks: Vec<TaskRow>`), [`problems`], and
//! [`crate::docker::services::ServiceSummary`].

mod create;
mod detail;
mod list;
mod live;
mod logs;
mod update;
mod usage;

use std::collections::HashMap;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::docker::tasks::TaskInfo;
use crate::docker::time::age;
use crate::error::AppError;
use crate::web::policy::{Act, Need, Rule, rule};
use crate::web::urls;

pub use detail::{Problem, problems};

/// Who may use each route (see `web::policy`).
pub const POLICY: &[Rule] = &[
    rule("GET", urls::SERVICES, Need::Read),
    rule("POST", urls::SERVICES, Need::Operate),
    rule("GET", urls::SERVICES_NEW, Need::Operate),
    rule("GET", urls::route::SERVICE, Need::Read),
    rule("GET", urls::route::SERVICE_LIVE, Need::Read),
    rule("GET", urls::route::SERVICE_USAGE, Need::Read),
    rule("GET", urls::route::SERVICE_LOGS, Need::Service(Act::Logs)),
    rule(
        "GET",
        urls::route::SERVICE_LOGS_TXT,
        Need::Service(Act::Logs),
    ),
    rule(
        "GET",
        urls::route::SERVICE_LOGS_STREAM,
        Need::Service(Act::Logs),
    ),
    rule(
        "POST",
        urls::route::SERVICE_SCALE,
        Need::Service(Act::Deploy),
    ),
    rule(
        "POST",
        urls::route::SERVICE_IMAGE,
        Need::Service(Act::Deploy),
    ),
    rule("POST", urls::route::SERVICE_ENV, Need::Service(Act::Deploy)),
    rule(
        "POST",
        urls::route::SERVICE_PORTS,
        Need::Service(Act::Deploy),
    ),
    rule(
        "POST",
        urls::route::SERVICE_CONSTRAINTS,
        Need::Service(Act::Deploy),
    ),
    rule(
        "POST",
        urls::route::SERVICE_RESOURCES,
        Need::Service(Act::Deploy),
    ),
    rule(
        "POST",
        urls::route::SERVICE_REDEPLOY,
        Need::Service(Act::Deploy),
    ),
    rule(
        "POST",
        urls::route::SERVICE_ROLLBACK,
        Need::Service(Act::Deploy),
    ),
    rule(
        "POST",
        urls::route::SERVICE_DELETE,
        Need::Service(Act::Deploy),
    ),
    rule("GET", urls::SERVICES_EVENTS, Need::Read),
    rule("GET", urls::route::SERVICE_EVENTS, Need::Read),
];

/// Pages and actions (behind the session layer and the request timeout).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(urls::SERVICES, get(list::show).post(create::create))
        .route(urls::SERVICES_NEW, get(create::form))
        .route(urls::route::SERVICE, get(detail::show))
        .route(urls::route::SERVICE_LIVE, get(detail::live))
        .route(urls::route::SERVICE_USAGE, get(usage::usage))
        .route(urls::route::SERVICE_LOGS, get(logs::page))
        .route(urls::route::SERVICE_LOGS_TXT, get(logs::text))
        .route(urls::route::SERVICE_SCALE, post(update::scale))
        .route(urls::route::SERVICE_IMAGE, post(update::image))
        .route(urls::route::SERVICE_ENV, post(update::env))
        .route(urls::route::SERVICE_PORTS, post(update::ports))
        .route(urls::route::SERVICE_CONSTRAINTS, post(update::constraints))
        .route(urls::route::SERVICE_RESOURCES, post(update::resources))
        .route(urls::route::SERVICE_REDEPLOY, post(update::redeploy))
        .route(urls::route::SERVICE_ROLLBACK, post(update::rollback))
        .route(urls::route::SERVICE_DELETE, post(update::delete))
}

/// Long-lived responses (server-sent events), outside the request timeout.
pub fn streams() -> Router<AppState> {
    Router::new()
        .route(urls::route::SERVICE_LOGS_STREAM, get(logs::stream))
        .merge(live::routes())
}

/// Ids in URLs go into Docker API paths: refuse anything but plain characters early.
fn check_id(id: &str) -> Result<(), AppError> {
    if crate::docker::services::is_plain_ref(id) {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("There is no service {id:?}.")))
    }
}

/// One task as a table row (`docker service ps`), for service and stack pages.
#[derive(Debug, Clone, Default)]
pub struct TaskRow {
    pub id: String,
    pub short_id: String,
    /// `web.3`, or `web.<node id>` for a global service
    pub name: String,
    pub service_id: String,
    pub node: String,
    pub image: String,
    pub desired: String,
    pub state: String,
    /// ok, warn, bad or muted
    pub state_class: &'static str,
    /// how long it has been in its state ("12 s")
    pub since: String,
    /// the error of a failed task, or why a pending one waits
    pub problem: String,
    pub failed: bool,
    /// an older task of the same slot (history, like `\_` in `docker service ps`)
    pub history: bool,
    pub ports: String,
    pub exit_code: String,
    /// the caller may open a console into it (see [`gate_consoles`])
    pub console: bool,
}

/// Hides the Console of the rows of a task of `stack` (`""`: outside any stack) from a caller
/// who may not open one (the server refuses it anyway).
pub fn gate_consoles(
    rows: &mut [TaskRow],
    rights: Option<&crate::web::extract::Rights>,
    stack: &str,
) {
    let may = crate::web::extract::may_console(rights, stack);
    for r in rows {
        r.console = may;
    }
}

/// Rows for `tasks` (sorted like `docker service ps`); `service_name` maps service ids to
/// names, `nodes` node ids to hostnames.
pub fn task_rows(
    tasks: &[TaskInfo],
    service_name: impl Fn(&str) -> String,
    nodes: &HashMap<String, String>,
) -> Vec<TaskRow> {
    let mut seen: Vec<(String, Option<i64>, String)> = Vec::new();
    tasks
        .iter()
        .map(|t| {
            let slot_key = (
                t.service_id.clone(),
                t.slot,
                if t.slot.is_some() {
                    String::new()
                } else {
                    t.node_id.clone()
                },
            );
            let history = seen.contains(&slot_key);
            if !history {
                seen.push(slot_key);
            }
            TaskRow {
                id: t.id.clone(),
                short_id: t.id.chars().take(12).collect(),
                name: t.display_name(&service_name(&t.service_id)),
                service_id: t.service_id.clone(),
                node: nodes
                    .get(&t.node_id)
                    .cloned()
                    .unwrap_or_else(|| t.node_id.chars().take(12).collect()),
                image: t.image.clone(),
                desired: t.desired_state.clone(),
                state: t.state.clone(),
                state_class: t.state_class(),
                since: t.since.map(age).unwrap_or_default(),
                problem: t.problem().to_string(),
                failed: t.is_failure(),
                history,
                ports: {
                    // Docker reports a host-mode port once per address family
                    let mut p = t.ports.clone();
                    p.dedup();
                    p.join(", ")
                },
                exit_code: t
                    .exit_code
                    .filter(|c| *c != 0 || t.state == "failed")
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                console: true,
            }
        })
        .collect()
}
