//! What the swarm holds for a deploy of one stack, as plain data: the input of the pure
//! [`super::plan::plan`] (read by `api::Api::read_cluster`).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

/// A service of the stack as the swarm holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningService {
    pub id: String,
    pub version: u64,
    pub name: String,
    /// `UpdateStatus.StartedAt` (to tell a new update's status from the previous one's).
    pub update_started: Option<String>,
    /// `Spec` exactly as the daemon returns it.
    pub spec: Value,
}

/// A secret or config found by name (whoever owns it).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExistingObject {
    pub id: String,
    pub version: u64,
    pub labels: HashMap<String, String>,
    /// Configs only: the base64 data (secrets' data cannot be read back).
    pub data: Option<String>,
    /// The template driver's name, if any.
    pub templating: Option<String>,
}

/// What an external network's name resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum ExternalNetwork {
    Found {
        id: String,
        scope: String,
    },
    Missing,
    /// Any other error from `GET /networks/{name}`.
    Error(String),
}

/// What the swarm holds that matters for a deploy of one stack.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cluster {
    /// Services labelled with the stack's namespace.
    pub services: Vec<RunningService>,
    /// Services with one of the stack's service names that are not part of the stack.
    pub foreign_services: Vec<String>,
    /// Networks labelled with the namespace: name → ID.
    pub networks: BTreeMap<String, String>,
    /// Networks the stack would create that exist outside it: name → owning stack (`""`).
    pub foreign_networks: BTreeMap<String, String>,
    /// The stack's user-defined external networks, by name.
    pub externals: BTreeMap<String, ExternalNetwork>,
    /// Secrets found with a name the stack uses.
    pub secrets: BTreeMap<String, ExistingObject>,
    /// Configs found with a name the stack uses.
    pub configs: BTreeMap<String, ExistingObject>,
}

impl Cluster {
    /// Network ID → name, for every network the stack knows about.
    pub fn network_name(&self, id: &str) -> Option<String> {
        self.networks
            .iter()
            .find(|(_, i)| i.as_str() == id)
            .map(|(n, _)| n.clone())
            .or_else(|| {
                self.externals.iter().find_map(|(n, e)| match e {
                    ExternalNetwork::Found { id: i, .. } if i == id => Some(n.clone()),
                    _ => None,
                })
            })
    }
}
