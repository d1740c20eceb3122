//! `/registries`: add, test, edit and remove a registry through the forms, as a person without
//! JavaScript would; what the page says when the login fails; the secret never shown, never in
//! the audit log and never in the database file in the clear.

use crate::harness::TestApp;
use crate::harness::registry::{registry, registry_lab};

async fn app() -> TestApp {
    TestApp::signed_in(&registry_lab().manager_host()).await
}

/// Adds a registry through the form and returns its edit, test and remove addresses.
async fn add(app: &TestApp, address: &str, password: &str, ca: &str) -> (String, String, String) {
    let reg = registry();
    app.post(
        "/registries",
        &[
            ("address", address),
            ("username", &reg.user),
            ("password", password),
            ("ca_pem", ca),
        ],
    )
    .await
    .expect_redirect("/registries");
    let id: i64 = sqlx::query_scalar("SELECT id FROM registries WHERE address = ?")
        .bind(address)
        .fetch_one(&app.state.db)
        .await
        .expect("stored");
    (
        format!("/registries/{id}"),
        format!("/registries/{id}/test"),
        format!("/registries/{id}/remove"),
    )
}

/// Runs Test and returns the page it leads to.
async fn test(app: &TestApp, url: &str) -> String {
    app.post(url, &[]).await.expect_redirect("/registries");
    app.get("/registries").await.expect(200).body
}

/// Every byte berth keeps in its data directory (the database, its WAL and journal).
fn data_bytes(app: &TestApp) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(&app.state.config.data_dir)
        .expect("data dir")
        .flatten()
    {
        if e.path().is_file() {
            all.extend(std::fs::read(e.path()).unwrap_or_default());
        }
    }
    all
}

#[tokio::test]
async fn a_registry_is_added_tested_edited_and_removed_and_its_password_never_shows() {
    let reg = registry();
    let app = app().await;
    let empty = app.get("/registries").await.expect(200);
    empty
        .contains("data-testid=\"registries-empty\"")
        .contains("href=\"/registries\"");

    let (edit, test_url, remove) = add(&app, &reg.addr, &reg.password, &reg.ca_pem()).await;
    let page = app.get("/registries").await.expect(200);
    page.contains(&format!("data-address=\"{}\"", reg.addr))
        .contains("own CA")
        .lacks(&reg.password);
    let body = test(&app, &test_url).await;
    assert!(
        body.contains(&format!("Logged in to {} as {}", reg.addr, reg.user)),
        "{body}"
    );

    // the edit form never shows the password; left blank, the stored one is kept
    let form = app.get(&edit).await.expect(200);
    form.lacks(&reg.password).contains("leave blank to keep");
    app.post(
        &edit,
        &[
            ("address", &reg.addr),
            ("username", &reg.user),
            ("password", ""),
            ("ca_pem", &reg.ca_pem()),
        ],
    )
    .await
    .expect_redirect("/registries");
    assert!(test(&app, &test_url).await.contains("Logged in to"));

    // the password is sealed in the database file, and the audit log names no secret
    let bytes = data_bytes(&app);
    assert!(
        !bytes
            .windows(reg.password.len())
            .any(|w| w == reg.password.as_bytes()),
        "the password is in the data directory in the clear"
    );
    let details: Vec<String> = sqlx::query_scalar("SELECT COALESCE(detail, '') FROM audit_log")
        .fetch_all(&app.state.db)
        .await
        .expect("audit");
    assert!(
        details.iter().all(|d| !d.contains(&reg.password)),
        "{details:?}"
    );

    app.post(&remove, &[]).await.expect_redirect("/registries");
    app.get("/registries")
        .await
        .expect(200)
        .contains("registries-empty");
    // (identical entries collapse into one row: the two tests are counted where the first is)
    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|(a, t, _)| a.starts_with("registry.") && *t == reg.addr)
        .map(|(a, _, o)| format!("{a} {o}"))
        .collect();
    assert_eq!(
        actions,
        [
            "registry.add ok",
            "registry.test ok",
            "registry.test ok",
            "registry.update ok",
            "registry.remove ok"
        ]
    );
}

#[tokio::test]
async fn test_says_wrong_credentials_unknown_host_or_untrusted_certificate() {
    let reg = registry();
    let app = app().await;
    let (_, wrong, _) = add(&app, &reg.addr, "not-the-password", &reg.ca_pem()).await;
    let body = test(&app, &wrong).await;
    assert!(
        body.contains(&format!(
            "Test of {} failed: {} refused the user name or password",
            reg.addr, reg.addr
        )),
        "{body}"
    );

    let (_, unknown, _) = add(&app, "no-such-registry.invalid:5000", "x", "").await;
    let body = test(&app, &unknown).await;
    assert!(
        body.contains("unknown host: no address found for no-such-registry.invalid"),
        "{body}"
    );

    // the right password, but without the registry's CA (another berth)
    let app2 = self::app().await;
    let (_, untrusted, _) = add(&app2, &reg.addr, &reg.password, "").await;
    let body = test(&app2, &untrusted).await;
    assert!(
        body.contains("is not trusted: it is signed by a CA berth does not trust"),
        "{body}"
    );
    let outcomes: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|(a, _, _)| a == "registry.test")
        .map(|(_, _, o)| o)
        .collect();
    assert_eq!(outcomes, ["failed", "failed"]);
}

#[tokio::test]
async fn bad_forms_are_refused_with_a_reason_and_store_nothing() {
    let app = app().await;
    for (fields, says) in [
        (
            [
                ("address", "user@ghcr.io"),
                ("username", "me"),
                ("password", "x"),
                ("ca_pem", ""),
            ],
            "is not a registry address",
        ),
        (
            [
                ("address", "ghcr.io"),
                ("username", "me"),
                ("password", ""),
                ("ca_pem", ""),
            ],
            "Enter the password or access token",
        ),
        (
            [
                ("address", "ghcr.io"),
                ("username", "me"),
                ("password", "x"),
                (
                    "ca_pem",
                    "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----",
                ),
            ],
            "The CA certificate is not usable",
        ),
    ] {
        let r = app.post("/registries", &fields).await.expect(422);
        r.contains(says).contains("data-testid=\"registry-error\"");
    }
    let long = "x".repeat(20_000);
    app.post(
        "/registries",
        &[
            ("address", "ghcr.io"),
            ("username", "me"),
            ("password", &long),
        ],
    )
    .await
    .expect(422)
    .contains("too long");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM registries")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(n, 0);
    // the same address twice is refused, not duplicated
    for _ in 0..2 {
        app.post(
            "/registries",
            &[
                ("address", "https://ghcr.io/"),
                ("username", "me"),
                ("password", "x"),
            ],
        )
        .await;
    }
    let r = app
        .post(
            "/registries",
            &[
                ("address", "GHCR.IO"),
                ("username", "me"),
                ("password", "x"),
            ],
        )
        .await
        .expect(422);
    r.contains("ghcr.io is already stored");
}
