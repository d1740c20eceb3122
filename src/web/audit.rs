//! `/audit`: every state-changing action, newest first, filterable, paged.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::page::{Ctx, Layout};
use super::session::urlencode;
use crate::db;
use crate::docker::time::format_utc;
use crate::error::AppResult;

const PAGE: i64 = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    pub action: String,
    pub user: String,
    pub outcome: String,
    pub before: Option<i64>,
}

pub struct AuditRow {
    pub when: String,
    pub username: String,
    pub ip: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub detail: String,
    /// how many identical entries the row stands for (shown as ×N when more than one)
    pub repeats: i64,
    /// when the last of them came
    pub last: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit/list.html")]
struct AuditPage {
    layout: Layout,
    q: AuditQuery,
    rows: Vec<AuditRow>,
    more_url: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit/_rows.html")]
struct AuditRows {
    rows: Vec<AuditRow>,
    more_url: Option<String>,
}

pub async fn show(ctx: Ctx, Query(q): Query<AuditQuery>) -> AppResult<Response> {
    let list = db::audit::list(
        &ctx.state.db,
        &db::audit::Query {
            before_id: q.before,
            action_prefix: Some(q.action.clone()),
            username: Some(q.user.clone()),
            outcome: Some(q.outcome.clone()),
            limit: PAGE,
        },
    )
    .await?;
    let more_url = (list.len() as i64 == PAGE).then(|| {
        let last = list.last().map(|r| r.id).unwrap_or_default();
        format!(
            "{}?action={}&user={}&outcome={}&before={last}",
            super::urls::AUDIT,
            urlencode(&q.action),
            urlencode(&q.user),
            urlencode(&q.outcome)
        )
    });
    let rows = list
        .into_iter()
        .map(|r| AuditRow {
            when: format_utc(r.at_ms / 1000),
            username: r.username.unwrap_or_default(),
            ip: r.ip.unwrap_or_default(),
            action: r.action,
            target: r.target.unwrap_or_default(),
            outcome: r.outcome,
            detail: r.detail.unwrap_or_default(),
            repeats: r.repeat_count,
            last: format_utc(r.last_at_ms / 1000),
        })
        .collect();
    // "older entries" loads more rows in place with htmx; without JS it is a plain link
    if ctx.htmx && q.before.is_some() {
        return Ok(AuditRows { rows, more_url }.into_response());
    }
    Ok(AuditPage {
        layout: ctx.layout("Audit log", "audit"),
        q,
        rows,
        more_url,
    }
    .into_response())
}
