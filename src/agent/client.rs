//! berth's client of its agents: signed requests, answers believed only when signed back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::sign::{self, Key};

/// Largest answer berth reads from an agent.
const MAX_ANSWER: usize = 32 * 1024 * 1024;

/// Why an agent call failed, in words for a page.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum AgentError {
    #[error("the agent does not answer: {0}")]
    Unreachable(String),
    #[error("the agent refused: {0}")]
    Refused(String),
    #[error("the agent's answer is not signed with berth's key")]
    BadSignature,
    #[error("the agent sent an answer berth could not read: {0}")]
    Bad(String),
}

#[derive(Clone)]
pub struct AgentClient {
    key: Key,
    http: reqwest::Client,
}

impl AgentClient {
    pub fn new(key: Key) -> Result<AgentClient, String> {
        // plain HTTP on the overlay; reqwest still wants a TLS setup: ring, as everywhere
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .no_proxy()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("berth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(AgentClient { key, http })
    }

    /// `GET path` on the agent at `addr`, its JSON answer decoded.
    pub async fn get<T: DeserializeOwned>(
        &self,
        addr: SocketAddr,
        path: &str,
    ) -> Result<T, AgentError> {
        let body = self
            .call(addr, reqwest::Method::GET, path, Vec::new())
            .await?;
        serde_json::from_slice(&body).map_err(|e| AgentError::Bad(e.to_string()))
    }

    /// A signed call; the answer's body once its signature checks out and its status is 2xx.
    pub async fn call(
        &self,
        addr: SocketAddr,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, AgentError> {
        let time = sign::now();
        let nonce = sign::nonce();
        let sig = self
            .key
            .sign_request(method.as_str(), path, time, &nonce, &body);
        let url = format!("http://{addr}{path}");
        let mut resp = self
            .http
            .request(method, &url)
            .header(sign::H_TIME, time.to_string())
            .header(sign::H_NONCE, &nonce)
            .header(sign::H_SIG, sig)
            .body(body)
            .send()
            .await
            .map_err(|e| AgentError::Unreachable(without_url(&e)))?;
        let status = resp.status().as_u16();
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (rtime, rsig) = (header(sign::H_TIME), header(sign::H_SIG));
        let mut out = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| AgentError::Unreachable(without_url(&e)))?
        {
            if out.len() + chunk.len() > MAX_ANSWER {
                return Err(AgentError::Bad("answer too large".into()));
            }
            out.extend_from_slice(&chunk);
        }
        let (Some(rtime), Some(rsig)) = (rtime.and_then(|t| t.parse::<i64>().ok()), rsig) else {
            // an unsigned refusal: the agent has no key yet, or refused ours
            let text: String = String::from_utf8_lossy(&out).chars().take(200).collect();
            return Err(if (400..600).contains(&status) {
                AgentError::Refused(format!("{status} {text}"))
            } else {
                AgentError::BadSignature
            });
        };
        if !sign::fresh(rtime, sign::now())
            || !self.key.verify_response(&nonce, status, rtime, &out, &rsig)
        {
            return Err(AgentError::BadSignature);
        }
        if !(200..300).contains(&status) {
            let text: String = String::from_utf8_lossy(&out).chars().take(200).collect();
            return Err(AgentError::Refused(format!("{status} {text}")));
        }
        Ok(out)
    }
}

/// A console's WebSocket to an agent.
pub type AgentSocket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

impl AgentClient {
    /// Opens a signed WebSocket (`GET path` upgraded) to the agent at `addr`; the agent's 101
    /// must be signed back with berth's key.
    pub async fn websocket(&self, addr: SocketAddr, path: &str) -> Result<AgentSocket, AgentError> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
        let time = sign::now();
        let nonce = sign::nonce();
        let sig = self.key.sign_request("GET", path, time, &nonce, b"");
        let mut req = format!("ws://{addr}{path}")
            .into_client_request()
            .map_err(|e| AgentError::Bad(e.to_string()))?;
        let h = req.headers_mut();
        for (name, value) in [
            (sign::H_TIME, time.to_string()),
            (sign::H_NONCE, nonce.clone()),
            (sign::H_SIG, sig),
        ] {
            let v = reqwest::header::HeaderValue::from_str(&value)
                .map_err(|e| AgentError::Bad(e.to_string()))?;
            h.insert(name, v);
        }
        let tcp =
            tokio::time::timeout(Duration::from_secs(3), tokio::net::TcpStream::connect(addr))
                .await
                .map_err(|_| AgentError::Unreachable("connection timed out".into()))?
                .map_err(|e| AgentError::Unreachable(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let config = WebSocketConfig::default()
            .max_message_size(Some(super::console::MAX_MESSAGE))
            .max_frame_size(Some(super::console::MAX_MESSAGE));
        let handshake = tokio_tungstenite::client_async_with_config(req, tcp, Some(config));
        let (socket, resp) = match tokio::time::timeout(Duration::from_secs(10), handshake).await {
            Err(_) => return Err(AgentError::Unreachable("the agent did not answer".into())),
            Ok(Ok(r)) => r,
            Ok(Err(tokio_tungstenite::tungstenite::Error::Http(resp))) => {
                let status = resp.status().as_u16();
                let text: String = resp
                    .body()
                    .as_deref()
                    .map(|b| String::from_utf8_lossy(b).chars().take(300).collect())
                    .unwrap_or_default();
                return Err(AgentError::Refused(format!("{status} {text}")));
            }
            Ok(Err(e)) => return Err(AgentError::Unreachable(e.to_string())),
        };
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let signed = match (
            header(sign::H_TIME).and_then(|t| t.parse::<i64>().ok()),
            header(sign::H_SIG),
        ) {
            (Some(t), Some(s)) => {
                sign::fresh(t, sign::now()) && self.key.verify_response(&nonce, 101, t, b"", &s)
            }
            _ => false,
        };
        if !signed {
            return Err(AgentError::BadSignature);
        }
        Ok(socket)
    }
}

fn without_url(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    msg
}
