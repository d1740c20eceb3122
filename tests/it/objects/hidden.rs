//! berth's own state in the swarm (configs labelled `berth.state`) stays off /configs.

use super::{Cleanup, app};
use crate::harness::unique;

#[tokio::test]
async fn berths_own_state_configs_are_not_listed() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let state = c.object("config", &unique("h8state"));
    let plain = c.object("config", &unique("h8plain"));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "x").unwrap();
    let path = file.path().display().to_string();
    lab.docker_cli(
        1,
        &[
            "config",
            "create",
            "--label",
            "berth.state=1",
            &state,
            &path,
        ],
    )
    .unwrap();
    lab.docker_cli(1, &["config", "create", &plain, &path])
        .unwrap();
    let page = app.get("/configs").await.expect(200);
    page.contains(&plain);
    page.lacks(&state);
}
