//! `-p`/`--publish`: the short syntax (`8080:80`, ranges, `/udp`) and the long one
//! (`published=8080,target=80,mode=host`), and back.

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
};

use super::csv_fields;

/// `-p` in the short syntax (`8080:80`, `80`, `8080:80/udp`, `8000-8001:80-81`) or the long
/// one (`published=8080,target=80,protocol=udp,mode=host`). Short entries publish through the
/// ingress routing mesh, like the CLI.
pub fn parse_port(line: &str) -> Result<Vec<EndpointPortConfig>, String> {
    let line = line.trim();
    if line.contains('=') {
        return parse_port_long(line).map(|p| vec![p]);
    }
    let (ports, proto) = match line.split_once('/') {
        Some((p, proto)) => (p, parse_protocol(proto)?),
        None => (line, EndpointPortConfigProtocolEnum::TCP),
    };
    let parts: Vec<&str> = ports.split(':').collect();
    let (published, target) = match parts.as_slice() {
        [t] => (None, *t),
        [p, t] => (Some(*p), *t),
        [_, _, _] => {
            return Err(format!(
                "{line:?}: swarm services cannot publish on one host address; write PUBLISHED:TARGET"
            ));
        }
        _ => {
            return Err(format!(
                "{line:?} is not a port: write PUBLISHED:TARGET, e.g. 8080:80"
            ));
        }
    };
    let targets = port_range(target, line)?;
    let published = match published {
        Some(p) if !p.is_empty() => Some(port_range(p, line)?),
        Some(_) => return Err(format!("{line:?} has no published port before ':'")),
        None => None,
    };
    if let Some(p) = &published
        && p.len() != targets.len()
    {
        return Err(format!(
            "{line:?}: the published range and the target range must have the same length"
        ));
    }
    Ok(targets
        .iter()
        .enumerate()
        .map(|(i, t)| EndpointPortConfig {
            name: None,
            protocol: Some(proto),
            target_port: Some(i64::from(*t)),
            published_port: published.as_ref().map(|p| i64::from(p[i])),
            publish_mode: Some(EndpointPortConfigPublishModeEnum::INGRESS),
        })
        .collect())
}

fn parse_port_long(line: &str) -> Result<EndpointPortConfig, String> {
    let mut p = EndpointPortConfig {
        name: None,
        protocol: Some(EndpointPortConfigProtocolEnum::TCP),
        target_port: None,
        published_port: None,
        publish_mode: Some(EndpointPortConfigPublishModeEnum::INGRESS),
    };
    for field in csv_fields(line)? {
        let Some((k, v)) = field.split_once('=') else {
            return Err(format!("{line:?}: {field:?} needs a value (KEY=VALUE)"));
        };
        match k.trim().to_lowercase().as_str() {
            "target" => p.target_port = Some(i64::from(port_number(v, line)?)),
            "published" => p.published_port = Some(i64::from(port_number(v, line)?)),
            "protocol" => p.protocol = Some(parse_protocol(v)?),
            "mode" => {
                p.publish_mode = Some(match v.trim().to_lowercase().as_str() {
                    "ingress" => EndpointPortConfigPublishModeEnum::INGRESS,
                    "host" => EndpointPortConfigPublishModeEnum::HOST,
                    other => {
                        return Err(format!("{line:?}: mode is ingress or host, not {other:?}"));
                    }
                })
            }
            "name" => p.name = Some(v.trim().to_string()).filter(|n| !n.is_empty()),
            other => {
                return Err(format!(
                    "{line:?}: unknown port option {other:?} (use target, published, protocol, mode)"
                ));
            }
        }
    }
    if p.target_port.is_none() {
        return Err(format!("{line:?} has no target port (target=PORT)"));
    }
    Ok(p)
}

fn parse_protocol(s: &str) -> Result<EndpointPortConfigProtocolEnum, String> {
    match s.trim().to_lowercase().as_str() {
        "tcp" => Ok(EndpointPortConfigProtocolEnum::TCP),
        "udp" => Ok(EndpointPortConfigProtocolEnum::UDP),
        "sctp" => Ok(EndpointPortConfigProtocolEnum::SCTP),
        other => Err(format!("the protocol is tcp, udp or sctp, not {other:?}")),
    }
}

fn port_number(s: &str, line: &str) -> Result<u16, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        _ => Err(format!("{line:?}: {s:?} is not a port number (1-65535)")),
    }
}

fn port_range(s: &str, line: &str) -> Result<Vec<u16>, String> {
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (port_number(a, line)?, port_number(b, line)?);
            if a > b {
                return Err(format!("{line:?}: the range {s} runs backwards"));
            }
            Ok((a..=b).collect())
        }
        None => Ok(vec![port_number(s, line)?]),
    }
}

pub fn parse_ports(lines: &[String]) -> Result<Vec<EndpointPortConfig>, String> {
    let mut out: Vec<EndpointPortConfig> = Vec::new();
    for l in lines {
        for p in parse_port(l)? {
            if let Some(published) = p.published_port
                && out.iter().any(|q| {
                    q.published_port == Some(published)
                        && q.protocol == p.protocol
                        && q.publish_mode == p.publish_mode
                })
            {
                return Err(format!(
                    "port {published}/{} is published twice",
                    protocol_name(p.protocol)
                ));
            }
            out.push(p);
        }
    }
    Ok(out)
}

fn protocol_name(p: Option<EndpointPortConfigProtocolEnum>) -> &'static str {
    match p {
        Some(EndpointPortConfigProtocolEnum::UDP) => "udp",
        Some(EndpointPortConfigProtocolEnum::SCTP) => "sctp",
        _ => "tcp",
    }
}

/// A port as the user would type it: short syntax for ingress ports, long for the rest.
pub fn format_port(p: &EndpointPortConfig) -> String {
    let proto = protocol_name(p.protocol);
    let host = p.publish_mode == Some(EndpointPortConfigPublishModeEnum::HOST);
    let target = p.target_port.unwrap_or(0);
    if host || p.name.is_some() {
        let mut parts = Vec::new();
        if let Some(n) = &p.name {
            parts.push(format!("name={n}"));
        }
        if let Some(pp) = p.published_port.filter(|x| *x > 0) {
            parts.push(format!("published={pp}"));
        }
        parts.push(format!("target={target}"));
        parts.push(format!("protocol={proto}"));
        parts.push(format!("mode={}", if host { "host" } else { "ingress" }));
        return parts.join(",");
    }
    let suffix = if proto == "tcp" {
        String::new()
    } else {
        format!("/{proto}")
    };
    match p.published_port.filter(|x| *x > 0) {
        Some(pp) => format!("{pp}:{target}{suffix}"),
        None => format!("{target}{suffix}"),
    }
}

/// For tables: `8080→80/tcp`, `*→80/tcp` when swarm picks the port, `(host)` for host mode.
pub fn describe_port(p: &EndpointPortConfig) -> String {
    let published = p
        .published_port
        .filter(|x| *x > 0)
        .map(|x| x.to_string())
        .unwrap_or_else(|| "*".into());
    let host = if p.publish_mode == Some(EndpointPortConfigPublishModeEnum::HOST) {
        " (host)"
    } else {
        ""
    };
    format!(
        "{published}→{}/{}{host}",
        p.target_port.unwrap_or(0),
        protocol_name(p.protocol)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn short_ports_publish_through_ingress_like_the_cli() {
        let p = parse_port("80:8080").unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].published_port, Some(80));
        assert_eq!(p[0].target_port, Some(8080));
        assert_eq!(p[0].protocol, Some(EndpointPortConfigProtocolEnum::TCP));
        assert_eq!(
            p[0].publish_mode,
            Some(EndpointPortConfigPublishModeEnum::INGRESS)
        );
        let only = parse_port("53/udp").unwrap();
        assert_eq!(only[0].published_port, None);
        assert_eq!(only[0].protocol, Some(EndpointPortConfigProtocolEnum::UDP));
        let range = parse_port("8000-8002:80-82").unwrap();
        assert_eq!(range.len(), 3);
        assert_eq!(
            (range[2].published_port, range[2].target_port),
            (Some(8002), Some(82))
        );
    }

    #[test]
    fn long_ports_support_host_mode() {
        let p = parse_port("published=8080,target=80,mode=host").unwrap();
        assert_eq!(
            p[0].publish_mode,
            Some(EndpointPortConfigPublishModeEnum::HOST)
        );
        assert_eq!(
            format_port(&p[0]),
            "published=8080,target=80,protocol=tcp,mode=host"
        );
        assert!(
            parse_port("published=8080")
                .unwrap_err()
                .contains("no target")
        );
        assert!(parse_port("target=80,mode=bridge").is_err());
        assert!(parse_port("target=80,colour=red").is_err());
    }

    #[test]
    fn bad_ports_are_refused_with_a_reason() {
        assert!(
            parse_port("80:http")
                .unwrap_err()
                .contains("not a port number")
        );
        assert!(parse_port("0:80").is_err());
        assert!(parse_port("70000:80").is_err());
        assert!(
            parse_port("127.0.0.1:80:80")
                .unwrap_err()
                .contains("host address")
        );
        assert!(
            parse_port("8000-8001:80")
                .unwrap_err()
                .contains("same length")
        );
        assert!(
            parse_port("80/icmp")
                .unwrap_err()
                .contains("tcp, udp or sctp")
        );
        assert!(
            parse_ports(&v(&["80:80", "80:81"]))
                .unwrap_err()
                .contains("twice")
        );
    }

    #[test]
    fn ports_format_back_to_what_parses_to_them() {
        for s in [
            "8080:80",
            "80",
            "5353:53/udp",
            "published=9000,target=90,protocol=tcp,mode=host",
        ] {
            let p = parse_port(s).unwrap();
            assert_eq!(format_port(&p[0]), s);
            assert_eq!(parse_port(&format_port(&p[0])).unwrap(), p);
        }
        assert_eq!(describe_port(&parse_port("80").unwrap()[0]), "*→80/tcp");
    }
}
