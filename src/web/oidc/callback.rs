//! `/auth/oidc/callback`: back from the provider. The state record is taken once, checked
//! against this browser's cookie, the code exchanged and the ID token verified; the groups give
//! the role and teams; the session starts through the password login's own function.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::{OidcPage, audit, browser_cookie, browser_cookie_name, callback_url, page, refused};
use crate::AppState;
use crate::auth::oidc::{self, provider};
use crate::auth::{self as authz, tokens};
use crate::db::{
    self,
    audit::{Action, Outcome},
};
use crate::error::{AppError, AppResult};
use crate::web::session::{self, ClientIp};
use crate::web::transport::Via;
use crate::web::urls;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CallbackQuery {
    pub code: String,
    pub state: String,
    pub error: String,
    pub error_description: String,
}

/// `GET /auth/oidc/callback`: back from the provider.
pub async fn callback(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    via: Via,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> AppResult<Response> {
    let ip = ip.as_deref();
    // sizes first: nothing long is looked up, audited or shown
    if q.code.len() > 4096
        || q.state.len() > 512
        || q.error.len() > 128
        || q.error_description.len() > 1024
    {
        return Ok(refused(
            &state,
            StatusCode::BAD_REQUEST,
            "The provider's answer was larger than berth accepts.",
        ));
    }
    let refuse = |status: StatusCode, why: String, shown: String| {
        let state = state.clone();
        async move {
            audit(
                &state,
                None,
                ip,
                Action::AuthOidcRefused,
                Outcome::Denied,
                &why,
            )
            .await;
            Ok::<_, AppError>(refused(&state, status, shown))
        }
    };
    // the state is taken once, whatever follows: a replayed answer finds nothing
    let pending = if q.state.is_empty() {
        None
    } else {
        db::oidc::take_login(&state.db, &tokens::hash_token(&q.state)).await?
    };
    if !q.error.is_empty() {
        let said = if q.error_description.is_empty() {
            q.error.clone()
        } else {
            format!("{}: {}", q.error, q.error_description)
        };
        let said: String = said.chars().filter(|c| !c.is_control()).collect();
        return refuse(
            StatusCode::FORBIDDEN,
            format!("the provider answered {said}"),
            format!("The provider did not sign you in ({said})."),
        )
        .await;
    }
    let Some(pending) = pending else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "unknown, used or expired state".into(),
            "This sign-in has expired or was already used. Start again from the sign-in page."
                .into(),
        )
        .await;
    };
    let cookie_name = browser_cookie_name(state.config.secure_cookies());
    let same_browser = session::cookie(&headers, cookie_name)
        .filter(|c| c.len() < 200)
        .is_some_and(|c| tokens::constant_time_eq(&tokens::hash_token(c), &pending.browser_hash));
    if !same_browser {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the sign-in was started in another browser".into(),
            "This sign-in was started in another browser. Start again from the sign-in page."
                .into(),
        )
        .await;
    }
    if q.code.is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "no code".into(),
            "The provider sent no authorization code.".into(),
        )
        .await;
    }
    let Some(s) = db::oidc::settings(&state.db).await?.filter(|s| s.enabled) else {
        return refuse(
            StatusCode::NOT_FOUND,
            "sign-in with OpenID Connect is off".into(),
            "Sign-in with OpenID Connect is not set up on this berth.".into(),
        )
        .await;
    };
    let Some(redirect) = callback_url(&state, &headers, &via) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "no callback address".into(),
            "berth cannot tell its own address: set BERTH_PUBLIC_URL.".into(),
        )
        .await;
    };
    let id = match provider::finish(
        &state.oidc,
        &s,
        &redirect,
        &q.code,
        &pending.nonce,
        &pending.pkce_verifier,
    )
    .await
    {
        Ok(id) => id,
        Err(e) => {
            tracing::warn!("OpenID Connect sign-in refused: {e}");
            return refuse(
                StatusCode::FORBIDDEN,
                e.to_string(),
                format!("Sign-in with {} failed: {e}.", s.display_name),
            )
            .await;
        }
    };
    let existing = db::oidc::username_of(&state.db, &id.issuer, &id.subject).await?;
    let name = existing.clone().or_else(|| account_name(&id));
    let who = name
        .clone()
        .unwrap_or_else(|| id.subject.chars().take(64).collect());
    let refuse_who = |why: String, shown: String| {
        let state = state.clone();
        let who = who.clone();
        async move {
            audit(
                &state,
                Some(&who),
                ip,
                Action::AuthOidcRefused,
                Outcome::Denied,
                &why,
            )
            .await;
            Ok::<_, AppError>(refused(&state, StatusCode::FORBIDDEN, shown))
        }
    };
    let Some((role, team_names)) = oidc::decide(&s, &id.groups) else {
        // an account made before loses what its groups gave, and its sessions
        let ended = if existing.is_some() {
            db::oidc::strip(&state.db, &id.issuer, &id.subject).await?
        } else {
            0
        };
        return refuse_who(
            format!("in no mapped group ({ended} session(s) ended)"),
            format!(
                "Your account at {} is in no group that berth gives access to. Ask an admin.",
                s.display_name
            ),
        )
        .await;
    };
    let Some(name) = name else {
        return refuse_who(
            "no usable user name".into(),
            format!(
                "{} sent no user name berth can use (preferred_username or email: letters, digits and . _ @ -).",
                s.display_name
            ),
        )
        .await;
    };
    let mut team_ids = Vec::new();
    for t in &team_names {
        match db::teams::by_name(&state.db, t).await? {
            Some(tid) => team_ids.push(tid),
            None => tracing::warn!("OpenID Connect mapping names team {t:?}, which does not exist"),
        }
    }
    let user_id = match db::oidc::sign_in_account(
        &state.db,
        &id.issuer,
        &id.subject,
        &name,
        role,
        &team_ids,
    )
    .await?
    {
        Ok(uid) => uid,
        Err(db::oidc::Refusal::NameTaken) => {
            return refuse_who(
                "the user name belongs to another account".into(),
                format!(
                    "berth already has an account named {name} that is not yours at {}: it is not taken over. Ask an admin.",
                    s.display_name
                ),
            )
            .await;
        }
        Err(db::oidc::Refusal::LastAdmin) => {
            return refuse_who(
                "the last admin would lose the role".into(),
                "You are berth's last admin and your groups no longer make you one. Ask for the admin group at the provider.".into(),
            )
            .await;
        }
    };
    let teams: Vec<&str> = team_names.iter().map(String::as_str).collect();
    let detail = if teams.is_empty() {
        format!("role {role}")
    } else {
        format!("role {role}, teams {}", teams.join(", "))
    };
    audit(
        &state,
        Some(&name),
        ip,
        Action::AuthOidcLogin,
        Outcome::Ok,
        &detail,
    )
    .await;
    let next = urls::safe_next(&pending.next).to_string();
    let signed =
        crate::web::auth::sign_in(&state, user_id, &name, ip, &headers, None, &next).await?;
    // the session's cookies, on a page whose refresh is a same-site navigation
    let (parts, _) = signed.into_parts();
    let mut resp = page(
        StatusCode::OK,
        OidcPage {
            css: &state.assets.css,
            js: &state.assets.js,
            refresh: Some(next),
            username: name,
            message: String::new(),
        },
    );
    for c in parts.headers.get_all(header::SET_COOKIE) {
        resp.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    if let Ok(v) = HeaderValue::from_str(&browser_cookie("", 0, state.config.secure_cookies())) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// The name of a new account: the provider's preferred_username, else its email, when it is
/// a name berth accepts.
fn account_name(id: &provider::Identity) -> Option<String> {
    [id.preferred_username.as_deref(), id.email.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|n| authz::check_username(n).is_ok())
        .map(str::to_string)
}
