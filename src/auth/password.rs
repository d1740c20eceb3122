//! argon2id password hashing, always off the async executor threads.
//!
//! Request handlers go through [`super::attempt`], which bounds how many run at once; [`hash`]
//! is for start-up (the admin password file).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Hashes a password with argon2id (OWASP parameters: m=19 MiB, t=2, p=1) in a blocking thread.
pub async fn hash(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| format!("password hashing task failed: {e}"))?
}

/// Hashes on the calling thread: call it from a blocking thread only.
pub fn hash_blocking(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash password: {e}"))
}

/// Verifies on the calling thread: call it from a blocking thread only.
/// `None` as the hash runs a dummy verification so that unknown user names cost the same time;
/// so does a stored value that is no hash (an account that signs in elsewhere, such as an OIDC
/// account's `!oidc`): its name is not told apart from a wrong password by the time it takes.
pub fn verify_blocking(password: &str, stored: Option<&str>) -> bool {
    let real = stored.and_then(|s| PasswordHash::new(s).ok());
    let usable = real.is_some();
    let Some(parsed) = real.or_else(|| PasswordHash::new(dummy_hash()).ok()) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && usable
}

/// A hash of a random string nobody knows, so that a miss costs as much as a hit.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(super::tokens::random_token(24).as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_blocking("correct horse battery", Some(&h)));
        assert!(!verify_blocking("wrong horse battery", Some(&h)));
        assert!(!verify_blocking("anything", None));
        assert!(!verify_blocking("anything", Some("!oidc")));
        assert!(!verify_blocking("", Some("")));
    }
}
