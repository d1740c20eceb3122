//! berth at 10,000 tasks with many open pages (issue 14). berth runs as its own process (the
//! bench profile's binary) and talks to the manager through a counting proxy; the figures:
//! Docker API calls/s and the manager dockerd's CPU idle and with N open pages, the p99 of live
//! updates (a change made in Docker until an open page holds it), berth's RSS, and each page's
//! render time next to the matching docker CLI command in the same run.
//!
//! An open page is simulated as a browser would run it: the page is fetched once, then every
//! live part it declares is followed: `sse-connect` streams are read, `hx-trigger="every Ns"`
//! parts (without `sse-swap`) are polled with `HX-Request: true`.
//!
//! Environment: BERTH_BENCH_TASKS (10000), BERTH_BENCH_PAGES (100), BERTH_BENCH_WINDOW (seconds
//! per measured window, 20), BERTH_BENCH_ROUNDS (live-update rounds, 15).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::models::ServiceSpec;
use bollard::query_parameters::UpdateServiceOptions;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

use crate::common::{Bench, ms};
use crate::proxy::Proxy;

type Http = Client<HttpConnector, Empty<Bytes>>;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // after the command: state(0) … utime(11) stime(12), in clock ticks (100 a second)
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The manager dockerd's pid: the lab keeps it next to the socket (node1.sock → node1/docker.pid).
fn dockerd_pid(host: &str) -> Option<u32> {
    if let Ok(p) = std::env::var("BERTH_BENCH_DOCKERD_PID") {
        return p.parse().ok();
    }
    let sock = host.strip_prefix("unix://")?;
    let dir = sock.strip_suffix(".sock")?;
    std::fs::read_to_string(format!("{dir}/docker.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// berth as a child process, signed in.
struct Berth {
    child: std::process::Child,
    base: String,
    cookie: String,
    http: Http,
    _dir: tempfile::TempDir,
}

impl Drop for Berth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Berth {
    async fn start(docker_host: &str) -> Berth {
        let dir = tempfile::tempdir().expect("temp dir");
        let pw = dir.path().join("admin-password");
        std::fs::write(&pw, "benchmark password 1\n").expect("password file");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("port").port()
        };
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
            .env_clear()
            .env("BERTH_LISTEN", format!("127.0.0.1:{port}"))
            .env("BERTH_TLS_LISTEN", "off")
            .env("BERTH_DATA_DIR", dir.path().join("data"))
            .env("DOCKER_HOST", docker_host)
            .env("BERTH_ADMIN_PASSWORD_FILE", &pw)
            .env("BERTH_ADMIN_USERNAME", "bench")
            .env("RUST_LOG", "warn")
            // as the image runs it (Dockerfile)
            .env("MALLOC_MMAP_THRESHOLD_", "131072")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start berth");
        let http: Http = Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
        let base = format!("http://127.0.0.1:{port}");
        let mut cookie = String::new();
        for _ in 0..300 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if let Some(c) = login(&base).await {
                cookie = c;
                break;
            }
        }
        assert!(!cookie.is_empty(), "berth did not start or refused sign-in");
        Berth {
            child,
            base,
            cookie,
            http,
            _dir: dir,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn request(&self, path: &str, htmx: bool, sse: bool) -> hyper::Request<Empty<Bytes>> {
        let mut r =
            hyper::Request::get(format!("{}{path}", self.base)).header("cookie", &self.cookie);
        if htmx {
            r = r.header("hx-request", "true");
        }
        if sse {
            r = r.header("accept", "text/event-stream");
        }
        r.body(Empty::new()).expect("request")
    }

    async fn get(&self, path: &str, htmx: bool) -> (u16, String) {
        match self.http.request(self.request(path, htmx, false)).await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let body = resp
                    .into_body()
                    .collect()
                    .await
                    .map(|b| b.to_bytes())
                    .unwrap_or_default();
                (status, String::from_utf8_lossy(&body).into_owned())
            }
            Err(_) => (0, String::new()),
        }
    }
}

/// POSTs the sign-in form; the session cookie on success.
async fn login(base: &str) -> Option<String> {
    let client: Client<HttpConnector, http_body_util::Full<Bytes>> =
        Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let req = hyper::Request::post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(http_body_util::Full::new(Bytes::from_static(
            b"username=bench&password=benchmark+password+1&next=",
        )))
        .ok()?;
    let resp = client.request(req).await.ok()?;
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("berth_session="))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}

/// What an open page follows.
#[derive(Debug, Default)]
struct LiveParts {
    /// (url, interval)
    polled: Vec<(String, Duration)>,
    streams: Vec<String>,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let end = tag[at..].find('"')?;
    Some(
        tag[at..at + end]
            .replace("&amp;", "&")
            .replace("&#x3D;", "="),
    )
}

fn live_parts(html: &str) -> LiveParts {
    let mut parts = LiveParts::default();
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        if let Some(url) = attr(tag, "sse-connect") {
            parts.streams.push(url);
        }
        let (Some(url), Some(trigger)) = (attr(tag, "hx-get"), attr(tag, "hx-trigger")) else {
            continue;
        };
        if tag.contains(" sse-swap=\"") {
            continue;
        }
        if let Some(every) = trigger.strip_prefix("every ") {
            let every = every.split_whitespace().next().unwrap_or("2s");
            let secs = every
                .strip_suffix('s')
                .and_then(|n| n.parse::<f64>().ok())
                .unwrap_or(2.0);
            parts.polled.push((url, Duration::from_secs_f64(secs)));
        }
    }
    parts
}

/// The change the live-update rounds look for: a marker (an image tag, a running count) that
/// appears on the pages that show the changed service; each page records when it first held
/// the round's marker.
#[derive(Default)]
struct Watch {
    current: Mutex<Option<(String, u64)>>,
    /// (round, when a page first held its marker)
    seen: Mutex<Vec<(u64, Instant)>>,
    events: AtomicU64,
    polls: AtomicU64,
    errors: AtomicU64,
    /// the first few failures, as "status url"
    failures: Mutex<Vec<String>>,
}

impl Watch {
    /// Called with every fresh content a page receives; records the time once per round.
    fn saw(&self, content: &str, seen_round: &mut u64) {
        let cur = self.current.lock().ok().and_then(|c| c.clone());
        if let Some((marker, round)) = cur
            && round > *seen_round
            && content.contains(&marker)
        {
            *seen_round = round;
            if let Ok(mut l) = self.seen.lock() {
                l.push((round, Instant::now()));
            }
        }
    }

    fn expect(&self, marker: String, round: u64) {
        if let Ok(mut c) = self.current.lock() {
            *c = Some((marker, round));
        }
    }

    fn failed(&self, what: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut f) = self.failures.lock()
            && f.len() < 5
        {
            f.push(what);
        }
    }

    /// Each page's delay for the rounds in `rounds`, from the round's start (`t0[round]`).
    fn latencies(&self, t0: &std::collections::HashMap<u64, Instant>) -> Vec<Duration> {
        let mut lat: Vec<Duration> = self
            .seen
            .lock()
            .map(|l| {
                l.iter()
                    .filter_map(|(r, at)| t0.get(r).map(|t| at.saturating_duration_since(*t)))
                    .collect()
            })
            .unwrap_or_default();
        lat.sort();
        lat
    }
}

fn quantile(lat: &[Duration], p: f64) -> Duration {
    lat.get(((lat.len().max(1) - 1) as f64 * p).round() as usize)
        .copied()
        .unwrap_or_default()
}

async fn open_page(
    berth: Arc<Berth>,
    watch: Arc<Watch>,
    path: String,
    stop: Arc<tokio::sync::Notify>,
) {
    let (_, html) = berth.get(&path, false).await;
    let parts = live_parts(&html);
    let mut tasks = Vec::new();
    for (url, every) in parts.polled {
        let (berth, watch) = (berth.clone(), watch.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen = 0;
            loop {
                tokio::time::sleep(every).await;
                let (status, body) = berth.get(&url, true).await;
                watch.polls.fetch_add(1, Ordering::Relaxed);
                if status == 0 || status >= 400 {
                    watch.failed(format!("{status} {url}"));
                }
                watch.saw(&body, &mut seen);
            }
        }));
    }
    for url in parts.streams {
        let (berth, watch) = (berth.clone(), watch.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen = 0;
            loop {
                let resp = match berth.http.request(berth.request(&url, false, true)).await {
                    Ok(r) if r.status().is_success() => r,
                    other => {
                        let status = other.map(|r| r.status().as_u16()).unwrap_or(0);
                        watch.failed(format!("stream {status} {url}"));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                let mut body = resp.into_body();
                // bytes received; an event ends at a blank line, looked for only in what is
                // new (a map fragment is 1.7 MB in a hundred frames: scanning the whole buffer
                // at every frame cost the bench more CPU than berth)
                let mut buf: Vec<u8> = Vec::new();
                let mut from = 0;
                while let Some(Ok(frame)) = body.frame().await {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    buf.extend_from_slice(&data);
                    while let Some(end) = buf[from..]
                        .windows(2)
                        .position(|w| w == b"\n\n")
                        .map(|i| from + i)
                    {
                        let event = String::from_utf8_lossy(&buf[..end + 2]).into_owned();
                        buf.drain(..end + 2);
                        from = 0;
                        if event.lines().any(|l| l.starts_with("data:")) {
                            watch.events.fetch_add(1, Ordering::Relaxed);
                            watch.saw(&event, &mut seen);
                        }
                    }
                    from = buf.len().saturating_sub(1);
                }
            }
        }));
    }
    stop.notified().await;
    for t in tasks {
        t.abort();
    }
}

struct Window {
    calls_per_s: f64,
    dockerd_cpu: f64,
    berth_cpu: f64,
    rss_mib: f64,
}

async fn window(b: &Berth, proxy: &Proxy, dockerd: Option<u32>, secs: u64) -> Window {
    let (c0, d0, b0, t0) = (
        proxy.counts.total(),
        dockerd.map(cpu_seconds).unwrap_or(0.0),
        cpu_seconds(b.pid()),
        Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let dt = t0.elapsed().as_secs_f64();
    Window {
        calls_per_s: (proxy.counts.total() - c0) as f64 / dt,
        dockerd_cpu: (dockerd.map(cpu_seconds).unwrap_or(0.0) - d0) / dt * 100.0,
        berth_cpu: (cpu_seconds(b.pid()) - b0) / dt * 100.0,
        rss_mib: status_kib(b.pid(), "VmRSS:") as f64 / 1024.0,
    }
}

fn print_window(label: &str, w: &Window) {
    println!(
        "  {label:<44} Docker calls/s {:>7.2}   manager dockerd CPU {:>6.1} %   berth CPU {:>6.1} %   berth RSS {:>6.1} MiB",
        w.calls_per_s, w.dockerd_cpu, w.berth_cpu, w.rss_mib
    );
}

/// 10 stacks of 10 services of TASKS/100 pending replicas each.
async fn populate(b: &Bench, tasks: u64) {
    let per = (tasks / 100).max(1) as i64;
    for s in 0..10 {
        let stack = format!("bscale{s}");
        b.ensure_pending_services(
            &format!("{stack}_svc"),
            10,
            per,
            &[("com.docker.stack.namespace", &stack)],
        )
        .await;
    }
    let t0 = Instant::now();
    loop {
        let n = b
            .docker
            .list_tasks(None)
            .await
            .map(|t| t.len())
            .unwrap_or(0) as u64;
        if n >= tasks || t0.elapsed() > Duration::from_secs(900) {
            println!(
                "  ({n} tasks in the swarm, ready after {:.0} s)",
                t0.elapsed().as_secs_f64()
            );
            break;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// Changes `service`'s image to `marker`; answers when Docker accepted the change.
async fn set_marker(b: &Bench, service: &str, marker: &str) -> Option<Instant> {
    let Ok(svc) = b.docker.inspect_service(service, None).await else {
        return None;
    };
    let version = svc.version.and_then(|v| v.index).unwrap_or(0) as i32;
    let mut spec: ServiceSpec = svc.spec.unwrap_or_default();
    if let Some(c) = spec
        .task_template
        .as_mut()
        .and_then(|t| t.container_spec.as_mut())
    {
        c.image = Some(marker.to_string());
    }
    b.docker
        .update_service(
            service,
            spec,
            UpdateServiceOptions {
                version,
                ..Default::default()
            },
            None,
        )
        .await
        .ok()
        .map(|_| Instant::now())
}

pub async fn run(b: &Bench) {
    let tasks = env_num("BERTH_BENCH_TASKS", 10_000);
    let pages = env_num("BERTH_BENCH_PAGES", 100) as usize;
    let secs = env_num("BERTH_BENCH_WINDOW", 20);
    let rounds = env_num("BERTH_BENCH_ROUNDS", 15);
    println!("scale ({tasks} pending tasks in 10 stacks of 10 services; {pages} open pages)");
    populate(b, tasks).await;
    ensure_live_service(b).await;

    let upstream = PathBuf::from(
        b.host
            .strip_prefix("unix://")
            .expect("a unix:// lab socket"),
    );
    let sock = std::env::temp_dir().join(format!("berth-bench-{}.sock", std::process::id()));
    let proxy = Proxy::start(&sock, &upstream);
    let berth = Arc::new(Berth::start(&format!("unix://{}", sock.display())).await);
    let dockerd = dockerd_pid(&b.host);
    if dockerd.is_none() {
        println!(
            "  (the manager dockerd's pid is unknown: set BERTH_BENCH_DOCKERD_PID for its CPU)"
        );
    }

    let nodes = b.docker.list_nodes(None).await.unwrap_or_default();
    let manager = nodes
        .iter()
        .find(|n| n.manager_status.is_some())
        .and_then(|n| n.id.clone())
        .unwrap_or_default();
    let marked = "bscale0_svc0";
    let service_id = b
        .docker
        .inspect_service(marked, None)
        .await
        .ok()
        .and_then(|s| s.id)
        .unwrap_or_default();
    let live_id = b
        .docker
        .inspect_service(LIVE, None)
        .await
        .ok()
        .and_then(|s| s.id)
        .unwrap_or_default();
    let page_list: Vec<(&str, String, Vec<&str>)> = vec![
        ("/ (dashboard)", "/".into(), vec!["service", "ls"]),
        ("/nodes", "/nodes".into(), vec!["node", "ls"]),
        (
            "/nodes/map",
            "/nodes/map".into(),
            vec!["node", "ps", &manager],
        ),
        ("/services", "/services".into(), vec!["service", "ls"]),
        ("/stacks", "/stacks".into(), vec!["stack", "ls"]),
        (
            "node page (the manager)",
            format!("/nodes/{manager}"),
            vec!["node", "ps", &manager],
        ),
        (
            "service page (100 tasks)",
            format!("/services/{service_id}"),
            vec!["service", "ps", marked],
        ),
        (
            "stack page (1,000 tasks)",
            "/stacks/bscale0".into(),
            vec!["stack", "ps", "bscale0"],
        ),
        (
            "service page (running tasks)",
            format!("/services/{live_id}"),
            vec!["service", "ps", LIVE],
        ),
    ];
    let mut targets = Targets::default();

    // let berth load (and a model settle) before measuring
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_start = status_kib(berth.pid(), "VmRSS:") as f64 / 1024.0;
    println!("  berth RSS after start: {rss_start:.1} MiB");

    println!("  page render (berth over HTTP, server + loopback) vs the docker CLI, medians:");
    let iterations = b.iterations.min(20);
    for (label, path, cli) in &page_list {
        let mut samples = Vec::new();
        let mut bytes = 0;
        for i in 0..iterations + 2 {
            let t = Instant::now();
            let (status, body) = berth.get(path, false).await;
            let d = t.elapsed();
            if status != 200 {
                println!("    {label}: answered {status}");
                break;
            }
            bytes = body.len();
            if i >= 2 {
                samples.push(d);
            }
        }
        samples.sort();
        let page = samples.get(samples.len() / 2).copied().unwrap_or_default();
        let cli_stats = b.cli_quiet(cli);
        targets.pages.push((label.to_string(), page, cli_stats));
        println!(
            "    {label:<28} berth {:>8.2} ms ({:>5} KiB)   docker {:<28} {:>8.2} ms   ratio {:.2}",
            ms(page),
            bytes / 1024,
            cli.join(" "),
            ms(cli_stats),
            ms(page) / ms(cli_stats).max(0.001)
        );
    }

    let idle = window(&berth, &proxy, dockerd, secs).await;
    print_window("idle (no open page)", &idle);

    let watch = Arc::new(Watch::default());
    let stop = Arc::new(tokio::sync::Notify::new());
    let mut clients = Vec::new();
    for i in 0..pages {
        let path = page_list[i % page_list.len()].1.clone();
        clients.push(tokio::spawn(open_page(
            berth.clone(),
            watch.clone(),
            path,
            stop.clone(),
        )));
        if i % 10 == 9 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let before = proxy.counts.by_endpoint();
    let (p0, e0) = (
        watch.polls.load(Ordering::Relaxed),
        watch.events.load(Ordering::Relaxed),
    );
    let loaded = window(&berth, &proxy, dockerd, secs).await;
    print_window(&format!("{pages} open pages"), &loaded);
    println!(
        "    pages received {:.1} polls/s and {:.1} pushed events/s; {} errors",
        (watch.polls.load(Ordering::Relaxed) - p0) as f64 / secs as f64,
        (watch.events.load(Ordering::Relaxed) - e0) as f64 / secs as f64,
        watch.errors.load(Ordering::Relaxed)
    );
    let after = proxy.counts.by_endpoint();
    for (k, v) in &after {
        let d = v - before.get(k).copied().unwrap_or(0);
        if d > 0 {
            println!("    {k:<40} {:.2}/s", d as f64 / secs as f64);
        }
    }
    println!(
        "    delta vs idle: {:+.2} calls/s, manager CPU {:+.1} points",
        loaded.calls_per_s - idle.calls_per_s,
        loaded.dockerd_cpu - idle.dockerd_cpu
    );

    // live updates: change the marked service's image; each open page that shows it records
    // the time from the change until its live part holds the new image
    let showing = (0..pages)
        .filter(|i| matches!(i % page_list.len(), 3 | 6 | 7))
        .count() as u64;
    let mut t0 = std::collections::HashMap::new();
    let mut t_accepted = std::collections::HashMap::new();
    for round in 1..=rounds {
        let marker = format!("bench/marker:r{round}-{}", std::process::id());
        watch.expect(marker.clone(), round);
        t0.insert(round, Instant::now());
        if let Some(at) = set_marker(b, marked, &marker).await {
            t_accepted.insert(round, at);
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let lat = watch.latencies(&t0);
    let after_docker = watch.latencies(&t_accepted);
    println!(
        "  live updates ({rounds} image changes, {showing} pages show the service): {} of {} arrived; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        showing * rounds,
        ms(quantile(&lat, 0.5)),
        ms(quantile(&lat, 0.99)),
        ms(quantile(&lat, 1.0))
    );
    println!(
        "    the same from Docker's answer to the update (Docker's own time left out): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(quantile(&after_docker, 0.5)),
        ms(quantile(&after_docker, 0.99)),
        ms(quantile(&after_docker, 1.0))
    );
    targets.live = Some((quantile(&lat, 0.99), lat.len() as u64, showing * rounds));

    // task state changes: the running service is scaled between 1 and 2; the bench watches
    // Docker for the new task's `running` and each open page of the service for the count
    let live_pages = (0..pages)
        .filter(|i| i % page_list.len() == page_list.len() - 1)
        .count() as u64;
    let mut t_task = std::collections::HashMap::new();
    let task_rounds = rounds.min(8);
    for k in 1..=task_rounds {
        let round = rounds + k;
        let want = if k % 2 == 1 { 2 } else { 1 };
        watch.expect(
            format!(
                "data-testid=\"running\">{want}</span><span class=\"stat-of\"> / <span data-testid=\"desired\">{want}</span>"
            ),
            round,
        );
        if let Some(at) = scale_and_wait_running(b, want).await {
            t_task.insert(round, at);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let tl = watch.latencies(&t_task);
    println!(
        "  task state changes ({task_rounds} scales of {LIVE}, {live_pages} pages show it): {} of {} arrived; from the task's state in Docker: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        tl.len(),
        live_pages * task_rounds,
        ms(quantile(&tl, 0.5)),
        ms(quantile(&tl, 0.99)),
        ms(quantile(&tl, 1.0))
    );
    targets.task = Some((
        quantile(&tl, 1.0),
        tl.len() as u64,
        live_pages * task_rounds,
    ));
    if let Ok(f) = watch.failures.lock()
        && !f.is_empty()
    {
        println!("  first failures of open pages: {}", f.join("; "));
    }
    let (rss_now, rss_peak) = (
        status_kib(berth.pid(), "VmRSS:") as f64 / 1024.0,
        status_kib(berth.pid(), "VmHWM:") as f64 / 1024.0,
    );
    println!("  berth RSS: now {rss_now:.1} MiB, peak {rss_peak:.1} MiB");
    targets.calls = Some((idle.calls_per_s, loaded.calls_per_s));
    targets.cpu = Some((idle.dockerd_cpu, loaded.dockerd_cpu));
    targets.rss = Some((idle.rss_mib.max(loaded.rss_mib).max(rss_now), rss_peak));
    targets.print(pages, tasks);
    stop.notify_waiters();
    for c in clients {
        let _ = c.await;
    }
    let _ = std::fs::remove_file(&sock);
}

/// A small running service: its task state changes are what the task rounds time.
const LIVE: &str = "bscale_live";

async fn ensure_live_service(b: &Bench) {
    if b.docker.inspect_service(LIVE, None).await.is_ok() {
        scale(b, 1).await;
        return;
    }
    // once (cli_quiet would time it 21 times, and 20 of them fail: the name is taken)
    let created = std::process::Command::new("docker")
        .args([
            "-H", &b.host, "service", "create", "--detach", "--quiet", "--name", LIVE,
        ])
        .args(["--replicas", "1", "berth-test/busybox:1", "sleep", "86400"])
        .output();
    if !created.as_ref().is_ok_and(|o| o.status.success()) {
        println!("    docker service create {LIVE} failed: {created:?}");
    }
}

async fn scale(b: &Bench, replicas: i64) {
    let Ok(svc) = b.docker.inspect_service(LIVE, None).await else {
        return;
    };
    let version = svc.version.and_then(|v| v.index).unwrap_or(0) as i32;
    let mut spec: ServiceSpec = svc.spec.unwrap_or_default();
    if let Some(r) = spec.mode.as_mut().and_then(|m| m.replicated.as_mut()) {
        r.replicas = Some(replicas);
    }
    let _ = b
        .docker
        .update_service(
            LIVE,
            spec,
            UpdateServiceOptions {
                version,
                ..Default::default()
            },
            None,
        )
        .await;
}

/// Scales the running service and watches Docker (every 20 ms) until exactly `want` of its
/// tasks run; when that was first seen (None after 30 s).
async fn scale_and_wait_running(b: &Bench, want: i64) -> Option<Instant> {
    scale(b, want).await;
    let t = Instant::now();
    let filters = std::collections::HashMap::from([
        ("service".to_string(), vec![LIVE.to_string()]),
        ("desired-state".to_string(), vec!["running".to_string()]),
    ]);
    while t.elapsed() < Duration::from_secs(30) {
        let opts = bollard::query_parameters::ListTasksOptions {
            filters: Some(filters.clone()),
        };
        let running = b
            .docker
            .list_tasks(Some(opts))
            .await
            .map(|ts| {
                ts.iter()
                    .filter(|t| {
                        t.status.as_ref().and_then(|s| s.state)
                            == Some(bollard::models::TaskState::RUNNING)
                    })
                    .count() as i64
            })
            .unwrap_or(-1);
        if running == want {
            return Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Issue 14's targets with this run's figures.
#[derive(Default)]
struct Targets {
    /// (page, berth's median, the CLI's median)
    pages: Vec<(String, Duration, Duration)>,
    /// (idle, loaded) calls/s
    calls: Option<(f64, f64)>,
    /// (idle, loaded) manager dockerd CPU %
    cpu: Option<(f64, f64)>,
    /// (p99, arrived, expected)
    live: Option<(Duration, u64, u64)>,
    /// (slowest, arrived, expected)
    task: Option<(Duration, u64, u64)>,
    /// (highest RSS seen in the windows and after, peak VmHWM) MiB
    rss: Option<(f64, f64)>,
}

impl Targets {
    fn print(&self, pages: usize, tasks: u64) {
        let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
        println!("  issue 14 targets ({tasks} tasks, {pages} open pages):");
        for (label, page, cli) in &self.pages {
            println!(
                "    {:<58} {:>8.2} ms vs {:>8.2} ms   {}",
                format!("{label}: no slower than the CLI"),
                ms(*page),
                ms(*cli),
                verdict(page <= cli)
            );
        }
        if let Some((idle, loaded)) = self.calls {
            println!(
                "    {:<58} {:>+8.2} calls/s ({idle:.2} -> {loaded:.2})   {}",
                "Docker calls/s with the pages open, within 1 of idle",
                loaded - idle,
                verdict(loaded - idle <= 1.0)
            );
        }
        if let Some((idle, loaded)) = self.cpu {
            println!(
                "    {:<58} {:>+8.1} points ({idle:.1} -> {loaded:.1} %)   {}",
                "manager dockerd CPU, within 5 points of idle",
                loaded - idle,
                verdict(loaded - idle <= 5.0)
            );
        }
        if let Some((p99, arrived, expected)) = self.live {
            println!(
                "    {:<58} {:>8.1} ms ({arrived} of {expected} arrived)   {}",
                "p99 of live updates under 100 ms",
                ms(p99),
                verdict(p99 < Duration::from_millis(100) && arrived == expected && expected > 0)
            );
        }
        if let Some((max, arrived, expected)) = self.task {
            println!(
                "    {:<58} {:>8.1} ms slowest ({arrived} of {expected} arrived)   {}",
                "a task state change reaches an open page within 1 s",
                ms(max),
                verdict(max <= Duration::from_secs(1) && arrived == expected && expected > 0)
            );
        }
        if let Some((rss, peak)) = self.rss {
            println!(
                "    {:<58} {:>8.1} MiB (peak {peak:.1} MiB)   {}",
                "berth RSS under 64 MiB",
                rss,
                verdict(rss < 64.0)
            );
        }
    }
}
