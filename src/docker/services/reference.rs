//! Image references (`registry:5000/team/app:1.2@sha256:…`), checked by the CLI's own parser
//! ([`crate::syntax::reference`]), so a typo is refused before anything reaches the swarm, with a
//! sentence that says which part is wrong.

use crate::syntax::reference::{self, Part, RefError};

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
    let (name, tag, digest) = reference::split_parts(image);
    ImageRef {
        name: name.to_string(),
        tag: tag.map(str::to_string),
        digest: digest.map(str::to_string),
    }
}

/// Parses and validates a reference as `docker service create` resolves it
/// (`reference.ParseNormalizedNamed`); the error says what is wrong with it.
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
    match reference::parse_normalized_named(s) {
        Ok(_) => Ok(split(s)),
        Err(e) => bad(why(&e)),
    }
}

/// The form's sentence for each of the parser's errors.
fn why(e: &RefError) -> &'static str {
    match e {
        RefError::Format(Part::Digest) | RefError::Digest(_) => {
            "the digest must look like sha256:<64 hex digits>"
        }
        RefError::Format(Part::Tag) => {
            "a tag has letters, digits, '_', '.' and '-' (up to 128), not starting with '.' or '-'"
        }
        RefError::Format(Part::Domain) => "the registry host is not a valid host[:port]",
        RefError::Format(Part::Name) | RefError::NameEmpty => {
            "a name has lowercase letters, digits and single separators ('.', '_', '__', '-') between them"
        }
        RefError::NameUppercase | RefError::RemoteUppercase(_) => {
            "repository names must be lowercase"
        }
        RefError::NameTooLong => "the name is longer than 255 characters",
        RefError::Identifier(_) => "64 hex digits are an image ID; give the image's name",
    }
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
        assert!(parse("a..b/app").unwrap_err().contains("registry host"));
        assert!(parse(&"a".repeat(64)).unwrap_err().contains("image ID"));
        assert!(
            parse(&format!("app@sha256:{}", "a".repeat(40)))
                .unwrap_err()
                .contains("digest")
        );
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
