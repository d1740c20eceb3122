//! `berth state stacks`: the stacks of a berth's state in the swarm, read by another berth
//! pointed at the same swarm (or by `docker exec` in berth's own container). Read-only: the
//! newest version is opened into a scratch database that is deleted afterwards; nothing is
//! written to the swarm.

use std::process::ExitCode;

use crate::config::StateArgs;

/// Runs `berth state …`.
pub fn run(args: StateArgs) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("berth state: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(show(args)) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("berth state: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn show(args: StateArgs) -> anyhow::Result<String> {
    let docker = crate::docker::Engine::new(&args.docker_host).client()?;
    let me = crate::docker::selfstack::find(&docker).await?;
    let scope = match (&args.scope, &me) {
        (Some(s), _) => s.clone(),
        (None, Some(me)) => me.service_name.clone(),
        (None, None) => anyhow::bail!(
            "not a swarm task: say whose state with --scope (its service name, e.g. berth_berth)"
        ),
    };
    let key = args.key_file.clone().unwrap_or_else(|| {
        std::path::PathBuf::from(crate::docker::selfstack::SECRETS_DIR).join(super::key::KEY_TARGET)
    });
    let (newest, _) = super::store::newest(&docker, &scope).await?;
    let Some((manifest, sealed)) = newest else {
        anyhow::bail!("the swarm holds no berth state for {scope}");
    };
    let dir = std::env::temp_dir().join(format!("berth-state-{}", std::process::id()));
    let out = async {
        let pool = crate::db::open(&dir, Some(&key)).await?;
        let sealer = crate::db::sealer(&pool)?;
        let d = super::open(&sealer, &sealed)?;
        super::dump::restore(&pool, &d).await?;
        let text = list(&pool, &args, &scope, manifest.version).await;
        pool.close().await;
        text
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    out
}

async fn list(
    pool: &sqlx::SqlitePool,
    args: &StateArgs,
    scope: &str,
    version: u64,
) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let mut out = String::new();
    match (&args.stack, args.version) {
        (None, _) => {
            writeln!(out, "# {scope}, state version {version}")?;
            writeln!(out, "{:<32} {:>8}  OUTCOME", "STACK", "VERSION")?;
            for v in crate::db::stacks::latest_of_all(pool).await? {
                writeln!(out, "{:<32} {:>8}  {}", v.stack, v.version, v.outcome)?;
            }
        }
        (Some(stack), None) => {
            writeln!(
                out,
                "{:>8}  {:<20} {:<16} OUTCOME",
                "VERSION", "CREATED", "BY"
            )?;
            for v in crate::db::stacks::history(pool, stack).await? {
                let when = time::OffsetDateTime::from_unix_timestamp(v.created_at)
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                let when: String = when.chars().take(19).collect();
                writeln!(
                    out,
                    "{:>8}  {:<20} {:<16} {}",
                    v.version,
                    when,
                    v.username.unwrap_or_default(),
                    v.outcome
                )?;
            }
        }
        (Some(stack), Some(n)) => match crate::db::stacks::get(pool, stack, n).await? {
            Some(v) => out.push_str(&v.compose),
            None => anyhow::bail!("no version {n} of the stack {stack} in the state"),
        },
    }
    Ok(out)
}
