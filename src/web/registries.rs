//! `/registries`: the registries berth logs in to when it deploys (list, add, edit, test,
//! remove). A password or token goes in and is never shown again: editing with the field left
//! blank keeps it. Changes need an admin; the audit log records who changed which registry,
//! never a secret. "Test" logs in to the registry itself and says what failed.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::page::{Ctx, FlashKind, Layout};
use super::policy::{Need, rule};
use super::urls;
use crate::AppState;
use crate::db::audit::{Action, Outcome};
use crate::db::registries::{self as store, Fields, Taken};
use crate::docker::time::format_utc;
use crate::error::{AppError, AppResult};
use crate::registry::{self, address, client::LoginOutcome};

/// Longest user name accepted.
pub const MAX_USERNAME: usize = 256;
/// Longest password or token (a cloud JSON key is a few KiB).
pub const MAX_SECRET: usize = 16 * 1024;
/// Longest CA certificate text (a chain of a few certificates).
pub const MAX_CA_PEM: usize = 64 * 1024;

/// Who may use each route (see `web::policy`): the list for everyone, changes for admins.
pub const POLICY: &[super::policy::Rule] = &[
    rule("GET", urls::REGISTRIES, Need::Read),
    rule("POST", urls::REGISTRIES, Need::Admin),
    rule("GET", urls::route::REGISTRY, Need::Admin),
    rule("POST", urls::route::REGISTRY, Need::Admin),
    rule("POST", urls::route::REGISTRY_TEST, Need::Admin),
    rule("POST", urls::route::REGISTRY_REMOVE, Need::Admin),
];

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(urls::REGISTRIES, get(list).post(add))
        .route(urls::route::REGISTRY, get(edit_form).post(update))
        .route(urls::route::REGISTRY_TEST, post(test))
        .route(urls::route::REGISTRY_REMOVE, post(remove))
}

pub struct Row {
    pub address: String,
    pub username: String,
    pub has_ca: bool,
    pub updated: String,
    pub updated_by: String,
    pub edit_url: String,
    pub test_url: String,
    pub remove_url: String,
}

/// What the add or edit form shows again after a refusal (never the password).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct RegistryForm {
    pub address: String,
    pub username: String,
    pub password: String,
    pub ca_pem: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "registries/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    form: RegistryForm,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "registries/edit.html")]
struct EditPage {
    layout: Layout,
    action: String,
    form: RegistryForm,
    error: Option<String>,
}

impl ListPage {
    fn action_is_edit(&self) -> bool {
        false
    }
}

impl EditPage {
    fn action_is_edit(&self) -> bool {
        true
    }
}

async fn list_page(ctx: &Ctx, form: RegistryForm, error: Option<String>) -> AppResult<ListPage> {
    let rows = store::list(&ctx.state.db)
        .await?
        .into_iter()
        .map(|r| Row {
            edit_url: urls::registry(r.id),
            test_url: urls::registry_action(r.id, "test"),
            remove_url: urls::registry_action(r.id, "remove"),
            has_ca: r.ca_pem.is_some(),
            updated: format_utc(r.updated_at),
            updated_by: r.updated_by,
            address: r.address,
            username: r.username,
        })
        .collect();
    Ok(ListPage {
        layout: ctx.layout("Registries", "registries"),
        rows,
        form: RegistryForm {
            password: String::new(),
            ..form
        },
        error,
    })
}

pub async fn list(ctx: Ctx) -> AppResult<Response> {
    Ok(list_page(&ctx, RegistryForm::default(), None)
        .await?
        .into_response())
}

/// A form checked: the stored address key and the fields to store.
struct Checked {
    address: String,
    username: String,
    secret: Option<String>,
    ca_pem: Option<String>,
}

/// Checks sizes and shapes before anything else; `secret_required` on add.
fn check(f: &RegistryForm, secret_required: bool) -> Result<Checked, String> {
    if f.username.chars().count() > MAX_USERNAME {
        return Err(format!(
            "The user name is too long (at most {MAX_USERNAME} characters)."
        ));
    }
    if f.password.len() > MAX_SECRET {
        return Err(format!(
            "The password or token is too long (at most {} KiB).",
            MAX_SECRET / 1024
        ));
    }
    if f.ca_pem.len() > MAX_CA_PEM {
        return Err(format!(
            "The CA certificate is too long (at most {} KiB).",
            MAX_CA_PEM / 1024
        ));
    }
    let address = address::normalize(&f.address).map_err(|e| {
        let mut s = e.to_string();
        if let Some(first) = s.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        s + "."
    })?;
    let username = f.username.trim();
    if username.is_empty() {
        return Err("Enter the user name to log in with.".into());
    }
    if username.contains(':') || username.chars().any(char::is_control) {
        return Err("The user name cannot contain “:” or control characters.".into());
    }
    if f.password.contains('\0') {
        return Err("The password or token cannot contain a NUL character.".into());
    }
    let secret = (!f.password.is_empty()).then(|| f.password.clone());
    if secret_required && secret.is_none() {
        return Err("Enter the password or access token.".into());
    }
    let ca = f.ca_pem.trim();
    let ca_pem = if ca.is_empty() {
        None
    } else {
        registry::client::check_ca_pem(ca).map_err(|e| {
            format!("The CA certificate is not usable: {e}. Paste the PEM text (-----BEGIN CERTIFICATE----- …).")
        })?;
        Some(format!("{ca}\n"))
    };
    Ok(Checked {
        address,
        username: username.to_string(),
        secret,
        ca_pem,
    })
}

fn require_admin(ctx: &Ctx) -> AppResult<()> {
    if ctx.session.is_admin {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only an admin can change the registries.".into(),
        ))
    }
}

pub async fn add(ctx: Ctx, Form(f): Form<RegistryForm>) -> AppResult<Response> {
    require_admin(&ctx)?;
    let c = match check(&f, true) {
        Ok(c) => c,
        Err(e) => return refused_add(&ctx, f, e).await,
    };
    let fields = Fields {
        address: &c.address,
        username: &c.username,
        secret: c.secret.as_deref(),
        ca_pem: c.ca_pem.as_deref(),
        by: &ctx.session.username,
    };
    match store::insert(&ctx.state.db, &fields).await? {
        Ok(_) => {
            ctx.audit(
                Action::RegistryAdd,
                &c.address,
                Outcome::Ok,
                Some(&format!("user {}", c.username)),
            )
            .await;
            let msg = format!("Registry {} added. Test it to check the login.", c.address);
            Ok(ctx
                .redirect_with(urls::REGISTRIES, FlashKind::Ok, &msg)
                .await)
        }
        Err(Taken) => {
            let e = format!("{} is already stored: edit it instead.", c.address);
            refused_add(&ctx, f, e).await
        }
    }
}

async fn refused_add(ctx: &Ctx, f: RegistryForm, error: String) -> AppResult<Response> {
    let page = list_page(ctx, f, Some(error)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn stored(ctx: &Ctx, id: i64) -> AppResult<store::Registry> {
    store::get(&ctx.state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such registry (removed meanwhile?).".into()))
}

pub async fn edit_form(ctx: Ctx, Path(id): Path<i64>) -> AppResult<Response> {
    let r = stored(&ctx, id).await?;
    let form = RegistryForm {
        address: r.address.clone(),
        username: r.username,
        password: String::new(),
        ca_pem: r.ca_pem.unwrap_or_default(),
    };
    Ok(EditPage {
        layout: ctx.layout(format!("Registry {}", r.address), "registries"),
        action: urls::registry(id),
        form,
        error: None,
    }
    .into_response())
}

pub async fn update(
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<RegistryForm>,
) -> AppResult<Response> {
    require_admin(&ctx)?;
    let refuse = |ctx: &Ctx, f: RegistryForm, e: String| {
        let page = EditPage {
            layout: ctx.layout("Edit registry", "registries"),
            action: urls::registry(id),
            form: RegistryForm {
                password: String::new(),
                ..f
            },
            error: Some(e),
        };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let c = match check(&f, false) {
        Ok(c) => c,
        Err(e) => return refuse(&ctx, f, e),
    };
    let fields = Fields {
        address: &c.address,
        username: &c.username,
        secret: c.secret.as_deref(),
        ca_pem: c.ca_pem.as_deref(),
        by: &ctx.session.username,
    };
    match store::update(&ctx.state.db, id, &fields).await? {
        Ok(true) => {
            let detail = format!(
                "user {}{}",
                c.username,
                if c.secret.is_some() {
                    ", new password"
                } else {
                    ""
                }
            );
            ctx.audit(
                Action::RegistryUpdate,
                &c.address,
                Outcome::Ok,
                Some(&detail),
            )
            .await;
            let msg = format!("Registry {} saved.", c.address);
            Ok(ctx
                .redirect_with(urls::REGISTRIES, FlashKind::Ok, &msg)
                .await)
        }
        Ok(false) => Err(AppError::NotFound(
            "No such registry (removed meanwhile?).".into(),
        )),
        Err(Taken) => {
            let e = format!("{} is stored already as another registry.", c.address);
            refuse(&ctx, f, e)
        }
    }
}

pub async fn test(ctx: Ctx, Path(id): Path<i64>) -> AppResult<Response> {
    let r = stored(&ctx, id).await?;
    let (kind, msg, outcome) = match registry::test_login(&ctx.state.db, id).await {
        Ok(LoginOutcome::LoggedIn) => (
            FlashKind::Ok,
            format!("Logged in to {} as {}.", r.address, r.username),
            Outcome::Ok,
        ),
        Ok(LoginOutcome::NoLoginNeeded) => (
            FlashKind::Info,
            format!(
                "{} answers without a login: the credentials were not checked.",
                r.address
            ),
            Outcome::Ok,
        ),
        Err(e) => (
            FlashKind::Error,
            format!("Test of {} failed: {e}.", r.address),
            Outcome::Failed,
        ),
    };
    ctx.audit(Action::RegistryTest, &r.address, outcome, Some(&msg))
        .await;
    Ok(ctx.redirect_with(urls::REGISTRIES, kind, &msg).await)
}

pub async fn remove(ctx: Ctx, Path(id): Path<i64>) -> AppResult<Response> {
    require_admin(&ctx)?;
    let Some(address) = store::delete(&ctx.state.db, id).await? else {
        return Err(AppError::NotFound(
            "No such registry (removed meanwhile?).".into(),
        ));
    };
    ctx.audit(Action::RegistryRemove, &address, Outcome::Ok, None)
        .await;
    let msg = format!("Registry {address} removed: deploys no longer send its credentials.");
    Ok(ctx
        .redirect_with(urls::REGISTRIES, FlashKind::Ok, &msg)
        .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(address: &str, username: &str, password: &str) -> RegistryForm {
        RegistryForm {
            address: address.into(),
            username: username.into(),
            password: password.into(),
            ca_pem: String::new(),
        }
    }

    #[test]
    fn forms_are_checked_for_size_and_shape_before_anything_is_stored() {
        let ok = check(&form("https://GHCR.io/", " me ", "tok"), true).expect("fine");
        assert_eq!(
            (ok.address.as_str(), ok.username.as_str()),
            ("ghcr.io", "me")
        );
        assert!(check(&form("ghcr.io", "me", ""), true).is_err());
        assert!(
            check(&form("ghcr.io", "me", ""), false)
                .expect("edit")
                .secret
                .is_none()
        );
        assert!(check(&form("", "me", "x"), true).is_err());
        assert!(check(&form("ghcr.io", "", "x"), true).is_err());
        assert!(check(&form("ghcr.io", "a:b", "x"), true).is_err());
        assert!(check(&form("ghcr.io", &"u".repeat(257), "x"), true).is_err());
        assert!(check(&form("ghcr.io", "me", &"x".repeat(MAX_SECRET + 1)), true).is_err());
        let mut bad_ca = form("ghcr.io", "me", "x");
        bad_ca.ca_pem = "not a certificate".into();
        let e = check(&bad_ca, true).err().expect("refused");
        assert!(e.contains("CA certificate"), "{e}");
    }
}
