//! The alert tests' receivers, real servers in their own processes (`alert_sinks.py`): a
//! webhook receiver (Python's http.server) and an SMTP server that requires STARTTLS and a
//! login (aiosmtpd, Debian's python3-aiosmtpd), its certificate from a CA made with openssl.
//! Each prints what it received as JSON lines; [`Sink::received`] reads them with the time
//! each arrived.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub struct Sink {
    child: Child,
    got: Arc<Mutex<Vec<(Instant, serde_json::Value)>>>,
    pub port: u16,
    _dir: tempfile::TempDir,
    /// the CA that signed the SMTP server's certificate (PEM)
    pub ca_pem: String,
}

fn script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/harness/alert_sinks.py")
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Sink {
    fn start(args: &[&str], dir: tempfile::TempDir, ca_pem: String) -> Sink {
        // Debian's python3: aiosmtpd is its package (a pyenv python3 on PATH lacks it)
        let python = if Path::new("/usr/bin/python3").exists() {
            "/usr/bin/python3"
        } else {
            "python3"
        };
        let mut child = Command::new(python)
            .arg(script())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the alert sinks");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let port: u16 = lines
            .next()
            .expect("the sink prints its port")
            .expect("a line")
            .trim()
            .parse()
            .expect("a port");
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    sink.lock().unwrap().push((Instant::now(), v));
                }
            }
        });
        Sink {
            child,
            got,
            port,
            _dir: dir,
            ca_pem,
        }
    }

    /// A webhook receiver on 127.0.0.1: each POST as `{path, headers, body}`.
    pub fn webhook() -> Sink {
        Sink::start(&["webhook"], tempfile::tempdir().unwrap(), String::new())
    }

    /// An SMTP server on 127.0.0.1 requiring STARTTLS and the login `user`/`password`: each
    /// message as `{from, to, data, tls, authenticated}`.
    pub fn smtp(user: &str, password: &str) -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut ca = vec![
            "req",
            "-x509",
            "-days",
            "2",
            "-subj",
            "/CN=berth test mail CA",
        ];
        ca.extend(ec);
        ca.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
        openssl(d, &ca);
        let mut req = vec!["req", "-subj", "/CN=127.0.0.1"];
        req.extend(ec);
        req.extend(["-keyout", "key.pem", "-out", "req.csr"]);
        openssl(d, &req);
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "req.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
                "-out",
                "cert.pem",
            ],
        );
        let ca_pem = std::fs::read_to_string(d.join("ca.pem")).unwrap();
        let (cert, key) = (d.join("cert.pem"), d.join("key.pem"));
        let args = [
            "smtp",
            cert.to_str().unwrap(),
            key.to_str().unwrap(),
            user,
            password,
        ];
        Sink::start(&args, dir, ca_pem)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Everything received so far, with when it arrived.
    pub fn received(&self) -> Vec<(Instant, serde_json::Value)> {
        self.got.lock().unwrap().clone()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
