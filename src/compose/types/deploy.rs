//! `deploy` and `healthcheck` of a service (`cli/compose/types/types.go`).

use std::collections::BTreeMap;

/// `deploy`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeployConfig {
    /// `mode`.
    pub mode: String,
    /// `replicas` (an explicit 0 is kept).
    pub replicas: Option<u64>,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `update_config`.
    pub update_config: Option<UpdateConfig>,
    /// `rollback_config`.
    pub rollback_config: Option<UpdateConfig>,
    /// `resources`.
    pub resources: Resources,
    /// `restart_policy`.
    pub restart_policy: Option<RestartPolicy>,
    /// `placement`.
    pub placement: Placement,
    /// `endpoint_mode`.
    pub endpoint_mode: String,
}

/// `healthcheck`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealthCheckConfig {
    /// `test` (a string becomes `["CMD-SHELL", s]`).
    pub test: Vec<String>,
    /// `timeout`.
    pub timeout: Option<i64>,
    /// `interval`.
    pub interval: Option<i64>,
    /// `retries`.
    pub retries: Option<u64>,
    /// `start_period`.
    pub start_period: Option<i64>,
    /// `start_interval`.
    pub start_interval: Option<i64>,
    /// `disable`.
    pub disable: bool,
}

/// `update_config` / `rollback_config`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateConfig {
    /// `parallelism` (the converter defaults it to 1).
    pub parallelism: Option<u64>,
    /// `delay`.
    pub delay: i64,
    /// `failure_action`.
    pub failure_action: String,
    /// `monitor`.
    pub monitor: i64,
    /// `max_failure_ratio` (a Go `float32`).
    pub max_failure_ratio: f32,
    /// `order`.
    pub order: String,
}

/// `resources`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    /// `limits`.
    pub limits: Option<ResourceLimit>,
    /// `reservations`.
    pub reservations: Option<Resource>,
}

/// `resources.limits`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceLimit {
    /// `cpus` as written.
    pub nano_cpus: String,
    /// `memory` in bytes.
    pub memory_bytes: i64,
    /// `pids`.
    pub pids: i64,
}

/// `resources.reservations`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resource {
    /// `cpus` as written.
    pub nano_cpus: String,
    /// `memory` in bytes.
    pub memory_bytes: i64,
    /// `generic_resources`.
    pub generic_resources: Vec<GenericResource>,
}

/// One `generic_resources` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenericResource {
    /// `discrete_resource_spec`.
    pub discrete_resource_spec: Option<DiscreteGenericResource>,
}

/// `discrete_resource_spec`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiscreteGenericResource {
    /// `kind`.
    pub kind: String,
    /// `value`.
    pub value: i64,
}

/// `restart_policy`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RestartPolicy {
    /// `condition`.
    pub condition: String,
    /// `delay`.
    pub delay: Option<i64>,
    /// `max_attempts`.
    pub max_attempts: Option<u64>,
    /// `window`.
    pub window: Option<i64>,
}

/// `placement`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Placement {
    /// `constraints`.
    pub constraints: Vec<String>,
    /// `preferences` (spread descriptors).
    pub preferences: Vec<String>,
    /// `max_replicas_per_node`.
    pub max_replicas: u64,
}
