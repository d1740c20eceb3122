use super::*;

fn expand(raw: &str) -> Vec<(u32, u32, String)> {
    let mut w = Vec::new();
    expand_short(raw, &mut w)
        .expect("valid")
        .into_iter()
        .map(|p| (p.target, p.published.unwrap_or(0), p.protocol))
        .collect()
}

#[test]
fn short_ports_expand_like_the_cli() {
    assert_eq!(expand("80"), [(80, 0, "tcp".to_string())]);
    assert_eq!(expand("8080:80/UDP"), [(80, 8080, "udp".to_string())]);
    assert_eq!(
        expand("3001-3003"),
        [
            (3001, 0, "tcp".to_string()),
            (3002, 0, "tcp".to_string()),
            (3003, 0, "tcp".to_string())
        ]
    );
    assert_eq!(
        expand("9090-9091:8080-8081"),
        [
            (8080, 9090, "tcp".to_string()),
            (8081, 9091, "tcp".to_string())
        ]
    );
    assert_eq!(
        expand("8000-8002:80"),
        [
            (80, 8000, "tcp".to_string()),
            (80, 8001, "tcp".to_string()),
            (80, 8002, "tcp".to_string())
        ]
    );
    // a published 0 is kept apart from none (the form refuses it; the engine reads both alike)
    let mut w = Vec::new();
    assert_eq!(
        expand_short("0:80", &mut w).expect("valid")[0].published,
        Some(0)
    );
    // keys are string-sorted: "10/tcp" < "9/tcp"
    assert_eq!(
        expand("9-10"),
        [(10, 0, "tcp".to_string()), (9, 0, "tcp".to_string())]
    );
}

#[test]
fn host_ips_are_dropped_with_a_warning() {
    let mut w = Vec::new();
    let p = expand_short("127.0.0.1:8001:8001", &mut w).expect("ok");
    assert_eq!(p[0].published, Some(8001));
    assert_eq!(
        w,
        ["ignoring IP-address (127.0.0.1:8001:8001/tcp) service will listen on '0.0.0.0'"]
    );
    let mut w = Vec::new();
    expand_short("[::1]:80:80", &mut w).expect("ok");
    assert_eq!(
        w,
        ["ignoring IP-address ([::1]:80:80/tcp) service will listen on '0.0.0.0'"]
    );
    let mut w = Vec::new();
    expand_short("0.0.0.0:80:80", &mut w).expect("ok");
    assert!(w.is_empty());
}

#[test]
fn bad_specs() {
    assert_eq!(
        parse_port_spec("80/xyz").map_err(|e| e.to_string()),
        Err("invalid proto: xyz".into())
    );
    assert_eq!(
        parse_port_spec("8000-8001:80-82").map_err(|e| e.to_string()),
        Err("invalid ranges specified for container and host Ports: 80-82 and 8000-8001".into())
    );
    assert_eq!(
        parse_port_spec("a:80").map_err(|e| e.to_string()),
        Err("invalid hostPort: a".into())
    );
    assert_eq!(
        parse_port_spec("1.2.3:80:80").map_err(|e| e.to_string()),
        Err("invalid IP address: 1.2.3".into())
    );
    assert_eq!(
        parse_port_spec("").map_err(|e| e.to_string()),
        Err("no port specified: <empty>".into())
    );
    assert!(parse_port_spec("99999").is_err());
    assert_eq!(
        parse_port_spec("[::1:80:80").map_err(|e| e.to_string()),
        Err("invalid IP address [::1".into())
    );
}

fn engine(target: i64, published: Option<i64>, udp: bool, host: bool) -> EndpointPortConfig {
    EndpointPortConfig {
        name: None,
        protocol: Some(if udp {
            EndpointPortConfigProtocolEnum::UDP
        } else {
            EndpointPortConfigProtocolEnum::TCP
        }),
        target_port: Some(target),
        published_port: published,
        publish_mode: Some(if host {
            EndpointPortConfigPublishModeEnum::HOST
        } else {
            EndpointPortConfigPublishModeEnum::INGRESS
        }),
    }
}

#[test]
fn ports_show_the_same_everywhere() {
    let web = engine(80, Some(8080), false, false);
    assert_eq!(format_port(&web), "8080:80");
    assert_eq!(describe_port(&web), "8080→80/tcp");
    assert_eq!(binding(&web), "8080->80/tcp");
    assert_eq!(listing(&web), "*:8080->80/tcp");
    assert_eq!(mode_name(&web), "ingress");
    let dns = engine(53, None, true, false);
    assert_eq!(format_port(&dns), "53/udp");
    assert_eq!(describe_port(&dns), "*→53/udp");
    let host = engine(80, Some(9000), false, true);
    assert_eq!(
        format_port(&host),
        "published=9000,target=80,protocol=tcp,mode=host"
    );
    assert_eq!(describe_port(&host), "9000→80/tcp (host)");
    assert_eq!(mode_name(&host), "host");
    assert_eq!(protocol_name(None), "tcp");
    assert_eq!(key(8080, 80, "tcp"), "8080:80/tcp");
    assert_eq!(key(0, 53, "udp"), "53/udp");
}

#[test]
fn protocols_and_modes_are_read_in_any_case() {
    assert_eq!(protocol("UDP"), Some(EndpointPortConfigProtocolEnum::UDP));
    assert_eq!(protocol("icmp"), None);
    assert_eq!(
        publish_mode("Host"),
        Some(EndpointPortConfigPublishModeEnum::HOST)
    );
    assert_eq!(publish_mode("bridge"), None);
}
