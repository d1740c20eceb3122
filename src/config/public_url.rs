//! `BERTH_PUBLIC_URL`: the address users type, and whether a request's Host names it.

/// `BERTH_PUBLIC_URL`: scheme and host (and port) only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    pub https: bool,
    /// Lower case, without brackets for IPv6.
    pub host: String,
    /// `scheme://host[:port]`, without a trailing slash.
    pub origin: String,
}

impl PublicUrl {
    pub fn parse(raw: &str) -> Result<PublicUrl, String> {
        let bad = |why: &str| {
            format!("BERTH_PUBLIC_URL {raw:?}: {why} (e.g. https://berth.example.com:9443)")
        };
        let s = raw.trim().trim_end_matches('/');
        let (https, rest) = if let Some(r) = s.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(bad("must start with https:// or http://"));
        };
        if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
            return Err(bad(
                "give a scheme and a host, with an optional port, and nothing else",
            ));
        }
        let host = host_of(rest).ok_or_else(|| bad("the port is not a number"))?;
        if host.is_empty() {
            return Err(bad("the host is empty"));
        }
        Ok(PublicUrl {
            https,
            host,
            origin: format!(
                "{}://{}",
                if https { "https" } else { "http" },
                rest.to_ascii_lowercase()
            ),
        })
    }

    /// Whether a request's Host header (host and optional port) names this host. The port is
    /// not compared: berth is reached on two ports, and proxies and port mappings change them.
    pub fn matches_host(&self, host_header: &str) -> bool {
        host_of(host_header.trim()).is_some_and(|h| h == self.host)
    }
}

/// The host of `host[:port]` or `[v6]:port`, lower case; `None` when the port is not a number.
pub fn host_of(authority: &str) -> Option<String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            _ => (authority, None),
        }
    };
    if let Some(p) = port
        && p.parse::<u16>().is_err()
    {
        return None;
    }
    Some(host.trim_end_matches('.').to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_are_a_scheme_and_a_host() {
        let u = PublicUrl::parse("https://Berth.Example.com:9443/").unwrap();
        assert!(u.https);
        assert_eq!(u.host, "berth.example.com");
        assert_eq!(u.origin, "https://berth.example.com:9443");
        assert!(u.matches_host("berth.example.com:9000"));
        assert!(u.matches_host("BERTH.example.com"));
        assert!(!u.matches_host("evil.example"));
        assert!(!u.matches_host("berth.example.com.evil.example"));
        assert!(!u.matches_host("berth.example.com:x"));
        let v6 = PublicUrl::parse("http://[fd00::1]:9000").unwrap();
        assert_eq!(v6.host, "fd00::1");
        assert!(v6.matches_host("[fd00::1]:9000"));
        for bad in [
            "berth.example.com",
            "https://",
            "https://h/path",
            "ftp://h",
            "https://u@h",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
