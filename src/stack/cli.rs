//! `berth stack …`: the stack engine on the command line, for scripts and CI pipelines without
//! a docker CLI. Output follows `docker stack` (progress on stdout; warnings and errors on
//! stderr); exit codes: 0 success, 1 failure, 2 invalid command line (see
//! [`crate::config::STACK_EXIT_CODES`]).

pub mod dockerconfig;
mod input;
mod remote;
pub mod table;

use std::io::Write;
use std::process::ExitCode;

use crate::compose::{self, LoadOptions};
use crate::config::{
    StackArgs, StackCommand, StackConfigArgs, StackDeployArgs, StackNameArgs, StackRmArgs,
};
use crate::docker::Engine;
use crate::stack::{
    self, DeployEvent, DeployOptions, DeployReport, RemoveEvent, RemoveOptions, ResolveImage,
    StackError, WaitOptions,
};

fn out(line: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{line}");
}

fn out_raw(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
}

fn err(line: &str) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{line}");
}

/// Runs one `berth stack` command to completion.
pub fn run(args: StackArgs) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            err(&format!("berth: cannot start the runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    if let Some(url) = args.url.clone() {
        let Some(token) = args.token.clone() else {
            err(
                "berth: --url needs --token (or BERTH_TOKEN): an API token made on berth's settings page",
            );
            return ExitCode::from(2);
        };
        let ca = match &args.ca_cert {
            Some(f) => match std::fs::read_to_string(f) {
                Ok(pem) => Some(pem),
                Err(e) => {
                    err(&format!("berth: --ca-cert {}: {e}", f.display()));
                    return ExitCode::FAILURE;
                }
            },
            None => None,
        };
        let ok = rt.block_on(remote::run(&url, &token, ca.as_deref(), args.command));
        return if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let ok = rt.block_on(async move {
        let engine = Engine::new(&args.docker_host);
        match args.command {
            StackCommand::Deploy(a) => deploy(&engine, a).await,
            StackCommand::Rm(a) => rm(&engine, a).await,
            StackCommand::Ls => ls(&engine).await,
            StackCommand::Ps(a) => ps(&engine, a).await,
            StackCommand::Services(a) => services(&engine, a).await,
            StackCommand::Config(a) => config(a),
        }
    });
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn fail(e: &StackError) -> bool {
    err(&e.to_string());
    false
}

fn print_warning(message: &str) {
    if message.starts_with("Ignoring ") {
        err(&format!("{message}\n"));
    } else {
        err(message);
    }
}

const DETACH_NOTICE: &str = "Since --detach=false was not specified, tasks will be created in the background.\nIn a future release, --detach=false will become the default.";

async fn deploy(engine: &Engine, a: StackDeployArgs) -> bool {
    let resolve_image: ResolveImage = match a.resolve_image.parse() {
        Ok(r) => r,
        Err(e) => {
            err(&e);
            return false;
        }
    };
    let source = match input::variables(&a.env_file, &input::process_env())
        .and_then(|env| input::source(&a.compose_file, env))
    {
        Ok(s) => s,
        Err(e) => {
            err(&e);
            return false;
        }
    };
    let auth = if a.with_registry_auth {
        let env = |k: &str| std::env::var(k).ok();
        match dockerconfig::load(env("DOCKER_CONFIG").as_deref(), env("HOME").as_deref()) {
            Ok(auth) => auth,
            Err(e) => {
                err(&format!("--with-registry-auth: {e}"));
                return false;
            }
        }
    } else {
        Default::default()
    };
    // the CLI's notice comes after loading, before the first change
    let mut notice = a.detach.is_none();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<DeployEvent>();
    let quiet = a.quiet;
    let printer = tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            if notice && !matches!(ev, DeployEvent::Warning { .. }) {
                err(DETACH_NOTICE);
                notice = false;
            }
            match (&ev, ev.line()) {
                (DeployEvent::Warning { message }, _) => print_warning(message),
                (_, Some((line, true))) => err(&line),
                (_, Some((line, false))) if !quiet => out(&line),
                _ => {}
            }
        }
    });
    let opts = DeployOptions {
        prune: a.prune,
        resolve_image,
        wait: (a.detach == Some(false)).then(|| WaitOptions {
            timeout: a.timeout,
            ..WaitOptions::default()
        }),
        events: Some(tx),
        auth,
        ..DeployOptions::default()
    };
    let result = stack::deploy(engine, &a.name, source, &opts).await;
    drop(opts);
    let _ = printer.await;
    match result {
        Err(e) => fail(&e),
        Ok(report) => {
            if report.failed.is_some() {
                explain_failure(&report);
            }
            report.succeeded()
        }
    }
}

/// After a failed step: what was done and what was not, and that redeploying fixes it.
fn explain_failure(r: &DeployReport) {
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "nothing".to_string()
        } else {
            items.join(", ")
        }
    };
    let done: Vec<String> = r
        .done
        .iter()
        .filter(|d| d.outcome != stack::Outcome::Unchanged)
        .map(|d| format!("{} {} {}", d.outcome, d.kind, d.name))
        .collect();
    let skipped: Vec<String> = r
        .not_attempted
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    if let Some(f) = &r.failed {
        err(&format!(
            "Deploy of stack {} stopped at {} {}.\nDone before: {}.\nNot attempted: {}.\nFix the problem and deploy again: the stack converges from where it stopped.",
            r.stack,
            f.kind,
            f.name,
            list(done),
            list(skipped)
        ));
    }
}

async fn rm(engine: &Engine, a: StackRmArgs) -> bool {
    let mut ok = true;
    for name in &a.names {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<RemoveEvent>();
        let printer = tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                match ev.line() {
                    (l, true) => err(&l),
                    (l, false) => out(&l),
                }
            }
        });
        let opts = RemoveOptions {
            wait: (a.detach != Some(true)).then_some(a.timeout),
            events: Some(tx),
        };
        let result = stack::remove(engine, name, &opts).await;
        drop(opts);
        let _ = printer.await;
        match result {
            Err(e) => ok = fail(&e),
            Ok(r) if !r.failures.is_empty() => {
                err(&format!(
                    "failed to remove some resources from stack: {name}"
                ));
                ok = false;
            }
            Ok(r) if r.tasks_left > 0 => {
                err(&format!(
                    "{} task(s) of stack {name} still present after {} s",
                    r.tasks_left,
                    a.timeout.as_secs()
                ));
                ok = false;
            }
            Ok(r) if !r.networks_left.is_empty() => {
                err(&format!(
                    "networks of stack {name} still present after {} s: {}",
                    a.timeout.as_secs(),
                    r.networks_left.join(", ")
                ));
                ok = false;
            }
            Ok(_) => {}
        }
    }
    ok
}

async fn ls(engine: &Engine) -> bool {
    match stack::list(engine).await {
        Err(e) => fail(&e),
        Ok(stacks) => {
            let rows: Vec<(String, usize)> = stacks
                .iter()
                .map(|s| (s.name.clone(), s.services))
                .collect();
            print_ls(&rows);
            true
        }
    }
}

/// `stack ls`'s table: (name, services).
fn print_ls(stacks: &[(String, usize)]) {
    let mut rows = vec![vec!["NAME".to_string(), "SERVICES".to_string()]];
    rows.extend(stacks.iter().map(|(n, s)| vec![n.clone(), s.to_string()]));
    out_raw(&table::render(&rows));
}

/// One task as `stack ps` prints it (from the engine, or from a remote berth's API).
struct PsRow {
    id: String,
    name: String,
    image: String,
    node: String,
    desired_state: String,
    state: String,
    since: Option<i64>,
    error: String,
    ports: Vec<String>,
    superseded: bool,
}

/// One service as `stack services` prints it.
struct ServiceRow {
    id: String,
    name: String,
    mode: String,
    replicas: String,
    image: String,
    ports: Vec<String>,
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn ps(engine: &Engine, a: StackNameArgs) -> bool {
    let tasks = match stack::ps(engine, &a.name).await {
        Err(e) => return fail(&e),
        Ok(t) => t,
    };
    let rows: Vec<PsRow> = tasks
        .into_iter()
        .map(|t| PsRow {
            id: t.task.id,
            name: t.name,
            image: t.task.image,
            node: t.node,
            desired_state: t.task.desired_state,
            state: t.task.state,
            since: t.task.since,
            error: t.task.error,
            ports: t.task.ports,
            superseded: t.superseded,
        })
        .collect();
    print_ps(&rows, a.quiet, a.no_trunc)
}

/// `stack ps`'s table (or IDs with `quiet`).
fn print_ps(tasks: &[PsRow], quiet: bool, no_trunc: bool) -> bool {
    let trunc_id = |id: &str| {
        if no_trunc {
            id.to_string()
        } else {
            id.chars().take(12).collect()
        }
    };
    if quiet {
        for t in tasks {
            out(&trunc_id(&t.id));
        }
        return true;
    }
    let now = now_unix();
    let mut rows = vec![
        [
            "ID",
            "NAME",
            "IMAGE",
            "NODE",
            "DESIRED STATE",
            "CURRENT STATE",
            "ERROR",
            "PORTS",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for k in tasks {
        let image = if no_trunc {
            k.image.clone()
        } else {
            k.image.split('@').next().unwrap_or_default().to_string()
        };
        let since = k.since.map_or(String::new(), |s| {
            format!(" {} ago", table::human_duration(now - s))
        });
        let error = if k.error.is_empty() {
            String::new()
        } else if no_trunc {
            format!("\"{}\"", k.error)
        } else {
            format!("\"{}\"", table::ellipsis(&k.error, 30))
        };
        rows.push(vec![
            trunc_id(&k.id),
            if k.superseded {
                format!(" \\_ {}", k.name)
            } else {
                k.name.clone()
            },
            image,
            k.node.clone(),
            table::capitalize(&k.desired_state),
            format!("{}{since}", table::capitalize(&k.state)),
            error,
            k.ports
                .iter()
                .map(|p| format!("*:{p}"))
                .collect::<Vec<_>>()
                .join(","),
        ]);
    }
    out_raw(&table::render(&rows));
    true
}

async fn services(engine: &Engine, a: StackNameArgs) -> bool {
    let list = match stack::services(engine, &a.name).await {
        Err(e) => return fail(&e),
        Ok(l) => l,
    };
    let rows: Vec<ServiceRow> = list
        .into_iter()
        .map(|s| ServiceRow {
            replicas: s.replicas(),
            id: s.id,
            name: s.name,
            mode: s.mode,
            image: s.image,
            ports: s.ports,
        })
        .collect();
    print_services(&a.name, &rows, a.quiet, a.no_trunc)
}

/// `stack services`'s table (or IDs with `quiet`); an empty stack is said on stderr.
fn print_services(stack: &str, list: &[ServiceRow], quiet: bool, no_trunc: bool) -> bool {
    if list.is_empty() {
        err(&format!("Nothing found in stack: {stack}"));
        return true;
    }
    let id = |s: &str| -> String {
        if no_trunc {
            s.to_string()
        } else {
            s.chars().take(12).collect()
        }
    };
    if quiet {
        for s in list {
            out(&id(&s.id));
        }
        return true;
    }
    let mut rows = vec![
        ["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"]
            .map(String::from)
            .to_vec(),
    ];
    for s in list {
        rows.push(vec![
            id(&s.id),
            s.name.clone(),
            s.mode.clone(),
            s.replicas.clone(),
            s.image.clone(),
            s.ports.join(", "),
        ]);
    }
    out_raw(&table::render(&rows));
    true
}

fn config(a: StackConfigArgs) -> bool {
    let process = input::process_env();
    let source = match input::variables(&a.env_file, &process)
        .and_then(|env| input::source(&a.compose_file, env))
    {
        Ok(s) => s,
        Err(e) => {
            err(&e);
            return false;
        }
    };
    let mut opts = LoadOptions::new(&source.env, &source.working_dir, &*source.reader);
    opts.skip_interpolation = a.skip_interpolation;
    match compose::load_config(&source.files, &opts) {
        Err(e) => {
            err(&e.to_string());
            false
        }
        Ok(loaded) => {
            for w in loaded
                .warnings
                .iter()
                .filter(|w| !w.starts_with("Ignoring "))
            {
                err(w);
            }
            out_raw(&compose::config_yaml(&loaded.config));
            true
        }
    }
}
