//! `/services`: every service like `docker service ls`, searchable, filterable by stack, live.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use axum_htmx::HxTarget;
use serde::Deserialize;

use crate::docker::services::{self, ServiceSummary};
use crate::docker::time::age;
use crate::error::AppResult;
use crate::web::page::{Ctx, Layout};
use crate::web::session::urlencode;
use crate::web::urls;

/// The id of the element the live refresh (polled or pushed) replaces.
const LIVE_ID: &str = "services-live";
/// The id of the element the search form replaces: the live part with its stream (a new query
/// opens a new stream).
const STREAM_ID: &str = "services-stream";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// part of the name (case-insensitive)
    pub q: String,
    pub stack: String,
    /// "1": only services not at their desired replicas, or whose update is paused
    pub problems: String,
}

pub struct Row {
    pub s: ServiceSummary,
    pub url: String,
    pub updated: String,
    /// its tag names another digest on the registry than the one it runs
    pub update_available: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "services/list.html")]
struct ListPage {
    layout: Layout,
    q: ListQuery,
    stacks: Vec<String>,
    t: Table,
}

#[derive(Template, WebTemplate)]
#[template(path = "services/_table.html")]
pub struct TablePartial {
    pub t: Table,
}

#[derive(Template, WebTemplate)]
#[template(path = "services/_stream.html")]
struct StreamPartial {
    t: Table,
}

/// The list shows services and their tasks' counts.
pub fn list_fp(s: &crate::model::Snapshot) -> u64 {
    s.changed.services.max(s.changed.tasks)
}

pub struct Table {
    pub rows: Vec<Row>,
    pub total: usize,
    pub mismatched: usize,
    pub updating: usize,
    pub refresh_url: String,
    pub unavailable: Option<String>,
    pub filtered: bool,
    /// the live part's server-sent events (same query)
    pub stream: String,
}

pub async fn show(
    ctx: Ctx,
    HxTarget(target): HxTarget,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let model = ctx.state.model.snapshot();
    let (all, unavailable) = match ctx.state.docker.manager() {
        Ok(_) if crate::web::live::model_live(&model) => (model.services_list(None), None),
        Ok(docker) => match services::list(&docker, None).await {
            Ok(list) => (list, None),
            Err(e) => (vec![], Some(e.user_message())),
        },
        Err(e) => (vec![], Some(e.user_message())),
    };
    let (stacks, t) = table(all, &q, unavailable, list_fp(&model), &ctx.state.freshness);
    if ctx.htmx && target.as_deref() == Some(LIVE_ID) {
        return Ok(TablePartial { t }.into_response());
    }
    if ctx.htmx && target.as_deref() == Some(STREAM_ID) {
        return Ok(StreamPartial { t }.into_response());
    }
    Ok(ListPage {
        layout: ctx.layout("Services", "services"),
        q,
        stacks,
        t,
    }
    .into_response())
}

/// The stacks to filter by and the table for `q`.
pub fn table(
    all: Vec<ServiceSummary>,
    q: &ListQuery,
    unavailable: Option<String>,
    fingerprint: u64,
    fresh: &crate::registry::freshness::Freshness,
) -> (Vec<String>, Table) {
    let mut stacks: Vec<String> = all
        .iter()
        .filter(|s| !s.stack.is_empty())
        .map(|s| s.stack.clone())
        .collect();
    stacks.sort();
    stacks.dedup();
    let total = all.len();
    let mismatched = all.iter().filter(|s| s.is_mismatch()).count();
    let updating = all
        .iter()
        .filter(|s| s.update.as_ref().is_some_and(|u| u.in_progress()))
        .count();
    let needle = q.q.trim().to_lowercase();
    let rows: Vec<Row> = all
        .into_iter()
        .filter(|s| needle.is_empty() || s.name.to_lowercase().contains(&needle))
        .filter(|s| q.stack.is_empty() || s.stack == q.stack)
        .filter(|s| {
            q.problems.is_empty()
                || s.is_mismatch()
                || s.update.as_ref().is_some_and(|u| u.is_paused())
        })
        .map(|s| Row {
            url: urls::service(&s.id),
            updated: s.updated.map(age).unwrap_or_default(),
            update_available: fresh.update_available(&s.image),
            s,
        })
        .collect();
    let query = q.query_string();
    let t = Table {
        filtered: !needle.is_empty() || !q.stack.is_empty() || !q.problems.is_empty(),
        rows,
        total,
        mismatched,
        updating,
        refresh_url: format!("{}?{query}", urls::SERVICES),
        stream: crate::web::live::stream_url(urls::SERVICES_EVENTS, &query, fingerprint),
        unavailable,
    };
    (stacks, t)
}

impl ListQuery {
    /// `q=…&stack=…&problems=…`
    pub fn query_string(&self) -> String {
        format!(
            "q={}&stack={}&problems={}",
            urlencode(&self.q),
            urlencode(&self.stack),
            urlencode(&self.problems)
        )
    }
}
