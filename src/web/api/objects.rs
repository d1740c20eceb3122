//! `/api/v1/secrets`, `/api/v1/configs`, `/api/v1/networks`, `/api/v1/volumes`: what the
//! objects pages show and do. Reading needs a read or operate token; changes an operate token
//! (a deploy token gets 403: these objects are shared between stacks). Audited as the pages
//! audit them, never a secret's value.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiAuth;
use super::cluster::{body, record};
use super::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;
use crate::db::audit::{self, Action};
use crate::docker::objects::networks::{self, NetworkInput};
use crate::docker::objects::{self, Kind, NewObject};
use crate::web::objects::files::rotate_object;
use crate::web::objects::networks::network_users;

fn docker(state: &AppState) -> ApiResult<bollard::Docker> {
    Ok(state
        .docker
        .manager()
        .map_err(crate::error::AppError::from)?)
}

fn docker_err(e: crate::docker::DockerError) -> ApiError {
    crate::error::AppError::from(e).into()
}

fn check_id(id: &str) -> ApiResult<()> {
    if crate::docker::raw::is_plain_ref(id) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "There is nothing named {id:?}."
        )))
    }
}

fn invalid(m: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m)
}

/// A secret or config (never its data) with the services using it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectView {
    pub id: String,
    pub name: String,
    /// the stack it belongs to (empty: none)
    pub stack: String,
    pub created: Option<i64>,
    /// names of the services whose spec mounts it
    pub services: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectsBody {
    pub objects: Vec<ObjectView>,
}

fn list_of(state: &AppState, kind: Kind) -> ObjectsBody {
    let snap = state.model.snapshot();
    let all = match kind {
        Kind::Secret => snap.secrets(),
        Kind::Config => snap.configs(),
    };
    ObjectsBody {
        objects: all
            .iter()
            .map(|o| ObjectView {
                id: o.id.clone(),
                name: o.name.clone(),
                stack: o.stack.clone(),
                created: o.created,
                services: objects::users(snap.services(), kind, &o.id)
                    .into_iter()
                    .map(|s| s.name.clone())
                    .collect(),
            })
            .collect(),
    }
}

/// `GET /api/v1/secrets`
#[utoipa::path(get, path = "/api/v1/secrets", tag = "objects", summary = "Secrets (never their values) with their users",
    security(("token" = [])),
    responses((status = 200, body = ObjectsBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody)))]
pub async fn secrets(State(state): State<AppState>, auth: ApiAuth) -> ApiResult<Json<ObjectsBody>> {
    auth.require_read_all()?;
    Ok(Json(list_of(&state, Kind::Secret)))
}

/// `GET /api/v1/configs`
#[utoipa::path(get, path = "/api/v1/configs", tag = "objects", summary = "Configs with their users",
    security(("token" = [])),
    responses((status = 200, body = ObjectsBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody)))]
pub async fn configs(State(state): State<AppState>, auth: ApiAuth) -> ApiResult<Json<ObjectsBody>> {
    auth.require_read_all()?;
    Ok(Json(list_of(&state, Kind::Config)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateObjectBody {
    pub name: String,
    /// the value (UTF-8 text; at most 500 KiB)
    pub data: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectRef {
    pub id: String,
    pub name: String,
}

fn labels_text(l: &BTreeMap<String, String>) -> String {
    l.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
}

async fn create(
    state: AppState,
    auth: ApiAuth,
    kind: Kind,
    req: Request,
) -> ApiResult<(StatusCode, Json<ObjectRef>)> {
    auth.require_operate()?;
    let b: CreateObjectBody = body(&state, req).await?;
    objects::check_name(kind, &b.name).map_err(invalid)?;
    objects::check_data(kind, b.data.as_bytes()).map_err(invalid)?;
    let labels = objects::parse_labels(&labels_text(&b.labels)).map_err(invalid)?;
    let action = match kind {
        Kind::Secret => Action::SecretCreate,
        Kind::Config => Action::ConfigCreate,
    };
    let new = NewObject {
        kind,
        name: &b.name,
        data: b.data.as_bytes(),
        labels,
        templating: None,
        driver: None,
    };
    match objects::create(&docker(&state)?, new).await {
        Ok(id) => {
            record(
                &state,
                &auth,
                action,
                &b.name,
                audit::Outcome::Ok,
                "created",
            )
            .await;
            state.model.resync();
            Ok((StatusCode::CREATED, Json(ObjectRef { id, name: b.name })))
        }
        Err(e) => {
            record(
                &state,
                &auth,
                action,
                &b.name,
                audit::Outcome::Failed,
                &e.user_message(),
            )
            .await;
            Err(docker_err(e))
        }
    }
}

/// `POST /api/v1/secrets` `{"name", "data", "labels"}` (operate)
#[utoipa::path(post, path = "/api/v1/secrets", tag = "objects", summary = "Create a secret",
    security(("token" = [])), request_body = CreateObjectBody,
    responses((status = 201, body = ObjectRef), (status = "4XX", description = "refused: see error.code", body = ErrorBody)))]
pub async fn create_secret(
    State(state): State<AppState>,
    auth: ApiAuth,
    req: Request,
) -> ApiResult<(StatusCode, Json<ObjectRef>)> {
    create(state, auth, Kind::Secret, req).await
}

/// `POST /api/v1/configs` `{"name", "data", "labels"}` (operate)
#[utoipa::path(post, path = "/api/v1/configs", tag = "objects", summary = "Create a config",
    security(("token" = [])), request_body = CreateObjectBody,
    responses((status = 201, body = ObjectRef), (status = "4XX", description = "refused: see error.code", body = ErrorBody)))]
pub async fn create_config(
    State(state): State<AppState>,
    auth: ApiAuth,
    req: Request,
) -> ApiResult<(StatusCode, Json<ObjectRef>)> {
    create(state, auth, Kind::Config, req).await
}

async fn remove(
    state: AppState,
    auth: ApiAuth,
    kind: Kind,
    id: String,
) -> ApiResult<Json<ObjectRef>> {
    auth.require_operate()?;
    check_id(&id)?;
    let docker = docker(&state)?;
    let d = objects::inspect(&docker, kind, &id)
        .await
        .map_err(docker_err)?;
    let action = match kind {
        Kind::Secret => Action::SecretRemove,
        Kind::Config => Action::ConfigRemove,
    };
    let users = objects::rotate::current_users(&docker, kind, &d.id)
        .await
        .map_err(docker_err)?;
    let names: Vec<&str> = users.iter().map(|(_, n)| n.as_str()).collect();
    if let Some(m) = objects::in_use_message(kind, &d.name, &names) {
        record(&state, &auth, action, &d.name, audit::Outcome::Denied, &m).await;
        return Err(ApiError::new(StatusCode::CONFLICT, "conflict", m));
    }
    if let Err(e) = objects::remove(&docker, kind, &d.id).await {
        record(
            &state,
            &auth,
            action,
            &d.name,
            audit::Outcome::Failed,
            &e.user_message(),
        )
        .await;
        return Err(docker_err(e));
    }
    record(
        &state,
        &auth,
        action,
        &d.name,
        audit::Outcome::Ok,
        "removed",
    )
    .await;
    state.model.resync();
    Ok(Json(ObjectRef {
        id: d.id,
        name: d.name,
    }))
}

/// `DELETE /api/v1/secrets/{id}` (operate; 409 while a service uses it, naming them)
#[utoipa::path(delete, path = "/api/v1/secrets/{id}", tag = "objects", summary = "Remove a secret",
    security(("token" = [])), params(("id" = String, Path, description = "id or name")),
    responses((status = 200, body = ObjectRef), (status = "4XX", description = "refused: see error.code", body = ErrorBody)))]
pub async fn remove_secret(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ObjectRef>> {
    remove(state, auth, Kind::Secret, id).await
}

/// `DELETE /api/v1/configs/{id}` (operate; 409 while a service uses it, naming them)
#[utoipa::path(delete, path = "/api/v1/configs/{id}", tag = "objects", summary = "Remove a config",
    security(("token" = [])), params(("id" = String, Path, description = "id or name")),
    responses((status = 200, body = ObjectRef), (status = "4XX", description = "refused: see error.code", body = ErrorBody)))]
pub async fn remove_config(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ObjectRef>> {
    remove(state, auth, Kind::Config, id).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateBody {
    /// the new value (UTF-8 text; at most 500 KiB)
    pub data: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailedService {
    pub service: String,
    pub error: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedBody {
    pub old: ObjectRef,
    pub new: ObjectRef,
    /// services moved to the new object (their tasks restart)
    pub updated: Vec<String>,
    /// services that could not be moved (the old object stays)
    pub failed: Vec<FailedService>,
    pub summary: String,
}

async fn rotate(
    state: AppState,
    auth: ApiAuth,
    kind: Kind,
    id: String,
    req: Request,
) -> ApiResult<Json<RotatedBody>> {
    auth.require_operate()?;
    check_id(&id)?;
    let b: RotateBody = body(&state, req).await?;
    objects::check_data(kind, b.data.as_bytes()).map_err(invalid)?;
    let docker = docker(&state)?;
    let d = objects::inspect(&docker, kind, &id)
        .await
        .map_err(docker_err)?;
    let user = format!("{} (token {})", auth.username, auth.token_name);
    let o = rotate_object(
        &state,
        &user,
        auth.ip.as_deref(),
        kind,
        &d,
        b.data.as_bytes(),
    )
    .await
    .map_err(|m| ApiError::new(StatusCode::CONFLICT, "refused", m))?;
    Ok(Json(RotatedBody {
        old: ObjectRef {
            id: d.id,
            name: d.name,
        },
        new: ObjectRef {
            id: o.rotated.new_id,
            name: o.rotated.new_name,
        },
        updated: o.rotated.updated.into_iter().map(|c| c.name).collect(),
        failed: o
            .rotated
            .failed
            .into_iter()
            .map(|(service, error)| FailedService { service, error })
            .collect(),
        summary: o.summary,
    }))
}

/// `POST /api/v1/secrets/{id}/rotate` `{"data"}` (operate): a new version, every user moved to
/// it, the old one removed once their updates completed.
#[utoipa::path(post, path = "/api/v1/secrets/{id}/rotate", tag = "objects", summary = "Rotate a secret",
    security(("token" = [])), params(("id" = String, Path, description = "id or name")), request_body = RotateBody,
    responses((status = 200, body = RotatedBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Json<RotatedBody>> {
    rotate(state, auth, Kind::Secret, id, req).await
}

/// `POST /api/v1/configs/{id}/rotate` `{"data"}` (operate)
#[utoipa::path(post, path = "/api/v1/configs/{id}/rotate", tag = "objects", summary = "Rotate a config",
    security(("token" = [])), params(("id" = String, Path, description = "id or name")), request_body = RotateBody,
    responses((status = 200, body = RotatedBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody)))]
pub async fn rotate_config(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Json<RotatedBody>> {
    rotate(state, auth, Kind::Config, id, req).await
}

// ---- networks -----------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkView {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub stack: String,
    pub attachable: bool,
    pub internal: bool,
    pub ingress: bool,
    /// names of the services attached
    pub services: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NetworksBody {
    pub networks: Vec<NetworkView>,
}

/// `GET /api/v1/networks`
#[utoipa::path(get, path = "/api/v1/networks", tag = "objects", summary = "Swarm networks with the services attached",
    security(("token" = [])),
    responses((status = 200, body = NetworksBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody)))]
pub async fn list_networks(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> ApiResult<Json<NetworksBody>> {
    auth.require_read_all()?;
    let snap = state.model.snapshot();
    Ok(Json(NetworksBody {
        networks: snap
            .networks()
            .iter()
            .map(|n| NetworkView {
                id: n.id.clone(),
                name: n.name.clone(),
                driver: n.driver.clone(),
                stack: n.stack.clone(),
                attachable: n.attachable,
                internal: n.internal,
                ingress: n.ingress,
                services: network_users(snap.services(), &n.id, &n.name)
                    .into_iter()
                    .map(|s| s.name.clone())
                    .collect(),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNetworkBody {
    pub name: String,
    #[serde(default)]
    pub attachable: bool,
    #[serde(default)]
    pub encrypted: bool,
    #[serde(default)]
    pub internal: bool,
    /// e.g. `10.20.0.0/24`
    #[serde(default)]
    pub subnet: String,
    #[serde(default)]
    pub gateway: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// `POST /api/v1/networks` (operate): an overlay network.
#[utoipa::path(post, path = "/api/v1/networks", tag = "objects", summary = "Create an overlay network",
    security(("token" = [])), request_body = CreateNetworkBody,
    responses((status = 201, body = ObjectRef), (status = "4XX", description = "refused: see error.code", body = ErrorBody)))]
pub async fn create_network(
    State(state): State<AppState>,
    auth: ApiAuth,
    req: Request,
) -> ApiResult<(StatusCode, Json<ObjectRef>)> {
    auth.require_operate()?;
    let b: CreateNetworkBody = body(&state, req).await?;
    let input = NetworkInput {
        name: b.name.clone(),
        attachable: b.attachable,
        encrypted: b.encrypted,
        internal: b.internal,
        subnet: b.subnet,
        gateway: b.gateway,
        labels: labels_text(&b.labels),
    };
    let r = networks::check(&input).map_err(invalid)?;
    let name = r.name.clone();
    match networks::create(&docker(&state)?, r).await {
        Ok(id) => {
            record(
                &state,
                &auth,
                Action::NetworkCreate,
                &name,
                audit::Outcome::Ok,
                "overlay",
            )
            .await;
            state.model.resync();
            Ok((StatusCode::CREATED, Json(ObjectRef { id, name })))
        }
        Err(e) => {
            record(
                &state,
                &auth,
                Action::NetworkCreate,
                &name,
                audit::Outcome::Failed,
                &e.user_message(),
            )
            .await;
            Err(docker_err(e))
        }
    }
}

/// `DELETE /api/v1/networks/{id}` (operate; 409 while a service is attached)
#[utoipa::path(delete, path = "/api/v1/networks/{id}", tag = "objects", summary = "Remove a network",
    security(("token" = [])), params(("id" = String, Path, description = "id or name")),
    responses((status = 200, body = ObjectRef), (status = "4XX", description = "refused: see error.code", body = ErrorBody)))]
pub async fn remove_network(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ObjectRef>> {
    auth.require_operate()?;
    check_id(&id)?;
    let docker = docker(&state)?;
    let n = networks::inspect(&docker, &id).await.map_err(docker_err)?;
    let snap = state.model.snapshot();
    let users: Vec<String> = network_users(snap.services(), &n.id, &n.name)
        .into_iter()
        .map(|s| s.name.clone())
        .collect();
    if !users.is_empty() {
        let m = format!("The network {} is in use by: {}.", n.name, users.join(", "));
        record(
            &state,
            &auth,
            Action::NetworkRemove,
            &n.name,
            audit::Outcome::Denied,
            &m,
        )
        .await;
        return Err(ApiError::new(StatusCode::CONFLICT, "conflict", m));
    }
    if let Err(e) = networks::remove(&docker, &n.id).await {
        record(
            &state,
            &auth,
            Action::NetworkRemove,
            &n.name,
            audit::Outcome::Failed,
            &e.user_message(),
        )
        .await;
        return Err(docker_err(e));
    }
    record(
        &state,
        &auth,
        Action::NetworkRemove,
        &n.name,
        audit::Outcome::Ok,
        "removed",
    )
    .await;
    state.model.resync();
    Ok(Json(ObjectRef {
        id: n.id,
        name: n.name,
    }))
}

// ---- volumes ------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct VolumeView {
    pub name: String,
    pub driver: String,
    pub stack: String,
    /// containers on the manager mounting it
    pub containers: Vec<String>,
    /// services whose spec mounts a volume of this name
    pub services: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VolumesBody {
    /// the node the volumes are on (berth's manager)
    pub node: String,
    pub volumes: Vec<VolumeView>,
}

/// `GET /api/v1/volumes`: the manager's volumes.
#[utoipa::path(get, path = "/api/v1/volumes", tag = "objects", summary = "The manager's volumes with their users",
    security(("token" = [])),
    responses((status = 200, body = VolumesBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody)))]
pub async fn list_volumes(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> ApiResult<Json<VolumesBody>> {
    auth.require_read_all()?;
    let snap = state.model.snapshot();
    let rows = objects::volumes::list(&docker(&state)?, snap.services())
        .await
        .map_err(docker_err)?;
    let node = match state.docker.status().status {
        crate::docker::DockerStatus::Manager(m) => m.hostname,
        _ => String::new(),
    };
    Ok(Json(VolumesBody {
        node,
        volumes: rows
            .into_iter()
            .map(|v| VolumeView {
                name: v.name,
                driver: v.driver,
                stack: v.stack,
                containers: v.containers,
                services: v.services,
            })
            .collect(),
    }))
}
