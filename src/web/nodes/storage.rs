//! A node's images and volumes (`/nodes/{id}/storage`): read through the node's berth agent
//! (berth's own node through its own Docker socket when it has no agent), with remove (refused
//! while a container uses it, naming the containers) and prune (dangling images, unused
//! anonymous volumes). Plain form POSTs, CSRF-checked by the session layer, each audited.
//! The node page itself makes no Docker or agent call: it loads this part with htmx, and links
//! to it for a browser without JavaScript.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::agent::storage::On;
use crate::db::audit::{Action, Outcome};
use crate::docker::DockerStatus;
use crate::docker::objects::images::{self, ImageRow, Pruned};
use crate::docker::objects::volumes::VolumeRow;
use crate::error::{AppError, AppResult};
use crate::web::fmt;
use crate::web::page::{Ctx, FlashKind, Layout};
use crate::web::urls;

/// Most characters of a form field here (an image id is 71).
const MAX_FIELD: usize = 300;

pub struct ImageView {
    pub id: String,
    pub short: String,
    pub tags: Vec<String>,
    pub size: String,
    pub containers: Vec<String>,
    pub dangling: bool,
}

impl ImageView {
    fn from(r: &ImageRow) -> ImageView {
        ImageView {
            id: r.id.clone(),
            short: images::short(&r.id),
            tags: r.tags.clone(),
            size: fmt::bytes(r.size),
            containers: r.containers.clone(),
            dangling: r.dangling,
        }
    }
}

pub struct StorageView {
    pub node_id: String,
    pub hostname: String,
    pub images: Vec<ImageView>,
    pub volumes: Vec<VolumeRow>,
    /// why the node's images and volumes cannot be read
    pub missing: Option<String>,
    pub remove_image_url: String,
    pub prune_images_url: String,
    pub remove_volume_url: String,
    pub prune_volumes_url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "nodes/storage.html")]
struct StoragePage {
    layout: Layout,
    s: StorageView,
}

#[derive(Template, WebTemplate)]
#[template(path = "nodes/_storage.html")]
struct StoragePartial {
    layout: Layout,
    s: StorageView,
}

/// The node berth's Docker socket belongs to (its manager), if known.
pub fn own_node(state: &crate::AppState) -> String {
    match state.docker.status().status {
        DockerStatus::Manager(m) => m.node_id,
        _ => String::new(),
    }
}

/// How berth reaches `node_id`'s images and volumes.
pub fn reach<'a>(state: &'a crate::AppState, node_id: &str) -> Result<On<'a>, String> {
    On::node(
        &state.agents,
        state.docker.manager().ok(),
        &own_node(state),
        node_id,
    )
}

/// The node's id and hostname from the model; 404 for an unknown node.
fn node(ctx: &Ctx, id: &str) -> AppResult<(String, String)> {
    let snap = ctx.state.model.snapshot();
    snap.nodes()
        .iter()
        .find(|n| n.id == id || n.hostname == id)
        .map(|n| (n.id.clone(), n.hostname.clone()))
        .ok_or_else(|| AppError::NotFound(format!("There is no node {id:?}.")))
}

async fn view(ctx: &Ctx, id: &str) -> AppResult<StorageView> {
    let (node_id, hostname) = node(ctx, id)?;
    let mut v = StorageView {
        remove_image_url: urls::node_action(&node_id, "images/remove"),
        prune_images_url: urls::node_action(&node_id, "images/prune"),
        remove_volume_url: urls::node_action(&node_id, "volumes/remove"),
        prune_volumes_url: urls::node_action(&node_id, "volumes/prune"),
        node_id,
        hostname,
        images: Vec::new(),
        volumes: Vec::new(),
        missing: None,
    };
    let on = match reach(&ctx.state, &v.node_id) {
        Ok(on) => on,
        Err(why) => {
            v.missing = Some(why);
            return Ok(v);
        }
    };
    let (imgs, vols) = tokio::join!(on.images(), on.volumes());
    match (imgs, vols) {
        (Ok(i), Ok(vs)) => {
            v.images = i.iter().map(ImageView::from).collect();
            v.volumes = vs;
        }
        (Err(e), _) | (_, Err(e)) => v.missing = Some(e),
    }
    Ok(v)
}

/// `GET /nodes/{id}/storage`: the page, or the part alone for htmx (the node page loads it).
pub async fn page(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let s = view(&ctx, &id).await?;
    let title = format!("Images and volumes on {}", s.hostname);
    let layout = ctx.layout(title, "nodes");
    Ok(if ctx.htmx {
        StoragePartial { layout, s }.into_response()
    } else {
        StoragePage { layout, s }.into_response()
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TargetForm {
    image: String,
    name: String,
}

fn pruned(p: &Pruned, what: &str) -> String {
    format!(
        "Pruned {} {what}, {} freed.",
        p.removed,
        fmt::bytes(p.reclaimed)
    )
}

impl Ctx {
    async fn stored(
        &self,
        node_id: &str,
        action: Action,
        target: &str,
        result: Result<String, (Outcome, String)>,
    ) -> Response {
        let to = urls::node_action(node_id, "storage");
        match result {
            Ok(msg) => {
                self.audit(action, target, Outcome::Ok, None).await;
                self.redirect_with(&to, FlashKind::Ok, &msg).await
            }
            Err((outcome, why)) => {
                self.audit(action, target, outcome, Some(&why)).await;
                self.redirect_with(&to, FlashKind::Error, &why).await
            }
        }
    }
}

/// `POST /nodes/{id}/images/remove` (field `image`: its `sha256:` id).
pub async fn remove_image(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<TargetForm>,
) -> AppResult<Response> {
    let (node_id, hostname) = node(&ctx, &id)?;
    let image = f.image.trim().chars().take(MAX_FIELD).collect::<String>();
    let target = format!("{hostname}/{image}");
    let result = match (images::check_id(&image), reach(&ctx.state, &node_id)) {
        (Err(e), _) | (_, Err(e)) => Err((Outcome::Denied, e)),
        (Ok(()), Ok(on)) => {
            let what = format!("The image {}", images::short(&image));
            match on.remove_image(&image).await {
                Ok(()) => Ok(format!(
                    "Removed the image {} from {hostname}.",
                    images::short(&image)
                )),
                Err(r) => Err((Outcome::Denied, r.message(&what))),
            }
        }
    };
    Ok(ctx
        .stored(&node_id, Action::ImageRemove, &target, result)
        .await)
}

/// `POST /nodes/{id}/images/prune`: every dangling image of the node.
pub async fn prune_images(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let (node_id, hostname) = node(&ctx, &id)?;
    let result = match reach(&ctx.state, &node_id) {
        Err(e) => Err((Outcome::Denied, e)),
        Ok(on) => match on.prune_images().await {
            Ok(p) => Ok(pruned(&p, "dangling images")),
            Err(e) => Err((Outcome::Failed, e)),
        },
    };
    Ok(ctx
        .stored(&node_id, Action::ImagePrune, &hostname, result)
        .await)
}

/// `POST /nodes/{id}/volumes/remove` (field `name`).
pub async fn remove_volume(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<TargetForm>,
) -> AppResult<Response> {
    let (node_id, hostname) = node(&ctx, &id)?;
    let name = f.name.trim().chars().take(MAX_FIELD).collect::<String>();
    let target = format!("{hostname}/{name}");
    let checked = crate::docker::objects::volumes::check_name(&name);
    let result = match (checked, reach(&ctx.state, &node_id)) {
        (Err(e), _) | (_, Err(e)) => Err((Outcome::Denied, e)),
        (Ok(()), Ok(on)) => match on.remove_volume(&name).await {
            Ok(()) => Ok(format!("Removed the volume {name} from {hostname}.")),
            Err(r) => Err((Outcome::Denied, r.message(&format!("The volume {name}")))),
        },
    };
    Ok(ctx
        .stored(&node_id, Action::VolumeRemove, &target, result)
        .await)
}

/// `POST /nodes/{id}/volumes/prune`: the node's unused anonymous volumes (Docker's default).
pub async fn prune_volumes(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let (node_id, hostname) = node(&ctx, &id)?;
    let result = match reach(&ctx.state, &node_id) {
        Err(e) => Err((Outcome::Denied, e)),
        Ok(on) => match on.prune_volumes().await {
            Ok(p) => Ok(pruned(&p, "unused anonymous volumes")),
            Err(e) => Err((Outcome::Failed, e)),
        },
    };
    Ok(ctx
        .stored(&node_id, Action::VolumePrune, &hostname, result)
        .await)
}
