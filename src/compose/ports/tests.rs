use super::*;

fn expand(raw: &str) -> Vec<(u32, u32, String)> {
    let mut w = Vec::new();
    to_service_port_configs(raw, &mut w)
        .expect("valid")
        .into_iter()
        .map(|p| (p.target, p.published, p.protocol))
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
    // keys are string-sorted: "10/tcp" < "9/tcp"
    assert_eq!(
        expand("9-10"),
        [(10, 0, "tcp".to_string()), (9, 0, "tcp".to_string())]
    );
}

#[test]
fn host_ips_are_dropped_with_a_warning() {
    let mut w = Vec::new();
    let p = to_service_port_configs("127.0.0.1:8001:8001", &mut w).expect("ok");
    assert_eq!(p[0].published, 8001);
    assert_eq!(
        w,
        ["ignoring IP-address (127.0.0.1:8001:8001/tcp) service will listen on '0.0.0.0'"]
    );
    let mut w = Vec::new();
    to_service_port_configs("[::1]:80:80", &mut w).expect("ok");
    assert_eq!(
        w,
        ["ignoring IP-address ([::1]:80:80/tcp) service will listen on '0.0.0.0'"]
    );
    let mut w = Vec::new();
    to_service_port_configs("0.0.0.0:80:80", &mut w).expect("ok");
    assert!(w.is_empty());
}

#[test]
fn bad_specs() {
    assert_eq!(parse_port_spec("80/xyz"), Err("invalid proto: xyz".into()));
    assert_eq!(
        parse_port_spec("8000-8001:80-82"),
        Err("invalid ranges specified for container and host Ports: 80-82 and 8000-8001".into())
    );
    assert_eq!(parse_port_spec("a:80"), Err("invalid hostPort: a".into()));
    assert_eq!(
        parse_port_spec("1.2.3:80:80"),
        Err("invalid IP address: 1.2.3".into())
    );
    assert_eq!(
        parse_port_spec(""),
        Err("no port specified: <empty>".into())
    );
    assert!(parse_port_spec("99999").is_err());
}
