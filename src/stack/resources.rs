//! What a stack holds besides services and tasks, for the stack page: its networks (its own
//! and the external ones its services use), secrets, configs, and the volumes its services
//! mount. One list call per kind of object.

use std::collections::{BTreeMap, HashMap};

use bollard::query_parameters::{
    ListConfigsOptions, ListNetworksOptions, ListSecretsOptions, ListServicesOptions,
};
use serde::Serialize;

use super::StackError;
use super::api::{Api, error_text, label_filter};
use super::list::natural_cmp;
use crate::docker::Engine;

/// A network, secret or config of the stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    pub id: String,
    pub name: String,
    /// networks: driver and scope ("overlay, swarm"); secrets/configs: the creation time
    pub detail: String,
    /// not created by this stack (an external network its services join)
    pub external: bool,
    /// the stack's services that use it (short names)
    pub used_by: Vec<String>,
}

/// A named volume the stack's services mount (volumes live on the nodes that run the tasks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeUse {
    pub name: String,
    pub driver: String,
    /// `service:/target` pairs
    pub mounts: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StackResources {
    pub networks: Vec<Resource>,
    pub secrets: Vec<Resource>,
    pub configs: Vec<Resource>,
    pub volumes: Vec<VolumeUse>,
}

fn short(stack: &str, name: &str) -> String {
    name.strip_prefix(&format!("{stack}_"))
        .unwrap_or(name)
        .to_string()
}

pub async fn resources(engine: &Engine, stack: &str) -> Result<StackResources, StackError> {
    let api = Api::new(engine).await?;
    let d = &api.docker;
    let filter = label_filter(stack);
    let (services, networks, secrets, configs) = tokio::try_join!(
        async {
            d.list_services(Some(ListServicesOptions {
                filters: Some(filter.clone()),
                status: None,
            }))
            .await
            .map_err(|e| StackError::Docker(error_text(&e)))
        },
        async {
            d.list_networks(None::<ListNetworksOptions>)
                .await
                .map_err(|e| StackError::Docker(error_text(&e)))
        },
        async {
            d.list_secrets(Some(ListSecretsOptions {
                filters: Some(filter.clone()),
            }))
            .await
            .map_err(|e| StackError::Docker(error_text(&e)))
        },
        async {
            d.list_configs(Some(ListConfigsOptions {
                filters: Some(filter.clone()),
            }))
            .await
            .map_err(|e| StackError::Docker(error_text(&e)))
        },
    )?;

    // who uses what
    let mut net_users: HashMap<String, Vec<String>> = HashMap::new();
    let mut secret_users: HashMap<String, Vec<String>> = HashMap::new();
    let mut config_users: HashMap<String, Vec<String>> = HashMap::new();
    let mut volumes: BTreeMap<String, VolumeUse> = BTreeMap::new();
    for s in &services {
        let spec = s.spec.as_ref();
        let name = short(
            stack,
            spec.and_then(|sp| sp.name.as_deref()).unwrap_or_default(),
        );
        let task = spec.and_then(|sp| sp.task_template.as_ref());
        for n in task.and_then(|t| t.networks.as_ref()).into_iter().flatten() {
            if let Some(target) = &n.target {
                net_users
                    .entry(target.clone())
                    .or_default()
                    .push(name.clone());
            }
        }
        let container = task.and_then(|t| t.container_spec.as_ref());
        for sec in container
            .and_then(|c| c.secrets.as_ref())
            .into_iter()
            .flatten()
        {
            if let Some(id) = &sec.secret_id {
                secret_users
                    .entry(id.clone())
                    .or_default()
                    .push(name.clone());
            }
        }
        for cfg in container
            .and_then(|c| c.configs.as_ref())
            .into_iter()
            .flatten()
        {
            if let Some(id) = &cfg.config_id {
                config_users
                    .entry(id.clone())
                    .or_default()
                    .push(name.clone());
            }
        }
        for m in container
            .and_then(|c| c.mounts.as_ref())
            .into_iter()
            .flatten()
        {
            let is_volume = m.typ.map(|t| t.to_string()).as_deref() == Some("volume");
            let Some(src) = m.source.as_ref().filter(|s| is_volume && !s.is_empty()) else {
                continue;
            };
            let v = volumes.entry(src.clone()).or_insert_with(|| VolumeUse {
                name: src.clone(),
                driver: m
                    .volume_options
                    .as_ref()
                    .and_then(|o| o.driver_config.as_ref())
                    .and_then(|dc| dc.name.clone())
                    .unwrap_or_else(|| "local".into()),
                mounts: vec![],
            });
            v.mounts
                .push(format!("{name}:{}", m.target.clone().unwrap_or_default()));
        }
    }

    let label = crate::compose::convert::LABEL_NAMESPACE;
    let mut out = StackResources::default();
    for n in &networks {
        let id = n.id.clone().unwrap_or_default();
        let name = n.name.clone().unwrap_or_default();
        let own = n
            .labels
            .as_ref()
            .and_then(|l| l.get(label))
            .is_some_and(|v| v == stack);
        // services refer to networks by id (or, in the spec as sent, by name)
        let users: Vec<String> = net_users
            .get(&id)
            .into_iter()
            .chain(net_users.get(&name))
            .flatten()
            .cloned()
            .collect();
        if !own && users.is_empty() {
            continue;
        }
        out.networks.push(Resource {
            detail: format!(
                "{}, {}",
                n.driver.clone().unwrap_or_default(),
                n.scope.clone().unwrap_or_default()
            ),
            external: !own,
            used_by: users,
            id,
            name,
        });
    }
    for s in &secrets {
        let id = s.id.clone().unwrap_or_default();
        out.secrets.push(Resource {
            name: s
                .spec
                .as_ref()
                .and_then(|sp| sp.name.clone())
                .unwrap_or_default(),
            detail: s
                .created_at
                .clone()
                .map(|c| c.chars().take(19).collect::<String>().replace('T', " "))
                .unwrap_or_default(),
            external: false,
            used_by: secret_users.get(&id).cloned().unwrap_or_default(),
            id,
        });
    }
    for c in &configs {
        let id = c.id.clone().unwrap_or_default();
        out.configs.push(Resource {
            name: c
                .spec
                .as_ref()
                .and_then(|sp| sp.name.clone())
                .unwrap_or_default(),
            detail: c
                .created_at
                .clone()
                .map(|c| c.chars().take(19).collect::<String>().replace('T', " "))
                .unwrap_or_default(),
            external: false,
            used_by: config_users.get(&id).cloned().unwrap_or_default(),
            id,
        });
    }
    for list in [&mut out.networks, &mut out.secrets, &mut out.configs] {
        list.sort_by(|a, b| natural_cmp(&a.name, &b.name));
        for r in list.iter_mut() {
            r.used_by.sort();
            r.used_by.dedup();
        }
    }
    out.volumes = volumes.into_values().collect();
    Ok(out)
}
