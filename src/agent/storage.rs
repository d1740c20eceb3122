//! A node's images and volumes, both sides: the agent's routes (behind its signature check)
//! run [`crate::docker::objects`]' functions against the node's Docker; berth reaches a node
//! through its agent, or berth's own node through its own Docker socket, with [`On`].
//!
//! Every answer of these routes is `200` with a JSON `Result` (`{"Ok": …}` / `{"Err": …}`), so
//! a refusal (an image in use, naming its containers) reaches the page as a reason, not as a
//! status code.

use axum::Json;
use bollard::Docker;
use bollard::models::VolumeCreateRequest;
use serde::{Deserialize, Serialize};

use super::client::AgentError;
use super::hub::Hub;
use crate::docker::objects::images::{self, ImageRow, Pruned, Refused};
use crate::docker::objects::volumes::{self, VolumeRow};

pub const IMAGES: &str = "/v1/images";
pub const IMAGE_REMOVE: &str = "/v1/images/remove";
pub const IMAGES_PRUNE: &str = "/v1/images/prune";
pub const VOLUMES: &str = "/v1/volumes";
pub const VOLUME_REMOVE: &str = "/v1/volumes/remove";
pub const VOLUMES_PRUNE: &str = "/v1/volumes/prune";

/// The body of a removal: the image's id or the volume's name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    pub target: String,
}

// ---- the agent's side ----------------------------------------------------------------------

pub async fn list_images(d: Docker) -> Json<Result<Vec<ImageRow>, String>> {
    Json(images::list(&d).await.map_err(|e| e.user_message()))
}

/// A request's JSON body (berth's client sends it without a content type; the signature
/// already vouches for it).
fn body<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T, String> {
    serde_json::from_slice(b).map_err(|e| format!("the agent could not read berth's request: {e}"))
}

pub async fn remove_image(d: Docker, b: axum::body::Bytes) -> Json<Result<(), Refused>> {
    match body::<Target>(&b) {
        Ok(t) => Json(images::remove(&d, &t.target).await),
        Err(e) => Json(Err(Refused::Docker(e))),
    }
}

pub async fn prune_images(d: Docker) -> Json<Result<Pruned, String>> {
    Json(images::prune(&d).await.map_err(|e| e.user_message()))
}

pub async fn list_volumes(d: Docker) -> Json<Result<Vec<VolumeRow>, String>> {
    Json(volumes::list(&d, &[]).await.map_err(|e| e.user_message()))
}

pub async fn create_volume(d: Docker, b: axum::body::Bytes) -> Json<Result<String, String>> {
    let req: VolumeCreateRequest = match body(&b) {
        Ok(r) => r,
        Err(e) => return Json(Err(e)),
    };
    let name = req.name.clone().unwrap_or_default();
    if let Err(e) = volumes::check_name(&name) {
        return Json(Err(e));
    }
    Json(volumes::create(&d, req).await.map_err(|e| e.user_message()))
}

pub async fn remove_volume(d: Docker, b: axum::body::Bytes) -> Json<Result<(), Refused>> {
    match body::<Target>(&b) {
        Ok(t) => Json(volumes::remove_unused(&d, &t.target).await),
        Err(e) => Json(Err(Refused::Docker(e))),
    }
}

pub async fn prune_volumes(d: Docker) -> Json<Result<Pruned, String>> {
    Json(volumes::prune(&d).await.map_err(|e| e.user_message()))
}

// ---- berth's side ---------------------------------------------------------------------------

/// Where a node's images and volumes are reached.
pub enum On<'a> {
    /// the node's berth agent
    Agent { hub: &'a Hub, node_id: String },
    /// berth's own node, through berth's Docker socket
    Local(Docker),
}

fn agent_err(e: AgentError) -> String {
    e.to_string()
}

impl On<'_> {
    /// How berth reaches `node_id`: its agent when one answers, else berth's own socket when
    /// it is berth's node (`own`), else why it cannot.
    pub fn node<'a>(
        hub: &'a Hub,
        local: Option<Docker>,
        own: &str,
        node_id: &str,
    ) -> Result<On<'a>, String> {
        if hub.agent_addr(node_id).is_some() {
            return Ok(On::Agent {
                hub,
                node_id: node_id.to_string(),
            });
        }
        match local {
            Some(d) if node_id == own => Ok(On::Local(d)),
            _ => Err(
                "No berth agent answers for this node: its images and volumes cannot be seen."
                    .into(),
            ),
        }
    }

    async fn ask<T: serde::de::DeserializeOwned, B: Serialize>(
        hub: &Hub,
        node_id: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, String> {
        let body = match body {
            Some(b) => serde_json::to_vec(b).map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        hub.call::<T>(node_id, method, path, body)
            .await
            .map_err(agent_err)
    }

    pub async fn images(&self) -> Result<Vec<ImageRow>, String> {
        match self {
            On::Local(d) => images::list(d).await.map_err(|e| e.user_message()),
            On::Agent { hub, node_id } => {
                Self::ask::<Result<_, String>, ()>(hub, node_id, reqwest::Method::GET, IMAGES, None)
                    .await?
            }
        }
    }

    pub async fn remove_image(&self, id: &str) -> Result<(), Refused> {
        match self {
            On::Local(d) => images::remove(d, id).await,
            On::Agent { hub, node_id } => {
                let t = Target {
                    target: id.to_string(),
                };
                Self::ask::<Result<(), Refused>, _>(
                    hub,
                    node_id,
                    reqwest::Method::POST,
                    IMAGE_REMOVE,
                    Some(&t),
                )
                .await
                .map_err(Refused::Docker)?
            }
        }
    }

    pub async fn prune_images(&self) -> Result<Pruned, String> {
        match self {
            On::Local(d) => images::prune(d).await.map_err(|e| e.user_message()),
            On::Agent { hub, node_id } => {
                Self::ask::<Result<_, String>, ()>(
                    hub,
                    node_id,
                    reqwest::Method::POST,
                    IMAGES_PRUNE,
                    None,
                )
                .await?
            }
        }
    }

    pub async fn volumes(&self) -> Result<Vec<VolumeRow>, String> {
        match self {
            On::Local(d) => volumes::list(d, &[]).await.map_err(|e| e.user_message()),
            On::Agent { hub, node_id } => {
                Self::ask::<Result<_, String>, ()>(
                    hub,
                    node_id,
                    reqwest::Method::GET,
                    VOLUMES,
                    None,
                )
                .await?
            }
        }
    }

    pub async fn create_volume(&self, req: VolumeCreateRequest) -> Result<String, String> {
        match self {
            On::Local(d) => volumes::create(d, req).await.map_err(|e| e.user_message()),
            On::Agent { hub, node_id } => {
                Self::ask::<Result<_, String>, _>(
                    hub,
                    node_id,
                    reqwest::Method::POST,
                    VOLUMES,
                    Some(&req),
                )
                .await?
            }
        }
    }

    pub async fn remove_volume(&self, name: &str) -> Result<(), Refused> {
        match self {
            On::Local(d) => volumes::remove_unused(d, name).await,
            On::Agent { hub, node_id } => {
                let t = Target {
                    target: name.to_string(),
                };
                Self::ask::<Result<(), Refused>, _>(
                    hub,
                    node_id,
                    reqwest::Method::POST,
                    VOLUME_REMOVE,
                    Some(&t),
                )
                .await
                .map_err(Refused::Docker)?
            }
        }
    }

    pub async fn prune_volumes(&self) -> Result<Pruned, String> {
        match self {
            On::Local(d) => volumes::prune(d).await.map_err(|e| e.user_message()),
            On::Agent { hub, node_id } => {
                Self::ask::<Result<_, String>, ()>(
                    hub,
                    node_id,
                    reqwest::Method::POST,
                    VOLUMES_PRUNE,
                    None,
                )
                .await?
            }
        }
    }
}
