//! Scheduling and runtime settings of a service: mode, update/rollback, restart policy,
//! resources, healthcheck, endpoint, capabilities, isolation, environment
//! (`cli/compose/convert/service.go`, `opts/capabilities.go`, `opts/parse.go`).

use std::collections::HashMap;

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, EndpointSpecModeEnum, GenericResourcesInner,
    GenericResourcesInnerDiscreteResourceSpec, HealthConfig, Limit, ResourceObject,
    ServiceSpecMode, ServiceSpecModeReplicated, ServiceSpecModeReplicatedJob,
    ServiceSpecRollbackConfig, ServiceSpecRollbackConfigFailureActionEnum,
    ServiceSpecRollbackConfigOrderEnum, ServiceSpecUpdateConfig,
    ServiceSpecUpdateConfigFailureActionEnum, ServiceSpecUpdateConfigOrderEnum,
    TaskSpecContainerSpecIsolationEnum, TaskSpecResources, TaskSpecRestartPolicy,
    TaskSpecRestartPolicyConditionEnum,
};

use super::super::gofmt::{atoi, format_float32};
use super::super::types::{ServiceConfig, UpdateConfig};
use super::helpers::{some_str, some_vec};
use crate::syntax::ports::{protocol, publish_mode};
use crate::syntax::units::parse_cpus;

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
pub(crate) fn restart_policy(svc: &ServiceConfig) -> Result<Option<TaskSpecRestartPolicy>, String> {
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
        retries = atoi(count).map_err(|_| {
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
pub(crate) fn ratio(f: f32) -> f64 {
    format_float32(f).parse().unwrap_or(f64::from(f))
}

pub(crate) struct Update {
    parallelism: i64,
    delay: Option<i64>,
    monitor: Option<i64>,
    ratio: f64,
}

pub(crate) fn update_common(u: &UpdateConfig) -> Update {
    Update {
        parallelism: u.parallelism.unwrap_or(1) as i64,
        delay: (u.delay != 0).then_some(u.delay),
        monitor: (u.monitor != 0).then_some(u.monitor),
        ratio: ratio(u.max_failure_ratio),
    }
}

pub(crate) fn update_config(u: &UpdateConfig) -> Result<ServiceSpecUpdateConfig, String> {
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

pub(crate) fn rollback_config(u: &UpdateConfig) -> Result<ServiceSpecRollbackConfig, String> {
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
pub(crate) fn mode(svc: &ServiceConfig) -> Result<ServiceSpecMode, String> {
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

pub(crate) fn resources(svc: &ServiceConfig) -> Result<TaskSpecResources, String> {
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

pub(crate) fn healthcheck(svc: &ServiceConfig) -> Result<Option<HealthConfig>, String> {
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

pub(crate) fn endpoint(svc: &ServiceConfig) -> Result<EndpointSpec, String> {
    let mut ports: Vec<EndpointPortConfig> = svc
        .ports
        .iter()
        .flatten()
        .map(|p| EndpointPortConfig {
            name: None,
            protocol: match p.protocol.as_str() {
                "" => None,
                s => Some(protocol(s).unwrap_or(EndpointPortConfigProtocolEnum::EMPTY)),
            },
            target_port: (p.target != 0).then_some(i64::from(p.target)),
            published_port: (p.published != 0).then_some(i64::from(p.published)),
            publish_mode: match p.mode.as_str() {
                "" => None,
                s => Some(publish_mode(s).unwrap_or(EndpointPortConfigPublishModeEnum::EMPTY)),
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

pub(crate) fn isolation(s: &str) -> Option<TaskSpecContainerSpecIsolationEnum> {
    match s.to_lowercase().as_str() {
        "" => None,
        "process" => Some(TaskSpecContainerSpecIsolationEnum::PROCESS),
        "hyperv" => Some(TaskSpecContainerSpecIsolationEnum::HYPERV),
        _ => Some(TaskSpecContainerSpecIsolationEnum::DEFAULT),
    }
}

/// `convertEnvironment`: sorted `K=V`, bare `K` for unresolved entries.
pub(crate) fn environment(svc: &ServiceConfig) -> Vec<String> {
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

#[cfg(test)]
mod tests;
