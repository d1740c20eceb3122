//! HTTPS by default (issue 11): berth serves a self-signed certificate it creates (its
//! fingerprint in the log is the one served) or the one it is given; with an https
//! BERTH_PUBLIC_URL cookies are Secure with __Host- names, HSTS is sent, plain HTTP redirects
//! and other host names are refused; over plain HTTP from another machine the settings page
//! warns. A real TLS client (curl, openssl) and the real binary on free ports.

use std::process::Command;

use crate::harness::app::{ADMIN, PASSWORD};
use crate::harness::curl::{Curl, file_fingerprint, make_certificate, served_fingerprint};
use crate::harness::http::Http;
use crate::harness::lab;
use crate::harness::process::{Running, free_port, outside_address};

fn fingerprint_in(line: &str) -> String {
    line.rsplit("fingerprint: ")
        .next()
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == ':')
        .collect()
}

fn setup_code(berth: &Running) -> String {
    let line = berth.wait_line("setup code:", 20);
    line.rsplit("setup code:")
        .next()
        .unwrap()
        .chars()
        .skip_while(|c| c.is_whitespace())
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// Median of `curl -w '%{time_appconnect} %{time_starttransfer}'` over `n` fresh connections.
fn time_to_first_byte(url: &str, extra: &[&str], n: usize) -> (f64, f64) {
    let mut connect = Vec::new();
    let mut first = Vec::new();
    for _ in 0..n {
        let out = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{time_appconnect} %{time_starttransfer}",
            ])
            .args(extra)
            .arg(url)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let mut it = text.split_whitespace().map(|v| v.parse::<f64>().unwrap());
        connect.push(it.next().unwrap());
        first.push(it.next().unwrap());
    }
    connect.sort_by(f64::total_cmp);
    first.sort_by(f64::total_cmp);
    (connect[n / 2] * 1000.0, first[n / 2] * 1000.0)
}

#[tokio::test]
async fn https_serves_the_generated_certificate_whose_fingerprint_berth_logs() {
    let one = lab("one");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let berth = Running::start(dir.path(), port, &one.manager_host());
    let code = setup_code(&berth);
    let logged = fingerprint_in(&berth.wait_line("fingerprint: ", 10));
    berth.wait_line("listening on", 10);
    assert_eq!(logged.len(), 95, "a SHA-256 fingerprint: {logged}");
    let hp = berth.https_port;
    assert_eq!(served_fingerprint(hp, "localhost"), logged);

    // the certificate in the data directory verifies a real client: setup over HTTPS
    let cert = dir.path().join("tls/cert.pem");
    let key = dir.path().join("tls/key.pem");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the TLS key is readable by berth only");
    let resolve = format!("localhost:{hp}:127.0.0.1");
    let c = Curl::new(&["--cacert", cert.to_str().unwrap(), "--resolve", &resolve]);
    let base = format!("https://localhost:{hp}");
    assert_eq!(c.get(&format!("{base}/setup")).status, 200);
    let r = c.post(
        &format!("{base}/setup"),
        &[
            ("setup_code", &code),
            ("username", ADMIN),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    );
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/")),
        "{}",
        r.body
    );
    let r = c.get(&format!("{base}/"));
    assert_eq!(r.status, 200);
    assert!(r.body.contains("data-testid=\"nodes-total\""), "{}", r.body);
    // without a public URL: plain names, no HSTS, HTTP still served
    assert!(c.cookie("berth_session").is_some());
    assert!(r.header("strict-transport-security").is_none());
    assert_eq!(
        Http::new(&format!("http://127.0.0.1:{port}"))
            .get("/login")
            .await
            .status,
        200
    );

    let (tls_connect, tls_first) = time_to_first_byte(
        &format!("{base}/login"),
        &["--cacert", cert.to_str().unwrap(), "--resolve", &resolve],
        21,
    );
    let (_, plain_first) = time_to_first_byte(&format!("http://127.0.0.1:{port}/login"), &[], 21);
    println!(
        "figure: time to first byte of /login, median of 21 fresh connections (debug build unless BERTH_TEST_BINARY): https {tls_first:.2} ms (TLS handshake done at {tls_connect:.2} ms), http {plain_first:.2} ms"
    );

    // a restart keeps the certificate
    assert!(berth.terminate().success());
    let again = Running::start(dir.path(), port, &one.manager_host());
    let line = again.wait_line("fingerprint: ", 20);
    assert_eq!(fingerprint_in(&line), logged);
    again.wait_line("listening on", 10);
    assert_eq!(served_fingerprint(again.https_port, "localhost"), logged);
}

#[tokio::test]
async fn a_certificate_and_key_given_as_files_are_served() {
    let one = lab("one");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = make_certificate(dir.path(), "berth.test");
    let port = free_port();
    let berth = Running::start_with(
        &dir.path().join("data"),
        port,
        &one.manager_host(),
        &[
            ("BERTH_TLS_CERT_FILE", cert.display().to_string()),
            ("BERTH_TLS_KEY_FILE", key.display().to_string()),
        ],
    );
    let logged = fingerprint_in(&berth.wait_line("fingerprint: ", 20));
    berth.wait_line("listening on", 10);
    let hp = berth.https_port;
    let given = file_fingerprint(&cert);
    assert_eq!(logged, given);
    assert_eq!(served_fingerprint(hp, "berth.test"), given);
    let c = Curl::new(&[
        "--cacert",
        cert.to_str().unwrap(),
        "--resolve",
        &format!("berth.test:{hp}:127.0.0.1"),
    ]);
    let r = c.get(&format!("https://berth.test:{hp}/setup"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        !dir.path().join("data/tls").exists(),
        "no self-signed certificate is made when one is given"
    );
}

#[tokio::test]
async fn an_https_public_url_brings_secure_cookies_hsts_a_redirect_and_refuses_other_hosts() {
    let one = lab("one");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = make_certificate(dir.path(), "berth.test");
    let (port, hp) = (free_port(), free_port());
    let berth = Running::start_with(
        &dir.path().join("data"),
        port,
        &one.manager_host(),
        &[
            ("BERTH_TLS_LISTEN", format!("127.0.0.1:{hp}")),
            ("BERTH_TLS_CERT_FILE", cert.display().to_string()),
            ("BERTH_TLS_KEY_FILE", key.display().to_string()),
            ("BERTH_PUBLIC_URL", format!("https://berth.test:{hp}")),
        ],
    );
    let code = setup_code(&berth);
    berth.wait_line("listening on", 20);
    let c = Curl::new(&[
        "--cacert",
        cert.to_str().unwrap(),
        "--resolve",
        &format!("berth.test:{hp}:127.0.0.1"),
        "--resolve",
        &format!("berth.test:{port}:127.0.0.1"),
    ]);
    let base = format!("https://berth.test:{hp}");

    let r = c.get(&format!("{base}/setup"));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    let r = c.post(
        &format!("{base}/setup"),
        &[
            ("setup_code", &code),
            ("username", ADMIN),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    );
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/")),
        "{}",
        r.body
    );
    let cookies = r.all("set-cookie");
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-berth_session="))
        .unwrap_or_else(|| panic!("a __Host- session cookie: {cookies:?}"));
    for flag in ["Secure", "HttpOnly", "Path=/", "SameSite=Strict"] {
        assert!(session.contains(flag), "{flag} in {session}");
    }
    assert!(!session.contains("Domain"), "{session}");
    let r = c.get(&format!("{base}/"));
    assert_eq!(r.status, 200, "signed in over HTTPS: {}", r.body);
    assert_eq!(
        r.header("strict-transport-security"),
        Some("max-age=31536000")
    );

    // plain HTTP: sent to the public address, path and query kept
    let r = c.get(&format!("http://berth.test:{port}/login?next=/services"));
    assert_eq!(r.status, 308);
    assert_eq!(
        r.header("location"),
        Some(format!("{base}/login?next=/services").as_str())
    );
    assert!(r.header("strict-transport-security").is_none());

    // any other name for the same address is refused, on both ports (DNS rebinding)
    let evil = ["-H".to_string(), "Host: evil.example".to_string()];
    let r = c.run(&format!("{base}/"), &evil);
    assert_eq!(r.status, 421, "{}", r.body);
    let r = c.run(&format!("http://berth.test:{port}/login"), &evil);
    assert_eq!(r.status, 421, "{}", r.body);
    let r = Http::new(&format!("http://127.0.0.1:{port}"))
        .get("/login")
        .await;
    assert_eq!(r.status, 421, "an address is another name too");
    // the health check answers whatever the name (Docker calls 127.0.0.1)
    let r = Http::new(&format!("http://127.0.0.1:{port}"))
        .get("/healthz")
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn plain_http_from_another_machine_is_warned_about_in_the_log_and_on_settings() {
    let one = lab("one");
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("admin_pw");
    std::fs::write(&pw, PASSWORD).unwrap();
    let (port, hp) = (free_port(), free_port());
    let berth = Running::start_with(
        &dir.path().join("data"),
        port,
        &one.manager_host(),
        &[
            ("BERTH_LISTEN", format!("0.0.0.0:{port}")),
            ("BERTH_TLS_LISTEN", format!("0.0.0.0:{hp}")),
            ("BERTH_ADMIN_PASSWORD_FILE", pw.display().to_string()),
        ],
    );
    berth.wait_line("listening on", 20);
    let addr = outside_address();

    // from 127.0.0.1: no warning
    let mut near = Http::new(&format!("http://127.0.0.1:{port}"));
    let r = near
        .post("/login", &[("username", ADMIN), ("password", PASSWORD)])
        .await;
    assert_eq!((r.status, r.location.as_str()), (303, "/"), "{}", r.body);
    let r = near.get("/settings").await;
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("plain-http-warning"));

    // from this machine's network address: the connection's peer is not loopback
    let mut far = Http::new(&format!("http://{addr}:{port}"));
    let r = far
        .post("/login", &[("username", ADMIN), ("password", PASSWORD)])
        .await;
    assert_eq!((r.status, r.location.as_str()), (303, "/"), "{}", r.body);
    let r = far.get("/settings").await;
    assert!(
        r.body.contains("data-testid=\"plain-http-warning\""),
        "{}",
        r.body
    );
    let line = berth.wait_line("plain HTTP from", 10);
    assert!(line.contains(&addr), "{line}");

    // the same address over HTTPS: no warning
    let c = Curl::new(&["-k"]);
    let base = format!("https://{addr}:{hp}");
    let r = c.post(
        &format!("{base}/login"),
        &[("username", ADMIN), ("password", PASSWORD)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = c.get(&format!("{base}/settings"));
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("plain-http-warning"));
}
