//! The flow against the provider, through the `openidconnect` crate with berth's own reqwest
//! client (rustls with ring, Mozilla's roots plus an optional CA; no second HTTP/TLS stack):
//! discovery and the JWKS (cached), the authorization URL (state, nonce, PKCE S256), the code
//! exchange and the ID token's checks (signature against the JWKS, iss, aud, exp, nonce).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::url::Url;
use openidconnect::{
    AdditionalClaims, AsyncHttpClient, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, HttpRequest, HttpResponse, IdToken, IssuerUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::{Deserialize, Serialize};

use super::Settings;

/// How long discovery and the JWKS are reused (a key the cache lacks fetches them again).
pub const CACHE_FOR: Duration = Duration::from_secs(15 * 60);
/// Largest answer read from the provider (discovery, JWKS, token).
pub const MAX_RESPONSE: usize = 1024 * 1024;

/// Why a sign-in could not go on. The text is for people: it never holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("berth could not read the provider's configuration: {0}")]
    Discovery(String),
    #[error("the provider did not accept the sign-in: {0}")]
    Exchange(String),
    #[error("the provider's ID token was not accepted: {0}")]
    IdToken(String),
    #[error("{0}")]
    Settings(String),
}

/// The parts of the ID token beyond the standard ones (the groups claim among them).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Extra {
    #[serde(flatten)]
    pub claims: serde_json::Map<String, serde_json::Value>,
}
impl AdditionalClaims for Extra {}

type BerthIdToken =
    IdToken<Extra, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

/// Discovery (with its JWKS) per provider, reused for [`CACHE_FOR`]; and the provider's name
/// for the sign-in page's link while sign-in with it is on (the page reads no database).
#[derive(Default)]
pub struct Cache {
    entries: Mutex<HashMap<String, (Instant, Arc<CoreProviderMetadata>)>>,
    link: std::sync::RwLock<Option<String>>,
}

impl Cache {
    /// "Sign in with {name}" is shown while this is set.
    pub fn link(&self) -> Option<String> {
        self.link.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_link(&self, name: Option<String>) {
        *self.link.write().unwrap_or_else(|p| p.into_inner()) = name;
    }

    fn key(s: &Settings) -> String {
        format!(
            "{}\n{}\n{}",
            s.issuer,
            s.allow_http,
            s.ca_pem.as_deref().unwrap_or("")
        )
    }

    fn get(&self, s: &Settings) -> Option<Arc<CoreProviderMetadata>> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&Self::key(s))
            .filter(|(at, _)| at.elapsed() < CACHE_FOR)
            .map(|(_, m)| m.clone())
    }

    fn put(&self, s: &Settings, m: Arc<CoreProviderMetadata>) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
        map.insert(Self::key(s), (Instant::now(), m));
    }

    /// Forgets every provider (the settings changed).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// The provider's metadata and keys, from the cache unless `fresh`.
    async fn metadata(
        &self,
        http: &Http,
        s: &Settings,
        fresh: bool,
    ) -> Result<Arc<CoreProviderMetadata>, OidcError> {
        if !fresh && let Some(m) = self.get(s) {
            return Ok(m);
        }
        let issuer =
            IssuerUrl::new(s.issuer.clone()).map_err(|e| OidcError::Settings(e.to_string()))?;
        let m = CoreProviderMetadata::discover_async(issuer, http)
            .await
            .map_err(|e| OidcError::Discovery(chain(&e)))?;
        let m = Arc::new(m);
        self.put(s, m.clone());
        Ok(m)
    }
}

/// An error and its causes on one line, bounded.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out.chars().take(400).collect()
}

/// berth's reqwest client as the crate's HTTP client: no redirects, bounded answers, and
/// plain http only to this machine (or when the admin allowed it).
pub struct Http {
    client: reqwest::Client,
    allow_http: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Request(String),
}

impl Http {
    pub fn new(s: &Settings) -> Result<Http, OidcError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = &s.ca_pem {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert = cert.map_err(|e| OidcError::Settings(format!("the CA: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| OidcError::Settings(format!("the CA: {e}")))?;
            }
        }
        // ring, as everywhere in berth (src/tls.rs, registry::client)
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| OidcError::Settings(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            // the crate's advice: a redirect could carry the code or secret elsewhere
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("berth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OidcError::Settings(e.to_string()))?;
        Ok(Http {
            client,
            allow_http: s.allow_http,
        })
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let url = Url::parse(&parts.uri.to_string())
            .map_err(|e| HttpError::Refused(format!("a bad URL from the provider: {e}")))?;
        let plain_ok = self.allow_http || super::is_loopback(&url);
        match url.scheme() {
            "https" => {}
            "http" if plain_ok => {}
            _ => {
                return Err(HttpError::Refused(format!(
                    "berth does not call {} over plain http (only https, or http to this machine)",
                    url.host_str().unwrap_or("?")
                )));
            }
        }
        let host = url.host_str().unwrap_or("?").to_string();
        let mut resp = self
            .client
            .request(parts.method, url)
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| HttpError::Request(format!("cannot reach {host}: {}", chain(&e))))?;
        let status = resp.status();
        let headers = std::mem::take(resp.headers_mut());
        let mut buf = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| HttpError::Request(format!("reading from {host}: {}", chain(&e))))?
        {
            if buf.len() + chunk.len() > MAX_RESPONSE {
                return Err(HttpError::Refused(format!(
                    "{host} answered more than {} KiB",
                    MAX_RESPONSE / 1024
                )));
            }
            buf.extend_from_slice(&chunk);
        }
        let mut out = HttpResponse::new(buf);
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// Reads the provider's configuration and keys now (after the settings changed).
pub async fn check(cache: &Cache, s: &Settings) -> Result<(), OidcError> {
    let http = Http::new(s)?;
    cache.metadata(&http, s, true).await.map(|_| ())
}

/// A sign-in sent to the provider: where to send the browser, and what the callback needs.
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

fn client(
    s: &Settings,
    m: &CoreProviderMetadata,
    redirect: &str,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    OidcError,
> {
    let secret = (!s.client_secret.is_empty()).then(|| ClientSecret::new(s.client_secret.clone()));
    let redirect = RedirectUrl::new(redirect.to_string())
        .map_err(|e| OidcError::Settings(format!("berth's callback address: {e}")))?;
    Ok(
        CoreClient::from_provider_metadata(m.clone(), ClientId::new(s.client_id.clone()), secret)
            .set_redirect_uri(redirect),
    )
}

/// Builds the provider's authorization URL with a fresh state, nonce and PKCE challenge.
pub async fn start(cache: &Cache, s: &Settings, redirect: &str) -> Result<Started, OidcError> {
    let http = Http::new(s)?;
    let m = cache.metadata(&http, s, false).await?;
    let client = client(s, &m, redirect)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in s.scope_list() {
        req = req.add_scope(Scope::new(scope));
    }
    let (url, state, nonce) = req.set_pkce_challenge(challenge).url();
    Ok(Started {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// Who the provider says signed in (from a verified ID token).
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub groups: Vec<String>,
}

/// Exchanges the code (with the PKCE verifier) and verifies the ID token: its signature against
/// the provider's keys (fetched again once when the token names a key berth has not seen),
/// issuer, audience, expiry and nonce.
pub async fn finish(
    cache: &Cache,
    s: &Settings,
    redirect: &str,
    code: &str,
    nonce: &str,
    pkce_verifier: &str,
) -> Result<Identity, OidcError> {
    let http = Http::new(s)?;
    let m = cache.metadata(&http, s, false).await?;
    let token = client(s, &m, redirect)?
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| OidcError::Exchange(chain(&e)))?
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
        .request_async(&http)
        .await
        .map_err(|e| OidcError::Exchange(chain(&e)))?;
    let raw = token
        .id_token()
        .ok_or_else(|| OidcError::IdToken("the provider sent no ID token".into()))?
        .to_string();
    let id = BerthIdToken::from_str(&raw).map_err(|e| OidcError::IdToken(chain(&e)))?;
    let nonce = Nonce::new(nonce.to_string());
    let verify = |m: &CoreProviderMetadata| -> Result<Identity, ClaimsVerificationError> {
        let c =
            client(s, m, redirect).map_err(|e| ClaimsVerificationError::Other(e.to_string()))?;
        let claims = id.claims(&c.id_token_verifier(), &nonce)?;
        let extra = &claims.additional_claims().claims;
        Ok(Identity {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            preferred_username: claims.preferred_username().map(|u| u.to_string()),
            email: claims.email().map(|e| e.to_string()),
            groups: super::groups_of(extra.get(&s.groups_claim)),
        })
    };
    match verify(&m) {
        Ok(i) => Ok(i),
        Err(ClaimsVerificationError::SignatureVerification(_)) => {
            // the provider may have rotated its keys since berth cached them
            let m = cache.metadata(&http, s, true).await?;
            verify(&m).map_err(|e| OidcError::IdToken(chain(&e)))
        }
        Err(e) => Err(OidcError::IdToken(chain(&e))),
    }
}
