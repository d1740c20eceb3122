//! The typed compose model, mirroring docker/cli `cli/compose/types/types.go` field by field
//! (same names in snake case, same optionality where it changes behaviour: `Option` for Go
//! pointers, and for the slices/maps whose nil-ness matters to merging or conversion).
//!
//! Durations are nanoseconds (`i64`), byte sizes are bytes (`i64`).

use std::collections::BTreeMap;

use super::error::Location;
use super::yaml::Node;

/// The loaded, merged configuration (`types.Config`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// Name of the first file.
    pub filename: String,
    /// Schema version (`"3.13"` when absent).
    pub version: String,
    /// Services, sorted by name.
    pub services: Vec<ServiceConfig>,
    /// Top-level networks.
    pub networks: BTreeMap<String, NetworkConfig>,
    /// Top-level volumes.
    pub volumes: BTreeMap<String, VolumeConfig>,
    /// Top-level secrets.
    pub secrets: BTreeMap<String, SecretConfig>,
    /// Top-level configs.
    pub configs: BTreeMap<String, ConfigObjConfig>,
    /// Top-level `x-*` keys (of the first file).
    pub extras: BTreeMap<String, Node>,
    /// Where each key path was defined (for error locations after loading).
    pub locations: Locations,
}

/// Source locations of key paths (`services.web.networks.front`), last definition wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Locations {
    map: BTreeMap<String, Location>,
}

impl Locations {
    /// Records `path` at `loc`.
    pub fn insert(&mut self, path: String, loc: Location) {
        self.map.insert(path, loc);
    }

    /// The location of `path`, or of its nearest recorded ancestor.
    pub fn find(&self, path: &str) -> Option<&Location> {
        let mut p = path;
        loop {
            if let Some(l) = self.map.get(p) {
                return Some(l);
            }
            match p.rfind('.') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    /// Merges `other` over `self`.
    pub fn extend(&mut self, other: Locations) {
        self.map.extend(other.map);
    }
}

/// One service (`types.ServiceConfig`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceConfig {
    /// The key under `services:`.
    pub name: String,
    /// `build` (ignored by deploy).
    pub build: BuildConfig,
    /// `cap_add`.
    pub cap_add: Vec<String>,
    /// `cap_drop`.
    pub cap_drop: Vec<String>,
    /// `cgroupns_mode`.
    pub cgroupns_mode: String,
    /// `cgroup_parent`.
    pub cgroup_parent: String,
    /// `command`, shell-split when given as a string.
    pub command: Option<Vec<String>>,
    /// `configs`.
    pub configs: Option<Vec<FileReferenceConfig>>,
    /// `container_name`.
    pub container_name: String,
    /// `credential_spec`.
    pub credential_spec: CredentialSpecConfig,
    /// `depends_on`.
    pub depends_on: Vec<String>,
    /// `deploy`.
    pub deploy: DeployConfig,
    /// `devices`.
    pub devices: Vec<String>,
    /// `dns`.
    pub dns: Vec<String>,
    /// `dns_search`.
    pub dns_search: Vec<String>,
    /// `domainname`.
    pub domainname: String,
    /// `entrypoint`, shell-split when given as a string.
    pub entrypoint: Option<Vec<String>>,
    /// `environment` after `env_file` resolution: `None` value = bare `KEY`.
    pub environment: BTreeMap<String, Option<String>>,
    /// `env_file`.
    pub env_file: Vec<String>,
    /// `expose`.
    pub expose: Vec<String>,
    /// `external_links`.
    pub external_links: Vec<String>,
    /// `extra_hosts`, normalised to `host:ip`.
    pub extra_hosts: Vec<String>,
    /// `hostname`.
    pub hostname: String,
    /// `healthcheck`.
    pub healthcheck: Option<HealthCheckConfig>,
    /// `image`.
    pub image: String,
    /// `init`.
    pub init: Option<bool>,
    /// `ipc`.
    pub ipc: String,
    /// `isolation`.
    pub isolation: String,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `links`.
    pub links: Vec<String>,
    /// `logging`.
    pub logging: Option<LoggingConfig>,
    /// `mac_address`.
    pub mac_address: String,
    /// `network_mode`.
    pub network_mode: String,
    /// `networks` (a list becomes keys with `None`).
    pub networks: BTreeMap<String, Option<ServiceNetworkConfig>>,
    /// `pid`.
    pub pid: String,
    /// `ports`, short syntax expanded.
    pub ports: Option<Vec<ServicePortConfig>>,
    /// `privileged`.
    pub privileged: bool,
    /// `read_only`.
    pub read_only: bool,
    /// `restart`.
    pub restart: String,
    /// `secrets`.
    pub secrets: Option<Vec<FileReferenceConfig>>,
    /// `security_opt`.
    pub security_opt: Vec<String>,
    /// `shm_size`.
    pub shm_size: String,
    /// `stdin_open`.
    pub stdin_open: bool,
    /// `stop_grace_period`.
    pub stop_grace_period: Option<i64>,
    /// `stop_signal`.
    pub stop_signal: String,
    /// `sysctls`.
    pub sysctls: BTreeMap<String, String>,
    /// `tmpfs`.
    pub tmpfs: Vec<String>,
    /// `tty`.
    pub tty: bool,
    /// `ulimits`.
    pub ulimits: BTreeMap<String, UlimitsConfig>,
    /// `user`.
    pub user: String,
    /// `oom_score_adj`: never filled, like the CLI (its struct field lacks a `mapstructure`
    /// tag, so the value is validated but dropped).
    pub oom_score_adj: i64,
    /// `userns_mode`.
    pub userns_mode: String,
    /// `volumes`, short syntax parsed.
    pub volumes: Option<Vec<ServiceVolumeConfig>>,
    /// `working_dir`.
    pub working_dir: String,
    /// `x-*` keys.
    pub extras: BTreeMap<String, Node>,
}

/// `build` (`types.BuildConfig`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildConfig {
    /// `context`.
    pub context: String,
    /// `dockerfile`.
    pub dockerfile: String,
    /// `args`.
    pub args: BTreeMap<String, Option<String>>,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `cache_from`.
    pub cache_from: Vec<String>,
    /// `extra_hosts`.
    pub extra_hosts: Vec<String>,
    /// `network`.
    pub network: String,
    /// `target`.
    pub target: String,
}

/// `logging`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoggingConfig {
    /// `driver`.
    pub driver: String,
    /// `options` (`None` when absent: merging then drops the override's options, as in Go).
    pub options: Option<BTreeMap<String, String>>,
}

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

/// A service's attachment to a network.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceNetworkConfig {
    /// `aliases`.
    pub aliases: Vec<String>,
    /// `driver_opts`.
    pub driver_opts: BTreeMap<String, String>,
    /// `ipv4_address` (ignored by deploy).
    pub ipv4_address: String,
    /// `ipv6_address` (ignored by deploy).
    pub ipv6_address: String,
}

/// One published port (after short-syntax expansion).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServicePortConfig {
    /// `mode` (`ingress` for short syntax; as written for long syntax).
    pub mode: String,
    /// `target`.
    pub target: u32,
    /// `published` (0 = not published / assigned by swarm).
    pub published: u32,
    /// `protocol` (`tcp` etc. for short syntax; as written for long syntax).
    pub protocol: String,
}

/// One service volume (mount).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceVolumeConfig {
    /// `type`.
    pub typ: String,
    /// `source`.
    pub source: String,
    /// `target`.
    pub target: String,
    /// `read_only`.
    pub read_only: bool,
    /// `consistency`.
    pub consistency: String,
    /// `bind`.
    pub bind: Option<ServiceVolumeBind>,
    /// `volume`.
    pub volume: Option<ServiceVolumeVolume>,
    /// `image`.
    pub image: Option<ServiceVolumeImage>,
    /// `tmpfs`.
    pub tmpfs: Option<ServiceVolumeTmpfs>,
    /// `cluster`.
    pub cluster: Option<ServiceVolumeCluster>,
}

/// `bind` options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceVolumeBind {
    /// `propagation`.
    pub propagation: String,
}

/// `volume` options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceVolumeVolume {
    /// `nocopy`.
    pub nocopy: bool,
    /// `subpath`.
    pub subpath: String,
}

/// `image` options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceVolumeImage {
    /// `subpath`.
    pub subpath: String,
}

/// `tmpfs` options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceVolumeTmpfs {
    /// `size` in bytes.
    pub size: i64,
}

/// `cluster` options (none yet).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceVolumeCluster {}

/// A service's reference to a secret or config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileReferenceConfig {
    /// `source` (top-level key).
    pub source: String,
    /// `target`.
    pub target: String,
    /// `uid`.
    pub uid: String,
    /// `gid`.
    pub gid: String,
    /// `mode`.
    pub mode: Option<u32>,
}

/// One ulimit: a single number (soft = hard) or soft/hard.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UlimitsConfig {
    /// The single value (0 = not single).
    pub single: i64,
    /// `soft`.
    pub soft: i64,
    /// `hard`.
    pub hard: i64,
}

/// A top-level network.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkConfig {
    /// `name` (set to the key for externals without a name).
    pub name: String,
    /// `driver`.
    pub driver: String,
    /// `driver_opts`.
    pub driver_opts: BTreeMap<String, String>,
    /// `ipam`.
    pub ipam: IpamConfig,
    /// `external`.
    pub external: External,
    /// `internal`.
    pub internal: bool,
    /// `attachable`.
    pub attachable: bool,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `x-*` keys (kept only for external networks, like the CLI).
    pub extras: BTreeMap<String, Node>,
}

/// `ipam`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IpamConfig {
    /// `driver`.
    pub driver: String,
    /// `config` subnets (`None` for a `- ` null entry).
    pub config: Vec<Option<String>>,
}

/// `external` of a network/volume/secret/config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct External {
    /// Deprecated `external.name` (moved into `name` by the loader).
    pub name: String,
    /// Whether the object is external.
    pub external: bool,
}

/// A top-level volume.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VolumeConfig {
    /// `name`.
    pub name: String,
    /// `driver`.
    pub driver: String,
    /// `driver_opts` (`Some` even when empty if written).
    pub driver_opts: Option<BTreeMap<String, String>>,
    /// `external`.
    pub external: External,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `x-*` keys (kept only for external volumes, like the CLI).
    pub extras: BTreeMap<String, Node>,
    /// `x-cluster-spec`.
    pub spec: Option<ClusterVolumeSpec>,
}

/// `x-cluster-spec` of a volume.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterVolumeSpec {
    /// `group`.
    pub group: String,
    /// `access_mode`.
    pub access_mode: Option<AccessMode>,
    /// `accessibility_requirements`.
    pub accessibility_requirements: Option<TopologyRequirement>,
    /// `capacity_range`.
    pub capacity_range: Option<CapacityRange>,
    /// `secrets`.
    pub secrets: Vec<VolumeSecret>,
    /// `availability`.
    pub availability: String,
}

/// `access_mode`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessMode {
    /// `scope`.
    pub scope: String,
    /// `sharing`.
    pub sharing: String,
    /// `mount_volume`.
    pub mount_volume: Option<MountVolume>,
    /// `block_volume`.
    pub block_volume: Option<()>,
}

/// `mount_volume`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MountVolume {
    /// `fs_type`.
    pub fs_type: String,
    /// `mount_flags`.
    pub mount_flags: Vec<String>,
}

/// `accessibility_requirements`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TopologyRequirement {
    /// `requisite`.
    pub requisite: Vec<BTreeMap<String, String>>,
    /// `preferred`.
    pub preferred: Vec<BTreeMap<String, String>>,
}

/// `capacity_range`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CapacityRange {
    /// `required_bytes`.
    pub required_bytes: i64,
    /// `limit_bytes`.
    pub limit_bytes: i64,
}

/// One CSI secret of a cluster volume.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VolumeSecret {
    /// `key`.
    pub key: String,
    /// `secret`.
    pub secret: String,
}

/// `credential_spec`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CredentialSpecConfig {
    /// `config`.
    pub config: String,
    /// `file`.
    pub file: String,
    /// `registry`.
    pub registry: String,
}

/// A top-level secret or config (`types.FileObjectConfig`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileObjectConfig {
    /// `name`.
    pub name: String,
    /// `file` (made absolute against the working directory).
    pub file: String,
    /// `external`.
    pub external: External,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `x-*` keys.
    pub extras: BTreeMap<String, Node>,
    /// `driver` (secrets only).
    pub driver: String,
    /// `driver_opts` (secrets only).
    pub driver_opts: BTreeMap<String, String>,
    /// `template_driver`.
    pub template_driver: String,
}

/// A top-level secret.
pub type SecretConfig = FileObjectConfig;
/// A top-level config.
pub type ConfigObjConfig = FileObjectConfig;
