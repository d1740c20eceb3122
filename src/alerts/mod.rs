//! Alerts (issue 15): rules evaluated over the live model whenever it changes (Docker's events
//! move it; nothing here polls Docker), alerts raised once a condition has held long enough,
//! resolved once it has been gone for [`RESOLVE_AFTER_SECS`], and notifications sent to the
//! channels each rule routes to: grouped (one message per channel per evaluation, one alert per
//! service however many of its tasks fail) and rate-limited per channel (a token bucket: events
//! beyond it wait and go out together in the next message). Muted stacks and services raise
//! nothing.

pub mod channel;
pub mod eval;
pub mod notify;
pub mod rules;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::SqlitePool;
use tokio::sync::Notify;

use crate::db::alerts as store;
use channel::Settings;
use eval::{Condition, Facts};
use notify::{Event, Status};
use rules::{Rule, Setting};

/// A condition gone for this long resolves its alert (a crash loop's brief recoveries do not).
pub const RESOLVE_AFTER_SECS: i64 = 15;
/// Evaluations run on every change of the model, at most this often, and at least every
/// [`TICK`] (conditions that must hold for some minutes, windows that slide).
const MIN_SPACING: Duration = Duration::from_millis(250);
const TICK: Duration = Duration::from_secs(5);
/// Each channel's bucket: this many messages at once, one more per [`REFILL`].
const BURST: f64 = 10.0;
const REFILL: Duration = Duration::from_secs(60);

/// The handle pages use: tell the engine its settings changed.
#[derive(Clone, Default)]
pub struct Alerts {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    dirty: AtomicBool,
    wake: Notify,
}

impl Alerts {
    pub fn new() -> Alerts {
        let a = Alerts::default();
        a.shared.dirty.store(true, Ordering::SeqCst);
        a
    }

    /// Channels, rules or mutes changed: the engine reloads them and evaluates now.
    pub fn reload(&self) {
        self.shared.dirty.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }

    /// Runs the engine until `shutdown` resolves. `origin` (BERTH_PUBLIC_URL) makes links
    /// absolute.
    pub async fn run(
        self,
        db: SqlitePool,
        model: crate::model::Model,
        origin: Option<String>,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) {
        let mut engine = Engine {
            db,
            origin: origin.unwrap_or_default(),
            settings: Vec::new(),
            mutes: Vec::new(),
            channels: Vec::new(),
            active: HashMap::new(),
            first_seen: HashMap::new(),
            absent_since: HashMap::new(),
        };
        match store::active(&engine.db).await {
            Ok(rows) => {
                engine.active = rows.into_iter().map(|a| (a.key.clone(), a)).collect();
            }
            Err(e) => tracing::error!("alerts: cannot read the active alerts: {e}"),
        }
        let mut rx = model.subscribe();
        tokio::pin!(shutdown);
        loop {
            let started = Instant::now();
            if self.shared.dirty.swap(false, Ordering::SeqCst)
                && let Err(e) = engine.reload().await
            {
                tracing::error!("alerts: cannot read the settings: {e}");
                self.shared.dirty.store(true, Ordering::SeqCst);
            }
            let snap = model.snapshot();
            if snap.is_loaded() {
                let facts = Facts::from_snapshot(&snap);
                drop(snap);
                engine.pass(&facts).await;
            }
            engine.flush();
            tokio::select! {
                _ = &mut shutdown => return,
                r = rx.changed() => if r.is_err() { return },
                _ = self.shared.wake.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
            let spent = started.elapsed();
            if spent < MIN_SPACING {
                tokio::time::sleep(MIN_SPACING - spent).await;
            }
        }
    }
}

struct ChannelState {
    id: i64,
    name: String,
    settings: Arc<Settings>,
    pending: Vec<Event>,
    tokens: f64,
    refilled: Instant,
    sending: Arc<AtomicBool>,
}

struct Engine {
    db: SqlitePool,
    origin: String,
    settings: Vec<Setting>,
    /// (scope, name): `stack` or `service`
    mutes: Vec<(String, String)>,
    channels: Vec<ChannelState>,
    active: HashMap<String, store::Alert>,
    first_seen: HashMap<String, i64>,
    absent_since: HashMap<String, i64>,
}

/// A service rule's subject is a service (a mute by service name applies).
fn is_service_rule(rule: &str) -> bool {
    matches!(
        Rule::parse(rule),
        Some(Rule::TaskFailures | Rule::ReplicasBelow | Rule::UpdateProblem | Rule::UpdateStuck)
    )
}

/// Whether a mute silences an alert on `subject` (in `stack`) raised by `rule`.
pub fn is_muted(mutes: &[(String, String)], rule: &str, subject: &str, stack: &str) -> bool {
    mutes.iter().any(|(scope, name)| match scope.as_str() {
        "stack" => !stack.is_empty() && stack == name,
        "service" => is_service_rule(rule) && subject == name,
        _ => false,
    })
}

impl Engine {
    async fn reload(&mut self) -> sqlx::Result<()> {
        self.settings = store::rule_settings(&self.db).await?;
        self.mutes = store::list_mutes(&self.db)
            .await?
            .into_iter()
            .map(|m| (m.scope, m.name))
            .collect();
        let fresh = store::all_channel_settings(&self.db).await?;
        let mut old: HashMap<i64, ChannelState> =
            self.channels.drain(..).map(|c| (c.id, c)).collect();
        self.channels = fresh
            .into_iter()
            .map(|(id, name, settings)| match old.remove(&id) {
                Some(mut c) => {
                    c.name = name;
                    c.settings = Arc::new(settings);
                    c
                }
                None => ChannelState {
                    id,
                    name,
                    settings: Arc::new(settings),
                    pending: Vec::new(),
                    tokens: BURST,
                    refilled: Instant::now(),
                    sending: Arc::new(AtomicBool::new(false)),
                },
            })
            .collect();
        Ok(())
    }

    fn link(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    fn event(&self, a: &store::Alert, status: Status) -> Event {
        Event {
            status,
            rule: Rule::parse(&a.rule).map_or("", Rule::as_str),
            title: a.title.clone(),
            detail: a.detail.clone(),
            subject: a.subject.clone(),
            stack: a.stack.clone(),
            link: self.link(&a.link),
            raised_at: a.raised_at,
            resolved_at: a.resolved_at,
        }
    }

    /// One evaluation: raise, update and resolve alerts; queue their events per channel.
    async fn pass(&mut self, facts: &Facts) {
        let now = crate::db::now();
        let conds: Vec<Condition> = eval::evaluate(facts, &self.settings, now)
            .into_iter()
            .filter(|c| !is_muted(&self.mutes, c.rule.as_str(), &c.subject, &c.stack))
            .collect();
        let mut events = Vec::new();
        let present: HashSet<&str> = conds.iter().map(|c| c.key.as_str()).collect();
        for c in &conds {
            let first = *self.first_seen.entry(c.key.clone()).or_insert(now);
            self.absent_since.remove(&c.key);
            if let Some(a) = self.active.get_mut(&c.key) {
                if a.detail != c.detail || a.title != c.title {
                    a.detail = c.detail.clone();
                    a.title = c.title.clone();
                    if let Err(e) = store::update_text(&self.db, a.id, &a.title, &a.detail).await {
                        tracing::warn!("alerts: cannot update alert {}: {e}", a.id);
                    }
                }
                continue;
            }
            if now - first < c.hold_secs as i64 {
                continue;
            }
            let mut a = store::Alert {
                id: 0,
                key: c.key.clone(),
                rule: c.rule.as_str().into(),
                subject: c.subject.clone(),
                stack: c.stack.clone(),
                link: c.link.clone(),
                title: c.title.clone(),
                detail: c.detail.clone(),
                raised_at: now,
                resolved_at: None,
            };
            match store::raise(&self.db, &a).await {
                Ok(id) => a.id = id,
                Err(e) => {
                    tracing::error!("alerts: cannot record an alert: {e}");
                    continue;
                }
            }
            tracing::info!(rule = %a.rule, subject = %a.subject, "alert raised: {}", a.title);
            events.push((c.rule, self.event(&a, Status::Firing)));
            self.active.insert(c.key.clone(), a);
        }
        self.first_seen.retain(|k, _| present.contains(k.as_str()));
        // while Docker is unreachable the model shows the last known state: nothing resolves
        let frozen = facts.docker_down.is_some();
        let mut gone = Vec::new();
        for key in self.active.keys() {
            if present.contains(key.as_str()) || (frozen && key != "docker_lost") {
                continue;
            }
            let since = *self.absent_since.entry(key.clone()).or_insert(now);
            if now - since >= RESOLVE_AFTER_SECS {
                gone.push(key.clone());
            }
        }
        for key in gone {
            self.absent_since.remove(&key);
            let Some(mut a) = self.active.remove(&key) else {
                continue;
            };
            if let Err(e) = store::resolve(&self.db, a.id, now).await {
                tracing::error!("alerts: cannot resolve alert {}: {e}", a.id);
            }
            a.resolved_at = Some(now);
            tracing::info!(rule = %a.rule, subject = %a.subject, "alert resolved: {}", a.title);
            if let Some(rule) = Rule::parse(&a.rule) {
                events.push((rule, self.event(&a, Status::Resolved)));
            }
        }
        for (rule, ev) in events {
            if is_muted(&self.mutes, ev.rule, &ev.subject, &ev.stack) {
                continue;
            }
            let Some(route) = self.settings.iter().find(|s| s.rule == rule) else {
                continue;
            };
            for ch in &mut self.channels {
                if route.route.includes(ch.id) {
                    ch.pending.push(ev.clone());
                }
            }
        }
    }

    /// Sends each channel's pending events as one message, when its bucket allows.
    fn flush(&mut self) {
        for ch in &mut self.channels {
            let elapsed = ch.refilled.elapsed();
            ch.tokens = (ch.tokens + elapsed.as_secs_f64() / REFILL.as_secs_f64()).min(BURST);
            ch.refilled = Instant::now();
            if ch.pending.is_empty() || ch.tokens < 1.0 || ch.sending.load(Ordering::SeqCst) {
                continue;
            }
            ch.tokens -= 1.0;
            ch.sending.store(true, Ordering::SeqCst);
            let events = std::mem::take(&mut ch.pending);
            let (db, id, name) = (self.db.clone(), ch.id, ch.name.clone());
            let (settings, sending) = (ch.settings.clone(), ch.sending.clone());
            tokio::spawn(async move {
                let r = notify::send(&settings, &events).await;
                if let Err(e) = &r {
                    tracing::warn!(channel = %name, "alert notification failed: {e}");
                }
                if let Err(e) = store::record_send(&db, id, r.err().as_deref()).await {
                    tracing::warn!("alerts: cannot record a send: {e}");
                }
                sending.store(false, Ordering::SeqCst);
            });
        }
    }
}

/// Starts the engine of `state` (stopped on shutdown, or by aborting the handle).
pub fn start(state: &crate::AppState) -> tokio::task::JoinHandle<()> {
    let origin = state.config.public_url.as_ref().map(|u| u.origin.clone());
    tokio::spawn(state.alerts.clone().run(
        state.db.clone(),
        state.model.clone(),
        origin,
        state.shutting_down(),
    ))
}

/// "Send a test" to channel `id`: its name, and what failed if it did.
pub async fn send_test(
    db: &SqlitePool,
    id: i64,
    origin: &str,
) -> sqlx::Result<Option<(String, Result<(), String>)>> {
    let Some((name, settings)) = store::channel_settings(db, id).await? else {
        return Ok(None);
    };
    let ev = Event {
        status: Status::Test,
        rule: "test",
        title: format!("test message to {name}"),
        detail: "berth can reach this channel.".into(),
        subject: "berth".into(),
        stack: String::new(),
        link: format!("{origin}{}", crate::web::urls::ALERTS),
        raised_at: crate::db::now(),
        resolved_at: None,
    };
    let r = notify::send(&settings, &[ev]).await;
    store::record_send(db, id, r.as_ref().err().map(String::as_str)).await?;
    Ok(Some((name, r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_muted_stack_or_service_silences_its_alerts_only() {
        let mutes = vec![
            ("stack".to_string(), "shop".to_string()),
            ("service".to_string(), "web".to_string()),
        ];
        assert!(is_muted(&mutes, "task_failures", "shop_db", "shop"));
        assert!(is_muted(&mutes, "replicas_below", "web", ""));
        assert!(
            !is_muted(&mutes, "node_down", "web", ""),
            "a node named web"
        );
        assert!(!is_muted(&mutes, "task_failures", "api", "other"));
    }
}
