use super::*;

#[test]
fn display_shows_location_then_message() {
    let e = ComposeError::new("services.web.deploy.replicas must be a integer")
        .at_pos("docker-compose.yml", Pos::new(12, 7));
    assert_eq!(
        e.to_string(),
        "docker-compose.yml:12:7: services.web.deploy.replicas must be a integer"
    );
    assert_eq!(ComposeError::new("x").to_string(), "x");
    assert_eq!(
        ComposeError::new("x").in_file("a.yml").to_string(),
        "a.yml: x"
    );
}
