//! `berth stack …` as a script runs it: outputs and exit codes.

use std::path::Path;
use std::process::Command;

use crate::harness::{lab, unique};

fn binary() -> String {
    std::env::var("BERTH_TEST_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_berth").to_string())
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn berth(dir: &Path, host: &str, args: &[&str]) -> Run {
    let out = Command::new(binary())
        .current_dir(dir)
        .env_clear()
        .env("DOCKER_HOST", host)
        .arg("stack")
        .args(args)
        .output()
        .expect("run berth");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

impl Run {
    #[track_caller]
    fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

const FILE: &str = "\
services:
  web:
    image: berth-test/busybox:${TAG}
    command: [sleep, '100000']
    init: true
    deploy:
      replicas: ${REPLICAS:-1}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stack_commands_run_as_a_process_with_reliable_outputs_and_exit_codes() {
    let lab = lab("one");
    let host = lab.manager_host();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("stack.yml"), FILE).unwrap();
    std::fs::write(d.join("vars.env"), "TAG=1\nREPLICAS=2\n").unwrap();
    std::fs::write(d.join("broken.yml"), "services:\n  web:\n    image: [x\n").unwrap();
    let name = unique("cli");
    let web = format!("{name}_web");

    let r = berth(
        d,
        &host,
        &["config", "-c", "stack.yml", "--env-file", "vars.env"],
    )
    .expect(0);
    assert!(
        r.stdout.contains("image: berth-test/busybox:1") && r.stdout.contains("replicas: 2"),
        "{}",
        r.stdout
    );
    // stdin, and the process environment over the env file
    let mut child = Command::new(binary())
        .current_dir(d)
        .env_clear()
        .env("REPLICAS", "5")
        .args(["stack", "config", "--env-file", "vars.env", "-c", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run berth");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), FILE.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("replicas: 5") && text.contains("busybox:1"),
        "{text}"
    );
    std::fs::write(
        d.join("raw.yml"),
        "services:\n  web:\n    image: busybox:${TAG}\n",
    )
    .unwrap();
    let r = berth(
        d,
        &host,
        &["config", "-c", "raw.yml", "--skip-interpolation"],
    )
    .expect(0);
    assert!(r.stdout.contains("image: busybox:${TAG}"), "{}", r.stdout);

    let deploy = [
        "deploy",
        "-c",
        "stack.yml",
        "--env-file",
        "vars.env",
        "--resolve-image",
        "never",
        "--detach=false",
        "--timeout",
        "90s",
    ];
    let r = berth(d, &host, &[&deploy[..], &[name.as_str()]].concat()).expect(0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("Creating network {name}_default"),
        "{}",
        r.stdout
    );
    assert_eq!(lines[1], format!("Creating service {web}"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains(&format!("{web}: 2/2 running (converged)")),
        "{}",
        r.stdout
    );
    assert!(
        lines.last().unwrap().starts_with("Stack converged in "),
        "{}",
        r.stdout
    );
    assert_eq!(r.stderr, "", "no notice when --detach is given");

    let r = berth(d, &host, &["ls"]).expect(0);
    assert!(r.stdout.starts_with("NAME "), "{}", r.stdout);
    let row = r
        .stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name.as_str()));
    assert_eq!(
        row.map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec![name.as_str(), "1"])
    );

    let r = berth(d, &host, &["services", &name]).expect(0);
    let row: Vec<&str> = r
        .stdout
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        row[1..],
        [web.as_str(), "replicated", "2/2", "berth-test/busybox:1"],
        "{}",
        r.stdout
    );
    let r = berth(d, &host, &["services", "-q", &name]).expect(0);
    assert_eq!(r.stdout.lines().count(), 1);

    let r = berth(d, &host, &["ps", &name]).expect(0);
    assert!(r.stdout.starts_with("ID "), "{}", r.stdout);
    let running = r
        .stdout
        .lines()
        .filter(|l| l.contains(&format!("{web}.")) && l.contains("Running"))
        .count();
    assert_eq!(running, 2, "{}", r.stdout);

    // the same file again: nothing to do, said plainly; the CLI's notice without --detach
    let r = berth(
        d,
        &host,
        &[
            "deploy",
            "-c",
            "stack.yml",
            "--env-file",
            "vars.env",
            "--resolve-image",
            "never",
            &name,
        ],
    )
    .expect(0);
    assert!(
        r.stdout
            .starts_with(&format!("Service {web} is unchanged (id: ")),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .starts_with("Since --detach=false was not specified"),
        "{}",
        r.stderr
    );

    // failures: exit 1 with the reason on stderr; usage errors: exit 2
    let r = berth(d, &host, &["deploy", "-c", "broken.yml", &name]).expect(1);
    assert!(
        r.stderr.lines().any(|l| l.starts_with("broken.yml:3:12: ")),
        "{}",
        r.stderr
    );
    let r = berth(
        d,
        &host,
        &[
            "deploy",
            "-c",
            "stack.yml",
            "--resolve-image",
            "sometimes",
            &name,
        ],
    )
    .expect(1);
    assert_eq!(
        r.stderr.trim(),
        "invalid option sometimes for flag --resolve-image"
    );
    let r = berth(d, &host, &["deploy", "-c", "missing.yml", &name]).expect(1);
    assert_eq!(
        r.stderr.trim(),
        "open missing.yml: no such file or directory"
    );
    berth(d, &host, &["deploy", "-c", "stack.yml"]).expect(2);
    let r = berth(d, &host, &["deploy", "--help"]).expect(0);
    assert!(r.stdout.contains("Exit codes:"), "{}", r.stdout);

    let r = berth(d, &host, &["rm", &name]).expect(0);
    // whether the removed services' tasks are still stopping depends on timing
    assert_eq!(
        r.stdout
            .lines()
            .filter(|l| !l.ends_with("task(s) of the removed services to stop"))
            .collect::<Vec<_>>(),
        vec![
            format!("Removing service {web}"),
            format!("Removing network {name}_default"),
            format!("Waiting for the stack's networks to be removed: {name}_default"),
            format!("Stack {name} removed"),
        ]
    );
    // berth waited for the tasks' containers; their shut-down records linger a moment until
    // swarm reaps them, as with the CLI
    let r = crate::harness::eventually(30, "the stack's tasks to be reaped", || {
        let r = berth(d, &host, &["ps", &name]);
        async move { (r.code == 1).then_some(r) }
    })
    .await;
    assert_eq!(r.stderr.trim(), format!("nothing found in stack: {name}"));
    let r = berth(d, &host, &["services", &name]).expect(0);
    assert_eq!(r.stderr.trim(), format!("Nothing found in stack: {name}"));
    let r = berth(d, &host, &["rm", &name]).expect(0);
    assert_eq!(r.stderr.trim(), format!("Nothing found in stack: {name}"));

    let r = berth(d, "unix:///nonexistent/berth.sock", &["ls"]).expect(1);
    assert!(!r.stderr.trim().is_empty());
}
