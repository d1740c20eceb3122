//! The syntax of `docker service create` flags, parsed into engine types and formatted back:
//! `-e`, `-p`, `--mount`, `--network`, `--constraint`, `--label`, resources, durations, the
//! command line. Pure functions: no I/O, every rule tested below.

use std::collections::HashMap;

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum, Mount,
    MountBindOptions, MountBindOptionsPropagationEnum, MountTmpfsOptions, MountType,
    MountVolumeOptions, MountVolumeOptionsDriverConfig, NetworkAttachmentConfig,
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

// ---- ports ----------------------------------------------------------------------------------------

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

// ---- mounts ---------------------------------------------------------------------------------------

/// `--mount type=volume,source=data,target=/data,readonly` and friends (volume, bind, tmpfs).
pub fn parse_mount(line: &str) -> Result<Mount, String> {
    let line = line.trim();
    let mut m = Mount {
        typ: Some(MountType::VOLUME),
        ..Default::default()
    };
    let mut volume: Option<MountVolumeOptions> = None;
    let mut bind: Option<MountBindOptions> = None;
    let mut tmpfs: Option<MountTmpfsOptions> = None;
    let mut kind_options: Vec<(&'static str, String)> = Vec::new();
    for field in csv_fields(line)? {
        let (k, v) = match field.split_once('=') {
            Some((k, v)) => (k.trim().to_lowercase(), Some(v.to_string())),
            None => (field.trim().to_lowercase(), None),
        };
        let need =
            |v: Option<String>| v.ok_or_else(|| format!("{line:?}: {k} needs a value ({k}=…)"));
        match k.as_str() {
            "type" => {
                m.typ = Some(match need(v)?.trim() {
                    "volume" => MountType::VOLUME,
                    "bind" => MountType::BIND,
                    "tmpfs" => MountType::TMPFS,
                    "npipe" => MountType::NPIPE,
                    other => {
                        return Err(format!(
                            "{line:?}: the mount type is volume, bind or tmpfs, not {other:?}"
                        ));
                    }
                })
            }
            "source" | "src" => m.source = Some(need(v)?),
            "target" | "destination" | "dst" => m.target = Some(need(v)?),
            "readonly" | "ro" => m.read_only = Some(parse_bool(v.as_deref(), line, &k)?),
            "consistency" => m.consistency = Some(need(v)?),
            "bind-propagation" => {
                let p = match need(v)?.trim() {
                    "private" => MountBindOptionsPropagationEnum::PRIVATE,
                    "rprivate" => MountBindOptionsPropagationEnum::RPRIVATE,
                    "shared" => MountBindOptionsPropagationEnum::SHARED,
                    "rshared" => MountBindOptionsPropagationEnum::RSHARED,
                    "slave" => MountBindOptionsPropagationEnum::SLAVE,
                    "rslave" => MountBindOptionsPropagationEnum::RSLAVE,
                    other => {
                        return Err(format!("{line:?}: unknown bind propagation {other:?}"));
                    }
                };
                bind.get_or_insert_with(Default::default).propagation = Some(p);
                kind_options.push(("bind", k.clone()));
            }
            "bind-nonrecursive" => {
                bind.get_or_insert_with(Default::default).non_recursive =
                    Some(parse_bool(v.as_deref(), line, &k)?);
                kind_options.push(("bind", k.clone()));
            }
            "volume-nocopy" => {
                volume.get_or_insert_with(Default::default).no_copy =
                    Some(parse_bool(v.as_deref(), line, &k)?);
                kind_options.push(("volume", k.clone()));
            }
            "volume-driver" => {
                let vo = volume.get_or_insert_with(Default::default);
                vo.driver_config
                    .get_or_insert_with(MountVolumeOptionsDriverConfig::default)
                    .name = Some(need(v)?);
                kind_options.push(("volume", k.clone()));
            }
            "volume-label" => {
                let (lk, lv) = parse_label(&need(v)?)?;
                volume
                    .get_or_insert_with(Default::default)
                    .labels
                    .get_or_insert_with(HashMap::new)
                    .insert(lk, lv);
                kind_options.push(("volume", k.clone()));
            }
            "volume-opt" => {
                let raw = need(v)?;
                let (ok, ov) = raw
                    .split_once('=')
                    .ok_or_else(|| format!("{line:?}: volume-opt is volume-opt=KEY=VALUE"))?;
                let vo = volume.get_or_insert_with(Default::default);
                vo.driver_config
                    .get_or_insert_with(MountVolumeOptionsDriverConfig::default)
                    .options
                    .get_or_insert_with(HashMap::new)
                    .insert(ok.to_string(), ov.to_string());
                kind_options.push(("volume", k.clone()));
            }
            "tmpfs-size" => {
                tmpfs.get_or_insert_with(Default::default).size_bytes =
                    Some(parse_bytes(&need(v)?)?);
                kind_options.push(("tmpfs", k.clone()));
            }
            "tmpfs-mode" => {
                let raw = need(v)?;
                let mode = i64::from_str_radix(raw.trim(), 8)
                    .map_err(|_| format!("{line:?}: tmpfs-mode is an octal mode like 1777"))?;
                tmpfs.get_or_insert_with(Default::default).mode = Some(mode);
                kind_options.push(("tmpfs", k.clone()));
            }
            other => {
                return Err(format!(
                    "{line:?}: unknown mount option {other:?} (use type, source, target, readonly, \
                     bind-propagation, volume-driver, volume-label, volume-opt, volume-nocopy, \
                     tmpfs-size, tmpfs-mode)"
                ));
            }
        }
    }
    let kind = match m.typ {
        Some(MountType::BIND) => "bind",
        Some(MountType::TMPFS) => "tmpfs",
        Some(MountType::NPIPE) => "npipe",
        _ => "volume",
    };
    if let Some((k, opt)) = kind_options.iter().find(|(k, _)| *k != kind) {
        return Err(format!(
            "{line:?}: {opt} is a {k} option and cannot be used with a {kind} mount"
        ));
    }
    let target = m.target.clone().unwrap_or_default();
    if target.is_empty() {
        return Err(format!(
            "{line:?} has no target (target=/path/in/container)"
        ));
    }
    if !target.starts_with('/') {
        return Err(format!(
            "{line:?}: the target {target:?} must be an absolute path"
        ));
    }
    match kind {
        "bind" => match m.source.as_deref() {
            Some(s) if s.starts_with('/') => {}
            Some(s) => {
                return Err(format!(
                    "{line:?}: a bind mount's source {s:?} must be an absolute path on the node"
                ));
            }
            None => {
                return Err(format!(
                    "{line:?}: a bind mount needs a source=/path/on/node"
                ));
            }
        },
        "tmpfs" if m.source.is_some() => {
            return Err(format!("{line:?}: a tmpfs mount has no source"));
        }
        _ => {}
    }
    m.volume_options = volume;
    m.bind_options = bind;
    m.tmpfs_options = tmpfs;
    Ok(m)
}

pub fn parse_mounts(lines: &[String]) -> Result<Vec<Mount>, String> {
    let mounts: Vec<Mount> = lines
        .iter()
        .map(|l| parse_mount(l))
        .collect::<Result<_, _>>()?;
    for (i, m) in mounts.iter().enumerate() {
        if mounts[..i].iter().any(|o| o.target == m.target) {
            return Err(format!(
                "two mounts use the target {}",
                m.target.as_deref().unwrap_or_default()
            ));
        }
    }
    Ok(mounts)
}

fn parse_bool(v: Option<&str>, line: &str, key: &str) -> Result<bool, String> {
    match v.map(|s| s.trim().to_lowercase()).as_deref() {
        None | Some("true") | Some("1") | Some("yes") => Ok(true),
        Some("false") | Some("0") | Some("no") => Ok(false),
        Some(other) => Err(format!("{line:?}: {key} is true or false, not {other:?}")),
    }
}

/// `a,b,"c=d,e"`: comma-separated fields, double quotes protect commas (as encoding/csv).
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
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

// ---- networks -------------------------------------------------------------------------------------

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

// ---- resources and durations -------------------------------------------------------------------

/// `0.5` CPUs → 500 000 000 nano-CPUs, exactly (no floating point).
pub fn parse_cpus(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let bad = || format!("{s:?} is not a number of CPUs (e.g. 0.5 or 2)");
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    if frac.len() > 9 {
        return Err(format!("{s:?} is more precise than a billionth of a CPU"));
    }
    let int: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad())?
    };
    let frac_n: i64 = format!("{frac:0<9}").parse().map_err(|_| bad())?;
    let n = int
        .checked_mul(1_000_000_000)
        .and_then(|x| x.checked_add(frac_n))
        .ok_or_else(bad)?;
    if n == 0 {
        return Err("0 CPUs: leave the field empty for no limit".into());
    }
    Ok(n)
}

pub fn format_cpus(nano: i64) -> String {
    let int = nano / 1_000_000_000;
    let frac = nano % 1_000_000_000;
    if frac == 0 {
        int.to_string()
    } else {
        format!("{int}.{}", format!("{frac:09}").trim_end_matches('0'))
    }
}

/// `256M`, `1.5g`, `512MiB`, `1048576`: binary units like the CLI's `--limit-memory`.
pub fn parse_bytes(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let bad = || format!("{t:?} is not a size (e.g. 256M, 1.5G, 512MiB)");
    let num_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(num_end);
    if num.is_empty() || num.starts_with('.') || num.ends_with('.') || num.matches('.').count() > 1
    {
        return Err(bad());
    }
    let unit = unit.trim().to_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let mult: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024f64.powi(4),
        "p" => 1024f64.powi(5),
        _ => return Err(bad()),
    };
    let v: f64 = num.parse().map_err(|_| bad())?;
    let bytes = (v * mult).round();
    if !(1.0..9.0e18).contains(&bytes) {
        return Err(bad());
    }
    Ok(bytes as i64)
}

/// The exact size in the largest binary unit that divides it: `64MiB`, `1536KiB`, `1000B`.
pub fn format_bytes(n: i64) -> String {
    const UNITS: [(&str, i64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    for (u, m) in UNITS {
        if n >= m && n % m == 0 {
            return format!("{}{u}", n / m);
        }
    }
    format!("{n}B")
}

/// Go-style durations, as the CLI takes them: `5s`, `1m30s`, `500ms`, `1h`.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let bad = || format!("{t:?} is not a duration (e.g. 5s, 1m30s, 500ms)");
    if t == "0" {
        return Ok(0);
    }
    let mut total: f64 = 0.0;
    let mut rest = t;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (num, tail) = rest.split_at(n_end);
        let v: f64 = num.parse().map_err(|_| bad())?;
        let u_end = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(u_end);
        let mult = match unit {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        total += v * mult;
        rest = next;
    }
    if total > 9.0e18 {
        return Err(bad());
    }
    Ok(total.round() as i64)
}

/// Nanoseconds as Go prints a duration: `5s`, `1m30s`, `1h0m0s`, `500ms`.
pub fn format_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    if nanos < 1_000_000_000 {
        return if nanos % 1_000_000 == 0 {
            format!("{}ms", nanos / 1_000_000)
        } else if nanos % 1000 == 0 {
            format!("{}µs", nanos / 1000)
        } else {
            format!("{nanos}ns")
        };
    }
    let secs = nanos / 1_000_000_000;
    let frac = nanos % 1_000_000_000;
    let s_part = if frac == 0 {
        format!("{}s", secs % 60)
    } else {
        format!(
            "{}.{}s",
            secs % 60,
            format!("{frac:09}").trim_end_matches('0')
        )
    };
    let (h, m) = (secs / 3600, (secs % 3600) / 60);
    if h > 0 {
        format!("{h}h{m}m{s_part}")
    } else if m > 0 {
        format!("{m}m{s_part}")
    } else {
        s_part
    }
}

// ---- the command line ---------------------------------------------------------------------------

/// Splits a command line like a POSIX shell (quotes and backslashes; no expansion).
pub fn split_command(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("the command has an unclosed ' quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => cur.push(x),
                            Some('\n') => {}
                            Some(x) => {
                                cur.push('\\');
                                cur.push(x);
                            }
                            None => return Err("the command has an unclosed \" quote".into()),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("the command has an unclosed \" quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(x) => cur.push(x),
                    None => return Err("the command ends with a lone backslash".into()),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// Joins words back into a command line that [`split_command`] reads as the same words.
pub fn join_command(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            let plain = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
            if plain {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
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

    #[test]
    fn mounts_follow_the_cli_syntax() {
        let m = parse_mount("type=volume,source=data,target=/data,readonly").unwrap();
        assert_eq!(m.typ, Some(MountType::VOLUME));
        assert_eq!(m.source.as_deref(), Some("data"));
        assert_eq!(m.read_only, Some(true));
        assert!(m.volume_options.is_none());
        let b = parse_mount("type=bind,src=/srv,dst=/srv,bind-propagation=rslave").unwrap();
        assert_eq!(
            b.bind_options.unwrap().propagation,
            Some(MountBindOptionsPropagationEnum::RSLAVE)
        );
        let v = parse_mount(
            "source=x,target=/x,volume-driver=local,\"volume-opt=o=addr=1.2.3.4,rw\",volume-label=a=b",
        )
        .unwrap();
        let vo = v.volume_options.unwrap();
        let dc = vo.driver_config.unwrap();
        assert_eq!(dc.name.as_deref(), Some("local"));
        assert_eq!(dc.options.unwrap()["o"], "addr=1.2.3.4,rw");
        assert_eq!(vo.labels.unwrap()["a"], "b");
        let t = parse_mount("type=tmpfs,target=/tmp,tmpfs-size=64M,tmpfs-mode=1777").unwrap();
        let to = t.tmpfs_options.unwrap();
        assert_eq!((to.size_bytes, to.mode), (Some(64 << 20), Some(0o1777)));
    }

    #[test]
    fn bad_mounts_are_refused_with_a_reason() {
        assert!(
            parse_mount("source=data")
                .unwrap_err()
                .contains("no target")
        );
        assert!(
            parse_mount("type=bind,target=/x")
                .unwrap_err()
                .contains("needs a source")
        );
        assert!(
            parse_mount("type=bind,source=rel,target=/x")
                .unwrap_err()
                .contains("absolute")
        );
        assert!(
            parse_mount("type=nfs,target=/x")
                .unwrap_err()
                .contains("mount type")
        );
        assert!(
            parse_mount("target=/x,colour=red")
                .unwrap_err()
                .contains("unknown mount option")
        );
        assert!(parse_mount("target=x").unwrap_err().contains("absolute"));
        assert!(
            parse_mount("type=bind,source=/a,target=/b,volume-nocopy")
                .unwrap_err()
                .contains("volume option")
        );
        assert!(
            parse_mount("target=/x,\"source=a")
                .unwrap_err()
                .contains("unclosed quote")
        );
        assert!(parse_mounts(&v(&["target=/x", "source=a,target=/x"])).is_err());
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

    #[test]
    fn cpus_are_exact() {
        assert_eq!(parse_cpus("0.5").unwrap(), 500_000_000);
        assert_eq!(parse_cpus("2").unwrap(), 2_000_000_000);
        assert_eq!(parse_cpus(".25").unwrap(), 250_000_000);
        assert_eq!(parse_cpus("0.000000001").unwrap(), 1);
        assert!(parse_cpus("abc").is_err());
        assert!(parse_cpus("-1").is_err());
        assert!(parse_cpus("0").is_err());
        assert_eq!(format_cpus(500_000_000), "0.5");
        assert_eq!(format_cpus(2_000_000_000), "2");
        assert_eq!(format_cpus(1_250_000_000), "1.25");
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(parse_bytes("64M").unwrap(), 64 << 20);
        assert_eq!(parse_bytes("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_bytes("64mb").unwrap(), 64 << 20);
        assert_eq!(parse_bytes("1.5g").unwrap(), 3 << 29);
        assert_eq!(parse_bytes("1000").unwrap(), 1000);
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5X").is_err());
        assert!(parse_bytes("").is_err());
        assert_eq!(format_bytes(64 << 20), "64MiB");
        assert_eq!(format_bytes(1536 << 10), "1536KiB");
        assert_eq!(format_bytes(1000), "1000B");
        assert_eq!(parse_bytes(&format_bytes(3 << 29)).unwrap(), 3 << 29);
    }

    #[test]
    fn durations_like_go() {
        assert_eq!(parse_duration("5s").unwrap(), 5_000_000_000);
        assert_eq!(parse_duration("1m30s").unwrap(), 90_000_000_000);
        assert_eq!(parse_duration("500ms").unwrap(), 500_000_000);
        assert_eq!(parse_duration("1.5h").unwrap(), 5_400_000_000_000);
        assert_eq!(parse_duration("0").unwrap(), 0);
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5 days").is_err());
        assert!(parse_duration("").is_err());
        assert_eq!(format_duration(90_000_000_000), "1m30s");
        assert_eq!(format_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(format_duration(500_000_000), "500ms");
        assert_eq!(format_duration(1_500_000_000), "1.5s");
        assert_eq!(
            parse_duration(&format_duration(5_400_000_000_000)).unwrap(),
            5_400_000_000_000
        );
    }

    #[test]
    fn commands_split_like_a_shell() {
        assert_eq!(
            split_command(r#"sh -c 'echo hello; exec sleep 3600'"#).unwrap(),
            v(&["sh", "-c", "echo hello; exec sleep 3600"])
        );
        assert_eq!(
            split_command(r#"echo "a \"b\"" c\ d ''"#).unwrap(),
            v(&["echo", "a \"b\"", "c d", ""])
        );
        assert!(split_command("echo 'oops").is_err());
        let words = v(&["sh", "-c", "echo it's $HOME", ""]);
        assert_eq!(split_command(&join_command(&words)).unwrap(), words);
    }
}
