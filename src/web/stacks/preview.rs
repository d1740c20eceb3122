//! `POST /stacks/{name}/preview`: what deploying the edited source would do, without doing
//! it: services created, updated field by field (and whether their tasks restart), unchanged
//! or removed, and the networks, secrets and configs it touches.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};

use super::deploy::SourceInput;
use super::diff::{EnvChange, env_changes};
use super::name_or_404;
use crate::compose::{ComposeFile, source};
use crate::db;
use crate::error::AppResult;
use crate::stack::{self, Action, DeployOptions, Plan, Source};
use crate::web::page::{Ctx, Layout};

#[derive(Template, WebTemplate)]
#[template(path = "stacks/preview.html")]
struct PreviewPage {
    layout: Layout,
    name: String,
    plan: Plan,
    compose: String,
    /// the typed env lines, posted again by the deploy button
    env: String,
    /// the version whose stored variables are kept (posted again; never shown)
    env_keep: Option<i64>,
    /// variables that differ from the stack's newest version (names only)
    env_changes: Vec<EnvChange>,
    prune: bool,
    refused: Vec<String>,
    base_version: Option<i64>,
}

impl PreviewPage {
    fn action_word(a: &Action) -> &'static str {
        match a {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Exists => "exists",
            Action::External => "external",
            Action::Remove => "remove",
        }
    }

    /// A change of a container's environment: its values are shown masked.
    fn is_env(path: &str) -> bool {
        path.starts_with("TaskTemplate.ContainerSpec.Env")
    }

    fn changed_services(&self) -> usize {
        self.plan
            .services
            .iter()
            .chain(self.plan.prune.iter())
            .filter(|s| s.action != Action::Unchanged)
            .count()
    }
}

pub async fn preview(
    ctx: Ctx,
    Path(name): Path<String>,
    mut input: SourceInput,
) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    input.form.name = name.clone();
    super::deploy::keep_stored_files(&ctx, &mut input).await?;
    let (checked, input, env_text) = match super::deploy::checked_or_refused(&ctx, input).await? {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let stored_env = db::stacks::latest(&ctx.state.db, &name)
        .await?
        .map(|v| v.env)
        .unwrap_or_default();
    let env_changes = env_changes(&stored_env, &env_text);
    let env_keep = input.form.env_keep();
    let f = &input.form;
    let source = Source {
        files: vec![ComposeFile::new(source::EDITOR_FILE, f.compose.clone())],
        working_dir: "/".into(),
        env: checked.env,
        reader: Arc::new(input.files.clone()),
    };
    let opts = DeployOptions {
        prune: f.prune(),
        resolve_image: crate::stack::jobs::RESOLVE,
        auth: ctx.state.deploys.registry_auth().await,
        wait: None,
        events: None,
        pins: Default::default(),
    };
    let (plan, refused) = match stack::preview(&ctx.state.docker, &name, source, &opts).await {
        Ok(p) => (p, vec![]),
        Err(stack::StackError::Rejected(errs)) => (
            Plan::empty(&name),
            errs.iter().map(|e| e.to_string()).collect(),
        ),
        Err(e) => (Plan::empty(&name), vec![e.to_string()]),
    };
    Ok(PreviewPage {
        layout: ctx.layout(format!("Preview {name}"), "stacks"),
        prune: f.prune(),
        base_version: f.base_version(),
        compose: input.form.compose,
        env_keep,
        env: input.form.env,
        env_changes,
        name,
        plan,
        refused,
    }
    .into_response())
}
