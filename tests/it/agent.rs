//! The berth agent (issue 16) on a 3-node lab: the project's docker-compose.yml deployed
//! unmodified brings berth and one agent per node up; berth hands the agents their key as a
//! Docker secret; a CPU-burning task on node 3 shows on node 3's page and in
//! `GET /api/v1/nodes/{id}/containers`; a stranger on the agents' network is refused; with
//! node 3's agent gone its page says so and the other pages still work.

use std::path::Path;
use std::time::Instant;

use serde_json::Value;

use crate::harness::http::{Answer, Http};
use crate::harness::{eventually, lab};

const ADMIN_PW: &str = "an agent lab password";
const STACK: &str = "berth";

fn image() -> String {
    std::env::var("BERTH_TEST_IMAGE").unwrap_or_else(|_| {
        panic!("BERTH_TEST_IMAGE is not set: scripts/test builds the berth image into the labs and sets it")
    })
}

fn docker(host: &str, args: &[&str]) -> Result<String, String> {
    let out = std::process::Command::new("docker")
        .arg("-H")
        .arg(host)
        .args(args)
        .env("BERTH_IMAGE", image())
        .output()
        .expect("docker CLI");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

/// The text of the first element with `data-testid="{id}"` (tags inside dropped).
fn testid_text(body: &str, id: &str) -> Option<String> {
    let m = format!("data-testid=\"{id}\"");
    let i = body.find(&m)?;
    let rest = &body[i..];
    let start = rest.find('>')? + 1;
    let end = rest.find("</")?;
    Some(rest[start..end.max(start)].trim().to_string())
}

/// The CPU percent shown in the row of a container whose name starts with `prefix`.
fn container_cpu(body: &str, prefix: &str) -> Option<f64> {
    for row in body.split("data-testid=\"container-row\"").skip(1) {
        let name = testid_text(row, "container-name")?;
        if name.starts_with(prefix) {
            let cpu = testid_text(row, "container-cpu")?;
            return cpu.trim_end_matches('%').trim().parse().ok();
        }
    }
    None
}

async fn sign_in(url: &str, service: &str, host: &str) -> Http {
    let code = eventually(60, "the setup code in `docker service logs`", || async {
        let logs = docker(host, &["service", "logs", "--raw", service]).unwrap_or_default();
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
    let mut http = Http::new(url);
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
    http
}

async fn api_token(http: &mut Http) -> String {
    let page = http.get("/settings").await;
    let csrf = Http::csrf(&page.body);
    let r = http
        .post(
            "/settings/tokens",
            &[
                ("csrf", &csrf),
                ("name", "agent-test"),
                ("scope", "read"),
                ("stacks", ""),
                ("expires_days", "30"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    testid_text(&r.body, "new-token")
        .filter(|t| t.starts_with("berth_"))
        .unwrap_or_else(|| panic!("no token on the page:\n{}", r.body))
}

/// GETs `path` with the signed-in session every second until `ok(body)`.
async fn poll_page(
    http: &mut Http,
    path: &str,
    secs: u64,
    what: &str,
    ok: impl Fn(&str) -> bool,
) -> Answer {
    let deadline = Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let r = http.get(path).await;
        if ok(&r.body) {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for: {what}\nlast page:\n{}",
            r.body
        );
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

fn node_id(host: &str, n: usize, inst: &str) -> String {
    docker(
        host,
        &[
            "node",
            "inspect",
            "--format",
            "{{.ID}}",
            &format!("bl-{inst}-n{n}"),
        ],
    )
    .expect("node inspect")
    .trim()
    .to_string()
}

#[tokio::test]
async fn berth_and_its_agents_deployed_as_a_stack_show_real_usage_and_refuse_strangers() {
    let lab = lab("agent");
    let _only = lab.exclusive().await;
    let host = lab.manager_host();
    let inst = lab.name.clone();
    let compose = Path::new(env!("CARGO_MANIFEST_DIR")).join("docker-compose.yml");
    let service = format!("{STACK}_berth");
    let agent = format!("{STACK}_agent");
    let _ = docker(&host, &["stack", "rm", STACK]);
    let _ = docker(&host, &["service", "rm", "burn", "stranger"]);
    docker(
        &host,
        &[
            "stack",
            "deploy",
            "--resolve-image",
            "never",
            "-c",
            &compose.display().to_string(),
            STACK,
        ],
    )
    .expect("stack deploy");
    let url = format!("http://{}:9000", lab.ip(1));
    eventually(90, "berth answers /healthz", || async {
        Http::new(&url)
            .try_get("/healthz")
            .await
            .filter(|a| a.status == 200)
            .map(|_| ())
    })
    .await;
    let mut http = sign_in(&url, &service, &host).await;
    let token = api_token(&mut http).await;

    // the key: a Docker secret berth made, mounted into the agent service
    let mounted = eventually(60, "the agent service mounts berth's key", || async {
        let s = docker(
            &host,
            &[
                "service",
                "inspect",
                &agent,
                "--format",
                "{{json .Spec.TaskTemplate.ContainerSpec.Secrets}}",
            ],
        )
        .ok()?;
        s.contains("berth_agent_key").then_some(s)
    })
    .await;
    assert!(
        mounted.contains(&format!("{agent}_key_")),
        "the secret is named after the agent service: {mounted}"
    );

    // a task burning CPU on node 3
    let n3 = node_id(&host, 3, &inst);
    let t0 = Instant::now();
    docker(
        &host,
        &[
            "service",
            "create",
            "--detach",
            "--name",
            "burn",
            "--constraint",
            &format!("node.id=={n3}"),
            "berth-test/busybox:1",
            "sh",
            "-c",
            "while :; do :; done",
        ],
    )
    .expect("service create burn");
    let r = poll_page(
        &mut http,
        &format!("/nodes/{n3}"),
        120,
        "node 3's page shows the burning task above 50 %",
        |body| container_cpu(body, "burn.1.").unwrap_or(0.0) > 50.0,
    )
    .await;
    let delay = t0.elapsed();
    println!(
        "figure: stats delay (service create → node page shows > 50 %): {:.1} s",
        delay.as_secs_f64()
    );
    assert!(r.body.contains("data-testid=\"usage-chart\""), "{}", r.body);
    assert!(r.body.contains("data-testid=\"node-cpu-used\""));

    // the service page: CPU and memory per task
    let burn_id = docker(
        &host,
        &["service", "inspect", "--format", "{{.ID}}", "burn"],
    )
    .expect("burn's id")
    .trim()
    .to_string();
    let r = poll_page(
        &mut http,
        &format!("/services/{burn_id}"),
        30,
        "the service page shows its task's CPU",
        |body| {
            body.split("data-testid=\"task-usage-row\"")
                .nth(1)
                .and_then(|row| testid_text(row, "task-cpu"))
                .and_then(|c| c.trim_end_matches('%').trim().parse::<f64>().ok())
                .is_some_and(|c| c > 50.0)
        },
    )
    .await;
    assert!(r.body.contains("task-memory"));

    // the same through the API, with a token
    let api = http
        .send(
            "GET",
            &format!("/api/v1/nodes/{n3}/containers"),
            None,
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(api.status, 200, "{}", api.body);
    let json: Value = serde_json::from_str(&api.body).expect("JSON");
    let burn = json["containers"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["service_name"] == "burn").cloned())
        .unwrap_or_else(|| panic!("burn in {json}"));
    assert!(burn["cpu_percent"].as_f64().unwrap_or(0.0) > 50.0, "{burn}");
    assert!(burn["memory_bytes"].as_u64().is_some(), "{burn}");
    let anon = Http::new(&url)
        .get(&format!("/api/v1/nodes/{n3}/containers"))
        .await;
    assert_eq!(anon.status, 401, "without a token: {}", anon.body);

    // every node has its agent: node 2's page has figures too
    let n2 = node_id(&host, 2, &inst);
    // (its agent may have started after node 3's: its first report takes two samples)
    poll_page(
        &mut http,
        &format!("/nodes/{n2}"),
        30,
        "node 2's page shows its agent's figures",
        |body| body.contains("data-testid=\"node-cpu-used\""),
    )
    .await;

    // a stranger on the agents' network: the agent answers its health check, refuses the rest
    docker(
        &host,
        &[
            "service",
            "create",
            "--detach",
            "--name",
            "stranger",
            "--restart-condition",
            "none",
            "--network",
            &format!("{STACK}_agents"),
            "--constraint",
            &format!("node.id=={n3}"),
            "berth-test/busybox:1",
            "sh",
            "-c",
            &format!(
                "wget -qO- http://tasks.{agent}:9000/healthz; echo; \
                 wget -S -O- http://tasks.{agent}:9000/v1/containers 2>&1; echo; \
                 wget -S -O- --header 'x-berth-time: 1' --header 'x-berth-nonce: 0123456789abcdef0123456789abcdef' \
                   --header 'x-berth-signature: 00' http://tasks.{agent}:9000/v1/info 2>&1; echo done"
            ),
        ],
    )
    .expect("service create stranger");
    let logs = eventually(60, "the stranger's requests ran", || async {
        let l = docker(&host, &["service", "logs", "--raw", "stranger"]).ok()?;
        l.contains("done").then_some(l)
    })
    .await;
    assert!(logs.starts_with("ok"), "health check answers: {logs}");
    assert!(
        logs.matches("401 Unauthorized").count() >= 2,
        "unsigned and badly signed requests are refused: {logs}"
    );
    assert!(!logs.contains("\"containers\""), "nothing leaks: {logs}");

    // node 3's agent gone: its page says so, the others still work
    docker(
        &host,
        &[
            "service",
            "update",
            "--detach",
            "--constraint-add",
            &format!("node.id!={n3}"),
            &agent,
        ],
    )
    .expect("constrain the agent off node 3");
    let r = poll_page(
        &mut http,
        &format!("/nodes/{n3}"),
        90,
        "node 3's page says it lacks an agent",
        |body| body.contains("data-testid=\"node-agent-missing\""),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("lacks an agent") || r.body.contains("does not answer"),
        "{}",
        r.body
    );
    let r = http.get("/nodes").await;
    let note = testid_text(&r.body, "nodes-without-agent").unwrap_or_default();
    assert!(
        note.contains(&format!("bl-{inst}-n3")) && !note.contains(&format!("bl-{inst}-n2")),
        "the nodes page names the node without an agent: {note:?}"
    );
    for path in [
        "/",
        "/nodes",
        "/services",
        &format!("/nodes/{n2}"),
        "/stacks",
    ] {
        let r = http.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
    let r = http.get(&format!("/nodes/{n2}")).await;
    assert!(
        r.body.contains("data-testid=\"node-cpu-used\""),
        "node 2 keeps its figures"
    );
    let api = http
        .send(
            "GET",
            &format!("/api/v1/nodes/{n3}/containers"),
            None,
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(api.status, 503, "{}", api.body);
    assert!(api.body.contains("no_agent"), "{}", api.body);

    // what an idle agent costs (node 2 runs only its agent)
    let stats = docker(
        &lab.host(2),
        &[
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}} {{.CPUPerc}} {{.MemUsage}}",
        ],
    )
    .unwrap_or_default();
    for line in stats.lines().filter(|l| l.contains("_agent.")) {
        println!("figure: idle agent on node 2: {line}");
    }

    let _ = docker(&host, &["service", "rm", "burn", "stranger"]);
    let _ = docker(&host, &["stack", "rm", STACK]);
    eventually(60, "the stack's containers are gone", || async {
        let ps = docker(
            &host,
            &[
                "ps",
                "-aq",
                "--filter",
                &format!("label=com.docker.stack.namespace={STACK}"),
            ],
        )
        .unwrap_or_default();
        ps.trim().is_empty().then_some(())
    })
    .await;
    let _ = docker(&host, &["volume", "rm", &format!("{STACK}_berth-data")]);
}
