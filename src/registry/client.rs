//! A Docker Registry v2 client, just what berth needs: log in (the `/v2/` ping, then HTTP basic
//! auth or the bearer-token flow the registry's `WWW-Authenticate` challenge asks for) and read
//! a tag's current manifest digest (`HEAD /v2/<repo>/manifests/<tag>`, Docker-Content-Digest).
//!
//! HTTP through reqwest over rustls (ring): TLS is verified against Mozilla's roots
//! (webpki-roots: berth's image has no system certificates) plus the registry's own CA when one
//! is stored. A session remembers the registry's challenge and its bearer tokens until they
//! expire, so a repeated check costs one request. Failures are classified for a person:
//! unknown host, unreachable, certificate not trusted, wrong credentials, rate limited, not a
//! registry (see [`RegistryError`]).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};

use super::RegistryError;
use super::challenge::{Challenge, parse_challenge};
use crate::trust::CertProblem;

/// Manifest media types a tag may resolve to: an index or list first, as Docker asks.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json";
/// Largest token answer read (a JWT is a few KiB).
const MAX_TOKEN_BODY: usize = 64 * 1024;
/// Tokens without `expires_in` are good for 60 s (the token spec's default).
const DEFAULT_TOKEN_LIFE: Duration = Duration::from_secs(60);

/// User name and password or token for a registry.
#[derive(Clone)]
pub struct Login {
    pub username: String,
    pub secret: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// What a login attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    /// The registry accepted the credentials.
    LoggedIn,
    /// The registry answers without a login: the credentials could not be checked.
    NoLoginNeeded,
}

/// A tag's current manifest, as a HEAD request saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHead {
    pub digest: String,
    /// `RateLimit-Remaining` (Docker Hub), when the registry sent it.
    pub remaining: Option<u64>,
}

/// Builds the HTTP client for a registry: Mozilla's roots plus `ca_pem` when given.
pub fn http_client(ca_pem: Option<&str>) -> Result<reqwest::Client, String> {
    let tls = crate::trust::client_config(ca_pem)?;
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("berth/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

pub use crate::trust::check_ca_pem;

/// One registry, its login, what it asked for last and the tokens it gave.
pub struct Session {
    http: reqwest::Client,
    /// Stored address (`docker.io`, `ghcr.io`, `10.0.0.5:5000`), for messages.
    address: String,
    base: String,
    login: Option<Login>,
    challenge: Option<Challenge>,
    tokens: HashMap<String, (String, Instant)>,
}

impl Session {
    pub fn new(
        address: &str,
        login: Option<Login>,
        ca_pem: Option<&str>,
    ) -> Result<Session, RegistryError> {
        let http = http_client(ca_pem).map_err(|reason| RegistryError::Other {
            registry: address.to_string(),
            reason,
        })?;
        Ok(Session {
            http,
            address: address.to_string(),
            base: super::address::api_base(address),
            login,
            challenge: None,
            tokens: HashMap::new(),
        })
    }

    /// Logs in the way `docker login` does: `/v2/`, then the challenge it answers with.
    pub async fn login(&mut self) -> Result<LoginOutcome, RegistryError> {
        let url = format!("{}/v2/", self.base);
        let res = self.request(Method::GET, &url, None).await?;
        let status = res.status();
        if status == StatusCode::UNAUTHORIZED {
            let challenge = challenge_of(res.headers()).ok_or_else(|| self.not_a_registry())?;
            match &challenge {
                Challenge::Basic => {
                    let Some(login) = self.login.clone() else {
                        return Err(self.wrong_credentials());
                    };
                    let res = self.request(Method::GET, &url, Some(basic(&login))).await?;
                    self.challenge = Some(challenge);
                    return match res.status() {
                        s if s.is_success() => Ok(LoginOutcome::LoggedIn),
                        s => Err(self.refused(s, res.headers())),
                    };
                }
                Challenge::Bearer { .. } => {
                    self.challenge = Some(challenge.clone());
                    self.token(&challenge, None).await?;
                    return Ok(LoginOutcome::LoggedIn);
                }
            }
        }
        if status.is_success() && is_registry(res.headers()) {
            return Ok(LoginOutcome::NoLoginNeeded);
        }
        Err(self.refused(status, res.headers()))
    }

    /// The current digest of `repo:reference` (a tag or a digest).
    pub async fn manifest_digest(
        &mut self,
        repo: &str,
        reference: &str,
    ) -> Result<ManifestHead, RegistryError> {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        let scope = format!("repository:{repo}:pull");
        let mut auth = self.authorization(&scope).await?;
        let mut res = self.head_manifest(&url, auth.clone()).await?;
        if res.status() == StatusCode::UNAUTHORIZED {
            // unknown or changed challenge, or an expired token: learn it and retry once
            let challenge = challenge_of(res.headers()).ok_or_else(|| self.not_a_registry())?;
            self.tokens.remove(&scope);
            self.challenge = Some(challenge);
            let retry = self.authorization(&scope).await?;
            if retry.is_some() && retry != auth {
                auth = retry;
                res = self.head_manifest(&url, auth).await?;
            }
        }
        let status = res.status();
        if status.is_success() {
            let digest = res
                .headers()
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                .filter(|d| d.starts_with("sha256:") && d.len() == 71)
                .ok_or_else(|| RegistryError::Other {
                    registry: self.address.clone(),
                    reason: "the registry sent no Docker-Content-Digest for the manifest".into(),
                })?
                .to_string();
            let remaining = res
                .headers()
                .get("ratelimit-remaining")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .and_then(|v| v.trim().parse().ok());
            return Ok(ManifestHead { digest, remaining });
        }
        if status == StatusCode::NOT_FOUND && is_registry(res.headers()) {
            return Err(RegistryError::NoSuchImage {
                image: format!("{}/{repo}:{reference}", self.address),
            });
        }
        Err(self.refused(status, res.headers()))
    }

    async fn head_manifest(
        &self,
        url: &str,
        auth: Option<String>,
    ) -> Result<Response, RegistryError> {
        let mut req = self
            .http
            .request(Method::HEAD, url)
            .header(ACCEPT, MANIFEST_ACCEPT);
        if let Some(a) = auth {
            req = req.header(AUTHORIZATION, a);
        }
        req.send().await.map_err(|e| classify(&self.address, &e))
    }

    /// The Authorization value for `scope` under the challenge known so far (None before the
    /// first 401, or when the registry needs none).
    async fn authorization(&mut self, scope: &str) -> Result<Option<String>, RegistryError> {
        match self.challenge.clone() {
            None => Ok(None),
            Some(Challenge::Basic) => Ok(self.login.as_ref().map(basic)),
            Some(c @ Challenge::Bearer { .. }) => {
                if let Some((t, until)) = self.tokens.get(scope)
                    && Instant::now() < *until
                {
                    return Ok(Some(format!("Bearer {t}")));
                }
                let t = self.token(&c, Some(scope)).await?;
                Ok(Some(format!("Bearer {t}")))
            }
        }
    }

    /// A bearer token from the challenge's realm (with the login when there is one).
    async fn token(
        &mut self,
        challenge: &Challenge,
        scope: Option<&str>,
    ) -> Result<String, RegistryError> {
        let Challenge::Bearer { realm, service } = challenge else {
            return Err(self.not_a_registry());
        };
        if !realm.starts_with("https://") {
            return Err(RegistryError::Other {
                registry: self.address.clone(),
                reason: format!(
                    "its token service {realm} is not HTTPS: berth sends no credentials there"
                ),
            });
        }
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(s) = service {
            query.push(("service", s));
        }
        if let Some(s) = scope {
            query.push(("scope", s));
        }
        if let Some(l) = &self.login {
            query.push(("account", &l.username));
        }
        let url =
            reqwest::Url::parse_with_params(realm, &query).map_err(|_| RegistryError::Other {
                registry: self.address.clone(),
                reason: format!("its token service address {realm} is not a URL"),
            })?;
        let mut req = self.http.get(url);
        if let Some(l) = &self.login {
            req = req.header(AUTHORIZATION, basic(l));
        }
        let mut res = req.send().await.map_err(|e| classify(&self.address, &e))?;
        let status = res.status();
        if !status.is_success() {
            return Err(self.refused(status, res.headers()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| classify(&self.address, &e))? {
            if body.len() + chunk.len() > MAX_TOKEN_BODY {
                return Err(RegistryError::Other {
                    registry: self.address.clone(),
                    reason: "its token answer is too large".into(),
                });
            }
            body.extend_from_slice(&chunk);
        }
        #[derive(serde::Deserialize)]
        struct TokenAnswer {
            token: Option<String>,
            access_token: Option<String>,
            expires_in: Option<u64>,
        }
        let answer: TokenAnswer =
            serde_json::from_slice(&body).map_err(|_| RegistryError::Other {
                registry: self.address.clone(),
                reason: "its token service did not answer with a token".into(),
            })?;
        let token = answer
            .token
            .or(answer.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| RegistryError::Other {
                registry: self.address.clone(),
                reason: "its token service did not answer with a token".into(),
            })?;
        let life = answer
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TOKEN_LIFE)
            .saturating_sub(Duration::from_secs(5));
        if let Some(s) = scope {
            self.tokens
                .insert(s.to_string(), (token.clone(), Instant::now() + life));
        }
        Ok(token)
    }

    async fn request(
        &self,
        method: Method,
        url: &str,
        auth: Option<String>,
    ) -> Result<Response, RegistryError> {
        let mut req = self.http.request(method, url);
        if let Some(a) = auth {
            req = req.header(AUTHORIZATION, a);
        }
        req.send().await.map_err(|e| classify(&self.address, &e))
    }

    fn wrong_credentials(&self) -> RegistryError {
        RegistryError::WrongCredentials {
            registry: self.address.clone(),
        }
    }

    fn not_a_registry(&self) -> RegistryError {
        RegistryError::NotARegistry {
            registry: self.address.clone(),
        }
    }

    /// An answer that is not what was asked for, as an error.
    fn refused(&self, status: StatusCode, headers: &HeaderMap) -> RegistryError {
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => self.wrong_credentials(),
            StatusCode::TOO_MANY_REQUESTS => RegistryError::RateLimited {
                registry: self.address.clone(),
                retry_after: headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse().ok())
                    .map(Duration::from_secs),
            },
            s if !is_registry(headers) => RegistryError::NotARegistry {
                registry: format!("{} (HTTP {})", self.address, s.as_u16()),
            },
            s => RegistryError::Other {
                registry: self.address.clone(),
                reason: format!("it answered HTTP {}", s.as_u16()),
            },
        }
    }
}

fn basic(l: &Login) -> String {
    let raw = format!("{}:{}", l.username, l.secret);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn challenge_of(headers: &HeaderMap) -> Option<Challenge> {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(parse_challenge)
}

/// A Docker Registry v2 says so in every answer (`Docker-Distribution-API-Version:
/// registry/2.0`); a 401 with a challenge counts too.
fn is_registry(headers: &HeaderMap) -> bool {
    headers
        .get("docker-distribution-api-version")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("registry/2"))
        || challenge_of(headers).is_some()
}

/// A transport failure, told the way a person can act on it.
fn classify(address: &str, e: &reqwest::Error) -> RegistryError {
    let mut chain = Vec::new();
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    if let Some(p) = CertProblem::of(e) {
        return RegistryError::UntrustedCertificate {
            registry: address.to_string(),
            reason: p.reason(WHOSE),
        };
    }
    while let Some(s) = src {
        chain.push(s.to_string());
        src = s.source();
    }
    let text = chain.join(": ");
    if text.contains("dns error") || text.contains("failed to lookup address") {
        let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
        return RegistryError::UnknownHost {
            host: host.to_string(),
        };
    }
    let reason = if e.is_timeout() {
        "no answer in time".to_string()
    } else {
        chain.last().cloned().unwrap_or_else(|| e.to_string())
    };
    RegistryError::Unreachable {
        registry: address.to_string(),
        reason,
    }
}

/// Whose CA certificate a person is asked for.
const WHOSE: &str = "the registry's";
