//! `/alerts`: active alerts, history, channels (add, "send a test", remove), rules (enable,
//! tune, route to channels) and mutes per stack or service. Everyone signed in reads; changes
//! need an admin, are audited (never a channel's URL, password or secret) and make the engine
//! reload. Every action is a plain form POST.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::page::{Ctx, FlashKind, Layout};
use super::policy::{Need, rule};
use super::urls;
use crate::AppState;
use crate::alerts::channel::{self, ChannelForm};
use crate::alerts::rules::{self, Route, Rule};
use crate::db::alerts as store;
use crate::db::audit::{Action, Outcome};
use crate::docker::time::format_utc;
use crate::error::{AppError, AppResult};

/// How many resolved alerts the page lists.
const HISTORY_ROWS: i64 = 100;
/// The longest stack or service name a mute takes (Docker's own limit is 63).
const MAX_MUTE_NAME: usize = 128;

/// Who may use each route (see `web::policy`): the page for everyone, changes for admins.
pub const POLICY: &[super::policy::Rule] = &[
    rule("GET", urls::ALERTS, Need::Read),
    rule("POST", urls::ALERTS_CHANNELS, Need::Admin),
    rule("POST", urls::route::ALERTS_CHANNEL_TEST, Need::Admin),
    rule("POST", urls::route::ALERTS_CHANNEL_REMOVE, Need::Admin),
    rule("POST", urls::route::ALERTS_RULE, Need::Admin),
    rule("POST", urls::ALERTS_MUTES, Need::Admin),
    rule("POST", urls::route::ALERTS_MUTE_REMOVE, Need::Admin),
];

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(urls::ALERTS, get(page))
        .route(urls::ALERTS_CHANNELS, post(add_channel))
        .route(urls::route::ALERTS_CHANNEL_TEST, post(test_channel))
        .route(urls::route::ALERTS_CHANNEL_REMOVE, post(remove_channel))
        .route(urls::route::ALERTS_RULE, post(edit_rule))
        .route(urls::ALERTS_MUTES, post(add_mute))
        .route(urls::route::ALERTS_MUTE_REMOVE, post(remove_mute))
}

pub struct AlertRow {
    pub title: String,
    pub detail: String,
    pub rule: String,
    pub link: String,
    pub raised: String,
    pub resolved: String,
}

pub struct ChannelRow {
    pub name: String,
    pub kind: String,
    pub target: String,
    pub last: String,
    pub last_error: String,
    pub test_url: String,
    pub remove_url: String,
}

pub struct ParamView {
    pub name: &'static str,
    pub label: &'static str,
    pub value: u32,
    pub min: u32,
    pub max: u32,
}

pub struct RuleRow {
    pub name: &'static str,
    pub describe: &'static str,
    pub enabled: bool,
    pub params: Vec<ParamView>,
    pub route_all: bool,
    /// (id, name, routed here)
    pub channels: Vec<(i64, String, bool)>,
    pub action: String,
}

pub struct MuteRow {
    pub scope: String,
    pub name: String,
    pub by: String,
    pub remove_url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "alerts/page.html")]
struct Page {
    layout: Layout,
    active: Vec<AlertRow>,
    history: Vec<AlertRow>,
    channels: Vec<ChannelRow>,
    rules: Vec<RuleRow>,
    mutes: Vec<MuteRow>,
    form: ChannelForm,
    error: Option<String>,
}

fn alert_row(a: store::Alert) -> AlertRow {
    AlertRow {
        raised: format_utc(a.raised_at),
        resolved: a.resolved_at.map(format_utc).unwrap_or_default(),
        title: a.title,
        detail: a.detail,
        rule: a.rule,
        link: a.link,
    }
}

async fn render(ctx: &Ctx, form: ChannelForm, error: Option<String>) -> AppResult<Page> {
    let db = &ctx.state.db;
    let stored = store::list_channels(db).await?;
    let rules = store::rule_settings(db)
        .await?
        .into_iter()
        .map(|s| {
            let mut params = Vec::new();
            if let Some(p) = s.rule.count() {
                params.push(ParamView {
                    name: "count",
                    label: p.label,
                    value: s.count,
                    min: p.min,
                    max: p.max,
                });
            }
            if let Some(p) = s.rule.minutes() {
                params.push(ParamView {
                    name: "minutes",
                    label: p.label,
                    value: s.minutes,
                    min: p.min,
                    max: p.max,
                });
            }
            RuleRow {
                name: s.rule.as_str(),
                describe: s.rule.describe(),
                enabled: s.enabled,
                params,
                route_all: s.route == Route::All,
                channels: stored
                    .iter()
                    .map(|c| (c.id, c.name.clone(), s.route.includes(c.id)))
                    .collect(),
                action: urls::alerts_rule(s.rule.as_str()),
            }
        })
        .collect();
    let channels = stored
        .into_iter()
        .map(|c| ChannelRow {
            test_url: urls::alerts_channel(c.id, "test"),
            remove_url: urls::alerts_channel(c.id, "remove"),
            last: c.last_sent_at.map(format_utc).unwrap_or_default(),
            last_error: c.last_error.unwrap_or_default(),
            name: c.name,
            kind: c.kind,
            target: c.target,
        })
        .collect();
    let mutes = store::list_mutes(db)
        .await?
        .into_iter()
        .map(|m| MuteRow {
            remove_url: urls::alerts_mute_remove(m.id),
            scope: m.scope,
            name: m.name,
            by: m.created_by,
        })
        .collect();
    Ok(Page {
        layout: ctx.layout("Alerts", "alerts"),
        active: store::active(db)
            .await?
            .into_iter()
            .map(alert_row)
            .collect(),
        history: store::history(db, HISTORY_ROWS)
            .await?
            .into_iter()
            .map(alert_row)
            .collect(),
        channels,
        rules,
        mutes,
        // never shown again, even after a refusal
        form: ChannelForm {
            url: String::new(),
            secret: String::new(),
            password: String::new(),
            ..form
        },
        error,
    })
}

pub async fn page(ctx: Ctx) -> AppResult<Response> {
    Ok(render(&ctx, ChannelForm::default(), None)
        .await?
        .into_response())
}

fn require_admin(ctx: &Ctx) -> AppResult<()> {
    if ctx.session.is_admin {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only an admin can change alerts.".into(),
        ))
    }
}

async fn refused(ctx: &Ctx, form: ChannelForm, error: String) -> AppResult<Response> {
    let page = render(ctx, form, Some(error)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn add_channel(ctx: Ctx, Form(f): Form<ChannelForm>) -> AppResult<Response> {
    require_admin(&ctx)?;
    let (name, settings) = match channel::check(&f) {
        Ok(c) => c,
        Err(e) => return refused(&ctx, f, e).await,
    };
    match store::insert_channel(&ctx.state.db, &name, &settings, &ctx.session.username).await? {
        Ok(_) => {
            let detail = format!("{} to {}", settings.kind().as_str(), settings.target());
            ctx.audit(Action::AlertChannelAdd, &name, Outcome::Ok, Some(&detail))
                .await;
            ctx.state.alerts.reload();
            let msg = format!("Channel {name} added. Send it a test to check it.");
            Ok(ctx.redirect_with(urls::ALERTS, FlashKind::Ok, &msg).await)
        }
        Err(store::Taken) => {
            let e = format!("A channel named {name} exists already.");
            refused(&ctx, f, e).await
        }
    }
}

pub async fn test_channel(ctx: Ctx, Path(id): Path<i64>) -> AppResult<Response> {
    require_admin(&ctx)?;
    let origin = ctx
        .state
        .config
        .public_url
        .as_ref()
        .map(|u| u.origin.clone())
        .unwrap_or_default();
    let Some((name, sent)) = crate::alerts::send_test(&ctx.state.db, id, &origin).await? else {
        return Err(AppError::NotFound(
            "No such channel (removed meanwhile?).".into(),
        ));
    };
    let (kind, msg, outcome) = match sent {
        Ok(()) => (
            FlashKind::Ok,
            format!("Test message sent to {name}."),
            Outcome::Ok,
        ),
        Err(e) => (
            FlashKind::Error,
            format!("The test message to {name} failed: {e}."),
            Outcome::Failed,
        ),
    };
    ctx.audit(Action::AlertChannelTest, &name, outcome, Some(&msg))
        .await;
    Ok(ctx.redirect_with(urls::ALERTS, kind, &msg).await)
}

pub async fn remove_channel(ctx: Ctx, Path(id): Path<i64>) -> AppResult<Response> {
    require_admin(&ctx)?;
    let Some(name) = store::delete_channel(&ctx.state.db, id).await? else {
        return Err(AppError::NotFound(
            "No such channel (removed meanwhile?).".into(),
        ));
    };
    ctx.audit(Action::AlertChannelRemove, &name, Outcome::Ok, None)
        .await;
    ctx.state.alerts.reload();
    let msg = format!("Channel {name} removed.");
    Ok(ctx.redirect_with(urls::ALERTS, FlashKind::Ok, &msg).await)
}

/// A rule's form: `enabled`, `count`, `minutes`, `route` (`all` or `only`) and one `channel`
/// per channel chosen (repeated, so read from the raw body).
pub async fn edit_rule(ctx: Ctx, Path(rule): Path<String>, body: String) -> AppResult<Response> {
    require_admin(&ctx)?;
    let rule = Rule::parse(&rule).ok_or_else(|| AppError::NotFound("No such rule.".into()))?;
    let (mut enabled, mut count, mut minutes, mut route_all) = (false, None, None, true);
    let mut ids = Vec::new();
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        match &*k {
            "enabled" => enabled = !v.is_empty(),
            "count" => count = Some(v.into_owned()),
            "minutes" => minutes = Some(v.into_owned()),
            "route" => route_all = v != "only",
            "channel" if ids.len() <= rules::MAX_ROUTE => {
                if let Ok(id) = v.parse::<i64>() {
                    ids.push(id);
                }
            }
            _ => {}
        }
    }
    let route = if route_all {
        Route::All
    } else {
        Route::Only(ids)
    };
    let setting =
        match rules::check_edit(rule, enabled, count.as_deref(), minutes.as_deref(), route) {
            Ok(s) => s,
            Err(e) => {
                return Ok(ctx.redirect_with(urls::ALERTS, FlashKind::Error, &e).await);
            }
        };
    store::save_rule(&ctx.state.db, &setting, &ctx.session.username).await?;
    let detail = format!(
        "{}, count {}, minutes {}, channels {}",
        if setting.enabled { "on" } else { "off" },
        setting.count,
        setting.minutes,
        setting.route.to_stored().unwrap_or_else(|| "all".into())
    );
    ctx.audit(
        Action::AlertRuleUpdate,
        rule.as_str(),
        Outcome::Ok,
        Some(&detail),
    )
    .await;
    ctx.state.alerts.reload();
    let msg = format!("Rule “{}” saved.", rule.describe());
    Ok(ctx.redirect_with(urls::ALERTS, FlashKind::Ok, &msg).await)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MuteForm {
    /// `stack` or `service`
    pub scope: String,
    pub name: String,
}

pub async fn add_mute(ctx: Ctx, Form(f): Form<MuteForm>) -> AppResult<Response> {
    require_admin(&ctx)?;
    let name = f.name.trim();
    let bad = if !matches!(f.scope.as_str(), "stack" | "service") {
        Some("Mute a stack or a service.")
    } else if name.is_empty() || name.len() > MAX_MUTE_NAME {
        Some("Enter the name of the stack or service to mute.")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Some("A stack or service name has letters, digits, “-”, “_” and “.” only.")
    } else {
        None
    };
    if let Some(e) = bad {
        return Ok(ctx.redirect_with(urls::ALERTS, FlashKind::Error, e).await);
    }
    let added = store::insert_mute(&ctx.state.db, &f.scope, name, &ctx.session.username).await?;
    let target = format!("{} {name}", f.scope);
    if added {
        ctx.audit(Action::AlertMuteAdd, &target, Outcome::Ok, None)
            .await;
        ctx.state.alerts.reload();
    }
    let msg = format!("The {target} is muted: it raises no alert.");
    Ok(ctx.redirect_with(urls::ALERTS, FlashKind::Ok, &msg).await)
}

pub async fn remove_mute(ctx: Ctx, Path(id): Path<i64>) -> AppResult<Response> {
    require_admin(&ctx)?;
    let Some((scope, name)) = store::delete_mute(&ctx.state.db, id).await? else {
        return Err(AppError::NotFound("No such mute.".into()));
    };
    let target = format!("{scope} {name}");
    ctx.audit(Action::AlertMuteRemove, &target, Outcome::Ok, None)
        .await;
    ctx.state.alerts.reload();
    let msg = format!("The {target} raises alerts again.");
    Ok(ctx.redirect_with(urls::ALERTS, FlashKind::Ok, &msg).await)
}
