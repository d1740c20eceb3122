//! Deploying by uploading a compose file (multipart), with a .env file and the files it
//! refers to; a broken upload names its line and creates nothing.

use axum::body::Body;
use axum::http::Request;

use super::*;
use crate::harness::unique;

const BOUNDARY: &str = "berthtestboundary7d3";

/// A multipart body: (field, file name, bytes).
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, file, data) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{field}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{field}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub(super) async fn upload(app: &TestApp, parts: &[(&str, Option<&str>, &[u8])]) -> Resp {
    let csrf = app.csrf().await.unwrap();
    app.request(
        Request::post(format!("/stacks?csrf={csrf}"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Body::from(multipart(parts)))
            .unwrap(),
    )
    .await
}

pub(super) const WITH_SECRET: &str = "services:\n  web:\n    image: berth-test/busybox:1\n    command: [\"sh\", \"-c\", \"cat /run/secrets/token; exec sleep 3600\"]\n    init: true\n    environment:\n      GREETING: ${GREETING}\n    secrets: [token]\nsecrets:\n  token:\n    file: ./token.txt\n";

#[tokio::test]
async fn an_uploaded_compose_file_deploys_with_its_env_file_and_secret_file() {
    let (lab, app) = app().await;
    let name = unique("upl");
    let r = upload(
        &app,
        &[
            ("name", None, name.as_bytes()),
            (
                "compose_file",
                Some("docker-stack.yml"),
                WITH_SECRET.as_bytes(),
            ),
            (
                "env_file",
                Some(".env"),
                b"# from a .env file\nGREETING=\"hello there\"\n",
            ),
            ("files", Some("token.txt"), b"s3cret-token\n"),
        ],
    )
    .await;
    r.expect_redirect(&format!("/stacks/{name}/versions/1"));
    let page = finished(&app, &name, 1).await;
    assert_eq!(testid(&page.body, "outcome"), "ok", "{}", page.body);
    let secrets = lab
        .docker_cli(
            1,
            &[
                "secret",
                "ls",
                "--format",
                "{{.Name}}",
                "--filter",
                &format!("label=com.docker.stack.namespace={name}"),
            ],
        )
        .unwrap();
    assert_eq!(secrets.trim(), format!("{name}_token"));
    let svc = service_json(lab, &format!("{name}_web"));
    assert_eq!(
        svc["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"],
        serde_json::json!(["GREETING=hello there"])
    );
    // the stored version holds what was uploaded (its env sealed: read through berth)
    let stored = berth::db::stacks::get(&app.state.db, &name, 1)
        .await
        .unwrap()
        .expect("version 1 is stored");
    assert_eq!(stored.compose, WITH_SECRET);
    assert!(stored.env.contains("GREETING"));
    app.get(&format!("/stacks/{name}/versions/1"))
        .await
        .contains("<code>token.txt</code>")
        .lacks("s3cret-token");

    // the uploaded file is kept: an edit in the browser (no upload) previews and deploys…
    let edited = WITH_SECRET.replace("init: true", "init: true\n    labels: [edited=yes]");
    app.post(
        &format!("/stacks/{name}/preview"),
        &[("compose", &edited), ("env", "GREETING=hi")],
    )
    .await
    .expect(200);
    app.post(
        &format!("/stacks/{name}"),
        &[("compose", &edited), ("env", "GREETING=hi")],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/2"));
    assert_eq!(
        testid(&finished(&app, &name, 2).await.body, "outcome"),
        "ok"
    );
    // …and version 1 can be redeployed as it was
    app.post(&format!("/stacks/{name}/versions/1/redeploy"), &[])
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/3"));
    assert_eq!(
        testid(&finished(&app, &name, 3).await.body, "outcome"),
        "ok"
    );
    let svc = service_json(lab, &format!("{name}_web"));
    assert_eq!(
        svc["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"],
        serde_json::json!(["GREETING=hello there"])
    );
    cleanup(lab, &name).await;
}

#[tokio::test]
async fn a_broken_upload_names_its_line_keeps_the_text_and_creates_nothing() {
    let (lab, app) = app().await;
    let name = unique("brk");
    let broken = "services:\n  web:\n    image: berth-test/busybox:1\n    deploy:\n      replicas: 2\n     mode: global\n";
    let r = upload(
        &app,
        &[
            ("name", None, name.as_bytes()),
            ("compose_file", Some("docker-stack.yml"), broken.as_bytes()),
        ],
    )
    .await
    .expect(422);
    r.contains("Nothing was deployed")
        .contains("data-line=\"6\"")
        .contains("mode: global");
    // a file it refers to but that was not uploaded: named, nothing created
    let r = upload(
        &app,
        &[
            ("name", None, name.as_bytes()),
            ("compose_file", Some("s.yml"), WITH_SECRET.as_bytes()),
            ("env_file", Some(".env"), b"GREETING=x\n"),
        ],
    )
    .await
    .expect(422);
    r.contains("token.txt");
    assert!(swarm_objects(lab, &name).is_empty());
    let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stack_versions")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(versions, 0);
}
