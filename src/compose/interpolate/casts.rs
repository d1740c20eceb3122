//! `interpolateTypeCastMapping` (`cli/compose/loader/interpolate.go`): the fields whose
//! interpolated text is cast to a number or a boolean.

use super::super::gofmt::{atoi, parse_float};
use super::super::yaml::Kind;

/// Target type of a cast.
#[derive(Clone, Copy)]
pub(super) enum Cast {
    Int,
    Float,
    Bool,
}

/// `interpolateTypeCastMapping` (`*` = any key, `[]` = any list item).
const CASTS: &[(&str, Cast)] = &[
    ("services.*.configs.[].mode", Cast::Int),
    ("services.*.secrets.[].mode", Cast::Int),
    ("services.*.healthcheck.retries", Cast::Int),
    ("services.*.healthcheck.disable", Cast::Bool),
    ("services.*.deploy.replicas", Cast::Int),
    ("services.*.deploy.update_config.parallelism", Cast::Int),
    (
        "services.*.deploy.update_config.max_failure_ratio",
        Cast::Float,
    ),
    ("services.*.deploy.rollback_config.parallelism", Cast::Int),
    (
        "services.*.deploy.rollback_config.max_failure_ratio",
        Cast::Float,
    ),
    ("services.*.deploy.restart_policy.max_attempts", Cast::Int),
    (
        "services.*.deploy.placement.max_replicas_per_node",
        Cast::Int,
    ),
    ("services.*.ports.[].target", Cast::Int),
    ("services.*.ports.[].published", Cast::Int),
    ("services.*.ulimits.*", Cast::Int),
    ("services.*.ulimits.*.hard", Cast::Int),
    ("services.*.ulimits.*.soft", Cast::Int),
    ("services.*.privileged", Cast::Bool),
    ("services.*.oom_score_adj", Cast::Int),
    ("services.*.read_only", Cast::Bool),
    ("services.*.stdin_open", Cast::Bool),
    ("services.*.tty", Cast::Bool),
    ("services.*.volumes.[].read_only", Cast::Bool),
    ("services.*.volumes.[].volume.nocopy", Cast::Bool),
    ("networks.*.external", Cast::Bool),
    ("networks.*.internal", Cast::Bool),
    ("networks.*.attachable", Cast::Bool),
    ("volumes.*.external", Cast::Bool),
    ("secrets.*.external", Cast::Bool),
    ("configs.*.external", Cast::Bool),
];

/// `Path.matches`: both split on `.`, same length, `*` matches any part.
fn path_matches(path: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = path.split('.').collect();
    let pat: Vec<&str> = pattern.split('.').collect();
    parts.len() == pat.len() && parts.iter().zip(&pat).all(|(p, q)| *q == "*" || p == q)
}

pub(super) fn cast_for(path: &str) -> Option<Cast> {
    CASTS
        .iter()
        .find(|(pat, _)| path_matches(path, pat))
        .map(|(_, c)| *c)
}

/// `toBoolean`.
fn to_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "on" => Ok(true),
        "n" | "no" | "false" | "off" => Ok(false),
        _ => Err(format!("invalid boolean: {v}")),
    }
}

pub(super) fn do_cast(cast: Cast, v: &str) -> Result<Kind, String> {
    match cast {
        Cast::Int => atoi(v).map(Kind::Int),
        Cast::Float => parse_float(v).map(Kind::Float),
        Cast::Bool => to_bool(v).map(Kind::Bool),
    }
}
