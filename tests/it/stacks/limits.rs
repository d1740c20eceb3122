//! Hostile stack sources: an alias bomb (one 1 MB string anchored once and aliased 3,000
//! times: gigabytes once expanded) and files over the size limits are refused on every path
//! with a located error, nothing is stored, and berth goes on serving.

use super::*;
use crate::harness::unique;

/// Line 11 holds the fifth alias, the one that takes the expansion past 4 MiB.
fn alias_bomb() -> String {
    let mut text = format!(
        "services:\n  web:\n    image: nginx\n    labels:\n      big: &big \"{}\"\nx-copies:\n",
        "x".repeat(1_000_000)
    );
    text.push_str(&"  - *big\n".repeat(3_000));
    text
}

#[tokio::test]
async fn an_alias_bomb_is_refused_with_its_line_and_berth_keeps_serving() {
    let (_lab, app) = app().await;
    let name = unique("bomb");
    let bomb = alias_bomb();
    // the editor's as-you-type check
    let r = app
        .post_raw(
            "/stacks/validate",
            &[
                ("csrf", &app.csrf().await.unwrap()),
                ("name", &name),
                ("compose", &bomb),
                ("env", ""),
            ],
            &[("accept", "application/json")],
        )
        .await
        .expect(200);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["problems"][0]["field"], "compose");
    assert_eq!(
        (&v["problems"][0]["line"], &v["problems"][0]["column"]),
        (&serde_json::json!(11), &serde_json::json!(5)),
        "{}",
        v["problems"][0]
    );
    let msg = v["problems"][0]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("excessive aliasing"), "{msg}");
    // the form without JavaScript, the deploy and the preview: the editor again, nothing stored
    for path in [
        "/stacks/validate".to_string(),
        "/stacks".to_string(),
        format!("/stacks/{name}/preview"),
    ] {
        let page = app
            .post(&path, &[("name", &name), ("compose", &bomb), ("env", "")])
            .await
            .expect(422);
        page.contains("excessive aliasing").contains("line 11");
    }
    assert!(
        berth::db::stacks::latest(&app.state.db, &name)
            .await
            .unwrap()
            .is_none()
    );
    // berth still answers a normal page
    app.get("/stacks").await.expect(200).contains("Stacks");
}

#[tokio::test]
async fn sources_over_the_size_limits_are_refused_before_any_work() {
    let (_lab, app) = app().await;
    let name = unique("big");
    let big = format!(
        "services:\n  web:\n    image: nginx\n#{}\n",
        "x".repeat(berth::compose::limits::MAX_COMPOSE_BYTES)
    );
    let page = app
        .post(
            "/stacks",
            &[("name", &name), ("compose", &big), ("env", "")],
        )
        .await
        .expect(422);
    page.contains("the compose file is too large");
    let env = format!("A={}\n", "x".repeat(berth::compose::limits::MAX_ENV_BYTES));
    let page = app
        .post(
            "/stacks",
            &[
                ("name", &name),
                ("compose", "services:\n  web:\n    image: nginx\n"),
                ("env", &env),
            ],
        )
        .await
        .expect(422);
    page.contains("the variables file is too large");
    assert!(
        berth::db::stacks::latest(&app.state.db, &name)
            .await
            .unwrap()
            .is_none()
    );
}
