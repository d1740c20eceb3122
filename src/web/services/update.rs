//! The update actions: each a small form POST that changes one part of the spec (see
//! `docker::services::ops`), audited, answered with a redirect and a message, or with the
//! page again (422) showing the error and the values as typed when nothing was changed.

use axum::Form;
use axum::extract::Path;
use axum::response::Response;

use super::check_id;
use super::detail::{Forms, refused};
use crate::db::audit::{Action, Outcome};
use crate::docker::DockerError;
use crate::docker::auth::RegistryAuth;
use crate::docker::services::flags;
use crate::docker::services::ops::{self, ChangeError, Changed};
use crate::docker::services::spec::{self, FieldErrors, ResourcesInput};
use crate::error::{AppError, AppResult};
use crate::web::page::{Ctx, FlashKind};
use crate::web::urls;

type Pairs = Vec<(String, String)>;

/// Every value of a repeated field.
pub(super) fn values(pairs: &Pairs, name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

fn value(pairs: &Pairs, name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Audits a refusal and shows the page again with the error on `form` and the user's values.
async fn fail(
    ctx: &Ctx,
    id: &str,
    action: Action,
    form: &'static str,
    message: String,
    keep: impl FnOnce(&mut Forms),
) -> AppResult<Response> {
    let name = match ctx.state.docker.manager() {
        Ok(d) => crate::docker::services::inspect_raw(&d, id)
            .await
            .ok()
            .and_then(|v| v["Spec"]["Name"].as_str().map(str::to_string)),
        Err(_) => None,
    }
    .unwrap_or_else(|| id.to_string());
    ctx.audit(action, &name, Outcome::Failed, Some(&message))
        .await;
    refused(ctx, id, form, message, keep).await
}

/// After a change Docker accepted (an update or a creation): audits it and goes to the
/// service's page with `text`, followed by Docker's warnings if it gave any.
pub(super) async fn accepted(ctx: &Ctx, action: Action, c: &Changed, mut text: String) -> Response {
    ctx.audit(action, &c.name, Outcome::Ok, Some(&c.detail))
        .await;
    // the page berth shows next holds the change
    ctx.state
        .model
        .catch_up([crate::model::Action::Service(c.id.clone())])
        .await;
    let kind = if c.warnings.is_empty() {
        FlashKind::Ok
    } else {
        for w in &c.warnings {
            text.push_str(" Warning: ");
            text.push_str(w);
        }
        FlashKind::Info
    };
    ctx.redirect_with(&urls::service(&c.id), kind, &text).await
}

/// Turns the result of a change into the answer: a redirect with a message, or the form again.
async fn finish(
    ctx: &Ctx,
    id: &str,
    action: Action,
    form: &'static str,
    result: Result<Changed, ChangeError>,
    success: impl FnOnce(&Changed) -> String,
    keep: impl FnOnce(&mut Forms),
) -> AppResult<Response> {
    match result {
        Ok(c) => {
            let text = success(&c);
            Ok(accepted(ctx, action, &c, text).await)
        }
        Err(ChangeError::Invalid(m) | ChangeError::Refused(m)) => {
            fail(ctx, id, action, form, m, keep).await
        }
        Err(ChangeError::Docker(e)) => match e {
            // Docker refused the new spec (a port in use, a bad value): the form says why
            DockerError::Refused(_) | DockerError::Conflict(_) => {
                fail(ctx, id, action, form, e.user_message(), keep).await
            }
            other => {
                ctx.audit(action, id, Outcome::Failed, Some(&other.user_message()))
                    .await;
                Err(AppError::Docker(other))
            }
        },
    }
}

fn docker(ctx: &Ctx) -> AppResult<bollard::Docker> {
    Ok(ctx.state.docker.manager()?)
}

/// The registry credentials every change sends (picked by the service's image).
async fn auth(ctx: &Ctx) -> RegistryAuth {
    ctx.state.deploys.registry_auth().await
}

pub async fn scale(ctx: Ctx, Path(id): Path<String>, Form(f): Form<Pairs>) -> AppResult<Response> {
    check_id(&id)?;
    let typed = value(&f, "replicas");
    let keep = |fm: &mut Forms| fm.replicas = typed.clone();
    let n = match spec::parse_replicas(&typed) {
        Ok(n) => n,
        Err(m) => return fail(&ctx, &id, Action::ServiceScale, "scale", m, keep).await,
    };
    let result = ops::scale(&docker(&ctx)?, &auth(&ctx).await, &id, n).await;
    finish(
        &ctx,
        &id,
        Action::ServiceScale,
        "scale",
        result,
        |c| {
            format!(
                "Scaling {} to {n} replica{}.",
                c.name,
                if n == 1 { "" } else { "s" }
            )
        },
        keep,
    )
    .await
}

pub async fn image(ctx: Ctx, Path(id): Path<String>, Form(f): Form<Pairs>) -> AppResult<Response> {
    check_id(&id)?;
    let typed = value(&f, "image");
    let result = ops::update_image(&docker(&ctx)?, &auth(&ctx).await, &id, &typed).await;
    finish(
        &ctx,
        &id,
        Action::ServiceImage,
        "image",
        result,
        |c| format!("Deploying a new image to {}: {}.", c.name, c.detail),
        |fm| fm.image = typed.clone(),
    )
    .await
}

pub async fn env(ctx: Ctx, Path(id): Path<String>, Form(f): Form<Pairs>) -> AppResult<Response> {
    check_id(&id)?;
    let typed = values(&f, "env");
    let keep = |fm: &mut Forms| fm.env = typed.join("\n");
    let env = match flags::parse_env_list(&flags::entries(&typed)) {
        Ok(e) => e,
        Err(m) => return fail(&ctx, &id, Action::ServiceEnv, "env", m, keep).await,
    };
    let result = ops::set_env(&docker(&ctx)?, &auth(&ctx).await, &id, env).await;
    finish(
        &ctx,
        &id,
        Action::ServiceEnv,
        "env",
        result,
        |c| format!("Saved the environment of {} ({}).", c.name, c.detail),
        keep,
    )
    .await
}

pub async fn ports(ctx: Ctx, Path(id): Path<String>, Form(f): Form<Pairs>) -> AppResult<Response> {
    check_id(&id)?;
    let typed = values(&f, "ports");
    let result = ops::set_ports(
        &docker(&ctx)?,
        &auth(&ctx).await,
        &id,
        &flags::entries(&typed),
    )
    .await;
    finish(
        &ctx,
        &id,
        Action::ServicePorts,
        "ports",
        result,
        |c| format!("Saved the ports of {}.", c.name),
        |fm| fm.ports = typed.join("\n"),
    )
    .await
}

pub async fn constraints(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> AppResult<Response> {
    check_id(&id)?;
    let typed = values(&f, "constraints");
    let result = ops::set_constraints(
        &docker(&ctx)?,
        &auth(&ctx).await,
        &id,
        &flags::entries(&typed),
    )
    .await;
    finish(
        &ctx,
        &id,
        Action::ServiceConstraints,
        "constraints",
        result,
        |c| format!("Saved the placement constraints of {}.", c.name),
        |fm| fm.constraints = typed.join("\n"),
    )
    .await
}

pub async fn resources(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> AppResult<Response> {
    check_id(&id)?;
    let typed = ResourcesInput {
        limit_cpu: value(&f, "limit_cpu"),
        limit_memory: value(&f, "limit_memory"),
        reserve_cpu: value(&f, "reserve_cpu"),
        reserve_memory: value(&f, "reserve_memory"),
    };
    let keep = |fm: &mut Forms| fm.resources = typed.clone();
    let mut errors = FieldErrors::default();
    let parsed = typed.parse(&mut errors);
    if !errors.is_empty() {
        return fail(
            &ctx,
            &id,
            Action::ServiceResources,
            "resources",
            errors.summary(),
            keep,
        )
        .await;
    }
    let result = ops::set_resources(&docker(&ctx)?, &auth(&ctx).await, &id, parsed).await;
    finish(
        &ctx,
        &id,
        Action::ServiceResources,
        "resources",
        result,
        |c| format!("Saved the resources of {}.", c.name),
        keep,
    )
    .await
}

/// `POST /services/{id}/redeploy`: every task replaced; with `pull=yes` the image's tag is
/// resolved again on its registry first and the service moves to the digest it names now.
pub async fn redeploy(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> AppResult<Response> {
    check_id(&id)?;
    let pull = value(&f, "pull") == "yes";
    let (docker, auth) = (docker(&ctx)?, auth(&ctx).await);
    let result = if pull {
        ops::pull_redeploy(&docker, &auth, &id).await
    } else {
        ops::redeploy(&docker, &auth, &id).await
    };
    finish(
        &ctx,
        &id,
        Action::ServiceRedeploy,
        "redeploy",
        result,
        move |c| {
            if pull {
                format!("Pulled and redeployed {}: {}.", c.name, c.detail)
            } else {
                format!("Restarting every task of {}, one after the other.", c.name)
            }
        },
        |_| {},
    )
    .await
}

pub async fn rollback(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    check_id(&id)?;
    let result = ops::rollback(&docker(&ctx)?, &auth(&ctx).await, &id).await;
    finish(
        &ctx,
        &id,
        Action::ServiceRollback,
        "rollback",
        result,
        |c| format!("Rolling {} back to its previous spec.", c.name),
        |_| {},
    )
    .await
}

pub async fn delete(ctx: Ctx, Path(id): Path<String>, Form(f): Form<Pairs>) -> AppResult<Response> {
    check_id(&id)?;
    if value(&f, "confirm") != "yes" {
        return fail(
            &ctx,
            &id,
            Action::ServiceDelete,
            "delete",
            "Tick the box to confirm the removal: nothing was removed.".into(),
            |_| {},
        )
        .await;
    }
    match ops::remove(&docker(&ctx)?, &id).await {
        Ok(c) => {
            ctx.audit(Action::ServiceDelete, &c.name, Outcome::Ok, None)
                .await;
            ctx.state
                .model
                .catch_up([crate::model::Action::Service(c.id.clone())])
                .await;
            Ok(ctx
                .redirect_with(
                    urls::SERVICES,
                    FlashKind::Ok,
                    &format!("Service {} removed.", c.name),
                )
                .await)
        }
        Err(e) => {
            ctx.audit(
                Action::ServiceDelete,
                &id,
                Outcome::Failed,
                Some(&e.user_message()),
            )
            .await;
            Err(AppError::Docker(e))
        }
    }
}
