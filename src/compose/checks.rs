//! Checks on the raw dicts and on the loaded model that are not schema rules:
//! forbidden properties (`types.go` `ForbiddenProperties`, `loader.go` `validateForbidden`,
//! message from `cli/command/stack/loader.go`), the "Ignoring unsupported/deprecated options"
//! warnings, and the image reference check of `cli/command/stack/loader.go` `LoadComposefile`.

use std::collections::BTreeMap;

use super::error::ComposeError;
use super::types::Config;
use super::yaml::Node;
use crate::syntax::reference::parse_any_reference;

/// Service keys that are ignored with a warning (`types.UnsupportedProperties`).
pub const UNSUPPORTED: [&str; 16] = [
    "build",
    "cgroupns_mode",
    "cgroup_parent",
    "devices",
    "domainname",
    "external_links",
    "ipc",
    "links",
    "mac_address",
    "network_mode",
    "pid",
    "privileged",
    "restart",
    "security_opt",
    "shm_size",
    "userns_mode",
];

/// Service keys that are ignored with an explanation (`types.DeprecatedProperties`).
pub const DEPRECATED: [(&str, &str); 2] = [
    (
        "container_name",
        "Setting the container name is not supported.",
    ),
    (
        "expose",
        "Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
    ),
];

/// Service keys that abort the load (`types.ForbiddenProperties`).
pub const FORBIDDEN: [(&str, &str); 8] = [
    ("extends", "Support for `extends` is not implemented yet."),
    (
        "volume_driver",
        "Instead of setting the volume driver on the service, define a volume using the top-level `volumes` option and specify the driver there.",
    ),
    (
        "volumes_from",
        "To share a volume between services, define it using the top-level `volumes` option and reference it from each service that shares it using the service-level `volumes` option.",
    ),
    ("cpu_quota", "Set resource limits using deploy.resources"),
    ("cpu_shares", "Set resource limits using deploy.resources"),
    ("cpuset", "Set resource limits using deploy.resources"),
    ("mem_limit", "Set resource limits using deploy.resources"),
    (
        "memswap_limit",
        "Set resource limits using deploy.resources",
    ),
];

fn services(root: &Node) -> &[super::yaml::Entry] {
    root.get("services").and_then(|s| s.as_map()).unwrap_or(&[])
}

/// `propertyWarnings`: `key: why` lines sorted, blank-line separated.
fn property_warnings(props: &BTreeMap<&str, &str>) -> String {
    let mut msgs: Vec<String> = props.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    msgs.sort();
    msgs.join("\n\n")
}

/// `validateForbidden`, run on the raw dict before interpolation.
pub fn check_forbidden(root: &Node, file: &str) -> Result<(), ComposeError> {
    let mut found: BTreeMap<&str, &str> = BTreeMap::new();
    let mut first = None;
    for svc in services(root) {
        for (k, why) in FORBIDDEN {
            if let Some(e) = svc.value.entry(k) {
                found.insert(k, why);
                if first.is_none() {
                    first = Some((format!("services.{}.{k}", svc.key), e.key_pos));
                }
            }
        }
    }
    let Some((path, pos)) = first else {
        return Ok(());
    };
    Err(ComposeError::new(format!(
        "compose file contains unsupported options:\n\n{}\n",
        property_warnings(&found)
    ))
    .with_path(path)
    .at_pos(file, pos))
}

/// The two warnings `docker stack deploy` prints for the raw dicts of all files.
pub fn property_notices(roots: &[&Node]) -> Vec<String> {
    let mut unsupported: Vec<&str> = Vec::new();
    let mut deprecated: BTreeMap<&str, &str> = BTreeMap::new();
    for root in roots {
        for svc in services(root) {
            if svc.value.as_map().is_none() {
                continue;
            }
            for k in UNSUPPORTED {
                if svc.value.entry(k).is_some() && !unsupported.contains(&k) {
                    unsupported.push(k);
                }
            }
            for (k, why) in DEPRECATED {
                if svc.value.entry(k).is_some() {
                    deprecated.insert(k, why);
                }
            }
        }
    }
    unsupported.sort_unstable();
    let mut out = Vec::new();
    if !unsupported.is_empty() {
        out.push(format!(
            "Ignoring unsupported options: {}",
            unsupported.join(", ")
        ));
    }
    if !deprecated.is_empty() {
        out.push(format!(
            "Ignoring deprecated options:\n\n{}",
            property_warnings(&deprecated)
        ));
    }
    out
}

/// Every service must name a valid image (`LoadComposefile`).
pub fn check_images(cfg: &Config) -> Result<(), ComposeError> {
    for svc in &cfg.services {
        let path = format!("services.{}.image", svc.name);
        let loc = cfg.locations.find(&path);
        if svc.image.is_empty() {
            return Err(ComposeError::new(format!(
                "invalid image reference for service {}: no image specified",
                svc.name
            ))
            .with_path(path)
            .at(loc));
        }
        if let Err(e) = parse_any_reference(&svc.image) {
            return Err(ComposeError::new(format!(
                "invalid image reference for service {}: {e}",
                svc.name
            ))
            .with_path(path)
            .at(loc));
        }
    }
    Ok(())
}
