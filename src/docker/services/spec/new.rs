//! A new service from form input: what `docker service create` would send.

use std::collections::HashMap;

use bollard::models::{
    EndpointSpec, EndpointSpecModeEnum, Limit, ResourceObject, ServiceSpec, ServiceSpecMode,
    ServiceSpecModeReplicated, ServiceSpecRollbackConfig,
    ServiceSpecRollbackConfigFailureActionEnum, ServiceSpecRollbackConfigOrderEnum,
    ServiceSpecUpdateConfig, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, TaskSpec, TaskSpecContainerSpec, TaskSpecPlacement,
    TaskSpecResources, TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};

use super::{CreateInput, FieldErrors, check_name, parse_replicas};
use crate::docker::services::{flags, reference};

/// A checked request to create a service.
#[derive(Debug, Clone)]
pub struct NewService {
    pub spec: ServiceSpec,
}

impl NewService {
    /// Checks every field; on error, every problem found (by field), not only the first.
    pub fn parse(input: &CreateInput) -> Result<NewService, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = input.name.trim().to_string();
        if let Err(e) = check_name(&name) {
            errors.add("name", e);
        }
        let image = input.image.trim().to_string();
        if let Err(e) = reference::parse(&image) {
            errors.add("image", e);
        }
        let mode = match input.mode.trim() {
            "" | "replicated" => {
                let r = input.replicas.trim();
                let n = if r.is_empty() {
                    Some(1)
                } else {
                    parse_replicas(r)
                        .map_err(|e| errors.add("replicas", e))
                        .ok()
                };
                ServiceSpecMode {
                    replicated: Some(ServiceSpecModeReplicated {
                        replicas: n.map(|n| n as i64),
                    }),
                    ..Default::default()
                }
            }
            "global" => {
                if !input.replicas.trim().is_empty() {
                    errors.add(
                        "replicas",
                        "A global service runs one task on every eligible node: leave replicas empty.",
                    );
                }
                ServiceSpecMode {
                    global: Some(HashMap::new()),
                    ..Default::default()
                }
            }
            other => {
                errors.add(
                    "mode",
                    format!("The mode is replicated or global, not {other:?}."),
                );
                ServiceSpecMode::default()
            }
        };
        let args = flags::split_command(&input.command)
            .map_err(|e| errors.add("command", e))
            .unwrap_or_default();
        let env = flags::parse_env_list(&flags::entries(&input.env))
            .map_err(|e| errors.add("env", e))
            .unwrap_or_default();
        let ports = flags::parse_ports(&flags::entries(&input.ports))
            .map_err(|e| errors.add("ports", e))
            .unwrap_or_default();
        let mounts = flags::parse_mounts(&flags::entries(&input.mounts))
            .map_err(|e| errors.add("mounts", e))
            .unwrap_or_default();
        let networks = flags::parse_networks(&flags::entries(&input.networks))
            .map_err(|e| errors.add("networks", e))
            .unwrap_or_default();
        let constraints = flags::parse_constraints(&flags::entries(&input.constraints))
            .map_err(|e| errors.add("constraints", e))
            .unwrap_or_default();
        let labels = flags::parse_labels(&flags::entries(&input.labels))
            .map_err(|e| errors.add("labels", e))
            .unwrap_or_default();
        let container_labels = flags::parse_labels(&flags::entries(&input.container_labels))
            .map_err(|e| errors.add("container_labels", e))
            .unwrap_or_default();
        let resources = input.resources.parse(&mut errors);
        let restart = parse_restart(input, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }

        let default_update = ServiceSpecUpdateConfig {
            parallelism: Some(1),
            failure_action: Some(ServiceSpecUpdateConfigFailureActionEnum::PAUSE),
            monitor: Some(5_000_000_000),
            max_failure_ratio: Some(0.0),
            order: Some(ServiceSpecUpdateConfigOrderEnum::STOP_FIRST),
            ..Default::default()
        };
        let default_rollback = ServiceSpecRollbackConfig {
            parallelism: Some(1),
            failure_action: Some(ServiceSpecRollbackConfigFailureActionEnum::PAUSE),
            monitor: Some(5_000_000_000),
            max_failure_ratio: Some(0.0),
            order: Some(ServiceSpecRollbackConfigOrderEnum::STOP_FIRST),
            ..Default::default()
        };
        let spec = ServiceSpec {
            name: Some(name),
            labels: Some(labels),
            task_template: Some(TaskSpec {
                container_spec: Some(TaskSpecContainerSpec {
                    image: Some(image),
                    labels: (!container_labels.is_empty()).then_some(container_labels),
                    args: (!args.is_empty()).then_some(args),
                    env: (!env.is_empty()).then_some(env),
                    mounts: (!mounts.is_empty()).then_some(mounts),
                    init: Some(input.init),
                    ..Default::default()
                }),
                resources: Some(TaskSpecResources {
                    limits: Some(Limit {
                        nano_cpus: resources.limit_nano_cpus,
                        memory_bytes: resources.limit_memory,
                        ..Default::default()
                    }),
                    reservations: Some(ResourceObject {
                        nano_cpus: resources.reserve_nano_cpus,
                        memory_bytes: resources.reserve_memory,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                restart_policy: Some(restart),
                placement: Some(TaskSpecPlacement {
                    constraints: (!constraints.is_empty()).then_some(constraints),
                    ..Default::default()
                }),
                networks: (!networks.is_empty()).then_some(networks),
                ..Default::default()
            }),
            mode: Some(mode),
            update_config: Some(default_update),
            rollback_config: Some(default_rollback),
            endpoint_spec: Some(EndpointSpec {
                mode: Some(EndpointSpecModeEnum::VIP),
                ports: (!ports.is_empty()).then_some(ports),
            }),
            ..Default::default()
        };
        Ok(NewService { spec })
    }

    pub fn name(&self) -> &str {
        self.spec.name.as_deref().unwrap_or_default()
    }

    pub fn image(&self) -> &str {
        self.spec
            .task_template
            .as_ref()
            .and_then(|t| t.container_spec.as_ref())
            .and_then(|c| c.image.as_deref())
            .unwrap_or_default()
    }

    pub fn set_image(&mut self, image: String) {
        if let Some(c) = self
            .spec
            .task_template
            .as_mut()
            .and_then(|t| t.container_spec.as_mut())
        {
            c.image = Some(image);
        }
    }
}

fn parse_restart(input: &CreateInput, errors: &mut FieldErrors) -> TaskSpecRestartPolicy {
    let condition = match input.restart_condition.trim() {
        "" | "any" => TaskSpecRestartPolicyConditionEnum::ANY,
        "on-failure" => TaskSpecRestartPolicyConditionEnum::ON_FAILURE,
        "none" => TaskSpecRestartPolicyConditionEnum::NONE,
        other => {
            errors.add(
                "restart_condition",
                format!("The restart condition is any, on-failure or none, not {other:?}."),
            );
            TaskSpecRestartPolicyConditionEnum::ANY
        }
    };
    let mut dur = |field: &'static str, s: &str, default: Option<i64>| {
        let s = s.trim();
        if s.is_empty() {
            return default;
        }
        flags::parse_duration(s)
            .map_err(|e| errors.add(field, e))
            .ok()
    };
    let delay = dur("restart_delay", &input.restart_delay, Some(5_000_000_000));
    let window = dur("restart_window", &input.restart_window, None);
    let attempts = input.restart_max_attempts.trim();
    let max_attempts = if attempts.is_empty() {
        Some(0)
    } else {
        match attempts.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                errors.add(
                    "restart_max_attempts",
                    format!("{attempts:?} is not a number of attempts (0 means no limit)."),
                );
                None
            }
        }
    };
    TaskSpecRestartPolicy {
        condition: Some(condition),
        delay,
        max_attempts,
        window,
    }
}

#[cfg(test)]
mod tests {
    use super::super::ResourcesInput;
    use super::*;
    use serde_json::json;

    fn input() -> CreateInput {
        CreateInput {
            name: "web".into(),
            image: "nginx:1.27".into(),
            replicas: "4".into(),
            ports: vec!["80:80".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_new_service_is_what_docker_service_create_would_send() {
        let s = NewService::parse(&CreateInput {
            command: "sh -c 'echo hi'".into(),
            env: vec!["A=1\nB=2".into()],
            constraints: vec!["node.role==manager".into()],
            labels: vec!["team=ops".into()],
            resources: ResourcesInput {
                limit_memory: "64M".into(),
                ..Default::default()
            },
            ..input()
        })
        .unwrap();
        let v = serde_json::to_value(&s.spec).unwrap();
        assert_eq!(v["Name"], "web");
        assert_eq!(v["Mode"]["Replicated"]["Replicas"], 4);
        let c = &v["TaskTemplate"]["ContainerSpec"];
        assert_eq!(c["Image"], "nginx:1.27");
        assert_eq!(c["Args"], json!(["sh", "-c", "echo hi"]));
        assert_eq!(c["Env"], json!(["A=1", "B=2"]));
        assert_eq!(
            v["EndpointSpec"]["Ports"],
            json!([{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 80, "PublishMode": "ingress"}])
        );
        assert_eq!(
            v["TaskTemplate"]["Placement"]["Constraints"],
            json!(["node.role==manager"])
        );
        assert_eq!(
            v["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"],
            64 << 20
        );
        assert_eq!(v["TaskTemplate"]["RestartPolicy"]["Condition"], "any");
        assert_eq!(v["UpdateConfig"]["FailureAction"], "pause");
        assert_eq!(v["Labels"]["team"], "ops");
    }

    #[test]
    fn every_bad_field_is_reported() {
        let e = NewService::parse(&CreateInput {
            name: "-bad".into(),
            image: "Not An Image".into(),
            ports: vec!["80:http".into()],
            mounts: vec!["type=bind,target=/x".into()],
            ..input()
        })
        .unwrap_err();
        for f in ["name", "image", "ports", "mounts"] {
            assert!(e.get(f).is_some(), "{f}: {e:?}");
        }
        let g = NewService::parse(&CreateInput {
            mode: "global".into(),
            replicas: "3".into(),
            ..input()
        })
        .unwrap_err();
        assert!(g.get("replicas").unwrap().contains("global"));
        let ok = NewService::parse(&CreateInput {
            mode: "global".into(),
            replicas: "".into(),
            ..input()
        })
        .unwrap();
        assert!(ok.spec.mode.unwrap().global.is_some());
    }
}
