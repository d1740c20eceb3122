//! One service → `ServiceSpec` (`cli/compose/convert/service.go` `Services`/`Service` and
//! helpers, `opts/capabilities.go`, `opts/parse.go` `ParseRestartPolicy`,
//! `cli/command/service/parse.go` duplicate-target checks). STACK_DEPLOY_SPEC 4.3–4.7.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, EndpointSpecModeEnum, GenericResourcesInner,
    GenericResourcesInnerDiscreteResourceSpec, HealthConfig, Limit, NetworkAttachmentConfig,
    ResourceObject, ResourcesUlimits, ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated,
    ServiceSpecModeReplicatedJob, ServiceSpecRollbackConfig,
    ServiceSpecRollbackConfigFailureActionEnum, ServiceSpecRollbackConfigOrderEnum,
    ServiceSpecUpdateConfig, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, TaskSpec, TaskSpecContainerSpec,
    TaskSpecContainerSpecConfigs, TaskSpecContainerSpecDnsConfig, TaskSpecContainerSpecFile,
    TaskSpecContainerSpecFile1, TaskSpecContainerSpecIsolationEnum,
    TaskSpecContainerSpecPrivileges, TaskSpecContainerSpecPrivilegesCredentialSpec,
    TaskSpecContainerSpecSecrets, TaskSpecLogDriver, TaskSpecPlacement,
    TaskSpecPlacementPreferences, TaskSpecPlacementSpread, TaskSpecResources,
    TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};

use super::super::error::ComposeError;
use super::super::gofmt::format_float32;
use super::super::types::{
    Config, FileObjectConfig, FileReferenceConfig, ServiceConfig, UpdateConfig,
};
use super::super::units::parse_cpus;
use super::mounts::convert_mount;
use super::{LABEL_IMAGE, ServicePlan, scope, with_stack_label};

fn hash(m: BTreeMap<String, String>) -> HashMap<String, String> {
    m.into_iter().collect()
}

fn some_vec<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

fn some_str(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// A conversion error for service `key` at `path`.
struct Fail<'a> {
    cfg: &'a Config,
    key: &'a str,
}

impl Fail<'_> {
    fn err(&self, msg: impl std::fmt::Display, field: &str) -> ComposeError {
        let path = if field.is_empty() {
            format!("services.{}", self.key)
        } else {
            format!("services.{}.{field}", self.key)
        };
        ComposeError::new(format!("service {}: {msg}", self.key))
            .at(self.cfg.locations.find(&path))
            .with_path(path)
    }
}

struct Ref {
    name: String,
    target: String,
    uid: String,
    gid: String,
    mode: u32,
}

/// `convertFileObject`: the referenced object's name and the file target.
fn file_object(
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

fn secrets(
    stack: &str,
    cfg: &Config,
    svc: &ServiceConfig,
    fail: &Fail<'_>,
) -> Result<Vec<TaskSpecContainerSpecSecrets>, ComposeError> {
    let mut out: Vec<TaskSpecContainerSpecSecrets> = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    for (i, r) in svc.secrets.iter().flatten().enumerate() {
        let f = file_object(stack, r, &cfg.secrets, "secret")
            .map_err(|e| fail.err(e, &format!("secrets.{i}")))?;
        if targets.contains(&f.target) {
            return Err(fail.err(
                format!("duplicate secret target for {} not allowed", f.name),
                &format!("secrets.{i}"),
            ));
        }
        targets.push(f.target.clone());
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
fn configs(
    stack: &str,
    cfg: &Config,
    svc: &ServiceConfig,
    fail: &Fail<'_>,
) -> Result<(Vec<TaskSpecContainerSpecConfigs>, Option<String>), ComposeError> {
    let mut out: Vec<TaskSpecContainerSpecConfigs> = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    for (i, r) in svc.configs.iter().flatten().enumerate() {
        let f = file_object(stack, r, &cfg.configs, "config")
            .map_err(|e| fail.err(e, &format!("configs.{i}")))?;
        if targets.contains(&f.target) {
            return Err(fail.err(
                format!("duplicate config target for {} not allowed", f.name),
                &format!("configs.{i}"),
            ));
        }
        targets.push(f.target.clone());
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

/// `EffectiveCapAddCapDrop`.
pub fn effective_caps(add: &[String], drop: &[String]) -> (Vec<String>, Vec<String>) {
    fn normalize(c: &str) -> String {
        let c = c.trim().to_uppercase();
        if c == "ALL" || c == "RESET" || c.starts_with("CAP_") {
            c
        } else {
            format!("CAP_{c}")
        }
    }
    let set = |caps: &[String]| {
        let s: std::collections::BTreeSet<String> = caps.iter().map(|c| normalize(c)).collect();
        if s.contains("ALL") {
            ["ALL".to_string()].into_iter().collect()
        } else {
            s
        }
    };
    let (add_set, drop_set) = (set(add), set(drop));
    let cap_drop: Vec<String> = drop_set
        .iter()
        .filter(|c| !add_set.contains(*c) && *c != "RESET")
        .cloned()
        .collect();
    let cap_add: Vec<String> = add_set.into_iter().filter(|c| c != "RESET").collect();
    (cap_add, cap_drop)
}

/// `convertRestartPolicy` (v29 semantics).
fn restart_policy(svc: &ServiceConfig) -> Result<Option<TaskSpecRestartPolicy>, String> {
    if let Some(p) = &svc.deploy.restart_policy {
        let condition = match p.condition.as_str() {
            "" => None,
            "none" => Some(TaskSpecRestartPolicyConditionEnum::NONE),
            "on-failure" => Some(TaskSpecRestartPolicyConditionEnum::ON_FAILURE),
            "any" => Some(TaskSpecRestartPolicyConditionEnum::ANY),
            // rejected by the daemon (`restartPolicyToGRPC`)
            other => return Err(format!("invalid RestartCondition: \"{other}\"")),
        };
        return Ok(Some(TaskSpecRestartPolicy {
            condition,
            delay: p.delay,
            max_attempts: p.max_attempts.map(|m| m as i64),
            window: p.window,
        }));
    }
    if svc.restart.is_empty() {
        return Ok(None);
    }
    let (name, count) = match svc.restart.split_once(':') {
        Some(("", _)) => {
            return Err("invalid restart policy format: no policy provided before colon".into());
        }
        Some((n, c)) => (n, c),
        None => (svc.restart.as_str(), ""),
    };
    let mut retries: i64 = 0;
    if !count.is_empty() {
        retries = super::super::gofmt::atoi(count).map_err(|_| {
            "invalid restart policy format: maximum retry count must be an integer".to_string()
        })?;
    }
    if retries < 0 {
        return Err("invalid restart policy: maximum retry count cannot be negative".into());
    }
    let max_attempts = (retries > 0).then_some(retries);
    match name {
        "no" | "" => Ok(None),
        "always" | "unless-stopped" => Ok(Some(TaskSpecRestartPolicy {
            condition: Some(TaskSpecRestartPolicyConditionEnum::ANY),
            max_attempts,
            ..TaskSpecRestartPolicy::default()
        })),
        "on-failure" => Ok(Some(TaskSpecRestartPolicy {
            condition: Some(TaskSpecRestartPolicyConditionEnum::ON_FAILURE),
            max_attempts,
            ..TaskSpecRestartPolicy::default()
        })),
        other => Err(format!(
            "invalid restart policy: unknown policy '{other}' (must be one of 'no', 'always', 'on-failure', or 'unless-stopped')"
        )),
    }
}

/// Go sends `float32`; its JSON is the shortest float32 decimal.
fn ratio(f: f32) -> f64 {
    format_float32(f).parse().unwrap_or(f64::from(f))
}

struct Update {
    parallelism: i64,
    delay: Option<i64>,
    monitor: Option<i64>,
    ratio: f64,
}

fn update_common(u: &UpdateConfig) -> Update {
    Update {
        parallelism: u.parallelism.unwrap_or(1) as i64,
        delay: (u.delay != 0).then_some(u.delay),
        monitor: (u.monitor != 0).then_some(u.monitor),
        ratio: ratio(u.max_failure_ratio),
    }
}

fn update_config(u: &UpdateConfig) -> Result<ServiceSpecUpdateConfig, String> {
    let c = update_common(u);
    Ok(ServiceSpecUpdateConfig {
        parallelism: Some(c.parallelism),
        delay: c.delay,
        failure_action: match u.failure_action.as_str() {
            "" => None,
            "continue" => Some(ServiceSpecUpdateConfigFailureActionEnum::CONTINUE),
            "pause" => Some(ServiceSpecUpdateConfigFailureActionEnum::PAUSE),
            "rollback" => Some(ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK),
            other => return Err(format!("unrecognized update failure action {other}")),
        },
        monitor: c.monitor,
        max_failure_ratio: Some(c.ratio),
        order: Some(match u.order.as_str() {
            "" => ServiceSpecUpdateConfigOrderEnum::EMPTY,
            "stop-first" => ServiceSpecUpdateConfigOrderEnum::STOP_FIRST,
            "start-first" => ServiceSpecUpdateConfigOrderEnum::START_FIRST,
            other => return Err(format!("unrecognized update order {other}")),
        }),
    })
}

fn rollback_config(u: &UpdateConfig) -> Result<ServiceSpecRollbackConfig, String> {
    let c = update_common(u);
    Ok(ServiceSpecRollbackConfig {
        parallelism: Some(c.parallelism),
        delay: c.delay,
        failure_action: match u.failure_action.as_str() {
            "" => None,
            "continue" => Some(ServiceSpecRollbackConfigFailureActionEnum::CONTINUE),
            "pause" => Some(ServiceSpecRollbackConfigFailureActionEnum::PAUSE),
            other => return Err(format!("unrecognized update failure action {other}")),
        },
        monitor: c.monitor,
        max_failure_ratio: Some(c.ratio),
        order: Some(match u.order.as_str() {
            "" => ServiceSpecRollbackConfigOrderEnum::EMPTY,
            "stop-first" => ServiceSpecRollbackConfigOrderEnum::STOP_FIRST,
            "start-first" => ServiceSpecRollbackConfigOrderEnum::START_FIRST,
            other => return Err(format!("unrecognized update order {other}")),
        }),
    })
}

/// `convertDeployMode`.
fn mode(svc: &ServiceConfig) -> Result<ServiceSpecMode, String> {
    let replicas = svc.deploy.replicas.map(|r| r as i64);
    let only_replicated = "replicas can only be used with replicated or replicated-job mode";
    Ok(match svc.deploy.mode.as_str() {
        "global-job" => {
            if replicas.is_some() {
                return Err(only_replicated.into());
            }
            ServiceSpecMode {
                global_job: Some(HashMap::new()),
                ..ServiceSpecMode::default()
            }
        }
        "global" => {
            if replicas.is_some() {
                return Err(only_replicated.into());
            }
            ServiceSpecMode {
                global: Some(HashMap::new()),
                ..ServiceSpecMode::default()
            }
        }
        "replicated-job" => ServiceSpecMode {
            replicated_job: Some(ServiceSpecModeReplicatedJob {
                max_concurrent: replicas,
                total_completions: replicas,
            }),
            ..ServiceSpecMode::default()
        },
        "replicated" | "" => ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated { replicas }),
            ..ServiceSpecMode::default()
        },
        other => return Err(format!("unknown mode: {other}")),
    })
}

fn resources(svc: &ServiceConfig) -> Result<TaskSpecResources, String> {
    let r = &svc.deploy.resources;
    let cpus =
        |s: &str| -> Result<i64, String> { if s.is_empty() { Ok(0) } else { parse_cpus(s) } };
    let nz = |v: i64| (v != 0).then_some(v);
    let limits = match &r.limits {
        None => None,
        Some(l) => Some(Limit {
            nano_cpus: nz(cpus(&l.nano_cpus)?),
            memory_bytes: nz(l.memory_bytes),
            pids: nz(l.pids),
        }),
    };
    let reservations = match &r.reservations {
        None => None,
        Some(l) => Some(ResourceObject {
            nano_cpus: nz(cpus(&l.nano_cpus)?),
            memory_bytes: nz(l.memory_bytes),
            generic_resources: some_vec(
                l.generic_resources
                    .iter()
                    .map(|g| GenericResourcesInner {
                        named_resource_spec: None,
                        discrete_resource_spec: g.discrete_resource_spec.as_ref().map(|d| {
                            GenericResourcesInnerDiscreteResourceSpec {
                                kind: some_str(&d.kind),
                                value: Some(d.value),
                            }
                        }),
                    })
                    .collect(),
            ),
        }),
    };
    Ok(TaskSpecResources {
        limits,
        reservations,
        ..TaskSpecResources::default()
    })
}

fn healthcheck(svc: &ServiceConfig) -> Result<Option<HealthConfig>, String> {
    let Some(h) = &svc.healthcheck else {
        return Ok(None);
    };
    if h.disable {
        if !h.test.is_empty() {
            return Err("test and disable can't be set at the same time".into());
        }
        return Ok(Some(HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..HealthConfig::default()
        }));
    }
    let nz = |v: Option<i64>| v.filter(|d| *d != 0);
    Ok(Some(HealthConfig {
        test: some_vec(h.test.clone()),
        interval: nz(h.interval),
        timeout: nz(h.timeout),
        retries: h.retries.filter(|r| *r != 0).map(|r| r as i64),
        start_period: nz(h.start_period),
        start_interval: nz(h.start_interval),
    }))
}

/// `convertServiceNetworks`: aliases plus the service key on user-defined networks.
fn networks(
    stack: &str,
    cfg: &Config,
    svc: &ServiceConfig,
) -> Result<Vec<NetworkAttachmentConfig>, (String, String)> {
    let default_only: BTreeMap<String, Option<super::super::types::ServiceNetworkConfig>> =
        [("default".to_string(), None)].into();
    let nets = if svc.networks.is_empty() {
        &default_only
    } else {
        &svc.networks
    };
    let mut out = Vec::new();
    for (key, attach) in nets {
        let declared = cfg.networks.get(key);
        if declared.is_none() && key != "default" {
            return Err((key.clone(), format!("undefined network \"{key}\"")));
        }
        let target = match declared {
            Some(n) if !n.name.is_empty() => n.name.clone(),
            _ => scope(stack, key),
        };
        let mut aliases = attach
            .as_ref()
            .map(|a| a.aliases.clone())
            .unwrap_or_default();
        let driver_opts = attach
            .as_ref()
            .map(|a| a.driver_opts.clone())
            .unwrap_or_default();
        // container.NetworkMode.IsUserDefined
        let user_defined = !matches!(target.as_str(), "default" | "bridge" | "host" | "none")
            && !target.starts_with("container:");
        if user_defined {
            aliases.push(svc.name.clone());
        }
        out.push(NetworkAttachmentConfig {
            target: Some(target),
            aliases: some_vec(aliases),
            driver_opts: (!driver_opts.is_empty()).then(|| hash(driver_opts)),
        });
    }
    out.sort_by(|a, b| a.target.cmp(&b.target));
    Ok(out)
}

fn endpoint(svc: &ServiceConfig) -> Result<EndpointSpec, String> {
    let mut ports: Vec<EndpointPortConfig> = svc
        .ports
        .iter()
        .flatten()
        .map(|p| EndpointPortConfig {
            name: None,
            protocol: match p.protocol.to_lowercase().as_str() {
                "" => None,
                "tcp" => Some(EndpointPortConfigProtocolEnum::TCP),
                "udp" => Some(EndpointPortConfigProtocolEnum::UDP),
                "sctp" => Some(EndpointPortConfigProtocolEnum::SCTP),
                _ => Some(EndpointPortConfigProtocolEnum::EMPTY),
            },
            target_port: (p.target != 0).then_some(i64::from(p.target)),
            published_port: (p.published != 0).then_some(i64::from(p.published)),
            publish_mode: match p.mode.to_lowercase().as_str() {
                "" => None,
                "ingress" => Some(EndpointPortConfigPublishModeEnum::INGRESS),
                "host" => Some(EndpointPortConfigPublishModeEnum::HOST),
                _ => Some(EndpointPortConfigPublishModeEnum::EMPTY),
            },
        })
        .collect();
    // swarm.PortConfig.Compare: published, target, protocol, mode
    let key = |p: &EndpointPortConfig| {
        (
            p.published_port,
            p.target_port,
            p.protocol
                .map(|x| x.as_ref().to_string())
                .unwrap_or_default(),
            p.publish_mode
                .map(|x| x.as_ref().to_string())
                .unwrap_or_default(),
        )
    };
    ports.sort_by_key(key);
    let mode = match svc.deploy.endpoint_mode.to_lowercase().as_str() {
        "" => None,
        "vip" => Some(EndpointSpecModeEnum::VIP),
        "dnsrr" => Some(EndpointSpecModeEnum::DNSRR),
        // rejected by the daemon (`ServiceSpecToGRPC`)
        other => return Err(format!("invalid resolution mode: \"{other}\"")),
    };
    Ok(EndpointSpec {
        mode,
        ports: some_vec(ports),
    })
}

fn credential_spec(
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

fn isolation(s: &str) -> Option<TaskSpecContainerSpecIsolationEnum> {
    match s.to_lowercase().as_str() {
        "" => None,
        "process" => Some(TaskSpecContainerSpecIsolationEnum::PROCESS),
        "hyperv" => Some(TaskSpecContainerSpecIsolationEnum::HYPERV),
        _ => Some(TaskSpecContainerSpecIsolationEnum::DEFAULT),
    }
}

/// `convertEnvironment`: sorted `K=V`, bare `K` for unresolved entries.
fn environment(svc: &ServiceConfig) -> Vec<String> {
    let mut env: Vec<String> = svc
        .environment
        .iter()
        .map(|(k, v)| match v {
            None => k.clone(),
            Some(v) => format!("{k}={v}"),
        })
        .collect();
    env.sort();
    env
}

/// Converts one service (`Services` loop body + `Service`).
pub fn convert_service(
    stack: &str,
    cfg: &Config,
    svc: &ServiceConfig,
) -> Result<ServicePlan, ComposeError> {
    let fail = Fail {
        cfg,
        key: &svc.name,
    };
    let secret_refs = secrets(stack, cfg, svc, &fail)?;
    let (config_refs, cred_config) = configs(stack, cfg, svc, &fail)?;
    let endpoint_spec = endpoint(svc).map_err(|e| fail.err(e, "deploy.endpoint_mode"))?;
    let mode = mode(svc).map_err(|e| fail.err(e, "deploy.mode"))?;
    let mut mounts = Vec::new();
    for (i, v) in svc.volumes.iter().flatten().enumerate() {
        mounts
            .push(convert_mount(stack, cfg, v).map_err(|e| fail.err(e, &format!("volumes.{i}")))?);
    }
    let resources = resources(svc).map_err(|e| fail.err(e, "deploy.resources"))?;
    let restart = restart_policy(svc).map_err(|e| {
        let field = if svc.deploy.restart_policy.is_some() {
            "deploy.restart_policy"
        } else {
            "restart"
        };
        fail.err(e, field)
    })?;
    let health = healthcheck(svc).map_err(|e| fail.err(e, "healthcheck"))?;
    let nets =
        networks(stack, cfg, svc).map_err(|(key, e)| fail.err(e, &format!("networks.{key}")))?;
    let dns_config = (!svc.dns.is_empty() || !svc.dns_search.is_empty()).then(|| {
        TaskSpecContainerSpecDnsConfig {
            nameservers: some_vec(
                svc.dns
                    .iter()
                    .filter_map(|d| d.parse::<IpAddr>().ok())
                    .map(|ip| ip.to_string())
                    .collect(),
            ),
            search: some_vec(svc.dns_search.clone()),
            options: None,
        }
    });
    let cred = credential_spec(svc, cred_config).map_err(|e| fail.err(e, "credential_spec"))?;
    let update = svc
        .deploy
        .update_config
        .as_ref()
        .map(update_config)
        .transpose()
        .map_err(|e| fail.err(e, "deploy.update_config"))?;
    let rollback = svc
        .deploy
        .rollback_config
        .as_ref()
        .map(rollback_config)
        .transpose()
        .map_err(|e| fail.err(e, "deploy.rollback_config"))?;
    let (cap_add, cap_drop) = effective_caps(&svc.cap_add, &svc.cap_drop);
    let mut ulimits: Vec<ResourcesUlimits> = svc
        .ulimits
        .iter()
        .map(|(name, u)| {
            let (soft, hard) = if u.single != 0 {
                (u.single, u.single)
            } else {
                (u.soft, u.hard)
            };
            ResourcesUlimits {
                name: Some(name.clone()),
                soft: Some(soft),
                hard: Some(hard),
            }
        })
        .collect();
    ulimits.sort_by(|a, b| a.name.cmp(&b.name));

    let mut service_labels = with_stack_label(stack, &svc.deploy.labels);
    service_labels.insert(LABEL_IMAGE.to_string(), svc.image.clone());

    let container = TaskSpecContainerSpec {
        image: Some(svc.image.clone()),
        labels: Some(hash(with_stack_label(stack, &svc.labels))),
        command: svc.entrypoint.clone().and_then(some_vec),
        args: svc.command.clone().and_then(some_vec),
        hostname: some_str(&svc.hostname),
        env: some_vec(environment(svc)),
        dir: some_str(&svc.working_dir),
        user: some_str(&svc.user),
        privileges: Some(TaskSpecContainerSpecPrivileges {
            credential_spec: cred,
            ..TaskSpecContainerSpecPrivileges::default()
        }),
        tty: svc.tty.then_some(true),
        open_stdin: svc.stdin_open.then_some(true),
        read_only: svc.read_only.then_some(true),
        mounts: some_vec(mounts),
        stop_signal: some_str(&svc.stop_signal),
        stop_grace_period: svc.stop_grace_period,
        health_check: health,
        hosts: some_vec(
            svc.extra_hosts
                .iter()
                .filter_map(|h| h.split_once(':').map(|(host, ip)| format!("{ip} {host}")))
                .collect(),
        ),
        dns_config,
        secrets: some_vec(secret_refs),
        configs: some_vec(config_refs),
        isolation: isolation(&svc.isolation),
        init: svc.init,
        sysctls: (!svc.sysctls.is_empty()).then(|| hash(svc.sysctls.clone())),
        capability_add: some_vec(cap_add),
        capability_drop: some_vec(cap_drop),
        ulimits: some_vec(ulimits),
        ..TaskSpecContainerSpec::default()
    };
    let placement = TaskSpecPlacement {
        constraints: some_vec(svc.deploy.placement.constraints.clone()),
        preferences: some_vec(
            svc.deploy
                .placement
                .preferences
                .iter()
                .map(|s| TaskSpecPlacementPreferences {
                    spread: Some(TaskSpecPlacementSpread {
                        spread_descriptor: Some(s.clone()),
                    }),
                })
                .collect(),
        ),
        max_replicas: (svc.deploy.placement.max_replicas != 0)
            .then_some(svc.deploy.placement.max_replicas as i64),
        platforms: None,
    };
    let log_driver = svc.logging.as_ref().map(|l| TaskSpecLogDriver {
        name: some_str(&l.driver),
        options: l
            .options
            .as_ref()
            .filter(|o| !o.is_empty())
            .map(|o| hash(o.clone())),
    });
    let mut secret_names: Vec<String> = container
        .secrets
        .iter()
        .flatten()
        .filter_map(|s| s.secret_name.clone())
        .collect();
    secret_names.dedup();
    let mut config_names: Vec<String> = container
        .configs
        .iter()
        .flatten()
        .filter_map(|c| c.config_name.clone())
        .collect();
    config_names.sort();
    config_names.dedup();

    let spec = ServiceSpec {
        name: Some(scope(stack, &svc.name)),
        labels: Some(hash(service_labels)),
        task_template: Some(TaskSpec {
            container_spec: Some(container),
            resources: Some(resources),
            restart_policy: restart,
            placement: Some(placement),
            networks: Some(nets),
            log_driver,
            ..TaskSpec::default()
        }),
        mode: Some(mode),
        update_config: update,
        rollback_config: rollback,
        networks: None,
        endpoint_spec: Some(endpoint_spec),
    };
    Ok(ServicePlan {
        key: svc.name.clone(),
        name: scope(stack, &svc.name),
        image: svc.image.clone(),
        spec,
        secret_names,
        config_names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(add: &[&str], drop: &[&str]) -> (Vec<String>, Vec<String>) {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        effective_caps(&s(add), &s(drop))
    }

    #[test]
    fn capabilities_are_normalised() {
        assert_eq!(
            caps(&["net_admin", " CAP_SYS_TIME "], &["chown"]),
            (
                vec!["CAP_NET_ADMIN".to_string(), "CAP_SYS_TIME".to_string()],
                vec!["CAP_CHOWN".to_string()]
            )
        );
        assert_eq!(
            caps(&["ALL", "NET_ADMIN"], &["NET_ADMIN", "RESET"]),
            (vec!["ALL".to_string()], vec!["CAP_NET_ADMIN".to_string()])
        );
        assert_eq!(
            caps(&["NET_ADMIN"], &["net_admin", "x"]),
            (vec!["CAP_NET_ADMIN".to_string()], vec!["CAP_X".to_string()])
        );
    }

    fn restart(r: &str) -> Result<Option<TaskSpecRestartPolicy>, String> {
        let svc = ServiceConfig {
            restart: r.into(),
            ..ServiceConfig::default()
        };
        restart_policy(&svc)
    }

    #[test]
    fn restart_fallback() {
        assert_eq!(restart(""), Ok(None));
        assert_eq!(restart("no"), Ok(None));
        assert_eq!(
            restart("always").map(|p| p.and_then(|p| p.condition)),
            Ok(Some(TaskSpecRestartPolicyConditionEnum::ANY))
        );
        let p = restart("on-failure:3").ok().flatten().unwrap_or_default();
        assert_eq!(
            p.condition,
            Some(TaskSpecRestartPolicyConditionEnum::ON_FAILURE)
        );
        assert_eq!(p.max_attempts, Some(3));
        let p = restart("on-failure").ok().flatten().unwrap_or_default();
        assert_eq!(p.max_attempts, None);
        assert_eq!(
            restart(":3"),
            Err("invalid restart policy format: no policy provided before colon".into())
        );
        assert_eq!(
            restart("on-failure:x"),
            Err("invalid restart policy format: maximum retry count must be an integer".into())
        );
        assert_eq!(
            restart("on-failure:-1"),
            Err("invalid restart policy: maximum retry count cannot be negative".into())
        );
        assert_eq!(
            restart("sometimes"),
            Err("invalid restart policy: unknown policy 'sometimes' (must be one of 'no', 'always', 'on-failure', or 'unless-stopped')".into())
        );
    }
}
