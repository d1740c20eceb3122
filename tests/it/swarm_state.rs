//! berth survives the loss of its manager (issue 19): deployed by the repository's
//! docker-compose.yml (unmodified) on a lab of three managers, given an admin, a registry, a
//! token and a stack with two versions, then its manager is killed; swarm starts berth on
//! another manager, which restores all of it from the state kept in the swarm.

use std::time::Instant;

use crate::harness::http::Http;
use crate::harness::{eventually, lab};
use crate::image::{deploy, forget_berth_state};

const ADMIN_PW: &str = "a password that survives failover";
const STACK: &str = "berth";
const SERVICE: &str = "berth_berth";

/// The lab node (1-based) whose hostname is `bl-<lab>-n<N>`.
fn node_index(hostname: &str) -> Option<usize> {
    hostname.trim().rsplit_once("-n")?.1.parse().ok()
}

/// The node running berth's task and berth's address there, once it answers with Docker ok.
/// `cli` is the node the docker CLI talks to; `not` a node to skip (the killed one).
async fn running_berth(
    ha: &crate::harness::lab::Lab,
    cli: usize,
    not: Option<usize>,
) -> (usize, String) {
    eventually(
        120,
        "berth's task answers /healthz with docker ok",
        || async {
            let nodes = ha
                .docker_cli_within(
                    cli,
                    10,
                    &[
                        "service",
                        "ps",
                        SERVICE,
                        "--filter",
                        "desired-state=running",
                        "--format",
                        "{{.Node}} {{.CurrentState}}",
                    ],
                )
                .ok()?;
            let n = nodes
                .lines()
                .filter(|l| l.contains("Running"))
                .filter_map(|l| node_index(l.split_whitespace().next()?))
                .find(|n| Some(*n) != not)?;
            let url = format!("http://{}:9000", ha.ip(n));
            Http::new(&url)
                .try_get("/healthz")
                .await
                .filter(|a| a.status == 200 && a.body.contains("docker: ok"))
                .map(|_| (n, url))
        },
    )
    .await
}

fn testid(body: &str, id: &str) -> String {
    let m = format!("data-testid=\"{id}\"");
    let i = body
        .find(&m)
        .unwrap_or_else(|| panic!("no {id} in:\n{body}"));
    let rest = &body[i..];
    let start = rest.find('>').unwrap() + 1;
    rest[start..].split('<').next().unwrap().trim().to_string()
}

async fn csrf(http: &mut Http, page: &str) -> String {
    Http::csrf(&http.get(page).await.body)
}

fn compose(replicas: u32) -> String {
    format!(
        "services:\n  web:\n    image: berth-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    init: true\n    deploy:\n      replicas: {replicas}\n"
    )
}

fn clean(ha: &crate::harness::lab::Lab, cli: usize) {
    for stack in ["web", STACK] {
        let _ = ha.docker_cli(cli, &["stack", "rm", stack]);
    }
    for _ in 0..60 {
        let left = ha
            .docker_cli(
                cli,
                &[
                    "service",
                    "ls",
                    "-q",
                    "--filter",
                    &format!("name={SERVICE}"),
                ],
            )
            .unwrap_or_default();
        if left.trim().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    for n in 1..=3 {
        let _ = ha.docker_cli(n, &["volume", "rm", "-f", &format!("{STACK}_berth-data")]);
    }
}

#[tokio::test]
async fn berth_comes_back_on_another_manager_with_its_admin_registry_token_and_stack_versions() {
    let ha = lab("ha");
    clean(ha, 1);
    forget_berth_state(ha);
    deploy(&ha.manager_host(), STACK);
    let (n, url) = running_berth(ha, 1, None).await;
    println!("berth runs on node {n}");

    // the admin, from the setup code in the service's log
    let code = eventually(30, "the setup code in `docker service logs`", || async {
        let logs = ha
            .docker_cli(1, &["service", "logs", "--raw", SERVICE])
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
    let mut http = Http::new(&url);
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

    // a registry, a token, a stack with two versions
    let t = csrf(&mut http, "/").await;
    let r = http
        .post(
            "/registries",
            &[
                ("csrf", &t),
                ("address", "registry.example.com:5000"),
                ("username", "ci"),
                ("password", "a registry password"),
                ("ca_pem", ""),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/registries"),
        "{}",
        r.body
    );
    let r = http
        .post(
            "/settings/tokens",
            &[
                ("csrf", &t),
                ("name", "ci"),
                ("scope", "read"),
                ("stacks", ""),
                ("expires_days", "30"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = testid(&r.body, "new-token");
    let r = http
        .post(
            "/stacks",
            &[
                ("csrf", &t),
                ("name", "web"),
                ("compose", &compose(1)),
                ("env", ""),
                ("base_version", "0"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/stacks/web/versions/1"),
        "{}",
        r.body
    );
    for v in [1, 2] {
        if v == 2 {
            let r = http
                .post(
                    "/stacks/web",
                    &[
                        ("csrf", &t),
                        ("compose", &compose(2)),
                        ("env", ""),
                        ("base_version", "1"),
                    ],
                )
                .await;
            assert_eq!(
                (r.status, r.location.as_str()),
                (303, "/stacks/web/versions/2"),
                "{}",
                r.body
            );
        }
        // the deploy ends (its outcome is part of the state)
        let page = format!("/stacks/web/versions/{v}");
        let deadline = Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let b = http.get(&page).await.body;
            if testid(&b, "outcome") != "running" {
                break;
            }
            assert!(Instant::now() < deadline, "version {v} still running:\n{b}");
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }

    // the swarm holds the newest state once the writer is idle (debounced writes)
    let manifests = || {
        ha.docker_cli(
            1,
            &[
                "config",
                "ls",
                "-q",
                "--filter",
                "label=berth.state.part=manifest",
            ],
        )
        .unwrap_or_default()
    };
    let mut last = String::new();
    let mut quiet = 0;
    while quiet < 3 {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let now = manifests();
        quiet = if now == last && !now.trim().is_empty() {
            quiet + 1
        } else {
            0
        };
        last = now;
    }
    let sizes = ha
        .docker_cli(
            1,
            &[
                "config",
                "ls",
                "--filter",
                "label=berth.state",
                "--format",
                "{{.Name}}",
            ],
        )
        .unwrap();
    println!("figure: berth state configs before failover:\n{sizes}");

    // kill the manager that runs berth (dockerd and containerd: a crash)
    let cli = if n == 1 { 2 } else { 1 };
    let killed = ha.kill_node(n);
    let t_kill = Instant::now();
    let t_down = eventually(60, "swarm sees the node down", || async {
        let ls = ha
            .docker_cli_within(
                cli,
                10,
                &["node", "ls", "--format", "{{.Hostname}} {{.Status}}"],
            )
            .ok()?;
        ls.lines()
            .any(|l| {
                node_index(l.split_whitespace().next().unwrap_or("")) == Some(n)
                    && l.contains("Down")
            })
            .then(Instant::now)
    })
    .await;
    let (m, url2) = running_berth(ha, cli, Some(n)).await;
    let t_up = Instant::now();
    let failover = t_up - t_down;
    println!(
        "figure: berth back on node {m} {:.1} s after node {n} was seen down ({:.1} s after the kill)",
        failover.as_secs_f64(),
        (t_up - t_kill).as_secs_f64()
    );
    assert_ne!(m, n);
    assert!(
        failover.as_secs() <= 30,
        "berth must be back within 30 s of its node going down, took {failover:?}"
    );

    // everything is there: the admin signs in, the registry, the token, both versions
    let mut again = Http::new(&url2);
    let r = again.get("/setup").await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/login"),
        "setup stays done"
    );
    let r = again
        .post("/login", &[("username", "admin"), ("password", ADMIN_PW)])
        .await;
    assert_eq!((r.status, r.location.as_str()), (303, "/"), "{}", r.body);
    let r = again.get("/registries").await;
    assert!(r.body.contains("registry.example.com:5000"), "{}", r.body);
    let auth = format!("Bearer {token}");
    let r = again
        .send("GET", "/api/v1/stacks", None, &[("authorization", &auth)])
        .await;
    assert_eq!(r.status, 200, "the token still works: {}", r.body);
    assert!(r.body.contains("\"web\""), "{}", r.body);
    for v in [1, 2] {
        let r = again.get(&format!("/stacks/web/versions/{v}")).await;
        assert_eq!(r.status, 200, "version {v}: {}", r.body);
        assert!(
            r.body.contains(&format!("replicas: {v}")),
            "version {v}:\n{}",
            r.body
        );
    }

    // the stack sources in the swarm, read by another berth process (read-only)
    let container = ha
        .docker_cli(
            m,
            &[
                "ps",
                "-q",
                "--filter",
                &format!("label=com.docker.swarm.service.name={SERVICE}"),
            ],
        )
        .unwrap();
    let exec = |args: &[&str]| {
        let mut all = vec!["exec", container.trim(), "/berth", "state", "stacks"];
        all.extend_from_slice(args);
        ha.docker_cli(m, &all)
            .unwrap_or_else(|e| panic!("berth state stacks {args:?}: {e}"))
    };
    let stacks = exec(&[]);
    assert!(
        stacks
            .lines()
            .any(|l| l.starts_with("web ") && l.contains(" 2 ")),
        "{stacks}"
    );
    let versions = exec(&["web"]);
    assert_eq!(
        versions.lines().count(),
        3,
        "a header and two versions:\n{versions}"
    );
    assert!(exec(&["web", "1"]).contains("replicas: 1"));

    killed.start();
    clean(ha, cli);
    forget_berth_state(ha);
}
