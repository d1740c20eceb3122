//! Schema validation messages, checked against docker CLI 28.2.2 output.

use super::validate;
use crate::compose::yaml::parse;

fn check(yaml: &str) -> Result<(), String> {
    let root = parse(yaml).ok().flatten().ok_or("yaml")?;
    let version = root
        .get("version")
        .and_then(|v| v.as_str())
        .unwrap_or("3.13")
        .to_string();
    validate(&root, &version, "f.yml").map_err(|e| e.message)
}

#[test]
fn messages_match_the_cli() {
    let cases: &[(&str, &str)] = &[
        (
            "version: \"3.7\"\nservices:\n  web:\n    image: x\n    deploy:\n      update_config:\n        order: foo\n",
            "services.web.deploy.update_config.order services.web.deploy.update_config.order must be one of the following: \"start-first\", \"stop-first\"",
        ),
        (
            "services:\n  web:\n    image: x\n    cap_add: [a, a]\n",
            "services.web.cap_add array items[0,1] must be unique",
        ),
        (
            "services:\n  web:\n    image: x\n    volumes:\n      - source: /a\n        target: /b\n",
            "services.web.volumes.0 type is required",
        ),
        (
            "services:\n  web:\n    image: x\n    volumes:\n      - type: tmpfs\n        target: /b\n        tmpfs:\n          size: -1\n",
            "services.web.volumes.0.tmpfs.size Must be greater than or equal to 0",
        ),
        (
            "services:\n  web:\n    image: x\n    ports:\n      - target: 80\n        host_ip: 1.2.3.4\n",
            "services.web.ports.0 Additional property host_ip is not allowed",
        ),
        (
            "services:\n  web:\n    image: x\n    environment:\n      FOO: true\n",
            "services.web.environment.FOO must be a string, number or null",
        ),
        (
            "services:\n  web:\n    image: x\n    deploy:\n      replicas: \"3\"\n",
            "services.web.deploy.replicas must be a integer",
        ),
        ("services:\n  web:\n", "services.web must be a mapping"),
        (
            "name: foo\nservices:\n  web:\n    image: x\n",
            "(root) Additional property name is not allowed",
        ),
        (
            "services:\n  web:\n    image: x\n    ulimits:\n      nofile:\n        soft: 1\n",
            "services.web.ulimits.nofile hard is required",
        ),
        (
            "version: \"3.5\"\nservices:\n  web:\n    image: x\nnetworks:\n  n1:\n    x-foo: 1\n",
            "networks.n1 Additional property x-foo is not allowed",
        ),
        (
            "services:\n  foo:\n    image: x\n    ports:\n      - \"abc\"\n",
            "services.foo.ports.0 Does not match format 'ports'",
        ),
        (
            "services:\n  web:\n    image: x\n    deploy:\n      resources:\n        limits:\n          cpus: 0.5\n",
            "services.web.deploy.resources.limits.cpus must be a string",
        ),
        (
            "services:\n  backend:\n    image: x\n    depends_on:\n      db:\n        condition: service_healthy\n",
            "services.backend.depends_on must be a list",
        ),
        (
            "version: 3.8\nservices:\n  web:\n    image: x\n",
            "version must be a string",
        ),
        (
            "services:\n  web:\n    image: x\n    stop_grace_period: 1d\n",
            "services.web.stop_grace_period Does not match format 'duration'",
        ),
        (
            "version: \"3.2\"\nservices:\n  web:\n    image: x\n    init: true\n",
            "services.web Additional property init is not allowed",
        ),
    ];
    for (yaml, want) in cases {
        assert_eq!(check(yaml), Err(want.to_string()), "{yaml}");
    }
}

#[test]
fn valid_files_pass() {
    assert_eq!(
        check(
            "services:\n  web:\n    image: x\n    deploy:\n      replicas: 1.0\n    ports: [80, \"8080:80\", {target: 90}]\n"
        ),
        Ok(())
    );
    assert_eq!(check("version: \"3.0\"\nservices: {}\n"), Ok(()));
}

#[test]
fn unknown_versions_are_rejected() {
    assert_eq!(
        check("version: \"2.4\"\nservices: {}\n"),
        Err("unsupported Compose file version: 2.4".to_string())
    );
}
