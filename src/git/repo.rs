//! A git source's fields, with their limits: an http(s) URL without credentials in it, a
//! branch, tag or commit, relative paths inside the repository, and an optional CA
//! certificate (PEM) the repository's server is trusted by besides Mozilla's roots. An access
//! token only ever travels over https (or plain http to this machine, for tests).

use serde::Serialize;

/// Longest repository URL accepted.
pub const MAX_URL: usize = 2048;
/// Longest branch or tag name accepted.
pub const MAX_REF: usize = 255;
/// Longest path of a file in the repository.
pub const MAX_PATH: usize = 1024;
/// Most compose files a source may name (merged in order, like `-c a -c b`).
pub use crate::compose::limits::MAX_COMPOSE_FILES;
/// Longest access token accepted.
pub const MAX_TOKEN: usize = 4096;

/// Which commit of the repository a stack follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum GitRef {
    Branch(String),
    Tag(String),
    /// A full commit id (40 hex digits): the stack stays on it.
    Commit(String),
}

impl GitRef {
    /// `branch`, `tag` or `commit` and its name, checked.
    pub fn parse(kind: &str, name: &str) -> Result<GitRef, String> {
        let name = name.trim();
        match kind {
            "branch" | "" => check_ref_name(name).map(|_| GitRef::Branch(name.to_string())),
            "tag" => check_ref_name(name).map(|_| GitRef::Tag(name.to_string())),
            "commit" => {
                if name.len() == 40 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Ok(GitRef::Commit(name.to_ascii_lowercase()))
                } else {
                    Err("a commit is its full id: 40 hexadecimal digits".into())
                }
            }
            other => Err(format!(
                "{other:?} is not a kind of ref: branch, tag or commit"
            )),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            GitRef::Branch(_) => "branch",
            GitRef::Tag(_) => "tag",
            GitRef::Commit(_) => "commit",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            GitRef::Branch(n) | GitRef::Tag(n) | GitRef::Commit(n) => n,
        }
    }

    /// The full name on the remote (`refs/heads/main`), or the commit id.
    pub fn remote_name(&self) -> String {
        match self {
            GitRef::Branch(n) => format!("refs/heads/{n}"),
            GitRef::Tag(n) => format!("refs/tags/{n}"),
            GitRef::Commit(c) => c.clone(),
        }
    }
}

/// git's rules for a ref name, the ones that matter here (`git check-ref-format`).
fn check_ref_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a branch or tag needs a name".into());
    }
    if name.len() > MAX_REF {
        return Err(format!("a ref name has at most {MAX_REF} bytes"));
    }
    let bad_char = name
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c));
    if bad_char
        || name.starts_with(['/', '-', '.'])
        || name.ends_with(['/', '.'])
        || name.ends_with(".lock")
        || name.contains("..")
        || name.contains("//")
        || name.contains("@{")
        || name.contains("/.")
    {
        return Err(format!("{name:?} is not a valid branch or tag name"));
    }
    Ok(())
}

/// An http(s) URL of a repository: no user or password in it (the token has its own field,
/// sealed at rest), no whitespace, at most [`MAX_URL`] bytes.
pub fn check_url(raw: &str) -> Result<String, String> {
    let url = raw.trim();
    if url.is_empty() {
        return Err("the repository URL is missing".into());
    }
    if url.len() > MAX_URL {
        return Err(format!("a repository URL has at most {MAX_URL} bytes"));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("a repository URL has no spaces or control characters".into());
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("berth fetches repositories over https:// (or http://)")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(
            "put the access token in its own field, not in the URL (it is sealed there)".into(),
        );
    }
    if authority.is_empty() || !rest.contains('/') {
        return Err("the URL names a host and a repository path".into());
    }
    if url.contains(['?', '#']) {
        return Err("a repository URL has no query or fragment".into());
    }
    Ok(url.to_string())
}

/// A path of a file inside the repository: relative, no `..`, at most [`MAX_PATH`] bytes.
pub fn check_path(raw: &str) -> Result<String, String> {
    let p = raw.trim().trim_start_matches("./");
    if p.is_empty() {
        return Err("a file path is empty".into());
    }
    if p.len() > MAX_PATH {
        return Err(format!("a file path has at most {MAX_PATH} bytes"));
    }
    if p.starts_with('/') || p.chars().any(|c| c.is_control() || c == '\\') {
        return Err(format!(
            "{p:?} is not a path inside the repository (relative, with /)"
        ));
    }
    if p.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return Err(format!(
            "{p:?}: a path inside the repository has no empty, . or .. parts"
        ));
    }
    Ok(p.to_string())
}

/// Compose file paths typed one a line or separated by commas: at least one, at most
/// [`MAX_COMPOSE_FILES`], each checked, none twice.
pub fn split_paths(raw: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = raw
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        return Err("name the compose file in the repository (e.g. docker-compose.yml)".into());
    }
    if parts.len() > MAX_COMPOSE_FILES {
        return Err(format!(
            "at most {MAX_COMPOSE_FILES} compose files (merged in the order given)"
        ));
    }
    let paths: Vec<String> = parts
        .into_iter()
        .map(check_path)
        .collect::<Result<_, _>>()?;
    if let Some(p) = paths
        .iter()
        .enumerate()
        .find_map(|(i, p)| paths[..i].contains(p).then_some(p))
    {
        return Err(format!("{p:?} is named twice"));
    }
    Ok(paths)
}

/// Where a stack's source lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    pub url: String,
    pub git_ref: GitRef,
    /// compose files, in the order they merge
    pub compose_paths: Vec<String>,
    pub env_path: Option<String>,
    /// CA certificates (PEM) trusted for this repository besides Mozilla's roots
    pub ca_pem: Option<String>,
}

/// Whether `url` may carry an access token: https, or http to a loopback address (a test
/// server on this machine); never plain http across a network.
pub fn token_may_go_to(url: &str) -> Result<(), String> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let host = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .map(|authority| match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => authority.split(':').next().unwrap_or_default(),
        })
        .unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(
            "an access token is only sent over https:// (plain http would show it to the network)"
                .into(),
        )
    }
}

/// A CA certificate text: empty for none, else PEM certificates within
/// [`crate::trust::MAX_CA_PEM`], only for an https repository.
pub fn check_ca(url: &str, raw: &str) -> Result<Option<String>, String> {
    let pem = raw.trim();
    if pem.is_empty() {
        return Ok(None);
    }
    crate::trust::check_ca_pem(pem)?;
    if !url.trim().starts_with("https://") {
        return Err("a CA certificate is for an https:// repository".into());
    }
    Ok(Some(format!("{pem}\n")))
}

/// A field of a git source that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoError {
    pub field: &'static str,
    pub message: String,
}

impl Repo {
    /// Checks every field (all problems at once, each with its form field name).
    pub fn parse(
        url: &str,
        ref_kind: &str,
        ref_name: &str,
        compose_paths: &str,
        env_path: &str,
        ca_pem: &str,
    ) -> Result<Repo, Vec<RepoError>> {
        let raw_url = url;
        let mut errors = Vec::new();
        fn field<T>(
            errors: &mut Vec<RepoError>,
            field: &'static str,
            r: Result<T, String>,
        ) -> Option<T> {
            r.map_err(|message| errors.push(RepoError { field, message }))
                .ok()
        }
        let url = field(&mut errors, "url", check_url(url));
        let git_ref = field(&mut errors, "ref", GitRef::parse(ref_kind, ref_name));
        let compose_paths = field(&mut errors, "compose_paths", split_paths(compose_paths));
        let env_path = match env_path.trim() {
            "" => Some(None),
            p => field(&mut errors, "env_path", check_path(p).map(Some)),
        };
        let ca_pem = field(&mut errors, "ca_pem", check_ca(raw_url, ca_pem));
        match (url, git_ref, compose_paths, env_path, ca_pem) {
            (Some(url), Some(git_ref), Some(compose_paths), Some(env_path), Some(ca_pem)) => {
                Ok(Repo {
                    url,
                    git_ref,
                    compose_paths,
                    env_path,
                    ca_pem,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_or_https_without_credentials() {
        assert!(check_url("https://git.example.com/team/shop.git").is_ok());
        assert!(check_url("http://127.0.0.1:8080/shop.git").is_ok());
        assert!(check_url("ssh://git@example.com/shop.git").is_err());
        assert!(check_url("git@example.com:shop.git").is_err());
        let e = check_url("https://user:tok@example.com/shop.git").unwrap_err();
        assert!(e.contains("own field"), "{e}");
        assert!(check_url("https://example.com").is_err());
        assert!(check_url("https://example.com/a b").is_err());
        assert!(check_url(&format!("https://e.com/{}", "a".repeat(MAX_URL))).is_err());
    }

    #[test]
    fn refs_follow_git_rules_and_commits_are_full_ids() {
        assert_eq!(
            GitRef::parse("branch", "release/1.2").unwrap(),
            GitRef::Branch("release/1.2".into())
        );
        for bad in [
            "", "-x", "a..b", "a b", "a~1", "x.lock", "/a", "a/", "a@{1}",
        ] {
            assert!(GitRef::parse("branch", bad).is_err(), "{bad}");
        }
        assert!(GitRef::parse("commit", "abc123").is_err());
        let sha = "A".repeat(40);
        assert_eq!(
            GitRef::parse("commit", &sha).unwrap(),
            GitRef::Commit("a".repeat(40))
        );
        assert!(GitRef::parse("head", "x").is_err());
        assert_eq!(GitRef::Tag("v1".into()).remote_name(), "refs/tags/v1");
    }

    #[test]
    fn paths_stay_inside_the_repository() {
        assert_eq!(
            check_path("./deploy/stack.yml").unwrap(),
            "deploy/stack.yml"
        );
        for bad in ["/etc/passwd", "../x", "a/../../b", "a//b", "a\\b", ""] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
        assert_eq!(split_paths(" ./a.yml\n").unwrap(), vec!["a.yml"]);
        assert!(split_paths(" , ").is_err());
        let many: Vec<String> = (0..=MAX_COMPOSE_FILES)
            .map(|i| format!("f{i}.yml"))
            .collect();
        assert!(split_paths(&many.join(",")).is_err());
        assert_eq!(
            split_paths("compose.yaml, compose.prod.yaml\n").unwrap(),
            vec!["compose.yaml", "compose.prod.yaml"]
        );
        assert!(split_paths("a.yml,./a.yml").unwrap_err().contains("twice"));
    }

    #[test]
    fn a_source_reports_every_wrong_field() {
        let errs = Repo::parse("ftp://x/y", "branch", "a..b", "", "../env", "x").unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec!["url", "ref", "compose_paths", "env_path", "ca_pem"]
        );
        let ok = Repo::parse("https://h/r.git", "tag", "v1", "stack.yml", "", " ").unwrap();
        assert_eq!(ok.env_path, None);
        assert_eq!(ok.ca_pem, None);
    }

    #[test]
    fn a_token_goes_over_https_or_to_this_machine_only() {
        assert!(token_may_go_to("https://git.example.com/shop.git").is_ok());
        for local in [
            "http://127.0.0.1:8080/shop.git",
            "http://localhost/shop.git",
            "http://[::1]:3000/shop.git",
        ] {
            assert!(token_may_go_to(local).is_ok(), "{local}");
        }
        for remote in [
            "http://git.example.com/shop.git",
            "http://10.0.0.5:3000/shop.git",
            "http://127.0.0.1.example.com/shop.git",
            "http://localhost.example.com/x.git",
        ] {
            let e = token_may_go_to(remote).unwrap_err();
            assert!(e.contains("https"), "{remote}: {e}");
        }
    }

    #[test]
    fn a_ca_certificate_is_pem_and_only_for_https() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let pem = params.self_signed(&key).unwrap().pem();
        let kept = check_ca("https://h/r.git", &format!("\n{pem}\n\n")).unwrap();
        assert_eq!(kept.as_deref().map(str::trim), Some(pem.trim()));
        assert_eq!(check_ca("https://h/r.git", "  ").unwrap(), None);
        assert!(check_ca("https://h/r.git", "not a certificate").is_err());
        let e = check_ca("http://127.0.0.1/r.git", &pem).unwrap_err();
        assert!(e.contains("https"), "{e}");
    }
}
