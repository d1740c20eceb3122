//! The dump, sealing and restore on real SQLite files (the swarm part is tested on a lab).

use super::*;
use crate::db;

async fn fresh(dir: &Path) -> SqlitePool {
    db::open(dir, Some(&dir.join("key"))).await.unwrap()
}

fn key_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key"), "a".repeat(64)).unwrap();
    dir
}

async fn fill(pool: &SqlitePool) {
    db::users::create(pool, "admin", "$argon2id$hash", true)
        .await
        .unwrap()
        .unwrap();
    db::registries::insert(
        pool,
        &db::registries::Fields {
            address: "registry.example.com",
            username: "ci",
            secret: Some("a registry password"),
            ca_pem: None,
            by: "admin",
        },
    )
    .await
    .unwrap()
    .unwrap();
    for compose in [
        "services: {a: {image: nginx:1}}",
        "services: {a: {image: nginx:2}}",
    ] {
        db::stacks::insert(
            pool,
            &db::stacks::NewVersion {
                stack: "web",
                compose,
                env: "PASSWORD=secret-value",
                files: "",
                prune: false,
                username: "admin",
                redeploy_of: None,
                base: None,
            },
        )
        .await
        .unwrap()
        .unwrap();
    }
}

#[tokio::test]
async fn a_sealed_dump_restores_users_registries_and_stack_versions_into_an_empty_database() {
    let a = key_dir();
    let pool = fresh(a.path()).await;
    fill(&pool).await;
    let d = dump::dump(&pool).await.unwrap();
    let sealer = db::sealer(&pool).unwrap();
    let (sealed, content) = seal(&sealer, &d).unwrap();
    assert!(!sealed.contains("nginx") && !sealed.contains("registry.example.com"));

    // another directory, the same key (the Docker secret): an empty database
    let b = key_dir();
    let other = fresh(b.path()).await;
    assert!(db::users::list(&other).await.unwrap().is_empty());
    let opened = open(&db::sealer(&other).unwrap(), &sealed).unwrap();
    dump::restore(&other, &opened).await.unwrap();

    let users = db::users::list(&other).await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].username, "admin");
    let creds = crate::registry::all_credentials(&other).await.unwrap();
    assert_eq!(creds.len(), 1, "{creds:?}");
    let versions: Vec<(i64, String)> = sqlx::query_as(
        "SELECT version, compose FROM stack_versions WHERE stack = 'web' ORDER BY version",
    )
    .fetch_all(&other)
    .await
    .unwrap();
    assert_eq!(versions.len(), 2);
    assert!(versions[1].1.contains("nginx:2"));
    // the same content again: a writer sees nothing changed
    let (_, again) = seal(&sealer, &dump::dump(&other).await.unwrap()).unwrap();
    assert_eq!(again, content);
}

#[tokio::test]
async fn sessions_are_not_part_of_the_state_and_a_change_to_a_durable_table_is_announced() {
    let a = key_dir();
    let pool = fresh(a.path()).await;
    let d = dump::dump(&pool).await.unwrap();
    let names: Vec<&str> = d.tables.iter().map(|t| t.name.as_str()).collect();
    assert!(
        names.contains(&"users") && names.contains(&"stack_versions"),
        "{names:?}"
    );
    assert!(!names.contains(&"sessions") && !names.contains(&"_sqlx_migrations"));

    let changes = db::changes(&pool);
    fill(&pool).await;
    tokio::time::timeout(Duration::from_secs(5), changes.notified())
        .await
        .expect("a change to users is announced");
}

#[tokio::test]
async fn a_state_from_a_newer_berth_or_another_key_is_refused_and_changes_nothing() {
    let a = key_dir();
    let pool = fresh(a.path()).await;
    fill(&pool).await;
    let mut d = dump::dump(&pool).await.unwrap();
    let b = key_dir();
    let other = fresh(b.path()).await;
    d.schema += 1;
    assert!(matches!(
        dump::restore(&other, &d).await,
        Err(dump::DumpError::Newer { .. })
    ));
    d.schema -= 1;
    d.tables[0].columns.push("no_such_column".into());
    assert!(matches!(
        dump::restore(&other, &d).await,
        Err(dump::DumpError::Unknown(_))
    ));
    assert!(db::users::list(&other).await.unwrap().is_empty());

    let (sealed, _) = seal(
        &db::sealer(&pool).unwrap(),
        &dump::dump(&pool).await.unwrap(),
    )
    .unwrap();
    let wrong = crate::secrets::Sealer::from_key([7u8; 32], "other".into());
    assert!(open(&wrong, &sealed).is_err());
}

/// Figure: the state of 100 stacks of 10 versions each, as sealed for the swarm.
/// `cargo test --lib swarmstate::tests::the_state_of_100_stacks_of_10_versions -- --nocapture`
#[tokio::test]
async fn the_state_of_100_stacks_of_10_versions_fits_in_a_few_chunks() {
    let a = key_dir();
    let pool = fresh(a.path()).await;
    fill(&pool).await;
    for s in 0..100 {
        let stack = format!("app{s:03}");
        for v in 1..=10 {
            let compose = format!(
                "services:\n  web:\n    image: registry.example.com/team/web:1.{v}.{s}\n    \
                 deploy:\n      replicas: {v}\n      update_config: {{order: start-first}}\n    \
                 environment:\n      MODE: production\n      LEVEL: \"{v}\"\n    ports: [\"{}:80\"]\n  \
                 worker:\n    image: registry.example.com/team/worker:1.{v}.{s}\n    \
                 command: [\"run\", \"--queue\", \"jobs-{s}\"]\n    secrets: [db_password]\n\
                 secrets:\n  db_password:\n    external: true\n",
                8000 + s
            );
            db::stacks::insert(
                &pool,
                &db::stacks::NewVersion {
                    stack: &stack,
                    compose: &compose,
                    env: &format!("TOKEN=secret-{s}-{v}\nLEVEL={v}\n"),
                    files: "",
                    prune: false,
                    username: "admin",
                    redeploy_of: None,
                    base: None,
                },
            )
            .await
            .unwrap()
            .unwrap();
        }
    }
    let d = dump::dump(&pool).await.unwrap();
    let json = serde_json::to_vec(&d).unwrap().len();
    let (sealed, _) = seal(&db::sealer(&pool).unwrap(), &d).unwrap();
    let chunks = sealed.len().div_ceil(store::CHUNK);
    println!(
        "figure: 100 stacks x 10 versions: dump {json} bytes, sealed {} bytes in {chunks} chunk(s); \
         the swarm keeps {} versions: {} bytes",
        sealed.len(),
        store::KEEP,
        sealed.len() as u64 * store::KEEP
    );
    assert!(sealed.len() < store::MAX_SEALED);
    let back = open(&db::sealer(&pool).unwrap(), &sealed).unwrap();
    assert_eq!(back, d);
}
