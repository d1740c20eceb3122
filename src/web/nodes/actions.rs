//! Node actions: plain form POSTs (CSRF-checked by the session layer), each audited, each
//! answered with a redirect to the node's page and a message saying what happened — or, when
//! berth or Docker refused, why, in plain words.

use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use serde::Deserialize;

use super::berth_node;
use crate::db::audit::{Action, Outcome};
use crate::docker::nodes::{self, Availability, Role, checks};
use crate::docker::{DockerError, Engine};
use crate::error::AppResult;
use crate::web::page::{Ctx, FlashKind};
use crate::web::urls;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AvailabilityForm {
    availability: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    role: String,
    /// the box that accepts a risk berth asks about (demoting its own manager)
    confirm: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LabelForm {
    key: String,
    value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    /// "yes": remove even though the node is not down (`docker node rm --force`)
    force: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RotateForm {
    role: String,
}

impl Ctx {
    /// Records the outcome and goes back to `to` with the message.
    async fn done(
        &self,
        to: &str,
        action: Action,
        target: &str,
        result: Result<String, String>,
        detail: &str,
    ) -> Response {
        match result {
            Ok(msg) => {
                self.audit(action, target, Outcome::Ok, Some(detail)).await;
                // the page berth shows next holds the change
                self.state
                    .model
                    .catch_up([crate::model::Action::Nodes, crate::model::Action::Swarm])
                    .await;
                self.redirect_with(to, FlashKind::Ok, &msg).await
            }
            Err(msg) => {
                let d = format!("{detail}: {msg}");
                self.audit(action, target, Outcome::Failed, Some(&d)).await;
                self.redirect_with(to, FlashKind::Error, &msg).await
            }
        }
    }
}

/// Where to go after a failure: the node's page, or the list when the node does not exist.
fn back_after(e: &DockerError, id: &str) -> String {
    if e.is_not_found() {
        urls::NODES.to_string()
    } else {
        urls::node(id)
    }
}

fn after_change(engine: &Engine) {
    // the dashboard and the banner count managers: let the monitor look again now
    engine.recheck();
}

/// `POST /nodes/{id}/availability` (`availability` = active|pause|drain).
pub async fn availability(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<AvailabilityForm>,
) -> AppResult<Response> {
    let back = urls::node(&id);
    let docker = ctx.state.docker.manager()?;
    let to = match Availability::parse(&f.availability) {
        Ok(a) => a,
        Err(m) => {
            let name = nodes::display_name(&docker, &id).await;
            return Ok(ctx
                .done(&back, Action::NodeAvailability, &name, Err(m), "refused")
                .await);
        }
    };
    let result = nodes::set_availability(&docker, &id, to).await;
    let to_page = match &result {
        Ok(_) => back.clone(),
        Err(e) => back_after(e, &id),
    };
    let (name, detail, result) = match result {
        Ok(before) => {
            let name = before.display_name().to_string();
            let detail = format!("availability {} → {}", before.availability, to.as_str());
            let msg = if before.availability == to.as_str() {
                format!("{name} was already {}.", to.as_str())
            } else {
                format!(
                    "{name} is now {}: {}.",
                    match to {
                        Availability::Active => "active",
                        Availability::Pause => "paused",
                        Availability::Drain => "drained",
                    },
                    to.effect()
                )
            };
            (name, detail, Ok(msg))
        }
        Err(e) => (
            nodes::display_name(&docker, &id).await,
            format!("availability → {}", to.as_str()),
            Err(e.user_message()),
        ),
    };
    Ok(ctx
        .done(&to_page, Action::NodeAvailability, &name, result, &detail)
        .await)
}

/// `POST /nodes/{id}/role` (`role` = manager|worker): refuses to demote the last manager or to
/// lose quorum, warns about an even number of managers.
pub async fn role(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<RoleForm>,
) -> AppResult<Response> {
    let back = urls::node(&id);
    let docker = ctx.state.docker.manager()?;
    let all = nodes::list(&docker).await?;
    let Some(node) = nodes::find(&all, &id).cloned() else {
        return Ok(ctx
            .done(
                urls::NODES,
                Action::NodeRole,
                &id,
                Err(format!("There is no node {id:?} in this swarm.")),
                "refused",
            )
            .await);
    };
    let name = node.display_name().to_string();
    let to = match Role::parse(&f.role) {
        Ok(r) => r,
        Err(m) => {
            return Ok(ctx
                .done(&back, Action::NodeRole, &name, Err(m), "refused")
                .await);
        }
    };
    let detail = format!("role {} → {to}", node.role);
    let check =
        checks::check_role_change(&all, &node, to, &berth_node(&ctx.state), f.confirm == "yes");
    if let Some(reason) = check.refused {
        return Ok(ctx
            .done(
                &back,
                Action::NodeRole,
                &name,
                Err(reason),
                &format!("{detail} refused"),
            )
            .await);
    }
    let result = match nodes::set_role(&docker, &node.id, to).await {
        Ok(_) => {
            after_change(&ctx.state.docker);
            let mut msg = match to {
                Role::Manager => format!("{name} is now a manager."),
                Role::Worker => format!("{name} is now a worker."),
            };
            for w in &check.warnings {
                msg.push(' ');
                msg.push_str(w);
            }
            Ok(msg)
        }
        Err(e) => Err(e.user_message()),
    };
    Ok(ctx
        .done(&back, Action::NodeRole, &name, result, &detail)
        .await)
}

/// `POST /nodes/{id}/labels` (`key`, `value`): adds a label or changes its value.
pub async fn add_label(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<LabelForm>,
) -> AppResult<Response> {
    let back = urls::node(&id);
    let docker = ctx.state.docker.manager()?;
    let checked = checks::check_label_key(&f.key)
        .and_then(|k| checks::check_label_value(&f.value).map(|v| (k, v)));
    let (key, value) = match checked {
        Ok(kv) => kv,
        Err(m) => {
            let name = nodes::display_name(&docker, &id).await;
            return Ok(ctx
                .done(&back, Action::NodeLabelAdd, &name, Err(m), "refused")
                .await);
        }
    };
    let detail = format!("label {key}={value}");
    let mut to_page = back.clone();
    let (name, result) = match nodes::set_label(&docker, &id, &key, &value).await {
        Ok(before) => {
            let name = before.display_name().to_string();
            let msg = match before.label(&key) {
                Some(old) if old == value => format!("{name} already has the label {key}={value}."),
                Some(old) => format!("Label {key} on {name} changed from {old:?} to {value:?}."),
                None => format!(
                    "Label {key}={value} added to {name}. Services constrained with \
                     node.labels.{key}=={value} can now run there."
                ),
            };
            (name, Ok(msg))
        }
        Err(e) => {
            to_page = back_after(&e, &id);
            (
                nodes::display_name(&docker, &id).await,
                Err(e.user_message()),
            )
        }
    };
    Ok(ctx
        .done(&to_page, Action::NodeLabelAdd, &name, result, &detail)
        .await)
}

/// `POST /nodes/{id}/labels/delete` (`key`).
pub async fn delete_label(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<LabelForm>,
) -> AppResult<Response> {
    let back = urls::node(&id);
    let docker = ctx.state.docker.manager()?;
    let key = f.key.trim().to_string();
    let detail = format!("label {key} removed");
    let mut to_page = back.clone();
    let (name, result) = if key.is_empty() {
        (
            nodes::display_name(&docker, &id).await,
            Err("Say which label to remove.".to_string()),
        )
    } else {
        match nodes::remove_label(&docker, &id, &key).await {
            Ok((before, true)) => {
                let name = before.display_name().to_string();
                let msg = format!(
                    "Label {key} removed from {name}. Tasks constrained on it no longer run there."
                );
                (name, Ok(msg))
            }
            Ok((before, false)) => {
                let name = before.display_name().to_string();
                let msg = format!("{name} has no label {key:?}; nothing was changed.");
                (name, Err(msg))
            }
            Err(e) => {
                to_page = back_after(&e, &id);
                (
                    nodes::display_name(&docker, &id).await,
                    Err(e.user_message()),
                )
            }
        }
    };
    Ok(ctx
        .done(&to_page, Action::NodeLabelRemove, &name, result, &detail)
        .await)
}

/// `POST /nodes/{id}/delete` (`force` = yes for a node that is not down).
pub async fn delete(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DeleteForm>,
) -> AppResult<Response> {
    let back = urls::node(&id);
    let docker = ctx.state.docker.manager()?;
    let force = f.force == "yes";
    let node = match nodes::inspect(&docker, &id).await {
        Ok(n) => n,
        Err(e) => {
            return Ok(ctx
                .done(
                    urls::NODES,
                    Action::NodeRemove,
                    &id,
                    Err(e.user_message()),
                    "remove",
                )
                .await);
        }
    };
    let name = node.display_name().to_string();
    let detail = format!(
        "remove {} ({}, {}){}",
        node.id,
        node.role,
        node.state,
        if force { " with force" } else { "" }
    );
    if node.id == berth_node(&ctx.state) {
        let msg = format!(
            "berth talks to the swarm through {name}: it cannot remove that node. Point berth at \
             another manager first."
        );
        return Ok(ctx
            .done(&back, Action::NodeRemove, &name, Err(msg), &detail)
            .await);
    }
    match nodes::remove(&docker, &node.id, force).await {
        Ok(()) => {
            after_change(&ctx.state.docker);
            let msg = format!(
                "{name} was removed from the swarm. To bring the machine back, run \
                 `docker swarm leave --force` on it, then join again with the command below."
            );
            Ok(ctx
                .done(
                    &format!("{}#join", urls::NODES),
                    Action::NodeRemove,
                    &name,
                    Ok(msg),
                    &detail,
                )
                .await)
        }
        Err(e) => Ok(ctx
            .done(
                &back,
                Action::NodeRemove,
                &name,
                Err(e.user_message()),
                &detail,
            )
            .await),
    }
}

/// `POST /swarm/rotate-token` (`role` = worker|manager).
pub async fn rotate_token(ctx: Ctx, Form(f): Form<RotateForm>) -> AppResult<Response> {
    let back = format!("{}#join", urls::NODES);
    let docker = ctx.state.docker.manager()?;
    let role = match Role::parse(&f.role) {
        Ok(r) => r,
        Err(m) => {
            return Ok(ctx
                .done(&back, Action::SwarmRotateToken, "", Err(m), "refused")
                .await);
        }
    };
    let target = format!("{role} join token");
    let result = nodes::rotate_join_token(&docker, role)
        .await
        .map(|()| {
            format!(
                "The {role} join token was rotated: the old one no longer admits new {role}s. \
                 Nodes already in the swarm are not affected."
            )
        })
        .map_err(|e| e.user_message());
    Ok(ctx
        .done(&back, Action::SwarmRotateToken, &target, result, "rotate")
        .await)
}
