//! The provider's groups to berth's role and teams: the two mappings an admin writes
//! (`group = role`, `group = team, team`, one a line) and the decision at each sign-in.

use std::collections::BTreeSet;

use super::{MAX_MAP_LINES, Settings};
use crate::auth::roles::Role;

pub const MAX_GROUP_LEN: usize = 256;
/// Groups read from one ID token; a longer list is cut (the first ones count).
pub const MAX_GROUPS: usize = 1000;

/// Splits one mapping line `group = value`; blank lines and `#` comments are skipped.
fn map_lines(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if out.len() >= MAX_MAP_LINES {
            return Err(format!("A mapping has at most {MAX_MAP_LINES} lines."));
        }
        let Some((group, value)) = line.rsplit_once('=') else {
            return Err(format!("Line {}: write “group = value”.", n + 1));
        };
        let group = group.trim();
        if group.is_empty() || group.len() > MAX_GROUP_LEN || group.chars().any(char::is_control) {
            return Err(format!(
                "Line {}: a group name has 1 to {MAX_GROUP_LEN} characters.",
                n + 1
            ));
        }
        out.push((group.to_string(), value.trim().to_string()));
    }
    Ok(out)
}

/// `group = role` lines.
pub fn parse_role_map(text: &str) -> Result<Vec<(String, Role)>, String> {
    map_lines(text)?
        .into_iter()
        .enumerate()
        .map(|(i, (g, r))| {
            r.parse::<Role>()
                .map(|role| (g.clone(), role))
                .map_err(|_| {
                    format!(
                        "Group {g} (mapping {}): the role is admin, operator, deployer or viewer.",
                        i + 1
                    )
                })
        })
        .collect()
}

/// `group = team, team` lines.
pub fn parse_team_map(text: &str) -> Result<Vec<(String, Vec<String>)>, String> {
    map_lines(text)?
        .into_iter()
        .map(|(g, list)| {
            let teams: Vec<String> = list
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect();
            if teams.is_empty() {
                return Err(format!("Group {g}: name at least one team."));
            }
            for t in &teams {
                crate::db::teams::check_team_name(t).map_err(|m| format!("Group {g}: {m}"))?;
            }
            Ok((g, teams))
        })
        .collect()
}

pub(super) fn render_role_map(m: &[(String, Role)]) -> String {
    m.iter().map(|(g, r)| format!("{g} = {r}\n")).collect()
}

pub(super) fn render_team_map(m: &[(String, Vec<String>)]) -> String {
    m.iter()
        .map(|(g, t)| format!("{g} = {}\n", t.join(", ")))
        .collect()
}

/// What a sign-in gets from the person's groups: the highest role of their mapped groups (else
/// the default role; `None` when there is none: refused) and every team of their groups.
pub fn decide(settings: &Settings, groups: &[String]) -> Option<(Role, BTreeSet<String>)> {
    let has = |g: &str| groups.iter().any(|x| x == g);
    let role = settings
        .roles()
        .into_iter()
        .filter(|(g, _)| has(g))
        .map(|(_, r)| r)
        .max()
        .or(settings.default_role)?;
    let teams = settings
        .teams()
        .into_iter()
        .filter(|(g, _)| has(g))
        .flat_map(|(_, t)| t)
        .collect();
    Some((role, teams))
}

/// The groups in a claim's value: a list of strings or one string; others ignored, bounded.
pub fn groups_of(value: Option<&serde_json::Value>) -> Vec<String> {
    let ok = |s: &str| !s.is_empty() && s.len() <= MAX_GROUP_LEN;
    match value {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .filter(|s| ok(s))
            .take(MAX_GROUPS)
            .map(str::to_string)
            .collect(),
        Some(serde_json::Value::String(s)) if ok(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::oidc::{Form, validate};

    fn settings() -> Settings {
        validate(
            &Form {
                issuer: "https://id.example.com".into(),
                client_id: "berth".into(),
                role_map: "berth-admins = admin\nteam-a-deployers = deployer\n".into(),
                team_map: "team-a-deployers = team-a, team-b\n".into(),
                ..Form::default()
            },
            None,
        )
        .unwrap()
    }

    #[test]
    fn the_highest_mapped_role_wins_and_teams_add_up() {
        let mut s = settings();
        let g = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (role, teams) = decide(&s, &g(&["team-a-deployers", "berth-admins"])).unwrap();
        assert_eq!(role, Role::Admin);
        assert_eq!(teams.into_iter().collect::<Vec<_>>(), ["team-a", "team-b"]);
        assert!(decide(&s, &g(&["nobody"])).is_none());
        s.default_role = Some(Role::Viewer);
        assert_eq!(decide(&s, &g(&[])).unwrap().0, Role::Viewer);
    }

    #[test]
    fn groups_come_from_a_list_or_one_string() {
        let v = serde_json::json!(["a", 1, "b", ""]);
        assert_eq!(groups_of(Some(&v)), ["a", "b"]);
        assert_eq!(groups_of(Some(&serde_json::json!("a"))), ["a"]);
        assert!(groups_of(Some(&serde_json::json!({"a": 1}))).is_empty());
        assert!(groups_of(None).is_empty());
    }
}
