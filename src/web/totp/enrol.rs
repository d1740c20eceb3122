//! Your own TOTP on the settings page (set up, confirmed by a first code, turned off) and an
//! admin's reset of another account's.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{CodeForm, use_code};
use crate::auth::throttle::Key;
use crate::auth::totp::{self, Typed};
use crate::db::{
    self,
    audit::{Action, Outcome},
};
use crate::error::{AppError, AppResult};
use crate::web::auth as signin;
use crate::web::page::{Ctx, FlashKind, Layout};
use crate::web::settings;
use crate::web::urls;

#[derive(Template, WebTemplate)]
#[template(path = "settings/totp.html")]
struct EnrolPage {
    layout: Layout,
    /// the secret in groups of four (shown once)
    secret: String,
    uri: String,
    /// the URI as an inline SVG QR code (made by berth, no user text in it)
    qr: Option<String>,
    /// the recovery codes, shown once after the first code confirmed the secret
    codes: Vec<String>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    pub current_password: String,
}

/// Sets TOTP up (or starts over while it waits for its first code): your password, then a new
/// secret shown once.
pub async fn start(ctx: Ctx, Form(f): Form<PasswordForm>) -> AppResult<Response> {
    let me = ctx.session.username.clone();
    let user =
        match settings::confirm(&ctx, f.current_password, Action::AuthTotpEnable, &me).await? {
            Ok((_, user)) => user,
            Err(d) => {
                return settings::with_totp_error(&ctx, d.status, d.message, d.retry_after).await;
            }
        };
    let secret = totp::new_secret();
    if !db::totp::begin(&ctx.state.db, user.id, &secret).await? {
        return Ok(ctx
            .redirect_with(
                urls::SETTINGS,
                FlashKind::Error,
                "Two-step sign-in is already on. Turn it off first to set up another app.",
            )
            .await);
    }
    let uri = totp::uri(&secret, &user.username).map_err(AppError::Internal)?;
    Ok(EnrolPage {
        layout: ctx.layout("Set up two-step sign-in", "settings"),
        secret: totp::secret_grouped(&secret),
        qr: totp::qr_svg(&uri),
        uri,
        codes: Vec::new(),
        error: None,
    }
    .into_response())
}

/// The first code confirms the secret: TOTP is on, and the recovery codes are shown once.
pub async fn confirm(ctx: Ctx, Form(f): Form<CodeForm>) -> AppResult<Response> {
    let uid = ctx.session.user_id;
    let me = ctx.session.username.clone();
    let reservation = match ctx.state.throttle.reserve(&Key::Totp(uid)) {
        Ok(r) => r,
        Err(wait) => return throttled(&ctx, Action::AuthTotpEnable, wait).await,
    };
    let Some((secret, false)) = db::totp::secret(&ctx.state.db, uid).await? else {
        reservation.succeeded();
        return settings::with_totp_error(
            &ctx,
            StatusCode::CONFLICT,
            "There is no set-up waiting for a code: set two-step sign-in up first.".into(),
            None,
        )
        .await;
    };
    let step = match totp::parse(&f.code) {
        Typed::Code(c) => totp::check(&secret, &c, totp::now()),
        _ => None,
    };
    let Some(step) = step else {
        reservation.failed();
        ctx.audit(
            Action::AuthTotpEnable,
            &me,
            Outcome::Failed,
            Some("wrong code"),
        )
        .await;
        return settings::with_totp_error(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "That code is not right: two-step sign-in is still off. Check the clock of the \
             device, type the code your app shows now, or set it up again."
                .into(),
            None,
        )
        .await;
    };
    let codes = totp::new_recovery_codes();
    let hashes: Vec<Vec<u8>> = codes
        .iter()
        .filter_map(|c| totp::recovery_hash(c))
        .collect();
    if !db::totp::enable(&ctx.state.db, uid, step, &hashes).await? {
        reservation.succeeded();
        return Ok(ctx
            .redirect_with(
                urls::SETTINGS,
                FlashKind::Error,
                "Two-step sign-in is already on.",
            )
            .await);
    }
    reservation.succeeded();
    ctx.audit(Action::AuthTotpEnable, &me, Outcome::Ok, None)
        .await;
    Ok(EnrolPage {
        layout: ctx.layout("Two-step sign-in is on", "settings"),
        secret: String::new(),
        uri: String::new(),
        qr: None,
        codes,
        error: None,
    }
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DisableForm {
    pub current_password: String,
    pub code: String,
}

/// Turns your TOTP off: your password and a code (or a recovery code).
pub async fn disable(ctx: Ctx, Form(f): Form<DisableForm>) -> AppResult<Response> {
    let me = ctx.session.username.clone();
    let uid = ctx.session.user_id;
    if let Err(d) =
        settings::confirm(&ctx, f.current_password, Action::AuthTotpDisable, &me).await?
    {
        return settings::with_totp_error(&ctx, d.status, d.message, d.retry_after).await;
    }
    let reservation = match ctx.state.throttle.reserve(&Key::Totp(uid)) {
        Ok(r) => r,
        Err(wait) => return throttled(&ctx, Action::AuthTotpDisable, wait).await,
    };
    let typed = totp::parse(&f.code);
    if use_code(&ctx.state, uid, &typed).await?.is_none() {
        reservation.failed();
        ctx.audit(
            Action::AuthTotpDisable,
            &me,
            Outcome::Failed,
            Some("wrong or used code"),
        )
        .await;
        return settings::with_totp_error(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "That code is not right, or it was used already: two-step sign-in is still on.".into(),
            None,
        )
        .await;
    }
    reservation.succeeded();
    db::totp::remove(&ctx.state.db, uid).await?;
    ctx.audit(Action::AuthTotpDisable, &me, Outcome::Ok, None)
        .await;
    Ok(ctx
        .redirect_with(urls::SETTINGS, FlashKind::Ok, "Two-step sign-in is off.")
        .await)
}

/// An admin resets another account's TOTP (a lost phone): it signs in with its password alone
/// until it sets TOTP up again.
pub async fn reset(ctx: Ctx, Path(id): Path<i64>) -> AppResult<Response> {
    if !ctx.session.is_admin {
        return Err(AppError::Forbidden(
            "Only an admin can reset another account's two-step sign-in.".into(),
        ));
    }
    let user = db::users::by_id(&ctx.state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such account.".into()))?;
    if !db::totp::remove(&ctx.state.db, user.id).await? {
        return Ok(ctx
            .redirect_with(
                urls::SETTINGS,
                FlashKind::Error,
                &format!("{} has no two-step sign-in to reset.", user.username),
            )
            .await);
    }
    ctx.audit(Action::UserTotpReset, &user.username, Outcome::Ok, None)
        .await;
    Ok(ctx
        .redirect_with(
            urls::SETTINGS,
            FlashKind::Ok,
            &format!(
                "Two-step sign-in of {} was reset: the account signs in with its password until it sets it up again.",
                user.username
            ),
        )
        .await)
}

/// A code check refused by the login throttle (too many wrong codes): audited, and the
/// settings page says how long to wait.
async fn throttled(ctx: &Ctx, action: Action, wait: std::time::Duration) -> AppResult<Response> {
    ctx.audit(
        action,
        &ctx.session.username,
        Outcome::Denied,
        Some("throttled"),
    )
    .await;
    let (status, msg) = signin::refusal(
        crate::auth::attempt::Refused::Throttled(wait),
        "wrong codes",
    );
    settings::with_totp_error(ctx, status, msg, Some(wait)).await
}
