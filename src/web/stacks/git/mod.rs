//! Git-backed stacks on the web: the form that creates one (a section of `/stacks/new`,
//! posting to `/stacks/new/git`) and the same form to change a source ([`edit`]), the stack
//! page's git section with "sync now" and "pause sync" ([`page`]), and the push webhook
//! `POST /hooks/git/{secret}` ([`hook`]; public: the secret URL and a GitHub, GitLab or Gitea
//! signature stand in for a session). The work is in [`crate::stack::git`].

mod edit;
mod hook;
mod page;

pub use edit::{edit, edit_form};
pub use hook::{HOOK_BODY_LIMIT, webhook};
pub use page::{GitView, PauseForm, pause, sync_now, view};

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::compose::limits;
use crate::db;
use crate::db::audit::{Action, Outcome};
use crate::error::{AppError, AppResult};
use crate::git::Repo;
use crate::stack::git::{MIN_INTERVAL, Synced, Trigger};
use crate::stack::jobs::Who;
use crate::web::page::{Ctx, FlashKind, Layout};
use crate::web::policy::{Caller, claim};
use crate::web::urls;

/// Longest interval text (`90s`, `5m`).
const MAX_INTERVAL_TEXT: usize = 32;

/// The create form's fields (all text; checked in [`GitFormView::check`]).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GitForm {
    pub name: String,
    pub url: String,
    pub token: String,
    pub ref_kind: String,
    #[serde(rename = "ref")]
    pub ref_name: String,
    pub compose_paths: String,
    pub env_path: String,
    pub env: String,
    pub interval: String,
    pub prune: String,
    /// the team a deployer's new stack belongs to (empty: their first)
    pub team: String,
    /// CA certificates (PEM) of the repository's server, besides Mozilla's roots
    pub ca_pem: String,
    /// editing: `yes` drops the stored token (an empty `token` keeps it)
    pub forget_token: String,
    /// editing: `yes` drops the stored variables (an empty `env` keeps them)
    pub forget_env: String,
}

/// The form as shown: the values typed (never the token) and the problems of each field.
#[derive(Debug)]
pub struct GitFormView {
    pub name: String,
    pub url: String,
    pub ref_kind: String,
    pub ref_name: String,
    pub compose_paths: String,
    pub env_path: String,
    pub env: String,
    pub interval: String,
    pub prune: bool,
    pub ca_pem: String,
    pub errors: Vec<(&'static str, String)>,
    /// where the form posts: a new stack, or an existing stack's source
    pub action: String,
    /// changing an existing stack's source (its name is fixed)
    pub editing: bool,
    /// editing: berth holds a token for it
    pub has_token: bool,
    /// editing: the names of the variables berth holds for it (values never shown here)
    pub env_keys: Vec<String>,
}

impl GitFormView {
    /// An empty form with the usual defaults.
    pub fn blank() -> GitFormView {
        GitFormView {
            name: String::new(),
            url: String::new(),
            ref_kind: "branch".into(),
            ref_name: "main".into(),
            compose_paths: "docker-compose.yml".into(),
            env_path: String::new(),
            env: String::new(),
            interval: String::new(),
            prune: true,
            ca_pem: String::new(),
            errors: Vec::new(),
            action: urls::STACKS_NEW_GIT.to_string(),
            editing: false,
            has_token: false,
            env_keys: Vec::new(),
        }
    }

    fn from(f: &GitForm) -> GitFormView {
        GitFormView {
            name: f.name.trim().to_string(),
            url: f.url.trim().to_string(),
            ref_kind: f.ref_kind.clone(),
            ref_name: f.ref_name.trim().to_string(),
            compose_paths: f.compose_paths.clone(),
            env_path: f.env_path.clone(),
            env: f.env.clone(),
            interval: f.interval.trim().to_string(),
            prune: matches!(f.prune.as_str(), "yes" | "on" | "true" | "1"),
            // shown again as typed, unless it is too large to be a certificate
            ca_pem: if f.ca_pem.len() <= crate::trust::MAX_CA_PEM {
                f.ca_pem.clone()
            } else {
                String::new()
            },
            errors: Vec::new(),
            action: urls::STACKS_NEW_GIT.to_string(),
            editing: false,
            has_token: false,
            env_keys: Vec::new(),
        }
    }

    pub fn errors_of(&self, field: &str) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    pub fn is_kind(&self, kind: &str) -> bool {
        self.ref_kind == kind
    }
}

/// A checked form.
struct Checked {
    name: String,
    repo: Repo,
    token: Option<String>,
    env: String,
    interval_secs: Option<i64>,
    prune: bool,
}

/// Checks every field against its limits (sizes first) and shape; all problems at once.
/// `keeps_token`: an edit keeps a stored token (it must then go over https too).
fn check(f: &GitForm, view: &mut GitFormView, keeps_token: bool) -> Option<Checked> {
    let errors = &mut view.errors;
    let name = f.name.trim();
    if let Err(m) = crate::compose::source::stack_name_rules(name) {
        errors.push(("name", m));
    }
    if f.token.len() > crate::git::MAX_TOKEN || f.token.chars().any(|c| c.is_control()) {
        errors.push((
            "token",
            format!(
                "an access token has at most {} bytes and no control characters",
                crate::git::MAX_TOKEN
            ),
        ));
    }
    if let Err(e) = limits::check_env("env", f.env.len()) {
        errors.push(("env", e.message));
    } else if let Err(e) = crate::compose::dotenv::parse(&f.env) {
        errors.push(("env", e.to_string()));
    }
    let interval_secs = match f.interval.trim() {
        "" => None,
        t if t.len() > MAX_INTERVAL_TEXT => {
            errors.push(("interval", "an interval such as 30s, 5m or 1h".into()));
            None
        }
        t => match crate::config::parse_duration(t) {
            Ok(d) if d >= MIN_INTERVAL && d.as_secs() <= 7 * 86_400 => Some(d.as_secs() as i64),
            Ok(_) => {
                errors.push((
                    "interval",
                    format!("an interval from {} s to 7 days", MIN_INTERVAL.as_secs()),
                ));
                None
            }
            Err(m) => {
                errors.push(("interval", m));
                None
            }
        },
    };
    let token = f.token.trim();
    if (!token.is_empty() || keeps_token)
        && let Err(m) = crate::git::token_may_go_to(f.url.trim())
    {
        errors.push(("token", m));
    }
    let repo = Repo::parse(
        &f.url,
        &f.ref_kind,
        &f.ref_name,
        &f.compose_paths,
        &f.env_path,
        &f.ca_pem,
    )
    .map_err(|es| {
        for e in es {
            errors.push((e.field, e.message));
        }
    })
    .ok()?;
    if !errors.is_empty() {
        return None;
    }
    Some(Checked {
        name: name.to_string(),
        repo,
        token: (!token.is_empty()).then(|| token.to_string()),
        env: f.env.clone(),
        interval_secs,
        prune: view.prune,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "stacks/git_new.html")]
struct GitNewPage {
    layout: Layout,
    form: GitFormView,
}

fn refused(ctx: &Ctx, form: GitFormView) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        GitNewPage {
            layout: ctx.layout("New stack from git", "stacks"),
            form,
        },
    )
        .into_response()
}

/// `POST /stacks/new/git`: checks the form, stores the source, fetches the commit and
/// deploys it. Anything wrong (a field, the fetch, the files) comes back on the form with
/// nothing kept.
pub async fn create(ctx: Ctx, caller: Caller, Form(f): Form<GitForm>) -> AppResult<Response> {
    let mut view = GitFormView::from(&f);
    let Some(c) = check(&f, &mut view, false) else {
        return Ok(refused(&ctx, view));
    };
    let db = &ctx.state.db;
    if db::stacks::latest(db, &c.name).await?.is_some() {
        view.errors.push((
            "name",
            format!(
                "berth holds a stack named {} already: choose another name, or remove it first",
                c.name
            ),
        ));
        return Ok(refused(&ctx, view));
    }
    // a deployer's new stack becomes their team's (released if the source is not stored)
    let claim = claim::deploy_under(&ctx.state, &caller, ctx.ip.as_deref(), &c.name, &f.team)
        .await?
        .map_err(AppError::Forbidden)?;
    let secret = crate::auth::tokens::random_token(24);
    let inserted = db::git::insert(
        db,
        &db::git::NewSource {
            stack: &c.name,
            repo: &c.repo,
            token: c.token.as_deref(),
            env: &c.env,
            prune: c.prune,
            interval_secs: c.interval_secs,
            hook_secret: &secret,
            username: &ctx.session.username,
        },
    )
    .await?;
    if !inserted {
        claim::release(&ctx.state, &c.name, claim).await;
        view.errors
            .push(("name", format!("{} follows a repository already", c.name)));
        return Ok(refused(&ctx, view));
    }
    let detail = format!(
        "{} {} {}",
        c.repo.url,
        c.repo.git_ref.kind(),
        c.repo.git_ref.name()
    );
    let synced = ctx
        .state
        .git
        .sync(&c.name, Trigger::Manual, who(&ctx))
        .await;
    match synced {
        Synced::Deployed { version, .. } => {
            ctx.audit(Action::StackGitCreate, &c.name, Outcome::Ok, Some(&detail))
                .await;
            Ok(ctx
                .redirect_with(
                    &urls::stack_version(&c.name, version),
                    FlashKind::Ok,
                    &format!("{} follows {}: {}.", c.name, c.repo.url, synced.message()),
                )
                .await)
        }
        other => {
            // nothing deployed: the source is not kept
            db::git::delete(db, &c.name).await?;
            ctx.audit(
                Action::StackGitCreate,
                &c.name,
                Outcome::Failed,
                Some(&format!("{detail}: {}", other.message())),
            )
            .await;
            view.errors.push(("source", other.message()));
            Ok(refused(&ctx, view))
        }
    }
}

fn who(ctx: &Ctx) -> Who {
    Who {
        username: ctx.session.username.clone(),
        ip: ctx.ip.clone(),
    }
}
