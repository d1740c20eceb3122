//! Roles and teams on the settings page (admins): an account's role, teams and their members,
//! and which team owns a stack. Plain form POSTs (CSRF-checked by the app's layer), every change
//! audited, sizes and shapes checked before any work.

use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use serde::Deserialize;

use super::page::{Ctx, FlashKind};
use super::policy::{Need, Role, Rule, rule};
use super::urls;
use crate::db::{
    self,
    audit::{Action, Outcome},
};
use crate::error::{AppError, AppResult};

/// Who may use each route (see `web::policy`): admins only.
pub const POLICY: &[Rule] = &[
    rule("POST", urls::route::SETTINGS_USER_ROLE, Need::Admin),
    rule("POST", urls::SETTINGS_TEAMS, Need::Admin),
    rule("POST", urls::route::SETTINGS_TEAM_DELETE, Need::Admin),
    rule("POST", urls::route::SETTINGS_TEAM_MEMBERS, Need::Admin),
    rule("POST", urls::SETTINGS_STACK_OWNER, Need::Admin),
];

pub fn routes() -> axum::Router<crate::AppState> {
    use axum::routing::post;
    axum::Router::new()
        .route(urls::route::SETTINGS_USER_ROLE, post(set_role))
        .route(urls::SETTINGS_TEAMS, post(create_team))
        .route(urls::route::SETTINGS_TEAM_DELETE, post(delete_team))
        .route(urls::route::SETTINGS_TEAM_MEMBERS, post(members))
        .route(urls::SETTINGS_STACK_OWNER, post(stack_owner))
}

pub use crate::db::teams::check_team_name;

/// A role from a form field (at most a few bytes are looked at).
pub fn parse_role(raw: &str) -> Result<Role, AppError> {
    if raw.len() > 16 {
        return Err(AppError::BadRequest(
            "A role is admin, operator, deployer or viewer.".into(),
        ));
    }
    raw.trim().parse().map_err(AppError::BadRequest)
}

fn admins_only(ctx: &Ctx) -> Result<(), AppError> {
    if ctx.session.is_admin {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only an admin can change roles and teams.".into(),
        ))
    }
}

async fn back(ctx: &Ctx, kind: FlashKind, text: &str) -> Response {
    ctx.redirect_with(urls::SETTINGS, kind, text).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    pub role: String,
}

/// `POST /settings/users/{id}/role`
pub async fn set_role(
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> AppResult<Response> {
    admins_only(&ctx)?;
    let role = parse_role(&f.role)?;
    let user = db::users::by_id(&ctx.state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such account.".into()))?;
    if user.id == ctx.session.user_id && role != Role::Admin {
        return Ok(back(
            &ctx,
            FlashKind::Error,
            "You cannot take your own admin role away.",
        )
        .await);
    }
    // the last admin's check is in the same statement as the change
    if !db::teams::set_role(&ctx.state.db, id, role).await? {
        return Ok(back(&ctx, FlashKind::Error, "berth needs at least one admin.").await);
    }
    ctx.audit(
        Action::UserRole,
        &user.username,
        Outcome::Ok,
        Some(&format!("role {role}")),
    )
    .await;
    let msg = format!("{} is now {role}.", user.username);
    Ok(back(&ctx, FlashKind::Ok, &msg).await)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TeamForm {
    pub name: String,
}

/// `POST /settings/teams`
pub async fn create_team(ctx: Ctx, Form(f): Form<TeamForm>) -> AppResult<Response> {
    admins_only(&ctx)?;
    let name = f.name.trim();
    if let Err(m) = check_team_name(name) {
        return Ok(back(&ctx, FlashKind::Error, m).await);
    }
    match db::teams::create(&ctx.state.db, name).await? {
        Some(_) => {
            ctx.audit(Action::TeamCreate, name, Outcome::Ok, None).await;
            Ok(back(&ctx, FlashKind::Ok, &format!("Team {name} created.")).await)
        }
        None => {
            let m = format!(
                "A team named {name} exists already (or there are {} teams).",
                db::teams::MAX_TEAMS
            );
            Ok(back(&ctx, FlashKind::Error, &m).await)
        }
    }
}

/// `POST /settings/teams/{id}/delete`: its stacks go back to admins.
pub async fn delete_team(ctx: Ctx, Path(id): Path<i64>) -> AppResult<Response> {
    admins_only(&ctx)?;
    match db::teams::delete(&ctx.state.db, id).await? {
        Some(name) => {
            ctx.audit(Action::TeamDelete, &name, Outcome::Ok, None)
                .await;
            let m = format!("Team {name} removed; its stacks belong to admins again.");
            Ok(back(&ctx, FlashKind::Ok, &m).await)
        }
        None => Err(AppError::NotFound("There is no such team.".into())),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MemberForm {
    pub username: String,
    /// `add` or `remove`
    pub op: String,
}

/// `POST /settings/teams/{id}/members`: adds or removes one account.
pub async fn members(
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<MemberForm>,
) -> AppResult<Response> {
    admins_only(&ctx)?;
    let username = f.username.trim();
    if username.is_empty() || crate::auth::username_too_long(username) {
        return Ok(back(&ctx, FlashKind::Error, "Name an existing account.").await);
    }
    let add = match f.op.as_str() {
        "add" => true,
        "remove" => false,
        _ => return Err(AppError::BadRequest("op is add or remove.".into())),
    };
    let team = db::teams::name_of(&ctx.state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such team.".into()))?;
    let Some(user) = db::users::by_name(&ctx.state.db, username).await? else {
        let m = format!("There is no account named {username}.");
        return Ok(back(&ctx, FlashKind::Error, &m).await);
    };
    let (done, detail) = if add {
        db::teams::add_member(&ctx.state.db, id, user.id).await?;
        (
            format!("{} joined {team}.", user.username),
            format!("{} added", user.username),
        )
    } else {
        db::teams::remove_member(&ctx.state.db, id, user.id).await?;
        (
            format!("{} left {team}.", user.username),
            format!("{} removed", user.username),
        )
    };
    ctx.audit(Action::TeamMembers, &team, Outcome::Ok, Some(&detail))
        .await;
    Ok(back(&ctx, FlashKind::Ok, &done).await)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OwnerForm {
    pub stack: String,
    /// a team's name, or empty: back to admins
    pub team: String,
}

/// `POST /settings/stack-owner`: gives a stack (existing or not yet) to a team, or back to admins.
pub async fn stack_owner(ctx: Ctx, Form(f): Form<OwnerForm>) -> AppResult<Response> {
    admins_only(&ctx)?;
    let stack = f.stack.trim();
    let team = f.team.trim();
    // an empty name does not start with a letter or digit either
    if let Err(m) = crate::compose::source::stack_name_rules(stack) {
        return Ok(back(&ctx, FlashKind::Error, &m).await);
    }
    let team_id = if team.is_empty() {
        None
    } else {
        let found = match check_team_name(team) {
            Ok(()) => db::teams::by_name(&ctx.state.db, team).await?,
            Err(_) => None,
        };
        match found {
            Some(id) => Some(id),
            None => {
                return Ok(back(&ctx, FlashKind::Error, "There is no such team.").await);
            }
        }
    };
    db::teams::assign_stack(&ctx.state.db, stack, team_id).await?;
    let owner = if team.is_empty() { "admins" } else { team };
    ctx.audit(
        Action::TeamStack,
        stack,
        Outcome::Ok,
        Some(&format!("owned by {owner}")),
    )
    .await;
    Ok(back(
        &ctx,
        FlashKind::Ok,
        &format!("Stack {stack} belongs to {owner}."),
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_names_are_short_and_plain() {
        assert!(check_team_name("web-ops_1").is_ok());
        assert!(check_team_name("").is_err());
        assert!(check_team_name("<b>").is_err());
        assert!(check_team_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        assert_eq!(parse_role("deployer").ok(), Some(Role::Deployer));
        assert!(parse_role("root").is_err());
        assert!(parse_role(&"admin".repeat(10)).is_err());
    }
}
