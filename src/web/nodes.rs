//! The nodes pages and actions: `/nodes` (list, live), `/nodes/{id}` (detail, live),
//! `/nodes/map` (cluster map, live) and the node actions in [`actions`].
//!
//! Each page reads one [`Snapshot`](crate::docker::nodes::Snapshot) (nodes, tasks, service
//! names) from the model (Docker only while the model is not live) and its live part is pushed
//! over SSE when it changes ([`live`]), or re-read by htmx every 2 s as the fallback, from the
//! same template family (`nodes/list.html` includes `nodes/_table.html`, which `/nodes/live`
//! returns alone; likewise the detail and the map).

mod actions;
mod live;
pub mod storage;
pub mod usage;
pub mod view;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use self::view::{ListQuery, Map, MapQuery, NodeRow, Table, TaskRow};
use super::extract::Rights;
use super::page::{Ctx, Layout};
use super::policy::{Need, Rule, rule};
use super::urls;
use crate::AppState;
use crate::docker::nodes::{self, NodeInfo, Role, checks};
use crate::docker::swarm::JoinCommands;
use crate::docker::time::{age, format_utc};
use crate::docker::{DockerError, DockerStatus};
use crate::error::{AppError, AppResult};

/// Who may use each route (see `web::policy`).
pub const POLICY: &[Rule] = &[
    rule("GET", urls::NODES, Need::Read),
    rule("GET", urls::NODES_LIVE, Need::Read),
    rule("GET", urls::NODES_MAP, Need::Read),
    rule("GET", urls::NODES_MAP_LIVE, Need::Read),
    rule("GET", urls::route::NODE, Need::Read),
    rule("GET", urls::route::NODE_LIVE, Need::Read),
    rule("GET", urls::route::NODE_USAGE, Need::Read),
    rule("GET", urls::route::NODE_STORAGE, Need::Read),
    rule("POST", urls::route::NODE_IMAGE_REMOVE, Need::Operate),
    rule("POST", urls::route::NODE_IMAGES_PRUNE, Need::Operate),
    rule("POST", urls::route::NODE_VOLUME_REMOVE, Need::Operate),
    rule("POST", urls::route::NODE_VOLUMES_PRUNE, Need::Operate),
    rule("POST", urls::route::NODE_AVAILABILITY, Need::Operate),
    rule("POST", urls::route::NODE_ROLE, Need::Operate),
    rule("POST", urls::route::NODE_LABELS, Need::Operate),
    rule("POST", urls::route::NODE_LABELS_DELETE, Need::Operate),
    rule("POST", urls::route::NODE_DELETE, Need::Operate),
    rule("POST", urls::SWARM_ROTATE_TOKEN, Need::Admin),
    rule("GET", urls::NODES_EVENTS, Need::Read),
    rule("GET", urls::NODES_MAP_EVENTS, Need::Read),
    rule("GET", urls::route::NODE_EVENTS, Need::Read),
];

/// Pages and actions (behind the session layer and the request timeout).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(urls::NODES, get(list))
        .route(urls::NODES_LIVE, get(list_live))
        .route(urls::NODES_MAP, get(map))
        .route(urls::NODES_MAP_LIVE, get(map_live))
        .route(urls::route::NODE, get(detail))
        .route(urls::route::NODE_LIVE, get(detail_live))
        .route(urls::route::NODE_USAGE, get(usage::usage))
        .route(urls::route::NODE_STORAGE, get(storage::page))
        .route(urls::route::NODE_IMAGE_REMOVE, post(storage::remove_image))
        .route(urls::route::NODE_IMAGES_PRUNE, post(storage::prune_images))
        .route(
            urls::route::NODE_VOLUME_REMOVE,
            post(storage::remove_volume),
        )
        .route(
            urls::route::NODE_VOLUMES_PRUNE,
            post(storage::prune_volumes),
        )
        .route(urls::route::NODE_AVAILABILITY, post(actions::availability))
        .route(urls::route::NODE_ROLE, post(actions::role))
        .route(urls::route::NODE_LABELS, post(actions::add_label))
        .route(urls::route::NODE_LABELS_DELETE, post(actions::delete_label))
        .route(urls::route::NODE_DELETE, post(actions::delete))
        .route(urls::SWARM_ROTATE_TOKEN, post(actions::rotate_token))
}

/// Long-lived responses (server-sent events), outside the request timeout.
pub fn streams() -> Router<AppState> {
    live::routes()
}

/// htmx stops polling when an answer has this status (the node is gone).
const STOP_POLLING: u16 = 286;

/// The node whose API berth uses (empty when berth is not talking to a manager).
fn berth_node(state: &AppState) -> String {
    match state.docker.status().status {
        DockerStatus::Manager(m) => m.node_id,
        _ => String::new(),
    }
}

/// Nodes, current tasks and service names: from the model when it is live, else from Docker.
/// `usage_only`: the model's copy holds only the tasks placed on a node (all the list needs).
async fn snapshot(
    docker: &bollard::Docker,
    model: &crate::model::Snapshot,
    usage_only: bool,
) -> Result<nodes::Snapshot, DockerError> {
    if super::live::model_live(model) {
        Ok(if usage_only {
            model.nodes_usage_snapshot()
        } else {
            model.nodes_snapshot()
        })
    } else {
        nodes::snapshot(docker).await
    }
}

// ---- list -------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "nodes/list.html")]
struct ListPage {
    layout: Layout,
    agents: usage::AgentsNote,
    table: Table,
    join: Option<JoinCommands>,
    stream: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "nodes/_table.html")]
struct TablePartial {
    table: Table,
}

async fn table(ctx: &Ctx, q: ListQuery, with_join: bool) -> (Table, Option<JoinCommands>) {
    let docker = match ctx.state.docker.manager() {
        Ok(d) => d,
        Err(e) => return (Table::unavailable(q, e.user_message()), None),
    };
    let model = ctx.state.model.snapshot();
    let held = super::live::model_live(&model)
        .then(|| model.swarm().map(|s| s.join_tokens.clone()))
        .flatten();
    let (snap, tokens) = if with_join && held.is_some() {
        (snapshot(&docker, &model, true).await, held)
    } else if with_join {
        let (s, t) = tokio::join!(snapshot(&docker, &model, true), nodes::join_tokens(&docker));
        (s, t.ok())
    } else {
        (snapshot(&docker, &model, true).await, None)
    };
    match snap {
        Ok(snap) => {
            let join = tokens.map(|t| nodes::join_commands(&t, &snap.nodes));
            (Table::build(&snap, q, &berth_node(&ctx.state)), join)
        }
        Err(e) => (Table::unavailable(q, e.user_message()), None),
    }
}

pub async fn list(ctx: Ctx, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let fp = live::list_fp(&ctx.state.model.snapshot());
    let stream = super::live::stream_url(urls::NODES_EVENTS, &q.query_string(), fp);
    // a join token lets a machine into the swarm: only for those who act on nodes
    let with_join = ctx.rights.as_ref().is_none_or(Rights::may_operate);
    let (table, join) = table(&ctx, q, with_join).await;
    Ok(ListPage {
        agents: usage::agents_note(&ctx.state),
        layout: ctx.layout("Nodes", "nodes"),
        table,
        join,
        stream,
    }
    .into_response())
}

pub async fn list_live(ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let (table, _) = table(&ctx, q, false).await;
    TablePartial { table }.into_response()
}

// ---- map --------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "nodes/map.html")]
struct MapPage {
    layout: Layout,
    map: Map,
    stream: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "nodes/_map.html")]
struct MapPartial {
    map: Map,
}

async fn build_map(ctx: &Ctx, q: MapQuery) -> Map {
    let snap = match ctx.state.docker.manager() {
        Ok(docker) => snapshot(&docker, &ctx.state.model.snapshot(), false).await,
        Err(e) => Err(e),
    };
    match snap {
        Ok(s) => Map::build(&s, q, &berth_node(&ctx.state)),
        Err(e) => Map {
            query: q,
            unavailable: Some(e.user_message()),
            ..Default::default()
        },
    }
}

pub async fn map(ctx: Ctx, Query(q): Query<MapQuery>) -> AppResult<Response> {
    let fp = live::map_fp(&ctx.state.model.snapshot());
    let stream = super::live::stream_url(urls::NODES_MAP_EVENTS, &live::map_query(&q), fp);
    let map = build_map(&ctx, q).await;
    Ok(MapPage {
        layout: ctx.layout("Cluster map", "nodes"),
        map,
        stream,
    }
    .into_response())
}

pub async fn map_live(ctx: Ctx, Query(q): Query<MapQuery>) -> Response {
    MapPartial {
        map: build_map(&ctx, q).await,
    }
    .into_response()
}

// ---- detail -----------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    /// show finished tasks too
    history: String,
}

/// The live part of a node's page: state, resources, tasks.
pub struct Live {
    pub row: Option<NodeRow>,
    pub tasks: Vec<TaskRow>,
    /// tasks of the node's history (finished), hidden unless asked for
    pub finished: usize,
    pub show_history: bool,
    pub live_url: String,
    pub page_url: String,
    pub problem: Option<String>,
}

impl Live {
    pub fn reachability_class(&self) -> &'static str {
        self.row
            .as_ref()
            .map(|r| r.reachability_class())
            .unwrap_or("")
    }
}

/// An offered role change, with berth's verdict on it.
pub struct RoleOffer {
    pub to: &'static str,
    pub label: &'static str,
    pub check: checks::RoleCheck,
}

#[derive(Template, WebTemplate)]
#[template(path = "nodes/detail.html")]
struct DetailPage {
    layout: Layout,
    usage: usage::UsageView,
    node: NodeInfo,
    live: Live,
    role: RoleOffer,
    is_berth: bool,
    created: String,
    updated: String,
    stream: String,
}

impl DetailPage {
    fn availability_choices(&self) -> [(&'static str, &'static str); 3] {
        [("active", "Active"), ("pause", "Pause"), ("drain", "Drain")]
    }

    fn action(&self, what: &str) -> String {
        urls::node_action(&self.node.id, what)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "nodes/_detail_live.html")]
struct DetailLivePartial {
    live: Live,
}

/// Hides the Console of the tasks whose service's stack the caller may not open one into (the
/// stack read from the model; a service it does not know counts as outside any stack).
fn gate_consoles(live: &mut Live, model: &crate::model::Snapshot, rights: Option<&Rights>) {
    for t in &mut live.tasks {
        let stack = model
            .service(&t.service_id)
            .map(|s| s.stack.as_str())
            .unwrap_or("");
        t.console = crate::web::extract::may_console(rights, stack);
    }
}

fn live_view(snap: &nodes::Snapshot, node: &NodeInfo, history: bool, berth: &str) -> Live {
    let mut tasks: Vec<&crate::docker::tasks::TaskInfo> =
        snap.tasks.iter().filter(|t| t.node_id == node.id).collect();
    // current tasks first (by service and slot), then history newest first
    tasks.sort_by(|a, b| {
        let (ca, cb) = (view::is_current(a), view::is_current(b));
        cb.cmp(&ca).then_with(|| {
            if ca {
                (snap.service_name(&a.service_id), a.slot)
                    .cmp(&(snap.service_name(&b.service_id), b.slot))
            } else {
                b.since.cmp(&a.since)
            }
        })
    });
    let finished = tasks.iter().filter(|t| !view::is_current(t)).count();
    let page_url = urls::node(&node.id);
    let live = urls::node_action(&node.id, "live");
    Live {
        row: Some(NodeRow::new(node, &snap.tasks, berth)),
        tasks: tasks
            .into_iter()
            .filter(|t| history || view::is_current(t))
            .map(|t| TaskRow::new(t, snap))
            .collect(),
        finished,
        show_history: history,
        live_url: if history {
            format!("{live}?history=1")
        } else {
            live
        },
        page_url,
        problem: None,
    }
}

fn not_found(key: &str) -> AppError {
    AppError::NotFound(format!(
        "There is no node {key:?} in this swarm (it may have been removed)."
    ))
}

pub async fn detail(
    ctx: Ctx,
    Path(key): Path<String>,
    Query(q): Query<DetailQuery>,
) -> AppResult<Response> {
    let docker = ctx.state.docker.manager()?;
    let model = ctx.state.model.snapshot();
    let from_model = if super::live::model_live(&model) {
        Some(
            model
                .node_snapshot(&key)
                .unwrap_or_else(|| nodes::Snapshot {
                    nodes: model.nodes().to_vec(),
                    ..Default::default()
                }),
        )
    } else {
        None
    };
    let read = match from_model {
        Some(s) => Ok(s),
        None => nodes::snapshot_of_node(&docker, &key).await,
    };
    let snap = match read {
        Ok(s) => s,
        // the task filter names a node that does not exist
        Err(DockerError::NotFound(_)) => nodes::Snapshot {
            nodes: nodes::list(&docker).await?,
            ..Default::default()
        },
        Err(e) => return Err(e.into()),
    };
    let Some(node) = snap.find(&key).cloned() else {
        return Err(not_found(&key));
    };
    if node.id != key {
        // a hostname or ID prefix: go to the node's own address
        return Ok(Redirect::to(&urls::node(&node.id)).into_response());
    }
    let berth = berth_node(&ctx.state);
    let history = !q.history.is_empty();
    let to = match node.role {
        Role::Manager => Role::Worker,
        Role::Worker => Role::Manager,
    };
    let role = RoleOffer {
        to: to.as_str(),
        label: match to {
            Role::Manager => "Promote to manager",
            Role::Worker => "Demote to worker",
        },
        check: checks::check_role_change(&snap.nodes, &node, to, &berth, false),
    };
    let stream = super::live::stream_url(
        &urls::node_action(&node.id, "live/events"),
        if history { "history=1" } else { "" },
        live::node_fp(&model, &node.id),
    );
    Ok(DetailPage {
        layout: ctx.layout(node.display_name().to_string(), "nodes"),
        usage: usage::view(&ctx.state, &node.id),
        live: {
            let mut live = live_view(&snap, &node, history, &berth);
            gate_consoles(&mut live, &model, ctx.rights.as_ref());
            live
        },
        stream,
        is_berth: node.id == berth,
        created: node
            .created
            .map(|t| format!("{} ago ({})", age(t), format_utc(t)))
            .unwrap_or_default(),
        updated: node
            .updated
            .map(|t| format!("{} ago", age(t)))
            .unwrap_or_default(),
        role,
        node,
    }
    .into_response())
}

pub async fn detail_live(
    ctx: Ctx,
    Path(key): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let history = !q.history.is_empty();
    let gone = |problem: String, status: u16| {
        let live = Live {
            row: None,
            tasks: vec![],
            finished: 0,
            show_history: history,
            live_url: urls::node_action(&key, "live"),
            page_url: urls::node(&key),
            problem: Some(problem),
        };
        let mut r = DetailLivePartial { live }.into_response();
        *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        r
    };
    let docker = match ctx.state.docker.manager() {
        Ok(d) => d,
        Err(e) => return gone(e.user_message(), 200),
    };
    let model = ctx.state.model.snapshot();
    let read = if super::live::model_live(&model) {
        model
            .node_snapshot(&key)
            .ok_or_else(|| DockerError::NotFound(key.clone()))
    } else {
        nodes::snapshot_of_node(&docker, &key).await
    };
    match read {
        Ok(snap) => match snap.find(&key) {
            Some(node) => {
                let mut live = live_view(&snap, node, history, &berth_node(&ctx.state));
                gate_consoles(&mut live, &model, ctx.rights.as_ref());
                DetailLivePartial { live }.into_response()
            }
            None => gone(
                "This node is no longer part of the swarm.".into(),
                STOP_POLLING,
            ),
        },
        Err(DockerError::NotFound(_)) => gone(
            "This node is no longer part of the swarm.".into(),
            STOP_POLLING,
        ),
        Err(e) => gone(e.user_message(), 200),
    }
}
