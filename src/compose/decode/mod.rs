//! Typed decoding of one validated, interpolated file (docker/cli
//! `cli/compose/loader/loader.go` `loadSections`, `LoadService`, `createTransformHook`):
//! the transforms of STACK_DEPLOY_SPEC 2.7, `env_file`/`environment` resolution (2.8),
//! bind-path resolution (2.9) and the top-level object rules (2.10).

mod dec;
mod fields;
mod objects;
mod service;

use std::collections::BTreeMap;

use self::dec::Dec;
use super::FileSource;
use super::envfile;
use super::error::{ComposeError, Pos};
use super::paths::{abs_path, is_windows_abs};
use super::types::*;
use super::yaml::{Kind, Node};

/// Everything decoding needs besides the tree.
pub struct Ctx<'a> {
    /// File name for error locations.
    pub file: &'a str,
    /// The (normalised) version of the file set.
    pub version: &'a str,
    /// Working directory (POSIX path).
    pub working_dir: &'a str,
    /// The variables ("process environment").
    pub env: &'a BTreeMap<String, String>,
    /// File access for `env_file`.
    pub files: &'a dyn FileSource,
    /// Warnings the CLI logs (logrus) while loading.
    pub warnings: &'a mut Vec<String>,
}

fn section<'n>(root: &'n Node, name: &str) -> Option<&'n Node> {
    root.get(name)
}

/// `x-*` keys of a mapping (`getExtras`).
pub fn extras(node: &Node) -> BTreeMap<String, Node> {
    node.as_map()
        .unwrap_or(&[])
        .iter()
        .filter(|e| e.key.starts_with("x-"))
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect()
}

/// `loadSections`: services, networks, volumes, secrets, configs, extras.
pub fn load_sections(root: &Node, ctx: &mut Ctx<'_>) -> Result<Config, ComposeError> {
    let mut cfg = Config {
        filename: ctx.file.to_string(),
        version: ctx.version.to_string(),
        ..Config::default()
    };
    if let Some(services) = section(root, "services").and_then(|s| s.as_map()) {
        for e in services {
            let svc = load_service(&e.key, &e.value, ctx)?;
            cfg.services.push(svc);
        }
    }
    cfg.services.sort_by(|a, b| a.name.cmp(&b.name));
    cfg.networks = objects::load_networks(section(root, "networks"), ctx)?;
    cfg.volumes = objects::load_volumes(section(root, "volumes"), ctx)?;
    cfg.secrets = objects::load_file_objects(section(root, "secrets"), "secret", ctx)?;
    cfg.configs = objects::load_file_objects(section(root, "configs"), "config", ctx)?;
    cfg.extras = extras(root);
    Ok(cfg)
}

/// Turns collected mapstructure errors into the CLI's message.
pub fn decode_error(dec: Dec, file: &str, path: &str) -> Result<(), ComposeError> {
    let Some((_, pos)) = dec.errors.first().cloned() else {
        return Ok(());
    };
    let lines: Vec<String> = dec.errors.into_iter().map(|(m, _)| m).collect();
    Err(ComposeError::new(format!(
        "decoding failed due to the following error(s):\n\n{}",
        lines.join("\n")
    ))
    .with_path(path)
    .at_pos(file, pos))
}

/// The mapping under `name`, an error if it is something else (`'X' expected a map`).
pub(crate) fn struct_node<'n>(
    dec: &mut Dec,
    node: Option<&'n Node>,
    name: &str,
) -> Option<&'n Node> {
    let n = node?;
    match n.kind {
        Kind::Null => None,
        Kind::Map(_) => Some(n),
        _ => {
            dec.err(
                format!("'{name}' expected a map, got '{}'", dec::go_kind(n)),
                n.pos,
            );
            None
        }
    }
}

fn load_service(name: &str, node: &Node, ctx: &mut Ctx<'_>) -> Result<ServiceConfig, ComposeError> {
    let path = format!("services.{name}");
    let mut dec = Dec::default();
    let mut svc = service::decode_service(&mut dec, node, ctx.warnings);
    decode_error(dec, ctx.file, &path)?;
    svc.name = name.to_string();
    resolve_environment(&mut svc, node, ctx)?;
    resolve_volume_paths(&mut svc, node, ctx)?;
    svc.extras = extras(node);
    Ok(svc)
}

fn pos_of(node: &Node, key: &str) -> Pos {
    node.entry(key).map(|e| e.value.pos).unwrap_or(node.pos)
}

/// `resolveEnvironment`: env files in order, then `environment:`; an empty or null value takes
/// the variable's value when it is set.
fn resolve_environment(
    svc: &mut ServiceConfig,
    node: &Node,
    ctx: &mut Ctx<'_>,
) -> Result<(), ComposeError> {
    let mut environment: BTreeMap<String, Option<String>> = BTreeMap::new();
    let update = |environment: &mut BTreeMap<String, Option<String>>,
                  vars: Vec<(String, Option<String>)>,
                  env: &BTreeMap<String, String>| {
        for (k, v) in vars {
            let empty = v.as_deref().is_none_or(str::is_empty);
            match env.get(&k) {
                Some(val) if empty => {
                    environment.insert(k, Some(val.clone()));
                }
                _ => {
                    environment.insert(k, v);
                }
            }
        }
    };
    if !svc.env_file.is_empty() {
        let mut lines = Vec::new();
        for f in &svc.env_file {
            let path = abs_path(ctx.working_dir, f);
            let pos = pos_of(node, "env_file");
            let data = super::read_file(ctx.files, &path).map_err(|e| {
                ComposeError::new(e)
                    .with_path(format!("services.{}.env_file", svc.name))
                    .at_pos(ctx.file, pos)
            })?;
            let parsed = envfile::parse(&data, ctx.env).map_err(|e| {
                ComposeError::new(format!("invalid env file ({path}): {e}"))
                    .with_path(format!("services.{}.env_file", svc.name))
                    .at_pos(ctx.file, pos)
            })?;
            lines.extend(parsed);
        }
        // opts.ConvertKVStringsToMapWithNil: later lines win
        let mut vars: Vec<(String, Option<String>)> = Vec::new();
        for l in lines {
            let (k, v) = match l.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (l, None),
            };
            vars.retain(|(x, _)| *x != k);
            vars.push((k, v));
        }
        update(&mut environment, vars, ctx.env);
    }
    let declared: Vec<(String, Option<String>)> =
        std::mem::take(&mut svc.environment).into_iter().collect();
    update(&mut environment, declared, ctx.env);
    svc.environment = environment;
    Ok(())
}

/// `resolveVolumePaths`: bind sources get `~` expanded and are made absolute.
fn resolve_volume_paths(
    svc: &mut ServiceConfig,
    node: &Node,
    ctx: &mut Ctx<'_>,
) -> Result<(), ComposeError> {
    let Some(volumes) = svc.volumes.as_mut() else {
        return Ok(());
    };
    for (i, v) in volumes.iter_mut().enumerate() {
        if v.typ != "bind" {
            continue;
        }
        if v.source.is_empty() {
            let pos = node
                .get("volumes")
                .and_then(|vs| vs.as_seq())
                .and_then(|s| s.get(i))
                .map(|n| n.pos)
                .unwrap_or(node.pos);
            return Err(ComposeError::new(
                "invalid mount config for type \"bind\": field Source must not be empty",
            )
            .with_path(format!("services.{}.volumes.{i}", svc.name))
            .at_pos(ctx.file, pos));
        }
        let mut path = v.source.clone();
        if path.starts_with('~') {
            match ctx.env.get("HOME") {
                Some(home) => path = path.replacen('~', home, 1),
                None => ctx
                    .warnings
                    .push("cannot expand '~', because the environment lacks HOME".into()),
            }
        }
        if !path.starts_with('/') && !is_windows_abs(&path) {
            path = abs_path(ctx.working_dir, &path);
        }
        v.source = path;
    }
    Ok(())
}
