//! The nodes pages' live parts as server-sent events from the model (see [`crate::web::live`]):
//! the list's table, the map's columns and a node's live part, each pushed when what it shows
//! changed.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};

use super::view::{ListQuery, Map, MapQuery, Table};
use super::{
    DetailLivePartial, DetailQuery, MapPartial, TablePartial, berth_node, gate_consoles, live_view,
};
use crate::AppState;
use crate::model::Snapshot;
use crate::web::extract::{Rights, part_key};
use crate::web::live::{self, Rendered, Seen};
use crate::web::session::urlencode;
use crate::web::urls;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(urls::NODES_EVENTS, get(list_events))
        .route(urls::NODES_MAP_EVENTS, get(map_events))
        .route(urls::route::NODE_EVENTS, get(detail_events))
}

/// The list shows nodes and how many tasks each runs.
pub fn list_fp(s: &Snapshot) -> u64 {
    s.changed.nodes.max(s.changed.tasks)
}

/// The map shows nodes, their tasks and service names.
pub fn map_fp(s: &Snapshot) -> u64 {
    list_fp(s).max(s.changed.services)
}

/// A node's page shows the node, its tasks and their service names.
pub fn node_fp(s: &Snapshot, id: &str) -> u64 {
    s.node_changed(id).max(s.changed.services)
}

/// The map's query as its stream URL carries it.
pub fn map_query(q: &MapQuery) -> String {
    let s = q.service.trim();
    if s.is_empty() {
        String::new()
    } else {
        format!("service={}", urlencode(s))
    }
}

async fn list_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
    Query(seen): Query<Seen>,
) -> Response {
    live::from_model(
        &state,
        &headers,
        q.live_url(),
        seen.fp,
        list_fp,
        move |state, snap| {
            let q = q.clone();
            async move {
                if !live::model_live(&snap) {
                    return None;
                }
                let table = Table::build(&snap.nodes_usage_snapshot(), q, &berth_node(&state));
                live::html(&TablePartial { table }).map(Rendered::Html)
            }
        },
    )
}

async fn map_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<MapQuery>,
    Query(seen): Query<Seen>,
) -> Response {
    live::from_model(
        &state,
        &headers,
        q.live_url(),
        seen.fp,
        map_fp,
        move |state, snap| {
            let q = q.clone();
            async move {
                if !live::model_live(&snap) {
                    return None;
                }
                let map: Map = Map::build(&snap.nodes_snapshot(), q, &berth_node(&state));
                live::html(&MapPartial { map }).map(Rendered::Html)
            }
        },
    )
}

async fn detail_events(
    State(state): State<AppState>,
    rights: Option<Extension<Rights>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
    Query(seen): Query<Seen>,
) -> Response {
    let history = !q.history.is_empty();
    let rights = rights.map(|Extension(r)| r);
    let key = part_key(
        &format!("{}?history={history}", urls::node_action(&id, "live")),
        rights.as_ref(),
    );
    let fp_id = id.clone();
    live::from_model(
        &state,
        &headers,
        key,
        seen.fp,
        move |snap| node_fp(snap, &fp_id),
        move |state, snap| {
            let id = id.clone();
            let rights = rights.clone();
            async move { node_part(&state, &snap, &id, history, rights.as_ref()) }
        },
    )
}

fn node_part(
    state: &AppState,
    snap: &Snapshot,
    id: &str,
    history: bool,
    rights: Option<&Rights>,
) -> Option<Rendered> {
    if !live::model_live(snap) {
        return None;
    }
    match snap.node_snapshot(id) {
        Some(ns) => {
            let node = ns.find(id)?;
            let mut live = live_view(&ns, node, history, &berth_node(state));
            gate_consoles(&mut live, snap, rights);
            live::html(&DetailLivePartial { live }).map(Rendered::Html)
        }
        None => {
            let live = super::Live {
                row: None,
                tasks: vec![],
                finished: 0,
                show_history: history,
                live_url: urls::node_action(id, "live"),
                page_url: urls::node(id),
                problem: Some("This node is no longer part of the swarm.".into()),
            };
            live::html(&DetailLivePartial { live }).map(Rendered::Gone)
        }
    }
}
