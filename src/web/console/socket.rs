//! The console's WebSocket: checked (same origin, the session's CSRF token, a running task of
//! the service in the path, a free console slot), upgraded, then relayed frame by frame to the
//! agent on the task's node until either side ends, the browser goes idle or berth stops.
//! Each session is audited at open and at close (with how long it lasted).

use std::time::Instant;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message as AgentMessage;

use super::{IDLE_TIMEOUT, Slot, Target, program, same_origin, target};
use crate::agent::console::{Event, MAX_MESSAGE};
use crate::auth::tokens::constant_time_eq;
use crate::db::audit::{Action, Outcome};
use crate::error::{AppError, AppResult};
use crate::web::page::Ctx;
use crate::web::session::urlencode;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SocketQuery {
    /// the session's CSRF token (a WebSocket cannot carry berth's header)
    csrf: String,
    /// empty: a shell
    cmd: String,
    cols: u16,
    rows: u16,
}

pub async fn open(
    ctx: Ctx,
    Path((id, task)): Path<(String, String)>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> AppResult<Response> {
    let h = |n: header::HeaderName| headers.get(n).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if !same_origin(h(header::ORIGIN), h(header::HOST), fetch_site) {
        return Err(AppError::Forbidden(
            "A console opens only from berth's own pages.".into(),
        ));
    }
    if !constant_time_eq(q.csrf.as_bytes(), ctx.session.csrf.as_bytes()) {
        ctx.audit(
            Action::CsrfRefused,
            &format!("console of task {task}"),
            Outcome::Denied,
            Some("missing or wrong CSRF token"),
        )
        .await;
        return Err(AppError::Forbidden(
            "This console page has expired. Reload it and try again.".into(),
        ));
    }
    crate::agent::console::argv(&q.cmd).map_err(AppError::BadRequest)?;
    let t = target(&ctx.state, &id, &task)?;
    if !t.running {
        return Err(AppError::BadRequest(format!(
            "The task {} is not running: there is nothing to open a console in.",
            t.task_name
        )));
    }
    let Some(slot) = ctx.state.consoles.reserve(ctx.session.user_id) else {
        return Err(AppError::BadRequest(format!(
            "You have {} consoles open: close one first.",
            super::MAX_PER_USER
        )));
    };
    let path = format!(
        "/v1/exec?container={}&cmd={}&cols={}&rows={}",
        urlencode(&t.container_id),
        urlencode(&q.cmd),
        q.cols.min(1000),
        q.rows.min(1000)
    );
    let what = program(&q.cmd);
    Ok(ws
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| relay(ctx, t, path, what, slot, socket)))
}

async fn tell(browser: &mut WebSocket, ev: &Event) {
    if let Ok(text) = serde_json::to_string(ev) {
        let _ = browser.send(Message::Text(text.into())).await;
    }
}

async fn relay(
    ctx: Ctx,
    t: Target,
    path: String,
    what: String,
    slot: Slot,
    mut browser: WebSocket,
) {
    let target = t.audit_target();
    let mut agent = match ctx.state.agents.websocket(&t.node_id, &path).await {
        Ok(a) => a,
        Err(e) => {
            ctx.audit(
                Action::ConsoleOpen,
                &target,
                Outcome::Failed,
                Some(&e.to_string()),
            )
            .await;
            tell(
                &mut browser,
                &Event::error(format!("The agent on {} cannot open it: {e}", t.node_name)),
            )
            .await;
            let _ = browser.send(Message::Close(None)).await;
            return;
        }
    };
    ctx.audit(Action::ConsoleOpen, &target, Outcome::Ok, Some(&what))
        .await;
    let started = Instant::now();
    let idle = tokio::time::sleep(IDLE_TIMEOUT);
    tokio::pin!(idle);
    let stopping = ctx.state.shutting_down();
    tokio::pin!(stopping);
    let why = loop {
        tokio::select! {
            m = browser.recv() => {
                let to_agent = match m {
                    Some(Ok(Message::Binary(b))) => AgentMessage::Binary(b),
                    Some(Ok(Message::Text(s))) => AgentMessage::Text(s.as_str().into()),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => break "closed by the browser",
                    Some(Err(_)) => break "the browser's connection failed or sent too much",
                };
                idle.as_mut().reset(tokio::time::Instant::now() + IDLE_TIMEOUT);
                if agent.send(to_agent).await.is_err() {
                    break "the agent's connection failed";
                }
            }
            m = agent.next() => {
                let to_browser = match m {
                    Some(Ok(AgentMessage::Binary(b))) => Message::Binary(b),
                    Some(Ok(AgentMessage::Text(s))) => Message::Text(s.as_str().into()),
                    Some(Ok(AgentMessage::Close(_))) | None => break "the command ended",
                    Some(Ok(_)) => continue,
                    Some(Err(_)) => break "the agent's connection failed",
                };
                if browser.send(to_browser).await.is_err() {
                    break "the browser's connection failed";
                }
            }
            _ = &mut idle => {
                tell(&mut browser, &Event::error(format!(
                    "Closed after {} minutes without input.", IDLE_TIMEOUT.as_secs() / 60
                ))).await;
                break "idle";
            }
            _ = &mut stopping => {
                tell(&mut browser, &Event::error("berth is shutting down.")).await;
                break "berth stopped";
            }
        }
    };
    let _ = browser.send(Message::Close(None)).await;
    let _ = agent.close(None).await;
    drop(slot);
    let took = started.elapsed().as_secs_f64();
    ctx.audit(
        Action::ConsoleClose,
        &target,
        Outcome::Ok,
        Some(&format!("{what}; {why} after {took:.1} s")),
    )
    .await;
}
