//! `/`: the swarm at a glance, and the Docker status banner partial.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use axum_htmx::HxRefresh;
use serde::Deserialize;

use super::page::{Ctx, Layout};
use crate::docker::swarm::Overview;
use crate::docker::time::{age, format_utc};
use crate::error::AppResult;

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    overview: Option<Overview>,
    unavailable: Option<String>,
    created: String,
    created_age: String,
}

impl DashboardPage {
    fn short_id(&self) -> &str {
        self.overview
            .as_ref()
            .map(|o| &o.cluster_id[..o.cluster_id.len().min(12)])
            .unwrap_or("")
    }

    fn memory(&self) -> String {
        self.overview
            .as_ref()
            .map(|o| super::fmt::bytes(o.total_memory))
            .unwrap_or_default()
    }

    fn cpus(&self) -> String {
        self.overview
            .as_ref()
            .map(|o| super::fmt::cpus(o.total_cpus))
            .unwrap_or_default()
    }

    fn task_percent(&self) -> u64 {
        self.overview
            .as_ref()
            .filter(|o| o.tasks_desired > 0)
            .map(|o| (o.tasks_running * 100 / o.tasks_desired).min(100))
            .unwrap_or(100)
    }
}

pub async fn show(ctx: Ctx) -> AppResult<Response> {
    // from the live model while it follows Docker (no Docker call per view)
    let live = ctx.state.model.snapshot();
    let from_model = super::live::model_live(&live)
        .then(|| live.overview())
        .flatten();
    let (overview, unavailable) = match ctx.state.docker.manager() {
        _ if from_model.is_some() => (from_model, None),
        Ok(docker) => match crate::docker::overview::overview(&docker).await {
            Ok(o) => (Some(o), None),
            Err(e) => (None, Some(e.user_message())),
        },
        Err(e) => (None, Some(e.user_message())),
    };
    let created_unix = overview.as_ref().and_then(|o| o.created_unix);
    Ok(DashboardPage {
        layout: ctx.layout("Dashboard", "dashboard"),
        created: created_unix.map(format_utc).unwrap_or_default(),
        created_age: created_unix.map(age).unwrap_or_default(),
        overview,
        unavailable,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "partials/docker_banner.html")]
struct BannerPartial {
    layout: Layout,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BannerQuery {
    was: String,
}

/// The banner alone, polled by every page; when Docker's state changed since the page was
/// rendered, tells htmx to reload the page so it recovers by itself.
pub async fn docker_status(ctx: Ctx, Query(q): Query<BannerQuery>) -> Response {
    let layout = ctx.layout("", "");
    let changed = !q.was.is_empty() && q.was != layout.docker_state;
    (changed.then_some(HxRefresh(true)), BannerPartial { layout }).into_response()
}
