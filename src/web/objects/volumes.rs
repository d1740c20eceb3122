//! `/volumes`: the volumes of the node berth talks to, with the containers and services
//! using each; create, remove (refused while a container uses it). Volumes on other nodes
//! need the berth agent: until it runs there, the page names the nodes it cannot see.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::check_ref;
use super::form::ObjectForm;
use crate::db::audit::{Action, Outcome};
use crate::docker::objects::volumes::{self, VolumeInput, VolumeRow};
use crate::error::AppResult;
use crate::web::page::{Ctx, FlashKind, Layout};
use crate::web::urls;

#[derive(Template, WebTemplate)]
#[template(path = "volumes/list.html")]
struct ListPage {
    layout: Layout,
    node: String,
    rows: Vec<VolumeRow>,
    /// hostnames of the nodes whose volumes berth cannot see
    unseen: Vec<String>,
    form: ObjectForm,
    error: Option<String>,
}

impl ListPage {
    fn remove_url(&self, name: &str) -> String {
        urls::volume_action(name, "remove")
    }
}

async fn list_page(ctx: &Ctx, form: ObjectForm, error: Option<String>) -> AppResult<ListPage> {
    let docker = ctx.state.docker.manager()?;
    let snap = ctx.state.model.snapshot();
    let rows = volumes::list(&docker, snap.services()).await?;
    let here = match ctx.state.docker.status().status {
        crate::docker::DockerStatus::Manager(m) => m.node_id,
        _ => String::new(),
    };
    let node = snap
        .node(&here)
        .map(|n| n.hostname.clone())
        .unwrap_or_else(|| "this manager".into());
    let unseen = snap
        .nodes()
        .iter()
        .filter(|n| n.id != here)
        .map(|n| n.hostname.clone())
        .collect();
    Ok(ListPage {
        layout: ctx.layout("Volumes", "volumes"),
        node,
        rows,
        unseen,
        form,
        error,
    })
}

pub async fn list(ctx: Ctx) -> AppResult<Response> {
    Ok(list_page(&ctx, ObjectForm::default(), None)
        .await?
        .into_response())
}

pub async fn create(ctx: Ctx, f: ObjectForm) -> AppResult<Response> {
    let input = VolumeInput {
        name: f.name.clone(),
        driver: f.driver.clone(),
        options: f.options.clone(),
        labels: f.labels.clone(),
    };
    let req = match volumes::check(&input) {
        Ok(r) => r,
        Err(e) => {
            let page = list_page(&ctx, f, Some(e)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let name = req.name.clone().unwrap_or_default();
    let docker = ctx.state.docker.manager()?;
    match volumes::create(&docker, req).await {
        Ok(_) => {
            ctx.audit(Action::VolumeCreate, &name, Outcome::Ok, None)
                .await;
            let msg = format!("Created the volume {name}.");
            Ok(ctx.redirect_with(urls::VOLUMES, FlashKind::Ok, &msg).await)
        }
        Err(e) => {
            let m = e.user_message();
            ctx.audit(Action::VolumeCreate, &name, Outcome::Failed, Some(&m))
                .await;
            let page = list_page(&ctx, f, Some(m)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn remove(ctx: Ctx, Path(name): Path<String>) -> AppResult<Response> {
    check_ref("volume", &name)?;
    let docker = ctx.state.docker.manager()?;
    let snap = ctx.state.model.snapshot();
    let rows = volumes::list(&docker, snap.services()).await?;
    let refusal = match rows.iter().find(|v| v.name == name) {
        None => Some(format!("There is no volume {name} on this node.")),
        Some(v) if v.in_use() => Some(format!(
            "The volume {name} is in use by {}: {}. Remove them first.",
            if v.containers.len() == 1 {
                "one container"
            } else {
                "these containers"
            },
            v.containers.join(", ")
        )),
        Some(_) => volumes::remove(&docker, &name)
            .await
            .err()
            .map(|e| e.user_message()),
    };
    if let Some(m) = refusal {
        ctx.audit(Action::VolumeRemove, &name, Outcome::Denied, Some(&m))
            .await;
        return Ok(ctx.redirect_with(urls::VOLUMES, FlashKind::Error, &m).await);
    }
    ctx.audit(Action::VolumeRemove, &name, Outcome::Ok, None)
        .await;
    let msg = format!("Removed the volume {name}.");
    Ok(ctx.redirect_with(urls::VOLUMES, FlashKind::Ok, &msg).await)
}
