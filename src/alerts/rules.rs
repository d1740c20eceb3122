//! The alert rules: what each one watches, its defaults, and the limits of its two parameters
//! (a count and a number of minutes, each meaning what the rule says). Pure: no I/O.

/// Every rule berth evaluates, stored by its name (`task_failures`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// a service whose tasks keep failing or being rejected (count in minutes)
    TaskFailures,
    /// a service below its desired replicas for some minutes
    ReplicasBelow,
    NodeDown,
    /// a manager unreachable, or the raft quorum at risk or lost
    Managers,
    /// a rolling update paused or rolled back (berth's or the CLI's)
    UpdateProblem,
    /// an update still not converged after some minutes
    UpdateStuck,
    /// a node whose tasks reserve more than a share of its CPU or memory
    Reservations,
    /// berth cannot reach Docker
    DockerLost,
}

/// What a rule's parameter means on the page, with its bounds and default.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub label: &'static str,
    pub default: u32,
    pub min: u32,
    pub max: u32,
}

impl Rule {
    pub const ALL: [Rule; 8] = [
        Rule::TaskFailures,
        Rule::ReplicasBelow,
        Rule::NodeDown,
        Rule::Managers,
        Rule::UpdateProblem,
        Rule::UpdateStuck,
        Rule::Reservations,
        Rule::DockerLost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::TaskFailures => "task_failures",
            Rule::ReplicasBelow => "replicas_below",
            Rule::NodeDown => "node_down",
            Rule::Managers => "managers",
            Rule::UpdateProblem => "update_problem",
            Rule::UpdateStuck => "update_stuck",
            Rule::Reservations => "reservations",
            Rule::DockerLost => "docker_lost",
        }
    }

    pub fn parse(s: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// What the rule watches, as the page says it.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::TaskFailures => "A service's tasks keep failing or being rejected",
            Rule::ReplicasBelow => "A service runs fewer tasks than it wants",
            Rule::NodeDown => "A node is down",
            Rule::Managers => "A manager is unreachable, or the managers' quorum is at risk",
            Rule::UpdateProblem => "An update paused or rolled back (also from the CLI)",
            Rule::UpdateStuck => "An update or deploy did not converge",
            Rule::Reservations => "A node's tasks reserve most of its CPU or memory",
            Rule::DockerLost => "berth lost its connection to Docker",
        }
    }

    /// The count parameter, for the rules that have one.
    pub fn count(self) -> Option<Param> {
        match self {
            Rule::TaskFailures => Some(Param {
                label: "failures",
                default: 3,
                min: 1,
                max: 1000,
            }),
            Rule::Reservations => Some(Param {
                label: "percent reserved",
                default: 90,
                min: 1,
                max: 100,
            }),
            _ => None,
        }
    }

    /// The minutes parameter, for the rules that have one.
    pub fn minutes(self) -> Option<Param> {
        let p = |label, default, min| Param {
            label,
            default,
            min,
            max: 24 * 60,
        };
        match self {
            Rule::TaskFailures => Some(p("within minutes", 10, 1)),
            Rule::ReplicasBelow => Some(p("for minutes", 5, 0)),
            Rule::NodeDown => Some(p("for minutes", 0, 0)),
            Rule::UpdateStuck => Some(p("after minutes", 15, 1)),
            Rule::Reservations => Some(p("for minutes", 5, 0)),
            Rule::DockerLost => Some(p("for minutes", 1, 0)),
            Rule::Managers | Rule::UpdateProblem => None,
        }
    }
}

/// Where a rule's alerts go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// every channel, present and future (the default)
    All,
    /// these channel ids only (none: the rule raises alerts on the page only)
    Only(Vec<i64>),
}

impl Route {
    pub fn includes(&self, channel: i64) -> bool {
        match self {
            Route::All => true,
            Route::Only(ids) => ids.contains(&channel),
        }
    }

    /// The stored form: NULL for all, else ids separated by commas.
    pub fn to_stored(&self) -> Option<String> {
        match self {
            Route::All => None,
            Route::Only(ids) => Some(
                ids.iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        }
    }

    pub fn from_stored(s: Option<&str>) -> Route {
        match s {
            None => Route::All,
            Some(s) => Route::Only(s.split(',').filter_map(|p| p.trim().parse().ok()).collect()),
        }
    }
}

/// One rule as configured (its defaults until edited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub rule: Rule,
    pub enabled: bool,
    pub count: u32,
    pub minutes: u32,
    pub route: Route,
}

impl Setting {
    pub fn default_for(rule: Rule) -> Setting {
        Setting {
            rule,
            enabled: true,
            count: rule.count().map_or(0, |p| p.default),
            minutes: rule.minutes().map_or(0, |p| p.default),
            route: Route::All,
        }
    }
}

/// The most channel ids one rule can be routed to (a form cannot grow without bound).
pub const MAX_ROUTE: usize = 64;

/// Checks an edit of a rule: parameters within their bounds, a bounded list of channels.
pub fn check_edit(
    rule: Rule,
    enabled: bool,
    count: Option<&str>,
    minutes: Option<&str>,
    route: Route,
) -> Result<Setting, String> {
    let num = |p: Option<Param>, raw: Option<&str>| -> Result<u32, String> {
        let Some(p) = p else { return Ok(0) };
        let raw = raw.map(str::trim).unwrap_or("");
        if raw.is_empty() {
            return Ok(p.default);
        }
        match raw.parse::<u32>() {
            Ok(n) if (p.min..=p.max).contains(&n) => Ok(n),
            _ => Err(format!(
                "“{}” must be a whole number from {} to {}.",
                p.label, p.min, p.max
            )),
        }
    };
    if let Route::Only(ids) = &route
        && ids.len() > MAX_ROUTE
    {
        return Err(format!("A rule can go to at most {MAX_ROUTE} channels."));
    }
    Ok(Setting {
        rule,
        enabled,
        count: num(rule.count(), count)?,
        minutes: num(rule.minutes(), minutes)?,
        route,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_name_that_parses_back() {
        for r in Rule::ALL {
            assert_eq!(Rule::parse(r.as_str()), Some(r));
        }
        assert_eq!(Rule::parse("nope"), None);
    }

    #[test]
    fn edits_are_bounded_and_blank_means_the_default() {
        let s = check_edit(Rule::TaskFailures, true, Some(""), Some("3"), Route::All).unwrap();
        assert_eq!((s.count, s.minutes), (3, 3));
        assert!(check_edit(Rule::TaskFailures, true, Some("0"), None, Route::All).is_err());
        assert!(check_edit(Rule::Reservations, true, Some("101"), None, Route::All).is_err());
        assert!(check_edit(Rule::TaskFailures, true, Some("x"), None, Route::All).is_err());
        let many = Route::Only((0..=MAX_ROUTE as i64).collect());
        assert!(check_edit(Rule::NodeDown, true, None, None, many).is_err());
    }

    #[test]
    fn routes_round_trip_through_their_stored_form() {
        assert_eq!(Route::from_stored(None), Route::All);
        let r = Route::Only(vec![3, 7]);
        assert_eq!(Route::from_stored(r.to_stored().as_deref()), r);
        let none = Route::Only(vec![]);
        assert_eq!(Route::from_stored(none.to_stored().as_deref()), none);
        assert!(!none.includes(3) && Route::All.includes(3));
    }
}
