//! Roles of accounts, teams, their members and the stacks they own (migration 0012).

use sqlx::{FromRow, SqlitePool};

use crate::auth::roles::Role;

/// Longest team name, in bytes.
pub const MAX_TEAM_NAME_LEN: usize = 64;
/// At most this many teams (the settings page lists them all).
pub const MAX_TEAMS: i64 = 500;

/// A team name: 1 to 64 characters from letters, digits and `. _ -`.
pub fn check_team_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > MAX_TEAM_NAME_LEN {
        return Err("A team name has 1 to 64 characters.");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err("A team name may contain only letters, digits and . _ -");
    }
    Ok(())
}

/// What the route gate needs to know of an account.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    /// the names of the caller's teams
    pub teams: Vec<String>,
    /// the stacks their teams own
    pub stacks: Vec<String>,
}

/// The account `user_id` with its role, teams and their stacks; `None` when it is gone.
pub async fn principal(db: &SqlitePool, user_id: i64) -> sqlx::Result<Option<Principal>> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT username, role FROM users WHERE id = ?")
            .bind(user_id)
            .fetch_optional(db)
            .await?;
    let Some((username, role)) = row else {
        return Ok(None);
    };
    // a role the CHECK constraint allows always parses; anything else reads as the least
    let role = role.parse().unwrap_or(Role::Viewer);
    let teams = sqlx::query_scalar(
        "SELECT t.name FROM teams t JOIN team_members m ON m.team_id = t.id
         WHERE m.user_id = ? ORDER BY t.name",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    let stacks = sqlx::query_scalar(
        "SELECT s.stack FROM stack_teams s JOIN team_members m ON m.team_id = s.team_id
         WHERE m.user_id = ? ORDER BY s.stack",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    Ok(Some(Principal {
        user_id,
        username,
        role,
        teams,
        stacks,
    }))
}

/// Whether the account `username` may deploy `stack` now (its role, and for a deployer the
/// stacks of its teams): false when the account is gone. What a webhook's or a git stack's
/// maker is checked against each time it acts.
pub async fn may_deploy(db: &SqlitePool, username: &str, stack: &str) -> sqlx::Result<bool> {
    let Some(user) = super::users::by_name(db, username).await? else {
        return Ok(false);
    };
    Ok(principal(db, user.id).await?.is_some_and(|p| {
        let owned = p.stacks.iter().any(|s| s == stack);
        crate::auth::roles::may_act(
            p.role,
            crate::auth::roles::Act::Deploy,
            owned,
            crate::auth::roles::ViewerLogs::All,
        )
    }))
}

pub async fn role_of(db: &SqlitePool, user_id: i64) -> sqlx::Result<Option<Role>> {
    let role: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE id = ?")
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    Ok(role.map(|r| r.parse().unwrap_or(Role::Viewer)))
}

/// Sets an account's role (is_admin follows by trigger). False when there is no such account,
/// or when it is the last admin and `role` is not admin: that check and the change are one
/// statement, so two admins demoting each other at once cannot leave berth without one.
pub async fn set_role(db: &SqlitePool, user_id: i64, role: Role) -> sqlx::Result<bool> {
    let res = sqlx::query(
        "UPDATE users SET role = ?1 WHERE id = ?2
         AND (?1 = 'admin' OR role <> 'admin'
              OR (SELECT COUNT(*) FROM users WHERE role = 'admin') > 1)",
    )
    .bind(role.as_str())
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Every account's role, by id.
pub async fn roles(db: &SqlitePool) -> sqlx::Result<std::collections::HashMap<i64, Role>> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, role FROM users")
        .fetch_all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, r)| (id, r.parse().unwrap_or(Role::Viewer)))
        .collect())
}

/// The name of team `id`.
pub async fn name_of(db: &SqlitePool, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT name FROM teams WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// How many admins there are (the last one cannot be demoted or deleted).
pub async fn admin_count(db: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'")
        .fetch_one(db)
        .await
}

#[derive(Debug, Clone, FromRow)]
pub struct Team {
    pub id: i64,
    pub name: String,
    /// member names, comma-separated
    pub members: Option<String>,
    /// owned stacks, comma-separated
    pub stacks: Option<String>,
}

pub async fn list(db: &SqlitePool) -> sqlx::Result<Vec<Team>> {
    sqlx::query_as(
        "SELECT t.id, t.name,
            (SELECT group_concat(u.username, ', ') FROM team_members m JOIN users u ON u.id = m.user_id
             WHERE m.team_id = t.id) AS members,
            (SELECT group_concat(s.stack, ', ') FROM stack_teams s WHERE s.team_id = t.id) AS stacks
         FROM teams t ORDER BY t.name",
    )
    .fetch_all(db)
    .await
}

pub async fn by_name(db: &SqlitePool, name: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM teams WHERE name = ?")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Creates a team; `Ok(None)` when the name is taken or there are [`MAX_TEAMS`] already.
pub async fn create(db: &SqlitePool, name: &str) -> sqlx::Result<Option<i64>> {
    let id = sqlx::query_scalar(
        "INSERT INTO teams (name, created_at) SELECT ?, ?
         WHERE (SELECT COUNT(*) FROM teams) < ?
         ON CONFLICT(name) DO NOTHING RETURNING id",
    )
    .bind(name)
    .bind(super::now())
    .bind(MAX_TEAMS)
    .fetch_optional(db)
    .await?;
    Ok(id)
}

/// Deletes a team (its members stay; its stacks go back to admins). Its name when it existed.
pub async fn delete(db: &SqlitePool, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("DELETE FROM teams WHERE id = ? RETURNING name")
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn add_member(db: &SqlitePool, team_id: i64, user_id: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT OR IGNORE INTO team_members (team_id, user_id) VALUES (?, ?)")
        .bind(team_id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn remove_member(db: &SqlitePool, team_id: i64, user_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM team_members WHERE team_id = ? AND user_id = ?")
        .bind(team_id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Replaces an account's teams by `team_ids` (one transaction).
pub async fn set_memberships(db: &SqlitePool, user_id: i64, team_ids: &[i64]) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM team_members WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for id in team_ids {
        sqlx::query("INSERT OR IGNORE INTO team_members (team_id, user_id) VALUES (?, ?)")
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Gives `stack` to a team, or back to admins (`None`).
pub async fn assign_stack(db: &SqlitePool, stack: &str, team_id: Option<i64>) -> sqlx::Result<()> {
    match team_id {
        Some(id) => {
            sqlx::query(
                "INSERT INTO stack_teams (stack, team_id) VALUES (?, ?)
                 ON CONFLICT(stack) DO UPDATE SET team_id = excluded.team_id",
            )
            .bind(stack)
            .bind(id)
            .execute(db)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM stack_teams WHERE stack = ?")
                .bind(stack)
                .execute(db)
                .await?;
        }
    }
    Ok(())
}

/// Gives `stack` to `team_id` when no team owns it and berth holds no version or git source of
/// it: the check and the claim are one statement (two deployers racing for a name: one wins).
/// True when claimed.
pub async fn claim_new_stack(db: &SqlitePool, stack: &str, team_id: i64) -> sqlx::Result<bool> {
    let res = sqlx::query(
        "INSERT OR IGNORE INTO stack_teams (stack, team_id)
         SELECT ?1, ?2
         WHERE NOT EXISTS (SELECT 1 FROM stack_versions WHERE stack = ?1)
           AND NOT EXISTS (SELECT 1 FROM git_sources WHERE stack = ?1)",
    )
    .bind(stack)
    .bind(team_id)
    .execute(db)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Undoes [`claim_new_stack`] when nothing was made under the name after all (the deploy was
/// refused before it recorded a version).
pub async fn release_claim(db: &SqlitePool, stack: &str, team_id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM stack_teams WHERE stack = ?1 AND team_id = ?2
         AND NOT EXISTS (SELECT 1 FROM stack_versions WHERE stack = ?1)
         AND NOT EXISTS (SELECT 1 FROM git_sources WHERE stack = ?1)",
    )
    .bind(stack)
    .bind(team_id)
    .execute(db)
    .await?;
    Ok(())
}

/// The team that owns `stack`, if any.
pub async fn owner_of(db: &SqlitePool, stack: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT t.name FROM stack_teams s JOIN teams t ON t.id = s.team_id WHERE s.stack = ?",
    )
    .bind(stack)
    .fetch_optional(db)
    .await
}
