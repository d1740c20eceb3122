//! The compose editor: a plain form (name, compose, env) that works without JavaScript, which
//! app.js upgrades to Ace with YAML highlighting, line numbers and validation as you type.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};

use super::super::page::{Ctx, Layout};
use crate::compose::source::{self, Problem};
use crate::compose::{FileSource, MemoryFiles};
use crate::error::{AppError, AppResult};

/// Where Ace lives (static/vendor, fetched by scripts/fetch-assets).
pub const ACE_BASE: &str = "/static/vendor/ace-builds-1.45.2";

/// What the editor shows under the form after a check.
#[derive(Debug, Default)]
pub struct Validation {
    pub checked: bool,
    pub problems: Vec<Problem>,
    pub warnings: Vec<String>,
    pub services: Vec<String>,
}

impl Validation {
    pub fn ok(&self) -> bool {
        self.checked && self.problems.is_empty()
    }

    pub fn field_problems(&self, field: &str) -> Vec<&Problem> {
        self.problems
            .iter()
            .filter(|p| p.field.as_str() == field)
            .collect()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "stacks/editor.html")]
pub struct EditorPage {
    pub layout: Layout,
    /// true: a new stack (the name is editable); false: a new version of `name`
    pub is_new: bool,
    pub name: String,
    pub compose: String,
    /// the env text typed (with `env_keep`: only the lines added or changed)
    pub env: String,
    /// the version whose stored variables the form keeps without showing their values
    pub env_keep: Option<i64>,
    /// their names
    pub env_keys: Vec<String>,
    pub prune: bool,
    pub validation: Validation,
    /// where the Deploy button posts
    pub action: String,
    pub ace_base: &'static str,
    /// the newest version when the editor opened (0: none), sent back as `base_version` so that
    /// a deploy made meanwhile is shown instead of overwritten; `None` for no check
    pub base_version: Option<i64>,
    /// a notice above the form (e.g. "this stack was made elsewhere; deploying takes it over")
    pub notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SourceForm {
    pub name: String,
    pub compose: String,
    pub env: String,
    /// a version number: keep that version's stored variables (not shown in the form), then
    /// apply the lines of `env`
    pub env_keep: String,
    pub prune: String,
    /// The version the edit started from (see [`EditorPage::base_version`]).
    pub base_version: String,
    /// the team a deployer's new stack belongs to (empty: their first)
    pub team: String,
}

impl SourceForm {
    pub fn prune(&self) -> bool {
        matches!(self.prune.as_str(), "yes" | "on" | "true" | "1")
    }

    pub fn base_version(&self) -> Option<i64> {
        self.base_version.trim().parse().ok()
    }

    /// The version whose variables are kept, if the form keeps any.
    pub fn env_keep(&self) -> Option<i64> {
        self.env_keep.trim().parse().ok()
    }
}

/// The variable names of an env text (what the editor shows instead of the values).
pub fn env_names(env: &str) -> Vec<String> {
    crate::compose::dotenv::parse(env)
        .map(|m| m.into_keys().collect())
        .unwrap_or_default()
}

/// The stored variables a form keeps (`env_keep`), read from the stack's history; `None` when
/// it keeps none. A version that is gone is a problem on the env field.
pub async fn kept_env(ctx: &Ctx, f: &SourceForm) -> AppResult<Result<Option<String>, Problem>> {
    let Some(v) = f.env_keep() else {
        return Ok(Ok(None));
    };
    let name = f.name.trim();
    if source::stack_name_rules(name).is_err() {
        return Ok(Ok(None));
    }
    Ok(
        match crate::db::stacks::get(&ctx.state.db, name, v).await? {
            Some(stored) => Ok(Some(stored.env)),
            None => Err(Problem {
                field: source::Field::Env,
                line: None,
                column: None,
                path: None,
                file: None,
                message: format!(
                    "the stored variables of version {v} of {name} are gone: type them again"
                ),
            }),
        },
    )
}

/// The env text a source is checked and stored with: the kept variables, then the typed lines
/// (a later line wins).
pub fn effective_env(kept: Option<&str>, typed: &str) -> String {
    match kept {
        None => typed.to_string(),
        Some(k) if typed.trim().is_empty() => k.to_string(),
        Some(k) => format!("{}\n{typed}", k.trim_end_matches('\n')),
    }
}

/// The editor's env fields for a form: the kept version with its names (never the values).
pub async fn env_fields(ctx: &Ctx, f: &SourceForm) -> (Option<i64>, Vec<String>) {
    match kept_env(ctx, f).await {
        Ok(Ok(Some(text))) => (f.env_keep(), env_names(&text)),
        _ => (None, Vec::new()),
    }
}

const SAMPLE: &str = "services:\n  web:\n    image: nginx:1.27\n    deploy:\n      replicas: 2\n    ports:\n      - \"8080:80\"\n";

pub async fn new_form(ctx: Ctx) -> AppResult<Response> {
    Ok(EditorPage {
        layout: ctx.layout("New stack", "stacks"),
        is_new: true,
        name: String::new(),
        compose: SAMPLE.to_string(),
        env: String::new(),
        env_keep: None,
        env_keys: Vec::new(),
        prune: false,
        validation: Validation::default(),
        action: super::super::urls::STACKS.to_string(),
        ace_base: ACE_BASE,
        base_version: Some(0),
        notice: None,
    }
    .into_response())
}

/// Checks a source off the async threads.
pub async fn check(
    name: String,
    compose: String,
    env: String,
    files: MemoryFiles,
) -> AppResult<Result<source::Checked, Vec<Problem>>> {
    tokio::task::spawn_blocking(move || {
        source::check(&name, &compose, &env, &files as &dyn FileSource)
    })
    .await
    .map_err(|e| AppError::Internal(format!("compose check failed: {e}")))
}

#[derive(Serialize)]
struct JsonProblem {
    field: &'static str,
    line: Option<u32>,
    column: Option<u32>,
    path: Option<String>,
    message: String,
}

#[derive(Serialize)]
struct JsonValidation {
    ok: bool,
    problems: Vec<JsonProblem>,
    warnings: Vec<String>,
    services: Vec<String>,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// `POST /stacks/validate`: JSON for the editor's as-you-type check (`Accept: application/json`),
/// else the editor page again with the problems listed and the text kept.
pub async fn validate(
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<SourceForm>,
) -> AppResult<Response> {
    let result = match kept_env(&ctx, &f).await? {
        Ok(kept) => {
            check(
                f.name.clone(),
                f.compose.clone(),
                effective_env(kept.as_deref(), &f.env),
                MemoryFiles::default(),
            )
            .await?
        }
        Err(p) => Err(vec![p]),
    };
    let validation = match result {
        Ok(c) => Validation {
            checked: true,
            problems: vec![],
            services: c.service_keys(),
            warnings: c.warnings,
        },
        Err(problems) => Validation {
            checked: true,
            problems,
            ..Default::default()
        },
    };
    if wants_json(&headers) {
        let body = JsonValidation {
            ok: validation.ok(),
            problems: validation
                .problems
                .iter()
                .map(|p| JsonProblem {
                    field: p.field.as_str(),
                    line: p.line,
                    column: p.column,
                    path: p.path.clone(),
                    message: p.message.clone(),
                })
                .collect(),
            warnings: validation.warnings.clone(),
            services: validation.services.clone(),
        };
        return Ok(Json(body).into_response());
    }
    // the page again: a new stack unless the name is one berth holds
    let existing = crate::db::stacks::latest(&ctx.state.db, f.name.trim())
        .await?
        .is_some();
    let status = if validation.ok() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (env_keep, env_keys) = env_fields(&ctx, &f).await;
    let page = EditorPage {
        layout: ctx.layout(if existing { "Edit stack" } else { "New stack" }, "stacks"),
        env_keep,
        env_keys,
        is_new: !existing,
        action: if existing {
            super::super::urls::stack(f.name.trim())
        } else {
            super::super::urls::STACKS.to_string()
        },
        prune: f.prune(),
        base_version: f.base_version(),
        name: f.name,
        compose: f.compose,
        env: f.env,
        validation,
        ace_base: ACE_BASE,
        notice: None,
    };
    Ok((status, page).into_response())
}
