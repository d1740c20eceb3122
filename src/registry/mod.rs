//! Private registries: the credentials berth sends with a deploy (picked by the image's
//! registry, like `docker … --with-registry-auth`), logging in to test them, and reading a
//! tag's current digest from the registry (for "update available" and pull-and-redeploy).
//!
//! Stored in [`crate::db::registries`] (the secret sealed at rest); spoken to through
//! [`client`], a small Docker Registry v2 client.

pub mod address;
mod challenge;
pub mod client;
pub mod freshness;

use std::time::Duration;

pub use address::registry_of_image;
pub use bollard::auth::DockerCredentials;
use sqlx::SqlitePool;

use crate::db::registries as store;
use crate::syntax::reference;
use client::{Login, LoginOutcome, Session};

/// What went wrong talking to a registry, as a sentence a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{registry} refused the user name or password (or token)")]
    WrongCredentials { registry: String },
    #[error("unknown host: no address found for {host}")]
    UnknownHost { host: String },
    #[error("cannot reach {registry}: {reason}")]
    Unreachable { registry: String, reason: String },
    #[error("the certificate of {registry} is not trusted: {reason}")]
    UntrustedCertificate { registry: String, reason: String },
    #[error("{registry} is rate limiting berth{}", retry_after.map(|d| format!(": try again in {} s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        registry: String,
        retry_after: Option<Duration>,
    },
    #[error("{registry} does not answer as a Docker registry (v2 API)")]
    NotARegistry { registry: String },
    #[error("{image} does not exist on its registry (no such repository or tag)")]
    NoSuchImage { image: String },
    #[error("“{image}” is not an image reference")]
    BadReference { image: String },
    #[error("{registry}: {reason}")]
    Other { registry: String, reason: String },
    #[error("the stored registry settings cannot be read: {0}")]
    Store(#[from] sqlx::Error),
}

/// The credentials berth holds for the registry of `image`, ready for bollard
/// (`create_service`, `update_service`, `inspect_registry_image`). None when no registry is
/// stored for the image's domain (Docker Hub for bare names), or `image` is not a reference.
pub async fn credentials_for_image(
    db: &SqlitePool,
    image: &str,
) -> sqlx::Result<Option<DockerCredentials>> {
    let Some(key) = registry_of_image(image) else {
        return Ok(None);
    };
    let Some(r) = store::by_address(db, &key).await? else {
        return Ok(None);
    };
    let Some(secret) = store::secret(db, r.id).await? else {
        return Ok(None);
    };
    Ok(Some(DockerCredentials {
        username: Some(r.username),
        password: Some(secret),
        serveraddress: Some(address::server_address(&r.address)),
        ..Default::default()
    }))
}

/// Every stored registry's credentials with its address (`docker.io`, `ghcr.io`, …), e.g. to
/// fill a `docker::auth::RegistryAuth` for a deploy of many images.
pub async fn all_credentials(db: &SqlitePool) -> sqlx::Result<Vec<(String, DockerCredentials)>> {
    let mut out = Vec::new();
    for r in store::list(db).await? {
        if let Some(secret) = store::secret(db, r.id).await? {
            out.push((
                r.address.clone(),
                DockerCredentials {
                    username: Some(r.username),
                    password: Some(secret),
                    serveraddress: Some(address::server_address(&r.address)),
                    ..Default::default()
                },
            ));
        }
    }
    Ok(out)
}

/// The login and CA stored for a registry address, if any.
async fn stored_login(
    db: &SqlitePool,
    address: &str,
) -> sqlx::Result<(Option<Login>, Option<String>, Option<i64>)> {
    let Some(r) = store::by_address(db, address).await? else {
        return Ok((None, None, None));
    };
    let secret = store::secret(db, r.id).await?.unwrap_or_default();
    Ok((
        Some(Login {
            username: r.username,
            secret,
        }),
        r.ca_pem,
        Some(r.updated_at),
    ))
}

/// A session with the registry stored as `address` (anonymous when none is stored).
pub async fn session(db: &SqlitePool, address: &str) -> Result<Session, RegistryError> {
    let (login, ca, _) = stored_login(db, address).await?;
    Session::new(address, login, ca.as_deref())
}

/// When the stored settings of `address` last changed (None: not stored), so a cached session
/// can tell it is out of date.
pub async fn settings_version(db: &SqlitePool, address: &str) -> sqlx::Result<Option<i64>> {
    Ok(store::by_address(db, address).await?.map(|r| r.updated_at))
}

/// An image split for the registry API: the stored key of its registry, the repository path
/// (`library/nginx` on Docker Hub) and its tag (`latest` when none is given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub registry: String,
    pub repo: String,
    pub tag: String,
}

impl ImageRef {
    pub fn parse(image: &str) -> Result<ImageRef, RegistryError> {
        let bad = || RegistryError::BadReference {
            image: image.chars().take(300).collect(),
        };
        let named = reference::parse_normalized_named(image).map_err(|_| bad())?;
        let registry = registry_of_image(image).ok_or_else(bad)?;
        Ok(ImageRef {
            registry,
            repo: named.path,
            tag: named.tag.unwrap_or_else(|| "latest".into()),
        })
    }
}

/// The registry's current manifest digest (`sha256:…`) of `image`'s tag: one HEAD request
/// (after the login the registry asks for), not cached.
pub async fn current_digest(db: &SqlitePool, image: &str) -> Result<String, RegistryError> {
    let r = ImageRef::parse(image)?;
    let mut s = session(db, &r.registry).await?;
    Ok(s.manifest_digest(&r.repo, &r.tag).await?.digest)
}

/// Logs in to stored registry `id` the way `docker login` does ("Test" on the page).
pub async fn test_login(db: &SqlitePool, id: i64) -> Result<LoginOutcome, RegistryError> {
    let Some(r) = store::get(db, id).await? else {
        return Err(RegistryError::Other {
            registry: format!("registry {id}"),
            reason: "it is not stored (removed meanwhile?)".into(),
        });
    };
    let mut s = session(db, &r.address).await?;
    s.login().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_image_gets_the_credentials_of_its_registry_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = crate::db::open(dir.path(), None).await.expect("db");
        for (address, user) in [("docker.io", "hubuser"), ("10.0.0.5:5000", "lab")] {
            let f = store::Fields {
                address,
                username: user,
                secret: Some("s3cret"),
                ca_pem: None,
                by: "admin",
            };
            store::insert(&db, &f).await.expect("insert").expect("new");
        }
        let user = |c: Option<DockerCredentials>| c.and_then(|c| c.username);
        let hub = credentials_for_image(&db, "nginx:1").await.expect("lookup");
        assert_eq!(
            hub.as_ref().and_then(|c| c.serveraddress.as_deref()),
            Some("https://index.docker.io/v1/")
        );
        assert_eq!(hub.and_then(|c| c.password).as_deref(), Some("s3cret"));
        for image in [
            "me/app",
            "index.docker.io/me/app:2",
            "registry-1.docker.io/x/y",
        ] {
            let c = credentials_for_image(&db, image).await.expect("lookup");
            assert_eq!(user(c).as_deref(), Some("hubuser"), "{image}");
        }
        let lab = credentials_for_image(&db, "10.0.0.5:5000/app/web:v1@sha256:0000000000000000000000000000000000000000000000000000000000000000")
            .await
            .expect("lookup");
        assert_eq!(user(lab).as_deref(), Some("lab"));
        let all = all_credentials(&db).await.expect("all");
        let keys: Vec<&str> = all.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(keys, ["10.0.0.5:5000", "docker.io"]);
        for none in [
            "ghcr.io/o/app",
            "10.0.0.5/app",
            "10.0.0.5:5001/app",
            "Bad Ref",
        ] {
            let c = credentials_for_image(&db, none).await.expect("lookup");
            assert!(c.is_none(), "{none}");
        }
    }

    #[test]
    fn images_split_for_the_registry_api() {
        let r = ImageRef::parse("nginx").expect("ref");
        assert_eq!(
            (r.registry.as_str(), r.repo.as_str(), r.tag.as_str()),
            ("docker.io", "library/nginx", "latest")
        );
        let r = ImageRef::parse("10.0.0.5:5000/app/web:v1@sha256:0000000000000000000000000000000000000000000000000000000000000000").expect("ref");
        assert_eq!(
            (r.registry.as_str(), r.repo.as_str(), r.tag.as_str()),
            ("10.0.0.5:5000", "app/web", "v1")
        );
        assert!(ImageRef::parse("bad ref").is_err());
        assert!(ImageRef::parse("app/UPPER").is_err());
    }
}
