//! Typed decoding of one validated, interpolated file (docker/cli
//! `cli/compose/loader/loader.go` `loadSections`, `LoadService`, `createTransformHook`):
//! the transforms of STACK_DEPLOY_SPEC 2.7, `env_file`/`environment` resolution (2.8),
//! bind-path resolution (2.9) and the top-level object rules (2.10).

mod dec;
mod objects;

use std::collections::BTreeMap;

use self::dec::{Dec, field, index, key};
use super::FileSource;
use super::envfile;
use super::error::{ComposeError, Pos};
use super::gofmt::go_sprint;
use super::paths::{abs_path, is_windows_abs};
use super::ports::to_service_port_configs;
use super::shlex;
use super::types::*;
use super::volumespec::parse_volume;
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
fn struct_node<'n>(dec: &mut Dec, node: Option<&'n Node>, name: &str) -> Option<&'n Node> {
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
    let mut svc = decode_service(&mut dec, node, ctx.warnings);
    decode_error(dec, ctx.file, &path)?;
    svc.name = name.to_string();
    resolve_environment(&mut svc, node, ctx)?;
    resolve_volume_paths(&mut svc, node, ctx)?;
    svc.extras = extras(node);
    Ok(svc)
}

/// Decodes the fields in `types.ServiceConfig` order, so errors come out in the CLI's order.
fn decode_service(dec: &mut Dec, node: &Node, warnings: &mut Vec<String>) -> ServiceConfig {
    let g = |k: &str| node.get(k);
    ServiceConfig {
        name: String::new(),
        build: decode_build(dec, g("build")),
        cap_add: dec.strings(g("cap_add"), "cap_add"),
        cap_drop: dec.strings(g("cap_drop"), "cap_drop"),
        cgroupns_mode: dec.string(g("cgroupns_mode"), "cgroupns_mode"),
        cgroup_parent: dec.string(g("cgroup_parent"), "cgroup_parent"),
        command: shell_command(dec, g("command"), "Command"),
        configs: file_refs(dec, g("configs"), "Configs"),
        container_name: dec.string(g("container_name"), "container_name"),
        credential_spec: {
            let n = struct_node(dec, g("credential_spec"), "credential_spec");
            let f = |k: &str| n.and_then(|n| n.get(k));
            CredentialSpecConfig {
                config: dec.string(f("config"), "credential_spec.Config"),
                file: dec.string(f("file"), "credential_spec.File"),
                registry: dec.string(f("registry"), "credential_spec.Registry"),
            }
        },
        depends_on: dec.strings(g("depends_on"), "depends_on"),
        deploy: decode_deploy(dec, g("deploy")),
        devices: dec.strings(g("devices"), "Devices"),
        dns: dec.string_list(g("dns"), "DNS"),
        dns_search: dec.string_list(g("dns_search"), "dns_search"),
        domainname: dec.string(g("domainname"), "domainname"),
        entrypoint: shell_command(dec, g("entrypoint"), "Entrypoint"),
        environment: dec.mapping_with_equals(g("environment"), "Environment"),
        env_file: dec.string_list(g("env_file"), "env_file"),
        expose: match g("expose").map(|n| &n.kind) {
            Some(Kind::Seq(items)) => items.iter().map(go_sprint).collect(),
            _ => Vec::new(),
        },
        external_links: dec.strings(g("external_links"), "external_links"),
        extra_hosts: hosts_list(dec, g("extra_hosts"), "extra_hosts"),
        hostname: dec.string(g("hostname"), "Hostname"),
        healthcheck: decode_healthcheck(dec, g("healthcheck")),
        image: dec.string(g("image"), "Image"),
        init: dec.opt_bool(g("init"), "Init"),
        ipc: dec.string(g("ipc"), "Ipc"),
        isolation: dec.string(g("isolation"), "isolation"),
        labels: dec.labels(g("labels"), "Labels"),
        links: dec.strings(g("links"), "Links"),
        logging: struct_node(dec, g("logging"), "Logging").map(|n| LoggingConfig {
            driver: dec.string(n.get("driver"), "Logging.Driver"),
            options: dec.string_map(n.get("options"), "Logging.Options"),
        }),
        mac_address: dec.string(g("mac_address"), "mac_address"),
        network_mode: dec.string(g("network_mode"), "network_mode"),
        networks: service_networks(dec, g("networks")),
        pid: dec.string(g("pid"), "Pid"),
        ports: ports(dec, g("ports"), warnings),
        privileged: dec.boolean(g("privileged"), "Privileged"),
        read_only: dec.boolean(g("read_only"), "read_only"),
        restart: dec.string(g("restart"), "Restart"),
        secrets: file_refs(dec, g("secrets"), "Secrets"),
        security_opt: dec.strings(g("security_opt"), "security_opt"),
        shm_size: dec.string(g("shm_size"), "shm_size"),
        stdin_open: dec.boolean(g("stdin_open"), "stdin_open"),
        stop_grace_period: dec.opt_duration(g("stop_grace_period"), "stop_grace_period"),
        stop_signal: dec.string(g("stop_signal"), "stop_signal"),
        sysctls: dec.labels(g("sysctls"), "Sysctls"),
        tmpfs: dec.string_list(g("tmpfs"), "Tmpfs"),
        tty: dec.boolean(g("tty"), "tty"),
        ulimits: ulimits(dec, g("ulimits")),
        user: dec.string(g("user"), "User"),
        oom_score_adj: 0,
        userns_mode: dec.string(g("userns_mode"), "userns_mode"),
        volumes: volumes(dec, g("volumes")),
        working_dir: dec.string(g("working_dir"), "working_dir"),
        extras: BTreeMap::new(),
    }
}

fn decode_build(dec: &mut Dec, node: Option<&Node>) -> BuildConfig {
    let Some(n) = node else {
        return BuildConfig::default();
    };
    match &n.kind {
        Kind::Str(s) => BuildConfig {
            context: s.clone(),
            ..BuildConfig::default()
        },
        Kind::Map(_) => {
            let g = |k: &str| n.get(k);
            BuildConfig {
                context: dec.string(g("context"), "Build.Context"),
                dockerfile: dec.string(g("dockerfile"), "Build.Dockerfile"),
                args: dec.mapping_with_equals(g("args"), "Build.Args"),
                labels: dec.labels(g("labels"), "Build.Labels"),
                cache_from: dec.string_list(g("cache_from"), "Build.cache_from"),
                extra_hosts: hosts_list(dec, g("extra_hosts"), "Build.extra_hosts"),
                network: dec.string(g("network"), "Build.Network"),
                target: dec.string(g("target"), "Build.Target"),
            }
        }
        Kind::Null => BuildConfig::default(),
        _ => {
            dec.hook_err(
                "Build",
                format!("invalid type {} for service build", n.go_type()),
                n.pos,
            );
            BuildConfig::default()
        }
    }
}

/// `ShellCommand`: a string is split like a shell would.
fn shell_command(dec: &mut Dec, node: Option<&Node>, name: &str) -> Option<Vec<String>> {
    let n = node?;
    match &n.kind {
        Kind::Null => None,
        Kind::Str(s) => match shlex::split(s) {
            Ok(words) => Some(words),
            Err(e) => {
                dec.hook_err(name, e, n.pos);
                None
            }
        },
        _ => Some(dec.strings(Some(n), name)),
    }
}

/// `[]ServiceSecretConfig` / `[]ServiceConfigObjConfig` (`transformStringSourceMap`).
fn file_refs(dec: &mut Dec, node: Option<&Node>, name: &str) -> Option<Vec<FileReferenceConfig>> {
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

fn update_config(dec: &mut Dec, node: Option<&Node>, name: &str) -> Option<UpdateConfig> {
    let n = struct_node(dec, node, name)?;
    let g = |k: &str| n.get(k);
    Some(UpdateConfig {
        parallelism: dec.opt_uint(g("parallelism"), &field(name, "Parallelism"), "uint64"),
        delay: dec
            .opt_duration(g("delay"), &field(name, "Delay"))
            .unwrap_or(0),
        failure_action: dec.string(g("failure_action"), &field(name, "failure_action")),
        monitor: dec
            .opt_duration(g("monitor"), &field(name, "Monitor"))
            .unwrap_or(0),
        max_failure_ratio: dec.float32(g("max_failure_ratio"), &field(name, "max_failure_ratio")),
        order: dec.string(g("order"), &field(name, "Order")),
    })
}

fn decode_deploy(dec: &mut Dec, node: Option<&Node>) -> DeployConfig {
    let Some(n) = struct_node(dec, node, "Deploy") else {
        return DeployConfig::default();
    };
    let g = |k: &str| n.get(k);
    // fields in `types.DeployConfig` order, so errors come out in the CLI's order
    let mode = dec.string(g("mode"), "Deploy.Mode");
    let replicas = dec.opt_uint(g("replicas"), "Deploy.Replicas", "uint64");
    let labels = dec.labels(g("labels"), "Deploy.Labels");
    let update = update_config(dec, g("update_config"), "Deploy.update_config");
    let rollback = update_config(dec, g("rollback_config"), "Deploy.rollback_config");
    let resources = match struct_node(dec, g("resources"), "Deploy.Resources") {
        None => Resources::default(),
        Some(r) => Resources {
            limits: struct_node(dec, r.get("limits"), "Deploy.Resources.Limits").map(|l| {
                ResourceLimit {
                    nano_cpus: dec.string(l.get("cpus"), "Deploy.Resources.Limits.cpus"),
                    memory_bytes: dec.size(l.get("memory"), "Deploy.Resources.Limits.memory"),
                    pids: dec
                        .opt_int(l.get("pids"), "Deploy.Resources.Limits.pids", "int64")
                        .unwrap_or(0),
                }
            }),
            reservations: struct_node(dec, r.get("reservations"), "Deploy.Resources.Reservations")
                .map(|l| Resource {
                    nano_cpus: dec.string(l.get("cpus"), "Deploy.Resources.Reservations.cpus"),
                    memory_bytes: dec.size(l.get("memory"), "Deploy.Resources.Reservations.memory"),
                    generic_resources: generic_resources(dec, l.get("generic_resources")),
                }),
        },
    };
    let restart_policy =
        struct_node(dec, g("restart_policy"), "Deploy.restart_policy").map(|r| RestartPolicy {
            condition: dec.string(r.get("condition"), "Deploy.restart_policy.Condition"),
            delay: dec.opt_duration(r.get("delay"), "Deploy.restart_policy.Delay"),
            max_attempts: dec.opt_uint(
                r.get("max_attempts"),
                "Deploy.restart_policy.max_attempts",
                "uint64",
            ),
            window: dec.opt_duration(r.get("window"), "Deploy.restart_policy.Window"),
        });
    let placement = match struct_node(dec, g("placement"), "Deploy.Placement") {
        None => Placement::default(),
        Some(p) => Placement {
            constraints: dec.strings(p.get("constraints"), "Deploy.Placement.Constraints"),
            preferences: match p.get("preferences").map(|x| &x.kind) {
                Some(Kind::Seq(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, it)| {
                        dec.string(
                            it.get("spread"),
                            &field(&index("Deploy.Placement.Preferences", i), "Spread"),
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            },
            max_replicas: dec
                .opt_uint(
                    p.get("max_replicas_per_node"),
                    "Deploy.Placement.max_replicas_per_node",
                    "uint64",
                )
                .unwrap_or(0),
        },
    };
    DeployConfig {
        mode,
        replicas,
        labels,
        update_config: update,
        rollback_config: rollback,
        resources,
        restart_policy,
        placement,
        endpoint_mode: dec.string(g("endpoint_mode"), "Deploy.endpoint_mode"),
    }
}

fn generic_resources(dec: &mut Dec, node: Option<&Node>) -> Vec<GenericResource> {
    let name = "Deploy.Resources.Reservations.generic_resources";
    let Some(Kind::Seq(items)) = node.map(|n| &n.kind) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let iname = index(name, i);
            GenericResource {
                discrete_resource_spec: it.get("discrete_resource_spec").and_then(|d| {
                    let dname = field(&iname, "discrete_resource_spec");
                    struct_node(dec, Some(d), &dname).map(|d| DiscreteGenericResource {
                        kind: dec.string(d.get("kind"), &field(&dname, "Kind")),
                        value: dec
                            .opt_int(d.get("value"), &field(&dname, "Value"), "int64")
                            .unwrap_or(0),
                    })
                }),
            }
        })
        .collect()
}

fn decode_healthcheck(dec: &mut Dec, node: Option<&Node>) -> Option<HealthCheckConfig> {
    let n = struct_node(dec, node, "HealthCheck")?;
    let g = |k: &str| n.get(k);
    let test = match g("test") {
        None => Vec::new(),
        Some(t) => match &t.kind {
            Kind::Null => Vec::new(),
            Kind::Str(s) => vec!["CMD-SHELL".to_string(), s.clone()],
            Kind::Seq(_) => dec.strings(Some(t), "HealthCheck.Test"),
            _ => {
                dec.hook_err(
                    "HealthCheck.Test",
                    format!("invalid type {} for healthcheck.test", t.go_type()),
                    t.pos,
                );
                Vec::new()
            }
        },
    };
    Some(HealthCheckConfig {
        test,
        timeout: dec.opt_duration(g("timeout"), "HealthCheck.Timeout"),
        interval: dec.opt_duration(g("interval"), "HealthCheck.Interval"),
        retries: dec.opt_uint(g("retries"), "HealthCheck.Retries", "uint64"),
        start_period: dec.opt_duration(g("start_period"), "HealthCheck.start_period"),
        start_interval: dec.opt_duration(g("start_interval"), "HealthCheck.start_interval"),
        disable: dec.boolean(g("disable"), "HealthCheck.Disable"),
    })
}

/// `HostsList` (`transformHostsList`): `host:ip` strings, `[ipv6]` brackets stripped.
fn hosts_list(dec: &mut Dec, node: Option<&Node>, name: &str) -> Vec<String> {
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

fn service_networks(
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
fn ports(
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
            Some(spec) => match to_service_port_configs(&spec, &mut local_warnings) {
                Ok(p) => out.extend(p),
                Err(e) => {
                    dec.hook_err("Ports", e, it.pos);
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

fn ulimits(dec: &mut Dec, node: Option<&Node>) -> BTreeMap<String, UlimitsConfig> {
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

fn volumes(dec: &mut Dec, node: Option<&Node>) -> Option<Vec<ServiceVolumeConfig>> {
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
