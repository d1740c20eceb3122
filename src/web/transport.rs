//! How a request reached berth, and the rules of BERTH_PUBLIC_URL.
//!
//! The front door runs before everything else that reads the request: it works out the client's
//! address and whether the request came over HTTPS (directly, or through a trusted proxy that
//! says so in X-Forwarded-Proto), refuses requests that name another host (DNS rebinding),
//! sends plain HTTP to the https public URL, adds HSTS, and warns once in the log when berth
//! is used over plain HTTP from another machine.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::urls;
use crate::AppState;

/// Which listener a request came in on (set by `serve` on each router).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Http,
    Https,
}

/// The client as berth sees it, after the proxies it trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    pub ip: Option<IpAddr>,
    /// The client's connection is TLS (to berth, or to a trusted proxy in front of it).
    pub https: bool,
}

impl Via {
    /// Plain HTTP from another machine: passwords and session cookies cross the network in the
    /// clear.
    pub fn plain_http_from_afar(&self) -> bool {
        !self.https && self.ip.is_some_and(|ip| !ip.is_loopback())
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Via {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Via>().cloned().unwrap_or(Via {
            ip: None,
            https: false,
        }))
    }
}

pub const HSTS: &str = "max-age=31536000";

/// The client address: the peer, or — when the peer is a trusted proxy — the right-most
/// address in X-Forwarded-For that is not a trusted proxy (the left part is the client's to
/// write and proves nothing).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut hops: Vec<IpAddr> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(v) = value.to_str() else {
            return peer;
        };
        for part in v.split(',') {
            match part.trim().parse::<IpAddr>() {
                Ok(ip) => hops.push(ip),
                // a hop berth cannot read: stop believing the chain there
                Err(_) => return hops.last().copied().unwrap_or(peer),
            }
        }
    }
    let mut client = peer;
    for hop in hops.iter().rev() {
        client = *hop;
        if !is_trusted(hop) {
            break;
        }
    }
    client
}

/// Whether the client's connection is TLS: berth's own HTTPS listener, or a trusted proxy's
/// `X-Forwarded-Proto: https`.
fn is_https(listener: Listener, peer_trusted: bool, headers: &HeaderMap) -> bool {
    listener == Listener::Https
        || (peer_trusted
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https")))
}

pub async fn front_door(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let listener = req
        .extensions()
        .get::<Listener>()
        .copied()
        .unwrap_or(Listener::Http);
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let trusted = &state.config.trusted_proxies;
    let via = Via {
        ip: peer.map(|p| client_address(p, req.headers(), trusted)),
        https: is_https(
            listener,
            peer.is_some_and(|p| trusted.iter().any(|n| n.contains(&p))),
            req.headers(),
        ),
    };
    req.extensions_mut().insert(via.clone());

    // the health check (Docker's HEALTHCHECK calls 127.0.0.1) answers on any name and scheme
    if req.uri().path() == urls::HEALTHZ {
        return next.run(req).await;
    }
    let public = state.config.public_url.as_ref();
    if let Some(public) = public {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()));
        if !host.is_some_and(|h| public.matches_host(h)) {
            tracing::warn!(
                "refused a request for host {:?}: berth answers only to {} (BERTH_PUBLIC_URL)",
                host.unwrap_or("(none)")
                    .chars()
                    .take(100)
                    .collect::<String>(),
                public.origin
            );
            return crate::error::ErrorInfo::new(
                StatusCode::MISDIRECTED_REQUEST,
                "Wrong address",
                "berth answers only at its own address. Use the address your administrator gave you.",
            )
            .into_response();
        }
        if public.https && !via.https {
            let pq = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let to = format!("{}{pq}", public.origin);
            let mut r = StatusCode::PERMANENT_REDIRECT.into_response();
            if let Ok(v) = HeaderValue::from_str(&to) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            return r;
        }
    }
    if via.plain_http_from_afar() && state.note_plain_http_use() {
        tracing::warn!(
            "berth is used over plain HTTP from {}: passwords and session cookies cross the network in the clear. Use https on port {} (BERTH_TLS_LISTEN) or a TLS proxy, and set BERTH_PUBLIC_URL",
            via.ip.map(|i| i.to_string()).unwrap_or_default(),
            state.config.tls_listen.map(|a| a.port()).unwrap_or(9443)
        );
    }
    let mut resp = next.run(req).await;
    if via.https && public.is_some_and(|p| p.https) {
        resp.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let h = xff(&["203.0.113.9"]);
        // nobody trusted: the peer, whatever the header says
        assert_eq!(client_address(ip("192.0.2.7"), &h, &[]), ip("192.0.2.7"));
        // an untrusted peer cannot claim an address
        let t = nets(&["127.0.0.1/32", "10.0.0.0/8"]);
        assert_eq!(client_address(ip("192.0.2.7"), &h, &t), ip("192.0.2.7"));
        // a trusted proxy: the address it saw
        assert_eq!(client_address(ip("127.0.0.1"), &h, &t), ip("203.0.113.9"));
        // a client's own X-Forwarded-For is the left part: the proxy appended the real one
        let spoofed = xff(&["1.2.3.4, 203.0.113.9"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &spoofed, &t),
            ip("203.0.113.9")
        );
        // two trusted proxies in a row, in one header or two
        let chain = xff(&["1.2.3.4, 203.0.113.9, 10.1.2.3"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &chain, &t),
            ip("203.0.113.9")
        );
        let split = xff(&["1.2.3.4, 203.0.113.9", "10.1.2.3"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &split, &t),
            ip("203.0.113.9")
        );
        // no header, or garbage before a readable hop
        assert_eq!(
            client_address(ip("127.0.0.1"), &HeaderMap::new(), &t),
            ip("127.0.0.1")
        );
        let junk = xff(&["nonsense, 203.0.113.9"]);
        assert_eq!(client_address(ip("127.0.0.1"), &junk, &t), ip("127.0.0.1"));
    }

    #[test]
    fn only_a_trusted_proxy_can_say_the_client_used_https() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(is_https(Listener::Http, true, &h));
        assert!(!is_https(Listener::Http, false, &h));
        assert!(is_https(Listener::Https, false, &HeaderMap::new()));
        assert!(!is_https(Listener::Http, true, &HeaderMap::new()));
        let far = Via {
            ip: Some(ip("192.0.2.7")),
            https: false,
        };
        assert!(far.plain_http_from_afar());
        let near = Via {
            ip: Some(ip("::1")),
            https: false,
        };
        assert!(!near.plain_http_from_afar());
    }
}
