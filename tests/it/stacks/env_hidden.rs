//! A stack's variable values show only behind the audited reveal: the editor lists the names
//! and keeps the stored values when the field is left alone, the preview names the variables
//! that change, a refused deploy does not echo them.

use super::*;
use crate::harness::unique;

const COMPOSE: &str = "services:\n  app:\n    image: berth-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    init: true\n    environment:\n      TOKEN: ${TOKEN}\n      MODE: ${MODE}\n";

fn env_of_service(lab: &Lab, stack: &str) -> String {
    lab.docker_cli(
        1,
        &[
            "service",
            "inspect",
            "--format",
            "{{json .Spec.TaskTemplate.ContainerSpec.Env}}",
            &format!("{stack}_app"),
        ],
    )
    .unwrap_or_default()
}

fn reveals(audit: &[(String, String, String)], stack: &str) -> usize {
    audit
        .iter()
        .filter(|(a, t, _)| a == "stack.env.reveal" && t == stack)
        .count()
}

#[tokio::test]
async fn env_values_show_only_behind_the_audited_reveal_and_an_unrevealed_edit_keeps_them() {
    let (lab, app) = app().await;
    let name = unique("envh");
    let secret = format!("tok-{name}-s3cret");
    let env = format!("TOKEN={secret}\nMODE=azure7q\n");
    app.post(
        "/stacks",
        &[("name", &name), ("compose", COMPOSE), ("env", &env)],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/1"));
    let page = finished(&app, &name, 1).await;
    assert_eq!(testid(&page.body, "outcome"), "ok", "{}", page.body);

    // the editor: names, no values, a reveal link, the version whose values it keeps
    let edit = app.get(&format!("/stacks/{name}/edit")).await.expect(200);
    edit.contains("data-testid=\"kept-env\"")
        .contains("<code>TOKEN</code>")
        .contains("name=\"env_keep\" value=\"1\"")
        .contains("reveal=env")
        .lacks(&secret)
        .lacks("azure7q");
    assert_eq!(reveals(&app.audit_actions().await, &name), 0);

    // the preview of an edit that changes MODE: names what changes, masks the values
    let form = |env: &str, compose: &str| {
        vec![
            ("name".to_string(), name.clone()),
            ("compose".to_string(), compose.to_string()),
            ("env".to_string(), env.to_string()),
            ("env_keep".to_string(), "1".to_string()),
        ]
    };
    let post = |path: String, fields: Vec<(String, String)>| {
        let app = &app;
        async move {
            let f: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            app.post(&path, &f).await
        }
    };
    let preview = post(
        format!("/stacks/{name}/preview"),
        form("MODE=green", COMPOSE),
    )
    .await
    .expect(200);
    preview
        .contains("data-testid=\"env-changes\"")
        .contains("<code>MODE</code> <span class=\"pill pill-warn\">changed</span>")
        .contains("name=\"env_keep\" value=\"1\"")
        .lacks(&secret)
        .lacks("azure7q");

    // a refused deploy from the editor: the editor again, names only
    let broken = COMPOSE.replace("init: true", "init: maybe");
    let refused = post(format!("/stacks/{name}"), form("", &broken))
        .await
        .expect(422);
    refused
        .contains("<code>TOKEN</code>")
        .contains("name=\"env_keep\" value=\"1\"")
        .lacks(&secret)
        .lacks("azure7q");

    // the as-you-type check interpolates with the kept values (no "missing" warnings)
    let csrf = app.csrf().await.unwrap();
    let v = app
        .post_raw(
            "/stacks/validate",
            &[
                ("csrf", csrf.as_str()),
                ("name", &name),
                ("compose", COMPOSE),
                ("env", ""),
                ("env_keep", "1"),
            ],
            &[("accept", "application/json")],
        )
        .await
        .expect(200);
    let v: serde_json::Value = serde_json::from_str(&v.body).unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert!(!v.to_string().contains(&secret));

    // a redeploy from the editor without revealing keeps the stored values
    post(format!("/stacks/{name}"), form("", COMPOSE))
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/2"));
    let page = finished(&app, &name, 2).await;
    assert_eq!(testid(&page.body, "outcome"), "ok", "{}", page.body);
    let v2 = berth::db::stacks::get(&app.state.db, &name, 2)
        .await
        .unwrap()
        .unwrap();
    assert!(v2.env.contains(&format!("TOKEN={secret}")), "{}", v2.env);
    let svc_env = env_of_service(lab, &name);
    assert!(svc_env.contains(&format!("TOKEN={secret}")), "{svc_env}");
    assert!(svc_env.contains("MODE=azure7q"), "{svc_env}");

    // reveal to edit: the values filled in, and an audit entry
    let revealed = app
        .get(&format!("/stacks/{name}/edit?reveal=env"))
        .await
        .expect(200);
    revealed.contains(&secret).lacks("name=\"env_keep\"");
    assert_eq!(reveals(&app.audit_actions().await, &name), 1);
    cleanup(lab, &name).await;
}
