//! OpenID Connect sign-in (issue 18): the settings an admin gives (checked here, before any
//! work), the mapping of the provider's groups to a role and teams, and the flow itself
//! ([`provider`]: discovery, the authorization code with PKCE, the ID token's checks).
//!
//! Pure except for [`provider`]; the web side is `web::oidc`, storage `db::oidc`.

pub mod mapping;
pub mod provider;

pub use mapping::{decide, groups_of, parse_role_map, parse_team_map};

use std::net::IpAddr;

use openidconnect::url::{Host, Url};

use crate::auth::roles::Role;

pub const MAX_ISSUER_LEN: usize = 512;
pub const MAX_CLIENT_ID_LEN: usize = 255;
pub const MAX_CLIENT_SECRET_LEN: usize = 1024;
pub const MAX_DISPLAY_NAME_LEN: usize = 64;
pub const MAX_SCOPES_LEN: usize = 256;
pub const MAX_SCOPES: usize = 10;
pub const MAX_CLAIM_LEN: usize = 64;
/// Each of the two mappings, in bytes and in lines.
pub const MAX_MAP_LEN: usize = 8 * 1024;
pub const MAX_MAP_LINES: usize = 200;
pub const MAX_CA_PEM_LEN: usize = 64 * 1024;

/// The provider's settings, as stored (the client secret in the clear only in memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub enabled: bool,
    /// the issuer URL, without a trailing slash unless the provider has one
    pub issuer: String,
    pub client_id: String,
    /// empty: a public client (PKCE alone)
    pub client_secret: String,
    /// "Sign in with {display_name}"
    pub display_name: String,
    /// scopes asked for besides `openid`, space-separated
    pub scopes: String,
    /// the ID token claim that lists the person's groups
    pub groups_claim: String,
    /// one `group = role` a line
    pub role_map: String,
    /// one `group = team, team` a line
    pub team_map: String,
    /// the role of people in no group of the role map; `None` refuses them
    pub default_role: Option<Role>,
    /// plain http to a provider that is not on this machine
    pub allow_http: bool,
    /// a CA certificate (PEM) the provider's TLS certificate may chain to, besides the web's
    pub ca_pem: Option<String>,
}

impl Settings {
    /// The role map, parsed (stored settings were checked when saved).
    pub fn roles(&self) -> Vec<(String, Role)> {
        parse_role_map(&self.role_map).unwrap_or_default()
    }

    pub fn teams(&self) -> Vec<(String, Vec<String>)> {
        parse_team_map(&self.team_map).unwrap_or_default()
    }

    /// The scopes asked for besides `openid`.
    pub fn scope_list(&self) -> Vec<String> {
        self.scopes
            .split_whitespace()
            .filter(|s| *s != "openid")
            .map(str::to_string)
            .collect()
    }
}

/// What an admin typed on /settings, before any check.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct Form {
    pub enabled: String,
    pub issuer: String,
    pub client_id: String,
    /// empty keeps the stored secret; `clear_secret` removes it
    pub client_secret: String,
    pub clear_secret: String,
    pub display_name: String,
    pub scopes: String,
    pub groups_claim: String,
    pub role_map: String,
    pub team_map: String,
    /// a role, or `refuse`
    pub default_role: String,
    pub allow_http: String,
    pub ca_pem: String,
}

fn checked(v: &str) -> bool {
    matches!(v, "on" | "true" | "1" | "yes")
}

/// Checks every field of the form (sizes first, then shapes) and builds the settings;
/// `stored_secret` is kept when the form leaves the secret empty. The message is for the admin.
pub fn validate(f: &Form, stored_secret: Option<&str>) -> Result<Settings, String> {
    // sizes first: nothing long is parsed
    let sizes = [
        (f.issuer.len(), MAX_ISSUER_LEN, "The issuer URL"),
        (f.client_id.len(), MAX_CLIENT_ID_LEN, "The client id"),
        (
            f.client_secret.len(),
            MAX_CLIENT_SECRET_LEN,
            "The client secret",
        ),
        (
            f.display_name.len(),
            MAX_DISPLAY_NAME_LEN * 4,
            "The display name",
        ),
        (f.scopes.len(), MAX_SCOPES_LEN, "The scopes"),
        (f.groups_claim.len(), MAX_CLAIM_LEN, "The groups claim"),
        (f.role_map.len(), MAX_MAP_LEN, "The group → role map"),
        (f.team_map.len(), MAX_MAP_LEN, "The group → team map"),
        (f.default_role.len(), 16, "The default role"),
        (f.ca_pem.len(), MAX_CA_PEM_LEN, "The CA certificate"),
        (
            f.enabled.len() + f.allow_http.len() + f.clear_secret.len(),
            32,
            "A checkbox",
        ),
    ];
    for (len, max, what) in sizes {
        if len > max {
            return Err(format!("{what} is too long (at most {max} bytes)."));
        }
    }
    let allow_http = checked(&f.allow_http);
    let issuer = check_issuer(f.issuer.trim(), allow_http)?;
    let client_id = f.client_id.trim();
    if client_id.is_empty() || !client_id.chars().all(|c| c.is_ascii_graphic()) {
        return Err("The client id is 1 to 255 printable characters without spaces.".into());
    }
    let secret = if checked(&f.clear_secret) {
        String::new()
    } else if f.client_secret.is_empty() {
        stored_secret.unwrap_or_default().to_string()
    } else {
        if f.client_secret.chars().any(char::is_control) {
            return Err("The client secret has a control character.".into());
        }
        f.client_secret.clone()
    };
    let display_name = f.display_name.trim();
    let display_name = if display_name.is_empty() {
        "OpenID Connect"
    } else {
        display_name
    };
    if display_name.chars().count() > MAX_DISPLAY_NAME_LEN
        || display_name.chars().any(char::is_control)
    {
        return Err("The display name is at most 64 characters on one line.".into());
    }
    let scopes: Vec<&str> = f.scopes.split_whitespace().collect();
    if scopes.len() > MAX_SCOPES || !scopes.iter().all(|s| is_token(s)) {
        return Err(
            "Scopes are at most 10 words of letters, digits and . _ - : / (besides openid).".into(),
        );
    }
    let groups_claim = f.groups_claim.trim();
    let groups_claim = if groups_claim.is_empty() {
        "groups"
    } else {
        groups_claim
    };
    if !is_token(groups_claim) {
        return Err("The groups claim is a name of letters, digits and . _ - : /".into());
    }
    let roles = parse_role_map(&f.role_map)?;
    let teams = parse_team_map(&f.team_map)?;
    let default_role = match f.default_role.trim() {
        "" | "refuse" => None,
        r => Some(
            r.parse::<Role>()
                .map_err(|_| "The default role is a role or “refuse sign-in”.".to_string())?,
        ),
    };
    let ca = f.ca_pem.trim();
    let ca_pem = if ca.is_empty() {
        None
    } else {
        crate::registry::client::check_ca_pem(ca)?;
        Some(ca.to_string())
    };
    Ok(Settings {
        enabled: checked(&f.enabled),
        issuer,
        client_id: client_id.to_string(),
        client_secret: secret,
        display_name: display_name.to_string(),
        scopes: scopes.join(" "),
        groups_claim: groups_claim.to_string(),
        role_map: mapping::render_role_map(&roles),
        team_map: mapping::render_team_map(&teams),
        default_role,
        allow_http,
        ca_pem,
    })
}

/// A scope or claim name: 1 to 64 of letters, digits and `. _ - : /`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_CLAIM_LEN
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '/'))
}

/// An issuer URL: https (or http to this machine, or anywhere when `allow_http`), a host, no
/// user, query or fragment. Returned without a trailing slash unless it has a path.
pub fn check_issuer(raw: &str, allow_http: bool) -> Result<String, String> {
    let bad =
        |why: &str| format!("The issuer URL {why} (e.g. https://login.example.com/realms/main).");
    if raw.is_empty() {
        return Err(bad("is missing"));
    }
    let url = Url::parse(raw).map_err(|_| bad("does not parse"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not hold a user or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    if url.host().is_none() {
        return Err(bad("needs a host"));
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(&url) => {}
        "http" => {
            return Err(bad(
                "must use https (plain http only to this machine, or with “allow insecure http”)",
            ));
        }
        _ => return Err(bad("must start with https://")),
    }
    // as typed (the provider's own `issuer` must match it exactly), less a lone trailing slash
    let s = raw.to_string();
    Ok(if url.path() == "/" {
        s.trim_end_matches('/').to_string()
    } else {
        s
    })
}

/// Whether a URL's host is this machine (127.0.0.0/8, ::1, localhost).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        Form {
            enabled: "on".into(),
            issuer: "https://id.example.com/realms/main".into(),
            client_id: "berth".into(),
            client_secret: "s3cret".into(),
            role_map: "berth-admins = admin\nteam-a-deployers = deployer\n".into(),
            team_map: "team-a-deployers = team-a, team-b\n".into(),
            ..Form::default()
        }
    }

    #[test]
    fn a_good_form_gives_settings_with_defaults() {
        let s = validate(&form(), None).unwrap();
        assert!(s.enabled);
        assert_eq!(s.groups_claim, "groups");
        assert_eq!(s.display_name, "OpenID Connect");
        assert_eq!(s.default_role, None);
        assert_eq!(s.client_secret, "s3cret");
    }

    #[test]
    fn an_empty_secret_keeps_the_stored_one_and_clear_removes_it() {
        let mut f = form();
        f.client_secret.clear();
        assert_eq!(validate(&f, Some("old")).unwrap().client_secret, "old");
        f.clear_secret = "on".into();
        assert_eq!(validate(&f, Some("old")).unwrap().client_secret, "");
    }

    #[test]
    fn issuers_are_https_or_loopback_http() {
        assert!(check_issuer("https://a.example/", false).is_ok());
        assert_eq!(
            check_issuer("https://a.example/", false).unwrap(),
            "https://a.example"
        );
        assert!(check_issuer("http://127.0.0.1:8000/openid", false).is_ok());
        assert!(check_issuer("http://localhost/openid", false).is_ok());
        assert!(check_issuer("http://[::1]:80/x", false).is_ok());
        assert!(check_issuer("http://id.example.com", false).is_err());
        assert!(check_issuer("http://id.example.com", true).is_ok());
        assert!(check_issuer("ftp://id.example.com", true).is_err());
        assert!(check_issuer("https://u:p@id.example.com", false).is_err());
        assert!(check_issuer("https://id.example.com/?a=b", false).is_err());
        assert!(check_issuer("not a url", false).is_err());
    }

    #[test]
    fn oversized_and_misshapen_fields_are_refused() {
        let mut f = form();
        f.issuer = format!("https://{}.example", "a".repeat(600));
        assert!(validate(&f, None).unwrap_err().contains("too long"));
        let mut f = form();
        f.role_map = "g = root".into();
        assert!(validate(&f, None).is_err());
        let mut f = form();
        f.team_map = "g = <b>".into();
        assert!(validate(&f, None).is_err());
        let mut f = form();
        f.team_map = "no equals sign".into();
        assert!(validate(&f, None).is_err());
        let mut f = form();
        f.client_id = "two words".into();
        assert!(validate(&f, None).is_err());
        let mut f = form();
        f.default_role = "root".into();
        assert!(validate(&f, None).is_err());
        let mut f = form();
        f.scopes = "a b c d e f g h i j k".into();
        assert!(validate(&f, None).is_err());
        let mut f = form();
        f.role_map = "g = viewer\n".repeat(MAX_MAP_LINES + 1);
        assert!(validate(&f, None).is_err());
    }
}
