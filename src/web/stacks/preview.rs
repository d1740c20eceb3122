//! `POST /stacks/{name}/preview`: what deploying the edited source would do, without doing
//! it: services created, updated field by field (and whether their tasks restart), unchanged
//! or removed, and the networks, secrets and configs it touches.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};

use super::deploy::SourceInput;
use super::name_or_404;
use crate::compose::{ComposeFile, source};
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
    env: String,
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
    let (checked, input) = match super::deploy::checked_or_refused(&ctx, input).await? {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
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
        wait: None,
        events: None,
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
        env: input.form.env,
        name,
        plan,
        refused,
    }
    .into_response())
}
