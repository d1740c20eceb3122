//! The agent's console and logs routes: a shell or a command in a container of its node (over
//! a WebSocket, with a TTY that follows the browser's size), a one-shot command whose output
//! comes back whole, and a container's own log.
//!
//! All three sit behind the agent's signature check ([`super::server`]): only berth reaches
//! them. Which container a user may open is berth's decision (the task's container, the
//! caller's role); the agent checks only that the id is a plain reference.
//!
//! The WebSocket speaks [`super::console`]'s frames: binary frames carry the terminal's bytes
//! both ways; text frames carry JSON (from berth: a resize; to berth: the exit code or an
//! error) before the agent closes.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::query_parameters::{LogsOptions, ResizeExecOptions};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use super::console::{self, Control, Event, RunRequest, RunResult};

/// Largest WebSocket message the agent takes (keystrokes and pastes; berth bounds it too).
pub const MAX_MESSAGE: usize = console::MAX_MESSAGE;
/// Most output a one-shot command returns (the rest is cut, and said so).
pub const MAX_RUN_OUTPUT: usize = 256 * 1024;
/// How long a one-shot command may run before its output is returned without it.
/// (under berth's 10 s wait for an agent's answer)
pub const RUN_TIMEOUT: Duration = Duration::from_secs(8);
/// Most bytes of a container log returned at once.
pub const MAX_LOG: usize = 8 * 1024 * 1024;

fn bad(status: StatusCode, why: impl Into<String>) -> Response {
    (status, why.into()).into_response()
}

fn docker_error(e: bollard::errors::Error) -> Response {
    let e = crate::docker::DockerError::from(e);
    let status = match e {
        crate::docker::DockerError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_GATEWAY,
    };
    bad(status, e.user_message())
}

/// The container and the argv of a console or command (the words of `cmd`, or a shell when
/// it is empty), or why not.
fn checked(container: &str, cmd: &str) -> Result<Vec<String>, String> {
    if !console::is_container_ref(container) {
        return Err("not a container id".into());
    }
    console::argv(cmd)
}

#[derive(Debug, Deserialize)]
pub struct ConsoleQuery {
    container: String,
    #[serde(default)]
    cmd: String,
    #[serde(default)]
    cols: u16,
    #[serde(default)]
    rows: u16,
}

/// `GET /v1/exec?container=ID&cmd=…&cols=&rows=` upgraded to a WebSocket: a TTY exec. The exec
/// is created before the upgrade, so an unknown container or a bad command is a plain (signed)
/// error answer.
pub async fn open(docker: Docker, Query(q): Query<ConsoleQuery>, ws: WebSocketUpgrade) -> Response {
    let argv = match checked(&q.container, &q.cmd) {
        Ok(a) => a,
        Err(why) => return bad(StatusCode::BAD_REQUEST, why),
    };
    let created = docker
        .create_exec(
            &q.container,
            CreateExecOptions {
                attach_stdin: Some(true),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                tty: Some(true),
                env: Some(vec!["TERM=xterm-256color".to_string()]),
                cmd: Some(argv),
                ..Default::default()
            },
        )
        .await;
    let exec = match created {
        Ok(e) => e.id,
        Err(e) => return docker_error(e),
    };
    let size = (q.cols > 0 && q.rows > 0).then_some((q.cols, q.rows));
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| session(docker, exec, socket, size))
}

async fn send_event(socket: &mut WebSocket, ev: &Event) {
    if let Ok(text) = serde_json::to_string(ev) {
        let _ = socket.send(Message::Text(text.into())).await;
    }
}

async fn resize(docker: &Docker, exec: &str, (cols, rows): (u16, u16)) {
    let _ = docker
        .resize_exec(
            exec,
            ResizeExecOptions {
                w: i32::from(cols),
                h: i32::from(rows),
            },
        )
        .await;
}

/// An exec's exit code once Docker has it (its output can end a moment before Docker marks
/// the process exited): asked again for up to a second.
async fn exit_code(docker: &Docker, exec: &str) -> Option<i64> {
    for _ in 0..20 {
        match docker.inspect_exec(exec).await {
            Ok(i) if i.running != Some(true) && i.exit_code.is_some() => return i.exit_code,
            Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(_) => return None,
        }
    }
    None
}

/// Relays one exec's TTY until either side ends; tells berth the exit code.
async fn session(docker: Docker, exec: String, mut socket: WebSocket, size: Option<(u16, u16)>) {
    let started = docker
        .start_exec(
            &exec,
            Some(StartExecOptions {
                detach: false,
                tty: true,
                output_capacity: None,
            }),
        )
        .await;
    let (mut output, mut input) = match started {
        Ok(StartExecResults::Attached { output, input }) => (output, input),
        Ok(StartExecResults::Detached) => {
            send_event(&mut socket, &Event::error("the command did not attach")).await;
            return;
        }
        Err(e) => {
            let e = crate::docker::DockerError::from(e);
            send_event(&mut socket, &Event::error(e.user_message())).await;
            return;
        }
    };
    if let Some(s) = size {
        resize(&docker, &exec, s).await;
    }
    loop {
        tokio::select! {
            out = output.next() => match out {
                Some(Ok(chunk)) => {
                    if socket.send(Message::Binary(chunk.into_bytes())).await.is_err() {
                        break;
                    }
                }
                Some(Err(e)) => {
                    let e = crate::docker::DockerError::from(e);
                    send_event(&mut socket, &Event::error(e.user_message())).await;
                    break;
                }
                None => {
                    let code = exit_code(&docker, &exec).await;
                    send_event(&mut socket, &Event::Exit { exit: code }).await;
                    break;
                }
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Binary(b))) => {
                    if input.write_all(&b).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Text(t))) => {
                    if let Ok(Control { resize: Some([c, r]) }) = serde_json::from_str(t.as_str())
                        && c > 0 && r > 0
                    {
                        resize(&docker, &exec, (c, r)).await;
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            }
        }
    }
    // the shell reads the end of its input and exits
    let _ = input.shutdown().await;
    let _ = socket.send(Message::Close(None)).await;
}

/// `POST /v1/exec/run` `{container, cmd}`: runs a command without a TTY and answers its output
/// (stdout and stderr together, at most [`MAX_RUN_OUTPUT`]) and exit code.
pub async fn run(docker: Docker, body: axum::body::Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<RunRequest>(&body) else {
        return bad(StatusCode::BAD_REQUEST, "expected {container, cmd}");
    };
    if req.cmd.trim().is_empty() {
        return bad(StatusCode::BAD_REQUEST, "no command to run");
    }
    let argv = match checked(&req.container, &req.cmd) {
        Ok(a) => a,
        Err(why) => return bad(StatusCode::BAD_REQUEST, why),
    };
    let created = docker
        .create_exec(
            &req.container,
            CreateExecOptions {
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                cmd: Some(argv),
                ..Default::default()
            },
        )
        .await;
    let exec = match created {
        Ok(e) => e.id,
        Err(e) => return docker_error(e),
    };
    let mut output = match docker.start_exec(&exec, None).await {
        Ok(StartExecResults::Attached { output, .. }) => output,
        Ok(StartExecResults::Detached) => {
            return bad(StatusCode::BAD_GATEWAY, "the command did not attach");
        }
        Err(e) => return docker_error(e),
    };
    let mut out: Vec<u8> = Vec::new();
    let mut result = RunResult::default();
    let deadline = tokio::time::sleep(RUN_TIMEOUT);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            chunk = output.next() => match chunk {
                Some(Ok(c)) => {
                    let b = c.into_bytes();
                    let room = MAX_RUN_OUTPUT.saturating_sub(out.len());
                    if b.len() > room {
                        out.extend_from_slice(&b[..room]);
                        result.truncated = true;
                        break;
                    }
                    out.extend_from_slice(&b);
                }
                Some(Err(e)) => return docker_error(e),
                None => break,
            },
            _ = &mut deadline => {
                result.timed_out = true;
                break;
            }
        }
    }
    drop(output);
    result.output = String::from_utf8_lossy(&out).into_owned();
    if !result.truncated && !result.timed_out {
        result.exit_code = exit_code(&docker, &exec).await;
    }
    axum::Json(result).into_response()
}

#[derive(Debug, Deserialize)]
pub struct LogsQuery {
    #[serde(default)]
    tail: Option<u64>,
    /// Unix seconds
    #[serde(default)]
    since: Option<i64>,
}

/// `GET /v1/containers/{id}/logs?tail=N&since=UNIX`: the container's log as text, each line
/// stamped (Docker's RFC 3339 time first), at most [`MAX_LOG`] bytes.
pub async fn logs(docker: Docker, Path(id): Path<String>, Query(q): Query<LogsQuery>) -> Response {
    if !console::is_container_ref(&id) {
        return bad(StatusCode::BAD_REQUEST, "not a container id");
    }
    let opts = LogsOptions {
        follow: false,
        stdout: true,
        stderr: true,
        timestamps: true,
        tail: q
            .tail
            .map(|n| n.min(console::MAX_TAIL).to_string())
            .unwrap_or_else(|| "all".into()),
        since: q
            .since
            .unwrap_or(0)
            .clamp(0, i64::from(i32::MAX))
            .try_into()
            .unwrap_or(0),
        ..Default::default()
    };
    let mut frames = docker.logs(&id, Some(opts));
    let mut out: Vec<u8> = Vec::new();
    while let Some(frame) = frames.next().await {
        match frame {
            Ok(f) => {
                let b = f.into_bytes();
                if out.len() + b.len() > MAX_LOG {
                    break;
                }
                out.extend_from_slice(&b);
            }
            Err(e) => return docker_error(e),
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        String::from_utf8_lossy(&out).into_owned(),
    )
        .into_response()
}
