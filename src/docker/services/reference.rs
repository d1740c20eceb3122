//! Image references (`registry:5000/team/app:1.2@sha256:…`), checked with the grammar of
//! distribution/reference, so a typo is refused before anything reaches the swarm.

/// A parsed reference. `name` is as typed (without tag and digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub name: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// `name:tag` (the tag Docker would use: `latest` when none is given), without digest.
    pub fn name_tag(&self) -> String {
        format!("{}:{}", self.name, self.tag.as_deref().unwrap_or("latest"))
    }

    /// The reference as typed but without its digest: what to re-resolve.
    pub fn without_digest(&self) -> String {
        match &self.tag {
            Some(t) => format!("{}:{t}", self.name),
            None => self.name.clone(),
        }
    }

    /// The first 12 hex digits of the digest, for tables.
    pub fn short_digest(&self) -> String {
        self.digest
            .as_deref()
            .and_then(|d| d.split_once(':'))
            .map(|(_, hex)| hex.chars().take(12).collect())
            .unwrap_or_default()
    }
}

/// Splits any image string leniently, for display (never fails).
pub fn split(image: &str) -> ImageRef {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d.to_string())),
        None => (image, None),
    };
    let slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (name, tag) = match rest[slash..].rfind(':') {
        Some(i) => (
            rest[..slash + i].to_string(),
            Some(rest[slash + i + 1..].to_string()),
        ),
        None => (rest.to_string(), None),
    };
    ImageRef { name, tag, digest }
}

/// Parses and validates a reference; the error says what is wrong with it.
pub fn parse(image: &str) -> Result<ImageRef, String> {
    let s = image.trim();
    if s.is_empty() {
        return Err("the image is empty".into());
    }
    let bad = |why: &str| Err(format!("{s:?} is not a valid image reference: {why}"));
    if s.len() > 512 {
        return bad("it is too long");
    }
    if s.chars().any(|c| c.is_whitespace()) {
        return bad("it contains a space");
    }
    let r = split(s);
    if let Some(d) = &r.digest
        && !valid_digest(d)
    {
        return bad("the digest must look like sha256:<64 hex digits>");
    }
    if let Some(t) = &r.tag
        && !valid_tag(t)
    {
        return bad(
            "a tag has letters, digits, '_', '.' and '-' (up to 128), not starting with '.' or '-'",
        );
    }
    if r.name.len() > 255 {
        return bad("the name is longer than 255 characters");
    }
    let (domain, path) = match r.name.split_once('/') {
        Some((first, rest))
            if first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (Some(first), rest)
        }
        _ => (None, r.name.as_str()),
    };
    if let Some(d) = domain
        && !valid_domain(d)
    {
        return bad("the registry host is not a valid host[:port]");
    }
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return bad("repository names must be lowercase");
    }
    if path.is_empty() || !path.split('/').all(valid_path_component) {
        return bad(
            "a name has lowercase letters, digits and single separators ('.', '_', '__', '-') between them",
        );
    }
    Ok(r)
}

fn valid_tag(t: &str) -> bool {
    let mut cs = t.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphanumeric() || c == '_')
        && t.len() <= 128
        && cs.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

fn valid_digest(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    let alg_ok = !alg.is_empty()
        && alg.split(['+', '.', '-', '_']).all(|c| {
            c.chars().next().is_some_and(|x| x.is_ascii_alphabetic())
                && c.chars().all(|x| x.is_ascii_alphanumeric())
        });
    let hex_ok = hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit());
    let sha_ok = alg != "sha256" || hex.len() == 64;
    alg_ok && hex_ok && sha_ok
}

fn valid_domain(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || d.starts_with('[') => (h, Some(p)),
        _ => (d, None),
    };
    if let Some(p) = port
        && (p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return false;
    }
    if host.starts_with('[') && host.ends_with(']') {
        return host[1..host.len() - 1]
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':');
    }
    !host.is_empty()
        && host.split('.').all(|c| {
            !c.is_empty()
                && c.chars().all(|x| x.is_ascii_alphanumeric() || x == '-')
                && !c.starts_with('-')
                && !c.ends_with('-')
        })
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`
fn valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.chars().all(|x| x == '-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_references() {
        let r = parse("nginx").unwrap();
        assert_eq!((r.name.as_str(), r.tag.as_deref()), ("nginx", None));
        assert_eq!(r.name_tag(), "nginx:latest");
        let r = parse("registry.example.com:5000/team/app:1.2.3").unwrap();
        assert_eq!(r.name, "registry.example.com:5000/team/app");
        assert_eq!(r.tag.as_deref(), Some("1.2.3"));
        let d = format!("sha256:{}", "a".repeat(64));
        let r = parse(&format!("berth-test/busybox:1@{d}")).unwrap();
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(r.short_digest(), "aaaaaaaaaaaa");
        assert_eq!(r.without_digest(), "berth-test/busybox:1");
        assert!(parse("localhost/app").is_ok());
        assert!(parse("a__b/c-d--e.f_g:v1_x").is_ok());
        assert!(parse("[::1]:5000/app").is_ok());
    }

    #[test]
    fn bad_references_say_why() {
        assert!(parse("").is_err());
        assert!(parse("Nginx:1").unwrap_err().contains("lowercase"));
        assert!(parse("team/Nginx").unwrap_err().contains("lowercase"));
        assert!(parse("nginx:").unwrap_err().contains("tag"));
        assert!(parse("nginx:-x").is_err());
        assert!(parse("ngi nx").unwrap_err().contains("space"));
        assert!(parse("nginx@sha256:abc").unwrap_err().contains("digest"));
        assert!(parse("-nginx").is_err());
        assert!(parse("nginx..x").is_err());
        assert!(parse("a//b").is_err());
        assert!(parse("not a valid image!").is_err());
        assert!(parse("UPPER:case:tag").is_err());
    }

    #[test]
    fn display_split_is_lenient() {
        let r = split("localhost:5000/app");
        assert_eq!((r.name.as_str(), r.tag), ("localhost:5000/app", None));
        let r = split("app:2@sha256:ff");
        assert_eq!(r.tag.as_deref(), Some("2"));
        assert_eq!(r.digest.as_deref(), Some("sha256:ff"));
    }
}
