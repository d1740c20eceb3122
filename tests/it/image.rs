//! berth deployed as its own stack (issue 3): the image built by scripts/build-image, the
//! repository's docker-compose.yml deployed unmodified on a lab swarm, used over HTTP on port
//! 9000 of the manager, its task force-replaced, its data kept. The container runs as the
//! stack file asks (issue 11): read-only root, a tmpfs /tmp, no capability, memory and pids
//! limits; HTTPS on 9443 serves the certificate whose fingerprint is in the service's log.

use std::path::Path;

use crate::harness::curl::served_fingerprint_at;
use crate::harness::http::Http;
use crate::harness::{eventually, lab};

const ADMIN_PW: &str = "a stack deployed password";

pub(crate) fn image() -> String {
    std::env::var("BERTH_TEST_IMAGE").unwrap_or_else(|_| {
        panic!("BERTH_TEST_IMAGE is not set: scripts/test builds the berth image into the labs and sets it")
    })
}

fn compose_file() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docker-compose.yml")
        .display()
        .to_string()
}

/// `docker stack deploy`, exactly as the README tells users (with BERTH_IMAGE set).
pub(crate) fn deploy(host: &str, stack: &str) {
    let out = std::process::Command::new("docker")
        .args([
            "-H",
            host,
            "stack",
            "deploy",
            "--resolve-image",
            "never",
            "-c",
            &compose_file(),
            stack,
        ])
        .env("BERTH_IMAGE", image())
        .output()
        .expect("docker CLI");
    assert!(
        out.status.success(),
        "stack deploy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn berth_runs_as_its_own_stack_and_keeps_its_data_when_its_task_is_replaced() {
    let one = lab("one");
    let host = one.manager_host();
    let size: u64 = one
        .docker_cli(1, &["image", "inspect", &image(), "--format", "{{.Size}}"])
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    println!(
        "figure: berth image {} is {:.1} MB",
        image(),
        size as f64 / 1e6
    );
    // 17.7 MB before the registry client, git (gix), the API description and /metrics joined
    // (26.5 MB after); 30.2 MB with alerts (lettre), MCP (rmcp), the agent and the swarm's
    // objects; 33.0 MB with the console (xterm.js, WebSockets), roles and teams, and images and
    // volumes per node. The cap keeps it from growing unnoticed.
    assert!(
        size < 36_000_000,
        "the image must stay under 36 MB, it is {size} bytes"
    );

    let stack = "berth";
    let service = format!("{stack}_berth");
    forget_berth_state(one);
    deploy(&host, stack);
    let url = format!("http://{}:9000", one.ip(1));

    let mut http = Http::new(&url);
    eventually(
        60,
        "berth answers /healthz on port 9000 of the manager",
        || async {
            let mut probe = Http::new(&url);
            probe
                .try_get("/healthz")
                .await
                .filter(|a| a.status == 200 && a.body.contains("docker: ok"))
                .map(|_| ())
        },
    )
    .await;

    // the setup code, read where the README says: the service's log
    let code = eventually(30, "the setup code in `docker service logs`", || async {
        let logs = one
            .docker_cli(1, &["service", "logs", "--raw", &service])
            .unwrap_or_default();
        logs.lines().find_map(|l| {
            let i = l.find("setup code: ")?;
            Some(
                l[i + 12..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect::<String>(),
            )
        })
    })
    .await;
    let r = http.get("/").await;
    assert_eq!((r.status, r.location.as_str()), (303, "/setup"));
    let r = http
        .post(
            "/setup",
            &[
                ("setup_code", &code),
                ("username", "admin"),
                ("password", ADMIN_PW),
                ("password_confirm", ADMIN_PW),
            ],
        )
        .await;
    assert_eq!((r.status, r.location.as_str()), (303, "/"), "{}", r.body);
    let r = http.get("/").await;
    assert!(
        r.body.contains("data-testid=\"nodes-total\">1<"),
        "the dashboard lists the lab's node:\n{}",
        r.body
    );

    // least privilege, as Docker 20.10 applied the stack file, and berth works within it
    let container = one
        .docker_cli(
            1,
            &[
                "ps",
                "-q",
                "--filter",
                &format!("label=com.docker.swarm.service.name={service}"),
            ],
        )
        .unwrap();
    let host_config: serde_json::Value = serde_json::from_str(
        &one.docker_cli(
            1,
            &[
                "inspect",
                container.trim(),
                "--format",
                "{{json .HostConfig}}",
            ],
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(host_config["ReadonlyRootfs"], true, "{host_config}");
    assert_eq!(host_config["CapDrop"], serde_json::json!(["ALL"]));
    assert_eq!(host_config["Memory"], 256 * 1024 * 1024);
    assert_eq!(host_config["PidsLimit"], 256);
    let tmpfs = host_config["Mounts"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["Target"] == "/tmp"))
        .cloned();
    assert_eq!(
        tmpfs,
        Some(
            serde_json::json!({"Type": "tmpfs", "Target": "/tmp", "TmpfsOptions": {"SizeBytes": 16777216}})
        ),
        "{host_config}"
    );
    let fingerprint = eventually(
        30,
        "the certificate fingerprint in the service log",
        || async {
            let logs = one
                .docker_cli(1, &["service", "logs", "--raw", &service])
                .unwrap_or_default();
            logs.lines().find_map(|l| {
                let i = l.find("fingerprint: ")?;
                Some(
                    l[i + 13..]
                        .chars()
                        .take_while(|c| c.is_ascii_hexdigit() || *c == ':')
                        .collect::<String>(),
                )
            })
        },
    )
    .await;
    assert_eq!(
        served_fingerprint_at(&format!("{}:9443", one.ip(1)), "localhost"),
        fingerprint,
        "HTTPS on 9443 serves the certificate berth logged"
    );

    // force-replace the task: the admin and the audit log survive on the volume
    let before = one
        .docker_cli(
            1,
            &[
                "service",
                "ps",
                "-q",
                "--filter",
                "desired-state=running",
                &service,
            ],
        )
        .unwrap();
    one.docker_cli(1, &["service", "update", "--force", "--detach", &service])
        .unwrap();
    eventually(60, "a new berth task answers", || async {
        let now = one
            .docker_cli(
                1,
                &[
                    "service",
                    "ps",
                    "-q",
                    "--filter",
                    "desired-state=running",
                    &service,
                ],
            )
            .unwrap_or_default();
        if now.trim().is_empty() || now == before {
            return None;
        }
        let mut probe = Http::new(&url);
        probe
            .try_get("/healthz")
            .await
            .filter(|a| a.status == 200)
            .map(|_| ())
    })
    .await;
    let mut again = Http::new(&url);
    let r = again.get("/setup").await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/login"),
        "setup stays done: the admin survived"
    );
    let r = again
        .post("/login", &[("username", "admin"), ("password", ADMIN_PW)])
        .await;
    assert_eq!((r.status, r.location.as_str()), (303, "/"), "{}", r.body);
    let r = again.get("/audit").await;
    assert!(
        r.body.contains("auth.setup"),
        "the audit log survived the task replacement"
    );

    // Docker's own health check (HEALTHCHECK ["/berth", "healthcheck"]) says healthy
    eventually(60, "the container is healthy", || async {
        let st = one
            .docker_cli(
                1,
                &[
                    "ps",
                    "--filter",
                    &format!("label=com.docker.swarm.service.name={service}"),
                    "--format",
                    "{{.Status}}",
                ],
            )
            .unwrap_or_default();
        st.contains("(healthy)").then_some(())
    })
    .await;

    one.docker_cli(1, &["stack", "rm", stack]).unwrap();
    eventually(60, "the stack's containers are gone", || async {
        let ps = one
            .docker_cli(
                1,
                &[
                    "ps",
                    "-aq",
                    "--filter",
                    &format!("label=com.docker.swarm.service.name={service}"),
                ],
            )
            .unwrap_or_default();
        ps.trim().is_empty().then_some(())
    })
    .await;
    let _ = one.docker_cli(1, &["volume", "rm", &format!("{stack}_berth-data")]);
    forget_berth_state(one);
}

/// Removes the state berth keeps in the swarm (configs labelled berth.state) and the key
/// secret it created, so the next deploy starts from nothing as a new install does.
pub fn forget_berth_state(lab: &crate::harness::lab::Lab) {
    for (kind, label) in [("config", "berth.state"), ("secret", "berth.secret.owner")] {
        let ids = lab
            .docker_cli(
                1,
                &[kind, "ls", "-q", "--filter", &format!("label={label}")],
            )
            .unwrap_or_default();
        for id in ids.split_whitespace() {
            let _ = lab.docker_cli(1, &[kind, "rm", id]);
        }
    }
}
