//! Deploy webhooks: a secret URL per hook (`POST /hooks/{token}`) that redeploys its stack,
//! changes the tag of an image, or deploys a compose body — through the one deploy pipeline
//! ([`crate::stack::jobs`]), for registries and CI.
//!
//! A URL's token is a random lookup part (12 characters) followed by the secret (43
//! characters, 256 bits). berth stores the lookup part and the secret's SHA-256; a call finds
//! the hook by its lookup part and compares the hashes in constant time. A *signed* hook also
//! needs `X-Berth-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the request body under its
//! signing key, so a URL that leaked (in a registry's or a CI system's log) is not enough.
//! Tokens and signing keys are shown once, when made or rotated, and never logged.

mod limit;

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::SqlitePool;

pub use limit::{BURST, Limiter, REFILL};

use super::jobs::{DeployError, DeployRequest, Deploys, Job, Who, decode_files};
use crate::auth::tokens::{constant_time_eq, hash_token, random_token};
use crate::db;

/// Characters of a token's lookup part.
const LOOKUP_LEN: usize = 12;
/// Characters of a whole token.
pub const TOKEN_LEN: usize = LOOKUP_LEN + 43;
/// The header a signed hook's calls carry.
pub const SIGNATURE_HEADER: &str = "x-berth-signature-256";

/// A hook's new secret, to show once.
#[derive(Debug, Clone)]
pub struct NewSecret {
    pub id: i64,
    /// The last part of the URL: `/hooks/{token}`.
    pub token: String,
    /// A signed hook's signing key.
    pub signing_key: Option<String>,
}

fn new_token() -> (String, String, Vec<u8>) {
    let lookup = random_token(9);
    let secret = random_token(32);
    let hash = hash_token(&secret);
    (format!("{lookup}{secret}"), lookup, hash)
}

/// Makes a hook for `stack`; `signed` hooks also get a signing key.
pub async fn create(
    db: &SqlitePool,
    stack: &str,
    signed: bool,
    by: &str,
) -> sqlx::Result<NewSecret> {
    let (token, lookup, hash) = new_token();
    let signing_key = signed.then(|| random_token(32));
    let id = db::webhooks::insert(db, stack, &lookup, &hash, signing_key.as_deref(), by).await?;
    Ok(NewSecret {
        id,
        token,
        signing_key,
    })
}

/// Gives a hook a new secret (and a signed hook a new signing key); the old URL stops working
/// at once. `None` when the stack has no such hook.
pub async fn rotate(db: &SqlitePool, stack: &str, id: i64) -> sqlx::Result<Option<NewSecret>> {
    let Some(hook) = db::webhooks::get(db, stack, id).await? else {
        return Ok(None);
    };
    let (token, lookup, hash) = new_token();
    let signing_key = hook.signed.then(|| random_token(32));
    let done = db::webhooks::rotate(db, stack, id, &lookup, &hash, signing_key.as_deref()).await?;
    Ok(done.then_some(NewSecret {
        id,
        token,
        signing_key,
    }))
}

/// Why a call was refused before anything was done.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// No hook has this token (or it was rotated or removed).
    #[error("no webhook has this address (it may have been rotated or removed)")]
    Unknown,
    /// A signed hook's call without a valid signature.
    #[error(
        "the request's signature is missing or wrong: send {SIGNATURE_HEADER}: sha256=<HMAC-SHA256 of the body, in hex>"
    )]
    BadSignature(db::webhooks::Hook),
    #[error("the database failed: {0}")]
    Storage(#[from] sqlx::Error),
}

/// The hook a call's token names, when its secret and (for a signed hook) its signature over
/// `body` are right.
pub async fn authenticate(
    db: &SqlitePool,
    token: &str,
    signature: Option<&str>,
    body: &[u8],
) -> Result<db::webhooks::Hook, Refused> {
    if token.len() != TOKEN_LEN || !token.is_ascii() {
        return Err(Refused::Unknown);
    }
    let (lookup, secret) = token.split_at(LOOKUP_LEN);
    let creds = db::webhooks::by_lookup(db, lookup)
        .await?
        .ok_or(Refused::Unknown)?;
    if !constant_time_eq(&hash_token(secret), &creds.secret_hash) {
        return Err(Refused::Unknown);
    }
    if let Some(key) = &creds.signing_key
        && !signature.is_some_and(|s| signature_matches(key, body, s))
    {
        return Err(Refused::BadSignature(creds.hook));
    }
    Ok(creds.hook)
}

/// The signature of `body` under `key`, as the header carries it: `sha256=<hex>`.
pub fn sign(key: &str, body: &[u8]) -> String {
    let mut mac = hmac(key);
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn hmac(key: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length
    <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length")
}

/// Checks `sha256=<hex>` in constant time (hex in either case).
fn signature_matches(key: &str, body: &[u8], header: &str) -> bool {
    let Some(hex) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Some(given) = decode_hex(hex) else {
        return false;
    };
    let mut mac = hmac(key);
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// What a call asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// No body: deploy the newest stored version again, pulling its images.
    Redeploy,
    /// `image=repo:tag`: a new version whose services running `repo` run `repo:tag`.
    Image(String),
    /// A compose file: a new version with it (the stored variables and files kept).
    Compose(String),
}

/// Why a call did not start a deploy.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// The stack has no stored version to redeploy or retag.
    #[error(
        "berth holds no version of stack {0}: deploy it from berth first, or send a compose file"
    )]
    NoSource(String),
    /// `image=` cannot be applied.
    #[error("{0}")]
    Image(String),
    #[error(transparent)]
    Deploy(#[from] DeployError),
}

/// Starts what a call asks for on `hook`'s stack, as `who`.
pub async fn trigger(
    deploys: &Deploys,
    db: &SqlitePool,
    hook: &db::webhooks::Hook,
    what: Trigger,
    who: Who,
) -> Result<Arc<Job>, TriggerError> {
    let stack = hook.stack.clone();
    if let Err(e) = db::webhooks::touch(db, hook.id).await {
        tracing::warn!("cannot note the use of a webhook of stack {stack}: {e}");
    }
    let latest = db::stacks::latest(db, &stack)
        .await
        .map_err(DeployError::from)?;
    let req = match (what, latest) {
        (Trigger::Compose(compose), latest) => DeployRequest {
            stack,
            compose,
            env: latest.as_ref().map(|v| v.env.clone()).unwrap_or_default(),
            // None: the newest version's files
            files: None,
            prune: latest.as_ref().is_some_and(|v| v.prune),
            who,
            ..Default::default()
        },
        (_, None) => return Err(TriggerError::NoSource(stack)),
        // every tag resolved again on its registry: services whose digest moved roll
        (Trigger::Redeploy, Some(_)) => return Ok(deploys.pull_redeploy(&stack, who).await?),
        (Trigger::Image(image), Some(v)) => {
            let env = crate::compose::dotenv::parse(&v.env)
                .map_err(|e| TriggerError::Image(format!("the stored variables: {e}")))?;
            // every file of the version that names the repository (an override's tag too)
            let mut more = v.more_files();
            let texts: Vec<&str> = std::iter::once(v.compose.as_str())
                .chain(more.iter().map(|f| f.text.as_str()))
                .collect();
            let mut retagged = crate::compose::retag::retag_files(&texts, &env, &image)
                .map_err(TriggerError::Image)?
                .into_iter()
                .map(|r| r.compose);
            let compose = retagged.next().unwrap_or_default();
            for (file, text) in more.iter_mut().zip(retagged) {
                file.text = text;
            }
            DeployRequest {
                stack,
                compose,
                compose_name: v.compose_name,
                more,
                env: v.env,
                files: Some(decode_files(&v.files)),
                prune: v.prune,
                who,
                ..Default::default()
            }
        }
    };
    Ok(deploys.deploy(req).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_in_hex_and_checked_exactly() {
        // RFC 4231 test case 2
        let sig = sign("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(signature_matches(
            "Jefe",
            b"what do ya want for nothing?",
            &sig
        ));
        assert!(signature_matches(
            "Jefe",
            b"what do ya want for nothing?",
            &sig.to_uppercase().replace("SHA256=", "sha256=")
        ));
        assert!(!signature_matches(
            "Jefe",
            b"what do ya want for nothing!",
            &sig
        ));
        assert!(!signature_matches(
            "jefe",
            b"what do ya want for nothing?",
            &sig
        ));
        assert!(!signature_matches("Jefe", b"x", "sha256=zz"));
        assert!(!signature_matches(
            "Jefe",
            b"x",
            &sig.replace("sha256=", "")
        ));
    }

    #[test]
    fn tokens_have_a_fixed_shape() {
        let (token, lookup, hash) = new_token();
        assert_eq!(token.len(), TOKEN_LEN);
        assert!(token.starts_with(&lookup));
        assert_eq!(hash, hash_token(&token[LOOKUP_LEN..]));
    }
}
