//! The services pages' live parts as server-sent events from the model (see
//! [`crate::web::live`]): the list's table (with its query) and a service's live part.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

use super::check_id;
use super::detail::{GonePartial, live_from_model, service_fp};
use super::list::{ListQuery, TablePartial, list_fp, table};
use crate::AppState;
use crate::web::extract::{Rights, part_key};
use crate::web::live::{self, Rendered, Seen};
use crate::web::urls;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(urls::SERVICES_EVENTS, get(list_events))
        .route(urls::route::SERVICE_EVENTS, get(detail_events))
}

async fn list_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
    Query(seen): Query<Seen>,
) -> Response {
    let fresh = state.freshness.clone();
    live::from_model(
        &state,
        &headers,
        format!("{}?{}", urls::SERVICES, q.query_string()),
        seen.fp,
        list_fp,
        move |_, snap| {
            let q = q.clone();
            let fresh = fresh.clone();
            async move {
                if !live::model_live(&snap) {
                    return None;
                }
                let (_, t) = table(snap.services_list(None), &q, None, list_fp(&snap), &fresh);
                live::html(&TablePartial { t }).map(Rendered::Html)
            }
        },
    )
}

async fn detail_events(
    State(state): State<AppState>,
    rights: Option<Extension<Rights>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(seen): Query<Seen>,
) -> Response {
    let rights = rights.map(|Extension(r)| r);
    if let Err(e) = check_id(&id) {
        return e.into_response();
    }
    let fp_id = id.clone();
    live::from_model(
        &state,
        &headers,
        part_key(&urls::service_action(&id, "live"), rights.as_ref()),
        seen.fp,
        move |snap| service_fp(snap, &fp_id),
        move |_, snap| {
            let id = id.clone();
            let rights = rights.clone();
            async move {
                if !live::model_live(&snap) {
                    return None;
                }
                match live_from_model(&snap, &id, rights.as_ref()) {
                    Some(part) => live::html(&part).map(Rendered::Html),
                    None => live::html(&GonePartial {
                        services_url: urls::SERVICES,
                    })
                    .map(Rendered::Gone),
                }
            }
        },
    )
}
