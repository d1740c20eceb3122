//! Roles and what each may do: a pure decision, used by the route gate (`web::policy`) and by
//! handlers that check a stack named in a body.
//!
//! admin: everything (users, teams, registries, settings); operator: nodes, services and every
//! stack; deployer: reads, and deploys, redeploys, scales, logs and consoles only the stacks of
//! their teams; viewer: reads (no env values, no console; logs of other teams' stacks only when
//! allowed by `BERTH_VIEWER_LOGS`). A stack no team owns, and a service outside stacks, belong
//! to admins and operators.

use std::fmt;
use std::str::FromStr;

/// A role, from least to most (the order is the derive's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Viewer,
    Deployer,
    Operator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Operator, Role::Deployer, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Deployer => "deployer",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}: admin, operator, deployer or viewer"))
    }
}

/// What is done to one stack (or the stack of a service).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// reading its pages (every role)
    Read,
    /// its services' logs
    Logs,
    /// a shell in one of its tasks
    Console,
    /// deploy, redeploy, scale, edit, roll back, remove, its webhooks
    Deploy,
}

/// What a route needs (one per route: see `web::policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// no sign-in: the handler checks its own credential (sign-in form, webhook secret)
    Public,
    /// any account, acting only on its own things (sign out, own password, own tokens)
    Signed,
    /// reading the cluster: every role
    Read,
    /// operator and admin: nodes, services outside stacks, swarm objects
    Operate,
    /// admin only
    Admin,
    /// deployer and up; the handler checks the stack named in the body
    Deployer,
    /// the stack named by the path's `{name}`
    Stack(Act),
    /// the stack of the service named by the path's `{id}`
    Service(Act),
    /// the node named by the path's `{id}`: operators and admins
    Node(Act),
}

/// How far viewers may read logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ViewerLogs {
    /// every stack's
    #[default]
    All,
    /// only their teams' stacks
    Teams,
}

/// Whether `role` may `act` on a stack; `owned` says whether one of the caller's teams owns it
/// (false for a service outside stacks and for a stack no team owns).
pub fn may_act(role: Role, act: Act, owned: bool, logs: ViewerLogs) -> bool {
    match act {
        Act::Read => true,
        Act::Logs => role >= Role::Deployer || logs == ViewerLogs::All || owned,
        Act::Console | Act::Deploy => role >= Role::Operator || (role == Role::Deployer && owned),
    }
}

/// Whether `role` meets `need`; for stack and service needs, `owned` as in [`may_act`].
pub fn allows(role: Role, need: Need, owned: bool, logs: ViewerLogs) -> bool {
    match need {
        Need::Public | Need::Signed | Need::Read => true,
        Need::Operate | Need::Node(_) => role >= Role::Operator,
        Need::Admin => role == Role::Admin,
        Need::Deployer => role >= Role::Deployer,
        Need::Stack(act) | Need::Service(act) => may_act(role, act, owned, logs),
    }
}

/// Whether `role` may see environment values of a stack's services.
pub fn sees_env(role: Role, owned: bool) -> bool {
    may_act(role, Act::Deploy, owned, ViewerLogs::Teams)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_print() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
        assert!(Role::Viewer < Role::Deployer && Role::Operator < Role::Admin);
    }

    #[test]
    fn a_deployer_acts_only_on_stacks_of_their_teams() {
        let d = Role::Deployer;
        let all = ViewerLogs::All;
        assert!(allows(d, Need::Stack(Act::Deploy), true, all));
        assert!(!allows(d, Need::Stack(Act::Deploy), false, all));
        assert!(!allows(d, Need::Service(Act::Console), false, all));
        assert!(allows(d, Need::Service(Act::Logs), false, all));
        assert!(allows(d, Need::Deployer, false, all));
        assert!(!allows(d, Need::Operate, true, all));
        assert!(!allows(d, Need::Node(Act::Console), true, all));
        assert!(sees_env(d, true) && !sees_env(d, false));
    }

    #[test]
    fn a_viewer_reads_but_acts_on_nothing() {
        let v = Role::Viewer;
        for owned in [true, false] {
            assert!(allows(v, Need::Read, owned, ViewerLogs::All));
            assert!(!allows(v, Need::Stack(Act::Deploy), owned, ViewerLogs::All));
            assert!(!allows(
                v,
                Need::Service(Act::Console),
                owned,
                ViewerLogs::All
            ));
            assert!(!allows(v, Need::Deployer, owned, ViewerLogs::All));
            assert!(!sees_env(v, owned));
        }
        assert!(allows(v, Need::Service(Act::Logs), false, ViewerLogs::All));
        assert!(!allows(
            v,
            Need::Service(Act::Logs),
            false,
            ViewerLogs::Teams
        ));
        assert!(allows(v, Need::Service(Act::Logs), true, ViewerLogs::Teams));
    }

    #[test]
    fn operators_do_all_but_administration() {
        let o = Role::Operator;
        assert!(allows(o, Need::Stack(Act::Deploy), false, ViewerLogs::All));
        assert!(allows(o, Need::Operate, false, ViewerLogs::All));
        assert!(!allows(o, Need::Admin, false, ViewerLogs::All));
        assert!(allows(Role::Admin, Need::Admin, false, ViewerLogs::All));
        assert!(sees_env(o, false));
    }
}
