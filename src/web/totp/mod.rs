//! Optional TOTP for local accounts (issue 18): the sign-in's second step, enrolment on your
//! own settings, turning it off, and an admin's reset of another account.
//!
//! * Sign-in: a right password for an account with TOTP on starts a *half sign-in* (a random
//!   token in a short-lived cookie, its hash in SQLite, see `db::totp`) instead of a session;
//!   `/login/totp` takes the code (field `code`) and only then starts the session, with the same
//!   function the password sign-in uses. Wrong codes are reserved and counted in the login
//!   throttle before any check (key `Totp(account)`), and a half sign-in dies after a few.
//! * Enrolment: a new secret (sealed at rest) is shown once as text, as an `otpauth://` URI and
//!   as a QR code; it takes effect when a first code confirms it, which also makes ten
//!   single-use recovery codes (shown once, stored hashed).
//! * Off: your password and a code (or a recovery code). An admin may reset another account
//!   (audited), for a lost phone.
//!
//! OIDC sign-ins never come here: their provider does its own second factor.

mod enrol;
mod login;

use serde::Deserialize;

pub use enrol::{confirm, disable, reset, start};
pub use login::{login, login_form};

use super::policy::{Need, Rule, rule};
use super::urls;
use crate::AppState;
use crate::auth::tokens;
use crate::auth::totp::{self, Typed};
use crate::db;
use crate::error::AppResult;

/// Who may use each route (see `web::policy`).
pub const POLICY: &[Rule] = &[
    // the half sign-in's cookie is the credential
    rule("GET", urls::LOGIN_TOTP, Need::Public),
    rule("POST", urls::LOGIN_TOTP, Need::Public),
    rule("POST", urls::SETTINGS_TOTP, Need::Signed),
    rule("POST", urls::SETTINGS_TOTP_CONFIRM, Need::Signed),
    rule("POST", urls::SETTINGS_TOTP_DISABLE, Need::Signed),
    rule("POST", urls::route::SETTINGS_USER_TOTP_RESET, Need::Admin),
];

/// The settings routes (behind the session guard); `/login/totp` is public (`web::router`).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::post;
    axum::Router::new()
        .route(urls::SETTINGS_TOTP, post(start))
        .route(urls::SETTINGS_TOTP_CONFIRM, post(confirm))
        .route(urls::SETTINGS_TOTP_DISABLE, post(disable))
        .route(urls::route::SETTINGS_USER_TOTP_RESET, post(reset))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    pub code: String,
}

/// Uses a typed code of an account with TOTP on: a six-digit code of a step newer than any
/// used before, or an unused recovery code. `Some(what was used)` when it was right.
async fn use_code(
    state: &AppState,
    user_id: i64,
    typed: &Typed,
) -> AppResult<Option<&'static str>> {
    Ok(match typed {
        Typed::Code(code) => {
            let Some((secret, true)) = db::totp::secret(&state.db, user_id).await? else {
                return Ok(None);
            };
            match totp::check(&secret, code, totp::now()) {
                Some(step) if db::totp::use_step(&state.db, user_id, step).await? => {
                    Some("one-time code")
                }
                _ => None,
            }
        }
        Typed::Recovery(code) => {
            let hash = tokens::hash_token(code);
            db::totp::use_recovery(&state.db, user_id, &hash)
                .await?
                .then_some("recovery code")
        }
        Typed::Invalid => None,
    })
}
