//! The berth binary: read configuration, set up logging, dispatch the subcommand.

use std::process::ExitCode;

use berth::config::{AgentArgs, Cli, Command, LogFormat, ServeArgs};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse_from(berth::config::remote_flags_after_stack(
        std::env::args_os().collect(),
    ));
    match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(args) => serve(args),
        Command::Healthcheck(args) => {
            let url = args
                .url
                .unwrap_or_else(|| berth::healthcheck::default_url(args.listen));
            match berth::healthcheck::check(&url) {
                Ok(body) => {
                    print!("{body}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("berth healthcheck: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Stack(args) => berth::stack::cli::run(args),
        Command::Agent(args) => agent(args),
        Command::State(args) => berth::swarmstate::cli::run(args),
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BERTH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,memory_serve=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// `berth agent`: one thread is plenty (a few requests per interval), and keeps it small.
fn agent(args: AgentArgs) -> ExitCode {
    init_logging(args.log_format);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(4)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("berth agent: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let settings = berth::agent::server::Settings {
        listen: args.listen,
        docker_host: args.docker_host,
        key_file: args.key_file,
        interval: args.interval,
    };
    match rt.block_on(berth::agent::server::run(
        settings,
        berth::shutdown_signal(),
    )) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    init_logging(args.log_format);
    // a bounded blocking pool (argon2, file reads): the stack file's pids limit counts threads
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(64)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("berth: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        match run(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e:#}");
                ExitCode::FAILURE
            }
        }
    })
}

async fn run(mut args: ServeArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    use berth::swarmstate::Start;
    let swarm = match berth::swarmstate::start(&mut args).await? {
        Start::Replacing => {
            // swarm stops this task to start one with the key mounted
            tokio::select! {
                _ = berth::shutdown_signal() => return Ok(()),
                _ = tokio::time::sleep(std::time::Duration::from_secs(120)) => anyhow::bail!(
                    "berth mounted its key secret into its service but swarm did not replace this task"
                ),
            }
        }
        Start::Local => None,
        Start::Swarm(s) => {
            tracing::info!("berth's state is kept in the swarm as {}", s.scope());
            Some(s)
        }
    };
    let (listen, tls_listen) = (args.listen, args.tls_listen);
    let tls = match tls_listen {
        Some(_) => Some(berth::tls::load(&args)?),
        None => None,
    };
    let state = berth::AppState::new(args).await?;
    if let Some(tls) = &tls {
        match &tls.origin {
            berth::tls::CertOrigin::Given(path) => {
                tracing::info!("https certificate: {}", path.display())
            }
            berth::tls::CertOrigin::SelfSigned { path, created } => tracing::warn!(
                "https certificate: self-signed, {} {}: browsers warn about it; accept it only if they show this fingerprint",
                if *created { "created in" } else { "from" },
                path.display()
            ),
        }
        tracing::warn!("https certificate SHA-256 fingerprint: {}", tls.fingerprint);
    }
    let http = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let https = match (tls_listen, tls) {
        (Some(addr), Some(tls)) => {
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} (BERTH_TLS_LISTEN)"))?;
            Some((l, tls.config))
        }
        _ => None,
    };
    tracing::info!(
        "berth {} listening on http://{listen}{} (docker: {})",
        env!("CARGO_PKG_VERSION"),
        tls_listen
            .map(|a| format!(" and https://{a}"))
            .unwrap_or_default(),
        state.docker.host()
    );
    if let Some(u) = &state.config.public_url {
        tracing::info!("public address: {} (BERTH_PUBLIC_URL)", u.origin);
    }
    let writer = swarm.map(|s| tokio::spawn(s.run(state.db.clone(), state.shutting_down())));
    let served = berth::serve_all(http, https, state, berth::shutdown_signal())
        .await
        .context("server error");
    if let Some(w) = writer {
        // the last changes go to the swarm before the task ends
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), w).await;
    }
    served
}
