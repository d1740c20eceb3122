//! Alerts (issue 15) against the `alerts` lab (1 manager + 1 worker, 1 s heartbeat), with a
//! real webhook receiver and a real SMTP server (STARTTLS and a login required) as channels:
//! a missing image raises one alert naming Docker's error, then a resolved message; a killed
//! node raises "node down"; a rollback from the docker CLI raises "update rolled back"; a
//! muted stack raises nothing. Each test holds the lab alone (one kills its worker) and
//! prints how long the notification took after the event.

mod api;
mod channels;
mod flows;

use std::time::Instant;

use crate::harness::sinks::Sink;
use crate::harness::{Lab, TestApp, lab};

const MAIL_USER: &str = "berth-alerts";
const MAIL_PASSWORD: &str = "mail-password-1";
const HOOK_SECRET: &str = "hook-secret-1";

pub fn alerts_lab() -> &'static Lab {
    lab("alerts")
}

/// An app on the alerts lab with a webhook and an email channel, its alert engine running.
pub struct Setup {
    pub app: TestApp,
    pub hook: Sink,
    pub mail: Sink,
    engine: tokio::task::JoinHandle<()>,
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.engine.abort();
    }
}

pub async fn setup() -> Setup {
    let lab = alerts_lab();
    let app = TestApp::signed_in(&lab.manager_host()).await;
    let hook = Sink::webhook();
    let mail = Sink::smtp(MAIL_USER, MAIL_PASSWORD);
    app.post(
        "/alerts/channels",
        &[
            ("kind", "webhook"),
            ("name", "hook"),
            ("url", &hook.url("/alerts?token=t0ps3cret")),
            ("secret", HOOK_SECRET),
        ],
    )
    .await
    .expect_redirect("/alerts");
    app.post(
        "/alerts/channels",
        &[
            ("kind", "email"),
            ("name", "mail"),
            ("smtp_host", "127.0.0.1"),
            ("smtp_port", &mail.port.to_string()),
            ("from", "berth@example.test"),
            ("to", "ops@example.test"),
            ("username", MAIL_USER),
            ("password", MAIL_PASSWORD),
            ("ca_pem", &mail.ca_pem),
        ],
    )
    .await
    .expect_redirect("/alerts");
    let engine = berth::alerts::start(&app.state);
    Setup {
        app,
        hook,
        mail,
        engine,
    }
}

/// One event as the webhook received it.
#[derive(Debug, Clone)]
pub struct Got {
    pub at: Instant,
    pub status: String,
    pub title: String,
    pub detail: String,
    pub link: String,
}

impl Setup {
    /// The webhook's events about `subject`, in the order received; each body's signature
    /// checked.
    pub fn hook_events(&self, subject: &str) -> Vec<Got> {
        let mut out = Vec::new();
        for (at, req) in self.hook.received() {
            let body = req["body"].as_str().unwrap_or_default();
            let sig = req["headers"]["x-berth-signature-256"]
                .as_str()
                .unwrap_or_default();
            assert_eq!(
                sig,
                berth::alerts::notify::signature(HOOK_SECRET, body.as_bytes()),
                "a signed webhook's body"
            );
            let v: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
            for e in v["events"].as_array().into_iter().flatten() {
                if e["subject"] == subject {
                    out.push(Got {
                        at,
                        status: e["status"].as_str().unwrap_or_default().into(),
                        title: e["title"].as_str().unwrap_or_default().into(),
                        detail: e["detail"].as_str().unwrap_or_default().into(),
                        link: e["link"].as_str().unwrap_or_default().into(),
                    });
                }
            }
        }
        out
    }

    /// The emails whose text mentions `needle`: (when, whole message); each came over TLS
    /// with the login.
    pub fn mails(&self, needle: &str) -> Vec<(Instant, String)> {
        self.mail
            .received()
            .into_iter()
            .filter_map(|(at, m)| {
                // quoted-printable soft line breaks joined again
                let data = m["data"]
                    .as_str()
                    .unwrap_or_default()
                    .replace("=\r\n", "")
                    .replace("=\n", "")
                    .replace("=3D", "=");
                assert_eq!(m["tls"], true, "mail sent after STARTTLS");
                assert_eq!(m["authenticated"], true, "mail sent after the login");
                data.contains(needle).then_some((at, data))
            })
            .collect()
    }
}
