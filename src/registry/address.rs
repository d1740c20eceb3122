//! Registry addresses: what a person types (`ghcr.io`, `https://index.docker.io/v1/`,
//! `10.0.0.5:5000`) made into the key berth stores, and the key of an image's registry, so
//! that an image finds its credentials the way Docker's own lookup does (Docker Hub's three
//! names are one registry; a port is part of the address).

use crate::syntax::reference;

/// The key of Docker Hub.
pub const DOCKER_HUB: &str = "docker.io";
/// Docker Hub's other names: they are the same registry.
const HUB_ALIASES: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];
/// Where Docker Hub's registry API answers.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";
/// The server address the docker CLI sends for Docker Hub credentials.
pub const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";
/// Longest address accepted (a DNS name is at most 253 bytes, plus a port).
pub const MAX_ADDRESS: usize = 260;

/// Why a typed address is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("enter the registry's address, e.g. ghcr.io or registry.example.com:5000")]
    Empty,
    #[error("the address is too long (at most {MAX_ADDRESS} characters)")]
    TooLong,
    #[error(
        "“{0}” is not a registry address: give a host name or IP address with an optional port, \
         e.g. ghcr.io or 10.0.0.5:5000 (no user name, no path other than /v1/ or /v2/)"
    )]
    Invalid(String),
}

/// The stored key of a typed registry address: the scheme and a trailing `/`, `/v1/` or `/v2/`
/// dropped, the host lower-cased, Docker Hub's names made `docker.io`.
pub fn normalize(input: &str) -> Result<String, AddressError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(AddressError::Empty);
    }
    if s.len() > MAX_ADDRESS {
        return Err(AddressError::TooLong);
    }
    let bad = || AddressError::Invalid(s.to_string());
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host = match rest.find('/') {
        Some(i) => {
            let path = rest[i..].trim_end_matches('/');
            if !matches!(path, "" | "/v1" | "/v2") {
                return Err(bad());
            }
            &rest[..i]
        }
        None => rest,
    };
    let host = host.to_ascii_lowercase();
    if !valid_host_port(&host) {
        return Err(bad());
    }
    Ok(canonical(&host))
}

/// `docker.io` for Docker Hub's names, the address itself otherwise.
fn canonical(host: &str) -> String {
    if HUB_ALIASES.contains(&host) {
        DOCKER_HUB.to_string()
    } else {
        host.to_string()
    }
}

/// `name(.name)*(:port)?` or `[ipv6](:port)?`, in the characters the reference grammar allows.
fn valid_host_port(s: &str) -> bool {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some((inner, after)) = rest.split_once(']') else {
            return false;
        };
        if inner.parse::<std::net::Ipv6Addr>().is_err() {
            return false;
        }
        match after {
            "" => (None, None),
            a => match a.strip_prefix(':') {
                Some(p) => (None, Some(p)),
                None => return false,
            },
        }
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(s), None),
        }
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok_and(|n| n > 0));
    let host_ok = host.is_none_or(|h| {
        !h.is_empty()
            && h.len() <= 253
            && h.split('.').all(|label| {
                let b = label.as_bytes();
                !b.is_empty()
                    && b.len() <= 63
                    && b[0].is_ascii_alphanumeric()
                    && b[b.len() - 1].is_ascii_alphanumeric()
                    && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            })
    });
    port_ok && host_ok
}

/// The stored key of `image`'s registry (`docker.io` for bare names); None when `image` is not
/// a reference.
pub fn registry_of_image(image: &str) -> Option<String> {
    reference::parse_normalized_named(image)
        .ok()
        .map(|n| canonical(&n.domain.to_ascii_lowercase()))
}

/// Where the registry API of a stored address answers (`https://host[:port]`).
pub fn api_base(address: &str) -> String {
    if address == DOCKER_HUB {
        format!("https://{DOCKER_HUB_API}")
    } else {
        format!("https://{address}")
    }
}

/// The server address docker sends with credentials for a stored address.
pub fn server_address(address: &str) -> String {
    if address == DOCKER_HUB {
        DOCKER_HUB_SERVER.to_string()
    } else {
        address.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_addresses_become_one_key_per_registry() {
        for (typed, key) in [
            ("ghcr.io", "ghcr.io"),
            ("  GHCR.io/ ", "ghcr.io"),
            ("https://index.docker.io/v1/", "docker.io"),
            ("registry-1.docker.io", "docker.io"),
            ("docker.io", "docker.io"),
            ("https://192.168.228.1:5000/v2/", "192.168.228.1:5000"),
            ("localhost:5000", "localhost:5000"),
            ("[::1]:5000", "[::1]:5000"),
        ] {
            assert_eq!(normalize(typed).as_deref(), Ok(key), "{typed}");
        }
    }

    #[test]
    fn addresses_that_are_not_a_host_are_refused() {
        assert_eq!(normalize(" "), Err(AddressError::Empty));
        assert_eq!(normalize(&"a".repeat(300)), Err(AddressError::TooLong));
        for bad in [
            "user@ghcr.io",
            "ghcr.io/owner",
            "ghcr.io:0",
            "ghcr.io:99999",
            "-bad.io",
            "a..b",
            "[zz]:5",
            "host:",
            "ftp://x y",
        ] {
            assert!(
                matches!(normalize(bad), Err(AddressError::Invalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_image_finds_its_registry_like_docker_does() {
        assert_eq!(registry_of_image("nginx").as_deref(), Some("docker.io"));
        assert_eq!(registry_of_image("me/app:1").as_deref(), Some("docker.io"));
        assert_eq!(
            registry_of_image("index.docker.io/me/app").as_deref(),
            Some("docker.io")
        );
        assert_eq!(
            registry_of_image("registry-1.docker.io/me/app").as_deref(),
            Some("docker.io")
        );
        assert_eq!(
            registry_of_image("ghcr.io/o/app@sha256:".to_string().as_str()),
            None
        );
        assert_eq!(
            registry_of_image("192.168.228.1:5000/app/web:v1").as_deref(),
            Some("192.168.228.1:5000")
        );
        assert_eq!(
            registry_of_image("localhost/app").as_deref(),
            Some("localhost")
        );
        assert_eq!(registry_of_image("Not A Ref"), None);
        assert_eq!(api_base("docker.io"), "https://registry-1.docker.io");
        assert_eq!(server_address("docker.io"), "https://index.docker.io/v1/");
        assert_eq!(server_address("ghcr.io"), "ghcr.io");
    }
}
