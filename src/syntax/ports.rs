//! Short port syntax, as parsed by `docker/go-connections/nat` (`ParsePortSpec`,
//! `ParsePortRange`) and expanded by `opts/swarmopts/port.go` `ConvertPortToPortConfig` — for
//! compose `ports:` (`cli/compose/loader/loader.go` `toServicePortConfigs`) and `docker service
//! create -p` alike — and every way berth shows a published port.
//!
//! `[ip:][published[-range]:]target[-range][/proto]`: each produced entry publishes through the
//! ingress mesh with an explicit protocol; a host IP other than the unspecified address is dropped
//! with the CLI's warning; entries are ordered by the string-sorted `port/proto` keys.

use std::net::IpAddr;

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
};

/// One published port of a short spec (its mode is always `ingress`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortPort {
    pub target: u32,
    /// `None` when the spec names none (swarm assigns one); `0` says the same to the engine.
    pub published: Option<u32>,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
}

/// Why a short port spec does not parse; displays the Go text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortError {
    /// A host IP that is not an address (`bracketed`: `[…` that does not close).
    Ip { ip: String, bracketed: bool },
    /// No container port (the whole spec).
    NoPort(String),
    /// The container port or range.
    ContainerPort(String),
    /// The published port or range.
    HostPort(String),
    /// A published range whose length differs from the container range's.
    Ranges { container: String, host: String },
    /// Not tcp, udp or sctp.
    Proto(String),
    /// A published range left over after expansion that does not parse.
    HostBinding { host: String, port: String },
}

impl std::fmt::Display for PortError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortError::Ip {
                ip,
                bracketed: true,
            } => write!(f, "invalid IP address {ip}"),
            PortError::Ip { ip, .. } => write!(f, "invalid IP address: {ip}"),
            PortError::NoPort(raw) => write!(f, "no port specified: {raw}<empty>"),
            PortError::ContainerPort(p) => write!(f, "invalid containerPort: {p}"),
            PortError::HostPort(p) => write!(f, "invalid hostPort: {p}"),
            PortError::Ranges { container, host } => write!(
                f,
                "invalid ranges specified for container and host Ports: {container} and {host}"
            ),
            PortError::Proto(p) => write!(f, "invalid proto: {p}"),
            PortError::HostBinding { host, port } => {
                write!(f, "invalid hostport binding ({host}) for port ({port})")
            }
        }
    }
}

impl std::error::Error for PortError {}

/// One mapping produced by `ParsePortSpec`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PortMapping {
    /// `"80/tcp"` or `"80-81/tcp"`.
    port: String,
    host_ip: String,
    host_port: String,
}

/// `nat.SplitProtoPort`.
fn split_proto_port(raw: &str) -> (String, String) {
    let parts: Vec<&str> = raw.split('/').collect();
    if raw.is_empty() || parts[0].is_empty() {
        return (String::new(), String::new());
    }
    if parts.len() == 1 {
        return ("tcp".into(), raw.into());
    }
    if parts[1].is_empty() {
        return ("tcp".into(), parts[0].into());
    }
    (parts[1].into(), parts[0].into())
}

/// `strconv.ParseUint(s, 10, 16)`.
fn parse_u16(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: u64 = s.parse().ok()?;
    (v <= 65535).then_some(v)
}

/// `nat.ParsePortRange`.
fn parse_port_range(ports: &str) -> Result<(u64, u64), String> {
    if ports.is_empty() {
        return Err("empty string specified for ports".into());
    }
    if !ports.contains('-') {
        let p = parse_u16(ports).ok_or_else(|| format!("invalid port: {ports}"))?;
        return Ok((p, p));
    }
    let parts: Vec<&str> = ports.split('-').collect();
    let start = parse_u16(parts[0]).ok_or_else(|| format!("invalid port: {ports}"))?;
    let end = parse_u16(parts.get(1).copied().unwrap_or(""))
        .ok_or_else(|| format!("invalid port: {ports}"))?;
    if end < start {
        return Err(format!("invalid range specified for port: {ports}"));
    }
    Ok((start, end))
}

/// `nat.splitParts`.
fn split_parts(raw: &str) -> (String, String, String) {
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    let container = parts[n - 1].to_string();
    match n {
        1 => (String::new(), String::new(), container),
        2 => (String::new(), parts[0].into(), container),
        3 => (parts[0].into(), parts[1].into(), container),
        _ => (parts[..n - 2].join(":"), parts[n - 2].into(), container),
    }
}

/// `nat.ParsePortSpec`: validates a short port spec (used by the schema's `ports` format).
pub fn parse_port_spec(raw: &str) -> Result<(), PortError> {
    parse_port_spec_mappings(raw).map(|_| ())
}

fn parse_port_spec_mappings(raw: &str) -> Result<Vec<PortMapping>, PortError> {
    let (mut ip, host_port, container) = split_parts(raw);
    let (proto, container) = split_proto_port(&container);
    if ip.starts_with('[') {
        // net.SplitHostPort(ip + ":")
        match ip.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            Some(inner) if !inner.contains(['[', ']']) => ip = inner.to_string(),
            _ => {
                return Err(PortError::Ip {
                    ip,
                    bracketed: true,
                });
            }
        }
    }
    if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
        return Err(PortError::Ip {
            ip,
            bracketed: false,
        });
    }
    if container.is_empty() {
        return Err(PortError::NoPort(raw.to_string()));
    }
    let (start, end) =
        parse_port_range(&container).map_err(|_| PortError::ContainerPort(container.clone()))?;
    let (mut hstart, mut hend) = (0, 0);
    if !host_port.is_empty() {
        (hstart, hend) =
            parse_port_range(&host_port).map_err(|_| PortError::HostPort(host_port.clone()))?;
    }
    if !host_port.is_empty() && (end - start) != hend.wrapping_sub(hstart) && end != start {
        return Err(PortError::Ranges {
            container,
            host: host_port,
        });
    }
    let proto_l = proto.to_lowercase();
    if !matches!(proto_l.as_str(), "tcp" | "udp" | "sctp") {
        return Err(PortError::Proto(proto));
    }
    let mut out = Vec::new();
    for i in 0..=(end - start) {
        let cport = start + i;
        let mut hp = String::new();
        if !host_port.is_empty() {
            hp = (hstart + i).to_string();
        }
        if start == end && hstart != hend {
            hp = format!("{hp}-{hend}");
        }
        out.push(PortMapping {
            port: format!("{cport}/{proto_l}"),
            host_ip: ip.clone(),
            host_port: hp,
        });
    }
    Ok(out)
}

/// Expands one short-syntax port (`ConvertPortToPortConfig` over `ParsePortSpec`), adding the
/// CLI's logrus warnings for ignored host IPs to `warnings`.
pub fn expand_short(raw: &str, warnings: &mut Vec<String>) -> Result<Vec<ShortPort>, PortError> {
    let mappings = parse_port_spec_mappings(raw)?;
    // group bindings by port key, then iterate keys in string order
    let mut keys: Vec<String> = Vec::new();
    for m in &mappings {
        if !keys.contains(&m.port) {
            keys.push(m.port.clone());
        }
    }
    keys.sort();
    let mut out = Vec::new();
    for key in keys {
        let (port_num, proto) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
        let target: u32 = port_num.parse().unwrap_or(0);
        for b in mappings.iter().filter(|m| m.port == key) {
            if let Ok(ip) = b.host_ip.parse::<IpAddr>()
                && !ip.is_unspecified()
            {
                let joined = if b.host_ip.contains(':') {
                    format!("[{}]:{}", b.host_ip, b.host_port)
                } else {
                    format!("{}:{}", b.host_ip, b.host_port)
                };
                warnings.push(format!(
                    "ignoring IP-address ({joined}:{key}) service will listen on '0.0.0.0'"
                ));
            }
            if b.host_port.is_empty() {
                out.push(ShortPort {
                    target,
                    published: None,
                    protocol: proto.to_string(),
                });
                continue;
            }
            let (s, e) = parse_port_range(&b.host_port).map_err(|_| PortError::HostBinding {
                host: b.host_port.clone(),
                port: port_num.to_string(),
            })?;
            for p in s..=e {
                out.push(ShortPort {
                    target,
                    published: Some(p as u32),
                    protocol: proto.to_string(),
                });
            }
        }
    }
    Ok(out)
}

/// A protocol as written (`tcp`, `UDP`, …); `None` for one the engine does not know.
pub fn protocol(s: &str) -> Option<EndpointPortConfigProtocolEnum> {
    match s.to_lowercase().as_str() {
        "tcp" => Some(EndpointPortConfigProtocolEnum::TCP),
        "udp" => Some(EndpointPortConfigProtocolEnum::UDP),
        "sctp" => Some(EndpointPortConfigProtocolEnum::SCTP),
        _ => None,
    }
}

/// A publish mode as written (`ingress`, `host`); `None` for one the engine does not know.
pub fn publish_mode(s: &str) -> Option<EndpointPortConfigPublishModeEnum> {
    match s.to_lowercase().as_str() {
        "ingress" => Some(EndpointPortConfigPublishModeEnum::INGRESS),
        "host" => Some(EndpointPortConfigPublishModeEnum::HOST),
        _ => None,
    }
}

// ---- showing ports ------------------------------------------------------------------------------

/// The protocol's name, `tcp` when unset (the engine's default).
pub fn protocol_name(p: Option<EndpointPortConfigProtocolEnum>) -> &'static str {
    match p {
        Some(EndpointPortConfigProtocolEnum::UDP) => "udp",
        Some(EndpointPortConfigProtocolEnum::SCTP) => "sctp",
        _ => "tcp",
    }
}

fn published(p: &EndpointPortConfig) -> Option<i64> {
    p.published_port.filter(|x| *x > 0)
}

fn is_host(p: &EndpointPortConfig) -> bool {
    p.publish_mode == Some(EndpointPortConfigPublishModeEnum::HOST)
}

/// A port as the user would type it for `-p`: short syntax for ingress ports, long for the rest.
pub fn format_port(p: &EndpointPortConfig) -> String {
    let proto = protocol_name(p.protocol);
    let host = is_host(p);
    let target = p.target_port.unwrap_or(0);
    if host || p.name.is_some() {
        let mut parts = Vec::new();
        if let Some(n) = &p.name {
            parts.push(format!("name={n}"));
        }
        if let Some(pp) = published(p) {
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
    match published(p) {
        Some(pp) => format!("{pp}:{target}{suffix}"),
        None => format!("{target}{suffix}"),
    }
}

/// For berth's tables: `8080→80/tcp`, `*→80/tcp` when swarm picks the port, `(host)` for host mode.
pub fn describe_port(p: &EndpointPortConfig) -> String {
    let shown = published(p).map_or_else(|| "*".into(), |x| x.to_string());
    let host = if is_host(p) { " (host)" } else { "" };
    format!(
        "{shown}→{}/{}{host}",
        p.target_port.unwrap_or(0),
        protocol_name(p.protocol)
    )
}

/// A task's port binding as `docker service ps`/`docker ps` show it: `8080->80/tcp`.
pub fn binding(p: &EndpointPortConfig) -> String {
    format!(
        "{}->{}/{}",
        p.published_port.unwrap_or(0),
        p.target_port.unwrap_or(0),
        protocol_name(p.protocol)
    )
}

/// A service port as `docker stack services` shows it: `*:8080->80/tcp`.
pub fn listing(p: &EndpointPortConfig) -> String {
    format!("*:{}", binding(p))
}

/// A port's identity in a spec diff, whatever its mode: `8080:80/tcp`, `53/udp` (none published).
pub fn key(published: u64, target: u64, protocol: &str) -> String {
    match published {
        0 => format!("{target}/{protocol}"),
        p => format!("{p}:{target}/{protocol}"),
    }
}

/// The mode's name: `host` or `ingress` (the engine's default).
pub fn mode_name(p: &EndpointPortConfig) -> &'static str {
    if is_host(p) { "host" } else { "ingress" }
}

#[cfg(test)]
mod tests;
