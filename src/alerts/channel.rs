//! Notification channels: what each kind needs, checked for size and shape before anything is
//! stored (pure). The settings are stored sealed as one JSON text: URLs carry tokens (Slack,
//! ntfy), passwords and webhook secrets are secrets; the page shows only [`Settings::target`].

use serde::{Deserialize, Serialize};

pub const MAX_NAME: usize = 64;
pub const MAX_URL: usize = 2048;
pub const MAX_SECRET: usize = 1024;
pub const MAX_HOST: usize = 253;
pub const MAX_ADDRESSES: usize = 2048;
pub const MAX_RECIPIENTS: usize = 20;
pub const MAX_USERNAME: usize = 256;
pub const MAX_CA_PEM: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Webhook,
    Slack,
    Ntfy,
    Email,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Webhook => "webhook",
            Kind::Slack => "slack",
            Kind::Ntfy => "ntfy",
            Kind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "webhook" => Some(Kind::Webhook),
            "slack" => Some(Kind::Slack),
            "ntfy" => Some(Kind::Ntfy),
            "email" => Some(Kind::Email),
            _ => None,
        }
    }
}

/// How the SMTP connection is secured (never in clear: a password goes over it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// plain connection upgraded with STARTTLS, required (port 587)
    Starttls,
    /// TLS from the first byte (port 465)
    Tls,
}

/// A channel's full settings, secrets included (sealed at rest, held by the engine in memory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Settings {
    Webhook {
        url: String,
        /// HMAC-SHA256 key: the body's signature goes in `X-Berth-Signature-256`
        secret: Option<String>,
    },
    Slack {
        url: String,
    },
    Ntfy {
        url: String,
        /// access token (`Authorization: Bearer`)
        token: Option<String>,
    },
    Email {
        host: String,
        port: u16,
        tls: SmtpTls,
        from: String,
        to: Vec<String>,
        username: Option<String>,
        password: Option<String>,
        /// a CA to trust besides Mozilla's roots (a private mail relay)
        ca_pem: Option<String>,
    },
}

impl Settings {
    pub fn kind(&self) -> Kind {
        match self {
            Settings::Webhook { .. } => Kind::Webhook,
            Settings::Slack { .. } => Kind::Slack,
            Settings::Ntfy { .. } => Kind::Ntfy,
            Settings::Email { .. } => Kind::Email,
        }
    }

    /// What the page may show: a URL's scheme and host only (paths carry tokens), or the
    /// recipients and the mail server.
    pub fn target(&self) -> String {
        match self {
            Settings::Webhook { url, .. }
            | Settings::Slack { url }
            | Settings::Ntfy { url, .. } => match reqwest::Url::parse(url) {
                Ok(u) => format!(
                    "{}://{}{}/…",
                    u.scheme(),
                    u.host_str().unwrap_or(""),
                    u.port().map(|p| format!(":{p}")).unwrap_or_default()
                ),
                Err(_) => "(unreadable address)".into(),
            },
            Settings::Email { host, port, to, .. } => {
                format!("{} via {host}:{port}", to.join(", "))
            }
        }
    }
}

/// The form of `POST /alerts/channels` (the field names).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ChannelForm {
    pub kind: String,
    pub name: String,
    pub url: String,
    /// webhook: the HMAC key
    pub secret: String,
    pub smtp_host: String,
    pub smtp_port: String,
    /// `starttls` (default) or `tls`
    pub smtp_tls: String,
    pub from: String,
    pub to: String,
    pub username: String,
    /// SMTP password, or the ntfy access token
    pub password: String,
    pub ca_pem: String,
}

fn too_long(what: &str, max: usize) -> String {
    format!("{what} is too long (at most {max} characters).")
}

fn check_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("Enter the address to send to (https://…).".into());
    }
    if url.len() > MAX_URL {
        return Err(too_long("The address", MAX_URL));
    }
    let u = reqwest::Url::parse(url).map_err(|e| format!("The address is not a URL: {e}."))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Err("The address must be an http:// or https:// URL with a host.".into());
    }
    Ok(url.to_string())
}

fn optional(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// Checks a channel form: sizes first, then shapes. The name and the settings to store.
pub fn check(f: &ChannelForm) -> Result<(String, Settings), String> {
    for (what, v, max) in [
        ("The name", &f.name, MAX_NAME),
        ("The address", &f.url, MAX_URL),
        ("The secret", &f.secret, MAX_SECRET),
        ("The SMTP host", &f.smtp_host, MAX_HOST),
        ("The sender", &f.from, MAX_USERNAME),
        ("The recipients", &f.to, MAX_ADDRESSES),
        ("The user name", &f.username, MAX_USERNAME),
        ("The password", &f.password, MAX_SECRET),
        ("The CA certificate", &f.ca_pem, MAX_CA_PEM),
    ] {
        if v.len() > max {
            return Err(too_long(what, max));
        }
    }
    if f.smtp_port.len() > 5 || f.kind.len() > 16 || f.smtp_tls.len() > 16 {
        return Err("A field is too long.".into());
    }
    let name = f.name.trim();
    if name.is_empty() {
        return Err("Give the channel a name.".into());
    }
    if name.chars().any(char::is_control) {
        return Err("The name cannot contain control characters.".into());
    }
    for s in [&f.secret, &f.password] {
        if s.chars().any(char::is_control) {
            return Err("A secret or password cannot contain control characters.".into());
        }
    }
    let kind = Kind::parse(f.kind.trim())
        .ok_or("Choose the kind of channel: webhook, slack, ntfy or email.")?;
    let settings = match kind {
        Kind::Webhook => Settings::Webhook {
            url: check_url(&f.url)?,
            secret: optional(&f.secret),
        },
        Kind::Slack => Settings::Slack {
            url: check_url(&f.url)?,
        },
        Kind::Ntfy => Settings::Ntfy {
            url: check_url(&f.url)?,
            token: optional(&f.password),
        },
        Kind::Email => check_email(f)?,
    };
    Ok((name.to_string(), settings))
}

fn check_email(f: &ChannelForm) -> Result<Settings, String> {
    let host = f.smtp_host.trim();
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    {
        return Err("Enter the SMTP server's host name (smtp.example.com).".into());
    }
    let tls = match f.smtp_tls.trim() {
        "" | "starttls" => SmtpTls::Starttls,
        "tls" => SmtpTls::Tls,
        _ => return Err("The connection security is starttls or tls.".into()),
    };
    let port = match f.smtp_port.trim() {
        "" => match tls {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        },
        p => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or("The SMTP port is a number from 1 to 65535.")?,
    };
    let from = f.from.trim();
    from.parse::<lettre::message::Mailbox>()
        .map_err(|_| format!("The sender “{from}” is not an email address."))?;
    let to: Vec<String> =
        f.to.split([',', '\n', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
    if to.is_empty() {
        return Err("Enter at least one recipient.".into());
    }
    if to.len() > MAX_RECIPIENTS {
        return Err(format!("At most {MAX_RECIPIENTS} recipients."));
    }
    for t in &to {
        t.parse::<lettre::message::Mailbox>()
            .map_err(|_| format!("The recipient “{t}” is not an email address."))?;
    }
    let username = optional(f.username.trim());
    let password = optional(&f.password);
    if username.is_some() != password.is_some() {
        return Err("Give both the user name and the password, or neither.".into());
    }
    let ca = f.ca_pem.trim();
    let ca_pem = if ca.is_empty() {
        None
    } else {
        crate::registry::client::check_ca_pem(ca)
            .map_err(|e| format!("The CA certificate is not usable: {e}. Paste its PEM text."))?;
        Some(format!("{ca}\n"))
    };
    Ok(Settings::Email {
        host: host.to_string(),
        port,
        tls,
        from: from.to_string(),
        to,
        username,
        password,
        ca_pem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str, url: &str) -> ChannelForm {
        ChannelForm {
            kind: kind.into(),
            name: "ops".into(),
            url: url.into(),
            ..Default::default()
        }
    }

    #[test]
    fn channel_forms_are_checked_before_anything_is_stored() {
        let (name, s) = check(&form("slack", "https://hooks.slack.com/services/T/B/tok")).unwrap();
        assert_eq!(name, "ops");
        assert_eq!(s.target(), "https://hooks.slack.com/…");
        assert!(check(&form("pager", "https://x")).is_err());
        assert!(check(&form("webhook", "ftp://x/y")).is_err());
        assert!(check(&form("webhook", "")).is_err());
        assert!(check(&form("ntfy", &format!("https://n/{}", "a".repeat(MAX_URL)))).is_err());
        let mut nameless = form("slack", "https://x/y");
        nameless.name = " ".into();
        assert!(check(&nameless).is_err());
    }

    #[test]
    fn email_needs_a_server_a_sender_and_recipients() {
        let mut f = form("email", "");
        f.smtp_host = "smtp.example.com".into();
        f.from = "berth@example.com".into();
        f.to = "a@example.com, b@example.com".into();
        let (_, s) = check(&f).unwrap();
        match &s {
            Settings::Email { port, tls, to, .. } => {
                assert_eq!((*port, *tls, to.len()), (587, SmtpTls::Starttls, 2));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            s.target(),
            "a@example.com, b@example.com via smtp.example.com:587"
        );
        f.username = "me".into();
        assert!(check(&f).is_err(), "a user name without a password");
        f.password = "pw".into();
        assert!(check(&f).is_ok());
        f.to = "not an address".into();
        assert!(check(&f).is_err());
        f.to = "a@example.com".into();
        f.smtp_port = "70000".into();
        assert!(check(&f).is_err());
        f.smtp_port = "25".into();
        f.ca_pem = "junk".into();
        assert!(check(&f).is_err());
    }

    #[test]
    fn settings_round_trip_through_json() {
        let s = Settings::Webhook {
            url: "https://h/x".into(),
            secret: Some("k".into()),
        };
        let back: Settings = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}
