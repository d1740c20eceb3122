//! `/secrets`, `/configs`, `/networks`, `/volumes`: the swarm's objects with the services
//! using each (read from the live model), inspect, create, remove (refused while in use,
//! naming the users) and, for secrets and configs, rotation.

pub mod files;
pub mod form;
pub mod networks;
pub mod volumes;

use axum::routing::{get, post};

use super::policy::{Need, Rule, rule};
use super::urls;
use crate::AppState;
use crate::error::AppError;

/// Who may use each route (see `web::policy`): everyone signed in reads, operators and admins
/// change the swarm's objects.
pub const POLICY: &[Rule] = &[
    rule("GET", urls::SECRETS, Need::Read),
    rule("POST", urls::SECRETS, Need::Operate),
    rule("GET", urls::route::SECRET, Need::Read),
    rule("POST", urls::route::SECRET_REMOVE, Need::Operate),
    rule("GET", urls::route::SECRET_ROTATE, Need::Operate),
    rule("POST", urls::route::SECRET_ROTATE, Need::Operate),
    rule("GET", urls::route::SECRET_USERS, Need::Read),
    rule("GET", urls::CONFIGS, Need::Read),
    rule("POST", urls::CONFIGS, Need::Operate),
    rule("GET", urls::route::CONFIG, Need::Read),
    rule("POST", urls::route::CONFIG_REMOVE, Need::Operate),
    rule("GET", urls::route::CONFIG_ROTATE, Need::Operate),
    rule("POST", urls::route::CONFIG_ROTATE, Need::Operate),
    rule("GET", urls::route::CONFIG_USERS, Need::Read),
    rule("GET", urls::NETWORKS, Need::Read),
    rule("POST", urls::NETWORKS, Need::Operate),
    rule("GET", urls::route::NETWORK, Need::Read),
    rule("POST", urls::route::NETWORK_REMOVE, Need::Operate),
    rule("GET", urls::VOLUMES, Need::Read),
    rule("POST", urls::VOLUMES, Need::Operate),
    rule("POST", urls::route::VOLUME_REMOVE, Need::Operate),
];

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            urls::SECRETS,
            get(files::secrets).post(files::create_secret),
        )
        .route(urls::route::SECRET, get(files::secret))
        .route(urls::route::SECRET_REMOVE, post(files::remove_secret))
        .route(
            urls::route::SECRET_ROTATE,
            get(files::rotate_secret_form).post(files::rotate_secret),
        )
        .route(urls::route::SECRET_USERS, get(files::secret_users))
        .route(
            urls::CONFIGS,
            get(files::configs).post(files::create_config),
        )
        .route(urls::route::CONFIG, get(files::config))
        .route(urls::route::CONFIG_REMOVE, post(files::remove_config))
        .route(
            urls::route::CONFIG_ROTATE,
            get(files::rotate_config_form).post(files::rotate_config),
        )
        .route(urls::route::CONFIG_USERS, get(files::config_users))
        .route(urls::NETWORKS, get(networks::list).post(networks::create))
        .route(urls::route::NETWORK, get(networks::show))
        .route(urls::route::NETWORK_REMOVE, post(networks::remove))
        .route(urls::VOLUMES, get(volumes::list).post(volumes::create))
        .route(urls::route::VOLUME_REMOVE, post(volumes::remove))
}

/// Ids and names in the URL: plain characters only.
fn check_ref(what: &str, id: &str) -> Result<(), AppError> {
    if crate::docker::raw::is_plain_ref(id) {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("There is no {what} {id:?}.")))
    }
}

/// A service using an object, as a row.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub name: String,
    pub url: String,
    pub stack: String,
    pub replicas: String,
    pub replicas_class: &'static str,
    /// the rolling update's state ("updating", "updated", …), empty when none
    pub update: &'static str,
    pub update_class: &'static str,
}

impl UserRow {
    pub fn from_summary(s: &crate::docker::services::ServiceSummary) -> UserRow {
        UserRow {
            name: s.name.clone(),
            url: urls::service(&s.id),
            stack: s.stack.clone(),
            replicas: format!("{}/{}", s.running, s.desired),
            replicas_class: s.replicas_class(),
            update: s.update.as_ref().map_or("", |u| u.label()),
            update_class: s.update.as_ref().map_or("", |u| u.class()),
        }
    }
}
