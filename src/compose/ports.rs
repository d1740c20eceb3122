//! Short port syntax, as parsed by `docker/go-connections/nat` (`ParsePortSpec`,
//! `ParsePortRange`) and expanded by `opts/swarmopts/port.go` `ConvertPortToPortConfig` via
//! `cli/compose/loader/loader.go` `toServicePortConfigs`.
//!
//! `[ip:][published[-range]:]target[-range][/proto]`: each produced entry has `mode: ingress`
//! and an explicit protocol; a host IP other than the unspecified address is dropped with the
//! CLI's warning; entries are ordered by the string-sorted `port/proto` keys.

use std::net::IpAddr;

use super::types::ServicePortConfig;

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
pub fn parse_port_spec(raw: &str) -> Result<(), String> {
    parse_port_spec_mappings(raw).map(|_| ())
}

fn parse_port_spec_mappings(raw: &str) -> Result<Vec<PortMapping>, String> {
    let (mut ip, host_port, container) = split_parts(raw);
    let (proto, container) = split_proto_port(&container);
    if ip.starts_with('[') {
        // net.SplitHostPort(ip + ":")
        match ip.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            Some(inner) if !inner.contains(['[', ']']) => ip = inner.to_string(),
            _ => return Err(format!("invalid IP address {ip}")),
        }
    }
    if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    if container.is_empty() {
        return Err(format!("no port specified: {raw}<empty>"));
    }
    let (start, end) =
        parse_port_range(&container).map_err(|_| format!("invalid containerPort: {container}"))?;
    let (mut hstart, mut hend) = (0, 0);
    if !host_port.is_empty() {
        (hstart, hend) =
            parse_port_range(&host_port).map_err(|_| format!("invalid hostPort: {host_port}"))?;
    }
    if !host_port.is_empty() && (end - start) != hend.wrapping_sub(hstart) && end != start {
        return Err(format!(
            "invalid ranges specified for container and host Ports: {container} and {host_port}"
        ));
    }
    let proto_l = proto.to_lowercase();
    if !matches!(proto_l.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
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

/// Expands one short-syntax port into port configs (`toServicePortConfigs`), returning the
/// CLI's logrus warnings for ignored host IPs as well.
pub fn to_service_port_configs(
    raw: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<ServicePortConfig>, String> {
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
            let (s, e) = match parse_port_range(&b.host_port) {
                Ok(r) => r,
                Err(_) if b.host_port.is_empty() => (0, 0),
                Err(_) => {
                    return Err(format!(
                        "invalid hostport binding ({}) for port ({port_num})",
                        b.host_port
                    ));
                }
            };
            for p in s..=e {
                out.push(ServicePortConfig {
                    mode: "ingress".into(),
                    target,
                    published: p as u32,
                    protocol: proto.to_string(),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
