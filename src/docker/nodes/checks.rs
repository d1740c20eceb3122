//! The rules berth applies before it asks Docker to change a node: input checks, the last
//! manager, quorum, and the manager berth itself talks to. Pure functions, tested as such.

use super::NodeInfo;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Manager,
    #[default]
    Worker,
}

impl Role {
    pub fn parse(s: &str) -> Result<Role, String> {
        match s.trim() {
            "manager" => Ok(Role::Manager),
            "worker" => Ok(Role::Worker),
            other => Err(format!(
                "The role must be manager or worker, not {:?}.",
                truncate(other, 40)
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Manager => "manager",
            Role::Worker => "worker",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Active,
    Pause,
    Drain,
}

impl Availability {
    pub fn parse(s: &str) -> Result<Availability, String> {
        match s.trim() {
            "active" => Ok(Availability::Active),
            "pause" => Ok(Availability::Pause),
            "drain" => Ok(Availability::Drain),
            other => Err(format!(
                "The availability must be active, pause or drain, not {:?}.",
                truncate(other, 40)
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Active => "active",
            Availability::Pause => "pause",
            Availability::Drain => "drain",
        }
    }

    /// What the change does, in a sentence for the result message.
    pub fn effect(self) -> &'static str {
        match self {
            Availability::Active => "it accepts new tasks again",
            Availability::Pause => "it keeps its tasks but gets no new ones",
            Availability::Drain => {
                "swarm moves its tasks to other nodes and places no new ones on it"
            }
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Checks a node label key as typed by a user: trimmed, non-empty, no `=`, no spaces or control
/// characters (a constraint `node.labels.KEY==v` could not name it otherwise).
pub fn check_label_key(raw: &str) -> Result<String, String> {
    let k = raw.trim();
    if k.is_empty() {
        return Err("Enter a label key, e.g. zone or com.example.disk.".into());
    }
    if k.chars().count() > 255 {
        return Err("A label key can be at most 255 characters long.".into());
    }
    if k.contains('=') {
        return Err(
            "A label key cannot contain \"=\": put the key in the first field and the value in the second."
                .into(),
        );
    }
    if k.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("A label key cannot contain spaces or control characters.".into());
    }
    Ok(k.to_string())
}

/// Checks a label value: any text on one line, up to 4096 characters (it may be empty).
pub fn check_label_value(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if v.chars().count() > 4096 {
        return Err("A label value can be at most 4096 characters long.".into());
    }
    if v.chars().any(char::is_control) {
        return Err("A label value must be one line of text without control characters.".into());
    }
    Ok(v.to_string())
}

/// Votes needed for a raft cluster of `managers` members to act.
pub fn quorum(managers: usize) -> usize {
    managers / 2 + 1
}

/// How many managers can fail while the swarm keeps working.
pub fn fault_tolerance(managers: usize) -> usize {
    managers.saturating_sub(quorum(managers).min(managers))
}

/// The verdict on a role change: refused (with the reason), or allowed with warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleCheck {
    pub refused: Option<String>,
    /// refused only because it needs an explicit confirmation
    pub needs_confirm: bool,
    pub warnings: Vec<String>,
}

/// Decides whether `target` may become `to`, given every node of the swarm and the node whose
/// API berth uses. `confirmed`: the user ticked the box that accepts a confirmable risk.
pub fn check_role_change(
    nodes: &[NodeInfo],
    target: &NodeInfo,
    to: Role,
    berth_node: &str,
    confirmed: bool,
) -> RoleCheck {
    let mut c = RoleCheck::default();
    let name = target.display_name();
    if target.role == to {
        c.refused = Some(format!("{name} is already a {to}; nothing was changed."));
        return c;
    }
    let managers = nodes.iter().filter(|n| n.is_manager()).count();
    let reachable = nodes.iter().filter(|n| n.is_reachable_manager()).count();
    match to {
        Role::Worker => {
            if managers <= 1 {
                c.refused = Some(format!(
                    "{name} is the only manager of this swarm: demoting it would leave the swarm \
                     without a manager. Promote another node first."
                ));
                return c;
            }
            let after = managers - 1;
            let reachable_after = reachable - usize::from(target.is_reachable_manager());
            if reachable_after < quorum(after) {
                c.refused = Some(format!(
                    "Demoting {name} would lose quorum: {after} managers would remain, only \
                     {reachable_after} of them reachable, and the swarm needs {} reachable managers \
                     to act. Bring the unreachable managers back (or remove them) first.",
                    quorum(after)
                ));
                return c;
            }
            if target.id == berth_node && !berth_node.is_empty() {
                c.needs_confirm = !confirmed;
                if !confirmed {
                    c.refused = Some(format!(
                        "berth talks to the swarm through {name}. Once it is a worker, berth can no \
                         longer show or change the swarm until it is pointed at another manager. \
                         Tick the confirmation to demote it anyway."
                    ));
                    return c;
                }
            }
            if target.leader {
                c.warnings.push(format!(
                    "{name} is the leader: the other managers elect a new one, which takes a few seconds."
                ));
            }
            push_count_warning(&mut c, after);
        }
        Role::Manager => {
            let after = managers + 1;
            let reachable_after = reachable + usize::from(target.is_ready());
            if !target.is_ready() {
                c.warnings.push(format!(
                    "{name} is {}: it joins the managers only when it is back, and until then it \
                     counts against quorum.",
                    target.state
                ));
            }
            if reachable_after < quorum(after) {
                c.warnings.push(format!(
                    "With {after} managers the swarm needs {} reachable ones to act, and only \
                     {reachable_after} would be: this risks quorum.",
                    quorum(after)
                ));
            }
            push_count_warning(&mut c, after);
        }
    }
    c
}

fn push_count_warning(c: &mut RoleCheck, after: usize) {
    if after.is_multiple_of(2) {
        let ft = fault_tolerance(after);
        let fewer = after - 1;
        c.warnings.push(format!(
            "The swarm will have {after} managers, an even number: it survives {ft} failed \
             manager{}, no more than {fewer} manager{} would. Keep an odd number of managers \
             (1, 3 or 5).",
            if ft == 1 { "" } else { "s" },
            if fewer == 1 { "" } else { "s" },
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: &str, role: Role, reach: &str, state: &str) -> NodeInfo {
        NodeInfo {
            id: id.into(),
            hostname: format!("host-{id}"),
            role,
            reachability: if role == Role::Manager {
                reach.into()
            } else {
                String::new()
            },
            state: state.into(),
            ..Default::default()
        }
    }

    #[test]
    fn roles_and_availabilities_parse_strictly() {
        assert_eq!(Role::parse("manager"), Ok(Role::Manager));
        assert!(
            Role::parse("king")
                .unwrap_err()
                .contains("manager or worker")
        );
        assert_eq!(Availability::parse("drain"), Ok(Availability::Drain));
        assert!(Availability::parse("off").is_err());
    }

    #[test]
    fn label_keys_and_values() {
        assert_eq!(check_label_key(" zone ").unwrap(), "zone");
        assert!(check_label_key("").is_err());
        assert!(check_label_key("a=b").unwrap_err().contains('='));
        assert!(check_label_key("a b").is_err());
        assert_eq!(
            check_label_value("<script>x</script>").unwrap(),
            "<script>x</script>"
        );
        assert_eq!(check_label_value("").unwrap(), "");
        assert!(check_label_value("a\nb").is_err());
    }

    #[test]
    fn quorum_arithmetic() {
        assert_eq!((quorum(1), fault_tolerance(1)), (1, 0));
        assert_eq!((quorum(2), fault_tolerance(2)), (2, 0));
        assert_eq!((quorum(3), fault_tolerance(3)), (2, 1));
        assert_eq!((quorum(4), fault_tolerance(4)), (3, 1));
        assert_eq!((quorum(5), fault_tolerance(5)), (3, 2));
    }

    #[test]
    fn the_last_manager_cannot_be_demoted() {
        let nodes = vec![
            n("m", Role::Manager, "reachable", "ready"),
            n("w", Role::Worker, "", "ready"),
        ];
        let c = check_role_change(&nodes, &nodes[0], Role::Worker, "", false);
        assert!(c.refused.unwrap().contains("only manager"));
    }

    #[test]
    fn promoting_to_an_even_count_warns() {
        let nodes = vec![
            n("m", Role::Manager, "reachable", "ready"),
            n("w", Role::Worker, "", "ready"),
        ];
        let c = check_role_change(&nodes, &nodes[1], Role::Manager, "m", false);
        assert_eq!(c.refused, None);
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("2 managers, an even number"))
        );
    }

    #[test]
    fn demoting_that_loses_quorum_is_refused() {
        let nodes = vec![
            n("a", Role::Manager, "reachable", "ready"),
            n("b", Role::Manager, "reachable", "ready"),
            n("c", Role::Manager, "unreachable", "down"),
        ];
        let c = check_role_change(&nodes, &nodes[1], Role::Worker, "a", false);
        assert!(c.refused.unwrap().contains("lose quorum"));
        // demoting the unreachable one is fine (and leaves 2: a warning)
        let c = check_role_change(&nodes, &nodes[2], Role::Worker, "a", false);
        assert_eq!(c.refused, None);
        assert!(c.warnings.iter().any(|w| w.contains("even number")));
    }

    #[test]
    fn demoting_berths_own_manager_needs_confirmation() {
        let nodes = vec![
            n("a", Role::Manager, "reachable", "ready"),
            n("b", Role::Manager, "reachable", "ready"),
            n("c", Role::Manager, "reachable", "ready"),
        ];
        let c = check_role_change(&nodes, &nodes[0], Role::Worker, "a", false);
        assert!(c.needs_confirm && c.refused.unwrap().contains("berth talks"));
        let c = check_role_change(&nodes, &nodes[0], Role::Worker, "a", true);
        assert_eq!(c.refused, None);
    }

    #[test]
    fn a_change_to_the_same_role_changes_nothing() {
        let nodes = vec![n("a", Role::Manager, "reachable", "ready")];
        let c = check_role_change(&nodes, &nodes[0], Role::Manager, "a", false);
        assert!(c.refused.unwrap().contains("already a manager"));
    }
}
