//! Secret and config references (`convertServiceSecrets`, `convertServiceConfigObjs`,
//! `convertFileObject`, `convertCredentialSpec`; duplicate-target checks of
//! `cli/command/service/parse.go`). IDs are left empty (see `ServicePlan::resolve_ids`).

use std::collections::{BTreeMap, HashMap};

use bollard::models::{
    TaskSpecContainerSpecConfigs, TaskSpecContainerSpecFile, TaskSpecContainerSpecFile1,
    TaskSpecContainerSpecPrivilegesCredentialSpec, TaskSpecContainerSpecSecrets,
};

use super::super::error::ComposeError;
use super::super::types::{Config, FileObjectConfig, FileReferenceConfig, ServiceConfig};
use super::helpers::{Fail, some_str};
use super::scope;

pub(crate) struct Ref {
    name: String,
    target: String,
    uid: String,
    gid: String,
    mode: u32,
}

/// `convertFileObject`: the referenced object's name and the file target.
pub(crate) fn file_object(
    stack: &str,
    r: &FileReferenceConfig,
    objects: &BTreeMap<String, FileObjectConfig>,
    kind: &str,
) -> Result<Ref, String> {
    let Some(obj) = objects.get(&r.source) else {
        return Err(format!("undefined {kind} \"{}\"", r.source));
    };
    Ok(Ref {
        name: if obj.name.is_empty() {
            scope(stack, &r.source)
        } else {
            obj.name.clone()
        },
        target: if r.target.is_empty() {
            r.source.clone()
        } else {
            r.target.clone()
        },
        uid: if r.uid.is_empty() {
            "0".into()
        } else {
            r.uid.clone()
        },
        gid: if r.gid.is_empty() {
            "0".into()
        } else {
            r.gid.clone()
        },
        mode: r.mode.unwrap_or(0o444),
    })
}

pub(crate) fn secrets(
    stack: &str,
    cfg: &Config,
    svc: &ServiceConfig,
    fail: &Fail<'_>,
) -> Result<Vec<TaskSpecContainerSpecSecrets>, ComposeError> {
    let mut out: Vec<TaskSpecContainerSpecSecrets> = Vec::new();
    let mut targets: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (i, r) in svc.secrets.iter().flatten().enumerate() {
        let f = file_object(stack, r, &cfg.secrets, "secret")
            .map_err(|e| fail.err(e, &format!("secrets.{i}")))?;
        if targets.contains(&f.target) {
            return Err(fail.err(
                format!("duplicate secret target for {} not allowed", f.name),
                &format!("secrets.{i}"),
            ));
        }
        targets.insert(f.target.clone());
        out.push(TaskSpecContainerSpecSecrets {
            file: Some(TaskSpecContainerSpecFile {
                name: Some(f.target),
                uid: Some(f.uid),
                gid: Some(f.gid),
                mode: Some(f.mode),
            }),
            secret_id: None,
            secret_name: Some(f.name),
        });
    }
    out.sort_by(|a, b| a.secret_name.cmp(&b.secret_name));
    Ok(out)
}

/// Config references plus the credential spec's runtime config; returns the refs and the
/// name the credential spec's `config` resolves to.
pub(crate) fn configs(
    stack: &str,
    cfg: &Config,
    svc: &ServiceConfig,
    fail: &Fail<'_>,
) -> Result<(Vec<TaskSpecContainerSpecConfigs>, Option<String>), ComposeError> {
    let mut out: Vec<TaskSpecContainerSpecConfigs> = Vec::new();
    let mut targets: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (i, r) in svc.configs.iter().flatten().enumerate() {
        let f = file_object(stack, r, &cfg.configs, "config")
            .map_err(|e| fail.err(e, &format!("configs.{i}")))?;
        if targets.contains(&f.target) {
            return Err(fail.err(
                format!("duplicate config target for {} not allowed", f.name),
                &format!("configs.{i}"),
            ));
        }
        targets.insert(f.target.clone());
        out.push(TaskSpecContainerSpecConfigs {
            file: Some(TaskSpecContainerSpecFile1 {
                name: Some(f.target),
                uid: Some(f.uid),
                gid: Some(f.gid),
                mode: Some(f.mode),
            }),
            runtime: None,
            config_id: None,
            config_name: Some(f.name),
        });
    }
    let mut cred_name = None;
    let key = &svc.credential_spec.config;
    if !key.is_empty() {
        let Some(obj) = cfg.configs.get(key) else {
            return Err(fail.err(
                format!("undefined config \"{key}\""),
                "credential_spec.config",
            ));
        };
        let name = if obj.name.is_empty() {
            scope(stack, key)
        } else {
            obj.name.clone()
        };
        // `convertCredentialSpec`: first a ref named like the key, then the scoped name
        let resolved = out
            .iter()
            .filter_map(|c| c.config_name.clone())
            .find(|n| n == key)
            .unwrap_or_else(|| name.clone());
        cred_name = Some(resolved);
        out.push(TaskSpecContainerSpecConfigs {
            file: None,
            runtime: Some(HashMap::new()),
            config_id: None,
            config_name: Some(name),
        });
    }
    out.sort_by(|a, b| a.config_name.cmp(&b.config_name));
    Ok((out, cred_name))
}

pub(crate) fn credential_spec(
    svc: &ServiceConfig,
    config_name: Option<String>,
) -> Result<Option<TaskSpecContainerSpecPrivilegesCredentialSpec>, String> {
    let c = &svc.credential_spec;
    let mut set = Vec::new();
    if !c.config.is_empty() {
        set.push("\"Config\"");
    }
    if !c.file.is_empty() {
        set.push("\"File\"");
    }
    if !c.registry.is_empty() {
        set.push("\"Registry\"");
    }
    match set.len() {
        0 => return Ok(None),
        1 => {}
        2 => {
            return Err(format!(
                "invalid credential spec: cannot specify both {} and {}",
                set[0], set[1]
            ));
        }
        _ => {
            return Err(format!(
                "invalid credential spec: cannot specify both {}, and {}",
                set[..set.len() - 1].join(", "),
                set[set.len() - 1]
            ));
        }
    }
    Ok(Some(TaskSpecContainerSpecPrivilegesCredentialSpec {
        // the config *name*; `ServicePlan::resolve_ids` swaps in the ID
        config: if c.config.is_empty() {
            None
        } else {
            config_name
        },
        file: some_str(&c.file),
        registry: some_str(&c.registry),
    }))
}
