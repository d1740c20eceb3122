//! The OpenID Connect settings on /settings (admins): the form's values (the secret never:
//! only whether one is stored) and its POST.

use axum::Form;
use axum::response::Response;

use crate::AppState;
use crate::auth::oidc::{self, provider};
use crate::db::{
    self,
    audit::{Action, Outcome},
};
use crate::error::{AppError, AppResult};
use crate::web::page::{Ctx, FlashKind};
use crate::web::urls;

/// The settings form's values, as shown (the secret never: only whether one is stored).
#[derive(Debug, Clone)]
pub struct View {
    pub enabled: bool,
    pub issuer: String,
    pub client_id: String,
    pub has_secret: bool,
    pub display_name: String,
    pub scopes: String,
    pub groups_claim: String,
    pub role_map: String,
    pub team_map: String,
    /// a role, or `refuse`
    pub default_role: String,
    pub allow_http: bool,
    pub ca_pem: String,
    /// the redirect URI to register at the provider
    pub callback: String,
}

impl View {
    fn callback(state: &AppState) -> String {
        match &state.config.public_url {
            Some(p) => format!("{}{}", p.origin, urls::OIDC_CALLBACK),
            None => format!("https://<berth's address>{}", urls::OIDC_CALLBACK),
        }
    }

    /// The stored settings, or the defaults before any were saved.
    pub async fn load(state: &AppState) -> AppResult<View> {
        let s = db::oidc::settings(&state.db).await?;
        Ok(match s {
            Some(s) => View {
                enabled: s.enabled,
                issuer: s.issuer,
                client_id: s.client_id,
                has_secret: !s.client_secret.is_empty(),
                display_name: s.display_name,
                scopes: s.scopes,
                groups_claim: s.groups_claim,
                role_map: s.role_map,
                team_map: s.team_map,
                default_role: s.default_role.map_or("refuse", |r| r.as_str()).to_string(),
                allow_http: s.allow_http,
                ca_pem: s.ca_pem.unwrap_or_default(),
                callback: Self::callback(state),
            },
            None => View {
                enabled: false,
                issuer: String::new(),
                client_id: String::new(),
                has_secret: false,
                display_name: String::new(),
                scopes: "profile email groups".into(),
                groups_claim: "groups".into(),
                role_map: String::new(),
                team_map: String::new(),
                default_role: "refuse".into(),
                allow_http: false,
                ca_pem: String::new(),
                callback: Self::callback(state),
            },
        })
    }

    /// What the admin typed (shown again with the error: nothing typed is lost).
    pub fn from_form(state: &AppState, f: &oidc::Form, has_secret: bool) -> View {
        let on = |v: &str| !v.is_empty();
        View {
            enabled: on(&f.enabled),
            issuer: f.issuer.clone(),
            client_id: f.client_id.clone(),
            has_secret,
            display_name: f.display_name.clone(),
            scopes: f.scopes.clone(),
            groups_claim: f.groups_claim.clone(),
            role_map: f.role_map.clone(),
            team_map: f.team_map.clone(),
            default_role: f.default_role.clone(),
            allow_http: on(&f.allow_http),
            ca_pem: f.ca_pem.clone(),
            callback: Self::callback(state),
        }
    }
}

/// `POST /settings/oidc` (admins): checks every field, saves (the secret sealed), and reads
/// the provider's configuration at once to say whether it answers.
pub async fn save_settings(ctx: Ctx, Form(f): Form<oidc::Form>) -> AppResult<Response> {
    if !ctx.session.is_admin {
        return Err(AppError::Forbidden(
            "Only an admin can change how people sign in.".into(),
        ));
    }
    let stored = db::oidc::settings(&ctx.state.db).await?;
    let stored_secret = stored.as_ref().map(|s| s.client_secret.as_str());
    let again = |msg: String| {
        let view = View::from_form(&ctx.state, &f, stored_secret.is_some_and(|s| !s.is_empty()));
        super::with_oidc(&ctx, view, msg)
    };
    let s = match oidc::validate(&f, stored_secret) {
        Ok(s) => s,
        Err(m) => return again(m).await,
    };
    for (group, teams) in s.teams() {
        for t in teams {
            if db::teams::by_name(&ctx.state.db, &t).await?.is_none() {
                return again(format!(
                    "Group {group}: there is no team {t}. Create it first (Teams, below)."
                ))
                .await;
            }
        }
    }
    db::oidc::save(&ctx.state.db, &s).await?;
    ctx.state.oidc.clear();
    ctx.state
        .oidc
        .set_link(s.enabled.then(|| s.display_name.clone()));
    let secret_changed = stored_secret.unwrap_or_default() != s.client_secret;
    let detail = format!(
        "{}; client {}; {} role and {} team mappings; no mapped group: {}{}",
        if s.enabled { "on" } else { "off" },
        s.client_id,
        s.roles().len(),
        s.teams().len(),
        s.default_role.map_or("refused", |r| r.as_str()),
        if secret_changed {
            "; client secret changed"
        } else {
            ""
        }
    );
    ctx.audit(
        Action::AuthOidcSettings,
        &s.issuer,
        Outcome::Ok,
        Some(&detail),
    )
    .await;
    if !s.enabled {
        let msg = "Sign-in settings saved; sign-in with OpenID Connect is off.";
        return Ok(ctx.redirect_with(urls::SETTINGS, FlashKind::Ok, msg).await);
    }
    let (kind, msg) = match provider::check(&ctx.state.oidc, &s).await {
        Ok(()) => (
            FlashKind::Ok,
            format!(
                "Sign-in settings saved; berth read {}'s configuration and keys.",
                s.display_name
            ),
        ),
        Err(e) => (
            FlashKind::Error,
            format!("Sign-in settings saved, but {e}."),
        ),
    };
    Ok(ctx.redirect_with(urls::SETTINGS, kind, &msg).await)
}
