//! `berth stack deploy --with-registry-auth`: registry credentials read from the docker CLI's
//! configuration, as the docker CLI reads them.
//!
//! Where: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; no file means no
//! credentials. What: `auths` entries (`auth` = base64 of `user:password`, or `username` and
//! `password`, or an `identitytoken`), and credential helpers — `credHelpers` per registry and
//! `credsStore` for the rest — run as `docker-credential-<name> get` (`list` for the store) with
//! the server address on stdin, exactly the protocol docker uses. A helper named in the file but
//! missing from PATH is an error that says so; a helper that knows no credentials for a server
//! is not.
//!
//! The parsing is pure (tested as such); only [`load`] touches the file system and runs helpers.
//! Hand-written rather than a crate: the one maintained crate for this (docker_credential) is
//! synchronous, reads only `auths` and helpers without `list`, and pulls in its own base64
//! version; the format is four small JSON shapes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bollard::auth::DockerCredentials;
use serde::Deserialize;

use crate::docker::auth::{DOCKER_HUB, DOCKER_HUB_ADDRESS, RegistryAuth, registry_domain};

/// The largest config file read (docker's own are a few KiB).
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// The largest answer read from a credential helper.
const MAX_HELPER_BYTES: usize = 64 * 1024;

/// The parts of `config.json` that hold credentials.
#[derive(Debug, Default, Deserialize, PartialEq)]
pub struct DockerConfig {
    #[serde(default)]
    pub auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    pub creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    pub cred_helpers: BTreeMap<String, String>,
}

/// One `auths` entry.
#[derive(Debug, Default, Deserialize, PartialEq)]
pub struct AuthEntry {
    #[serde(default)]
    pub auth: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub identitytoken: Option<String>,
    #[serde(default)]
    pub registrytoken: Option<String>,
}

/// The config file the docker CLI reads: `$DOCKER_CONFIG/config.json`, else
/// `$HOME/.docker/config.json`.
pub fn config_path(docker_config: Option<&str>, home: Option<&str>) -> Option<PathBuf> {
    match docker_config.filter(|d| !d.is_empty()) {
        Some(dir) => Some(Path::new(dir).join("config.json")),
        None => home
            .filter(|h| !h.is_empty())
            .map(|h| Path::new(h).join(".docker").join("config.json")),
    }
}

/// Parses a config file's text.
pub fn parse(json: &str) -> Result<DockerConfig, String> {
    serde_json::from_str(json).map_err(|e| format!("the docker config is not valid JSON: {e}"))
}

/// The credentials of one `auths` entry; `None` for an entry without any (docker writes empty
/// entries for registries whose credentials live in a helper).
pub fn entry_credentials(
    address: &str,
    e: &AuthEntry,
) -> Result<Option<DockerCredentials>, String> {
    let mut username = e.username.clone().filter(|u| !u.is_empty());
    let mut password = e.password.clone().filter(|p| !p.is_empty());
    if let Some(auth) = e.auth.as_deref().filter(|a| !a.is_empty()) {
        let raw = B64
            .decode(auth.trim())
            .map_err(|_| format!("the auth of {address} in the docker config is not base64"))?;
        let text = String::from_utf8(raw)
            .map_err(|_| format!("the auth of {address} in the docker config is not text"))?;
        let (u, p) = text.split_once(':').ok_or_else(|| {
            format!("the auth of {address} in the docker config is not user:password")
        })?;
        username = Some(u.to_string());
        password = Some(p.trim_end_matches('\n').to_string());
    }
    let identitytoken = e.identitytoken.clone().filter(|t| !t.is_empty());
    let registrytoken = e.registrytoken.clone().filter(|t| !t.is_empty());
    if username.is_none()
        && password.is_none()
        && identitytoken.is_none()
        && registrytoken.is_none()
    {
        return Ok(None);
    }
    Ok(Some(DockerCredentials {
        username,
        password,
        identitytoken,
        registrytoken,
        serveraddress: Some(server_address(address)),
        ..Default::default()
    }))
}

/// The server address docker uses as the key for a registry (and sends to helpers).
fn server_address(address: &str) -> String {
    let domain = registry_domain(address);
    if domain == DOCKER_HUB {
        DOCKER_HUB_ADDRESS.to_string()
    } else {
        domain
    }
}

/// A helper's answer to `get`: `{"ServerURL", "Username", "Secret"}`; a `<token>` user name
/// means the secret is an identity token.
pub fn helper_credentials(server: &str, json: &str) -> Result<DockerCredentials, String> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "Username", default)]
        username: String,
        #[serde(rename = "Secret", default)]
        secret: String,
    }
    let a: Answer = serde_json::from_str(json)
        .map_err(|_| format!("the credential helper's answer for {server} is not valid JSON"))?;
    let mut c = DockerCredentials {
        serveraddress: Some(server_address(server)),
        ..Default::default()
    };
    if a.username == "<token>" {
        c.identitytoken = Some(a.secret);
    } else {
        c.username = Some(a.username);
        c.password = Some(a.secret);
    }
    Ok(c)
}

/// A helper's answer to `list`: `{"server": "user", …}`; the servers.
pub fn helper_servers(json: &str) -> Result<Vec<String>, String> {
    let m: BTreeMap<String, String> = serde_json::from_str(json)
        .map_err(|_| "the credential store's list is not valid JSON".to_string())?;
    Ok(m.into_keys().collect())
}

/// Helper names are file-name parts: nothing that could leave `docker-credential-…`.
fn valid_helper(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// What a helper is asked, and what to do with its answer (pure: which servers to ask whom).
#[derive(Debug, PartialEq, Eq)]
pub enum Ask {
    /// `docker-credential-<helper> get` for this server.
    Get { helper: String, server: String },
    /// `docker-credential-<helper> list`, then `get` for each server it names.
    List { helper: String },
}

/// The credentials in the file itself, and the helpers to ask for the rest. As with docker, a
/// registry with its own `credHelpers` entry is not read from `auths` or the store, and with a
/// `credsStore` the `auths` entries are only placeholders.
pub fn plan(cfg: &DockerConfig) -> Result<(RegistryAuth, Vec<Ask>), String> {
    let mut auth = RegistryAuth::default();
    let mut asks = Vec::new();
    let helped: Vec<String> = cfg
        .cred_helpers
        .keys()
        .map(|k| registry_domain(k))
        .collect();
    for (helper, name) in cfg
        .cred_helpers
        .iter()
        .map(|(server, helper)| (helper, server))
    {
        if !valid_helper(helper) {
            return Err(format!("credHelpers names an invalid helper {helper:?}"));
        }
        asks.push(Ask::Get {
            helper: helper.clone(),
            server: name.clone(),
        });
    }
    match cfg.creds_store.as_deref().filter(|s| !s.is_empty()) {
        Some(store) => {
            if !valid_helper(store) {
                return Err(format!("credsStore names an invalid helper {store:?}"));
            }
            asks.push(Ask::List {
                helper: store.to_string(),
            });
        }
        None => {
            for (address, entry) in &cfg.auths {
                if helped.contains(&registry_domain(address)) {
                    continue;
                }
                if let Some(c) = entry_credentials(address, entry)? {
                    auth.insert(address, c);
                }
            }
        }
    }
    Ok((auth, asks))
}

/// Runs `docker-credential-<helper> <verb>` with `input` on stdin; `Ok(None)` when the helper
/// knows no credentials for the server.
fn run_helper(helper: &str, verb: &str, input: &str) -> Result<Option<String>, String> {
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg(verb)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "the docker config names the credential helper {helper:?}, but {program} is not in PATH: install it, or remove it from the config"
            ),
            _ => format!("cannot run {program}: {e}"),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{program} {verb} failed: {e}"))?;
    let text =
        String::from_utf8_lossy(&out.stdout[..out.stdout.len().min(MAX_HELPER_BYTES)]).to_string();
    if !out.status.success() {
        // "credentials not found in native keychain": nothing stored for that server
        return Ok(None);
    }
    Ok(Some(text))
}

/// Reads the docker CLI's credentials (see the module docs). No config file: no credentials.
pub fn load(docker_config: Option<&str>, home: Option<&str>) -> Result<RegistryAuth, String> {
    let Some(path) = config_path(docker_config, home) else {
        return Ok(RegistryAuth::default());
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(RegistryAuth::default());
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut text = String::new();
    use std::io::Read;
    file.take(MAX_CONFIG_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let cfg = parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let (mut auth, asks) = plan(&cfg)?;
    for ask in asks {
        let (helper, servers) = match ask {
            Ask::Get { helper, server } => (helper, vec![server]),
            Ask::List { helper } => {
                let servers = match run_helper(&helper, "list", "")? {
                    Some(json) => helper_servers(&json)?,
                    None => vec![],
                };
                (helper, servers)
            }
        };
        for server in servers {
            if let Some(json) = run_helper(&helper, "get", &server)? {
                auth.insert(&server, helper_credentials(&server, &json)?);
            }
        }
    }
    Ok(auth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_file_is_where_the_docker_cli_looks() {
        assert_eq!(
            config_path(Some("/etc/dc"), Some("/home/u")),
            Some(PathBuf::from("/etc/dc/config.json"))
        );
        assert_eq!(
            config_path(None, Some("/home/u")),
            Some(PathBuf::from("/home/u/.docker/config.json"))
        );
        assert_eq!(
            config_path(Some(""), Some("/root")),
            Some(PathBuf::from("/root/.docker/config.json"))
        );
        assert_eq!(config_path(None, None), None);
    }

    #[test]
    fn auths_entries_give_user_and_password_by_domain() {
        let cfg = parse(
            r#"{"auths": {
                "https://index.docker.io/v1/": {"auth": "aHViOmh1YnB3"},
                "reg.example:5000": {"auth": "dXNlcjpwYXNzOndpdGg6Y29sb25z"},
                "ghcr.io": {"identitytoken": "tok"},
                "empty.example": {}
            }}"#,
        )
        .unwrap();
        let (auth, asks) = plan(&cfg).unwrap();
        assert!(asks.is_empty());
        let hub = auth.for_image("nginx").unwrap();
        assert_eq!(hub.username.as_deref(), Some("hub"));
        assert_eq!(hub.password.as_deref(), Some("hubpw"));
        assert_eq!(hub.serveraddress.as_deref(), Some(DOCKER_HUB_ADDRESS));
        let reg = auth.for_image("reg.example:5000/app:1").unwrap();
        assert_eq!(reg.username.as_deref(), Some("user"));
        assert_eq!(reg.password.as_deref(), Some("pass:with:colons"));
        let gh = auth.for_image("ghcr.io/me/app").unwrap();
        assert_eq!(gh.identitytoken.as_deref(), Some("tok"));
        assert!(!auth.has_image("empty.example/a"));
    }

    #[test]
    fn a_broken_auth_is_an_error_naming_the_registry() {
        let cfg = parse(r#"{"auths": {"reg.example": {"auth": "!!"}}}"#).unwrap();
        let e = plan(&cfg).unwrap_err();
        assert!(e.contains("reg.example") && e.contains("base64"), "{e}");
        let cfg = parse(r#"{"auths": {"reg.example": {"auth": "bm9jb2xvbg=="}}}"#).unwrap();
        assert!(plan(&cfg).unwrap_err().contains("user:password"));
        assert!(parse("{not json").is_err());
    }

    #[test]
    fn helpers_are_asked_for_their_registries_and_the_store_for_the_rest() {
        let cfg = parse(
            r#"{"auths": {"ghcr.io": {}, "other.example": {"auth": "dTpw"}},
                "credsStore": "desktop",
                "credHelpers": {"123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"}}"#,
        )
        .unwrap();
        let (auth, asks) = plan(&cfg).unwrap();
        assert!(auth.is_empty(), "with a store, auths are placeholders");
        assert_eq!(
            asks,
            vec![
                Ask::Get {
                    helper: "ecr-login".into(),
                    server: "123.dkr.ecr.us-east-1.amazonaws.com".into()
                },
                Ask::List {
                    helper: "desktop".into()
                },
            ]
        );
        let bad = parse(r#"{"credsStore": "../../bin/sh"}"#).unwrap();
        assert!(plan(&bad).is_err());
    }

    #[test]
    fn helper_answers_become_credentials() {
        let c = helper_credentials(
            "https://index.docker.io/v1/",
            r#"{"ServerURL":"https://index.docker.io/v1/","Username":"me","Secret":"s3"}"#,
        )
        .unwrap();
        assert_eq!(
            (c.username.as_deref(), c.password.as_deref()),
            (Some("me"), Some("s3"))
        );
        let t = helper_credentials("ghcr.io", r#"{"Username":"<token>","Secret":"idt"}"#).unwrap();
        assert_eq!(t.identitytoken.as_deref(), Some("idt"));
        assert_eq!(t.username, None);
        assert_eq!(
            helper_servers(r#"{"https://index.docker.io/v1/":"me","ghcr.io":"x"}"#).unwrap(),
            vec![
                "ghcr.io".to_string(),
                "https://index.docker.io/v1/".to_string()
            ]
        );
    }

    #[test]
    fn a_missing_helper_is_a_clear_error_and_no_file_is_no_credentials() {
        let dir = std::env::temp_dir().join(format!("berth-dc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.to_str().unwrap();
        assert!(load(Some(d), None).unwrap().is_empty());
        std::fs::write(
            dir.join("config.json"),
            r#"{"credsStore": "berth-test-no-such-helper"}"#,
        )
        .unwrap();
        let e = load(Some(d), None).unwrap_err();
        assert!(
            e.contains("docker-credential-berth-test-no-such-helper is not in PATH"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
