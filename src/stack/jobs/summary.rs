//! What a deploy job says when it ends: what it did to the services, and how it went, in
//! one sentence (with a pointer to the registries page when a node lacked a private image).

use super::Outcome;
use crate::docker::auth::RegistryAuth;
use crate::stack::{self, DeployReport, ProgressState};

/// What a deploy did to the services: `1 service created, 2 services unchanged`.
pub(super) fn done_text(r: &DeployReport) -> String {
    use stack::{ObjectKind as K, Outcome as O};
    let mut parts = Vec::new();
    for (o, word) in [
        (O::Created, "created"),
        (O::Updated, "updated"),
        (O::Unchanged, "unchanged"),
        (O::Removed, "removed"),
    ] {
        let n = r.names(K::Service, o).len();
        if n > 0 {
            parts.push(format!(
                "{n} service{} {word}",
                if n == 1 { "" } else { "s" }
            ));
        }
    }
    if parts.is_empty() {
        "nothing to do".to_string()
    } else {
        parts.join(", ")
    }
}

/// After a task error that says a node lacks an image, when berth holds no credentials for
/// the image's registry: where to add them (a private image pulls only with them).
pub(super) fn no_credentials_hint(error: &str, auth: &RegistryAuth) -> String {
    let Some(rest) = error.split("No such image: ").nth(1) else {
        return String::new();
    };
    let image = rest.split_whitespace().next().unwrap_or_default();
    let image = image.split('@').next().unwrap_or_default();
    match crate::docker::auth::image_domain(image) {
        Some(domain) if !auth.has_image(image) => format!(
            " (berth holds no credentials for {domain}: if the image is private, add the registry on the registries page)"
        ),
        _ => String::new(),
    }
}

/// The outcome of a deploy and one sentence about it.
pub(super) fn summarize(r: &DeployReport, auth: &RegistryAuth) -> (Outcome, String) {
    let done = done_text(r);
    if let Some(f) = &r.failed {
        let left = if r.not_attempted.is_empty() {
            String::new()
        } else {
            format!(
                "; not attempted: {}",
                r.not_attempted
                    .iter()
                    .map(|(_, n)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return (
            Outcome::Failed,
            format!(
                "{done}; {} {} failed: {}{left}. Fix it and deploy again.",
                f.kind, f.name, f.error
            ),
        );
    }
    match &r.convergence {
        Some(c) if !c.converged => {
            let failing: Vec<String> = c
                .services
                .iter()
                .filter(|s| s.state != ProgressState::Converged)
                .map(|s| match &s.error {
                    Some(e) => format!(
                        "{} ({}/{} running): {e}{}",
                        s.service,
                        s.running,
                        s.desired,
                        no_credentials_hint(e, auth)
                    ),
                    None => format!("{} ({}/{} running)", s.service, s.running, s.desired),
                })
                .collect();
            let why = match &c.reason {
                Some(r) if !r.is_empty() => r.clone(),
                _ => failing.join("; "),
            };
            (Outcome::Degraded, format!("{done}; not converged: {why}"))
        }
        Some(c) => (
            Outcome::Ok,
            format!("{done}; converged in {:.1} s", c.elapsed.as_secs_f64()),
        ),
        None => (Outcome::Ok, done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_image_without_credentials_points_to_the_registries_page() {
        let none = RegistryAuth::default();
        let hint =
            no_credentials_hint("No such image: 10.0.0.1:5000/app/web:v1@sha256:0123", &none);
        assert!(hint.contains("no credentials for 10.0.0.1:5000"), "{hint}");
        let mut auth = RegistryAuth::default();
        auth.insert_login("10.0.0.1:5000", "u", "p");
        assert_eq!(
            no_credentials_hint("No such image: 10.0.0.1:5000/app/web:v1", &auth),
            ""
        );
        assert_eq!(no_credentials_hint("task: non-zero exit (1)", &none), "");
    }
}
