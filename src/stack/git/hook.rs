//! Push webhooks from git hosts: which signature a request carries and whether it is right,
//! and which ref a push moved. GitHub signs the body with HMAC-SHA256 in
//! `X-Hub-Signature-256: sha256=<hex>`, Gitea (and Forgejo) the same in `X-Gitea-Signature:
//! <hex>`, GitLab sends the secret itself in `X-Gitlab-Token`. A request with none of them
//! is refused: the secret URL alone is not enough.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// What a webhook request proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Signed (or, for GitLab, the token) with the stack's secret; the name of the format.
    Valid(&'static str),
    /// A signature or token that does not match.
    Wrong(&'static str),
    /// No signature header at all.
    Unsigned,
}

/// Checks the headers (`name` → value, names lower-case) of a webhook request against
/// `secret`. The first format present decides.
pub fn verify(header: impl Fn(&str) -> Option<String>, body: &[u8], secret: &str) -> Verdict {
    if let Some(sig) = header("x-hub-signature-256") {
        let ok = sig
            .strip_prefix("sha256=")
            .is_some_and(|hex| hmac_matches(secret, body, hex));
        return if ok {
            Verdict::Valid("GitHub")
        } else {
            Verdict::Wrong("GitHub")
        };
    }
    if let Some(sig) = header("x-gitea-signature") {
        return if hmac_matches(secret, body, &sig) {
            Verdict::Valid("Gitea")
        } else {
            Verdict::Wrong("Gitea")
        };
    }
    if let Some(token) = header("x-gitlab-token") {
        // compared as digests: the time taken says nothing about the secret
        return if Sha256::digest(token.as_bytes()) == Sha256::digest(secret.as_bytes()) {
            Verdict::Valid("GitLab")
        } else {
            Verdict::Wrong("GitLab")
        };
    }
    Verdict::Unsigned
}

/// HMAC-SHA256 of `body` under `secret` equals the hex `given` (compared in constant time).
fn hmac_matches(secret: &str, body: &[u8], given: &str) -> bool {
    let Some(given) = decode_hex(given.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The ref a push event moved (`refs/heads/main`), when the body is a push payload (GitHub,
/// GitLab and Gitea all send `ref`).
pub fn pushed_ref(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Push {
        #[serde(rename = "ref")]
        r#ref: Option<String>,
    }
    serde_json::from_slice::<Push>(body).ok()?.r#ref
}

/// HMAC-SHA256 of `body` under `secret`, hex (what GitHub and Gitea send; for tests and docs).
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length: this never fails
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn github_gitea_and_gitlab_signatures_are_checked() {
        let body = br#"{"ref":"refs/heads/main"}"#;
        let sig = sign("s3cret", body);
        // the example from GitHub's documentation
        assert_eq!(
            sign("It's a Secret to Everybody", b"Hello, World!"),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        let gh = format!("sha256={sig}");
        assert_eq!(
            verify(headers(&[("x-hub-signature-256", &gh)]), body, "s3cret"),
            Verdict::Valid("GitHub")
        );
        assert_eq!(
            verify(headers(&[("x-hub-signature-256", &gh)]), body, "other"),
            Verdict::Wrong("GitHub")
        );
        assert_eq!(
            verify(headers(&[("x-hub-signature-256", &sig)]), body, "s3cret"),
            Verdict::Wrong("GitHub")
        );
        assert_eq!(
            verify(headers(&[("x-gitea-signature", &sig)]), body, "s3cret"),
            Verdict::Valid("Gitea")
        );
        assert_eq!(
            verify(headers(&[("x-gitea-signature", &sig)]), b"{}", "s3cret"),
            Verdict::Wrong("Gitea")
        );
        assert_eq!(
            verify(headers(&[("x-gitlab-token", "s3cret")]), body, "s3cret"),
            Verdict::Valid("GitLab")
        );
        assert_eq!(
            verify(headers(&[("x-gitlab-token", "s3cre")]), body, "s3cret"),
            Verdict::Wrong("GitLab")
        );
        assert_eq!(verify(headers(&[]), body, "s3cret"), Verdict::Unsigned);
        assert_eq!(
            verify(headers(&[("x-gitea-signature", "zz")]), body, "s3cret"),
            Verdict::Wrong("Gitea")
        );
    }

    #[test]
    fn the_pushed_ref_is_read_from_push_payloads() {
        assert_eq!(
            pushed_ref(br#"{"ref":"refs/heads/dev","after":"abc"}"#).as_deref(),
            Some("refs/heads/dev")
        );
        assert_eq!(pushed_ref(br#"{"zen":"ping"}"#), None);
        assert_eq!(pushed_ref(b"not json"), None);
    }
}
