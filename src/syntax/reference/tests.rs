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
        parse_any_reference("/hasher:").map_err(|e| e.to_string()),
        Err("invalid reference format".into())
    );
    assert_eq!(
        parse_any_reference("Nginx").map_err(|e| e.to_string()),
        Err("invalid reference format: repository name (library/Nginx) must be lowercase".into())
    );
    assert_eq!(
        parse_any_reference("nginx:").map_err(|e| e.to_string()),
        Err("invalid reference format".into())
    );
    assert_eq!(
        parse_any_reference("a..b/foo").map_err(|e| e.to_string()),
        Err("invalid reference format".into())
    );
    assert_eq!(
        parse_any_reference("nginx@sha256:abc").map_err(|e| e.to_string()),
        Err("invalid reference format".into())
    );
    assert_eq!(
        parse_any_reference(&format!("nginx@sha256:{}", "a".repeat(40))).map_err(|e| e.to_string()),
        Err("invalid checksum digest length".into())
    );
    assert_eq!(
        parse_any_reference("").map_err(|e| e.to_string()),
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

#[test]
fn errors_name_the_part_that_is_wrong() {
    let part = |s: &str| match parse_normalized_named(s) {
        Err(RefError::Format(p)) => Some(p),
        _ => None,
    };
    assert_eq!(part("nginx:"), Some(Part::Tag));
    assert_eq!(part("nginx:-x"), Some(Part::Tag));
    assert_eq!(part("nginx@sha256:abc"), Some(Part::Digest));
    assert_eq!(part("-nginx"), Some(Part::Name));
    assert_eq!(part("a//b"), Some(Part::Name));
    assert_eq!(part("a..b/foo"), Some(Part::Domain));
    assert_eq!(
        parse_normalized_named("team/Nginx"),
        Err(RefError::RemoteUppercase("team/Nginx".into()))
    );
    assert!(matches!(
        parse_normalized_named(&"a".repeat(64)),
        Err(RefError::Identifier(_))
    ));
    assert_eq!(
        parse_normalized_named(&format!("nginx@sha256:{}", "a".repeat(40))),
        Err(RefError::Digest(DigestError::Length))
    );
}

#[test]
fn split_parts_follows_the_structure_only() {
    assert_eq!(
        split_parts("localhost:5000/app"),
        ("localhost:5000/app", None, None)
    );
    assert_eq!(
        split_parts("app:2@sha256:ff"),
        ("app", Some("2"), Some("sha256:ff"))
    );
    assert_eq!(split_parts("a:b:c"), ("a:b", Some("c"), None));
}
