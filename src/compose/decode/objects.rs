//! Top-level `networks`, `volumes`, `secrets`, `configs` (docker/cli
//! `cli/compose/loader/loader.go` `LoadNetworks`, `LoadVolumes`, `LoadSecrets`,
//! `LoadConfigObjs`, `loadFileObjectConfig`).

use std::collections::BTreeMap;

use super::super::error::ComposeError;
use super::super::paths::abs_path;
use super::super::types::*;
use super::super::yaml::{Kind, Node};
use super::dec::{Dec, field, index, key};
use super::{Ctx, decode_error, extras, struct_node};

/// `versions.GreaterThanOrEqualTo(v, min)` on dotted numbers.
pub fn version_at_least(v: &str, min: &str) -> bool {
    let parse = |s: &str| -> Vec<u64> { s.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let (a, b) = (parse(v), parse(min));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x > y;
        }
    }
    true
}

/// `transformExternal`: a bool, or a mapping meaning `external: true` with a deprecated name.
fn external(dec: &mut Dec, node: Option<&Node>, name: &str) -> External {
    let Some(n) = node else {
        return External::default();
    };
    match &n.kind {
        Kind::Null => External::default(),
        Kind::Bool(b) => External {
            name: String::new(),
            external: *b,
        },
        Kind::Map(_) => External {
            name: dec.string(n.get("name"), &field(name, "Name")),
            external: true,
        },
        _ => {
            dec.hook_err(
                name,
                format!("invalid type {} for external", n.go_type()),
                n.pos,
            );
            External::default()
        }
    }
}

fn entries(node: Option<&Node>) -> &[super::super::yaml::Entry] {
    node.and_then(|n| n.as_map()).unwrap_or(&[])
}

/// `LoadNetworks`.
pub fn load_networks(
    node: Option<&Node>,
    ctx: &mut Ctx<'_>,
) -> Result<BTreeMap<String, NetworkConfig>, ComposeError> {
    let mut dec = Dec::default();
    let mut out = BTreeMap::new();
    for e in entries(node) {
        let name = key("", &e.key);
        let n = struct_node(&mut dec, Some(&e.value), &name);
        let g = |k: &str| n.and_then(|n| n.get(k));
        let ipam = match struct_node(&mut dec, g("ipam"), &field(&name, "Ipam")) {
            None => IpamConfig::default(),
            Some(i) => IpamConfig {
                driver: dec.string(i.get("driver"), &field(&name, "Ipam.Driver")),
                config: match i.get("config").map(|c| &c.kind) {
                    Some(Kind::Seq(items)) => items
                        .iter()
                        .enumerate()
                        .map(|(j, it)| {
                            if it.is_null() {
                                None
                            } else {
                                Some(dec.string(
                                    it.get("subnet"),
                                    &field(&index(&field(&name, "Ipam.Config"), j), "Subnet"),
                                ))
                            }
                        })
                        .collect(),
                    _ => Vec::new(),
                },
            },
        };
        let nw = NetworkConfig {
            name: dec.string(g("name"), &field(&name, "Name")),
            driver: dec.string(g("driver"), &field(&name, "Driver")),
            driver_opts: dec
                .string_map(g("driver_opts"), &field(&name, "driver_opts"))
                .unwrap_or_default(),
            ipam,
            external: external(&mut dec, g("external"), &field(&name, "External")),
            internal: dec.boolean(g("internal"), &field(&name, "Internal")),
            attachable: dec.boolean(g("attachable"), &field(&name, "Attachable")),
            labels: dec.labels(g("labels"), &field(&name, "Labels")),
            extras: BTreeMap::new(),
        };
        out.insert(e.key.clone(), (nw, e.key_pos, &e.value));
    }
    decode_error(dec, ctx.file, "networks")?;
    let mut result = BTreeMap::new();
    for (name, (mut nw, pos, raw)) in out {
        if nw.external.external {
            if !nw.external.name.is_empty() {
                if !nw.name.is_empty() {
                    return Err(ComposeError::new(format!(
                        "network {name}: network.external.name and network.name conflict; only use network.name"
                    ))
                    .with_path(format!("networks.{name}"))
                    .at_pos(ctx.file, pos));
                }
                if version_at_least(ctx.version, "3.5") {
                    ctx.warnings.push(format!(
                        "network {name}: network.external.name is deprecated in favor of network.name"
                    ));
                }
                nw.name = std::mem::take(&mut nw.external.name);
            } else if nw.name.is_empty() {
                nw.name = name.clone();
            }
            nw.extras = extras(raw);
        }
        result.insert(name, nw);
    }
    Ok(result)
}

fn topology(dec: &mut Dec, node: Option<&Node>, name: &str) -> Vec<BTreeMap<String, String>> {
    let Some(Kind::Seq(items)) = node.map(|n| &n.kind) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .map(|(i, it)| dec.labels(it.get("segments"), &field(&index(name, i), "Segments")))
        .collect()
}

fn cluster_spec(dec: &mut Dec, node: Option<&Node>, name: &str) -> Option<ClusterVolumeSpec> {
    let n = struct_node(dec, node, name)?;
    let g = |k: &str| n.get(k);
    let access_mode = struct_node(dec, g("access_mode"), &field(name, "access_mode")).map(|a| {
        let an = field(name, "access_mode");
        AccessMode {
            scope: dec.string(a.get("scope"), &field(&an, "Scope")),
            sharing: dec.string(a.get("sharing"), &field(&an, "Sharing")),
            mount_volume: struct_node(dec, a.get("mount_volume"), &field(&an, "mount_volume")).map(
                |m| MountVolume {
                    fs_type: dec.string(m.get("fs_type"), &field(&an, "mount_volume.fs_type")),
                    mount_flags: dec.strings(
                        m.get("mount_flags"),
                        &field(&an, "mount_volume.mount_flags"),
                    ),
                },
            ),
            block_volume: struct_node(dec, a.get("block_volume"), &field(&an, "block_volume"))
                .map(|_| ()),
        }
    });
    let accessibility_requirements = struct_node(
        dec,
        g("accessibility_requirements"),
        &field(name, "accessibility_requirements"),
    )
    .map(|a| {
        let an = field(name, "accessibility_requirements");
        TopologyRequirement {
            requisite: topology(dec, a.get("requisite"), &field(&an, "Requisite")),
            preferred: topology(dec, a.get("preferred"), &field(&an, "Preferred")),
        }
    });
    let capacity_range =
        struct_node(dec, g("capacity_range"), &field(name, "capacity_range")).map(|c| {
            let cn = field(name, "capacity_range");
            CapacityRange {
                required_bytes: dec.size(c.get("required_bytes"), &field(&cn, "required_bytes")),
                limit_bytes: dec.size(c.get("limit_bytes"), &field(&cn, "limit_bytes")),
            }
        });
    let secrets = match g("secrets").map(|s| &s.kind) {
        Some(Kind::Seq(items)) => items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let sn = index(&field(name, "Secrets"), i);
                VolumeSecret {
                    key: dec.string(it.get("key"), &field(&sn, "Key")),
                    secret: dec.string(it.get("secret"), &field(&sn, "Secret")),
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(ClusterVolumeSpec {
        group: dec.string(g("group"), &field(name, "Group")),
        access_mode,
        accessibility_requirements,
        capacity_range,
        secrets,
        availability: dec.string(g("availability"), &field(name, "Availability")),
    })
}

/// `LoadVolumes`.
pub fn load_volumes(
    node: Option<&Node>,
    ctx: &mut Ctx<'_>,
) -> Result<BTreeMap<String, VolumeConfig>, ComposeError> {
    let mut dec = Dec::default();
    let mut out = BTreeMap::new();
    for e in entries(node) {
        let name = key("", &e.key);
        let n = struct_node(&mut dec, Some(&e.value), &name);
        let g = |k: &str| n.and_then(|n| n.get(k));
        let v = VolumeConfig {
            name: dec.string(g("name"), &field(&name, "Name")),
            driver: dec.string(g("driver"), &field(&name, "Driver")),
            driver_opts: dec.string_map(g("driver_opts"), &field(&name, "driver_opts")),
            external: external(&mut dec, g("external"), &field(&name, "External")),
            labels: dec.labels(g("labels"), &field(&name, "Labels")),
            extras: BTreeMap::new(),
            spec: cluster_spec(
                &mut dec,
                g("x-cluster-spec"),
                &field(&name, "x-cluster-spec"),
            ),
        };
        out.insert(e.key.clone(), (v, e.key_pos, &e.value));
    }
    decode_error(dec, ctx.file, "volumes")?;
    let mut result = BTreeMap::new();
    for (name, (mut v, pos, raw)) in out {
        if v.external.external {
            let conflict = |k: &str| {
                ComposeError::new(format!(
                    "conflicting parameters \"external\" and \"{k}\" specified for volume \"{name}\""
                ))
                .with_path(format!("volumes.{name}"))
                .at_pos(ctx.file, pos)
            };
            if !v.driver.is_empty() {
                return Err(conflict("driver"));
            }
            if v.driver_opts.as_ref().is_some_and(|o| !o.is_empty()) {
                return Err(conflict("driver_opts"));
            }
            if !v.labels.is_empty() {
                return Err(conflict("labels"));
            }
            if !v.external.name.is_empty() {
                if !v.name.is_empty() {
                    return Err(ComposeError::new(format!(
                        "volume {name}: volume.external.name and volume.name conflict; only use volume.name"
                    ))
                    .with_path(format!("volumes.{name}"))
                    .at_pos(ctx.file, pos));
                }
                if version_at_least(ctx.version, "3.4") {
                    ctx.warnings.push(format!(
                        "volume {name}: volume.external.name is deprecated in favor of volume.name"
                    ));
                }
                v.name = std::mem::take(&mut v.external.name);
            } else if v.name.is_empty() {
                v.name = name.clone();
            }
            v.extras = extras(raw);
        }
        result.insert(name, v);
    }
    Ok(result)
}

/// `LoadSecrets` / `LoadConfigObjs` with `loadFileObjectConfig`; `kind` is `secret`/`config`.
pub fn load_file_objects(
    node: Option<&Node>,
    kind: &str,
    ctx: &mut Ctx<'_>,
) -> Result<BTreeMap<String, FileObjectConfig>, ComposeError> {
    let mut dec = Dec::default();
    let mut out = BTreeMap::new();
    for e in entries(node) {
        let name = key("", &e.key);
        let n = struct_node(&mut dec, Some(&e.value), &name);
        let g = |k: &str| n.and_then(|n| n.get(k));
        let obj = FileObjectConfig {
            name: dec.string(g("name"), &field(&name, "Name")),
            file: dec.string(g("file"), &field(&name, "File")),
            external: external(&mut dec, g("external"), &field(&name, "External")),
            labels: dec.labels(g("labels"), &field(&name, "Labels")),
            extras: BTreeMap::new(),
            driver: dec.string(g("driver"), &field(&name, "Driver")),
            driver_opts: dec
                .string_map(g("driver_opts"), &field(&name, "driver_opts"))
                .unwrap_or_default(),
            template_driver: dec.string(g("template_driver"), &field(&name, "template_driver")),
        };
        out.insert(e.key.clone(), (obj, e.key_pos, &e.value));
    }
    decode_error(dec, ctx.file, &format!("{kind}s"))?;
    let mut result = BTreeMap::new();
    for (name, (mut obj, pos, raw)) in out {
        if obj.external.external {
            if !obj.external.name.is_empty() {
                if !obj.name.is_empty() {
                    return Err(ComposeError::new(format!(
                        "{kind} {name}: {kind}.external.name and {kind}.name conflict; only use {kind}.name"
                    ))
                    .with_path(format!("{kind}s.{name}"))
                    .at_pos(ctx.file, pos));
                }
                if version_at_least(ctx.version, "3.5") {
                    ctx.warnings.push(format!(
                        "{kind} {name}: {kind}.external.name is deprecated in favor of {kind}.name"
                    ));
                }
                obj.name = std::mem::take(&mut obj.external.name);
            } else if obj.name.is_empty() {
                obj.name = name.clone();
            }
        } else if !obj.driver.is_empty() {
            if !obj.file.is_empty() {
                return Err(ComposeError::new(format!(
                    "{kind} {name}: {kind}.driver and {kind}.file conflict; only use {kind}.driver"
                ))
                .with_path(format!("{kind}s.{name}"))
                .at_pos(ctx.file, pos));
            }
        } else {
            obj.file = abs_path(ctx.working_dir, &obj.file);
        }
        obj.extras = extras(raw);
        result.insert(name, obj);
    }
    Ok(result)
}
