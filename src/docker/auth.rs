//! Registry credentials sent with service creates and updates (`X-Registry-Auth`, as
//! `docker service create/update --with-registry-auth` and `docker stack deploy
//! --with-registry-auth` send them) and with the digest questions
//! (`GET /distribution/{image}/json`).
//!
//! The engine takes them as plain input ([`RegistryAuth`], a map from registry domain to
//! credentials): where they are stored (the registries page, a docker CLI config file) is the
//! caller's business. An image picks its credentials by its domain as the CLI's reference
//! parser gives it: a bare name (`nginx`, `team/app`) is Docker Hub.

use std::collections::BTreeMap;

use bollard::auth::DockerCredentials;

use crate::syntax::reference;

/// Docker Hub's domain in image references.
pub const DOCKER_HUB: &str = "docker.io";
/// The address the docker CLI stores (and sends) Docker Hub credentials under.
pub const DOCKER_HUB_ADDRESS: &str = "https://index.docker.io/v1/";

/// Credentials by registry domain (`ghcr.io`, `registry.example.com:5000`, `docker.io`).
#[derive(Clone, Default, PartialEq)]
pub struct RegistryAuth {
    by_domain: BTreeMap<String, DockerCredentials>,
}

impl std::fmt::Debug for RegistryAuth {
    /// The domains only: never a user name, password or token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.by_domain.keys()).finish()
    }
}

impl RegistryAuth {
    /// Adds (or replaces) the credentials of a registry, given as an address the way a user
    /// or the docker CLI's config writes it (`https://ghcr.io`, `registry:5000/v2/`,
    /// `https://index.docker.io/v1/`).
    pub fn insert(&mut self, address: &str, mut creds: DockerCredentials) {
        let domain = registry_domain(address);
        if creds.serveraddress.is_none() {
            creds.serveraddress = Some(if domain == DOCKER_HUB {
                DOCKER_HUB_ADDRESS.to_string()
            } else {
                domain.clone()
            });
        }
        self.by_domain.insert(domain, creds);
    }

    /// Credentials with a user name and a password (or token).
    pub fn insert_login(&mut self, address: &str, username: &str, password: &str) {
        self.insert(
            address,
            DockerCredentials {
                username: Some(username.to_string()),
                password: Some(password.to_string()),
                ..Default::default()
            },
        );
    }

    /// The credentials for an image's registry, if any are known.
    pub fn for_image(&self, image: &str) -> Option<DockerCredentials> {
        let domain = image_domain(image)?;
        self.by_domain.get(&domain).cloned()
    }

    /// Whether credentials are known for an image's registry.
    pub fn has_image(&self, image: &str) -> bool {
        image_domain(image).is_some_and(|d| self.by_domain.contains_key(&d))
    }

    pub fn is_empty(&self) -> bool {
        self.by_domain.is_empty()
    }

    /// The domains credentials are known for.
    pub fn domains(&self) -> impl Iterator<Item = &str> {
        self.by_domain.keys().map(String::as_str)
    }
}

/// The registry domain of an image reference (`None` for a reference that does not parse,
/// e.g. a bare image id).
pub fn image_domain(image: &str) -> Option<String> {
    reference::parse_normalized_named(image.trim())
        .ok()
        .map(|n| n.domain)
}

/// A registry address reduced to the domain image references use: scheme, path and a
/// trailing slash cut, lower-cased host, Docker Hub's aliases folded into `docker.io`.
pub fn registry_domain(address: &str) -> String {
    let a = address.trim();
    let a = a
        .strip_prefix("https://")
        .or_else(|| a.strip_prefix("http://"))
        .unwrap_or(a);
    let host = a.split('/').next().unwrap_or_default().to_ascii_lowercase();
    match host.as_str() {
        ""
        | "docker.io"
        | "index.docker.io"
        | "registry-1.docker.io"
        | "registry.hub.docker.com" => DOCKER_HUB.to_string(),
        _ => host,
    }
}

/// Why a registry refused an image, in a sentence: what it most likely means, then the
/// registry's own words (through the daemon).
pub fn refusal(image: &str, e: &bollard::errors::Error) -> String {
    let (status, message) = match e {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        } => (*status_code, message.clone()),
        other => (0, other.to_string()),
    };
    explain_refusal(image, status, &message)
}

/// [`refusal`] as a pure function of the daemon's status and message.
pub fn explain_refusal(image: &str, status: u16, message: &str) -> String {
    let m = message.trim();
    let lower = m.to_ascii_lowercase();
    let meaning = if lower.contains("unauthorized")
        || lower.contains("authentication required")
        || lower.contains("denied")
        || lower.contains("incorrect username or password")
        || status == 401
        || status == 403
    {
        "the registry refused the credentials berth has for it (wrong user name or password, or no access to this repository)"
    } else if lower.contains("manifest unknown")
        || lower.contains("not found")
        || lower.contains("name unknown")
        || status == 404
    {
        "no such repository or tag on the registry"
    } else if lower.contains("x509") || lower.contains("certificate") {
        "the registry's TLS certificate is not trusted by the Docker daemon"
    } else {
        "the registry could not be asked"
    };
    let detail = super::error::humanize(m);
    let detail = detail.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("image {image} cannot be resolved: {meaning} ({detail})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(user: &str) -> DockerCredentials {
        DockerCredentials {
            username: Some(user.into()),
            password: Some("pw".into()),
            ..Default::default()
        }
    }

    #[test]
    fn addresses_reduce_to_the_domain_images_use() {
        assert_eq!(registry_domain("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(registry_domain("registry-1.docker.io"), "docker.io");
        assert_eq!(registry_domain("docker.io"), "docker.io");
        assert_eq!(registry_domain("https://GHCR.io"), "ghcr.io");
        assert_eq!(registry_domain("10.0.0.1:5000/v2/"), "10.0.0.1:5000");
        assert_eq!(registry_domain("localhost:5000"), "localhost:5000");
    }

    #[test]
    fn images_pick_credentials_by_domain_bare_names_are_docker_hub() {
        let mut auth = RegistryAuth::default();
        auth.insert("https://index.docker.io/v1/", login("hub"));
        auth.insert("registry.example.com:5000", login("private"));
        let user = |img: &str| auth.for_image(img).and_then(|c| c.username);
        assert_eq!(user("nginx").as_deref(), Some("hub"));
        assert_eq!(user("team/app:1").as_deref(), Some("hub"));
        assert_eq!(user("docker.io/library/nginx").as_deref(), Some("hub"));
        assert_eq!(
            user("registry.example.com:5000/team/app:2@sha256:0123456789012345678901234567890123456789012345678901234567890123").as_deref(),
            Some("private")
        );
        assert_eq!(user("registry.example.com/team/app"), None);
        assert_eq!(user("ghcr.io/x/y"), None);
        assert!(auth.has_image("registry.example.com:5000/a"));
        assert!(!auth.has_image("ghcr.io/a"));
    }

    #[test]
    fn server_address_is_filled_like_the_cli_does() {
        let mut auth = RegistryAuth::default();
        auth.insert_login("docker.io", "u", "p");
        auth.insert_login("https://reg.example:5000/", "u", "p");
        assert_eq!(
            auth.for_image("nginx").and_then(|c| c.serveraddress),
            Some(DOCKER_HUB_ADDRESS.to_string())
        );
        assert_eq!(
            auth.for_image("reg.example:5000/a")
                .and_then(|c| c.serveraddress),
            Some("reg.example:5000".to_string())
        );
    }

    #[test]
    fn refusals_say_what_went_wrong_in_a_sentence() {
        let wrong = explain_refusal(
            "reg:5000/app:1",
            500,
            "Get https://reg:5000/v2/app/manifests/1: unauthorized: authentication required",
        );
        assert!(
            wrong.starts_with(
                "image reg:5000/app:1 cannot be resolved: the registry refused the credentials"
            ),
            "{wrong}"
        );
        assert!(wrong.contains("authentication required"));
        let missing = explain_refusal(
            "reg:5000/app:nope",
            404,
            "manifest unknown: manifest unknown",
        );
        assert!(missing.contains("no such repository or tag"), "{missing}");
        let tls = explain_refusal(
            "reg:5000/app:1",
            500,
            "Get https://reg:5000/v2/: x509: certificate signed by unknown authority",
        );
        assert!(tls.contains("certificate is not trusted"), "{tls}");
    }

    #[test]
    fn debug_shows_domains_never_secrets() {
        let mut auth = RegistryAuth::default();
        auth.insert_login("ghcr.io", "someone", "hunter2-secret");
        let shown = format!("{auth:?}");
        assert!(shown.contains("ghcr.io"));
        assert!(!shown.contains("someone") && !shown.contains("hunter2"));
    }
}
