//! `/stacks`: every stack in the swarm (found by the namespace label, whoever deployed it)
//! and every stack berth holds a source for, with tasks and the last deploy.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Response};

use super::history::outcome_class;
use crate::AppState;
use crate::db;
use crate::docker::time::age;
use crate::error::AppResult;
use crate::stack;
use crate::web::page::{Ctx, Layout};
use crate::web::urls;

pub struct StackRow {
    pub name: String,
    pub url: String,
    pub deployed: bool,
    pub services: usize,
    pub running: u64,
    pub desired: u64,
    pub failing: usize,
    pub last_error: String,
    /// berth holds its compose source
    pub source: bool,
    pub last_version: i64,
    pub last_outcome: String,
    pub last_by: String,
    pub last_ago: String,
}

impl StackRow {
    pub fn outcome_class(&self) -> &'static str {
        outcome_class(&self.last_outcome)
    }

    pub fn percent(&self) -> u64 {
        (self.running * 100)
            .checked_div(self.desired)
            .map_or(100, |p| p.min(100))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "stacks/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<StackRow>,
    unavailable: Option<String>,
    stream: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "stacks/_rows.html")]
pub struct Rows {
    pub rows: Vec<StackRow>,
}

/// The stacks list shows stacks' services and tasks.
pub fn list_fp(s: &crate::model::Snapshot) -> u64 {
    s.changed.services.max(s.changed.tasks)
}

/// The swarm's stacks (from the model when it is live, else from Docker) with what berth holds.
pub async fn rows(state: &AppState) -> AppResult<(Vec<StackRow>, Option<String>)> {
    let model = state.model.snapshot();
    let (swarm, unavailable) = if crate::web::live::model_live(&model) {
        let stacks = model
            .stacks()
            .iter()
            .map(|s| stack::StackSummary {
                name: s.name.to_string(),
                services: s.services,
                tasks_running: s.tasks_running,
                tasks_desired: s.tasks_desired,
                tasks_failing: s.tasks_failing,
                last_error: s.last_error.as_deref().map(str::to_string),
            })
            .collect();
        (stacks, None)
    } else {
        match stack::list(&state.docker).await {
            Ok(l) => (l, None),
            Err(e) => (vec![], Some(e.to_string())),
        }
    };
    let held = db::stacks::latest_of_all(&state.db).await?;
    let mut by_name: BTreeMap<String, StackRow> = BTreeMap::new();
    for s in swarm {
        by_name.insert(
            s.name.clone(),
            StackRow {
                url: urls::stack(&s.name),
                deployed: true,
                services: s.services,
                running: s.tasks_running,
                desired: s.tasks_desired,
                failing: s.tasks_failing,
                last_error: s.last_error.unwrap_or_default(),
                source: false,
                last_version: 0,
                last_outcome: String::new(),
                last_by: String::new(),
                last_ago: String::new(),
                name: s.name,
            },
        );
    }
    for v in held {
        let row = by_name.entry(v.stack.clone()).or_insert_with(|| StackRow {
            url: urls::stack(&v.stack),
            name: v.stack.clone(),
            deployed: false,
            services: 0,
            running: 0,
            desired: 0,
            failing: 0,
            last_error: String::new(),
            source: false,
            last_version: 0,
            last_outcome: String::new(),
            last_by: String::new(),
            last_ago: String::new(),
        });
        row.source = true;
        row.last_version = v.version;
        row.last_outcome = v.outcome;
        row.last_by = v.username.unwrap_or_default();
        row.last_ago = age(v.created_at);
    }
    let mut rows: Vec<StackRow> = by_name.into_values().collect();
    rows.sort_by(|a, b| stack::natural_cmp(&a.name, &b.name));
    Ok((rows, unavailable))
}

pub async fn show(ctx: Ctx) -> AppResult<Response> {
    let fp = list_fp(&ctx.state.model.snapshot());
    let (rows, unavailable) = rows(&ctx.state).await?;
    Ok(ListPage {
        layout: ctx.layout("Stacks", "stacks"),
        rows,
        unavailable,
        stream: crate::web::live::stream_url(urls::STACKS_EVENTS, "", fp),
    }
    .into_response())
}

/// `GET /stacks/live`: the table rows alone, polled by the list page.
pub async fn live(ctx: Ctx) -> AppResult<Response> {
    let (rows, _) = rows(&ctx.state).await?;
    Ok(Rows { rows }.into_response())
}
