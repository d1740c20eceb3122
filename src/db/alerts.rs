//! Alerts' storage: channels (settings sealed, see [`crate::secrets`]), edited rules, mutes, and
//! the alerts raised (active until resolved, the rest is history). Only [`channel_settings`]
//! and [`all_channel_settings`] open a channel's settings: for sending, never for a page.

use sqlx::{FromRow, SqlitePool};

use crate::alerts::channel::Settings;
use crate::alerts::rules::{Route, Rule, Setting};

/// Purpose the sealed settings are bound to.
const SETTINGS: &str = "alert channel";
/// The history kept: alerts resolved longer ago than this are deleted.
pub const HISTORY_DAYS: i64 = 90;

/// A channel as the page shows it.
#[derive(Debug, Clone, FromRow)]
pub struct Channel {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub target: String,
    pub created_at: i64,
    pub created_by: String,
    pub last_sent_at: Option<i64>,
    pub last_error: Option<String>,
}

/// A channel with that name exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken;

pub async fn list_channels(db: &SqlitePool) -> sqlx::Result<Vec<Channel>> {
    sqlx::query_as(
        "SELECT id, name, kind, target, created_at, created_by, last_sent_at, last_error
         FROM alert_channels ORDER BY name",
    )
    .fetch_all(db)
    .await
}

pub async fn insert_channel(
    db: &SqlitePool,
    name: &str,
    settings: &Settings,
    by: &str,
) -> sqlx::Result<Result<i64, Taken>> {
    let json = serde_json::to_string(settings).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let sealed = super::sealer(db)?.seal(SETTINGS, json.as_bytes());
    let r = sqlx::query(
        "INSERT INTO alert_channels (name, kind, target, settings, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(settings.kind().as_str())
    .bind(settings.target())
    .bind(sealed)
    .bind(super::now())
    .bind(by)
    .execute(db)
    .await?;
    Ok(if r.rows_affected() == 1 {
        Ok(r.last_insert_rowid())
    } else {
        Err(Taken)
    })
}

/// Deletes channel `id`; its name when it existed.
pub async fn delete_channel(db: &SqlitePool, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("DELETE FROM alert_channels WHERE id = ? RETURNING name")
        .bind(id)
        .fetch_optional(db)
        .await
}

fn open(db: &SqlitePool, sealed: &str) -> sqlx::Result<Settings> {
    let plain = super::sealer(db)?
        .open_text(SETTINGS, sealed)
        .map_err(super::unsealing)?;
    serde_json::from_str(&plain).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// Channel `id`'s name and opened settings.
pub async fn channel_settings(
    db: &SqlitePool,
    id: i64,
) -> sqlx::Result<Option<(String, Settings)>> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT name, settings FROM alert_channels WHERE id = ?")
            .bind(id)
            .fetch_optional(db)
            .await?;
    row.map(|(name, sealed)| Ok((name, open(db, &sealed)?)))
        .transpose()
}

/// Every channel's id, name and opened settings (the engine's copy).
pub async fn all_channel_settings(db: &SqlitePool) -> sqlx::Result<Vec<(i64, String, Settings)>> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, settings FROM alert_channels ORDER BY id")
            .fetch_all(db)
            .await?;
    rows.into_iter()
        .map(|(id, name, sealed)| Ok((id, name, open(db, &sealed)?)))
        .collect()
}

/// Records how the last send to channel `id` went (the error says what failed, no secret).
pub async fn record_send(db: &SqlitePool, id: i64, error: Option<&str>) -> sqlx::Result<()> {
    sqlx::query("UPDATE alert_channels SET last_sent_at = ?, last_error = ? WHERE id = ?")
        .bind(super::now())
        .bind(error.map(|e| crate::db::audit::clip(e, 512).into_owned()))
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Every rule's setting: stored when edited, else its defaults.
pub async fn rule_settings(db: &SqlitePool) -> sqlx::Result<Vec<Setting>> {
    let rows: Vec<(String, bool, i64, i64, Option<String>)> =
        sqlx::query_as("SELECT rule, enabled, count, minutes, channels FROM alert_rules")
            .fetch_all(db)
            .await?;
    Ok(Rule::ALL
        .into_iter()
        .map(|rule| {
            rows.iter()
                .find(|r| r.0 == rule.as_str())
                .map(|(_, enabled, count, minutes, channels)| Setting {
                    rule,
                    enabled: *enabled,
                    count: u32::try_from(*count).unwrap_or(0),
                    minutes: u32::try_from(*minutes).unwrap_or(0),
                    route: Route::from_stored(channels.as_deref()),
                })
                .unwrap_or_else(|| Setting::default_for(rule))
        })
        .collect())
}

pub async fn save_rule(db: &SqlitePool, s: &Setting, by: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO alert_rules (rule, enabled, count, minutes, channels, updated_at, updated_by)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (rule) DO UPDATE SET enabled = excluded.enabled, count = excluded.count,
           minutes = excluded.minutes, channels = excluded.channels,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(s.rule.as_str())
    .bind(s.enabled)
    .bind(i64::from(s.count))
    .bind(i64::from(s.minutes))
    .bind(s.route.to_stored())
    .bind(super::now())
    .bind(by)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct Mute {
    pub id: i64,
    pub scope: String,
    pub name: String,
    pub created_at: i64,
    pub created_by: String,
}

pub async fn list_mutes(db: &SqlitePool) -> sqlx::Result<Vec<Mute>> {
    sqlx::query_as(
        "SELECT id, scope, name, created_at, created_by FROM alert_mutes ORDER BY scope, name",
    )
    .fetch_all(db)
    .await
}

/// Mutes a stack or a service by name; false when it was muted already.
pub async fn insert_mute(db: &SqlitePool, scope: &str, name: &str, by: &str) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO alert_mutes (scope, name, created_at, created_by) VALUES (?, ?, ?, ?)
         ON CONFLICT (scope, name) DO NOTHING",
    )
    .bind(scope)
    .bind(name)
    .bind(super::now())
    .bind(by)
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn delete_mute(db: &SqlitePool, id: i64) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as("DELETE FROM alert_mutes WHERE id = ? RETURNING scope, name")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// An alert, active or past.
#[derive(Debug, Clone, FromRow)]
pub struct Alert {
    pub id: i64,
    pub key: String,
    pub rule: String,
    pub subject: String,
    pub stack: String,
    pub link: String,
    pub title: String,
    pub detail: String,
    pub raised_at: i64,
    pub resolved_at: Option<i64>,
}

pub async fn active(db: &SqlitePool) -> sqlx::Result<Vec<Alert>> {
    sqlx::query_as(
        "SELECT id, key, rule, subject, stack, link, title, detail, raised_at, resolved_at
         FROM alerts WHERE resolved_at IS NULL ORDER BY raised_at DESC, id DESC",
    )
    .fetch_all(db)
    .await
}

/// The newest resolved alerts, at most `limit`.
pub async fn history(db: &SqlitePool, limit: i64) -> sqlx::Result<Vec<Alert>> {
    sqlx::query_as(
        "SELECT id, key, rule, subject, stack, link, title, detail, raised_at, resolved_at
         FROM alerts WHERE resolved_at IS NOT NULL ORDER BY resolved_at DESC, id DESC LIMIT ?",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Records a new alert; its id.
pub async fn raise(db: &SqlitePool, a: &Alert) -> sqlx::Result<i64> {
    let r = sqlx::query(
        "INSERT INTO alerts (key, rule, subject, stack, link, title, detail, raised_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&a.key)
    .bind(&a.rule)
    .bind(&a.subject)
    .bind(&a.stack)
    .bind(&a.link)
    .bind(&a.title)
    .bind(&a.detail)
    .bind(a.raised_at)
    .execute(db)
    .await?;
    Ok(r.last_insert_rowid())
}

/// An active alert's text moved on (more failures, a newer error): no new notification.
pub async fn update_text(db: &SqlitePool, id: i64, title: &str, detail: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE alerts SET title = ?, detail = ? WHERE id = ?")
        .bind(title)
        .bind(detail)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn resolve(db: &SqlitePool, id: i64, at: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE alerts SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL")
        .bind(at)
        .bind(id)
        .execute(db)
        .await?;
    sqlx::query("DELETE FROM alerts WHERE resolved_at < ?")
        .bind(at - HISTORY_DAYS * 86_400)
        .execute(db)
        .await?;
    Ok(())
}
