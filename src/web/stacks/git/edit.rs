//! Changing a git-backed stack's source: `GET /stacks/{name}/git/edit` shows the create form
//! filled in (never the token nor the variables' values: an empty field keeps what berth
//! holds, a box drops it), `POST` checks it like a new source, stores it and syncs at once,
//! so the stack follows the new fields even when the ref names the same commit.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{GitForm, GitFormView, check, who};
use crate::db;
use crate::db::audit::{Action, Outcome};
use crate::db::git::{Changed, Source, TokenChange};
use crate::error::{AppError, AppResult};
use crate::stack::git::{Synced, Trigger};
use crate::web::page::{Ctx, FlashKind, Layout};
use crate::web::stacks::name_or_404;
use crate::web::urls;

#[derive(Template, WebTemplate)]
#[template(path = "stacks/git_edit.html")]
struct GitEditPage {
    layout: Layout,
    name: String,
    form: GitFormView,
}

fn page(ctx: &Ctx, name: &str, form: GitFormView) -> GitEditPage {
    GitEditPage {
        layout: ctx.layout(format!("Source of {name}"), "stacks"),
        name: name.to_string(),
        form,
    }
}

async fn source(ctx: &Ctx, name: &str) -> AppResult<Source> {
    db::git::get(&ctx.state.db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{name} does not follow a repository.")))
}

/// The form's parts an edit adds to what was typed.
fn editing(view: &mut GitFormView, s: &Source) {
    view.name = s.stack.clone();
    view.action = urls::stack_action(&s.stack, "git/edit");
    view.editing = true;
    view.has_token = s.token.is_some();
    view.env_keys = crate::compose::dotenv::parse(&s.env)
        .map(|m| m.into_keys().collect())
        .unwrap_or_default();
}

/// `GET /stacks/{name}/git/edit`: the source's form, filled in.
pub async fn edit_form(ctx: Ctx, Path(name): Path<String>) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    let s = source(&ctx, &name).await?;
    let mut form = GitFormView::blank();
    form.url = s.repo.url.clone();
    form.ref_kind = s.repo.git_ref.kind().to_string();
    form.ref_name = s.repo.git_ref.name().to_string();
    form.compose_paths = s.repo.compose_paths.join(", ");
    form.env_path = s.repo.env_path.clone().unwrap_or_default();
    form.interval = s.interval_secs.map(|n| format!("{n}s")).unwrap_or_default();
    form.prune = s.prune;
    form.ca_pem = s.repo.ca_pem.clone().unwrap_or_default();
    editing(&mut form, &s);
    Ok(page(&ctx, &name, form).into_response())
}

/// `POST /stacks/{name}/git/edit`: checks the fields like a new source (all problems at
/// once, nothing stored), stores them and syncs: a deployed commit opens its version; a
/// sync that fails says why on the stack page (the source stays changed).
pub async fn edit(
    ctx: Ctx,
    Path(name): Path<String>,
    Form(mut f): Form<GitForm>,
) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    let stored = source(&ctx, &name).await?;
    f.name = name.clone();
    let mut view = GitFormView::from(&f);
    editing(&mut view, &stored);
    let forget_token = f.forget_token == "yes";
    let keeps_token = stored.token.is_some() && !forget_token;
    let Some(c) = check(&f, &mut view, keeps_token) else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&ctx, &name, view)).into_response());
    };
    let token = match (&c.token, forget_token) {
        (Some(t), _) => TokenChange::Set(t),
        (None, true) => TokenChange::Forget,
        (None, false) => TokenChange::Keep,
    };
    let env = if f.forget_env == "yes" {
        String::new()
    } else if c.env.trim().is_empty() {
        stored.env.clone()
    } else {
        c.env.clone()
    };
    let changed = Changed {
        repo: &c.repo,
        token,
        env: &env,
        prune: c.prune,
        interval_secs: c.interval_secs,
    };
    if !db::git::update(&ctx.state.db, &name, &changed).await? {
        return Err(AppError::NotFound(format!(
            "{name} does not follow a repository."
        )));
    }
    let detail = format!(
        "{} {} {}",
        c.repo.url,
        c.repo.git_ref.kind(),
        c.repo.git_ref.name()
    );
    ctx.audit(Action::StackGitEdit, &name, Outcome::Ok, Some(&detail))
        .await;
    let synced = ctx.state.git.sync(&name, Trigger::Manual, who(&ctx)).await;
    let text = format!(
        "The source of {name} is saved; its sync: {}.",
        synced.message()
    );
    Ok(match synced {
        Synced::Deployed { version, .. } => {
            ctx.redirect_with(&urls::stack_version(&name, version), FlashKind::Ok, &text)
                .await
        }
        Synced::Queued | Synced::Unchanged => {
            ctx.redirect_with(&urls::stack(&name), FlashKind::Ok, &text)
                .await
        }
        Synced::Invalid { .. } | Synced::Failed(_) | Synced::Refused(_) => {
            ctx.redirect_with(&urls::stack(&name), FlashKind::Error, &text)
                .await
        }
    })
}
