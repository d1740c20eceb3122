//! `berth agent`: serves its node's figures to berth, and nothing to anyone else.
//!
//! Every route but `/healthz` (Docker's health check, answers "ok" and nothing more) demands a
//! request signed with the key berth hands over as a Docker secret ([`super::KEY_FILE`]). An
//! agent without that key refuses everything (503) and looks for the file again every few
//! seconds. Answers are signed too, so berth believes only its agents.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::watch;

use super::sign::{self, Key};
use super::{AgentInfo, NodeReport, exec, sampler, storage};

/// Largest request body the agent reads (its API takes small JSON bodies at most).
const MAX_REQUEST: usize = 64 * 1024;
/// Largest answer it signs.
const MAX_ANSWER: usize = 32 * 1024 * 1024;
/// Nonces remembered at once (one window of [`sign::VALIDITY`]); beyond that it refuses.
const MAX_NONCES: usize = 100_000;

/// How the agent runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub docker_host: String,
    pub key_file: PathBuf,
    pub interval: Duration,
}

#[derive(Clone)]
struct Agent {
    key: Arc<RwLock<Option<Key>>>,
    seen: Arc<Mutex<HashMap<String, i64>>>,
    info: Arc<AgentInfo>,
    report: watch::Receiver<Arc<NodeReport>>,
    docker: bollard::Docker,
}

/// Runs the agent until `shutdown` completes.
pub async fn run(
    settings: Settings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    serve(listener, settings, shutdown).await
}

/// Runs the agent on `listener` (its address wins over `settings.listen`) until `shutdown`
/// completes: the tests start agents this way, in-process, on 127.0.0.1:0.
pub async fn serve(
    listener: tokio::net::TcpListener,
    settings: Settings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let docker = crate::docker::Engine::new(&settings.docker_host)
        .client()
        .map_err(|e| anyhow::anyhow!("{}", e.user_message()))?;
    let node = loop {
        match docker.info().await {
            Ok(i) => {
                let id = i.swarm.and_then(|s| s.node_id).unwrap_or_default();
                if !id.is_empty() {
                    break sampler::Node {
                        id,
                        hostname: i.name.unwrap_or_default(),
                        cpus: i.ncpu.unwrap_or(1).max(1) as u32,
                        memory_total: i.mem_total.unwrap_or(0).max(0) as u64,
                    };
                }
                tracing::warn!("this node's Docker is not in a swarm yet: asking again in 5 s");
            }
            Err(e) => {
                tracing::warn!("this node's Docker does not answer ({e}): asking again in 5 s")
            }
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    };
    let key = Arc::new(RwLock::new(read_key(&settings.key_file)));
    if key.read().map(|k| k.is_none()).unwrap_or(true) {
        tracing::warn!(
            "no key in {}: refusing every request until berth hands it over (a Docker secret)",
            settings.key_file.display()
        );
    }
    let _watcher = Aborted(tokio::spawn(watch_key(
        key.clone(),
        settings.key_file.clone(),
    )));
    let (tx, rx) = watch::channel(Arc::new(NodeReport {
        node_id: node.id.clone(),
        hostname: node.hostname.clone(),
        ..Default::default()
    }));
    let info = Arc::new(AgentInfo {
        node_id: node.id.clone(),
        hostname: node.hostname.clone(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    });
    let _sampling = Aborted(tokio::spawn(sampler::run(
        docker.clone(),
        node.clone(),
        settings.interval,
        tx,
    )));
    let agent = Agent {
        key,
        seen: Default::default(),
        info,
        report: rx,
        docker,
    };
    tracing::info!(
        "berth agent {} for node {} ({}) listening on {}",
        env!("CARGO_PKG_VERSION"),
        node.hostname,
        node.id,
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    axum::serve(listener, router(agent))
        .with_graceful_shutdown(shutdown)
        .await
        .context("agent server error")
}

/// A background task of the agent, ended with it (also when the agent's future is dropped).
struct Aborted(tokio::task::JoinHandle<()>);

impl Drop for Aborted {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn router(agent: Agent) -> Router {
    let signed = Router::new()
        .route("/v1/info", get(info))
        .route("/v1/containers", get(containers))
        .route(
            "/v1/containers/{id}/logs",
            get(|State(a): State<Agent>, id, q| exec::logs(a.docker, id, q)),
        )
        .route(
            "/v1/exec",
            get(|State(a): State<Agent>, q, ws| exec::open(a.docker, q, ws)),
        )
        .route(
            "/v1/exec/run",
            post(|State(a): State<Agent>, body| exec::run(a.docker, body)),
        )
        .route(
            storage::IMAGES,
            get(|State(a): State<Agent>| storage::list_images(a.docker)),
        )
        .route(
            storage::IMAGE_REMOVE,
            post(|State(a): State<Agent>, b| storage::remove_image(a.docker, b)),
        )
        .route(
            storage::IMAGES_PRUNE,
            post(|State(a): State<Agent>| storage::prune_images(a.docker)),
        )
        .route(
            storage::VOLUMES,
            get(|State(a): State<Agent>| storage::list_volumes(a.docker))
                .post(|State(a): State<Agent>, b| storage::create_volume(a.docker, b)),
        )
        .route(
            storage::VOLUME_REMOVE,
            post(|State(a): State<Agent>, b| storage::remove_volume(a.docker, b)),
        )
        .route(
            storage::VOLUMES_PRUNE,
            post(|State(a): State<Agent>| storage::prune_volumes(a.docker)),
        )
        .layer(axum::middleware::from_fn_with_state(
            agent.clone(),
            authenticate,
        ));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(signed)
        .with_state(agent)
}

async fn info(State(a): State<Agent>) -> Response {
    axum::Json(a.info.as_ref().clone()).into_response()
}

async fn containers(State(a): State<Agent>) -> Response {
    let report = a.report.borrow().clone();
    axum::Json(report.as_ref().clone()).into_response()
}

fn read_key(path: &std::path::Path) -> Option<Key> {
    let text = std::fs::read_to_string(path).ok()?;
    let key = Key::parse(&text);
    if key.is_none() {
        tracing::error!("{} does not hold a berth agent key", path.display());
    }
    key
}

/// Looks for the key file every 5 s while the agent has none.
async fn watch_key(key: Arc<RwLock<Option<Key>>>, path: PathBuf) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let missing = key.read().map(|k| k.is_none()).unwrap_or(false);
        if missing && let Some(k) = read_key(&path) {
            tracing::info!("key {} read: serving berth", k.fingerprint());
            if let Ok(mut w) = key.write() {
                *w = Some(k);
            }
        }
    }
}

fn signature_headers(h: &axum::http::HeaderMap) -> Option<(i64, String, String)> {
    let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    Some((
        get(sign::H_TIME)?.parse().ok()?,
        get(sign::H_NONCE)?,
        get(sign::H_SIG)?,
    ))
}

fn current_key(a: &Agent) -> Option<Key> {
    a.key.read().ok().and_then(|k| k.clone())
}

/// Remembers a nonce for the validity window; refuses one seen before (a replay). The check
/// and the insert are one step under the lock.
fn first_use(a: &Agent, nonce: &str, time: i64, now: i64) -> Result<(), &'static str> {
    let mut seen = a.seen.lock().map_err(|_| "agent state poisoned")?;
    seen.retain(|_, t| sign::fresh(*t, now));
    if seen.contains_key(nonce) {
        return Err("replayed request");
    }
    if seen.len() >= MAX_NONCES {
        return Err("too many requests");
    }
    seen.insert(nonce.to_string(), time);
    Ok(())
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    (status, why).into_response()
}

/// Checks the request's signature, freshness and nonce (one atomic step under the nonce
/// lock), runs it, and signs the answer.
async fn authenticate(State(a): State<Agent>, req: Request, next: Next) -> Response {
    let Some(key) = current_key(&a) else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "this agent has no key from berth yet",
        );
    };
    let Some((time, nonce, sig)) = signature_headers(req.headers()) else {
        return refuse(StatusCode::UNAUTHORIZED, "unsigned request");
    };
    let now = sign::now();
    if !sign::fresh(time, now) || !sign::is_nonce(&nonce) {
        return refuse(StatusCode::UNAUTHORIZED, "stale or malformed signature");
    }
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST).await else {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
    };
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    if !key.verify_request(parts.method.as_str(), path, time, &nonce, &body, &sig) {
        return refuse(StatusCode::UNAUTHORIZED, "bad signature");
    }
    if let Err(why) = first_use(&a, &nonce, time, now) {
        return refuse(StatusCode::UNAUTHORIZED, why);
    }
    let mut resp = next.run(Request::from_parts(parts, Body::from(body))).await;
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        // a console's upgrade: its answer (no body) is signed too, so berth relays only its
        // own agent's terminal
        let t = sign::now();
        let s = key.sign_response(&nonce, 101, t, b"");
        if let (Ok(tv), Ok(sv)) = (
            HeaderValue::from_str(&t.to_string()),
            HeaderValue::from_str(&s),
        ) {
            resp.headers_mut().insert(sign::H_TIME, tv);
            resp.headers_mut().insert(sign::H_SIG, sv);
        }
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_ANSWER).await else {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "answer too large");
    };
    let t = sign::now();
    let s = key.sign_response(&nonce, parts.status.as_u16(), t, &body);
    if let (Ok(tv), Ok(sv)) = (
        HeaderValue::from_str(&t.to_string()),
        HeaderValue::from_str(&s),
    ) {
        parts.headers.insert(sign::H_TIME, tv);
        parts.headers.insert(sign::H_SIG, sv);
    }
    Response::from_parts(parts, Body::from(body))
}
