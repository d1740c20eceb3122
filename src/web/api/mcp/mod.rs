//! `/api/v1/mcp`: an MCP endpoint (the official Rust SDK, `rmcp`, streamable HTTP, stateless,
//! JSON answers) so AI clients can read the swarm and, with an operate or deploy token, act
//! on it.
//!
//! It sits behind the API's token guard like every `/api/v1` route (a session cookie never
//! opens it). A tool call does not implement anything itself: it becomes the API request of
//! the same read or action ([`tools`]), sent in-process to the API's router with the caller's
//! own `Authorization` header and address. So a tool passes the same scope checks, limits and
//! handlers as `/api/v1`, its action is audited as the API audits it (with the token's name),
//! and its answer is the API's JSON (an error as a tool error carrying the API's message).

mod tools;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header, request::Parts};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;
use tower::ServiceExt;

use super::auth::ApiAuth;
use crate::auth::api_tokens::Scope;
use crate::web::transport::Via;
use tools::{Args, Call, Needs, TOOLS};

/// Largest API answer a tool passes on (a list at 10,000 tasks is a few MB).
const MAX_ANSWER: usize = 32 * 1024 * 1024;

/// The MCP service, answering with the API router `api` (the token-guarded routes).
pub fn service(api: Router) -> StreamableHttpService<Mcp, NeverSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        // berth's front door checks the Host header already (--public-url / allowed hosts)
        .disable_allowed_hosts()
        .with_max_request_body_bytes(super::API_BODY_LIMIT);
    let mcp = Mcp { api };
    StreamableHttpService::new(
        move || Ok(mcp.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    )
}

#[derive(Clone)]
pub struct Mcp {
    api: Router,
}

impl ServerHandler for Mcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("berth", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "berth: a Docker Swarm. Read nodes, services, tasks and stacks; with an operate \
                 token (or a deploy token, within its stacks) scale, redeploy, roll back, deploy \
                 and remove stacks. Answers are berth's /api/v1 JSON.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let may_change = caller(&ctx)?.grant.scope != Scope::Read;
        let tools = TOOLS
            .iter()
            .filter(|t| t.needs == Needs::Read || may_change)
            .map(|t| rmcp::model::Tool::new(t.name, t.description, Arc::new(tools::schema(t))))
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        caller(&ctx)?;
        let parts = parts(&ctx)?;
        let Some(tool) = TOOLS.iter().find(|t| t.name == request.name) else {
            return Err(ErrorData::invalid_params(
                format!("There is no tool {:?}.", request.name),
                None,
            ));
        };
        let args = request.arguments.unwrap_or_default();
        let call = match Args::check(tool, &args).and_then(|a| (tool.call)(&a)) {
            Ok(call) => call,
            Err(message) => {
                // shaped like the API's errors
                let error = serde_json::json!({"error": {"code": "invalid", "message": message}});
                return Ok(CallToolResult::structured_error(error).into());
            }
        };
        let (status, answer) = self.send(parts, call).await;
        Ok(if status.is_success() {
            CallToolResult::structured(answer)
        } else {
            CallToolResult::structured_error(answer)
        }
        .into())
    }
}

impl Mcp {
    /// The tool's API request, as the caller: their token, their address.
    async fn send(&self, parts: &Parts, call: Call) -> (StatusCode, Value) {
        let mut req = Request::builder().method(call.method).uri(&call.path);
        if let Some(token) = parts.headers.get(header::AUTHORIZATION) {
            req = req.header(header::AUTHORIZATION, token.clone());
        }
        let body = match call.body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let mut req = match req.body(body) {
            Ok(req) => req,
            Err(e) => return internal(&format!("building {}: {e}", call.path)),
        };
        if let Some(via) = parts.extensions.get::<Via>() {
            req.extensions_mut().insert(via.clone());
        }
        if let Some(ci) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            req.extensions_mut().insert(*ci);
        }
        let resp = match self.api.clone().oneshot(req).await {
            Ok(resp) => resp,
            Err(e) => match e {},
        };
        let status = resp.status();
        match axum::body::to_bytes(resp.into_body(), MAX_ANSWER).await {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(v) => (status, v),
                Err(e) => internal(&format!("{} answered no JSON: {e}", call.path)),
            },
            Err(e) => internal(&format!("{} answered too much: {e}", call.path)),
        }
    }
}

fn internal(log: &str) -> (StatusCode, Value) {
    tracing::error!("mcp: {log}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        serde_json::json!({"error": {"code": "internal", "message": "berth failed to answer this tool call."}}),
    )
}

fn parts(ctx: &RequestContext<RoleServer>) -> Result<&Parts, ErrorData> {
    ctx.extensions
        .get::<Parts>()
        .ok_or_else(|| ErrorData::internal_error("no HTTP request", None))
}

/// The token's owner, put there by the API's token guard in front of this endpoint.
fn caller(ctx: &RequestContext<RoleServer>) -> Result<&ApiAuth, ErrorData> {
    parts(ctx)?
        .extensions
        .get::<ApiAuth>()
        .ok_or_else(|| ErrorData::invalid_request("Send an API token.", None))
}
