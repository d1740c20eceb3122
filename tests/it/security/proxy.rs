//! berth behind a TLS proxy, as the README shows it: nginx (Debian's nginx-light) runs the
//! example configuration from the repository (docs/nginx-berth.conf, its placeholders filled
//! in), terminates TLS and proxies to berth's plain HTTP; a browser signs in through it, berth
//! treats the connection as HTTPS (Secure cookies, HSTS) and records the client's real address,
//! not the proxy's, nor one the client made up.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::harness::app::{ADMIN, PASSWORD};
use crate::harness::curl::{Curl, make_certificate};
use crate::harness::lab;
use crate::harness::process::{Running, free_port, outside_address};

/// nginx in the foreground with its own prefix, stopped when dropped.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The repository's example with its placeholders replaced (comments left as they are).
fn example_config(subst: &[(&str, String)]) -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/nginx-berth.conf"),
    )
    .expect("docs/nginx-berth.conf");
    text.lines()
        .map(|line| {
            if line.trim_start().starts_with('#') {
                return line.to_string();
            }
            subst
                .iter()
                .fold(line.to_string(), |l, (k, v)| l.replace(k, v))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn start_nginx(dir: &Path, server_block: &str, port: u16) -> Nginx {
    std::fs::write(dir.join("berth.conf"), server_block).unwrap();
    let d = dir.display();
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  include {d}/berth.conf;\n}}\n"
        ),
    )
    .unwrap();
    let child = Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nginx (apt-get install nginx-light)");
    let nginx = Nginx(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return nginx;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!(
        "nginx did not listen on {port}: {}",
        std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
    );
}

#[tokio::test]
async fn through_the_readme_nginx_example_a_browser_signs_in_over_tls_and_berth_sees_its_address() {
    let one = lab("one");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = make_certificate(dir.path(), "berth.test");
    let pw = dir.path().join("admin_pw");
    std::fs::write(&pw, PASSWORD).unwrap();
    let (port, proxy_port) = (free_port(), free_port());
    let berth = Running::start_with(
        &dir.path().join("data"),
        port,
        &one.manager_host(),
        &[
            ("BERTH_TLS_LISTEN", "off".into()),
            (
                "BERTH_PUBLIC_URL",
                format!("https://berth.test:{proxy_port}"),
            ),
            ("BERTH_TRUSTED_PROXIES", "127.0.0.1".into()),
            ("BERTH_ADMIN_PASSWORD_FILE", pw.display().to_string()),
        ],
    );
    berth.wait_line("listening on", 20);
    let server = example_config(&[
        ("BERTH_HOST", "berth.test".into()),
        ("LISTEN", format!("0.0.0.0:{proxy_port}")),
        ("CERT", cert.display().to_string()),
        ("KEY", key.display().to_string()),
        ("UPSTREAM", format!("127.0.0.1:{port}")),
    ]);
    let _nginx = start_nginx(dir.path(), &server, proxy_port);

    // the browser is on another machine: it reaches nginx on this machine's network address
    let addr = outside_address();
    let c = Curl::new(&[
        "--cacert",
        cert.to_str().unwrap(),
        "--resolve",
        &format!("berth.test:{proxy_port}:{addr}"),
    ]);
    let base = format!("https://berth.test:{proxy_port}");
    let r = c.get(&format!("{base}/login"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.header("strict-transport-security"),
        Some("max-age=31536000"),
        "berth knows the browser uses HTTPS (X-Forwarded-Proto from a trusted proxy)"
    );

    // a wrong password with a made-up X-Forwarded-For: recorded with the real address
    let spoof = [
        "-H".to_string(),
        "X-Forwarded-For: 203.0.113.9".to_string(),
        "--data-urlencode".to_string(),
        format!("username={ADMIN}"),
        "--data-urlencode".to_string(),
        "password=not the password".to_string(),
    ];
    let r = c.run(&format!("{base}/login"), &spoof);
    assert_eq!(r.status, 401, "{}", r.body);

    let r = c.post(
        &format!("{base}/login"),
        &[("username", ADMIN), ("password", PASSWORD)],
    );
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/")),
        "{}",
        r.body
    );
    let cookie = r
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("__Host-berth_session="))
        .expect("a __Host- session cookie")
        .to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
    let r = c.get(&format!("{base}/"));
    assert_eq!(r.status, 200);
    assert!(r.body.contains("data-testid=\"nodes-total\""), "{}", r.body);

    let audit = c.get(&format!("{base}/audit"));
    assert_eq!(audit.status, 200);
    assert!(
        audit.body.contains(&addr),
        "sign-ins are recorded with the browser's address {addr}:\n{}",
        audit.body
    );
    assert!(!audit.body.contains("203.0.113.9"), "a made-up address");
    assert!(
        !audit.body.contains(">127.0.0.1<"),
        "the proxy's address is not the client's"
    );

    // berth's plain HTTP port, reached around the proxy, sends browsers to the https address
    let direct = Curl::new(&[]);
    let r = direct.run(
        &format!("http://127.0.0.1:{port}/login"),
        &["-H".to_string(), "Host: berth.test".to_string()],
    );
    assert_eq!(r.status, 308);
    assert_eq!(r.header("location"), Some(format!("{base}/login").as_str()));
}
