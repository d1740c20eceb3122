//! Service specs without I/O: a new service from form input (what `docker service create`
//! would send), and small edits of an existing spec held as raw JSON, each touching only its
//! own field so everything else Docker holds is sent back byte for byte.

mod edit;
mod new;

use super::flags;

pub use edit::{
    bump_force_update, constraints_of, env_of, image_of, mode_of, ports_of, resources_of,
    set_constraints, set_env, set_image, set_ports, set_replicas, set_resources,
};
pub use new::NewService;

/// Errors by form field, in form order.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, msg: impl Into<String>) {
        self.0.push((field, msg.into()));
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// All messages, one sentence each, for a summary or the audit log.
    pub fn summary(&self) -> String {
        self.0
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What the create form sends, as typed (multi-value fields: every repeated field).
#[derive(Debug, Clone, Default)]
pub struct CreateInput {
    pub name: String,
    pub image: String,
    pub mode: String,
    pub replicas: String,
    pub command: String,
    pub init: bool,
    pub env: Vec<String>,
    pub ports: Vec<String>,
    pub mounts: Vec<String>,
    pub networks: Vec<String>,
    pub constraints: Vec<String>,
    pub labels: Vec<String>,
    pub container_labels: Vec<String>,
    pub resources: ResourcesInput,
    pub restart_condition: String,
    pub restart_delay: String,
    pub restart_max_attempts: String,
    pub restart_window: String,
}

/// The four resource fields, as typed (empty: none).
#[derive(Debug, Clone, Default)]
pub struct ResourcesInput {
    pub limit_cpu: String,
    pub limit_memory: String,
    pub reserve_cpu: String,
    pub reserve_memory: String,
}

/// Limits and reservations in engine units; `None` means not set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resources {
    pub limit_nano_cpus: Option<i64>,
    pub limit_memory: Option<i64>,
    pub reserve_nano_cpus: Option<i64>,
    pub reserve_memory: Option<i64>,
}

impl ResourcesInput {
    pub fn parse(&self, errors: &mut FieldErrors) -> Resources {
        let mut cpu = |field: &'static str, s: &str| {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            flags::parse_cpus(s).map_err(|e| errors.add(field, e)).ok()
        };
        let limit_nano_cpus = cpu("limit_cpu", &self.limit_cpu);
        let reserve_nano_cpus = cpu("reserve_cpu", &self.reserve_cpu);
        let mut mem = |field: &'static str, s: &str| {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            match flags::parse_bytes(s) {
                Ok(b) if b < 6 << 20 && field == "limit_memory" => {
                    errors.add(
                        field,
                        format!("{s}: Docker needs a memory limit of at least 6 MiB"),
                    );
                    None
                }
                Ok(b) => Some(b),
                Err(e) => {
                    errors.add(field, e);
                    None
                }
            }
        };
        let r = Resources {
            limit_nano_cpus,
            reserve_nano_cpus,
            limit_memory: mem("limit_memory", &self.limit_memory),
            reserve_memory: mem("reserve_memory", &self.reserve_memory),
        };
        if let (Some(l), Some(res)) = (r.limit_memory, r.reserve_memory)
            && res > l
        {
            errors.add(
                "reserve_memory",
                "the memory reservation is larger than the memory limit",
            );
        }
        if let (Some(l), Some(res)) = (r.limit_nano_cpus, r.reserve_nano_cpus)
            && res > l
        {
            errors.add(
                "reserve_cpu",
                "the CPU reservation is larger than the CPU limit",
            );
        }
        r
    }

    pub fn from_resources(r: &Resources) -> ResourcesInput {
        ResourcesInput {
            limit_cpu: r
                .limit_nano_cpus
                .map(flags::format_cpus)
                .unwrap_or_default(),
            limit_memory: r.limit_memory.map(flags::format_bytes).unwrap_or_default(),
            reserve_cpu: r
                .reserve_nano_cpus
                .map(flags::format_cpus)
                .unwrap_or_default(),
            reserve_memory: r
                .reserve_memory
                .map(flags::format_bytes)
                .unwrap_or_default(),
        }
    }
}

/// Service names as swarm accepts them.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Give the service a name.".into());
    }
    if name.len() > 63 {
        return Err("A service name has at most 63 characters.".into());
    }
    let mut cs = name.chars();
    let first_ok = cs.next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_ok || !cs.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
        return Err(format!(
            "{name:?} is not a valid service name: use letters, digits, '_', '.' and '-', starting with a letter or digit."
        ));
    }
    Ok(())
}

/// Replicas as typed: a whole number, `max` included.
pub fn parse_replicas(s: &str) -> Result<u64, String> {
    let s = s.trim();
    match s.parse::<u64>() {
        Ok(n) if n <= 100_000 => Ok(n),
        Ok(_) => Err("That is more replicas than berth will ask for (at most 100000).".into()),
        Err(_) => Err(format!("{s:?} is not a number of replicas.")),
    }
}
