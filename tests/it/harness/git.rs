//! A git server over smart HTTP on this machine: git's own `git http-backend` behind a small
//! Python server (`git_http.py`), serving bare repositories from a temporary directory. Tests
//! commit with the git CLI in a work tree and push to the served repository.
//!
//! [`GitServer::start_https`] serves over TLS with a certificate for 127.0.0.1 signed by a CA
//! made for the test (rcgen): a CA no system store holds, so only the CA given to berth makes
//! the server trusted.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct GitServer {
    child: Child,
    dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT` (or `https://…`)
    pub base: String,
    /// the test CA's certificate (PEM) when serving over https
    pub ca_pem: Option<String>,
}

impl GitServer {
    pub fn start() -> GitServer {
        Self::spawn(None)
    }

    /// Serves over https with a certificate for 127.0.0.1 signed by a CA made here.
    pub fn start_https() -> GitServer {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "berth test git CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&key, &*ca)
            .unwrap();
        Self::spawn(Some((ca.pem(), cert.pem(), key.serialize_pem())))
    }

    fn spawn(tls: Option<(String, String, String)>) -> GitServer {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("root")).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/harness/git_http.py");
        let mut cmd = Command::new("python3");
        cmd.arg(&script).arg(dir.path().join("root"));
        let mut ca_pem = None;
        if let Some((ca, cert, key)) = tls {
            let (c, k) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
            std::fs::write(&c, cert).unwrap();
            std::fs::write(&k, key).unwrap();
            cmd.arg(&c).arg(&k);
            ca_pem = Some(ca);
        }
        let scheme = if ca_pem.is_some() { "https" } else { "http" };
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the test git server");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
            .expect("the git server prints its port");
        let port: u16 = line.trim().parse().expect("a port");
        GitServer {
            child,
            dir,
            base: format!("{scheme}://127.0.0.1:{port}"),
            ca_pem,
        }
    }

    /// A new repository `name.git` with a work tree to commit from (branch `main`).
    pub fn repo(&self, name: &str) -> GitRepo {
        let bare = self.dir.path().join("root").join(format!("{name}.git"));
        let work = self.dir.path().join("work").join(name);
        std::fs::create_dir_all(&work).unwrap();
        git(
            self.dir.path(),
            &["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()],
        );
        git(&work, &["init", "-q", "-b", "main"]);
        git(&work, &["remote", "add", "origin", bare.to_str().unwrap()]);
        GitRepo {
            work,
            url: format!("{}/{name}.git", self.base),
        }
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct GitRepo {
    work: PathBuf,
    /// what berth fetches
    pub url: String,
}

impl GitRepo {
    /// Writes `files`, commits them with `message` and pushes to the server; the commit id.
    pub fn commit(&self, files: &[(&str, &str)], message: &str) -> String {
        for (path, text) in files {
            let p = self.work.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        git(&self.work, &["add", "-A"]);
        git(
            &self.work,
            &[
                "-c",
                "user.name=Ada Tester",
                "-c",
                "user.email=ada@example.com",
                "commit",
                "-q",
                "-m",
                message,
            ],
        );
        git(&self.work, &["push", "-q", "origin", "main"]);
        git(&self.work, &["rev-parse", "HEAD"]).trim().to_string()
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}
