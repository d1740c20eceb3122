//! `/settings`: change your password (ends your other sessions); manage local accounts.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::page::{Ctx, FlashKind, Layout};
use super::urls;
use crate::auth::{self as authz, password};
use crate::db::{
    self,
    audit::{Action, Outcome},
};
use crate::docker::time::format_utc;
use crate::error::{AppError, AppResult};

pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub is_admin: bool,
    pub created: String,
    pub is_self: bool,
    pub delete_url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    users: Vec<UserRow>,
    password_error: Option<String>,
    user_error: Option<String>,
    new_username: String,
}

async fn render(
    ctx: &Ctx,
    password_error: Option<String>,
    user_error: Option<String>,
    new_username: String,
) -> AppResult<SettingsPage> {
    let users = db::users::list(&ctx.state.db)
        .await?
        .into_iter()
        .map(|u| UserRow {
            delete_url: urls::settings_user_delete(u.id),
            is_self: u.id == ctx.session.user_id,
            id: u.id,
            username: u.username,
            is_admin: u.is_admin,
            created: format_utc(u.created_at),
        })
        .collect();
    Ok(SettingsPage {
        layout: ctx.layout("Settings", "settings"),
        users,
        password_error,
        user_error,
        new_username,
    })
}

pub async fn show(ctx: Ctx) -> AppResult<Response> {
    Ok(render(&ctx, None, None, String::new())
        .await?
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    pub current_password: String,
    pub new_password: String,
    pub new_password_confirm: String,
}

pub async fn change_password(ctx: Ctx, Form(f): Form<PasswordForm>) -> AppResult<Response> {
    let user = db::users::by_id(&ctx.state.db, ctx.session.user_id)
        .await?
        .ok_or_else(|| AppError::NotFound("Your account no longer exists.".into()))?;
    let fail = |m: &str| Some(m.to_string());
    if !password::verify(f.current_password, Some(user.password_hash.clone())).await {
        ctx.audit(
            Action::AuthPasswordChange,
            &user.username,
            Outcome::Failed,
            Some("wrong current password"),
        )
        .await;
        let page = render(
            &ctx,
            fail("Your current password is not right."),
            None,
            String::new(),
        )
        .await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    if let Err(m) =
        authz::check_new_password(&user.username, &f.new_password, &f.new_password_confirm)
    {
        let page = render(&ctx, fail(m), None, String::new()).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let hash = password::hash(f.new_password)
        .await
        .map_err(AppError::Internal)?;
    db::users::set_password(&ctx.state.db, user.id, &hash).await?;
    let ended = db::sessions::delete_others(&ctx.state.db, user.id, &ctx.session.id_hash).await?;
    ctx.audit(
        Action::AuthPasswordChange,
        &user.username,
        Outcome::Ok,
        Some(&format!("{ended} other session(s) ended")),
    )
    .await;
    let msg = format!("Password changed. {ended} other session(s) were signed out.");
    Ok(ctx.redirect_with(urls::SETTINGS, FlashKind::Ok, &msg).await)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewUserForm {
    pub username: String,
    pub password: String,
    pub password_confirm: String,
}

pub async fn create_user(ctx: Ctx, Form(f): Form<NewUserForm>) -> AppResult<Response> {
    if !ctx.session.is_admin {
        return Err(AppError::Forbidden(
            "Only an admin can add accounts.".into(),
        ));
    }
    let username = f.username.trim().to_string();
    if let Err(m) = authz::check_username(&username)
        .and_then(|_| authz::check_new_password(&username, &f.password, &f.password_confirm))
    {
        let page = render(&ctx, None, Some(m.to_string()), username).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let hash = password::hash(f.password)
        .await
        .map_err(AppError::Internal)?;
    match db::users::create(&ctx.state.db, &username, &hash, true).await? {
        Some(_) => {
            ctx.audit(Action::UserCreate, &username, Outcome::Ok, None)
                .await;
            Ok(ctx
                .redirect_with(
                    urls::SETTINGS,
                    FlashKind::Ok,
                    &format!("Account {username} created."),
                )
                .await)
        }
        None => {
            ctx.audit(
                Action::UserCreate,
                &username,
                Outcome::Failed,
                Some("name taken"),
            )
            .await;
            let page = render(
                &ctx,
                None,
                Some(format!("An account named {username} already exists.")),
                username,
            )
            .await?;
            Ok((axum::http::StatusCode::CONFLICT, page).into_response())
        }
    }
}

pub async fn delete_user(ctx: Ctx, Path(id): Path<i64>) -> AppResult<Response> {
    if !ctx.session.is_admin {
        return Err(AppError::Forbidden(
            "Only an admin can remove accounts.".into(),
        ));
    }
    let user = db::users::by_id(&ctx.state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such account.".into()))?;
    if user.id == ctx.session.user_id {
        return Ok(ctx
            .redirect_with(
                urls::SETTINGS,
                FlashKind::Error,
                "You cannot remove your own account.",
            )
            .await);
    }
    if user.is_admin && db::users::admin_count(&ctx.state.db).await? <= 1 {
        return Ok(ctx
            .redirect_with(
                urls::SETTINGS,
                FlashKind::Error,
                "The last admin cannot be removed.",
            )
            .await);
    }
    db::users::delete(&ctx.state.db, id).await?;
    ctx.audit(Action::UserDelete, &user.username, Outcome::Ok, None)
        .await;
    Ok(ctx
        .redirect_with(
            urls::SETTINGS,
            FlashKind::Ok,
            &format!("Account {} removed.", user.username),
        )
        .await)
}
