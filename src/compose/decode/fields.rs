//! Service fields with their own transforms: shell commands, secret/config references,
//! extra hosts, networks, ports, ulimits, volumes (`loader.go` `transformShellCommand`,
//! `transformStringSourceMap`, `transformHostsList`, `transformServiceNetworkMap`,
//! `transformServicePort`, `transformUlimits`, `transformServiceVolumeConfig`).

use std::collections::BTreeMap;

use super::super::gofmt::go_sprint;
use super::super::types::*;
use super::super::volumespec::parse_volume;
use super::super::yaml::{Kind, Node};
use super::dec::{self, Dec, field, index, key};
use super::struct_node;
use crate::syntax::{ports, shlex};

/// `ShellCommand`: a string is split like a shell would.
pub(crate) fn shell_command(dec: &mut Dec, node: Option<&Node>, name: &str) -> Option<Vec<String>> {
    let n = node?;
    match &n.kind {
        Kind::Null => None,
        Kind::Str(s) => match shlex::split(s) {
            Ok(words) => Some(words),
            Err(e) => {
                dec.hook_err(name, e.to_string(), n.pos);
                None
            }
        },
        _ => Some(dec.strings(Some(n), name)),
    }
}

/// `[]ServiceSecretConfig` / `[]ServiceConfigObjConfig` (`transformStringSourceMap`).
pub(crate) fn file_refs(
    dec: &mut Dec,
    node: Option<&Node>,
    name: &str,
) -> Option<Vec<FileReferenceConfig>> {
    let n = node?;
    let items = match &n.kind {
        Kind::Null => return None,
        Kind::Seq(items) => items,
        _ => {
            dec.err(
                format!(
                    "'{name}': source data must be an array or slice, got {}",
                    dec::go_kind(n)
                ),
                n.pos,
            );
            return None;
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let iname = index(name, i);
        match &item.kind {
            Kind::Str(s) => out.push(FileReferenceConfig {
                source: s.clone(),
                ..FileReferenceConfig::default()
            }),
            Kind::Map(_) => {
                let g = |k: &str| item.get(k);
                out.push(FileReferenceConfig {
                    source: dec.string(g("source"), &field(&iname, "Source")),
                    target: dec.string(g("target"), &field(&iname, "Target")),
                    uid: dec.string(g("uid"), &field(&iname, "UID")),
                    gid: dec.string(g("gid"), &field(&iname, "GID")),
                    mode: dec
                        .opt_uint(g("mode"), &field(&iname, "Mode"), "uint32")
                        .map(|m| m as u32),
                });
            }
            _ => {
                dec.hook_err(
                    &iname,
                    format!("invalid type {} for secret", item.go_type()),
                    item.pos,
                );
            }
        }
    }
    Some(out)
}

/// `HostsList` (`transformHostsList`): `host:ip` strings, `[ipv6]` brackets stripped.
pub(crate) fn hosts_list(dec: &mut Dec, node: Option<&Node>, name: &str) -> Vec<String> {
    let Some(n) = node else {
        return Vec::new();
    };
    let pairs: Vec<String> = match &n.kind {
        Kind::Null => return Vec::new(),
        Kind::Map(entries) => {
            let mut v: Vec<String> = entries
                .iter()
                .filter(|e| !e.value.is_null())
                .map(|e| format!("{}:{}", e.key, go_sprint(&e.value)))
                .collect();
            v.sort();
            v
        }
        Kind::Seq(items) => items
            .iter()
            .filter_map(|it| {
                let s = go_sprint(it);
                s.split_once('=')
                    .or_else(|| s.split_once(':'))
                    .map(|(k, v)| format!("{k}:{v}"))
            })
            .collect(),
        _ => {
            dec.hook_err(
                name,
                format!("expected a map or a list, got {}", n.go_type()),
                n.pos,
            );
            return Vec::new();
        }
    };
    pairs
        .into_iter()
        .map(|hip| {
            let (host, ip) = hip.split_once(':').unwrap_or((hip.as_str(), ""));
            let ip = if ip.len() > 2 && ip.starts_with('[') && ip.ends_with(']') {
                &ip[1..ip.len() - 1]
            } else {
                ip
            };
            format!("{host}:{ip}")
        })
        .collect()
}

pub(crate) fn service_networks(
    dec: &mut Dec,
    node: Option<&Node>,
) -> BTreeMap<String, Option<ServiceNetworkConfig>> {
    let mut out = BTreeMap::new();
    let Some(n) = node else {
        return out;
    };
    match &n.kind {
        Kind::Seq(items) => {
            for it in items {
                out.insert(go_sprint(it), None);
            }
        }
        Kind::Map(entries) => {
            for e in entries {
                let name = key("Networks", &e.key);
                let v = struct_node(dec, Some(&e.value), &name).map(|m| ServiceNetworkConfig {
                    aliases: dec.strings(m.get("aliases"), &field(&name, "Aliases")),
                    driver_opts: dec
                        .string_map(m.get("driver_opts"), &field(&name, "driver_opts"))
                        .unwrap_or_default(),
                    ipv4_address: dec.string(m.get("ipv4_address"), &field(&name, "ipv4_address")),
                    ipv6_address: dec.string(m.get("ipv6_address"), &field(&name, "ipv6_address")),
                });
                out.insert(e.key.clone(), v);
            }
        }
        _ => {}
    }
    out
}

/// `transformServicePort`: short syntax expanded, long syntax copied as written.
pub(crate) fn ports(
    dec: &mut Dec,
    node: Option<&Node>,
    warnings: &mut Vec<String>,
) -> Option<Vec<ServicePortConfig>> {
    let n = node?;
    let items = match &n.kind {
        Kind::Null => return None,
        Kind::Seq(items) => items,
        _ => {
            dec.hook_err(
                "Ports",
                format!("invalid type {} for port", n.go_type()),
                n.pos,
            );
            return None;
        }
    };
    let mut out = Vec::new();
    let mut local_warnings = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let spec = match &it.kind {
            Kind::Int(v) => Some(v.to_string()),
            Kind::Str(s) => Some(s.clone()),
            Kind::Map(_) => None,
            _ => {
                dec.hook_err(
                    "Ports",
                    format!("invalid type {} for port", it.go_type()),
                    it.pos,
                );
                return None;
            }
        };
        match spec {
            Some(spec) => match ports::expand_short(&spec, &mut local_warnings) {
                Ok(p) => out.extend(p.into_iter().map(|p| ServicePortConfig {
                    mode: "ingress".into(),
                    target: p.target,
                    published: p.published.unwrap_or(0),
                    protocol: p.protocol,
                })),
                Err(e) => {
                    dec.hook_err("Ports", e.to_string(), it.pos);
                    return None;
                }
            },
            None => {
                let name = index("Ports", i);
                let g = |k: &str| it.get(k);
                out.push(ServicePortConfig {
                    mode: dec.string(g("mode"), &field(&name, "Mode")),
                    target: dec
                        .opt_uint(g("target"), &field(&name, "Target"), "uint32")
                        .unwrap_or(0) as u32,
                    published: dec
                        .opt_uint(g("published"), &field(&name, "Published"), "uint32")
                        .unwrap_or(0) as u32,
                    protocol: dec.string(g("protocol"), &field(&name, "Protocol")),
                });
            }
        }
    }
    warnings.extend(local_warnings);
    Some(out)
}

pub(crate) fn ulimits(dec: &mut Dec, node: Option<&Node>) -> BTreeMap<String, UlimitsConfig> {
    let mut out = BTreeMap::new();
    let Some(Kind::Map(entries)) = node.map(|n| &n.kind) else {
        return out;
    };
    for e in entries {
        let name = key("Ulimits", &e.key);
        let v = &e.value;
        match &v.kind {
            Kind::Null => {}
            Kind::Int(i) => {
                out.insert(
                    e.key.clone(),
                    UlimitsConfig {
                        single: *i,
                        ..UlimitsConfig::default()
                    },
                );
            }
            Kind::Map(_) => match (
                v.get("soft").map(|s| &s.kind),
                v.get("hard").map(|h| &h.kind),
            ) {
                (Some(Kind::Int(soft)), Some(Kind::Int(hard))) => {
                    out.insert(
                        e.key.clone(),
                        UlimitsConfig {
                            single: 0,
                            soft: *soft,
                            hard: *hard,
                        },
                    );
                }
                // the CLI panics here (type assertion on soft/hard)
                _ => dec.hook_err(
                    &name,
                    "ulimits need integer soft and hard values".to_string(),
                    v.pos,
                ),
            },
            _ => dec.hook_err(
                &name,
                format!("invalid type {} for ulimits", v.go_type()),
                v.pos,
            ),
        }
    }
    out
}

pub(crate) fn volumes(dec: &mut Dec, node: Option<&Node>) -> Option<Vec<ServiceVolumeConfig>> {
    let n = node?;
    let items = match &n.kind {
        Kind::Null => return None,
        Kind::Seq(items) => items,
        _ => {
            dec.err(
                format!(
                    "'Volumes': source data must be an array or slice, got {}",
                    dec::go_kind(n)
                ),
                n.pos,
            );
            return None;
        }
    };
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let name = index("Volumes", i);
        match &it.kind {
            Kind::Str(s) => match parse_volume(s) {
                Ok(v) => out.push(v),
                Err(e) => dec.hook_err(&name, e, it.pos),
            },
            Kind::Map(_) => {
                let g = |k: &str| it.get(k);
                let sub =
                    |dec: &mut Dec, k: &str, f: &str| struct_node(dec, g(k), &field(&name, f));
                let bind = sub(dec, "bind", "Bind").map(|b| ServiceVolumeBind {
                    propagation: dec
                        .string(b.get("propagation"), &field(&name, "Bind.Propagation")),
                });
                let volume = sub(dec, "volume", "Volume").map(|b| ServiceVolumeVolume {
                    nocopy: dec.boolean(b.get("nocopy"), &field(&name, "Volume.nocopy")),
                    subpath: dec.string(b.get("subpath"), &field(&name, "Volume.subpath")),
                });
                let image = sub(dec, "image", "Image").map(|b| ServiceVolumeImage {
                    subpath: dec.string(b.get("subpath"), &field(&name, "Image.subpath")),
                });
                let tmpfs = sub(dec, "tmpfs", "Tmpfs").map(|b| ServiceVolumeTmpfs {
                    size: dec
                        .opt_int(b.get("size"), &field(&name, "Tmpfs.Size"), "int64")
                        .unwrap_or(0),
                });
                let cluster = sub(dec, "cluster", "Cluster").map(|_| ServiceVolumeCluster {});
                out.push(ServiceVolumeConfig {
                    typ: dec.string(g("type"), &field(&name, "Type")),
                    source: dec.string(g("source"), &field(&name, "Source")),
                    target: dec.string(g("target"), &field(&name, "Target")),
                    read_only: dec.boolean(g("read_only"), &field(&name, "read_only")),
                    consistency: dec.string(g("consistency"), &field(&name, "Consistency")),
                    bind,
                    volume,
                    image,
                    tmpfs,
                    cluster,
                });
            }
            _ => dec.hook_err(
                &name,
                format!("invalid type {} for service volume", it.go_type()),
                it.pos,
            ),
        }
    }
    Some(out)
}
