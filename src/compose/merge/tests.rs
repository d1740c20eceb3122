use super::*;

fn svc(name: &str) -> ServiceConfig {
    ServiceConfig {
        name: name.into(),
        ..ServiceConfig::default()
    }
}

fn port(target: u32, published: u32) -> ServicePortConfig {
    ServicePortConfig {
        mode: "ingress".into(),
        target,
        published,
        protocol: "tcp".into(),
    }
}

#[test]
fn lists_concatenate_maps_merge_scalars_override() {
    let mut a = svc("web");
    a.image = "a".into();
    a.cap_add = vec!["NET_ADMIN".into()];
    a.labels.insert("x".into(), "1".into());
    a.environment.insert("A".into(), Some("1".into()));
    a.environment.insert("B".into(), Some("1".into()));
    a.deploy.replicas = Some(3);
    a.read_only = true;
    let mut b = svc("web");
    b.image = "b".into();
    b.cap_add = vec!["SYS_ADMIN".into()];
    b.labels.insert("y".into(), "2".into());
    b.environment.insert("A".into(), Some(String::new()));
    b.environment.insert("B".into(), Some("2".into()));
    b.deploy.replicas = Some(0);
    let base = Config {
        services: vec![a],
        ..Config::default()
    };
    let over = Config {
        services: vec![b, svc("db")],
        ..Config::default()
    };
    let m = merge(base, over);
    assert_eq!(
        m.services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["db", "web"]
    );
    let web = &m.services[1];
    assert_eq!(web.image, "b");
    assert_eq!(web.cap_add, ["NET_ADMIN", "SYS_ADMIN"]);
    assert_eq!(web.labels.len(), 2);
    assert_eq!(web.environment.get("A"), Some(&Some("1".into())));
    assert_eq!(web.environment.get("B"), Some(&Some("2".into())));
    assert_eq!(web.deploy.replicas, Some(0));
    assert!(web.read_only);
}

#[test]
fn ports_are_keyed_by_published_port() {
    let mut a = svc("web");
    a.ports = Some(vec![port(80, 8080), port(53, 0), port(54, 0)]);
    let mut b = svc("web");
    b.ports = Some(vec![port(81, 8080), port(443, 443)]);
    let m = merge(
        Config {
            services: vec![a],
            ..Config::default()
        },
        Config {
            services: vec![b],
            ..Config::default()
        },
    );
    let p: Vec<(u32, u32)> = m.services[0]
        .ports
        .iter()
        .flatten()
        .map(|p| (p.published, p.target))
        .collect();
    assert_eq!(p, [(0, 54), (443, 443), (8080, 81)]);
}

#[test]
fn top_level_objects_are_replaced_wholesale() {
    let mut base = Config::default();
    base.networks.insert(
        "n".into(),
        NetworkConfig {
            driver: "overlay".into(),
            attachable: true,
            ..NetworkConfig::default()
        },
    );
    let mut over = Config::default();
    over.networks.insert(
        "n".into(),
        NetworkConfig {
            internal: true,
            ..NetworkConfig::default()
        },
    );
    let m = merge(base, over);
    let n = &m.networks["n"];
    assert!(n.internal && !n.attachable && n.driver.is_empty());
}
