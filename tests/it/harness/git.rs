//! A git server over smart HTTP on this machine: git's own `git http-backend` behind a small
//! Python server (`git_http.py`), serving bare repositories from a temporary directory. Tests
//! commit with the git CLI in a work tree and push to the served repository.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct GitServer {
    child: Child,
    dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl GitServer {
    pub fn start() -> GitServer {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("root")).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/harness/git_http.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(dir.path().join("root"))
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
            base: format!("http://127.0.0.1:{port}"),
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
