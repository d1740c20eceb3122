//! `/metrics` in Prometheus text format: the swarm as berth sees it (nodes by state, availability
//! and role; services desired vs running; tasks by state), deploys by outcome from berth's
//! history, and berth's own request latencies and open streams.
//!
//! Readable with a session or an API token with the `read` scope (`Authorization: Bearer`);
//! anonymous gets 401, a token limited to stacks 403. The
//! swarm families are computed at scrape time from what the pages show; berth's own families
//! live in [`Telemetry`], updated by the request layer ([`record`]) and the live streams.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{HistogramOpts, HistogramVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};

use crate::AppState;
use crate::docker::nodes::{NodeInfo, Role};
use crate::docker::services::ServiceSummary;
use crate::error::ErrorInfo;

/// berth's own instruments, shared by every request.
#[derive(Clone)]
pub struct Telemetry {
    registry: Registry,
    latency: HistogramVec,
    streams_gauge: IntGauge,
    streams: Arc<AtomicUsize>,
    /// at most this many streams at once (`--max-live-streams`)
    max_streams: usize,
}

impl Telemetry {
    pub fn new(max_streams: usize) -> Telemetry {
        let registry = Registry::new();
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "berth_http_request_duration_seconds",
                "Time berth took to answer a request (until the response head), by route",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route", "method"],
        )
        .expect("static histogram options");
        let streams_gauge = IntGauge::new(
            "berth_open_streams",
            "Live streams (server-sent events) berth holds open for pages",
        )
        .expect("static gauge options");
        registry
            .register(Box::new(latency.clone()))
            .expect("registered once");
        registry
            .register(Box::new(streams_gauge.clone()))
            .expect("registered once");
        Telemetry {
            registry,
            latency,
            streams_gauge,
            streams: Arc::new(AtomicUsize::new(0)),
            max_streams,
        }
    }

    fn observe(&self, route: &str, method: &str, secs: f64) {
        self.latency
            .with_label_values(&[route, method])
            .observe(secs);
    }

    /// Reserves one of the `--max-live-streams` stream slots (the check and the count are one
    /// atomic step); `None` when all are taken. The slot is freed when the guard drops.
    pub fn open_stream(&self) -> Option<StreamGuard> {
        self.streams
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max_streams).then_some(n + 1)
            })
            .ok()?;
        self.streams_gauge.inc();
        Some(StreamGuard(self.clone()))
    }

    pub fn open_streams(&self) -> usize {
        self.streams.load(Ordering::Acquire)
    }
}

/// One open stream; dropping it frees the slot.
pub struct StreamGuard(Telemetry);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.streams.fetch_sub(1, Ordering::AcqRel);
        self.0.streams_gauge.dec();
    }
}

/// The request layer: times every request by its route pattern (never the raw path, so the
/// label set stays bounded).
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().as_str().to_string();
    let t = Instant::now();
    let resp = next.run(req).await;
    state
        .telemetry
        .observe(&route, &method, t.elapsed().as_secs_f64());
    resp
}

/// What the swarm families are computed from.
#[derive(Default)]
pub struct Cluster<'a> {
    pub nodes: Vec<&'a NodeInfo>,
    pub services: Vec<&'a ServiceSummary>,
    /// every task's current state (history included)
    pub task_states: Vec<&'a str>,
    /// (outcome, deploys) from berth's history
    pub deploys: Vec<(String, i64)>,
}

fn gauge_vec(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    IntGaugeVec::new(Opts::new(name, help), labels).expect("static gauge options")
}

/// The swarm families, as a registry (gathered at scrape time).
pub fn cluster_registry(c: &Cluster) -> Registry {
    let reg = Registry::new();
    let nodes = gauge_vec(
        "berth_nodes",
        "Nodes of the swarm by state, availability and role",
        &["state", "availability", "role"],
    );
    for n in &c.nodes {
        let role = match n.role {
            Role::Manager => "manager",
            Role::Worker => "worker",
        };
        nodes
            .with_label_values(&[n.state.as_str(), n.availability.as_str(), role])
            .inc();
    }
    let desired = gauge_vec(
        "berth_service_tasks_desired",
        "Tasks a service should run (replicas, or one per eligible node for global services)",
        &["service", "stack", "mode"],
    );
    let running = gauge_vec(
        "berth_service_tasks_running",
        "Tasks of a service that are running",
        &["service", "stack", "mode"],
    );
    for s in &c.services {
        let labels = [s.name.as_str(), s.stack.as_str(), s.mode];
        desired.with_label_values(&labels).set(s.desired as i64);
        running.with_label_values(&labels).set(s.running as i64);
    }
    let services = IntGauge::new("berth_services", "Services in the swarm").expect("static");
    services.set(c.services.len() as i64);
    let tasks = gauge_vec(
        "berth_tasks",
        "Tasks Docker holds (history included) by their current state",
        &["state"],
    );
    let mut by_state: BTreeMap<&str, i64> = BTreeMap::new();
    for s in &c.task_states {
        *by_state.entry(s).or_default() += 1;
    }
    for (s, n) in by_state {
        tasks.with_label_values(&[s]).set(n);
    }
    let deploys = gauge_vec(
        "berth_stack_deploys",
        "Stack deploys in berth's history by outcome",
        &["outcome"],
    );
    for outcome in ["ok", "degraded", "failed", "superseded", "running"] {
        let n = c
            .deploys
            .iter()
            .find(|(o, _)| o == outcome)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        deploys.with_label_values(&[outcome]).set(n);
    }
    for m in [nodes, desired, running, tasks, deploys] {
        reg.register(Box::new(m)).expect("distinct names");
    }
    reg.register(Box::new(services)).expect("distinct names");
    reg
}

/// The text exposition of both registries.
fn encode(own: &Registry, cluster: &Registry) -> Result<String, prometheus::Error> {
    let mut families = cluster.gather();
    families.extend(own.gather());
    families.sort_by(|a, b| a.name().cmp(b.name()));
    TextEncoder::new().encode_to_string(&families)
}

fn unauthorized() -> Response {
    let mut r = ErrorInfo::new(
        StatusCode::UNAUTHORIZED,
        "Sign in first",
        "/metrics needs a session or an API token with the read scope.",
    )
    .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"berth\""),
    );
    r
}

/// Who may read the metrics.
enum Access {
    Allowed,
    /// no session, no token, or a token that is unknown, revoked or expired
    Anonymous,
    /// a live token whose scope does not read everything (a deploy token)
    Forbidden,
}

/// A live session, or an API token with the `read` (or `operate`) scope.
async fn access(state: &AppState, headers: &HeaderMap) -> Access {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::api_tokens::bearer);
    if let Some(token) = bearer {
        let hash = crate::auth::tokens::hash_token(token);
        return match crate::db::api_tokens::find_live(&state.db, &hash).await {
            Ok(Some(b)) if b.grant.may_read_all() => Access::Allowed,
            Ok(Some(_)) => Access::Forbidden,
            Ok(None) => Access::Anonymous,
            Err(e) => {
                tracing::error!("metrics: cannot look up an API token: {e}");
                Access::Anonymous
            }
        };
    }
    if super::session::is_signed_in(state, headers).await {
        Access::Allowed
    } else {
        Access::Anonymous
    }
}

/// `GET /metrics`.
pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match access(&state, &headers).await {
        Access::Allowed => {}
        Access::Anonymous => return unauthorized(),
        Access::Forbidden => {
            return ErrorInfo::new(
                StatusCode::FORBIDDEN,
                "Not allowed",
                "This API token may not read the metrics: it needs the read scope.",
            )
            .into_response();
        }
    }
    let deploys = crate::db::stacks::count_by_outcome(&state.db)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!("metrics: cannot count deploys: {e}");
            Vec::new()
        });
    // from the live model while it follows Docker (no Docker call per scrape)
    let model = state.model.snapshot();
    let (nodes, services, tasks) = if super::live::model_live(&model) {
        Default::default()
    } else {
        match state.docker.manager() {
            Ok(docker) => {
                let (n, s, t) = tokio::join!(
                    crate::docker::nodes::list(&docker),
                    crate::docker::services::list(&docker, None),
                    crate::docker::tasks::list(&docker, &[]),
                );
                (
                    n.unwrap_or_default(),
                    s.unwrap_or_default(),
                    t.unwrap_or_default(),
                )
            }
            Err(_) => Default::default(),
        }
    };
    let cluster = if super::live::model_live(&model) {
        Cluster {
            nodes: model.nodes().iter().collect(),
            services: model.services().iter().collect(),
            task_states: model.tasks().map(|t| t.state).collect(),
            deploys,
        }
    } else {
        Cluster {
            nodes: nodes.iter().collect(),
            services: services.iter().collect(),
            task_states: tasks.iter().map(|t| t.state.as_str()).collect(),
            deploys,
        }
    };
    let reg = cluster_registry(&cluster);
    match encode(&state.telemetry.registry, &reg) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!("metrics: encoding failed: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(state: &str, availability: &str, role: Role) -> NodeInfo {
        NodeInfo {
            state: state.into(),
            availability: availability.into(),
            role,
            ..Default::default()
        }
    }

    fn text(c: &Cluster) -> String {
        encode(&Telemetry::new(8).registry, &cluster_registry(c)).unwrap()
    }

    #[test]
    fn nodes_are_counted_by_state_availability_and_role() {
        let (a, b, d) = (
            node("ready", "active", Role::Manager),
            node("ready", "active", Role::Worker),
            node("down", "drain", Role::Worker),
        );
        let b2 = b.clone();
        let c = Cluster {
            nodes: vec![&a, &b, &b2, &d],
            ..Default::default()
        };
        let t = text(&c);
        assert!(
            t.contains("berth_nodes{availability=\"active\",role=\"manager\",state=\"ready\"} 1\n")
        );
        assert!(
            t.contains("berth_nodes{availability=\"active\",role=\"worker\",state=\"ready\"} 2\n")
        );
        assert!(
            t.contains("berth_nodes{availability=\"drain\",role=\"worker\",state=\"down\"} 1\n")
        );
    }

    #[test]
    fn services_tasks_and_every_deploy_outcome_are_exposed() {
        let s = ServiceSummary {
            name: "app_web".into(),
            stack: "app".into(),
            mode: "replicated",
            running: 1,
            desired: 3,
            ..Default::default()
        };
        let c = Cluster {
            services: vec![&s],
            task_states: vec!["running", "pending", "pending", "shutdown"],
            deploys: vec![("ok".into(), 4), ("failed".into(), 1)],
            ..Default::default()
        };
        let t = text(&c);
        assert!(t.contains(
            "berth_service_tasks_desired{mode=\"replicated\",service=\"app_web\",stack=\"app\"} 3\n"
        ));
        assert!(t.contains(
            "berth_service_tasks_running{mode=\"replicated\",service=\"app_web\",stack=\"app\"} 1\n"
        ));
        assert!(t.contains("berth_tasks{state=\"pending\"} 2\n"));
        assert!(t.contains("berth_stack_deploys{outcome=\"ok\"} 4\n"));
        assert!(t.contains("berth_stack_deploys{outcome=\"superseded\"} 0\n"));
        assert!(t.contains("# TYPE berth_open_streams gauge\n"));
    }

    #[test]
    fn streams_are_bounded_and_freed_on_drop() {
        let t = Telemetry::new(3);
        let held: Vec<_> = (0..3).map(|_| t.open_stream().unwrap()).collect();
        assert!(t.open_stream().is_none());
        drop(held);
        assert_eq!(t.open_streams(), 0);
        assert!(t.open_stream().is_some());
    }
}
