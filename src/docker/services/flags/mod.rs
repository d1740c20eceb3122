//! The syntax of `docker service create` flags, parsed into engine types and formatted back:
//! `-e`, `-p`, `--mount`, `--network`, `--constraint`, `--label`, resources, durations, the
//! command line. Pure functions: no I/O, every rule tested below. Where the CLI shares a parser
//! with `docker stack deploy` (ports, sizes, CPUs, durations, image references, shell words,
//! propagations) the form calls the same core as the compose loader, [`crate::syntax`], and only
//! words its errors for people.

mod command;
mod mounts;
mod networks;
mod ports;
mod units;

use std::collections::HashMap;

pub use command::{join_command, split_command};
pub use mounts::{parse_mount, parse_mounts};
pub use networks::{parse_network, parse_networks};
pub use ports::{describe_port, format_port, parse_port, parse_ports};
pub use units::{
    format_bytes, format_cpus, format_duration, parse_bytes, parse_cpus, parse_duration,
};

/// All entries of a multi-value field: repeated fields and/or one entry per line; blank lines
/// and lines starting with `#` are skipped.
pub fn entries(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.lines())
        .map(|l| l.trim_end_matches('\r').trim_start())
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

// ---- env and labels ---------------------------------------------------------------------------

/// `-e KEY=VALUE`: returns the entry as Docker stores it. The value is kept exactly.
pub fn parse_env(line: &str) -> Result<String, String> {
    let Some((key, _)) = line.split_once('=') else {
        return Err(format!(
            "{line:?} has no value: write {line}=VALUE (or {line}= for an empty one)"
        ));
    };
    if key.is_empty() {
        return Err(format!("{line:?} has no variable name before '='"));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("the variable name {key:?} contains a space"));
    }
    Ok(line.to_string())
}

/// A complete environment: every line parsed, no name twice.
pub fn parse_env_list(lines: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for l in lines {
        let e = parse_env(l)?;
        let key = e.split('=').next().unwrap_or_default();
        if out.iter().any(|x| x.split('=').next() == Some(key)) {
            return Err(format!("{key} is set twice"));
        }
        out.push(e);
    }
    Ok(out)
}

/// `--label key=value` (or `key`, an empty value).
pub fn parse_label(line: &str) -> Result<(String, String), String> {
    let line = line.trim();
    let (k, v) = line.split_once('=').unwrap_or((line, ""));
    let k = k.trim();
    if k.is_empty() {
        return Err(format!("{line:?} has no label name before '='"));
    }
    if k.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("the label name {k:?} contains a space"));
    }
    Ok((k.to_string(), v.to_string()))
}

pub fn parse_labels(lines: &[String]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for l in lines {
        let (k, v) = parse_label(l)?;
        if out.insert(k.clone(), v).is_some() {
            return Err(format!("the label {k} is given twice"));
        }
    }
    Ok(out)
}

// ---- placement ----------------------------------------------------------------------------------

/// `--constraint node.role==manager`: the keys swarm knows, `==` or `!=`, a value.
pub fn parse_constraint(line: &str) -> Result<String, String> {
    let line = line.trim();
    let (key, op, value) = match (line.find("=="), line.find("!=")) {
        (Some(i), Some(j)) if j < i => (&line[..j], "!=", &line[j + 2..]),
        (Some(i), _) => (&line[..i], "==", &line[i + 2..]),
        (None, Some(j)) => (&line[..j], "!=", &line[j + 2..]),
        (None, None) => {
            return Err(format!(
                "{line:?} is not a constraint: write KEY==VALUE or KEY!=VALUE, e.g. node.role==manager"
            ));
        }
    };
    let (key, value) = (key.trim(), value.trim());
    if value.is_empty() {
        return Err(format!("{line:?} has no value after {op}"));
    }
    let known = [
        "node.id",
        "node.hostname",
        "node.role",
        "node.platform.os",
        "node.platform.arch",
    ];
    let label = ["node.labels.", "engine.labels."]
        .iter()
        .any(|p| key.len() > p.len() && key.starts_with(p));
    if !known.contains(&key) && !label {
        return Err(format!(
            "{key:?} is not a constraint key swarm knows: use node.id, node.hostname, node.role, \
             node.platform.os, node.platform.arch, node.labels.NAME or engine.labels.NAME"
        ));
    }
    if key.chars().any(|c| c.is_whitespace()) {
        return Err(format!("the constraint key {key:?} contains a space"));
    }
    if key == "node.role" && !["manager", "worker"].contains(&value.to_lowercase().as_str()) {
        return Err(format!("node.role is manager or worker, not {value:?}"));
    }
    Ok(line.to_string())
}

pub fn parse_constraints(lines: &[String]) -> Result<Vec<String>, String> {
    lines.iter().map(|l| parse_constraint(l)).collect()
}

/// `a,b,"c=d,e"`: comma-separated fields, double quotes protect commas (as encoding/csv).
pub(crate) fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if quoted {
        return Err(format!("{line:?} has an unclosed quote"));
    }
    out.push(cur);
    Ok(out.into_iter().filter(|f| !f.trim().is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn entries_come_from_repeated_fields_and_lines() {
        let e = entries(&v(&["A=1\r\nB=2\n\n# note\n", "  C=3", ""]));
        assert_eq!(e, v(&["A=1", "B=2", "C=3"]));
    }

    #[test]
    fn env_needs_a_name_and_keeps_the_value_exactly() {
        assert_eq!(parse_env("A=b=c ").unwrap(), "A=b=c ");
        assert_eq!(parse_env("EMPTY=").unwrap(), "EMPTY=");
        assert!(parse_env("NOVALUE").unwrap_err().contains("NOVALUE=VALUE"));
        assert!(parse_env("=x").is_err());
        assert!(parse_env("A B=1").is_err());
        assert!(
            parse_env_list(&v(&["A=1", "A=2"]))
                .unwrap_err()
                .contains("A is set twice")
        );
    }

    #[test]
    fn labels_allow_an_empty_value() {
        assert_eq!(
            parse_label("a.b=c=d").unwrap(),
            ("a.b".into(), "c=d".into())
        );
        assert_eq!(parse_label("flag").unwrap(), ("flag".into(), "".into()));
        assert!(parse_label("=x").is_err());
        assert!(parse_labels(&v(&["a=1", "a=2"])).is_err());
    }

    #[test]
    fn constraints_use_known_keys() {
        assert_eq!(
            parse_constraint("node.role==manager").unwrap(),
            "node.role==manager"
        );
        assert_eq!(
            parse_constraint(" node.labels.zone != eu ").unwrap(),
            "node.labels.zone != eu"
        );
        assert!(parse_constraint("engine.labels.ssd==true").is_ok());
        assert!(
            parse_constraint("node.role=manager")
                .unwrap_err()
                .contains("KEY==VALUE")
        );
        assert!(
            parse_constraint("node.colour==red")
                .unwrap_err()
                .contains("not a constraint key")
        );
        assert!(parse_constraint("node.role==boss").is_err());
        assert!(parse_constraint("node.labels.==x").is_err());
        assert!(parse_constraint("node.hostname==").is_err());
    }
}
