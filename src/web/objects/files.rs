//! `/secrets` and `/configs`: the two file-like objects, one set of handlers with a [`Kind`].
//! A secret's value goes to Docker once and is never shown, logged or audited; a config's
//! content is shown (escaped by the template). Rotation: the rotate page previews the
//! services that will restart, the POST creates `NAME.vN`, moves every user to it and leaves
//! a background task that removes the old object once their updates have completed.

use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::form::ObjectForm;
use super::{UserRow, check_ref};
use crate::db::audit::{Action, Outcome};
use crate::docker::objects::rotate::{self, Settled};
use crate::docker::objects::{self, Detail, Kind, NewObject};
use crate::docker::time::format_utc;
use crate::error::AppResult;
use crate::web::page::{Ctx, FlashKind, Layout};
use crate::web::urls;

/// How long a rotation waits for the services' updates before it keeps the old object.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

fn list_url(kind: Kind) -> &'static str {
    match kind {
        Kind::Secret => urls::SECRETS,
        Kind::Config => urls::CONFIGS,
    }
}

fn nav(kind: Kind) -> &'static str {
    match kind {
        Kind::Secret => "secrets",
        Kind::Config => "configs",
    }
}

fn title(kind: Kind) -> &'static str {
    match kind {
        Kind::Secret => "Secrets",
        Kind::Config => "Configs",
    }
}

fn object_url(kind: Kind, id: &str) -> String {
    format!("{}/{id}", list_url(kind))
}

fn action_url(kind: Kind, id: &str, action: &str) -> String {
    format!("{}/{id}/{action}", list_url(kind))
}

fn act(kind: Kind, secret: Action, config: Action) -> Action {
    match kind {
        Kind::Secret => secret,
        Kind::Config => config,
    }
}

pub struct Row {
    pub name: String,
    pub url: String,
    pub stack: String,
    pub created: String,
    pub users: Vec<UserRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "objects/list.html")]
struct ListPage {
    layout: Layout,
    noun: &'static str,
    is_secret: bool,
    list_url: &'static str,
    rows: Vec<Row>,
    name: String,
    labels: String,
    error: Option<String>,
}

async fn list_page(
    ctx: &Ctx,
    kind: Kind,
    name: String,
    labels: String,
    error: Option<String>,
) -> ListPage {
    let snap = ctx.state.model.snapshot();
    let all = match kind {
        Kind::Secret => snap.secrets(),
        Kind::Config => snap.configs(),
    };
    let rows = all
        .iter()
        .filter(|o| !o.berth_state)
        .map(|o| Row {
            name: o.name.clone(),
            url: object_url(kind, &o.id),
            stack: o.stack.clone(),
            created: o.created.map(format_utc).unwrap_or_default(),
            users: objects::users(snap.services(), kind, &o.id)
                .into_iter()
                .map(UserRow::from_summary)
                .collect(),
        })
        .collect();
    ListPage {
        layout: ctx.layout(title(kind), nav(kind)),
        noun: kind.noun(),
        is_secret: kind == Kind::Secret,
        list_url: list_url(kind),
        rows,
        name,
        labels,
        error,
    }
}

pub async fn secrets(ctx: Ctx) -> Response {
    list_page(&ctx, Kind::Secret, String::new(), String::new(), None)
        .await
        .into_response()
}

pub async fn configs(ctx: Ctx) -> Response {
    list_page(&ctx, Kind::Config, String::new(), String::new(), None)
        .await
        .into_response()
}

pub async fn create_secret(ctx: Ctx, f: ObjectForm) -> AppResult<Response> {
    create(ctx, Kind::Secret, f).await
}

pub async fn create_config(ctx: Ctx, f: ObjectForm) -> AppResult<Response> {
    create(ctx, Kind::Config, f).await
}

async fn create(ctx: Ctx, kind: Kind, f: ObjectForm) -> AppResult<Response> {
    let name = f.name.trim().to_string();
    let checked = objects::check_name(kind, &name)
        .and_then(|()| objects::check_data(kind, f.data()))
        .and_then(|()| objects::parse_labels(&f.labels));
    let labels = match checked {
        Ok(l) => l,
        Err(e) => {
            let page = list_page(&ctx, kind, name, f.labels.clone(), Some(e)).await;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let docker = ctx.state.docker.manager()?;
    let new = NewObject {
        kind,
        name: &name,
        data: f.data(),
        labels,
        templating: None,
        driver: None,
    };
    let action = act(kind, Action::SecretCreate, Action::ConfigCreate);
    match objects::create(&docker, new).await {
        Ok(id) => {
            ctx.audit(action, &name, Outcome::Ok, None).await;
            ctx.state.model.resync();
            let msg = format!("Created the {} {name}.", kind.noun());
            Ok(ctx
                .redirect_with(&object_url(kind, &id), FlashKind::Ok, &msg)
                .await)
        }
        Err(e) => {
            let m = e.user_message();
            ctx.audit(action, &name, Outcome::Failed, Some(&m)).await;
            let page = list_page(&ctx, kind, name, f.labels.clone(), Some(m)).await;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The users table with each service's rollout, and what became of a rotation's old object.
#[derive(Template, WebTemplate)]
#[template(path = "objects/_users.html")]
struct UsersPart {
    noun: &'static str,
    users_url: String,
    users: Vec<UserRow>,
    /// the object this one replaced, while it still exists
    old: Option<(String, String)>,
    rolling: bool,
}

fn users_part(ctx: &Ctx, kind: Kind, d: &Detail) -> UsersPart {
    let snap = ctx.state.model.snapshot();
    let users: Vec<UserRow> = objects::users(snap.services(), kind, &d.id)
        .into_iter()
        .map(UserRow::from_summary)
        .collect();
    let all = match kind {
        Kind::Secret => snap.secrets(),
        Kind::Config => snap.configs(),
    };
    let old = d
        .rotated_from()
        .and_then(|n| all.iter().find(|o| o.name == n))
        .map(|o| (o.name.clone(), object_url(kind, &o.id)));
    let rolling = users
        .iter()
        .any(|u| u.update == "updating" || u.replicas_class != "ok");
    UsersPart {
        noun: kind.noun(),
        users_url: action_url(kind, &d.id, "users"),
        users,
        rolling: rolling || old.is_some(),
        old,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "objects/detail.html")]
struct DetailPage {
    layout: Layout,
    noun: &'static str,
    list_url: &'static str,
    d: Detail,
    created: String,
    users_url: String,
    users: Vec<UserRow>,
    old: Option<(String, String)>,
    rolling: bool,
    rotate_url: String,
    remove_url: String,
}

async fn detail(ctx: Ctx, kind: Kind, id: String) -> AppResult<Response> {
    check_ref(kind.noun(), &id)?;
    let docker = ctx.state.docker.manager()?;
    let d = objects::inspect(&docker, kind, &id).await?;
    let part = users_part(&ctx, kind, &d);
    Ok(DetailPage {
        layout: ctx.layout(format!("{} {}", kind.noun(), d.name), nav(kind)),
        noun: kind.noun(),
        list_url: list_url(kind),
        created: d.created.map(format_utc).unwrap_or_default(),
        users_url: part.users_url,
        users: part.users,
        old: part.old,
        rolling: part.rolling,
        rotate_url: action_url(kind, &d.id, "rotate"),
        remove_url: action_url(kind, &d.id, "remove"),
        d,
    }
    .into_response())
}

pub async fn secret(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    detail(ctx, Kind::Secret, id).await
}

pub async fn config(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    detail(ctx, Kind::Config, id).await
}

async fn users(ctx: Ctx, kind: Kind, id: String) -> AppResult<Response> {
    check_ref(kind.noun(), &id)?;
    let docker = ctx.state.docker.manager()?;
    let d = objects::inspect(&docker, kind, &id).await?;
    Ok(users_part(&ctx, kind, &d).into_response())
}

pub async fn secret_users(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    users(ctx, Kind::Secret, id).await
}

pub async fn config_users(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    users(ctx, Kind::Config, id).await
}

async fn remove(ctx: Ctx, kind: Kind, id: String) -> AppResult<Response> {
    check_ref(kind.noun(), &id)?;
    let docker = ctx.state.docker.manager()?;
    let d = objects::inspect(&docker, kind, &id).await?;
    let action = act(kind, Action::SecretRemove, Action::ConfigRemove);
    // Docker's own list, not the model's (which may lag a service removed a moment ago);
    // Docker refuses too (its check and the removal are one step): this names the users
    let users = rotate::current_users(&docker, kind, &d.id).await?;
    let names: Vec<&str> = users.iter().map(|(_, n)| n.as_str()).collect();
    let refusal = match objects::in_use_message(kind, &d.name, &names) {
        Some(m) => Some(m),
        None => objects::remove(&docker, kind, &d.id)
            .await
            .err()
            .map(|e| e.user_message()),
    };
    if let Some(m) = refusal {
        ctx.audit(action, &d.name, Outcome::Denied, Some(&m)).await;
        return Ok(ctx
            .redirect_with(&object_url(kind, &d.id), FlashKind::Error, &m)
            .await);
    }
    ctx.audit(action, &d.name, Outcome::Ok, None).await;
    ctx.state.model.resync();
    let msg = format!("Removed the {} {}.", kind.noun(), d.name);
    Ok(ctx.redirect_with(list_url(kind), FlashKind::Ok, &msg).await)
}

pub async fn remove_secret(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    remove(ctx, Kind::Secret, id).await
}

pub async fn remove_config(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    remove(ctx, Kind::Config, id).await
}

#[derive(Template, WebTemplate)]
#[template(path = "objects/rotate.html")]
struct RotatePage {
    layout: Layout,
    noun: &'static str,
    is_secret: bool,
    d: Detail,
    object_url: String,
    rotate_url: String,
    new_name: String,
    users: Vec<UserRow>,
    error: Option<String>,
}

async fn rotate_page(ctx: &Ctx, kind: Kind, d: Detail, error: Option<String>) -> RotatePage {
    let snap = ctx.state.model.snapshot();
    let all = match kind {
        Kind::Secret => snap.secrets(),
        Kind::Config => snap.configs(),
    };
    let new_name = rotate::next_name(&d.name, all.iter().map(|o| o.name.as_str()));
    let users = objects::users(snap.services(), kind, &d.id)
        .into_iter()
        .map(UserRow::from_summary)
        .collect();
    RotatePage {
        layout: ctx.layout(format!("Rotate {}", d.name), nav(kind)),
        noun: kind.noun(),
        is_secret: kind == Kind::Secret,
        object_url: object_url(kind, &d.id),
        rotate_url: action_url(kind, &d.id, "rotate"),
        new_name,
        users,
        error,
        d,
    }
}

async fn rotate_form(ctx: Ctx, kind: Kind, id: String) -> AppResult<Response> {
    check_ref(kind.noun(), &id)?;
    let docker = ctx.state.docker.manager()?;
    let d = objects::inspect(&docker, kind, &id).await?;
    Ok(rotate_page(&ctx, kind, d, None).await.into_response())
}

pub async fn rotate_secret_form(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    rotate_form(ctx, Kind::Secret, id).await
}

pub async fn rotate_config_form(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    rotate_form(ctx, Kind::Config, id).await
}

/// What a rotation did, for the audit log, the flash message and the API.
pub struct RotationOutcome {
    pub rotated: rotate::Rotated,
    pub summary: String,
}

/// Rotates `d` to a new object holding `data`: the shared step of the page and the API.
/// Starts the background removal of the old object; audits (never the value).
pub async fn rotate_object(
    state: &crate::AppState,
    user: &str,
    ip: Option<&str>,
    kind: Kind,
    d: &Detail,
    data: &[u8],
) -> Result<RotationOutcome, String> {
    objects::check_data(kind, data)?;
    let docker = state.docker.manager().map_err(|e| e.user_message())?;
    let new_name = {
        let snap = state.model.snapshot();
        let all = match kind {
            Kind::Secret => snap.secrets(),
            Kind::Config => snap.configs(),
        };
        rotate::next_name(&d.name, all.iter().map(|o| o.name.as_str()))
    };
    let auth = state.deploys.registry_auth().await;
    let action = act(kind, Action::SecretRotate, Action::ConfigRotate);
    let record = |outcome: Outcome, detail: String| {
        let db = state.db.clone();
        let (user, ip, target) = (user.to_string(), ip.map(str::to_string), d.name.clone());
        async move {
            let e = crate::db::audit::Entry {
                username: Some(&user),
                ip: ip.as_deref(),
                action,
                target: Some(&target),
                outcome,
                detail: Some(&detail),
            };
            if let Err(err) = crate::db::audit::record(&db, &e).await {
                tracing::error!("cannot write audit log entry {action}: {err}");
            }
        }
    };
    let rotated = match rotate::apply(&docker, &auth, kind, d, &new_name, data).await {
        Ok(r) => r,
        Err(e) => {
            let m = e.user_message();
            record(Outcome::Failed, m.clone()).await;
            return Err(m);
        }
    };
    state.model.resync();
    let moved: Vec<&str> = rotated.updated.iter().map(|c| c.name.as_str()).collect();
    let mut summary = format!(
        "Rotated {} to {}: {} updated",
        d.name,
        rotated.new_name,
        if moved.is_empty() {
            "no service".to_string()
        } else {
            moved.join(", ")
        }
    );
    for (name, why) in &rotated.failed {
        summary.push_str(&format!("; {name} not moved: {why}"));
    }
    record(
        if rotated.failed.is_empty() {
            Outcome::Ok
        } else {
            Outcome::Failed
        },
        summary.clone(),
    )
    .await;
    if rotated.failed.is_empty() {
        summary.push_str(&format!(
            ". {} is removed once the services have rolled out.",
            d.name
        ));
        let ids: Vec<String> = rotated.updated.iter().map(|c| c.id.clone()).collect();
        let (old_id, old_name) = (d.id.clone(), d.name.clone());
        let db = state.db.clone();
        let model = state.model.clone();
        let (user, ip) = (user.to_string(), ip.map(str::to_string));
        tokio::spawn(async move {
            let settled = rotate::settle(&docker, kind, &old_id, &ids, SETTLE_TIMEOUT).await;
            let (outcome, detail) = match &settled {
                Settled::Removed => (Outcome::Ok, format!("removed the old {}", kind.noun())),
                Settled::Kept(why) => (Outcome::Failed, why.clone()),
            };
            let e = crate::db::audit::Entry {
                username: Some(&user),
                ip: ip.as_deref(),
                action: act(kind, Action::SecretRemove, Action::ConfigRemove),
                target: Some(&old_name),
                outcome,
                detail: Some(&detail),
            };
            if let Err(err) = crate::db::audit::record(&db, &e).await {
                tracing::error!("cannot write audit log entry for {old_name}: {err}");
            }
            model.resync();
        });
    } else {
        summary.push_str(&format!(
            ". {} stays until every service uses {}.",
            d.name, rotated.new_name
        ));
    }
    Ok(RotationOutcome { rotated, summary })
}

async fn rotate_post(ctx: Ctx, kind: Kind, id: String, f: ObjectForm) -> AppResult<Response> {
    check_ref(kind.noun(), &id)?;
    if let Err(e) = objects::check_data(kind, f.data()) {
        let docker = ctx.state.docker.manager()?;
        let d = objects::inspect(&docker, kind, &id).await?;
        let page = rotate_page(&ctx, kind, d, Some(e)).await;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let docker = ctx.state.docker.manager()?;
    let d = objects::inspect(&docker, kind, &id).await?;
    let user = ctx.session.username.clone();
    match rotate_object(&ctx.state, &user, ctx.ip.as_deref(), kind, &d, f.data()).await {
        Ok(o) => {
            let kind_flash = if o.rotated.failed.is_empty() {
                FlashKind::Ok
            } else {
                FlashKind::Error
            };
            Ok(ctx
                .redirect_with(&object_url(kind, &o.rotated.new_id), kind_flash, &o.summary)
                .await)
        }
        Err(m) => {
            let page = rotate_page(&ctx, kind, d, Some(m)).await;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn rotate_secret(ctx: Ctx, Path(id): Path<String>, f: ObjectForm) -> AppResult<Response> {
    rotate_post(ctx, Kind::Secret, id, f).await
}

pub async fn rotate_config(ctx: Ctx, Path(id): Path<String>, f: ObjectForm) -> AppResult<Response> {
    rotate_post(ctx, Kind::Config, id, f).await
}
