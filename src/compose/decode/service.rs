//! The fields of one service, decoded in `types.ServiceConfig` order with the CLI's transforms
//! (`cli/compose/loader/loader.go` `createTransformHook`, STACK_DEPLOY_SPEC 2.7).

use std::collections::BTreeMap;

use super::super::gofmt::go_sprint;
use super::super::types::*;
use super::super::yaml::{Kind, Node};
use super::dec::{Dec, field, index};
use super::fields::{
    file_refs, hosts_list, ports, service_networks, shell_command, ulimits, volumes,
};
use super::struct_node;

/// Decodes the fields in `types.ServiceConfig` order, so errors come out in the CLI's order.
pub(crate) fn decode_service(
    dec: &mut Dec,
    node: &Node,
    warnings: &mut Vec<String>,
) -> ServiceConfig {
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

pub(crate) fn decode_build(dec: &mut Dec, node: Option<&Node>) -> BuildConfig {
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

pub(crate) fn update_config(
    dec: &mut Dec,
    node: Option<&Node>,
    name: &str,
) -> Option<UpdateConfig> {
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

pub(crate) fn decode_deploy(dec: &mut Dec, node: Option<&Node>) -> DeployConfig {
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

pub(crate) fn generic_resources(dec: &mut Dec, node: Option<&Node>) -> Vec<GenericResource> {
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

pub(crate) fn decode_healthcheck(dec: &mut Dec, node: Option<&Node>) -> Option<HealthCheckConfig> {
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
