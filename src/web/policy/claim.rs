//! A deployer's new stack: a deployer may make a stack under a name no one has, and it becomes
//! their team's in the same step as the check (one SQL statement), so two deployers racing for a
//! name cannot both have it and a stack of another team is never taken over.

use super::{Act, Caller, Role};
use crate::AppState;
use crate::db::{self, audit};

/// What the caller may do with a stack name they deploy under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// the caller may deploy it already (admin, operator, or their team's stack)
    Allowed,
    /// a new name, now owned by the team `team_id` (release it if the deploy is refused)
    Claimed { team_id: i64 },
}

/// Checks that `caller` may deploy `stack` and, for a deployer's new stack, claims it for
/// `team` (one of theirs; empty: their first team), audited. `Ok(Err(sentence))`: refused,
/// nothing changed. `team` matters only for a deployer's new name.
pub async fn deploy_under(
    state: &AppState,
    caller: &Caller,
    ip: Option<&str>,
    stack: &str,
    team: &str,
) -> sqlx::Result<Result<Claim, String>> {
    if caller.may(Act::Deploy, Some(stack)) {
        return Ok(Ok(Claim::Allowed));
    }
    if caller.role != Role::Deployer {
        return Ok(Err(format!(
            "Your role ({}) does not allow deploying stacks.",
            caller.role
        )));
    }
    if let Err(m) = crate::compose::source::stack_name_rules(stack) {
        return Ok(Err(m));
    }
    let Some(first) = caller.teams.first() else {
        return Ok(Err(
            "You belong to no team, so you cannot make a stack: ask an admin to add you to one."
                .into(),
        ));
    };
    let team = match pick_team(&caller.teams, team) {
        Ok(Some(t)) => t,
        Ok(None) => first,
        Err(m) => return Ok(Err(m)),
    };
    let taken = || {
        Err(format!(
            "Stack {stack} exists and is not your team's: ask an admin to give it to your team."
        ))
    };
    // a stack that runs (made outside berth, or by another team) is not new
    if state.model.snapshot().stack(stack).is_some() {
        return Ok(taken());
    }
    let Some(team_id) = db::teams::by_name(&state.db, team).await? else {
        return Ok(Err("Your team was removed meanwhile.".into()));
    };
    if !db::teams::claim_new_stack(&state.db, stack, team_id).await? {
        return Ok(taken());
    }
    let detail = format!("claimed for team {team}");
    let entry = audit::Entry {
        username: Some(&caller.username),
        ip,
        action: audit::Action::TeamStackClaim,
        target: Some(stack),
        outcome: audit::Outcome::Ok,
        detail: Some(&detail),
    };
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!("audit: {e}");
    }
    Ok(Ok(Claim::Claimed { team_id }))
}

/// The team a deployer named for a new stack: `None` when they named none (their first team
/// then), refused when it is not one of theirs.
fn pick_team<'a>(teams: &'a [String], wanted: &str) -> Result<Option<&'a String>, String> {
    let wanted = wanted.trim();
    if wanted.is_empty() {
        return Ok(None);
    }
    if wanted.len() > db::teams::MAX_TEAM_NAME_LEN {
        return Err("A team name has at most 64 characters.".into());
    }
    teams
        .iter()
        .find(|t| t.eq_ignore_ascii_case(wanted))
        .map(Some)
        .ok_or_else(|| {
            format!("You are not a member of team {wanted}: a new stack can belong to one of your teams only.")
        })
}

/// Gives a claimed name back when the deploy was refused before anything was recorded.
pub async fn release(state: &AppState, stack: &str, claim: Claim) {
    if let Claim::Claimed { team_id } = claim
        && let Err(e) = db::teams::release_claim(&state.db, stack, team_id).await
    {
        tracing::error!("cannot release the claim on stack {stack}: {e}");
    }
}

/// Whether the account `username` may still deploy `stack` (a webhook's maker, checked on each
/// call): false when the account is gone or its role or teams no longer allow it.
pub async fn maker_may_deploy(state: &AppState, username: &str, stack: &str) -> sqlx::Result<bool> {
    db::teams::may_deploy(&state.db, username, stack).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployer_picks_one_of_their_teams_or_gets_the_first() {
        let teams = vec!["alpha".to_string(), "beta".to_string()];
        assert_eq!(pick_team(&teams, ""), Ok(None));
        assert_eq!(pick_team(&teams, " BETA "), Ok(Some(&teams[1])));
        assert!(
            pick_team(&teams, "gamma")
                .unwrap_err()
                .contains("not a member of team gamma")
        );
        assert!(pick_team(&teams, &"x".repeat(65)).is_err());
    }
}
