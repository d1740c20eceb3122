//! `/volumes`: the volumes of every node, read through each node's berth agent (berth's own
//! node through its own Docker socket when it has no agent), each with its node and the
//! containers and services using it; create on a chosen node with driver options; remove
//! (refused while a container uses it, naming the containers). Nodes berth cannot see (no
//! agent answers) are named.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::check_ref;
use super::form::ObjectForm;
use crate::db::audit::{Action, Outcome};
use crate::docker::objects::volumes::{self, VolumeInput, VolumeRow};
use crate::docker::services::ServiceSummary;
use crate::error::{AppError, AppResult};
use crate::web::nodes::storage::{own_node, reach};
use crate::web::page::{Ctx, FlashKind, Layout};
use crate::web::urls;

/// One volume on one node.
pub struct NodeVolume {
    pub node_id: String,
    pub node: String,
    pub v: VolumeRow,
}

pub struct NodeChoice {
    pub id: String,
    pub hostname: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "volumes/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<NodeVolume>,
    /// nodes whose volumes berth cannot see, with why
    unseen: Vec<String>,
    nodes: Vec<NodeChoice>,
    form: ObjectForm,
    error: Option<String>,
}

impl ListPage {
    fn remove_url(&self, name: &str) -> String {
        urls::volume_action(name, "remove")
    }
}

/// The services using volume `v` on a node: those whose spec mounts its name and that have a
/// container on that node using it; when none has, every service whose spec mounts the name.
fn users(v: &VolumeRow, services: &[ServiceSummary]) -> Vec<String> {
    let mounting: Vec<&ServiceSummary> = services
        .iter()
        .filter(|s| s.uses.volumes.contains(&v.name))
        .collect();
    let here: Vec<String> = mounting
        .iter()
        .filter(|s| {
            let prefix = format!("{}.", s.name);
            v.containers.iter().any(|c| c.starts_with(&prefix))
        })
        .map(|s| s.name.clone())
        .collect();
    let mut out = if here.is_empty() {
        mounting.iter().map(|s| s.name.clone()).collect()
    } else {
        here
    };
    out.sort();
    out
}

async fn list_page(ctx: &Ctx, form: ObjectForm, error: Option<String>) -> AppResult<ListPage> {
    let snap = ctx.state.model.snapshot();
    let own = own_node(&ctx.state);
    let nodes: Vec<(String, String)> = snap
        .nodes()
        .iter()
        .filter(|n| n.is_ready() || n.id == own)
        .map(|n| (n.id.clone(), n.hostname.clone()))
        .collect();
    let reads = nodes.iter().map(|(id, host)| async move {
        let got = match reach(&ctx.state, id) {
            Ok(on) => on.volumes().await,
            Err(e) => Err(e),
        };
        (id.clone(), host.clone(), got)
    });
    let mut rows = Vec::new();
    let mut unseen = Vec::new();
    let mut seen = Vec::new();
    for (id, host, got) in futures_util::future::join_all(reads).await {
        match got {
            Ok(vs) => {
                seen.push((id.clone(), host.clone()));
                rows.extend(vs.into_iter().map(|mut v| {
                    v.services = users(&v, snap.services());
                    NodeVolume {
                        node_id: id.clone(),
                        node: host.clone(),
                        v,
                    }
                }))
            }
            Err(_) => unseen.push(host),
        }
    }
    rows.sort_by(|a, b| a.v.name.cmp(&b.v.name).then(a.node.cmp(&b.node)));
    let chosen = if form.node.is_empty() {
        own.clone()
    } else {
        form.node.clone()
    };
    let nodes = seen
        .into_iter()
        .map(|(id, hostname)| NodeChoice {
            selected: id == chosen,
            id,
            hostname,
        })
        .collect();
    Ok(ListPage {
        layout: ctx.layout("Volumes", "volumes"),
        rows,
        unseen,
        nodes,
        form,
        error,
    })
}

pub async fn list(ctx: Ctx) -> AppResult<Response> {
    Ok(list_page(&ctx, ObjectForm::default(), None)
        .await?
        .into_response())
}

/// The node a form names (`node`), berth's own when empty; its hostname.
fn chosen_node(ctx: &Ctx, node: &str) -> AppResult<(String, String)> {
    let id = if node.is_empty() {
        own_node(&ctx.state)
    } else {
        node.to_string()
    };
    let snap = ctx.state.model.snapshot();
    snap.nodes()
        .iter()
        .find(|n| n.id == id)
        .map(|n| (n.id.clone(), n.hostname.clone()))
        .ok_or_else(|| AppError::BadRequest(format!("There is no node {id:?}.")))
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
    let (node_id, host) = chosen_node(&ctx, &f.node)?;
    let name = req.name.clone().unwrap_or_default();
    let target = format!("{host}/{name}");
    let created = match reach(&ctx.state, &node_id) {
        Ok(on) => on.create_volume(req).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(_) => {
            ctx.audit(Action::VolumeCreate, &target, Outcome::Ok, None)
                .await;
            let msg = format!("Created the volume {name} on {host}.");
            Ok(ctx.redirect_with(urls::VOLUMES, FlashKind::Ok, &msg).await)
        }
        Err(m) => {
            ctx.audit(Action::VolumeCreate, &target, Outcome::Failed, Some(&m))
                .await;
            let page = list_page(&ctx, f, Some(m)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `POST /volumes/{name}/remove` (field `node`: the node's id, berth's own when empty).
pub async fn remove(ctx: Ctx, Path(name): Path<String>, f: ObjectForm) -> AppResult<Response> {
    check_ref("volume", &name)?;
    let (node_id, host) = chosen_node(&ctx, &f.node)?;
    let target = format!("{host}/{name}");
    let refusal = match reach(&ctx.state, &node_id) {
        Err(e) => Some(e),
        Ok(on) => on
            .remove_volume(&name)
            .await
            .err()
            .map(|r| r.message(&format!("The volume {name}"))),
    };
    if let Some(m) = refusal {
        ctx.audit(Action::VolumeRemove, &target, Outcome::Denied, Some(&m))
            .await;
        return Ok(ctx.redirect_with(urls::VOLUMES, FlashKind::Error, &m).await);
    }
    ctx.audit(Action::VolumeRemove, &target, Outcome::Ok, None)
        .await;
    let msg = format!("Removed the volume {name} from {host}.");
    Ok(ctx.redirect_with(urls::VOLUMES, FlashKind::Ok, &msg).await)
}
