//! Swarm networks: create an overlay (attachable, encrypted, internal, subnet, gateway,
//! labels), inspect it with the services and tasks attached and their addresses, remove it.
//!
//! The inspect is read raw (`GET /networks/{id}?verbose=true&scope=swarm`): on a manager the
//! verbose answer lists every service on the network with its VIP and each task's address,
//! whichever node runs it; bollard's typed model has no field for that part.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use bollard::Docker;
use bollard::models::{Ipam, IpamConfig, NetworkCreateRequest};
use serde_json::Value;

use super::{MAX_LABEL, parse_labels};
use crate::docker::{DockerError, raw};

/// Docker's limit for network names is the DNS label's (service discovery uses them).
pub const MAX_NAME: usize = 63;

/// What the create form holds.
#[derive(Debug, Clone, Default)]
pub struct NetworkInput {
    pub name: String,
    pub attachable: bool,
    pub encrypted: bool,
    pub internal: bool,
    pub subnet: String,
    pub gateway: String,
    pub labels: String,
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

/// `10.0.9.0/24` or `fd00::/64`: the address and a prefix that fits it.
fn check_subnet(s: &str) -> Result<IpAddr, String> {
    let bad = || format!("The subnet {s:?} is not an address with a prefix, like 10.20.0.0/24.");
    let (addr, prefix) = s.split_once('/').ok_or_else(bad)?;
    let ip = parse_ip(addr).ok_or_else(bad)?;
    let p: u8 = prefix.parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    if p > max {
        return Err(bad());
    }
    Ok(ip)
}

/// Checks the form (sizes and shapes before anything is sent) and builds Docker's request.
pub fn check(f: &NetworkInput) -> Result<NetworkCreateRequest, String> {
    let name = f.name.trim();
    if name.is_empty() {
        return Err("Enter a name for the network.".into());
    }
    if name.len() > MAX_NAME {
        return Err(format!(
            "The network name is too long (at most {MAX_NAME} characters)."
        ));
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    if !name.chars().all(ok) || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(
            "A network name may hold letters, digits, “-”, “_” and “.”, and must start with a letter or digit."
                .into(),
        );
    }
    if f.subnet.len() > MAX_LABEL || f.gateway.len() > MAX_LABEL {
        return Err("The subnet or gateway is too long.".into());
    }
    let subnet = f.subnet.trim();
    let gateway = f.gateway.trim();
    let ipam = if subnet.is_empty() {
        if !gateway.is_empty() {
            return Err("A gateway needs a subnet: enter the subnet too.".into());
        }
        None
    } else {
        let net = check_subnet(subnet)?;
        if !gateway.is_empty() {
            let gw = parse_ip(gateway).ok_or_else(|| {
                format!("The gateway {gateway:?} is not an IP address, like 10.20.0.1.")
            })?;
            if gw.is_ipv4() != net.is_ipv4() {
                return Err("The gateway and the subnet must both be IPv4 or both IPv6.".into());
            }
        }
        Some(Ipam {
            driver: Some("default".into()),
            config: Some(vec![IpamConfig {
                subnet: Some(subnet.to_string()),
                gateway: (!gateway.is_empty()).then(|| gateway.to_string()),
                ..Default::default()
            }]),
            options: None,
        })
    };
    let labels = parse_labels(&f.labels)?;
    let mut options = HashMap::new();
    if f.encrypted {
        options.insert("encrypted".to_string(), String::new());
    }
    Ok(NetworkCreateRequest {
        name: name.to_string(),
        driver: Some("overlay".into()),
        scope: Some("swarm".into()),
        attachable: Some(f.attachable),
        internal: Some(f.internal),
        ipam,
        options: Some(options),
        labels: Some(labels),
        ..Default::default()
    })
}

pub async fn create(docker: &Docker, req: NetworkCreateRequest) -> Result<String, DockerError> {
    Ok(docker.create_network(req).await?.id)
}

/// A task attached to the network, with its address on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachedTask {
    pub name: String,
    pub address: String,
    pub node_address: String,
}

/// A service attached to the network, with its virtual IP and tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachedService {
    pub name: String,
    pub vip: String,
    pub tasks: Vec<AttachedTask>,
}

/// One network as inspected.
#[derive(Debug, Clone, Default)]
pub struct NetworkDetail {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub scope: String,
    pub attachable: bool,
    pub internal: bool,
    pub ingress: bool,
    pub encrypted: bool,
    /// `subnet (gateway g)` for each IPAM pool
    pub subnets: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
    pub services: Vec<AttachedService>,
}

fn map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads the verbose inspect answer (pure, tested on a captured answer).
pub fn detail_from(v: &Value) -> NetworkDetail {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let options = map(&v["Options"]);
    let subnets = v["IPAM"]["Config"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|p| {
                    let sub = p["Subnet"].as_str()?;
                    Some(match p["Gateway"].as_str().filter(|g| !g.is_empty()) {
                        Some(g) => format!("{sub} (gateway {g})"),
                        None => sub.to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut services: Vec<AttachedService> = v["Services"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(name, _)| !name.is_empty())
                .map(|(name, sv)| {
                    let mut tasks: Vec<AttachedTask> = sv["Tasks"]
                        .as_array()
                        .map(|ts| {
                            ts.iter()
                                .map(|t| AttachedTask {
                                    name: t["Name"].as_str().unwrap_or_default().to_string(),
                                    address: t["EndpointIP"]
                                        .as_str()
                                        .unwrap_or_default()
                                        .to_string(),
                                    node_address: t["Info"]["Host IP"]
                                        .as_str()
                                        .unwrap_or_default()
                                        .to_string(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    tasks.sort_by(|a, b| a.name.cmp(&b.name));
                    AttachedService {
                        name: name.clone(),
                        vip: sv["VIP"].as_str().unwrap_or_default().to_string(),
                        tasks,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    services.sort_by(|a, b| a.name.cmp(&b.name));
    NetworkDetail {
        id: s("Id"),
        name: s("Name"),
        driver: s("Driver"),
        scope: s("Scope"),
        attachable: v["Attachable"].as_bool().unwrap_or(false),
        internal: v["Internal"].as_bool().unwrap_or(false),
        ingress: v["Ingress"].as_bool().unwrap_or(false),
        encrypted: options.contains_key("encrypted"),
        subnets,
        labels: map(&v["Labels"]),
        options,
        services,
    }
}

/// Inspects a network with its attached services and tasks.
pub async fn inspect(docker: &Docker, key: &str) -> Result<NetworkDetail, DockerError> {
    if !raw::is_plain_ref(key) {
        return Err(DockerError::NotFound(format!("network {key} not found")));
    }
    let v = raw::get(
        docker,
        &format!("/networks/{key}"),
        "verbose=true&scope=swarm",
    )
    .await?;
    Ok(detail_from(&v))
}

/// Removes the network (Docker refuses while a service or container is attached).
pub async fn remove(docker: &Docker, id: &str) -> Result<(), DockerError> {
    if !raw::is_plain_ref(id) {
        return Err(DockerError::NotFound(format!("network {id} not found")));
    }
    Ok(docker.remove_network(id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, subnet: &str, gateway: &str) -> NetworkInput {
        NetworkInput {
            name: name.into(),
            subnet: subnet.into(),
            gateway: gateway.into(),
            attachable: true,
            encrypted: true,
            ..Default::default()
        }
    }

    #[test]
    fn an_encrypted_attachable_overlay_with_its_pool() {
        let r = check(&input("backend", "10.20.0.0/24", "10.20.0.1")).unwrap();
        assert_eq!(r.driver.as_deref(), Some("overlay"));
        assert_eq!(r.attachable, Some(true));
        assert!(r.options.unwrap().contains_key("encrypted"));
        let pool = &r.ipam.unwrap().config.unwrap()[0];
        assert_eq!(pool.subnet.as_deref(), Some("10.20.0.0/24"));
        assert_eq!(pool.gateway.as_deref(), Some("10.20.0.1"));
    }

    #[test]
    fn bad_names_subnets_and_gateways_are_refused_before_docker() {
        assert!(check(&input("", "", "")).is_err());
        assert!(check(&input("-x", "", "")).is_err());
        assert!(check(&input(&"a".repeat(64), "", "")).is_err());
        assert!(check(&input("a", "10.0.0.0", "")).is_err());
        assert!(check(&input("a", "10.0.0.0/33", "")).is_err());
        assert!(check(&input("a", "", "10.0.0.1")).is_err());
        assert!(check(&input("a", "10.0.0.0/24", "fd00::1")).is_err());
        assert!(check(&input("a", "fd00::/64", "fd00::1")).is_ok());
    }

    #[test]
    fn the_verbose_inspect_gives_services_tasks_and_addresses() {
        let v: Value = serde_json::from_str(
            r#"{"Id":"n1","Name":"backend","Driver":"overlay","Scope":"swarm","Attachable":true,
            "Options":{"encrypted":""},"IPAM":{"Config":[{"Subnet":"10.20.0.0/24","Gateway":"10.20.0.1"}]},
            "Labels":{"team":"a"},
            "Services":{"web":{"VIP":"10.20.0.2","Tasks":[
              {"Name":"web.2.x","EndpointIP":"10.20.0.4","Info":{"Host IP":"172.18.0.3"}},
              {"Name":"web.1.y","EndpointIP":"10.20.0.3","Info":{"Host IP":"172.18.0.2"}}]},
              "":{"VIP":"","Tasks":[]}}}"#,
        )
        .unwrap();
        let d = detail_from(&v);
        assert!(d.encrypted && d.attachable);
        assert_eq!(d.subnets, vec!["10.20.0.0/24 (gateway 10.20.0.1)"]);
        assert_eq!(d.services.len(), 1);
        assert_eq!(d.services[0].vip, "10.20.0.2");
        assert_eq!(d.services[0].tasks[0].name, "web.1.y");
        assert_eq!(d.services[0].tasks[0].address, "10.20.0.3");
    }
}
