//! The OIDC tests' OpenID provider: django-oidc-provider (PyPI) in a small Django project
//! (tests/it/oidc/idp), one process per test on a free port of 127.0.0.1, with its own SQLite
//! file, RSA key, one confidential client and the test's users in Django groups. Its Python is
//! the venv scripts/test makes (`target/oidc-venv`, or BERTH_TEST_OIDC_PYTHON).
//!
//! [`Idp::sign_in`] is the browser: berth's /auth/oidc/start, the provider's real login form
//! (its CSRF token and session cookie), and the redirects back to berth's callback.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::http::{Answer, Http};

pub const CLIENT_ID: &str = "berth-test";
pub const CLIENT_SECRET: &str = "berthtestclientsecret0123456789";

pub struct Idp {
    child: Child,
    dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT/openid`
    pub issuer: String,
}

/// A person at the provider: name, password, groups.
pub struct Person<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub groups: &'a [&'a str],
}

fn python() -> PathBuf {
    if let Ok(p) = std::env::var("BERTH_TEST_OIDC_PYTHON") {
        return p.into();
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/oidc-venv/bin/python3");
    assert!(
        p.exists(),
        "the OIDC tests need django-oidc-provider in {}: scripts/test installs it \
         (python3 -m venv target/oidc-venv && target/oidc-venv/bin/pip install -r tests/it/oidc/idp/requirements.txt)",
        p.display()
    );
    p
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/oidc/idp/serve.py")
}

impl Idp {
    /// Starts the provider with a client whose redirect URI is `redirect_uri`.
    pub fn start(redirect_uri: &str, people: &[Person<'_>]) -> Idp {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = serde_json::json!({
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [redirect_uri],
            "users": people.iter().map(|p| serde_json::json!({
                "username": p.username,
                "password": p.password,
                "email": format!("{}@example.com", p.username),
                "groups": p.groups,
            })).collect::<Vec<_>>(),
        });
        let cfg = dir.path().join("config.json");
        std::fs::write(&cfg, config.to_string()).expect("write config");
        let mut child = Command::new(python())
            .arg(script())
            .arg("run")
            .arg(dir.path())
            .arg(&cfg)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the provider's python runs");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let port: u16 = lines
            .next()
            .expect("the provider prints its port")
            .expect("a line")
            .trim()
            .parse()
            .expect("a port");
        Idp {
            child,
            dir,
            issuer: format!("http://127.0.0.1:{port}/openid"),
        }
    }

    /// Puts `username` in exactly `groups` at the provider (its next sign-in sees them).
    pub fn set_groups(&self, username: &str, groups: &[&str]) {
        let out = Command::new(python())
            .arg(script())
            .arg("groups")
            .arg(self.dir.path())
            .arg(username)
            .args(groups)
            .output()
            .expect("the provider's python runs");
        assert!(
            out.status.success(),
            "set groups: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A browser signs in at berth (`berth`: its base URL) through the provider's login form;
    /// returns berth's answer to the callback and the callback's address.
    pub async fn sign_in(
        &self,
        browser: &mut Http,
        berth: &str,
        username: &str,
        password: &str,
    ) -> (Answer, String) {
        let (_, callback) = self
            .sign_in_until_callback(browser, berth, username, password)
            .await;
        (browser.get(&callback).await, callback)
    }

    /// The same up to the provider's redirect back to berth, which is not followed: the
    /// provider's last answer and the callback address it names.
    pub async fn sign_in_until_callback(
        &self,
        browser: &mut Http,
        berth: &str,
        username: &str,
        password: &str,
    ) -> (Answer, String) {
        let (login, login_url) = follow(browser, format!("{berth}/auth/oidc/start")).await;
        assert_eq!(
            login.status, 200,
            "the provider's login form: {}",
            login.body
        );
        let token = field(&login.body, "csrfmiddlewaretoken");
        let next = field(&login.body, "next");
        let posted = browser
            .post(
                &login_url,
                &[
                    ("csrfmiddlewaretoken", &token),
                    ("username", username),
                    ("password", password),
                    ("next", &next),
                ],
            )
            .await;
        assert_eq!(posted.status, 302, "the provider's login: {}", posted.body);
        let mut url = absolute(&login_url, &posted.location);
        // the authorize endpoint, then its redirect to berth's callback
        for _ in 0..5 {
            let a = browser.get(&url).await;
            assert!(
                (300..400).contains(&a.status),
                "{url}: {} {}",
                a.status,
                a.body
            );
            let to = absolute(&url, &a.location);
            if to.starts_with(berth) {
                return (a, to);
            }
            url = to;
        }
        panic!("the provider did not send the browser back to berth");
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Follows redirects from `url`; the last answer and its address.
pub async fn follow(browser: &mut Http, mut url: String) -> (Answer, String) {
    for _ in 0..10 {
        let a = browser.get(&url).await;
        if !(300..400).contains(&a.status) {
            return (a, url);
        }
        url = absolute(&url, &a.location);
    }
    panic!("too many redirects from {url}");
}

/// `location` resolved against `base` (an absolute http URL).
pub fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_string();
    }
    let after = base.find("://").map_or(0, |i| i + 3);
    let origin_end = base[after..].find('/').map_or(base.len(), |i| after + i);
    format!("{}{location}", &base[..origin_end])
}

/// The value of a form field `name` (an `<input name=… value=…>`), HTML entities decoded.
fn field(body: &str, name: &str) -> String {
    let m = format!("name=\"{name}\" value=\"");
    let i = body
        .find(&m)
        .unwrap_or_else(|| panic!("no field {name} in:\n{body}"))
        + m.len();
    body[i..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}
