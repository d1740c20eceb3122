//! The console page (xterm.js with JavaScript; the one-shot command form without), the one-shot
//! command itself, and the task's container log.

use std::time::Instant;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query};
use serde::Deserialize;

use super::{Target, program, short, target};
use crate::agent::console::{MAX_TAIL, RunRequest, RunResult};
use crate::db::audit::{Action, Outcome};
use crate::error::{AppError, AppResult};
use crate::web::page::{Ctx, Layout};
use crate::web::session::urlencode;
use crate::web::urls;

/// The vendored terminal (scripts/fetch-assets).
pub const XTERM_CSS: &str = "/static/vendor/xterm-xterm-6.0.0/xterm.css";
pub const XTERM_JS: &str = "/static/vendor/xterm-xterm-6.0.0/xterm.js";
pub const XTERM_FIT_JS: &str = "/static/vendor/xterm-addon-fit-0.11.0/addon-fit.js";
/// berth's own: starts the terminal and its WebSocket.
pub const CONSOLE_JS: &str = "/static/console.js";
pub const CONSOLE_CSS: &str = "/static/console.css";

const DEFAULT_TAIL: u64 = 200;

#[derive(Template, WebTemplate)]
#[template(path = "console/page.html")]
pub struct ConsolePage {
    pub layout: Layout,
    pub t: Target,
    pub container: String,
    pub socket_url: String,
    pub console_url: String,
    pub log_url: String,
    pub service_url: String,
    pub cmd: String,
    pub result: Option<RunResult>,
    pub took_ms: u128,
    pub error: Option<String>,
    pub xterm_css: &'static str,
    pub xterm_js: &'static str,
    pub fit_js: &'static str,
    pub console_js: &'static str,
    pub console_css: &'static str,
}

fn page(ctx: &Ctx, t: Target) -> ConsolePage {
    ConsolePage {
        layout: ctx.layout(format!("Console: {}", t.task_name), "services"),
        container: short(&t.container_id).to_string(),
        socket_url: format!(
            "{}?csrf={}",
            urls::task_console_socket(&t.service_id, &t.task_id),
            urlencode(&ctx.session.csrf)
        ),
        console_url: urls::task_console(&t.service_id, &t.task_id),
        log_url: urls::task_log(&t.service_id, &t.task_id),
        service_url: urls::service(&t.service_id),
        cmd: String::new(),
        result: None,
        took_ms: 0,
        error: None,
        xterm_css: XTERM_CSS,
        xterm_js: XTERM_JS,
        fit_js: XTERM_FIT_JS,
        console_js: CONSOLE_JS,
        console_css: CONSOLE_CSS,
        t,
    }
}

pub async fn show(ctx: Ctx, Path((id, task)): Path<(String, String)>) -> AppResult<ConsolePage> {
    let t = target(&ctx.state, &id, &task)?;
    Ok(page(&ctx, t))
}

#[derive(Debug, Deserialize)]
pub struct RunForm {
    #[serde(default)]
    cmd: String,
}

/// `POST …/console`: runs one command in the task's container and shows its output.
pub async fn run(
    ctx: Ctx,
    Path((id, task)): Path<(String, String)>,
    Form(f): Form<RunForm>,
) -> AppResult<ConsolePage> {
    let t = target(&ctx.state, &id, &task)?;
    if f.cmd.trim().is_empty() {
        let mut p = page(&ctx, t);
        p.error = Some("Type a command to run.".into());
        return Ok(p);
    }
    crate::agent::console::argv(&f.cmd).map_err(AppError::BadRequest)?;
    if !t.running {
        return Err(AppError::BadRequest(format!(
            "The task {} is not running: there is nothing to run a command in.",
            t.task_name
        )));
    }
    let what = program(&f.cmd);
    let body = serde_json::to_vec(&RunRequest {
        container: t.container_id.clone(),
        cmd: f.cmd.clone(),
    })
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let started = Instant::now();
    let answer: Result<RunResult, _> = ctx
        .state
        .agents
        .call(&t.node_id, reqwest::Method::POST, "/v1/exec/run", body)
        .await;
    let took = started.elapsed();
    let mut p = page(&ctx, t);
    p.took_ms = took.as_millis();
    p.cmd = f.cmd;
    match answer {
        Ok(r) => {
            let code = r
                .exit_code
                .map(|c| format!("exit code {c}"))
                .unwrap_or_else(|| "no exit code".into());
            ctx.audit(
                Action::ConsoleRun,
                &p.t.audit_target(),
                Outcome::Ok,
                Some(&format!("{what}; {code} after {:.1} s", took.as_secs_f64())),
            )
            .await;
            p.result = Some(r);
        }
        Err(e) => {
            ctx.audit(
                Action::ConsoleRun,
                &p.t.audit_target(),
                Outcome::Failed,
                Some(&format!("{what}; {e}")),
            )
            .await;
            p.error = Some(format!(
                "The agent on {} could not run it: {e}",
                p.t.node_name
            ));
        }
    }
    Ok(p)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogParams {
    /// last N lines; `all`; empty: 200
    pub tail: String,
    /// only lines newer than this (a duration: `10m`, `1h30m`)
    pub since: String,
}

impl LogParams {
    fn tail(&self) -> AppResult<Option<u64>> {
        match self.tail.trim() {
            "" => Ok(Some(DEFAULT_TAIL)),
            "all" => Ok(None),
            n => n
                .parse::<u64>()
                .map(|n| Some(n.min(MAX_TAIL)))
                .map_err(|_| {
                    AppError::BadRequest(format!(
                        "tail is a number of lines or \"all\", not {:?}.",
                        n.chars().take(40).collect::<String>()
                    ))
                }),
        }
    }

    /// Seconds back from now, or None.
    fn since(&self) -> AppResult<Option<i64>> {
        let s = self.since.trim();
        if s.is_empty() {
            return Ok(None);
        }
        if s.len() > 40 {
            return Err(AppError::BadRequest("since is too long.".into()));
        }
        let nanos = crate::syntax::duration::parse_duration(s).map_err(|e| {
            AppError::BadRequest(format!("since is a duration such as 10m or 2h: {e}"))
        })?;
        if nanos <= 0 {
            return Err(AppError::BadRequest(
                "since is a duration back from now, such as 10m.".into(),
            ));
        }
        Ok(Some(nanos / 1_000_000_000))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/log.html")]
pub struct LogPage {
    pub layout: Layout,
    pub t: Target,
    pub container: String,
    pub tail: String,
    pub since: String,
    pub text: String,
    pub error: Option<String>,
    pub log_url: String,
    pub console_url: String,
    pub service_url: String,
    pub service_logs_url: String,
    /// the caller may open a console into the task (the button shows)
    pub console: bool,
}

/// `GET …/log?tail=&since=`: the task's own container log, through the agent on its node.
pub async fn log(
    ctx: Ctx,
    Path((id, task)): Path<(String, String)>,
    Query(q): Query<LogParams>,
) -> AppResult<LogPage> {
    let t = target(&ctx.state, &id, &task)?;
    let tail = q.tail()?;
    let since = q.since()?;
    let mut path = format!("/v1/containers/{}/logs?", urlencode(&t.container_id));
    if let Some(n) = tail {
        path.push_str(&format!("tail={n}"));
    }
    if let Some(back) = since {
        let from = crate::agent::sign::now().saturating_sub(back).max(1);
        path.push_str(&format!("&since={from}"));
    }
    let answer = ctx
        .state
        .agents
        .call_raw(&t.node_id, reqwest::Method::GET, &path, Vec::new())
        .await;
    let (text, error) = match answer {
        Ok(b) => (String::from_utf8_lossy(&b).into_owned(), None),
        Err(e) => (
            String::new(),
            Some(format!(
                "The agent on {} could not read the log: {e}",
                t.node_name
            )),
        ),
    };
    let stack = ctx
        .state
        .model
        .snapshot()
        .service(&t.service_id)
        .map(|s| s.stack.clone())
        .unwrap_or_default();
    Ok(LogPage {
        console: t.running && crate::web::extract::may_console(ctx.rights.as_ref(), &stack),
        layout: ctx.layout(format!("Log: {}", t.task_name), "services"),
        container: short(&t.container_id).to_string(),
        tail: q.tail.trim().to_string(),
        since: q.since.trim().to_string(),
        text,
        error,
        log_url: urls::task_log(&t.service_id, &t.task_id),
        console_url: urls::task_console(&t.service_id, &t.task_id),
        service_url: urls::service(&t.service_id),
        service_logs_url: urls::service_action(&t.service_id, "logs"),
        t,
    })
}
