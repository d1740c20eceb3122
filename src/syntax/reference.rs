//! Image references, like `github.com/distribution/reference` (`ParseAnyReference`,
//! `ParseNormalizedNamed`, `FamiliarString`, `TagNameOnly`) and `go-digest` validation: what
//! `docker stack deploy` checks every image with, and what `docker service create` resolves.
//! Errors display the Go text; [`Part`] says which part of a badly formatted reference is wrong,
//! for callers that explain it.
//!
//! The grammar is matched by hand instead of with regular expressions: the reference pattern
//! `name(:tag)?(@digest)?` is unambiguous (`@` only starts the digest, a `:` after the last `/`
//! only starts the tag), so checking each part against its sub-grammar gives the same answer.

const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";
const NAME_TOTAL_LENGTH_MAX: usize = 255;

mod error;

pub use error::{DigestError, Part, RefError};

/// A parsed, normalised reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// Registry domain (`docker.io` for Docker Hub).
    pub domain: String,
    /// Repository path (`library/nginx`).
    pub path: String,
    /// Tag, if any.
    pub tag: Option<String>,
    /// Digest, if any.
    pub digest: Option<String>,
}

fn is_lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `alphanumeric (separator alphanumeric)*` with separator `[._]|__|[-]+`.
fn path_component(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !is_lower_alnum(b[0]) || !is_lower_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_lower_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_lower_alnum(b[i]) {
            i += 1;
        }
        let sep = &s[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn remote_name(s: &str) -> bool {
    !s.is_empty() && s.split('/').all(path_component)
}

fn domain_component(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// `host optionalPort` with host = domain name or `[ipv6]`.
fn domain_and_port(s: &str) -> bool {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return false;
        };
        let inner = &rest[..end];
        if inner.is_empty() || !inner.bytes().all(|c| c.is_ascii_hexdigit() || c == b':') {
            return false;
        }
        (None, &rest[end + 1..])
    } else {
        match s.find(':') {
            Some(i) => (Some(&s[..i]), &s[i..]),
            None => (Some(s), ""),
        }
    };
    if let Some(h) = host
        && !h.split('.').all(domain_component)
    {
        return false;
    }
    if port.is_empty() {
        return true;
    }
    match port.strip_prefix(':') {
        Some(p) => !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()),
        None => false,
    }
}

/// `(domainAndPort/)?remoteName`; the domain cannot contain `/`, so only the first `/` matters.
fn name_matches(s: &str) -> bool {
    if remote_name(s) {
        return true;
    }
    match s.split_once('/') {
        Some((d, rest)) => domain_and_port(d) && remote_name(rest),
        None => false,
    }
}

/// `[\w][\w.-]{0,127}`
fn tag_matches(s: &str) -> bool {
    let b = s.as_bytes();
    let w = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty()
        && b.len() <= 128
        && w(b[0])
        && b.iter().all(|c| w(*c) || *c == b'.' || *c == b'-')
}

/// `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`
fn digest_pattern(s: &str) -> bool {
    let Some((alg, hex)) = s.split_once(':') else {
        return false;
    };
    if hex.len() < 32 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    let b = alg.as_bytes();
    if b.is_empty() {
        return false;
    }
    let mut i = 0;
    loop {
        if i >= b.len() || !b[i].is_ascii_alphabetic() {
            return false;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i == b.len() {
            return true;
        }
        if !matches!(b[i], b'-' | b'_' | b'+' | b'.') {
            return false;
        }
        i += 1;
    }
}

/// go-digest `Digest.Validate`.
fn validate_digest(s: &str) -> Result<(), DigestError> {
    let invalid = || DigestError::Format;
    let i = match s.find(':') {
        Some(i) if i > 0 && i + 1 < s.len() => i,
        _ => return Err(invalid()),
    };
    let (alg, enc) = (&s[..i], &s[i + 1..]);
    let size = match alg {
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ => {
            // DigestRegexpAnchored: [a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+
            let alg_ok = alg.split(['.', '+', '_', '-']).all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            });
            let enc_ok = enc
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'=' | b'_' | b'-'));
            if !alg_ok || !enc_ok {
                return Err(invalid());
            }
            return Err(DigestError::Algorithm);
        }
    };
    if enc.len() != size * 2 {
        return Err(DigestError::Length);
    }
    if !enc
        .bytes()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        return Err(invalid());
    }
    Ok(())
}

fn is_identifier(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// Splits a reference at its structure only: `name[:tag][@digest]`, where `@` starts the digest
/// and a `:` after the last `/` starts the tag. Never fails; nothing is checked.
pub fn split_parts(s: &str) -> (&str, Option<&str>, Option<&str>) {
    let (left, digest) = match s.split_once('@') {
        Some((l, d)) => (l, Some(d)),
        None => (s, None),
    };
    let last_slash = left.rfind('/').map(|i| i + 1).unwrap_or(0);
    match left[last_slash..].rfind(':') {
        Some(i) => {
            let cut = last_slash + i;
            (&left[..cut], Some(&left[cut + 1..]), digest)
        }
        None => (left, None, digest),
    }
}

/// The reference grammar over the whole string, naming the first part that does not match.
fn full_match(s: &str) -> Result<(&str, Option<&str>, Option<&str>), Part> {
    let (name, tag, digest) = split_parts(s);
    if digest.is_some_and(|d| !digest_pattern(d)) {
        return Err(Part::Digest);
    }
    if !name_matches(name) {
        let bad_domain = name
            .split_once('/')
            .is_some_and(|(d, rest)| !domain_and_port(d) && remote_name(rest));
        return Err(if bad_domain { Part::Domain } else { Part::Name });
    }
    if tag.is_some_and(|t| !tag_matches(t)) {
        return Err(Part::Tag);
    }
    Ok((name, tag, digest))
}

/// `reference.Parse` on an explicit `domain/remainder` string.
fn parse(s: &str) -> Result<Named, RefError> {
    let (name, tag, digest) = match full_match(s) {
        Ok(parts) => parts,
        Err(_) if s.is_empty() => return Err(RefError::NameEmpty),
        Err(_) if full_match(&s.to_lowercase()).is_ok() => return Err(RefError::NameUppercase),
        Err(part) => return Err(RefError::Format(part)),
    };
    let (domain, path) = match name.split_once('/') {
        Some((d, rest)) if domain_and_port(d) && remote_name(rest) => {
            (d.to_string(), rest.to_string())
        }
        _ => (String::new(), name.to_string()),
    };
    if path.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(RefError::NameTooLong);
    }
    if let Some(d) = digest {
        validate_digest(d).map_err(RefError::Digest)?;
    }
    Ok(Named {
        domain,
        path,
        tag: tag.map(str::to_string),
        digest: digest.map(str::to_string),
    })
}

/// `splitDockerDomain`.
fn split_docker_domain(name: &str) -> (String, String) {
    let Some((maybe_domain, maybe_remote)) = name.split_once('/') else {
        return (
            DEFAULT_DOMAIN.into(),
            format!("{OFFICIAL_REPO_PREFIX}{name}"),
        );
    };
    let (domain, mut remote) = if maybe_domain == "localhost" {
        (maybe_domain.to_string(), maybe_remote.to_string())
    } else if maybe_domain == LEGACY_DEFAULT_DOMAIN {
        (DEFAULT_DOMAIN.to_string(), maybe_remote.to_string())
    } else if maybe_domain.contains(['.', ':']) || maybe_domain.to_lowercase() != maybe_domain {
        (maybe_domain.to_string(), maybe_remote.to_string())
    } else {
        (DEFAULT_DOMAIN.to_string(), name.to_string())
    };
    if domain == DEFAULT_DOMAIN && !remote.contains('/') {
        remote = format!("{OFFICIAL_REPO_PREFIX}{remote}");
    }
    (domain, remote)
}

/// `reference.ParseNormalizedNamed`.
pub fn parse_normalized_named(s: &str) -> Result<Named, RefError> {
    if is_identifier(s) {
        return Err(RefError::Identifier(s.to_string()));
    }
    let (domain, remainder) = split_docker_domain(s);
    let remote = match remainder.find(':') {
        Some(i) => &remainder[..i],
        None => remainder.as_str(),
    };
    if remote.to_lowercase() != remote {
        return Err(RefError::RemoteUppercase(remote.to_string()));
    }
    parse(&format!("{domain}/{remainder}"))
}

/// `reference.ParseAnyReference`: what `docker stack deploy` checks every image with.
pub fn parse_any_reference(s: &str) -> Result<(), RefError> {
    if is_identifier(s) || validate_digest(s).is_ok() {
        return Ok(());
    }
    parse_normalized_named(s).map(|_| ())
}

/// Step 1 of the deploy-time image handling (vendored moby client `imageWithTagString`):
/// a parseable name gets `:latest` when it has neither tag nor digest and is rendered in
/// familiar form (`docker.io/library/nginx` → `nginx:latest`); anything else is returned as is.
pub fn normalize_image(image: &str) -> String {
    let Ok(mut named) = parse_normalized_named(image) else {
        return image.to_string();
    };
    if named.tag.is_none() && named.digest.is_none() {
        named.tag = Some("latest".into());
    }
    let mut out = String::new();
    if named.domain == DEFAULT_DOMAIN {
        match named.path.strip_prefix(OFFICIAL_REPO_PREFIX) {
            Some(rest) if !rest.contains('/') => out.push_str(rest),
            _ => out.push_str(&named.path),
        }
    } else {
        out.push_str(&named.domain);
        out.push('/');
        out.push_str(&named.path);
    }
    if let Some(t) = &named.tag {
        out.push(':');
        out.push_str(t);
    }
    if let Some(d) = &named.digest {
        out.push('@');
        out.push_str(d);
    }
    out
}

#[cfg(test)]
mod tests;
