//! Sending one message (one or more alert events, grouped) to one channel: a JSON webhook
//! (optionally signed), a Slack-compatible incoming webhook, ntfy, or email over SMTP with
//! STARTTLS or TLS and authentication (lettre, rustls on the ring provider). Errors say what
//! failed without repeating a URL (it may carry a token) or a password.

use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;
use sha2::Sha256;

use super::channel::{Settings, SmtpTls};

/// The header a signed webhook carries: `sha256=<hex of HMAC-SHA256(secret, body)>`.
pub const SIGNATURE_HEADER: &str = "X-Berth-Signature-256";
/// How long one send may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Firing,
    Resolved,
    /// "send a test"
    Test,
}

/// One alert raised or resolved, as channels receive it.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub status: Status,
    pub rule: &'static str,
    pub title: String,
    pub detail: String,
    /// the service or node name
    pub subject: String,
    pub stack: String,
    /// berth's page about it (absolute with BERTH_PUBLIC_URL)
    pub link: String,
    pub raised_at: i64,
    pub resolved_at: Option<i64>,
}

impl Event {
    fn line(&self) -> String {
        let mark = match self.status {
            Status::Firing => "ALERT",
            Status::Resolved => "RESOLVED",
            Status::Test => "TEST",
        };
        format!("[{mark}] {} - {} ({})", self.title, self.detail, self.link)
    }
}

/// The subject line of a message.
pub fn summary(events: &[Event]) -> String {
    match events {
        [one] => {
            let mark = match one.status {
                Status::Firing => "Alert",
                Status::Resolved => "Resolved",
                Status::Test => "Test",
            };
            format!("[berth] {mark}: {}", one.title)
        }
        many => {
            let firing = many.iter().filter(|e| e.status == Status::Firing).count();
            let resolved = many.iter().filter(|e| e.status == Status::Resolved).count();
            format!("[berth] {firing} alert(s), {resolved} resolved")
        }
    }
}

/// The plain-text body of a message: one line per event.
pub fn text(events: &[Event]) -> String {
    events
        .iter()
        .map(Event::line)
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Serialize)]
struct WebhookBody<'a> {
    source: &'static str,
    summary: String,
    events: &'a [Event],
}

/// The signature header value for `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Sends `events` as one message through the channel.
pub async fn send(settings: &Settings, events: &[Event]) -> Result<(), String> {
    match tokio::time::timeout(SEND_TIMEOUT, send_inner(settings, events)).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {} s", SEND_TIMEOUT.as_secs())),
    }
}

async fn send_inner(settings: &Settings, events: &[Event]) -> Result<(), String> {
    match settings {
        Settings::Webhook { url, secret } => {
            let body = serde_json::to_vec(&WebhookBody {
                source: "berth",
                summary: summary(events),
                events,
            })
            .map_err(|e| e.to_string())?;
            let mut req = client()?
                .post(url)
                .header("content-type", "application/json");
            if let Some(secret) = secret {
                req = req.header(SIGNATURE_HEADER, signature(secret, &body));
            }
            answer(req.body(body).send().await).await
        }
        Settings::Slack { url } => {
            let body =
                serde_json::json!({ "text": format!("{}\n{}", summary(events), text(events)) });
            let req = client()?
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_string());
            answer(req.send().await).await
        }
        Settings::Ntfy { url, token } => {
            let firing = events.iter().any(|e| e.status == Status::Firing);
            let mut req = client()?
                .post(url)
                .header("Title", summary(events))
                .header(
                    "Tags",
                    if firing {
                        "warning"
                    } else {
                        "white_check_mark"
                    },
                )
                .header("Priority", if firing { "high" } else { "default" });
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            answer(req.body(text(events)).send().await).await
        }
        Settings::Email { .. } => email(settings, events).await,
    }
}

fn client() -> Result<reqwest::Client, String> {
    crate::registry::client::http_client(None)
}

async fn answer(r: Result<reqwest::Response, reqwest::Error>) -> Result<(), String> {
    let resp = r.map_err(|e| {
        // without the URL: it may carry a token
        let e = e.without_url();
        if e.is_connect() {
            format!("cannot connect: {e}")
        } else if e.is_timeout() {
            "timed out".to_string()
        } else {
            e.to_string()
        }
    })?;
    let status = resp.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered {status}"))
    }
}

async fn email(settings: &Settings, events: &[Event]) -> Result<(), String> {
    let Settings::Email {
        host,
        port,
        tls,
        from,
        to,
        username,
        password,
        ca_pem,
    } = settings
    else {
        return Err("not an email channel".into());
    };
    let from: Mailbox = from.parse().map_err(|e| format!("sender: {e}"))?;
    let mut msg = Message::builder().from(from).subject(summary(events));
    for t in to {
        msg = msg.to(t.parse().map_err(|e| format!("recipient {t}: {e}"))?);
    }
    let msg = msg
        .header(ContentType::TEXT_PLAIN)
        .body(text(events))
        .map_err(|e| e.to_string())?;
    let mut params = TlsParameters::builder(host.trim_matches(['[', ']']).to_string());
    if let Some(pem) = ca_pem {
        let cert = Certificate::from_pem(pem.as_bytes()).map_err(|e| format!("CA: {e}"))?;
        params = params.add_root_certificate(cert);
    }
    let params = params.build_rustls().map_err(|e| format!("TLS: {e}"))?;
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str())
        .port(*port)
        .timeout(Some(SEND_TIMEOUT))
        .tls(match tls {
            SmtpTls::Starttls => Tls::Required(params),
            SmtpTls::Tls => Tls::Wrapper(params),
        });
    if let (Some(u), Some(p)) = (username, password) {
        transport = transport.credentials(Credentials::new(u.clone(), p.clone()));
    }
    transport
        .build()
        .send(msg)
        .await
        .map(|_| ())
        .map_err(|e| format!("the mail server refused or failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(status: Status, title: &str) -> Event {
        Event {
            status,
            rule: "node_down",
            title: title.into(),
            detail: "d".into(),
            subject: "n1".into(),
            stack: String::new(),
            link: "/nodes/x".into(),
            raised_at: 1,
            resolved_at: None,
        }
    }

    #[test]
    fn one_event_names_itself_and_several_are_counted() {
        assert_eq!(
            summary(&[ev(Status::Firing, "node n1 is down")]),
            "[berth] Alert: node n1 is down"
        );
        let two = [ev(Status::Firing, "a"), ev(Status::Resolved, "b")];
        assert_eq!(summary(&two), "[berth] 1 alert(s), 1 resolved");
        assert_eq!(text(&two).lines().count(), 2);
    }

    #[test]
    fn signatures_are_hmac_sha256_in_hex() {
        // RFC 4231 test case 2
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
