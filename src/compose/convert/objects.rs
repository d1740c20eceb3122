//! Networks, secrets and configs (`cli/compose/convert/compose.go` `Networks`, `Secrets`,
//! `Configs`; `deploy_composefile.go` `createNetworks` for the `overlay` default driver).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::Engine as _;
use bollard::models::{ConfigSpec, Driver, Ipam, IpamConfig, NetworkCreateRequest, SecretSpec};

use super::super::error::ComposeError;
use super::super::types::{Config, FileObjectConfig, NetworkConfig};
use super::super::{FileSource, read_file};
use super::{ConfigPlan, NetworkPlan, SecretPlan, scope, with_stack_label};

fn hash(m: BTreeMap<String, String>) -> HashMap<String, String> {
    m.into_iter().collect()
}

/// The networks used by services; undeclared keys get defaults (`nw := networks[name]`).
pub fn networks(stack: &str, cfg: &Config, used: &BTreeSet<String>) -> Vec<NetworkPlan> {
    let mut out: Vec<NetworkPlan> = Vec::new();
    for key in used {
        let nw = cfg
            .networks
            .get(key)
            .cloned()
            .unwrap_or_else(NetworkConfig::default);
        if nw.external.external {
            out.push(NetworkPlan {
                key: key.clone(),
                name: nw.name.clone(),
                external: true,
                create: None,
            });
            continue;
        }
        let name = if nw.name.is_empty() {
            scope(stack, key)
        } else {
            nw.name.clone()
        };
        let ipam = (!nw.ipam.driver.is_empty() || !nw.ipam.config.is_empty()).then(|| Ipam {
            driver: (!nw.ipam.driver.is_empty()).then(|| nw.ipam.driver.clone()),
            config: (!nw.ipam.config.is_empty()).then(|| {
                nw.ipam
                    .config
                    .iter()
                    .map(|s| IpamConfig {
                        subnet: s.clone().filter(|s| !s.is_empty()),
                        ..IpamConfig::default()
                    })
                    .collect()
            }),
            options: None,
        });
        let driver = if nw.driver.is_empty() {
            "overlay".to_string()
        } else {
            nw.driver.clone()
        };
        out.push(NetworkPlan {
            key: key.clone(),
            name: name.clone(),
            external: false,
            create: Some(NetworkCreateRequest {
                name,
                driver: Some(driver),
                internal: nw.internal.then_some(true),
                attachable: nw.attachable.then_some(true),
                ipam,
                options: (!nw.driver_opts.is_empty()).then(|| hash(nw.driver_opts.clone())),
                labels: Some(hash(with_stack_label(stack, &nw.labels))),
                ..NetworkCreateRequest::default()
            }),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.key.cmp(&b.key)));
    out
}

fn object_name(stack: &str, key: &str, obj: &FileObjectConfig) -> String {
    if obj.name.is_empty() {
        scope(stack, key)
    } else {
        obj.name.clone()
    }
}

/// The file's bytes, base64-encoded; `None` for an empty file (Go omits empty `Data`).
fn data(files: &dyn FileSource, obj: &FileObjectConfig) -> Result<Option<String>, ComposeError> {
    let bytes = read_file(files, &obj.file).map_err(ComposeError::new)?;
    Ok((!bytes.is_empty()).then(|| base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// `Secrets`: every non-external secret, with its file read (or a driver).
pub fn secrets(
    stack: &str,
    cfg: &Config,
    files: &dyn FileSource,
) -> Result<Vec<SecretPlan>, ComposeError> {
    let mut out = Vec::new();
    for (key, s) in &cfg.secrets {
        if s.external.external {
            continue;
        }
        let name = object_name(stack, key, s);
        let path = format!("secrets.{key}");
        let (data, driver) = if !s.driver.is_empty() {
            (
                None,
                Some(Driver {
                    name: s.driver.clone(),
                    options: (!s.driver_opts.is_empty()).then(|| hash(s.driver_opts.clone())),
                }),
            )
        } else {
            (
                data(files, s).map_err(|e| e.with_path(&path).at(cfg.locations.find(&path)))?,
                None,
            )
        };
        out.push(SecretPlan {
            key: key.clone(),
            name: name.clone(),
            spec: SecretSpec {
                name: Some(name),
                labels: Some(hash(with_stack_label(stack, &s.labels))),
                data,
                driver,
                templating: (!s.template_driver.is_empty()).then(|| Driver {
                    name: s.template_driver.clone(),
                    options: None,
                }),
            },
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.key.cmp(&b.key)));
    Ok(out)
}

/// `Configs`: every non-external config, with its file read.
pub fn configs(
    stack: &str,
    cfg: &Config,
    files: &dyn FileSource,
) -> Result<Vec<ConfigPlan>, ComposeError> {
    let mut out = Vec::new();
    for (key, c) in &cfg.configs {
        if c.external.external {
            continue;
        }
        let name = object_name(stack, key, c);
        let path = format!("configs.{key}");
        let data = data(files, c).map_err(|e| e.with_path(&path).at(cfg.locations.find(&path)))?;
        out.push(ConfigPlan {
            key: key.clone(),
            name: name.clone(),
            spec: ConfigSpec {
                name: Some(name),
                labels: Some(hash(with_stack_label(stack, &c.labels))),
                data,
                templating: (!c.template_driver.is_empty()).then(|| Driver {
                    name: c.template_driver.clone(),
                    options: None,
                }),
            },
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.key.cmp(&b.key)));
    Ok(out)
}
