//! The sign-in's second step: `/login/totp` takes the code of a half sign-in.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::{CodeForm, use_code};
use crate::AppState;
use crate::auth::throttle::Key;
use crate::auth::totp;
use crate::db::{
    self,
    audit::{Action, Outcome},
};
use crate::error::AppResult;
use crate::web::auth::{self as signin, audit_anon};
use crate::web::second_step::{clear_pending_cookie, pending_hash, set_cookie};
use crate::web::session::ClientIp;
use crate::web::urls;

#[derive(Template)]
#[template(path = "auth/totp.html")]
struct CodePage<'a> {
    css: &'a str,
    js: &'a str,
    error: Option<String>,
}

fn code_page(state: &AppState, status: StatusCode, error: Option<String>) -> Response {
    let p = CodePage {
        css: &state.assets.css,
        js: &state.assets.js,
        error,
    };
    signin::page(status, p.render())
}

/// Back to the password form with a sentence (the half sign-in is over).
fn start_over(state: &AppState, status: StatusCode, message: &str) -> Response {
    let resp = signin::login_page(
        state,
        status,
        Some(message.to_string()),
        String::new(),
        String::new(),
    );
    set_cookie(resp, &clear_pending_cookie(state.config.secure_cookies()))
}

const EXPIRED: &str = "Your sign-in expired. Enter your user name and password again.";

pub async fn login_form(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let live = match pending_hash(&state, &headers) {
        Some(h) => db::totp::pending(&state.db, &h).await?.is_some(),
        None => false,
    };
    if !live {
        let resp = Redirect::to(urls::LOGIN).into_response();
        return Ok(set_cookie(
            resp,
            &clear_pending_cookie(state.config.secure_cookies()),
        ));
    }
    Ok(code_page(&state, StatusCode::OK, None))
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> AppResult<Response> {
    let Some(hash) = pending_hash(&state, &headers) else {
        return Ok(start_over(&state, StatusCode::UNAUTHORIZED, EXPIRED));
    };
    let Some(p) = db::totp::pending(&state.db, &hash).await? else {
        return Ok(start_over(&state, StatusCode::UNAUTHORIZED, EXPIRED));
    };
    // checked and counted in one step, before the code is looked at
    let reservation = match state.throttle.reserve(&Key::Totp(p.user_id)) {
        Ok(r) => r,
        Err(wait) => {
            audit_anon(
                &state,
                Some(&p.username),
                ip.as_deref(),
                Action::AuthTotp,
                Outcome::Denied,
                "throttled",
            )
            .await;
            let (status, msg) = signin::refusal(
                crate::auth::attempt::Refused::Throttled(wait),
                "wrong codes",
            );
            return Ok(signin::with_retry_after(
                code_page(&state, status, Some(msg)),
                wait,
            ));
        }
    };
    let typed = totp::parse(&f.code);
    let used = use_code(&state, p.user_id, &typed).await?;
    let Some(what) = used else {
        reservation.failed();
        let spent = db::totp::pending_failed(&state.db, &hash).await?;
        audit_anon(
            &state,
            Some(&p.username),
            ip.as_deref(),
            Action::AuthTotp,
            Outcome::Failed,
            "wrong or used code",
        )
        .await;
        if spent {
            return Ok(start_over(
                &state,
                StatusCode::UNAUTHORIZED,
                "Too many wrong codes. Enter your user name and password again.",
            ));
        }
        let msg = "That code is not right, or it was used already. Wait for the next code.";
        return Ok(code_page(
            &state,
            StatusCode::UNAUTHORIZED,
            Some(msg.into()),
        ));
    };
    // the half sign-in ends once, even when the same code races in twice
    if !db::totp::pending_take(&state.db, &hash).await? {
        return Ok(start_over(&state, StatusCode::UNAUTHORIZED, EXPIRED));
    }
    reservation.succeeded();
    audit_anon(
        &state,
        Some(&p.username),
        ip.as_deref(),
        Action::AuthTotp,
        Outcome::Ok,
        &format!("signed in with a {what}"),
    )
    .await;
    let resp = signin::sign_in(
        &state,
        p.user_id,
        &p.username,
        ip.as_deref(),
        &headers,
        p.device_hash,
        urls::safe_next(&p.next),
    )
    .await?;
    Ok(set_cookie(
        resp,
        &clear_pending_cookie(state.config.secure_cookies()),
    ))
}
