//! What a stack holds besides services and tasks, for the stack page: its networks (its own
//! and the external ones its services use), secrets, configs, and the volumes its services
//! mount. [`assemble`] builds it from summaries (the live model's, without a Docker call);
//! [`resources`] reads them from Docker (one list call per kind) when the model is not live.

use std::collections::{BTreeMap, HashMap};

use bollard::query_parameters::{
    ListConfigsOptions, ListNetworksOptions, ListSecretsOptions, ListServicesOptions,
};
use serde::Serialize;

use super::StackError;
use super::api::{Api, error_text, label_filter};
use super::list::natural_cmp;
use crate::docker::Engine;
use crate::docker::services::ServiceSummary;
use crate::docker::time::{format_utc, unix};

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

/// A network, secret or config as listed: its stack label and, for the page, its detail.
#[derive(Debug, Clone, Copy)]
pub struct Listed<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// its `com.docker.stack.namespace` label (empty when none)
    pub stack: &'a str,
    /// networks: driver and scope; secrets/configs: the creation time (unix seconds)
    pub driver: &'a str,
    pub scope: &'a str,
    pub created: Option<i64>,
}

fn short(stack: &str, name: &str) -> String {
    name.strip_prefix(&format!("{stack}_"))
        .unwrap_or(name)
        .to_string()
}

/// Reads the stack's services, the swarm's networks and the stack's secrets and configs from
/// Docker (when the model cannot serve them) and assembles them.
pub async fn resources(engine: &Engine, stack: &str) -> Result<StackResources, StackError> {
    let api = Api::new(engine).await?;
    let d = &api.docker;
    let filter = label_filter(stack);
    let swarm_scope = HashMap::from([("scope".to_string(), vec!["swarm".to_string()])]);
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
            d.list_networks(Some(ListNetworksOptions {
                filters: Some(swarm_scope),
            }))
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
    let label = crate::compose::convert::LABEL_NAMESPACE;
    let stack_of = |l: Option<&HashMap<String, String>>| {
        l.and_then(|l| l.get(label))
            .map(String::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let services: Vec<ServiceSummary> = services.iter().map(ServiceSummary::from_service).collect();
    let networks: Vec<(String, &bollard::models::Network)> = networks
        .iter()
        .map(|n| (stack_of(n.labels.as_ref()), n))
        .collect();
    let networks: Vec<Listed> = networks
        .iter()
        .map(|(st, n)| Listed {
            id: n.id.as_deref().unwrap_or_default(),
            name: n.name.as_deref().unwrap_or_default(),
            stack: st,
            driver: n.driver.as_deref().unwrap_or_default(),
            scope: n.scope.as_deref().unwrap_or_default(),
            created: None,
        })
        .collect();
    let secrets: Vec<Listed> = secrets
        .iter()
        .map(|s| {
            labelled(
                stack,
                s.id.as_deref(),
                s.spec.as_ref().and_then(|sp| sp.name.as_deref()),
                s.created_at.as_deref(),
            )
        })
        .collect();
    let configs: Vec<Listed> = configs
        .iter()
        .map(|c| {
            labelled(
                stack,
                c.id.as_deref(),
                c.spec.as_ref().and_then(|sp| sp.name.as_deref()),
                c.created_at.as_deref(),
            )
        })
        .collect();
    Ok(assemble(stack, &services, &networks, &secrets, &configs))
}

/// A secret or config listed by the stack's label (so: the stack's).
fn labelled<'a>(
    stack: &'a str,
    id: Option<&'a str>,
    name: Option<&'a str>,
    created: Option<&str>,
) -> Listed<'a> {
    Listed {
        id: id.unwrap_or_default(),
        name: name.unwrap_or_default(),
        stack,
        driver: "",
        scope: "",
        created: unix(created),
    }
}

/// What the stack page lists besides services and tasks, from `services` (every service in
/// the swarm or only the stack's: those of other stacks are skipped), `networks` (the swarm's:
/// its own and the external ones its services join), `secrets` and `configs` (the swarm's or
/// the stack's: those labelled for another stack are skipped). Pure.
pub fn assemble(
    stack: &str,
    services: &[ServiceSummary],
    networks: &[Listed],
    secrets: &[Listed],
    configs: &[Listed],
) -> StackResources {
    // who uses what
    let mut net_users: HashMap<&str, Vec<String>> = HashMap::new();
    let mut secret_users: HashMap<&str, Vec<String>> = HashMap::new();
    let mut config_users: HashMap<&str, Vec<String>> = HashMap::new();
    let mut volumes: BTreeMap<String, VolumeUse> = BTreeMap::new();
    for s in services.iter().filter(|s| s.stack == stack) {
        let name = short(stack, &s.name);
        for n in &s.uses.networks {
            net_users.entry(n).or_default().push(name.clone());
        }
        for id in &s.uses.secrets {
            secret_users.entry(id).or_default().push(name.clone());
        }
        for id in &s.uses.configs {
            config_users.entry(id).or_default().push(name.clone());
        }
        for m in &s.uses.mounts {
            volumes
                .entry(m.volume.clone())
                .or_insert_with(|| VolumeUse {
                    name: m.volume.clone(),
                    driver: m.driver.clone(),
                    mounts: vec![],
                })
                .mounts
                .push(format!("{name}:{}", m.target));
        }
    }

    let mut out = StackResources::default();
    for n in networks {
        let own = n.stack == stack;
        // services refer to networks by id (or, in the spec as sent, by name)
        let users: Vec<String> = net_users
            .get(n.id)
            .into_iter()
            .chain(net_users.get(n.name))
            .flatten()
            .cloned()
            .collect();
        if !own && users.is_empty() {
            continue;
        }
        out.networks.push(Resource {
            id: n.id.to_string(),
            name: n.name.to_string(),
            detail: format!("{}, {}", n.driver, n.scope),
            external: !own,
            used_by: users,
        });
    }
    for (list, users, into) in [
        (secrets, &secret_users, &mut out.secrets),
        (configs, &config_users, &mut out.configs),
    ] {
        for o in list.iter().filter(|o| o.stack == stack) {
            into.push(Resource {
                id: o.id.to_string(),
                name: o.name.to_string(),
                detail: o.created.map(format_utc).unwrap_or_default(),
                external: false,
                used_by: users.get(o.id).cloned().unwrap_or_default(),
            });
        }
    }
    for list in [&mut out.networks, &mut out.secrets, &mut out.configs] {
        list.sort_by(|a, b| natural_cmp(&a.name, &b.name));
        for r in list.iter_mut() {
            r.used_by.sort();
            r.used_by.dedup();
        }
    }
    out.volumes = volumes.into_values().collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::services::{Uses, VolumeMount};

    fn service(name: &str, stack: &str, uses: Uses) -> ServiceSummary {
        ServiceSummary {
            id: format!("id-{name}"),
            name: name.into(),
            stack: stack.into(),
            uses,
            ..Default::default()
        }
    }

    fn listed<'a>(id: &'a str, name: &'a str, stack: &'a str) -> Listed<'a> {
        Listed {
            id,
            name,
            stack,
            driver: "overlay",
            scope: "swarm",
            created: Some(0),
        }
    }

    #[test]
    fn a_stacks_resources_name_their_users_and_skip_other_stacks() {
        let web = Uses {
            networks: vec!["n-own".into(), "n-proxy".into()],
            secrets: vec!["s-key".into()],
            configs: vec!["c-conf".into()],
            mounts: vec![VolumeMount {
                volume: "shop_data".into(),
                target: "/data".into(),
                driver: "local".into(),
            }],
            ..Default::default()
        };
        let db = Uses {
            networks: vec!["n-own".into()],
            mounts: vec![VolumeMount {
                volume: "shop_data".into(),
                target: "/var/lib/db".into(),
                driver: "local".into(),
            }],
            ..Default::default()
        };
        let other = Uses {
            networks: vec!["n-other".into(), "n-proxy".into()],
            ..Default::default()
        };
        let services = [
            service("shop_web", "shop", web),
            service("shop_db", "shop", db),
            service("blog_web", "blog", other),
        ];
        let networks = [
            listed("n-own", "shop_default", "shop"),
            listed("n-proxy", "proxy", ""),
            listed("n-other", "blog_default", "blog"),
            listed("n-idle", "idle", ""),
        ];
        let secrets = [
            listed("s-key", "shop_key", "shop"),
            listed("s-blog", "blog_key", "blog"),
        ];
        let configs = [listed("c-conf", "shop_conf", "shop")];
        let r = assemble("shop", &services, &networks, &secrets, &configs);

        let nets: Vec<(&str, bool, Vec<String>)> = r
            .networks
            .iter()
            .map(|n| (n.name.as_str(), n.external, n.used_by.clone()))
            .collect();
        assert_eq!(
            nets,
            vec![
                ("proxy", true, vec!["web".to_string()]),
                ("shop_default", false, vec!["db".into(), "web".into()]),
            ]
        );
        assert_eq!(r.networks[0].detail, "overlay, swarm");
        assert_eq!(r.secrets.len(), 1);
        assert_eq!(r.secrets[0].name, "shop_key");
        assert_eq!(r.secrets[0].used_by, vec!["web".to_string()]);
        assert_eq!(r.secrets[0].detail, "1970-01-01 00:00:00 UTC");
        assert_eq!(r.configs[0].used_by, vec!["web".to_string()]);
        assert_eq!(
            r.volumes,
            vec![VolumeUse {
                name: "shop_data".into(),
                driver: "local".into(),
                mounts: vec!["web:/data".into(), "db:/var/lib/db".into()],
            }]
        );
    }
}
