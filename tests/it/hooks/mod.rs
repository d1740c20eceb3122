//! Deploy webhooks from curl against a real berth server and swarm: made on the stack page,
//! called without a session, refused without the right secret or signature, rotated, and
//! rate-limited.

mod deploy;
mod refusals;

use crate::harness::TestApp;
use crate::harness::app::Resp;
use crate::harness::curl::{Curl, Reply};

/// Makes a webhook of `stack` on its page (`kind`: plain or signed); returns the token at the
/// end of its address and, for a signed hook, its signing key — as the page shows them once.
pub async fn make_hook(app: &TestApp, stack: &str, kind: &str) -> (String, Option<String>) {
    let page = app
        .post(&format!("/stacks/{stack}/webhooks"), &[("kind", kind)])
        .await
        .expect(200);
    (token_on(&page), signing_key_on(&page))
}

pub fn token_on(page: &Resp) -> String {
    let url = crate::stacks::testid(&page.body, "new-webhook-url");
    let (_, token) = url
        .split_once("/hooks/")
        .unwrap_or_else(|| panic!("no webhook address on the page:\n{}", page.body));
    token.to_string()
}

pub fn signing_key_on(page: &Resp) -> Option<String> {
    Some(crate::stacks::testid(&page.body, "new-webhook-signing-key")).filter(|k| !k.is_empty())
}

/// POSTs `body` (with `content_type`) to a hook as curl, with extra headers.
pub fn call(base: &str, path: &str, content_type: &str, body: &str, headers: &[String]) -> Reply {
    let mut args = vec![
        "-X".to_string(),
        "POST".to_string(),
        "-H".to_string(),
        format!("Content-Type: {content_type}"),
        "--data-binary".to_string(),
        body.to_string(),
    ];
    for h in headers {
        args.push("-H".into());
        args.push(h.clone());
    }
    Curl::new(&[]).run(&format!("{base}{path}"), &args)
}

pub fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body))
}

/// The HMAC-SHA256 of `body` under `key`, as openssl computes it (`sha256=<hex>`).
pub fn openssl_signature(key: &str, body: &str) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-hmac", key, "-r"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    format!("sha256={}", text.split_whitespace().next().unwrap())
}
