//! `--network`: a name, or `name=…,alias=…,driver-opt=…`.

use std::collections::HashMap;

use bollard::models::NetworkAttachmentConfig;

use super::csv_fields;

/// `--network NAME` or `--network name=NAME,alias=A,driver-opt=K=V`.
pub fn parse_network(line: &str) -> Result<NetworkAttachmentConfig, String> {
    let line = line.trim();
    let mut n = NetworkAttachmentConfig::default();
    if !line.contains('=') {
        check_network_name(line)?;
        n.target = Some(line.to_string());
        return Ok(n);
    }
    for field in csv_fields(line)? {
        let Some((k, v)) = field.split_once('=') else {
            return Err(format!("{line:?}: {field:?} needs a value (KEY=VALUE)"));
        };
        match k.trim() {
            "name" | "target" => {
                check_network_name(v)?;
                n.target = Some(v.to_string());
            }
            "alias" => n.aliases.get_or_insert_with(Vec::new).push(v.to_string()),
            "driver-opt" => {
                let (ok, ov) = v
                    .split_once('=')
                    .ok_or_else(|| format!("{line:?}: driver-opt is driver-opt=KEY=VALUE"))?;
                n.driver_opts
                    .get_or_insert_with(HashMap::new)
                    .insert(ok.to_string(), ov.to_string());
            }
            other => {
                return Err(format!(
                    "{line:?}: unknown network option {other:?} (use name, alias, driver-opt)"
                ));
            }
        }
    }
    if n.target.is_none() {
        return Err(format!("{line:?} has no network name (name=NETWORK)"));
    }
    Ok(n)
}

fn check_network_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        return Err(format!("{name:?} is not a network name"));
    }
    Ok(())
}

pub fn parse_networks(lines: &[String]) -> Result<Vec<NetworkAttachmentConfig>, String> {
    let nets: Vec<NetworkAttachmentConfig> = lines
        .iter()
        .map(|l| parse_network(l))
        .collect::<Result<_, _>>()?;
    for (i, n) in nets.iter().enumerate() {
        if nets[..i].iter().any(|o| o.target == n.target) {
            return Err(format!(
                "the network {} is given twice",
                n.target.as_deref().unwrap_or_default()
            ));
        }
    }
    Ok(nets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn networks_short_and_long() {
        assert_eq!(
            parse_network("backend").unwrap().target.as_deref(),
            Some("backend")
        );
        let n = parse_network("name=front,alias=web,alias=www,driver-opt=a=b").unwrap();
        assert_eq!(n.aliases.unwrap(), v(&["web", "www"]));
        assert_eq!(n.driver_opts.unwrap()["a"], "b");
        assert!(parse_network("alias=x").is_err());
        assert!(parse_network("bad name").is_err());
        assert!(parse_networks(&v(&["a", "a"])).is_err());
    }
}
