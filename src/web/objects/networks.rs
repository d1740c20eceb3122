//! `/networks`: the swarm's networks with the services attached (from the live model),
//! create an overlay network, inspect one with its services, tasks and addresses, remove.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::form::ObjectForm;
use super::{UserRow, check_ref};
use crate::db::audit::{Action, Outcome};
use crate::docker::objects::networks::{self, NetworkDetail, NetworkInput};
use crate::docker::services::ServiceSummary;
use crate::docker::time::format_utc;
use crate::error::AppResult;
use crate::web::page::{Ctx, FlashKind, Layout};
use crate::web::urls;

pub struct Row {
    pub name: String,
    pub url: String,
    pub driver: String,
    pub stack: String,
    pub flags: Vec<&'static str>,
    pub created: String,
    pub users: Vec<UserRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "networks/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    form: ObjectForm,
    error: Option<String>,
}

/// The services attached to a network (by id, or by name on old specs).
pub fn network_users<'a>(
    services: &'a [ServiceSummary],
    id: &str,
    name: &str,
) -> Vec<&'a ServiceSummary> {
    services
        .iter()
        .filter(|s| s.uses.networks.iter().any(|n| n == id || n == name))
        .collect()
}

fn list_page(ctx: &Ctx, form: ObjectForm, error: Option<String>) -> ListPage {
    let snap = ctx.state.model.snapshot();
    let rows = snap
        .networks()
        .iter()
        .map(|n| {
            let mut flags = Vec::new();
            if n.ingress {
                flags.push("ingress");
            }
            if n.attachable {
                flags.push("attachable");
            }
            if n.internal {
                flags.push("internal");
            }
            Row {
                name: n.name.clone(),
                url: urls::network(&n.id),
                driver: n.driver.clone(),
                stack: n.stack.clone(),
                flags,
                created: n.created.map(format_utc).unwrap_or_default(),
                users: network_users(snap.services(), &n.id, &n.name)
                    .into_iter()
                    .map(UserRow::from_summary)
                    .collect(),
            }
        })
        .collect();
    ListPage {
        layout: ctx.layout("Networks", "networks"),
        rows,
        form,
        error,
    }
}

pub async fn list(ctx: Ctx) -> Response {
    list_page(&ctx, ObjectForm::default(), None).into_response()
}

pub async fn create(ctx: Ctx, f: ObjectForm) -> AppResult<Response> {
    let input = NetworkInput {
        name: f.name.clone(),
        attachable: ObjectForm::flag(&f.attachable),
        encrypted: ObjectForm::flag(&f.encrypted),
        internal: ObjectForm::flag(&f.internal),
        subnet: f.subnet.clone(),
        gateway: f.gateway.clone(),
        labels: f.labels.clone(),
    };
    let req = match networks::check(&input) {
        Ok(r) => r,
        Err(e) => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                list_page(&ctx, f, Some(e)),
            )
                .into_response());
        }
    };
    let name = req.name.clone();
    let docker = ctx.state.docker.manager()?;
    match networks::create(&docker, req).await {
        Ok(id) => {
            let detail = format!(
                "overlay{}{}{}",
                if input.attachable { ", attachable" } else { "" },
                if input.encrypted { ", encrypted" } else { "" },
                if input.internal { ", internal" } else { "" },
            );
            ctx.audit(Action::NetworkCreate, &name, Outcome::Ok, Some(&detail))
                .await;
            ctx.state.model.resync();
            let msg = format!("Created the network {name}.");
            Ok(ctx
                .redirect_with(&urls::network(&id), FlashKind::Ok, &msg)
                .await)
        }
        Err(e) => {
            let m = e.user_message();
            ctx.audit(Action::NetworkCreate, &name, Outcome::Failed, Some(&m))
                .await;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                list_page(&ctx, f, Some(m)),
            )
                .into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "networks/detail.html")]
struct DetailPage {
    layout: Layout,
    n: NetworkDetail,
    users: Vec<UserRow>,
    remove_url: String,
}

pub async fn show(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    check_ref("network", &id)?;
    let docker = ctx.state.docker.manager()?;
    let n = networks::inspect(&docker, &id).await?;
    let snap = ctx.state.model.snapshot();
    let users = network_users(snap.services(), &n.id, &n.name)
        .into_iter()
        .map(UserRow::from_summary)
        .collect();
    Ok(DetailPage {
        layout: ctx.layout(format!("network {}", n.name), "networks"),
        remove_url: urls::network_action(&n.id, "remove"),
        users,
        n,
    }
    .into_response())
}

pub async fn remove(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    check_ref("network", &id)?;
    let docker = ctx.state.docker.manager()?;
    let n = networks::inspect(&docker, &id).await?;
    let snap = ctx.state.model.snapshot();
    let users: Vec<&str> = network_users(snap.services(), &n.id, &n.name)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let refusal = if !users.is_empty() {
        Some(format!(
            "The network {} is in use by {}: {}. Detach them first.",
            n.name,
            if users.len() == 1 {
                "one service"
            } else {
                "these services"
            },
            users.join(", ")
        ))
    } else if n.ingress || n.scope != "swarm" {
        Some(format!(
            "The network {} is not a swarm network berth removes.",
            n.name
        ))
    } else {
        networks::remove(&docker, &n.id)
            .await
            .err()
            .map(|e| e.user_message())
    };
    if let Some(m) = refusal {
        ctx.audit(Action::NetworkRemove, &n.name, Outcome::Denied, Some(&m))
            .await;
        return Ok(ctx
            .redirect_with(&urls::network(&n.id), FlashKind::Error, &m)
            .await);
    }
    ctx.audit(Action::NetworkRemove, &n.name, Outcome::Ok, None)
        .await;
    ctx.state.model.resync();
    let msg = format!("Removed the network {}.", n.name);
    Ok(ctx.redirect_with(urls::NETWORKS, FlashKind::Ok, &msg).await)
}
