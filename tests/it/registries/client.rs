//! berth's registry client against the lab registry: the stored credentials log in and read
//! a tag's current digest; what fails says why.

use berth::db::registries as store;
use berth::registry::{self, RegistryError, client::LoginOutcome};

use crate::harness::registry::{push_image, registry};

async fn db_with(password: &str, ca: Option<String>) -> (tempfile::TempDir, sqlx::SqlitePool, i64) {
    let reg = registry();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = berth::db::open(dir.path(), None).await.expect("db");
    let f = store::Fields {
        address: &reg.addr,
        username: &reg.user,
        secret: Some(password),
        ca_pem: ca.as_deref(),
        by: "test",
    };
    let id = store::insert(&db, &f).await.expect("insert").expect("new");
    (dir, db, id)
}

#[tokio::test]
async fn stored_credentials_log_in_and_read_the_current_digest_of_a_tag() {
    let reg = registry();
    let repo = crate::harness::unique("cl");
    let first = push_image(&format!("{repo}/web:v1"));
    let (_dir, db, id) = db_with(&reg.password, Some(reg.ca_pem())).await;

    assert_eq!(
        registry::test_login(&db, id).await.expect("login"),
        LoginOutcome::LoggedIn
    );
    let image = reg.image(&format!("{repo}/web:v1"));
    assert_eq!(
        registry::current_digest(&db, &image).await.expect("digest"),
        first
    );
    let second = push_image(&format!("{repo}/web:v1"));
    assert_ne!(first, second);
    assert_eq!(
        registry::current_digest(&db, &image).await.expect("digest"),
        second
    );
    let missing = registry::current_digest(&db, &reg.image(&format!("{repo}/web:nope"))).await;
    assert!(
        matches!(missing, Err(RegistryError::NoSuchImage { .. })),
        "{missing:?}"
    );
}

#[tokio::test]
async fn a_wrong_password_and_a_missing_ca_say_what_failed() {
    let reg = registry();
    let (_dir, db, id) = db_with("not-the-password", Some(reg.ca_pem())).await;
    let err = registry::test_login(&db, id).await.expect_err("refused");
    assert!(
        matches!(err, RegistryError::WrongCredentials { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("refused the user name or password"),
        "{err}"
    );

    let (_dir2, db2, id2) = db_with(&reg.password, None).await;
    let err = registry::test_login(&db2, id2)
        .await
        .expect_err("untrusted");
    assert!(
        matches!(err, RegistryError::UntrustedCertificate { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("not trusted"), "{err}");
}
