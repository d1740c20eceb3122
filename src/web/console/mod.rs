//! A console into a task's container, and the container's own log, through the berth agent
//! on the task's node (issue 16).
//!
//! - `GET …/console`: the page (xterm.js, loaded under the strict CSP by static/console.js);
//!   without JavaScript it offers the one-shot command form (`POST …/console`).
//! - `GET …/console/socket`: the WebSocket the page opens; berth relays it to the agent's
//!   `/v1/exec` ([`socket`]). Same origin, the session's CSRF token and a free console slot
//!   are checked before the upgrade.
//! - `GET …/log`: the task's container log (tail, since).
//!
//! Every route names the service (`{id}`) and the task (`{task}`): the route policy decides
//! on the service's stack, and [`target`] checks that the task belongs to that service.

mod page;
mod socket;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::web::policy::{Act, Need, Rule, rule};
use crate::web::urls;

/// Consoles one user may have open at once.
pub const MAX_PER_USER: usize = 4;
/// A console without a keystroke (or resize) from the browser for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Who may use each route (see `web::policy`): a console (page, command, WebSocket) is the
/// service's stack's Console (operators and admins; deployers on their teams' stacks; never
/// viewers); the container log is the service's Logs.
pub const POLICY: &[Rule] = &[
    rule(
        "GET",
        urls::route::TASK_CONSOLE,
        Need::Service(Act::Console),
    ),
    rule(
        "POST",
        urls::route::TASK_CONSOLE,
        Need::Service(Act::Console),
    ),
    rule(
        "GET",
        urls::route::TASK_CONSOLE_SOCKET,
        Need::Service(Act::Console),
    ),
    rule("GET", urls::route::TASK_LOG, Need::Service(Act::Logs)),
];

/// Pages and the one-shot command (behind the session layer and the request timeout).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(urls::route::TASK_CONSOLE, get(page::show).post(page::run))
        .route(urls::route::TASK_LOG, get(page::log))
}

/// The console's WebSocket (long-lived: outside the request timeout).
pub fn streams() -> Router<AppState> {
    Router::new().route(urls::route::TASK_CONSOLE_SOCKET, get(socket::open))
}

/// The open consoles per user, bounded by [`MAX_PER_USER`].
#[derive(Clone, Default)]
pub struct Consoles(Arc<Mutex<HashMap<i64, usize>>>);

/// One reserved console; its place is given back when it is dropped.
pub struct Slot {
    consoles: Consoles,
    user: i64,
}

impl Consoles {
    /// Reserves a console for `user`, unless they have [`MAX_PER_USER`] open (the check and
    /// the count are one step under the lock).
    pub fn reserve(&self, user: i64) -> Option<Slot> {
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(user).or_insert(0);
        if *n >= MAX_PER_USER {
            return None;
        }
        *n += 1;
        Some(Slot {
            consoles: self.clone(),
            user,
        })
    }

    /// Consoles open now (all users).
    pub fn open(&self) -> usize {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .sum()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.consoles.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// The container a console or log opens: a task of the service in the path, on a node.
#[derive(Debug, Clone)]
pub struct Target {
    pub service_id: String,
    pub service_name: String,
    pub task_id: String,
    /// `web.3`
    pub task_name: String,
    pub container_id: String,
    pub node_id: String,
    pub node_name: String,
    pub running: bool,
}

impl Target {
    /// How the audit log names it.
    pub fn audit_target(&self) -> String {
        format!(
            "task {} ({}) container {} on node {}",
            self.task_name,
            self.task_id,
            short(&self.container_id),
            self.node_name
        )
    }
}

pub fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Finds task `task` of service `id` in the live model; 404 when the service has no such task
/// or the task has no container yet.
pub fn target(state: &AppState, id: &str, task: &str) -> AppResult<Target> {
    let not_found = || AppError::NotFound(format!("The service {id:?} has no task {task:?}."));
    if !crate::docker::services::is_plain_ref(id) || !crate::docker::services::is_plain_ref(task) {
        return Err(not_found());
    }
    let snap = state.model.snapshot();
    let svc = snap.service(id).ok_or_else(not_found)?;
    let t = snap
        .service_tasks(&svc.id)
        .iter()
        .find(|t| &*t.id == task)
        .ok_or_else(not_found)?;
    if t.container_id.is_empty() || t.node_id.is_empty() {
        return Err(AppError::NotFound(format!(
            "The task {task} has no container yet (it is {}).",
            t.state
        )));
    }
    let node_name = snap
        .node(&t.node_id)
        .map(|n| n.hostname.clone())
        .unwrap_or_else(|| short(&t.node_id).to_string());
    Ok(Target {
        service_id: svc.id.clone(),
        service_name: svc.name.clone(),
        task_id: t.id.to_string(),
        task_name: t.display_name(&svc.name),
        container_id: t.container_id.to_string(),
        node_id: t.node_id.to_string(),
        node_name,
        running: t.state == "running",
    })
}

/// What the audit log keeps of a command line: its program only (arguments may hold secrets).
pub fn program(cmd: &str) -> String {
    match crate::agent::console::argv(cmd) {
        Ok(_) if cmd.trim().is_empty() => "a shell".to_string(),
        Ok(words) => words.first().cloned().unwrap_or_default(),
        Err(_) => "an unreadable command".into(),
    }
    .chars()
    .take(100)
    .collect()
}

/// Whether a WebSocket upgrade comes from berth's own pages: the browser's Origin names the
/// host the request was sent to (and Sec-Fetch-Site, when sent, says same-origin).
pub fn same_origin(origin: Option<&str>, host: Option<&str>, fetch_site: Option<&str>) -> bool {
    if fetch_site.is_some_and(|s| s != "same-origin") {
        return false;
    }
    let (Some(origin), Some(host)) = (origin, host) else {
        return false;
    };
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https") && authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_gets_at_most_max_consoles_and_a_closed_one_frees_its_place() {
        let c = Consoles::default();
        let mut held: Vec<Slot> = (0..MAX_PER_USER).filter_map(|_| c.reserve(1)).collect();
        assert_eq!(held.len(), MAX_PER_USER);
        assert!(c.reserve(1).is_none());
        assert!(c.reserve(2).is_some(), "another user is not counted");
        held.pop();
        assert!(c.reserve(1).is_some());
        drop(held);
        assert_eq!(c.open(), 0);
    }

    #[test]
    fn only_berths_own_origin_may_open_a_console() {
        let h = Some("berth.example:8080");
        assert!(same_origin(Some("https://berth.example:8080"), h, None));
        assert!(same_origin(
            Some("http://BERTH.example:8080"),
            h,
            Some("same-origin")
        ));
        assert!(!same_origin(Some("https://evil.example"), h, None));
        assert!(!same_origin(Some("https://berth.example"), h, None));
        assert!(!same_origin(None, h, None));
        assert!(!same_origin(Some("null"), h, None));
        assert!(!same_origin(
            Some("https://berth.example:8080"),
            h,
            Some("cross-site")
        ));
    }

    #[test]
    fn the_audit_keeps_the_program_not_its_arguments() {
        assert_eq!(program("mysql -psecret db"), "mysql");
        assert!(program("").starts_with("a shell"));
        assert_eq!(program("echo 'open"), "an unreadable command");
    }
}
