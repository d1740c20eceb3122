//! Swarm-wide actions that are not about one node or service: initialise a swarm.

use axum::Form;
use axum::response::Response;
use serde::Deserialize;

use super::page::{Ctx, FlashKind};
use super::urls;
use crate::db::audit::{Action, Outcome};
use crate::docker::{DockerStatus, swarm};
use crate::error::{AppError, AppResult};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InitForm {
    pub advertise_addr: String,
    /// the confirmation checkbox
    pub confirm: String,
}

/// `docker swarm init --advertise-addr ADDR`, after an explicit confirmation.
pub async fn init(ctx: Ctx, Form(f): Form<InitForm>) -> AppResult<Response> {
    if !ctx.session.is_admin {
        return Err(AppError::Forbidden(
            "Only an admin can initialise a swarm.".into(),
        ));
    }
    if !matches!(
        ctx.state.docker.status().status,
        DockerStatus::NotInSwarm { .. }
    ) {
        return Ok(ctx
            .redirect_with(
                urls::DASHBOARD,
                FlashKind::Error,
                "This engine is already part of a swarm (or unreachable); nothing was changed.",
            )
            .await);
    }
    let addr = match swarm::check_advertise_addr(&f.advertise_addr) {
        Ok(a) => a,
        Err(m) => {
            return Ok(ctx
                .redirect_with(urls::DASHBOARD, FlashKind::Error, m)
                .await);
        }
    };
    if f.confirm != "yes" {
        return Ok(ctx
            .redirect_with(
                urls::DASHBOARD,
                FlashKind::Error,
                "Tick the confirmation box to initialise a swarm.",
            )
            .await);
    }
    let docker = ctx.state.docker.client()?;
    match swarm::init(&docker, &addr).await {
        Ok(node_id) => {
            ctx.audit(
                Action::SwarmInit,
                &addr,
                Outcome::Ok,
                Some(&format!("node {node_id}")),
            )
            .await;
            ctx.state.docker.refresh().await;
            Ok(ctx
                .redirect_with(
                    urls::DASHBOARD,
                    FlashKind::Ok,
                    &format!("Swarm initialised; this engine is its first manager ({addr})."),
                )
                .await)
        }
        Err(e) => {
            ctx.audit(
                Action::SwarmInit,
                &addr,
                Outcome::Failed,
                Some(&e.user_message()),
            )
            .await;
            Ok(ctx
                .redirect_with(urls::DASHBOARD, FlashKind::Error, &e.user_message())
                .await)
        }
    }
}
