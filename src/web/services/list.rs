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

/// The id of the element the live refresh and the search form replace.
const LIVE_ID: &str = "services-live";

#[derive(Debug, Default, Deserialize)]
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
struct TablePartial {
    t: Table,
}

pub struct Table {
    pub rows: Vec<Row>,
    pub total: usize,
    pub mismatched: usize,
    pub updating: usize,
    pub refresh_url: String,
    pub unavailable: Option<String>,
    pub filtered: bool,
}

pub async fn show(
    ctx: Ctx,
    HxTarget(target): HxTarget,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let (all, unavailable) = match ctx.state.docker.manager() {
        Ok(docker) => match services::list(&docker, None).await {
            Ok(list) => (list, None),
            Err(e) => (vec![], Some(e.user_message())),
        },
        Err(e) => (vec![], Some(e.user_message())),
    };
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
            s,
        })
        .collect();
    let t = Table {
        filtered: !needle.is_empty() || !q.stack.is_empty() || !q.problems.is_empty(),
        rows,
        total,
        mismatched,
        updating,
        refresh_url: format!(
            "{}?q={}&stack={}&problems={}",
            urls::SERVICES,
            urlencode(&q.q),
            urlencode(&q.stack),
            urlencode(&q.problems)
        ),
        unavailable,
    };
    let targeted = target.as_deref() == Some(LIVE_ID);
    if ctx.htmx && targeted {
        return Ok(TablePartial { t }.into_response());
    }
    Ok(ListPage {
        layout: ctx.layout("Services", "services"),
        q,
        stacks,
        t,
    }
    .into_response())
}
