//! The stacks pages' live parts as server-sent events from the model (see
//! [`crate::web::live`]): the list's rows and a stack's services and tasks.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};

use super::detail::{LivePart, live_from_model, stack_fp};
use super::list::{Rows, list_fp, rows};
use super::name_or_404;
use crate::AppState;
use crate::web::extract::{Rights, part_key};
use crate::web::live::{self, Rendered, Seen};
use crate::web::urls;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(urls::STACKS_EVENTS, get(list_events))
        .route(urls::route::STACK_EVENTS, get(detail_events))
}

async fn list_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(seen): Query<Seen>,
) -> Response {
    live::from_model(
        &state,
        &headers,
        urls::STACKS_LIVE.to_string(),
        seen.fp,
        list_fp,
        |state, snap| async move {
            if !live::model_live(&snap) {
                return None;
            }
            // berth's history (last deploy) is read with the swarm's stacks
            let (rows, _) = rows(&state)
                .await
                .map_err(|e| tracing::warn!("stacks live rows: {e}"))
                .ok()?;
            live::html(&Rows { rows }).map(Rendered::Html)
        },
    )
}

async fn detail_events(
    State(state): State<AppState>,
    rights: Option<Extension<Rights>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(seen): Query<Seen>,
) -> Response {
    let rights = rights.map(|Extension(r)| r);
    let name = match name_or_404(&name) {
        Ok(n) => n,
        Err(e) => return axum::response::IntoResponse::into_response(e),
    };
    let fresh = state.freshness.clone();
    live::from_model(
        &state,
        &headers,
        part_key(&urls::stack_action(&name, "live"), rights.as_ref()),
        seen.fp,
        stack_fp,
        move |_, snap| {
            let name = name.clone();
            let fresh = fresh.clone();
            let rights = rights.clone();
            async move {
                if !live::model_live(&snap) {
                    return None;
                }
                let (live, mut tasks) = live_from_model(&snap, &name, &fresh);
                crate::web::services::gate_consoles(&mut tasks, rights.as_ref(), &name);
                live::html(&LivePart { live, tasks }).map(Rendered::Html)
            }
        },
    )
}
