//! `-p`/`--publish`: the short syntax (`8080:80`, ranges, `/udp`), read by the CLI's own parser
//! ([`crate::syntax::ports`]), and the long one (`published=8080,target=80,mode=host`). The form
//! is stricter than the CLI where the CLI would only warn: a host address (which swarm ignores)
//! and port 0 are refused with a reason.

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
};

use super::csv_fields;
use crate::syntax::ports::{self as syntax, PortError};

pub use crate::syntax::ports::{describe_port, format_port};

/// `-p` in the short syntax (`8080:80`, `80`, `8080:80/udp`, `8000-8001:80-81`, `8000-8001:80`)
/// or the long one (`published=8080,target=80,protocol=udp,mode=host`). Short entries publish
/// through the ingress routing mesh, like the CLI.
pub fn parse_port(line: &str) -> Result<Vec<EndpointPortConfig>, String> {
    let line = line.trim();
    if line.contains('=') {
        return parse_port_long(line).map(|p| vec![p]);
    }
    let mut ignored_ips = Vec::new();
    let ports = syntax::expand_short(line, &mut ignored_ips).map_err(|e| short_error(line, e))?;
    if !ignored_ips.is_empty() {
        return Err(format!(
            "{line:?}: swarm services cannot publish on one host address; write PUBLISHED:TARGET"
        ));
    }
    ports
        .into_iter()
        .map(|p| {
            if p.target == 0 || p.published == Some(0) {
                return Err(format!("{line:?}: 0 is not a port number (1-65535)"));
            }
            Ok(EndpointPortConfig {
                name: None,
                protocol: syntax::protocol(&p.protocol),
                target_port: Some(i64::from(p.target)),
                published_port: p.published.map(i64::from),
                publish_mode: Some(EndpointPortConfigPublishModeEnum::INGRESS),
            })
        })
        .collect()
}

/// The form's sentence for each of the parser's errors.
fn short_error(line: &str, e: PortError) -> String {
    let not_a_port = |p: &str| {
        if p.contains('-') {
            format!("{line:?}: {p:?} is not a port range (LOW-HIGH, each 1-65535)")
        } else {
            format!("{line:?}: {p:?} is not a port number (1-65535)")
        }
    };
    match e {
        PortError::Ip { .. } => format!(
            "{line:?}: swarm services cannot publish on one host address; write PUBLISHED:TARGET"
        ),
        PortError::NoPort(_) => {
            format!("{line:?} is not a port: write PUBLISHED:TARGET, e.g. 8080:80")
        }
        PortError::ContainerPort(p) | PortError::HostPort(p) => not_a_port(&p),
        PortError::HostBinding { host, .. } => not_a_port(&host),
        PortError::Ranges { .. } => {
            format!("{line:?}: the published range and the target range must have the same length")
        }
        PortError::Proto(p) => protocol_error(&p),
    }
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
                p.publish_mode = Some(syntax::publish_mode(v.trim()).ok_or_else(|| {
                    format!(
                        "{line:?}: mode is ingress or host, not {:?}",
                        v.trim().to_lowercase()
                    )
                })?)
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
    syntax::protocol(s.trim()).ok_or_else(|| protocol_error(s))
}

fn protocol_error(s: &str) -> String {
    format!(
        "the protocol is tcp, udp or sctp, not {:?}",
        s.trim().to_lowercase()
    )
}

fn port_number(s: &str, line: &str) -> Result<u16, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        _ => Err(format!("{line:?}: {s:?} is not a port number (1-65535)")),
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
                    syntax::protocol_name(p.protocol)
                ));
            }
            out.push(p);
        }
    }
    Ok(out)
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
    fn short_ports_read_like_the_cli_and_compose() {
        // `docker service create -p 8000-8001:80` publishes 80 twice; the form used to refuse it
        let p = parse_port("8000-8001:80").unwrap();
        let pairs: Vec<_> = p
            .iter()
            .map(|p| (p.published_port, p.target_port))
            .collect();
        assert_eq!(pairs, [(Some(8000), Some(80)), (Some(8001), Some(80))]);
        assert_eq!(
            parse_port("8080:80/UDP").unwrap()[0].protocol,
            Some(EndpointPortConfigProtocolEnum::UDP)
        );
        // the unspecified address is what swarm listens on anyway
        assert_eq!(
            parse_port("0.0.0.0:8080:80").unwrap(),
            parse_port("8080:80").unwrap()
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
            parse_port("8000-8001:80-82")
                .unwrap_err()
                .contains("same length")
        );
        assert!(
            parse_port("81-80:80")
                .unwrap_err()
                .contains("not a port range")
        );
        assert!(parse_port("80:0").is_err());
        assert!(parse_port("").unwrap_err().contains("not a port"));
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
