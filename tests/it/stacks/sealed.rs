//! Secrets at rest (issue 11): a stack's env values and uploaded files are sealed in SQLite
//! with a key that is not in the database; the pages still show them; a wrong or missing key
//! stops berth with a clear error.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::upload::{WITH_SECRET, upload};
use super::*;
use crate::harness::unique;

const ENV_VALUE: &str = "sealed-env-value-4711";
const FILE_VALUE: &str = "sealed-file-token-0815";

/// Every byte SQLite holds on disk for this app: the database and its write-ahead log.
fn disk_bytes(app: &TestApp) -> Vec<u8> {
    let dir = &app.state.config.data_dir;
    let mut all = Vec::new();
    for f in ["berth.db", "berth.db-wal"] {
        if let Ok(b) = std::fs::read(dir.join(f)) {
            all.extend(b);
        }
    }
    all
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn stack_env_values_and_uploaded_files_are_sealed_in_sqlite_and_still_shown_and_deployed() {
    let (lab, app) = app().await;
    let name = unique("seal");
    upload(
        &app,
        &[
            ("name", None, name.as_bytes()),
            ("compose_file", Some("s.yml"), WITH_SECRET.as_bytes()),
            (
                "env_file",
                Some(".env"),
                format!("GREETING={ENV_VALUE}\n").as_bytes(),
            ),
            ("files", Some("token.txt"), FILE_VALUE.as_bytes()),
        ],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/1"));
    assert_eq!(
        testid(&finished(&app, &name, 1).await.body, "outcome"),
        "ok"
    );

    // the rows as SQLite holds them: sealed text only
    let (env, files, sealed): (String, String, bool) =
        sqlx::query_as("SELECT env, files, sealed FROM stack_versions WHERE stack = ?")
            .bind(&name)
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert!(sealed);
    for raw in [&env, &files] {
        assert!(raw.starts_with("v1:"), "sealed text: {raw}");
        assert!(!raw.contains(ENV_VALUE) && !raw.contains("GREETING"));
        assert!(!raw.contains("token.txt"));
    }
    // and the files on disk: neither the value nor the file (as uploaded or as base64)
    let disk = disk_bytes(&app);
    assert!(!disk.is_empty());
    for needle in [ENV_VALUE, FILE_VALUE, &B64.encode(FILE_VALUE)] {
        assert!(!holds(&disk, needle), "{needle:?} is on disk in the clear");
    }

    // the key is a file of its own, readable by berth only
    let key = app.state.config.data_dir.join("secret.key");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "secret.key mode {mode:o}");

    // what users see: the values behind the reveal, the file names, a redeploy from storage
    app.get(&format!("/stacks/{name}/versions/1?reveal=env"))
        .await
        .expect(200)
        .contains(ENV_VALUE)
        .contains("<code>token.txt</code>");
    app.post(&format!("/stacks/{name}/versions/1/redeploy"), &[])
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/2"));
    assert_eq!(
        testid(&finished(&app, &name, 2).await.body, "outcome"),
        "ok"
    );
    let svc = service_json(lab, &format!("{name}_web"));
    assert_eq!(
        svc["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"],
        serde_json::json!([format!("GREETING={ENV_VALUE}")])
    );
    let v2 = berth::db::stacks::get(&app.state.db, &name, 2)
        .await
        .unwrap()
        .unwrap();
    assert!(v2.files.contains(&B64.encode(FILE_VALUE)), "{}", v2.files);
    cleanup(lab, &name).await;
}

fn args_for(app: &TestApp) -> berth::config::ServeArgs {
    berth::config::ServeArgs::for_test(app.state.config.data_dir.clone(), lab("one").manager_host())
}

#[tokio::test]
async fn secrets_stored_in_the_clear_before_are_sealed_at_start_up() {
    let app = TestApp::new(&lab("one").manager_host()).await;
    // a row as an older berth wrote it
    sqlx::query(
        "INSERT INTO stack_versions (stack, version, compose, env, files, prune, created_at, outcome)
         VALUES ('old', 1, 'services: {}', ?, ?, 0, 0, 'ok')",
    )
    .bind(format!("GREETING={ENV_VALUE}\n"))
    .bind(format!("{{\"token.txt\": \"{}\"}}", B64.encode(FILE_VALUE)))
    .execute(&app.state.db)
    .await
    .unwrap();
    assert!(
        holds(&disk_bytes(&app), ENV_VALUE),
        "the test row is on disk in the clear"
    );

    let again = berth::AppState::new(args_for(&app)).await.unwrap();
    let (env, sealed): (String, bool) =
        sqlx::query_as("SELECT env, sealed FROM stack_versions WHERE stack = 'old'")
            .fetch_one(&again.db)
            .await
            .unwrap();
    assert!(sealed && env.starts_with("v1:"));
    let v = berth::db::stacks::get(&again.db, "old", 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.env, format!("GREETING={ENV_VALUE}\n"));
    let disk = disk_bytes(&app);
    for needle in [ENV_VALUE, &B64.encode(FILE_VALUE)] {
        assert!(
            !holds(&disk, needle),
            "{needle:?} is still on disk in the clear"
        );
    }
}

#[tokio::test]
async fn a_wrong_or_missing_key_stops_berth_with_a_clear_error() {
    let app = TestApp::new(&lab("one").manager_host()).await;
    berth::db::stacks::insert(
        &app.state.db,
        &berth::db::stacks::NewVersion {
            stack: "keyed",
            compose: "services: {}\n",
            env: "A=1",
            files: "{}",
            prune: false,
            username: "admin",
            redeploy_of: None,
            base: None,
        },
    )
    .await
    .unwrap()
    .unwrap();
    let dir = app.state.config.data_dir.clone();

    // a key given as a Docker secret that is not the one the database was sealed with
    let other = dir.parent().unwrap().join("other.key");
    std::fs::write(&other, B64.encode([9u8; 32])).unwrap();
    let mut args = args_for(&app);
    args.secret_key_file = Some(other.clone());
    let err = format!(
        "{:#}",
        berth::AppState::new(args).await.err().expect("refused")
    );
    assert!(
        err.contains("is not the key this database's secrets were sealed with")
            && err.contains("other.key"),
        "{err}"
    );
    // a given file that is not a key
    std::fs::write(&other, "password123").unwrap();
    let mut args = args_for(&app);
    args.secret_key_file = Some(other);
    let err = format!(
        "{:#}",
        berth::AppState::new(args).await.err().expect("refused")
    );
    assert!(err.contains("is not a key"), "{err}");

    // the data directory's key removed: no fresh key is made up for sealed data
    let key = dir.join("secret.key");
    let saved = std::fs::read(&key).unwrap();
    std::fs::remove_file(&key).unwrap();
    let err = format!(
        "{:#}",
        berth::AppState::new(args_for(&app))
            .await
            .err()
            .expect("refused")
    );
    assert!(
        err.contains("secret.key") && err.contains("missing"),
        "{err}"
    );
    assert!(!key.exists(), "no new key was created");

    // the right key back: everything opens
    std::fs::write(&key, saved).unwrap();
    let again = berth::AppState::new(args_for(&app)).await.unwrap();
    let v = berth::db::stacks::get(&again.db, "keyed", 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.env, "A=1");
}
