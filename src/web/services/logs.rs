//! Service logs: the page (a viewer fed by server-sent events), the SSE stream itself, and
//! `logs.txt` (plain text: the fallback without JavaScript, and the download).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{Path, Query};
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;

use super::{TaskRow, check_id, task_rows};
use crate::docker::services::logs::{self, LogLine, LogQuery, MAX_TAIL};
use crate::docker::services::{self, ServiceSummary};
use crate::docker::tasks;
use crate::error::{AppError, AppResult};
use crate::web::page::{Ctx, Layout};
use crate::web::session::urlencode;
use crate::web::urls;

const DEFAULT_TAIL: u64 = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogsParams {
    /// last N lines; `all`; empty: 200
    pub tail: String,
    /// "1": show timestamps
    pub timestamps: String,
    /// only this task (id)
    pub task: String,
    /// stream: "0" ends after the lines present now (default: follow)
    pub follow: String,
    /// logs.txt: "1" answers as an attachment
    pub download: String,
}

impl LogsParams {
    fn tail(&self) -> AppResult<Option<u64>> {
        match self.tail.trim() {
            "" => Ok(Some(DEFAULT_TAIL)),
            "all" => Ok(None),
            n => n
                .parse::<u64>()
                .map(|n| Some(n.min(MAX_TAIL)))
                .map_err(|_| {
                    AppError::BadRequest(format!(
                        "tail is a number of lines or \"all\", not {n:?}."
                    ))
                }),
        }
    }

    fn query(&self, follow: bool) -> AppResult<LogQuery> {
        let task = self.task.trim();
        if !task.is_empty() {
            check_id(task)?;
        }
        Ok(LogQuery {
            tail: self.tail()?,
            follow,
            task: (!task.is_empty()).then(|| task.to_string()),
        })
    }
}

/// Task and node names for log lines, refreshed when a line names a task not seen yet.
struct Names {
    service: String,
    tasks: HashMap<String, String>,
    nodes: HashMap<String, String>,
    refreshed: Instant,
}

impl Names {
    fn new(
        s: &ServiceSummary,
        task_list: &[tasks::TaskInfo],
        nodes: HashMap<String, String>,
    ) -> Names {
        Names {
            service: s.name.clone(),
            tasks: task_list
                .iter()
                .map(|t| (t.id.clone(), t.display_name(&s.name)))
                .collect(),
            nodes,
            refreshed: Instant::now(),
        }
    }

    fn task(&self, id: &str) -> String {
        if id.is_empty() {
            return String::new();
        }
        self.tasks.get(id).cloned().unwrap_or_else(|| {
            format!(
                "{}.{}",
                self.service,
                id.chars().take(12).collect::<String>()
            )
        })
    }

    fn node(&self, id: &str) -> String {
        self.nodes
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.chars().take(12).collect())
    }
}

/// Looks up tasks again (at most every 2 s) when a line comes from a task not known yet.
async fn learn(
    names: &Arc<Mutex<Names>>,
    docker: &bollard::Docker,
    service_id: &str,
    line: &LogLine,
) {
    let stale = {
        let n = names.lock().unwrap_or_else(|p| p.into_inner());
        !line.task_id.is_empty()
            && !n.tasks.contains_key(&line.task_id)
            && n.refreshed.elapsed() > Duration::from_secs(2)
    };
    if !stale {
        return;
    }
    if let Ok(list) = tasks::list(docker, &[("service", service_id)]).await {
        let mut n = names.lock().unwrap_or_else(|p| p.into_inner());
        let service = n.service.clone();
        for t in list {
            let name = t.display_name(&service);
            n.tasks.insert(t.id, name);
        }
        n.refreshed = Instant::now();
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "services/logs.html")]
struct LogsPage {
    layout: Layout,
    s: ServiceSummary,
    tasks: Vec<TaskRow>,
    tail: String,
    task: String,
    timestamps: bool,
    stream_url: String,
    text_url: String,
    download_url: String,
}

pub async fn page(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<LogsParams>,
) -> AppResult<Response> {
    check_id(&id)?;
    let q = p.query(true)?;
    let docker = ctx.state.docker.manager()?;
    let (s, task_list, nodes) = services::live(&docker, &id).await?;
    let tail = q
        .tail
        .map(|n| n.to_string())
        .unwrap_or_else(|| "all".into());
    let task = q.task.clone().unwrap_or_default();
    let qs = format!("tail={}&task={}", urlencode(&tail), urlencode(&task));
    let timestamps = p.timestamps == "1";
    let ts = if timestamps { "&timestamps=1" } else { "" };
    Ok(LogsPage {
        layout: ctx.layout(format!("Logs of {}", s.name), "services"),
        stream_url: format!("{}?{qs}", urls::service_action(&s.id, "logs/stream")),
        text_url: format!("{}?{qs}{ts}", urls::service_action(&s.id, "logs.txt")),
        download_url: format!(
            "{}?{qs}{ts}&download=1",
            urls::service_action(&s.id, "logs.txt")
        ),
        tasks: task_rows(&task_list, |_| s.name.clone(), &nodes),
        tail,
        task,
        timestamps,
        s,
    }
    .into_response())
}

/// Reads the service (404 if gone), its tasks and nodes; checks the task filter belongs to it.
async fn prepare(
    ctx: &Ctx,
    id: &str,
    q: &LogQuery,
) -> AppResult<(bollard::Docker, ServiceSummary, Arc<Mutex<Names>>)> {
    check_id(id)?;
    let docker = ctx.state.docker.manager()?;
    let (s, task_list, nodes) = services::live(&docker, id).await?;
    if let Some(t) = &q.task
        && !task_list
            .iter()
            .any(|x| &x.id == t || x.id.starts_with(t.as_str()))
    {
        return Err(AppError::NotFound(format!(
            "The service {} has no task {t}.",
            s.name
        )));
    }
    let names = Arc::new(Mutex::new(Names::new(&s, &task_list, nodes)));
    Ok((docker, s, names))
}

/// `GET /services/{id}/logs.txt?tail=N&timestamps=1&task=ID`: like `docker service logs`.
pub async fn text(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<LogsParams>,
) -> AppResult<Response> {
    let q = p.query(false)?;
    let (docker, s, names) = prepare(&ctx, &id, &q).await?;
    let timestamps = p.timestamps == "1";
    let service_id = s.id.clone();
    let body = logs::stream(&docker, &s.id, &q).then(move |r| {
        let names = names.clone();
        let docker = docker.clone();
        let service_id = service_id.clone();
        async move {
            let out = match r {
                Ok(line) => {
                    learn(&names, &docker, &service_id, &line).await;
                    let n = names.lock().unwrap_or_else(|p| p.into_inner());
                    let mut out = String::new();
                    if timestamps && !line.timestamp.is_empty() {
                        out.push_str(&line.timestamp);
                        out.push(' ');
                    }
                    if !line.task_id.is_empty() {
                        out.push_str(&format!(
                            "{}@{} | ",
                            n.task(&line.task_id),
                            n.node(&line.node_id)
                        ));
                    }
                    out.push_str(&line.text);
                    out.push('\n');
                    out
                }
                Err(e) => format!("[berth: the log stream failed: {}]\n", e.user_message()),
            };
            Ok::<_, Infallible>(out)
        }
    });
    let mut resp = Body::from_stream(body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    let disposition = format!(
        "{}; filename=\"{}.log\"",
        if p.download == "1" {
            "attachment"
        } else {
            "inline"
        },
        s.name
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// `GET /services/{id}/logs/stream?tail=N&task=ID[&follow=0]`: server-sent events.
/// Events: `line` (JSON: t timestamp, task, node, err, x text), `problem` (a message), `end`.
pub async fn stream(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<LogsParams>,
) -> AppResult<Response> {
    let q = p.query(p.follow != "0")?;
    let (docker, s, names) = prepare(&ctx, &id, &q).await?;
    let service_id = s.id.clone();
    let lines = logs::stream(&docker, &s.id, &q).then(move |r| {
        let names = names.clone();
        let docker = docker.clone();
        let service_id = service_id.clone();
        async move {
            let ev = match r {
                Ok(line) => {
                    learn(&names, &docker, &service_id, &line).await;
                    let n = names.lock().unwrap_or_else(|p| p.into_inner());
                    let data = serde_json::json!({
                        "t": line.timestamp,
                        "task": n.task(&line.task_id),
                        "node": if line.node_id.is_empty() { String::new() } else { n.node(&line.node_id) },
                        "err": line.stderr,
                        "x": line.text,
                    });
                    Event::default().event("line").data(data.to_string())
                }
                Err(e) => Event::default().event("problem").data(e.user_message()),
            };
            Ok::<_, Infallible>(ev)
        }
    });
    let end = stream::once(async {
        Ok::<_, Infallible>(Event::default().event("end").data("The log stream ended."))
    });
    // end the stream when berth shuts down, so a graceful shutdown does not wait for browsers
    let lines = lines.take_until(ctx.state.shutting_down());
    let sse =
        Sse::new(lines.chain(end)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)));
    let mut resp = sse.into_response();
    // tell proxies not to buffer the stream
    resp.headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}
