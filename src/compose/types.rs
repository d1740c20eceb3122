//! The typed compose model, mirroring docker/cli `cli/compose/types/types.go` field by field
//! (same names in snake case, same optionality where it changes behaviour: `Option` for Go
//! pointers, and for the slices/maps whose nil-ness matters to merging or conversion).
//!
//! Durations are nanoseconds (`i64`), byte sizes are bytes (`i64`).

mod deploy;
mod objects;

use std::collections::BTreeMap;

pub use deploy::*;
pub use objects::*;

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
