//! Who may use each route: one rule per route, enforced on the server in one place.
//!
//! Every area lists its routes' rules in a `POLICY` table next to its `routes()` (one line per
//! route: method, the router's pattern, the [`Need`]); `web::POLICIES` names every table. The gate
//! ([`gate`]) runs for every matched route, pages and API alike: a route without a rule is
//! refused (fail closed); a public route passes; otherwise the caller (a session's account or an
//! API token's owner) is looked up with their role, teams and their teams' stacks and checked
//! against the rule (for a stack or service rule, against the stack named in the path); a
//! refusal is a 403, audited as `policy.refused`. An anonymous request passes on to the session
//! or token guard, which answers it as before (sign-in redirect, 401).
//!
//! Handlers get the [`Caller`] (role, teams) to filter lists, hide values and check a stack
//! named in a body. The test `policy::` in tests/it builds the role × route matrix from the
//! router itself ([`routes_of`]), so a route added without a rule fails it.

pub mod claim;
mod routes;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
pub use crate::auth::roles::{Act, Need, Role, ViewerLogs};
use crate::auth::{api_tokens::bearer, roles, tokens::hash_token};
use crate::db::{self, audit};
use crate::error::{AppError, ErrorInfo};
pub use routes::routes_of;

use super::urls;

/// One route's rule: `method` (`"GET"`, `"POST"`, …, or `"*"` for any; HEAD follows GET), the
/// router's `path` pattern exactly as given to `.route`, and what it needs.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub method: &'static str,
    pub path: &'static str,
    pub need: Need,
}

/// A rule, for the areas' `POLICY` tables.
pub const fn rule(method: &'static str, path: &'static str, need: Need) -> Rule {
    Rule { method, path, need }
}

/// Every rule, by (method, path); the first of two rules for the same route wins (a test
/// refuses duplicates).
static RULES: LazyLock<HashMap<(&'static str, &'static str), Need>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for rule in super::POLICIES.iter().flat_map(|t| t.iter()) {
        map.entry((rule.method, rule.path)).or_insert(rule.need);
    }
    map
});

/// The rule of a route, if it has one.
pub fn need_for(method: &Method, path: &str) -> Option<Need> {
    let method = if *method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    RULES
        .get(&(method, path))
        .or_else(|| RULES.get(&("*", path)))
        .copied()
}

/// Whether some method of `path` has a rule.
fn has_rules(path: &str) -> bool {
    RULES.keys().any(|(_, p)| *p == path)
}

/// The signed-in caller of a request (an account with a session, or an API token's owner).
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    /// the names of the caller's teams
    pub teams: Arc<[String]>,
    stacks: Arc<HashSet<String>>,
    logs: ViewerLogs,
}

impl Caller {
    pub fn new(p: db::teams::Principal, logs: ViewerLogs) -> Caller {
        Caller {
            user_id: p.user_id,
            username: p.username,
            role: p.role,
            teams: p.teams.into(),
            stacks: Arc::new(p.stacks.into_iter().collect()),
            logs,
        }
    }

    /// Whether one of the caller's teams owns `stack`.
    pub fn owns(&self, stack: &str) -> bool {
        self.stacks.contains(stack)
    }

    /// Whether the caller may `act` on `stack` (`None`: something outside any stack).
    pub fn may(&self, act: Act, stack: Option<&str>) -> bool {
        let owned = stack.is_some_and(|s| self.owns(s));
        roles::may_act(self.role, act, owned, self.logs)
    }

    /// Whether the caller meets a route's need; `stack` is the stack a stack or service need
    /// names (`None` outside any stack).
    pub fn meets(&self, need: Need, stack: Option<&str>) -> bool {
        let owned = stack.is_some_and(|s| self.owns(s));
        roles::allows(self.role, need, owned, self.logs)
    }

    /// Whether the caller meets a need that names no stack (Read, Operate, Admin, …).
    pub fn may_need(&self, need: Need) -> bool {
        self.meets(need, None)
    }

    /// [`Caller::may`] as a result: 403 with a sentence for pages.
    pub fn require(&self, act: Act, stack: Option<&str>) -> Result<(), AppError> {
        if self.may(act, stack) {
            Ok(())
        } else {
            Err(AppError::Forbidden(self.refusal(&Need::Stack(act), stack)))
        }
    }

    /// Whether the caller may see the environment values of `stack`'s services.
    pub fn sees_env(&self, stack: Option<&str>) -> bool {
        roles::sees_env(self.role, stack.is_some_and(|s| self.owns(s)))
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The sentence a refusal shows.
    pub fn refusal(&self, need: &Need, stack: Option<&str>) -> String {
        let role = self.role;
        match (need, stack) {
            (Need::Stack(_) | Need::Service(_), Some(s)) => format!(
                "Your role ({role}) does not allow this on stack {s}: it belongs to another team."
            ),
            (Need::Stack(_) | Need::Service(_), None) => format!(
                "Your role ({role}) does not allow this: it belongs to no team's stack, so only admins and operators may."
            ),
            (Need::Admin, _) => format!("Your role ({role}) does not allow this: admins only."),
            _ => format!("Your role ({role}) does not allow this."),
        }
    }
}

/// The sentence refusing environment values to a caller who may not see them.
pub fn env_refusal(caller: &Caller) -> String {
    format!(
        "Your role ({}) does not allow seeing environment values here: they often hold secrets.",
        caller.role
    )
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| AppError::Forbidden("Sign in first.".into()))
    }
}

/// Looks up the caller: an API token's owner (Authorization: Bearer), else outside `/api` the
/// account of the session cookie. Read only: touching the session is the session guard's.
async fn resolve(state: &AppState, headers: &HeaderMap, api: bool) -> sqlx::Result<Option<Caller>> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer);
    let user_id = if let Some(token) = token {
        db::api_tokens::find_live(&state.db, &hash_token(token))
            .await?
            .map(|b| b.user_id)
    } else if api {
        None
    } else {
        let name = super::session::session_cookie_name(state.config.secure_cookies());
        match super::session::cookie(headers, name).filter(|t| !t.is_empty() && t.len() < 200) {
            Some(t) => {
                db::sessions::find_live(&state.db, &hash_token(t), super::session::lifetime(state))
                    .await?
                    .map(|s| s.user_id)
            }
            None => None,
        }
    };
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    Ok(db::teams::principal(&state.db, user_id)
        .await?
        .map(|p| Caller::new(p, state.config.viewer_logs)))
}

/// The stack a stack or service rule is about: the path's `{name}`, or the stack of the
/// service `{id}` (from the live model; `None` outside stacks or when unknown).
fn stack_of(state: &AppState, need: Need, params: Option<&RawPathParams>) -> Option<String> {
    let param = |key: &str| {
        params?
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
    };
    match need {
        Need::Stack(_) => param("name"),
        Need::Service(_) => {
            let id = param("id")?;
            let snapshot = state.model.snapshot();
            let service = snapshot.service(&id)?;
            (!service.stack.is_empty()).then(|| service.stack.clone())
        }
        _ => None,
    }
}

fn refused(api: bool, message: String) -> Response {
    if api {
        // the API's error shape (web::api::error), written here so the policy imports no area
        let body = serde_json::json!({"error": {"code": "forbidden", "message": message}});
        (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
    } else {
        ErrorInfo::new(StatusCode::FORBIDDEN, "Not allowed", message).into_response()
    }
}

/// The gate's state: the app's, and the rules of routes added beside the areas' (tests).
#[derive(Clone)]
pub struct Gate {
    pub state: AppState,
    pub extra: &'static [Rule],
}

impl Gate {
    pub fn new(state: AppState) -> Gate {
        Gate { state, extra: &[] }
    }

    fn need_for(&self, method: &Method, path: &str) -> Option<Need> {
        need_for(method, path).or_else(|| {
            self.extra
                .iter()
                .find(|r| r.path == path && (r.method == "*" || r.method == method.as_str()))
                .map(|r| r.need)
        })
    }
}

/// The gate every matched route passes (see the module's doc).
pub async fn gate(State(gate): State<Gate>, req: Request, next: Next) -> Response {
    let state = &gate.state;
    let Some(path) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        // no route matched: the fallback answers 404
        return next.run(req).await;
    };
    let api = path == urls::API || path.starts_with("/api/");
    let Some(need) = gate.need_for(req.method(), &path) else {
        if has_rules(&path) {
            // another method of a known route: the router's 405, without reaching it
            return StatusCode::METHOD_NOT_ALLOWED.into_response();
        }
        tracing::error!(
            "refused {} {path}: the route has no rule in web::policy",
            req.method()
        );
        return refused(
            api,
            "This address has no access rule in berth, so it is refused.".into(),
        );
    };
    if need == Need::Public {
        return next.run(req).await;
    }
    let caller = match resolve(state, req.headers(), api).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("policy: cannot read the caller: {e}");
            return ErrorInfo::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "berth could not read its database. Check its log.",
            )
            .into_response();
        }
    };
    let Some(caller) = caller else {
        // anonymous: the session guard (sign-in) or the token guard (401) answers
        return next.run(req).await;
    };
    let (mut parts, body) = req.into_parts();
    let params = RawPathParams::from_request_parts(&mut parts, state)
        .await
        .ok();
    let stack = stack_of(state, need, params.as_ref());
    if !caller.meets(need, stack.as_deref()) {
        let target = format!("{} {}", parts.method, parts.uri.path());
        let detail = format!("role {}; the route needs {need:?}", caller.role);
        let ip = super::extract::client_ip(&parts.extensions);
        let entry = audit::Entry {
            username: Some(&caller.username),
            ip: ip.as_deref(),
            action: audit::Action::PolicyRefused,
            target: Some(&target),
            outcome: audit::Outcome::Denied,
            detail: Some(&detail),
        };
        if let Err(e) = audit::record(&state.db, &entry).await {
            tracing::error!("audit: {e}");
        }
        return refused(api, caller.refusal(&need, stack.as_deref()));
    }
    parts.extensions.insert(
        super::extract::Rights::new(caller.role, caller.stacks.clone())
            .with_teams(caller.teams.clone()),
    );
    parts.extensions.insert(caller);
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_route_has_two_rules_and_every_rule_is_a_pattern() {
        let mut seen = HashSet::new();
        for rule in crate::web::POLICIES.iter().flat_map(|t| t.iter()) {
            assert!(
                seen.insert((rule.method, rule.path)),
                "two rules for {} {}",
                rule.method,
                rule.path
            );
            assert!(rule.path.starts_with('/'), "{}", rule.path);
            assert!(
                ["GET", "POST", "PUT", "PATCH", "DELETE", "*"].contains(&rule.method),
                "{}",
                rule.method
            );
            let names_stack = rule.path.contains("{name}");
            let names_id = rule.path.contains("{id}");
            match rule.need {
                Need::Stack(_) => assert!(names_stack, "{} has no {{name}}", rule.path),
                Need::Service(_) | Need::Node(_) => {
                    assert!(names_id, "{} has no {{id}}", rule.path)
                }
                _ => {}
            }
        }
    }

    #[test]
    fn head_follows_get_and_unknown_routes_have_no_rule() {
        assert_eq!(need_for(&Method::HEAD, urls::NODES), Some(Need::Read));
        assert_eq!(need_for(&Method::GET, urls::NODES), Some(Need::Read));
        assert_eq!(need_for(&Method::POST, "/no/such/route"), None);
    }
}
