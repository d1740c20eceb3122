//! `/settings`: change your password (ends your other sessions and forgets your trusted
//! browsers); manage local accounts. Each of these asks for the current password, checked under
//! the same throttle reservation as a sign-in (keyed by the signed-in user).

pub mod oidc;

use askama::Template;
use askama_web::WebTemplate;
use std::time::Duration;

use axum::Form;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::page::{Ctx, FlashKind, Layout};
use super::urls;
use crate::auth::attempt::{self, Attempt};
use crate::auth::roles::Role;
use crate::auth::throttle::Key;
use crate::auth::{self as authz};
use crate::db::users::User;
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
    pub role: &'static str,
    pub created: String,
    pub is_self: bool,
    pub delete_url: String,
    pub role_url: String,
    /// TOTP is on for this account (admins may reset it)
    pub totp_on: bool,
    pub totp_reset_url: String,
}

/// Your own TOTP on the settings page.
#[derive(Debug, Default)]
pub struct TotpView {
    pub on: bool,
    /// set up, waiting for its first code
    pub pending: bool,
    pub recovery_left: i64,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    users: Vec<UserRow>,
    password_error: Option<String>,
    user_error: Option<String>,
    new_username: String,
    plain_http_from_afar: bool,
    tls_port: Option<u16>,
    tokens: Vec<super::tokens::TokenView>,
    token_error: Option<String>,
    token_form: super::tokens::TokenForm,
    /// roles and teams (admins only; empty for others)
    teams: Vec<db::teams::Team>,
    roles: [&'static str; 4],
    totp: TotpView,
    /// OpenID Connect sign-in (admins only; `None` for others)
    oidc: Option<oidc::View>,
    oidc_error: Option<String>,
}

async fn render(
    ctx: &Ctx,
    password_error: Option<String>,
    user_error: Option<String>,
    new_username: String,
) -> AppResult<SettingsPage> {
    let roles = db::teams::roles(&ctx.state.db).await?;
    let with_totp = db::totp::enabled_users(&ctx.state.db).await?;
    let totp = match db::totp::status(&ctx.state.db, ctx.session.user_id).await? {
        db::totp::Status::Off => TotpView::default(),
        db::totp::Status::Pending => TotpView {
            pending: true,
            ..TotpView::default()
        },
        db::totp::Status::On { recovery_left } => TotpView {
            on: true,
            recovery_left,
            ..TotpView::default()
        },
    };
    let users = db::users::list(&ctx.state.db)
        .await?
        .into_iter()
        .map(|u| UserRow {
            delete_url: urls::settings_user_delete(u.id),
            role_url: urls::settings_user_role(u.id),
            totp_on: with_totp.contains(&u.id),
            totp_reset_url: urls::settings_user_totp_reset(u.id),
            role: roles.get(&u.id).copied().unwrap_or(Role::Viewer).as_str(),
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
        plain_http_from_afar: ctx.plain_http_from_afar,
        tls_port: ctx.state.config.tls_listen.map(|a| a.port()),
        tokens: super::tokens::list(ctx).await?,
        token_error: None,
        token_form: Default::default(),
        teams: if ctx.session.is_admin {
            db::teams::list(&ctx.state.db).await?
        } else {
            Vec::new()
        },
        roles: Role::ALL.map(Role::as_str),
        totp,
        oidc: if ctx.session.is_admin {
            Some(oidc::View::load(&ctx.state).await?)
        } else {
            None
        },
        oidc_error: None,
    })
}

/// The settings page with a message in its TOTP section.
pub(super) async fn with_totp_error(
    ctx: &Ctx,
    status: StatusCode,
    message: String,
    retry_after: Option<Duration>,
) -> AppResult<Response> {
    let mut page = render(ctx, None, None, String::new()).await?;
    page.totp.error = Some(message);
    Ok(Denial {
        status,
        message: String::new(),
        retry_after,
    }
    .respond(page))
}

/// The page with the OpenID Connect form as typed and why it was not saved.
pub async fn with_oidc(ctx: &Ctx, view: oidc::View, error: String) -> AppResult<Response> {
    let mut page = render(ctx, None, None, String::new()).await?;
    page.oidc = Some(view);
    page.oidc_error = Some(error);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn show(ctx: Ctx) -> AppResult<Response> {
    Ok(render(&ctx, None, None, String::new())
        .await?
        .into_response())
}

/// Why the current password was not accepted: the status, the sentence, and how long to wait.
pub(super) struct Denial {
    pub status: StatusCode,
    pub message: String,
    pub retry_after: Option<Duration>,
}

impl Denial {
    fn respond(self, page: SettingsPage) -> Response {
        let mut r = (self.status, page).into_response();
        if let Some(wait) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

/// Checks the signed-in user's current password, reserved and counted like a sign-in; the
/// attempt keeps its place for the argon2 work that follows. Failures are audited as `action`.
pub(super) async fn confirm<'a>(
    ctx: &'a Ctx,
    current_password: String,
    action: Action,
    target: &str,
) -> AppResult<Result<(Attempt<'a>, User), Denial>> {
    let wrong = || Denial {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message: "Your current password is not right.".into(),
        retry_after: None,
    };
    if current_password.is_empty() || authz::password_too_long(&current_password) {
        return Ok(Err(wrong()));
    }
    let key = Key::Reauth(ctx.session.user_id);
    let mut attempt = match attempt::begin(&ctx.state.passwords, &ctx.state.throttle, &key) {
        Ok(a) => a,
        Err(r) => {
            if matches!(r, attempt::Refused::Throttled(_)) {
                ctx.audit(action, target, Outcome::Denied, Some("throttled"))
                    .await;
            }
            let (status, message) = super::auth::refusal(r, "wrong passwords");
            return Ok(Err(Denial {
                status,
                message,
                retry_after: Some(r.retry_after()),
            }));
        }
    };
    let user = db::users::by_id(&ctx.state.db, ctx.session.user_id)
        .await?
        .ok_or_else(|| AppError::NotFound("Your account no longer exists.".into()))?;
    if !attempt
        .verify(current_password, Some(user.password_hash.clone()))
        .await
    {
        attempt.failed();
        ctx.audit(
            action,
            target,
            Outcome::Failed,
            Some("wrong current password"),
        )
        .await;
        return Ok(Err(wrong()));
    }
    attempt.succeeded();
    Ok(Ok((attempt, user)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    pub current_password: String,
    pub new_password: String,
    pub new_password_confirm: String,
}

pub async fn change_password(ctx: Ctx, Form(f): Form<PasswordForm>) -> AppResult<Response> {
    let me = ctx.session.username.clone();
    let (mut attempt, user) =
        match confirm(&ctx, f.current_password, Action::AuthPasswordChange, &me).await? {
            Ok(ok) => ok,
            Err(d) => {
                let page = render(&ctx, Some(d.message.clone()), None, String::new()).await?;
                return Ok(d.respond(page));
            }
        };
    if let Err(m) =
        authz::check_new_password(&user.username, &f.new_password, &f.new_password_confirm)
    {
        let page = render(&ctx, Some(m.to_string()), None, String::new()).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let hash = attempt
        .hash(f.new_password)
        .await
        .map_err(AppError::Internal)?;
    drop(attempt);
    db::users::set_password(&ctx.state.db, user.id, &hash).await?;
    let ended = db::sessions::delete_others(&ctx.state.db, user.id, &ctx.session.id_hash).await?;
    let devices = db::devices::delete_for_user(&ctx.state.db, user.id).await?;
    ctx.audit(
        Action::AuthPasswordChange,
        &user.username,
        Outcome::Ok,
        Some(&format!(
            "{ended} other session(s) ended, {devices} trusted browser(s) forgotten"
        )),
    )
    .await;
    let msg = format!("Password changed. {ended} other session(s) were signed out.");
    Ok(ctx.redirect_with(urls::SETTINGS, FlashKind::Ok, &msg).await)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewUserForm {
    pub current_password: String,
    pub username: String,
    pub password: String,
    pub password_confirm: String,
    /// the new account's role; a form without the field makes an admin (as before roles)
    pub role: String,
}

pub async fn create_user(ctx: Ctx, Form(f): Form<NewUserForm>) -> AppResult<Response> {
    if !ctx.session.is_admin {
        return Err(AppError::Forbidden(
            "Only an admin can add accounts.".into(),
        ));
    }
    // sizes first: a name longer than any account's is neither checked nor echoed
    let username = f.username.trim();
    if let Err(m) = authz::check_username(username) {
        let shown = if authz::username_too_long(username) {
            String::new()
        } else {
            username.to_string()
        };
        let page = render(&ctx, None, Some(m.to_string()), shown).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let username = username.to_string();
    let role = if f.role.is_empty() {
        Role::Admin
    } else {
        super::teams::parse_role(&f.role)?
    };
    if let Err(m) = authz::check_new_password(&username, &f.password, &f.password_confirm) {
        let page = render(&ctx, None, Some(m.to_string()), username).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let (mut attempt, _) =
        match confirm(&ctx, f.current_password, Action::UserCreate, &username).await? {
            Ok(ok) => ok,
            Err(d) => {
                let page = render(&ctx, None, Some(d.message.clone()), username).await?;
                return Ok(d.respond(page));
            }
        };
    let hash = attempt.hash(f.password).await.map_err(AppError::Internal)?;
    drop(attempt);
    match db::users::create_with_role(&ctx.state.db, &username, &hash, role).await? {
        Some(_) => {
            let detail = format!("role {role}");
            ctx.audit(Action::UserCreate, &username, Outcome::Ok, Some(&detail))
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
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteUserForm {
    pub current_password: String,
}

pub async fn delete_user(
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<DeleteUserForm>,
) -> AppResult<Response> {
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
    if let Err(d) = confirm(&ctx, f.current_password, Action::UserDelete, &user.username).await? {
        let page = render(&ctx, None, Some(d.message.clone()), String::new()).await?;
        return Ok(d.respond(page));
    }
    // the last admin's check is in the same statement as the removal
    if !db::users::delete(&ctx.state.db, id).await? {
        return Ok(ctx
            .redirect_with(
                urls::SETTINGS,
                FlashKind::Error,
                "The last admin cannot be removed.",
            )
            .await);
    }
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
