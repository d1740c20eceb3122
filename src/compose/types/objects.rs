//! Top-level networks, volumes, secrets and configs, plus ulimits and credential specs
//! (`cli/compose/types/types.go`).

use std::collections::BTreeMap;

use super::super::yaml::Node;

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
