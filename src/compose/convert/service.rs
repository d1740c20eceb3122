//! One service → `ServiceSpec` (`cli/compose/convert/service.go` `Services`/`Service` and
//! helpers, `opts/capabilities.go`, `opts/parse.go` `ParseRestartPolicy`,
//! `cli/command/service/parse.go` duplicate-target checks). STACK_DEPLOY_SPEC 4.3–4.7.

use std::collections::BTreeMap;
use std::net::IpAddr;

use bollard::models::{
    NetworkAttachmentConfig, ResourcesUlimits, ServiceSpec, TaskSpec, TaskSpecContainerSpec,
    TaskSpecContainerSpecDnsConfig, TaskSpecContainerSpecPrivileges, TaskSpecLogDriver,
    TaskSpecPlacement, TaskSpecPlacementPreferences, TaskSpecPlacementSpread,
};

use super::super::error::ComposeError;
use super::super::types::{Config, ServiceConfig};
use super::helpers::{Fail, hash, some_str, some_vec};
use super::mounts::convert_mount;
use super::policy::{
    effective_caps, endpoint, environment, healthcheck, isolation, mode, resources, restart_policy,
    rollback_config, update_config,
};
use super::refs::{configs, credential_spec, secrets};
use super::{LABEL_IMAGE, ServicePlan, scope, with_stack_label};

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
