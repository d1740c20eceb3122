//! What handlers extract from a request: the signed-in [`Session`], the request context [`Ctx`]
//! (state, session, client address, htmx or not) and the client address alone ([`ClientIp`]).
//!
//! Nothing here renders or redirects: `session` puts the session into the request, `page` adds
//! the helpers a page needs to [`Ctx`], `errors` renders failures.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::Extensions;
use axum::http::request::Parts;
use axum_htmx::HxRequest;

use crate::AppState;
use crate::auth::roles::{self, Act, Need, Role, ViewerLogs};
use crate::error::AppError;

/// What the signed-in caller may do, for pages to hide what their role cannot (put into the
/// request by the route gate, `web::policy`; the server refuses it anyway).
#[derive(Debug, Clone)]
pub struct Rights {
    pub role: Role,
    /// the stacks the caller's teams own
    stacks: Arc<HashSet<String>>,
    /// the caller's teams (a deployer in several picks one for a new stack)
    teams: Arc<[String]>,
}

impl Rights {
    pub fn new(role: Role, stacks: Arc<HashSet<String>>) -> Rights {
        Rights {
            role,
            stacks,
            teams: Arc::from(Vec::new()),
        }
    }

    /// The same, knowing the caller's teams.
    pub fn with_teams(mut self, teams: Arc<[String]>) -> Rights {
        self.teams = teams;
        self
    }

    /// The teams a new stack may be given to on the forms: a deployer's, when they have more
    /// than one (else it goes to their only team, or the role needs none).
    pub fn team_choices(&self) -> Vec<String> {
        if self.role == Role::Deployer && self.teams.len() > 1 {
            self.teams.to_vec()
        } else {
            Vec::new()
        }
    }

    /// Deploy, scale, edit or remove `stack` (`""`: outside any stack).
    pub fn may_deploy(&self, stack: &str) -> bool {
        let owned = !stack.is_empty() && self.stacks.contains(stack);
        roles::may_act(self.role, Act::Deploy, owned, ViewerLogs::All)
    }

    /// Make a new stack (deployers and up; a deployer's becomes their team's).
    pub fn may_deploy_new(&self) -> bool {
        roles::allows(self.role, Need::Deployer, false, ViewerLogs::All)
    }

    /// Act on nodes, services outside stacks and the swarm's objects.
    pub fn may_operate(&self) -> bool {
        roles::allows(self.role, Need::Operate, false, ViewerLogs::All)
    }

    /// Open a console into a task of `stack` (`""`: a service outside any stack).
    pub fn may_console(&self, stack: &str) -> bool {
        let owned = !stack.is_empty() && self.stacks.contains(stack);
        roles::may_act(self.role, Act::Console, owned, ViewerLogs::All)
    }

    /// Which callers see the same live parts: everyone of a role above deployer alike, and
    /// deployers by the stacks their teams own (a live part rendered once per fingerprint is
    /// shared only among callers of one variant).
    pub fn variant(&self) -> String {
        match self.role {
            Role::Deployer => {
                let mut stacks: Vec<&str> = self.stacks.iter().map(String::as_str).collect();
                stacks.sort_unstable();
                let mut h = std::hash::DefaultHasher::new();
                std::hash::Hash::hash(&stacks, &mut h);
                format!("deployer-{:x}", std::hash::Hasher::finish(&h))
            }
            r => r.as_str().to_string(),
        }
    }
}

/// The live-part key of `url` for the caller with `rights` (see [`Rights::variant`]).
pub fn part_key(url: &str, rights: Option<&Rights>) -> String {
    match rights {
        Some(r) => format!("{url}#{}", r.variant()),
        None => url.to_string(),
    }
}

/// Whether the caller with `rights` may open a console into a task of `stack` (no rights: the
/// gate did not run, everything shows).
pub fn may_console(rights: Option<&Rights>, stack: &str) -> bool {
    rights.is_none_or(|r| r.may_console(stack))
}

/// The signed-in user of this request (put into the request by `session::require_session`).
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: Arc<Vec<u8>>,
    pub user_id: i64,
    pub username: String,
    pub is_admin: bool,
    pub csrf: String,
    /// The one-shot message left by the previous action, already cleared in the database.
    pub flash: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| AppError::Forbidden("Sign in first.".into()))
    }
}

/// The context of a request by a signed-in user.
pub struct Ctx {
    pub state: AppState,
    pub session: Session,
    pub ip: Option<String>,
    pub htmx: bool,
    /// The request came over plain HTTP from another machine (the settings page warns).
    pub plain_http_from_afar: bool,
    /// what the caller's role allows (from the route gate)
    pub rights: Option<Rights>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        let Ok(HxRequest(htmx)) = HxRequest::from_request_parts(parts, state).await;
        Ok(Ctx {
            state: state.clone(),
            session,
            ip: client_ip(&parts.extensions),
            htmx,
            plain_http_from_afar: parts
                .extensions
                .get::<super::transport::Via>()
                .is_some_and(|v| v.plain_http_from_afar()),
            rights: parts.extensions.get::<Rights>().cloned(),
        })
    }
}

/// The client's address: the peer of the connection, or what a trusted proxy
/// (BERTH_TRUSTED_PROXIES) says in X-Forwarded-For (see [`super::transport`]).
pub fn client_ip(extensions: &Extensions) -> Option<String> {
    if let Some(via) = extensions.get::<super::transport::Via>() {
        return via.ip.map(|ip| ip.to_string());
    }
    extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ci| ci.0.ip().to_string())
}

/// The client address as an extractor that never fails (in-process tests have none).
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(&parts.extensions)))
    }
}
