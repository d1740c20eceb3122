//! What every page shares: the layout (navigation, Docker banner, flash message) and the
//! helpers a signed-in request's [`Ctx`] offers for actions (audit, redirect with message).

use axum::response::{IntoResponse, Redirect, Response};

pub use super::extract::Ctx;
use super::extract::{Rights, Session};
use crate::AppState;
use crate::db;
use crate::docker::DockerStatus;

impl Ctx {
    pub fn layout(&self, title: impl Into<String>, nav: &'static str) -> Layout {
        let mut layout = Layout::new(&self.state, Some(&self.session), title.into(), nav);
        layout.rights = self.rights.clone();
        layout
    }

    /// Records an action in the audit log (a failure to record is logged, never hidden).
    pub async fn audit(
        &self,
        action: db::audit::Action,
        target: &str,
        outcome: db::audit::Outcome,
        detail: Option<&str>,
    ) {
        let entry = db::audit::Entry {
            username: Some(&self.session.username),
            ip: self.ip.as_deref(),
            action,
            target: (!target.is_empty()).then_some(target),
            outcome,
            detail,
        };
        if let Err(e) = db::audit::record(&self.state.db, &entry).await {
            tracing::error!("cannot write audit log entry {action} {target}: {e}");
        }
    }

    /// Leaves a message for the next page and redirects there (303: htmx follows it too).
    pub async fn redirect_with(&self, to: &str, kind: FlashKind, text: &str) -> Response {
        let flash = format!("{}:{text}", kind.as_str());
        if let Err(e) = db::sessions::set_flash(&self.state.db, &self.session.id_hash, &flash).await
        {
            tracing::error!("cannot store flash message: {e}");
        }
        Redirect::to(to).into_response()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashKind {
    Ok,
    Error,
    Info,
}

impl FlashKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlashKind::Ok => "ok",
            FlashKind::Error => "error",
            FlashKind::Info => "info",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Flash {
    pub kind: &'static str,
    pub text: String,
}

impl Flash {
    fn parse(raw: &str) -> Flash {
        match raw.split_once(':') {
            Some(("ok", t)) => Flash {
                kind: "ok",
                text: t.to_string(),
            },
            Some(("error", t)) => Flash {
                kind: "error",
                text: t.to_string(),
            },
            Some(("info", t)) => Flash {
                kind: "info",
                text: t.to_string(),
            },
            _ => Flash {
                kind: "info",
                text: raw.to_string(),
            },
        }
    }
}

/// The Docker problem shown at the top of every page, if any.
#[derive(Debug, Clone)]
pub struct Banner {
    pub kind: &'static str,
    pub title: String,
    pub message: String,
    pub hint: String,
    pub offer_init: bool,
    pub managers: Vec<String>,
}

impl Banner {
    pub fn from_status(status: &DockerStatus, host: &str) -> Option<Banner> {
        match status {
            DockerStatus::Manager(_) | DockerStatus::Unknown => None,
            DockerStatus::Unreachable { error } => Some(Banner {
                kind: "error",
                title: "Docker is unreachable".into(),
                message: format!("berth cannot reach the Docker engine at {host}: {error}"),
                hint: "If berth runs in a container, mount the manager's socket into it \
                       (-v /var/run/docker.sock:/var/run/docker.sock; berth's stack file does this). \
                       Otherwise set DOCKER_HOST to a manager's API address. berth retries every second \
                       and recovers by itself."
                    .into(),
                offer_init: false,
                managers: vec![],
            }),
            DockerStatus::NotInSwarm { state, error, engine_version } => Some(Banner {
                kind: "warning",
                title: "This Docker engine is not in a swarm".into(),
                message: format!(
                    "The engine at {host} (Docker {engine_version}) answers, but swarm mode is {state}{}.",
                    error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
                ),
                hint: "berth manages a Docker Swarm. Initialise a new swarm on this engine below, \
                       or join this machine to an existing swarm as a manager (docker swarm join …)."
                    .into(),
                offer_init: true,
                managers: vec![],
            }),
            DockerStatus::Worker { managers, .. } => Some(Banner {
                kind: "error",
                title: "berth is talking to a swarm worker".into(),
                message: format!(
                    "The engine at {host} is a worker node. Only managers can show and change the swarm."
                ),
                hint: "Run berth on a manager (its stack file places it with node.role == manager), \
                       or point DOCKER_HOST at a manager."
                    .into(),
                offer_init: false,
                managers: managers.clone(),
            }),
        }
    }
}

/// A short name of the Docker state, so the banner poll can tell when it changed.
pub fn status_kind(status: &DockerStatus) -> &'static str {
    match status {
        DockerStatus::Unknown => "unknown",
        DockerStatus::Unreachable { .. } => "unreachable",
        DockerStatus::NotInSwarm { .. } => "not-in-swarm",
        DockerStatus::Worker { .. } => "worker",
        DockerStatus::Manager(_) => "manager",
    }
}

/// The frame of every page.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub nav: &'static str,
    pub username: String,
    pub is_admin: bool,
    pub signed_in: bool,
    pub csrf: String,
    pub banner: Option<Banner>,
    pub docker_state: &'static str,
    pub flash: Option<Flash>,
    pub css: String,
    pub js: String,
    pub htmx: String,
    pub sse: String,
    pub version: &'static str,
    /// what the caller's role allows; `None` (no gate ran): every button shows
    pub rights: Option<Rights>,
}

impl Layout {
    pub fn new(
        state: &AppState,
        session: Option<&Session>,
        title: String,
        nav: &'static str,
    ) -> Layout {
        let status = state.docker.status().status;
        Layout {
            title,
            nav,
            username: session.map(|s| s.username.clone()).unwrap_or_default(),
            is_admin: session.is_some_and(|s| s.is_admin),
            signed_in: session.is_some(),
            csrf: session.map(|s| s.csrf.clone()).unwrap_or_default(),
            banner: Banner::from_status(&status, state.docker.host()),
            docker_state: status_kind(&status),
            flash: session.and_then(|s| s.flash.as_deref()).map(Flash::parse),
            css: state.assets.css.clone(),
            js: state.assets.js.clone(),
            htmx: state.assets.htmx.clone(),
            sse: state.assets.sse.clone(),
            version: env!("CARGO_PKG_VERSION"),
            rights: None,
        }
    }

    /// Whether to show deploy, scale, edit and remove on `stack` (`""`: outside any stack).
    pub fn may_deploy(&self, stack: &str) -> bool {
        self.rights.as_ref().is_none_or(|r| r.may_deploy(stack))
    }

    /// Whether to show "New stack".
    pub fn may_deploy_new(&self) -> bool {
        self.rights.as_ref().is_none_or(Rights::may_deploy_new)
    }

    /// Whether to show actions on nodes, services outside stacks and the swarm's objects.
    pub fn may_operate(&self) -> bool {
        self.rights.as_ref().is_none_or(Rights::may_operate)
    }

    /// The teams to choose from for a new stack (empty: no choice to make).
    pub fn team_choices(&self) -> Vec<String> {
        self.rights
            .as_ref()
            .map(super::extract::Rights::team_choices)
            .unwrap_or_default()
    }

    /// Whether to show the Console of a task of `stack` (`""`: outside any stack).
    pub fn may_console(&self, stack: &str) -> bool {
        super::extract::may_console(self.rights.as_ref(), stack)
    }

    /// The first letter of the user name, for the avatar.
    pub fn initial(&self) -> String {
        self.username
            .chars()
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default()
    }

    /// `aria-current` for a navigation link.
    pub fn current(&self, nav: &str) -> &'static str {
        if self.nav == nav { "page" } else { "false" }
    }
}
