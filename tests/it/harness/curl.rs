//! curl as the TLS client of the tests (a real one, OpenSSL underneath): a cookie jar per
//! client, answers with status, headers and body, redirects not followed.

use std::process::Command;

pub struct Curl {
    jar: tempfile::NamedTempFile,
    args: Vec<String>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// (lower-case name, value) in order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl Curl {
    /// A client with extra curl arguments for every request (e.g. `--cacert F`,
    /// `--resolve host:port:addr`, `-k`).
    pub fn new(args: &[&str]) -> Curl {
        Curl {
            jar: tempfile::NamedTempFile::new().expect("cookie jar"),
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn get(&self, url: &str) -> Reply {
        self.run(url, &[])
    }

    /// A form POST (url-encoded).
    pub fn post(&self, url: &str, form: &[(&str, &str)]) -> Reply {
        let mut extra = Vec::new();
        for (k, v) in form {
            extra.push("--data-urlencode".to_string());
            extra.push(format!("{k}={v}"));
        }
        self.run(url, &extra)
    }

    /// Any request, with extra curl arguments for it alone (e.g. `-H`, `Host: x`).
    pub fn run(&self, url: &str, extra: &[String]) -> Reply {
        let jar = self.jar.path().to_str().unwrap();
        let out = Command::new("curl")
            .args(["-sS", "-i", "--max-time", "20", "-b", jar, "-c", jar])
            .args(&self.args)
            .args(extra)
            .arg(url)
            .output()
            .expect("curl");
        assert!(
            out.status.success(),
            "curl {url}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        parse(&String::from_utf8_lossy(&out.stdout))
    }

    /// The value of a cookie in the jar.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let jar = std::fs::read_to_string(self.jar.path()).ok()?;
        jar.lines()
            .map(|l| l.trim_start_matches("#HttpOnly_"))
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f.len() == 7 && f[5] == name).then(|| f[6].to_string())
            })
    }
}

fn parse(raw: &str) -> Reply {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer:\n{raw}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// The SHA-256 fingerprint (AB:CD:…) of the certificate served on 127.0.0.1:`port`, read with
/// `openssl s_client`.
pub fn served_fingerprint(port: u16, server_name: &str) -> String {
    served_fingerprint_at(&format!("127.0.0.1:{port}"), server_name)
}

/// As [`served_fingerprint`], on any `host:port`.
pub fn served_fingerprint_at(addr: &str, server_name: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl s_client -connect {addr} -servername {server_name} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256"
        ))
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .split_once('=')
        .map(|(_, f)| f.to_string())
        .unwrap_or_else(|| panic!("no certificate served on {addr}: {text}"))
}

/// The SHA-256 fingerprint of a PEM certificate file.
pub fn file_fingerprint(pem: &std::path::Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(pem)
        .output()
        .expect("openssl");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .split_once('=')
        .map(|(_, f)| f.to_string())
        .expect("a certificate")
}

/// A certificate and key for `name` (and 127.0.0.1) made with openssl, as an admin would.
pub fn make_certificate(
    dir: &std::path::Path,
    name: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", &format!("/CN={name}")])
        .args([
            "-addext",
            &format!("subjectAltName=DNS:{name},IP:127.0.0.1"),
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}
