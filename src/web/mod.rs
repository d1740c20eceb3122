//! The web side: one module per area, each a thin layer over the domain modules.
//!
//! Routing: public routes (health, static files, setup, login) and everything else behind
//! [`session::require_session`]. Layers, outermost first: request id, tracing, security
//! headers, compression, error pages (every route), panic catcher, the front door (client
//! address, Host check, HTTPS redirect, HSTS: [`transport`]), cross-origin (CSRF)
//! protection, body limit, timeout (streams excluded), and for pages a second panic catcher
//! inside the session guard (so the error page keeps the signed-in layout). The JSON API
//! ([`api`]) shares only the outermost layers (request id, tracing, security headers,
//! compression): it has no session, no CSRF check and no HTML error pages.

pub mod alerts;
pub mod api;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod console;
pub mod dashboard;
pub mod errors;
pub mod extract;
pub mod fmt;
pub mod health;
pub mod hooks;
pub mod live;
pub mod metrics;
pub mod nodes;
pub mod objects;
pub mod oidc;
pub mod page;
pub mod policy;
pub mod registries;
pub mod second_step;
pub mod security;
pub mod services;
pub mod session;
pub mod settings;
pub mod stacks;
pub mod swarm;
pub mod teams;
pub mod tokens;
pub mod totp;
pub mod transport;
pub mod urls;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, StatusCode};
use axum::middleware;
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;
use policy::{Need, rule};

/// Largest request body accepted (compose files and uploads included).
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;
/// Largest request body on the public routes (setup, sign-in): their forms hold a name, a
/// password or two and a code, so a stranger cannot make berth read megabytes.
pub const PUBLIC_BODY_LIMIT: usize = 16 * 1024;
/// Ordinary requests must finish within this; streams (logs, deploy progress) are exempt.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

pub(crate) type PanicHandler =
    fn(Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response;

/// Every area's rules (see [`policy`]). A new area adds its table here (one line).
pub const POLICIES: &[&[policy::Rule]] = &[
    POLICY,
    nodes::POLICY,
    services::POLICY,
    stacks::POLICY,
    registries::POLICY,
    alerts::POLICY,
    objects::POLICY,
    teams::POLICY,
    totp::POLICY,
    console::POLICY,
    oidc::POLICY,
    api::POLICY,
];

/// Who may use the routes registered here and not in an area (see [`policy`]).
pub const POLICY: &[policy::Rule] = &[
    rule("GET", urls::HEALTHZ, Need::Public),
    // a session or an API token; anonymous gets 401 from the handler
    rule("GET", urls::METRICS, Need::Read),
    rule("GET", urls::SETUP, Need::Public),
    rule("POST", urls::SETUP, Need::Public),
    rule("GET", urls::LOGIN, Need::Public),
    rule("POST", urls::LOGIN, Need::Public),
    rule("GET", urls::DASHBOARD, Need::Read),
    rule("GET", urls::DOCKER_STATUS, Need::Read),
    rule("POST", urls::LOGOUT, Need::Signed),
    rule("GET", urls::SETTINGS, Need::Signed),
    rule("POST", urls::SETTINGS_PASSWORD, Need::Signed),
    rule("POST", urls::SETTINGS_USERS, Need::Admin),
    rule("POST", urls::route::SETTINGS_USER_DELETE, Need::Admin),
    rule("POST", urls::SETTINGS_TOKENS, Need::Signed),
    rule("POST", urls::route::SETTINGS_TOKEN_REVOKE, Need::Signed),
    rule("GET", urls::AUDIT, Need::Operate),
    rule("POST", urls::SWARM_INIT, Need::Admin),
    // the secret address is the credential
    rule("POST", urls::route::HOOK, Need::Public),
    rule("*", urls::STATIC, Need::Public),
    rule("*", STATIC_NESTED, Need::Public),
    rule("*", STATIC_DIR, Need::Public),
];

/// How axum names the routes under the static files' nested service.
const STATIC_NESTED: &str = "/static/{*__private__axum_nest_tail_param}";
const STATIC_DIR: &str = "/static/";

pub fn router(state: AppState) -> Router {
    router_with(state, Router::new(), &[])
}

/// The production router with `extra` pages added behind the session guard, under the same
/// layers as every page, with their rules (tests use it to put a handler inside the real
/// middleware stack).
pub fn router_with(
    state: AppState,
    extra: Router<AppState>,
    extra_rules: &'static [policy::Rule],
) -> Router {
    let public = Router::new()
        .route(urls::HEALTHZ, get(health::healthz))
        // a session or an API token; anonymous gets 401 (not the sign-in page)
        .route(urls::METRICS, get(metrics::show))
        .route(urls::SETUP, get(auth::setup_form).post(auth::setup))
        .route(urls::LOGIN, get(auth::login_form).post(auth::login))
        .route(urls::LOGIN_TOTP, get(totp::login_form).post(totp::login))
        .merge(oidc::public_routes())
        .layer(DefaultBodyLimit::max(PUBLIC_BODY_LIMIT));

    let pages = Router::new()
        .route(urls::DASHBOARD, get(dashboard::show))
        .route(urls::DOCKER_STATUS, get(dashboard::docker_status))
        .route(urls::LOGOUT, post(auth::logout))
        .route(urls::SETTINGS, get(settings::show))
        .route(urls::SETTINGS_PASSWORD, post(settings::change_password))
        .route(urls::SETTINGS_USERS, post(settings::create_user))
        .route(
            urls::route::SETTINGS_USER_DELETE,
            post(settings::delete_user),
        )
        .route(urls::SETTINGS_TOKENS, post(tokens::create))
        .route(urls::route::SETTINGS_TOKEN_REVOKE, post(tokens::revoke))
        .route(urls::AUDIT, get(audit::show))
        .route(urls::SWARM_INIT, post(swarm::init))
        .merge(nodes::routes())
        .merge(services::routes())
        .merge(stacks::routes())
        .merge(registries::routes())
        .merge(alerts::routes())
        .merge(objects::routes())
        .merge(teams::routes())
        .merge(totp::routes())
        .merge(oidc::routes())
        .merge(console::routes())
        .merge(extra);

    // Long-lived responses (server-sent events) go here, outside the timeout.
    let streams: Router<AppState> = Router::new()
        .merge(nodes::streams())
        .merge(services::streams())
        .merge(stacks::streams())
        .merge(console::streams());

    // A panicking handler answers as an internal error: the error layer renders the normal
    // error page (in the signed-in layout) with the request id, and berth keeps serving.
    let protected = pages
        .layer(middleware::from_fn_with_state(
            state.clone(),
            transport::front_door,
        ))
        .layer(CatchPanicLayer::custom(errors::panicked as PanicHandler))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .merge(streams)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            session::require_session,
        ));

    // Deploy webhooks: no session, no CSRF token (the secret address is the credential); a
    // compose file at most; `?wait=true` may outlast the page timeout.
    let hooks = Router::new()
        .route(urls::route::HOOK, post(hooks::call))
        .layer(DefaultBodyLimit::max(hooks::BODY_LIMIT));

    let security = security::headers();

    let x_request_id = HeaderName::from_static("x-request-id");
    let mut app = Router::new()
        .merge(public)
        .merge(stacks::hooks())
        .merge(protected)
        .merge(hooks)
        .nest_service(urls::STATIC, state.assets.router())
        .fallback(errors::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(security::csrf_layer())
        // every route's rule (fail closed), before any handler or guard
        .layer(middleware::from_fn_with_state(
            policy::Gate {
                state: state.clone(),
                extra: extra_rules,
            },
            policy::gate,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            transport::front_door,
        ))
        .layer(CatchPanicLayer::custom(errors::panicked as PanicHandler))
        // every failure above (handlers, guards, limits, extractors, panics) becomes a page
        .layer(middleware::from_fn_with_state(
            state.clone(),
            errors::render_errors,
        ))
        // the API has its own layers: tokens instead of sessions and CSRF, JSON errors
        .merge(api::router(state.clone()))
        .layer(CompressionLayer::new());
    for (name, value) in security {
        app = app.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    app.layer(SetResponseHeaderLayer::if_not_present(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    ))
    .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
    .layer(
        TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            // a webhook's address is its secret: never logged
            let path = urls::loggable_path(req.uri().path());
            tracing::info_span!("request", method = %req.method(), path = %path, id = %id)
        }),
    )
    .layer(SetRequestIdLayer::new(x_request_id, security::MakeId))
    .with_state(state)
}
