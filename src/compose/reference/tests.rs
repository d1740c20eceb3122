use super::*;

#[test]
fn valid_references() {
    for r in [
        "nginx",
        "nginx:1.25",
        "library/nginx",
        "docker.io/library/nginx:latest",
        "localhost:5000/app",
        "127.0.0.1:5000/hasher:latest",
        "registry.example.com:5000/hasher:v0.2",
        "[::1]:5000/x",
        "a_b.c/foo",
        "a--b",
        "busybox@sha256:38a203e1986cf79639cfb9b2e1d6e773de84002feea2d4eb006b52004ee8502d",
        "sha256:38a203e1986cf79639cfb9b2e1d6e773de84002feea2d4eb006b52004ee8502d",
        "38a203e1986cf79639cfb9b2e1d6e773de84002feea2d4eb006b52004ee8502d",
    ] {
        assert_eq!(parse_any_reference(r), Ok(()), "{r}");
    }
}

#[test]
fn invalid_references() {
    assert_eq!(
        parse_any_reference("/hasher:"),
        Err("invalid reference format".into())
    );
    assert_eq!(
        parse_any_reference("Nginx"),
        Err("invalid reference format: repository name (library/Nginx) must be lowercase".into())
    );
    assert_eq!(
        parse_any_reference("nginx:"),
        Err("invalid reference format".into())
    );
    assert_eq!(
        parse_any_reference("a..b/foo"),
        Err("invalid reference format".into())
    );
    assert_eq!(
        parse_any_reference("nginx@sha256:abc"),
        Err("invalid reference format".into())
    );
    assert_eq!(
        parse_any_reference(&format!("nginx@sha256:{}", "a".repeat(40))),
        Err("invalid checksum digest length".into())
    );
    assert_eq!(
        parse_any_reference(""),
        Err("invalid reference format".into())
    );
}

#[test]
fn normalize_adds_latest_in_familiar_form() {
    assert_eq!(normalize_image("nginx"), "nginx:latest");
    assert_eq!(normalize_image("docker.io/library/nginx"), "nginx:latest");
    assert_eq!(normalize_image("index.docker.io/foo/bar"), "foo/bar:latest");
    assert_eq!(normalize_image("nginx:1.25"), "nginx:1.25");
    assert_eq!(
        normalize_image("localhost:5000/app"),
        "localhost:5000/app:latest"
    );
    let d = "busybox@sha256:38a203e1986cf79639cfb9b2e1d6e773de84002feea2d4eb006b52004ee8502d";
    assert_eq!(normalize_image(d), d);
    assert_eq!(normalize_image("/bad:"), "/bad:");
}
