//! A stack's deploy webhooks on its page: make one (a secret URL, or a signed one with a
//! signing key), rotate its secret, remove it. The secret is shown once, on the page that
//! answers the form, and audited without it (see [`crate::stack::webhook`]).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{FromRequest, Path, Request};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{ConfirmForm, name_or_404};
use crate::db;
use crate::db::audit::{Action, Outcome};
use crate::docker::time::age;
use crate::error::{AppError, AppResult};
use crate::stack::webhook::{self, NewSecret, SIGNATURE_HEADER};
use crate::web::page::{Ctx, FlashKind, Layout};
use crate::web::transport::Via;
use crate::web::urls;

/// A hook as the stack page lists it.
pub struct HookRow {
    pub id: i64,
    pub signed: bool,
    pub created: String,
    pub created_by: String,
    pub rotated: Option<String>,
    pub last_used: Option<String>,
}

impl From<&db::webhooks::Hook> for HookRow {
    fn from(h: &db::webhooks::Hook) -> HookRow {
        HookRow {
            id: h.id,
            signed: h.signed,
            created: age(h.created_at),
            created_by: h.created_by.clone(),
            rotated: h.rotated_at.map(age),
            last_used: h.last_used_at.map(age),
        }
    }
}

/// The stack's hooks for its page.
pub async fn rows(ctx: &Ctx, name: &str) -> AppResult<Vec<HookRow>> {
    Ok(db::webhooks::list(&ctx.state.db, name)
        .await?
        .iter()
        .map(HookRow::from)
        .collect())
}

/// The page that shows a new secret, once.
#[derive(Template, WebTemplate)]
#[template(path = "stacks/webhook.html")]
struct SecretPage {
    layout: Layout,
    name: String,
    id: i64,
    rotated: bool,
    url: String,
    signing_key: Option<String>,
    signature_header: &'static str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewHookForm {
    /// `signed` for a hook that also needs an HMAC signature
    kind: String,
}

/// The address berth is reached at: BERTH_PUBLIC_URL, else what the browser used.
fn origin(ctx: &Ctx, req: &Request) -> String {
    if let Some(u) = &ctx.state.config.public_url {
        return u.origin.clone();
    }
    let https = req.extensions().get::<Via>().is_some_and(|v| v.https);
    let host = req
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("{}://{host}", if https { "https" } else { "http" })
}

fn secret_page(ctx: &Ctx, origin: &str, name: String, s: NewSecret, rotated: bool) -> Response {
    SecretPage {
        layout: ctx.layout(format!("Webhook of {name}"), "stacks"),
        url: format!("{origin}{}", urls::hook(&s.token)),
        signing_key: s.signing_key,
        id: s.id,
        rotated,
        name,
        signature_header: SIGNATURE_HEADER,
    }
    .into_response()
}

/// `POST /stacks/{name}/webhooks`: a new hook; its address (and signing key) shown once.
pub async fn create(ctx: Ctx, Path(name): Path<String>, req: Request) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    let origin = origin(&ctx, &req);
    let Form(f) = Form::<NewHookForm>::from_request(req, &ctx.state)
        .await
        .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))?;
    let signed = match f.kind.as_str() {
        "" | "plain" => false,
        "signed" => true,
        other => {
            return Err(AppError::BadRequest(format!(
                "Unknown kind of webhook {other:?}: plain or signed."
            )));
        }
    };
    let s = webhook::create(&ctx.state.db, &name, signed, &ctx.session.username).await?;
    let kind = if signed { "signed" } else { "plain" };
    ctx.audit(
        Action::WebhookCreate,
        &name,
        Outcome::Ok,
        Some(&format!("webhook #{} ({kind})", s.id)),
    )
    .await;
    Ok(secret_page(&ctx, &origin, name, s, false))
}

/// `POST /stacks/{name}/webhooks/{id}/rotate`: a new secret; the old address stops working.
pub async fn rotate(
    ctx: Ctx,
    Path((name, id)): Path<(String, i64)>,
    req: Request,
) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    let origin = origin(&ctx, &req);
    let s = webhook::rotate(&ctx.state.db, &name, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Stack {name} has no webhook #{id}.")))?;
    ctx.audit(
        Action::WebhookRotate,
        &name,
        Outcome::Ok,
        Some(&format!("webhook #{id}")),
    )
    .await;
    Ok(secret_page(&ctx, &origin, name, s, true))
}

/// `POST /stacks/{name}/webhooks/{id}/delete`: the hook's address stops working.
pub async fn delete(
    ctx: Ctx,
    Path((name, id)): Path<(String, i64)>,
    Form(f): Form<ConfirmForm>,
) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    let to = urls::stack(&name);
    if !f.confirmed() {
        return Ok(ctx
            .redirect_with(
                &to,
                FlashKind::Error,
                "Tick the box to confirm; the webhook was kept.",
            )
            .await);
    }
    if !db::webhooks::delete(&ctx.state.db, &name, id).await? {
        return Err(AppError::NotFound(format!(
            "Stack {name} has no webhook #{id}."
        )));
    }
    ctx.audit(
        Action::WebhookDelete,
        &name,
        Outcome::Ok,
        Some(&format!("webhook #{id}")),
    )
    .await;
    Ok(ctx
        .redirect_with(
            &to,
            FlashKind::Ok,
            &format!("Webhook #{id} was removed: its address no longer deploys {name}."),
        )
        .await)
}
