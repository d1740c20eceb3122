//! The JSON API under `/api/v1`, for CI pipelines and scripts: bearer tokens with a scope
//! ([`auth`]), JSON errors carrying the pages' sentences ([`error`]), the same domain calls
//! as the pages, and an OpenAPI document generated from the handlers' annotations
//! (`/api/v1/openapi.json`, utoipa).
//!
//! It has its own layers and none of the pages': no session, no CSRF (a token in a header is
//! not sent by a browser on its own), no HTML error pages. Layers, outermost first: the front
//! door (Host check, HTTPS redirect), JSON errors, panic catcher, body limit, the token guard;
//! and the timeout for everything but the waits and streams.
//!
//! The router is built from one table ([`routes`]); a test checks that every entry is in the
//! OpenAPI document and every operation of the document is in the table.

mod agents;
mod alerts;
pub mod auth;
mod cluster;
pub mod cluster_views;
pub mod error;
mod jobs;
mod mcp;
mod objects;
mod stacks;
pub mod views;

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode};
use axum::middleware;
use axum::routing::{MethodRouter, any, delete, get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;

use super::policy::{Act, Need, Rule, rule};
use super::urls::{self, route};
use crate::AppState;

/// Largest request body: a compose file and its variables at their limits, in JSON.
pub const API_BODY_LIMIT: usize = super::BODY_LIMIT;

/// One route of the API.
pub struct ApiRoute {
    pub method: Method,
    pub path: &'static str,
    /// waits for a job or streams: not bound by the request timeout
    pub long: bool,
    pub handler: MethodRouter<AppState>,
}

fn r(method: Method, path: &'static str, long: bool, handler: MethodRouter<AppState>) -> ApiRoute {
    ApiRoute {
        method,
        path,
        long,
        handler,
    }
}

/// Who may use each route (see `web::policy`): the token owner's role; the token's scope is
/// checked by the handlers on top (a token never exceeds its owner).
pub const POLICY: &[Rule] = &[
    rule("GET", urls::API_STACKS, Need::Read),
    rule("GET", route::API_STACK, Need::Read),
    rule("GET", route::API_STACK_VERSIONS, Need::Read),
    // each tool call is sent to the routes here and meets their rules
    rule("*", urls::API_MCP, Need::Read),
    rule("DELETE", route::API_STACK, Need::Stack(Act::Deploy)),
    // a new stack of a deployer's team, or one they may deploy: the handler checks and claims
    rule("POST", route::API_STACK_DEPLOY, Need::Deployer),
    rule("POST", route::API_STACK_REMOVE, Need::Stack(Act::Deploy)),
    rule("GET", route::API_JOB, Need::Read),
    rule("GET", route::API_JOB_EVENTS, Need::Read),
    rule("GET", urls::API_NODES, Need::Read),
    rule("GET", route::API_NODE, Need::Read),
    rule("POST", route::API_NODE_AVAILABILITY, Need::Operate),
    rule("GET", urls::API_SERVICES, Need::Read),
    rule("GET", route::API_SERVICE, Need::Read),
    rule("POST", route::API_SERVICE_SCALE, Need::Service(Act::Deploy)),
    rule(
        "POST",
        route::API_SERVICE_REDEPLOY,
        Need::Service(Act::Deploy),
    ),
    rule(
        "POST",
        route::API_SERVICE_ROLLBACK,
        Need::Service(Act::Deploy),
    ),
    rule("GET", urls::API_TASKS, Need::Read),
    rule("GET", route::API_NODE_CONTAINERS, Need::Read),
    rule("GET", urls::API_SECRETS, Need::Read),
    rule("POST", urls::API_SECRETS, Need::Operate),
    rule("DELETE", route::API_SECRET, Need::Operate),
    rule("POST", route::API_SECRET_ROTATE, Need::Operate),
    rule("GET", urls::API_CONFIGS, Need::Read),
    rule("POST", urls::API_CONFIGS, Need::Operate),
    rule("DELETE", route::API_CONFIG, Need::Operate),
    rule("POST", route::API_CONFIG_ROTATE, Need::Operate),
    rule("GET", urls::API_NETWORKS, Need::Read),
    rule("POST", urls::API_NETWORKS, Need::Operate),
    rule("DELETE", route::API_NETWORK, Need::Operate),
    rule("GET", urls::API_VOLUMES, Need::Read),
    rule("GET", urls::API_ALERTS, Need::Read),
    rule("GET", urls::API_OPENAPI, Need::Public),
    // anything else under /api: a JSON 404
    rule("*", urls::API, Need::Public),
    rule("*", route::API_ANY, Need::Public),
];

/// Every route that needs a token.
pub fn routes() -> Vec<ApiRoute> {
    vec![
        r(Method::GET, urls::API_STACKS, false, get(stacks::list)),
        r(Method::GET, route::API_STACK, false, get(stacks::show)),
        r(
            Method::GET,
            route::API_STACK_VERSIONS,
            false,
            get(stacks::versions),
        ),
        r(
            Method::DELETE,
            route::API_STACK,
            true,
            delete(stacks::remove),
        ),
        r(
            Method::POST,
            route::API_STACK_DEPLOY,
            true,
            post(stacks::deploy),
        ),
        r(
            Method::POST,
            route::API_STACK_REMOVE,
            true,
            post(stacks::remove_post),
        ),
        r(Method::GET, route::API_JOB, false, get(jobs::show)),
        r(Method::GET, route::API_JOB_EVENTS, true, get(jobs::events)),
        r(Method::GET, urls::API_NODES, false, get(cluster::nodes)),
        r(Method::GET, route::API_NODE, false, get(cluster::node)),
        r(
            Method::GET,
            route::API_NODE_CONTAINERS,
            false,
            get(agents::node_containers),
        ),
        r(
            Method::POST,
            route::API_NODE_AVAILABILITY,
            false,
            post(cluster::availability),
        ),
        r(
            Method::GET,
            urls::API_SERVICES,
            false,
            get(cluster::services),
        ),
        r(
            Method::GET,
            route::API_SERVICE,
            false,
            get(cluster::service),
        ),
        r(
            Method::POST,
            route::API_SERVICE_SCALE,
            false,
            post(cluster::scale),
        ),
        r(
            Method::POST,
            route::API_SERVICE_REDEPLOY,
            false,
            post(cluster::redeploy),
        ),
        r(
            Method::POST,
            route::API_SERVICE_ROLLBACK,
            false,
            post(cluster::rollback),
        ),
        r(Method::GET, urls::API_TASKS, false, get(cluster::tasks)),
        r(Method::GET, urls::API_SECRETS, false, get(objects::secrets)),
        r(
            Method::POST,
            urls::API_SECRETS,
            false,
            post(objects::create_secret),
        ),
        r(
            Method::DELETE,
            route::API_SECRET,
            false,
            delete(objects::remove_secret),
        ),
        r(
            Method::POST,
            route::API_SECRET_ROTATE,
            false,
            post(objects::rotate_secret),
        ),
        r(Method::GET, urls::API_CONFIGS, false, get(objects::configs)),
        r(
            Method::POST,
            urls::API_CONFIGS,
            false,
            post(objects::create_config),
        ),
        r(
            Method::DELETE,
            route::API_CONFIG,
            false,
            delete(objects::remove_config),
        ),
        r(
            Method::POST,
            route::API_CONFIG_ROTATE,
            false,
            post(objects::rotate_config),
        ),
        r(
            Method::GET,
            urls::API_NETWORKS,
            false,
            get(objects::list_networks),
        ),
        r(
            Method::POST,
            urls::API_NETWORKS,
            false,
            post(objects::create_network),
        ),
        r(
            Method::DELETE,
            route::API_NETWORK,
            false,
            delete(objects::remove_network),
        ),
        r(
            Method::GET,
            urls::API_VOLUMES,
            false,
            get(objects::list_volumes),
        ),
        r(Method::GET, urls::API_ALERTS, false, get(alerts::list)),
    ]
}

/// The API's routes and layers (merged into the app outside the pages' layers).
pub fn router(state: AppState) -> Router<AppState> {
    let mut quick = Router::new();
    let mut long = Router::new();
    for route in routes() {
        if route.long {
            long = long.route(route.path, route.handler);
        } else {
            quick = quick.route(route.path, route.handler);
        }
    }
    let quick = quick.layer(TimeoutLayer::with_status_code(
        StatusCode::GATEWAY_TIMEOUT,
        super::REQUEST_TIMEOUT,
    ));
    let table = Router::new().merge(quick).merge(long);
    let guard = middleware::from_fn_with_state(state.clone(), auth::require_token);
    // what an MCP tool call is sent to: the same routes behind the same token guard
    // (and the same route policy: each tool call meets its route's rule)
    let api = table
        .clone()
        .route_layer(guard.clone())
        .layer(middleware::from_fn_with_state(
            super::policy::Gate::new(state.clone()),
            super::policy::gate,
        ))
        .with_state(state.clone());
    table
        .route_service(urls::API_MCP, mcp::service(api))
        .route_layer(guard)
        // the description of the API needs no token
        .route(urls::API_OPENAPI, get(openapi))
        // anything else under /api: a JSON 404, without a token lookup
        .route(urls::API, any(not_found))
        .route(route::API_ANY, any(not_found))
        // every route's rule (fail closed): the token owner's role, before the token guard
        .layer(middleware::from_fn_with_state(
            super::policy::Gate::new(state.clone()),
            super::policy::gate,
        ))
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(API_BODY_LIMIT))
        .layer(CatchPanicLayer::custom(
            super::errors::panicked as super::PanicHandler,
        ))
        .layer(middleware::from_fn(error::json_errors))
        .layer(middleware::from_fn_with_state(
            state,
            super::transport::front_door,
        ))
}

async fn not_found() -> error::ApiError {
    error::ApiError::not_found("There is no such API endpoint.")
}

/// The OpenAPI description, from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "berth API",
        description = "Docker Swarm through berth: send `Authorization: Bearer <token>` (tokens are created on berth's settings page). Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(
        stacks::list,
        stacks::show,
        stacks::versions,
        stacks::remove,
        stacks::deploy,
        stacks::remove_post,
        jobs::show,
        jobs::events,
        cluster::nodes,
        cluster::node,
        agents::node_containers,
        cluster::availability,
        cluster::services,
        cluster::service,
        cluster::scale,
        cluster::redeploy,
        cluster::rollback,
        cluster::tasks,
        objects::secrets,
        objects::create_secret,
        objects::remove_secret,
        objects::rotate_secret,
        objects::configs,
        objects::create_config,
        objects::remove_config,
        objects::rotate_config,
        objects::list_networks,
        objects::create_network,
        objects::remove_network,
        objects::list_volumes,
        alerts::list,
        openapi_doc,
    ),
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    summary = "This description (no token needed)",
    responses((status = 200, description = "OpenAPI 3.1 JSON"))
)]
#[allow(dead_code)]
fn openapi_doc() {}

/// `GET /api/v1/openapi.json`
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operations(doc: &utoipa::openapi::OpenApi) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (path, item) in &doc.paths.paths {
            for (name, op) in [
                ("GET", &item.get),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
            ] {
                if op.is_some() {
                    out.push((name.to_string(), path.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn every_api_route_is_in_the_openapi_document_and_nothing_else() {
        let doc = ApiDoc::openapi();
        let documented = operations(&doc);
        let mut served: Vec<(String, String)> = routes()
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
        served.push(("GET".into(), urls::API_OPENAPI.into()));
        for s in &served {
            assert!(documented.contains(s), "{s:?} is served but not documented");
        }
        for d in &documented {
            assert!(served.contains(d), "{d:?} is documented but not served");
        }
        let json = serde_json::to_value(&doc).unwrap_or_default();
        assert!(json["components"]["securitySchemes"]["token"].is_object());
        assert!(json["components"]["schemas"]["ErrorBody"].is_object());
    }
}
