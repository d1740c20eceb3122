//! Command line and environment configuration.
//!
//! Every serve setting is a flag with an environment fallback, so the same binary is configured
//! by flags on a terminal and by `environment:` in a stack file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::auth::roles::ViewerLogs;

mod public_url;
pub use public_url::{PublicUrl, host_of};

/// berth: a fast, small, secure web dashboard for Docker Swarm.
#[derive(Debug, Parser)]
#[command(name = "berth", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options for `serve` (the default command).
    #[command(flatten)]
    pub serve: ServeArgs,
}

// parsed once per run: the size of the serve variant costs nothing
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard (the default when no command is given).
    Serve(ServeArgs),
    /// Check that a running berth answers on /healthz; exits 0 when healthy, 1 otherwise.
    /// Meant for a HEALTHCHECK in an image without a shell.
    Healthcheck(HealthcheckArgs),
    /// Deploy and manage swarm stacks like `docker stack`, without a docker CLI.
    Stack(StackArgs),
    /// The berth agent: one per node (a global service in berth's stack), serving its node's
    /// containers and figures to berth only (requests signed with the key berth hands over).
    Agent(AgentArgs),
    /// Read berth's state kept in the swarm (read-only).
    State(StateArgs),
}

/// `berth state stacks`: the stacks in a berth's state in the swarm. Inside berth's container
/// (`docker exec`) scope and key default to its own; elsewhere give both.
#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    /// What to show (only `stacks`).
    #[arg(value_parser = ["stacks"])]
    pub what: String,
    /// A stack: its versions.
    pub stack: Option<String>,
    /// A version of that stack: its compose file.
    pub version: Option<i64>,
    /// Whose state: the berth service's name (e.g. berth_berth).
    #[arg(long, value_parser = parse_swarm_state)]
    pub scope: Option<String>,
    /// The key file (default /run/secrets/berth_state_key).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Docker Engine API address of a swarm manager.
    #[arg(
        long,
        env = "DOCKER_HOST",
        default_value = "unix:///var/run/docker.sock"
    )]
    pub docker_host: String,
}

/// `berth stack …`
#[derive(Debug, Clone, Args)]
#[command(after_help = STACK_EXIT_CODES)]
pub struct StackArgs {
    /// Docker Engine API address of a swarm manager (unix:///path or tcp://host:port).
    #[arg(
        long,
        env = "DOCKER_HOST",
        default_value = "unix:///var/run/docker.sock",
        global = true
    )]
    pub docker_host: String,
    /// Drive the berth at this address over its API instead of a Docker socket (e.g.
    /// https://berth.example.com:9443); may also come before `stack`.
    #[arg(long, env = "BERTH_URL", global = true, value_name = "URL")]
    pub url: Option<String>,
    /// The API token for --url (made on berth's settings page).
    #[arg(
        long,
        env = "BERTH_TOKEN",
        global = true,
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// A CA certificate (PEM) to trust for --url, e.g. berth's self-signed one.
    #[arg(long, env = "BERTH_CA_CERT", global = true, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    #[command(subcommand)]
    pub command: StackCommand,
}

/// `berth --url URL --token TOKEN stack …`: the remote client's flags written before `stack`
/// are moved after it (the top level's serve flags exclude subcommands otherwise).
pub fn remote_flags_after_stack(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let Some(stack) = args.iter().position(|a| a == "stack") else {
        return args;
    };
    let mut moved = Vec::new();
    let mut i = 1;
    while i < stack {
        let a = args[i].to_string_lossy();
        let flag = ["--url", "--token", "--ca-cert"]
            .into_iter()
            .find(|f| a == *f || a.starts_with(&format!("{f}=")));
        match flag {
            Some(f) if a == f && i + 1 < stack => {
                moved.extend([args[i].clone(), args[i + 1].clone()]);
                i += 2;
            }
            Some(f) if a != f => {
                moved.push(args[i].clone());
                i += 1;
            }
            _ => return args,
        }
    }
    let mut out = vec![args[0].clone(), args[stack].clone()];
    out.extend(moved);
    out.extend(args[stack + 1..].iter().cloned());
    out
}

/// Exit codes of `berth stack`, shown in `--help`.
pub const STACK_EXIT_CODES: &str = "\
Exit codes:
  0  success (deploy: the swarm accepted every change and, with --detach=false, the stack converged)
  1  failure: invalid compose file, a swarm that would refuse it, Docker unreachable or refusing,
     a deploy step that failed, a stack that did not converge in time, a removal that failed
  2  invalid command line";

#[derive(Debug, Clone, Subcommand)]
pub enum StackCommand {
    /// Deploy a new stack or update an existing one.
    #[command(visible_alias = "up", after_help = STACK_EXIT_CODES)]
    Deploy(StackDeployArgs),
    /// Remove one or more stacks (services, secrets, configs, networks; volumes stay).
    #[command(visible_aliases = ["remove", "down"], after_help = STACK_EXIT_CODES)]
    Rm(StackRmArgs),
    /// List stacks.
    #[command(visible_alias = "list", after_help = STACK_EXIT_CODES)]
    Ls,
    /// List the tasks of a stack.
    #[command(after_help = STACK_EXIT_CODES)]
    Ps(StackNameArgs),
    /// List the services of a stack.
    #[command(after_help = STACK_EXIT_CODES)]
    Services(StackNameArgs),
    /// Print the merged and interpolated compose file; contacts no Docker.
    #[command(after_help = STACK_EXIT_CODES)]
    Config(StackConfigArgs),
}

#[derive(Debug, Clone, Args)]
pub struct StackDeployArgs {
    /// Compose file (repeat, or separate with commas, to merge several; `-` reads stdin).
    #[arg(
        short = 'c',
        long = "compose-file",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub compose_file: Vec<String>,
    /// Variables for interpolation: KEY=value lines as in a .env file (`#` comments, optional
    /// `export`, quotes around a value removed); repeatable, later files win; the process
    /// environment overrides them, as with docker compose.
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Remove the stack's services that are no longer in the file.
    #[arg(long)]
    pub prune: bool,
    /// Query the registry for image digests and platforms: always, changed or never.
    #[arg(long, value_name = "MODE", default_value = "always")]
    pub resolve_image: String,
    /// Send registry credentials to the swarm (and use them to resolve digests), read from the
    /// docker CLI's config (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, with its
    /// credential helpers).
    #[arg(long)]
    pub with_registry_auth: bool,
    /// Return once the swarm accepted the stack (true, the default), or wait until it
    /// converged (false) and fail when it does not.
    #[arg(short = 'd', long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", action = clap::ArgAction::Set)]
    pub detach: Option<bool>,
    /// With --detach=false: give up waiting after this long (e.g. 90s, 10m).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Print only errors and warnings.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Stack name.
    pub name: String,
}

#[derive(Debug, Clone, Args)]
pub struct StackRmArgs {
    /// Return without waiting for the stack's networks to be gone.
    #[arg(short = 'd', long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", action = clap::ArgAction::Set)]
    pub detach: Option<bool>,
    /// Give up waiting for the networks after this long.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Stack names.
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct StackNameArgs {
    /// Only print IDs.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Do not truncate IDs, images and errors.
    #[arg(long)]
    pub no_trunc: bool,
    /// Stack name.
    pub name: String,
}

#[derive(Debug, Clone, Args)]
pub struct StackConfigArgs {
    /// Compose file (repeat, or separate with commas; `-` reads stdin).
    #[arg(
        short = 'c',
        long = "compose-file",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub compose_file: Vec<String>,
    /// Variables for interpolation, as for `deploy` (the process environment overrides them).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Print the files merged but not interpolated.
    #[arg(long)]
    pub skip_interpolation: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (plain HTTP).
    #[arg(long, env = "BERTH_LISTEN", default_value = "0.0.0.0:9000")]
    pub listen: SocketAddr,

    /// Address and port to serve HTTPS on, or `off`.
    #[arg(long, env = "BERTH_TLS_LISTEN", default_value = "0.0.0.0:9443", value_parser = parse_optional_addr)]
    pub tls_listen: std::option::Option<SocketAddr>,

    /// PEM certificate (chain) to serve over HTTPS, e.g. a Docker secret; with
    /// BERTH_TLS_KEY_FILE. Without both, berth serves a self-signed certificate it creates in
    /// the data directory.
    #[arg(long, env = "BERTH_TLS_CERT_FILE")]
    pub tls_cert_file: Option<PathBuf>,

    /// PEM private key of BERTH_TLS_CERT_FILE.
    #[arg(long, env = "BERTH_TLS_KEY_FILE")]
    pub tls_key_file: Option<PathBuf>,

    /// The address users type, e.g. https://berth.example.com:9443. With https: cookies are
    /// Secure with __Host- names, HSTS is sent, plain HTTP redirects there. Either way,
    /// requests naming another host are refused (DNS rebinding).
    #[arg(long, env = "BERTH_PUBLIC_URL", value_parser = PublicUrl::parse)]
    pub public_url: Option<PublicUrl>,

    /// Proxies whose X-Forwarded-For and X-Forwarded-Proto berth believes: addresses or
    /// networks, comma-separated (e.g. 127.0.0.1,10.0.0.0/8). Empty: berth trusts none and
    /// uses the connection's address.
    #[arg(long, env = "BERTH_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_net)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Directory for berth's data; the SQLite database lives there.
    #[arg(long, env = "BERTH_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Docker Engine API address of a swarm manager (unix:///path or tcp://host:port).
    #[arg(
        long,
        env = "DOCKER_HOST",
        default_value = "unix:///var/run/docker.sock"
    )]
    pub docker_host: String,

    /// File holding the initial admin password (e.g. a Docker secret under /run/secrets).
    /// When set and no admin exists yet, the admin is created from it and no setup code is needed.
    #[arg(long, env = "BERTH_ADMIN_PASSWORD_FILE")]
    pub admin_password_file: Option<PathBuf>,

    /// User name of the admin created from BERTH_ADMIN_PASSWORD_FILE.
    #[arg(long, env = "BERTH_ADMIN_USERNAME", default_value = "admin")]
    pub admin_username: String,

    /// Idle time after which a session expires (e.g. 30m, 12h, 7d).
    #[arg(long, env = "BERTH_SESSION_TTL", default_value = "12h", value_parser = parse_duration)]
    pub session_ttl: Duration,

    /// Absolute lifetime of a session, however active it is (e.g. 12h, 7d): then the user signs
    /// in again.
    #[arg(long, env = "BERTH_SESSION_MAX_AGE", default_value = "7d", value_parser = parse_duration)]
    pub session_max_age: Duration,

    /// Audit log entries older than this many days are deleted.
    #[arg(long, env = "BERTH_AUDIT_RETENTION_DAYS", default_value_t = 365,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub audit_retention_days: u32,

    /// The audit log keeps at most this many entries (the oldest go first).
    #[arg(long, env = "BERTH_AUDIT_MAX_ROWS", default_value_t = 200_000,
          value_parser = clap::value_parser!(u64).range(100..))]
    pub audit_max_rows: u64,

    /// Most live streams (server-sent events pushing pages' live parts) open at once, every
    /// viewer together; beyond it pages refresh by polling. 0 turns the streams off.
    #[arg(long, env = "BERTH_MAX_LIVE_STREAMS", default_value_t = 512,
          value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub max_live_streams: u32,

    /// Whose logs viewers may read: every stack's (all) or only their teams' stacks (teams).
    #[arg(long, env = "BERTH_VIEWER_LOGS", value_enum, default_value_t = ViewerLogs::All)]
    pub viewer_logs: ViewerLogs,

    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, env = "BERTH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Mark the session cookie Secure (set this when berth is served over HTTPS).
    #[arg(long, env = "BERTH_COOKIE_SECURE", default_value_t = false, action = clap::ArgAction::Set)]
    pub cookie_secure: bool,

    /// File holding the key that seals secrets in the database (e.g. a Docker secret): 32
    /// random bytes as base64 or hex. Default: secret.key in the data directory, created
    /// (mode 0600) on first start.
    #[arg(long, env = "BERTH_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,

    /// Where berth keeps its durable state in the swarm (Docker configs, sealed): `auto` (when
    /// berth runs as a swarm service, under that service's name), `off`, or a name (the
    /// service name of the berth whose state to use).
    #[arg(long, env = "BERTH_SWARM_STATE", default_value = "auto", value_parser = parse_swarm_state)]
    pub swarm_state: String,

    /// How often berth asks a registry for the current digest of a running image's tag
    /// ("update available"): at most one request per image per interval, only while a page
    /// shows it. E.g. 5m, 1h.
    #[arg(long, env = "BERTH_IMAGE_CHECK_INTERVAL", default_value = "5m", value_parser = parse_check_interval)]
    pub image_check_interval: Duration,

    /// The live model reloads everything from Docker this often, healing anything the event
    /// stream missed (e.g. 60s, 5m).
    #[arg(long, env = "BERTH_MODEL_RECONCILE", default_value = "60s", value_parser = parse_duration)]
    pub model_reconcile: Duration,

    /// The live model asks Docker for every service's task counts this often, to notice task
    /// changes no event announces (a container dying on a worker).
    #[arg(long, env = "BERTH_MODEL_POLL", default_value = "2s", value_parser = parse_duration)]
    pub model_poll: Duration,

    /// The live model makes at most this many Docker calls a second, whatever happens.
    #[arg(long, env = "BERTH_MODEL_MAX_CALLS", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub model_max_calls: u32,
    /// How often a git-backed stack is synced with its repository, unless the stack sets its
    /// own interval (a push webhook syncs at once).
    #[arg(long, env = "BERTH_GIT_SYNC_INTERVAL", default_value = "5m", value_parser = parse_duration)]
    pub git_sync_interval: Duration,

    /// The berth agent service (one task per node, see `berth agent`). Default: berth's
    /// sibling in its own stack, `<stack>_agent`; empty: no agents.
    #[arg(long, env = "BERTH_AGENT_SERVICE")]
    pub agent_service: Option<String>,
    /// How often agents sample their node's containers and berth pulls their reports.
    #[arg(long, env = "BERTH_AGENT_INTERVAL", default_value = "5s", value_parser = parse_agent_interval)]
    pub agent_interval: Duration,
    /// Fixed agent addresses (IP:PORT, comma-separated) instead of the agent service's swarm
    /// DNS: for agents berth did not deploy as its sibling. berth hands them no key: give each
    /// agent DATA_DIR/agent.key as its key file. Empty: swarm DNS.
    #[arg(long, env = "BERTH_AGENT_ADDRS", value_delimiter = ',', num_args = 0..)]
    pub agent_addrs: Vec<SocketAddr>,
}

/// The agents' interval: 1 s to 5 min.
fn parse_agent_interval(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < Duration::from_secs(1) || d > Duration::from_secs(300) {
        return Err("the agent interval must be between 1s and 5m".into());
    }
    Ok(d)
}

/// `berth agent`
#[derive(Debug, Clone, Args)]
pub struct AgentArgs {
    /// Address and port the agent serves berth on (inside the agents' overlay network).
    #[arg(long, env = "BERTH_LISTEN", default_value = "0.0.0.0:9000")]
    pub listen: SocketAddr,
    /// This node's Docker Engine API.
    #[arg(
        long,
        env = "DOCKER_HOST",
        default_value = "unix:///var/run/docker.sock"
    )]
    pub docker_host: String,
    /// The key berth hands over (a Docker secret berth creates and mounts).
    #[arg(long, env = "BERTH_AGENT_KEY_FILE", default_value = crate::agent::KEY_FILE)]
    pub key_file: PathBuf,
    /// How often the node's containers are sampled.
    #[arg(long, env = "BERTH_AGENT_INTERVAL", default_value = "5s", value_parser = parse_agent_interval)]
    pub interval: Duration,
    #[arg(long, env = "BERTH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// The image check interval: a duration of at least one second.
fn parse_check_interval(raw: &str) -> Result<Duration, String> {
    let d = parse_duration(raw)?;
    if d < Duration::from_secs(1) {
        return Err("the image check interval must be at least 1s".into());
    }
    Ok(d)
}

/// An address to listen on, or `off`.
fn parse_optional_addr(raw: &str) -> Result<Option<SocketAddr>, String> {
    if raw.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    raw.trim()
        .parse()
        .map(Some)
        .map_err(|e| format!("{raw:?}: {e} (e.g. 0.0.0.0:9443, or off)"))
}

/// An address (a /32 or /128) or a network in CIDR notation.
fn parse_swarm_state(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        && !s.starts_with(['.', '-', '_']);
    if ok {
        Ok(s.to_string())
    } else {
        Err("auto, off, or a service name (letters, digits, _ . -; at most 63)".into())
    }
}

fn parse_net(raw: &str) -> Result<ipnet::IpNet, String> {
    let t = raw.trim();
    t.parse::<ipnet::IpNet>()
        .or_else(|_| t.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{raw:?} is not an address or a network such as 10.0.0.0/8"))
}

#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    /// URL to check; by default /healthz on the port of BERTH_LISTEN on 127.0.0.1.
    #[arg(long, env = "BERTH_HEALTHCHECK_URL")]
    pub url: Option<String>,
    /// The listen address whose port is checked when no URL is given.
    #[arg(long, env = "BERTH_LISTEN", default_value = "0.0.0.0:9000")]
    pub listen: SocketAddr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Parses durations such as `90s`, `30m`, `12h`, `7d` or a bare number of seconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let s = raw.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid duration {raw:?}: expected e.g. 30m, 12h or 7d"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        other => {
            return Err(format!(
                "invalid duration unit {other:?} in {raw:?}: use s, m, h or d"
            ));
        }
    };
    if secs == 0 {
        return Err(format!("duration {raw:?} must be greater than zero"));
    }
    Ok(Duration::from_secs(secs))
}

impl ServeArgs {
    /// Cookies marked Secure, with `__Host-` names: behind an https public URL, or when asked.
    pub fn secure_cookies(&self) -> bool {
        self.cookie_secure || self.public_url.as_ref().is_some_and(|u| u.https)
    }

    /// How the live model keeps up with Docker.
    pub fn model_settings(&self) -> crate::model::Settings {
        crate::model::Settings {
            reconcile: self.model_reconcile,
            poll: self.model_poll,
            max_calls: self.model_max_calls,
        }
    }

    /// Settings for tests and embedding: everything default except what is given.
    pub fn for_test(data_dir: PathBuf, docker_host: String) -> Self {
        ServeArgs {
            listen: "127.0.0.1:0".parse().expect("static address"),
            tls_listen: None,
            tls_cert_file: None,
            tls_key_file: None,
            public_url: None,
            trusted_proxies: Vec::new(),
            data_dir,
            docker_host,
            admin_password_file: None,
            admin_username: "admin".into(),
            session_ttl: Duration::from_secs(12 * 3600),
            session_max_age: Duration::from_secs(7 * 86_400),
            audit_retention_days: 365,
            audit_max_rows: 200_000,
            max_live_streams: 512,
            viewer_logs: ViewerLogs::All,
            log_format: LogFormat::Text,
            cookie_secure: false,
            secret_key_file: None,
            swarm_state: "off".into(),
            image_check_interval: Duration::from_secs(300),
            model_reconcile: Duration::from_secs(60),
            model_poll: Duration::from_secs(2),
            model_max_calls: 10,
            git_sync_interval: Duration::from_secs(300),
            agent_service: Some(String::new()),
            agent_interval: Duration::from_secs(5),
            agent_addrs: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_flags_may_come_before_stack() {
        let args = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        let moved = remote_flags_after_stack(args(&[
            "berth",
            "--url",
            "http://b:9000",
            "--token=t",
            "stack",
            "ls",
        ]));
        assert_eq!(
            moved,
            args(&[
                "berth",
                "stack",
                "--url",
                "http://b:9000",
                "--token=t",
                "ls"
            ])
        );
        let cli = Cli::try_parse_from(moved).unwrap();
        match cli.command {
            Some(Command::Stack(s)) => {
                assert_eq!(s.url.as_deref(), Some("http://b:9000"));
                assert_eq!(s.token.as_deref(), Some("t"));
            }
            other => panic!("unexpected {other:?}"),
        }
        // anything else before `stack` is left for clap to judge
        let kept = args(&["berth", "--listen", "x", "stack", "ls"]);
        assert_eq!(remote_flags_after_stack(kept.clone()), kept);
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("12h").unwrap(), Duration::from_secs(43_200));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("5w").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn tls_can_be_turned_off_and_proxies_are_addresses_or_networks() {
        let cli = Cli::try_parse_from(["berth", "--tls-listen", "off"]).unwrap();
        assert_eq!(cli.serve.tls_listen, None);
        let cli = Cli::try_parse_from(["berth"]).unwrap();
        assert_eq!(cli.serve.tls_listen.map(|a| a.port()), Some(9443));
        let cli =
            Cli::try_parse_from(["berth", "--trusted-proxies", "127.0.0.1,10.0.0.0/8"]).unwrap();
        assert_eq!(cli.serve.trusted_proxies.len(), 2);
        assert!(Cli::try_parse_from(["berth", "--trusted-proxies", "nginx"]).is_err());
    }

    #[test]
    fn serve_is_the_default_command_and_flags_have_env_fallbacks() {
        let cli = Cli::try_parse_from(["berth", "--listen", "127.0.0.1:9100"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.listen.port(), 9100);
        let cli = Cli::try_parse_from(["berth", "serve", "--session-ttl", "1h"]).unwrap();
        match cli.command {
            Some(Command::Serve(a)) => assert_eq!(a.session_ttl, Duration::from_secs(3600)),
            other => panic!("unexpected {other:?}"),
        }
        let cli = Cli::try_parse_from(["berth"]).unwrap();
        assert_eq!(cli.serve.session_max_age, Duration::from_secs(7 * 86_400));
        assert_eq!(cli.serve.audit_retention_days, 365);
        assert_eq!(cli.serve.audit_max_rows, 200_000);
        let cli = Cli::try_parse_from([
            "berth",
            "--session-max-age",
            "2d",
            "--audit-retention-days",
            "30",
            "--audit-max-rows",
            "5000",
        ])
        .unwrap();
        assert_eq!(cli.serve.session_max_age, Duration::from_secs(2 * 86_400));
        assert_eq!(cli.serve.audit_retention_days, 30);
        assert_eq!(cli.serve.audit_max_rows, 5000);
        assert!(Cli::try_parse_from(["berth", "--audit-max-rows", "5"]).is_err());
    }
}
