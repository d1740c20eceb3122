//! API tokens on the settings page: create one (shown once, stored hashed), list yours with
//! their last use, revoke one. The API that takes them is [`super::api`].

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::page::{Ctx, FlashKind, Layout};
use super::urls;
use crate::auth::api_tokens::{self, DEFAULT_EXPIRES_DAYS, NewToken};
use crate::auth::tokens::hash_token;
use crate::db::{
    self,
    audit::{Action, Outcome},
};
use crate::docker::time::format_utc;
use crate::error::AppResult;

/// One token in the list.
pub struct TokenView {
    pub name: String,
    pub scope: String,
    pub stacks: String,
    pub expires: String,
    pub expired: bool,
    pub last_used: String,
    pub revoke_url: String,
}

/// The create form's values (kept when it is refused).
#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    pub name: String,
    pub scope: String,
    pub stacks: String,
    pub expires_days: String,
}

impl Default for TokenForm {
    fn default() -> Self {
        TokenForm {
            name: String::new(),
            scope: "read".into(),
            stacks: String::new(),
            expires_days: DEFAULT_EXPIRES_DAYS.to_string(),
        }
    }
}

/// A token just created, shown once.
pub struct Created {
    pub name: String,
    pub scope: String,
    pub token: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/tokens.html")]
struct TokensPage {
    layout: Layout,
    new_token: Option<Created>,
    tokens: Vec<TokenView>,
    token_error: Option<String>,
    token_form: TokenForm,
}

/// The signed-in user's tokens, newest first.
pub async fn list(ctx: &Ctx) -> AppResult<Vec<TokenView>> {
    let now = db::now();
    Ok(
        db::api_tokens::list_for_user(&ctx.state.db, ctx.session.user_id)
            .await?
            .into_iter()
            .map(|t| TokenView {
                revoke_url: urls::settings_token_revoke(t.id),
                expired: t.expires_at <= now,
                expires: format_utc(t.expires_at),
                last_used: match (t.last_used_at, t.last_used_ip) {
                    (Some(at), Some(ip)) => format!("{} from {ip}", format_utc(at)),
                    (Some(at), None) => format_utc(at),
                    _ => "never".into(),
                },
                name: t.name,
                scope: t.scope,
                stacks: t.stacks.replace(',', ", "),
            })
            .collect(),
    )
}

/// `POST /settings/tokens`: answers the page showing the new token once (inside
/// `data-testid="new-token"`), or the form again with what was wrong.
pub async fn create(ctx: Ctx, Form(f): Form<TokenForm>) -> AppResult<Response> {
    let t = match NewToken::parse(&f.name, &f.scope, &f.stacks, &f.expires_days) {
        Ok(t) => t,
        Err(m) => return refuse(&ctx, StatusCode::UNPROCESSABLE_ENTITY, m, f).await,
    };
    let token = api_tokens::generate();
    let inserted =
        db::api_tokens::insert(&ctx.state.db, ctx.session.user_id, &hash_token(&token), &t).await?;
    if inserted.is_none() {
        let m = format!("You already have a token named {}.", t.name);
        return refuse(&ctx, StatusCode::CONFLICT, m, f).await;
    }
    let mut detail = format!(
        "scope {}, expires in {} days",
        t.grant.scope, t.expires_days
    );
    if !t.grant.stacks.is_empty() {
        detail.push_str(&format!(", stacks {}", t.grant.stacks.join(",")));
    }
    ctx.audit(Action::TokenCreate, &t.name, Outcome::Ok, Some(&detail))
        .await;
    let page = TokensPage {
        layout: ctx.layout("API tokens", "settings"),
        new_token: Some(Created {
            name: t.name.clone(),
            scope: t.grant.scope.to_string(),
            token,
        }),
        tokens: list(&ctx).await?,
        token_error: None,
        token_form: TokenForm::default(),
    };
    Ok(page.into_response())
}

/// The form again, with what was wrong and what was typed.
async fn refuse(
    ctx: &Ctx,
    status: StatusCode,
    message: String,
    f: TokenForm,
) -> AppResult<Response> {
    let page = TokensPage {
        layout: ctx.layout("API tokens", "settings"),
        new_token: None,
        tokens: list(ctx).await?,
        token_error: Some(message),
        token_form: f,
    };
    Ok((status, page).into_response())
}

/// `POST /settings/tokens/{id}/revoke`: whatever uses the token stops working at once.
pub async fn revoke(ctx: Ctx, Path(id): Path<i64>) -> AppResult<Response> {
    match db::api_tokens::revoke(&ctx.state.db, ctx.session.user_id, id).await? {
        Some(name) => {
            ctx.audit(Action::TokenRevoke, &name, Outcome::Ok, None)
                .await;
            Ok(ctx
                .redirect_with(
                    urls::SETTINGS,
                    FlashKind::Ok,
                    &format!("Token {name} revoked."),
                )
                .await)
        }
        None => Ok(ctx
            .redirect_with(urls::SETTINGS, FlashKind::Error, "No such token.")
            .await),
    }
}
